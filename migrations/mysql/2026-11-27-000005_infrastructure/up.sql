CREATE TABLE buildings (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    abbr VARCHAR(20),
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_buildings_name_key UNIQUE (name_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE floors (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    building_id INTEGER NOT NULL,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    abbr VARCHAR(20),
    level INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_floors_building_name_key UNIQUE (building_id, name_key),
    CONSTRAINT fk_floors_building_id FOREIGN KEY (building_id) REFERENCES buildings (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE operating_theatres (
    id INTEGER AUTO_INCREMENT PRIMARY KEY,
    floor_id INTEGER NOT NULL,
    name VARCHAR(120) NOT NULL,
    name_key VARCHAR(120) NOT NULL,
    abbr VARCHAR(20),
    table_count INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL,
    created_by INTEGER,
    updated_at DATETIME(6) NOT NULL,
    updated_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT uq_operating_theatres_floor_name_key UNIQUE (floor_id, name_key),
    CONSTRAINT ck_operating_theatres_table_count CHECK (table_count >= 1),
    CONSTRAINT fk_operating_theatres_floor_id FOREIGN KEY (floor_id) REFERENCES floors (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
