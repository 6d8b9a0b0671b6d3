CREATE TABLE roles (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    description VARCHAR(500),
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_roles_name_key UNIQUE (name_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE role_permissions (
    role_id INTEGER NOT NULL,
    permission VARCHAR(40) NOT NULL,
    PRIMARY KEY (role_id, permission),
    CONSTRAINT fk_role_permissions_role_id FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE accounts (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    uid VARCHAR(36) NOT NULL,
    username VARCHAR(64) NOT NULL,
    username_key VARCHAR(64) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    staff_id INTEGER,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    deactivated_at DATETIME(6),
    deactivated_by INTEGER,
    last_login_at DATETIME(6),
    password_changed_at DATETIME(6) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_accounts_uid UNIQUE (uid),
    CONSTRAINT uq_accounts_username_key UNIQUE (username_key),
    CONSTRAINT fk_accounts_staff_id FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_accounts_staff_id ON accounts (staff_id);
CREATE TABLE account_roles (
    account_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    PRIMARY KEY (account_id, role_id),
    CONSTRAINT fk_account_roles_account_id FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_account_roles_role_id FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_account_roles_role_id ON account_roles (role_id);
