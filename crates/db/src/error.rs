//! The db crate's one error type. Every database failure becomes one of these
//! variants, and the api crate maps each variant to one HTTP status:
//! NotFound 404, Conflict and Invalid 409, Stale 412, Transient, Busy and
//! Unavailable 503, Config and Internal 500 (logged, never shown).

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use directory_domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },

    /// A unique value is taken (`field` names it), or a row is still in use.
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },

    /// If-Match named a version that is no longer current.
    #[error("{entity} {id} has changed: it is at version {current}")]
    Stale {
        entity: &'static str,
        id: String,
        current: i32,
    },

    /// A rule that needs the database to check (unit in department,
    /// supervisor cycles, a referenced row that does not exist).
    #[error(transparent)]
    Invalid(#[from] DomainError),

    /// A deadlock or serialization failure: the transaction lost a race and
    /// may simply be run again.
    #[error("a concurrent change got in the way; try again")]
    Transient(String),

    /// The work could not start within the wait allowed (every database
    /// thread, or every core checking passwords, was busy that long): the
    /// server sheds it rather than queue it.
    #[error("the server is busy; try again shortly")]
    Busy,

    #[error("database unavailable: {0}")]
    Unavailable(String),

    #[error("{0}")]
    Config(String),

    #[error("database error: {0}")]
    Internal(String),
}

impl DbError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn blocked(message: impl Into<String>) -> Self {
        Self::Conflict {
            field: None,
            message: message.into(),
        }
    }

    pub fn taken(field: &str, value: &str) -> Self {
        Self::Conflict {
            field: Some(field.to_owned()),
            message: format!("{field} {value:?} is already taken"),
        }
    }
}

/// Errors that say "run the transaction again".
pub trait Transient {
    fn is_transient(&self) -> bool;
}

impl Transient for DbError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound {
                entity: "row",
                id: String::new(),
            },
            DieselError::DatabaseError(kind, info) => from_database_error(kind, info.as_ref()),
            DieselError::BrokenTransactionManager => {
                Self::Unavailable("the connection's transaction state is broken".into())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<directory_auth::passwords::HashError> for DbError {
    /// Hashing a password to store it failed: the server's fault.
    fn from(error: directory_auth::passwords::HashError) -> Self {
        Self::Internal(error.to_string())
    }
}

fn from_database_error(kind: DatabaseErrorKind, info: &dyn DatabaseErrorInformation) -> DbError {
    let message = info.message();
    match kind {
        DatabaseErrorKind::UniqueViolation => {
            let field = unique_field(info);
            DbError::Conflict {
                message: format!("{field} is already taken"),
                field: Some(field),
            }
        }
        DatabaseErrorKind::ForeignKeyViolation => {
            DbError::blocked("the change conflicts with related records")
        }
        _ if message.contains("ck_") && message.contains("_period") => DbError::Conflict {
            field: Some("end_date".into()),
            message: "a period may not end before it starts".into(),
        },
        // The database's own guard on periods (a trigger on SQLite and
        // MySQL, an exclusion constraint on PostgreSQL); the code checks
        // first and names the clash, so this is a race or a write around it.
        _ if message.contains("overlapping period") || message.contains("_overlap\"") => {
            DbError::Conflict {
                field: Some("start_date".into()),
                message: "the period would overlap another of the same pair".into(),
            }
        }
        DatabaseErrorKind::ClosedConnection => DbError::Unavailable(message.to_owned()),
        DatabaseErrorKind::SerializationFailure => DbError::Transient(message.to_owned()),
        _ if message.contains("Deadlock found") || message.contains("deadlock detected") => {
            DbError::Transient(message.to_owned())
        }
        _ if is_connection_loss(message) => DbError::Unavailable(message.to_owned()),
        _ => DbError::Internal(message.to_owned()),
    }
}

/// MySQL and SQLite report a lost or locked server as an unknown error.
fn is_connection_loss(message: &str) -> bool {
    const SIGNS: [&str; 6] = [
        "gone away",
        "Lost connection",
        "Can't connect",
        "server closed the connection",
        "database is locked",
        "connection refused",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

/// The API field behind a unique constraint, from what each backend reports:
/// PostgreSQL names the constraint, MySQL names the key in the message,
/// SQLite names `table.column`.
fn unique_field(info: &dyn DatabaseErrorInformation) -> String {
    let source = info
        .constraint_name()
        .map(str::to_owned)
        .or_else(|| {
            // MySQL: "Duplicate entry 'x' for key 'staff.uq_staff_email_key'"
            let message = info.message();
            message
                .rsplit_once("for key '")
                .map(|(_, key)| key.trim_end_matches('\'').to_owned())
        })
        .or_else(|| {
            // SQLite: "UNIQUE constraint failed: units.department_id, units.name_key"
            info.message()
                .rsplit_once('.')
                .map(|(_, column)| column.to_owned())
        })
        .unwrap_or_default();
    field_of_constraint(&source)
}

fn field_of_constraint(source: &str) -> String {
    let source = source.rsplit('.').next().unwrap_or(source);
    const KNOWN: [(&str, &str); 4] = [
        ("email_key", "email"),
        ("username_key", "username"),
        ("employee_id", "employee_id"),
        ("uid", "uid"),
    ];
    for (suffix, field) in KNOWN {
        if source.ends_with(suffix) {
            return field.to_owned();
        }
    }
    if source.ends_with("name_key") {
        return "name".to_owned();
    }
    if source.ends_with("_pkey") || source == "PRIMARY" || source.is_empty() {
        return "id".to_owned();
    }
    source.to_owned()
}

#[cfg(test)]
mod tests {
    use super::field_of_constraint;

    #[test]
    fn constraint_names_map_to_api_fields() {
        assert_eq!(field_of_constraint("uq_staff_email_key"), "email");
        assert_eq!(
            field_of_constraint("staff.uq_staff_employee_id"),
            "employee_id"
        );
        assert_eq!(field_of_constraint("name_key"), "name");
        assert_eq!(field_of_constraint("uq_units_department_name_key"), "name");
        assert_eq!(field_of_constraint("username_key"), "username");
        assert_eq!(field_of_constraint("department_heads_pkey"), "id");
    }
}
