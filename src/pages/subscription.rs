//! A subscription's page: its usage summary, resources grouped by Azure subscription
//! (entitlement) and resource group, the top resources, meters by category, and for a legacy
//! subscription the daily quantities. Amounts are display strings in the customer's currency.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use rust_decimal::Decimal;

use super::{Layout, billing_period, format_percent, format_utc, plan, usd_spend};
use crate::domain::{Currency, Money};
use crate::paths;
use crate::store::{
    CustomerSnapshot, MeterUsage, ResourceUsage, SubscriptionSummary, UtilizationRecord,
};

/// How many resources "top resources" lists.
const TOP_RESOURCES: usize = 10;

/// The subscription page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/subscription.html")]
pub struct SubscriptionPage {
    pub layout: Layout,
    pub customer_name: String,
    pub customer_url: String,
    /// Partner Center's name of the subscription, e.g. `Azure plan`.
    pub name: String,
    pub subscription_id: String,
    /// `Azure plan` or `Legacy (MS-AZR-0145P)`.
    pub plan: &'static str,
    pub currency: String,
    /// `2026-11-01 to 2026-11-30`.
    pub billing_period: String,
    pub spend: String,
    pub usd_spend: Option<String>,
    pub data_as_of: String,
    pub last_modified: String,
    /// Older than the refresh setting allows; a refresh was started in the background.
    pub stale: bool,
    /// The sum of the resources' spend, to compare with `spend`.
    pub resources_total: String,
    pub resources_csv: String,
    pub meters_csv: String,
    /// The subscription's meters compared across regions.
    pub regions_url: String,
    /// Most expensive first.
    pub entitlements: Vec<EntitlementView>,
    /// The most expensive resources, most expensive first.
    pub top_resources: Vec<TopResourceView>,
    /// Most expensive first.
    pub categories: Vec<CategoryView>,
    /// `Some` for a legacy subscription only.
    pub daily: Option<UtilizationView>,
}

/// The resources of one Azure subscription (entitlement), by resource group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementView {
    pub name: String,
    pub id: String,
    pub subtotal: String,
    pub resource_count: usize,
    /// Most expensive first.
    pub groups: Vec<ResourceGroupView>,
}

/// The resources of one resource group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGroupView {
    pub name: String,
    pub subtotal: String,
    /// Most expensive first.
    pub resources: Vec<ResourceView>,
}

/// One resource's spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceView {
    pub name: String,
    pub resource_type: String,
    pub uri: String,
    pub spend: String,
}

/// One of the most expensive resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopResourceView {
    pub rank: usize,
    pub name: String,
    pub group: String,
    pub entitlement: String,
    pub spend: String,
    /// Share of the subscription's spend, e.g. `12.3 %`; `–` when the spend is zero.
    pub share: String,
}

/// The meters of one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryView {
    pub name: String,
    pub subtotal: String,
    /// Most expensive first.
    pub meters: Vec<MeterView>,
}

/// One meter's quantity and spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterView {
    pub name: String,
    pub subcategory: String,
    pub quantity: String,
    pub unit: String,
    pub spend: String,
}

/// The daily quantities of a legacy subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtilizationView {
    /// When they were read; `None` when Partner Center has not given them yet.
    pub as_of: Option<String>,
    /// Newest day first.
    pub days: Vec<UtilizationDay>,
}

/// The quantities of one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtilizationDay {
    /// `2026-11-20`.
    pub day: String,
    pub rows: Vec<UtilizationRow>,
}

/// One meter of one resource on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtilizationRow {
    pub resource: String,
    pub group: String,
    pub meter: String,
    pub category: String,
    pub quantity: String,
    pub unit: String,
    /// `key=value` pairs, comma-separated.
    pub tags: String,
}

/// What the subscription page shows, as read for one request.
pub struct SubscriptionData<'a> {
    pub layout: Layout,
    /// The subscription's customer.
    pub customer: &'a CustomerSnapshot,
    pub summary: &'a SubscriptionSummary,
    /// Most expensive first.
    pub resources: &'a [ResourceUsage],
    pub meters: &'a [MeterUsage],
    /// A legacy subscription's daily utilization records, newest day first.
    pub utilization: Option<&'a [UtilizationRecord]>,
    /// Older than the refresh setting allows.
    pub stale: bool,
}

impl SubscriptionPage {
    /// The page of `data`.
    pub fn new(data: SubscriptionData<'_>) -> Self {
        let SubscriptionData {
            summary, resources, ..
        } = data;
        let (customer, subscription) = (&summary.customer_id, &summary.subscription_id);
        let currency = summary.total_cost.currency();
        Self {
            layout: data.layout,
            customer_name: data.customer.company_name.clone(),
            customer_url: paths::customer(customer),
            name: if summary.name.is_empty() {
                subscription.to_string()
            } else {
                summary.name.clone()
            },
            subscription_id: subscription.to_string(),
            plan: plan(!summary.is_legacy),
            currency: currency.code().to_owned(),
            billing_period: billing_period(summary.billing_start, summary.billing_end),
            spend: summary.total_cost.to_string(),
            usd_spend: usd_spend(
                summary.usd_total_cost.as_ref(),
                !summary.is_legacy,
                currency,
            ),
            data_as_of: format_utc(summary.fetched_at),
            last_modified: format_utc(summary.last_modified),
            stale: data.stale,
            resources_total: sum(resources.iter().map(|r| &r.total_cost), currency).to_string(),
            resources_csv: paths::resources_csv(customer, subscription),
            meters_csv: paths::meters_csv(customer, subscription),
            regions_url: paths::subscription_regions(customer, subscription),
            entitlements: entitlements(resources, currency),
            top_resources: top_resource_views(resources, &summary.total_cost),
            categories: categories(data.meters, currency),
            daily: data.utilization.map(|records| UtilizationView {
                as_of: summary.utilization_fetched_at.map(format_utc),
                days: utilization_days(records),
            }),
        }
    }
}

/// The exact sum of `amounts` (of `currency`), saturating at the decimal range (far beyond
/// any spend).
fn sum<'a>(amounts: impl Iterator<Item = &'a Money>, currency: &Currency) -> Money {
    let total = amounts.fold(Decimal::ZERO, |sum, m| sum.saturating_add(m.amount()));
    Money::new(total, currency.clone())
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
    let subtotal = |sum| Money::new(sum, currency.clone()).to_string();
    group_by(
        resources,
        |r| r.entitlement_id.as_deref(),
        |r| r.total_cost.amount(),
        "",
    )
    .into_iter()
    .map(|(id, sum, members)| EntitlementView {
        name: members
            .iter()
            .find_map(|r| r.entitlement_name.clone())
            .unwrap_or_else(|| "Azure subscription not given".to_owned()),
        id,
        subtotal: subtotal(sum),
        resource_count: members.len(),
        groups: resource_groups(&members, currency),
    })
    .collect()
}

/// An entitlement's resources by resource group, with subtotals.
fn resource_groups(resources: &[&ResourceUsage], currency: &Currency) -> Vec<ResourceGroupView> {
    let subtotal = |sum| Money::new(sum, currency.clone()).to_string();
    group_by(
        resources.iter().copied(),
        |r| r.resource_group.as_deref(),
        |r| r.total_cost.amount(),
        "(none)",
    )
    .into_iter()
    .map(|(name, sum, members)| ResourceGroupView {
        name,
        subtotal: subtotal(sum),
        resources: members
            .iter()
            .map(|r| ResourceView {
                name: resource_name(r),
                resource_type: r.resource_type.clone().unwrap_or_default(),
                uri: r.resource_uri.clone().unwrap_or_default(),
                spend: r.total_cost.to_string(),
            })
            .collect(),
    })
    .collect()
}

/// The most expensive resources (`resources` come most expensive first) and their share of
/// the subscription's `total`.
fn top_resource_views(resources: &[ResourceUsage], total: &Money) -> Vec<TopResourceView> {
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
            spend: r.total_cost.to_string(),
            share: share(r.total_cost.amount(), total.amount()),
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
    let subtotal = |sum| Money::new(sum, currency.clone()).to_string();
    group_by(
        meters,
        |m| m.category.as_deref(),
        |m| m.total_cost.amount(),
        "(no category)",
    )
    .into_iter()
    .map(|(name, sum, mut members)| {
        members.sort_by_key(|m| std::cmp::Reverse(m.total_cost.amount()));
        CategoryView {
            name,
            subtotal: subtotal(sum),
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
                    spend: m.total_cost.to_string(),
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
    use chrono::Utc;

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
            total_cost: Money::new(d(cost), Currency::parse("EUR").unwrap()),
            usd_total_cost: None,
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
