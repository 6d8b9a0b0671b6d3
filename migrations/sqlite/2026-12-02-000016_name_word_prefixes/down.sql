DROP TABLE staff_name_words;
CREATE VIRTUAL TABLE staff_name_words USING fts5(full_name, tokenize = 'unicode61 remove_diacritics 2 categories ''L* N* Co M*''');
INSERT INTO staff_name_words (rowid, full_name) SELECT id, full_name FROM staff;
