//! `/accounts`: login accounts, their roles, deactivation. Everything here
//! needs `accounts:manage`.

use crate::auth::ManageAccess;
use crate::body::JsonBody;
use crate::common::{Search, location, parse_page, parse_sort};
use crate::error::ApiError;
use crate::passwords::password_work;
use crate::payload::Json;
use crate::responses::{
    Acted, Created, Deleted, Fetched, Linked, Listed, RoleTaken, Updated, etag, if_match, respond,
};
use crate::{AppState, Tag, reading, writing};
use directory_auth::passwords::NewHash;
use directory_db::DbError;
use directory_db::accounts;
use directory_db::accounts::AccountFilter;
use directory_db::accounts::AccountSort;
use directory_domain::{Account, AccountId, AccountPatch, NewAccount, RoleId, StaffId};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};

/// An administrator may not lock themselves out.
fn not_self(caller: AccountId, target: AccountId, what: &str) -> Result<(), ApiError> {
    if caller == target {
        return Err(DbError::blocked(format!("you cannot {what} your own account")).into());
    }
    Ok(())
}

#[derive(Default)]
pub struct AccountsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Accounts")]
impl AccountsApi {
    /// List accounts
    #[oai(path = "/accounts", method = "get", operation_id = "listAccounts")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list_accounts(
        &self,
        state: Data<&AppState>,
        _auth: ManageAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `username`, `created_at`, `last_login_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(username|created_at|last_login_at))?$"))]
        sort: Query<Option<String>>,
        /// Only the account of this staff member.
        staff_id: Query<Option<StaffId>>,
        /// Only accounts that have this role.
        role_id: Query<Option<RoleId>>,
        /// Only active (`true`) or inactive (`false`) accounts.
        active: Query<Option<bool>>,
        /// Case-insensitive search in the username.
        q: Query<Option<Search>>,
    ) -> Listed<Account> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<AccountSort>(sort.0.as_deref())?;
            let filter = AccountFilter {
                staff_id: staff_id.0,
                active: active.0,
                role_id: role_id.0,
                q: q.0.map(|q| q.0),
            };
            let found = reading(&state, move |c| {
                accounts::list_accounts(c, &filter, sort, page)
            })
            .await?;
            Ok(Listed::page(found.items, found.total, page))
        })
        .await
    }

    /// Get an account
    #[oai(path = "/accounts/:id", method = "get", operation_id = "getAccount")]
    async fn get_account(
        &self,
        state: Data<&AppState>,
        _auth: ManageAccess,
        /// The account's id.
        id: Path<AccountId>,
    ) -> Fetched<Account> {
        respond(async {
            let account = reading(&state, move |c| accounts::get_account(c, id.0)).await?;
            let tag = etag(account.audit.version);
            Ok(Fetched::Ok(Json(account), tag))
        })
        .await
    }

    /// Create an account
    ///
    /// The password (8 to 256 characters, not the username) is stored only
    /// as an argon2id hash and never returned. A password equal to the
    /// username, ignoring case, fits the schema and is refused with 400
    /// naming `password`.
    #[oai(path = "/accounts", method = "post", operation_id = "createAccount")]
    async fn create_account(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        body: JsonBody<NewAccount>,
    ) -> Created<Account> {
        respond(async {
            let new = body.0.validated()?;
            let actor = auth.0.account;
            // Hashed first, on a blocking thread: a hash on a database
            // thread held a connection that reads were waiting for.
            let password = new.password.clone();
            let hash = password_work(move || NewHash::of(&password)).await??;
            let created = writing(&state, move |c| {
                accounts::create_account_with(c, &new, &hash, Some(actor))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("accounts", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update an account
    ///
    /// A new `password` (8 to 256 characters, not the username: 400 naming
    /// `password` otherwise) ends every session of the account, except the
    /// caller's own when the account is theirs.
    #[oai(
        path = "/accounts/:id",
        method = "patch",
        operation_id = "updateAccount"
    )]
    async fn update_account(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The account's id.
        id: Path<AccountId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<AccountPatch>,
    ) -> Updated<Account> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let actor = auth.0.account;
            let own_session = (id.0 == actor).then_some(auth.0.session);
            // The password rules need the stored username; the hash is
            // made between the read and the write, on a blocking thread.
            let current = reading(&state, move |c| accounts::get_account(c, id.0)).await?;
            let patch = body.0.validated(&current.username)?;
            let hash = match patch.password.as_set() {
                Some(password) => {
                    let password = password.clone();
                    Some(password_work(move || NewHash::of(&password)).await??)
                }
                None => None,
            };
            let updated = writing(&state, move |c| {
                accounts::update_account_with(
                    c,
                    id.0,
                    expected,
                    &patch,
                    hash.as_ref(),
                    Some(actor),
                    own_session,
                )
            })
            .await?;
            state.tokens.forget_account(id.0);
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete an account
    ///
    /// Its role links and sessions go with it. Deactivating is the everyday
    /// path. Refused (409) for one's own account, and for the last active
    /// account with `accounts:manage`.
    #[oai(
        path = "/accounts/:id",
        method = "delete",
        operation_id = "deleteAccount"
    )]
    async fn delete_account(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The account's id.
        id: Path<AccountId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            not_self(auth.0.account, id.0, "delete")?;
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                accounts::delete_account(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            state.tokens.forget_account(id.0);
            Ok(Deleted::NoContent)
        })
        .await
    }

    /// Deactivate an account
    ///
    /// Its tokens stop working at once; who and when are recorded. Refused
    /// (409) for one's own account, and for the last active account with
    /// `accounts:manage`.
    #[oai(
        path = "/accounts/:id/deactivate",
        method = "post",
        operation_id = "deactivateAccount"
    )]
    async fn deactivate_account(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The account's id.
        id: Path<AccountId>,
    ) -> Acted<Account> {
        respond(async {
            not_self(auth.0.account, id.0, "deactivate")?;
            let actor = auth.0.account;
            let account = writing(&state, move |c| {
                accounts::set_account_active(c, id.0, false, Some(actor))
            })
            .await?;
            state.tokens.forget_account(id.0);
            let tag = etag(account.audit.version);
            Ok(Acted::Ok(Json(account), tag))
        })
        .await
    }

    /// Reactivate an account
    #[oai(
        path = "/accounts/:id/reactivate",
        method = "post",
        operation_id = "reactivateAccount"
    )]
    async fn reactivate_account(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The account's id.
        id: Path<AccountId>,
    ) -> Acted<Account> {
        respond(async {
            let actor = auth.0.account;
            let account = writing(&state, move |c| {
                accounts::set_account_active(c, id.0, true, Some(actor))
            })
            .await?;
            let tag = etag(account.audit.version);
            Ok(Acted::Ok(Json(account), tag))
        })
        .await
    }

    /// Give an account a role
    #[oai(
        path = "/accounts/:id/roles/:role_id",
        method = "put",
        operation_id = "putAccountRole"
    )]
    async fn put_account_role(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The account's id.
        id: Path<AccountId>,
        /// The role's id.
        role_id: Path<RoleId>,
    ) -> Linked {
        respond(async {
            let actor = auth.0.account;
            let created = writing(&state, move |c| {
                accounts::put_account_role(c, id.0, role_id.0, Some(actor))
            })
            .await?;
            state.tokens.forget_account(id.0);
            Ok(Linked::new(created))
        })
        .await
    }

    /// Take a role from an account
    ///
    /// Refused (409) when it would leave no account that can log in with
    /// `accounts:manage`: nobody could then give it back.
    #[oai(
        path = "/accounts/:id/roles/:role_id",
        method = "delete",
        operation_id = "deleteAccountRole"
    )]
    async fn delete_account_role(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The account's id.
        id: Path<AccountId>,
        /// The role's id.
        role_id: Path<RoleId>,
    ) -> RoleTaken {
        respond(async {
            writing(&state, move |c| {
                accounts::remove_account_role(c, id.0, role_id.0, Some(auth.0.account))
            })
            .await?;
            state.tokens.forget_account(id.0);
            Ok(RoleTaken::NoContent)
        })
        .await
    }
}
