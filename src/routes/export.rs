//! CSV downloads: the dashboard's customers (with its filter and sort, every matching row),
//! a customer's subscriptions and budget changes, and a subscription's resources and meters. UTF-8 with a header
//! row; amounts are exact plain decimals (no grouping, as Partner Center gave them) beside a
//! currency column; times are RFC 3339 UTC. Any signed-in user may export what they may see.
//!
//! Names come from customers (company, subscription, resource, resource group names), so a
//! cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) is written with a leading `'` (OWASP's rule for CSV injection). Numbers
//! are written by us as plain decimals and never prefixed.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

use super::csv_download::csv_response;
use super::dashboard_query::DashboardParams;
use super::extract::{SubscriptionPath, known_subscription};
use super::extract::{known_customer, parse_customer_id};
use super::subscription::{first_fetch_error, load_summary};
use crate::auth::{CurrentUser, SessionUser, delegated_token};
use crate::error::AppError;
use crate::paths;
use crate::refresh;
use crate::state::AppState;

/// An exact amount or quantity as a plain decimal.
fn decimal(value: Decimal) -> String {
    value.to_string()
}

/// An optional amount or quantity; empty when absent.
fn optional_decimal(value: Option<Decimal>) -> String {
    value.map(decimal).unwrap_or_default()
}

/// A UTC time in RFC 3339, to the second.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `GET /customers.csv?q=..&status=..&owner=..&sort=..&dir=..`: every customer matching the
/// dashboard's filter, in its order (the `page` parameter is ignored), with the dashboard's
/// columns including the month-end projection and the UTC day the budget is (projected to
/// be) crossed.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn customers(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    params: web::Query<DashboardParams>,
) -> Result<HttpResponse, AppError> {
    let me = user.sign_in_name();
    let chosen =
        crate::portfolios::chosen(&state.store, me.as_ref(), params.owner.as_deref()).await?;
    let query = crate::store::DashboardQuery {
        page: 1,
        ..params.query(u32::MAX, &chosen)
    };
    let rows = state.store.dashboard_page(&query).await?.rows;
    csv_response(
        &format!("customers-{}.csv", Utc::now().format("%Y-%m-%d")),
        &[
            "customer_id",
            "company_name",
            "domain",
            "plan",
            "currency",
            "spend",
            "usd_spend",
            "budget",
            "percent_used",
            "status",
            "projected_spend",
            "budget_crossing_day",
            "last_modified",
            "data_as_of",
        ],
        rows.iter().map(|s| {
            [
                s.customer_id.to_string(),
                s.company_name.clone(),
                s.domain.clone().unwrap_or_default(),
                if s.is_azure_plan {
                    "azure_plan"
                } else {
                    "legacy"
                }
                .to_owned(),
                s.currency.code().to_owned(),
                decimal(s.total_cost),
                optional_decimal(s.usd_total_cost),
                optional_decimal(s.budget),
                optional_decimal(s.percent_used),
                s.status.key().to_owned(),
                optional_decimal(s.forecast.as_ref().map(|f| f.projected_total)),
                s.forecast
                    .as_ref()
                    .and_then(|f| f.crosses_budget_on)
                    .map(|day| day.to_string())
                    .unwrap_or_default(),
                time(s.last_modified),
                time(s.fetched_at),
            ]
        }),
    )
}

/// `GET /customers/{id}/budget-changes.csv`: every budget change attempt of the customer made
/// through Spendboard, newest first, with its outcome (`pending` while it is being checked),
/// what Partner Center held when it was decided, and the `MS-RequestId` of the PATCH.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %crate::telemetry::untrusted(&path)))]
pub async fn budget_changes(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_customer_id(&path)?;
    known_customer(&state, &id).await?;
    let rows = state.store.budget_changes_for_customer(&id, 0).await?;
    csv_response(
        &format!("budget-changes-{id}.csv"),
        &[
            "requested_at",
            "user_id",
            "user_name",
            "customer_id",
            "company_name",
            "currency",
            "seen_amount",
            "new_amount",
            "reason",
            "outcome",
            "decided_at",
            "decided_by",
            "held_amount",
            "error_code",
            "detail",
            "partner_center_request_id",
        ],
        rows.iter().map(|r| {
            let i = &r.intent;
            let decision = r.decision.as_ref();
            let held = decision.and_then(|(_, d)| d.held);
            [
                time(i.requested_at),
                i.user_id.to_string(),
                i.user_name.clone(),
                id.to_string(),
                i.customer_name.clone(),
                i.currency.code().to_owned(),
                optional_decimal(i.seen_amount),
                optional_decimal(i.new_amount),
                i.reason.clone().unwrap_or_default(),
                decision
                    .map_or("pending", |(_, d)| d.outcome.key())
                    .to_owned(),
                decision.map(|(at, _)| time(*at)).unwrap_or_default(),
                decision.map_or("", |(_, d)| d.decided_by.key()).to_owned(),
                match held {
                    Some(Some(amount)) => decimal(amount),
                    Some(None) => "none".to_owned(),
                    None => String::new(),
                },
                decision
                    .and_then(|(_, d)| d.error_code.clone())
                    .unwrap_or_default(),
                decision
                    .and_then(|(_, d)| d.detail.clone())
                    .unwrap_or_default(),
                if i.request_id.is_nil() {
                    String::new()
                } else {
                    i.request_id.to_string()
                },
            ]
        }),
    )
}

/// `GET /customers/{id}/subscriptions.csv`: the customer's subscriptions' usage records,
/// fetched from Partner Center first if the customer's details were never read.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %crate::telemetry::untrusted(&path)))]
pub async fn subscriptions(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_customer_id(&path)?;
    let snapshot = known_customer(&state, &id).await?;
    if state.store.customer_usage_summary(&id).await?.is_none() {
        let return_to = paths::customer(&id);
        let token = delegated_token(&state, user.id, &return_to).await?;
        refresh::refresh_customer(&state, &token, &id)
            .await
            .map_err(|e| first_fetch_error(e, &return_to))?;
    }
    let rows = state.store.subscription_usage(&id).await?;
    csv_response(
        &format!("subscriptions-{id}.csv"),
        &[
            "customer_id",
            "company_name",
            "subscription_id",
            "name",
            "offer_id",
            "status",
            "currency",
            "spend",
            "usd_spend",
            "last_modified",
            "data_as_of",
        ],
        rows.iter().map(|s| {
            [
                id.to_string(),
                snapshot.company_name.clone(),
                s.subscription_id.clone(),
                s.name.clone(),
                s.offer_id.clone(),
                s.status.clone(),
                s.currency.code().to_owned(),
                decimal(s.total_cost),
                optional_decimal(s.usd_total_cost),
                time(s.last_modified),
                time(s.fetched_at),
            ]
        }),
    )
}

/// `GET /customers/{id}/subscriptions/{subscription_id}/resources.csv`: the subscription's
/// resource usage records, most expensive first.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %path.0, subscription = %path.1))]
pub async fn resources(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    path: SubscriptionPath,
) -> Result<HttpResponse, AppError> {
    subscription_table(&state, &user, path, SubscriptionTable::Resources).await
}

/// `GET /customers/{id}/subscriptions/{subscription_id}/meters.csv`: the subscription's
/// meter usage records by category, subcategory and meter name; quantities exact.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %path.0, subscription = %path.1))]
pub async fn meters(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    path: SubscriptionPath,
) -> Result<HttpResponse, AppError> {
    subscription_table(&state, &user, path, SubscriptionTable::Meters).await
}

/// The tables of a subscription's drill-down that can be exported.
#[derive(Debug, Clone, Copy)]
enum SubscriptionTable {
    Resources,
    Meters,
}

/// A subscription's resources or meters as CSV, each row dated by the drill-down's read
/// (fetched first, like the page, when Spendboard has none yet).
async fn subscription_table(
    state: &web::Data<AppState>,
    user: &SessionUser,
    path: SubscriptionPath,
    table: SubscriptionTable,
) -> Result<HttpResponse, AppError> {
    let (snapshot, subscription) = known_subscription(state, path).await?;
    let customer = snapshot.customer_id;
    let summary = load_summary(state, user, &customer, &subscription).await?;
    let as_of = time(summary.fetched_at);
    let id = subscription.to_string();
    match table {
        SubscriptionTable::Resources => {
            let rows = state.store.resource_usage(&customer, &subscription).await?;
            csv_response(
                &format!("resources-{id}.csv"),
                &[
                    "subscription_id",
                    "entitlement_id",
                    "entitlement_name",
                    "resource_group",
                    "resource_name",
                    "resource_type",
                    "resource_uri",
                    "currency",
                    "spend",
                    "usd_spend",
                    "last_modified",
                    "data_as_of",
                ],
                rows.iter().map(|r| {
                    [
                        id.clone(),
                        r.entitlement_id.clone().unwrap_or_default(),
                        r.entitlement_name.clone().unwrap_or_default(),
                        r.resource_group.clone().unwrap_or_default(),
                        r.resource_name.clone().unwrap_or_default(),
                        r.resource_type.clone().unwrap_or_default(),
                        r.resource_uri.clone().unwrap_or_default(),
                        r.currency.code().to_owned(),
                        decimal(r.total_cost),
                        optional_decimal(r.usd_total_cost),
                        time(r.last_modified),
                        as_of.clone(),
                    ]
                }),
            )
        }
        SubscriptionTable::Meters => {
            let rows = state.store.meter_usage(&customer, &subscription).await?;
            csv_response(
                &format!("meters-{id}.csv"),
                &[
                    "subscription_id",
                    "category",
                    "subcategory",
                    "meter_name",
                    "meter_id",
                    "quantity",
                    "unit",
                    "currency",
                    "spend",
                    "usd_spend",
                    "last_modified",
                    "data_as_of",
                ],
                rows.iter().map(|m| {
                    [
                        id.clone(),
                        m.category.clone().unwrap_or_default(),
                        m.subcategory.clone().unwrap_or_default(),
                        m.meter_name.clone().unwrap_or_default(),
                        m.meter_id.clone().unwrap_or_default(),
                        optional_decimal(m.quantity),
                        m.unit.clone().unwrap_or_default(),
                        m.currency.code().to_owned(),
                        decimal(m.total_cost),
                        optional_decimal(m.usd_total_cost),
                        time(m.last_modified),
                        as_of.clone(),
                    ]
                }),
            )
        }
    }
}
