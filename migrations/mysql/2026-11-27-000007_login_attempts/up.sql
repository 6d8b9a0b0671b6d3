-- Failed-login counters per username and per client address, shared by
-- every server process (the servers keep no state of their own).
CREATE TABLE login_attempts (
    attempt_key VARCHAR(200) NOT NULL PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at DATETIME(6) NOT NULL,
    locked_until DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
