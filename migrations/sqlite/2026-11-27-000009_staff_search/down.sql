DROP TRIGGER staff_search_delete;
DROP TRIGGER staff_search_update;
DROP TRIGGER staff_search_insert;
DROP TABLE staff_search;
