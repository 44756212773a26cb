//! `GET /customers/{id}/subscriptions/{subscription_id}`: why a subscription spends what it
//! spends. Its drill-down is read from the store; fetched from Partner Center first when
//! Spendboard has none yet, and in the background when stale.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use rust_decimal::Decimal;

use super::extract::{SubscriptionPath, known_subscription};
use crate::auth::{CurrentUser, SessionUser, TypedSession, delegated_token};
use crate::domain::{Currency, CustomerId, Money, SubscriptionId};
use crate::error::AppError;
use crate::pages::{
    CategoryView, EntitlementView, Layout, MeterView, ResourceGroupView, ResourceView,
    SubscriptionPage, TopResourceView, UtilizationDay, UtilizationRow, UtilizationView,
    format_percent, format_utc,
};
use crate::partner_center::PartnerCenterError;
use crate::paths;
use crate::refresh;
use crate::state::AppState;
use crate::store::{MeterUsage, ResourceUsage, SubscriptionSummary, UtilizationRecord};

/// How many resources "top resources" lists.
const TOP_RESOURCES: usize = 10;

/// The subscription's stored summary (its resources and meters are stored with it). Fetches
/// the drill-down from Partner Center first when Spendboard has none yet; starts a background
/// refresh when it is stale, or when a legacy subscription's daily quantities were not
/// available yet.
///
/// # Errors
/// [`AppError::NotFound`] when Partner Center knows no such subscription of the customer,
/// [`AppError::SignInRequired`] when the Partner Center token is missing or refused, other
/// Partner Center and database failures.
pub async fn load_summary(
    state: &web::Data<AppState>,
    user: &SessionUser,
    customer: &CustomerId,
    subscription: &SubscriptionId,
) -> Result<SubscriptionSummary, AppError> {
    let return_to = paths::subscription(customer, subscription);
    let stale_after = Duration::minutes(state.settings.refresh.stale_after_minutes);
    if let Some(summary) = state
        .store
        .subscription_summary(customer, subscription)
        .await?
    {
        let incomplete = summary.is_legacy && summary.utilization_fetched_at.is_none();
        if incomplete || Utc::now() - summary.fetched_at > stale_after {
            let token = delegated_token(state, user.id, &return_to).await?;
            refresh::spawn_subscription_refresh(state.clone(), token, *customer, *subscription);
        }
        return Ok(summary);
    }
    let token = delegated_token(state, user.id, &return_to).await?;
    refresh::refresh_subscription(state, &token, customer, subscription)
        .await
        .map_err(|e| first_fetch_error(e, &return_to))?;
    state
        .store
        .subscription_summary(customer, subscription)
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the fetched summary was not stored")))
}

/// How a failed first fetch of a page's data is shown: Partner Center's 401 sends the user
/// to sign in again (back to `return_to`), its 404 is ours, other refusals are shown as
/// Partner Center's.
pub fn first_fetch_error(error: anyhow::Error, return_to: &str) -> AppError {
    match error.downcast::<PartnerCenterError>() {
        Ok(pc) if pc.is_unauthorized() => AppError::SignInRequired {
            return_to: return_to.to_owned(),
        },
        Ok(pc) if pc.is_not_found() => AppError::NotFound(format!(
            "Partner Center knows no such subscription or customer: {}",
            pc.user_message()
        )),
        Ok(pc) => AppError::PartnerCenter(pc),
        Err(other) => AppError::Unexpected(other),
    }
}

/// The subscription page.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %path.0, subscription = %path.1))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: SubscriptionPath,
) -> Result<HttpResponse, AppError> {
    let (snapshot, subscription) = known_subscription(&state, path).await?;
    let customer = snapshot.customer_id;
    let summary = load_summary(&state, &user, &customer, &subscription).await?;
    let resources = state.store.resource_usage(&customer, &subscription).await?;
    let meters = state.store.meter_usage(&customer, &subscription).await?;
    let daily = if summary.is_legacy {
        Some(UtilizationView {
            as_of: summary.utilization_fetched_at.map(format_utc),
            days: utilization_days(&state.store.utilization(&customer, &subscription).await?),
        })
    } else {
        None
    };
    let currency = &summary.currency;
    let money = |amount: Decimal| Money::new(amount, currency.clone()).to_string();
    let stale_after = Duration::minutes(state.settings.refresh.stale_after_minutes);
    let page = SubscriptionPage {
        layout: Layout::for_user(&user, session.take_flash(), state.settings.is_demo()),
        customer_name: snapshot.company_name.clone(),
        customer_url: paths::customer(&customer),
        name: if summary.name.is_empty() {
            subscription.to_string()
        } else {
            summary.name.clone()
        },
        subscription_id: subscription.to_string(),
        plan: if summary.is_legacy {
            "Legacy (MS-AZR-0145P)"
        } else {
            "Azure plan"
        },
        currency: currency.code().to_owned(),
        billing_period: format!(
            "{} to {}",
            summary.billing_start.format("%Y-%m-%d"),
            (summary.billing_end - Duration::days(1)).format("%Y-%m-%d")
        ),
        spend: money(summary.total_cost),
        usd_spend: summary
            .usd_total_cost
            .filter(|_| !summary.is_legacy && *currency != Currency::usd())
            .map(|usd| Money::new(usd, Currency::usd()).to_string()),
        data_as_of: format_utc(summary.fetched_at),
        last_modified: format_utc(summary.last_modified),
        stale: Utc::now() - summary.fetched_at > stale_after,
        resources_total: money(sum(resources.iter().map(|r| r.total_cost))),
        resources_csv: paths::resources_csv(&customer, &subscription),
        meters_csv: paths::meters_csv(&customer, &subscription),
        regions_url: paths::subscription_regions(&customer, &subscription),
        entitlements: entitlements(&resources, currency),
        top_resources: top_resources(&resources, summary.total_cost, currency),
        categories: categories(&meters, currency),
        daily,
    };
    let html = page.render().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// An exact sum (saturating at the decimal range, far beyond any spend).
fn sum(amounts: impl Iterator<Item = Decimal>) -> Decimal {
    amounts.fold(Decimal::ZERO, Decimal::saturating_add)
}

/// Items grouped by `key` (missing keys as `missing`), the groups with their exact
/// subtotals, most expensive first (ties by name); items keep their order within a group.
fn group_by<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    key: impl Fn(&T) -> Option<&str>,
    cost: impl Fn(&T) -> Decimal,
    missing: &str,
) -> Vec<(String, Decimal, Vec<&'a T>)> {
    let mut groups: Vec<(String, Decimal, Vec<&T>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let name = key(item)
            .filter(|k| !k.trim().is_empty())
            .unwrap_or(missing)
            .to_owned();
        let at = *index.entry(name.clone()).or_insert_with(|| {
            groups.push((name, Decimal::ZERO, Vec::new()));
            groups.len() - 1
        });
        groups[at].1 = groups[at].1.saturating_add(cost(item));
        groups[at].2.push(item);
    }
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups
}

fn resource_name(r: &ResourceUsage) -> String {
    r.resource_name
        .clone()
        .or_else(|| r.resource_uri.clone())
        .unwrap_or_else(|| "(unnamed resource)".to_owned())
}

/// Resources by entitlement (Azure subscription), then resource group, with subtotals.
fn entitlements(resources: &[ResourceUsage], currency: &Currency) -> Vec<EntitlementView> {
    let money = |amount| Money::new(amount, currency.clone()).to_string();
    group_by(
        resources,
        |r| r.entitlement_id.as_deref(),
        |r| r.total_cost,
        "",
    )
    .into_iter()
    .map(|(id, subtotal, members)| EntitlementView {
        name: members
            .iter()
            .find_map(|r| r.entitlement_name.clone())
            .unwrap_or_else(|| "Azure subscription not given".to_owned()),
        id,
        subtotal: money(subtotal),
        resource_count: members.len(),
        groups: group_by(
            members.iter().copied(),
            |r| r.resource_group.as_deref(),
            |r| r.total_cost,
            "(none)",
        )
        .into_iter()
        .map(|(name, subtotal, members)| ResourceGroupView {
            name,
            subtotal: money(subtotal),
            resources: members
                .iter()
                .map(|r| ResourceView {
                    name: resource_name(r),
                    resource_type: r.resource_type.clone().unwrap_or_default(),
                    uri: r.resource_uri.clone().unwrap_or_default(),
                    spend: money(r.total_cost),
                })
                .collect(),
        })
        .collect(),
    })
    .collect()
}

/// The most expensive resources (`resources` come most expensive first) and their share of
/// the subscription's `total`.
fn top_resources(
    resources: &[ResourceUsage],
    total: Decimal,
    currency: &Currency,
) -> Vec<TopResourceView> {
    resources
        .iter()
        .take(TOP_RESOURCES)
        .enumerate()
        .map(|(i, r)| TopResourceView {
            rank: i + 1,
            name: resource_name(r),
            group: r.resource_group.clone().unwrap_or_default(),
            entitlement: r
                .entitlement_name
                .clone()
                .or_else(|| r.entitlement_id.clone())
                .unwrap_or_default(),
            spend: Money::new(r.total_cost, currency.clone()).to_string(),
            share: share(r.total_cost, total),
        })
        .collect()
}

/// `part` as a percentage of `whole` with one decimal, e.g. `12.3 %`; `–` for a zero whole.
fn share(part: Decimal, whole: Decimal) -> String {
    if whole.is_zero() {
        return "–".to_owned();
    }
    part.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|p| p.checked_div(whole))
        .map_or_else(|| "–".to_owned(), format_percent)
}

/// Meters by category with subtotals, most expensive first.
fn categories(meters: &[MeterUsage], currency: &Currency) -> Vec<CategoryView> {
    let money = |amount| Money::new(amount, currency.clone()).to_string();
    group_by(
        meters,
        |m| m.category.as_deref(),
        |m| m.total_cost,
        "(no category)",
    )
    .into_iter()
    .map(|(name, subtotal, mut members)| {
        members.sort_by_key(|m| std::cmp::Reverse(m.total_cost));
        CategoryView {
            name,
            subtotal: money(subtotal),
            meters: members
                .iter()
                .map(|m| MeterView {
                    name: m
                        .meter_name
                        .clone()
                        .or_else(|| m.meter_id.clone())
                        .unwrap_or_default(),
                    subcategory: m.subcategory.clone().unwrap_or_default(),
                    quantity: m.quantity.map(quantity).unwrap_or_default(),
                    unit: m.unit.clone().unwrap_or_default(),
                    spend: money(m.total_cost),
                })
                .collect(),
        }
    })
    .collect()
}

/// A quantity for people: at most 4 decimals, no trailing zeros (exact in the CSV).
fn quantity(q: Decimal) -> String {
    q.round_dp(4).normalize().to_string()
}

/// The records (newest day first) by day, in their order.
fn utilization_days(records: &[UtilizationRecord]) -> Vec<UtilizationDay> {
    let mut days: Vec<UtilizationDay> = Vec::new();
    for record in records {
        let day = record.day.to_string();
        match days.last_mut() {
            Some(last) if last.day == day => last.rows.push(utilization_row(record)),
            _ => days.push(UtilizationDay {
                day,
                rows: vec![utilization_row(record)],
            }),
        }
    }
    days
}

fn utilization_row(r: &UtilizationRecord) -> UtilizationRow {
    UtilizationRow {
        resource: r
            .resource_name
            .clone()
            .or_else(|| r.resource_uri.clone())
            .unwrap_or_default(),
        group: r.resource_group.clone().unwrap_or_default(),
        meter: r.meter_name.clone().unwrap_or_else(|| r.meter_id.clone()),
        category: r.category.clone().unwrap_or_default(),
        quantity: quantity(r.quantity),
        unit: r.unit.clone().unwrap_or_default(),
        tags: r
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn resource(
        entitlement: Option<&str>,
        group: Option<&str>,
        name: &str,
        cost: &str,
    ) -> ResourceUsage {
        ResourceUsage {
            entitlement_id: entitlement.map(str::to_owned),
            entitlement_name: entitlement.map(|e| format!("Name of {e}")),
            resource_group: group.map(str::to_owned),
            resource_type: Some("Microsoft.Compute".to_owned()),
            resource_uri: None,
            resource_name: Some(name.to_owned()),
            total_cost: d(cost),
            usd_total_cost: None,
            currency: Currency::parse("EUR").unwrap(),
            last_modified: Utc::now(),
        }
    }

    /// A resource group's name, subtotal and number of resources.
    type GroupShape = (String, String, usize);

    #[test]
    fn resources_are_grouped_by_entitlement_then_group_with_exact_subtotals() {
        let resources = [
            resource(Some("e1"), Some("rg-a"), "vm-1", "10.005"),
            resource(Some("e2"), Some("rg-b"), "vm-2", "50"),
            resource(Some("e1"), Some("rg-b"), "vm-3", "0.001"),
            resource(Some("e1"), Some("rg-a"), "vm-4", "1"),
            resource(None, None, "vm-5", "2"),
        ];
        let eur = Currency::parse("EUR").unwrap();
        let groups = entitlements(&resources, &eur);
        let shape: Vec<(String, String, Vec<GroupShape>)> = groups
            .iter()
            .map(|e| {
                (
                    e.id.clone(),
                    e.subtotal.clone(),
                    e.groups
                        .iter()
                        .map(|g| (g.name.clone(), g.subtotal.clone(), g.resources.len()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "e2".into(),
                    "50.00 EUR".into(),
                    vec![("rg-b".into(), "50.00 EUR".into(), 1)]
                ),
                (
                    "e1".into(),
                    "11.01 EUR".into(),
                    vec![
                        ("rg-a".into(), "11.01 EUR".into(), 2),
                        ("rg-b".into(), "0.00 EUR".into(), 1)
                    ]
                ),
                (
                    "".into(),
                    "2.00 EUR".into(),
                    vec![("(none)".into(), "2.00 EUR".into(), 1)]
                ),
            ]
        );
        assert_eq!(groups[1].name, "Name of e1");
        assert_eq!(groups[2].name, "Azure subscription not given");
        assert_eq!(groups[1].resource_count, 3);
    }

    #[test]
    fn shares_are_percentages_of_the_whole_and_a_dash_for_nothing() {
        assert_eq!(share(d("1"), d("3")), "33.3 %");
        assert_eq!(share(d("3"), d("3")), "100.0 %");
        assert_eq!(share(d("0"), d("0")), "–");
    }

    #[test]
    fn quantities_show_at_most_four_decimals() {
        assert_eq!(quantity(d("0.01129000")), "0.0113");
        assert_eq!(quantity(d("24.00000000")), "24");
    }
}
