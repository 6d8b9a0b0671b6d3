-- SQLite needed a narrow index to skip rows in id order; PostgreSQL's
-- primary key index already is one. Kept as a no-op so every backend has
-- the same migrations.
SELECT 1;
