//! Login accounts and the functional roles that grant permissions.

use crate::limits::{DESCRIPTION_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX};
use crate::validate::{Characters, Checker};
use crate::{AccountId, Audit, DomainError, Patch, RoleId, StaffId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// What a role lets its accounts do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
pub enum Permission {
    /// Read departments, staff, infrastructure: the whole directory.
    #[serde(rename = "directory:read")]
    #[cfg_attr(feature = "openapi", oai(rename = "directory:read"))]
    DirectoryRead,
    /// Create, change and delete directory entries.
    #[serde(rename = "directory:write")]
    #[cfg_attr(feature = "openapi", oai(rename = "directory:write"))]
    DirectoryWrite,
    /// Create and change accounts and roles.
    #[serde(rename = "accounts:manage")]
    #[cfg_attr(feature = "openapi", oai(rename = "accounts:manage"))]
    AccountsManage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Self; 3] = [
        Self::DirectoryRead,
        Self::DirectoryWrite,
        Self::AccountsManage,
    ];

    /// The name in JSON and in the database (`directory:read`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectoryRead => "directory:read",
            Self::DirectoryWrite => "directory:write",
            Self::AccountsManage => "accounts:manage",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| DomainError::field("permissions", format!("unknown permission {s:?}")))
    }
}

/// A functional role: a named set of permissions that accounts hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Role {
    /// The role's id.
    pub id: RoleId,
    /// The name, unique among roles whatever the case.
    pub name: String,
    /// What the role is for, if said; may span several lines.
    pub description: Option<String>,
    /// What the role allows, sorted, each once.
    pub permissions: Vec<Permission>,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// The name, unique among roles whatever the case.
    pub name: String,
    /// What the role is for, if said; may span several lines.
    #[serde(default)]
    pub description: Option<String>,
    /// What the role allows; none if left out. Repeats are dropped.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub permissions: Vec<Permission>,
}

impl NewRole {
    /// Tidies the fields, sorts the permissions and drops repeats, and checks
    /// every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let name = c.text("name", &self.name, NAME_MAX);
        let description =
            c.opt_free_text("description", self.description.as_deref(), DESCRIPTION_MAX);
        c.finish()?;
        Ok(Self {
            name,
            description,
            permissions: dedup(self.permissions),
        })
    }
}

/// A change to a role: a field left out stays as it is, a value replaces it,
/// and `null` removes it (only `description`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// Renames the role.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    /// Changes what the role is said to be for.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub description: Patch<String>,
    /// Replaces the whole set.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub permissions: Patch<Vec<Permission>>,
}

impl RolePatch {
    /// Tidies the fields given and checks every rule, refusing `null` for a
    /// required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let patch = Self {
            name: c.patch_text("name", &self.name, NAME_MAX),
            description: c.patch_free_text("description", &self.description, DESCRIPTION_MAX),
            permissions: c
                .patch_required("permissions", &self.permissions)
                .map(dedup),
        };
        c.finish()?;
        Ok(patch)
    }
}

fn dedup(mut permissions: Vec<Permission>) -> Vec<Permission> {
    permissions.sort();
    permissions.dedup();
    permissions
}

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

/// `POST /auth/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's username, whatever the case.
    pub username: String,
    /// The account's password.
    #[cfg_attr(feature = "openapi", oai(write_only))]
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl LoginRequest {
    /// A username no account could have (see the account rules) is a
    /// malformed request, answered before any lookup; the password is only
    /// ever compared with a hash, so any text will do.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let username = check_username(&mut c, &self.username);
        c.finish()?;
        Ok(Self { username, ..self })
    }
}

/// The answer to a successful login.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// When the token stops working; log in again after that.
    pub expires_at: DateTime<Utc>,
    /// The account that logged in, with its roles and permissions.
    pub account: Me,
}

impl fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginResponse")
            .field("access_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("account", &self.account)
            .finish()
    }
}

/// The caller's own account, with what its roles allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Me {
    /// The account itself.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub account: Account,
    /// The names of the account's roles.
    pub role_names: Vec<String>,
    /// The union of the roles' permissions.
    pub permissions: Vec<Permission>,
}

/// `POST /auth/password`: change one's own password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    #[cfg_attr(feature = "openapi", oai(write_only))]
    pub current_password: String,
    /// The new password: at least 8 characters, not the username, and not
    /// the current password.
    #[cfg_attr(feature = "openapi", oai(write_only))]
    pub new_password: String,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordChange { <redacted> }")
    }
}

impl PasswordChange {
    /// Checks the new password against the rules; `username` is the account's,
    /// which the password must not be.
    pub fn validated(self, username: &str) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        check_password(&mut c, "new_password", &self.new_password, username);
        if self.new_password == self.current_password {
            c.fail("new_password", "must differ from the current password");
        }
        c.finish()?;
        Ok(self)
    }
}

fn check_username(c: &mut Checker, username: &str) -> String {
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

    #[test]
    fn permissions_have_stable_names() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }
}
