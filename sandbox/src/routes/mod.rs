//! The Partner Center routes (docs/partner-center.md §2-§13), answering from the generated data.
//! Paths are matched in lower case (the gateway lower-cases `/v1/...` paths first), so GUIDs
//! and route words may come in any case.

mod budget;
mod customers;
mod ratecard;
mod subscriptions;
mod usage;
mod utilization;

use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::data::Plan;
use crate::data::usage::Totals;
use crate::random::hash;
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::wire::{Num, ticks};

/// Every Partner Center route template, as used in route keys (`"GET " + template`).
pub mod paths {
    pub const USAGE_SUMMARY: &str = "/v1/usagesummary";
    pub const CUSTOMERS: &str = "/v1/customers";
    pub const CUSTOMERS_USAGE_RECORDS: &str = "/v1/customers/usagerecords";
    pub const CUSTOMER: &str = "/v1/customers/{id}";
    pub const CUSTOMER_USAGE_SUMMARY: &str = "/v1/customers/{id}/usagesummary";
    pub const CUSTOMER_BUDGET: &str = "/v1/customers/{id}/usagebudget";
    pub const SUBSCRIPTIONS: &str = "/v1/customers/{id}/subscriptions";
    pub const SUBSCRIPTIONS_USAGE_RECORDS: &str = "/v1/customers/{id}/subscriptions/usagerecords";
    pub const SUBSCRIPTION_USAGE_SUMMARY: &str =
        "/v1/customers/{id}/subscriptions/{sid}/usagesummary";
    pub const RESOURCE_USAGE_RECORDS: &str =
        "/v1/customers/{id}/subscriptions/{sid}/resourceusagerecords";
    pub const METER_USAGE_RECORDS: &str =
        "/v1/customers/{id}/subscriptions/{sid}/meterusagerecords";
    pub const UTILIZATIONS: &str = "/v1/customers/{id}/subscriptions/{sid}/utilizations/azure";
    pub const RATE_CARD: &str = "/v1/ratecards/azure";
}

/// Registers the Partner Center routes (fixed paths before the `{id}` ones).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::USAGE_SUMMARY, web::get().to(usage::partner_summary))
        .route(
            paths::CUSTOMERS_USAGE_RECORDS,
            web::get().to(usage::customer_records),
        )
        .route(paths::CUSTOMERS, web::get().to(customers::list))
        .route(paths::CUSTOMER, web::get().to(customers::get))
        .route(
            paths::CUSTOMER_USAGE_SUMMARY,
            web::get().to(usage::customer_summary),
        )
        .service(
            web::resource(paths::CUSTOMER_BUDGET)
                .route(web::get().to(budget::get))
                .route(web::patch().to(budget::patch)),
        )
        .route(
            paths::SUBSCRIPTIONS_USAGE_RECORDS,
            web::get().to(usage::subscription_records),
        )
        .route(paths::SUBSCRIPTIONS, web::get().to(subscriptions::list))
        .route(
            paths::SUBSCRIPTION_USAGE_SUMMARY,
            web::get().to(usage::subscription_summary),
        )
        .route(
            paths::RESOURCE_USAGE_RECORDS,
            web::get().to(usage::resource_records),
        )
        .route(
            paths::METER_USAGE_RECORDS,
            web::get().to(usage::meter_records),
        )
        .route(paths::UTILIZATIONS, web::get().to(utilization::records))
        .route(paths::RATE_CARD, web::get().to(ratecard::azure));
}

/// Finds a customer by the `{id}` path segment: 400 (900118) when it is not a GUID, 404
/// (60003) when there is no such customer.
fn customer_index(state: &SandboxState, raw: &str) -> Result<usize, ApiError> {
    let id = Uuid::parse_str(raw).map_err(|_| ApiError::InvalidCustomerId)?;
    state
        .data
        .customer_index(id)
        .ok_or_else(|| ApiError::CustomerNotFound(raw.to_string()))
}

/// Finds one of a customer's subscriptions by the `{sid}` path segment (404, 20003).
fn subscription_index(state: &SandboxState, customer: usize, raw: &str) -> Result<usize, ApiError> {
    Uuid::parse_str(raw)
        .ok()
        .and_then(|id| state.data.subscription_index(customer, id))
        .ok_or_else(|| ApiError::SubscriptionNotFound(raw.to_string()))
}

/// The spend fields of every usage record and summary, flattened into them: `totalCost` in
/// the customer's currency, `currencyLocale` (legacy) or `currencyCode` (Azure plan),
/// `usdTotalCost` (0 for legacy, as Partner Center shows) and `lastModifiedDate`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Spend {
    total_cost: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency_locale: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency_code: Option<&'static str>,
    usd_total_cost: Num,
    last_modified_date: String,
}

impl Spend {
    /// The spend fields of `totals`, amounts of the customer at index `customer`, as of `now`.
    fn of(state: &SandboxState, customer: usize, totals: &Totals, now: DateTime<Utc>) -> Self {
        let c = &state.data.customers[customer];
        let (currency_locale, currency_code, usd) = match c.plan {
            Plan::Legacy => (Some(c.currency.locale), None, rust_decimal::Decimal::ZERO),
            Plan::AzurePlan => (None, Some(c.currency.code), totals.usd),
        };
        Self {
            total_cost: Num(totals.cost),
            currency_locale,
            currency_code,
            usd_total_cost: Num(usd),
            last_modified_date: last_modified(state, customer, now),
        }
    }
}

/// When a customer's usage was last updated: Partner Center refreshes usage every few hours,
/// so this is the latest of the customer's update times (every 4 hours, at a per-customer
/// offset) before the sandbox's `now`, with 7 fractional digits.
fn last_modified(state: &SandboxState, customer: usize, now: DateTime<Utc>) -> String {
    const EVERY_TICKS: i64 = 4 * 3600 * 10_000_000;
    let offset = (hash(&[state.data.seed, 0x1A57, customer as u64]) % EVERY_TICKS as u64) as i64;
    let ticks_now = now.timestamp_micros() * 10;
    let latest = (ticks_now - offset).div_euclid(EVERY_TICKS) * EVERY_TICKS + offset;
    let at = DateTime::from_timestamp_micros(latest / 10).unwrap_or(now)
        + chrono::Duration::nanoseconds(latest % 10 * 100);
    ticks(at)
}

/// Query parameters, looked up case-insensitively by name.
#[derive(Debug)]
struct Query(HashMap<String, String>);

impl Query {
    fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(req.query_string())?;
        Ok(Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v))
                .collect(),
        ))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(&name.to_lowercase()).map(String::as_str)
    }
}

fn serde_urlencoded_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    web::Query::<Vec<(String, String)>>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|err| ApiError::InvalidInput(format!("query string: {err}")))
}

/// The `MS-ContinuationToken` request header.
fn continuation_header(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("ms-continuationtoken")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
}
