//! The hospital directory's reference data and demo data.
//!
//! [`seed`] loads the reference data (a TOML file; the built-in one is
//! `data/reference.toml`) in one transaction: a failure leaves the database
//! as it was, and a second run finds everything already there and adds
//! nothing. [`demo_staff`] adds fake staff members for load tests.

mod demo;

pub use demo::demo_staff;

use directory_db::{
    DbConnection, DbError, accounts, buildings, cadres, departments, designations, floors,
    operating_theatres, roles, units,
};
use directory_domain::{
    DepartmentKind, DomainError, NewAccount, NewBuilding, NewCadre, NewDepartment, NewDesignation,
    NewFloor, NewOperatingTheatre, NewRole, NewUnit, Permission,
};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// The built-in reference data.
pub const REFERENCE: &str = include_str!("../data/reference.toml");

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed file {path}: {message}")]
    File { path: String, message: String },
    #[error("seed data: {0}")]
    Invalid(String),
    #[error(
        "the admin account does not exist yet and DIRECTORY_ADMIN_PASSWORD is not set; set it to create the account"
    )]
    NoAdminPassword,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl directory_db::error::Transient for SeedError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Db(e) if e.is_transient())
    }
}

impl From<DomainError> for SeedError {
    fn from(e: DomainError) -> Self {
        Self::Invalid(e.to_string())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedData {
    #[serde(default)]
    pub departments: Vec<DepartmentSeed>,
    #[serde(default)]
    pub cadres: Vec<CadreSeed>,
    #[serde(default)]
    pub roles: Vec<RoleSeed>,
    #[serde(default)]
    pub buildings: Vec<BuildingSeed>,
    pub admin: Option<AdminSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentSeed {
    pub name: String,
    pub abbr: Option<String>,
    pub kind: DepartmentKind,
    #[serde(default)]
    pub units: Vec<NamedSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedSeed {
    pub name: String,
    pub abbr: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CadreSeed {
    pub name: String,
    #[serde(default)]
    pub designations: Vec<NamedSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSeed {
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildingSeed {
    pub name: String,
    pub abbr: Option<String>,
    #[serde(default)]
    pub floors: Vec<FloorSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorSeed {
    pub name: String,
    pub abbr: Option<String>,
    pub level: i32,
    #[serde(default)]
    pub theatres: Vec<TheatreSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheatreSeed {
    pub name: String,
    pub abbr: Option<String>,
    pub table_count: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSeed {
    pub username: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

impl SeedData {
    pub fn reference() -> Result<Self, SeedError> {
        Self::parse(REFERENCE, "built-in reference data")
    }

    pub fn load(path: &Path) -> Result<Self, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|e| SeedError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Self, SeedError> {
        toml::from_str(text).map_err(|e| SeedError::File {
            path: origin.to_owned(),
            message: e.to_string(),
        })
    }
}

/// What the administrator's password is, if the account must be created.
#[derive(Clone)]
pub enum AdminPassword {
    /// From DIRECTORY_ADMIN_PASSWORD.
    Given(String),
    /// Development only: make a strong one and report it once.
    Generate,
    /// Refuse to create the account without a password.
    Required,
}

impl fmt::Debug for AdminPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Given(_) => "Given(<redacted>)",
            Self::Generate => "Generate",
            Self::Required => "Required",
        })
    }
}

/// How many of one kind of row were added and how many were already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub what: &'static str,
    pub added: usize,
    pub existing: usize,
}

#[derive(Debug, Default, Clone)]
pub struct SeedReport {
    pub tallies: Vec<Tally>,
    /// Set only when the admin account was created with a generated password;
    /// the caller shows it once, to the person at the terminal.
    pub generated_admin_password: Option<String>,
}

impl SeedReport {
    pub fn added(&self) -> usize {
        self.tallies.iter().map(|t| t.added).sum()
    }

    pub fn tally(&self, what: &str) -> Option<&Tally> {
        self.tallies.iter().find(|t| t.what == what)
    }

    fn count(&mut self, what: &'static str, added: bool) {
        let index = match self.tallies.iter().position(|t| t.what == what) {
            Some(index) => index,
            None => {
                self.tallies.push(Tally {
                    what,
                    added: 0,
                    existing: 0,
                });
                self.tallies.len() - 1
            }
        };
        let tally = &mut self.tallies[index];
        if added {
            tally.added += 1;
        } else {
            tally.existing += 1;
        }
    }
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tallies {
            writeln!(
                f,
                "  {:<20} {:>3} added, {:>3} already there",
                t.what, t.added, t.existing
            )?;
        }
        if self.added() == 0 {
            write!(f, "Nothing added: the reference data was already there.")
        } else {
            write!(f, "Added {} rows.", self.added())
        }
    }
}

/// A strong password for an account nobody has chosen one for yet.
pub fn generate_password() -> String {
    // 24 alphanumerics: about 142 bits.
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// Loads `data` in one transaction; rows that already exist (by their unique
/// name) are left as they are.
pub fn seed(
    conn: &mut DbConnection,
    data: &SeedData,
    admin_password: &AdminPassword,
) -> Result<SeedReport, SeedError> {
    directory_db::write_transaction(conn, |conn| seed_in_transaction(conn, data, admin_password))
}

fn seed_in_transaction(
    conn: &mut DbConnection,
    data: &SeedData,
    admin_password: &AdminPassword,
) -> Result<SeedReport, SeedError> {
    let mut report = SeedReport::default();
    for d in &data.departments {
        let new = NewDepartment {
            name: d.name.clone(),
            abbr: d.abbr.clone(),
            kind: d.kind,
        }
        .validated()?;
        let department = match departments::find_department_by_name(conn, &new.name)? {
            Some(existing) => {
                report.count("departments", false);
                existing
            }
            None => {
                report.count("departments", true);
                departments::create_department(conn, &new, None)?
            }
        };
        for u in &d.units {
            let new = NewUnit {
                department_id: department.id,
                name: u.name.clone(),
                abbr: u.abbr.clone(),
            }
            .validated()?;
            let exists = units::find_unit_by_name(conn, department.id, &new.name)?.is_some();
            if !exists {
                units::create_unit(conn, &new, None)?;
            }
            report.count("units", !exists);
        }
    }
    for c in &data.cadres {
        let new = NewCadre {
            name: c.name.clone(),
        }
        .validated()?;
        let cadre = match cadres::find_cadre_by_name(conn, &new.name)? {
            Some(existing) => {
                report.count("cadres", false);
                existing
            }
            None => {
                report.count("cadres", true);
                cadres::create_cadre(conn, &new, None)?
            }
        };
        for d in &c.designations {
            let new = NewDesignation {
                cadre_id: cadre.id,
                name: d.name.clone(),
                abbr: d.abbr.clone(),
            }
            .validated()?;
            let exists = designations::find_designation_by_name(conn, &new.name)?.is_some();
            if !exists {
                designations::create_designation(conn, &new, None)?;
            }
            report.count("designations", !exists);
        }
    }
    for r in &data.roles {
        let new = NewRole {
            name: r.name.clone(),
            description: r.description.clone(),
            permissions: r.permissions.clone(),
        }
        .validated()?;
        let exists = roles::find_role_by_name(conn, &new.name)?.is_some();
        if !exists {
            roles::create_role(conn, &new, None)?;
        }
        report.count("roles", !exists);
    }
    for b in &data.buildings {
        let new = NewBuilding {
            name: b.name.clone(),
            abbr: b.abbr.clone(),
        }
        .validated()?;
        let building = match buildings::find_building_by_name(conn, &new.name)? {
            Some(existing) => {
                report.count("buildings", false);
                existing
            }
            None => {
                report.count("buildings", true);
                buildings::create_building(conn, &new, None)?
            }
        };
        for fl in &b.floors {
            let new = NewFloor {
                building_id: building.id,
                name: fl.name.clone(),
                abbr: fl.abbr.clone(),
                level: fl.level,
            }
            .validated()?;
            let floor = match floors::find_floor_by_name(conn, building.id, &new.name)? {
                Some(existing) => {
                    report.count("floors", false);
                    existing
                }
                None => {
                    report.count("floors", true);
                    floors::create_floor(conn, &new, None)?
                }
            };
            for t in &fl.theatres {
                let new = NewOperatingTheatre {
                    floor_id: floor.id,
                    name: t.name.clone(),
                    abbr: t.abbr.clone(),
                    table_count: t.table_count,
                }
                .validated()?;
                let exists =
                    operating_theatres::find_theatre_by_name(conn, floor.id, &new.name)?.is_some();
                if !exists {
                    operating_theatres::create_theatre(conn, &new, None)?;
                }
                report.count("operating theatres", !exists);
            }
        }
    }
    if let Some(admin) = &data.admin {
        seed_admin(conn, admin, admin_password, &mut report)?;
    }
    Ok(report)
}

fn seed_admin(
    conn: &mut DbConnection,
    admin: &AdminSeed,
    admin_password: &AdminPassword,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    if accounts::find_account_by_username(conn, &admin.username)?.is_some() {
        // An existing admin keeps the password it has.
        report.count("accounts", false);
        return Ok(());
    }
    let (password, generated) = match admin_password {
        AdminPassword::Given(password) => (password.clone(), false),
        AdminPassword::Generate => (generate_password(), true),
        AdminPassword::Required => return Err(SeedError::NoAdminPassword),
    };
    let mut roles = Vec::new();
    for name in &admin.roles {
        let role = roles::find_role_by_name(conn, name)?.ok_or_else(|| {
            SeedError::Invalid(format!("admin role {name:?} is not in the seed data"))
        })?;
        roles.push(role.id);
    }
    let new = NewAccount {
        username: admin.username.clone(),
        password,
        staff_id: None,
        roles,
    }
    .validated()
    .map_err(|e| {
        // The domain's message names the rule, never the password.
        SeedError::Invalid(format!("admin account: {e}"))
    })?;
    accounts::create_account(conn, &new, None)?;
    report.count("accounts", true);
    if generated {
        report.generated_admin_password = Some(new.password);
    }
    Ok(())
}
