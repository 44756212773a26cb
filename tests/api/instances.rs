//! Several instances on one database (the documented way to scale out): two `Application`s
//! share one database and one sandbox, as two instances behind a load balancer do.

use std::net::TcpListener;

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use spendboard::startup::Application;
use spendboard::state::AppState;

use crate::databases::{TestDb, on_both_databases};
use crate::helpers::{EDITOR, TestApp, assert_is_redirect_to, plain_client, spawn_app, user_id};
use crate::sign_in::session_cookie;
use spendboard::store::LeaseScope;

/// A second instance of `app`: the same settings (database, identity, Partner Center, key)
/// on another port.
pub(crate) async fn second_instance(app: &TestApp) -> (String, actix_web::web::Data<AppState>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = app.state.settings.clone();
    settings.server.port = port;
    let instance = Application::build_on(listener, settings)
        .await
        .expect("the second instance builds");
    let state = instance.state();
    tokio::spawn(instance.run_until_stopped());
    (format!("http://localhost:{port}"), state)
}

/// GET `url` from a browser without cookies of its own, sending `cookie` (as a load balancer
/// sends the same browser to either instance).
async fn get_with(cookie: &str, url: String) -> reqwest::Response {
    plain_client()
        .get(url)
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn two_instances_on_one_database_share_sessions_budgets_owners_and_a_single_refresh() {
    let a = spawn_app().await;
    let signed_in = a.sign_in_as(EDITOR).await;
    assert_is_redirect_to(&signed_in, "/");
    let cookie = session_cookie(&signed_in).expect("a session cookie");
    a.get("/").await;
    a.wait_for_refresh().await;
    let (b, b_state) = second_instance(&a).await;

    // Signed in on A works on B.
    let on_b = get_with(&cookie, format!("{b}/")).await;
    assert_eq!(
        on_b.status(),
        StatusCode::OK,
        "the session is in the database"
    );
    assert!(on_b.text().await.unwrap().contains("60 matching customers"));

    // A budget changed on A shows on B.
    let path = crate::sign_in::first_customer_path(&a).await;
    let html = a.get_html(&path).await;
    let (csrf, based_on) = crate::budget::form_fields(&html);
    let changed = a.change_budget(&path, &csrf, &based_on, "4321", None).await;
    assert!(changed.status().is_redirection(), "{}", changed.status());
    let on_b = get_with(&cookie, format!("{b}{path}")).await;
    assert_eq!(on_b.status(), StatusCode::OK);
    let on_b = on_b.text().await.unwrap();
    assert!(on_b.contains("4,321") || on_b.contains("4321"), "{on_b}");

    // An owner added on A shows on B's dashboard, which had read the portfolios before; so
    // does the owner's removal.
    for (action, shown) in [
        ("owners", " 1 matching customer "),
        ("owners/remove", "60 matching customers"),
    ] {
        let changed = a.owner_form(&path, action, &csrf, EDITOR).await;
        assert!(changed.status().is_redirection(), "{}", changed.status());
        let on_b = get_with(&cookie, format!("{b}/"))
            .await
            .text()
            .await
            .unwrap();
        assert!(on_b.contains(shown), "after {action}, on B: {on_b}");
    }

    // Concurrent stale visits on both instances: one partner-wide pass.
    crate::operations::age_the_data(&a, chrono::TimeDelta::hours(3)).await;
    a.sandbox_control(Method::DELETE, "_sandbox/requests", None)
        .await;
    let mut visits = tokio::task::JoinSet::new();
    for i in 0..10 {
        let base = if i % 2 == 0 {
            a.address.clone()
        } else {
            b.clone()
        };
        let cookie = cookie.clone();
        visits.spawn(async move { get_with(&cookie, format!("{base}/")).await.status() });
    }
    while let Some(status) = visits.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    a.wait_for_refresh().await;
    let requests = a
        .sandbox_control(Method::GET, "_sandbox/requests", None)
        .await;
    assert_eq!(
        requests["counts"]["GET /v1/customers/usagerecords"], 1,
        "one partner-wide pass for both instances: {requests}"
    );
    let run = b_state
        .store
        .latest_run(LeaseScope::Partner)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.state, spendboard::store::RunState::Succeeded);

    // Signed out on B is signed out on A.
    let page = get_with(&cookie, format!("{b}/refresh")).await;
    let csrf = TestApp::csrf_token(&page.text().await.unwrap());
    let out = plain_client()
        .post(format!("{b}/sign-out"))
        .header(COOKIE, &cookie)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&out, "/sign-in?signed_out=1");
    let on_a = get_with(&cookie, a.url("/")).await;
    assert_is_redirect_to(&on_a, "/sign-in");
}

async fn a_refused_renewal_deletes_only_the_tokens_it_saw(db: &TestDb) {
    use spendboard::store::{StoredTokens, User};
    let user = User {
        id: user_id(1),
        tenant_id: "tenant".to_owned(),
        name: "User 1".to_owned(),
        email: None,
        roles: vec!["Reader".to_owned()],
    };
    db.store
        .upsert_user(&user, chrono::Utc::now())
        .await
        .unwrap();
    let tokens = |n: u8| StoredTokens {
        access_token: vec![n; 16],
        refresh_token: Some(vec![n; 40]),
        expires_at: "2026-11-21T09:00:00Z".parse().unwrap(),
    };
    db.store.save_tokens(user_id(1), &tokens(1)).await.unwrap();
    // Instance A reads tokens 1; instance B renews them meanwhile and saves tokens 2.
    let seen = db.store.tokens(user_id(1)).await.unwrap().unwrap();
    db.store.save_tokens(user_id(1), &tokens(2)).await.unwrap();
    // A's renewal with tokens 1 is refused: B's tokens stay.
    assert!(
        !db.store
            .delete_tokens_if_unchanged(user_id(1), &seen)
            .await
            .unwrap(),
        "{}",
        db.kind()
    );
    assert_eq!(
        db.store
            .tokens(user_id(1))
            .await
            .unwrap()
            .map(|t| t.access_token),
        Some(vec![2; 16])
    );
    // Refused with the tokens still stored: they go.
    let seen = db.store.tokens(user_id(1)).await.unwrap().unwrap();
    assert!(
        db.store
            .delete_tokens_if_unchanged(user_id(1), &seen)
            .await
            .unwrap()
    );
    assert_eq!(db.store.tokens(user_id(1)).await.unwrap(), None);
}
on_both_databases!(a_refused_renewal_deletes_only_the_tokens_it_saw);

#[tokio::test]
async fn a_scheduled_refresh_runs_once_per_period_not_once_per_instance() {
    let a =
        crate::helpers::spawn_app_with(partner_center_sandbox::SandboxOptions::default(), |s| {
            s.refresh.background_every_seconds = 1;
        })
        .await;
    a.sign_in_and_load(EDITOR).await;
    let (_b, _b_state) = second_instance(&a).await;
    let (_c, _c_state) = second_instance(&a).await;
    let before = a.latest_run().await.id;
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    let after = a.latest_run().await.id;
    let runs = after - before;
    // Three instances ticking every second for 4.5 s: about 13 rounds, of which one per
    // period (at least 0.9 s apart) refreshes.
    assert!(
        (2..=5).contains(&runs),
        "{runs} scheduled refreshes in 4.5 s"
    );
}

/// The URL of a new, empty (not migrated) database of the kind under test.
async fn empty_database_url() -> String {
    use sqlx::Connection as _;
    match crate::helpers::database_kind() {
        spendboard::store::DatabaseKind::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            std::env::temp_dir()
                .join(format!("spendboard-test-{}.db", uuid::Uuid::new_v4()))
                .display()
        ),
        spendboard::store::DatabaseKind::Postgres => {
            let admin_url = std::env::var("SPENDBOARD_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            let name = format!("spendboard_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.ok();
            let mut url = url::Url::parse(&admin_url).unwrap();
            url.set_path(&name);
            url.to_string()
        }
    }
}

#[tokio::test]
async fn several_instances_may_migrate_one_database_at_once() {
    let url = empty_database_url().await;
    // Several instances means PostgreSQL (its migrations take an advisory lock); SQLite is
    // for one instance, which migrates alone.
    let instances = match crate::helpers::database_kind() {
        spendboard::store::DatabaseKind::Postgres => 4,
        spendboard::store::DatabaseKind::Sqlite => 1,
    };
    let mut migrations = tokio::task::JoinSet::new();
    for _ in 0..instances {
        let url = url.clone();
        migrations.spawn(async move {
            let store = spendboard::store::Store::connect(&url, 1).await?;
            let migrated = store.migrate().await;
            store.close().await;
            migrated
        });
    }
    while let Some(result) = migrations.join_next().await {
        result.unwrap().expect("every instance's migrate succeeds");
    }
    let store = spendboard::store::Store::connect(&url, 1).await.unwrap();
    store
        .migrate()
        .await
        .expect("and a later one finds nothing to do");
    assert_eq!(store.latest_run(LeaseScope::Partner).await.unwrap(), None);
    store.close().await;
}
