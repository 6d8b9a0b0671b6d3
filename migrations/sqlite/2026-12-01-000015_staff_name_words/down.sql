DROP TRIGGER staff_name_words_delete;
DROP TRIGGER staff_name_words_update;
DROP TRIGGER staff_name_words_insert;
DROP TABLE staff_name_words;
