DROP INDEX ix_staff_search;
