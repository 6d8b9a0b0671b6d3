//! The response enums every operation returns: one per kind of operation,
//! each listing every status it can answer, so the document is honest.
//!
//! A read's enum takes a [`ReadError`], a write's an [`ApiError`], through
//! [`answers!`]: an exhaustive match that puts each kind of failure in a
//! status the enum declares (or, written out, in another declared status:
//! a stale version on an operation without If-Match is a conflict). A kind
//! of failure an enum has no place for does not compile.

use crate::error::{ApiError, RETRY_AFTER_SECS, ReadError, from_request_error};
use crate::payload::Body;
use crate::payload::Json;
use crate::problem::{CellProblem, ImportProblem, Problem};
use poem_openapi::{ApiResponse, Object};
use std::future::Future;

/// A response enum and the failures it answers: [`ReadError`] for reads,
/// [`ApiError`] for writes.
pub trait Answers: From<Self::Error> {
    type Error;
}

/// What a request that could not be read (a bad parameter, body or
/// header) fails with, as an operation's error type.
pub trait FromRequestError {
    fn from_request_error(error: &poem::Error) -> Self;
}

impl FromRequestError for ApiError {
    fn from_request_error(error: &poem::Error) -> Self {
        from_request_error(error)
    }
}

impl FromRequestError for ReadError {
    fn from_request_error(error: &poem::Error) -> Self {
        ReadError::narrow(from_request_error(error))
    }
}

/// Every operation's bad-request handler: poem-openapi calls it when a
/// parameter or the body cannot be read.
pub fn bad_request<R: Answers>(error: poem::Error) -> R
where
    R::Error: FromRequestError,
{
    R::from(R::Error::from_request_error(&error))
}

/// Runs a handler body and turns its error into the operation's response.
pub async fn respond<R: Answers>(body: impl Future<Output = Result<R, R::Error>>) -> R {
    body.await.unwrap_or_else(R::from)
}

/// Places every failure of `$error` in a variant of `$ty`. The five
/// failures every operation can meet (a bad parameter, no token, no
/// permission, an unavailable database, a fault of ours) have their fixed
/// variants; the rest are listed, `as <status>` where the operation
/// answers them with another declared status.
macro_rules! answers {
    ($ty:ident $(<$t:ident>)? from $error:ident {
        $($kind:ident => $variant:ident $(as $status:literal)?),* $(,)?
    }) => {
        impl$(<$t: Body>)? Answers for $ty$(<$t>)? {
            type Error = $error;
        }

        impl$(<$t: Body>)? From<$error> for $ty$(<$t>)? {
            fn from(error: $error) -> Self {
                match error {
                    $error::BadRequest(p) => Self::BadRequest(Json(p)),
                    $error::Unauthorized(p) => Self::Unauthorized(Json(p), "Bearer".into()),
                    $error::Forbidden(p) => Self::Forbidden(Json(p)),
                    $error::Unavailable(p) => {
                        Self::Unavailable(Json(p), RETRY_AFTER_SECS.to_string())
                    }
                    $error::Internal(p) => Self::Internal(Json(p)),
                    $($error::$kind(p) => Self::$variant(Json(answers!(@as p $($status)?))),)*
                }
            }
        }
    };
    (@as $p:ident) => { $p };
    (@as $p:ident $status:literal) => { $p.restatus($status) };
}

/// Declares an operation's answers: its own variants, then the four every
/// operation can give (no token, no permission, a fault of ours, an
/// unavailable database), written once here.
macro_rules! operation_answers {
    (
        $(#[$meta:meta])*
        pub enum $name:ident $(<$t:ident: $bound:path>)? { $($own:tt)* }
    ) => {
        $(#[$meta])*
        pub enum $name $(<$t: $bound>)? {
            $($own)*
            /// No valid bearer token: log in at `POST /api/v1/auth/login`.
            #[oai(status = 401, content_type = "application/problem+json")]
            Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
            /// The token's roles do not grant the permission this needs.
            #[oai(status = 403, content_type = "application/problem+json")]
            Forbidden(Json<Problem>),
            /// An unexpected failure; the body gives only the request id.
            #[oai(status = 500, content_type = "application/problem+json")]
            Internal(Json<Problem>),
            /// The database is busy or unavailable; try again after `Retry-After`
            /// seconds.
            #[oai(status = 503, content_type = "application/problem+json")]
            Unavailable(Json<Problem>, #[oai(header = "Retry-After")] String),
        }
    };
}

/// One page of a list.
#[derive(Debug, Object, serde::Serialize)]
pub struct ListPage<T: Body> {
    pub items: Vec<T>,
    /// How many match in all, across every page.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// An ETag for a row version. Strong, because If-Match compares strongly.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// Reads an If-Match header: `"3"` names version 3, `*` or no header means
/// any version. Several tags (`"3", "4"`) are not supported: a version is a
/// single value.
pub fn if_match(header: Option<&str>) -> Result<Option<i32>, ApiError> {
    // An empty header is no header. (`str::is_empty` by name: poem-openapi's
    // `Type` trait, in scope here, has an `is_empty` that would win.)
    let Some(value) = header.map(str::trim).filter(|v| !str::is_empty(v)) else {
        return Ok(None);
    };
    if value == "*" {
        return Ok(None);
    }
    value
        .strip_prefix("W/")
        .unwrap_or(value)
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| !str::is_empty(v) && v.bytes().all(|b| b.is_ascii_digit()))
        // A well-formed tag too large to be a version matches none: 412.
        .map(|v| Some(v.parse::<i32>().unwrap_or(-1)))
        .ok_or_else(bad_if_match)
}

/// The answer to an If-Match that is not an ETag of this API.
pub fn bad_if_match() -> ApiError {
    ApiError::field("If-Match", "must be an ETag from this API, such as \"3\"")
}

operation_answers! {
    /// A list operation.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Listed<T: Body> {
        /// One page of matching items.
        #[oai(status = 200)]
        Ok(Json<ListPage<T>>),
        /// A parameter is invalid: an unknown sort field, a limit above 200, a bad filter.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
    }
}

// A list has no "not found": a read that says so is a fault of ours.
answers!(Listed<T> from ReadError { NotFound => Internal as 500 });

impl<T: Body> Listed<T> {
    pub fn page(items: Vec<T>, total: i64, page: directory_db::Page) -> Self {
        Self::Ok(Json(ListPage {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }
}

operation_answers! {
    /// A list under a parent resource (a department's units, say).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum ListedUnder<T: Body> {
        /// One page of matching items.
        #[oai(status = 200)]
        Ok(Json<ListPage<T>>),
        /// A parameter is invalid: an unknown sort field, a limit above 200, a bad filter.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// The parent resource does not exist.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
    }
}

answers!(ListedUnder<T> from ReadError { NotFound => NotFound });

impl<T: Body> ListedUnder<T> {
    pub fn page(items: Vec<T>, total: i64, page: directory_db::Page) -> Self {
        Self::Ok(Json(ListPage {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// A whole (short) list in one page: heads, works-in.
    pub fn all(items: Vec<T>) -> Self {
        let total = items.len() as i64;
        Self::page(
            items,
            total,
            directory_db::Page {
                limit: total.max(1),
                offset: 0,
            },
        )
    }
}

operation_answers! {
    /// A page read by cursor (the audit trail, the change feed).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Scanned<T: Body> {
        /// One page, oldest first, and the cursor for the next.
        #[oai(status = 200)]
        Ok(Json<T>),
        /// A parameter is invalid: a limit above 200, a malformed instant.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
    }
}

answers!(Scanned<T> from ReadError { NotFound => Internal as 500 });

operation_answers! {
    /// Reading what the trail holds of one resource (its history).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Recalled<T: Body> {
        /// What the trail holds.
        #[oai(status = 200)]
        Ok(Json<T>),
        /// A parameter is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// The trail has no such resource.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
    }
}

answers!(Recalled<T> from ReadError { NotFound => NotFound });

operation_answers! {
    /// Reading one resource.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Fetched<T: Body> {
        /// The resource; its ETag is its version, for If-Match.
        #[oai(status = 200)]
        Ok(Json<T>, #[oai(header = "ETag")] String),
        /// A parameter is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// No such resource.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
    }
}

answers!(Fetched<T> from ReadError { NotFound => NotFound });

operation_answers! {
    /// Creating a resource.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Created<T: Body> {
        /// Created; `Location` is its URL.
        #[oai(status = 201)]
        Created(
            Json<T>,
            #[oai(header = "Location")] String,
            #[oai(header = "ETag")] String,
        ),
        /// The body is malformed or breaks a rule; `errors` lists every bad field.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// A unique value is already taken; `errors` names the field.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
        /// The body is not JSON.
        #[oai(status = 415, content_type = "application/problem+json")]
        UnsupportedMediaType(Json<Problem>),
    }
}

// What a new resource refers to must exist: a missing one is a conflict
// with the stored data (the design's rule), and without If-Match a
// version can only have moved under a concurrent change.
answers!(Created<T> from ApiError {
    NotFound => Conflict as 409,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => UnsupportedMediaType,
});

operation_answers! {
    /// A partial update (JSON merge semantics: absent leaves a field alone,
    /// null clears it).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Updated<T: Body> {
        /// The updated resource with its new ETag.
        #[oai(status = 200)]
        Ok(Json<T>, #[oai(header = "ETag")] String),
        /// The body is malformed or breaks a rule; `errors` lists every bad field.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// No such resource.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
        /// A unique value is already taken; `errors` names the field.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
        /// If-Match names a version that is no longer current; nothing changed.
        #[oai(status = 412, content_type = "application/problem+json")]
        PreconditionFailed(Json<Problem>),
        /// The body is not JSON.
        #[oai(status = 415, content_type = "application/problem+json")]
        UnsupportedMediaType(Json<Problem>),
    }
}

answers!(Updated<T> from ApiError {
    NotFound => NotFound,
    Conflict => Conflict,
    PreconditionFailed => PreconditionFailed,
    UnsupportedMediaType => UnsupportedMediaType,
});

operation_answers! {
    /// Deleting a resource.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Deleted {
        /// Deleted.
        #[oai(status = 204)]
        NoContent,
        /// A parameter or the If-Match header is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// No such resource.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
        /// Other records still depend on it; the detail names them.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
        /// If-Match names a version that is no longer current; nothing changed.
        #[oai(status = 412, content_type = "application/problem+json")]
        PreconditionFailed(Json<Problem>),
    }
}

// No body: a content type cannot be wrong.
answers!(Deleted from ApiError {
    NotFound => NotFound,
    Conflict => Conflict,
    PreconditionFailed => PreconditionFailed,
    UnsupportedMediaType => BadRequest as 400,
});

operation_answers! {
    /// An action on one resource that answers with it (deactivate, reactivate).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Acted<T: Body> {
        /// The resource as it is now, with its ETag.
        #[oai(status = 200)]
        Ok(Json<T>, #[oai(header = "ETag")] String),
        /// A parameter is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// No such resource.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
        /// The stored data does not allow it; the detail says why.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
    }
}

answers!(Acted<T> from ApiError {
    NotFound => NotFound,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => BadRequest as 400,
});

operation_answers! {
    /// Adding a link (a head, a works-in department, a role).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Linked {
        /// The link was made.
        #[oai(status = 201)]
        Created,
        /// The link was already there; nothing changed.
        #[oai(status = 204)]
        AlreadyThere,
        /// A parameter is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// One of the two resources does not exist.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
        /// The stored data does not allow it; the detail says why.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
    }
}

answers!(Linked from ApiError {
    NotFound => NotFound,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => BadRequest as 400,
});

impl Linked {
    pub fn new(created: bool) -> Self {
        if created {
            Self::Created
        } else {
            Self::AlreadyThere
        }
    }
}

operation_answers! {
    /// Assigning a period (a head, a works-in department).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Assigned {
        /// A new period, as stored.
        #[oai(status = 201)]
        Created(Json<directory_domain::Period>),
        /// The period was there as asked, or the one starting that day now
        /// ends as asked.
        #[oai(status = 200)]
        Ok(Json<directory_domain::Period>),
        /// A parameter or the body is invalid (an end before the start).
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// One of the two resources does not exist.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
        /// The period would overlap another of the same pair; the detail
        /// names it.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
        /// The body is not JSON.
        #[oai(status = 415, content_type = "application/problem+json")]
        UnsupportedMediaType(Json<Problem>),
    }
}

answers!(Assigned from ApiError {
    NotFound => NotFound,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => UnsupportedMediaType,
});

impl Assigned {
    pub fn of(assigned: directory_db::Assigned) -> Self {
        match assigned {
            directory_db::Assigned::Created(period) => Self::Created(Json(period)),
            other => Self::Ok(Json(other.period())),
        }
    }
}

operation_answers! {
    /// Removing a link.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Unlinked {
        /// The link is gone.
        #[oai(status = 204)]
        NoContent,
        /// A parameter is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// There is no such link.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
        /// The stored data does not allow it; the detail says why.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
    }
}

answers!(Unlinked from ApiError {
    NotFound => NotFound,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => BadRequest as 400,
});

operation_answers! {
    /// Taking a role from an account: an unlink that may be refused, because
    /// someone must always be able to manage accounts.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum RoleTaken {
        /// The account no longer has the role.
        #[oai(status = 204)]
        NoContent,
        /// A parameter is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// The account does not have that role.
        #[oai(status = 404, content_type = "application/problem+json")]
        NotFound(Json<Problem>),
        /// It was the last active account's only grant of `accounts:manage`.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
    }
}

answers!(RoleTaken from ApiError {
    NotFound => NotFound,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => BadRequest as 400,
});

/// Refuses an `If-Match` that is not an ETag of this API before routing:
/// a header that is not even text would otherwise read as no header.
pub async fn check_if_match<E: poem::Endpoint>(
    next: E,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    if let Some(value) = req.headers().get(poem::http::header::IF_MATCH) {
        // A header that is not even text would otherwise read as none.
        let parsed = match value.to_str() {
            Ok(text) => if_match(Some(text)).map(|_| ()),
            Err(_) => Err(bad_if_match()),
        };
        if let Err(error) = parsed {
            return Ok(error.problem().clone().into_response());
        }
    }
    Ok(next.call(req).await?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_versions() {
        assert_eq!(if_match(None).unwrap(), None);
        assert_eq!(if_match(Some("*")).unwrap(), None);
        assert_eq!(if_match(Some("\"3\"")).unwrap(), Some(3));
        assert_eq!(if_match(Some("W/\"4\"")).unwrap(), Some(4));
        assert!(if_match(Some("3")).is_err());
        assert!(if_match(Some("\"x\"")).is_err());
        assert_eq!(etag(7), "\"7\"");
    }
}

operation_answers! {
    /// An action that answers with no body (logout, password change).
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Done {
        /// Done.
        #[oai(status = 204)]
        NoContent,
        /// The body is malformed or breaks a rule; `errors` lists every bad field.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// The account changed at the same moment (it was deleted, say).
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
        /// The body is not JSON.
        #[oai(status = 415, content_type = "application/problem+json")]
        UnsupportedMediaType(Json<Problem>),
    }
}

// The caller's own account: if it is gone, it went while this ran.
answers!(Done from ApiError {
    NotFound => Conflict as 409,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => UnsupportedMediaType,
});

#[cfg(test)]
mod if_match_tests {
    use super::*;

    #[test]
    fn an_empty_if_match_is_no_if_match() {
        assert_eq!(if_match(Some("")).unwrap(), None);
        assert_eq!(if_match(Some("  ")).unwrap(), None);
        assert_eq!(if_match(Some("\"99999999999\"")).unwrap(), Some(-1));
    }
}

/// What an import did, or on a dry run would do.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct ImportReport {
    /// Whether this was a check only (`dry_run=true`): nothing written.
    pub dry_run: bool,
    /// Data rows read; blank rows are skipped.
    pub rows: u64,
    /// Rows whose employee id is new: staff created.
    pub created: u64,
    /// Rows of existing staff with a changed cell.
    pub updated: u64,
    /// Rows that match the stored staff member exactly.
    pub unchanged: u64,
    /// Always empty here: a file with bad cells is answered 422.
    pub errors: Vec<CellProblem>,
}

operation_answers! {
    /// Importing a file: all of it or none.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum Imported {
        /// Every row is valid: what was (or on a dry run would be) done.
        #[oai(status = 200)]
        Ok(Json<ImportReport>),
        /// Not readable as the media type it was sent as (not UTF-8 CSV,
        /// not an .xlsx workbook), or its header row names unknown columns
        /// or lacks required ones (`detail` names them).
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
        /// A row collided with a change committed meanwhile (the same
        /// employee id or email created by someone else); nothing was
        /// written. Try again.
        #[oai(status = 409, content_type = "application/problem+json")]
        Conflict(Json<Problem>),
        /// The file is larger than the server's `import.max_bytes`.
        #[oai(status = 413, content_type = "application/problem+json")]
        TooLarge(Json<Problem>),
        /// Neither `text/csv` nor an .xlsx workbook.
        #[oai(status = 415, content_type = "application/problem+json")]
        UnsupportedMediaType(Json<Problem>),
        /// Some cells are bad: `errors` lists every one as row, column and
        /// message; nothing was written.
        #[oai(status = 422, content_type = "application/problem+json")]
        Unprocessable(Json<ImportProblem>),
    }
}

answers!(Imported from ApiError {
    NotFound => Conflict as 409,
    Conflict => Conflict,
    PreconditionFailed => Conflict as 409,
    UnsupportedMediaType => UnsupportedMediaType,
});

operation_answers! {
    /// A CSV file.
    #[derive(ApiResponse)]
    #[oai(bad_request_handler = "bad_request")]
    pub enum CsvFile {
        /// The file, sent as it is read (chunked), with a file name to
        /// save it under.
        #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
        Ok(
            poem_openapi::payload::Binary<poem::Body>,
            #[oai(header = "Content-Disposition")] String,
        ),
        /// A parameter is invalid.
        #[oai(status = 400, content_type = "application/problem+json")]
        BadRequest(Json<Problem>),
    }
}

answers!(CsvFile from ReadError { NotFound => Internal as 500 });
