//! The first events of rows that were there before the audit trail, so
//! every record has a history.

use crate::audit::Event;
use crate::schema;
use crate::versioned::Versioned;
use crate::{DbConnection, DbResult};
use directory_domain::AuditAction;

/// Gives every row that has no event yet (it was there before the trail) a
/// first one, so its history is never empty; only while nothing has been
/// recorded yet, so it runs once, after the migration that made the trail,
/// and again only if that run failed. One transaction: all or none.
pub(crate) fn first_events(conn: &mut DbConnection) -> DbResult<()> {
    use diesel::prelude::*;
    let recorded: i64 = schema::audit_sequence::table
        .select(schema::audit_sequence::last_id)
        .first(conn)?;
    if recorded > 0 {
        return Ok(());
    }
    crate::write_transaction(conn, |conn| {
        macro_rules! each {
            ($($table:ident by $get:path),+ $(,)?) => {$(
                let ids: Vec<i32> = schema::$table::table
                    .select(schema::$table::id)
                    .order(schema::$table::id.asc())
                    .load(conn)?;
                for (n, id) in ids.into_iter().enumerate() {
                    first_event(&$get(conn, id.into())?)?.record()?;
                    if n % 1000 == 999 {
                        // Bounded memory: the events so far, written.
                        crate::audit::flush(conn)?;
                    }
                }
            )+};
        }
        each!(
            departments by crate::departments::get_department,
            units by crate::units::get_unit,
            cadres by crate::cadres::get_cadre,
            designations by crate::designations::get_designation,
            staff by crate::staff::get_staff,
            roles by crate::roles::get_role,
            accounts by crate::accounts::get_account,
            buildings by crate::buildings::get_building,
            floors by crate::floors::get_floor,
            operating_theatres by crate::operating_theatres::get_theatre,
        );
        Ok(())
    })
}

/// The first event of a row that was there before the trail: its creation
/// if it never changed, else its last change (what it was before is not
/// known).
fn first_event<T: Versioned>(record: &T) -> DbResult<Event> {
    let audit = record.audit();
    let event = if audit.version == 1 {
        Event::new(
            T::ENTITY,
            record.id(),
            AuditAction::Create,
            audit.created_by,
        )
        .at(audit.created_at.naive_utc())
    } else {
        Event::new(
            T::ENTITY,
            record.id(),
            AuditAction::Update,
            audit.updated_by,
        )
        .at(audit.updated_at.naive_utc())
    };
    event.version(audit.version).after(record)
}
