//! Authentication and authorisation: the one place that decides who may
//! call what.
//!
//! Each operation names the access it needs by the type of its security
//! parameter: [`ReadAccess`] (directory:read), [`WriteAccess`]
//! (directory:write), [`ManageAccess`] (accounts:manage) or [`AnyAccess`]
//! (any valid token). The checker of that type validates the bearer token
//! against the database and the permission against the caller's roles;
//! handlers never check anything themselves.

use crate::error::{ApiError, AuthFailure, ReadError};
use crate::{AppState, reading};
use directory_db::sessions::{self, Caller, LockoutPolicy};
use directory_domain::{AccountId, Permission};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token lifetime and failed-login limits, from the server's configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub token_lifetime: chrono::Duration,
    /// How long a validated token is trusted without asking the database
    /// again. This process forgets a token at once on logout, deactivation,
    /// password or role changes; other server processes sharing the
    /// database notice within this time. Zero asks the database every time.
    pub token_cache: std::time::Duration,
    /// Failed logins for one username.
    pub per_username: LockoutPolicy,
    /// Failed logins from one client address (any usernames).
    pub per_address: LockoutPolicy,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let fifteen_minutes = chrono::Duration::minutes(15);
        Self {
            token_lifetime: chrono::Duration::hours(8),
            token_cache: std::time::Duration::from_secs(2),
            per_username: LockoutPolicy {
                max_failures: 5,
                window: fifteen_minutes,
                lockout: fifteen_minutes,
            },
            per_address: LockoutPolicy {
                max_failures: 50,
                window: fifteen_minutes,
                lockout: fifteen_minutes,
            },
        }
    }
}

/// Tokens validated in the last [`AuthSettings::token_cache`], keyed by
/// their hash, so most requests skip the session and permission queries.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl TokenCache {
    const MAX_ENTRIES: usize = 10_000;

    fn get(&self, hash: &str, ttl: std::time::Duration) -> Option<Caller> {
        let entries = self.entries.lock().ok()?;
        let (caller, at) = entries.get(hash)?;
        (at.elapsed() < ttl).then(|| caller.clone())
    }

    fn put(&self, hash: String, caller: Caller, ttl: std::time::Duration) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX_ENTRIES {
                entries.retain(|_, (_, at)| at.elapsed() < ttl);
                if entries.len() >= Self::MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(hash, (caller, Instant::now()));
        }
    }

    /// Forgets one session (logout).
    pub fn forget_session(&self, session: i32) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (caller, _)| caller.session != session);
        }
    }

    /// Forgets every token of an account (deactivation, password change,
    /// role change).
    pub fn forget_account(&self, account: AccountId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (caller, _)| caller.account != account);
        }
    }

    /// Forgets everything (a role's permissions or a staff member's end
    /// date changed).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

async fn authorize(
    req: &Request,
    bearer: Bearer,
    needed: Option<Permission>,
) -> poem::Result<Caller> {
    caller(req, bearer, needed).await.map_err(|failure| {
        let status = failure.status();
        poem::Error::new(failure, status)
    })
}

/// The caller of a request that is not a documented operation (the FHIR
/// view), from its `Authorization: Bearer` header, with the same checks and
/// token cache as every operation.
pub async fn bearer_caller(req: &Request, needed: Permission) -> Result<Caller, AuthFailure> {
    let token = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
        .filter(|token| !token.is_empty())
        .ok_or(AuthFailure::Unauthenticated)?;
    caller(req, Bearer { token }, Some(needed)).await
}

async fn caller(
    req: &Request,
    bearer: Bearer,
    needed: Option<Permission>,
) -> Result<Caller, AuthFailure> {
    let Some(state) = req.data::<AppState>() else {
        tracing::error!("no application state to check a token with");
        return Err(AuthFailure::Unchecked(ApiError::internal()));
    };
    let ttl = state.auth.token_cache;
    let hash = directory_auth::tokens::hash_token(&bearer.token);
    let cached = if ttl.is_zero() {
        None
    } else {
        state.tokens.get(&hash, ttl)
    };
    let caller = match cached {
        Some(caller) => caller,
        None => {
            let token = bearer.token;
            let today = state.today();
            let caller = reading(state, move |c| sessions::authenticate(c, &token, today))
                .await
                .map_err(|e| AuthFailure::Unchecked(ReadError::from(e).into()))?
                .ok_or(AuthFailure::Unauthenticated)?;
            if !ttl.is_zero() {
                state.tokens.put(hash, caller.clone(), ttl);
            }
            caller
        }
    };
    match needed {
        Some(permission) if !caller.may(permission) => Err(AuthFailure::Forbidden(permission)),
        _ => Ok(caller),
    }
}

async fn any_check(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    authorize(req, bearer, None).await
}

async fn read_check(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    authorize(req, bearer, Some(Permission::DirectoryRead)).await
}

async fn write_check(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    authorize(req, bearer, Some(Permission::DirectoryWrite)).await
}

async fn manage_check(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    authorize(req, bearer, Some(Permission::AccountsManage)).await
}

async fn audit_check(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    authorize(req, bearer, Some(Permission::AuditRead)).await
}

/// The access types: one bearer scheme (`bearer` in the document, whose
/// served description `document::enrich` writes) and the check each makes.
macro_rules! bearer_access {
    ($($(#[$meta:meta])* $name:ident checked by $checker:literal;)+) => {$(
        /// A bearer token from `POST /api/v1/auth/login`. Reads need the
        /// `directory:read` permission, directory changes `directory:write`, accounts
        /// and role changes `accounts:manage`, the audit trail `audit:read`.
        $(#[$meta])*
        #[derive(SecurityScheme)]
        #[oai(
            rename = "bearer",
            ty = "bearer",
            bearer_format = "opaque",
            checker = $checker
        )]
        pub struct $name(pub Caller);
    )+};
}

// Any valid token; `directory:read`; `directory:write`; `accounts:manage`;
// `audit:read`.
bearer_access! {
    AnyAccess checked by "any_check";
    ReadAccess checked by "read_check";
    WriteAccess checked by "write_check";
    ManageAccess checked by "manage_check";
    AuditAccess checked by "audit_check";
}
