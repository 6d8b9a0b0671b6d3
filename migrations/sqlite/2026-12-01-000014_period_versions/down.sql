ALTER TABLE staff_works_in DROP COLUMN version;
ALTER TABLE staff_works_in DROP COLUMN updated_at;
ALTER TABLE department_heads DROP COLUMN version;
ALTER TABLE department_heads DROP COLUMN updated_at;
ALTER TABLE unit_heads DROP COLUMN version;
ALTER TABLE unit_heads DROP COLUMN updated_at;
