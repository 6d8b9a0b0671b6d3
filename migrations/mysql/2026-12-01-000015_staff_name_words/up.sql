-- SQLite's word index for the FHIR view's Practitioner `name` search.
-- Here the trigram index of migration 000009 (PostgreSQL) or a scan
-- (MySQL) finds the candidates and a regular expression the word start,
-- so this dialect has nothing to add.
SELECT 1;
