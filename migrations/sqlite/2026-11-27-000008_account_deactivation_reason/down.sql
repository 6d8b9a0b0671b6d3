ALTER TABLE accounts DROP COLUMN deactivation_reason;
