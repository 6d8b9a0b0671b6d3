//! Fake but realistic staff members for load tests: names from `fake`,
//! spread over the departments, units and designations that exist.

use crate::SeedError;
use directory_db::designations::DesignationFilter;
use directory_db::staff;
use directory_db::units::UnitFilter;
use directory_db::writer::{Bulk, bulk_write};
use directory_db::{DbConnection, Page};
use directory_db::{departments, designations, units};
use directory_domain::{DepartmentId, Designation, NewStaff, UnitId};
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The employee-id prefix that marks demo rows.
pub const DEMO_PREFIX: &str = "DEMO-";

/// Adds demo staff members until there are `total`, in one transaction
/// (all or nothing: an interrupted load leaves none of its rows, and the
/// same command run again completes it), numbering on from those already
/// there. Needs the reference data. Returns how many were added.
///
/// A million rows is a bulk write ([`Bulk::LOAD`]), and their creation
/// events are written chunk by chunk rather than held to the commit, so
/// memory stays flat whatever `total` is.
pub fn demo_staff(
    conn: &mut DbConnection,
    total: usize,
    progress: bool,
) -> Result<usize, SeedError> {
    let units = units::list_units(
        conn,
        &UnitFilter::default(),
        None,
        Page {
            limit: 10_000,
            offset: 0,
        },
    )?
    .items;
    let departments = departments::list_departments(
        conn,
        &Default::default(),
        None,
        Page {
            limit: 10_000,
            offset: 0,
        },
    )?
    .items;
    let designations = designations::list_designations(
        conn,
        &DesignationFilter::default(),
        None,
        Page {
            limit: 10_000,
            offset: 0,
        },
    )?
    .items;
    if departments.is_empty() || designations.is_empty() {
        return Err(SeedError::Invalid(
            "demo staff need departments and designations: run the seed first".into(),
        ));
    }
    // Units where a department has them, so unit_id always matches.
    let placements: Vec<(DepartmentId, Option<UnitId>)> = departments
        .iter()
        .flat_map(|d| {
            let own: Vec<_> = units
                .iter()
                .filter(|u| u.department_id == d.id)
                .map(|u| (d.id, Some(u.id)))
                .collect();
            if own.is_empty() {
                vec![(d.id, None)]
            } else {
                own
            }
        })
        .collect();

    let bar = if progress {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("demo staff");
        bar
    } else {
        ProgressBar::hidden()
    };

    let added = directory_db::write_transaction(conn, |conn| -> Result<usize, SeedError> {
        let start = staff::count_with_employee_prefix(conn, DEMO_PREFIX)? as usize;
        let count = total.saturating_sub(start);
        bar.set_length(count as u64);
        bulk_write(conn, Bulk::LOAD, |conn| {
            add(conn, start, count, &placements, &designations, &bar)
        })
    })?;
    bar.finish_and_clear();
    Ok(added)
}

/// Adds `count` demo staff numbered from `start + 1`.
fn add(
    conn: &mut DbConnection,
    start: usize,
    count: usize,
    placements: &[(DepartmentId, Option<UnitId>)],
    designations: &[Designation],
    bar: &ProgressBar,
) -> Result<usize, SeedError> {
    let mut rng = StdRng::seed_from_u64(start as u64);
    let mut added = 0;
    let mut batch = Vec::with_capacity(500);
    for n in start + 1..=start + count {
        let first: String = FirstName(EN).fake_with_rng(&mut rng);
        let last: String = LastName(EN).fake_with_rng(&mut rng);
        let (department_id, unit_id) = placements[rng.random_range(0..placements.len())];
        let designation = &designations[rng.random_range(0..designations.len())];
        batch.push(NewStaff {
            full_name: format!("{first} {last}"),
            employee_id: format!("{DEMO_PREFIX}{n:07}"),
            email: format!(
                "{}.{}.{n}@demo.example.org",
                first
                    .to_lowercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), ""),
                last.to_lowercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "")
            ),
            mobile: format!("+9198{:08}", rng.random_range(0..100_000_000u32)),
            email2: None,
            email3: None,
            mobile2: None,
            mobile3: None,
            office_address: None,
            department_id,
            unit_id,
            designation_id: designation.id,
            supervisor_id: None,
            end_date: None,
        });
        if batch.len() == 500 || n == start + count {
            added += staff::insert_staff_batch(conn, &batch, None)?.len();
            directory_db::audit::write_recorded(conn)?;
            bar.inc(batch.len() as u64);
            batch.clear();
        }
    }
    Ok(added)
}
