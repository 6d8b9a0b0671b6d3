//! Staff import from CSV and XLSX, and the CSV export it round-trips with.
//!
//! One library for the API route and `cargo xtask import`, so both read a
//! file the same way and give the same report: [`read`] turns a file into a
//! [`Sheet`] (csv and calamine do the parsing), [`import`] checks every row
//! against the directory and writes all of them or none, and [`export`]
//! writes the staff list in the same columns.

mod columns;
pub mod export;
mod plan;
mod read;

pub use columns::Column;
pub use plan::{Progress, import};
pub use read::{Format, Row, Sheet, read};

use directory_db::DbError;

/// One bad cell of a file: its row as a spreadsheet numbers it (the header
/// is row 1), its column by header name, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CellError {
    pub row: u32,
    pub column: String,
    pub message: String,
}

/// What an import did, or would do (`dry_run`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// Data rows read (blank rows are skipped).
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Why a file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as the format it claims (not UTF-8, not a
    /// workbook, no header row).
    #[error("{0}")]
    File(String),
    /// The header names columns the import does not know, or lacks
    /// required ones.
    #[error("{}", columns_message(.unknown, .missing, .repeated))]
    Columns {
        unknown: Vec<String>,
        missing: Vec<&'static str>,
        repeated: Vec<String>,
    },
    /// Some cells are bad; nothing was written.
    #[error("{} bad cells; nothing was imported", .0.len())]
    Rows(Vec<CellError>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl directory_db::error::Transient for ImportError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Db(e) if e.is_transient())
    }
}

fn columns_message(unknown: &[String], missing: &[&str], repeated: &[String]) -> String {
    let mut parts = Vec::new();
    if !unknown.is_empty() {
        parts.push(format!(
            "unknown columns: {} (the columns are: {})",
            unknown.join(", "),
            Column::ALL.map(Column::name).join(", ")
        ));
    }
    if !missing.is_empty() {
        parts.push(format!("missing required columns: {}", missing.join(", ")));
    }
    if !repeated.is_empty() {
        parts.push(format!("columns named twice: {}", repeated.join(", ")));
    }
    parts.join("; ")
}
