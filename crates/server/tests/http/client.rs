//! The Rust client, `directory-client`, against the real server: what
//! another crate of the hospital would write.

use crate::support::{ADMIN_PASSWORD, TestServer};
use directory_client::{
    Client, DepartmentQuery, Error, IfMatch, Linked, PageQuery, StaffQuery, UnitQuery,
};
use directory_domain::{
    DepartmentId, DepartmentKind, DesignationId, NewDepartment, NewStaff, NewUnit, Patch, StaffId,
    StaffPatch, UnitId,
};
use futures_util::TryStreamExt;

fn new_staff(n: usize, department: DepartmentId) -> NewStaff {
    NewStaff {
        full_name: format!("Client Test {n}"),
        employee_id: format!("CT{n:05}"),
        email: format!("client.test.{n}@hospital.example"),
        mobile: format!("98100{n:05}"),
        email2: None,
        email3: None,
        mobile2: None,
        mobile3: None,
        office_address: None,
        department_id: department,
        unit_id: None,
        designation_id: DesignationId(1),
        supervisor_id: None,
        end_date: None,
    }
}

async fn logged_in(s: &TestServer) -> Client {
    Client::new(&s.base)
        .unwrap()
        .login("admin", ADMIN_PASSWORD)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_client_logs_in_lists_changes_and_reads_problems() {
    let s = TestServer::start_anonymous();
    let anonymous = Client::new(&s.base).unwrap();
    assert_eq!(anonymous.get_readiness().await.unwrap().status, "ready");

    // Without a token: the problem document, typed.
    let refused = anonymous
        .list_staff(&StaffQuery::default())
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(401));
    let wrong = anonymous
        .login("admin", "not the password")
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong, Error::Problem(p) if p.status == 401),
        "{wrong}"
    );

    let client = logged_in(&s).await;
    assert!(format!("{client:?}").contains("<redacted>"));
    assert_eq!(client.get_me().await.unwrap().account.username, "admin");

    let departments = client
        .list_departments(&DepartmentQuery {
            kind: Some(DepartmentKind::Centre),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(departments.total, 1);
    let rpc = &departments.items[0];
    let units = client
        .list_department_units(rpc.id, &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(units.total, 7);

    let created = client.create_staff(&new_staff(1, rpc.id)).await.unwrap();
    let read = client.get_staff(created.id).await.unwrap();
    assert_eq!(read, created);

    // A change with the version read; the same condition again is stale.
    let patch = StaffPatch {
        unit_id: Patch::Set(UnitId(1)),
        ..Default::default()
    };
    let changed = client
        .update_staff(read.id, IfMatch::of(&read), &patch)
        .await
        .unwrap();
    assert_eq!(changed.unit_id, Some(UnitId(1)));
    assert_eq!(changed.audit.version, read.audit.version + 1);
    let stale = client
        .update_staff(read.id, IfMatch::of(&read), &patch)
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412));

    // Every broken rule at once, with the fields named.
    let mut bad = new_staff(2, rpc.id);
    bad.email = "not an email".into();
    bad.unit_id = Some(UnitId(999_999));
    let invalid = client.create_staff(&bad).await.unwrap_err();
    let problem = invalid.problem().expect("a problem document");
    assert_eq!(problem.status, 400, "{problem}");
    assert!(
        problem.errors.iter().any(|e| e.field == "email"),
        "{problem}"
    );

    let missing = client.get_staff(StaffId(999_999)).await.unwrap_err();
    let problem = missing.problem().unwrap();
    assert_eq!((problem.status, problem.title.as_str()), (404, "Not Found"));

    // Links: made once, then there already.
    assert_eq!(
        client.put_department_head(rpc.id, read.id).await.unwrap(),
        Linked::Added
    );
    assert_eq!(
        client.put_department_head(rpc.id, read.id).await.unwrap(),
        Linked::AlreadyThere
    );
    let heads = client.list_department_heads(rpc.id).await.unwrap();
    assert_eq!(heads.items[0].staff_id, read.id);
    client
        .delete_department_head(rpc.id, read.id)
        .await
        .unwrap();

    let unit = client
        .create_unit(&NewUnit {
            department_id: rpc.id,
            name: "Client Unit".into(),
            abbr: None,
        })
        .await
        .unwrap();
    let found = client
        .list_units(&UnitQuery {
            q: Some("client unit".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items, vec![unit.clone()]);
    client
        .delete_unit(unit.id, IfMatch::of(&unit))
        .await
        .unwrap();
    assert_eq!(
        client.get_unit(unit.id).await.unwrap_err().status(),
        Some(404)
    );

    client.logout().await.unwrap();
    assert_eq!(client.get_me().await.unwrap_err().status(), Some(401));
}

#[tokio::test]
async fn the_client_streams_every_page_once() {
    let s = TestServer::start_anonymous();
    let client = logged_in(&s).await;
    let department = client
        .create_department(&NewDepartment {
            name: "Streaming".into(),
            abbr: None,
            kind: DepartmentKind::Department,
        })
        .await
        .unwrap();
    for n in 0..25 {
        client
            .create_staff(&new_staff(100 + n, department.id))
            .await
            .unwrap();
    }
    let query = StaffQuery {
        department_id: Some(department.id),
        limit: Some(4),
        ..Default::default()
    };
    // Keyset pages (the default order) and offset pages (sorted) alike.
    let by_id: Vec<_> = client.stream(query.clone()).try_collect().await.unwrap();
    let by_name: Vec<_> = client
        .stream(StaffQuery {
            sort: Some("-full_name".into()),
            ..query
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_id.len(), 25);
    assert_eq!(by_name.len(), 25);
    let mut ids: Vec<_> = by_id.iter().map(|s| s.id).collect();
    assert!(ids.is_sorted());
    ids.dedup();
    assert_eq!(ids.len(), 25);
    assert!(by_name.is_sorted_by(|a, b| a.full_name >= b.full_name));

    let departments: Vec<_> = client
        .stream(DepartmentQuery {
            limit: Some(1),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(departments.len(), 3);
}
