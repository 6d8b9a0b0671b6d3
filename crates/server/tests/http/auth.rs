//! Accounts, login, tokens, permissions and brute-force limits over HTTP.

use crate::support::{ADMIN_PASSWORD, Api, TestApp};
use serde_json::{Value, json};

const PASSWORD: &str = "consultant passphrase 1";

/// Creates an account with the Consultant role (read-only), optionally
/// for a staff member, and returns its id.
async fn consultant(s: &TestApp, username: &str, staff_id: Option<i64>) -> i64 {
    let res = s
        .post(
            "/api/v1/accounts",
            json!({"username": username, "password": PASSWORD, "roles": [2], "staff_id": staff_id}),
        )
        .await;
    assert_eq!(res.status, 201, "{:#}", res.body);
    res.id()
}

#[tokio::test]
async fn logging_in_gives_a_bearer_token() {
    let s = TestApp::start_anonymous().await;
    let res = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "ADMIN", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    assert_eq!(res.body["token_type"], "Bearer");
    let token = res.body["access_token"].as_str().unwrap();
    assert!(token.len() >= 40, "a 256-bit token: {token}");
    assert_eq!(res.body["account"]["username"], "admin");
    assert_eq!(res.body["account"]["role_names"], json!(["Administrator"]));
    assert_eq!(
        res.body["account"]["permissions"].as_array().unwrap().len(),
        4
    );
    let expires: chrono::DateTime<chrono::Utc> =
        res.body["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (expires - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((7.9..=8.0).contains(&hours), "{hours}");

    s.use_token(Some(token.to_owned()));
    let me = s.get("/api/v1/auth/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["username"], "admin");
    assert!(me.body["last_login_at"].is_string());
}

#[tokio::test]
async fn everything_but_login_needs_a_token() {
    let s = TestApp::start_anonymous().await;
    for path in [
        "/api/v1/departments",
        "/api/v1/staff/1",
        "/api/v1/auth/me",
        "/api/v1/accounts",
    ] {
        let res = s.get(path).await;
        res.assert_problem(401);
    }
    let res = s.get("/api/v1/departments").await;
    assert_eq!(res.headers["www-authenticate"], "Bearer");
    s.post(
        "/api/v1/departments",
        json!({"name": "X", "kind": "centre"}),
    )
    .await
    .assert_problem(401);
    s.use_token(Some("hd_not-a-real-token".into()));
    s.get("/api/v1/departments").await.assert_problem(401);
    s.use_token(Some("garbage".into()));
    s.get("/api/v1/departments").await.assert_problem(401);
    // Operations stay public.
    assert_eq!(s.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn wrong_username_and_wrong_password_look_the_same() {
    let s = TestApp::start_anonymous().await;
    let unknown = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "nobody", "password": "whatever1"}),
        )
        .await;
    let wrong = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": "whatever1"}),
        )
        .await;
    unknown.assert_problem(401);
    wrong.assert_problem(401);
    assert_eq!(unknown.body, wrong.body);
}

#[tokio::test]
async fn logout_ends_the_token() {
    let s = TestApp::start().await;
    assert_eq!(s.get("/api/v1/auth/me").await.status, 200);
    assert_eq!(s.post_empty("/api/v1/auth/logout").await.status, 204);
    s.get("/api/v1/auth/me").await.assert_problem(401);
    s.get("/api/v1/departments").await.assert_problem(401);
}

#[tokio::test]
async fn roles_decide_what_a_token_may_do() {
    let s = TestApp::start().await;
    consultant(&s, "dr.rao", None).await;
    let token = s.login("dr.rao", PASSWORD).await;
    s.use_token(Some(token));
    assert_eq!(s.get("/api/v1/departments").await.status, 200);
    assert_eq!(s.get("/api/v1/staff").await.status, 200);
    assert_eq!(s.get("/api/v1/roles").await.status, 200);
    let res = s
        .post(
            "/api/v1/departments",
            json!({"name": "Neurology", "kind": "department"}),
        )
        .await;
    res.assert_problem(403);
    assert!(res.detail().contains("directory:write"), "{}", res.detail());
    s.patch("/api/v1/departments/1", None, json!({"abbr": "X"}))
        .await
        .assert_problem(403);
    s.delete("/api/v1/units/1", None).await.assert_problem(403);
    s.put("/api/v1/departments/1/heads/1")
        .await
        .assert_problem(403);
    s.get("/api/v1/accounts").await.assert_problem(403);
    s.post("/api/v1/roles", json!({"name": "Mine"}))
        .await
        .assert_problem(403);
    let me = s.get("/api/v1/auth/me").await;
    assert_eq!(me.body["permissions"], json!(["directory:read"]));
}

#[tokio::test]
async fn deactivation_kills_live_tokens() {
    let s = TestApp::start().await;
    let id = consultant(&s, "dr.sen", None).await;
    let admin = s.login("admin", ADMIN_PASSWORD).await;
    let token = s.login("dr.sen", PASSWORD).await;
    s.use_token(Some(token.clone()));
    assert_eq!(s.get("/api/v1/auth/me").await.status, 200);

    s.use_token(Some(admin.clone()));
    let res = s
        .post_empty(&format!("/api/v1/accounts/{id}/deactivate"))
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    assert_eq!(res.body["active"], false);
    assert_eq!(res.body["deactivation_reason"], "manual");
    assert_eq!(res.body["deactivated_by"], 1);

    s.use_token(Some(token));
    s.get("/api/v1/auth/me").await.assert_problem(401);
    s.use_token(None);
    s.post(
        "/api/v1/auth/login",
        json!({"username": "dr.sen", "password": PASSWORD}),
    )
    .await
    .assert_problem(401);

    // Reactivated, it may log in again; an admin cannot lock themselves out.
    s.use_token(Some(admin));
    s.post_empty(&format!("/api/v1/accounts/{id}/reactivate"))
        .await;
    s.login("dr.sen", PASSWORD).await;
    s.post_empty("/api/v1/accounts/1/deactivate")
        .await
        .assert_problem(409);
    s.delete("/api/v1/accounts/1", None)
        .await
        .assert_problem(409);
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions() {
    let s = TestApp::start().await;
    consultant(&s, "dr.iyer", None).await;
    let other = s.login("dr.iyer", PASSWORD).await;
    let this = s.login("dr.iyer", PASSWORD).await;
    s.use_token(Some(this.clone()));
    let res = s
        .post(
            "/api/v1/auth/password",
            json!({"current_password": "wrong one", "new_password": "a new passphrase"}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["current_password"]);
    let res = s
        .post(
            "/api/v1/auth/password",
            json!({"current_password": PASSWORD, "new_password": "dr.iyer"}),
        )
        .await;
    assert_eq!(res.error_fields(), ["new_password"]);
    let res = s
        .post(
            "/api/v1/auth/password",
            json!({"current_password": PASSWORD, "new_password": "a new passphrase"}),
        )
        .await;
    assert_eq!(res.status, 204, "{:#}", res.body);
    assert_eq!(s.get("/api/v1/auth/me").await.status, 200);
    s.use_token(Some(other));
    s.get("/api/v1/auth/me").await.assert_problem(401);
    s.use_token(None);
    s.post(
        "/api/v1/auth/login",
        json!({"username": "dr.iyer", "password": PASSWORD}),
    )
    .await
    .assert_problem(401);
    s.login("dr.iyer", "a new passphrase").await;
}

/// An administrator who sets their own password through `/accounts/{id}`
/// stays logged in there, as at `/auth/password`; their other sessions end.
#[tokio::test]
async fn an_administrator_setting_their_own_password_keeps_this_session() {
    let s = TestApp::start().await;
    let this = s.login("admin", ADMIN_PASSWORD).await;
    let other = s.login("admin", ADMIN_PASSWORD).await;
    s.use_token(Some(this));
    let res = s
        .patch(
            "/api/v1/accounts/1",
            None,
            json!({"password": "reset by myself"}),
        )
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    assert_eq!(s.get("/api/v1/auth/me").await.status, 200);
    s.use_token(Some(other));
    s.get("/api/v1/auth/me").await.assert_problem(401);
    s.login("admin", "reset by myself").await;
}

#[tokio::test]
async fn the_sixth_bad_login_is_refused_with_429() {
    let s = TestApp::start_anonymous().await;
    let bad = json!({"username": "admin", "password": "not the password"});
    for _ in 0..5 {
        s.post("/api/v1/auth/login", bad.clone())
            .await
            .assert_problem(401);
    }
    let res = s.post("/api/v1/auth/login", bad.clone()).await;
    res.assert_problem(429);
    let retry: i64 = res.headers["retry-after"].parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Even the right password waits out the cooling-off period.
    s.post(
        "/api/v1/auth/login",
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    )
    .await
    .assert_problem(429);
}

#[tokio::test]
async fn a_successful_login_resets_the_count() {
    let s = TestApp::start_anonymous().await;
    let bad = json!({"username": "admin", "password": "not the password"});
    for _ in 0..4 {
        s.post("/api/v1/auth/login", bad.clone())
            .await
            .assert_problem(401);
    }
    s.login("admin", ADMIN_PASSWORD).await;
    for _ in 0..4 {
        s.post("/api/v1/auth/login", bad.clone())
            .await
            .assert_problem(401);
    }
    s.login("admin", ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn an_ended_staff_member_cannot_log_in() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await;
    let id = consultant(&s, "dr.das", Some(member.id())).await;
    let token = s.login("dr.das", PASSWORD).await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let res = s
        .patch(
            &format!("/api/v1/staff/{}", member.id()),
            None,
            json!({"end_date": yesterday}),
        )
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    // Before any sweep: the live token and new logins are refused.
    s.use_token(Some(token));
    s.get("/api/v1/auth/me").await.assert_problem(401);
    s.use_token(None);
    s.post(
        "/api/v1/auth/login",
        json!({"username": "dr.das", "password": PASSWORD}),
    )
    .await
    .assert_problem(401);
    // Today as end date is still a working day.
    let admin = s.login("admin", ADMIN_PASSWORD).await;
    s.use_token(Some(admin));
    let today = chrono::Utc::now().date_naive().to_string();
    s.patch(
        &format!("/api/v1/staff/{}", member.id()),
        None,
        json!({"end_date": today}),
    )
    .await;
    s.use_token(None);
    s.login("dr.das", PASSWORD).await;
    let _ = id;
}

/// An end date is the hospital's date: in a hospital far east of UTC the
/// day it names ends many hours before it does in one far west.
#[tokio::test]
async fn an_end_date_ends_access_when_the_hospitals_day_ends() {
    // Today at UTC-12: yesterday (or earlier) at UTC+14, whatever the hour.
    let west_today = (chrono::Utc::now() - chrono::Duration::hours(12))
        .date_naive()
        .to_string();
    for (zone, still_working) in [("Etc/GMT+12", true), ("Etc/GMT-14", false)] {
        let s = TestApp::start_with(&[("timezone", zone)]).await;
        let member = s.create_staff(1).await;
        consultant(&s, "dr.das", Some(member.id())).await;
        let res = s
            .patch(
                &format!("/api/v1/staff/{}", member.id()),
                None,
                json!({ "end_date": west_today }),
            )
            .await;
        assert_eq!(res.status, 200, "{:#}", res.body);
        s.use_token(None);
        let login = s
            .post(
                "/api/v1/auth/login",
                json!({"username": "dr.das", "password": PASSWORD}),
            )
            .await;
        let expected = if still_working { 200 } else { 401 };
        assert_eq!(login.status, expected, "{zone}: {:#}", login.body);
    }
}

#[tokio::test]
async fn accounts_are_managed_with_their_rules() {
    let s = TestApp::start().await;
    let res = s
        .post(
            "/api/v1/accounts",
            json!({"username": "dr.roy", "password": "short"}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["password"]);
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at least 8")
    );
    let res = s
        .post(
            "/api/v1/accounts",
            json!({"username": "dr.roy", "password": "DR.ROY"}),
        )
        .await;
    assert_eq!(res.error_fields(), ["password"]);
    let res = s
        .post(
            "/api/v1/accounts",
            json!({"username": "dr.roy", "password": "long enough", "roles": [99]}),
        )
        .await;
    assert_eq!(res.error_fields(), ["roles"]);
    let id = consultant(&s, "dr.roy", None).await;
    let res = s
        .post(
            "/api/v1/accounts",
            json!({"username": "DR.ROY", "password": "long enough"}),
        )
        .await;
    res.assert_problem(409);
    assert_eq!(res.error_fields(), ["username"]);

    let path = format!("/api/v1/accounts/{id}");
    let account = s.get(&path).await;
    assert_eq!(account.body["roles"], json!([2]));
    assert_eq!(account.body["created_by"], 1, "audit: made by the admin");
    assert!(account.body["uid"].as_str().unwrap().len() == 36);
    assert_eq!(s.put(&format!("{path}/roles/3")).await.status, 201);
    assert_eq!(s.put(&format!("{path}/roles/3")).await.status, 204);
    assert_eq!(s.delete(&format!("{path}/roles/2"), None).await.status, 204);
    assert_eq!(s.get(&path).await.body["roles"], json!([3]));
    assert_eq!(s.get("/api/v1/accounts?role_id=3").await.body["total"], 1);

    // An administrator's new password ends the account's sessions.
    let token = s.login("dr.roy", PASSWORD).await;
    let res = s
        .patch(&path, None, json!({"password": "reset by admin 1"}))
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    let admin = s.login("admin", ADMIN_PASSWORD).await;
    s.use_token(Some(token));
    s.get("/api/v1/auth/me").await.assert_problem(401);
    s.use_token(Some(admin));
    assert_eq!(s.delete(&path, None).await.status, 204);
    s.get(&path).await.assert_problem(404);
}

/// The first administrator cannot take away the hospital's only way to
/// manage accounts, by any route; with a second administrator, they can.
#[tokio::test]
async fn the_last_account_manager_cannot_be_demoted() {
    let s = TestApp::start().await;
    let refused = s.delete("/api/v1/accounts/1/roles/1", None).await;
    refused.assert_problem(409);
    assert!(
        refused.detail().contains("accounts:manage"),
        "{}",
        refused.detail()
    );
    s.patch(
        "/api/v1/roles/1",
        None,
        json!({"permissions": ["directory:read"]}),
    )
    .await
    .assert_problem(409);
    let me = s.get("/api/v1/auth/me").await;
    assert!(
        me.body["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("accounts:manage")),
        "{:#}",
        me.body
    );
    let other = s
        .post(
            "/api/v1/accounts",
            json!({"username": "second.admin", "password": PASSWORD, "roles": [1]}),
        )
        .await;
    let other_path = format!("/api/v1/accounts/{}", other.id());
    assert_eq!(
        s.delete("/api/v1/accounts/1/roles/1", None).await.status,
        204
    );
    // The change took effect at once: this token no longer manages accounts.
    s.get("/api/v1/accounts").await.assert_problem(403);
    let token = s.login("second.admin", PASSWORD).await;
    s.use_token(Some(token));
    assert_eq!(s.get(&other_path).await.body["roles"], json!([1]));
}

/// Login refuses a staff member past their end date, so an end date
/// already past on the last manager's own staff record is refused too; one
/// still to come is not.
#[tokio::test]
async fn the_last_account_manager_cannot_be_given_a_past_end_date() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await.id();
    let account = s
        .post(
            "/api/v1/accounts",
            json!({"username": "staff.admin", "password": PASSWORD, "staff_id": member, "roles": [1]}),
        )
        .await;
    assert_eq!(account.status, 201, "{:#}", account.body);
    assert_eq!(
        s.delete("/api/v1/accounts/1/roles/1", None).await.status,
        204
    );
    let token = s.login("staff.admin", PASSWORD).await;
    s.use_token(Some(token));
    let path = format!("/api/v1/staff/{member}");
    let refused = s
        .patch(&path, None, json!({"end_date": "2020-01-31"}))
        .await;
    refused.assert_problem(409);
    assert!(
        refused.detail().contains("accounts:manage"),
        "{}",
        refused.detail()
    );
    assert_eq!(s.get(&path).await.body["end_date"], json!(null));
    let later = s
        .patch(&path, None, json!({"end_date": "2099-12-31"}))
        .await;
    assert_eq!(later.status, 200, "{:#}", later.body);
    assert_eq!(s.get("/api/v1/accounts").await.status, 200);
}

#[tokio::test]
async fn changes_record_who_made_them() {
    let s = TestApp::start().await;
    let created = s
        .post("/api/v1/cadres", json!({"name": "Technicians"}))
        .await;
    assert_eq!(created.body["created_by"], 1);
    assert_eq!(created.body["updated_by"], 1);
    // Another administrator edits it.
    let other = s
        .post(
            "/api/v1/accounts",
            json!({"username": "second.admin", "password": PASSWORD, "roles": [1]}),
        )
        .await;
    let other_id = other.id();
    let token = s.login("second.admin", PASSWORD).await;
    s.use_token(Some(token));
    let updated = s
        .patch(
            &format!("/api/v1/cadres/{}", created.id()),
            None,
            json!({"name": "OT Assistants"}),
        )
        .await;
    assert_eq!(updated.body["created_by"], 1);
    assert_eq!(updated.body["updated_by"], other_id);
    let member = s.create_staff(5).await;
    let res = s
        .post_empty(&format!("/api/v1/staff/{}/deactivate", member.id()))
        .await;
    assert_eq!(res.body["deactivated_by"], other_id);
}

/// Every GET in the document, with every path id set to 1, and the answers
/// to account changes and logins: none shows a password or a hash.
#[tokio::test]
async fn no_response_shows_a_password_or_hash() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await;
    consultant(&s, "dr.khan", Some(member.id())).await;
    let mut bodies: Vec<String> = Vec::new();
    let login = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "dr.khan", "password": PASSWORD}),
        )
        .await;
    bodies.push(login.body.to_string());
    bodies.push(
        s.patch(
            "/api/v1/accounts/2",
            None,
            json!({"password": "another passphrase"}),
        )
        .await
        .body
        .to_string(),
    );
    bodies.push(s.get("/api/v1/accounts?limit=200").await.body.to_string());

    let spec: Value = s.get("/openapi.json").await.body;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let concrete: String = path
            .split('/')
            .map(|part| if part.starts_with('{') { "1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        let res = s.get(&concrete).await;
        assert!(res.status < 500, "{concrete}: {}", res.status);
        bodies.push(res.body.to_string());
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} GET operations walked");
    for body in bodies {
        for secret in [
            PASSWORD,
            "another passphrase",
            ADMIN_PASSWORD,
            "$argon2",
            "password_hash",
            "token_hash",
        ] {
            assert!(
                !body.contains(secret),
                "a response shows {secret:?}: {body}"
            );
        }
    }
}
