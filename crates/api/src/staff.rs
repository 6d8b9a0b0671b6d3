//! `/staff`: people, their secondary departments, deactivation.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::{JsonBody, OptionalJsonBody};
use crate::common::{Search, in_force, location, parse_expand, parse_page, parse_sort};
use crate::error::ApiError;
use crate::files::StaffFile;
use crate::payload::Json;
use crate::problem::{CellProblem, ImportProblem, Problem};
use crate::responses::{
    Acted, Assigned, Created, CsvFile, Deleted, Fetched, ImportReport, Imported, Listed,
    ListedUnder, Unlinked, Updated, etag, if_match, respond,
};
use crate::{AppState, Tag, reading, writing};
use directory_db::audit;
use directory_db::staff::{self as st, StaffFilter, StaffSort};
use directory_domain::{
    AuditEntity, CadreId, DepartmentId, DesignationId, InForce, NewStaff, PeriodRequest, Staff,
    StaffId, StaffPatch, UnitId, WorksIn,
};
use directory_import::ImportError;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{Object, OpenApi};

/// A staff member, with their secondary departments when `expand=works_in`.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct StaffView {
    #[oai(flatten)]
    #[serde(flatten)]
    pub staff: Staff,
    /// With `expand=works_in`: departments they also work in.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub works_in: Option<Vec<WorksIn>>,
}

fn expand_staff(
    conn: &mut directory_db::DbConnection,
    staff: Vec<Staff>,
    wanted: &[String],
    today: chrono::NaiveDate,
) -> directory_db::DbResult<Vec<StaffView>> {
    let works_in = if wanted.iter().any(|w| w == "works_in") {
        let ids: Vec<StaffId> = staff.iter().map(|s| s.id).collect();
        Some(st::works_in_of(conn, &ids, InForce::On(today))?)
    } else {
        None
    };
    Ok(staff
        .into_iter()
        .map(|staff| StaffView {
            works_in: works_in.as_ref().map(|all| {
                all.iter()
                    .filter(|(s, _)| *s == staff.id)
                    .map(|(_, d)| d.clone())
                    .collect()
            }),
            staff,
        })
        .collect())
}

/// Where staff files are posted: the one path with a larger body limit.
pub const IMPORT_PATH: &str = "/api/v1/staff/import";

/// Staff an export reads at a time: one page in memory whatever the size
/// of the list, and few enough round trips that paging costs little.
const EXPORT_PAGE: i64 = 1000;

/// One import against a connection, its file's problems kept apart from
/// the database's failures (which alone roll the work back and fail it).
fn import_with(
    conn: &mut directory_db::DbConnection,
    sheet: &directory_import::Sheet,
    dry_run: bool,
    actor: directory_db::Actor,
) -> Result<Result<directory_import::Report, ImportError>, directory_db::DbError> {
    match directory_import::import(conn, sheet, dry_run, actor, &mut |_| {}) {
        Err(ImportError::Db(e)) => Err(e),
        outcome => Ok(outcome),
    }
}

/// The answer to a file that was refused before or after its rows were
/// checked.
fn refused(error: ImportError) -> Result<Imported, ApiError> {
    match error {
        ImportError::Rows(cells) => Ok(Imported::Unprocessable(Json(ImportProblem::new(
            cells
                .into_iter()
                .map(|c| CellProblem {
                    row: c.row,
                    column: c.column,
                    message: c.message,
                })
                .collect(),
        )))),
        ImportError::Db(e) => Err(e.into()),
        file => Ok(Imported::BadRequest(Json(Problem::new(
            poem::http::StatusCode::BAD_REQUEST,
            file.to_string(),
        )))),
    }
}

/// What an export carries from one page to the next.
struct Export {
    state: AppState,
    filter: StaffFilter,
    rows: directory_import::export::Rows,
    page: Vec<(Staff, Option<String>)>,
}

impl Export {
    /// The CSV of the page in hand, and the export with the next page read
    /// (`None` after the last).
    async fn next(mut self) -> (Result<Vec<u8>, std::io::Error>, Option<Self>) {
        for (staff, supervisor) in &self.page {
            self.rows.push(staff, supervisor.as_deref());
        }
        let bytes = self.rows.take();
        let after = match self.page.last() {
            Some((last, _)) if self.page.len() as i64 == EXPORT_PAGE => last.id,
            _ => return (Ok(bytes), None),
        };
        let filter = self.filter.clone();
        match reading(&self.state, move |c| {
            st::export_page(c, &filter, Some(after), EXPORT_PAGE)
        })
        .await
        {
            Ok(page) => {
                self.page = page;
                (Ok(bytes), Some(self))
            }
            Err(failure) => {
                tracing::error!(error = ?failure.0, "an export stopped part way");
                (
                    Err(std::io::Error::other(
                        "the export could not read its next page",
                    )),
                    None,
                )
            }
        }
    }
}

#[derive(Default)]
pub struct StaffApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Staff")]
impl StaffApi {
    /// List staff members
    ///
    /// Each comes with the names of their department, unit, designation and
    /// cadre. Filters combine with AND; `q` searches name, email and employee
    /// id, ignoring case.
    #[oai(path = "/staff", method = "get", operation_id = "listStaff")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list_staff(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip, at most 100,000: past that, page with `after`.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// Only staff with a greater id. In the default (id) order this is
        /// keyset paging: pass the last id of one page to get the next; a
        /// page costs the same at any depth, where `offset` steps over
        /// every row it skips. With `sort` or `offset` it is a filter like
        /// the others.
        after: Query<Option<StaffId>>,
        /// `full_name`, `employee_id`, `email`, `department_id`, `end_date`,
        /// `created_at`, `updated_at`; `-` for descending.
        #[oai(validator(
            pattern = r"^([+-]?(full_name|employee_id|email|department_id|end_date|created_at|updated_at))?$"
        ))]
        sort: Query<Option<String>>,
        /// Only staff members of this department.
        department_id: Query<Option<DepartmentId>>,
        /// Only staff members of this unit.
        unit_id: Query<Option<UnitId>>,
        /// Only staff members with this designation.
        designation_id: Query<Option<DesignationId>>,
        /// Only staff members whose designation is in this cadre.
        cadre_id: Query<Option<CadreId>>,
        /// Only active (`true`) or inactive (`false`) staff members.
        active: Query<Option<bool>>,
        /// Case-insensitive search in name, email and employee id.
        q: Query<Option<Search>>,
        /// Relations to embed: `works_in`.
        #[oai(validator(pattern = r"^((works_in)(,(works_in))*)?$"))]
        expand: Query<Option<String>>,
    ) -> Listed<StaffView> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<StaffSort>(sort.0.as_deref())?;
            let after = after.0;
            let today = state.today();
            let wanted = parse_expand(expand.0.as_deref(), &["works_in"])?;
            let filter = StaffFilter {
                department_id: department_id.0,
                unit_id: unit_id.0,
                designation_id: designation_id.0,
                cadre_id: cadre_id.0,
                active: active.0,
                q: q.0.map(|q| q.0),
            };
            let counts = state.counts.clone();
            let (items, total) = reading(&state, move |c| {
                let found = st::list_staff(c, &counts, &filter, sort, page, after)?;
                Ok((expand_staff(c, found.items, &wanted, today)?, found.total))
            })
            .await?;
            Ok(Listed::page(items, total, page))
        })
        .await
    }

    /// Get a staff member
    #[oai(path = "/staff/:id", method = "get", operation_id = "getStaff")]
    async fn get_staff(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The staff member's id.
        id: Path<StaffId>,
        /// Relations to embed: `works_in`.
        #[oai(validator(pattern = r"^((works_in)(,(works_in))*)?$"))]
        expand: Query<Option<String>>,
        /// The record as it was at this instant (RFC 3339), from the audit
        /// trail, with the heads and works-in periods in force that day;
        /// 404 if it did not exist then.
        as_of: Query<Option<chrono::DateTime<chrono::Utc>>>,
    ) -> Fetched<StaffView> {
        respond(async {
            let today = state.today();
            let wanted = parse_expand(expand.0.as_deref(), &["works_in"])?;
            // As of an instant: the record then, and its relations on that
            // day (the hospital's).
            let at = as_of.0;
            let day = at.map_or(today, |at| state.day_of(at));
            let counts = state.counts.clone();
            let view = reading(&state, move |c| {
                let staff = match at {
                    Some(at) => audit::as_of(c, AuditEntity::Staff, id.0.0, at, "staff member")?,
                    None => st::read_staff(c, &counts, id.0)?,
                };
                Ok(expand_staff(c, vec![staff], &wanted, day)?.remove(0))
            })
            .await?;
            let tag = etag(view.staff.audit.version);
            Ok(Fetched::Ok(Json(view), tag))
        })
        .await
    }

    /// Import staff from a CSV or Excel file
    ///
    /// The header row names the columns, in any order: `employee_id`,
    /// `full_name`, `email`, `mobile`, `department`, `designation`
    /// (required), `unit`, `cadre`, `supervisor_employee_id`, `end_date`
    /// (`YYYY-MM-DD`), `office_address`, `email2`, `email3`, `mobile2`,
    /// `mobile3` (`GET /staff/import-template.csv` gives it). Departments,
    /// units, designations and cadres are found by name or abbreviation,
    /// ignoring case; a supervisor by employee id, in the directory or
    /// anywhere in the file. A row whose employee id exists updates that
    /// staff member (an optional column the file lacks is left as it is);
    /// any other row creates one. All or nothing: one bad cell and nothing
    /// is written, and the 422 lists every bad cell. Each change is
    /// recorded in the audit trail as the caller's.
    #[oai(path = "/staff/import", method = "post", operation_id = "importStaff")]
    async fn import_staff(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// `true`: check the file and report what would change, writing
        /// nothing.
        dry_run: Query<Option<bool>>,
        body: StaffFile,
    ) -> Imported {
        respond(async {
            let (bytes, format) = body.into_parts();
            let dry_run = dry_run.0.unwrap_or(false);
            // Parsing a large workbook is CPU work: off the reactor.
            let sheet =
                match tokio::task::spawn_blocking(move || directory_import::read(&bytes, format))
                    .await
                {
                    Ok(Ok(sheet)) => std::sync::Arc::new(sheet),
                    Ok(Err(error)) => return refused(error),
                    // A parser that gives up on a malformed file by
                    // panicking still has only the file to blame.
                    Err(panic) if panic.is_panic() => {
                        tracing::warn!(?format, "the file's parser panicked");
                        return refused(ImportError::File(format!(
                            "the file could not be read as {}",
                            match format {
                                directory_import::Format::Csv => "CSV",
                                directory_import::Format::Xlsx => "an Excel workbook (.xlsx)",
                            }
                        )));
                    }
                    Err(_) => return Err(ApiError::internal()),
                };
            let actor = Some(auth.0.account);
            let outcome = if dry_run {
                reading(&state, move |c| import_with(c, &sheet, true, actor)).await?
            } else {
                writing(&state, move |c| import_with(c, &sheet, false, actor)).await?
            };
            let report = match outcome {
                Ok(report) => report,
                Err(error) => return refused(error),
            };
            if report.updated > 0 && !dry_run {
                // An end date may have changed: no cached token outlives it.
                state.tokens.clear();
            }
            let count = |n: usize| n as u64;
            Ok(Imported::Ok(Json(ImportReport {
                dry_run: report.dry_run,
                rows: count(report.rows),
                created: count(report.created),
                updated: count(report.updated),
                unchanged: count(report.unchanged),
                errors: Vec::new(),
            })))
        })
        .await
    }

    /// The header row of a staff import file
    ///
    /// A CSV file with the header row alone, every column in the order the
    /// export writes them.
    #[oai(
        path = "/staff/import-template.csv",
        method = "get",
        operation_id = "getStaffImportTemplate"
    )]
    async fn import_template(&self, _auth: ReadAccess) -> CsvFile {
        CsvFile::Ok(
            poem_openapi::payload::Binary(poem::Body::from(directory_import::export::template())),
            "attachment; filename=\"staff-import-template.csv\"".into(),
        )
    }

    /// Export staff as CSV
    ///
    /// The list's filters, in the import's columns, in id order; streamed
    /// a page at a time, so any size costs the server the same memory. A
    /// cell a spreadsheet would run as a formula starts with `'`, which an
    /// import takes off again: export, edit, import.
    #[oai(
        path = "/staff/export.csv",
        method = "get",
        operation_id = "exportStaff"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn export_staff(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Only staff members of this department.
        department_id: Query<Option<DepartmentId>>,
        /// Only staff members of this unit.
        unit_id: Query<Option<UnitId>>,
        /// Only staff members with this designation.
        designation_id: Query<Option<DesignationId>>,
        /// Only staff members whose designation is in this cadre.
        cadre_id: Query<Option<CadreId>>,
        /// Only active (`true`) or inactive (`false`) staff members.
        active: Query<Option<bool>>,
        /// Case-insensitive search in name, email and employee id.
        q: Query<Option<Search>>,
    ) -> CsvFile {
        respond(async {
            let filter = StaffFilter {
                department_id: department_id.0,
                unit_id: unit_id.0,
                designation_id: designation_id.0,
                cadre_id: cadre_id.0,
                active: active.0,
                q: q.0.map(|q| q.0),
            };
            // The first page is read before answering, so a database that
            // is down is a 503, not a cut file.
            let first = filter.clone();
            let page = reading(&state, move |c| {
                st::export_page(c, &first, None, EXPORT_PAGE)
            })
            .await?;
            let export = Export {
                state: (*state).clone(),
                filter,
                rows: directory_import::export::Rows::new(),
                page,
            };
            let chunks = futures_util::stream::unfold(Some(export), |export| async move {
                Some(export?.next().await)
            });
            Ok(CsvFile::Ok(
                poem_openapi::payload::Binary(poem::Body::from_bytes_stream(chunks)),
                "attachment; filename=\"staff.csv\"".into(),
            ))
        })
        .await
    }

    /// Create a staff member
    ///
    /// The unit, if given, must belong to the department; the supervisor must
    /// exist. Every broken rule is listed in `errors`.
    #[oai(path = "/staff", method = "post", operation_id = "createStaff")]
    async fn create_staff(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewStaff>,
    ) -> Created<Staff> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                st::create_staff(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("staff", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a staff member
    ///
    /// Only the fields present change; `null` clears an optional field. A new
    /// supervisor may not close a supervision cycle. An `end_date` already
    /// past is refused (409) when the staff member's account is the last
    /// that can log in with `accounts:manage`. Send `If-Match` with the
    /// ETag you read: a stale one gets 412 and changes nothing.
    #[oai(path = "/staff/:id", method = "patch", operation_id = "updateStaff")]
    async fn update_staff(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The staff member's id.
        id: Path<StaffId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<StaffPatch>,
    ) -> Updated<Staff> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let end_date_changed = !patch.end_date.is_unchanged();
            let updated = writing(&state, move |c| {
                st::update_staff(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            if end_date_changed {
                // Access ends with the end date: no cached token outlives it.
                state.tokens.clear();
            }
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a staff member
    ///
    /// Refused (409) while they have accounts. Their head and works-in links
    /// go; their supervisees are left without a supervisor. Deactivating is
    /// the everyday path; delete is for mistakes.
    #[oai(path = "/staff/:id", method = "delete", operation_id = "deleteStaff")]
    async fn delete_staff(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The staff member's id.
        id: Path<StaffId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                st::delete_staff(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            Ok(Deleted::NoContent)
        })
        .await
    }

    /// Deactivate a staff member
    ///
    /// Records who and when; a member already inactive is left as is. Their
    /// headships and works-in periods end (none is in force from today),
    /// and their accounts can no longer log in; live tokens stop working.
    #[oai(
        path = "/staff/:id/deactivate",
        method = "post",
        operation_id = "deactivateStaff"
    )]
    async fn deactivate_staff(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The staff member's id.
        id: Path<StaffId>,
    ) -> Acted<Staff> {
        respond(async {
            let today = state.today();
            let staff = writing(&state, move |c| {
                st::set_staff_active(c, id.0, false, today, Some(auth.0.account))
            })
            .await?;
            // Their access ends with them: no cached token outlives it.
            state.tokens.clear();
            let tag = etag(staff.audit.version);
            Ok(Acted::Ok(Json(staff), tag))
        })
        .await
    }

    /// Reactivate a staff member
    #[oai(
        path = "/staff/:id/reactivate",
        method = "post",
        operation_id = "reactivateStaff"
    )]
    async fn reactivate_staff(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The staff member's id.
        id: Path<StaffId>,
    ) -> Acted<Staff> {
        respond(async {
            let today = state.today();
            let staff = writing(&state, move |c| {
                st::set_staff_active(c, id.0, true, today, Some(auth.0.account))
            })
            .await?;
            let tag = etag(staff.audit.version);
            Ok(Acted::Ok(Json(staff), tag))
        })
        .await
    }

    /// List the departments a staff member also works in
    ///
    /// Those in force today (the hospital's day), on `as_of`, or every
    /// period with `history=true`.
    #[oai(
        path = "/staff/:id/works-in",
        method = "get",
        operation_id = "listStaffWorksIn"
    )]
    async fn list_staff_works_in(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The staff member's id.
        id: Path<StaffId>,
        /// Those in force on this day (`YYYY-MM-DD`); today if left out.
        as_of: Query<Option<chrono::NaiveDate>>,
        /// Every period, past, present and future (not with `as_of`).
        history: Query<Option<bool>>,
    ) -> ListedUnder<WorksIn> {
        respond(async {
            let when = in_force(as_of.0, history.0, state.today())?;
            let found = reading(&state, move |c| {
                st::staff_exists(c, id.0)?;
                st::works_in_of(c, &[id.0], when)
            })
            .await?;
            Ok(ListedUnder::all(
                found.into_iter().map(|(_, item)| item).collect(),
            ))
        })
        .await
    }

    /// Add a department the staff member also works in
    ///
    /// Over a period: `start_date` (default today) to `end_date` (the last
    /// day, inclusive; open if left out). A period starting on the day of
    /// an existing one changes its end; one that would overlap another of
    /// the same pair is 409.
    #[oai(
        path = "/staff/:id/works-in/:department_id",
        method = "put",
        operation_id = "putStaffWorksIn"
    )]
    async fn put_staff_works_in(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The staff member's id.
        id: Path<StaffId>,
        /// The other department's id.
        department_id: Path<DepartmentId>,
        /// The period; left out, in force from today (unless it already is).
        body: OptionalJsonBody<PeriodRequest>,
    ) -> Assigned {
        respond(async {
            let today = state.today();
            let asked = body.0.map(|asked| asked.validated(today)).transpose()?;
            let assigned = writing(&state, move |c| {
                st::put_works_in(c, id.0, department_id.0, asked, today, Some(auth.0.account))
            })
            .await?;
            Ok(Assigned::of(assigned))
        })
        .await
    }

    /// End a department the staff member also works in
    ///
    /// The period in force is ended yesterday, so it is not in force from
    /// today; one that had not started is removed. History keeps them;
    /// `purge=true` removes the latest period as entered by mistake.
    #[oai(
        path = "/staff/:id/works-in/:department_id",
        method = "delete",
        operation_id = "deleteStaffWorksIn"
    )]
    async fn delete_staff_works_in(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The staff member's id.
        id: Path<StaffId>,
        /// The other department's id.
        department_id: Path<DepartmentId>,
        /// Remove the latest period outright, as entered by mistake (the
        /// audit trail keeps it), instead of ending it.
        purge: Query<Option<bool>>,
    ) -> Unlinked {
        respond(async {
            let today = state.today();
            let purge = purge.0.unwrap_or(false);
            writing(&state, move |c| {
                st::end_works_in(c, id.0, department_id.0, purge, today, Some(auth.0.account))
            })
            .await?;
            Ok(Unlinked::NoContent)
        })
        .await
    }
}
