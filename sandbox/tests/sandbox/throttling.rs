//! Throttling: N requests per window per partner or per partner+customer, 429 with
//! `Retry-After` and the gateway body; set from options and from `PUT /_sandbox/throttle`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{spawn_sandbox, spawn_sandbox_with};
use partner_center_sandbox::{SandboxOptions, Throttle, ThrottleScope};

#[tokio::test]
async fn requests_beyond_the_partner_limit_get_429_with_retry_after_and_the_gateway_body() {
    let app = spawn_sandbox_with(SandboxOptions {
        throttle: Some(Throttle::per_minute(3, ThrottleScope::Partner)),
        ..SandboxOptions::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/customers?size=1").await.status(),
            StatusCode::OK
        );
    }
    let response = app.get("/v1/customers/usagerecords").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["statusCode"], 429);
    assert_eq!(
        body["message"],
        format!("Rate limit is exceeded. Try again in {wait} seconds.")
    );
    // The control API and the identity provider are not throttled.
    let (status, _) = app.control(Method::GET, "/_sandbox/clock", None).await;
    assert_eq!(status, StatusCode::OK);
    app.app_only_token().await;
    app.stop().await;
}

#[tokio::test]
async fn a_customer_scoped_throttle_counts_each_customer_separately_and_null_turns_it_off() {
    let app = spawn_sandbox().await;
    let (status, body) = app
        .control(
            Method::PUT,
            "/_sandbox/throttle",
            Some(json!({"limit": 2, "scope": "customer", "windowSeconds": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], "customer");
    let records = app.usage_records().await;
    let (a, b) = (
        records[0]["id"].as_str().unwrap(),
        records[1]["id"].as_str().unwrap(),
    );
    let budget = |id: &str| format!("/v1/customers/{id}/usagebudget");
    assert_eq!(app.get(&budget(a)).await.status(), StatusCode::OK);
    assert_eq!(app.get(&budget(a)).await.status(), StatusCode::OK);
    assert_eq!(
        app.get(&budget(a)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.get(&budget(b)).await.status(),
        StatusCode::OK,
        "another customer has its own count"
    );

    let (status, _) = app
        .control(Method::PUT, "/_sandbox/throttle", Some(Value::Null))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&budget(a)).await.status(), StatusCode::OK);

    let (status, body) = app
        .control(Method::PUT, "/_sandbox/throttle", Some(json!({"limit": 0})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("limit"));
    let (status, body) = app
        .control(
            Method::PUT,
            "/_sandbox/throttle",
            Some(json!({"limit": 2, "scope": "galaxy"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string());
    app.stop().await;
}
