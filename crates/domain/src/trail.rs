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
    /// The record's version after the change, for versioned records; for a
    /// dated link, the period row's (which the record's `id` names), none
    /// once it is removed.
    pub version: Option<i32>,
    /// The resource as the API showed it before; null when it did not exist.
    pub before: Option<Snapshot>,
    /// The resource as the API shows it after; null when it no longer exists.
    pub after: Option<Snapshot>,
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
    /// The record's version after the change, for versioned records; for a
    /// dated link, the period row's (which the record's `id` names), none
    /// once it is removed.
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
    pub data: Option<Snapshot>,
}

/// A record's JSON as the trail stored it, handed on as it is.
///
/// Parsing each stored document into a `serde_json::Value` and writing it
/// out again was most of the CPU of a page of audit events; the text was
/// written by the server from the API's own view of the record, so it is
/// sent as stored. It serialises through sonic-rs's `LazyValue`, which the
/// API's renderer (sonic-rs) writes verbatim after checking it is JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(String);

impl Snapshot {
    /// Text the server stored with `serde_json`; it is checked when it is
    /// rendered.
    pub fn stored(text: String) -> Self {
        Self(text)
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document parsed, for a reader that looks inside it.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl From<serde_json::Value> for Snapshot {
    fn from(value: serde_json::Value) -> Self {
        Self(value.to_string())
    }
}

impl Serialize for Snapshot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: sonic_rs::LazyValue<'_> =
            sonic_rs::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(feature = "openapi")]
mod snapshot_schema {
    //! Documented and converted as poem-openapi's `any`, which it was.
    use super::Snapshot;
    use poem_openapi::registry::MetaSchemaRef;
    use poem_openapi::types::{ParseFromJSON, ParseResult, ToJSON, Type};
    use std::borrow::Cow;

    impl Type for Snapshot {
        const IS_REQUIRED: bool = true;
        type RawValueType = Self;
        type RawElementValueType = Self;

        fn name() -> Cow<'static, str> {
            <serde_json::Value as Type>::name()
        }

        fn schema_ref() -> MetaSchemaRef {
            <serde_json::Value as Type>::schema_ref()
        }

        fn as_raw_value(&self) -> Option<&Self> {
            Some(self)
        }

        fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
            Box::new(std::iter::once(self))
        }
    }

    impl ParseFromJSON for Snapshot {
        fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
            Ok(value.unwrap_or_default().into())
        }
    }

    impl ToJSON for Snapshot {
        fn to_json(&self) -> Option<serde_json::Value> {
            Some(self.value())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Snapshot;

    /// The renderer writes the stored text itself, spacing and key order
    /// included, and refuses text that is not JSON rather than sending it.
    #[test]
    fn a_snapshot_renders_as_stored() {
        let stored = r#"{"name":"Cardiology","id":3, "tags":["a","\u00e9"]}"#;
        let rendered = sonic_rs::to_string(&vec![Snapshot::stored(stored.into())]).unwrap();
        assert_eq!(rendered, format!("[{stored}]"));
        assert!(sonic_rs::to_string(&Snapshot::stored("{\"name\":".into())).is_err());
    }
}
