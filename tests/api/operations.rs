//! Operating Spendboard: refresh failures said in words, unreadable answers, database
//! outages, health and metrics.

use partner_center_sandbox::SandboxOptions;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    EDITOR, READER, TestApp, eventually, plain_client, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn the_dashboard_says_when_the_last_refresh_failed_why_and_since_when_the_data_is_stale() {
    let app = spawn_app_with(SandboxOptions::default(), |settings| {
        settings.partner_center.max_retries = 0;
    })
    .await;
    app.sign_in_and_load(READER).await;
    let html = app.dashboard("").await;
    assert!(!html.contains("The last refresh failed"), "{html}");
    assert!(!html.contains("(stale"), "{html}");

    age_the_data(&app, chrono::TimeDelta::hours(3)).await;
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({ "route": "GET /v1/customers/usagerecords", "kind": "status", "status": 503 })),
    )
    .await;
    // This visit starts a refresh, which fails.
    app.dashboard("").await;
    app.wait_for_refresh().await;
    let html = app.dashboard("").await;
    let doc = scraper::Html::parse_document(&html);
    let failure: String = doc
        .select(&scraper::Selector::parse("#refresh-failure").unwrap())
        .next()
        .unwrap_or_else(|| panic!("no refresh failure shown: {html}"))
        .text()
        .collect();
    assert!(
        failure.starts_with("The last refresh failed at "),
        "{failure}"
    );
    assert!(
        failure.contains("reading the customers' usage records"),
        "{failure}"
    );
    assert!(failure.contains("Partner Center"), "{failure}");
    assert!(html.contains("(stale since "), "{html}");
}

/// Makes every snapshot `by` older, as if the last refresh was that long ago. Raises the
/// snapshot version in the same transaction, as every writer of the table must, so that
/// the dashboard's in-memory view sees the change.
pub async fn age_the_data(app: &TestApp, by: chrono::TimeDelta) {
    let at = chrono::Utc::now() - by;
    const AGE: &str = "update customer_snapshots set fetched_at = $1";
    const BUMP: &str = "update snapshot_version set version = version + 1 where id = 1";
    match app.store() {
        spendboard::store::Store::Sqlite(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(AGE).bind(at).execute(&mut *tx).await.unwrap();
            sqlx::query(BUMP).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
        spendboard::store::Store::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(AGE).bind(at).execute(&mut *tx).await.unwrap();
            sqlx::query(BUMP).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_truncated_page_of_usage_records_is_read_again_and_the_refresh_succeeds() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({ "route": "GET /v1/customers/usagerecords", "kind": "truncated", "times": 1 })),
    )
    .await;
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({ "route": "GET /v1/customers/usagerecords", "kind": "malformed", "times": 1 })),
    )
    .await;
    let outcome = spendboard::cli::refresh_once(app.state.settings.clone())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        spendboard::refresh::RefreshOutcome::Refreshed { customers: 60 }
    );
    let run = app.latest_run().await;
    assert_eq!(run.set_aside, 0);
    assert!(!app.dashboard("").await.contains("The last refresh failed"));
}

#[tokio::test]
async fn a_failed_first_fetch_of_a_customers_details_is_shown_as_an_error() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let page = app
        .store()
        .dashboard_page(&Default::default())
        .await
        .unwrap();
    let customer = page.rows[0].customer_id;
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({ "route": "GET /v1/customers/{id}/usagesummary", "kind": "status", "status": 403 })),
    )
    .await;
    let html = app.customer_page(&customer).await;
    assert!(html.contains("usage details from Partner Center"), "{html}");
    assert!(!html.contains("No usage records yet."), "{html}");
}

#[tokio::test]
async fn during_a_database_outage_pages_fail_fast_with_a_styled_503_and_it_is_logged_once() {
    use std::time::{Duration, Instant};

    use reqwest::StatusCode;
    use spendboard::store::DatabaseKind;

    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let customer = app
        .store()
        .dashboard_page(&Default::default())
        .await
        .unwrap()
        .rows[0]
        .customer_id;
    let kind = crate::helpers::database_kind();
    let url = crate::databases::url_of(&app).await;
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    let outage = tokio::spawn(async move {
        crate::databases::hold_outage(kind, &url, Duration::from_secs(6), ready_tx).await;
    });
    ready.await.unwrap();

    for path in [
        "/".to_owned(),
        "/refresh".to_owned(),
        format!("/customers/{customer}"),
        "/health/ready".to_owned(),
    ] {
        let started = Instant::now();
        let response = app.get(&path).await;
        let status = response.status();
        let elapsed = started.elapsed();
        let body = response.text().await.unwrap();
        match kind {
            DatabaseKind::Postgres => {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
                assert!(elapsed < Duration::from_secs(5), "{path}: {elapsed:?}");
            }
            // SQLite in WAL mode still reads under another connection's exclusive lock.
            DatabaseKind::Sqlite => assert!(
                status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
                "{path}: {status}"
            ),
        }
        if status == StatusCode::SERVICE_UNAVAILABLE && path != "/health/ready" {
            assert!(body.contains("<html"), "{path}: a styled page: {body}");
            assert!(body.contains("The database is unreachable"), "{body}");
        }
    }
    // The stylesheet of that page is served without the session, so without the database.
    let css = app.get("/static/style.css").await;
    assert_eq!(
        css.status(),
        StatusCode::OK,
        "the outage page keeps its style"
    );
    // Liveness does not depend on the database (probes send no session cookie).
    let probe = reqwest::Client::new();
    let live = probe.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    if kind == DatabaseKind::Postgres {
        assert_eq!(app.state.outage.count(), 1, "one outage, logged once");
        assert!(app.state.outage.is_ongoing());
    }

    outage.await.unwrap();
    eventually(10, "the dashboard back after the outage", || async {
        (app.get("/").await.status() == StatusCode::OK).then_some(())
    })
    .await;
    let ready: serde_json::Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "ok");
    assert_eq!(ready["customers"], 60);
    assert!(ready["data_age_seconds"].as_i64().is_some(), "{ready}");
    eventually(5, "the end of the outage noticed", || async {
        (!app.state.outage.is_ongoing()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_partner_center_calls_refreshes_budget_edits_and_sessions()
{
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let path = crate::sign_in::first_customer_path(&app).await;
    app.sandbox_control(Method::DELETE, "_sandbox/requests", None)
        .await;
    let html = app.get_html(&path).await;
    let (csrf, based_on) = crate::budget::form_fields(&html);
    let response = app
        .change_budget(&path, &csrf, &based_on, "250", None)
        .await;
    assert!(response.status().is_redirection(), "{}", response.status());

    // The customer page's first fetch: both calls carry the page request's id as
    // MS-CorrelationId.
    let requests = app
        .sandbox_control(Method::GET, "_sandbox/requests", None)
        .await;
    let correlation = |route: &str| -> Vec<String> {
        requests["recent"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["route"] == route)
            .map(|r| r["correlationId"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let summary = correlation("GET /v1/customers/{id}/usagesummary");
    let subscriptions = correlation("GET /v1/customers/{id}/subscriptions/usagerecords");
    assert_eq!(summary.len(), 1, "{requests}");
    assert_eq!(
        summary, subscriptions,
        "one correlation id for one page request"
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for expected in [
        r#"spendboard_http_requests_total{method="GET",route="/customers/{customer_id}",status="200"} 1"#,
        r#"spendboard_http_requests_total{method="POST",route="/customers/{customer_id}/budget",status="303"} 1"#,
        r#"spendboard_partner_center_calls_total{outcome="ok",route="GET /v1/customers/usagerecords"} 1"#,
        r#"spendboard_refresh_runs_total{outcome="succeeded"} 1"#,
        r#"spendboard_budget_edits_total{outcome="applied"} 1"#,
        "spendboard_sessions 1",
        "spendboard_database_up 1",
        "spendboard_http_request_duration_seconds_bucket",
        "spendboard_partner_center_call_duration_seconds_bucket",
        "spendboard_refresh_duration_seconds_bucket",
    ] {
        assert!(metrics.contains(expected), "{expected} in:\n{metrics}");
    }
    assert!(
        !metrics.contains(path.trim_start_matches("/customers/")),
        "route patterns, never raw paths"
    );
}

#[tokio::test]
async fn a_request_for_another_address_is_redirected_to_the_public_url_before_sign_in() {
    use reqwest::StatusCode;
    let app = spawn_app().await;
    let port = app.address.rsplit(':').next().unwrap();
    let other = format!("http://127.0.0.1:{port}");
    for path in ["/", "/auth/start", "/customers?q=north&sort=name"] {
        let response = plain_client()
            .get(format!("{other}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT, "{path}");
        assert_eq!(
            response.headers()["location"].to_str().unwrap(),
            format!("{}{path}", app.address)
        );
    }
    // Probes use the instance's own address.
    for path in ["/health/live", "/health/ready", "/metrics"] {
        let response = plain_client()
            .get(format!("{other}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    // Forwarded headers from a client that is no configured proxy change nothing.
    let response = plain_client()
        .get(app.url("/"))
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    crate::helpers::assert_is_redirect_to(&response, "/sign-in");
}

#[tokio::test]
async fn forwarded_host_and_proto_are_believed_only_from_trusted_proxies() {
    use reqwest::StatusCode;
    let public = "https://spendboard.example.com";
    for trusted in [true, false] {
        let app = spawn_app_with(SandboxOptions::default(), |settings| {
            settings.server.public_url = Some(url::Url::parse(public).unwrap());
            if trusted {
                settings.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            }
        })
        .await;
        let get = |host: &'static str, proto: &'static str| {
            plain_client()
                .get(app.url("/refresh"))
                .header("x-forwarded-host", host)
                .header("x-forwarded-proto", proto)
                .send()
        };
        let through_proxy = get("spendboard.example.com", "https").await.unwrap();
        if trusted {
            assert_eq!(
                through_proxy.headers()["location"].to_str().unwrap(),
                "/sign-in?return_to=%2Frefresh",
                "served: the proxy says it is the canonical address"
            );
        } else {
            assert_eq!(through_proxy.status(), StatusCode::PERMANENT_REDIRECT);
            assert_eq!(
                through_proxy.headers()["location"].to_str().unwrap(),
                format!("{public}/refresh")
            );
        }
        let plain_http = get("spendboard.example.com", "http").await.unwrap();
        assert_eq!(plain_http.status(), StatusCode::PERMANENT_REDIRECT);
        let other_host = get("elsewhere.example.com", "https").await.unwrap();
        assert_eq!(other_host.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            other_host.headers()["location"].to_str().unwrap(),
            format!("{public}/refresh")
        );
    }
}

#[tokio::test]
async fn the_check_command_says_what_works_and_what_does_not() {
    let app = spawn_app().await;
    let report = spendboard::check::run(&app.state.settings).await;
    assert_eq!(report.len(), 4, "{report:#?}");
    assert!(report.iter().all(|c| c.ok), "{report:#?}");
    assert!(report[3].detail.contains("HTTP 401"), "{report:#?}");

    let mut broken = app.state.settings.clone();
    broken.database.url = secrecy::SecretString::from("postgres://postgres@127.0.0.1:1/none");
    let identity = broken.identity.as_mut().unwrap();
    identity.authority.set_port(Some(1)).unwrap();
    broken.partner_center.base_url = url::Url::parse("http://127.0.0.1:1").unwrap();
    let report = spendboard::check::run(&broken).await;
    let failed: Vec<&str> = report
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.what.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "database (database.url)",
            "identity provider (identity.authority)",
            "Partner Center (partner_center.base_url)"
        ],
        "{report:#?}"
    );
    assert!(report[0].ok, "the configuration itself is valid");
}
