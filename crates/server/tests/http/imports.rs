//! Staff import from CSV and XLSX, and the CSV export: all or nothing,
//! every bad cell reported, export then import unchanged.

use crate::support::{Api, Res, TestApp};
use crate::xlsx::{Cell, workbook};
use reqwest::Method;
use serde_json::Value;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn post_csv(s: &impl Api, query: &str, csv: &str) -> Res {
    s.raw(
        Method::POST,
        &format!("/api/v1/staff/import{query}"),
        &[("content-type", "text/csv")],
        Some(csv),
    )
    .await
}

async fn staff_total(s: &impl Api) -> i64 {
    s.get("/api/v1/staff?limit=1").await.body["total"]
        .as_i64()
        .unwrap()
}

async fn staff_by_employee_id(s: &impl Api, employee_id: &str) -> Value {
    let found = s.get(&format!("/api/v1/staff?q={employee_id}")).await;
    found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["employee_id"] == employee_id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// `(row, column)` of each bad cell a 422 lists.
fn bad_cells(res: &Res) -> Vec<(u64, String)> {
    res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn message_at(res: &Res, row: u64, column: &str) -> String {
    res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["row"] == row && e["column"] == column)
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn report(res: &Res) -> (u64, u64, u64, u64) {
    assert_eq!(res.status, 200, "{:#}", res.body);
    let n = |k: &str| res.body[k].as_u64().unwrap();
    (n("rows"), n("created"), n("updated"), n("unchanged"))
}

/// A BOM, CRLF, a quoted comma, quote and line break, a supervisor on a
/// later row, names by abbreviation in any case, columns in any order.
const CLEAN: &str = "\u{feff}Full Name,employee_id,email,mobile,department,unit,designation,cadre,supervisor_employee_id,end_date,office_address\r\n\
\"Rao, Asha \"\"Dr\"\"\",IMP1,asha@hospital.example.org,+91 98100 10001,rpc,u-1,asst prof,faculty,IMP3,2027-03-31,\"Block A\r\nRoom 4\"\r\n\
Vikram Sen,IMP2,vikram@hospital.example.org,9810010002,Anaesthesiology,,SR,,IMP1,,\r\n\
Meera Iyer,IMP3,meera@hospital.example.org,9810010003,RPC,RPC Unit 2,Professor,Faculty,,,\r\n";

#[tokio::test]
async fn a_clean_file_is_checked_then_written_then_unchanged() {
    let s = TestApp::start().await;
    let before = staff_total(&s).await;

    let dry = post_csv(&s, "?dry_run=true", CLEAN).await;
    assert_eq!(report(&dry), (3, 3, 0, 0));
    assert_eq!(dry.body["dry_run"], true);
    assert_eq!(dry.body["errors"], serde_json::json!([]));
    assert_eq!(staff_total(&s).await, before, "a dry run writes nothing");

    let done = post_csv(&s, "", CLEAN).await;
    assert_eq!(report(&done), (3, 3, 0, 0));
    assert_eq!(done.body["dry_run"], false);
    assert_eq!(staff_total(&s).await, before + 3);

    let asha = staff_by_employee_id(&s, "IMP1").await;
    let meera = staff_by_employee_id(&s, "IMP3").await;
    let vikram = staff_by_employee_id(&s, "IMP2").await;
    assert_eq!(asha["full_name"], "Rao, Asha \"Dr\"");
    assert_eq!(asha["mobile"], "+919810010001");
    assert_eq!(asha["unit_name"], "RPC Unit 1");
    assert_eq!(asha["designation_name"], "Assistant Professor");
    assert_eq!(asha["end_date"], "2027-03-31");
    assert_eq!(asha["office_address"], "Block A\r\nRoom 4");
    assert_eq!(
        asha["supervisor_id"], meera["id"],
        "a supervisor further down the file"
    );
    assert_eq!(vikram["supervisor_id"], asha["id"]);
    assert_eq!(vikram["unit_id"], Value::Null);

    // Each creation is the importing account's change in the trail.
    let me = s.get("/api/v1/auth/me").await.body["id"].clone();
    let trail = s
        .get(&format!(
            "/api/v1/audit-events?entity=staff&entity_id={}",
            asha["id"]
        ))
        .await;
    let events = trail.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{:#}", trail.body);
    assert_eq!(events[0]["action"], "create");
    assert_eq!(events[0]["actor_id"], me);

    let again = post_csv(&s, "", CLEAN).await;
    assert_eq!(report(&again), (3, 0, 0, 3));
}

#[tokio::test]
async fn a_row_of_an_existing_employee_updates_only_what_changed() {
    let s = TestApp::start().await;
    let member = s.create_staff(7).await;
    let id = member.id();
    let csv = "employee_id,full_name,email,mobile,department,designation,unit\n\
               T00007,Test Person 7,person7@hospital.example.org,+91 98100 99999,RPC,Assistant Professor,RPC Unit 1\n";
    let res = post_csv(&s, "", csv).await;
    assert_eq!(report(&res), (1, 0, 1, 0));
    let now = s.get(&format!("/api/v1/staff/{id}")).await;
    assert_eq!(now.body["mobile"], "+919810099999");
    assert_eq!(now.body["version"], 2);
    let history = s.get(&format!("/api/v1/staff/{id}/history")).await;
    let versions = history.body["items"]
        .as_array()
        .or_else(|| history.body.as_array())
        .map_or(0, Vec::len);
    assert_eq!(versions, 2, "{:#}", history.body);
}

/// One file with one of every kind of bad cell.
#[tokio::test]
async fn every_bad_cell_is_listed_and_nothing_is_written() {
    let s = TestApp::start().await;
    s.create_staff(1).await;
    let before = staff_total(&s).await;
    let csv = "employee_id,full_name,email,mobile,department,unit,designation,cadre,supervisor_employee_id,end_date\n\
B1,Ok Person,ok@hospital.example.org,9810020001,RPC,,SR,,,\n\
B1,Same Id,other@hospital.example.org,9810020002,RPC,,SR,,,\n\
B3,Same Email,OK@hospital.example.org,9810020003,RPC,,SR,,,\n\
B4,Bad Formats,not-an-email,call me,RPC,,SR,,,31/12/2026\n\
B5,Unknown Names,b5@hospital.example.org,9810020005,Anesthesiology,,Profesor,Facultyy,,\n\
B6,Wrong Unit,b6@hospital.example.org,9810020006,Anaes,U-1,SR,,,\n\
B7,Cycle One,b7@hospital.example.org,9810020007,RPC,,SR,,B8,\n\
B8,Cycle Two,b8@hospital.example.org,9810020008,RPC,,SR,,B7,\n\
B9,,b9@hospital.example.org,9810020009,RPC,,SR,,NOBODY,\n\
B10,Taken Email,person1@hospital.example.org,9810020010,RPC,,SR,Nursing,,\n";
    let res = post_csv(&s, "", csv).await;
    res.assert_problem(422);
    assert_eq!(
        bad_cells(&res),
        [
            (3, "employee_id".to_owned()),
            (4, "email".to_owned()),
            (5, "email".to_owned()),
            (5, "mobile".to_owned()),
            (5, "end_date".to_owned()),
            (6, "department".to_owned()),
            (6, "designation".to_owned()),
            (6, "cadre".to_owned()),
            (7, "unit".to_owned()),
            (8, "supervisor_employee_id".to_owned()),
            (9, "supervisor_employee_id".to_owned()),
            (10, "full_name".to_owned()),
            (10, "supervisor_employee_id".to_owned()),
            (11, "email".to_owned()),
            (11, "cadre".to_owned()),
        ],
        "{:#}",
        res.body
    );
    assert!(message_at(&res, 3, "employee_id").contains("also on row 2"));
    assert!(message_at(&res, 4, "email").contains("also on row 2"));
    assert!(
        message_at(&res, 6, "department").contains("did you mean \"Anaesthesiology\""),
        "{}",
        message_at(&res, 6, "department")
    );
    assert!(message_at(&res, 6, "designation").contains("did you mean \"Professor\""));
    assert!(message_at(&res, 6, "cadre").contains("did you mean \"Faculty\""));
    assert!(
        message_at(&res, 7, "unit").contains("is in department Dr RP Centre"),
        "{}",
        message_at(&res, 7, "unit")
    );
    assert!(message_at(&res, 8, "supervisor_employee_id").contains("cycle"));
    assert!(message_at(&res, 5, "end_date").contains("YYYY-MM-DD"));
    assert_eq!(message_at(&res, 10, "full_name"), "required");
    assert!(message_at(&res, 10, "supervisor_employee_id").contains("NOBODY"));
    assert!(message_at(&res, 11, "email").contains("staff member T00001"));
    assert!(message_at(&res, 11, "cadre").contains("is in cadre Residents, not Nursing"));
    assert!(res.detail().contains("nothing was imported"));
    assert_eq!(staff_total(&s).await, before, "nothing is written");

    // The same file as a dry run gives the same answer.
    let dry = post_csv(&s, "?dry_run=true", csv).await;
    dry.assert_problem(422);
    assert_eq!(bad_cells(&dry), bad_cells(&res));

    // An email held by a stored staff member is a bad cell too.
    let taken = post_csv(
        &s,
        "",
        "employee_id,full_name,email,mobile,department,designation\nNEW1,New Person,PERSON1@hospital.example.org,9810020011,RPC,SR\n",
    )
    .await;
    taken.assert_problem(422);
    assert!(
        message_at(&taken, 2, "email").contains("T00001"),
        "{:#}",
        taken.body
    );
}

#[tokio::test]
async fn a_header_with_unknown_or_missing_columns_is_refused_naming_them() {
    let s = TestApp::start().await;
    let res = post_csv(
        &s,
        "",
        "employee_id,full_name,phone,email,department\nE1,A,1,a@b.org,RPC\n",
    )
    .await;
    res.assert_problem(400);
    let detail = res.detail();
    assert!(detail.contains("unknown columns: phone"), "{detail}");
    assert!(
        detail.contains("missing required columns: mobile, designation"),
        "{detail}"
    );
}

#[tokio::test]
async fn files_that_are_not_csv_or_xlsx_are_4xx() {
    let s = TestApp::start().await;
    let mut latin1 = b"employee_id,full_name,email,mobile,department,designation\nE1,Ra".to_vec();
    latin1.extend_from_slice(b"\xe9,a@b.org,9810000001,RPC,SR\n");
    let res = s
        .raw_bytes(
            Method::POST,
            "/api/v1/staff/import",
            &[("content-type", "text/csv")],
            Some(latin1),
        )
        .await;
    res.assert_problem(400);
    assert!(res.detail().contains("UTF-8"), "{}", res.detail());

    let charset = s
        .raw(
            Method::POST,
            "/api/v1/staff/import",
            &[("content-type", "text/csv; charset=windows-1252")],
            Some("employee_id\n"),
        )
        .await;
    charset.assert_problem(400);

    let not_a_workbook = s
        .raw(
            Method::POST,
            "/api/v1/staff/import",
            &[("content-type", XLSX)],
            Some("employee_id,full_name\n"),
        )
        .await;
    not_a_workbook.assert_problem(400);
    assert!(not_a_workbook.detail().contains("not an Excel workbook"));

    let pdf = s
        .raw(
            Method::POST,
            "/api/v1/staff/import",
            &[("content-type", "application/pdf")],
            Some("%PDF-1.7"),
        )
        .await;
    pdf.assert_problem(415);

    for text in ["", "\n\n", "just some text", "\"unclosed,quote\nrow"] {
        let res = post_csv(&s, "", text).await;
        assert_eq!(res.status, 400, "{text:?}: {:#}", res.body);
    }
}

#[tokio::test]
async fn a_file_over_the_limit_is_413() {
    let s = TestApp::start_with(&[("import.max_bytes", "2000")]).await;
    let mut csv = String::from("employee_id,full_name,email,mobile,department,designation\n");
    while csv.len() <= 2000 {
        csv.push_str("E1,A Person,a@b.org,9810000001,RPC,SR\n");
    }
    post_csv(&s, "", &csv).await.assert_problem(413);
    // Other bodies keep the server's own limit.
    let small = post_csv(&s, "?dry_run=true", &csv[..500]).await;
    assert_ne!(small.status, 413);
}

#[tokio::test]
async fn a_workbook_is_read_with_its_numbers_and_dates() {
    let s = TestApp::start().await;
    let head = [
        "employee_id",
        "full_name",
        "email",
        "mobile",
        "department",
        "designation",
        "end_date",
        "supervisor_employee_id",
    ];
    let rows = vec![
        head.iter().map(|h| Cell::Text(h)).collect(),
        vec![
            Cell::Number(4711.0),
            Cell::Text("Xl Person"),
            Cell::Text("xl@hospital.example.org"),
            Cell::Number(9810030001.0),
            Cell::Text("Anaes"),
            Cell::Text("jr"),
            Cell::Date(46112.0),
            Cell::Text("XL2"),
        ],
        vec![Cell::Empty],
        vec![
            Cell::Text("XL2"),
            Cell::Text("Xl Lead"),
            Cell::Text("lead@hospital.example.org"),
            Cell::Text("+91 98100 30002"),
            Cell::Text("Anaesthesiology"),
            Cell::Text("Professor"),
            Cell::Empty,
            Cell::Empty,
        ],
    ];
    let res = s
        .raw_bytes(
            Method::POST,
            "/api/v1/staff/import",
            &[("content-type", XLSX)],
            Some(workbook(&rows)),
        )
        .await;
    assert_eq!(report(&res), (2, 2, 0, 0));
    let person = staff_by_employee_id(&s, "4711").await;
    assert_eq!(person["mobile"], "9810030001");
    assert_eq!(person["end_date"], "2026-03-31");
    assert_eq!(person["designation_name"], "Junior Resident");
    let lead = staff_by_employee_id(&s, "XL2").await;
    assert_eq!(person["supervisor_id"], lead["id"]);

    // Sent as CSV by a client with one media type for every upload, a
    // workbook is still read as one.
    let again = s
        .raw_bytes(
            Method::POST,
            "/api/v1/staff/import?dry_run=true",
            &[("content-type", "text/csv")],
            Some(workbook(&rows)),
        )
        .await;
    assert_eq!(report(&again), (2, 0, 0, 2));

    // A bad cell of a workbook is named by the sheet's own row number.
    let bad = vec![
        head.iter().map(|h| Cell::Text(h)).collect(),
        vec![Cell::Empty],
        vec![
            Cell::Text("XL3"),
            Cell::Text("Bad Date"),
            Cell::Text("xl3@hospital.example.org"),
            Cell::Number(9810030003.0),
            Cell::Text("Anaes"),
            Cell::Text("JR"),
            Cell::Text("next week"),
        ],
    ];
    let res = s
        .raw_bytes(
            Method::POST,
            "/api/v1/staff/import",
            &[("content-type", XLSX)],
            Some(workbook(&bad)),
        )
        .await;
    res.assert_problem(422);
    assert_eq!(bad_cells(&res), [(3, "end_date".to_owned())]);
}

async fn export(s: &impl Api, query: &str) -> Res {
    let res = s.get(&format!("/api/v1/staff/export.csv{query}")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.content_type, "text/csv; charset=utf-8");
    res
}

#[tokio::test]
async fn export_then_import_is_unchanged_and_formulas_are_guarded() {
    let s = TestApp::start().await;
    post_csv(&s, "", CLEAN).await;
    let risky = s
        .post(
            "/api/v1/staff",
            serde_json::json!({
                "full_name": "=HYPERLINK(\"http://x\")", "employee_id": "@E9",
                "email": "risky@hospital.example.org", "mobile": "+91 98100 40001",
                "department_id": 2, "designation_id": 5,
                "office_address": "-2 floor\n+ annex",
            }),
        )
        .await;
    assert_eq!(risky.status, 201, "{:#}", risky.body);

    let all = export(&s, "").await;
    assert!(all.headers["content-disposition"].contains("staff.csv"));
    let lines: Vec<&str> = all.text.lines().collect();
    assert!(lines[0].starts_with("employee_id,full_name,email,mobile,department,unit,designation,cadre,supervisor_employee_id,end_date,office_address,email2,email3,mobile2,mobile3"));
    let risky_line = all
        .text
        .split("\r\n")
        .find(|l| l.contains("risky@"))
        .unwrap();
    assert!(
        risky_line.starts_with(
            "'@E9,\"'=HYPERLINK(\"\"http://x\"\")\",risky@hospital.example.org,+919810040001,"
        ),
        "{risky_line}"
    );
    assert!(all.text.contains("\"'-2 floor\n+ annex\""), "{}", all.text);

    let back = post_csv(&s, "", &all.text).await;
    let (rows, created, updated, unchanged) = report(&back);
    assert_eq!((created, updated), (0, 0), "{:#}", back.body);
    assert_eq!(rows, unchanged);
    assert_eq!(rows as i64, staff_total(&s).await);

    // The list's filters apply.
    let anaes = export(&s, "?department_id=2").await;
    let employees: Vec<&str> = anaes
        .text
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(employees, ["IMP2", "'@E9"]);
    let searched = export(&s, "?q=meera").await;
    assert_eq!(
        searched.text.matches("\r\n").count(),
        2,
        "{}",
        searched.text
    );

    let template = s.get("/api/v1/staff/import-template.csv").await;
    assert_eq!(template.status, 200);
    assert_eq!(template.text, format!("{}\r\n", lines[0]));
}

#[tokio::test]
async fn an_export_longer_than_a_page_is_whole() {
    let s = TestApp::start().await;
    let mut csv = String::from("employee_id,full_name,email,mobile,department,designation\n");
    for n in 0..2500 {
        csv.push_str(&format!(
            "P{n:05},Person {n},p{n}@hospital.example.org,98100{n:05},RPC,SR\n"
        ));
    }
    assert_eq!(report(&post_csv(&s, "", &csv).await), (2500, 2500, 0, 0));
    let all = export(&s, "").await;
    let lines: Vec<&str> = all.text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2501);
    assert!(lines[1].starts_with("P00000,"));
    assert!(lines[2500].starts_with("P02499,"));
}
