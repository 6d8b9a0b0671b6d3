//! Fresh, throwaway databases for tests, on whichever backend
//! `DIRECTORY_TEST_DATABASE_URL` names (a server URL whose database is only
//! used to create and drop others), or a temporary SQLite file by default.

use crate::{Backend, DbConnection, DbError, DbResult, cadres, departments, designations, units};
use diesel::connection::SimpleConnection;
use directory_domain::{
    DepartmentId, DepartmentKind, DesignationId, NewCadre, NewDepartment, NewDesignation, NewStaff,
    NewUnit, UnitId,
};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

pub const TEST_URL_VAR: &str = "DIRECTORY_TEST_DATABASE_URL";

/// A database that exists until this value is dropped.
pub struct TestDatabase {
    pub url: String,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .finish()
    }
}

impl TestDatabase {
    /// Creates an empty database (no migrations run).
    pub fn empty() -> DbResult<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "directory_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        match std::env::var(TEST_URL_VAR).ok().filter(|u| !u.is_empty()) {
            None => Self::sqlite_named(name),
            Some(admin_url) => {
                let mut admin = DbConnection::open(&admin_url)?;
                admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
                let (base, _) = admin_url.rsplit_once('/').ok_or_else(|| {
                    DbError::Config(format!("{TEST_URL_VAR} must end in /<database>"))
                })?;
                Ok(Self {
                    url: format!("{base}/{name}"),
                    admin_url: Some(admin_url),
                    name,
                    _dir: None,
                })
            }
        }
    }

    /// An empty SQLite database in a temporary file, whatever
    /// `DIRECTORY_TEST_DATABASE_URL` says: for what only SQLite has (the
    /// writer thread).
    pub fn sqlite() -> DbResult<Self> {
        Self::sqlite_named(format!("directory_test_{}", std::process::id()))
    }

    fn sqlite_named(name: String) -> DbResult<Self> {
        let dir =
            tempfile::tempdir().map_err(|e| DbError::Unavailable(format!("no temp dir: {e}")))?;
        let url = format!("sqlite://{}/{name}.db", dir.path().display());
        Ok(Self {
            url,
            admin_url: None,
            name,
            _dir: Some(dir),
        })
    }

    /// Creates a database with every migration applied.
    pub fn migrated() -> DbResult<Self> {
        let db = Self::empty()?;
        crate::migrate(&mut db.connect()?)?;
        Ok(db)
    }

    pub fn connect(&self) -> DbResult<DbConnection> {
        DbConnection::open(&self.url)
    }

    pub fn backend(&self) -> Backend {
        Backend::from_url(&self.url).unwrap_or(Backend::Sqlite)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(admin_url) = &self.admin_url else {
            return;
        };
        if let Ok(mut admin) = DbConnection::open(admin_url) {
            let sql = match admin.backend() {
                Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                _ => format!("DROP DATABASE IF EXISTS {}", self.name),
            };
            let _ = admin.batch_execute(&sql);
        }
    }
}

/// Somewhere to put staff: a department (a centre) with one unit, and a
/// designation in a cadre. Most staff tests need exactly this first.
#[derive(Debug, Clone, Copy)]
pub struct Places {
    pub department: DepartmentId,
    pub unit: UnitId,
    pub designation: DesignationId,
}

impl Places {
    /// Creates "Dr RP Centre" with "RPC Unit 1", and "Professor" in the
    /// "Faculty" cadre.
    pub fn create(conn: &mut DbConnection) -> DbResult<Self> {
        let department = departments::create_department(
            conn,
            &NewDepartment {
                name: "Dr RP Centre".into(),
                abbr: Some("RPC".into()),
                kind: DepartmentKind::Centre,
            },
            None,
        )?;
        let unit = units::create_unit(
            conn,
            &NewUnit {
                department_id: department.id,
                name: "RPC Unit 1".into(),
                abbr: Some("U-1".into()),
            },
            None,
        )?;
        let cadre = cadres::create_cadre(
            conn,
            &NewCadre {
                name: "Faculty".into(),
            },
            None,
        )?;
        let designation = designations::create_designation(
            conn,
            &NewDesignation {
                cadre_id: cadre.id,
                name: "Professor".into(),
                abbr: Some("Prof".into()),
            },
            None,
        )?;
        Ok(Self {
            department: department.id,
            unit: unit.id,
            designation: designation.id,
        })
    }

    /// Staff member number `n` here: name, employee id, email and mobile
    /// are unique per `n`.
    pub fn new_staff(self, n: u32) -> NewStaff {
        NewStaff {
            full_name: format!("Staff Member {n}"),
            employee_id: format!("E{n:04}"),
            email: format!("Member{n}@Example.org"),
            mobile: format!("+91981000{n:04}"),
            email2: None,
            email3: None,
            mobile2: None,
            mobile3: None,
            office_address: None,
            department_id: self.department,
            unit_id: Some(self.unit),
            designation_id: self.designation,
            supervisor_id: None,
            end_date: None,
        }
    }
}

/// Runs SQL as it is: for a test that sets up what the API cannot (an end
/// date already past, a lock taken from outside).
pub fn execute_sql(conn: &mut DbConnection, sql: &str) -> DbResult<()> {
    conn.batch_execute(sql)?;
    Ok(())
}

static QUERIES: AtomicUsize = AtomicUsize::new(0);

struct QueryCounter;

impl diesel::connection::Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Counts every statement that connections opened from now on start, in
/// the returned counter: for a test that a list costs the same number of
/// queries whatever its length. The count is the whole process's, so such
/// a test runs alone in its binary.
pub fn count_queries() -> DbResult<&'static AtomicUsize> {
    diesel::connection::set_default_instrumentation(|| Some(Box::new(QueryCounter)))?;
    Ok(&QUERIES)
}
