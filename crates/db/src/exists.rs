//! Whether a row exists, for the resources that refer to another: a
//! department's head and a works-in link name a staff member and a
//! department. Here rather than in either resource, so neither needs the
//! other.

use crate::schema::{departments, staff};
use crate::{DbConnection, DbError, DbResult};
use diesel::prelude::*;
use directory_domain::{DepartmentId, StaffId};

/// Whether `$table` has a row with the id `$id`.
macro_rules! has_row {
    ($conn:expr, $table:ident, $id:expr) => {
        diesel::select(diesel::dsl::exists($table::table.find($id))).get_result::<bool>($conn)
    };
}
pub(crate) use has_row;

/// Fails with NotFound unless the department exists.
pub fn department_exists(conn: &mut DbConnection, id: DepartmentId) -> DbResult<()> {
    match has_row!(conn, departments, id.0)? {
        true => Ok(()),
        false => Err(DbError::not_found("department", id)),
    }
}

/// Fails with NotFound unless the staff member exists.
pub fn staff_exists(conn: &mut DbConnection, id: StaffId) -> DbResult<()> {
    match has_row!(conn, staff, id.0)? {
        true => Ok(()),
        false => Err(DbError::not_found("staff member", id)),
    }
}
