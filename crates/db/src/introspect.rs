//! Reads back the schema a backend actually has after migrating: for the
//! drift test against `schema.rs` and the domain's length limits, and for
//! the generated ERD (`cargo xtask erd`).

use crate::{DbConnection, DbError, DbResult};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use std::fmt::Write;

/// A column's type as the three backends agree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColumnType {
    Integer,
    BigInt,
    Text,
    Timestamp,
    Bool,
    Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub column_type: ColumnType,
    pub nullable: bool,
    /// VARCHAR(n)'s n.
    pub max_length: Option<usize>,
    pub primary_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub column: String,
    pub references: String,
    /// `CASCADE`, `SET NULL`, `RESTRICT` or `NO ACTION`.
    pub on_delete: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    nullable: String,
    #[diesel(sql_type = Nullable<Text>)]
    max_length: Option<String>,
    #[diesel(sql_type = Text)]
    primary_key: String,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    references: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// SQLite's full-text search indexes and their shadow tables: not diesel
/// tables, kept by triggers (migrations 000009 and 000015).
fn is_search_index(table: &str) -> bool {
    table.starts_with("staff_search") || table.starts_with("staff_name_words")
}

/// Every table but diesel's own bookkeeping, sorted by name, columns in
/// their declared order.
pub fn tables(conn: &mut DbConnection) -> DbResult<Vec<Table>> {
    let (columns, keys) = match conn.backend() {
        crate::Backend::Sqlite => (
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                 CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END AS nullable, \
                 NULL AS max_length, CASE WHEN p.pk > 0 THEN 'YES' ELSE 'NO' END AS primary_key \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            )
            .load::<ColumnRow>(conn)?,
            diesel::sql_query(
                "SELECT m.name AS table_name, f.\"from\" AS column_name, f.\"table\" AS \"references\", \
                 f.on_delete AS on_delete \
                 FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' ORDER BY m.name, f.\"from\"",
            )
            .load::<ForeignKeyRow>(conn)?,
        ),
        crate::Backend::Postgres => (
            diesel::sql_query(
                "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                 c.data_type::text AS data_type, c.is_nullable::text AS nullable, \
                 c.character_maximum_length::text AS max_length, \
                 CASE WHEN EXISTS (SELECT 1 FROM information_schema.key_column_usage k \
                   JOIN information_schema.table_constraints t ON t.constraint_name = k.constraint_name \
                   AND t.table_schema = k.table_schema \
                   WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema \
                   AND k.table_name = c.table_name AND k.column_name = c.column_name) \
                 THEN 'YES' ELSE 'NO' END AS primary_key \
                 FROM information_schema.columns c WHERE c.table_schema = current_schema() \
                 ORDER BY c.table_name, c.ordinal_position",
            )
            .load::<ColumnRow>(conn)?,
            diesel::sql_query(
                "SELECT cl.relname::text AS table_name, a.attname::text AS column_name, \
                 rt.relname::text AS \"references\", \
                 CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
                   WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_delete \
                 FROM pg_constraint c \
                 JOIN pg_class cl ON cl.oid = c.conrelid \
                 JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = current_schema() \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 JOIN pg_class rt ON rt.oid = c.confrelid \
                 WHERE c.contype = 'f' ORDER BY 1, 2",
            )
            .load::<ForeignKeyRow>(conn)?,
        ),
        crate::Backend::Mysql => (
            diesel::sql_query(
                "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(COLUMN_NAME AS CHAR) AS column_name, \
                 CAST(CASE WHEN COLUMN_TYPE LIKE 'tinyint(1)%' THEN 'boolean' ELSE DATA_TYPE END AS CHAR) AS data_type, \
                 CAST(IS_NULLABLE AS CHAR) AS nullable, \
                 CAST(CHARACTER_MAXIMUM_LENGTH AS CHAR) AS max_length, \
                 CAST(CASE WHEN COLUMN_KEY = 'PRI' THEN 'YES' ELSE 'NO' END AS CHAR) AS primary_key \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
                 ORDER BY TABLE_NAME, ORDINAL_POSITION",
            )
            .load::<ColumnRow>(conn)?,
            diesel::sql_query(
                "SELECT CAST(k.TABLE_NAME AS CHAR) AS table_name, CAST(k.COLUMN_NAME AS CHAR) AS column_name, \
                 CAST(k.REFERENCED_TABLE_NAME AS CHAR) AS `references`, CAST(r.DELETE_RULE AS CHAR) AS on_delete \
                 FROM information_schema.KEY_COLUMN_USAGE k \
                 JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                   ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                 WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
                 ORDER BY 1, 2",
            )
            .load::<ForeignKeyRow>(conn)?,
        ),
    };

    let mut tables: Vec<Table> = Vec::new();
    for row in columns {
        if row.table_name == MIGRATIONS_TABLE || is_search_index(&row.table_name) {
            continue;
        }
        let (column_type, declared_length) = normalise_type(&row.data_type).ok_or_else(|| {
            DbError::Internal(format!(
                "{}.{} has type {} that schema.rs cannot express",
                row.table_name, row.column_name, row.data_type
            ))
        })?;
        let column = Column {
            name: row.column_name,
            column_type,
            nullable: row.nullable == "YES",
            max_length: row
                .max_length
                .and_then(|l| l.parse().ok())
                .or(declared_length),
            primary_key: row.primary_key == "YES",
        };
        match tables.last_mut() {
            Some(table) if table.name == row.table_name => table.columns.push(column),
            _ => tables.push(Table {
                name: row.table_name,
                columns: vec![column],
                foreign_keys: Vec::new(),
            }),
        }
    }
    for key in keys {
        if let Some(table) = tables.iter_mut().find(|t| t.name == key.table_name) {
            table.foreign_keys.push(ForeignKey {
                column: key.column_name,
                references: key.references,
                on_delete: key.on_delete.to_uppercase(),
            });
        }
    }
    for table in &mut tables {
        table.foreign_keys.sort_by(|a, b| a.column.cmp(&b.column));
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tables)
}

/// Maps a backend's type name to the shared type, with a length declared in
/// the type itself (SQLite keeps `VARCHAR(120)` as written).
fn normalise_type(declared: &str) -> Option<(ColumnType, Option<usize>)> {
    let lower = declared.to_lowercase();
    let (base, length) = match lower.split_once('(') {
        Some((base, rest)) => (
            base.trim().to_owned(),
            rest.trim_end_matches(')').parse().ok(),
        ),
        None => (lower.trim().to_owned(), None),
    };
    let column_type = match base.as_str() {
        "integer" | "int" | "int4" => ColumnType::Integer,
        "bigint" | "int8" => ColumnType::BigInt,
        "varchar" | "character varying" | "text" | "mediumtext" | "char" => ColumnType::Text,
        "timestamp" | "timestamp without time zone" | "datetime" => ColumnType::Timestamp,
        "boolean" | "bool" => ColumnType::Bool,
        "date" => ColumnType::Date,
        _ => return None,
    };
    Some((column_type, length))
}

/// A mermaid ER diagram of the tables, for docs/ERD.md.
pub fn mermaid(tables: &[Table]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Entity-relationship diagram\n");
    let _ = writeln!(
        out,
        "Generated by `cargo xtask erd` from the migrated SQLite schema; a test fails when it is stale.\n"
    );
    let _ = writeln!(out, "```mermaid\nerDiagram");
    for table in tables {
        for key in &table.foreign_keys {
            let nullable = table
                .columns
                .iter()
                .any(|c| c.name == key.column && c.nullable);
            let parent = if nullable { "|o" } else { "||" };
            let _ = writeln!(
                out,
                "    {} {}--o{{ {} : \"{} ({})\"",
                key.references,
                parent,
                table.name,
                key.column,
                key.on_delete.to_lowercase()
            );
        }
    }
    for table in tables {
        let _ = writeln!(out, "    {} {{", table.name);
        for column in &table.columns {
            let ty = match column.column_type {
                ColumnType::Integer => "int".to_owned(),
                ColumnType::BigInt => "bigint".to_owned(),
                ColumnType::Text => match column.max_length {
                    Some(n) => format!("varchar_{n}"),
                    None => "text".to_owned(),
                },
                ColumnType::Timestamp => "timestamp".to_owned(),
                ColumnType::Bool => "bool".to_owned(),
                ColumnType::Date => "date".to_owned(),
            };
            let is_fk = table.foreign_keys.iter().any(|k| k.column == column.name);
            let keys = match (column.primary_key, is_fk) {
                (true, true) => " PK,FK",
                (true, false) => " PK",
                (false, true) => " FK",
                (false, false) => "",
            };
            let null = if column.nullable { " \"nullable\"" } else { "" };
            let _ = writeln!(out, "        {ty} {}{keys}{null}", column.name);
        }
        let _ = writeln!(out, "    }}");
    }
    let _ = writeln!(out, "```");
    out
}

/// The tables as `schema.rs` declares them (names, types, nullability),
/// parsed from its text so the test needs no diesel CLI.
pub fn declared_schema(schema_rs: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut current: Option<Table> = None;
    for line in schema_rs.lines().map(str::trim) {
        if let Some(table) = current.as_mut() {
            if line == "}" {
                if let Some(table) = current.take() {
                    tables.push(table);
                }
                continue;
            }
            if let Some((name, ty)) = line.trim_end_matches(',').split_once("->") {
                let ty = ty.trim();
                let (nullable, inner) = match ty.strip_prefix("Nullable<") {
                    Some(inner) => (true, inner.trim_end_matches('>')),
                    None => (false, ty),
                };
                let column_type = match inner {
                    "Integer" => ColumnType::Integer,
                    "BigInt" => ColumnType::BigInt,
                    "Text" => ColumnType::Text,
                    "Timestamp" => ColumnType::Timestamp,
                    "Bool" => ColumnType::Bool,
                    "Date" => ColumnType::Date,
                    _ => continue,
                };
                table.columns.push(Column {
                    name: name.trim().to_owned(),
                    column_type,
                    nullable,
                    max_length: None,
                    primary_key: false,
                });
            }
        } else if line.ends_with('{') && line.contains('(') && !line.starts_with("diesel::") {
            let name = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            current = Some(Table {
                name,
                columns: Vec::new(),
                foreign_keys: Vec::new(),
            });
        }
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    tables
}

/// docs/ERD.md, rendered from a freshly migrated temporary SQLite database.
#[cfg(feature = "sqlite")]
pub fn erd_markdown() -> DbResult<String> {
    let dir = tempfile::tempdir().map_err(|e| DbError::Unavailable(e.to_string()))?;
    let url = format!("sqlite://{}/erd.db", dir.path().display());
    let mut conn = DbConnection::open(&url)?;
    crate::migrate(&mut conn)?;
    Ok(mermaid(&tables(&mut conn)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_type_names_normalise() {
        assert_eq!(
            normalise_type("VARCHAR(120)"),
            Some((ColumnType::Text, Some(120)))
        );
        assert_eq!(
            normalise_type("timestamp without time zone"),
            Some((ColumnType::Timestamp, None))
        );
        assert_eq!(normalise_type("int"), Some((ColumnType::Integer, None)));
        assert_eq!(normalise_type("blob"), None);
    }

    #[test]
    fn schema_rs_parses() {
        let tables = declared_schema(include_str!("schema.rs"));
        assert_eq!(tables.len(), 19);
        let staff = tables.iter().find(|t| t.name == "staff").unwrap();
        let unit = staff.columns.iter().find(|c| c.name == "unit_id").unwrap();
        assert!(unit.nullable);
        assert_eq!(unit.column_type, ColumnType::Integer);
    }
}
