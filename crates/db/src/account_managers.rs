//! The rule that some account can always log in and manage accounts, kept
//! by every change that could break it (roles, accounts, staff end dates).

use crate::schema::{account_roles, accounts, role_permissions, staff};
use crate::{DbConnection, DbError, DbResult, now};
use diesel::prelude::*;
use directory_domain::Permission;

/// How many accounts can log in today and manage accounts: active, not
/// linked to a staff member whose end date has passed (login refuses them
/// before the sweep deactivates them), with a role that grants
/// `accounts:manage`.
fn account_managers(conn: &mut DbConnection) -> DbResult<i64> {
    let managing = account_roles::table
        .inner_join(
            role_permissions::table.on(role_permissions::role_id.eq(account_roles::role_id)),
        )
        .filter(role_permissions::permission.eq(Permission::AccountsManage.as_str()))
        .select(account_roles::account_id);
    let ended = staff::table
        .filter(staff::end_date.lt(now().date()))
        .select(staff::id.nullable());
    Ok(accounts::table
        .filter(accounts::active.eq(true))
        .filter(accounts::id.eq_any(managing))
        .filter(
            accounts::staff_id
                .is_null()
                .or(diesel::dsl::not(accounts::staff_id.eq_any(ended))),
        )
        .count()
        .get_result(conn)?)
}

/// [`keeping_an_account_manager`] when `guarded`, else `change` alone:
/// for changes that only sometimes touch who can manage accounts.
pub(crate) fn keeping_an_account_manager_if<T>(
    guarded: bool,
    conn: &mut DbConnection,
    change: impl FnOnce(&mut DbConnection) -> DbResult<T>,
) -> DbResult<T> {
    if guarded {
        keeping_an_account_manager(conn, change)
    } else {
        change(conn)
    }
}

/// Makes `change` (a transaction's whole body) fail with 409 if it leaves no
/// account that can log in and manage accounts: nobody could give the
/// permission back, and the hospital would need its database's owner (or
/// `xtask accounts reset-password` on the server) to get in again.
///
/// Two such changes at once (two administrators demoting each other) each
/// see the other's manager still there; on PostgreSQL and MySQL they are
/// put in line first by a no-op update of the `accounts:manage` grants,
/// taken before the transaction reads anything, so the later one counts
/// after the earlier one commits. SQLite has one writer already.
pub(crate) fn keeping_an_account_manager<T>(
    conn: &mut DbConnection,
    change: impl FnOnce(&mut DbConnection) -> DbResult<T>,
) -> DbResult<T> {
    if conn.backend() != crate::Backend::Sqlite {
        let grants = role_permissions::table
            .filter(role_permissions::permission.eq(Permission::AccountsManage.as_str()));
        diesel::update(grants)
            .set(role_permissions::permission.eq(role_permissions::permission))
            .execute(conn)?;
    }
    let before = account_managers(conn)?;
    let value = change(conn)?;
    if before > 0 && account_managers(conn)? == 0 {
        return Err(DbError::blocked(
            "this would leave no account that can log in with the accounts:manage \
             permission; give that permission to another account first",
        ));
    }
    Ok(value)
}
