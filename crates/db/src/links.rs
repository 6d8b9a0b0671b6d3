//! Link tables (a department's heads, a unit's heads, the departments a
//! staff member also works in): one way to put a link, to remove one, and
//! to read a set of heads.

/// Defines `put` (true when the link is new; a link already there, or put
/// by a concurrent identical request, is not an error) and `remove` (404
/// when there is no such link) for a link table of two ids, each end
/// checked to exist first (404).
macro_rules! link_table {
    (
        $(#[$put_doc:meta])* put $put:ident,
        $(#[$remove_doc:meta])* remove $remove:ident,
        $table:ident {
            $first:ident: $First:ty = $first_column:ident, checked by $first_check:path;
            $second:ident: $Second:ty = $second_column:ident, checked by $second_check:path;
        }
        missing $what:literal, $which:literal,
        recorded as $entity:ident
    ) => {
        $(#[$put_doc])*
        pub fn $put(
            conn: &mut DbConnection,
            $first: $First,
            $second: $Second,
            actor: Actor,
        ) -> DbResult<bool> {
            let exists = |conn: &mut DbConnection| -> DbResult<bool> {
                let found: i64 = $table::table
                    .filter($table::$first_column.eq($first.0))
                    .filter($table::$second_column.eq($second.0))
                    .count()
                    .get_result(conn)?;
                Ok(found > 0)
            };
            let result = crate::write_transaction(conn, |conn| {
                $first_check(conn, $first)?;
                $second_check(conn, $second)?;
                if exists(conn)? {
                    return Ok(false);
                }
                diesel::insert_into($table::table)
                    .values((
                        $table::$first_column.eq($first.0),
                        $table::$second_column.eq($second.0),
                        $table::created_at.eq(crate::now()),
                        $table::created_by.eq(actor.map(|a| a.0)),
                    ))
                    .execute(conn)?;
                $crate::links::link_event(
                    directory_domain::AuditEntity::$entity,
                    (stringify!($first_column), $first.0),
                    (stringify!($second_column), $second.0),
                    directory_domain::AuditAction::Link,
                    actor,
                )?;
                Ok(true)
            });
            crate::settle_link_race(conn, result, exists)
        }

        $(#[$remove_doc])*
        pub fn $remove(
            conn: &mut DbConnection,
            $first: $First,
            $second: $Second,
            actor: Actor,
        ) -> DbResult<()> {
            crate::write_transaction(conn, |conn| {
                let removed = diesel::delete(
                    $table::table
                        .filter($table::$first_column.eq($first.0))
                        .filter($table::$second_column.eq($second.0)),
                )
                .execute(conn)?;
                if removed == 0 {
                    return Err(DbError::not_found($what, format!($which)));
                }
                $crate::links::link_event(
                    directory_domain::AuditEntity::$entity,
                    (stringify!($first_column), $first.0),
                    (stringify!($second_column), $second.0),
                    directory_domain::AuditAction::Unlink,
                    actor,
                )
            })
        }
    };
}
pub(crate) use link_table;

/// The trail's record of a link made or removed: the link as JSON (its two
/// ids by column name), after for a link, before for an unlink.
pub(crate) fn link_event(
    entity: directory_domain::AuditEntity,
    first: (&str, i32),
    second: (&str, i32),
    action: directory_domain::AuditAction,
    actor: crate::Actor,
) -> crate::DbResult<()> {
    let mut link = serde_json::Map::new();
    link.insert(first.0.to_owned(), first.1.into());
    link.insert(second.0.to_owned(), second.1.into());
    let event =
        crate::audit::Event::new(entity, format!("{}/{}", first.1, second.1), action, actor);
    match action {
        directory_domain::AuditAction::Unlink => event.before(&link)?,
        _ => event.after(&link)?,
    }
    .record()
}

/// The heads linked in `$table` to each of `$ids` (its `$column`), with
/// their designation's name, in one query, ordered by id then name: pairs
/// of the id (as i32) and the head.
macro_rules! heads_of {
    ($conn:expr, $table:ident . $column:ident, $ids:expr) => {{
        use $crate::schema::{designations, staff};
        let rows: Vec<(i32, i32, String, String)> = $table::table
            .inner_join(staff::table.inner_join(designations::table))
            .filter($table::$column.eq_any($ids))
            .order(($table::$column.asc(), staff::full_name.asc()))
            .select((
                $table::$column,
                staff::id,
                staff::full_name,
                designations::name,
            ))
            .load($conn)?;
        rows.into_iter()
            .map(|(of, id, full_name, designation_name)| {
                let head = directory_domain::StaffRef {
                    id: directory_domain::StaffId(id),
                    full_name,
                    designation_name,
                };
                (of, head)
            })
    }};
}
pub(crate) use heads_of;
