//! Sessions, failed-login counters and the end-date sweep, on whichever
//! backend the tests run on.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use chrono::{Duration, NaiveDate, Utc};
use directory_db::sessions::{self, LockoutPolicy};
use directory_db::testing::TestDatabase;
use directory_db::{DbConnection, accounts, cadres, departments, designations, staff};
use directory_domain::*;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn setup() -> (TestDatabase, DbConnection, StaffId, AccountId) {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let d = departments::create_department(
        &mut conn,
        &NewDepartment {
            name: "Anaesthesiology".into(),
            abbr: None,
            kind: DepartmentKind::Department,
        },
        None,
    )
    .unwrap();
    let c = cadres::create_cadre(
        &mut conn,
        &NewCadre {
            name: "Faculty".into(),
        },
        None,
    )
    .unwrap();
    let des = designations::create_designation(
        &mut conn,
        &NewDesignation {
            cadre_id: c.id,
            name: "Professor".into(),
            abbr: None,
        },
        None,
    )
    .unwrap();
    let s = staff::create_staff(
        &mut conn,
        &NewStaff {
            full_name: "Leaving Soon".into(),
            employee_id: "E1".into(),
            email: "leaving@example.org".into(),
            mobile: "9810000001".into(),
            email2: None,
            email3: None,
            mobile2: None,
            mobile3: None,
            office_address: None,
            department_id: d.id,
            unit_id: None,
            designation_id: des.id,
            supervisor_id: None,
            end_date: None,
        },
        None,
    )
    .unwrap();
    let a = accounts::create_account(
        &mut conn,
        &NewAccount {
            username: "leaving".into(),
            password: "a long passphrase".into(),
            staff_id: Some(s.id),
            roles: vec![],
        },
        None,
    )
    .unwrap();
    (db, conn, s.id, a.id)
}

fn set_end_date(conn: &mut DbConnection, id: StaffId, end: NaiveDate) {
    let patch = StaffPatch {
        end_date: Patch::Set(end),
        ..Default::default()
    };
    staff::update_staff(conn, id, None, &patch, None).unwrap();
}

#[test]
fn tokens_work_until_logout_and_are_stored_hashed() {
    let (_db, mut conn, _, account) = setup();
    let session = sessions::create_session(&mut conn, account, Duration::hours(1)).unwrap();
    assert!(session.token.starts_with("hd_"));
    let caller = sessions::authenticate(&mut conn, &session.token, today())
        .unwrap()
        .unwrap();
    assert_eq!(caller.account, account);
    assert!(
        sessions::authenticate(&mut conn, "hd_forged", today())
            .unwrap()
            .is_none()
    );
    sessions::end_session(&mut conn, caller.session).unwrap();
    assert!(
        sessions::authenticate(&mut conn, &session.token, today())
            .unwrap()
            .is_none()
    );
}

#[test]
fn expired_tokens_do_not_work() {
    let (_db, mut conn, _, account) = setup();
    let session = sessions::create_session(&mut conn, account, Duration::seconds(-1)).unwrap();
    assert!(
        sessions::authenticate(&mut conn, &session.token, today())
            .unwrap()
            .is_none()
    );
    assert_eq!(sessions::purge_expired(&mut conn).unwrap(), 1);
}

#[test]
fn the_sweep_deactivates_accounts_past_their_end_date() {
    let (_db, mut conn, staff_id, account) = setup();
    let session = sessions::create_session(&mut conn, account, Duration::hours(1)).unwrap();
    set_end_date(&mut conn, staff_id, today());
    assert!(
        accounts::deactivate_ended(&mut conn, today())
            .unwrap()
            .is_empty(),
        "today is a working day"
    );
    assert!(
        sessions::check_login(&mut conn, "leaving", "a long passphrase", today())
            .unwrap()
            .is_some()
    );

    set_end_date(&mut conn, staff_id, today() - Duration::days(1));
    // Refused before any sweep runs.
    assert!(
        sessions::check_login(&mut conn, "leaving", "a long passphrase", today())
            .unwrap()
            .is_none()
    );
    assert!(
        sessions::authenticate(&mut conn, &session.token, today())
            .unwrap()
            .is_none()
    );

    assert_eq!(
        accounts::deactivate_ended(&mut conn, today()).unwrap(),
        vec![account]
    );
    let after = accounts::get_account(&mut conn, account).unwrap();
    assert!(!after.active);
    assert_eq!(after.deactivation_reason, Some(DeactivationReason::EndDate));
    assert_eq!(after.deactivated_by, None);
    assert!(after.deactivated_at.is_some());
    assert!(
        accounts::deactivate_ended(&mut conn, today())
            .unwrap()
            .is_empty(),
        "idempotent"
    );
}

#[test]
fn failures_lock_a_key_for_a_while() {
    let (_db, mut conn, _, _) = setup();
    let policy = LockoutPolicy {
        max_failures: 3,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };
    let key = "u:leaving".to_owned();
    for _ in 0..2 {
        sessions::record_failure(&mut conn, "someone", &[(key.clone(), policy)]).unwrap();
        assert_eq!(
            sessions::locked_for(&mut conn, std::slice::from_ref(&key)).unwrap(),
            None
        );
    }
    sessions::record_failure(&mut conn, "someone", &[(key.clone(), policy)]).unwrap();
    let wait = sessions::locked_for(&mut conn, std::slice::from_ref(&key))
        .unwrap()
        .unwrap();
    assert!((890..=900).contains(&wait), "{wait}");
    sessions::clear_failures(&mut conn, std::slice::from_ref(&key)).unwrap();
    assert_eq!(sessions::locked_for(&mut conn, &[key]).unwrap(), None);
}

/// Failures counted at the same moment by several connections (several
/// server processes) are all counted, and the one that reaches the limit
/// locks the key, whichever of them inserted its row.
#[test]
fn concurrent_failures_are_all_counted() {
    let (db, _conn, _, _) = setup();
    let policy = LockoutPolicy {
        max_failures: 16,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };
    let key = "a:192.0.2.7".to_owned();
    let start = std::sync::Barrier::new(16);
    std::thread::scope(|scope| {
        for _ in 0..16 {
            let mut conn = db.connect().unwrap();
            let (start, key) = (&start, key.clone());
            scope.spawn(move || {
                start.wait();
                sessions::record_failure(&mut conn, "someone", &[(key, policy)]).unwrap();
            });
        }
    });
    let mut conn = db.connect().unwrap();
    let wait = sessions::locked_for(&mut conn, std::slice::from_ref(&key)).unwrap();
    assert!(
        wait.is_some_and(|w| (890..=900).contains(&w)),
        "sixteen failures at once lock the key: {wait:?}"
    );
}

/// Stores the hash an earlier release made for `password` (argon2id at
/// 19 MiB x 2 passes) as the account's, and returns it.
fn store_older_hash(conn: &mut DbConnection, account: AccountId, password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use diesel::prelude::*;
    use directory_db::schema::accounts as table;
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
    let hash = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(
            password.as_bytes(),
            &SaltString::generate(&mut argon2::password_hash::rand_core::OsRng),
        )
        .unwrap()
        .to_string();
    diesel::update(table::table.find(account.0))
        .set(table::password_hash.eq(&hash))
        .execute(conn)
        .unwrap();
    hash
}

fn stored_hash(conn: &mut DbConnection, account: AccountId) -> String {
    use diesel::prelude::*;
    use directory_db::schema::accounts as table;
    table::table
        .find(account.0)
        .select(table::password_hash)
        .first(conn)
        .unwrap()
}

fn logs_in(conn: &mut DbConnection, password: &str) -> bool {
    sessions::check_login(conn, "leaving", password, today())
        .unwrap()
        .is_some()
}

#[test]
fn a_login_replaces_a_hash_made_with_older_parameters() {
    let (_db, mut conn, _, account) = setup();
    let older = store_older_hash(&mut conn, account, "a long passphrase");
    let before = accounts::get_account(&mut conn, account).unwrap();

    assert!(!logs_in(&mut conn, "not the passphrase"));
    assert_eq!(stored_hash(&mut conn, account), older, "a wrong password");

    assert!(logs_in(&mut conn, "a long passphrase"));
    let current = stored_hash(&mut conn, account);
    assert!(
        current.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
        "{current}"
    );
    // The same password, and nothing a client sees has changed.
    assert!(logs_in(&mut conn, "a long passphrase"));
    assert!(!logs_in(&mut conn, "not the passphrase"));
    assert_eq!(stored_hash(&mut conn, account), current, "already current");
    let after = accounts::get_account(&mut conn, account).unwrap();
    assert_eq!(after.audit, before.audit);
}

#[test]
fn an_upgrade_never_undoes_a_password_change_made_meanwhile() {
    let (_db, mut conn, _, account) = setup();
    store_older_hash(&mut conn, account, "a long passphrase");
    // The login's password check (no connection held) ...
    let matched = accounts::LoginCandidate::find(&mut conn, "leaving")
        .unwrap()
        .check("a long passphrase")
        .unwrap();
    assert!(format!("{matched:?}").contains("rehash: true"));
    // ... while an administrator sets a new password ...
    accounts::set_password(&mut conn, account, "a newer passphrase", None, None).unwrap();
    // ... then the login finishes.
    sessions::may_log_in(&mut conn, matched, today())
        .unwrap()
        .unwrap();
    assert!(logs_in(&mut conn, "a newer passphrase"));
    assert!(!logs_in(&mut conn, "a long passphrase"));
}

/// A password change checks the current password away from the database
/// (no connection held); if an administrator sets a new password in that
/// time, the change is refused rather than undo it, and the other sessions
/// end only when it goes through.
#[test]
fn a_password_change_checked_against_a_replaced_password_is_refused() {
    use directory_auth::passwords::NewHash;
    let (_db, mut conn, _, account) = setup();
    let keep = sessions::create_session(&mut conn, account, Duration::hours(1)).unwrap();
    let matched = accounts::LoginCandidate::of_account(&mut conn, account)
        .unwrap()
        .check("a long passphrase")
        .unwrap();
    let hash = NewHash::of("my own new passphrase").unwrap();
    assert!(!format!("{hash:?}").contains('$'), "{hash:?}");
    let session = |conn: &mut DbConnection, token: &str| {
        sessions::authenticate(conn, token, today())
            .unwrap()
            .unwrap()
            .session
    };
    let kept = session(&mut conn, &keep.token);
    accounts::set_password(&mut conn, account, "set by an administrator", None, None).unwrap();
    let refused = accounts::change_checked_password(&mut conn, &matched, &hash, kept);
    assert!(
        matches!(refused, Err(directory_db::DbError::Conflict { .. })),
        "{refused:?}"
    );
    assert!(logs_in(&mut conn, "set by an administrator"));

    // Checked against the password in force, it goes through.
    let keep = sessions::create_session(&mut conn, account, Duration::hours(1)).unwrap();
    let other = sessions::create_session(&mut conn, account, Duration::hours(1)).unwrap();
    let matched = accounts::LoginCandidate::of_account(&mut conn, account)
        .unwrap()
        .check("set by an administrator")
        .unwrap();
    let kept = session(&mut conn, &keep.token);
    accounts::change_checked_password(&mut conn, &matched, &hash, kept).unwrap();
    assert!(logs_in(&mut conn, "my own new passphrase"));
    let alive = |conn: &mut DbConnection, token: &str| {
        sessions::authenticate(conn, token, today())
            .unwrap()
            .is_some()
    };
    assert!(alive(&mut conn, &keep.token));
    assert!(!alive(&mut conn, &other.token));
}
