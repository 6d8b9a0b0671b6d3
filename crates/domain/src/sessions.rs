//! Logging in and out, the caller's own account, and a password change.

use crate::DomainError;
use crate::accounts::{check_password, check_username};
use crate::validate::Checker;
use crate::{Account, Permission};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

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
