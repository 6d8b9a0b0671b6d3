//! Functional roles and the permissions they grant.

use crate::limits::{DESCRIPTION_MAX, NAME_MAX};
use crate::validate::Checker;
use crate::{Audit, DomainError, Patch, RoleId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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
    /// Read the audit trail (every change, login and logout).
    #[serde(rename = "audit:read")]
    #[cfg_attr(feature = "openapi", oai(rename = "audit:read"))]
    AuditRead,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Self; 4] = [
        Self::DirectoryRead,
        Self::DirectoryWrite,
        Self::AccountsManage,
        Self::AuditRead,
    ];

    /// The name in JSON and in the database (`directory:read`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectoryRead => "directory:read",
            Self::DirectoryWrite => "directory:write",
            Self::AccountsManage => "accounts:manage",
            Self::AuditRead => "audit:read",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_have_stable_names() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }
}
