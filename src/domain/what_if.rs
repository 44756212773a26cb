//! What-if plans: what planned usage adds to a customer's billing period, on top of the
//! current projection (docs/rate-card.md, "What-if plans").
//!
//! - A line uses a meter at a steady quantity per day: the quantity per day as given, a
//!   quantity per month spread evenly over the period's days, or N instances × hours per day.
//! - It runs from its start day (or the day after the latest data, if later) to the period's
//!   last day, both included.
//! - Its cost is the meter's price of that quantity on top of the quantity the customer
//!   already used of the meter this period: tiers and the included quantity go on where they
//!   stand ([`MeterPrice::cost_of`]).
//! - The current projection is the straight line from the spend so far (on the latest data
//!   day) to the projected month-end total. The plan adds each line's cost day by day; the
//!   budget is crossed on the first day the sum reaches it.
//! - The budget that keeps the customer within it is the new month-end projection, rounded
//!   up to the currency's minor unit.
//! - Every amount is in the customer's currency, that of the baseline.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{BillingPeriod, MeterPrice, Money, PriceError};

/// How much of a meter a plan line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanQuantity {
    /// Units each day.
    PerDay(Decimal),
    /// Units each month, spread evenly over the billing period's days.
    PerMonth(Decimal),
    /// `count` instances running `hours_per_day` hours each day (hourly meters).
    Instances {
        /// Number of instances.
        count: Decimal,
        /// Hours each instance runs per day (0 to 24).
        hours_per_day: Decimal,
    },
}

impl PlanQuantity {
    /// Units per day in a period of `period_days` days.
    pub fn per_day(&self, period_days: u32) -> Decimal {
        match *self {
            Self::PerDay(q) => q,
            Self::PerMonth(q) => q / Decimal::from(period_days.max(1)),
            Self::Instances {
                count,
                hours_per_day,
            } => count * hours_per_day,
        }
    }
}

/// One line of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    /// The meter's price (in the customer's currency).
    pub price: MeterPrice,
    /// How much it uses.
    pub quantity: PlanQuantity,
    /// The first day it runs.
    pub start: NaiveDate,
    /// Units of the meter the customer already used this period (0 when not in use).
    pub already_used: Decimal,
}

/// Where the billing period stands without the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The billing period.
    pub period: BillingPeriod,
    /// The day of the latest data.
    pub day: NaiveDate,
    /// Spend so far, in the customer's currency (that of every amount of the plan).
    pub spend: Money,
    /// Projected spend at the period's end.
    pub projected: Money,
    /// The budget, if any.
    pub budget: Option<Money>,
}

impl Baseline {
    /// The projected spend at the end of `day` (the straight line from `spend` to
    /// `projected`).
    fn spend_on(&self, day: NaiveDate) -> Decimal {
        let (spend, projected) = (self.spend.amount(), self.projected.amount());
        let total_days = (self.period.last_day() - self.day).num_days();
        if total_days <= 0 {
            return projected;
        }
        let days = (day - self.day).num_days().clamp(0, total_days);
        spend + (projected - spend) * Decimal::from(days) / Decimal::from(total_days)
    }
}

/// What a plan does to the billing period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatIf {
    /// Each line's cost to the end of the period, in line order.
    pub line_costs: Vec<Money>,
    /// Each line's quantity to the end of the period, in the meter's unit.
    pub line_quantities: Vec<Decimal>,
    /// The new month-end projection.
    pub projected: Money,
    /// The first day the spend with the plan reaches the budget (in the period, after the
    /// latest data); `None` without a budget, when it stays under, or when already over.
    pub crosses_budget_on: Option<NaiveDate>,
    /// The smallest budget the new projection stays within, in minor units of the currency.
    pub budget_to_stay_within: Money,
}

/// The cost of a line's first `days` days of usage.
fn line_cost(line: &PlanLine, per_day: Decimal, days: i64) -> Result<Decimal, PriceError> {
    let quantity = per_day
        .checked_mul(Decimal::from(days.max(0)))
        .ok_or(PriceError::TooLarge)?;
    line.price.cost_of(line.already_used, quantity)
}

/// Prices `lines` against `baseline`, in the baseline's currency.
///
/// # Errors
/// [`PriceError`] when a quantity is negative or a cost does not fit.
pub fn what_if(baseline: &Baseline, lines: &[PlanLine]) -> Result<WhatIf, PriceError> {
    let currency = baseline.spend.currency();
    let period_days = baseline.period.days();
    let first_day = baseline.day.succ_opt().unwrap_or(baseline.day);
    let last_day = baseline.period.last_day();
    let runs: Vec<(NaiveDate, Decimal)> = lines
        .iter()
        .map(|line| {
            (
                line.start.max(first_day),
                line.quantity.per_day(period_days),
            )
        })
        .collect();
    let days_through = |from: NaiveDate, day: NaiveDate| (day - from).num_days() + 1;
    let mut line_costs = Vec::with_capacity(lines.len());
    let mut line_quantities = Vec::with_capacity(lines.len());
    for (line, (from, per_day)) in lines.iter().zip(&runs) {
        let days = days_through(*from, last_day).max(0);
        line_costs.push(line_cost(line, *per_day, days)?);
        line_quantities.push(*per_day * Decimal::from(days));
    }
    let added: Decimal = line_costs.iter().sum();
    let projected = baseline.projected.amount() + added;
    let crosses_budget_on = match baseline.budget.as_ref().map(Money::amount) {
        Some(budget) if baseline.spend.amount() < budget => {
            let mut crossing = None;
            for day in first_day.iter_days().take_while(|d| *d <= last_day) {
                let mut total = baseline.spend_on(day);
                for (line, (from, per_day)) in lines.iter().zip(&runs) {
                    total += line_cost(line, *per_day, days_through(*from, day))?;
                }
                if total >= budget {
                    crossing = Some(day);
                    break;
                }
            }
            crossing
        }
        _ => None,
    };
    let money = |amount| Money::new(amount, currency.clone());
    Ok(WhatIf {
        line_costs: line_costs.into_iter().map(money).collect(),
        line_quantities,
        projected: money(projected),
        crosses_budget_on,
        budget_to_stay_within: money(
            projected
                .round_dp_with_strategy(currency.minor_units(), RoundingStrategy::AwayFromZero),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn eur(text: &str) -> Money {
        Money::new(d(text), Currency::parse("EUR").unwrap())
    }

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, n).unwrap()
    }

    fn flat(price: &str) -> MeterPrice {
        MeterPrice::new([(Decimal::ZERO, d(price))], Decimal::ZERO).unwrap()
    }

    /// November (30 days); data of the 10th: 1,000 spent, 3,000 projected (100 a day for
    /// the 20 days left), budget 4,000.
    fn november() -> Baseline {
        Baseline {
            period: BillingPeriod::containing(day(10)),
            day: day(10),
            spend: eur("1000"),
            projected: eur("3000"),
            budget: Some(eur("4000")),
        }
    }

    #[test]
    fn four_machines_from_monday_add_their_hours_to_the_end_of_the_period() {
        // 4 x 24 h a day at 0.23 from the 16th: 15 days (16th to 30th) x 96 h = 1,440 h
        let line = PlanLine {
            price: flat("0.23"),
            quantity: PlanQuantity::Instances {
                count: d("4"),
                hours_per_day: d("24"),
            },
            start: day(16),
            already_used: Decimal::ZERO,
        };
        let plan = what_if(&november(), &[line]).unwrap();
        assert_eq!(plan.line_quantities, [d("1440")]);
        assert_eq!(plan.line_costs, [eur("331.20")]);
        assert_eq!(plan.projected, eur("3331.20"));
        assert_eq!(plan.crosses_budget_on, None);
        assert_eq!(plan.budget_to_stay_within, eur("3331.20"));
    }

    #[test]
    fn the_day_the_budget_is_crossed_adds_the_plan_day_by_day() {
        // 100 a day of baseline + 50 a day from the 11th: 1,000 + 150 x n >= 4,000 on n = 20,
        // the 30th; with 60 a day: 1,000 + 160 x n >= 4,000 on n = 18.75, so the 29th.
        let line = |per_day: &str| PlanLine {
            price: flat("1"),
            quantity: PlanQuantity::PerDay(d(per_day)),
            start: day(1),
            already_used: Decimal::ZERO,
        };
        let plan = what_if(&november(), &[line("50")]).unwrap();
        assert_eq!(plan.projected, eur("4000"));
        assert_eq!(plan.crosses_budget_on, Some(day(30)));
        let plan = what_if(&november(), &[line("60")]).unwrap();
        assert_eq!(plan.crosses_budget_on, Some(day(29)));
        assert_eq!(
            plan.line_quantities,
            [d("1200")],
            "from the 11th, not the 1st"
        );
    }

    #[test]
    fn a_monthly_quantity_is_spread_over_the_days_and_tiers_apply_on_top_of_usage() {
        // 300 GB a month = 10 a day; from the 21st: 10 days, 100 GB. Already 10,200 GB used:
        // 40 GB at 0.087 and 60 GB at 0.083 (tier from 10,240).
        let line = PlanLine {
            price: MeterPrice::new([(d("0"), d("0.087")), (d("10240"), d("0.083"))], d("5"))
                .unwrap(),
            quantity: PlanQuantity::PerMonth(d("300")),
            start: day(21),
            already_used: d("10200"),
        };
        let plan = what_if(&november(), &[line]).unwrap();
        assert_eq!(plan.line_quantities, [d("100")]);
        assert_eq!(plan.line_costs, [eur("8.46")]);
        assert_eq!(plan.budget_to_stay_within, eur("3008.46"));
    }

    #[test]
    fn the_budget_to_stay_within_is_rounded_up_to_the_minor_unit() {
        let line = PlanLine {
            price: flat("0.001"),
            quantity: PlanQuantity::PerDay(d("1")),
            start: day(30),
            already_used: Decimal::ZERO,
        };
        let plan = what_if(&november(), std::slice::from_ref(&line)).unwrap();
        assert_eq!(plan.budget_to_stay_within, eur("3000.01"));
        let yen = |text: &str| Money::new(d(text), Currency::parse("JPY").unwrap());
        let in_yen = Baseline {
            spend: yen("1000"),
            projected: yen("3000"),
            budget: Some(yen("4000")),
            ..november()
        };
        assert_eq!(
            what_if(&in_yen, &[line]).unwrap().budget_to_stay_within,
            yen("3001")
        );
    }
}
