-- A period's own version and last change, for the FHIR view's
-- PractitionerRole meta and ETag: ending a period changes it.
ALTER TABLE staff_works_in ADD COLUMN updated_at TIMESTAMP, ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
UPDATE staff_works_in SET updated_at = created_at;
ALTER TABLE staff_works_in ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE department_heads ADD COLUMN updated_at TIMESTAMP, ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
UPDATE department_heads SET updated_at = created_at;
ALTER TABLE department_heads ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE unit_heads ADD COLUMN updated_at TIMESTAMP, ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
UPDATE unit_heads SET updated_at = created_at;
ALTER TABLE unit_heads ALTER COLUMN updated_at SET NOT NULL;
