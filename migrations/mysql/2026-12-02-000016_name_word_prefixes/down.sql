-- SQLite's name-word index gains prefix indexes; this dialect has no
-- such index (migration 000015).
SELECT 1;
