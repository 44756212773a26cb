//! The Partner Center client against the real sandbox over HTTP on 127.0.0.1: paging, exact
//! decimals, retries with a reused `MS-RequestId`, throttling, refusals, broken bodies,
//! dropped connections, utilization paging and 204s, and budget changes.

use std::collections::HashSet;
use std::net::TcpListener;
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::helpers::{EDITOR, sandbox_control, sandbox_delegated_token};
use chrono::{DateTime, Utc};
use partner_center_sandbox::{RunningSandbox, SandboxOptions};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use spendboard::domain::{CustomerId, SubscriptionId};
use spendboard::partner_center::{
    AccessToken, ClientSettings, Granularity, PartnerCenterClient, PartnerCenterError, WriteFate,
};

const RECORDS: &str = "GET /v1/customers/usagerecords";
const UTILIZATIONS: &str = "GET /v1/customers/{id}/subscriptions/{sid}/utilizations/azure";
const BUDGET_PATCH: &str = "PATCH /v1/customers/{id}/usagebudget";

/// A sandbox, a plain HTTP client for its control API, and a delegated token of Adele.
struct TestPartnerCenter {
    sandbox: RunningSandbox,
    http: reqwest::Client,
    token: AccessToken,
    /// The same token as text, for requests that bypass the client.
    token_text: String,
}

async fn spawn() -> TestPartnerCenter {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let sandbox = partner_center_sandbox::start(listener, SandboxOptions::default())
        .await
        .expect("start the sandbox");
    let http = crate::helpers::plain_client();
    let token_text = sandbox_delegated_token(&sandbox, EDITOR).await;
    TestPartnerCenter {
        sandbox,
        http,
        token: AccessToken::new(token_text.clone()),
        token_text,
    }
}

impl TestPartnerCenter {
    /// A client with fast retries; `adjust` changes other settings.
    fn client_with(&self, adjust: impl FnOnce(&mut ClientSettings)) -> PartnerCenterClient {
        let mut settings = ClientSettings::new(self.sandbox.base_url.clone());
        settings.retry_base_delay = Duration::from_millis(20);
        settings.max_retry_after = Duration::from_secs(3);
        settings.timeout = Duration::from_secs(10);
        adjust(&mut settings);
        PartnerCenterClient::new(settings).expect("client")
    }

    fn client(&self) -> PartnerCenterClient {
        self.client_with(|_| {})
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        sandbox_control(&self.sandbox, method, &format!("_sandbox/{path}"), body).await
    }

    /// Throttles Partner Center to `limit` calls per `window_seconds`.
    async fn throttle(&self, limit: u32, window_seconds: u32) {
        self.control(
            reqwest::Method::PUT,
            "throttle",
            Some(json!({"limit": limit, "windowSeconds": window_seconds})),
        )
        .await;
    }

    async fn inject(&self, fault: Value) {
        self.control(reqwest::Method::POST, "faults", Some(fault))
            .await;
    }

    /// The logged requests of one route key, oldest first.
    async fn logged(&self, route: &str) -> Vec<Value> {
        let log = self.control(reqwest::Method::GET, "requests", None).await;
        log["recent"]
            .as_array()
            .expect("recent requests")
            .iter()
            .filter(|r| {
                r["route"]
                    .as_str()
                    .is_some_and(|k| k.eq_ignore_ascii_case(route))
            })
            .cloned()
            .collect()
    }

    async fn clear_log(&self) {
        self.control(reqwest::Method::DELETE, "requests", None)
            .await;
    }

    /// The raw body of a Partner Center GET with Adele's token, bypassing the client.
    async fn raw_get(&self, path: &str) -> String {
        let response = self
            .http
            .get(format!("{}{path}", self.sandbox.base_url))
            .bearer_auth(&self.token_text)
            .send()
            .await
            .expect("raw GET");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.expect("raw body")
    }

    /// A legacy (MS-AZR-0145P) customer and its legacy subscription.
    async fn legacy_subscription(&self) -> (CustomerId, SubscriptionId) {
        let client = self.client();
        let records = client.customer_usage_records(&self.token).await.unwrap();
        for record in records.iter().filter(|r| !r.is_upgraded) {
            let customer = record.customer_id().unwrap();
            let subscriptions = client.subscriptions(&self.token, &customer).await.unwrap();
            if let Some(legacy) = subscriptions
                .iter()
                .find(|s| s.offer_id.as_deref() == Some("MS-AZR-0145P"))
            {
                return (customer, SubscriptionId::parse(&legacy.id).unwrap());
            }
        }
        panic!("the sandbox has no legacy subscription");
    }

    async fn stop(self) {
        self.sandbox.stop().await;
    }
}

fn request_ids(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["requestId"].as_str().expect("requestId"))
        .collect()
}

fn statuses(entries: &[Value]) -> Vec<Option<u64>> {
    entries.iter().map(|e| e["status"].as_u64()).collect()
}

#[tokio::test]
async fn customers_are_paged_to_the_end_and_each_appears_exactly_once() {
    let pc = spawn().await;
    let client = pc.client_with(|s| s.customer_page_size = 7);
    let customers = client.customers(&pc.token).await.unwrap();

    let everything: Value = serde_json::from_str(&pc.raw_get("v1/customers?size=0").await).unwrap();
    let expected: HashSet<String> = everything["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_lowercase())
        .collect();
    let ids: Vec<String> = customers.iter().map(|c| c.id.to_lowercase()).collect();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "no customer twice");
    assert_eq!(unique, expected, "every customer once");
    assert!(customers.iter().all(|c| c.company_name().is_some()));

    let pages = pc.logged("GET /v1/customers").await;
    assert_eq!(
        pages.len(),
        expected.len().div_ceil(7) + 1,
        "one request per page (+ the raw one)"
    );
    assert!(
        pages
            .iter()
            .skip(1)
            .any(|p| p["query"].as_str().unwrap().contains("seekOperation=Next")),
        "later pages follow the next link"
    );
    pc.stop().await;
}

#[derive(Deserialize)]
struct RawRecords {
    items: Vec<RawRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRecord {
    resource_id: String,
    total_cost: Box<RawValue>,
}

#[tokio::test]
async fn usage_records_keep_every_digit_the_sandbox_sent() {
    let pc = spawn().await;
    let records = pc.client().customer_usage_records(&pc.token).await.unwrap();
    let raw: RawRecords =
        serde_json::from_str(&pc.raw_get("v1/customers/usagerecords").await).unwrap();
    assert_eq!(records.len(), raw.items.len());
    assert!(!records.is_empty());
    for (record, raw) in records.iter().zip(&raw.items) {
        assert_eq!(record.resource_id, raw.resource_id);
        let text = raw.total_cost.get().trim_matches('"');
        assert_eq!(
            record.total_cost,
            Decimal::from_str(text).unwrap(),
            "{text}"
        );
        assert!(record.currency().is_ok(), "{:?}", record.resource_name);
    }
    let digits = |d: &Decimal| d.normalize().scale();
    assert!(
        records.iter().any(|r| digits(&r.total_cost) > 2),
        "the sandbox sends more than cents somewhere"
    );
    pc.stop().await;
}

#[tokio::test]
async fn a_503_is_retried_with_the_same_ms_request_id_and_then_succeeds() {
    let pc = spawn().await;
    pc.clear_log().await;
    pc.inject(json!({"route": RECORDS, "kind": "status", "status": 503, "times": 2}))
        .await;
    let records = pc.client().customer_usage_records(&pc.token).await.unwrap();
    assert!(!records.is_empty());
    let log = pc.logged(RECORDS).await;
    assert_eq!(statuses(&log), vec![Some(503), Some(503), Some(200)]);
    let ids = request_ids(&log);
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one MS-RequestId: {ids:?}"
    );
    assert!(log.iter().all(|e| e["requestIdSent"] == true));
    assert!(
        log.iter()
            .all(|e| e["correlationId"] == log[0]["correlationId"])
    );
    pc.stop().await;
}

#[tokio::test]
async fn a_5xx_that_persists_is_a_service_error_after_the_allowed_retries() {
    let pc = spawn().await;
    pc.clear_log().await;
    pc.inject(json!({"route": RECORDS, "kind": "status", "status": 500, "body": "apiFault"}))
        .await;
    let error = pc
        .client_with(|s| s.max_retries = 2)
        .customer_usage_records(&pc.token)
        .await
        .unwrap_err();
    let PartnerCenterError::Service {
        status,
        ref fault,
        request_id,
    } = error
    else {
        panic!("expected a service error, got {error:?}");
    };
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(fault.code().is_some(), "{fault:?}");
    let log = pc.logged(RECORDS).await;
    assert_eq!(log.len(), 3, "first attempt + 2 retries");
    assert!(
        request_ids(&log)
            .iter()
            .all(|id| *id == request_id.to_string())
    );
    assert!(error.user_message().contains("try again"));
    pc.stop().await;
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after_and_retried() {
    let pc = spawn().await;
    pc.throttle(1, 1).await;
    let client = pc.client();
    client.customer_usage_records(&pc.token).await.unwrap();
    pc.clear_log().await;
    let started = Instant::now();
    let records = client.customer_usage_records(&pc.token).await.unwrap();
    assert!(!records.is_empty());
    let log = pc.logged(RECORDS).await;
    assert_eq!(statuses(&log).first(), Some(&Some(429)), "throttled first");
    assert_eq!(statuses(&log).last(), Some(&Some(200)), "then served");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After: {:?}",
        started.elapsed()
    );
    let ids = request_ids(&log);
    assert!(ids.iter().all(|id| *id == ids[0]));
    pc.stop().await;
}

#[tokio::test]
async fn a_429_without_retries_left_is_throttled_with_its_retry_after() {
    let pc = spawn().await;
    pc.throttle(1, 30).await;
    let client = pc.client_with(|s| s.max_retries = 0);
    client.customer_usage_records(&pc.token).await.unwrap();
    let error = client.customer_usage_records(&pc.token).await.unwrap_err();
    let PartnerCenterError::Throttled {
        retry_after,
        ref fault,
        ..
    } = error
    else {
        panic!("expected throttling, got {error:?}");
    };
    let wait = retry_after.expect("Retry-After");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    assert!(fault.description().contains("Rate limit"), "{fault:?}");
    assert!(error.user_message().contains("too many requests"));
    pc.stop().await;
}

async fn first_customer(pc: &TestPartnerCenter) -> CustomerId {
    let records = pc.client().customer_usage_records(&pc.token).await.unwrap();
    records[0].customer_id().unwrap()
}

#[tokio::test]
async fn refusals_403_401_and_404_surface_at_once_without_retries() {
    let pc = spawn().await;
    let client = pc.client();
    let customer = first_customer(&pc).await;
    pc.clear_log().await;

    let app_only: Value = pc
        .http
        .post(format!(
            "{}{}/oauth2/v2.0/token",
            pc.sandbox.base_url, pc.sandbox.tenant_id
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", pc.sandbox.client_id.as_str()),
            ("client_secret", pc.sandbox.client_secret.as_str()),
            ("scope", "https://api.partnercenter.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_only = AccessToken::new(app_only["access_token"].as_str().unwrap());
    let forbidden = client.customer_usage_records(&app_only).await.unwrap_err();
    assert!(forbidden.is_forbidden(), "{forbidden:?}");
    assert!(!forbidden.fault().unwrap().description().is_empty());
    assert!(forbidden.user_message().contains("Partner Center said"));
    assert_eq!(pc.logged(RECORDS).await.len(), 1, "403 not retried");

    let unauthorized = client
        .customer_usage_summary(&AccessToken::new("not-a-token"), &customer)
        .await
        .unwrap_err();
    assert!(unauthorized.is_unauthorized(), "{unauthorized:?}");
    assert!(unauthorized.user_message().contains("sign in again"));
    assert_eq!(
        pc.logged("GET /v1/customers/{id}/usagesummary").await.len(),
        1,
        "401 not retried"
    );

    let unknown = CustomerId::parse("00000000-0000-4000-8000-000000000001").unwrap();
    let not_found = client.usage_budget(&pc.token, &unknown).await.unwrap_err();
    assert!(not_found.is_not_found(), "{not_found:?}");
    assert_eq!(
        pc.logged("GET /v1/customers/{id}/usagebudget").await.len(),
        1,
        "404 not retried"
    );
    assert_ne!(not_found.request_id(), unauthorized.request_id());
    pc.stop().await;
}

#[tokio::test]
async fn malformed_and_truncated_json_are_asked_again_then_decode_errors_naming_the_route() {
    let pc = spawn().await;
    let client = pc.client_with(|s| s.max_retries = 1);
    for kind in ["malformed", "truncated"] {
        // Once: asked again with the same request id, and read.
        pc.clear_log().await;
        pc.inject(json!({"route": RECORDS, "kind": kind, "times": 1}))
            .await;
        assert!(
            client.customer_usage_records(&pc.token).await.is_ok(),
            "{kind}"
        );
        let log = pc.logged(RECORDS).await;
        let ids = request_ids(&log);
        assert_eq!(ids.len(), 2, "{kind}");
        assert_eq!(ids[0], ids[1], "{kind}");
        // More often than the retries allow: a decode error naming the route.
        pc.inject(json!({"route": RECORDS, "kind": kind, "times": 2}))
            .await;
        let error = client.customer_usage_records(&pc.token).await.unwrap_err();
        let PartnerCenterError::Decode { route, .. } = error else {
            panic!("{kind}: expected a decode error, got {error:?}");
        };
        assert_eq!(route, RECORDS, "{kind}");
    }
    assert!(client.customer_usage_records(&pc.token).await.is_ok());
    pc.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_is_retried_with_the_same_request_id() {
    let pc = spawn().await;
    pc.clear_log().await;
    pc.inject(json!({"route": RECORDS, "kind": "drop", "times": 1}))
        .await;
    let records = pc.client().customer_usage_records(&pc.token).await.unwrap();
    assert!(!records.is_empty());
    let log = pc.logged(RECORDS).await;
    assert_eq!(statuses(&log), vec![None, Some(200)]);
    let ids = request_ids(&log);
    assert_eq!(ids[0], ids[1]);
    pc.stop().await;
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retry_succeeds() {
    let pc = spawn().await;
    pc.inject(json!({"route": RECORDS, "kind": "delay", "ms": 1500, "times": 1}))
        .await;
    let client = pc.client_with(|s| s.timeout = Duration::from_millis(500));
    pc.clear_log().await;
    assert!(client.customer_usage_records(&pc.token).await.is_ok());
    // The sandbox logs a request when it has answered: the retry's answer is logged, the
    // delayed one is not yet, so the client did not wait for it (no clock involved).
    let log = pc.logged(RECORDS).await;
    assert_eq!(
        statuses(&log),
        vec![Some(200)],
        "only the retry has answered"
    );
    let faults = pc.control(reqwest::Method::GET, "faults", None).await;
    assert_eq!(
        faults["faults"],
        json!([]),
        "the delayed attempt was made and abandoned"
    );
    pc.stop().await;
}

#[tokio::test]
async fn concurrent_calls_are_bounded_by_max_concurrent_calls() {
    let pc = spawn().await;
    pc.inject(json!({"route": RECORDS, "kind": "delay", "ms": 300}))
        .await;
    let client = pc.client_with(|s| s.max_concurrent_calls = 1);
    let started = Instant::now();
    let (a, b, c) = tokio::join!(
        client.customer_usage_records(&pc.token),
        client.customer_usage_records(&pc.token),
        client.customer_usage_records(&pc.token),
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "three 300 ms calls one at a time: {:?}",
        started.elapsed()
    );
    pc.stop().await;
}

#[tokio::test]
async fn utilization_records_are_paged_to_the_end_in_utc() {
    let pc = spawn().await;
    let (customer, subscription) = pc.legacy_subscription().await;
    let clock = pc.control(reqwest::Method::GET, "clock", None).await;
    let end: DateTime<Utc> = clock["now"].as_str().unwrap().parse().unwrap();
    let start = end - chrono::Duration::days(20);
    pc.clear_log().await;
    let records = pc
        .client()
        .azure_utilization_records(
            &pc.token,
            &customer,
            &subscription,
            start,
            end,
            Granularity::Hourly,
        )
        .await
        .unwrap();
    let pages = pc.logged(UTILIZATIONS).await;
    assert!(
        pages.len() >= 2,
        "{} records in {} pages",
        records.len(),
        pages.len()
    );
    assert!(records.len() > 1000);
    assert!(pages[0]["query"].as_str().unwrap().contains("start_time="));
    assert!(
        pages[1..]
            .iter()
            .all(|p| p["query"].as_str().unwrap().contains("seek_operation=Next"))
    );
    let keys: HashSet<(String, Option<DateTime<Utc>>)> = records
        .iter()
        .map(|r| (r.resource.id.clone(), r.usage_start_time))
        .collect();
    assert_eq!(keys.len(), records.len(), "no record twice");
    assert!(records.iter().all(|r| {
        r.usage_start_time
            .is_some_and(|t| t >= start - chrono::Duration::hours(1))
    }));
    pc.stop().await;
}

#[tokio::test]
async fn utilization_not_ready_204_is_waited_out_and_retried() {
    let pc = spawn().await;
    let (customer, subscription) = pc.legacy_subscription().await;
    let end = Utc::now();
    let start = end - chrono::Duration::days(3);
    pc.clear_log().await;
    pc.inject(
        json!({"route": UTILIZATIONS, "kind": "notReady", "retryAfterSeconds": 1, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let records = pc
        .client()
        .azure_utilization_records(
            &pc.token,
            &customer,
            &subscription,
            start,
            end,
            Granularity::Daily,
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(!records.is_empty());
    let log = pc.logged(UTILIZATIONS).await;
    assert_eq!(statuses(&log), vec![Some(204), Some(200)]);

    pc.inject(json!({"route": UTILIZATIONS, "kind": "notReady", "retryAfterSeconds": 1}))
        .await;
    let error = pc
        .client_with(|s| s.max_retries = 1)
        .azure_utilization_records(
            &pc.token,
            &customer,
            &subscription,
            start,
            end,
            Granularity::Daily,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            PartnerCenterError::NotReady {
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    pc.stop().await;
}

#[tokio::test]
async fn a_budget_is_set_and_cleared_and_the_patch_reports_its_request_id() {
    let pc = spawn().await;
    let client = pc.client();
    let customer = first_customer(&pc).await;
    pc.clear_log().await;

    let amount = Decimal::from_str("1234.56").unwrap();
    let change = uuid::Uuid::new_v4();
    let set = client
        .patch_usage_budget(&pc.token, &customer, Some(amount), change)
        .await
        .unwrap();
    assert_eq!(set.budget.amount, Some(amount));
    assert_eq!(set.request_id, change, "the change's own MS-RequestId");
    let patches = pc.logged(BUDGET_PATCH).await;
    assert_eq!(
        request_ids(&patches),
        vec![set.request_id.to_string().as_str()]
    );
    assert_eq!(
        client
            .usage_budget(&pc.token, &customer)
            .await
            .unwrap()
            .amount,
        Some(amount)
    );
    let summary = client
        .customer_usage_summary(&pc.token, &customer)
        .await
        .unwrap();
    assert_eq!(summary.budget.amount, Some(amount));

    let cleared = client
        .patch_usage_budget(&pc.token, &customer, None, uuid::Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(cleared.budget.amount, None);
    assert_ne!(cleared.request_id, set.request_id);
    let records = client.customer_usage_records(&pc.token).await.unwrap();
    let record = records
        .iter()
        .find(|r| r.customer_id().ok() == Some(customer))
        .unwrap();
    assert_eq!(record.budget.amount, None);
    pc.stop().await;
}

#[tokio::test]
async fn a_refused_budget_is_a_bad_request_with_partner_centers_reason() {
    let pc = spawn().await;
    let client = pc.client();
    let customer = first_customer(&pc).await;
    let error = client
        .patch_usage_budget(
            &pc.token,
            &customer,
            Some(Decimal::from(-5)),
            uuid::Uuid::new_v4(),
        )
        .await
        .unwrap_err();
    let PartnerCenterError::BadRequest { ref fault, .. } = error else {
        panic!("expected 400, got {error:?}");
    };
    assert!(!fault.description().is_empty());
    assert_eq!(error.write_fate(), WriteFate::NotApplied);
    assert_eq!(pc.logged(BUDGET_PATCH).await.len(), 1, "400 not retried");
    pc.stop().await;
}

#[tokio::test]
async fn a_budget_patch_is_sent_again_only_when_it_cannot_have_reached_partner_center() {
    let pc = spawn().await;
    let client = pc.client();
    let customer = first_customer(&pc).await;
    let patch = |amount: i64| {
        let client = client.clone();
        let token = pc.token.clone();
        async move {
            client
                .patch_usage_budget(
                    &token,
                    &customer,
                    Some(Decimal::from(amount)),
                    uuid::Uuid::new_v4(),
                )
                .await
        }
    };
    let fault = |kind: serde_json::Value| {
        let mut rule = serde_json::json!({ "route": BUDGET_PATCH, "times": 1 });
        rule.as_object_mut()
            .unwrap()
            .extend(kind.as_object().unwrap().clone());
        rule
    };

    // 429: the gateway refused it before the service saw it; sent again, same id.
    pc.clear_log().await;
    pc.inject(fault(
        serde_json::json!({ "kind": "status", "status": 429 }),
    ))
    .await;
    let update = patch(111).await.unwrap();
    let sent = pc.logged(BUDGET_PATCH).await;
    assert_eq!(sent.len(), 2, "429 retried once");
    let update_id = update.request_id.to_string();
    assert_eq!(request_ids(&sent), vec![update_id.as_str(); 2]);

    // A 5xx, a dropped connection, an unreadable reply: never sent twice, outcome unknown.
    for (kind, may_still_land) in [
        (
            serde_json::json!({ "kind": "status", "status": 500, "body": "apiFault" }),
            false,
        ),
        (
            serde_json::json!({ "kind": "status", "status": 503, "afterApplying": true }),
            true,
        ),
        (serde_json::json!({ "kind": "drop" }), true),
        (
            serde_json::json!({ "kind": "drop", "afterApplying": true }),
            true,
        ),
        (serde_json::json!({ "kind": "truncated" }), false),
    ] {
        pc.clear_log().await;
        pc.inject(fault(kind.clone())).await;
        let error = patch(222).await.unwrap_err();
        assert_eq!(
            error.write_fate(),
            WriteFate::Unknown { may_still_land },
            "{kind}: {error:?}"
        );
        assert_eq!(pc.logged(BUDGET_PATCH).await.len(), 1, "{kind}: sent once");
    }
    pc.stop().await;
}

#[tokio::test]
async fn every_read_route_decodes_the_sandboxs_answers() {
    let pc = spawn().await;
    let client = pc.client();
    let token = &pc.token;
    let (customer, legacy) = pc.legacy_subscription().await;
    let summary = client.partner_usage_summary(token).await.unwrap();
    assert!(summary.billing_start_date.is_some());
    let one = client.customer(token, &customer).await.unwrap();
    assert_eq!(one.customer_id().unwrap(), customer);
    for record in client
        .subscription_usage_records(token, &customer)
        .await
        .unwrap()
    {
        let subscription = SubscriptionId::parse(&record.resource_id).unwrap();
        let summary = client
            .subscription_usage_summary(token, &customer, &subscription)
            .await
            .unwrap();
        assert_eq!(summary.total_cost, record.total_cost);
        let meters = client
            .meter_usage_records(token, &customer, &subscription)
            .await
            .unwrap();
        let resources = client
            .resource_usage_records(token, &customer, &subscription)
            .await
            .unwrap();
        assert!(meters.iter().all(|m| m.currency().is_ok()));
        assert!(resources.iter().all(|r| r.currency().is_ok()));
    }
    assert!(
        client
            .subscriptions(token, &customer)
            .await
            .unwrap()
            .iter()
            .any(|s| s.id.eq_ignore_ascii_case(&legacy.to_string()))
    );
    let card = client
        .azure_rate_card(token, Some("EUR"), Some("DE"))
        .await
        .unwrap();
    assert!(!card.meters.is_empty());
    pc.stop().await;
}
