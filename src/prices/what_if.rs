//! What-if plans of a customer: the lines as typed, checked one by one (a meter found by
//! search on the rate card of the customer's currency, a quantity, a start day in the billing
//! period), priced with `domain::what_if` against the customer's current projection, saved
//! and reopened by name. Bad input gets its reason per field and nothing is saved.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::domain::{
    Baseline, BillingPeriod, Money, PlanLine, PlanQuantity, UsageStatus, WhatIf, parse_quantity,
    what_if,
};
use crate::store::{
    CustomerSnapshot, FoundMeter, MeterSearch, RateCardVersion, SavedPlan, SavedPlanLine, Store,
    StoreError,
};

/// Most lines a plan may have.
pub const MAX_LINES: usize = 20;
/// Most meters offered to choose from when a search matches several.
const MAX_CHOICES: u32 = 20;
/// Longest plan name, in characters.
const MAX_NAME: usize = 100;

/// One line as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    /// A meter id or search words.
    pub meter: String,
    /// `day`, `month` or `instances`.
    pub kind: String,
    /// Units per day or month, or the number of instances.
    pub quantity: String,
    /// Hours per day (instances only).
    pub hours: String,
    /// First day, `yyyy-mm-dd`; empty: the day after the latest data.
    pub start: String,
}

impl LineInput {
    fn is_blank(&self) -> bool {
        self.meter.trim().is_empty() && self.quantity.trim().is_empty()
    }
}

/// A plan as typed: its name and lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    /// The name to save it under.
    pub name: String,
    /// The lines (blank ones are ignored).
    pub lines: Vec<LineInput>,
}

impl PlanInput {
    /// Reads `name` and `line{i}_meter`, `line{i}_kind`, `line{i}_quantity`, `line{i}_hours`,
    /// `line{i}_start` for i = 0, 1, ... (up to [`MAX_LINES`]) from a form.
    pub fn from_form(form: &HashMap<String, String>) -> Self {
        let field = |name: String| form.get(&name).cloned().unwrap_or_default();
        let lines = (0..MAX_LINES)
            .map(|i| LineInput {
                meter: field(format!("line{i}_meter")),
                kind: field(format!("line{i}_kind")),
                quantity: field(format!("line{i}_quantity")),
                hours: field(format!("line{i}_hours")),
                start: field(format!("line{i}_start")),
            })
            .filter(|line| !line.is_blank())
            .collect();
        Self {
            name: field("name".into()).trim().to_owned(),
            lines,
        }
    }

    /// A saved plan, to be shown and priced again.
    pub fn from_saved(plan: &SavedPlan) -> Self {
        let text = |d: Decimal| d.normalize().to_string();
        Self {
            name: plan.name.clone(),
            lines: plan
                .lines
                .iter()
                .map(|line| {
                    let (kind, quantity, hours) = match line.quantity {
                        PlanQuantity::PerDay(q) => ("day", text(q), String::new()),
                        PlanQuantity::PerMonth(q) => ("month", text(q), String::new()),
                        PlanQuantity::Instances {
                            count,
                            hours_per_day,
                        } => ("instances", text(count), text(hours_per_day)),
                    };
                    LineInput {
                        meter: line.meter_id.clone(),
                        kind: kind.into(),
                        quantity,
                        hours,
                        start: line.start.format("%Y-%m-%d").to_string(),
                    }
                })
                .collect(),
        }
    }
}

/// A line checked and, when all is well, priced.
#[derive(Debug, Clone, Default)]
pub struct CheckedLine {
    /// As typed.
    pub input: LineInput,
    /// The meter found.
    pub meter: Option<FoundMeter>,
    /// Several meters match the search: the first ones, to choose from.
    pub choices: Vec<FoundMeter>,
    /// Next to the meter field.
    pub meter_error: Option<String>,
    /// Next to the quantity field.
    pub quantity_error: Option<String>,
    /// Next to the hours field.
    pub hours_error: Option<String>,
    /// Next to the start field.
    pub start_error: Option<String>,
    /// Units of the meter the customer already used this period.
    pub already_used: Decimal,
    /// Its quantity and cost to the end of the period, once the plan is priced.
    pub priced: Option<(Decimal, Money)>,
    plan_line: Option<PlanLine>,
}

impl CheckedLine {
    /// True when a field of the line has an error.
    pub fn has_error(&self) -> bool {
        self.meter_error.is_some()
            || self.quantity_error.is_some()
            || self.hours_error.is_some()
            || self.start_error.is_some()
    }
}

/// A plan checked and priced against the customer's billing period.
#[derive(Debug, Clone)]
pub struct PlanEvaluation {
    /// The name as typed.
    pub name: String,
    /// Next to the name field (saving only).
    pub name_error: Option<String>,
    /// The lines, in order.
    pub lines: Vec<CheckedLine>,
    /// The billing period without the plan.
    pub baseline: Baseline,
    /// The rate card the lines are priced from; `None`: there is none in the customer's
    /// currency.
    pub card: Option<RateCardVersion>,
    /// The plan priced, when every line is valid and there is at least one.
    pub result: Option<WhatIf>,
    /// The customer's status with the plan.
    pub new_status: Option<UsageStatus>,
}

impl PlanEvaluation {
    /// True when the plan can be saved: a name, at least one line, no error.
    pub fn can_be_saved(&self) -> bool {
        self.name_error.is_none() && self.result.is_some()
    }

    /// The lines as stored.
    pub fn saved_lines(&self) -> Vec<SavedPlanLine> {
        self.lines
            .iter()
            .filter_map(|line| {
                let meter = &line.meter.as_ref()?.meter;
                let plan_line = line.plan_line.as_ref()?;
                Some(SavedPlanLine {
                    meter_id: meter.meter_id.clone(),
                    meter_label: format!("{} ({})", meter.name, meter.region),
                    quantity: plan_line.quantity,
                    start: plan_line.start,
                })
            })
            .collect()
    }
}

/// The customer's billing period as the snapshot tells it.
pub fn baseline(snapshot: &CustomerSnapshot) -> Baseline {
    let day = snapshot.forecast_day();
    Baseline {
        period: BillingPeriod::containing(day),
        day,
        spend: snapshot.total_cost.clone(),
        projected: (snapshot.forecast.as_ref())
            .map_or(&snapshot.total_cost, |f| &f.projected_total)
            .clone(),
        budget: snapshot.budget.clone(),
    }
}

/// Checks and prices `input` for the customer of `snapshot`; with `naming`, the name is
/// required too (for saving). `near_threshold` is the "near budget" percentage.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn evaluate(
    store: &Store,
    snapshot: &CustomerSnapshot,
    input: &PlanInput,
    naming: bool,
    near_threshold: Decimal,
) -> Result<PlanEvaluation, StoreError> {
    let baseline = baseline(snapshot);
    let card = store
        .rate_card_versions()
        .await?
        .into_iter()
        .find(|v| v.currency == *snapshot.currency());
    let mut lines = Vec::with_capacity(input.lines.len());
    for line in input.lines.iter().take(MAX_LINES) {
        lines.push(check_line(store, snapshot, card.as_ref(), &baseline, line).await?);
    }
    let name_error = naming.then(|| name_error(&input.name)).flatten();
    let valid = !lines.is_empty() && card.is_some() && !lines.iter().any(CheckedLine::has_error);
    let plan_lines: Vec<PlanLine> = lines.iter().filter_map(|l| l.plan_line.clone()).collect();
    let result = if valid {
        what_if(&baseline, &plan_lines).ok()
    } else {
        None
    };
    if let Some(result) = &result {
        for (line, priced) in lines
            .iter_mut()
            .zip(result.line_quantities.iter().zip(&result.line_costs))
        {
            line.priced = Some((*priced.0, priced.1.clone()));
        }
    }
    let new_status = result.as_ref().map(|r| {
        UsageStatus::classify_projected(
            baseline.spend.amount(),
            Some(r.projected.amount()),
            baseline.budget.as_ref().map(Money::amount),
            near_threshold,
        )
    });
    Ok(PlanEvaluation {
        name: input.name.clone(),
        name_error,
        lines,
        baseline,
        card,
        result,
        new_status,
    })
}

fn name_error(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("Give the plan a name to save it.".into())
    } else if name.chars().count() > MAX_NAME {
        Some(format!("The name can have at most {MAX_NAME} characters."))
    } else {
        None
    }
}

async fn check_line(
    store: &Store,
    snapshot: &CustomerSnapshot,
    card: Option<&RateCardVersion>,
    baseline: &Baseline,
    input: &LineInput,
) -> Result<CheckedLine, StoreError> {
    let mut line = CheckedLine {
        input: input.clone(),
        ..CheckedLine::default()
    };
    match card {
        None => {
            line.meter_error = Some(format!(
                "There is no rate card in {} yet, so no meter can be priced: open Azure prices to read it.",
                snapshot.currency()
            ));
        }
        Some(card) => find_meter(store, card, &mut line).await?,
    }
    let quantity = parse_quantity(&input.quantity).map_err(|e| e.to_string());
    let quantity = match input.kind.as_str() {
        "month" => quantity.map(PlanQuantity::PerMonth),
        "instances" => {
            let hours = parse_quantity(&input.hours)
                .map_err(|e| e.to_string())
                .and_then(|h| {
                    if h > Decimal::from(24) {
                        Err("Hours per day can be at most 24.".to_owned())
                    } else {
                        Ok(h)
                    }
                });
            if let Err(e) = &hours {
                line.hours_error = Some(e.clone());
            }
            quantity.and_then(|count| {
                Ok(PlanQuantity::Instances {
                    count,
                    hours_per_day: hours.map_err(|_| String::new())?,
                })
            })
        }
        _ => quantity.map(PlanQuantity::PerDay),
    };
    if let Err(e) = &quantity
        && !e.is_empty()
    {
        line.quantity_error = Some(e.clone());
    }
    let start = start_day(&input.start, baseline);
    if let Err(e) = &start {
        line.start_error = Some(e.clone());
    }
    if let (Some(found), Ok(quantity), Ok(start)) = (&line.meter, quantity, start) {
        let m = &found.meter;
        line.already_used = store
            .customer_meter_quantity(
                &snapshot.customer_id,
                &m.meter_id,
                &m.name,
                &m.category,
                &m.subcategory,
            )
            .await?;
        line.plan_line = Some(PlanLine {
            price: m.price.clone(),
            quantity,
            start,
            already_used: line.already_used,
        });
    }
    Ok(line)
}

/// Finds the line's meter: by id, else by search words matching exactly one meter.
async fn find_meter(
    store: &Store,
    card: &RateCardVersion,
    line: &mut CheckedLine,
) -> Result<(), StoreError> {
    let typed = line.input.meter.trim();
    if typed.is_empty() {
        line.meter_error = Some("Name a meter: search words such as “D4s v3 EU West”.".into());
        return Ok(());
    }
    if let Some(found) = store.rate_card_meter(card, typed).await? {
        line.meter = Some(found);
        return Ok(());
    }
    let search = MeterSearch {
        text: typed.to_owned(),
        limit: MAX_CHOICES,
        ..MeterSearch::default()
    };
    let page = store.search_meters(card, &search).await?;
    match page.total {
        0 => {
            line.meter_error = Some(format!(
                "No meter on the {} rate card matches “{typed}”.",
                card.currency
            ));
        }
        1 => line.meter = page.meters.into_iter().next(),
        n => {
            line.meter_error = Some(format!(
                "{n} meters match “{typed}”: choose one{}.",
                if n > u64::from(MAX_CHOICES) {
                    format!(" of the first {MAX_CHOICES}, or add words")
                } else {
                    String::new()
                }
            ));
            line.choices = page.meters;
        }
    }
    Ok(())
}

/// The line's first day: as typed (`yyyy-mm-dd`, inside the billing period), or the day
/// after the latest data when empty.
fn start_day(typed: &str, baseline: &Baseline) -> Result<NaiveDate, String> {
    let period = &baseline.period;
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(baseline
            .day
            .checked_add_days(Days::new(1))
            .filter(|d| period.contains(*d))
            .unwrap_or(baseline.day));
    }
    let in_period = format!(
        "The start must be a day of the billing period, {} to {}.",
        period.start.format("%Y-%m-%d"),
        period.last_day().format("%Y-%m-%d")
    );
    let day = NaiveDate::parse_from_str(typed, "%Y-%m-%d")
        .map_err(|_| format!("Enter the start as a date such as 2026-11-16. {in_period}"))?;
    if period.contains(day) {
        Ok(day)
    } else {
        Err(in_period)
    }
}
