//! The directory's memory over HTTP: `/audit-events` (the trail, for those
//! with `audit:read`), `/changes` (the feed systems that keep a copy poll)
//! and the history of staff, departments and units.

use crate::auth::{AuditAccess, ReadAccess};
use crate::payload::Json;
use crate::responses::{Recalled, Scanned, respond};
use crate::{AppState, Tag, reading};
use chrono::{DateTime, Utc};
use directory_db::audit::{self, EventFilter};
use directory_domain::{
    AccountId, AuditAction, AuditEntity, AuditEvent, Change, DepartmentId, DomainError,
    HistoryEntry, StaffId, UnitId,
};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use serde::Serialize;
use std::time::Duration;

/// One page of the audit trail.
#[derive(Debug, Clone, Serialize, Object)]
pub struct AuditEventPage {
    /// Oldest first.
    pub items: Vec<AuditEvent>,
    pub limit: i64,
    /// The `after` of the next page; null when this page is the last.
    pub next_after: Option<i64>,
}

/// One page of the change feed.
#[derive(Debug, Clone, Serialize, Object)]
pub struct ChangePage {
    /// In commit order.
    pub items: Vec<Change>,
    pub limit: i64,
    /// The `after` of the next poll: the last item's `seq`, or the `after`
    /// given when nothing is new.
    pub next_after: i64,
}

/// Every recorded version of one record.
#[derive(Debug, Clone, Serialize, Object)]
pub struct History {
    /// Oldest first.
    pub items: Vec<HistoryEntry>,
}

/// The longest a `wait` may hold a request.
pub const MAX_WAIT_SECS: u64 = 30;

/// While a long poll waits, it looks again this often even if no commit
/// of this process woke it: another server process on the same database
/// commits unseen by this one.
const LOOK_AGAIN: Duration = Duration::from_secs(1);

fn limit_or(limit: Option<i64>, default: i64) -> Result<i64, DomainError> {
    let limit = limit.unwrap_or(default);
    if (1..=directory_db::Page::MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(DomainError::field("limit", "must be between 1 and 200"))
    }
}

/// The trail of one record, for the three history operations.
async fn history_of(
    state: &AppState,
    entity: AuditEntity,
    id: i32,
    what: &'static str,
) -> Recalled<History> {
    respond(async {
        let items = reading(state, move |c| audit::history(c, entity, id, what)).await?;
        Ok(Recalled::Ok(Json(History { items })))
    })
    .await
}

#[derive(Default)]
pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1")]
impl AuditApi {
    /// List audit events
    ///
    /// Every change to the directory, accounts and roles, and every login,
    /// failed login and logout, oldest first. Page with `after` (the
    /// previous page's `next_after`). Needs `audit:read`.
    #[oai(
        path = "/audit-events",
        method = "get",
        operation_id = "listAuditEvents",
        tag = "Tag::Audit"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list_audit_events(
        &self,
        state: Data<&AppState>,
        _auth: AuditAccess,
        /// Only events about this kind of resource.
        entity: Query<Option<AuditEntity>>,
        /// Only events about this record (with `entity`).
        #[oai(validator(max_length = 64))]
        entity_id: Query<Option<String>>,
        /// Only events by this account.
        actor_id: Query<Option<AccountId>>,
        /// Only this action.
        action: Query<Option<AuditAction>>,
        /// Only events at or after this instant (RFC 3339).
        since: Query<Option<DateTime<Utc>>>,
        /// Only events before this instant (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// The `next_after` of the previous page.
        #[oai(validator(minimum(value = "0")))]
        after: Query<Option<i64>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
    ) -> Scanned<AuditEventPage> {
        respond(async {
            let limit = limit_or(limit.0, directory_db::Page::DEFAULT_LIMIT)?;
            let filter = EventFilter {
                entity: entity.0,
                entity_id: entity_id.0,
                actor: actor_id.0,
                action: action.0,
                since: since.0,
                until: until.0,
            };
            let after = after.0;
            let items = reading(&state, move |c| {
                audit::list_events(c, &filter, after, limit)
            })
            .await?;
            let next_after = match items.last() {
                Some(last) if items.len() as i64 == limit => Some(last.id),
                _ => None,
            };
            Ok(Scanned::Ok(Json(AuditEventPage {
                items,
                limit,
                next_after,
            })))
        })
        .await
    }

    /// List changes
    ///
    /// Committed changes in commit order. Poll with `after` set to the last
    /// `next_after`: every change is seen exactly once, in order, however
    /// many writers commit at once. With `wait`, a poll that finds nothing
    /// new is held open (up to 30 seconds) and answers as soon as a change
    /// commits.
    #[oai(
        path = "/changes",
        method = "get",
        operation_id = "listChanges",
        tag = "Tag::Audit"
    )]
    async fn list_changes(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The `next_after` of the previous poll; 0 (the default) from the start.
        #[oai(validator(minimum(value = "0")))]
        after: Query<Option<i64>>,
        /// Page size, 1 to 200 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Seconds to wait for a change when there is none yet, 0 to 30.
        #[oai(validator(minimum(value = "0"), maximum(value = "30")))]
        wait: Query<Option<u64>>,
    ) -> Scanned<ChangePage> {
        respond(async {
            let limit = limit_or(limit.0, 100)?;
            let after = after.0.unwrap_or(0);
            let wait = wait.0.unwrap_or(0);
            if wait > MAX_WAIT_SECS {
                return Err(DomainError::field("wait", "must be between 0 and 30").into());
            }
            let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
            loop {
                // Listen before looking, so a commit between the look and
                // the wait still wakes this poll.
                let committed = audit::commits().notified();
                tokio::pin!(committed);
                committed.as_mut().enable();
                let items = reading(&state, move |c| audit::changes(c, after, limit)).await?;
                let now = tokio::time::Instant::now();
                if !items.is_empty() || now >= deadline {
                    let next_after = items.last().map_or(after, |last| last.seq);
                    return Ok(Scanned::Ok(Json(ChangePage {
                        items,
                        limit,
                        next_after,
                    })));
                }
                let _ = tokio::time::timeout((deadline - now).min(LOOK_AGAIN), committed).await;
            }
        })
        .await
    }

    /// A staff member's history
    ///
    /// Every version, oldest first, with who made it and when; a deleted
    /// staff member's too.
    #[oai(
        path = "/staff/:id/history",
        method = "get",
        operation_id = "getStaffHistory",
        tag = "Tag::Staff"
    )]
    async fn staff_history(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The staff member's id.
        id: Path<StaffId>,
    ) -> Recalled<History> {
        history_of(&state, AuditEntity::Staff, id.0.0, "staff member").await
    }

    /// A department's history
    ///
    /// Every version, oldest first, with who made it and when.
    #[oai(
        path = "/departments/:id/history",
        method = "get",
        operation_id = "getDepartmentHistory",
        tag = "Tag::Departments"
    )]
    async fn department_history(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The department's id.
        id: Path<DepartmentId>,
    ) -> Recalled<History> {
        history_of(&state, AuditEntity::Departments, id.0.0, "department").await
    }

    /// A unit's history
    ///
    /// Every version, oldest first, with who made it and when.
    #[oai(
        path = "/units/:id/history",
        method = "get",
        operation_id = "getUnitHistory",
        tag = "Tag::Units"
    )]
    async fn unit_history(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The unit's id.
        id: Path<UnitId>,
    ) -> Recalled<History> {
        history_of(&state, AuditEntity::Units, id.0.0, "unit").await
    }
}
