//! `GET .../subscriptions/{sid}/utilizations/azure`: daily and hourly records of legacy
//! subscriptions, seek paging with `seek_operation=Next`, and the 204 + Retry-After answer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, dec, exact_json, spawn_sandbox_with};
use partner_center_sandbox::SandboxOptions;

fn start() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

/// A legacy customer's id and first subscription id.
async fn legacy_subscription(app: &TestSandbox) -> (String, String) {
    let records = app.usage_records().await;
    let customer = records
        .iter()
        .find(|r| r["isUpgraded"] == Value::Bool(false))
        .unwrap();
    let id = customer["id"].as_str().unwrap().to_string();
    let subs = app
        .get_exact(&format!("/v1/customers/{id}/subscriptions/usagerecords"))
        .await;
    (id, subs["items"][0]["id"].as_str().unwrap().to_string())
}

/// Follows `links.next` (URI without leading slash, token in its headers) to the end.
async fn all_pages(app: &TestSandbox, first: &str) -> (Vec<Value>, usize) {
    let mut page = app.get_exact(first).await;
    let mut items = Vec::new();
    let mut pages = 1;
    loop {
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        assert!(
            page.get("continuationToken").is_none(),
            "the token is only in links.next.headers"
        );
        let Some(next) = page["links"].get("next") else {
            break;
        };
        let uri = next["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("customers/") && uri.ends_with("?seek_operation=Next"),
            "{uri}"
        );
        let token = next["headers"][0]["value"].as_str().unwrap();
        let response = app
            .request(Method::GET, &format!("/v1/{uri}"), Some(&app.app_only))
            .header("MS-ContinuationToken", token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        page = exact_json(&response.text().await.unwrap());
        pages += 1;
    }
    (items, pages)
}

#[tokio::test]
async fn daily_utilization_pages_to_the_end_and_agrees_with_meter_quantities() {
    let app = spawn_sandbox_with(SandboxOptions {
        now: Some(start()),
        ..SandboxOptions::default()
    })
    .await;
    let (id, sid) = legacy_subscription(&app).await;
    let base = format!("/v1/customers/{id}/subscriptions/{sid}");
    let first = format!(
        "{base}/utilizations/azure?start_time=2026-03-01T00:00:00Z&end_time=2026-04-01T00:00:00Z&granularity=Daily&show_details=True&size=7"
    );
    let (items, pages) = all_pages(&app, &first).await;
    let resources = app.get_exact(&format!("{base}/resourceusagerecords")).await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        items.len(),
        10 * resources,
        "ten days (to the sandbox's today) per resource"
    );
    assert_eq!(pages, items.len().div_ceil(7));
    assert_eq!(items[0]["usageStartTime"], "2026-03-01T00:00:00+00:00");
    assert_eq!(
        items[0]["attributes"]["objectType"],
        "AzureUtilizationRecord"
    );
    assert!(
        items[0]["instanceData"]["resourceUri"]
            .as_str()
            .unwrap()
            .starts_with("/subscriptions/")
    );

    let mut by_meter: HashMap<String, Decimal> = HashMap::new();
    for item in &items {
        *by_meter
            .entry(item["resource"]["id"].as_str().unwrap().to_string())
            .or_default() += dec(&item["quantity"]);
    }
    let meters = app.get_exact(&format!("{base}/meterusagerecords")).await;
    for meter in meters["items"].as_array().unwrap() {
        assert_eq!(
            by_meter[meter["meterId"].as_str().unwrap()],
            dec(&meter["quantityUsed"]),
            "{meter}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn hourly_utilization_splits_each_day_exactly_and_bad_queries_get_400() {
    let app = spawn_sandbox_with(SandboxOptions {
        now: Some(start()),
        ..SandboxOptions::default()
    })
    .await;
    let (id, sid) = legacy_subscription(&app).await;
    let base = format!("/v1/customers/{id}/subscriptions/{sid}/utilizations/azure");
    let daily = app
        .get_exact(&format!(
            "{base}?start_time=2026-03-02T00:00:00Z&end_time=2026-03-03T00:00:00Z&granularity=daily"
        ))
        .await;
    let hourly = app
        .get_exact(&format!("{base}?start_time=2026-03-02T00:00:00Z&end_time=2026-03-03T00:00:00Z&granularity=HOURLY&show_details=false"))
        .await;
    let daily_items = daily["items"].as_array().unwrap();
    let hourly_items = hourly["items"].as_array().unwrap();
    assert_eq!(hourly_items.len(), 24 * daily_items.len());
    assert!(
        hourly_items[0].get("instanceData").is_none(),
        "show_details=false"
    );
    let sum = |items: &[Value]| items.iter().map(|i| dec(&i["quantity"])).sum::<Decimal>();
    assert_eq!(sum(hourly_items), sum(daily_items));

    for query in [
        "",
        "?start_time=2026-03-02T00:00:00Z",
        "?start_time=x&end_time=y",
        "?start_time=2026-03-02T00:00:00Z&end_time=2026-03-03T00:00:00Z&granularity=weekly",
    ] {
        assert_eq!(
            app.get(&format!("{base}{query}")).await.status(),
            StatusCode::BAD_REQUEST,
            "{query}"
        );
    }
    let records = app.usage_records().await;
    let plan = records
        .iter()
        .find(|r| r["isUpgraded"] == Value::Bool(true))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let plan_sub = app
        .get_exact(&format!("/v1/customers/{plan}/subscriptions/usagerecords"))
        .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = app
        .get(&format!("/v1/customers/{plan}/subscriptions/{plan_sub}/utilizations/azure?start_time=2026-03-02T00:00:00Z&end_time=2026-03-03T00:00:00Z"))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "Azure plan subscriptions have no utilization records"
    );
    app.stop().await;
}

#[tokio::test]
async fn utilization_can_answer_204_with_retry_after_until_the_data_is_ready() {
    let app = spawn_sandbox_with(SandboxOptions {
        now: Some(start()),
        ..SandboxOptions::default()
    })
    .await;
    let (id, sid) = legacy_subscription(&app).await;
    let (status, _) = app
        .control(
            Method::POST,
            "/_sandbox/faults",
            Some(json!({"route": "GET /v1/customers/{id}/subscriptions/{sid}/utilizations/azure", "kind": "notReady", "retryAfterSeconds": 3, "times": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let url = format!(
        "/v1/customers/{id}/subscriptions/{sid}/utilizations/azure?start_time=2026-03-01T00:00:00Z&end_time=2026-03-02T00:00:00Z"
    );
    let response = app.get(&url).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(app.get(&url).await.status(), StatusCode::OK);
    app.stop().await;
}
