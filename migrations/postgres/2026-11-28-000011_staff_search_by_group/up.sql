-- SQLite's search index learned to wait for the end of a group of writes;
-- PostgreSQL's trigram index has no such cost. Kept as a no-op so every
-- backend has the same migrations.
SELECT 1;
