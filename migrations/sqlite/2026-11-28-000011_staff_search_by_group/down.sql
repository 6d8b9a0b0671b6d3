DROP TRIGGER staff_search_delete;
DROP TRIGGER staff_search_update;
DROP TRIGGER staff_search_insert;
DROP TABLE staff_search_pending;
DROP TABLE staff_search_deferred;

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
