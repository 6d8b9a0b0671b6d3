-- SQLite needed a narrow index to skip rows in id order; InnoDB's
-- secondary indexes already carry the primary key. Kept as a no-op so
-- every backend has the same migrations.
DO 0;
