-- The writer thread commits concurrent writes as one transaction
-- (crates/db/src/writer.rs). Inside a transaction each INSERT, UPDATE or
-- DELETE on staff opens a statement savepoint, and FTS5 writes out what it
-- holds in memory at every savepoint: the triggers of migration 000009 gave
-- every staff row its own search-index segment, and merging those segments
-- took a third of the writer's time under concurrent POSTs.
--
-- While the writer runs a group it marks its own transaction with a row in
-- staff_search_deferred (no other connection ever sees it: the writer
-- removes it before committing). With the mark, the triggers only note the
-- staff that changed in staff_search_pending, and the writer indexes them
-- all with one statement before it commits. Without the mark (a pooled
-- connection, the seed, the sqlite3 shell) they index at once, as before.
CREATE TABLE staff_search_deferred (marked INTEGER PRIMARY KEY CHECK (marked = 1));
CREATE TABLE staff_search_pending (staff_id INTEGER PRIMARY KEY);

DROP TRIGGER staff_search_insert;
DROP TRIGGER staff_search_update;
DROP TRIGGER staff_search_delete;

CREATE TRIGGER staff_search_insert AFTER INSERT ON staff BEGIN
    INSERT INTO staff_search (rowid, search_text)
        SELECT new.id, new.full_name || char(10) || new.email || char(10) || new.employee_id
        WHERE NOT EXISTS (SELECT 1 FROM staff_search_deferred);
    INSERT OR IGNORE INTO staff_search_pending (staff_id)
        SELECT new.id WHERE EXISTS (SELECT 1 FROM staff_search_deferred);
END;
CREATE TRIGGER staff_search_update AFTER UPDATE OF full_name, email, employee_id ON staff BEGIN
    UPDATE staff_search
        SET search_text = new.full_name || char(10) || new.email || char(10) || new.employee_id
        WHERE rowid = new.id AND NOT EXISTS (SELECT 1 FROM staff_search_deferred);
    INSERT OR IGNORE INTO staff_search_pending (staff_id)
        SELECT new.id WHERE EXISTS (SELECT 1 FROM staff_search_deferred);
END;
CREATE TRIGGER staff_search_delete AFTER DELETE ON staff BEGIN
    DELETE FROM staff_search
        WHERE rowid = old.id AND NOT EXISTS (SELECT 1 FROM staff_search_deferred);
    INSERT OR IGNORE INTO staff_search_pending (staff_id)
        SELECT old.id WHERE EXISTS (SELECT 1 FROM staff_search_deferred);
END;
