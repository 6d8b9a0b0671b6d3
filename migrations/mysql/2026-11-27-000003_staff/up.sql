CREATE TABLE staff (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    full_name VARCHAR(150) NOT NULL,
    employee_id VARCHAR(32) NOT NULL,
    email VARCHAR(254) NOT NULL,
    email_key VARCHAR(254) NOT NULL,
    mobile VARCHAR(20) NOT NULL,
    email2 VARCHAR(254),
    email3 VARCHAR(254),
    mobile2 VARCHAR(20),
    mobile3 VARCHAR(20),
    office_address VARCHAR(500),
    department_id INTEGER NOT NULL,
    unit_id INTEGER,
    designation_id INTEGER NOT NULL,
    supervisor_id INTEGER,
    end_date DATE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    deactivated_at DATETIME(6),
    deactivated_by INTEGER,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_staff_employee_id UNIQUE (employee_id),
    CONSTRAINT uq_staff_email_key UNIQUE (email_key),
    CONSTRAINT fk_staff_department_id FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE RESTRICT,
    CONSTRAINT fk_staff_unit_id FOREIGN KEY (unit_id) REFERENCES units (id) ON DELETE SET NULL,
    CONSTRAINT fk_staff_designation_id FOREIGN KEY (designation_id) REFERENCES designations (id) ON DELETE RESTRICT,
    CONSTRAINT fk_staff_supervisor_id FOREIGN KEY (supervisor_id) REFERENCES staff (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_staff_department_id ON staff (department_id);
CREATE INDEX ix_staff_unit_id ON staff (unit_id);
CREATE INDEX ix_staff_designation_id ON staff (designation_id);
CREATE INDEX ix_staff_supervisor_id ON staff (supervisor_id);
CREATE INDEX ix_staff_full_name ON staff (full_name);
CREATE TABLE staff_works_in (
    staff_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    PRIMARY KEY (staff_id, department_id),
    CONSTRAINT fk_staff_works_in_staff_id FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE,
    CONSTRAINT fk_staff_works_in_department_id FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_staff_works_in_department_id ON staff_works_in (department_id);
CREATE TABLE department_heads (
    department_id INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    PRIMARY KEY (department_id, staff_id),
    CONSTRAINT fk_department_heads_department_id FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE,
    CONSTRAINT fk_department_heads_staff_id FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_department_heads_staff_id ON department_heads (staff_id);
CREATE TABLE unit_heads (
    unit_id INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    PRIMARY KEY (unit_id, staff_id),
    CONSTRAINT fk_unit_heads_unit_id FOREIGN KEY (unit_id) REFERENCES units (id) ON DELETE CASCADE,
    CONSTRAINT fk_unit_heads_staff_id FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_unit_heads_staff_id ON unit_heads (staff_id);
