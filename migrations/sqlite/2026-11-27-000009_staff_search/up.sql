-- Substring search over a staff member's name, email and employee id
-- (`q`): an FTS5 trigram index answers LIKE '%text%' (three characters or
-- more) without reading every staff row. Kept in step by triggers.
CREATE VIRTUAL TABLE staff_search USING fts5(search_text, tokenize = 'trigram');
INSERT INTO staff_search (rowid, search_text)
    SELECT id, full_name || char(10) || email || char(10) || employee_id FROM staff;
CREATE TRIGGER staff_search_insert AFTER INSERT ON staff BEGIN
    INSERT INTO staff_search (rowid, search_text)
        VALUES (new.id, new.full_name || char(10) || new.email || char(10) || new.employee_id);
END;
CREATE TRIGGER staff_search_update AFTER UPDATE OF full_name, email, employee_id ON staff BEGIN
    UPDATE staff_search
        SET search_text = new.full_name || char(10) || new.email || char(10) || new.employee_id
        WHERE rowid = new.id;
END;
CREATE TRIGGER staff_search_delete AFTER DELETE ON staff BEGIN
    DELETE FROM staff_search WHERE rowid = old.id;
END;
