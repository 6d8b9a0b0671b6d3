//! Checking a sheet against the directory, and writing it: every row or
//! none.
//!
//! The check reads what it needs once (the reference names, the staff the
//! file names, every supervisor link), works out each row's create or
//! update in memory, and reports every bad cell together. Only a clean
//! file is written: new staff in multi-row inserts, their supervisors'
//! rows before their own, then the updates, each recorded in the trail as
//! the importing account's change.

use crate::{CellError, Column, ImportError, Report, Row, Sheet};
use chrono::NaiveDate;
use directory_db::staff as st;
use directory_db::writer::Bulk;
use directory_db::{Actor, DbConnection, Page};
use directory_domain::{
    DepartmentId, DesignationId, NewStaff, Patch, Staff, StaffId, StaffPatch, UnitId,
};
use std::collections::{HashMap, HashSet};

/// How far an import has come, for a progress bar: `done` of `total` rows
/// in `stage` ("checking", then "writing").
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub stage: &'static str,
    pub done: usize,
    pub total: usize,
}

/// Checks `sheet` and, unless `dry_run`, writes it in one transaction, as
/// `actor`'s changes. Any bad cell: [`ImportError::Rows`] with every one,
/// and nothing written.
pub fn import(
    conn: &mut DbConnection,
    sheet: &Sheet,
    dry_run: bool,
    actor: Actor,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, ImportError> {
    let run = |conn: &mut DbConnection, progress: &mut dyn FnMut(Progress)| {
        let plan = check(conn, sheet, progress)?;
        let report = Report {
            dry_run,
            rows: sheet.rows.len(),
            created: plan.creates.len(),
            updated: plan.updates.len(),
            unchanged: sheet.rows.len() - plan.creates.len() - plan.updates.len(),
        };
        if !dry_run {
            directory_db::writer::bulk_write(conn, Bulk::IMPORT, |conn| {
                write(conn, plan, actor, progress)
            })?;
        }
        Ok(report)
    };
    if dry_run {
        run(conn, progress)
    } else {
        directory_db::write_transaction(conn, |conn| run(conn, progress))
    }
}

/// Whom a row names as supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    /// A staff member already in the directory.
    Stored(StaffId),
    /// A staff member this file creates (its index in `Plan::creates`).
    New(usize),
}

/// A row to create: the command (supervisor left out) and whom it reports to.
struct Create {
    staff: NewStaff,
    supervisor: Option<Node>,
}

/// A row that changes a stored staff member.
struct Update {
    id: StaffId,
    version: i32,
    patch: StaffPatch,
    /// A supervisor this file creates, set once it exists.
    new_supervisor: Option<usize>,
}

struct Plan {
    creates: Vec<Create>,
    updates: Vec<Update>,
}

/// Names as a spreadsheet writes them: case and runs of space ignored.
fn key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One kind of reference row, found by name or abbreviation.
struct Names {
    kind: &'static str,
    /// (id, parent, name, abbreviation)
    rows: Vec<(i32, i32, String, Option<String>)>,
    by_key: HashMap<String, Vec<usize>>,
}

impl Names {
    fn new(kind: &'static str, rows: Vec<(i32, i32, String, Option<String>)>) -> Self {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (_, _, name, abbr)) in rows.iter().enumerate() {
            by_key.entry(key(name)).or_default().push(i);
            if let Some(abbr) = abbr {
                let abbr = key(abbr);
                if abbr != key(name) {
                    by_key.entry(abbr).or_default().push(i);
                }
            }
        }
        Self { kind, rows, by_key }
    }

    /// The rows `text` names (by name or abbreviation) among those `keep`
    /// allows.
    fn find(&self, text: &str, keep: impl Fn(i32) -> bool) -> Vec<usize> {
        self.by_key
            .get(&key(text))
            .map(|found| {
                found
                    .iter()
                    .copied()
                    .filter(|&i| keep(self.rows[i].1))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn name(&self, id: i32) -> &str {
        self.rows
            .iter()
            .find(|r| r.0 == id)
            .map_or("?", |r| r.2.as_str())
    }

    /// "no department is named "Anaesthesia"; did you mean
    /// "Anaesthesiology"?": the closest known name among `keep`'s rows,
    /// when one is close.
    fn unknown(&self, text: &str, keep: impl Fn(i32) -> bool) -> String {
        let wanted = key(text);
        let closest = self
            .rows
            .iter()
            .filter(|r| keep(r.1))
            .flat_map(|r| {
                let abbr = r.3.as_deref().map(|a| (key(a), r));
                std::iter::once((key(&r.2), r)).chain(abbr)
            })
            .map(|(k, r)| (strsim::normalized_levenshtein(&wanted, &k), r))
            .filter(|(score, _)| *score >= 0.5)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let mut message = format!("no {} is named or abbreviated \"{text}\"", self.kind);
        if let Some((_, (_, _, name, abbr))) = closest {
            match abbr {
                Some(abbr) => message.push_str(&format!("; did you mean \"{name}\" ({abbr})?")),
                None => message.push_str(&format!("; did you mean \"{name}\"?")),
            }
        }
        message
    }
}

/// The directory's reference names.
struct Reference {
    departments: Names,
    units: Names,
    designations: Names,
    cadres: Names,
}

impl Reference {
    fn load(conn: &mut DbConnection) -> Result<Self, ImportError> {
        let all = Page {
            limit: i64::from(i32::MAX),
            offset: 0,
        };
        let departments =
            directory_db::departments::list_departments(conn, &Default::default(), None, all)?
                .items
                .into_iter()
                .map(|d| (d.id.0, 0, d.name, d.abbr))
                .collect();
        let units = directory_db::units::list_units(conn, &Default::default(), None, all)?
            .items
            .into_iter()
            .map(|u| (u.id.0, u.department_id.0, u.name, u.abbr))
            .collect();
        let designations =
            directory_db::designations::list_designations(conn, &Default::default(), None, all)?
                .items
                .into_iter()
                .map(|d| (d.id.0, d.cadre_id.0, d.name, d.abbr))
                .collect();
        let cadres = directory_db::cadres::list_cadres(conn, None, None, all)?
            .items
            .into_iter()
            .map(|c| (c.id.0, 0, c.name, None))
            .collect();
        Ok(Self {
            departments: Names::new("department", departments),
            units: Names::new("unit", units),
            designations: Names::new("designation", designations),
            cadres: Names::new("cadre", cadres),
        })
    }
}

/// The bad cells found so far.
#[derive(Default)]
struct Errors(Vec<CellError>);

impl Errors {
    fn add(&mut self, row: &Row, column: Column, message: impl Into<String>) {
        self.0.push(CellError {
            row: row.number,
            column: column.name().into(),
            message: message.into(),
        });
    }
}

/// What a valid row comes to: a new staff member, or a stored one's
/// changes (the supervisor aside, which needs the whole file).
enum Wish {
    New(NewStaff),
    Stored {
        id: StaffId,
        version: i32,
        patch: StaffPatch,
        supervisor: Option<StaffId>,
    },
}

/// A valid row: its wish, and its supervisor's employee id if it names one.
struct Wanted<'s> {
    wish: Wish,
    employee_id: &'s str,
    supervisor: Option<&'s str>,
}

fn check(
    conn: &mut DbConnection,
    sheet: &Sheet,
    progress: &mut dyn FnMut(Progress),
) -> Result<Plan, ImportError> {
    let total = sheet.rows.len();
    let reference = Reference::load(conn)?;
    let mut errors = Errors(sheet.unreadable.clone());

    // The stored staff the file names, as rows or as supervisors, and who
    // holds each of its emails.
    let mut named: Vec<&str> = sheet
        .rows
        .iter()
        .flat_map(|r| {
            [
                r.get(Column::EmployeeId),
                r.get(Column::SupervisorEmployeeId),
            ]
        })
        .flatten()
        .collect();
    named.sort_unstable();
    named.dedup();
    let stored: HashMap<String, Staff> = st::staff_by_employee_ids(conn, &named)?
        .into_iter()
        .map(|s| (s.employee_id.clone(), s))
        .collect();
    drop(named);
    let mut emails: Vec<String> = sheet
        .rows
        .iter()
        .filter_map(|r| r.get(Column::Email))
        .map(str::to_lowercase)
        .collect();
    emails.sort_unstable();
    emails.dedup();
    let email_refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let holders: HashMap<String, String> = st::employee_ids_by_email(conn, &email_refs)?
        .into_iter()
        .collect();
    drop(email_refs);
    drop(emails);

    // Each row's wish, its cells checked one by one.
    let mut first_row_of_id: HashMap<&str, u32> = HashMap::with_capacity(total);
    let mut first_row_of_email: HashMap<String, u32> = HashMap::with_capacity(total);
    let mut wanted: Vec<Option<Wanted<'_>>> = Vec::with_capacity(total);
    for (i, row) in sheet.rows.iter().enumerate() {
        if i % 1000 == 0 {
            progress(Progress {
                stage: "checking",
                done: i,
                total,
            });
        }
        let before = errors.0.len();
        if let Some(id) = row.get(Column::EmployeeId)
            && let Some(first) = first_row_of_id.insert(id, row.number)
        {
            first_row_of_id.insert(id, first);
            errors.add(
                row,
                Column::EmployeeId,
                format!("employee id \"{id}\" is also on row {first}"),
            );
        }
        if let Some(email) = row.get(Column::Email) {
            let email_key = email.to_lowercase();
            if let Some(&first) = first_row_of_email.get(&email_key) {
                errors.add(
                    row,
                    Column::Email,
                    format!("email \"{email}\" is also on row {first}"),
                );
            } else {
                first_row_of_email.insert(email_key, row.number);
            }
        }
        let existing = row.get(Column::EmployeeId).and_then(|id| stored.get(id));
        let Some(staff) = wish(row, sheet, existing, &reference, &mut errors) else {
            wanted.push(None);
            continue;
        };
        if let Some(holder) = holders.get(&staff.email.to_lowercase())
            && *holder != staff.employee_id
        {
            errors.add(
                row,
                Column::Email,
                format!(
                    "\"{}\" is already the email of staff member {holder}",
                    staff.email
                ),
            );
        }
        if errors.0.len() > before {
            wanted.push(None);
            continue;
        }
        let (Some(employee_id), supervisor) = (
            row.get(Column::EmployeeId),
            row.get(Column::SupervisorEmployeeId),
        ) else {
            wanted.push(None);
            continue;
        };
        let wish = match existing {
            None => Wish::New(staff),
            Some(before) => Wish::Stored {
                id: before.id,
                version: before.audit.version,
                patch: changes(before, &staff),
                supervisor: before.supervisor_id,
            },
        };
        wanted.push(Some(Wanted {
            wish,
            employee_id,
            supervisor,
        }));
    }
    drop(first_row_of_email);
    drop(holders);
    let in_file: HashSet<&str> = first_row_of_id.into_keys().collect();
    for row in &sheet.rows {
        if let Some(id) = row.get(Column::SupervisorEmployeeId)
            && !in_file.contains(id)
            && !stored.contains_key(id)
        {
            errors.add(
                row,
                Column::SupervisorEmployeeId,
                format!("no staff member has employee id \"{id}\", in the directory or the file"),
            );
        }
    }
    drop(in_file);

    // Each valid row as a node of the supervision graph: new rows numbered
    // in file order, as they are created.
    let mut node_of: HashMap<&str, Node> = HashMap::with_capacity(total);
    let mut new_rows = 0;
    for w in wanted.iter().flatten() {
        let node = match &w.wish {
            Wish::Stored { id, .. } => Node::Stored(*id),
            Wish::New(_) => {
                new_rows += 1;
                Node::New(new_rows - 1)
            }
        };
        node_of.insert(w.employee_id, node);
    }
    // Without the column, no row changes a supervisor.
    let mut supervisor_of: HashMap<Node, Option<Node>> = HashMap::new();
    if sheet.has(Column::SupervisorEmployeeId) {
        supervisor_of.reserve(total);
        for w in wanted.iter().flatten() {
            let supervisor = match w.supervisor {
                None => None,
                Some(id) => match node_of.get(id) {
                    Some(&node) => Some(node),
                    None => match stored.get(id) {
                        Some(s) => Some(Node::Stored(s.id)),
                        // Reported above, or the supervisor's own row is bad.
                        None => continue,
                    },
                },
            };
            supervisor_of.insert(node_of[w.employee_id], supervisor);
        }
    }
    let rows_of: HashMap<Node, &Row> = sheet
        .rows
        .iter()
        .zip(&wanted)
        .filter_map(|(row, w)| Some((node_of[w.as_ref()?.employee_id], row)))
        .collect();
    find_cycles(conn, &supervisor_of, &rows_of, &stored, &mut errors)?;
    drop(rows_of);

    if !errors.0.is_empty() {
        let mut errors = errors.0;
        errors.sort_by_key(|e| {
            let column = Column::from_field(&e.column).map_or(usize::MAX, Column::index);
            (e.row, column)
        });
        return Err(ImportError::Rows(errors));
    }

    // The writes: creates in file order (their nodes' numbers), then the
    // updates that change something.
    let mut plan = Plan {
        creates: Vec::with_capacity(new_rows),
        updates: Vec::new(),
    };
    let column = sheet.has(Column::SupervisorEmployeeId);
    for w in wanted.into_iter().flatten() {
        let me = node_of[w.employee_id];
        let supervisor = supervisor_of.get(&me).copied().flatten();
        match w.wish {
            Wish::New(staff) => plan.creates.push(Create { staff, supervisor }),
            Wish::Stored {
                id,
                version,
                mut patch,
                supervisor: before,
            } => {
                let mut new_supervisor = None;
                if column {
                    let after = match supervisor {
                        None => None,
                        Some(Node::Stored(s)) => Some(s),
                        Some(Node::New(i)) => {
                            new_supervisor = Some(i);
                            None
                        }
                    };
                    if new_supervisor.is_none() && after != before {
                        patch.supervisor_id = after.map_or(Patch::Clear, Patch::Set);
                    }
                }
                if patch != StaffPatch::default() || new_supervisor.is_some() {
                    plan.updates.push(Update {
                        id,
                        version,
                        patch,
                        new_supervisor,
                    });
                }
            }
        }
    }
    progress(Progress {
        stage: "checking",
        done: total,
        total,
    });
    Ok(plan)
}

/// Reports every supervision cycle the file would make. The stored graph
/// has none, so a cycle passes through a row of the file: each walk starts
/// at one and follows the file's supervisors, then the stored ones.
fn find_cycles(
    conn: &mut DbConnection,
    supervisor_of: &HashMap<Node, Option<Node>>,
    rows_of: &HashMap<Node, &Row>,
    stored: &HashMap<String, Staff>,
    errors: &mut Errors,
) -> Result<(), ImportError> {
    if supervisor_of.is_empty() {
        return Ok(());
    }
    let stored_links: HashMap<StaffId, StaffId> = st::supervisor_links(conn)?.into_iter().collect();
    let parent = |node: Node| -> Option<Node> {
        match supervisor_of.get(&node) {
            Some(supervisor) => *supervisor,
            None => match node {
                Node::Stored(id) => stored_links.get(&id).copied().map(Node::Stored),
                Node::New(_) => None,
            },
        }
    };
    let name_of = |node: Node| -> String {
        let row = rows_of
            .get(&node)
            .and_then(|row| row.get(Column::EmployeeId));
        match (row, node) {
            (Some(id), _) => id.to_owned(),
            (None, Node::Stored(id)) => stored
                .values()
                .find(|s| s.id == id)
                .map_or_else(|| format!("staff {id}"), |s| s.employee_id.clone()),
            (None, Node::New(i)) => format!("new row {i}"),
        }
    };
    // false: on the current walk; true: known to reach no cycle.
    let mut done: HashMap<Node, bool> = HashMap::with_capacity(supervisor_of.len());
    for &start in supervisor_of.keys() {
        let mut path: Vec<Node> = Vec::new();
        let mut node = Some(start);
        while let Some(n) = node {
            match done.get(&n) {
                Some(true) => break,
                Some(false) => {
                    let at = path.iter().position(|&p| p == n).unwrap_or(0);
                    let cycle = &path[at..];
                    let names: Vec<String> = cycle
                        .iter()
                        .chain(std::iter::once(&n))
                        .map(|&c| name_of(c))
                        .collect();
                    for member in cycle {
                        if let Some(row) = rows_of.get(member) {
                            let message = if cycle.len() == 1 {
                                "a staff member cannot supervise themselves".to_owned()
                            } else {
                                format!("supervision cycle: {}", names.join(" → "))
                            };
                            errors.add(row, Column::SupervisorEmployeeId, message);
                        }
                    }
                    break;
                }
                None => {
                    done.insert(n, false);
                    path.push(n);
                    node = parent(n);
                }
            }
        }
        for n in path {
            done.insert(n, true);
        }
    }
    Ok(())
}

/// A row's cells as a staff member: each cell checked (names resolved,
/// email, phone and date formats), every problem added to `errors`. An
/// optional column the file lacks keeps `existing`'s value.
fn wish(
    row: &Row,
    sheet: &Sheet,
    existing: Option<&Staff>,
    reference: &Reference,
    errors: &mut Errors,
) -> Option<NewStaff> {
    for column in Column::ALL {
        if column.required() && row.get(column).is_none() {
            errors.add(row, column, "required");
        }
    }
    let department = row.get(Column::Department).and_then(|text| {
        match reference.departments.find(text, |_| true)[..] {
            [i] => Some(reference.departments.rows[i].0),
            [] => {
                errors.add(
                    row,
                    Column::Department,
                    reference.departments.unknown(text, |_| true),
                );
                None
            }
            _ => {
                errors.add(
                    row,
                    Column::Department,
                    format!("\"{text}\" is the abbreviation of several departments: give the name"),
                );
                None
            }
        }
    });
    let unit = match (row.get(Column::Unit), department) {
        (Some(text), Some(department)) => match reference.units.find(text, |d| d == department)[..]
        {
            [i, ..] => Some(Some(UnitId(reference.units.rows[i].0))),
            [] => {
                let elsewhere = reference.units.find(text, |_| true);
                let message = match elsewhere.first() {
                    Some(&i) => format!(
                        "unit \"{text}\" is in department {}, not {}",
                        reference.departments.name(reference.units.rows[i].1),
                        reference.departments.name(department)
                    ),
                    None => reference.units.unknown(text, |d| d == department),
                };
                errors.add(row, Column::Unit, message);
                None
            }
        },
        (Some(_), None) => None,
        (None, _) if sheet.has(Column::Unit) || existing.is_none() => Some(None),
        (None, _) => existing.map(|e| e.unit_id),
    };
    let cadre =
        row.get(Column::Cadre)
            .and_then(|text| match reference.cadres.find(text, |_| true)[..] {
                [i, ..] => Some(reference.cadres.rows[i].0),
                [] => {
                    errors.add(row, Column::Cadre, reference.cadres.unknown(text, |_| true));
                    None
                }
            });
    let designation = row.get(Column::Designation).and_then(|text| {
        let found = reference.designations.find(text, |_| true);
        let in_cadre: Vec<usize> = found
            .iter()
            .copied()
            .filter(|&i| cadre.is_none_or(|c| reference.designations.rows[i].1 == c))
            .collect();
        match (&in_cadre[..], &found[..]) {
            ([i], _) => Some(reference.designations.rows[*i].0),
            ([], []) => {
                errors.add(
                    row,
                    Column::Designation,
                    reference.designations.unknown(text, |_| true),
                );
                None
            }
            ([], [i, ..]) => {
                let (_, in_cadre, name, _) = &reference.designations.rows[*i];
                errors.add(
                    row,
                    Column::Cadre,
                    format!(
                        "designation {name} is in cadre {}, not {}",
                        reference.cadres.name(*in_cadre),
                        cadre.map_or("?", |c| reference.cadres.name(c))
                    ),
                );
                None
            }
            (_, _) => {
                errors.add(
                    row,
                    Column::Designation,
                    format!("\"{text}\" names several designations: give the name, or the cadre"),
                );
                None
            }
        }
    });
    let end_date = match row.get(Column::EndDate) {
        Some(text) => match parse_date(text) {
            Some(date) => Some(date),
            None => {
                errors.add(
                    row,
                    Column::EndDate,
                    format!("\"{text}\" is not a date: write it as YYYY-MM-DD (2027-03-31)"),
                );
                None
            }
        },
        None if !sheet.has(Column::EndDate) => existing.and_then(|e| e.end_date),
        None => None,
    };
    let optional = |column: Column, stored: Option<&Option<String>>| -> Option<String> {
        match row.get(column) {
            Some(text) => Some(text.to_owned()),
            None if !sheet.has(column) => stored.cloned().flatten(),
            None => None,
        }
    };
    let new = NewStaff {
        full_name: row.get(Column::FullName).unwrap_or_default().to_owned(),
        employee_id: row.get(Column::EmployeeId).unwrap_or_default().to_owned(),
        email: row.get(Column::Email).unwrap_or_default().to_owned(),
        mobile: row.get(Column::Mobile).unwrap_or_default().to_owned(),
        email2: optional(Column::Email2, existing.map(|e| &e.email2)),
        email3: optional(Column::Email3, existing.map(|e| &e.email3)),
        mobile2: optional(Column::Mobile2, existing.map(|e| &e.mobile2)),
        mobile3: optional(Column::Mobile3, existing.map(|e| &e.mobile3)),
        office_address: optional(Column::OfficeAddress, existing.map(|e| &e.office_address)),
        // An unknown name is reported above; a stand-in id lets the row's
        // other cells still be checked.
        department_id: DepartmentId(department.unwrap_or(1)),
        unit_id: unit.flatten(),
        designation_id: DesignationId(designation.unwrap_or(1)),
        // Resolved over the whole file, once every row is read.
        supervisor_id: None,
        end_date,
    };
    let staff = match new.validated() {
        Ok(staff) => staff,
        Err(e) => {
            for field in e.errors() {
                // A required cell left empty is reported once, as required.
                let column = Column::from_field(&field.field);
                if let Some(column) = column
                    && !(column.required() && row.get(column).is_none())
                {
                    errors.add(row, column, field.message.clone());
                }
            }
            return None;
        }
    };
    if let (None, Some(unit), Some(department)) = (row.get(Column::Unit), staff.unit_id, department)
    {
        // The unit kept from the stored row must be in the new department.
        let unit_department = reference
            .units
            .rows
            .iter()
            .find(|u| u.0 == unit.0)
            .map(|u| u.1);
        if unit_department.is_some_and(|d| d != department) {
            errors.add(
                row,
                Column::Department,
                format!(
                    "their unit {} is in department {}: give the unit of the new department in a unit column",
                    reference.units.name(unit.0),
                    reference.departments.name(unit_department.unwrap_or_default())
                ),
            );
        }
    }
    Some(staff)
}

/// `YYYY-MM-DD`, or a workbook's date with a midnight time.
fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                .ok()
                .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok())
                .map(|at| at.date())
        })
}

/// The fields (other than the supervisor) in which `want` differs from
/// `before`.
fn changes(before: &Staff, want: &NewStaff) -> StaffPatch {
    fn text(before: &str, want: &str) -> Patch<String> {
        if before == want {
            Patch::Unchanged
        } else {
            Patch::Set(want.to_owned())
        }
    }
    fn optional<T: Clone + PartialEq>(before: &Option<T>, want: &Option<T>) -> Patch<T> {
        match (before, want) {
            (b, w) if b == w => Patch::Unchanged,
            (_, None) => Patch::Clear,
            (_, Some(w)) => Patch::Set(w.clone()),
        }
    }
    StaffPatch {
        full_name: text(&before.full_name, &want.full_name),
        employee_id: Patch::Unchanged,
        email: text(&before.email, &want.email),
        mobile: text(&before.mobile, &want.mobile),
        email2: optional(&before.email2, &want.email2),
        email3: optional(&before.email3, &want.email3),
        mobile2: optional(&before.mobile2, &want.mobile2),
        mobile3: optional(&before.mobile3, &want.mobile3),
        office_address: optional(&before.office_address, &want.office_address),
        department_id: if before.department_id == want.department_id {
            Patch::Unchanged
        } else {
            Patch::Set(want.department_id)
        },
        unit_id: optional(&before.unit_id, &want.unit_id),
        designation_id: if before.designation_id == want.designation_id {
            Patch::Unchanged
        } else {
            Patch::Set(want.designation_id)
        },
        supervisor_id: Patch::Unchanged,
        end_date: optional(&before.end_date, &want.end_date),
    }
}

/// Writes a checked plan: new staff level by level (a supervisor's row
/// before those who report to them), then the updates.
fn write(
    conn: &mut DbConnection,
    plan: Plan,
    actor: Actor,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), ImportError> {
    let total = plan.creates.len() + plan.updates.len();
    let mut done = 0;
    // Depth below the file's own new rows: 0 reports to no new row.
    let mut depth: Vec<Option<usize>> = vec![None; plan.creates.len()];
    for start in 0..plan.creates.len() {
        let mut chain = vec![start];
        let mut base = 0;
        while let Some(&last) = chain.last() {
            if let Some(d) = depth[last] {
                chain.pop();
                base = d + 1;
                break;
            }
            match plan.creates[last].supervisor {
                Some(Node::New(up)) => chain.push(up),
                _ => break,
            }
        }
        for (offset, &i) in chain.iter().rev().enumerate() {
            depth[i] = Some(base + offset);
        }
    }
    let mut order: Vec<usize> = (0..plan.creates.len()).collect();
    order.sort_by_key(|&i| depth[i]);
    let mut ids: Vec<Option<StaffId>> = vec![None; plan.creates.len()];
    let mut batch: Vec<NewStaff> = Vec::with_capacity(500);
    let mut batch_rows: Vec<usize> = Vec::with_capacity(500);
    let mut position = 0;
    while position < order.len() {
        let level = depth[order[position]];
        batch.clear();
        batch_rows.clear();
        while position < order.len() && depth[order[position]] == level && batch.len() < 500 {
            let i = order[position];
            let create = &plan.creates[i];
            let supervisor_id = match create.supervisor {
                None => None,
                Some(Node::Stored(id)) => Some(id),
                Some(Node::New(up)) => ids[up],
            };
            batch.push(NewStaff {
                supervisor_id,
                ..create.staff.clone()
            });
            batch_rows.push(i);
            position += 1;
        }
        let created = st::insert_staff_batch(conn, &batch, actor)?;
        for (&i, id) in batch_rows.iter().zip(created) {
            ids[i] = Some(id);
        }
        done += batch.len();
        progress(Progress {
            stage: "writing",
            done,
            total,
        });
    }
    for mut update in plan.updates {
        if let Some(up) = update.new_supervisor
            && let Some(id) = ids[up]
        {
            update.patch.supervisor_id = Patch::Set(id);
        }
        st::update_staff_vouched(conn, update.id, Some(update.version), &update.patch, actor)?;
        done += 1;
        if done % 500 == 0 {
            progress(Progress {
                stage: "writing",
                done,
                total,
            });
        }
    }
    progress(Progress {
        stage: "writing",
        done: total,
        total,
    });
    Ok(())
}
