//! The subscription page: its numbers against the sandbox's own routes (Azure plan and
//! legacy), the daily quantities paged to the end and the 204 "not ready" case, not-found
//! ids; and the drill-down tables of the store on both databases.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use serde_json::value::RawValue;
use spendboard::domain::{Currency, CustomerId, Money, SubscriptionId};
use spendboard::store::{
    CustomerSnapshot, DashboardQuery, MeterUsage, ResourceUsage, StoreError, SubscriptionDrilldown,
    SubscriptionSummary, UtilizationRecord,
};
use url::Url;
use uuid::Uuid;

use crate::databases::on_both_databases;
use crate::helpers::{READER, TestApp, eventually, sandbox_delegated_token, spawn_app};

/// The sandbox's utilization route key, for faults and the request log.
const UTILIZATIONS: &str = "GET /v1/customers/{id}/subscriptions/{sid}/utilizations/azure";

/// Partner Center as the sandbox serves it, read with a delegated token of the editor,
/// bypassing Spendboard's client; numbers are kept exactly as their JSON text.
pub struct SandboxReader {
    client: reqwest::Client,
    base: Url,
    token: String,
}

/// One JSON object of a sandbox answer.
pub struct Item {
    raw: HashMap<String, Box<RawValue>>,
    /// The same object (numbers as f64: never compare amounts from here).
    pub value: Value,
}

impl Item {
    fn parse(text: &str) -> Self {
        Self {
            raw: serde_json::from_str(text).expect("a JSON object"),
            value: serde_json::from_str(text).expect("JSON"),
        }
    }

    /// A string field.
    pub fn str(&self, key: &str) -> String {
        self.value[key]
            .as_str()
            .unwrap_or_else(|| panic!("no string {key} in {}", self.value))
            .to_owned()
    }

    /// A number field, exactly.
    pub fn decimal(&self, key: &str) -> Decimal {
        let text = self
            .raw
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in {}", self.value))
            .get()
            .trim_matches('"');
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .unwrap_or_else(|e| panic!("{key} = {text}: {e}"))
    }
}

impl SandboxReader {
    pub async fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: app.sandbox.base_url.clone(),
            token: sandbox_delegated_token(&app.sandbox, crate::helpers::EDITOR).await,
        }
    }

    async fn text(&self, path: &str, headers: &[(String, String)]) -> String {
        let mut request = self
            .client
            .get(self.base.join(path).unwrap())
            .bearer_auth(&self.token);
        for (key, value) in headers {
            request = request.header(key, value);
        }
        let response = request.send().await.expect("sandbox GET");
        assert_eq!(response.status(), StatusCode::OK, "sandbox GET {path}");
        response.text().await.unwrap()
    }

    /// One resource, e.g. `v1/customers/{id}/subscriptions/{sid}/usagesummary`.
    pub async fn one(&self, path: &str) -> Item {
        Item::parse(&self.text(path, &[]).await)
    }

    /// Every item of a collection, following `links.next` (with its headers) to the end;
    /// also returns how many pages there were.
    pub async fn items(&self, path: &str) -> (Vec<Item>, usize) {
        #[derive(serde::Deserialize)]
        struct Page {
            items: Vec<Box<RawValue>>,
            #[serde(default)]
            links: Value,
        }
        let mut items = Vec::new();
        let mut next = Some((path.to_owned(), Vec::new()));
        let mut pages = 0;
        while let Some((path, headers)) = next.take() {
            pages += 1;
            assert!(pages < 1000, "paging does not end");
            let page: Page = serde_json::from_str(&self.text(&path, &headers).await).unwrap();
            items.extend(page.items.iter().map(|raw| Item::parse(raw.get())));
            if let Some(uri) = page.links["next"]["uri"].as_str() {
                let path = match uri.strip_prefix('/') {
                    Some(rest) if rest.starts_with("v1/") => rest.to_owned(),
                    Some(rest) => format!("v1/{rest}"),
                    None => format!("v1/{uri}"),
                };
                let headers = page.links["next"]["headers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|h| {
                        (
                            h["key"].as_str().unwrap().to_owned(),
                            h["value"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                next = Some((path, headers));
            }
        }
        (items, pages)
    }
}

/// Every customer Spendboard stored.
pub async fn customers(app: &TestApp) -> Vec<CustomerSnapshot> {
    app.store()
        .dashboard_page(&DashboardQuery {
            page_size: 10_000,
            ..DashboardQuery::default()
        })
        .await
        .unwrap()
        .rows
}

/// The first customer on an Azure plan (`true`) or legacy (`false`), and its first
/// subscription as the sandbox lists it.
pub async fn subscription_of(
    app: &TestApp,
    sandbox: &SandboxReader,
    azure_plan: bool,
) -> (CustomerSnapshot, SubscriptionId) {
    let customer = customers(app)
        .await
        .into_iter()
        .find(|c| c.is_azure_plan == azure_plan)
        .expect("a customer of that kind");
    let (subscriptions, _) = sandbox
        .items(&format!(
            "v1/customers/{}/subscriptions/usagerecords",
            customer.customer_id
        ))
        .await;
    let id = SubscriptionId::parse(&subscriptions[0].str("resourceId")).unwrap();
    (customer, id)
}

pub fn subscription_path(customer: &CustomerId, subscription: &SubscriptionId) -> String {
    format!("/customers/{customer}/subscriptions/{subscription}")
}

fn sandbox_path(customer: &CustomerId, subscription: &SubscriptionId, route: &str) -> String {
    format!("v1/customers/{customer}/subscriptions/{subscription}/{route}")
}

/// The text of the elements matching `selector`, whitespace collapsed.
fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(selector).unwrap();
    doc.select(&selector)
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn money(amount: Decimal, currency: &Currency) -> String {
    Money::new(amount, currency.clone()).to_string()
}

#[tokio::test]
async fn an_azure_plan_subscription_page_matches_the_sandboxs_resources_meters_and_sums() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, true).await;
    let id = customer.customer_id;
    let page_path = subscription_path(&id, &subscription);

    let customer_page = app.customer_page(&id).await;
    assert!(
        customer_page.contains(&format!("href=\"{page_path}\"")),
        "the customer page links to the subscription"
    );
    let html = app.get_html(&page_path).await;

    let summary = sandbox
        .one(&sandbox_path(&id, &subscription, "usagesummary"))
        .await;
    let (resources, _) = sandbox
        .items(&sandbox_path(&id, &subscription, "resourceusagerecords"))
        .await;
    let (meters, _) = sandbox
        .items(&sandbox_path(&id, &subscription, "meterusagerecords"))
        .await;
    let currency = Currency::parse(&summary.str("currencyCode")).unwrap();
    let total = summary.decimal("totalCost");
    let resources_sum: Decimal = resources.iter().map(|r| r.decimal("totalCost")).sum();
    let meters_sum: Decimal = meters.iter().map(|m| m.decimal("totalCost")).sum();
    assert_eq!(resources_sum, total, "the sandbox's resources add up");
    assert_eq!(meters_sum, total, "the sandbox's meters add up");

    // The store holds exactly what the sandbox said.
    let stored = app
        .store()
        .subscription_summary(&id, &subscription)
        .await
        .unwrap()
        .expect("the summary is stored");
    assert_eq!(stored.total_cost, Money::new(total, currency.clone()));
    assert!(!stored.is_legacy);
    let stored_resources: BTreeMap<String, Decimal> = app
        .store()
        .resource_usage(&id, &subscription)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.resource_uri.unwrap(), r.total_cost.amount()))
        .collect();
    let sandbox_resources: BTreeMap<String, Decimal> = resources
        .iter()
        .map(|r| (r.str("resourceUri"), r.decimal("totalCost")))
        .collect();
    assert_eq!(stored_resources, sandbox_resources);
    let stored_meters: BTreeMap<String, (Option<Decimal>, Decimal)> = app
        .store()
        .meter_usage(&id, &subscription)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.meter_id.unwrap(), (m.quantity, m.total_cost.amount())))
        .collect();
    let sandbox_meters: BTreeMap<String, (Option<Decimal>, Decimal)> = meters
        .iter()
        .map(|m| {
            (
                m.str("meterId"),
                (Some(m.decimal("quantityUsed")), m.decimal("totalCost")),
            )
        })
        .collect();
    assert_eq!(stored_meters, sandbox_meters);

    // The page: the summary and the resources' sum.
    let figures = texts(&html, ".figures dd");
    assert!(
        figures[0].starts_with(&money(total, &currency)),
        "{figures:?}"
    );
    assert_eq!(figures[1], money(resources_sum, &currency));

    // One table per entitlement, its caption with the entitlement's subtotal; each
    // resource group's subtotal in its row group.
    let mut by_entitlement: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut by_group: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for r in &resources {
        *by_entitlement.entry(r.str("entitlementId")).or_default() += r.decimal("totalCost");
        *by_group
            .entry((r.str("entitlementId"), r.str("resourceGroupName")))
            .or_default() += r.decimal("totalCost");
    }
    assert!(
        by_entitlement.len() >= 2,
        "an Azure plan has several entitlements"
    );
    let captions = texts(&html, "table.resources caption");
    assert_eq!(captions.len(), by_entitlement.len());
    for (entitlement, subtotal) in &by_entitlement {
        let caption = captions
            .iter()
            .find(|c| c.contains(entitlement.as_str()))
            .unwrap_or_else(|| panic!("a table for {entitlement}"));
        assert!(
            caption.contains(&money(*subtotal, &currency)),
            "{caption} has {subtotal}"
        );
    }
    let doc = scraper::Html::parse_document(&html);
    let table = scraper::Selector::parse("table.resources").unwrap();
    let caption = scraper::Selector::parse("caption").unwrap();
    let subtotal_row = scraper::Selector::parse("tr.subtotal").unwrap();
    let mut shown_groups = 0;
    for t in doc.select(&table) {
        let caption: String = t.select(&caption).next().unwrap().text().collect();
        let (entitlement, _) = by_entitlement
            .iter()
            .find(|(e, _)| caption.contains(e.as_str()))
            .unwrap();
        for row in t.select(&subtotal_row) {
            let text = row.text().collect::<Vec<_>>().join(" ");
            let group = by_group
                .iter()
                .find(|((e, g), _)| {
                    e == entitlement && text.contains(&format!("Resource group {g} "))
                })
                .unwrap_or_else(|| panic!("{text} names a group of {entitlement}"));
            assert!(text.contains(&money(*group.1, &currency)), "{text}");
            shown_groups += 1;
        }
    }
    assert_eq!(shown_groups, by_group.len());

    // Top resources: the most expensive first.
    let top = texts(&html, "table.top-resources tbody th");
    let most_expensive = resources
        .iter()
        .max_by_key(|r| r.decimal("totalCost"))
        .unwrap();
    assert_eq!(top[0], most_expensive.str("resourceName"));
    assert_eq!(top.len(), resources.len().min(10));

    // Meters by category with quantity and unit.
    let mut by_category: BTreeMap<String, Decimal> = BTreeMap::new();
    for m in &meters {
        *by_category.entry(m.str("category")).or_default() += m.decimal("totalCost");
    }
    let categories = texts(&html, "table.meters tr.subtotal");
    assert_eq!(categories.len(), by_category.len());
    for (category, subtotal) in &by_category {
        assert!(
            categories
                .iter()
                .any(|c| c.starts_with(category.as_str())
                    && c.ends_with(&money(*subtotal, &currency))),
            "{category} {subtotal} in {categories:?}"
        );
    }
    let meter_rows = texts(&html, "table.meters tbody tr:not(.subtotal)");
    assert_eq!(meter_rows.len(), meters.len());
    for m in &meters {
        assert!(
            meter_rows
                .iter()
                .any(|row| row.starts_with(&m.str("meterName")) && row.contains(&m.str("unit"))),
            "{} with its unit",
            m.str("meterName")
        );
    }
    assert!(
        !html.contains("Daily quantities"),
        "no utilization for an Azure plan"
    );
}

/// `start_time`/`end_time` as the utilization route takes them.
fn utc_param(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test]
async fn a_legacy_subscription_shows_every_daily_quantity_of_the_period_with_group_and_tags() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, false).await;
    let id = customer.customer_id;
    let html = app.subscription_page(&id, &subscription).await;

    let summary = sandbox
        .one(&sandbox_path(&id, &subscription, "usagesummary"))
        .await;
    // The sandbox's own answer, read in pages of 7 to the end.
    let (records, pages) = sandbox
        .items(&format!(
            "{}?start_time={}&end_time={}&granularity=daily&show_details=true&size=7",
            sandbox_path(&id, &subscription, "utilizations/azure"),
            utc_param(&summary.str("billingStartDate")),
            utc_param(&summary.str("billingEndDate")),
        ))
        .await;
    assert!(!records.is_empty(), "the legacy subscription has usage");
    assert_eq!(pages, records.len().div_ceil(7).max(1));

    let stored = app.store().utilization(&id, &subscription).await.unwrap();
    let key = |day: NaiveDate, meter: &str, uri: &str, quantity: Decimal| {
        (day, meter.to_owned(), uri.to_owned(), quantity)
    };
    let mut expected: Vec<_> = records
        .iter()
        .map(|r| {
            let start: DateTime<Utc> = r.str("usageStartTime").parse().unwrap();
            key(
                start.date_naive(),
                r.value["resource"]["id"].as_str().unwrap(),
                r.value["instanceData"]["resourceUri"].as_str().unwrap(),
                r.decimal("quantity"),
            )
        })
        .collect();
    let mut actual: Vec<_> = stored
        .iter()
        .map(|r| {
            key(
                r.day,
                &r.meter_id,
                r.resource_uri.as_deref().unwrap(),
                r.quantity,
            )
        })
        .collect();
    expected.sort();
    actual.sort();
    assert_eq!(actual, expected, "every day, meter and resource, exactly");

    for row in &stored {
        let uri = row.resource_uri.as_deref().unwrap();
        let group = uri.split('/').nth(4).unwrap();
        assert_eq!(row.resource_group.as_deref(), Some(group), "{uri}");
        assert_eq!(row.resource_name.as_deref(), uri.rsplit('/').next());
        let truth = records
            .iter()
            .find(|r| r.value["instanceData"]["resourceUri"].as_str() == Some(uri))
            .unwrap();
        let tags: BTreeMap<String, String> =
            serde_json::from_value(truth.value["instanceData"]["tags"].clone()).unwrap();
        assert!(!tags.is_empty());
        assert_eq!(row.tags, tags);
    }

    let rows = texts(&html, "table.daily tbody tr:not(.subtotal)");
    assert_eq!(rows.len(), records.len(), "one row per record");
    let days = texts(&html, "table.daily tr.subtotal");
    let mut expected_days: Vec<String> = stored.iter().map(|r| r.day.to_string()).collect();
    expected_days.dedup();
    assert_eq!(days, expected_days, "one row group per day, newest first");
    let first = &stored[0];
    let (tag, value) = first.tags.iter().next().unwrap();
    assert!(
        rows[0].contains(first.resource_group.as_deref().unwrap())
            && rows[0].contains(&format!("{tag}={value}")),
        "{}",
        rows[0]
    );
    assert!(
        texts(&html, ".hint")
            .iter()
            .any(|h| h.contains("Legacy (MS-AZR-0145P)"))
    );
}

async fn utilization_statuses(app: &TestApp) -> Vec<u64> {
    let log = app
        .sandbox_control(reqwest::Method::GET, "_sandbox/requests", None)
        .await;
    log["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["route"]
                .as_str()
                .is_some_and(|k| k.eq_ignore_ascii_case(UTILIZATIONS))
        })
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect()
}

#[tokio::test]
async fn daily_quantities_not_ready_are_waited_for_and_then_shown() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, false).await;
    app.sandbox_control(reqwest::Method::DELETE, "_sandbox/requests", None)
        .await;
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/faults",
        Some(serde_json::json!({
            "route": UTILIZATIONS, "kind": "notReady", "retryAfterSeconds": 1, "times": 1
        })),
    )
    .await;
    let started = std::time::Instant::now();
    let html = app
        .subscription_page(&customer.customer_id, &subscription)
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was honoured"
    );
    assert_eq!(utilization_statuses(&app).await, vec![204, 200]);
    assert!(!texts(&html, "table.daily tbody tr:not(.subtotal)").is_empty());
}

#[tokio::test]
async fn daily_quantities_that_stay_not_ready_are_said_so_and_read_again_later() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, false).await;
    let id = customer.customer_id;
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/faults",
        Some(serde_json::json!({
            "route": UTILIZATIONS, "kind": "notReady", "retryAfterSeconds": 1
        })),
    )
    .await;
    let html = app.subscription_page(&id, &subscription).await;
    assert!(html.contains("has not made the daily quantities available yet"));
    assert!(
        !texts(&html, "table.resources").is_empty(),
        "the rest is shown"
    );
    let summary = app
        .store()
        .subscription_summary(&id, &subscription)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.utilization_fetched_at, None);

    app.sandbox_control(reqwest::Method::DELETE, "_sandbox/faults", None)
        .await;
    // The next visit reads them again in the background.
    app.subscription_page(&id, &subscription).await;
    eventually(10, "the background refresh read them", || async {
        app.store()
            .subscription_summary(&id, &subscription)
            .await
            .unwrap()
            .and_then(|s| s.utilization_fetched_at)
    })
    .await;
    let html = app.subscription_page(&id, &subscription).await;
    assert!(!texts(&html, "table.daily tbody tr:not(.subtotal)").is_empty());
}

#[tokio::test]
async fn a_legacy_subscription_without_resource_records_still_shows_its_meters_and_days() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (legacy, legacy_subscription) = subscription_of(&app, &sandbox, false).await;
    let (plan, plan_subscription) = subscription_of(&app, &sandbox, true).await;
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/faults",
        Some(serde_json::json!({
            "route": "GET /v1/customers/{id}/subscriptions/{sid}/resourceusagerecords",
            "kind": "status", "status": 400
        })),
    )
    .await;
    let html = app
        .subscription_page(&legacy.customer_id, &legacy_subscription)
        .await;
    assert!(texts(&html, "table.resources").is_empty());
    assert!(html.contains("Partner Center reports no resource usage for this subscription yet."));
    assert!(!texts(&html, "table.meters tbody tr:not(.subtotal)").is_empty());
    assert!(!texts(&html, "table.daily tbody tr:not(.subtotal)").is_empty());

    // An Azure plan's resources are the point of its page: a refusal is shown as such.
    let response = app
        .get(&subscription_path(&plan.customer_id, &plan_subscription))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_stale_subscription_is_shown_from_the_store_and_refreshed_in_the_background() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, true).await;
    let id = customer.customer_id;
    app.subscription_page(&id, &subscription).await;
    // Make the stored read an hour old (the refresh setting is 15 minutes).
    let store = app.store();
    let mut old = SubscriptionDrilldown {
        summary: store
            .subscription_summary(&id, &subscription)
            .await
            .unwrap()
            .unwrap(),
        resources: store.resource_usage(&id, &subscription).await.unwrap(),
        meters: store.meter_usage(&id, &subscription).await.unwrap(),
    };
    old.summary.fetched_at -= chrono::Duration::hours(1);
    let currency = old.summary.total_cost.currency().clone();
    old.summary.total_cost = Money::new(old.summary.total_cost.amount() + Decimal::ONE, currency);
    store.replace_subscription_drilldown(&old).await.unwrap();

    let html = app.subscription_page(&id, &subscription).await;
    assert!(html.contains("(stale: being refreshed)"));
    assert!(
        html.contains(&old.summary.total_cost.to_string()),
        "the stored numbers are shown at once"
    );
    let refreshed = eventually(10, "a background refresh stored a newer read", || async {
        let now = store
            .subscription_summary(&id, &subscription)
            .await
            .unwrap()
            .unwrap();
        (now.fetched_at > old.summary.fetched_at).then_some(now)
    })
    .await;
    assert_eq!(
        refreshed.total_cost.amount(),
        old.summary.total_cost.amount() - Decimal::ONE
    );
}

#[tokio::test]
async fn malformed_unknown_and_other_customers_subscription_ids_are_not_found() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, true).await;
    let (other, other_subscription) = subscription_of(&app, &sandbox, false).await;
    let id = customer.customer_id;
    let unknown = Uuid::new_v4();
    for path in [
        format!("/customers/{id}/subscriptions/not-a-guid"),
        format!("/customers/{id}/subscriptions/{unknown}"),
        format!("/customers/{unknown}/subscriptions/{subscription}"),
        format!("/customers/not-a-guid/subscriptions/{subscription}"),
        subscription_path(&id, &other_subscription),
        subscription_path(&other.customer_id, &subscription),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.store()
            .subscription_summary(&id, &other_subscription)
            .await
            .unwrap(),
        None,
        "nothing was stored for a wrong pair"
    );
}

#[tokio::test]
async fn the_subscription_page_needs_sign_in() {
    let app = spawn_app().await;
    let path = subscription_path(
        &CustomerId::from(Uuid::new_v4()),
        &SubscriptionId::from(Uuid::new_v4()),
    );
    let response = app.get(&path).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );
}

// The store, on both databases.

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn ids() -> (CustomerId, SubscriptionId) {
    (
        CustomerId::from(Uuid::from_u128(0xd1_0000_0000_4000_8000_0000_0000_0001)),
        SubscriptionId::from(Uuid::from_u128(0xd1_0000_0000_4000_8000_0000_0000_0002)),
    )
}

fn sample_drilldown(legacy: bool) -> SubscriptionDrilldown {
    let (customer_id, subscription_id) = ids();
    let sek = Currency::parse("SEK").unwrap();
    let resource = |name: &str, group: Option<&str>, cost: &str| ResourceUsage {
        entitlement_id: Some("e-1".to_owned()),
        entitlement_name: Some("Production, \"EU\"".to_owned()),
        resource_group: group.map(str::to_owned),
        resource_type: Some("Microsoft.Compute".to_owned()),
        resource_uri: Some(format!(
            "/subscriptions/e-1/resourceGroups/rg/providers/x/{name}"
        )),
        resource_name: Some(name.to_owned()),
        total_cost: Money::new(d(cost), sek.clone()),
        usd_total_cost: Some(Money::usd(d("0.0000000000000000000000000001"))),
        last_modified: "2019-09-17T21:08:44.256666+00:00".parse().unwrap(),
    };
    let meter = |category: Option<&str>, name: &str, cost: &str| MeterUsage {
        meter_id: Some(format!("DZH318Z0BNVX-005J-{name}")),
        meter_name: Some(name.to_owned()),
        category: category.map(str::to_owned),
        subcategory: None,
        quantity: Some(d("0.01129")),
        unit: Some("1 GB".to_owned()),
        total_cost: Money::new(d(cost), sek.clone()),
        usd_total_cost: None,
        last_modified: at(20, 7),
    };
    SubscriptionDrilldown {
        summary: SubscriptionSummary {
            customer_id,
            subscription_id,
            name: "Azure plan".to_owned(),
            is_legacy: legacy,
            billing_start: at(1, 0),
            billing_end: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            total_cost: Money::new(d("120.5682999999995904716"), sek.clone()),
            usd_total_cost: None,
            last_modified: at(20, 7),
            fetched_at: "2026-11-21T06:00:00.123456Z".parse().unwrap(),
            utilization_fetched_at: None,
        },
        resources: vec![
            resource("vm-9", Some("rg"), "9.5"),
            resource("vm-10", None, "10.0682999999995904716"),
            resource("vm-1", Some("rg"), "101"),
        ],
        meters: vec![
            meter(Some("Storage"), "LRS Data Stored", "20"),
            meter(None, "Mystery", "0.5"),
            meter(
                Some("Bandwidth"),
                "Data Transfer In",
                "100.0682999999995904716",
            ),
        ],
    }
}

on_both_databases! {
    async fn a_subscription_drilldown_round_trips_exactly_and_the_next_fetch_replaces_it(db: &TestDb) {
        let (customer, subscription) = ids();
        assert_eq!(db.store.subscription_summary(&customer, &subscription).await.unwrap(), None);
        let first = sample_drilldown(false);
        db.store.replace_subscription_drilldown(&first).await.unwrap();

        let summary = db.store.subscription_summary(&customer, &subscription).await.unwrap();
        assert_eq!(summary.as_ref(), Some(&first.summary), "{}", db.kind());
        let resources = db.store.resource_usage(&customer, &subscription).await.unwrap();
        let names: Vec<&str> = resources.iter().map(|r| r.resource_name.as_deref().unwrap()).collect();
        assert_eq!(names, ["vm-1", "vm-10", "vm-9"], "most expensive first, numerically");
        assert_eq!(resources[1], first.resources[1], "every digit and None kept");
        assert_eq!(resources[0].last_modified.timestamp_subsec_micros(), 256_666);
        let meters = db.store.meter_usage(&customer, &subscription).await.unwrap();
        let names: Vec<&str> = meters.iter().map(|m| m.meter_name.as_deref().unwrap()).collect();
        assert_eq!(names, ["Data Transfer In", "LRS Data Stored", "Mystery"], "by category, missing last");
        assert_eq!(meters[0], first.meters[2]);

        let mut second = sample_drilldown(false);
        second.summary.total_cost = Money::new(d("7"), second.summary.total_cost.currency().clone());
        second.summary.fetched_at = at(21, 7);
        second.resources.truncate(1);
        second.meters.clear();
        db.store.replace_subscription_drilldown(&second).await.unwrap();
        assert_eq!(
            db.store.subscription_summary(&customer, &subscription).await.unwrap(),
            Some(second.summary.clone())
        );
        assert_eq!(db.store.resource_usage(&customer, &subscription).await.unwrap(), second.resources);
        assert!(db.store.meter_usage(&customer, &subscription).await.unwrap().is_empty());

        // Another subscription of the same customer is kept apart.
        let mut other = sample_drilldown(false);
        other.summary.subscription_id = SubscriptionId::from(Uuid::new_v4());
        db.store.replace_subscription_drilldown(&other).await.unwrap();
        assert_eq!(db.store.resource_usage(&customer, &subscription).await.unwrap().len(), 1);
        assert_eq!(
            db.store.resource_usage(&customer, &other.summary.subscription_id).await.unwrap().len(),
            3
        );
        let (read, all) = db.store.customer_resource_usage(&customer).await.unwrap();
        assert_eq!(read, 2, "two subscriptions were read");
        let costs: Vec<Decimal> = all.iter().map(|r| r.total_cost.amount()).collect();
        assert_eq!(costs, [d("101"), d("10.0682999999995904716"), d("9.5"), d("9.5")]);
        let stranger = CustomerId::from(Uuid::new_v4());
        assert_eq!(db.store.customer_resource_usage(&stranger).await.unwrap(), (0, vec![]));
    }
}

fn utilization(day: u32, resource: Option<&str>, meter: &str, quantity: &str) -> UtilizationRecord {
    UtilizationRecord {
        day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        usage_start: at(day, 0),
        usage_end: at(day + 1, 0),
        meter_id: Uuid::new_v4().to_string(),
        meter_name: Some(meter.to_owned()),
        category: Some("Virtual Machines".to_owned()),
        subcategory: None,
        region: Some("westeurope".to_owned()),
        quantity: d(quantity),
        unit: Some("Hours".to_owned()),
        resource_uri: resource
            .map(|r| format!("/subscriptions/s/resourceGroups/rg-web/providers/x/{r}")),
        resource_group: resource.map(|_| "rg-web".to_owned()),
        resource_name: resource.map(str::to_owned),
        tags: [("costCenter".to_owned(), "R&D, \"web\"".to_owned())]
            .into_iter()
            .collect(),
    }
}

on_both_databases! {
    async fn daily_utilization_round_trips_with_tags_and_keeps_its_own_read_time(db: &TestDb) {
        let (customer, subscription) = ids();
        let records = vec![
            utilization(2, Some("vm-b"), "D2s v3", "24.00000000"),
            utilization(3, None, "D2s v3", "1"),
            utilization(3, Some("vm-b"), "B2ms", "0.00000001"),
            utilization(3, Some("vm-a"), "D2s v3", "12.5"),
        ];
        let refused = db.store.replace_utilization(&customer, &subscription, &records, at(21, 8)).await;
        assert!(matches!(refused, Err(StoreError::InvalidArgument(_))), "{refused:?}");

        db.store.replace_subscription_drilldown(&sample_drilldown(true)).await.unwrap();
        db.store.replace_utilization(&customer, &subscription, &records, at(21, 8)).await.unwrap();
        let read = db.store.utilization(&customer, &subscription).await.unwrap();
        assert_eq!(read, vec![
            records[3].clone(),
            records[2].clone(),
            records[1].clone(),
            records[0].clone(),
        ], "newest day first, then resource and meter, missing resource last ({})", db.kind());
        assert_eq!(read[3].quantity.to_string(), "24.00000000");

        // A later fetch of the rest keeps the utilization's read time.
        let mut again = sample_drilldown(true);
        again.summary.fetched_at = at(21, 9);
        db.store.replace_subscription_drilldown(&again).await.unwrap();
        let summary = db.store.subscription_summary(&customer, &subscription).await.unwrap().unwrap();
        assert_eq!(summary.utilization_fetched_at, Some(at(21, 8)));
        assert_eq!(summary.fetched_at, at(21, 9));
        assert_eq!(db.store.utilization(&customer, &subscription).await.unwrap().len(), 4);

        db.store.replace_utilization(&customer, &subscription, &[], at(21, 10)).await.unwrap();
        assert!(db.store.utilization(&customer, &subscription).await.unwrap().is_empty());
        let summary = db.store.subscription_summary(&customer, &subscription).await.unwrap().unwrap();
        assert_eq!(summary.utilization_fetched_at, Some(at(21, 10)));
    }
}
