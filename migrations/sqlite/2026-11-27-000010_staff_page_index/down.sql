DROP INDEX ix_staff_id;
