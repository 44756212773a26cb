//! Refreshing: the progress page, history rows, the `refresh` command, demo mode.

use partner_center_sandbox::SandboxOptions;
use reqwest::StatusCode;
use secrecy::SecretString;
use spendboard::config::Settings;
use spendboard::refresh::RefreshOutcome;
use spendboard::startup::Application;
use spendboard::store::DatabaseKind;

use crate::helpers::{
    EDITOR, READER, TestApp, eventually, fresh_database_url, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn the_refresh_button_starts_a_new_refresh_and_keeps_one_history_row_per_day() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let before = app.latest_run().await.id;
    let html = app.dashboard("").await;
    let csrf = TestApp::csrf_token(&html);
    let response = app.post_form("/refresh", &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let progress = app.get_html("/refresh").await;
    assert!(progress.contains("Reading Partner Center") || progress.contains("Data refreshed"));
    // Wait for the run the button started (not the first one) to end.
    eventually(30, "the refresh the button started ends", || async {
        let run = app.latest_run().await;
        (run.id > before && run.state != spendboard::store::RunState::Running).then_some(())
    })
    .await;
    assert!(
        app.get_html("/refresh")
            .await
            .contains("60 customers refreshed")
    );

    let snapshot = app
        .store()
        .dashboard_page(&Default::default())
        .await
        .unwrap();
    let first = &snapshot.rows[0];
    let day = first.forecast_day();
    let history = app
        .store()
        .daily_usage(&first.customer_id, day, day)
        .await
        .unwrap();
    assert_eq!(
        history.len(),
        1,
        "one row per customer and day, however often it refreshes"
    );
    assert_eq!(history[0].total_cost, first.total_cost);
}

#[tokio::test]
async fn the_refresh_command_uses_the_stored_token_of_the_last_signed_in_user() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let outcome = spendboard::cli::refresh_once(app.state.settings.clone())
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Refreshed { customers: 60 });
}

#[tokio::test]
async fn the_refresh_command_says_what_is_missing_when_nobody_signed_in() {
    let app = spawn_app().await;
    let error = spendboard::cli::refresh_once(app.state.settings.clone())
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("must sign in to Spendboard once"),
        "{error:#}"
    );
}

#[tokio::test]
async fn demo_mode_starts_the_sandbox_in_process_and_signs_in_on_it() {
    let mut settings = Settings::default();
    settings.server.port = 0;
    // Demo mode runs on SQLite only: a PostgreSQL URL looks like a deployment (see
    // security::demo_mode_never_starts_on_what_looks_like_a_deployment).
    settings.database.url = SecretString::from(fresh_database_url(DatabaseKind::Sqlite).await);
    let app = Application::build(settings).await.unwrap();
    assert!(app.sandbox().is_some());
    let address = format!("http://localhost:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    let client = crate::helpers::browser();
    let start = client
        .get(format!("{address}/auth/start"))
        .send()
        .await
        .unwrap();
    let authorize = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(authorize.starts_with("http://127.0.0.1:"), "{authorize}");
    let page = client
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Adele Vance") && page.contains("Megan Bowen"));
    assert!(state.settings.is_demo());
}

#[tokio::test]
async fn serve_refreshes_on_its_own_schedule_with_the_stored_token() {
    let app = spawn_app_with(SandboxOptions::default(), |settings| {
        settings.refresh.background_every_seconds = 1;
    })
    .await;
    app.sign_in_and_load(READER).await;
    let before = app.latest_run().await.id;
    let page = app
        .store()
        .dashboard_page(&Default::default())
        .await
        .unwrap();
    let customer = page.rows[0].customer_id;
    let day = page.rows[0].forecast_day();

    // Two days pass in Partner Center while nobody opens a page. (Not one: usage is updated
    // every 4 hours, so in the first hours of a billing period the data of a day later is
    // still of the period's first day, the day already recorded.)
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/clock/advance",
        Some(serde_json::json!({ "days": 2 })),
    )
    .await;
    let later = day + chrono::Days::new(2);
    eventually(10, "the schedule records the new day", || async {
        let history = app
            .store()
            .daily_usage(&customer, day, later)
            .await
            .unwrap();
        (history.len() == 2).then_some(())
    })
    .await;
    let latest = app.latest_run().await;
    assert!(latest.id > before, "a refresh ran without any request");
}

/// The environment that makes the `spendboard` binary use `app`'s database, sandbox and key.
fn binary_environment(app: &TestApp) -> Vec<(String, String)> {
    use secrecy::ExposeSecret as _;
    let settings = &app.state.settings;
    let identity = settings.identity.as_ref().expect("identity settings");
    [
        (
            "DATABASE__URL",
            settings.database.url.expose_secret().to_owned(),
        ),
        ("IDENTITY__AUTHORITY", identity.authority.to_string()),
        (
            "IDENTITY__TENANT_ID",
            identity
                .tenant_id
                .expect("the sandbox's tenant")
                .to_string(),
        ),
        ("IDENTITY__CLIENT_ID", identity.client_id.clone()),
        (
            "IDENTITY__CLIENT_SECRET",
            identity.client_secret.expose_secret().to_owned(),
        ),
        (
            "PARTNER_CENTER__BASE_URL",
            settings.partner_center.base_url.to_string(),
        ),
        (
            "SECURITY__SECRET_KEY",
            settings
                .security
                .secret_key
                .as_ref()
                .expect("a key")
                .expose_secret()
                .to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (format!("SPENDBOARD_{k}"), v))
    .collect()
}

#[tokio::test]
async fn a_refresh_killed_mid_way_is_marked_failed_and_a_new_one_completes_within_a_minute() {
    use spendboard::store::RunState;
    use std::time::Instant;

    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let before = app.latest_run().await.id;
    // Partner Center is slow: the refresh waits for the usage records long enough to be killed.
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/faults",
        Some(serde_json::json!({
            "route": "GET /v1/customers/usagerecords", "kind": "delay", "ms": 120_000
        })),
    )
    .await;

    // Another process (`spendboard refresh`, with the same database) starts a refresh...
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spendboard"))
        .arg("refresh")
        .env_clear()
        .envs(binary_environment(&app))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the spendboard binary starts");
    let killed_run = eventually(30, "the other process starting a refresh", || async {
        let run = app.latest_run().await;
        (run.id > before && run.message.starts_with("Reading the usage")).then_some(run.id)
    })
    .await;
    // ...and is killed (SIGKILL) in the middle of it.
    child.kill().expect("kill -9");
    child.wait().expect("the killed process is reaped");
    let killed_at = Instant::now();
    app.sandbox_control(reqwest::Method::DELETE, "_sandbox/faults", None)
        .await;

    // People keep pressing "Refresh now": with default settings a refresh completes within a
    // minute of the crash.
    let csrf = TestApp::csrf_token(&app.dashboard("").await);
    let completed = eventually(60, "a refresh completed after the crash", || async {
        let run = app.latest_run().await;
        if run.id > killed_run && run.state == RunState::Succeeded {
            return Some(run);
        }
        if run.id == killed_run || run.state != RunState::Running {
            let response = app.post_form("/refresh", &[("csrf_token", &csrf)]).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        None
    })
    .await;
    assert!(completed.message.contains("60 customers refreshed"));
    eprintln!(
        "a refresh completed {:.1} s after the kill",
        killed_at.elapsed().as_secs_f64()
    );

    // The killed run is recorded as failed, with a reason people understand.
    let html = app.get_html("/refresh").await;
    assert!(!html.contains("Refresh in progress"), "{html}");
    let killed = match app.store() {
        spendboard::store::Store::Sqlite(pool) => {
            sqlx::query_as::<_, (String, Option<String>)>(
                "select state, message from refresh_runs where id = $1",
            )
            .bind(killed_run)
            .fetch_one(pool)
            .await
        }
        spendboard::store::Store::Postgres(pool) => {
            sqlx::query_as::<_, (String, Option<String>)>(
                "select state, message from refresh_runs where id = $1",
            )
            .bind(killed_run)
            .fetch_one(pool)
            .await
        }
    }
    .unwrap();
    assert_eq!(killed.0, "failed");
    assert!(
        killed
            .1
            .unwrap_or_default()
            .contains("stopped before it finished"),
        "the killed run says why it failed"
    );
}
