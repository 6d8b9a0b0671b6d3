CREATE TABLE departments (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    abbr VARCHAR(20),
    kind VARCHAR(20) NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_departments_name_key UNIQUE (name_key),
    CONSTRAINT ck_departments_kind CHECK (kind IN ('department', 'centre', 'facility'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE units (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    department_id INTEGER NOT NULL,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    abbr VARCHAR(20),
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_units_department_name_key UNIQUE (department_id, name_key),
    CONSTRAINT fk_units_department_id FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
