//! Login accounts, their roles and passwords, and the rule that one account
//! must always be able to manage accounts.

use crate::account_managers::keeping_an_account_manager;
use crate::connection::MultiBackend;
use crate::query::{page_of, sort_fields};
use crate::roles::role_row;
use crate::schema::{account_roles, accounts, role_permissions, roles, sessions, staff};
use crate::versioned::{self, AuditColumns, Target, at_version, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now, utc};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_auth::passwords::{self, NewHash};
use directory_domain::validate::unique_key;
use directory_domain::{
    Account, AccountId, AccountPatch, DeactivationReason, DomainError, NewAccount, Patch,
    Permission, RoleId, StaffId,
};
use directory_domain::{AuditAction, AuditEntity};
use std::collections::BTreeMap;
use uuid::Uuid;

// ---- accounts --------------------------------------------------------------

/// Every column but the password hash, which stays in the table.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = accounts)]
struct AccountRow {
    id: i32,
    uid: String,
    username: String,
    staff_id: Option<i32>,
    active: bool,
    deactivated_at: Option<NaiveDateTime>,
    deactivated_by: Option<i32>,
    last_login_at: Option<NaiveDateTime>,
    #[diesel(embed)]
    audit: AuditColumns<accounts::table>,
    deactivation_reason: Option<String>,
}

sort_fields!(
    /// How account lists may be ordered.
    AccountSort { Username => "username", CreatedAt => "created_at", LastLoginAt => "last_login_at" }
);

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub staff_id: Option<StaffId>,
    pub active: Option<bool>,
    pub role_id: Option<RoleId>,
    pub q: Option<String>,
}

/// Turns rows into accounts, loading all their role ids in one query.
fn with_roles(conn: &mut DbConnection, rows: Vec<AccountRow>) -> DbResult<Vec<Account>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(i32, i32)> = account_roles::table
        .filter(account_roles::account_id.eq_any(ids))
        .order((
            account_roles::account_id.asc(),
            account_roles::role_id.asc(),
        ))
        .select((account_roles::account_id, account_roles::role_id))
        .load(conn)?;
    let mut by_account: BTreeMap<i32, Vec<RoleId>> = BTreeMap::new();
    for (account, role) in pairs {
        by_account.entry(account).or_default().push(RoleId(role));
    }
    rows.into_iter()
        .map(|row| {
            Ok(Account {
                id: AccountId(row.id),
                uid: Uuid::parse_str(&row.uid)
                    .map_err(|_| DbError::Internal(format!("account {} has a bad uid", row.id)))?,
                username: row.username,
                staff_id: row.staff_id.map(StaffId),
                active: row.active,
                deactivated_at: row.deactivated_at.map(utc),
                deactivated_by: row.deactivated_by.map(AccountId),
                deactivation_reason: row
                    .deactivation_reason
                    .as_deref()
                    .and_then(DeactivationReason::parse),
                last_login_at: row.last_login_at.map(utc),
                roles: by_account.remove(&row.id).unwrap_or_default(),
                audit: row.audit.into(),
            })
        })
        .collect()
}

fn account_row(conn: &mut DbConnection, id: AccountId) -> DbResult<AccountRow> {
    accounts::table
        .find(id.0)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("account", id))
}

pub fn get_account(conn: &mut DbConnection, id: AccountId) -> DbResult<Account> {
    let row = account_row(conn, id)?;
    Ok(with_roles(conn, vec![row])?.remove(0))
}

pub fn find_account_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> DbResult<Option<Account>> {
    let row = accounts::table
        .filter(accounts::username_key.eq(unique_key(username.trim())))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => Ok(with_roles(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

fn check_roles_exist(conn: &mut DbConnection, role_ids: &[RoleId]) -> DbResult<()> {
    let ids: Vec<i32> = role_ids.iter().map(|r| r.0).collect();
    let found: Vec<i32> = roles::table
        .filter(roles::id.eq_any(&ids))
        .select(roles::id)
        .load(conn)?;
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !found.contains(id))
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DomainError::field("roles", format!("no such role: {}", missing.join(", "))).into())
    }
}

/// Creates an account with its roles; the password is hashed here (see
/// [`create_account_with`] to hash it first, away from the connection).
pub fn create_account(
    conn: &mut DbConnection,
    new: &NewAccount,
    actor: Actor,
) -> DbResult<Account> {
    create_account_with(conn, new, &NewHash::of(&new.password)?, actor)
}

/// Creates an account with its roles and `hash`, made from `new.password`.
pub fn create_account_with(
    conn: &mut DbConnection,
    new: &NewAccount,
    hash: &NewHash,
    actor: Actor,
) -> DbResult<Account> {
    let hash = hash.stored();
    let at = now();
    let by = actor.map(|a| a.0);
    let uid = Uuid::new_v4().to_string();
    versioned::create(conn, actor, |conn| {
        if let Some(staff_id) = new.staff_id {
            crate::referenced(
                crate::exists::staff_exists(conn, staff_id),
                "staff_id",
                || format!("staff member {staff_id} does not exist"),
            )?;
        }
        check_roles_exist(conn, &new.roles)?;
        diesel::insert_into(accounts::table)
            .values((
                accounts::uid.eq(&uid),
                accounts::username.eq(&new.username),
                accounts::username_key.eq(unique_key(&new.username)),
                accounts::password_hash.eq(&hash),
                accounts::staff_id.eq(new.staff_id.map(|s| s.0)),
                accounts::active.eq(true),
                accounts::password_changed_at.eq(at),
                accounts::created_at.eq(at),
                accounts::created_by.eq(by),
                accounts::updated_at.eq(at),
                accounts::updated_by.eq(by),
                accounts::version.eq(1),
            ))
            .execute(conn)?;
        let id: i32 = accounts::table
            .filter(accounts::uid.eq(&uid))
            .select(accounts::id)
            .first(conn)?;
        for role in &new.roles {
            add_role_link(conn, id, role.0, by)?;
        }
        get_account(conn, AccountId(id))
    })
}

fn add_role_link(
    conn: &mut DbConnection,
    account: i32,
    role: i32,
    by: Option<i32>,
) -> DbResult<()> {
    diesel::insert_into(account_roles::table)
        .values((
            account_roles::account_id.eq(account),
            account_roles::role_id.eq(role),
            account_roles::created_at.eq(now()),
            account_roles::created_by.eq(by),
        ))
        .execute(conn)?;
    Ok(())
}

/// The trail's record of a role given to or taken from an account.
fn role_link_event(
    account: AccountId,
    role: RoleId,
    action: AuditAction,
    actor: Actor,
) -> DbResult<()> {
    crate::links::link_event(
        AuditEntity::AccountRoles,
        ("account_id", account.0),
        ("role_id", role.0),
        action,
        (None, None),
        None,
        actor,
    )
}

/// Gives an account a role; true if it is new.
pub fn put_account_role(
    conn: &mut DbConnection,
    account: AccountId,
    role: RoleId,
    actor: Actor,
) -> DbResult<bool> {
    let exists = |conn: &mut DbConnection| -> DbResult<bool> {
        let found: i64 = account_roles::table
            .filter(account_roles::account_id.eq(account.0))
            .filter(account_roles::role_id.eq(role.0))
            .count()
            .get_result(conn)?;
        Ok(found > 0)
    };
    let result = crate::write_transaction(conn, |conn| {
        account_row(conn, account)?;
        role_row(conn, role)?;
        if exists(conn)? {
            return Ok(false);
        }
        add_role_link(conn, account.0, role.0, actor.map(|a| a.0))?;
        role_link_event(account, role, AuditAction::Link, actor)?;
        Ok(true)
    });
    crate::settle_link_race(conn, result, exists)
}

/// Takes a role from an account, unless it was the last active account
/// manager's only way to manage accounts.
pub fn remove_account_role(
    conn: &mut DbConnection,
    account: AccountId,
    role: RoleId,
    actor: Actor,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        keeping_an_account_manager(conn, |conn| {
            let removed = diesel::delete(
                account_roles::table
                    .filter(account_roles::account_id.eq(account.0))
                    .filter(account_roles::role_id.eq(role.0)),
            )
            .execute(conn)?;
            if removed == 0 {
                return Err(DbError::not_found(
                    "account role",
                    format!("{role} of account {account}"),
                ));
            }
            role_link_event(account, role, AuditAction::Unlink, actor)
        })
    })
}

/// The union of an account's roles' permissions.
pub fn permissions_of(conn: &mut DbConnection, account: AccountId) -> DbResult<Vec<Permission>> {
    let names: Vec<String> = account_roles::table
        .inner_join(
            role_permissions::table.on(role_permissions::role_id.eq(account_roles::role_id)),
        )
        .filter(account_roles::account_id.eq(account.0))
        .select(role_permissions::permission)
        .distinct()
        .load(conn)?;
    let mut permissions: Vec<Permission> = names.iter().filter_map(|n| n.parse().ok()).collect();
    permissions.sort();
    Ok(permissions)
}

fn filtered_accounts(filter: &AccountFilter) -> accounts::BoxedQuery<'static, MultiBackend> {
    let mut query = accounts::table.into_boxed();
    if let Some(staff_id) = filter.staff_id {
        query = query.filter(accounts::staff_id.eq(staff_id.0));
    }
    if let Some(active) = filter.active {
        query = query.filter(accounts::active.eq(active));
    }
    if let Some(role) = filter.role_id {
        query = query.filter(
            accounts::id.eq_any(
                account_roles::table
                    .filter(account_roles::role_id.eq(role.0))
                    .select(account_roles::account_id),
            ),
        );
    }
    if let Some(q) = &filter.q {
        query = query.filter(accounts::username_key.like(like_pattern(q)));
    }
    query
}

pub fn list_accounts(
    conn: &mut DbConnection,
    filter: &AccountFilter,
    sort: Option<Sort<AccountSort>>,
    page: Page,
) -> DbResult<Paged<Account>> {
    let rows = page_of!(conn, AccountRow, filtered_accounts(filter), page, sort, accounts::id, {
        AccountSort::Username => accounts::username_key,
        AccountSort::CreatedAt => accounts::created_at,
        AccountSort::LastLoginAt => accounts::last_login_at,
    });
    rows.try_map_all(|rows| with_roles(conn, rows))
}

/// Sets a new password (already validated against the rules) and ends the
/// account's sessions except `keep`.
pub fn set_password(
    conn: &mut DbConnection,
    id: AccountId,
    password: &str,
    keep_session: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    store_password(conn, id, &NewHash::of(password)?, None, keep_session, actor)
}

/// Changes one's own password in two steps around the CPU work: the
/// caller reads [`LoginCandidate::of_account`], checks the current
/// password and hashes the new one away from the connection, then stores
/// it here, unless the password changed meanwhile (then the current
/// password checked is no longer the current one: 409). Other sessions
/// end; the caller's stays.
pub fn change_checked_password(
    conn: &mut DbConnection,
    matched: &PasswordMatch,
    hash: &NewHash,
    session: i32,
) -> DbResult<()> {
    store_password(
        conn,
        matched.id,
        hash,
        Some(&matched.checked),
        Some(session),
        Some(matched.id),
    )
}

fn store_password(
    conn: &mut DbConnection,
    id: AccountId,
    hash: &NewHash,
    unless_changed_from: Option<&str>,
    keep_session: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let hash = hash.stored();
    let target = Target::new("account", id.0, None, actor).recorded_as(AuditAction::Password);
    crate::write_transaction(conn, |conn| {
        versioned::update(
            conn,
            target,
            |c| get_account(c, id),
            |conn, before| {
                if let Some(checked) = unless_changed_from {
                    let stored: String = accounts::table
                        .find(id.0)
                        .select(accounts::password_hash)
                        .first(conn)?;
                    if stored != checked {
                        return Err(DbError::blocked(
                            "the password changed while this request was checked; try again",
                        ));
                    }
                }
                let at = now();
                Ok(diesel::update(at_version!(accounts, target, before))
                    .set((
                        accounts::password_hash.eq(&hash),
                        accounts::password_changed_at.eq(at),
                        touched!(accounts, actor, at),
                    ))
                    .execute(conn)?)
            },
        )?;
        end_sessions_of(conn, id, keep_session)?;
        Ok(())
    })
}

/// An administrator's change to an account (username, staff member,
/// password). A new password ends every session of the account but
/// `keep_session` (the caller's own, when the account is theirs, as a
/// password change at `/auth/password` does).
pub fn update_account(
    conn: &mut DbConnection,
    id: AccountId,
    expected_version: Option<i32>,
    patch: &AccountPatch,
    actor: Actor,
    keep_session: Option<i32>,
) -> DbResult<Account> {
    let hash = match patch.password.as_set() {
        Some(password) => Some(NewHash::of(password)?),
        None => None,
    };
    update_account_with(
        conn,
        id,
        expected_version,
        patch,
        hash.as_ref(),
        actor,
        keep_session,
    )
}

/// [`update_account`] with the new password, if the patch sets one,
/// hashed first (`hash`, made from `patch.password`).
pub fn update_account_with(
    conn: &mut DbConnection,
    id: AccountId,
    expected_version: Option<i32>,
    patch: &AccountPatch,
    hash: Option<&NewHash>,
    actor: Actor,
    keep_session: Option<i32>,
) -> DbResult<Account> {
    let hash = hash.map(NewHash::stored);
    let mut target = Target::new("account", id.0, expected_version, actor);
    if hash.is_some() {
        target = target.recorded_as(AuditAction::Password);
    }
    crate::write_transaction(conn, |conn| {
        let updated = versioned::update(
            conn,
            target,
            |c| get_account(c, id),
            |conn, before| {
                if let Patch::Set(staff_id) = &patch.staff_id {
                    crate::referenced(
                        crate::exists::staff_exists(conn, *staff_id),
                        "staff_id",
                        || format!("staff member {staff_id} does not exist"),
                    )?;
                }
                let at = now();
                let username = patch.username.as_set();
                let staff_id = patch.staff_id.clone().into_nullable();
                Ok(diesel::update(at_version!(accounts, target, before))
                    .set((
                        username.map(|u| accounts::username.eq(u.clone())),
                        username.map(|u| accounts::username_key.eq(unique_key(u))),
                        staff_id.map(|s| accounts::staff_id.eq(s.map(|s| s.0))),
                        hash.as_ref().map(|h| accounts::password_hash.eq(*h)),
                        hash.as_ref().map(|_| accounts::password_changed_at.eq(at)),
                        touched!(accounts, actor, at),
                    ))
                    .execute(conn)?)
            },
        )?;
        if hash.is_some() {
            end_sessions_of(conn, id, keep_session)?;
        }
        Ok(updated)
    })
}

/// Deactivates (ending its sessions) or reactivates an account, recording
/// who, when and why.
pub fn set_account_active(
    conn: &mut DbConnection,
    id: AccountId,
    active: bool,
    actor: Actor,
) -> DbResult<Account> {
    crate::write_transaction(conn, |conn| {
        if active {
            switch_account(conn, id, true, actor)
        } else {
            keeping_an_account_manager(conn, |conn| switch_account(conn, id, false, actor))
        }
    })
}

fn switch_account(
    conn: &mut DbConnection,
    id: AccountId,
    active: bool,
    actor: Actor,
) -> DbResult<Account> {
    let target = Target::new("account", id.0, None, actor).recorded_as(if active {
        AuditAction::Reactivate
    } else {
        AuditAction::Deactivate
    });
    let read = |c: &mut DbConnection| get_account(c, id);
    let account = versioned::update_unless(
        conn,
        target,
        read,
        |a| a.active == active,
        |conn, before| {
            let at = now();
            let reason = (!active).then_some(DeactivationReason::Manual.as_str());
            Ok(diesel::update(at_version!(accounts, target, before))
                .set((
                    accounts::active.eq(active),
                    accounts::deactivated_at.eq((!active).then_some(at)),
                    accounts::deactivated_by.eq(if active { None } else { actor.map(|a| a.0) }),
                    accounts::deactivation_reason.eq(reason),
                    touched!(accounts, actor, at),
                ))
                .execute(conn)?)
        },
    )?;
    if !active {
        end_sessions_of(conn, id, None)?;
    }
    Ok(account)
}

/// Deactivates every active account whose staff member's end date is before
/// `today`, as the system (no `deactivated_by`, reason `end_date`), and ends
/// their sessions. Returns the accounts deactivated.
pub fn deactivate_ended(
    conn: &mut DbConnection,
    today: chrono::NaiveDate,
) -> DbResult<Vec<AccountId>> {
    crate::write_transaction(conn, |conn| {
        let ended: Vec<i32> = accounts::table
            .inner_join(staff::table)
            .filter(accounts::active.eq(true))
            .filter(staff::end_date.lt(today))
            .select(accounts::id)
            .load(conn)?;
        let at = now();
        let mut deactivated = Vec::with_capacity(ended.len());
        for &id in &ended {
            let target =
                Target::new("account", id, None, None).recorded_as(AuditAction::Deactivate);
            // Another process's sweep may deactivate the same account at
            // the same moment: the write applies only to the version read
            // while still active, and an account it finds already
            // deactivated is that sweep's, with one event, not two.
            let wrote = std::cell::Cell::new(false);
            let swept = versioned::update_unless(
                conn,
                target,
                |c| get_account(c, AccountId(id)),
                |before| !before.active,
                |conn, before| {
                    Ok(diesel::update(
                        accounts::table
                            .find(id)
                            .filter(accounts::version.eq(before.audit.version))
                            .filter(accounts::active.eq(true)),
                    )
                    .set((
                        accounts::active.eq(false),
                        accounts::deactivated_at.eq(Some(at)),
                        accounts::deactivated_by.eq(None::<i32>),
                        accounts::deactivation_reason
                            .eq(Some(DeactivationReason::EndDate.as_str())),
                        touched!(accounts, None::<AccountId>, at),
                    ))
                    .execute(conn)
                    .inspect(|&rows| wrote.set(rows > 0))?)
                },
            );
            match swept {
                Ok(_) if wrote.get() => {}
                Ok(_) | Err(DbError::Stale { .. }) => continue,
                Err(other) => return Err(other),
            }
            end_sessions_of(conn, AccountId(id), None)?;
            deactivated.push(AccountId(id));
        }
        Ok(deactivated)
    })
}

pub fn delete_account(
    conn: &mut DbConnection,
    id: AccountId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("account", id.0, expected_version, actor);
    crate::write_transaction(conn, |conn| {
        keeping_an_account_manager(conn, |conn| {
            versioned::delete(
                conn,
                target,
                |c| get_account(c, id),
                |conn, before| {
                    Ok(diesel::delete(at_version!(accounts, target, before)).execute(conn)?)
                },
            )
        })
    })
}

/// Ends every session of an account, except `keep` (the caller's own, on a
/// password change).
pub fn end_sessions_of(
    conn: &mut DbConnection,
    account: AccountId,
    keep: Option<i32>,
) -> DbResult<usize> {
    let query = sessions::table.filter(sessions::account_id.eq(account.0));
    Ok(match keep {
        Some(keep) => diesel::delete(query.filter(sessions::id.ne(keep))).execute(conn)?,
        None => diesel::delete(query).execute(conn)?,
    })
}

// ---- checking a password --------------------------------------------------

/// The stored password hash of a login name, read before the password is
/// checked so that the check (milliseconds of CPU) holds no connection.
/// Its `Debug` names the account only: a hash never reaches a log line.
pub struct LoginCandidate(Option<(AccountId, String)>);

impl std::fmt::Debug for LoginCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LoginCandidate")
            .field(&self.0.as_ref().map(|(id, _)| id))
            .finish()
    }
}

impl LoginCandidate {
    /// Looks the login name up; an unknown name is a candidate too, and
    /// takes the same time to refuse.
    pub fn find(conn: &mut DbConnection, username: &str) -> DbResult<Self> {
        let found: Option<(i32, String)> = accounts::table
            .filter(accounts::username_key.eq(unique_key(username.trim())))
            .select((accounts::id, accounts::password_hash))
            .first(conn)
            .optional()?;
        Ok(Self(found.map(|(id, hash)| (AccountId(id), hash))))
    }

    /// The account's stored hash, to check its current password (a
    /// password change).
    pub fn of_account(conn: &mut DbConnection, id: AccountId) -> DbResult<Self> {
        let hash: String = accounts::table
            .find(id.0)
            .select(accounts::password_hash)
            .first(conn)
            .optional()?
            .ok_or_else(|| DbError::not_found("account", id))?;
        Ok(Self(Some((id, hash))))
    }

    /// The account, if `password` is its password: CPU work only, for a
    /// blocking thread without a connection. A hash stored with outdated
    /// parameters gets its replacement made here too (a second hash, once
    /// per account), for [`may_log_in`] to store.
    pub fn check(self, password: &str) -> Option<PasswordMatch> {
        match self.0 {
            None => {
                passwords::verify_dummy(password);
                None
            }
            Some((id, hash)) => {
                if !passwords::verify(password, &hash) {
                    return None;
                }
                let upgrade = if passwords::outdated(&hash) {
                    // Not fatal: the login stands on the old hash.
                    passwords::hash(password)
                        .ok()
                        .map(|new| (hash.clone(), new))
                } else {
                    None
                };
                Some(PasswordMatch {
                    id,
                    checked: hash,
                    upgrade,
                })
            }
        }
    }
}

/// A password that matched its account's hash; with the old and new hash
/// when the stored one is outdated. Neither hash leaves this crate.
pub struct PasswordMatch {
    pub(crate) id: AccountId,
    /// The hash the password matched.
    pub(crate) checked: String,
    pub(crate) upgrade: Option<(String, String)>,
}

impl PasswordMatch {
    pub fn account(&self) -> AccountId {
        self.id
    }
}

impl std::fmt::Debug for PasswordMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordMatch")
            .field("id", &self.id)
            .field("rehash", &self.upgrade.is_some())
            .finish()
    }
}
