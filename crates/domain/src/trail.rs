//! The directory's memory: audit events (every change, login, failed login
//! and logout), the history of one record, and the change feed that systems
//! keeping a copy poll.

use crate::AccountId;
use crate::audit::serialize_utc;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", oai(rename_all = "snake_case"))]
pub enum AuditAction {
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was deleted.
    Delete,
    /// A staff member or account was deactivated.
    Deactivate,
    /// A staff member or account was reactivated.
    Reactivate,
    /// A link (a head, a works-in department, an account's role) was made,
    /// or a period changed.
    Link,
    /// A link was removed.
    Unlink,
    /// A period was ended: it is no longer in force from the day after
    /// its new end date.
    End,
    /// An account's password was set, changed or reset (never the password).
    Password,
    /// A successful login.
    Login,
    /// A failed login.
    LoginFailed,
    /// A logout.
    Logout,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [Self; 12] = [
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Deactivate,
        Self::Reactivate,
        Self::Link,
        Self::Unlink,
        Self::End,
        Self::Password,
        Self::Login,
        Self::LoginFailed,
        Self::Logout,
    ];

    /// The name in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Deactivate => "deactivate",
            Self::Reactivate => "reactivate",
            Self::Link => "link",
            Self::Unlink => "unlink",
            Self::End => "end",
            Self::Password => "password",
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
        }
    }

    /// The action stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// The kind of resource an audit event is about: its path name in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", oai(rename_all = "kebab-case"))]
pub enum AuditEntity {
    /// `/departments`.
    Departments,
    /// `/units`.
    Units,
    /// `/cadres`.
    Cadres,
    /// `/designations`.
    Designations,
    /// `/staff`.
    Staff,
    /// `/roles`.
    Roles,
    /// `/accounts`.
    Accounts,
    /// `/buildings`.
    Buildings,
    /// `/floors`.
    Floors,
    /// `/operating-theatres`.
    OperatingTheatres,
    /// A department's heads (`/departments/{id}/heads/{staff_id}`).
    DepartmentHeads,
    /// A unit's heads (`/units/{id}/heads/{staff_id}`).
    UnitHeads,
    /// A staff member's other departments (`/staff/{id}/works-in/{department_id}`).
    WorksIn,
    /// An account's roles (`/accounts/{id}/roles/{role_id}`).
    AccountRoles,
    /// Logins, failed logins and logouts.
    Sessions,
}

impl AuditEntity {
    /// Every entity.
    pub const ALL: [Self; 15] = [
        Self::Departments,
        Self::Units,
        Self::Cadres,
        Self::Designations,
        Self::Staff,
        Self::Roles,
        Self::Accounts,
        Self::Buildings,
        Self::Floors,
        Self::OperatingTheatres,
        Self::DepartmentHeads,
        Self::UnitHeads,
        Self::WorksIn,
        Self::AccountRoles,
        Self::Sessions,
    ];

    /// The name in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Departments => "departments",
            Self::Units => "units",
            Self::Cadres => "cadres",
            Self::Designations => "designations",
            Self::Staff => "staff",
            Self::Roles => "roles",
            Self::Accounts => "accounts",
            Self::Buildings => "buildings",
            Self::Floors => "floors",
            Self::OperatingTheatres => "operating-theatres",
            Self::DepartmentHeads => "department-heads",
            Self::UnitHeads => "unit-heads",
            Self::WorksIn => "works-in",
            Self::AccountRoles => "account-roles",
            Self::Sessions => "sessions",
        }
    }

    /// The entity stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// Whether its events are changes to the directory (the change feed):
    /// everything but logins and logouts.
    pub fn is_change(self) -> bool {
        self != Self::Sessions
    }
}

/// One audit event: who did what to which record, when, and the record's
/// JSON before and after. Passwords, hashes and tokens are never in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct AuditEvent {
    /// Increasing in commit order; the `after` cursor of the next page.
    pub id: i64,
    /// When the change was made (UTC).
    #[serde(serialize_with = "serialize_utc")]
    pub at: DateTime<Utc>,
    /// The account that made it; none for the seed and the system.
    pub actor_id: Option<AccountId>,
    /// What was done.
    pub action: AuditAction,
    /// The kind of resource, as its path in the API names it.
    pub entity: AuditEntity,
    /// The resource's id (`department/staff` for a link).
    pub entity_id: String,
    /// The record's version after the change, for versioned records.
    pub version: Option<i32>,
    /// The resource as the API showed it before; null when it did not exist.
    pub before: Option<serde_json::Value>,
    /// The resource as the API shows it after; null when it no longer exists.
    pub after: Option<serde_json::Value>,
}

/// One committed change, as the change feed lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Change {
    /// Increasing in commit order: poll again with the last one seen.
    pub seq: i64,
    /// When the change was made (UTC).
    #[serde(serialize_with = "serialize_utc")]
    pub at: DateTime<Utc>,
    /// The kind of resource changed.
    pub entity: AuditEntity,
    /// The resource's id (`department/staff` for a link).
    pub entity_id: String,
    /// What was done.
    pub action: AuditAction,
    /// The record's version after the change, for versioned records.
    pub version: Option<i32>,
}

/// One version of a record, from the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct HistoryEntry {
    /// The version this change made.
    pub version: Option<i32>,
    /// When (UTC).
    #[serde(serialize_with = "serialize_utc")]
    pub at: DateTime<Utc>,
    /// Who; none for the seed and the system.
    pub actor_id: Option<AccountId>,
    /// What was done.
    pub action: AuditAction,
    /// The record as it was after this change; null once deleted.
    pub data: Option<serde_json::Value>,
}
