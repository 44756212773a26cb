//! The sandbox clock: days pass and usage accumulates, billing periods roll over, and reset
//! puts everything back.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{dec, spawn_sandbox_with};
use partner_center_sandbox::SandboxOptions;

fn start() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn totals(records: &[Value]) -> Vec<Decimal> {
    records.iter().map(|r| dec(&r["totalCost"])).collect()
}

#[tokio::test]
async fn advancing_the_clock_grows_usage_and_rolls_the_billing_period_over() {
    let app = spawn_sandbox_with(SandboxOptions {
        now: Some(start()),
        ..SandboxOptions::default()
    })
    .await;
    let (status, clock) = app.control(Method::GET, "/_sandbox/clock", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clock["today"], "2026-03-10");
    let id = app.usage_records().await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let summary = app
        .get_exact(&format!("/v1/customers/{id}/usagesummary"))
        .await;
    assert_eq!(summary["billingStartDate"], "2026-03-01T00:00:00+00:00");
    assert_eq!(summary["billingEndDate"], "2026-04-01T00:00:00+00:00");
    let before = totals(&app.usage_records().await);

    let (status, clock) = app
        .control(
            Method::POST,
            "/_sandbox/clock/advance",
            Some(json!({"days": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clock["today"], "2026-03-15");
    let later = totals(&app.usage_records().await);
    assert!(
        before.iter().zip(&later).all(|(b, l)| l > b),
        "every customer's usage grew"
    );

    let (status, _) = app
        .control(
            Method::PUT,
            "/_sandbox/clock",
            Some(json!({"now": "2026-04-01T08:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let summary = app
        .get_exact(&format!("/v1/customers/{id}/usagesummary"))
        .await;
    assert_eq!(summary["billingStartDate"], "2026-04-01T00:00:00+00:00");
    assert_eq!(summary["billingEndDate"], "2026-05-01T00:00:00+00:00");
    let new_period = totals(&app.usage_records().await);
    assert!(
        new_period.iter().zip(&later).all(|(n, l)| n < l),
        "a new period starts from one day of usage"
    );

    let (status, body) = app
        .control(
            Method::PUT,
            "/_sandbox/clock",
            Some(json!({"now": "yesterday"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn reset_restores_budgets_clock_faults_throttling_and_counts() {
    let app = spawn_sandbox_with(SandboxOptions {
        now: Some(start()),
        ..SandboxOptions::default()
    })
    .await;
    let records = app.usage_records().await;
    let id = records[0]["id"].as_str().unwrap();
    let budget_before = app.usage_budget(id).await;
    assert_eq!(
        app.patch_budget(id, r#"{"amount": 42}"#).await.status(),
        StatusCode::OK
    );
    app.control(
        Method::POST,
        "/_sandbox/clock/advance",
        Some(json!({"days": 40})),
    )
    .await;
    app.control(
        Method::POST,
        "/_sandbox/faults",
        Some(json!({"route": "*", "kind": "status", "status": 500})),
    )
    .await;
    app.control(Method::PUT, "/_sandbox/throttle", Some(json!({"limit": 1})))
        .await;

    let (status, clock) = app.control(Method::POST, "/_sandbox/reset", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clock["today"], "2026-03-10");
    assert_eq!(app.usage_budget(id).await, budget_before);
    assert_eq!(totals(&app.usage_records().await), totals(&records));
    let (_, throttle) = app.control(Method::GET, "/_sandbox/throttle", None).await;
    assert!(throttle.is_null());
    let (_, log) = app.control(Method::GET, "/_sandbox/requests", None).await;
    assert_eq!(log["total"], 2, "only the requests since the reset: {log}");
    app.stop().await;
}
