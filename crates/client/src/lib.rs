//! A typed async client for the hospital directory's HTTP API, on the
//! domain crate's types: what a request sends and a response carries are the
//! same structs the server validates and serialises, so a field renamed on
//! one side is a compile error on the other.
//!
//! ```no_run
//! use directory_client::{Client, StaffQuery};
//! use directory_domain::DepartmentId;
//!
//! # async fn run() -> Result<(), directory_client::Error> {
//! let client = Client::new("http://127.0.0.1:8080")?
//!     .login("admin", "the password")
//!     .await?;
//! let query = StaffQuery {
//!     department_id: Some(DepartmentId(1)),
//!     ..StaffQuery::default()
//! };
//! let page = client.list_staff(&query).await?;
//! println!("{} of {} staff", page.items.len(), page.total);
//! # Ok(())
//! # }
//! ```
//!
//! Every operation of the API is a method named after its `operationId`
//! (`listStaff` is [`Client::list_staff`]). A refused request is
//! [`Error::Problem`] with the server's problem document; a change to an
//! existing record takes an [`IfMatch`], usually [`IfMatch::of`] the record
//! as it was read; and [`Client::stream`] walks every page of a list.

#![warn(missing_docs)]

mod error;
mod queries;

pub use error::{Error, FieldProblem, Problem};
pub use queries::{
    AccountQuery, BuildingQuery, CadreQuery, DepartmentQuery, DesignationQuery, FloorQuery,
    ListQuery, OperatingTheatreQuery, PageQuery, RoleQuery, StaffQuery, UnitQuery,
};

use directory_domain::{
    Account, AccountId, AccountPatch, Building, BuildingId, BuildingPatch, Cadre, CadreId,
    CadrePatch, Department, DepartmentId, DepartmentPatch, Designation, DesignationId,
    DesignationPatch, Floor, FloorId, FloorPatch, Headship, LoginRequest, LoginResponse, Me,
    NewAccount, NewBuilding, NewCadre, NewDepartment, NewDesignation, NewFloor,
    NewOperatingTheatre, NewRole, NewStaff, NewUnit, OperatingTheatre, OperatingTheatreId,
    OperatingTheatrePatch, PasswordChange, Role, RoleId, RolePatch, Staff, StaffId, StaffPatch,
    Unit, UnitId, UnitPatch, WorksIn,
};
use futures_util::{Stream, TryStreamExt, stream};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;

/// The query of a request that has none.
const NO_QUERY: [(&str, &str); 0] = [];

/// What a call gives back, or why it could not.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One page of a list, as the server sends it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// How many match in all, across every page.
    pub total: i64,
    /// The page size the server used.
    pub limit: i64,
    /// The rows the server skipped.
    pub offset: i64,
}

/// What `/readyz` says when the server can serve.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Readiness {
    /// `ready`.
    pub status: String,
    /// The backend in use: `sqlite`, `postgres` or `mysql`.
    pub database: String,
    /// Migrations not yet applied (0 when ready).
    pub pending_migrations: u32,
}

/// Whether a link (a head, a works-in department, an account's role) was
/// made by the call or was there already (in force today, for a head or a
/// works-in department); both leave the link in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// The call made it (201).
    Added,
    /// It was there before (200, or 204 for a role).
    AlreadyThere,
}

/// The condition a change or delete is sent with (`If-Match`): the change is
/// refused with 412, changing nothing, if the record moved on meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// Only if the record is still at this version.
    Version(i32),
    /// Whatever the version (`*`): the last write wins.
    Any,
}

impl IfMatch {
    /// The version of a record as it was read: the usual condition.
    pub fn of(record: &impl Versioned) -> Self {
        Self::Version(record.version())
    }

    fn header(self) -> String {
        match self {
            Self::Version(version) => format!("\"{version}\""),
            Self::Any => "*".to_owned(),
        }
    }
}

/// A record with a version, which grows by one on every change.
pub trait Versioned {
    /// The version the record was read at (its ETag).
    fn version(&self) -> i32;
}

macro_rules! versioned {
    ($($ty:ty),*) => {$(
        impl Versioned for $ty {
            fn version(&self) -> i32 {
                self.audit.version
            }
        }
    )*};
}

versioned!(
    Account,
    Building,
    Cadre,
    Department,
    Designation,
    Floor,
    OperatingTheatre,
    Role,
    Staff,
    Unit
);

/// A connection to one directory server, anonymous or logged in. Cloning is
/// cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<Arc<str>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    /// An anonymous client for the server at `base_url`
    /// (`https://directory.hospital.example`).
    pub fn new(base_url: &str) -> Result<Self> {
        Self::with_http(reqwest::Client::new(), base_url)
    }

    /// The same on a `reqwest::Client` of your own (extra root
    /// certificates, a proxy, timeouts).
    pub fn with_http(http: reqwest::Client, base_url: &str) -> Result<Self> {
        let mut base =
            Url::parse(base_url).map_err(|e| Error::BaseUrl(format!("{base_url}: {e}")))?;
        if base.cannot_be_a_base() {
            return Err(Error::BaseUrl(format!("{base_url}: not an http(s) URL")));
        }
        // Paths are joined below the base, so it ends with a slash.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Self {
            http,
            base,
            token: None,
        })
    }

    /// This client with a bearer token obtained elsewhere.
    pub fn with_token(mut self, access_token: &str) -> Self {
        self.token = Some(access_token.into());
        self
    }

    /// The bearer token this client sends, if it is logged in.
    pub fn access_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Logs in (`login`) and gives a client that sends the new token.
    pub async fn login(&self, username: &str, password: &str) -> Result<Self> {
        let answer = self.login_response(username, password).await?;
        Ok(self.clone().with_token(&answer.access_token))
    }

    /// Logs in and gives the whole answer: the token, its expiry and the
    /// account.
    pub async fn login_response(&self, username: &str, password: &str) -> Result<LoginResponse> {
        let body = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        self.json(self.request(Method::POST, "api/v1/auth/login")?.json(&body))
            .await
    }

    /// Ends this client's session (`logout`); the token stops working.
    pub async fn logout(&self) -> Result<()> {
        self.empty(self.request(Method::POST, "api/v1/auth/logout")?)
            .await
    }

    /// The account this client is logged in as (`getMe`).
    pub async fn get_me(&self) -> Result<Me> {
        self.get("api/v1/auth/me", &NO_QUERY).await
    }

    /// Changes this client's own password (`changePassword`); other
    /// sessions of the account end.
    pub async fn change_password(&self, change: &PasswordChange) -> Result<()> {
        self.empty(
            self.request(Method::POST, "api/v1/auth/password")?
                .json(change),
        )
        .await
    }

    /// Whether the process is up (`getHealth`).
    pub async fn get_health(&self) -> Result<()> {
        self.empty(self.request(Method::GET, "healthz")?).await
    }

    /// Whether the server can serve: the database answers and is migrated
    /// (`getReadiness`); a 503 problem when not.
    pub async fn get_readiness(&self) -> Result<Readiness> {
        self.get("readyz", &NO_QUERY).await
    }

    /// One page of any list with a query type: `client.list(&StaffQuery::default())`.
    pub async fn list<Q: ListQuery>(&self, query: &Q) -> Result<Page<Q::Item>> {
        self.get(Q::PATH, query).await
    }

    /// Every item of a list, page after page, as a stream. Staff in their
    /// default order are paged by keyset (`after`), so rows added meanwhile
    /// neither repeat nor push others out of sight; other lists page by
    /// offset.
    pub fn stream<'a, Q: ListQuery + 'a>(
        &'a self,
        query: Q,
    ) -> impl Stream<Item = Result<Q::Item>> + 'a {
        stream::try_unfold(Some(query), move |query| async move {
            let Some(mut query) = query else {
                return Ok::<_, Error>(None);
            };
            let page = self.list(&query).await?;
            let more = query.advance(&page);
            let items = stream::iter(page.items.into_iter().map(Ok));
            Ok(Some((items, more.then_some(query))))
        })
        .try_flatten()
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .map_err(|e| Error::BaseUrl(format!("{path}: {e}")))
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder> {
        let request = self.http.request(method, self.url(path)?);
        Ok(match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        })
    }

    async fn send(&self, request: RequestBuilder) -> Result<reqwest::Response> {
        let response = request.send().await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(Error::from_response(response).await)
        }
    }

    async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T> {
        Ok(self.send(request).await?.json().await?)
    }

    async fn empty(&self, request: RequestBuilder) -> Result<()> {
        self.send(request).await.map(drop)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &impl Serialize) -> Result<T> {
        self.json(self.request(Method::GET, path)?.query(query))
            .await
    }

    async fn create<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        self.json(self.request(Method::POST, path)?.json(body))
            .await
    }

    async fn update<T: DeserializeOwned>(
        &self,
        path: &str,
        condition: IfMatch,
        patch: &impl Serialize,
    ) -> Result<T> {
        let request = self
            .request(Method::PATCH, path)?
            .header("if-match", condition.header())
            .json(patch);
        self.json(request).await
    }

    async fn delete(&self, path: &str, condition: IfMatch) -> Result<()> {
        let request = self
            .request(Method::DELETE, path)?
            .header("if-match", condition.header());
        self.empty(request).await
    }

    async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.json(self.request(Method::POST, path)?).await
    }

    async fn link(&self, path: &str) -> Result<Linked> {
        let response = self.send(self.request(Method::PUT, path)?).await?;
        Ok(if response.status() == StatusCode::CREATED {
            Linked::Added
        } else {
            Linked::AlreadyThere
        })
    }

    async fn unlink(&self, path: &str) -> Result<()> {
        self.empty(self.request(Method::DELETE, path)?).await
    }
}

/// The operations on one kind of record: list, get, create, update, delete.
macro_rules! resource {
    (
        $path:literal, $id:ty, $record:ty, $new:ty, $patch:ty, $query:ty,
        $list:ident, $get:ident, $create:ident, $update:ident, $delete:ident
    ) => {
        impl Client {
            #[doc = concat!("One page of `/api/v1/", $path, "` (`", stringify!($list), "`).")]
            pub async fn $list(&self, query: &$query) -> Result<Page<$record>> {
                self.list(query).await
            }

            #[doc = concat!("One record of `/api/v1/", $path, "` by id (`", stringify!($get), "`).")]
            pub async fn $get(&self, id: $id) -> Result<$record> {
                self.get(&format!("api/v1/{}/{}", $path, id), &NO_QUERY).await
            }

            #[doc = concat!("Creates a record in `/api/v1/", $path, "` (`", stringify!($create), "`).")]
            pub async fn $create(&self, new: &$new) -> Result<$record> {
                self.create(concat!("api/v1/", $path), new).await
            }

            #[doc = concat!("Changes the fields the patch sets (`", stringify!($update), "`).")]
            pub async fn $update(&self, id: $id, condition: IfMatch, patch: &$patch) -> Result<$record> {
                self.update(&format!("api/v1/{}/{}", $path, id), condition, patch).await
            }

            #[doc = concat!("Deletes a record of `/api/v1/", $path, "` (`", stringify!($delete), "`).")]
            pub async fn $delete(&self, id: $id, condition: IfMatch) -> Result<()> {
                self.delete(&format!("api/v1/{}/{}", $path, id), condition).await
            }
        }
    };
}

resource!(
    "departments",
    DepartmentId,
    Department,
    NewDepartment,
    DepartmentPatch,
    DepartmentQuery,
    list_departments,
    get_department,
    create_department,
    update_department,
    delete_department
);
resource!(
    "units",
    UnitId,
    Unit,
    NewUnit,
    UnitPatch,
    UnitQuery,
    list_units,
    get_unit,
    create_unit,
    update_unit,
    delete_unit
);
resource!(
    "cadres",
    CadreId,
    Cadre,
    NewCadre,
    CadrePatch,
    CadreQuery,
    list_cadres,
    get_cadre,
    create_cadre,
    update_cadre,
    delete_cadre
);
resource!(
    "designations",
    DesignationId,
    Designation,
    NewDesignation,
    DesignationPatch,
    DesignationQuery,
    list_designations,
    get_designation,
    create_designation,
    update_designation,
    delete_designation
);
resource!(
    "staff",
    StaffId,
    Staff,
    NewStaff,
    StaffPatch,
    StaffQuery,
    list_staff,
    get_staff,
    create_staff,
    update_staff,
    delete_staff
);
resource!(
    "roles",
    RoleId,
    Role,
    NewRole,
    RolePatch,
    RoleQuery,
    list_roles,
    get_role,
    create_role,
    update_role,
    delete_role
);
resource!(
    "accounts",
    AccountId,
    Account,
    NewAccount,
    AccountPatch,
    AccountQuery,
    list_accounts,
    get_account,
    create_account,
    update_account,
    delete_account
);
resource!(
    "buildings",
    BuildingId,
    Building,
    NewBuilding,
    BuildingPatch,
    BuildingQuery,
    list_buildings,
    get_building,
    create_building,
    update_building,
    delete_building
);
resource!(
    "floors",
    FloorId,
    Floor,
    NewFloor,
    FloorPatch,
    FloorQuery,
    list_floors,
    get_floor,
    create_floor,
    update_floor,
    delete_floor
);
resource!(
    "operating-theatres",
    OperatingTheatreId,
    OperatingTheatre,
    NewOperatingTheatre,
    OperatingTheatrePatch,
    OperatingTheatreQuery,
    list_operating_theatres,
    get_operating_theatre,
    create_operating_theatre,
    update_operating_theatre,
    delete_operating_theatre
);

/// The operations below one record: its children, links and state changes.
impl Client {
    /// A department's units (`listDepartmentUnits`).
    pub async fn list_department_units(
        &self,
        id: DepartmentId,
        query: &PageQuery,
    ) -> Result<Page<Unit>> {
        self.get(&format!("api/v1/departments/{id}/units"), query)
            .await
    }

    /// A department's heads in force today (`listDepartmentHeads`).
    pub async fn list_department_heads(&self, id: DepartmentId) -> Result<Page<Headship>> {
        self.get(&format!("api/v1/departments/{id}/heads"), &NO_QUERY)
            .await
    }

    /// Makes a staff member a head of the department from today, unless
    /// they are already (`putDepartmentHead`).
    pub async fn put_department_head(&self, id: DepartmentId, staff: StaffId) -> Result<Linked> {
        self.link(&format!("api/v1/departments/{id}/heads/{staff}"))
            .await
    }

    /// Ends a staff member's headship of the department
    /// (`deleteDepartmentHead`).
    pub async fn delete_department_head(&self, id: DepartmentId, staff: StaffId) -> Result<()> {
        self.unlink(&format!("api/v1/departments/{id}/heads/{staff}"))
            .await
    }

    /// A unit's heads in force today (`listUnitHeads`).
    pub async fn list_unit_heads(&self, id: UnitId) -> Result<Page<Headship>> {
        self.get(&format!("api/v1/units/{id}/heads"), &NO_QUERY)
            .await
    }

    /// Makes a staff member a head of the unit from today, unless they are
    /// already (`putUnitHead`).
    pub async fn put_unit_head(&self, id: UnitId, staff: StaffId) -> Result<Linked> {
        self.link(&format!("api/v1/units/{id}/heads/{staff}")).await
    }

    /// Ends a staff member's headship of the unit (`deleteUnitHead`).
    pub async fn delete_unit_head(&self, id: UnitId, staff: StaffId) -> Result<()> {
        self.unlink(&format!("api/v1/units/{id}/heads/{staff}"))
            .await
    }

    /// A cadre's designations (`listCadreDesignations`).
    pub async fn list_cadre_designations(
        &self,
        id: CadreId,
        query: &PageQuery,
    ) -> Result<Page<Designation>> {
        self.get(&format!("api/v1/cadres/{id}/designations"), query)
            .await
    }

    /// Deactivates a staff member (`deactivateStaff`).
    pub async fn deactivate_staff(&self, id: StaffId) -> Result<Staff> {
        self.post_empty(&format!("api/v1/staff/{id}/deactivate"))
            .await
    }

    /// Reactivates a staff member (`reactivateStaff`).
    pub async fn reactivate_staff(&self, id: StaffId) -> Result<Staff> {
        self.post_empty(&format!("api/v1/staff/{id}/reactivate"))
            .await
    }

    /// The departments a staff member also works in today
    /// (`listStaffWorksIn`).
    pub async fn list_staff_works_in(&self, id: StaffId) -> Result<Page<WorksIn>> {
        self.get(&format!("api/v1/staff/{id}/works-in"), &NO_QUERY)
            .await
    }

    /// Adds a department a staff member also works in, from today
    /// (`putStaffWorksIn`).
    pub async fn put_staff_works_in(
        &self,
        id: StaffId,
        department: DepartmentId,
    ) -> Result<Linked> {
        self.link(&format!("api/v1/staff/{id}/works-in/{department}"))
            .await
    }

    /// Removes a department a staff member also works in
    /// (`deleteStaffWorksIn`).
    pub async fn delete_staff_works_in(&self, id: StaffId, department: DepartmentId) -> Result<()> {
        self.unlink(&format!("api/v1/staff/{id}/works-in/{department}"))
            .await
    }

    /// Deactivates an account (`deactivateAccount`): its sessions end.
    pub async fn deactivate_account(&self, id: AccountId) -> Result<Account> {
        self.post_empty(&format!("api/v1/accounts/{id}/deactivate"))
            .await
    }

    /// Reactivates an account (`reactivateAccount`).
    pub async fn reactivate_account(&self, id: AccountId) -> Result<Account> {
        self.post_empty(&format!("api/v1/accounts/{id}/reactivate"))
            .await
    }

    /// Gives an account a role (`putAccountRole`).
    pub async fn put_account_role(&self, id: AccountId, role: RoleId) -> Result<Linked> {
        self.link(&format!("api/v1/accounts/{id}/roles/{role}"))
            .await
    }

    /// Takes a role from an account (`deleteAccountRole`).
    pub async fn delete_account_role(&self, id: AccountId, role: RoleId) -> Result<()> {
        self.unlink(&format!("api/v1/accounts/{id}/roles/{role}"))
            .await
    }

    /// A building's floors (`listBuildingFloors`).
    pub async fn list_building_floors(
        &self,
        id: BuildingId,
        query: &PageQuery,
    ) -> Result<Page<Floor>> {
        self.get(&format!("api/v1/buildings/{id}/floors"), query)
            .await
    }

    /// A floor's operating theatres (`listFloorOperatingTheatres`).
    pub async fn list_floor_operating_theatres(
        &self,
        id: FloorId,
        query: &PageQuery,
    ) -> Result<Page<OperatingTheatre>> {
        self.get(&format!("api/v1/floors/{id}/operating-theatres"), query)
            .await
    }
}
