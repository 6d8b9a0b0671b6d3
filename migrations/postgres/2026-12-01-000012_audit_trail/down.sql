DELETE FROM role_permissions WHERE permission = 'audit:read';
DROP TABLE audit_sequence;
DROP TABLE audit_events;
