//! The usage routes (docs/partner-center.md §2-§8): partner and customer usage summaries, the all-customers
//! usage records, and per-subscription records, summaries, resource and meter records.

use actix_web::{HttpResponse, web};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Spend, customer_index, subscription_index};
use crate::auth::DelegatedCaller;
use crate::data::catalog::{METERS, RESOURCE_GROUPS};
use crate::data::usage::{Totals, UsageBook};
use crate::data::{AZURE_PLAN_OFFER_ID, LEGACY_OFFER_ID, PARTNER_NAME, Plan, start_of_day};
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::wire::{Attributes, Budget, Collection, Links, Num, seconds};

/// `percentUsed`: cost ÷ budget × 100, two decimals; 0 without a (positive) budget.
fn percent_used(cost: Decimal, budget: Option<Decimal>) -> Decimal {
    match budget {
        Some(budget) if budget > Decimal::ZERO => {
            (cost * Decimal::ONE_HUNDRED / budget).round_dp(2)
        }
        _ => Decimal::ZERO,
    }
}

fn period_bounds(book: &UsageBook) -> (String, String) {
    (
        seconds(start_of_day(book.period.start)),
        seconds(start_of_day(book.period.end)),
    )
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PartnerUsageSummary {
    customers_over_budget: usize,
    customers_trending_over: usize,
    customers_with_usage_based_subscription: usize,
    resource_id: String,
    id: String,
    resource_name: &'static str,
    name: &'static str,
    billing_start_date: String,
    billing_end_date: String,
    total_cost: Num,
    currency_locale: &'static str,
    last_modified_date: String,
    links: Links,
    attributes: Attributes,
}

/// `GET /v1/usagesummary` (App+User). The total covers legacy customers only, converted to US
/// dollars (the partner's currency); the counts cover every customer.
pub async fn partner_summary(
    _caller: DelegatedCaller,
    state: web::Data<SandboxState>,
) -> HttpResponse {
    let book = state.usage();
    let now = state.clock.now();
    let budgets = state.budgets();
    let elapsed = Decimal::from((book.today - book.period.start).num_days() + 1);
    let days = Decimal::from(book.period.days());
    let (mut over, mut trending) = (0, 0);
    for (index, budget) in budgets.iter().enumerate() {
        let Some(budget) = budget else { continue };
        let cost = book.customer(index).cost;
        if cost >= *budget {
            over += 1;
        } else if cost * days / elapsed >= *budget {
            trending += 1;
        }
    }
    let (start, end) = period_bounds(&book);
    let tenant = state.partner_tenant().to_string();
    HttpResponse::Ok().json(PartnerUsageSummary {
        customers_over_budget: over,
        customers_trending_over: trending,
        customers_with_usage_based_subscription: state.data.customers.len(),
        resource_id: tenant.clone(),
        id: tenant,
        resource_name: PARTNER_NAME,
        name: PARTNER_NAME,
        billing_start_date: start,
        billing_end_date: end,
        total_cost: Num(book.partner_legacy_usd(&state.data)),
        currency_locale: "en-US",
        last_modified_date: crate::wire::ticks(now),
        links: Links::to_self("/usagesummary"),
        attributes: Attributes::of("PartnerUsageSummary"),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerMonthlyUsageRecord {
    budget: Budget,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_spending_budget: Option<Budget>,
    percent_used: Num,
    is_upgraded: bool,
    resource_id: String,
    id: String,
    resource_name: String,
    name: String,
    #[serde(flatten)]
    spend: Spend,
    attributes: Attributes,
}

/// `GET /v1/customers/usagerecords` (App+User): every customer in one page.
pub async fn customer_records(
    _caller: DelegatedCaller,
    state: web::Data<SandboxState>,
) -> HttpResponse {
    let book = state.usage();
    let now = state.clock.now();
    let budgets = state.budgets();
    let items = state
        .data
        .customers
        .iter()
        .enumerate()
        .map(|(index, customer)| {
            let totals = book.customer(index);
            let id = customer.id.to_string();
            let legacy = customer.plan == Plan::Legacy;
            CustomerMonthlyUsageRecord {
                budget: Budget::of(budgets[index]),
                // The documented sample carries this (undocumented) duplicate on legacy items.
                customer_spending_budget: legacy.then(|| Budget::of(budgets[index])),
                percent_used: Num(percent_used(totals.cost, budgets[index])),
                is_upgraded: !legacy,
                resource_id: id.clone(),
                id,
                resource_name: customer.name.clone(),
                name: customer.name.clone(),
                spend: Spend::of(&state, index, &totals, now),
                attributes: Attributes::of("CustomerMonthlyUsageRecord"),
            }
        })
        .collect();
    HttpResponse::Ok().json(Collection::single(items, "/customers/usagerecords"))
}

/// The fields of the usage summaries (`UsageSummaryBase`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    budget: Option<Budget>,
    resource_id: String,
    resource_name: String,
    billing_start_date: String,
    billing_end_date: String,
    #[serde(flatten)]
    spend: Spend,
    links: Links,
    attributes: Attributes,
}

/// `GET /v1/customers/{id}/usagesummary` (App+User).
pub async fn customer_summary(
    _caller: DelegatedCaller,
    path: web::Path<String>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path)?;
    let book = state.usage();
    let customer = &state.data.customers[index];
    let totals = book.customer(index);
    let (start, end) = period_bounds(&book);
    Ok(HttpResponse::Ok().json(UsageSummary {
        budget: Some(Budget::of(state.budget(index))),
        resource_id: customer.id.to_string(),
        resource_name: customer.name.clone(),
        billing_start_date: start,
        billing_end_date: end,
        spend: Spend::of(&state, index, &totals, state.clock.now()),
        links: Links::to_self(format!("/customers/{}/usagesummary", customer.id)),
        attributes: Attributes::of("CustomerUsageSummary"),
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionMonthlyUsageRecord {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    partner_on_record: Option<&'static str>,
    offer_id: &'static str,
    resource_id: String,
    id: String,
    resource_name: &'static str,
    name: &'static str,
    #[serde(flatten)]
    spend: Spend,
    attributes: Attributes,
}

fn offer_of(plan: Plan) -> (&'static str, &'static str) {
    match plan {
        Plan::Legacy => (LEGACY_OFFER_ID, "Microsoft Azure"),
        Plan::AzurePlan => (AZURE_PLAN_OFFER_ID, "Azure plan"),
    }
}

/// `GET /v1/customers/{id}/subscriptions/usagerecords` (App+User): one record per legacy
/// subscription or per Azure plan.
pub async fn subscription_records(
    _caller: DelegatedCaller,
    path: web::Path<String>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path)?;
    let book = state.usage();
    let now = state.clock.now();
    let customer = &state.data.customers[index];
    let (offer_id, offer_name) = offer_of(customer.plan);
    let items = customer
        .subscriptions
        .clone()
        .map(|s| {
            let totals = book.subscription(s);
            let id = state.data.subscriptions[s].id.to_string();
            SubscriptionMonthlyUsageRecord {
                status: "active",
                partner_on_record: (customer.plan == Plan::AzurePlan).then_some("4847383"),
                offer_id,
                resource_id: id.clone(),
                id,
                resource_name: offer_name,
                name: offer_name,
                spend: Spend::of(&state, index, &totals, now),
                attributes: Attributes::of("SubscriptionMonthlyUsageRecord"),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(Collection::single(
        items,
        format!("/customers/{}/subscriptions/usagerecords", customer.id),
    )))
}

/// `GET /v1/customers/{id}/subscriptions/{sid}/usagesummary` (App+User).
pub async fn subscription_summary(
    _caller: DelegatedCaller,
    path: web::Path<(String, String)>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path.0)?;
    let s = subscription_index(&state, index, &path.1)?;
    let book = state.usage();
    let customer = &state.data.customers[index];
    let subscription = &state.data.subscriptions[s];
    let totals = book.subscription(s);
    let (start, end) = period_bounds(&book);
    Ok(HttpResponse::Ok().json(UsageSummary {
        budget: None,
        resource_id: subscription.id.to_string(),
        resource_name: offer_of(customer.plan).1.to_string(),
        billing_start_date: start,
        billing_end_date: end,
        spend: Spend::of(&state, index, &totals, state.clock.now()),
        links: Links::to_self(format!(
            "/customers/{}/subscriptions/{}/usagesummary",
            customer.id, subscription.id
        )),
        attributes: Attributes::of("SubscriptionUsageSummary"),
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceUsageRecord {
    subscription_id: String,
    resource_uri: String,
    resource_type: &'static str,
    entitlement_id: String,
    entitlement_name: &'static str,
    resource_group_name: &'static str,
    name: String,
    resource_name: String,
    resource_id: String,
    #[serde(flatten)]
    spend: Spend,
    attributes: Attributes,
}

/// `GET /v1/customers/{id}/subscriptions/{sid}/resourceusagerecords` (App+User): one record
/// per resource, with its entitlement (Azure subscription).
pub async fn resource_records(
    _caller: DelegatedCaller,
    path: web::Path<(String, String)>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path.0)?;
    let s = subscription_index(&state, index, &path.1)?;
    let book = state.usage();
    let now = state.clock.now();
    let data = &state.data;
    let subscription = &data.subscriptions[s];
    let mut items = Vec::new();
    for e in subscription.entitlements.clone() {
        let entitlement = &data.entitlements[e];
        for r in entitlement.resources.clone() {
            let resource = &data.resources[r];
            let totals = book.resource(r);
            let name = data.resource_name(r);
            items.push(ResourceUsageRecord {
                subscription_id: subscription.id.to_string(),
                resource_uri: data.resource_uri(r),
                resource_type: METERS[resource.meter as usize].kind.provider,
                entitlement_id: entitlement.id.to_string(),
                entitlement_name: entitlement.name,
                resource_group_name: RESOURCE_GROUPS[resource.group as usize],
                name: name.clone(),
                resource_name: name,
                resource_id: data.resource_id(r).to_string(),
                spend: Spend::of(&state, index, &totals, now),
                attributes: Attributes::of("ResourceUsageRecord"),
            });
        }
    }
    Ok(HttpResponse::Ok().json(Collection::single(
        items,
        format!(
            "/customers/{}/subscriptions/{}/resourceusagerecords",
            data.customers[index].id, subscription.id
        ),
    )))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MeterUsageRecord {
    subscription_id: String,
    meter_id: &'static str,
    meter_name: &'static str,
    category: &'static str,
    subcategory: &'static str,
    quantity_used: Num,
    unit: &'static str,
    #[serde(flatten)]
    spend: Spend,
    attributes: Attributes,
}

/// `GET /v1/customers/{id}/subscriptions/{sid}/meterusagerecords` (App+User): one record per
/// meter, summed over the whole subscription (all entitlements of a plan).
pub async fn meter_records(
    _caller: DelegatedCaller,
    path: web::Path<(String, String)>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path.0)?;
    let s = subscription_index(&state, index, &path.1)?;
    let book = state.usage();
    let now = state.clock.now();
    let data = &state.data;
    let subscription = &data.subscriptions[s];
    let customer = &data.customers[index];
    let resources: Vec<usize> = subscription
        .entitlements
        .clone()
        .flat_map(|e| data.entitlements[e].resources.clone())
        .collect();
    let mut meters: Vec<usize> = resources
        .iter()
        .map(|r| data.resources[*r].meter as usize)
        .collect();
    meters.sort_unstable();
    meters.dedup();
    let items = meters
        .into_iter()
        .map(|m| {
            let meter = &METERS[m];
            let totals: Totals = book.sum_resources(
                resources
                    .iter()
                    .copied()
                    .filter(|r| data.resources[*r].meter as usize == m),
            );
            MeterUsageRecord {
                subscription_id: subscription.id.to_string(),
                meter_id: match customer.plan {
                    Plan::Legacy => meter.guid,
                    Plan::AzurePlan => meter.plan_id,
                },
                meter_name: meter.name,
                category: meter.category,
                subcategory: meter.subcategory,
                quantity_used: Num(totals.quantity),
                unit: meter.unit,
                spend: Spend::of(&state, index, &totals, now),
                attributes: Attributes::of("MeterUsageRecord"),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(Collection::single(
        items,
        format!(
            "/customers/{}/subscriptions/{}/meterusagerecords",
            customer.id, subscription.id
        ),
    )))
}
