//! Login accounts.

use crate::limits::{PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX};
use crate::validate::{Characters, Checker};
use crate::{AccountId, Audit, DomainError, Patch, RoleId, StaffId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Why an account is inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "snake_case"))]
pub enum DeactivationReason {
    /// Someone deactivated it (`deactivated_by`).
    Manual,
    /// The system did, because the staff member's end date passed.
    EndDate,
}

impl DeactivationReason {
    /// The name in JSON and in the database (`end_date`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::EndDate => "end_date",
        }
    }

    /// Reads a name [`as_str`](Self::as_str) wrote; `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "manual" => Some(Self::Manual),
            "end_date" => Some(Self::EndDate),
            _ => None,
        }
    }
}

/// A login account. The password hash never leaves the db crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Account {
    /// The account's id.
    pub id: AccountId,
    /// Stable public identifier for other applications.
    pub uid: Uuid,
    /// The name to log in with, unique whatever the case.
    pub username: String,
    /// The staff member the account belongs to, if any.
    pub staff_id: Option<StaffId>,
    /// Whether the account can log in.
    pub active: bool,
    /// When the account was deactivated, if it is inactive.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// The account that deactivated it; none if active or if the system did.
    pub deactivated_by: Option<AccountId>,
    /// Why the account is inactive, if it is.
    pub deactivation_reason: Option<DeactivationReason>,
    /// When the account last logged in; none if never.
    pub last_login_at: Option<DateTime<Utc>>,
    /// The roles the account holds.
    pub roles: Vec<RoleId>,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// The password is only ever in memory, on its way to the hasher.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// The name to log in with: ASCII letters, digits and `. _ - @`, unique
    /// whatever the case.
    pub username: String,
    /// At least 8 characters and not the username; spaces count and are
    /// kept.
    pub password: String,
    /// The staff member the account belongs to, if any.
    #[serde(default)]
    pub staff_id: Option<StaffId>,
    /// The roles the account holds; none if left out.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub roles: Vec<RoleId>,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("staff_id", &self.staff_id)
            .field("roles", &self.roles)
            .finish()
    }
}

impl NewAccount {
    /// Trims the username and checks it, the password and the role ids; the
    /// error lists every broken rule.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let username = check_username(&mut c, &self.username);
        for role in &self.roles {
            c.positive_id("roles", role.0);
        }
        check_password(&mut c, "password", &self.password, &username);
        c.finish()?;
        Ok(Self { username, ..self })
    }
}

/// An administrator's change to an account. A new password here ends the
/// account's sessions.
///
/// A field left out stays as it is, a value replaces it, and `null` removes
/// it (only `staff_id`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    /// Renames the account.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub username: Patch<String>,
    /// Changes the staff member the account belongs to.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub staff_id: Patch<StaffId>,
    /// Sets a new password (the rules of a new account apply).
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    #[cfg_attr(feature = "openapi", oai(write_only))]
    pub password: Patch<String>,
}

impl fmt::Debug for AccountPatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountPatch")
            .field("username", &self.username)
            .field("staff_id", &self.staff_id)
            .field("password", &self.password.as_set().map(|_| "<redacted>"))
            .finish()
    }
}

impl AccountPatch {
    /// `current_username` is the stored one, for the password rule.
    pub fn validated(self, current_username: &str) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let username = match &self.username {
            Patch::Set(name) => Patch::Set(check_username(&mut c, name)),
            other => c.patch_required("username", other),
        };
        let effective = username
            .as_set()
            .map_or(current_username, String::as_str)
            .to_owned();
        let password = match &self.password {
            Patch::Set(password) => {
                check_password(&mut c, "password", password, &effective);
                Patch::Set(password.clone())
            }
            other => c.patch_required("password", other),
        };
        c.finish()?;
        Ok(Self {
            username,
            staff_id: self.staff_id,
            password,
        })
    }
}

pub(crate) fn check_username(c: &mut Checker, username: &str) -> String {
    if !c.characters("username", username, Characters::SingleLine) {
        return username.to_owned();
    }
    let raw_len = username.chars().count();
    let username = username.trim().to_owned();
    let len = if raw_len > USERNAME_MAX {
        raw_len
    } else {
        username.chars().count()
    };
    if !(3..=USERNAME_MAX).contains(&len) {
        c.fail(
            "username",
            format!("must be 3 to {USERNAME_MAX} characters"),
        );
    } else if !username
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | '@'))
    {
        c.fail(
            "username",
            "may contain only ASCII letters, digits and . _ - @",
        );
    }
    username
}

/// The password rules (ASVS 2.1): length, not the username. Spaces are
/// allowed and kept, so passphrases work.
pub fn check_password(c: &mut Checker, field: &str, password: &str, username: &str) {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        c.fail(field, format!("must be at least {PASSWORD_MIN} characters"));
    } else if len > PASSWORD_MAX {
        c.fail(field, format!("must be at most {PASSWORD_MAX} characters"));
    } else if password.trim().to_lowercase() == username.trim().to_lowercase() {
        c.fail(field, "must not be the username");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(username: &str, password: &str) -> NewAccount {
        NewAccount {
            username: username.into(),
            password: password.into(),
            staff_id: None,
            roles: vec![],
        }
    }

    #[test]
    fn password_rules() {
        assert!(account("asha", "correct horse").validated().is_ok());
        assert!(account("asha", "short").validated().is_err());
        assert!(account("asha.verma", "Asha.Verma").validated().is_err());
        assert!(
            account("asha", &"x".repeat(PASSWORD_MAX + 1))
                .validated()
                .is_err()
        );
    }

    #[test]
    fn usernames_are_plain() {
        assert!(account("a b", "long enough").validated().is_err());
        assert!(account("ab", "long enough").validated().is_err());
        assert!(
            account("dr.asha-v_1@rpc", "long enough")
                .validated()
                .is_ok()
        );
    }

    #[test]
    fn the_password_is_never_in_debug_output() {
        let text = format!("{:?}", account("asha", "s3cret-passphrase"));
        assert!(!text.contains("s3cret"));
    }
}
