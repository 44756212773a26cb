//! Month-end spend forecast: where a customer's spend of the billing period will end, and the
//! day it reaches the budget. Pure: today is a parameter, days are UTC calendar days, money is
//! exact ([`Decimal`], in the customer's currency).
//!
//! The rules, as stated in the UI:
//!
//! - Only points inside the billing period and not after today count. The latest of them is
//!   the spend so far (zero without points). A day given twice counts with its last value.
//! - Daily rate, recent average: `(latest - value N days before the latest day) / N`, for the
//!   largest N from 1 to 7 with a recorded value N days before. It follows the last week's
//!   behaviour rather than a straight line from the period start. Missing days in between do
//!   not matter: the values are period-to-date totals, so the difference covers them.
//! - Daily rate, period average, when no value 1 to 7 days before the latest day is recorded
//!   (in particular with a single point: the first day of a period, or the first refresh after
//!   Spendboard was installed mid-period): `latest / days from the period start to the latest
//!   day`, the latest day counted as a full day.
//! - No usage yet (no points, or spend so far of zero or less): rate zero.
//! - The rate is never negative: a falling series (credits) gives a rate of zero.
//! - Projected total: `latest + rate × days from the latest point's day to the period's last
//!   day`.
//! - Budget crossing: when spend so far >= budget (a zero budget with zero spend included) the
//!   budget is already exceeded, and the date is the first recorded day whose value reached
//!   it. Otherwise, with a positive rate, it is the first day `d` after the latest day with
//!   `latest + rate × (d - latest day) >= budget`, if `d` is inside the period; else there is
//!   none. The comparison is exact (the rate is kept as a fraction), so a rate such as 10/3
//!   per day never moves the date through rounding.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;

/// The most recent days the recent average looks back over.
const RECENT_DAYS: u32 = 7;

/// A customer's period-to-date spend as recorded on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendPoint {
    /// The UTC day the value was read on.
    pub day: NaiveDate,
    /// Spend of the billing period up to that day, in the customer's currency.
    pub period_to_date: Decimal,
}

/// A billing period: the UTC days from `start` up to, not including, `end_exclusive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingPeriod {
    /// The first day of the period.
    pub start: NaiveDate,
    /// The day after the period's last day.
    pub end_exclusive: NaiveDate,
}

impl BillingPeriod {
    /// The calendar month holding `day` (Partner Center's billing periods are calendar months).
    pub fn containing(day: NaiveDate) -> Self {
        let start = day - Days::new(u64::from(day.day0()));
        // Only the last month chrono can represent has no next month.
        let end_exclusive = start
            .checked_add_months(Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        Self {
            start,
            end_exclusive,
        }
    }

    /// The period as UTC instants `[start, end)`, midnight to midnight.
    pub fn utc_bounds(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        let midnight = |day: NaiveDate| day.and_time(chrono::NaiveTime::MIN).and_utc();
        (midnight(self.start), midnight(self.end_exclusive))
    }

    /// The number of days in the period (28 to 31 for a calendar month).
    pub fn days(&self) -> u32 {
        day_count(self.start, self.end_exclusive)
    }

    /// The period's last day.
    pub fn last_day(&self) -> NaiveDate {
        self.end_exclusive.pred_opt().unwrap_or(self.start)
    }

    /// Whether `day` falls inside the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day < self.end_exclusive
    }
}

/// How the daily rate of a [`Forecast`] was worked out, with the days it is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForecastMethod {
    /// The average increase over the last `days` days (1 to 7).
    RecentDailyAverage {
        /// Days between the latest point and the earlier one it is compared with.
        days: u32,
    },
    /// Spend so far divided by the days elapsed since the period start.
    PeriodAverage {
        /// The period's first day.
        since: NaiveDate,
        /// Days from `since` to the latest point, both included.
        days: u32,
    },
    /// Nothing spent in the period yet: the rate is zero.
    NoUsageYet,
}

impl ForecastMethod {
    /// The method in words for the UI, e.g. "average of the last 7 days' spend".
    pub fn describe(&self) -> String {
        match *self {
            Self::RecentDailyAverage { days: 1 } => "the last day's spend".to_owned(),
            Self::RecentDailyAverage { days } => format!("average of the last {days} days' spend"),
            Self::PeriodAverage { since, days } => format!(
                "average daily spend since {} ({days} {})",
                since.format("%-d %b"),
                if days == 1 { "day" } else { "days" }
            ),
            Self::NoUsageYet => "no usage yet".to_owned(),
        }
    }
}

/// Where a customer's spend of a billing period is heading (see the module doc for the rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    /// How the daily rate was worked out.
    pub method: ForecastMethod,
    /// Expected spend per day from now on, in the customer's currency; never negative.
    pub daily_rate: Decimal,
    /// Expected spend of the whole period, in the customer's currency.
    pub projected_total: Decimal,
    /// The day spend reached the budget (if already over) or is projected to (if inside the
    /// period); `None` without a budget or when the projection stays under it.
    pub crosses_budget_on: Option<NaiveDate>,
    /// Spend so far is at or above the budget.
    pub already_over: bool,
}

/// Forecasts the spend of `period` from `series` (in any order; points outside the period or
/// after `today` are ignored) against an optional `budget` in the same currency.
pub fn forecast(
    period: &BillingPeriod,
    today: NaiveDate,
    series: &[SpendPoint],
    budget: Option<Decimal>,
) -> Forecast {
    let mut points = BTreeMap::new();
    for point in series
        .iter()
        .filter(|p| period.contains(p.day) && p.day <= today)
    {
        points.insert(point.day, point.period_to_date);
    }
    let latest = points.last_key_value().map(|(day, spent)| (*day, *spent));
    let spent = latest.map_or(Decimal::ZERO, |(_, spent)| spent);

    let (method, rate) = match latest {
        Some((day, spent)) if spent > Decimal::ZERO => daily_rate(period, &points, day, spent),
        _ => (ForecastMethod::NoUsageYet, Rate::ZERO),
    };
    let projected_total = match latest {
        Some((day, spent)) => rate.spend_after(spent, (period.last_day() - day).num_days()),
        None => Decimal::ZERO,
    };

    let already_over = budget.is_some_and(|budget| spent >= budget);
    let crosses_budget_on = match (budget, latest) {
        (Some(budget), _) if already_over => points
            .iter()
            .find(|(_, value)| **value >= budget)
            .map(|(day, _)| *day),
        (Some(budget), Some((latest_day, spent))) => latest_day
            .iter_days()
            .skip(1)
            .take_while(|day| period.contains(*day))
            .find(|day| rate.reaches(spent, (*day - latest_day).num_days(), budget)),
        _ => None,
    };

    Forecast {
        method,
        daily_rate: rate.per_day(),
        projected_total,
        crosses_budget_on,
        already_over,
    }
}

/// The rate for a series with spend so far `latest` (positive) on `latest_day`.
fn daily_rate(
    period: &BillingPeriod,
    points: &BTreeMap<NaiveDate, Decimal>,
    latest_day: NaiveDate,
    latest: Decimal,
) -> (ForecastMethod, Rate) {
    let recent = (1..=RECENT_DAYS).rev().find_map(|days| {
        let earlier = latest_day.checked_sub_days(Days::new(u64::from(days)))?;
        points.get(&earlier).map(|value| (days, *value))
    });
    match recent {
        Some((days, earlier)) => (
            ForecastMethod::RecentDailyAverage { days },
            Rate::new(latest - earlier, days),
        ),
        None => {
            let days = day_count(period.start, latest_day) + 1;
            (
                ForecastMethod::PeriodAverage {
                    since: period.start,
                    days,
                },
                Rate::new(latest, days),
            )
        }
    }
}

/// A daily rate kept as the fraction `increase / over_days`, so that comparisons are exact.
#[derive(Debug, Clone, Copy)]
struct Rate {
    /// Never negative.
    increase: Decimal,
    /// Never zero.
    over_days: Decimal,
}

impl Rate {
    const ZERO: Self = Self {
        increase: Decimal::ZERO,
        over_days: Decimal::ONE,
    };

    /// `increase` over `over_days` days, clamped at zero.
    fn new(increase: Decimal, over_days: u32) -> Self {
        Self {
            increase: increase.max(Decimal::ZERO),
            over_days: Decimal::from(over_days.max(1)),
        }
    }

    fn per_day(self) -> Decimal {
        self.increase / self.over_days
    }

    /// Spend `days` days after a day with spend `from`.
    fn spend_after(self, from: Decimal, days: i64) -> Decimal {
        from + self.increase * Decimal::from(days) / self.over_days
    }

    /// Whether spend `days` days after a day with spend `from` reaches `budget`, compared as
    /// `from × over_days + increase × days >= budget × over_days`.
    fn reaches(self, from: Decimal, days: i64, budget: Decimal) -> bool {
        from * self.over_days + self.increase * Decimal::from(days) >= budget * self.over_days
    }
}

/// Days from `from` up to, not including, `to` (zero if `to` is not after `from`).
fn day_count(from: NaiveDate, to: NaiveDate) -> u32 {
    u32::try_from((to - from).num_days()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn series(points: &[(&str, &str)]) -> Vec<SpendPoint> {
        points
            .iter()
            .map(|(on, spent)| SpendPoint {
                day: day(on),
                period_to_date: d(spent),
            })
            .collect()
    }

    #[test]
    fn calendar_months_have_28_30_and_31_days() {
        let feb = BillingPeriod::containing(day("2026-02-14"));
        assert_eq!(feb.start, day("2026-02-01"));
        assert_eq!(feb.end_exclusive, day("2026-03-01"));
        assert_eq!(feb.last_day(), day("2026-02-28"));
        assert_eq!(feb.days(), 28);

        let nov = BillingPeriod::containing(day("2026-11-30"));
        assert_eq!(nov.start, day("2026-11-01"));
        assert_eq!(nov.last_day(), day("2026-11-30"));
        assert_eq!(nov.days(), 30);

        let dec = BillingPeriod::containing(day("2026-12-01"));
        assert_eq!(dec.start, day("2026-12-01"));
        assert_eq!(dec.end_exclusive, day("2027-01-01"));
        assert_eq!(dec.days(), 31);
        assert!(dec.contains(day("2026-12-31")));
        assert!(!dec.contains(day("2027-01-01")));
        assert!(!dec.contains(day("2026-11-30")));
    }

    #[test]
    fn the_first_day_of_a_period_uses_that_days_spend_as_the_rate() {
        let nov = BillingPeriod::containing(day("2026-11-01"));
        let f = forecast(
            &nov,
            day("2026-11-01"),
            &series(&[("2026-11-01", "12.50")]),
            Some(d("300")),
        );
        // One point: period average 12.50 / 1 day = 12.50 a day.
        assert_eq!(
            f.method,
            ForecastMethod::PeriodAverage {
                since: day("2026-11-01"),
                days: 1
            }
        );
        assert_eq!(f.daily_rate, d("12.50"));
        // 12.50 + 12.50 × 29 days (2 Nov to 30 Nov) = 375.00
        assert_eq!(f.projected_total, d("375.00"));
        // 12.50 + 12.50 × k >= 300 -> k >= 23 (k = 22 gives 287.50) -> 1 Nov + 23 = 24 Nov
        assert_eq!(f.crosses_budget_on, Some(day("2026-11-24")));
        assert!(!f.already_over);
    }

    #[test]
    fn a_customer_with_no_usage_has_a_zero_rate_and_no_crossing() {
        let dec = BillingPeriod::containing(day("2026-12-10"));
        let f = forecast(
            &dec,
            day("2026-12-10"),
            &series(&[
                ("2026-12-01", "0"),
                ("2026-12-05", "0"),
                ("2026-12-10", "0"),
            ]),
            Some(d("100")),
        );
        assert_eq!(f.method, ForecastMethod::NoUsageYet);
        assert_eq!(f.daily_rate, Decimal::ZERO);
        assert_eq!(f.projected_total, Decimal::ZERO);
        assert_eq!(f.crosses_budget_on, None);
        assert!(!f.already_over);

        let empty = forecast(&dec, day("2026-12-10"), &[], None);
        assert_eq!(empty.method, ForecastMethod::NoUsageYet);
        assert_eq!(empty.projected_total, Decimal::ZERO);
        assert_eq!(empty.crosses_budget_on, None);
        assert!(!empty.already_over);
    }

    #[test]
    fn a_zero_budget_with_zero_spend_is_already_over() {
        let dec = BillingPeriod::containing(day("2026-12-10"));
        let f = forecast(
            &dec,
            day("2026-12-10"),
            &series(&[("2026-12-03", "0"), ("2026-12-10", "0")]),
            Some(Decimal::ZERO),
        );
        // 0 >= 0 on the first recorded day, 3 Dec.
        assert!(f.already_over);
        assert_eq!(f.crosses_budget_on, Some(day("2026-12-03")));

        // No points: spend so far is zero, which reaches a zero budget, on no recorded day.
        let empty = forecast(&dec, day("2026-12-10"), &[], Some(Decimal::ZERO));
        assert!(empty.already_over);
        assert_eq!(empty.crosses_budget_on, None);
    }

    #[test]
    fn an_exceeded_budget_is_dated_on_the_first_day_that_reached_it() {
        let nov = BillingPeriod::containing(day("2026-11-04"));
        let f = forecast(
            &nov,
            day("2026-11-04"),
            &series(&[
                ("2026-11-01", "40"),
                ("2026-11-02", "90"),
                ("2026-11-03", "100"),
                ("2026-11-04", "130"),
            ]),
            Some(d("100")),
        );
        assert!(f.already_over);
        // 3 Nov is the first value >= 100 (equal counts).
        assert_eq!(f.crosses_budget_on, Some(day("2026-11-03")));
        // Largest look-back available: 3 days (1 Nov). (130 - 40) / 3 = 30 a day.
        assert_eq!(f.method, ForecastMethod::RecentDailyAverage { days: 3 });
        assert_eq!(f.daily_rate, d("30"));
        // 130 + 30 × 26 days (5 Nov to 30 Nov) = 910
        assert_eq!(f.projected_total, d("910"));
    }

    /// December 2026 (31 days): 5 a day for 3 days, then 20 a day.
    fn december_series() -> Vec<SpendPoint> {
        series(&[
            ("2026-12-01", "5"),
            ("2026-12-02", "10"),
            ("2026-12-03", "15"),
            ("2026-12-04", "35"),
            ("2026-12-05", "55"),
            ("2026-12-06", "75"),
            ("2026-12-07", "95"),
            ("2026-12-08", "115"),
            ("2026-12-09", "135"),
            ("2026-12-10", "155"),
        ])
    }

    #[test]
    fn a_budget_crossed_mid_period_follows_the_last_weeks_rate() {
        let dec = BillingPeriod::containing(day("2026-12-10"));
        let f = forecast(&dec, day("2026-12-10"), &december_series(), Some(d("400")));
        // (155 - 15 on 3 Dec) / 7 = 20 a day, not the period average 155 / 10 = 15.5.
        assert_eq!(f.method, ForecastMethod::RecentDailyAverage { days: 7 });
        assert_eq!(f.daily_rate, d("20"));
        // 155 + 20 × 21 days (11 Dec to 31 Dec) = 575
        assert_eq!(f.projected_total, d("575"));
        // 155 + 20 × k >= 400 -> k >= 12.25 -> k = 13 (k = 12 gives 395) -> 23 Dec
        assert_eq!(f.crosses_budget_on, Some(day("2026-12-23")));
        assert!(!f.already_over);
    }

    #[test]
    fn a_budget_above_the_projection_is_not_crossed() {
        let dec = BillingPeriod::containing(day("2026-12-10"));
        let f = forecast(
            &dec,
            day("2026-12-10"),
            &december_series(),
            Some(d("575.01")),
        );
        // Projection 575 < 575.01.
        assert_eq!(f.crosses_budget_on, None);
        assert!(!f.already_over);

        // A budget equal to the projection is reached on the last day: 155 + 20 × 21 = 575.
        let f = forecast(&dec, day("2026-12-10"), &december_series(), Some(d("575")));
        assert_eq!(f.crosses_budget_on, Some(day("2026-12-31")));
    }

    #[test]
    fn february_2026_projects_over_28_days() {
        let feb = BillingPeriod::containing(day("2026-02-14"));
        let points = series(&[("2026-02-10", "100"), ("2026-02-14", "160")]);
        let f = forecast(&feb, day("2026-02-14"), &points, Some(d("365")));
        // (160 - 100) / 4 = 15 a day
        assert_eq!(f.method, ForecastMethod::RecentDailyAverage { days: 4 });
        assert_eq!(f.daily_rate, d("15"));
        // 160 + 15 × 14 days (15 Feb to 28 Feb) = 370
        assert_eq!(f.projected_total, d("370"));
        // 160 + 15 × k >= 365 -> k >= 13.67 -> k = 14 -> 28 Feb
        assert_eq!(f.crosses_budget_on, Some(day("2026-02-28")));

        // 371 would be reached on 1 Mar (k = 15), outside the period.
        let f = forecast(&feb, day("2026-02-14"), &points, Some(d("371")));
        assert_eq!(f.crosses_budget_on, None);
    }

    #[test]
    fn november_2026_projects_over_30_days() {
        let nov = BillingPeriod::containing(day("2026-11-20"));
        let points = series(&[("2026-11-19", "190"), ("2026-11-20", "200")]);
        let f = forecast(&nov, day("2026-11-20"), &points, None);
        // (200 - 190) / 1 = 10 a day; 200 + 10 × 10 days (21 Nov to 30 Nov) = 300
        assert_eq!(f.method, ForecastMethod::RecentDailyAverage { days: 1 });
        assert_eq!(f.daily_rate, d("10"));
        assert_eq!(f.projected_total, d("300"));
        assert_eq!(f.crosses_budget_on, None);
        assert!(!f.already_over);
    }

    #[test]
    fn gaps_use_the_furthest_point_within_seven_days() {
        let nov = BillingPeriod::containing(day("2026-11-21"));
        // Out of order on purpose; no refresh on 21 Nov (today).
        let points = series(&[
            ("2026-11-18", "170"),
            ("2026-11-20", "200"),
            ("2026-11-05", "50"),
            ("2026-11-15", "140"),
        ]);
        let f = forecast(&nov, day("2026-11-21"), &points, Some(d("300")));
        // Latest 20 Nov; 15 Nov is 5 days before (18 Nov, 2 days, is nearer but shorter).
        // (200 - 140) / 5 = 12 a day
        assert_eq!(f.method, ForecastMethod::RecentDailyAverage { days: 5 });
        assert_eq!(f.daily_rate, d("12"));
        // From the latest point's day: 200 + 12 × 10 days (21 Nov to 30 Nov) = 320
        assert_eq!(f.projected_total, d("320"));
        // 200 + 12 × k >= 300 -> k >= 8.33 -> k = 9 -> 29 Nov
        assert_eq!(f.crosses_budget_on, Some(day("2026-11-29")));
    }

    #[test]
    fn a_gap_longer_than_seven_days_falls_back_to_the_period_average() {
        let nov = BillingPeriod::containing(day("2026-11-20"));
        let points = series(&[
            ("2026-11-05", "50"),
            ("2026-11-12", "120"),
            ("2026-11-20", "200"),
        ]);
        let f = forecast(&nov, day("2026-11-20"), &points, None);
        // 12 Nov is 8 days before 20 Nov: none within 7. 200 / 20 days (1 to 20 Nov) = 10 a day
        assert_eq!(
            f.method,
            ForecastMethod::PeriodAverage {
                since: day("2026-11-01"),
                days: 20
            }
        );
        assert_eq!(f.daily_rate, d("10"));
        // 200 + 10 × 10 = 300
        assert_eq!(f.projected_total, d("300"));
    }

    #[test]
    fn points_of_a_previous_period_or_after_today_are_ignored() {
        let nov = BillingPeriod::containing(day("2026-11-03"));
        let points = series(&[
            ("2026-10-30", "900"),
            ("2026-10-31", "950"),
            ("2026-11-03", "30"),
            ("2026-11-04", "999"),
        ]);
        let f = forecast(&nov, day("2026-11-03"), &points, Some(d("500")));
        // Only 3 Nov counts: 30 / 3 days (1 to 3 Nov) = 10 a day.
        assert_eq!(
            f.method,
            ForecastMethod::PeriodAverage {
                since: day("2026-11-01"),
                days: 3
            }
        );
        assert_eq!(f.daily_rate, d("10"));
        // 30 + 10 × 27 days (4 Nov to 30 Nov) = 300
        assert_eq!(f.projected_total, d("300"));
        assert!(!f.already_over);
        assert_eq!(f.crosses_budget_on, None);
    }

    #[test]
    fn a_falling_series_is_clamped_at_a_zero_rate() {
        let nov = BillingPeriod::containing(day("2026-11-10"));
        let points = series(&[
            ("2026-11-08", "100"),
            ("2026-11-09", "100"),
            ("2026-11-10", "80"),
        ]);
        let f = forecast(&nov, day("2026-11-10"), &points, Some(d("90")));
        // (80 - 100) / 2 = -10, clamped to 0.
        assert_eq!(f.method, ForecastMethod::RecentDailyAverage { days: 2 });
        assert_eq!(f.daily_rate, Decimal::ZERO);
        assert_eq!(f.projected_total, d("80"));
        // 80 < 90 now and never rises.
        assert!(!f.already_over);
        assert_eq!(f.crosses_budget_on, None);
    }

    #[test]
    fn a_rate_that_does_not_divide_evenly_crosses_on_the_exact_day() {
        let nov = BillingPeriod::containing(day("2026-11-10"));
        let points = series(&[("2026-11-07", "10"), ("2026-11-10", "20")]);
        let f = forecast(&nov, day("2026-11-10"), &points, Some(d("30")));
        // (20 - 10) / 3 = 3.333… a day; 20 + 10/3 × 3 = 30 exactly -> 13 Nov, not 14 Nov.
        assert_eq!(f.daily_rate.round_dp(4), d("3.3333"));
        assert_eq!(f.crosses_budget_on, Some(day("2026-11-13")));
        // 20 + 10/3 × 20 days (11 Nov to 30 Nov) = 86.666…
        assert_eq!(f.projected_total.round_dp(2), d("86.67"));
    }

    #[test]
    fn a_repeated_day_counts_with_its_last_value() {
        let nov = BillingPeriod::containing(day("2026-11-10"));
        let points = series(&[
            ("2026-11-09", "50"),
            ("2026-11-10", "55"),
            ("2026-11-10", "60"),
        ]);
        let f = forecast(&nov, day("2026-11-10"), &points, None);
        // (60 - 50) / 1 = 10; 60 + 10 × 20 = 260
        assert_eq!(f.daily_rate, d("10"));
        assert_eq!(f.projected_total, d("260"));
    }

    #[test]
    fn methods_are_described_with_their_days() {
        assert_eq!(
            ForecastMethod::RecentDailyAverage { days: 7 }.describe(),
            "average of the last 7 days' spend"
        );
        assert_eq!(
            ForecastMethod::RecentDailyAverage { days: 1 }.describe(),
            "the last day's spend"
        );
        assert_eq!(
            ForecastMethod::PeriodAverage {
                since: day("2026-11-03"),
                days: 18
            }
            .describe(),
            "average daily spend since 3 Nov (18 days)"
        );
        assert_eq!(
            ForecastMethod::PeriodAverage {
                since: day("2026-11-01"),
                days: 1
            }
            .describe(),
            "average daily spend since 1 Nov (1 day)"
        );
        assert_eq!(ForecastMethod::NoUsageYet.describe(), "no usage yet");
    }
}
