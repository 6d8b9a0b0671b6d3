//! Who made or last changed a row, and when; `version` drives optimistic
//! concurrency (ETag / If-Match).

use crate::AccountId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Audit {
    pub created_at: DateTime<Utc>,
    /// The account that created the row; `None` for seed data and the system.
    pub created_by: Option<AccountId>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<AccountId>,
    /// Starts at 1 and grows by one on every change.
    pub version: i32,
}
