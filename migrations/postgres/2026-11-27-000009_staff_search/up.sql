-- Substring search over a staff member's name, email and employee id
-- (`q`): a trigram GIN index on the same expression the query uses answers
-- LIKE '%text%' without reading every staff row. pg_trgm ships with
-- PostgreSQL (contrib) and is a trusted extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX ix_staff_search ON staff
    USING gin ((lower(full_name) || chr(10) || email_key || chr(10) || lower(employee_id)) gin_trgm_ops);
