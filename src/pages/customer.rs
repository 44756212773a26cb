//! A customer's page: usage summary of the billing period, budget, subscriptions' usage
//! records, the budget form and the history of budget changes.

use askama::Template;
use askama_web::WebTemplate;

use super::{HistorySection, Layout, TopResources};

/// The customer page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/customer.html")]
pub struct CustomerPage {
    pub layout: Layout,
    /// The customer's details could not be fetched (first fetch): why, in words.
    pub details_error: Option<String>,
    pub name: String,
    pub customer_id: String,
    pub currency: String,
    pub plan: &'static str,
    pub spend: String,
    pub usd_spend: Option<String>,
    pub budget: Option<String>,
    pub percent: Option<String>,
    pub bar: u32,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub billing_period: Option<String>,
    pub data_as_of: String,
    pub last_modified: String,
    pub subscriptions: Vec<SubscriptionRow>,
    /// Daily spend history, month-end forecast and charts.
    pub history: HistorySection,
    /// The most expensive resources, when Spendboard has read them.
    pub top_resources: TopResources,
    /// The CSV export of `subscriptions`.
    pub subscriptions_csv: String,
    /// Budget changes made through Spendboard, newest first.
    pub budget_changes: Vec<BudgetChangeRow>,
    /// The CSV export of every budget change of the customer.
    pub budget_changes_csv: String,
    /// `None` for readers: they see no form.
    pub form: Option<BudgetFormView>,
    /// A Partner Center refusal or a conflict, shown above the form.
    pub alert: Option<String>,
}

/// One subscription's monthly usage record.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub name: String,
    /// The subscription's page; `None` when Partner Center's id is not a GUID.
    pub url: Option<String>,
    pub id: String,
    pub offer_id: String,
    pub status: String,
    pub spend: String,
}

/// One budget change attempt and its outcome.
#[derive(Debug, Clone)]
pub struct BudgetChangeRow {
    /// When it was requested (UTC).
    pub at: String,
    pub user: String,
    /// `1,000.00 EUR → 1,500.00 EUR`.
    pub change: String,
    /// The outcome in words; "Being checked..." while it is not known.
    pub outcome: &'static str,
    /// A CSS class for the outcome: `applied`, `not-applied`, `checking`.
    pub outcome_class: &'static str,
    /// The reason given, and what was found.
    pub reason: String,
    pub request_id: String,
}

/// The budget form, with what was typed and what is wrong with it.
#[derive(Debug, Clone, Default)]
pub struct BudgetFormView {
    pub action: String,
    pub csrf_token: String,
    pub currency: String,
    /// Decimal places the currency allows (for the input's `step`).
    pub step: String,
    pub amount: String,
    pub remove: bool,
    pub reason: String,
    /// The amount (plain decimal, empty for none) the form is based on.
    pub based_on: String,
    pub error: Option<String>,
    /// Partner Center holds another amount than the form was based on.
    pub conflict: Option<String>,
}
