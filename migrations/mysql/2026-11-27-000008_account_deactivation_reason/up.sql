-- Why an account was deactivated: 'manual' (by deactivated_by) or
-- 'end_date' (by the system, when the staff member's end date passed).
ALTER TABLE accounts ADD COLUMN deactivation_reason VARCHAR(20);
