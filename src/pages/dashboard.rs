//! The dashboard: partner totals and every customer's usage against budget.

use askama::Template;
use askama_web::WebTemplate;

use chrono::{DateTime, Utc};

use super::{BulkFormView, CrossingView, Layout, crossing_view, format_age, format_utc};
use crate::domain::{Money, format_percent};
use crate::paths;
use crate::store::CustomerSnapshot;

/// The dashboard page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    /// Spend per currency (never added across currencies), with the USD equivalent when
    /// Partner Center gives one.
    pub totals: Vec<CurrencyTotalView>,
    pub customers: u64,
    pub over_budget: u64,
    pub near_budget: u64,
    /// Below the near threshold, but projected to reach the budget by the period's end.
    pub on_pace: u64,
    pub no_budget: u64,
    /// `owner=...`, URL-encoded: the set shown, carried by the summary's links.
    pub owner_query: String,
    /// Whose customers are shown, and the other choices.
    pub sets: SetsView,
    /// The `owner` value of the set shown (for the bulk form's selection).
    pub owner_param: String,
    /// The bulk change form: budget editors only.
    pub bulk: Option<BulkFormView>,
    /// The near-budget threshold in percent, stated in the UI.
    pub near_threshold: String,
    pub rows: Vec<CustomerRow>,
    /// Column headers with their sort links.
    pub columns: Vec<SortLink>,
    pub search: String,
    pub status_filter: String,
    pub sort: String,
    pub dir: String,
    pub page: u32,
    pub pages: u32,
    pub matching: u64,
    pub previous_url: Option<String>,
    pub next_url: Option<String>,
    /// "data as of" (UTC) of the oldest row shown.
    pub data_as_of: String,
    pub stale: bool,
    /// When the data became stale (UTC), when it is.
    pub stale_since: Option<String>,
    /// The last refresh failed: when and why, in words.
    pub refresh_failure: Option<String>,
    /// The last refresh set records aside: how many, in words.
    pub set_aside_notice: Option<String>,
    pub refresh_running: bool,
    pub can_edit: bool,
    /// May assign owners to a selection (budget editors and portfolio admins).
    pub can_assign_owners: bool,
    /// The CSV export of every matching customer, in this order.
    pub csv_url: String,
}

/// The choice between "My customers", "All customers" and one owner's customers.
#[derive(Debug, Clone)]
pub struct SetsView {
    /// "My customers": `None` when the person has no sign-in name Spendboard knows.
    pub mine_url: Option<String>,
    pub all_url: String,
    pub showing_mine: bool,
    pub showing_all: bool,
    /// The owner filter's options: all customers, mine, then every other owner.
    pub choices: Vec<OwnerChoice>,
}

/// One option of the owner filter.
#[derive(Debug, Clone)]
pub struct OwnerChoice {
    /// The `owner` query value.
    pub value: String,
    /// With the number of customers.
    pub label: String,
    pub selected: bool,
}

/// Spend in one currency.
#[derive(Debug, Clone)]
pub struct CurrencyTotalView {
    pub currency: String,
    pub total: String,
    pub usd: Option<String>,
    pub customers: u64,
    /// How many customers the USD equivalent covers, when not all of them.
    pub usd_partial: Option<u64>,
}

/// One customer's line.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    /// The customer id (the bulk selection's value).
    pub id: String,
    pub url: String,
    pub name: String,
    pub spend: String,
    pub budget: Option<String>,
    pub percent: Option<String>,
    /// Width of the usage bar, 0..=100.
    pub bar: u32,
    /// Spend projected at the end of the billing period, with the currency;
    /// `None` before the first forecast.
    pub projected: Option<String>,
    /// When the budget was or will be crossed; `None` when it is not projected to be.
    pub crossing: Option<CrossingView>,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub currency: String,
    pub age: String,
    pub fetched_at: String,
}

/// A sortable column header.
#[derive(Debug, Clone)]
pub struct SortLink {
    pub label: &'static str,
    pub url: String,
    /// `ascending`, `descending` or `none` (for `aria-sort`).
    pub aria_sort: &'static str,
    pub numeric: bool,
}

impl CustomerRow {
    /// One snapshot as a table row, its data age as of `now`.
    pub fn of(s: &CustomerSnapshot, now: DateTime<Utc>) -> Self {
        CustomerRow {
            id: s.customer_id.to_string(),
            url: paths::customer(&s.customer_id),
            name: s.company_name.clone(),
            spend: Money::new(s.total_cost, s.currency.clone()).to_string(),
            budget: s
                .budget
                .map(|b| Money::new(b, s.currency.clone()).to_string()),
            percent: s.percent_used.map(format_percent),
            bar: usage_bar(s.percent_used),
            projected: s
                .forecast
                .as_ref()
                .map(|f| Money::new(f.projected_total, s.currency.clone()).to_string()),
            crossing: crossing_view(s),
            status_key: s.status.key(),
            status_label: s.status.label(),
            currency: s.currency.code().to_owned(),
            age: format_age(s.fetched_at, now),
            fetched_at: format_utc(s.fetched_at),
        }
    }
}

/// The width of the usage bar: percent used, capped at 100.
pub fn usage_bar(percent: Option<rust_decimal::Decimal>) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    percent
        .and_then(|p| p.round().to_u32())
        .map_or(0, |p| p.min(100))
}
