//! CSV downloads: the dashboard's customers (with its filter and sort, every matching row),
//! a customer's subscriptions and budget changes, and a subscription's resources and meters. UTF-8 with a header
//! row; amounts are exact plain decimals (no grouping, as Partner Center gave them) beside a
//! currency column; times are RFC 3339 UTC. Any signed-in user may export what they may see.
//!
//! Each export's rows are a struct whose field names (`#[serde(rename)]`) are the header;
//! cells a spreadsheet would read as a formula are neutralised (see [`csv_rows`]).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::csv_download::csv_rows;
use super::customer_page::{customer_details, subscription_summary};
use super::dashboard_query::DashboardParams;
use super::extract::{CustomerPath, SubscriptionPath, known_customer, known_subscription};
use super::session::CurrentUser;
use crate::auth::SessionUser;
use crate::domain::Money;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{
    BudgetChangeRecord, CustomerSnapshot, MeterUsage, ResourceUsage, SubscriptionUsage,
};

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
    let ownership = state.store.current_ownership(&state.ownership).await?;
    let chosen = crate::portfolios::chosen(&ownership, me.as_ref(), params.owner.as_deref());
    let query = crate::store::DashboardQuery {
        page: 1,
        ..params.query(u32::MAX, &chosen)
    };
    let rows = state.store.dashboard_page(&query).await?.rows;
    let rows: Vec<_> = rows.iter().map(CustomerCsvRow::of).collect();
    csv_rows(
        &format!("customers-{}.csv", Utc::now().format("%Y-%m-%d")),
        &rows,
    )
}

/// A customer of the dashboard's export.
#[derive(Debug, Default, Serialize)]
struct CustomerCsvRow<'a> {
    customer_id: String,
    company_name: &'a str,
    domain: Option<&'a str>,
    /// `azure_plan` or `legacy`.
    plan: &'static str,
    currency: &'a str,
    spend: Decimal,
    usd_spend: Option<Decimal>,
    budget: Option<Decimal>,
    percent_used: Option<Decimal>,
    status: &'static str,
    projected_spend: Option<Decimal>,
    budget_crossing_day: Option<NaiveDate>,
    last_modified: String,
    data_as_of: String,
}

impl<'a> CustomerCsvRow<'a> {
    fn of(s: &'a CustomerSnapshot) -> Self {
        Self {
            customer_id: s.customer_id.to_string(),
            company_name: &s.company_name,
            domain: s.domain.as_deref(),
            plan: if s.is_azure_plan {
                "azure_plan"
            } else {
                "legacy"
            },
            currency: s.currency().code(),
            spend: s.total_cost.amount(),
            usd_spend: s.usd_total_cost.as_ref().map(Money::amount),
            budget: s.budget.as_ref().map(Money::amount),
            percent_used: s.percent_used,
            status: s.status.key(),
            projected_spend: s.forecast.as_ref().map(|f| f.projected_total.amount()),
            budget_crossing_day: s.forecast.as_ref().and_then(|f| f.crosses_budget_on),
            last_modified: time(s.last_modified),
            data_as_of: time(s.fetched_at),
        }
    }
}

/// `GET /customers/{id}/budget-changes.csv`: every budget change attempt of the customer made
/// through Spendboard, newest first, with its outcome (`pending` while it is being checked),
/// what Partner Center held when it was decided, and the `MS-RequestId` of the PATCH.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %id))]
pub async fn budget_changes(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    CustomerPath(id): CustomerPath,
) -> Result<HttpResponse, AppError> {
    known_customer(&state, &id).await?;
    let records = state.store.budget_changes_for_customer(&id, 0).await?;
    let rows: Vec<_> = records.iter().map(BudgetChangeCsvRow::of).collect();
    csv_rows(&format!("budget-changes-{id}.csv"), &rows)
}

/// A budget change attempt of the customer's export.
#[derive(Debug, Default, Serialize)]
struct BudgetChangeCsvRow<'a> {
    requested_at: String,
    user_id: String,
    user_name: &'a str,
    customer_id: String,
    company_name: &'a str,
    currency: &'a str,
    seen_amount: Option<Decimal>,
    new_amount: Option<Decimal>,
    reason: Option<&'a str>,
    /// The outcome's key; `pending` while it is being checked.
    outcome: &'static str,
    decided_at: Option<String>,
    decided_by: &'static str,
    /// What Partner Center held when it was decided: an amount, `none`, or empty if unknown.
    held_amount: String,
    error_code: Option<&'a str>,
    detail: Option<&'a str>,
    /// Empty for changes that sent no request.
    partner_center_request_id: String,
}

impl<'a> BudgetChangeCsvRow<'a> {
    fn of(r: &'a BudgetChangeRecord) -> Self {
        let i = &r.intent;
        let decided = r.decision.as_ref();
        let decision = decided.map(|(_, d)| d);
        Self {
            requested_at: time(i.requested_at),
            user_id: i.user_id.to_string(),
            user_name: &i.user_name,
            customer_id: i.customer_id.to_string(),
            company_name: &i.customer_name,
            currency: i.currency.code(),
            seen_amount: i.seen_amount.as_ref().map(Money::amount),
            new_amount: i.new_amount.as_ref().map(Money::amount),
            reason: i.reason.as_deref(),
            outcome: decision.map_or("pending", |d| d.outcome.key()),
            decided_at: decided.map(|(at, _)| time(*at)),
            decided_by: decision.map_or("", |d| d.decided_by.key()),
            held_amount: match decision.and_then(|d| d.held.as_ref()) {
                Some(Some(amount)) => amount.amount().to_string(),
                Some(None) => "none".to_owned(),
                None => String::new(),
            },
            error_code: decision.and_then(|d| d.error_code.as_deref()),
            detail: decision.and_then(|d| d.detail.as_deref()),
            partner_center_request_id: if i.request_id.is_nil() {
                String::new()
            } else {
                i.request_id.to_string()
            },
        }
    }
}

/// `GET /customers/{id}/subscriptions.csv`: the customer's subscriptions' usage records,
/// fetched from Partner Center first if the customer's details were never read.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %id))]
pub async fn subscriptions(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    CustomerPath(id): CustomerPath,
) -> Result<HttpResponse, AppError> {
    let snapshot = known_customer(&state, &id).await?;
    customer_details(&state, &user, id).await?;
    let usage = state.store.subscription_usage(&id).await?;
    let rows: Vec<_> = (usage.iter())
        .map(|s| SubscriptionCsvRow::of(&snapshot, s))
        .collect();
    csv_rows(&format!("subscriptions-{id}.csv"), &rows)
}

/// A subscription of the customer's export.
#[derive(Debug, Default, Serialize)]
struct SubscriptionCsvRow<'a> {
    customer_id: String,
    company_name: &'a str,
    subscription_id: &'a str,
    name: &'a str,
    offer_id: &'a str,
    status: &'a str,
    currency: &'a str,
    spend: Decimal,
    usd_spend: Option<Decimal>,
    last_modified: String,
    data_as_of: String,
}

impl<'a> SubscriptionCsvRow<'a> {
    fn of(customer: &'a CustomerSnapshot, s: &'a SubscriptionUsage) -> Self {
        Self {
            customer_id: customer.customer_id.to_string(),
            company_name: &customer.company_name,
            subscription_id: &s.subscription_id,
            name: &s.name,
            offer_id: &s.offer_id,
            status: &s.status,
            currency: s.total_cost.currency().code(),
            spend: s.total_cost.amount(),
            usd_spend: s.usd_total_cost.as_ref().map(Money::amount),
            last_modified: time(s.last_modified),
            data_as_of: time(s.fetched_at),
        }
    }
}

/// `GET /customers/{id}/subscriptions/{subscription_id}/resources.csv`: the subscription's
/// resource usage records, most expensive first, each dated by the drill-down's read
/// (fetched first, like the page, when Spendboard has none yet).
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %path.0, subscription = %path.1))]
pub async fn resources(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    path: SubscriptionPath,
) -> Result<HttpResponse, AppError> {
    let (customer, subscription, as_of) = drilldown(&state, &user, path).await?;
    let records = state.store.resource_usage(&customer, &subscription).await?;
    let id = subscription.to_string();
    let rows: Vec<_> = (records.iter())
        .map(|r| ResourceCsvRow::of(&id, r, &as_of))
        .collect();
    csv_rows(&format!("resources-{id}.csv"), &rows)
}

/// `GET /customers/{id}/subscriptions/{subscription_id}/meters.csv`: the subscription's
/// meter usage records by category, subcategory and meter name; quantities exact; dated as
/// the resources are.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %path.0, subscription = %path.1))]
pub async fn meters(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    path: SubscriptionPath,
) -> Result<HttpResponse, AppError> {
    let (customer, subscription, as_of) = drilldown(&state, &user, path).await?;
    let records = state.store.meter_usage(&customer, &subscription).await?;
    let id = subscription.to_string();
    let rows: Vec<_> = (records.iter())
        .map(|m| MeterCsvRow::of(&id, m, &as_of))
        .collect();
    csv_rows(&format!("meters-{id}.csv"), &rows)
}

/// The subscription of a known customer, and when its drill-down was read (fetched first
/// when Spendboard has none yet).
async fn drilldown(
    state: &web::Data<AppState>,
    user: &SessionUser,
    path: SubscriptionPath,
) -> Result<
    (
        crate::domain::CustomerId,
        crate::domain::SubscriptionId,
        String,
    ),
    AppError,
> {
    let (snapshot, subscription) = known_subscription(state, path).await?;
    let customer = snapshot.customer_id;
    let summary = subscription_summary(state, user, customer, subscription).await?;
    Ok((customer, subscription, time(summary.fetched_at)))
}

/// A resource of the subscription's export.
#[derive(Debug, Default, Serialize)]
struct ResourceCsvRow<'a> {
    subscription_id: &'a str,
    entitlement_id: Option<&'a str>,
    entitlement_name: Option<&'a str>,
    resource_group: Option<&'a str>,
    resource_name: Option<&'a str>,
    resource_type: Option<&'a str>,
    resource_uri: Option<&'a str>,
    currency: &'a str,
    spend: Decimal,
    usd_spend: Option<Decimal>,
    last_modified: String,
    data_as_of: &'a str,
}

impl<'a> ResourceCsvRow<'a> {
    fn of(subscription: &'a str, r: &'a ResourceUsage, as_of: &'a str) -> Self {
        Self {
            subscription_id: subscription,
            entitlement_id: r.entitlement_id.as_deref(),
            entitlement_name: r.entitlement_name.as_deref(),
            resource_group: r.resource_group.as_deref(),
            resource_name: r.resource_name.as_deref(),
            resource_type: r.resource_type.as_deref(),
            resource_uri: r.resource_uri.as_deref(),
            currency: r.total_cost.currency().code(),
            spend: r.total_cost.amount(),
            usd_spend: r.usd_total_cost.as_ref().map(Money::amount),
            last_modified: time(r.last_modified),
            data_as_of: as_of,
        }
    }
}

/// A meter of the subscription's export.
#[derive(Debug, Default, Serialize)]
struct MeterCsvRow<'a> {
    subscription_id: &'a str,
    category: Option<&'a str>,
    subcategory: Option<&'a str>,
    meter_name: Option<&'a str>,
    meter_id: Option<&'a str>,
    quantity: Option<Decimal>,
    unit: Option<&'a str>,
    currency: &'a str,
    spend: Decimal,
    usd_spend: Option<Decimal>,
    last_modified: String,
    data_as_of: &'a str,
}

impl<'a> MeterCsvRow<'a> {
    fn of(subscription: &'a str, m: &'a MeterUsage, as_of: &'a str) -> Self {
        Self {
            subscription_id: subscription,
            category: m.category.as_deref(),
            subcategory: m.subcategory.as_deref(),
            meter_name: m.meter_name.as_deref(),
            meter_id: m.meter_id.as_deref(),
            quantity: m.quantity,
            unit: m.unit.as_deref(),
            currency: m.total_cost.currency().code(),
            spend: m.total_cost.amount(),
            usd_spend: m.usd_total_cost.as_ref().map(Money::amount),
            last_modified: time(m.last_modified),
            data_as_of: as_of,
        }
    }
}
