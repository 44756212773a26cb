//! A customer's page: usage summary of the billing period, budget, subscriptions' usage
//! records, the budget form and the history of budget changes.

use askama::Template;
use askama_web::WebTemplate;

use rust_decimal::Decimal;

use super::{
    CustomerAlertsView, HistorySection, Layout, RuleForm, TopResources, billing_period,
    format_percent, format_utc, plan, usage_bar, usd_spend,
};
use crate::auth::SessionUser;
use crate::budgets::ChangeResult;
use crate::domain::{CustomerId, Money, SubscriptionId};
use crate::paths;
use crate::store::{
    BudgetChangeDecision, BudgetChangeRecord, ChangeOutcome, CustomerSnapshot,
    CustomerUsageSummaryRow, SubscriptionUsage,
};

/// The customer page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/customer.html")]
pub struct CustomerPage {
    pub layout: Layout,
    /// The customer's details could not be fetched (first fetch): why, in words.
    pub details_error: Option<String>,
    pub name: String,
    pub customer_id: String,
    /// The customer's what-if plans.
    pub what_if_url: String,
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
                |a| Money::new(a, snapshot.currency().clone()).to_string(),
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

/// What the customer page shows, as read for one request.
pub struct CustomerData<'a> {
    pub layout: Layout,
    pub snapshot: &'a CustomerSnapshot,
    /// The usage summary of the billing period; `None` when it could not be fetched.
    pub summary: Option<&'a CustomerUsageSummaryRow>,
    /// Why the summary could not be fetched, in words.
    pub details_error: Option<String>,
    pub subscriptions: &'a [SubscriptionUsage],
    /// Newest first.
    pub budget_changes: &'a [BudgetChangeRecord],
    pub history: HistorySection,
    pub top_resources: TopResources,
    pub owners: OwnersView,
    pub alerts: CustomerAlertsView,
    /// The budget form (`None` for readers) and the message above it.
    pub form: Option<BudgetFormView>,
    pub alert: Option<String>,
}

impl CustomerPage {
    /// The page of `data`.
    pub fn new(data: CustomerData<'_>) -> Self {
        let snapshot = data.snapshot;
        let id = &snapshot.customer_id;
        Self {
            layout: data.layout,
            details_error: data.details_error,
            name: snapshot.company_name.clone(),
            customer_id: id.to_string(),
            what_if_url: paths::what_if(id),
            currency: snapshot.currency().code().to_owned(),
            plan: plan(snapshot.is_azure_plan),
            spend: snapshot.total_cost.to_string(),
            usd_spend: usd_spend(
                snapshot.usd_total_cost.as_ref(),
                snapshot.is_azure_plan,
                snapshot.currency(),
            ),
            budget: snapshot.budget.as_ref().map(ToString::to_string),
            percent: snapshot.percent_used.map(format_percent),
            bar: usage_bar(snapshot.percent_used),
            status_key: snapshot.status.key(),
            status_label: snapshot.status.label(),
            billing_period: (data.summary).map(|s| billing_period(s.billing_start, s.billing_end)),
            data_as_of: format_utc(snapshot.fetched_at),
            last_modified: format_utc(snapshot.last_modified),
            subscriptions: (data.subscriptions.iter())
                .map(|s| SubscriptionRow::of(id, s))
                .collect(),
            subscriptions_csv: paths::subscriptions_csv(id),
            history: data.history,
            top_resources: data.top_resources,
            budget_changes: data
                .budget_changes
                .iter()
                .map(BudgetChangeRow::of)
                .collect(),
            budget_changes_csv: paths::budget_changes_csv(id),
            form: data.form,
            owners: data.owners,
            alert: data.alert,
            alerts: data.alerts,
        }
    }
}

impl SubscriptionRow {
    /// A subscription of `customer` as a table row.
    fn of(customer: &CustomerId, s: &SubscriptionUsage) -> Self {
        Self {
            name: s.name.clone(),
            url: SubscriptionId::parse(&s.subscription_id)
                .ok()
                .map(|sid| paths::subscription(customer, &sid)),
            id: s.subscription_id.clone(),
            offer_id: s.offer_id.clone(),
            status: s.status.clone(),
            spend: s.total_cost.to_string(),
        }
    }
}

impl BudgetChangeRow {
    /// A budget change attempt as a row of the customer's budget history.
    fn of(record: &BudgetChangeRecord) -> Self {
        let intent = &record.intent;
        let amount = |a: &Option<Money>| {
            a.as_ref()
                .map_or_else(|| "no budget".to_owned(), Money::to_string)
        };
        let decision = record.decision.as_ref().map(|(_, d)| d);
        let (outcome, outcome_class) = outcome_words(decision.map(|d| d.outcome));
        let found = decision.and_then(|d| found(d, d.held.as_ref().map(amount)));
        let reason = [intent.reason.clone(), found]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
        Self {
            at: format_utc(intent.requested_at),
            user: intent.user_name.clone(),
            batch: intent.batch_id,
            change: format!(
                "{} → {}",
                amount(&intent.seen_amount),
                amount(&intent.new_amount)
            ),
            outcome,
            outcome_class,
            reason,
            request_id: if intent.request_id.is_nil() {
                String::new()
            } else {
                intent.request_id.to_string()
            },
        }
    }
}

/// An outcome in words, and its CSS class; `None`: not known yet.
fn outcome_words(outcome: Option<ChangeOutcome>) -> (&'static str, &'static str) {
    match outcome {
        None => ("Being checked with Partner Center", "checking"),
        Some(ChangeOutcome::Applied) => ("Applied", "applied"),
        Some(ChangeOutcome::Refused) => ("Refused by Partner Center", "not-applied"),
        Some(ChangeOutcome::Conflict) => ("Not applied: changed meanwhile", "not-applied"),
        Some(ChangeOutcome::NotApplied) => ("Not applied", "not-applied"),
        Some(ChangeOutcome::Superseded) => ("Changed elsewhere meanwhile", "not-applied"),
    }
}

/// What the decision found: its detail, and the amount Partner Center held (`held`, in
/// words) unless the change was simply applied.
fn found(decision: &BudgetChangeDecision, held: Option<String>) -> Option<String> {
    let held = held.map(|h| format!("Partner Center holds {h}"));
    match (decision.detail.as_deref(), held) {
        (Some(detail), Some(held)) => Some(format!("{detail}; {held}")),
        (Some(detail), None) => Some(detail.to_owned()),
        (None, held) => held.filter(|_| decision.outcome != ChangeOutcome::Applied),
    }
}

impl CustomerForms {
    /// The forms as first shown to `user`: each one they may use.
    pub fn for_user(snapshot: &CustomerSnapshot, user: &SessionUser) -> Self {
        Self {
            budget: user
                .access
                .can_edit_budgets()
                .then(|| BudgetFormView::for_budget(snapshot, user)),
            owner: user.access.can_assign_owners().then(|| OwnerFormView {
                action: paths::customer_owners(&snapshot.customer_id),
                remove_action: paths::customer_owners_remove(&snapshot.customer_id),
                csrf_token: user.csrf.as_str().to_owned(),
                ..OwnerFormView::default()
            }),
            ..Self::default()
        }
    }
}

impl BudgetFormView {
    /// The form as first shown: based on the budget Spendboard knows.
    pub fn for_budget(snapshot: &CustomerSnapshot, user: &SessionUser) -> Self {
        let amount = (snapshot.budget.as_ref())
            .map(Money::plain)
            .unwrap_or_default();
        // Exact, so that the conflict check compares what Partner Center holds.
        let based_on = (snapshot.budget.as_ref())
            .map(|b| b.amount().normalize().to_string())
            .unwrap_or_default();
        Self {
            action: paths::customer_budget(&snapshot.customer_id),
            csrf_token: user.csrf.as_str().to_owned(),
            currency: snapshot.currency().code().to_owned(),
            step: step(snapshot.currency().minor_units()),
            amount,
            remove: false,
            reason: String::new(),
            based_on,
            error: None,
            conflict: None,
        }
    }
}

/// The `step` attribute of an amount input: `1`, `0.01`, `0.001`.
fn step(minor_units: u32) -> String {
    if minor_units == 0 {
        "1".into()
    } else {
        format!("0.{}1", "0".repeat(minor_units as usize - 1))
    }
}
