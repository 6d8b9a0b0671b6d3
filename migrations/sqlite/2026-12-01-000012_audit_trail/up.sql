-- The audit trail: one row per change (and per login, failed login and
-- logout), written in the change's own transaction. Ids are not an
-- autoincrement: each writing transaction takes its block of ids from
-- audit_sequence just before it commits, holding that row's lock until the
-- commit, so ids are handed out in commit order and a reader that has seen
-- id n has seen every id below it (the change feed depends on this).
CREATE TABLE audit_events (
    id BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id INTEGER,
    action VARCHAR(20) NOT NULL,
    entity VARCHAR(40) NOT NULL,
    entity_id VARCHAR(64) NOT NULL,
    version INTEGER,
    before_json TEXT,
    after_json TEXT,
    is_change BOOLEAN NOT NULL
);
CREATE INDEX ix_audit_events_entity ON audit_events (entity, entity_id, id);
CREATE INDEX ix_audit_events_change ON audit_events (is_change, id);
CREATE INDEX ix_audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX ix_audit_events_at ON audit_events (at);

CREATE TABLE audit_sequence (
    id INTEGER PRIMARY KEY NOT NULL,
    last_id BIGINT NOT NULL
);
INSERT INTO audit_sequence (id, last_id) VALUES (1, 0);

-- Reading the trail is a permission of its own; the Administrator has it.
INSERT INTO role_permissions (role_id, permission)
SELECT id, 'audit:read' FROM roles WHERE name_key = 'administrator';
UPDATE roles SET version = version + 1,
    updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
WHERE name_key = 'administrator';
