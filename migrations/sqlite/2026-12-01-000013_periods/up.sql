-- Heads and works-in links become periods: each row is in force from
-- start_date to end_date (inclusive; null: open), a pair may have several
-- that do not overlap, and history is kept. Existing links start on the
-- day they were made. A period that ends before it starts is refused by a
-- CHECK; one that overlaps another of its pair by a trigger (SQLite has
-- one writer, so the trigger sees every row).

CREATE TABLE staff_works_in_copy (staff_id INTEGER NOT NULL, department_id INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, created_by INTEGER);
INSERT INTO staff_works_in_copy SELECT staff_id, department_id, created_at, created_by FROM staff_works_in;
DROP TABLE staff_works_in;
CREATE TABLE staff_works_in (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    staff_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,
    CONSTRAINT ck_staff_works_in_period CHECK (end_date IS NULL OR end_date >= start_date),
    CONSTRAINT uq_staff_works_in_start UNIQUE (staff_id, department_id, start_date),
    CONSTRAINT fk_staff_works_in_staff_id FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE,
    CONSTRAINT fk_staff_works_in_department_id FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE
);
CREATE INDEX ix_staff_works_in_department_id ON staff_works_in (department_id);
INSERT INTO staff_works_in (staff_id, department_id, start_date, end_date, created_at, created_by)
SELECT staff_id, department_id, date(created_at), NULL, created_at, created_by FROM staff_works_in_copy;
DROP TABLE staff_works_in_copy;

CREATE TRIGGER tr_staff_works_in_overlap_insert BEFORE INSERT ON staff_works_in
WHEN EXISTS (
    SELECT 1 FROM staff_works_in o
    WHERE o.staff_id = NEW.staff_id AND o.department_id = NEW.department_id
      AND o.start_date <= COALESCE(NEW.end_date, '9999-12-31')
      AND NEW.start_date <= COALESCE(o.end_date, '9999-12-31')
)
BEGIN
    SELECT RAISE(ABORT, 'overlapping period in staff_works_in');
END;

CREATE TRIGGER tr_staff_works_in_overlap_update BEFORE UPDATE ON staff_works_in
WHEN EXISTS (
    SELECT 1 FROM staff_works_in o
    WHERE o.staff_id = NEW.staff_id AND o.department_id = NEW.department_id
      AND o.start_date <= COALESCE(NEW.end_date, '9999-12-31')
      AND NEW.start_date <= COALESCE(o.end_date, '9999-12-31')
      AND o.id <> NEW.id
)
BEGIN
    SELECT RAISE(ABORT, 'overlapping period in staff_works_in');
END;

CREATE TABLE department_heads_copy (department_id INTEGER NOT NULL, staff_id INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, created_by INTEGER);
INSERT INTO department_heads_copy SELECT department_id, staff_id, created_at, created_by FROM department_heads;
DROP TABLE department_heads;
CREATE TABLE department_heads (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    department_id INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,
    CONSTRAINT ck_department_heads_period CHECK (end_date IS NULL OR end_date >= start_date),
    CONSTRAINT uq_department_heads_start UNIQUE (department_id, staff_id, start_date),
    CONSTRAINT fk_department_heads_department_id FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE,
    CONSTRAINT fk_department_heads_staff_id FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
);
CREATE INDEX ix_department_heads_staff_id ON department_heads (staff_id);
INSERT INTO department_heads (department_id, staff_id, start_date, end_date, created_at, created_by)
SELECT department_id, staff_id, date(created_at), NULL, created_at, created_by FROM department_heads_copy;
DROP TABLE department_heads_copy;

CREATE TRIGGER tr_department_heads_overlap_insert BEFORE INSERT ON department_heads
WHEN EXISTS (
    SELECT 1 FROM department_heads o
    WHERE o.department_id = NEW.department_id AND o.staff_id = NEW.staff_id
      AND o.start_date <= COALESCE(NEW.end_date, '9999-12-31')
      AND NEW.start_date <= COALESCE(o.end_date, '9999-12-31')
)
BEGIN
    SELECT RAISE(ABORT, 'overlapping period in department_heads');
END;

CREATE TRIGGER tr_department_heads_overlap_update BEFORE UPDATE ON department_heads
WHEN EXISTS (
    SELECT 1 FROM department_heads o
    WHERE o.department_id = NEW.department_id AND o.staff_id = NEW.staff_id
      AND o.start_date <= COALESCE(NEW.end_date, '9999-12-31')
      AND NEW.start_date <= COALESCE(o.end_date, '9999-12-31')
      AND o.id <> NEW.id
)
BEGIN
    SELECT RAISE(ABORT, 'overlapping period in department_heads');
END;

CREATE TABLE unit_heads_copy (unit_id INTEGER NOT NULL, staff_id INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, created_by INTEGER);
INSERT INTO unit_heads_copy SELECT unit_id, staff_id, created_at, created_by FROM unit_heads;
DROP TABLE unit_heads;
CREATE TABLE unit_heads (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,
    CONSTRAINT ck_unit_heads_period CHECK (end_date IS NULL OR end_date >= start_date),
    CONSTRAINT uq_unit_heads_start UNIQUE (unit_id, staff_id, start_date),
    CONSTRAINT fk_unit_heads_unit_id FOREIGN KEY (unit_id) REFERENCES units (id) ON DELETE CASCADE,
    CONSTRAINT fk_unit_heads_staff_id FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
);
CREATE INDEX ix_unit_heads_staff_id ON unit_heads (staff_id);
INSERT INTO unit_heads (unit_id, staff_id, start_date, end_date, created_at, created_by)
SELECT unit_id, staff_id, date(created_at), NULL, created_at, created_by FROM unit_heads_copy;
DROP TABLE unit_heads_copy;

CREATE TRIGGER tr_unit_heads_overlap_insert BEFORE INSERT ON unit_heads
WHEN EXISTS (
    SELECT 1 FROM unit_heads o
    WHERE o.unit_id = NEW.unit_id AND o.staff_id = NEW.staff_id
      AND o.start_date <= COALESCE(NEW.end_date, '9999-12-31')
      AND NEW.start_date <= COALESCE(o.end_date, '9999-12-31')
)
BEGIN
    SELECT RAISE(ABORT, 'overlapping period in unit_heads');
END;

CREATE TRIGGER tr_unit_heads_overlap_update BEFORE UPDATE ON unit_heads
WHEN EXISTS (
    SELECT 1 FROM unit_heads o
    WHERE o.unit_id = NEW.unit_id AND o.staff_id = NEW.staff_id
      AND o.start_date <= COALESCE(NEW.end_date, '9999-12-31')
      AND NEW.start_date <= COALESCE(o.end_date, '9999-12-31')
      AND o.id <> NEW.id
)
BEGIN
    SELECT RAISE(ABORT, 'overlapping period in unit_heads');
END;
