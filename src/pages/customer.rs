//! A customer's page: usage summary of the billing period, budget, subscriptions' usage
//! records, the budget form and the history of budget changes.

use askama::Template;
use askama_web::WebTemplate;

use rust_decimal::Decimal;

use super::{HistorySection, Layout, RuleForm, TopResources};
use crate::budgets::ChangeResult;
use crate::domain::Money;
use crate::store::CustomerSnapshot;

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
    /// Who owns the customer (portfolios), and the form to change that.
    pub owners: OwnersView,
    /// A Partner Center refusal or a conflict, shown above the form.
    pub alert: Option<String>,
    /// The budget alert thresholds that apply and their state.
    pub alerts: super::CustomerAlertsView,
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
    /// The bulk change it was part of (`budget_batches.id`), if any.
    pub batch: Option<i64>,
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

/// The customer's owners, by sign-in name.
#[derive(Debug, Clone, Default)]
pub struct OwnersView {
    /// Sign-in names, alphabetically.
    pub names: Vec<String>,
    /// `None` for those who may not assign owners.
    pub form: Option<OwnerFormView>,
}

/// The forms to add and remove an owner, with what was typed and what is wrong with it.
#[derive(Debug, Clone, Default)]
pub struct OwnerFormView {
    /// Where an owner is added.
    pub action: String,
    /// Where an owner is removed.
    pub remove_action: String,
    pub csrf_token: String,
    /// The sign-in name typed.
    pub owner: String,
    pub error: Option<String>,
    /// The sign-in names of the people who have signed in, offered as suggestions.
    pub known: Vec<String>,
}

/// The forms of a customer page, for what the person may do, as they are to be shown.
#[derive(Debug, Clone, Default)]
pub struct CustomerForms {
    /// The budget form (input kept, errors): budget editors only.
    pub budget: Option<BudgetFormView>,
    /// A Partner Center refusal or a conflict, shown above the budget form.
    pub alert: Option<String>,
    /// The owner forms: budget editors and portfolio admins.
    pub owner: Option<OwnerFormView>,
    /// The threshold form with an error and the input kept; `None`: the empty form (budget
    /// editors only).
    pub rule: Option<RuleForm>,
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

impl BudgetFormView {
    /// Keeps what was submitted, so the form comes back as the person left it.
    pub fn keep_input(&mut self, amount: &str, remove: bool, reason: &str, based_on: &str) {
        amount.clone_into(&mut self.amount);
        self.remove = remove;
        reason.clone_into(&mut self.reason);
        based_on.clone_into(&mut self.based_on);
    }
}

/// What the person is told after submitting the budget form, from the budget service's
/// result. Amounts are shown with the customer's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetReply {
    /// 303 back to the customer page with this flash message.
    Saved(String),
    /// The customer page again with the form as submitted.
    FormAgain {
        /// A message above the form.
        alert: Option<String>,
        /// A conflict message in the form.
        conflict: Option<String>,
        /// The budget the form is now based on (Partner Center's), if it changes.
        rebase_on: Option<Option<Decimal>>,
        /// The HTTP status: 409, 403 or 502.
        status: u16,
    },
    /// 503 with this message: the database failed after Partner Center was called.
    Unavailable(String),
}

impl BudgetReply {
    /// The reply to `result` for `snapshot`'s customer, whose form was based on `based_on`.
    /// "Nothing was changed" is said only when that is known.
    pub fn of(
        result: ChangeResult,
        snapshot: &CustomerSnapshot,
        based_on: Option<Decimal>,
    ) -> Self {
        let name = &snapshot.company_name;
        let describe = |amount: Option<Decimal>| {
            amount.map_or_else(
                || "no budget".to_owned(),
                |a| Money::new(a, snapshot.currency.clone()).to_string(),
            )
        };
        let again =
            |alert: Option<String>, conflict: Option<String>, rebase_on, status| Self::FormAgain {
                alert,
                conflict,
                rebase_on,
                status,
            };
        match result {
            ChangeResult::Applied { held: None } => Self::Saved(format!("Budget of {name} removed.")),
            ChangeResult::Applied { held } => {
                Self::Saved(format!("Budget of {name} set to {}.", describe(held)))
            }
            ChangeResult::Checking => Self::Saved(format!(
                "Partner Center did not confirm the change of {name}'s budget. Spendboard is checking whether it was applied; the budget changes below show the outcome as soon as it is known."
            )),
            ChangeResult::Conflict { current } => again(
                None,
                Some(format!(
                    "The budget was changed in Partner Center since this form was shown: it is now {}, where the form showed {}. Nothing was saved. Check the amount below and save again to replace it.",
                    describe(current),
                    describe(based_on)
                )),
                Some(current),
                409,
            ),
            ChangeResult::Superseded { current } => again(
                None,
                Some(format!(
                    "Partner Center did not confirm the change, and reading the budget back showed {}: it was changed elsewhere meanwhile. Check the amount below and save again to replace it.",
                    describe(current)
                )),
                Some(current),
                409,
            ),
            ChangeResult::Refused { message, forbidden } => again(
                Some(format!(
                    "Partner Center refused the change: {message} Nothing was changed."
                )),
                None,
                None,
                if forbidden { 403 } else { 502 },
            ),
            ChangeResult::NotApplied { message } => again(
                Some(format!("The change was not applied: {message} Nothing was changed.")),
                None,
                None,
                502,
            ),
            ChangeResult::Busy => again(
                Some(
                    "Another change of this customer's budget is being made or checked right now. Nothing was changed; try again in a moment.".into(),
                ),
                None,
                None,
                409,
            ),
            ChangeResult::Unrecorded { known } => Self::Unavailable(format!(
                "{known} Spendboard's database is unavailable, so the change is not in the budget history yet; it will be recorded as soon as the database is back."
            )),
        }
    }
}
