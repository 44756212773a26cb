//! The what-if page of a customer: plan lines as typed with their errors or their cost,
//! the current and the new month-end projection, status and budget crossing, the budget that
//! keeps the customer within it, and the saved plans.

use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Layout, format_utc, quantity, tiers_text};
use crate::domain::{Currency, CustomerId, Money};
use crate::prices::{CheckedLine, PlanEvaluation};
use crate::store::{CustomerSnapshot, PlanSummary, RateCardMeter};

/// One line of the plan form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineView {
    pub index: usize,
    pub meter: String,
    pub kind: String,
    pub quantity: String,
    pub hours: String,
    pub start: String,
    pub meter_error: Option<String>,
    pub quantity_error: Option<String>,
    pub hours_error: Option<String>,
    pub start_error: Option<String>,
    /// Meters to choose from: (id, label).
    pub choices: Vec<(String, String)>,
    /// The meter found, e.g. `D4s v3 · Dsv3 Series · EU West: 0.23 EUR from 0 per 1 Hour`.
    pub found: Option<String>,
    /// Units already used this period, when any.
    pub already_used: Option<String>,
    /// Quantity and cost to the end of the period.
    pub quantity_to_end: Option<String>,
    pub cost: Option<String>,
}

impl LineView {
    fn new(index: usize, line: &CheckedLine, currency: &Currency) -> Self {
        let input = &line.input;
        Self {
            index,
            meter: input.meter.clone(),
            kind: input.kind.clone(),
            quantity: input.quantity.clone(),
            hours: input.hours.clone(),
            start: input.start.clone(),
            meter_error: line.meter_error.clone(),
            quantity_error: line.quantity_error.clone(),
            hours_error: line.hours_error.clone(),
            start_error: line.start_error.clone(),
            choices: line.choices.iter().map(|c| choice(&c.meter)).collect(),
            found: line.meter.as_ref().map(|f| found(&f.meter, currency)),
            already_used: (line.already_used > Decimal::ZERO).then(|| quantity(line.already_used)),
            quantity_to_end: (line.priced.as_ref()).map(|(q, _)| quantity(q.round_dp(4))),
            cost: (line.priced.as_ref()).map(|(_, c)| c.to_string()),
        }
    }
}

/// A meter to choose: its id and `name · subcategory · region`.
fn choice(m: &RateCardMeter) -> (String, String) {
    (
        m.meter_id.clone(),
        format!("{} · {} · {}", m.name, m.subcategory, m.region),
    )
}

/// The meter found, with its price.
fn found(m: &RateCardMeter, currency: &Currency) -> String {
    format!(
        "{} · {} · {}: {} per {}",
        m.name,
        m.subcategory,
        m.region,
        tiers_text(&m.price, currency),
        m.unit
    )
}

/// What the plan does, once priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultView {
    pub added: String,
    pub new_projection: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    /// `Budget crossed on 2026-11-27`, or why not.
    pub crossing: String,
    pub budget_to_stay: String,
    /// The customer page with the budget form pre-filled (budget editors only).
    pub budget_form_url: Option<String>,
}

/// A saved plan in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRowView {
    pub name: String,
    pub saved_at: String,
    pub lines: u64,
    pub open_url: String,
    pub delete_url: String,
}

/// The what-if page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/what_if.html")]
pub struct WhatIfPage {
    pub layout: Layout,
    pub customer_name: String,
    pub customer_url: String,
    pub action: String,
    pub currency: String,
    /// `2026-11-01 to 2026-11-30`.
    pub period: String,
    pub data_day: String,
    pub spend: String,
    pub current_projection: String,
    pub budget: Option<String>,
    pub status_key: &'static str,
    pub status_label: &'static str,
    /// The rate card priced from, or why there is none.
    pub card_note: String,
    pub name: String,
    pub name_error: Option<String>,
    /// The plan's lines and one blank line to add another.
    pub lines: Vec<LineView>,
    pub result: Option<ResultView>,
    pub plans: Vec<PlanRowView>,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl WhatIfPage {
    /// The page for `evaluation` of the customer of `snapshot`, with its saved `plans`;
    /// `budget_editor` shows the button that pre-fills the budget form.
    pub fn new(
        layout: Layout,
        snapshot: &CustomerSnapshot,
        evaluation: &PlanEvaluation,
        plans: &[PlanSummary],
        budget_editor: bool,
    ) -> Self {
        let currency = snapshot.currency();
        let id: CustomerId = snapshot.customer_id;
        let b = &evaluation.baseline;
        Self {
            layout,
            customer_name: snapshot.company_name.clone(),
            customer_url: crate::paths::customer(&id),
            action: crate::paths::what_if(&id),
            currency: currency.code().to_owned(),
            period: format!("{} to {}", day(b.period.start), day(b.period.last_day())),
            data_day: day(b.day),
            spend: b.spend.to_string(),
            current_projection: b.projected.to_string(),
            budget: b.budget.as_ref().map(ToString::to_string),
            status_key: snapshot.status.key(),
            status_label: snapshot.status.label(),
            card_note: card_note(evaluation, currency),
            name: evaluation.name.clone(),
            name_error: evaluation.name_error.clone(),
            lines: form_lines(evaluation, currency),
            result: ResultView::of(snapshot, evaluation, budget_editor),
            plans: plans.iter().map(|p| PlanRowView::of(&id, p)).collect(),
        }
    }
}

/// The plan's lines and, below the most, a blank one to add another.
fn form_lines(evaluation: &PlanEvaluation, currency: &Currency) -> Vec<LineView> {
    let mut lines: Vec<LineView> = evaluation
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineView::new(i, l, currency))
        .collect();
    if lines.len() < crate::prices::what_if::MAX_LINES {
        lines.push(LineView {
            index: lines.len(),
            kind: "instances".into(),
            ..LineView::default()
        });
    }
    lines
}

/// The rate card priced from, or that there is none.
fn card_note(evaluation: &PlanEvaluation, currency: &Currency) -> String {
    match &evaluation.card {
        Some(card) => format!(
            "Priced from the Azure rate card in {} confirmed {}: list prices before any partner discount or credit, without tax; for Azure plan customers an estimate.",
            card.currency,
            format_utc(card.checked_at)
        ),
        None => format!("There is no rate card in {currency} yet: open Azure prices to read it."),
    }
}

impl ResultView {
    /// What the plan of `evaluation` does, once priced; `budget_editor` gets the link that
    /// pre-fills the budget form.
    fn of(
        snapshot: &CustomerSnapshot,
        evaluation: &PlanEvaluation,
        budget_editor: bool,
    ) -> Option<Self> {
        let b = &evaluation.baseline;
        evaluation.result.as_ref().map(|r| {
            let status = evaluation.new_status.unwrap_or(snapshot.status);
            Self {
                added: (r.projected.checked_sub(&b.projected))
                    .map(|added| added.to_string())
                    .unwrap_or_default(),
                new_projection: r.projected.to_string(),
                status_key: status.key(),
                status_label: status.label(),
                crossing: crossing(b.budget.as_ref(), &b.spend, r.crosses_budget_on),
                budget_to_stay: r.budget_to_stay_within.to_string(),
                budget_form_url: budget_editor.then(|| {
                    let amount = r.budget_to_stay_within.plain();
                    format!(
                        "{}?budget={amount}#budget-heading",
                        crate::paths::customer(&snapshot.customer_id)
                    )
                }),
            }
        })
    }
}

/// When the budget is crossed with the plan, in words.
fn crossing(budget: Option<&Money>, spend: &Money, crosses_on: Option<NaiveDate>) -> String {
    match (budget, crosses_on) {
        (None, _) => "The customer has no budget.".into(),
        (Some(budget), _) if spend.amount() >= budget.amount() => {
            "The budget is already exceeded.".into()
        }
        (Some(_), Some(on)) => format!("With the plan, the budget is crossed on {}.", day(on)),
        (Some(_), None) => {
            "With the plan, the spend stays within the budget until the period ends.".into()
        }
    }
}

impl PlanRowView {
    /// A saved plan of the customer `id`.
    fn of(id: &CustomerId, plan: &PlanSummary) -> Self {
        Self {
            name: plan.name.clone(),
            saved_at: format_utc(plan.saved_at),
            lines: plan.lines,
            open_url: format!("{}?plan={}", crate::paths::what_if(id), plan.id),
            delete_url: crate::paths::what_if_delete(id, &plan.id),
        }
    }
}
