CREATE TABLE cadres (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_cadres_name_key UNIQUE (name_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE designations (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    cadre_id INTEGER NOT NULL,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    abbr VARCHAR(20),
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_designations_name_key UNIQUE (name_key),
    CONSTRAINT fk_designations_cadre_id FOREIGN KEY (cadre_id) REFERENCES cadres (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_designations_cadre_id ON designations (cadre_id);
