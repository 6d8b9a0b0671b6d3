//! Logging in (the password check, the lock-out), login sessions (bearer
//! tokens) and the failed-login counters. The
//! tokens are made and hashed by `directory_auth::tokens`; only their
//! hashes are stored.

use crate::accounts::{LoginCandidate, PasswordMatch, get_account, permissions_of};
use crate::audit::Event;
use crate::schema::{accounts, login_attempts, roles, sessions, staff};
use crate::{DbConnection, DbError, DbResult, now, utc};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use directory_auth::tokens::{has_our_prefix, hash_token, new_token};
use directory_domain::validate::unique_key;
use directory_domain::{Account, AccountId, AuditAction, AuditEntity, Me, Permission};

/// A new session: the token (shown once) and when it expires.
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub expires_at: NaiveDateTime,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Starts a session for an account and records the login time.
pub fn create_session(
    conn: &mut DbConnection,
    account: AccountId,
    lifetime: Duration,
) -> DbResult<NewSession> {
    let token = new_token();
    let at = now();
    let expires_at = at + lifetime;
    crate::write_transaction(conn, |conn| {
        // The account row first: inserting the session takes a shared lock
        // on it (the foreign key check) on MySQL/MariaDB, and two logins
        // that each held that and then asked to update the row deadlocked
        // (seen in CI: 12 concurrent logins, three lost races in a row).
        // Taking the row's write lock first makes them queue instead.
        diesel::update(accounts::table.find(account.0))
            .set(accounts::last_login_at.eq(at))
            .execute(conn)?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::account_id.eq(account.0),
                sessions::token_hash.eq(hash_token(&token)),
                sessions::created_at.eq(at),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Event::new(
            AuditEntity::Sessions,
            account,
            AuditAction::Login,
            Some(account),
        )
        .after(&serde_json::json!({ "account_id": account, "expires_at": utc(expires_at) }))?
        .record()?;
        Ok(NewSession {
            token: token.clone(),
            expires_at,
        })
    })
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: AccountId,
    pub session: i32,
    pub permissions: Vec<Permission>,
}

impl Caller {
    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// The caller behind a token, if the token is known and unexpired, its
/// account active, and its staff member (if any) active and not past their
/// end date.
pub fn authenticate(
    conn: &mut DbConnection,
    token: &str,
    today: NaiveDate,
) -> DbResult<Option<Caller>> {
    if !has_our_prefix(token) {
        return Ok(None);
    }
    let found: Option<(i32, i32)> = sessions::table
        .inner_join(accounts::table.left_join(staff::table))
        .filter(sessions::token_hash.eq(hash_token(token)))
        .filter(sessions::expires_at.gt(now()))
        .filter(accounts::active.eq(true))
        .filter(staff::end_date.is_null().or(staff::end_date.ge(today)))
        .filter(staff::id.is_null().or(staff::active.eq(true)))
        .select((sessions::id, sessions::account_id))
        .first(conn)
        .optional()?;
    let Some((session, account)) = found else {
        return Ok(None);
    };
    let account = AccountId(account);
    let permissions = crate::accounts::permissions_of(conn, account)?;
    Ok(Some(Caller {
        account,
        session,
        permissions,
    }))
}

/// Ends one session (logout).
pub fn end_session(conn: &mut DbConnection, session: i32) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let account: Option<i32> = sessions::table
            .find(session)
            .select(sessions::account_id)
            .first(conn)
            .optional()?;
        let Some(account) = account.map(AccountId) else {
            return Ok(());
        };
        diesel::delete(sessions::table.find(session)).execute(conn)?;
        Event::new(
            AuditEntity::Sessions,
            account,
            AuditAction::Logout,
            Some(account),
        )
        .before(&serde_json::json!({ "account_id": account }))?
        .record()
    })
}

/// Removes expired sessions; returns how many.
pub fn purge_expired(conn: &mut DbConnection) -> DbResult<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(now()))).execute(conn)?)
}

// ---- failed logins ---------------------------------------------------------

/// How many failures lock a key, within what window, for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i32,
    pub window: Duration,
    pub lockout: Duration,
}

/// Seconds until the first of these keys unlocks, if any is locked.
pub fn locked_for(conn: &mut DbConnection, keys: &[String]) -> DbResult<Option<i64>> {
    let at = now();
    let until: Vec<Option<NaiveDateTime>> = login_attempts::table
        .filter(login_attempts::attempt_key.eq_any(keys))
        .filter(login_attempts::locked_until.gt(at))
        .select(login_attempts::locked_until)
        .load(conn)?;
    Ok(until
        .into_iter()
        .flatten()
        .map(|until| (until - at).num_seconds().max(1))
        .max())
}

/// Records a failed login as `username` and counts it against each key
/// (each with its own policy), locking a key that reaches its limit within
/// the window. The trail files it under the account of that name (none if
/// there is no such account), with the name as given.
pub fn record_failure(
    conn: &mut DbConnection,
    username: &str,
    keys: &[(String, LockoutPolicy)],
) -> DbResult<()> {
    let at = now();
    crate::write_transaction(conn, |conn| {
        let account: Option<i32> = accounts::table
            .filter(accounts::username_key.eq(unique_key(username)))
            .select(accounts::id)
            .first(conn)
            .optional()?;
        Event::new(
            AuditEntity::Sessions,
            account.map(|a| a.to_string()).unwrap_or_default(),
            AuditAction::LoginFailed,
            None,
        )
        .after(&serde_json::json!({ "username": username, "account_id": account }))?
        .record()?;
        for (key, policy) in keys {
            count_failure(conn, key, policy, at)?;
        }
        Ok(())
    })
}

/// Adds one failure to `key`'s count, inside the caller's transaction.
///
/// Several server processes may count failures for one key at the same
/// moment, so the row is locked before it is read: a no-op UPDATE takes
/// the row lock (SQLite's `BEGIN IMMEDIATE` already serialises writers),
/// and the read after it sees the latest committed count. A key with no
/// row yet is inserted in a savepoint; when a concurrent first failure
/// inserted it first, the row now exists and the count starts again from
/// the lock, so neither failure is lost and a key that reaches its limit
/// is locked whichever path got there.
fn count_failure(
    conn: &mut DbConnection,
    key: &str,
    policy: &LockoutPolicy,
    at: NaiveDateTime,
) -> DbResult<()> {
    // Only a row deleted again between the conflict and the lock (a
    // successful login clearing it) sends the loop round once more.
    let mut conflicts = 0;
    loop {
        // The count is read only once this transaction holds the row's
        // lock: a row that appears after the UPDATE found none (another
        // first failure committing) is met by the INSERT's conflict below.
        let locked = diesel::update(login_attempts::table.find(key))
            .set(login_attempts::failures.eq(login_attempts::failures))
            .execute(conn)?
            > 0;
        if locked {
            let (failures, started): (i32, NaiveDateTime) = login_attempts::table
                .find(key)
                .select((login_attempts::failures, login_attempts::window_started_at))
                .first(conn)?;
            let (failures, started) = if at - started < policy.window {
                (failures + 1, started)
            } else {
                (1, at)
            };
            diesel::update(login_attempts::table.find(key))
                .set((
                    login_attempts::failures.eq(failures),
                    login_attempts::window_started_at.eq(started),
                    login_attempts::locked_until
                        .eq((failures >= policy.max_failures).then_some(at + policy.lockout)),
                ))
                .execute(conn)?;
            return Ok(());
        }
        // A savepoint, as PostgreSQL aborts the whole transaction on a
        // failed statement otherwise.
        let inserted = crate::write_transaction(conn, |conn| {
            diesel::insert_into(login_attempts::table)
                .values((
                    login_attempts::attempt_key.eq(key),
                    login_attempts::failures.eq(1),
                    login_attempts::window_started_at.eq(at),
                    login_attempts::locked_until
                        .eq((policy.max_failures <= 1).then_some(at + policy.lockout)),
                ))
                .execute(conn)
                .map_err(DbError::from)
        });
        match inserted {
            Err(DbError::Conflict { .. }) if conflicts < 3 => conflicts += 1,
            other => return other.map(drop),
        }
    }
}

/// Forgets the failures of these keys (after a successful login).
pub fn clear_failures(conn: &mut DbConnection, keys: &[String]) -> DbResult<()> {
    diesel::delete(login_attempts::table.filter(login_attempts::attempt_key.eq_any(keys)))
        .execute(conn)?;
    Ok(())
}

// ---- logging in ------------------------------------------------------------

/// Checks a username and password. `None` for an unknown user and for a
/// wrong password alike, after the same amount of work.
pub fn verify_credentials(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
) -> DbResult<Option<Account>> {
    match LoginCandidate::find(conn, username)?.check(password) {
        Some(matched) => get_account(conn, matched.account()).map(Some),
        None => Ok(None),
    }
}

/// Checks a login: the credentials, then that the account may log in today
/// (active, and its staff member not past their end date). `None` for any
/// refusal, after the same work, so a caller learns nothing from which.
pub fn check_login(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
    today: chrono::NaiveDate,
) -> DbResult<Option<Account>> {
    match LoginCandidate::find(conn, username)?.check(password) {
        Some(matched) => may_log_in(conn, matched, today),
        None => Ok(None),
    }
}

/// The account whose password matched, if it may log in today: active, and
/// its staff member active and not past their end date. An outdated hash is replaced
/// then, unless the password changed meanwhile.
pub fn may_log_in(
    conn: &mut DbConnection,
    matched: PasswordMatch,
    today: chrono::NaiveDate,
) -> DbResult<Option<Account>> {
    let PasswordMatch { id, upgrade, .. } = matched;
    let account = match get_account(conn, id) {
        Ok(account) => account,
        // Deleted while its password was being checked.
        Err(DbError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    if !account.active {
        return Ok(None);
    }
    if let Some(staff_id) = account.staff_id {
        let staff: Option<(Option<chrono::NaiveDate>, bool)> = staff::table
            .find(staff_id.0)
            .select((staff::end_date, staff::active))
            .first(conn)
            .optional()?;
        match staff {
            Some((end, true)) if !directory_domain::staff::employment_ended(end, today) => {}
            // Deactivated, past their end date, or deleted meanwhile.
            _ => return Ok(None),
        }
    }
    if let Some((old, new)) = upgrade {
        // Only over the hash that was checked; the account's version and
        // timestamps stay, as nothing a client sees has changed. A failure
        // costs the upgrade, not the login: the next login tries again.
        let stored = diesel::update(
            accounts::table
                .find(id.0)
                .filter(accounts::password_hash.eq(&old)),
        )
        .set(accounts::password_hash.eq(&new))
        .execute(conn);
        if let Err(error) = stored {
            tracing::warn!(account = id.0, %error, "cannot store an upgraded password hash");
        }
    }
    Ok(Some(account))
}

/// The caller's own account with its role names and permissions.
pub fn me(conn: &mut DbConnection, id: AccountId) -> DbResult<Me> {
    let account = get_account(conn, id)?;
    let ids: Vec<i32> = account.roles.iter().map(|r| r.0).collect();
    let role_names: Vec<String> = roles::table
        .filter(roles::id.eq_any(ids))
        .order(roles::name_key.asc())
        .select(roles::name)
        .load(conn)?;
    let permissions = permissions_of(conn, id)?;
    Ok(Me {
        account,
        role_names,
        permissions,
    })
}
