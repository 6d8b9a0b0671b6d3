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
        missing $what:literal, $which:literal
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
                Ok(true)
            });
            crate::settle_link_race(conn, result, exists)
        }

        $(#[$remove_doc])*
        pub fn $remove(conn: &mut DbConnection, $first: $First, $second: $Second) -> DbResult<()> {
            let removed = diesel::delete(
                $table::table
                    .filter($table::$first_column.eq($first.0))
                    .filter($table::$second_column.eq($second.0)),
            )
            .execute(conn)?;
            if removed == 0 {
                return Err(DbError::not_found($what, format!($which)));
            }
            Ok(())
        }
    };
}
pub(crate) use link_table;

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
