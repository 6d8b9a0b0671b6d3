//! Someone can always manage accounts: no change (a role taken away, a
//! role's permissions replaced, an account deactivated or deleted, an end
//! date already past on its staff member) may leave no account that can log
//! in with `accounts:manage`, even when two administrators demote each other
//! at the same moment. On whichever backend the tests run on.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::testing::{Places, TestDatabase};
use directory_db::{DbConnection, DbError, accounts, roles, staff};
use directory_domain::*;

fn role(conn: &mut DbConnection, name: &str, permissions: Vec<Permission>) -> RoleId {
    roles::create_role(
        conn,
        &NewRole {
            name: name.into(),
            description: None,
            permissions,
        },
        None,
    )
    .unwrap()
    .id
}

fn account(conn: &mut DbConnection, username: &str, roles: Vec<RoleId>) -> AccountId {
    accounts::create_account(
        conn,
        &NewAccount {
            username: username.into(),
            password: "a long passphrase".into(),
            staff_id: None,
            roles,
        },
        None,
    )
    .unwrap()
    .id
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T, DbError>) {
    match result {
        Err(DbError::Conflict {
            field: None,
            message,
        }) => {
            assert!(message.contains("accounts:manage"), "{message}");
        }
        other => panic!("expected the last-manager conflict, got {other:?}"),
    }
}

fn managers(conn: &mut DbConnection, role: RoleId) -> Vec<AccountId> {
    let filter = accounts::AccountFilter {
        role_id: Some(role),
        active: Some(true),
        ..Default::default()
    };
    accounts::list_accounts(
        conn,
        &filter,
        None,
        directory_db::Page::new(None, None).unwrap(),
    )
    .unwrap()
    .items
    .into_iter()
    .map(|a| a.id)
    .collect()
}

#[test]
fn the_last_account_manager_keeps_the_permission() {
    let db = TestDatabase::migrated().unwrap();
    let conn = &mut db.connect().unwrap();
    let reader = role(conn, "Reader", vec![Permission::DirectoryRead]);
    // With no manager at all there is nothing to keep.
    let nobody = account(conn, "nobody", vec![reader]);
    accounts::delete_account(conn, nobody, None, None).unwrap();

    let admin = role(conn, "Administrator", Permission::ALL.to_vec());
    let a = account(conn, "first.admin", vec![admin, reader]);
    // A role that grants nothing of the kind may go.
    accounts::remove_account_role(conn, a, reader, None).unwrap();
    // The last manager's grant may not, by any route; nothing changes.
    assert_refused(accounts::remove_account_role(conn, a, admin, None));
    let stripped = RolePatch {
        permissions: Patch::Set(vec![Permission::DirectoryRead]),
        ..Default::default()
    };
    assert_refused(roles::update_role(conn, admin, None, &stripped, None));
    assert_refused(accounts::set_account_active(conn, a, false, None));
    assert_refused(accounts::delete_account(conn, a, None, None));
    assert_eq!(accounts::get_account(conn, a).unwrap().roles, vec![admin]);
    assert_eq!(
        roles::get_role(conn, admin).unwrap().permissions,
        Permission::ALL.to_vec()
    );
    assert!(accounts::get_account(conn, a).unwrap().active);
    // A rename of the role does not touch its permissions: allowed.
    let renamed = RolePatch {
        name: Patch::Set("Administrators".into()),
        ..Default::default()
    };
    roles::update_role(conn, admin, None, &renamed, None).unwrap();

    // With a second manager, either may step down, but not both.
    let b = account(conn, "second.admin", vec![admin]);
    accounts::remove_account_role(conn, a, admin, None).unwrap();
    assert_refused(accounts::set_account_active(conn, b, false, None));
    assert_refused(roles::update_role(conn, admin, None, &stripped, None));
    // An inactive account does not count: reactivating one is what lets
    // the other go.
    let c = account(conn, "third.admin", vec![admin]);
    accounts::set_account_active(conn, c, false, None).unwrap();
    assert_refused(accounts::delete_account(conn, b, None, None));
    accounts::set_account_active(conn, c, true, None).unwrap();
    accounts::delete_account(conn, b, None, None).unwrap();
    assert_eq!(managers(conn, admin), vec![c]);
    // Another role with the permission keeps the hospital managed too.
    let keeper = role(conn, "Account keeper", vec![Permission::AccountsManage]);
    accounts::put_account_role(conn, a, keeper, None).unwrap();
    roles::update_role(conn, admin, None, &stripped, None).unwrap();
    assert_refused(accounts::remove_account_role(conn, a, keeper, None));
}

#[test]
fn an_end_date_already_past_cannot_lock_out_the_last_account_manager() {
    let db = TestDatabase::migrated().unwrap();
    let conn = &mut db.connect().unwrap();
    let admin = role(conn, "Administrator", Permission::ALL.to_vec());
    let places = Places::create(conn).unwrap();
    let member = staff::create_staff(conn, &places.new_staff(1), None)
        .unwrap()
        .id;
    let a = accounts::create_account(
        conn,
        &NewAccount {
            username: "staff.admin".into(),
            password: "a long passphrase".into(),
            staff_id: Some(member),
            roles: vec![admin],
        },
        None,
    )
    .unwrap()
    .id;
    let today = chrono::Utc::now().date_naive();
    let end = |date| StaffPatch {
        end_date: date,
        ..Default::default()
    };
    let yesterday = end(Patch::Set(today.pred_opt().unwrap()));

    // Login would refuse them from now on: refused, nothing changes.
    assert_refused(staff::update_staff(conn, member, None, &yesterday, None));
    assert_eq!(staff::get_staff(conn, member).unwrap().end_date, None);
    // Today is still a working day (the end date is the last one).
    staff::update_staff(conn, member, None, &end(Patch::Set(today)), None).unwrap();

    // With a second manager they may leave; the ended account, still active
    // until the sweep, no longer counts, so the other is now the last.
    let b = account(conn, "second.admin", vec![admin]);
    staff::update_staff(conn, member, None, &yesterday, None).unwrap();
    assert!(accounts::get_account(conn, a).unwrap().active);
    assert_refused(accounts::set_account_active(conn, b, false, None));
    // Their end date cleared (a mistake undone), they count again.
    staff::update_staff(conn, member, None, &end(Patch::Clear), None).unwrap();
    accounts::set_account_active(conn, b, false, None).unwrap();
}

#[test]
fn managers_demoting_each_other_at_once_leave_one() {
    let db = TestDatabase::migrated().unwrap();
    let conn = &mut db.connect().unwrap();
    let admin = role(conn, "Administrator", Permission::ALL.to_vec());
    for round in 0..3 {
        let ids: Vec<AccountId> = (0..4)
            .map(|n| account(conn, &format!("admin.{round}.{n}"), vec![admin]))
            .collect();
        // The accounts from earlier rounds that kept the role go first, so
        // that this round's are the only managers.
        for earlier in managers(conn, admin) {
            if !ids.contains(&earlier) {
                accounts::remove_account_role(conn, earlier, admin, None).unwrap();
            }
        }
        let start = std::sync::Barrier::new(ids.len());
        let results: Vec<Result<(), DbError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = ids
                .iter()
                .map(|&id| {
                    let (db, start) = (&db, &start);
                    scope.spawn(move || {
                        let mut own = db.connect().unwrap();
                        start.wait();
                        accounts::remove_account_role(&mut own, id, admin, None)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let refused = results.iter().filter(|r| r.is_err()).count();
        for result in results.into_iter().filter(Result::is_err) {
            assert_refused(result);
        }
        assert_eq!(refused, 1, "round {round}");
        assert_eq!(managers(conn, admin).len(), 1, "round {round}");
    }
}
