//! The customer page's spend history and forecast: the month-end projection in words, the
//! charts of the current billing period with their data, the past billing periods, and the
//! customer's most expensive resources.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::charts::{
    CumulativeChart, DailyBarsChart, DailySpend, ResourceBarsChart, cumulative_chart,
    daily_bars_chart, daily_spend, resource_bars_chart,
};
use crate::domain::{BillingPeriod, Currency, ForecastMethod, Money, SpendPoint};
use crate::store::{CustomerSnapshot, DailyUsage};

/// The resources chart shows this many resources.
pub const TOP_RESOURCES: usize = 5;

/// The history and forecast part of the customer page.
#[derive(Debug, Clone)]
pub struct HistorySection {
    /// `None` until a refresh computed a forecast.
    pub forecast: Option<ForecastView>,
    /// The billing period of the snapshot's day.
    pub current: PeriodView,
    /// Earlier billing periods with recorded days, latest first.
    pub past: Vec<PastPeriodView>,
}

/// The month-end projection in words.
#[derive(Debug, Clone)]
pub struct ForecastView {
    /// `1,234.00 EUR`.
    pub projected: String,
    /// The method, e.g. "average of the last 7 days' spend".
    pub method: String,
    /// How many days the method's average is based on (0 without usage).
    pub days_based_on: u32,
    /// The period's last day, `30 Nov 2026`.
    pub period_end: String,
    /// When the budget was or will be crossed; `None` when it is not projected to be.
    pub crossing: Option<CrossingView>,
    /// The sentence when there is a budget but no crossing within the period.
    pub stays_under_budget: bool,
}

/// The day spend reached or is projected to reach the budget.
#[derive(Debug, Clone)]
pub struct CrossingView {
    /// `2026-11-25`, for `<time datetime>`.
    pub date: String,
    /// `25 Nov 2026`.
    pub label: String,
    /// `in 4 days`, or `reached` when spend is already at or over the budget.
    pub relative: String,
    /// Spend is already at or over the budget (the date is when it got there).
    pub reached: bool,
}

/// The current billing period: its charts, and the daily series as their text alternative.
#[derive(Debug, Clone)]
pub struct PeriodView {
    /// `1 Nov 2026 to 30 Nov 2026`.
    pub label: String,
    /// The charts' `<desc>`: what they show, in a sentence.
    pub cumulative_summary: String,
    pub daily_summary: String,
    pub cumulative: CumulativeChart,
    pub bars: DailyBarsChart,
    /// Oldest first; empty before the first refresh of the period.
    pub rows: Vec<DailyRow>,
}

/// An earlier billing period's recorded days.
#[derive(Debug, Clone)]
pub struct PastPeriodView {
    /// `October 2026`.
    pub label: String,
    /// The last recorded period-to-date spend, with the currency.
    pub last_total: String,
    /// The day of `last_total`, `31 Oct 2026`.
    pub last_day: String,
    pub rows: Vec<DailyRow>,
}

/// One recorded day.
#[derive(Debug, Clone)]
pub struct DailyRow {
    /// `2026-11-21`.
    pub date: String,
    /// `21 Nov`.
    pub label: String,
    /// Spend of the period up to that day, grouped, without the currency.
    pub period_to_date: String,
    /// That day's own spend, when the day before was recorded too.
    pub daily: Option<String>,
}

/// The customer's most expensive resources, or why they are not shown.
#[derive(Debug, Clone)]
pub enum TopResources {
    /// No resource usage was read for this customer yet.
    NotRead,
    /// The chart of the `TOP_RESOURCES` most expensive, read from `read` of the customer's
    /// `subscriptions` subscriptions.
    Chart {
        chart: ResourceBarsChart,
        read: usize,
        subscriptions: usize,
    },
}

/// When `snapshot`'s spend reached or is projected to reach its budget.
pub fn crossing_view(snapshot: &CustomerSnapshot) -> Option<CrossingView> {
    let day = snapshot.forecast.as_ref()?.crosses_budget_on?;
    let days = snapshot.days_until_crossing()?;
    let reached =
        (snapshot.budget.as_ref()).is_some_and(|b| snapshot.total_cost.amount() >= b.amount());
    Some(CrossingView {
        date: day.format("%Y-%m-%d").to_string(),
        label: long_date(day),
        relative: match days {
            _ if reached => "reached".to_owned(),
            1 => "in 1 day".to_owned(),
            n => format!("in {n} days"),
        },
        reached,
    })
}

/// The history section of `snapshot` from its recorded days `history` (any periods).
pub fn history_section(snapshot: &CustomerSnapshot, history: &[DailyUsage]) -> HistorySection {
    let currency = snapshot.currency();
    let today = snapshot.forecast_day();
    let period = BillingPeriod::containing(today);
    let mut periods: BTreeMap<NaiveDate, Vec<SpendPoint>> = BTreeMap::new();
    for row in history.iter().filter(|row| row.day <= today) {
        periods
            .entry(BillingPeriod::containing(row.day).start)
            .or_default()
            .push(SpendPoint {
                day: row.day,
                period_to_date: row.total_cost.amount(),
            });
    }
    let current_points = periods.remove(&period.start).unwrap_or_default();
    let days = daily_spend(&period, &current_points);
    let projected = (snapshot.forecast.as_ref()).map(|f| f.projected_total.amount());
    let budget = snapshot.budget.as_ref().map(Money::amount);
    HistorySection {
        forecast: (snapshot.forecast.as_ref()).map(|f| forecast_view(snapshot, f, &period)),
        current: PeriodView {
            label: format!(
                "{} to {}",
                long_date(period.start),
                long_date(period.last_day())
            ),
            cumulative_summary: cumulative_summary(snapshot, &days, &period),
            daily_summary: daily_summary(&days, currency),
            cumulative: cumulative_chart(period, &days, projected, budget, currency),
            bars: daily_bars_chart(period, &days, currency),
            rows: daily_rows(&days, currency),
        },
        past: (periods.into_iter().rev())
            .filter_map(|(start, points)| past_period(start, &points, currency))
            .collect(),
    }
}

/// The current period's spend so far in words, with the projection and the budget.
fn cumulative_summary(
    snapshot: &CustomerSnapshot,
    days: &[DailySpend],
    period: &BillingPeriod,
) -> String {
    let Some(latest) = days.last() else {
        return "No day of this billing period is recorded yet.".to_owned();
    };
    format!(
        "Spend of the billing period so far: {} on {}, from {} recorded days.{}{}",
        Money::new(latest.period_to_date, snapshot.currency().clone()),
        long_date(latest.day),
        days.len(),
        (snapshot.forecast.as_ref())
            .map(|f| format!(
                " Projected {} at the end of the period ({}).",
                f.projected_total,
                long_date(period.last_day())
            ))
            .unwrap_or_default(),
        (snapshot.budget.as_ref())
            .map(|b| format!(" Budget {b}."))
            .unwrap_or_else(|| " No budget.".to_owned()),
    )
}

/// The days whose own spend is known, and the highest, in words.
fn daily_summary(days: &[DailySpend], currency: &Currency) -> String {
    let known: Vec<&DailySpend> = days.iter().filter(|d| d.daily.is_some()).collect();
    match known.iter().max_by_key(|d| d.daily) {
        Some(highest) => format!(
            "Daily spend on {} days; the highest was {} on {}.",
            known.len(),
            Money::new(highest.daily.unwrap_or_default(), currency.clone()),
            long_date(highest.day)
        ),
        None => {
            "No day's own spend is known yet (it needs the day before recorded too).".to_owned()
        }
    }
}

/// The month-end forecast `f` of `snapshot`, in the current `period`.
fn forecast_view(
    snapshot: &CustomerSnapshot,
    f: &crate::store::SnapshotForecast,
    period: &BillingPeriod,
) -> ForecastView {
    ForecastView {
        projected: f.projected_total.to_string(),
        method: f.method.describe(),
        days_based_on: match f.method {
            ForecastMethod::RecentDailyAverage { days }
            | ForecastMethod::PeriodAverage { days, .. } => days,
            ForecastMethod::NoUsageYet => 0,
        },
        period_end: long_date(period.last_day()),
        crossing: crossing_view(snapshot),
        stays_under_budget: snapshot.budget.is_some() && f.crosses_budget_on.is_none(),
    }
}

/// A past period (starting `start`) from its recorded `points`; `None` without any.
fn past_period(
    start: NaiveDate,
    points: &[SpendPoint],
    currency: &Currency,
) -> Option<PastPeriodView> {
    let days = daily_spend(&BillingPeriod::containing(start), points);
    let last = days.last()?;
    Some(PastPeriodView {
        label: start.format("%B %Y").to_string(),
        last_total: Money::new(last.period_to_date, currency.clone()).to_string(),
        last_day: long_date(last.day),
        rows: daily_rows(&days, currency),
    })
}

/// The chart of the most expensive of `resources` (name and spend in the customer's
/// `currency`, from `read` of the customer's `subscriptions` subscriptions).
pub fn top_resources(
    mut resources: Vec<(String, Money)>,
    read: usize,
    subscriptions: usize,
) -> TopResources {
    if read == 0 || resources.is_empty() {
        return TopResources::NotRead;
    }
    resources.sort_by_key(|r| std::cmp::Reverse(r.1.amount()));
    resources.truncate(TOP_RESOURCES);
    TopResources::Chart {
        chart: resource_bars_chart(&resources),
        read,
        subscriptions,
    }
}

fn daily_rows(days: &[DailySpend], currency: &Currency) -> Vec<DailyRow> {
    let grouped = |amount: Decimal| Money::new(amount, currency.clone()).grouped();
    days.iter()
        .map(|d| DailyRow {
            date: d.day.format("%Y-%m-%d").to_string(),
            label: d.day.format("%-d %b").to_string(),
            period_to_date: grouped(d.period_to_date),
            daily: d.daily.map(grouped),
        })
        .collect()
}

/// `30 Nov 2026`.
fn long_date(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}
