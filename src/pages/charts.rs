//! The customer page's SVG charts as numbers: this module computes every coordinate (SVG
//! user units of a fixed `viewBox`) and label, and the templates `partials/chart_*.html`
//! draw them. No markup is built here. Coordinates are exact decimals rounded to 0.1 unit,
//! like every amount they are drawn from (never `f64`).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::domain::{BillingPeriod, Currency, Money, SpendPoint};

/// Width of every chart's `viewBox`.
pub const WIDTH: u32 = 640;
/// Height of the spend charts' `viewBox`.
pub const HEIGHT: u32 = 220;

/// The plot area inside the `viewBox`: room for amount labels on the left and day labels
/// below.
const LEFT: i64 = 84;
const RIGHT: i64 = 628;
const TOP: i64 = 12;
const BOTTOM: i64 = 192;

/// A point in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub x: Decimal,
    pub y: Decimal,
}

/// A straight line in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub from: Point,
    pub to: Point,
}

/// An axis label at a coordinate (x for the day axis, y for the amount axis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub at: Decimal,
    pub label: String,
}

/// The edges of the plot area, for axes and grid lines, and where the axis labels go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub left: Decimal,
    pub right: Decimal,
    pub top: Decimal,
    pub bottom: Decimal,
    /// The x where amount labels end (right-aligned, left of the plot).
    pub amount_label_x: Decimal,
    /// The baseline of the day labels (below the plot).
    pub day_label_y: Decimal,
}

impl Default for Frame {
    fn default() -> Self {
        Self {
            left: LEFT.into(),
            right: RIGHT.into(),
            top: TOP.into(),
            bottom: BOTTOM.into(),
            amount_label_x: (LEFT - 6).into(),
            day_label_y: (BOTTOM + 18).into(),
        }
    }
}

/// One day of a billing period's history, for the charts and their data tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailySpend {
    pub day: NaiveDate,
    /// Spend of the period up to and including this day.
    pub period_to_date: Decimal,
    /// Spend of this day alone: the increase since the day before (or the whole value on
    /// the period's first day); `None` when the day before was not recorded.
    pub daily: Option<Decimal>,
}

/// The recorded days of `period` in `points` (any order; one value per day, the last one
/// given wins), oldest first, with each day's own spend where it can be known.
pub fn daily_spend(period: &BillingPeriod, points: &[SpendPoint]) -> Vec<DailySpend> {
    let mut days: Vec<SpendPoint> = points
        .iter()
        .filter(|p| period.contains(p.day))
        .copied()
        .collect();
    days.sort_by_key(|p| p.day);
    days.dedup_by(|later, earlier| {
        let same = later.day == earlier.day;
        if same {
            earlier.period_to_date = later.period_to_date;
        }
        same
    });
    let mut previous: Option<SpendPoint> = None;
    days.into_iter()
        .map(|p| {
            let daily = if p.day == period.start {
                Some(p.period_to_date)
            } else {
                previous
                    .filter(|before| before.day.succ_opt() == Some(p.day))
                    .map(|before| p.period_to_date - before.period_to_date)
            };
            previous = Some(p);
            DailySpend {
                day: p.day,
                period_to_date: p.period_to_date,
                daily,
            }
        })
        .collect()
}

/// Cumulative spend of the billing period against the budget, with the projection to the
/// period's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CumulativeChart {
    pub frame: Frame,
    /// Spend so far: the period start at zero, then the end of each recorded day.
    pub spend: Vec<Point>,
    /// From the latest recorded day to the end of the period, at the projected total.
    pub projection: Option<Segment>,
    /// The budget, across the whole period.
    pub budget: Option<Segment>,
    pub amount_ticks: Vec<Tick>,
    pub day_ticks: Vec<Tick>,
}

/// Daily spend as bars, one slot per day of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyBarsChart {
    pub frame: Frame,
    pub bars: Vec<Bar>,
    pub amount_ticks: Vec<Tick>,
    pub day_ticks: Vec<Tick>,
}

/// A bar (SVG `rect`), with the text of its tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub x: Decimal,
    pub y: Decimal,
    pub width: Decimal,
    pub height: Decimal,
    pub label: String,
}

/// Horizontal bars of the customer's most expensive resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceBarsChart {
    /// Height of the `viewBox` (grows with the number of bars).
    pub height: u32,
    pub rows: Vec<ResourceBar>,
}

/// One resource: its name on the left, its bar, its amount after the bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceBar {
    /// The name as drawn, shortened to fit; `full_name` is in its tooltip and the table.
    pub name: String,
    pub full_name: String,
    pub amount: String,
    /// Baseline of the texts.
    pub text_y: Decimal,
    pub bar: Bar,
    /// Where the amount label starts.
    pub amount_x: Decimal,
}

/// Maps amounts and days of `period` onto the plot area, amounts from zero to `max`.
struct Scale {
    period: BillingPeriod,
    max: Decimal,
    frame: Frame,
}

impl Scale {
    fn new(period: BillingPeriod, largest: Decimal) -> Self {
        Self {
            period,
            max: nice_ceiling(largest),
            frame: Frame::default(),
        }
    }

    fn plot_width(&self) -> Decimal {
        self.frame.right - self.frame.left
    }

    fn day_width(&self) -> Decimal {
        self.plot_width() / Decimal::from(self.period.days().max(1))
    }

    /// The x of the start of `day` (the end of the day before).
    fn day_start(&self, day: NaiveDate) -> Decimal {
        let index = (day - self.period.start).num_days();
        self.frame.left + self.day_width() * Decimal::from(index)
    }

    fn day_end(&self, day: NaiveDate) -> Decimal {
        self.day_start(day) + self.day_width()
    }

    fn y(&self, amount: Decimal) -> Decimal {
        let height = self.frame.bottom - self.frame.top;
        let share = (amount.max(Decimal::ZERO) / self.max).min(Decimal::ONE);
        coordinate(self.frame.bottom - height * share)
    }

    fn amount_ticks(&self, currency: &Currency) -> Vec<Tick> {
        [Decimal::ZERO, self.max / Decimal::TWO, self.max]
            .into_iter()
            .map(|amount| Tick {
                at: self.y(amount),
                label: Money::new(amount, currency.clone()).grouped(),
            })
            .collect()
    }

    /// Days 1, 8, 15, 22 and the period's last day, under the middle of their slot.
    fn day_ticks(&self) -> Vec<Tick> {
        let last = self.period.last_day();
        self.period
            .start
            .iter_days()
            .take_while(|day| *day <= last)
            .filter(|day| day.day() % 7 == 1 && (last - *day).num_days() >= 3 || *day == last)
            .map(|day| Tick {
                at: coordinate((self.day_start(day) + self.day_end(day)) / Decimal::TWO),
                label: day.format("%-d %b").to_string(),
            })
            .collect()
    }
}

/// The cumulative chart of `days` (from [`daily_spend`]) in `period`, with the projected
/// total at the period's end and the budget, in `currency`.
pub fn cumulative_chart(
    period: BillingPeriod,
    days: &[DailySpend],
    projected: Option<Decimal>,
    budget: Option<Decimal>,
    currency: &Currency,
) -> CumulativeChart {
    let largest = days
        .iter()
        .map(|d| d.period_to_date)
        .chain(projected)
        .chain(budget)
        .max()
        .unwrap_or_default();
    let scale = Scale::new(period, largest);
    let origin = Point {
        x: scale.frame.left,
        y: scale.y(Decimal::ZERO),
    };
    let spend: Vec<Point> = std::iter::once(origin)
        .chain(days.iter().map(|d| Point {
            x: coordinate(scale.day_end(d.day)),
            y: scale.y(d.period_to_date),
        }))
        .collect();
    let projection = match (days.last(), projected) {
        (Some(latest), Some(projected)) if latest.day < period.last_day() => Some(Segment {
            from: Point {
                x: coordinate(scale.day_end(latest.day)),
                y: scale.y(latest.period_to_date),
            },
            to: Point {
                x: scale.frame.right,
                y: scale.y(projected),
            },
        }),
        _ => None,
    };
    let budget = budget.map(|budget| Segment {
        from: Point {
            x: scale.frame.left,
            y: scale.y(budget),
        },
        to: Point {
            x: scale.frame.right,
            y: scale.y(budget),
        },
    });
    CumulativeChart {
        frame: scale.frame,
        spend,
        projection,
        budget,
        amount_ticks: scale.amount_ticks(currency),
        day_ticks: scale.day_ticks(),
    }
}

/// The daily bars of `days` (from [`daily_spend`]) in `period`, in `currency`. Days whose
/// own spend is unknown have no bar; a negative day (credits) is drawn at zero height.
pub fn daily_bars_chart(
    period: BillingPeriod,
    days: &[DailySpend],
    currency: &Currency,
) -> DailyBarsChart {
    let largest = days
        .iter()
        .filter_map(|d| d.daily)
        .max()
        .unwrap_or_default();
    let scale = Scale::new(period, largest);
    let gap = scale.day_width() / Decimal::from(8);
    let bars = days
        .iter()
        .filter_map(|d| {
            let daily = d.daily?;
            let y = scale.y(daily);
            Some(Bar {
                x: coordinate(scale.day_start(d.day) + gap),
                y,
                width: coordinate(scale.day_width() - gap * Decimal::TWO),
                height: scale.frame.bottom - y,
                label: format!(
                    "{}: {}",
                    d.day.format("%-d %b"),
                    Money::new(daily, currency.clone())
                ),
            })
        })
        .collect();
    DailyBarsChart {
        frame: scale.frame,
        bars,
        amount_ticks: scale.amount_ticks(currency),
        day_ticks: scale.day_ticks(),
    }
}

/// Rows of the resources chart and the layout of each.
const RESOURCE_ROW: i64 = 30;
const RESOURCE_NAME_CHARS: usize = 30;
const RESOURCE_BAR_LEFT: i64 = 236;
const RESOURCE_BAR_RIGHT: i64 = 520;

/// Horizontal bars of `resources` (name and spend, most expensive first, in one currency).
pub fn resource_bars_chart(resources: &[(String, Money)]) -> ResourceBarsChart {
    let largest = resources
        .iter()
        .map(|(_, cost)| cost.amount())
        .max()
        .unwrap_or_default()
        .max(Decimal::ZERO);
    let span = Decimal::from(RESOURCE_BAR_RIGHT - RESOURCE_BAR_LEFT);
    let rows = resources
        .iter()
        .zip(0_i64..)
        .map(|((name, cost), index)| {
            let top = Decimal::from(index * RESOURCE_ROW + 4);
            let width = if largest.is_zero() {
                Decimal::ZERO
            } else {
                coordinate(span * cost.amount().max(Decimal::ZERO) / largest)
            };
            let amount = cost.to_string();
            ResourceBar {
                name: shorten(name, RESOURCE_NAME_CHARS),
                full_name: name.clone(),
                text_y: top + Decimal::from(15),
                bar: Bar {
                    x: RESOURCE_BAR_LEFT.into(),
                    y: top,
                    width,
                    height: Decimal::from(20),
                    label: format!("{name}: {amount}"),
                },
                amount_x: Decimal::from(RESOURCE_BAR_LEFT + 6) + width,
                amount,
            }
        })
        .collect();
    ResourceBarsChart {
        height: u32::try_from(resources.len() as i64 * RESOURCE_ROW + 8).unwrap_or(HEIGHT),
        rows,
    }
}

/// `name` cut to `max` characters, with an ellipsis when cut.
fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_owned()
    } else {
        let mut short: String = name.chars().take(max - 1).collect();
        short.push('…');
        short
    }
}

/// A coordinate rounded to 0.1 unit.
fn coordinate(value: Decimal) -> Decimal {
    value.round_dp(1).normalize()
}

/// The smallest 1, 2 or 5 × 10^n at or above `value` (1 for zero or less): the top of an
/// amount axis.
fn nice_ceiling(value: Decimal) -> Decimal {
    if value <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let ten = Decimal::TEN;
    let mut step = Decimal::ONE;
    while let Some(next) = step.checked_mul(ten).filter(|next| *next <= value) {
        step = next;
    }
    while step > value {
        step /= ten;
    }
    [1, 2, 5, 10]
        .into_iter()
        .filter_map(|m| step.checked_mul(Decimal::from(m)))
        .find(|candidate| *candidate >= value)
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, n).unwrap()
    }

    fn point(n: u32, value: &str) -> SpendPoint {
        SpendPoint {
            day: day(n),
            period_to_date: d(value),
        }
    }

    fn november() -> BillingPeriod {
        BillingPeriod::containing(day(15))
    }

    #[test]
    fn axis_tops_are_round_numbers_at_or_above_the_largest_value() {
        assert_eq!(nice_ceiling(d("0")), d("1"));
        assert_eq!(nice_ceiling(d("1")), d("1"));
        assert_eq!(nice_ceiling(d("1.01")), d("2"));
        assert_eq!(nice_ceiling(d("430")), d("500"));
        assert_eq!(nice_ceiling(d("501")), d("1000"));
        assert_eq!(nice_ceiling(d("0.03")), d("0.05"));
        assert_eq!(nice_ceiling(Decimal::MAX), Decimal::MAX);
    }

    #[test]
    fn a_days_own_spend_is_known_only_after_a_recorded_day_before() {
        // Day 1: the whole value. Day 2: 25 - 10. Day 4: day 3 missing, unknown.
        // Day 5: 40 - 52 = -12 (a credit). Points of October are ignored.
        let points = [
            point(2, "25"),
            point(1, "10"),
            point(4, "52"),
            point(5, "40"),
            SpendPoint {
                day: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
                period_to_date: d("999"),
            },
        ];
        let days = daily_spend(&november(), &points);
        let daily: Vec<(u32, Option<Decimal>)> =
            days.iter().map(|x| (x.day.day(), x.daily)).collect();
        assert_eq!(
            daily,
            vec![
                (1, Some(d("10"))),
                (2, Some(d("15"))),
                (4, None),
                (5, Some(d("-12")))
            ]
        );
    }

    #[test]
    fn the_cumulative_chart_scales_spend_projection_and_budget_to_the_plot_area() {
        // 30 days over 544 units: 18.1333.. per day. Top of the axis: nice(600) = 1000.
        // Plot height 180: y(v) = 192 - 180 * v / 1000.
        let days = daily_spend(&november(), &[point(1, "100"), point(2, "200")]);
        let chart = cumulative_chart(
            november(),
            &days,
            Some(d("600")),
            Some(d("500")),
            &Currency::parse("EUR").unwrap(),
        );
        assert_eq!(
            chart.spend,
            vec![
                Point {
                    x: d("84"),
                    y: d("192")
                },
                // End of day 1: 84 + 18.133 = 102.1; y = 192 - 18 = 174.
                Point {
                    x: d("102.1"),
                    y: d("174")
                },
                // End of day 2: 84 + 36.267 = 120.3; y = 192 - 36 = 156.
                Point {
                    x: d("120.3"),
                    y: d("156")
                },
            ]
        );
        let projection = chart.projection.unwrap();
        assert_eq!(
            projection.from,
            Point {
                x: d("120.3"),
                y: d("156")
            }
        );
        // 600 at the right edge: y = 192 - 108 = 84.
        assert_eq!(
            projection.to,
            Point {
                x: d("628"),
                y: d("84")
            }
        );
        // Budget 500: y = 192 - 90 = 102.
        assert_eq!(chart.budget.unwrap().from.y, d("102"));
        let labels: Vec<&str> = chart
            .amount_ticks
            .iter()
            .map(|t| t.label.as_str())
            .collect();
        assert_eq!(labels, ["0.00", "500.00", "1,000.00"]);
        let days: Vec<&str> = chart.day_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(days, ["1 Nov", "8 Nov", "15 Nov", "22 Nov", "30 Nov"]);
    }

    #[test]
    fn daily_bars_have_no_bar_for_an_unknown_day_and_none_below_zero() {
        // Daily: 10, 30, unknown (day 3 missing), -5. Axis top nice(30) = 50.
        let days = daily_spend(
            &november(),
            &[
                point(1, "10"),
                point(2, "40"),
                point(4, "60"),
                point(5, "55"),
            ],
        );
        let chart = daily_bars_chart(november(), &days, &Currency::parse("JPY").unwrap());
        assert_eq!(chart.bars.len(), 3);
        // Day 2: 30 of 50 -> height 108 (180 * 0.6), y = 84.
        assert_eq!((chart.bars[1].y, chart.bars[1].height), (d("84"), d("108")));
        assert_eq!(chart.bars[1].label, "2 Nov: 30 JPY");
        assert_eq!(chart.bars[2].height, Decimal::ZERO);
    }

    #[test]
    fn resource_bars_are_proportional_to_the_most_expensive() {
        let usd = |amount: &str| Money::usd(d(amount));
        let chart = resource_bars_chart(&[
            (
                "vm-with-a-very-long-name-that-goes-on-and-on".to_owned(),
                usd("200"),
            ),
            ("storage".to_owned(), usd("50")),
        ]);
        assert_eq!(chart.height, 68);
        assert_eq!(chart.rows[0].bar.width, d("284"));
        assert_eq!(chart.rows[1].bar.width, d("71"));
        assert_eq!(chart.rows[0].name.chars().count(), 30);
        assert!(chart.rows[0].name.ends_with('…'));
        assert_eq!(chart.rows[1].amount, "50.00 USD");
    }
}
