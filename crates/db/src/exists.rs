//! Whether a row exists, for the resources that refer to another: a
//! department's head and a works-in link name a staff member and a
//! department. Here rather than in either resource, so neither needs the
//! other.

use crate::schema::{departments, staff};
use crate::{DbConnection, DbError, DbResult};
use diesel::prelude::*;
use directory_domain::{DepartmentId, StaffId};

/// Fails with NotFound unless the department exists.
pub fn department_exists(conn: &mut DbConnection, id: DepartmentId) -> DbResult<()> {
    let found: Option<i32> = departments::table
        .find(id.0)
        .select(departments::id)
        .first(conn)
        .optional()?;
    found
        .map(|_| ())
        .ok_or_else(|| DbError::not_found("department", id))
}

/// Fails with NotFound unless the staff member exists.
pub fn staff_exists(conn: &mut DbConnection, id: StaffId) -> DbResult<()> {
    let found: Option<i32> = staff::table
        .find(id.0)
        .select(staff::id)
        .first(conn)
        .optional()?;
    found
        .map(|_| ())
        .ok_or_else(|| DbError::not_found("staff member", id))
}
