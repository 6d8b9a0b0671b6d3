//! What the FHIR view reads beyond the directory's own lists: works-in and
//! head periods as PractitionerRoles, each with its staff member and
//! organization, loaded a page at a time.

use crate::schema::{department_heads, departments, staff_works_in, unit_heads, units};
use crate::stamp::Stamp;
use crate::{DbConnection, DbResult, utc};
use chrono::NaiveDate;
use diesel::prelude::*;
use directory_domain::{Period, StaffId};
use directory_fhir::map::{Assignment, AssignmentKind};

/// One period row: id, staff, organization id and name, dates, version and
/// last change.
type PeriodRow = (
    i32,
    i32,
    i32,
    String,
    NaiveDate,
    Option<NaiveDate>,
    i32,
    Stamp,
);

/// Which periods of a kind to load.
#[derive(Debug, Clone)]
pub enum Periods<'a> {
    /// These rows.
    Ids(&'a [i32]),
    /// Every period of these staff members.
    OfStaff(&'a [StaffId]),
}

/// Loads `$table`'s periods joined to the organization `$org` they are of.
macro_rules! period_rows {
    ($conn:expr, $table:ident, $org:ident . $org_column:ident, $which:expr) => {{
        let mut query = $table::table.inner_join($org::table).into_boxed();
        query = match $which {
            Periods::Ids(ids) => query.filter($table::id.eq_any(ids.to_vec())),
            Periods::OfStaff(staff) => {
                query.filter($table::staff_id.eq_any(staff.iter().map(|s| s.0).collect::<Vec<_>>()))
            }
        };
        query
            .order($table::id.asc())
            .select((
                $table::id,
                $table::staff_id,
                $table::$org_column,
                $org::name,
                $table::start_date,
                $table::end_date,
                $table::version,
                $table::updated_at,
            ))
            .load::<PeriodRow>($conn)?
    }};
}

/// The periods of one kind that `which` names, each with its staff member
/// (two queries whatever the count).
pub fn assignments(
    conn: &mut DbConnection,
    kind: AssignmentKind,
    which: Periods<'_>,
) -> DbResult<Vec<Assignment>> {
    let rows = match kind {
        AssignmentKind::WorksIn => {
            period_rows!(conn, staff_works_in, departments.department_id, which)
        }
        AssignmentKind::DepartmentHead => {
            period_rows!(conn, department_heads, departments.department_id, which)
        }
        AssignmentKind::UnitHead => period_rows!(conn, unit_heads, units.unit_id, which),
    };
    let mut staff_ids: Vec<StaffId> = rows.iter().map(|row| StaffId(row.1)).collect();
    staff_ids.sort_unstable_by_key(|id| id.0);
    staff_ids.dedup();
    let staff: std::collections::HashMap<i32, directory_domain::Staff> =
        crate::staff::staff_by_ids(conn, &staff_ids)?
            .into_iter()
            .map(|s| (s.id.0, s))
            .collect();
    Ok(rows
        .into_iter()
        .filter_map(
            |(
                id,
                staff_id,
                organization_id,
                organization_name,
                start_date,
                end_date,
                version,
                at,
            )| {
                Some(Assignment {
                    kind,
                    id,
                    staff: staff.get(&staff_id)?.clone(),
                    organization_id,
                    organization_name,
                    period: Period {
                        start_date,
                        end_date,
                    },
                    version,
                    updated_at: utc(at.into()),
                })
            },
        )
        .collect())
}
