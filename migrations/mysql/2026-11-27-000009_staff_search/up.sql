-- MySQL/MariaDB have no index for LIKE '%text%' (InnoDB's ngram full-text
-- parser is MySQL-only and matches words, not substrings), so `q` reads the
-- staff table. Kept as a no-op so every backend has the same migrations.
DO 0;
