CREATE TABLE staff_works_in_copy (staff_id INTEGER NOT NULL, department_id INTEGER NOT NULL, created_at DATETIME(6) NOT NULL, created_by INTEGER);
INSERT INTO staff_works_in_copy
SELECT staff_id, department_id, MIN(created_at), MIN(created_by)
FROM staff_works_in GROUP BY staff_id, department_id;
DROP TABLE staff_works_in;
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
INSERT INTO staff_works_in (staff_id, department_id, created_at, created_by)
SELECT staff_id, department_id, created_at, created_by FROM staff_works_in_copy;
DROP TABLE staff_works_in_copy;

CREATE TABLE department_heads_copy (department_id INTEGER NOT NULL, staff_id INTEGER NOT NULL, created_at DATETIME(6) NOT NULL, created_by INTEGER);
INSERT INTO department_heads_copy
SELECT department_id, staff_id, MIN(created_at), MIN(created_by)
FROM department_heads GROUP BY department_id, staff_id;
DROP TABLE department_heads;
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
INSERT INTO department_heads (department_id, staff_id, created_at, created_by)
SELECT department_id, staff_id, created_at, created_by FROM department_heads_copy;
DROP TABLE department_heads_copy;

CREATE TABLE unit_heads_copy (unit_id INTEGER NOT NULL, staff_id INTEGER NOT NULL, created_at DATETIME(6) NOT NULL, created_by INTEGER);
INSERT INTO unit_heads_copy
SELECT unit_id, staff_id, MIN(created_at), MIN(created_by)
FROM unit_heads GROUP BY unit_id, staff_id;
DROP TABLE unit_heads;
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
INSERT INTO unit_heads (unit_id, staff_id, created_at, created_by)
SELECT unit_id, staff_id, created_at, created_by FROM unit_heads_copy;
DROP TABLE unit_heads_copy;
