-- The words of a staff member's name, for the FHIR view's Practitioner
-- `name` search (a word starting with the text): FTS5's unicode61
-- tokenizer splits a name into words (folding case and accents; marks
-- count as part of a word, so a Devanagari vowel sign does not split
-- one, as letters, digits and marks are a word's characters in the
-- other backends' patterns too), and a
-- prefix query ("son"*) finds the staff whose name has a word starting
-- so, from the index alone. Kept in step as staff_search is (migration
-- 000011): at once, or, in a writer group, from staff_search_pending
-- before the group commits.
CREATE VIRTUAL TABLE staff_name_words USING fts5(full_name, tokenize = 'unicode61 remove_diacritics 2 categories ''L* N* Co M*''');
INSERT INTO staff_name_words (rowid, full_name) SELECT id, full_name FROM staff;
CREATE TRIGGER staff_name_words_insert AFTER INSERT ON staff BEGIN
    INSERT INTO staff_name_words (rowid, full_name)
        SELECT new.id, new.full_name WHERE NOT EXISTS (SELECT 1 FROM staff_search_deferred);
END;
CREATE TRIGGER staff_name_words_update AFTER UPDATE OF full_name ON staff BEGIN
    UPDATE staff_name_words SET full_name = new.full_name
        WHERE rowid = new.id AND NOT EXISTS (SELECT 1 FROM staff_search_deferred);
END;
CREATE TRIGGER staff_name_words_delete AFTER DELETE ON staff BEGIN
    DELETE FROM staff_name_words
        WHERE rowid = old.id AND NOT EXISTS (SELECT 1 FROM staff_search_deferred);
END;
