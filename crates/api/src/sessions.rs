//! `/auth`: log in, log out, who am I, change my password.

use crate::auth::AnyAccess;
use crate::body::JsonBody;
use crate::error::{ApiError, RETRY_AFTER_SECS};
use crate::passwords::password_work;
use crate::payload::Json;
use crate::problem::Problem;
use crate::responses::{Answers, Done, Fetched, etag, respond};
use crate::{AppState, Tag, reading, writing, writing_on_pool};
use directory_auth::passwords::NewHash;
use directory_db::DbResult;
use directory_db::accounts;
use directory_db::sessions::{self, LockoutPolicy};
use directory_domain::validate::unique_key;
use directory_domain::{LoginRequest, LoginResponse, Me, PasswordChange};
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::{ApiResponse, OpenApi};

/// The answer to a login attempt.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "crate::responses::bad_request")]
pub enum LoginResult {
    /// Logged in: send the token as `Authorization: Bearer <access_token>`.
    #[oai(status = 200)]
    Ok(Json<LoginResponse>),
    /// The body is malformed.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Wrong username or password, or the account may not log in; which of
    /// these is not said.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// Too many failed logins for this username or from this address; try
    /// again after `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] String),
    /// The body is not JSON.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// An unexpected failure; the body gives only the request id.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database is busy or unavailable; try again after `Retry-After`
    /// seconds.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>, #[oai(header = "Retry-After")] String),
}

impl Answers for LoginResult {
    type Error = ApiError;
}

impl From<ApiError> for LoginResult {
    fn from(error: ApiError) -> Self {
        let unavailable = |p: Problem| Self::Unavailable(Json(p), RETRY_AFTER_SECS.to_string());
        match error {
            ApiError::BadRequest(p) => Self::BadRequest(Json(p)),
            ApiError::Unauthorized(p) | ApiError::Forbidden(p) => {
                Self::Unauthorized(Json(p), "Bearer".into())
            }
            // The account went while the login ran: as good as unknown.
            ApiError::NotFound(_) => Self::Unauthorized(
                Json(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "wrong username or password",
                )),
                "Bearer".into(),
            ),
            // A concurrent change to the account or the failure counts: a
            // moment later the login settles.
            ApiError::Conflict(p) | ApiError::PreconditionFailed(p) => unavailable(p.restatus(503)),
            ApiError::UnsupportedMediaType(p) => Self::UnsupportedMediaType(Json(p)),
            ApiError::Unavailable(p) => unavailable(p),
            ApiError::Internal(p) => Self::Internal(Json(p)),
        }
    }
}

enum Outcome {
    LoggedIn(Box<LoginResponse>),
    Refused,
}

/// The keys failed logins are counted under; long input is cut so a key
/// fits its column.
fn attempt_keys(username: &str, address: &str) -> (String, String) {
    let user: String = unique_key(username.trim()).chars().take(180).collect();
    (format!("u:{user}"), format!("a:{address}"))
}

fn locked(seconds: i64) -> LoginResult {
    LoginResult::TooManyRequests(
        Json(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins; try again in {seconds} seconds"),
        )),
        seconds.to_string(),
    )
}

#[derive(Default)]
pub struct SessionApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Auth")]
impl SessionApi {
    /// Log in
    ///
    /// Exchanges a username and password for a bearer token. After repeated
    /// failures for one username, or from one address, further attempts get
    /// 429 until the cooling-off period ends.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        body: JsonBody<LoginRequest>,
    ) -> LoginResult {
        let address = remote
            .as_socket_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let settings = state.auth.clone();
        respond(async {
            let LoginRequest { username, password } = body.0.validated()?;
            let (user_key, address_key) = attempt_keys(&username, &address);
            let keys = [user_key.clone(), address_key.clone()];
            let failed_as = username.clone();
            // Three steps, so the password check (CPU only) holds no pooled
            // connection: reads go on while logins hash.
            let checked = keys.clone();
            let candidate = reading(&state, move |c| -> DbResult<_> {
                if let Some(seconds) = sessions::locked_for(c, &checked)? {
                    return Ok(Err(seconds));
                }
                Ok(Ok(accounts::LoginCandidate::find(c, &username)?))
            })
            .await?;
            let candidate = match candidate {
                Ok(candidate) => candidate,
                Err(seconds) => return Ok(locked(seconds)),
            };
            let matched = password_work(move || candidate.check(&password)).await?;
            let today = state.today();
            let outcome = writing_on_pool(&state, move |c| -> DbResult<Outcome> {
                let account = match matched {
                    Some(matched) => sessions::may_log_in(c, matched, today)?,
                    None => None,
                };
                let Some(account) = account else {
                    let policies: [(String, LockoutPolicy); 2] = [
                        (user_key, settings.per_username),
                        (address_key, settings.per_address),
                    ];
                    sessions::record_failure(c, &failed_as, &policies)?;
                    return Ok(Outcome::Refused);
                };
                sessions::clear_failures(c, &keys)?;
                let session = sessions::create_session(c, account.id, settings.token_lifetime)?;
                let me = sessions::me(c, account.id)?;
                Ok(Outcome::LoggedIn(Box::new(LoginResponse {
                    access_token: session.token,
                    token_type: "Bearer".into(),
                    expires_at: session.expires_at.and_utc(),
                    account: me,
                })))
            })
            .await?;
            Ok(match outcome {
                Outcome::LoggedIn(response) => LoginResult::Ok(Json(*response)),
                Outcome::Refused => LoginResult::Unauthorized(
                    Json(Problem::new(
                        StatusCode::UNAUTHORIZED,
                        "wrong username or password",
                    )),
                    "Bearer".into(),
                ),
            })
        })
        .await
    }

    /// Log out
    ///
    /// The token stops working at once.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, state: Data<&AppState>, auth: AnyAccess) -> Done {
        respond(async {
            let session = auth.0.session;
            writing(&state, move |c| sessions::end_session(c, session)).await?;
            state.tokens.forget_session(session);
            Ok(Done::NoContent)
        })
        .await
    }

    /// Who am I
    ///
    /// The caller's account, its roles' names and its permissions.
    #[oai(path = "/auth/me", method = "get", operation_id = "getMe")]
    async fn get_me(&self, state: Data<&AppState>, auth: AnyAccess) -> Fetched<Me> {
        respond(async {
            let account = auth.0.account;
            let me = reading(&state, move |c| sessions::me(c, account)).await?;
            let tag = etag(me.account.audit.version);
            Ok(Fetched::Ok(Json(me), tag))
        })
        .await
    }

    /// Change my password
    ///
    /// Needs the current password. Every other session of the account ends;
    /// this one goes on.
    #[oai(
        path = "/auth/password",
        method = "post",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        auth: AnyAccess,
        body: JsonBody<PasswordChange>,
    ) -> Done {
        respond(async {
            let caller = auth.0;
            let account = caller.account;
            // Three steps, so the password work (two hashes' worth of CPU)
            // holds no pooled connection.
            let (username, candidate) = reading(&state, move |c| {
                let me = accounts::get_account(c, account)?;
                Ok((
                    me.username,
                    accounts::LoginCandidate::of_account(c, account)?,
                ))
            })
            .await?;
            let change = body.0.validated(&username)?;
            let checked = password_work(move || -> DbResult<_> {
                let Some(matched) = candidate.check(&change.current_password) else {
                    return Ok(None);
                };
                Ok(Some((matched, NewHash::of(&change.new_password)?)))
            })
            .await??;
            // A wrong current password is a bad request, not a conflict
            // with stored data.
            let Some((matched, hash)) = checked else {
                return Err(ApiError::field(
                    "current_password",
                    "is not the current password",
                ));
            };
            let session = caller.session;
            writing(&state, move |c| {
                accounts::change_checked_password(c, &matched, &hash, session)
            })
            .await?;
            state.tokens.forget_account(account);
            Ok(Done::NoContent)
        })
        .await
    }
}
