CREATE TABLE cadres (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,
    updated_at TIMESTAMP NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_cadres_name_key UNIQUE (name_key)
);
CREATE TABLE designations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    cadre_id INTEGER NOT NULL,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    abbr VARCHAR(20),
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,
    updated_at TIMESTAMP NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_designations_name_key UNIQUE (name_key),
    CONSTRAINT fk_designations_cadre_id FOREIGN KEY (cadre_id) REFERENCES cadres (id) ON DELETE RESTRICT
);
CREATE INDEX ix_designations_cadre_id ON designations (cadre_id);
