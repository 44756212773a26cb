//! A subscription's page: its usage summary, resources grouped by Azure subscription
//! (entitlement) and resource group, the top resources, meters by category, and for a legacy
//! subscription the daily quantities. Amounts are display strings in the customer's currency.

use askama::Template;
use askama_web::WebTemplate;

use super::Layout;

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
