//! The attacks of the security review that once got through, one test per finding: each
//! reproduces the attack over HTTP against the real app and sandbox and asserts it is refused
//! and nothing changed.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;
use spendboard::domain::UserId;

use crate::helpers::{
    EDITOR, READER, TestApp, assert_is_redirect_to, captured_logs, plain_client, spawn_app,
};
use crate::sign_in::first_customer_path;

/// The `spendboard_session=...` pair a response sets, if any.
fn set_session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("spendboard_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| v != "spendboard_session=")
}

/// Signs in on `app.client` and returns the session cookie pair it got.
async fn signed_in_cookie(app: &TestApp, login: &str) -> String {
    let response = app.sign_in_as(login).await;
    assert_is_redirect_to(&response, "/");
    set_session_cookie(&response).expect("a session cookie at sign-in")
}

/// Asserts that `cookie` opens neither the dashboard nor the CSV export.
async fn assert_cookie_is_dead(app: &TestApp, cookie: &str) {
    for path in ["/", "/customers.csv"] {
        let response = plain_client()
            .get(app.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{path} with {cookie} after sign-out"
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/sign-in"), "{path}: {location}");
    }
}

async fn sign_out(app: &TestApp, cookie: &str) {
    let html = plain_client()
        .get(app.url("/refresh"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = TestApp::csrf_token(&html);
    let out = plain_client()
        .post(app.url("/sign-out"))
        .header(COOKIE, cookie)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&out, "/sign-in?signed_out=1");
}

// Finding 1: signing out did not end the session.

#[tokio::test]
async fn pages_loading_in_parallel_while_signing_out_hand_back_no_signed_in_cookie() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let cookie = signed_in_cookie(&app, READER).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loops = Vec::new();
    for _ in 0..4 {
        let (url, cookie, stop) = (app.url("/"), cookie.clone(), stop.clone());
        loops.push(tokio::spawn(async move {
            let mut handed_back = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let response = plain_client()
                    .get(&url)
                    .header(COOKIE, &cookie)
                    .send()
                    .await
                    .unwrap();
                handed_back.extend(set_session_cookie(&response));
            }
            handed_back
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    sign_out(&app, &cookie).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut handed_back = Vec::new();
    for l in loops {
        handed_back.extend(l.await.unwrap());
    }
    assert_cookie_is_dead(&app, &cookie).await;
    for other in &handed_back {
        assert_cookie_is_dead(&app, other).await;
    }
}

#[tokio::test]
async fn a_slow_page_finishing_after_sign_out_does_not_sign_the_person_in_again() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let cookie = signed_in_cookie(&app, EDITOR).await;
    let customer = first_customer_path(&app).await;
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/faults",
        Some(
            json!({ "route": "GET /v1/customers/{id}/usagesummary", "kind": "delay", "ms": 4000 }),
        ),
    )
    .await;
    let slow = {
        let (url, cookie) = (app.url(&customer), cookie.clone());
        tokio::spawn(async move {
            plain_client()
                .get(url)
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    sign_out(&app, &cookie).await;
    let slow = slow.await.unwrap();
    assert_cookie_is_dead(&app, &cookie).await;
    if let Some(handed_back) = set_session_cookie(&slow) {
        assert_cookie_is_dead(&app, &handed_back).await;
    }
}

// Finding 5: callback errors were handled before the state was checked.

#[tokio::test]
async fn a_forged_callback_error_shows_no_attacker_text_forges_no_log_line_and_keeps_the_sign_in() {
    let app = spawn_app().await;
    let genuine = app.authorize_as(READER).await;
    let marker = uuid::Uuid::new_v4().simple().to_string();
    let forged = format!("FORGED-{marker} signed in as admin");
    let mut url = url::Url::parse(&app.url("/auth/callback")).unwrap();
    url.query_pairs_mut()
        .append_pair("error", &format!("access_denied\n{forged}"))
        .append_pair(
            "error_description",
            &format!("<b>Call +1 555 0100 to unlock</b> {marker}"),
        )
        .append_pair("state", "WRONG");
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("This sign-in link is not valid any more. Sign in again."));
    assert!(!html.contains(&marker), "no attacker text on the page");
    assert!(!html.contains("555 0100"));
    // The log has the text escaped on the same line, never a line of its own.
    let logs = captured_logs();
    assert!(
        logs.lines().all(|line| !line.starts_with(&forged)),
        "a forged log line: {logs}"
    );
    // The pending sign-in was not consumed: the genuine callback still signs in.
    assert_is_redirect_to(&app.client.get(&genuine).send().await.unwrap(), "/");
    assert_eq!(app.get("/refresh").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_error_with_the_right_state_shows_a_fixed_message_not_the_providers_text() {
    let app = spawn_app().await;
    let start = app.get("/auth/start").await;
    let authorize = url::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let mut url = url::Url::parse(&app.url("/auth/callback")).unwrap();
    url.query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair(
            "error_description",
            "AADSTS65004: <script>alert(1)</script>",
        )
        .append_pair("state", &state);
    let response = app.client.get(url.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("Microsoft sign-in did not complete"));
    assert!(!html.contains("AADSTS65004") && !html.contains("alert(1)"));
    // That used the pending sign-in up.
    let again = app.client.get(url).send().await.unwrap();
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("This sign-in link is not valid any more")
    );
}

// Finding 6: authorization codes were in the request logs.

#[tokio::test]
async fn the_request_log_never_holds_the_authorization_code_or_state() {
    let app = spawn_app().await;
    let callback = app.authorize_as(READER).await;
    let url = url::Url::parse(&callback).unwrap();
    let value = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .unwrap()
            .1
            .into_owned()
    };
    let (code, state) = (value("code"), value("state"));
    assert_is_redirect_to(&app.client.get(&callback).send().await.unwrap(), "/");
    let logs = captured_logs();
    assert!(
        logs.contains("/auth/callback?code=[redacted]&state=[redacted]"),
        "the callback is logged, redacted"
    );
    assert!(!logs.contains(&code), "the code is not logged");
    assert!(!logs.contains(&state), "the state is not logged");
}

// Finding 7: every cookie-less `/auth/start` stored a session row.

#[tokio::test]
async fn anonymous_sign_in_starts_store_nothing_and_expired_sessions_are_purged() {
    let app = spawn_app().await;
    let count = |app: &TestApp| {
        let store = app.store().clone();
        async move {
            let sql = "select count(*) from sessions";
            let n: i64 = match &store {
                spendboard::store::Store::Sqlite(pool) => {
                    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
                }
                spendboard::store::Store::Postgres(pool) => {
                    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
                }
            };
            n
        }
    };
    for _ in 0..200 {
        let response = plain_client()
            .get(app.url("/auth/start"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(set_session_cookie(&response), None);
    }
    assert_eq!(
        count(&app).await,
        0,
        "no session rows for sign-ins in progress"
    );
    // An expired row is deleted by the purge (which serve runs every 15 minutes).
    app.sign_in_as(READER).await;
    assert_eq!(count(&app).await, 1);
    let sql = "update sessions set expires_at = $1";
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    match app.store() {
        spendboard::store::Store::Sqlite(pool) => {
            sqlx::query(sql).bind(past).execute(pool).await.unwrap();
        }
        spendboard::store::Store::Postgres(pool) => {
            sqlx::query(sql).bind(past).execute(pool).await.unwrap();
        }
    }
    assert_eq!(app.store().delete_expired_sessions().await.unwrap(), 1);
    assert_eq!(count(&app).await, 0);
}

// Finding 2: demo mode started silently on real data.

/// Demo settings (no `[identity]`) on a fresh SQLite database, on a free port.
async fn demo_settings() -> spendboard::config::Settings {
    let mut settings = spendboard::config::Settings::default();
    settings.server.port = 0;
    settings.database.url = secrecy::SecretString::from(
        crate::helpers::fresh_database_url(spendboard::store::DatabaseKind::Sqlite).await,
    );
    settings
}

#[tokio::test]
async fn demo_mode_never_starts_on_what_looks_like_a_deployment() {
    use secrecy::SecretString;
    let postgres = {
        let mut s = demo_settings().await;
        s.database.url = SecretString::from("postgres://postgres@127.0.0.1:5432/postgres");
        s
    };
    let public_bind = {
        let mut s = demo_settings().await;
        s.server.host = std::net::IpAddr::from([0, 0, 0, 0]);
        s
    };
    let https = {
        let mut s = demo_settings().await;
        s.server.public_url = Some(url::Url::parse("https://spendboard.example.com").unwrap());
        s
    };
    let keyed = {
        let mut s = demo_settings().await;
        s.security.secret_key = Some(SecretString::from(
            "c3BlbmRib2FyZC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==",
        ));
        s
    };
    for (settings, named) in [
        (postgres, "database.url"),
        (public_bind, "server.host"),
        (https, "server.public_url"),
        (keyed, "security.secret_key"),
    ] {
        let refused = settings.validate().unwrap_err().to_string();
        assert!(
            refused.contains("`identity`") && refused.contains(named),
            "{refused}"
        );
        // And the application refuses to build, before starting any sandbox.
        let error = spendboard::startup::Application::build(settings)
            .await
            .err()
            .expect("refused");
        assert!(format!("{error:#}").contains("identity"), "{error:#}");
    }
}

#[tokio::test]
async fn demo_mode_refuses_a_real_database_and_a_real_start_refuses_a_demo_one() {
    // A real run's database (signed in through Entra ID; here the sandbox as a real IdP).
    let app = spawn_app().await;
    let real_url = {
        use secrecy::ExposeSecret as _;
        app.state.settings.database.url.expose_secret().to_owned()
    };
    let mut demo = demo_settings().await;
    demo.database.url = secrecy::SecretString::from(real_url.clone());
    let refused = spendboard::startup::Application::build(demo)
        .await
        .err()
        .expect("demo mode refuses a real database");
    let expected = if real_url.starts_with("postgres") {
        "`identity`" // a PostgreSQL URL alone already refuses demo mode
    } else {
        "demo mode never touches it"
    };
    assert!(format!("{refused:#}").contains(expected), "{refused:#}");

    // A demo run's database, then a real start on it.
    let demo = demo_settings().await;
    let demo_url = {
        use secrecy::ExposeSecret as _;
        demo.database.url.expose_secret().to_owned()
    };
    let demo_app = spendboard::startup::Application::build(demo)
        .await
        .expect("the demo starts on a fresh database");
    drop(demo_app);
    let sandbox = &app.sandbox;
    let real_on_demo = |adopt: bool| {
        let mut settings = spendboard::config::Settings::default();
        settings.server.port = 0;
        settings.database.url = secrecy::SecretString::from(demo_url.clone());
        settings.database.adopt_demo_database = adopt;
        settings.identity = Some(spendboard::config::IdentitySettings {
            authority: sandbox.issuer(),
            tenant_id: Some(sandbox.tenant_id),
            client_id: sandbox.client_id.clone(),
            client_secret: secrecy::SecretString::from(sandbox.client_secret.clone()),
        });
        settings.partner_center.base_url = sandbox.base_url.clone();
        settings.security.secret_key = Some(secrecy::SecretString::from(
            "c3BlbmRib2FyZC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==",
        ));
        settings
    };
    let refused = spendboard::startup::Application::build(real_on_demo(false))
        .await
        .err()
        .expect("a real start refuses a demo database");
    assert!(
        format!("{refused:#}").contains("adopt_demo_database"),
        "{refused:#}"
    );
    spendboard::startup::Application::build(real_on_demo(true))
        .await
        .expect("unless told");
}

#[tokio::test]
async fn demo_mode_says_so_on_every_page() {
    let app = spendboard::startup::Application::build(demo_settings().await)
        .await
        .unwrap();
    let address = format!("http://localhost:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    for path in ["/sign-in", "/no-such-page"] {
        let html = plain_client()
            .get(format!("{address}{path}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("class=\"demo-banner\""), "{path}: {html}");
    }
}

// Finding 4: roles were never re-checked and sessions never expired.

/// Runs `sql` on the app's database.
async fn execute(app: &TestApp, sql: String) {
    match app.store() {
        spendboard::store::Store::Sqlite(pool) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
        }
        spendboard::store::Store::Postgres(pool) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// Every session row's (state, expires_at as text).
async fn session_rows(app: &TestApp) -> Vec<(String, String)> {
    let sql = "select state, cast(expires_at as text) from sessions";
    match app.store() {
        spendboard::store::Store::Sqlite(pool) => {
            sqlx::query_as(sql).fetch_all(pool).await.unwrap()
        }
        spendboard::store::Store::Postgres(pool) => {
            sqlx::query_as(sql).fetch_all(pool).await.unwrap()
        }
    }
}

async fn set_sandbox_roles(app: &TestApp, login: &str, roles: &[&str]) {
    app.sandbox_control(
        reqwest::Method::PUT,
        "_sandbox/identity/roles",
        Some(json!({ "login": login, "roles": roles })),
    )
    .await;
}

/// An app whose access tokens live 2 minutes, so each use renews them.
async fn spawn_app_renewing_tokens() -> TestApp {
    crate::helpers::spawn_app_with(
        partner_center_sandbox::SandboxOptions {
            access_token_lifetime: Duration::from_secs(120),
            ..Default::default()
        },
        |_| {},
    )
    .await
}

#[tokio::test]
async fn a_user_who_lost_every_role_is_signed_out_at_the_next_token_renewal() {
    let app = spawn_app_renewing_tokens().await;
    app.sign_in_and_load(READER).await;
    let customer = first_customer_path(&app).await;
    set_sandbox_roles(&app, READER, &[]).await;
    let response = app.get(&customer).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("no longer has a Spendboard role")
    );
    assert!(session_rows(&app).await.is_empty(), "the session ended");
    assert_is_redirect_to(&app.get("/").await, "/sign-in");
    assert!(
        app.store()
            .latest_refreshable_tokens()
            .await
            .unwrap()
            .is_none(),
        "the tokens are forgotten"
    );
}

#[tokio::test]
async fn a_budget_editor_demoted_to_reader_loses_the_budget_form_at_the_next_renewal() {
    let app = spawn_app_renewing_tokens().await;
    app.sign_in_and_load(EDITOR).await;
    assert!(app.dashboard("").await.contains("Budget editor"));
    let customer = first_customer_path(&app).await;
    set_sandbox_roles(&app, EDITOR, &["Spendboard.Reader"]).await;
    // This page renews the token, which brings the new roles.
    app.get_html(&customer).await;
    let page = app.get_html("/refresh").await;
    assert!(!page.contains("Budget editor"), "the role shown is Reader");
    let token = TestApp::csrf_token(&page);
    let before = app.store().user(user_id_of(&app).await).await.unwrap();
    assert_eq!(before.unwrap().roles, vec!["Spendboard.Reader".to_owned()]);
    let refused = app.change_budget(&customer, &token, "", "100", None).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn user_id_of(app: &TestApp) -> UserId {
    app.store()
        .latest_refreshable_tokens()
        .await
        .unwrap()
        .expect("stored tokens")
        .0
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = spawn_app().await;
    app.sign_in_as(READER).await;
    assert_eq!(app.get("/refresh").await.status(), StatusCode::OK);
    // Signed in 12 hours ago (the default absolute lifetime), active all along.
    let rows = session_rows(&app).await;
    assert_eq!(rows.len(), 1);
    let mut state: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&rows[0].0).unwrap();
    let mut user: serde_json::Value =
        serde_json::from_str(state["user"].as_str().unwrap()).unwrap();
    let twelve_hours_ago = chrono::Utc::now().timestamp() - 12 * 3600;
    user["signed_in_at"] = json!(twelve_hours_ago);
    user["last_seen"] = json!(chrono::Utc::now().timestamp());
    state.insert("user".into(), json!(user.to_string()));
    let body = serde_json::Value::Object(state)
        .to_string()
        .replace('\'', "''");
    execute(&app, format!("update sessions set state = '{body}'")).await;
    assert_is_redirect_to(&app.get("/refresh").await, "/sign-in?return_to=%2Frefresh");
    assert!(
        session_rows(&app).await.is_empty(),
        "the session row is gone"
    );
}

#[tokio::test]
async fn page_views_do_not_write_the_session_or_slide_its_expiry() {
    let app = spawn_app().await;
    app.sign_in_as(READER).await;
    let before = session_rows(&app).await;
    for _ in 0..3 {
        assert_eq!(app.get("/refresh").await.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(session_rows(&app).await, before);
}

// Finding 8: a `links.next` beginning with `\\` resolved to another host, which would have
// received the bearer token.

/// Serves `body` as JSON on every path and counts the requests that carried a bearer token.
fn fake_server(body: serde_json::Value) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tokens = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = tokens.clone();
    let server = HttpServer::new(move || {
        let (body, seen) = (body.clone(), seen.clone());
        App::new().default_service(web::to(move |req: HttpRequest| {
            let (body, seen) = (body.clone(), seen.clone());
            async move {
                if req.headers().contains_key("authorization") {
                    seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                HttpResponse::Ok().json(body)
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (port, tokens)
}

#[tokio::test]
async fn a_next_link_to_another_host_never_receives_the_token() {
    let (evil_port, evil_tokens) = fake_server(json!({ "totalCount": 0, "items": [] }));
    for next in [
        format!("\\\\127.0.0.1:{evil_port}/v1/customers"),
        format!("\\\\127.0.0.1:{evil_port}\\v1\\customers"),
        format!("/\\127.0.0.1:{evil_port}/v1/customers"),
        format!("//127.0.0.1:{evil_port}/v1/customers"),
    ] {
        let (pc_port, _) = fake_server(json!({
            "totalCount": 0,
            "items": [],
            "links": { "next": { "uri": next, "method": "GET", "headers": [] } },
            "attributes": { "objectType": "Collection" }
        }));
        let client = spendboard::partner_center::PartnerCenterClient::new(
            spendboard::partner_center::ClientSettings::new(
                url::Url::parse(&format!("http://127.0.0.1:{pc_port}")).unwrap(),
            ),
        )
        .unwrap();
        let result = client
            .customers(&spendboard::partner_center::AccessToken::new(
                "secret-token",
            ))
            .await;
        assert!(result.is_err(), "{next}: the link is refused");
    }
    assert_eq!(
        evil_tokens.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the other host never got a request with the token"
    );
}

// Finding 9: the sandbox's control API accepted any content type, so a cross-site form could
// register a redirect URI (and then obtain a code) or revoke every token.

#[tokio::test]
async fn the_sandbox_control_api_refuses_what_a_cross_site_form_can_send() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let control = |path: &str| app.sandbox.base_url.join(path).unwrap();
    let evil = "http://evil.example/callback";
    let forms: [(&str, &str, String); 4] = [
        (
            "_sandbox/identity/redirect-uris",
            "text/plain",
            json!({ "uri": evil }).to_string(),
        ),
        (
            "_sandbox/identity/redirect-uris",
            "application/x-www-form-urlencoded",
            format!("{{\"uri\":\"{evil}\"}}="),
        ),
        (
            "_sandbox/identity/revoke",
            "application/x-www-form-urlencoded",
            String::new(),
        ),
        ("_sandbox/reset", "text/plain", String::new()),
    ];
    for (path, content_type, body) in forms {
        let response = plain_client()
            .post(control(path))
            .header("content-type", content_type)
            .header("origin", "http://evil.example")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(
                response.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::FORBIDDEN
            ),
            "{path} as {content_type}: {}",
            response.status()
        );
    }
    let no_type = plain_client()
        .post(control("_sandbox/identity/revoke"))
        .send()
        .await
        .unwrap();
    assert!(no_type.status().is_client_error());
    // JSON without this start's control token (a page rebinding its host name to
    // 127.0.0.1 could send that) is refused too.
    let without_token = plain_client()
        .post(control("_sandbox/identity/redirect-uris"))
        .json(&json!({ "uri": evil }))
        .send()
        .await
        .unwrap();
    assert_eq!(without_token.status(), StatusCode::FORBIDDEN);
    // Nothing changed: the forged redirect URI is not registered, and the session's token
    // still works (a customer page needs it).
    let registered = app
        .sandbox_control(
            reqwest::Method::POST,
            "_sandbox/identity/redirect-uris",
            Some(json!({ "uri": "http://localhost:1/probe" })),
        )
        .await;
    assert!(
        !registered["redirect_uris"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == evil),
        "{registered}"
    );
    let customer = first_customer_path(&app).await;
    assert_eq!(app.get(&customer).await.status(), StatusCode::OK);
}

// Finding 10 (smaller ones): the CSP lacked `base-uri 'none'`, there was no HSTS behind TLS,
// and 413/415 answers bypassed the styled error page.

#[tokio::test]
async fn every_page_forbids_base_tags_and_https_deployments_send_hsts() {
    let app = spawn_app().await;
    let response = app.get("/sign-in").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("base-uri 'none'"), "{csp}");
    assert!(
        !response.headers().contains_key("strict-transport-security"),
        "no HSTS on plain http"
    );

    let behind_tls = crate::helpers::spawn_app_with(Default::default(), |settings| {
        settings.server.public_url =
            Some(url::Url::parse("https://spendboard.example.com").unwrap());
    })
    .await;
    let response = behind_tls.get("/sign-in").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn pages_and_exports_are_never_cached_and_static_files_are() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    for path in ["/", "/customers.csv", "/sign-in", "/no-such-page"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{path}: {}",
            response.status()
        );
    }
    let response = app.get("/static/style.css").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
}

#[tokio::test]
async fn a_too_large_or_non_form_post_gets_the_styled_error_page_and_changes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as(READER).await;
    let page = app.get_html("/refresh").await;
    let token = TestApp::csrf_token(&page);
    let huge = "x".repeat(1024 * 1024);
    let too_large = app
        .post_form("/sign-out", &[("csrf_token", &token), ("padding", &huge)])
        .await;
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        too_large.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = too_large.text().await.unwrap();
    assert!(html.contains("larger than Spendboard accepts"), "{html}");
    assert!(html.contains("/static/style.css"), "the styled page");

    let json = app
        .client
        .post(app.url("/sign-out"))
        .json(&json!({ "csrf_token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let html = json.text().await.unwrap();
    assert!(html.contains("takes an HTML form"), "{html}");
    assert_eq!(
        app.get("/refresh").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

// Finding 10: a failing token endpoint gave a 500 even on a dashboard with data to show.

#[tokio::test]
async fn a_dashboard_with_data_shows_it_when_the_token_cannot_be_renewed() {
    let app = spawn_app_renewing_tokens().await;
    app.sign_in_and_load(READER).await;
    // The data becomes stale, so the dashboard wants a token to refresh it...
    let mut page = app
        .store()
        .dashboard_page(&spendboard::store::DashboardQuery {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    for snapshot in &mut page.rows {
        snapshot.fetched_at -= chrono::Duration::hours(2);
    }
    app.store().upsert_snapshots(&page.rows).await.unwrap();
    // ...and the identity provider's token endpoint fails.
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/faults",
        Some(
            json!({ "route": "POST /{tenant}/oauth2/v2.0/token", "kind": "status", "status": 503 }),
        ),
    )
    .await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("60 matching customers"), "the data is shown");
    assert!(
        html.contains("could not renew your Microsoft sign-in"),
        "with a notice"
    );
}

/// How many times the sandbox served its signing keys.
async fn keys_fetched(app: &TestApp) -> usize {
    app.sandbox_control(reqwest::Method::GET, "_sandbox/requests", None)
        .await["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/discovery/v2.0/keys")
        })
        .count()
}

// Finding 10: the signing keys were fetched once at start, so an Entra ID key rollover broke
// sign-in until a restart.

#[tokio::test]
async fn sign_in_survives_a_key_rollover_and_refetches_keys_at_most_once_a_minute() {
    let app = spawn_app().await;
    assert_is_redirect_to(&app.sign_in_as(READER).await, "/");
    let before = keys_fetched(&app).await;
    app.sandbox_control(reqwest::Method::POST, "_sandbox/identity/rotate-keys", None)
        .await;
    // A new sign-in's ID token is signed with the new key: the keys are fetched again.
    assert_is_redirect_to(&app.sign_in_as(EDITOR).await, "/");
    assert!(app.get_html("/refresh").await.contains("Adele Vance"));
    let after_first = keys_fetched(&app).await;
    // A second rollover within the minute: no second fetch, so that sign-in fails plainly
    // (no 500), and nobody is signed in by it.
    app.sandbox_control(reqwest::Method::POST, "_sandbox/identity/rotate-keys", None)
        .await;
    let refused = app.sign_in_as(READER).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(keys_fetched(&app).await, after_first, "rate-limited");
    assert_eq!(
        after_first,
        before + 1,
        "fetched once more for the rollover"
    );
}
