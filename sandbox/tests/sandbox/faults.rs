//! Injected faults per route key, and the request log that records them.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, spawn_sandbox};

const RECORDS: &str = "GET /v1/customers/usagerecords";

async fn inject(app: &TestSandbox, fault: Value) {
    let (status, body) = app
        .control(Method::POST, "/_sandbox/faults", Some(fault))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn status_faults_hit_the_given_number_of_requests_with_api_fault_or_gateway_bodies() {
    let app = spawn_sandbox().await;
    inject(
        &app,
        json!({"route": RECORDS, "kind": "status", "status": 503, "times": 2}),
    )
    .await;
    let first = app.get("/v1/customers/usagerecords").await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = first.json().await.unwrap();
    assert_eq!(
        body["statusCode"], 503,
        "the first 503 has the gateway body"
    );
    let second = app.get("/v1/customers/usagerecords").await;
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = second.json().await.unwrap();
    assert!(
        body["code"].is_number() && body["source"] == "PartnerFD",
        "then the ApiFault body"
    );
    assert_eq!(
        app.get("/v1/customers/usagerecords").await.status(),
        StatusCode::OK,
        "two times only"
    );

    let records = app.usage_records().await;
    let id = records[0]["id"].as_str().unwrap();
    inject(
        &app,
        json!({"route": "PATCH /v1/customers/{id}/usagebudget", "kind": "status", "status": 409}),
    )
    .await;
    assert_eq!(
        app.patch_budget(id, r#"{"amount": 5}"#).await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.get(&format!("/v1/customers/{id}/usagebudget"))
            .await
            .status(),
        StatusCode::OK,
        "GET unaffected"
    );
    let (status, listed) = app.control(Method::GET, "/_sandbox/faults", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1);
    let (status, _) = app.control(Method::DELETE, "/_sandbox/faults", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.patch_budget(id, r#"{"amount": 5}"#).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn delay_malformed_truncated_drop_and_not_ready_faults_behave_as_named() {
    let app = spawn_sandbox().await;
    let real = app
        .get("/v1/customers/usagerecords")
        .await
        .text()
        .await
        .unwrap();

    inject(
        &app,
        json!({"route": RECORDS, "kind": "delay", "ms": 400, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let delayed = app.get("/v1/customers/usagerecords").await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(delayed.status(), StatusCode::OK);
    assert!(
        serde_json::from_str::<Value>(&delayed.text().await.unwrap()).is_ok(),
        "then the real answer"
    );

    inject(
        &app,
        json!({"route": RECORDS, "kind": "malformed", "times": 1}),
    )
    .await;
    let malformed = app.get("/v1/customers/usagerecords").await;
    assert_eq!(malformed.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&malformed.text().await.unwrap()).is_err());

    inject(
        &app,
        json!({"route": RECORDS, "kind": "truncated", "times": 1}),
    )
    .await;
    let truncated = app.get("/v1/customers/usagerecords").await;
    assert_eq!(truncated.status(), StatusCode::OK);
    let text = truncated.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert!(
        !text.is_empty() && real.starts_with(&text),
        "a prefix of the real body"
    );

    inject(&app, json!({"route": RECORDS, "kind": "drop", "times": 1})).await;
    let dropped = app
        .request(
            Method::GET,
            "/v1/customers/usagerecords",
            Some(&app.delegated),
        )
        .send()
        .await;
    match dropped {
        Err(err) => assert!(!err.is_status(), "a transport error: {err}"),
        Ok(response) => assert!(
            response.text().await.is_err(),
            "the body fails when the connection drops"
        ),
    }

    inject(
        &app,
        json!({"route": RECORDS, "kind": "notReady", "retryAfterSeconds": 7, "times": 1}),
    )
    .await;
    let not_ready = app.get("/v1/customers/usagerecords").await;
    assert_eq!(not_ready.status(), StatusCode::NO_CONTENT);
    assert_eq!(not_ready.headers()["retry-after"], "7");
    assert_eq!(
        app.get("/v1/customers/usagerecords").await.status(),
        StatusCode::OK,
        "all faults used up"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_request_log_counts_routes_and_shows_a_retry_reusing_its_request_id() {
    let app = spawn_sandbox().await;
    let (status, _) = app
        .control(Method::DELETE, "/_sandbox/requests", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    inject(
        &app,
        json!({"route": RECORDS, "kind": "status", "status": 500, "times": 1}),
    )
    .await;
    let request_id = "3b241101-e2bb-4255-8caf-4136c566a962";
    for _ in 0..2 {
        app.request(
            Method::GET,
            "/v1/Customers/UsageRecords",
            Some(&app.delegated),
        )
        .header("MS-RequestId", request_id)
        .header("MS-CorrelationId", "6ba7b810-9dad-41d1-80b4-00c04fd430c8")
        .send()
        .await
        .unwrap();
    }
    let (status, log) = app.control(Method::GET, "/_sandbox/requests", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        log["counts"][RECORDS], 2,
        "mixed-case paths count under the route key: {log}"
    );
    let recent = log["recent"].as_array().unwrap();
    let retries: Vec<&Value> = recent
        .iter()
        .filter(|r| r["requestId"] == request_id)
        .collect();
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0]["status"], 500);
    assert_eq!(retries[0]["fault"], "status");
    assert_eq!(retries[1]["status"], 200);
    assert_eq!(
        retries[1]["correlationId"],
        "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
    );
    assert_eq!(retries[1]["path"], "/v1/Customers/UsageRecords");

    let (status, body) = app
        .control(
            Method::POST,
            "/_sandbox/faults",
            Some(json!({"route": RECORDS, "kind": "explode"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("explode"),
        "{body}"
    );
    app.stop().await;
}
