//! Usage derived from the dataset: the daily quantity of each resource (a pure function of the
//! seed, the resource and the date) and, per sandbox day, the billing-period-to-date totals at
//! every level. All amounts are exact decimals, so totals agree exactly across levels:
//! resource -> entitlement -> subscription -> customer.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::catalog::{Currency, METERS};
use super::{Dataset, Plan};
use crate::random::hash;

/// Scale of quantities (decimal places).
pub const QUANTITY_SCALE: u32 = 8;
/// Scale of costs: quantity (scale 8) times unit price (scale 8).
pub const COST_SCALE: u32 = 16;

/// A billing period: the calendar month (UTC) containing a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingPeriod {
    /// The first day of the month.
    pub start: NaiveDate,
    /// The first day of the next month (exclusive).
    pub end: NaiveDate,
}

impl BillingPeriod {
    /// The period containing `date`.
    pub fn containing(date: NaiveDate) -> Self {
        let start = date.with_day(1).unwrap_or(date);
        let end = start.checked_add_months(Months::new(1)).unwrap_or(start);
        Self { start, end }
    }

    /// The number of days in the period.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }
}

/// The unit price of a meter in a currency, scale 8.
pub fn unit_price(meter: usize, currency: &Currency) -> i128 {
    METERS[meter].usd_price * currency.per_usd / 10_000
}

/// The quantity a resource used on a date, scale 8. It grows through the billing period and
/// varies from day to day.
pub fn daily_quantity(data: &Dataset, resource: usize, date: NaiveDate) -> i128 {
    let r = &data.resources[resource];
    let day_of_period = i128::from(date.day0());
    let jitter =
        (hash(&[data.seed, resource as u64, date.num_days_from_ce() as u64]) % 301) as i128;
    i128::from(r.base_quantity) * (1000 + i128::from(r.growth) * day_of_period) / 1000
        * (850 + jitter)
        / 1000
}

/// Billing-period-to-date amounts of one resource, subscription or customer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Amounts {
    /// Cost in the customer's currency, scale 16.
    cost: i128,
    /// The same in US dollars, scale 16.
    usd: i128,
    /// Quantity, scale 8 (resources only; 0 above).
    quantity: i128,
}

/// Amounts as decimals.
#[derive(Debug, Clone, Copy)]
pub struct Totals {
    /// In the customer's currency.
    pub cost: Decimal,
    /// In US dollars.
    pub usd: Decimal,
    /// In the meter's unit (resources only).
    pub quantity: Decimal,
}

impl Amounts {
    fn add(&mut self, other: &Amounts) {
        self.cost += other.cost;
        self.usd += other.usd;
        self.quantity += other.quantity;
    }

    fn totals(&self) -> Totals {
        Totals {
            cost: decimal(self.cost, COST_SCALE),
            usd: decimal(self.usd, COST_SCALE),
            quantity: decimal(self.quantity, QUANTITY_SCALE),
        }
    }
}

/// An exact decimal from an integer mantissa, without trailing zeros.
pub fn decimal(mantissa: i128, scale: u32) -> Decimal {
    Decimal::try_from_i128_with_scale(mantissa, scale)
        .unwrap_or(Decimal::MAX)
        .normalize()
}

/// Period-to-date totals at every level, for one sandbox day.
#[derive(Debug)]
pub struct UsageBook {
    /// The sandbox date these totals run up to (inclusive).
    pub today: NaiveDate,
    pub period: BillingPeriod,
    resources: Vec<Amounts>,
    subscriptions: Vec<Amounts>,
    customers: Vec<Amounts>,
}

impl UsageBook {
    /// Sums every day of `today`'s billing period up to and including `today`.
    pub fn compute(data: &Dataset, today: NaiveDate) -> Self {
        let period = BillingPeriod::containing(today);
        let days: Vec<NaiveDate> = period
            .start
            .iter_days()
            .take_while(|d| *d <= today)
            .collect();
        let mut resources = vec![Amounts::default(); data.resources.len()];
        let mut subscriptions = vec![Amounts::default(); data.subscriptions.len()];
        let mut customers = vec![Amounts::default(); data.customers.len()];
        for (c, customer) in data.customers.iter().enumerate() {
            for s in customer.subscriptions.clone() {
                for e in data.subscriptions[s].entitlements.clone() {
                    for r in data.entitlements[e].resources.clone() {
                        let quantity: i128 = days.iter().map(|d| daily_quantity(data, r, *d)).sum();
                        let meter = data.resources[r].meter as usize;
                        let cost = quantity * unit_price(meter, customer.currency);
                        let amounts = Amounts {
                            cost,
                            usd: cost * customer.currency.usd_rate / 1_000_000,
                            quantity,
                        };
                        resources[r] = amounts;
                        subscriptions[s].add(&amounts);
                    }
                }
                let subscription = subscriptions[s];
                customers[c].add(&Amounts {
                    quantity: 0,
                    ..subscription
                });
            }
        }
        Self {
            today,
            period,
            resources,
            subscriptions,
            customers,
        }
    }

    /// A resource's totals.
    pub fn resource(&self, index: usize) -> Totals {
        self.resources[index].totals()
    }

    /// A subscription's totals (all its entitlements' resources).
    pub fn subscription(&self, index: usize) -> Totals {
        self.subscriptions[index].totals()
    }

    /// A customer's totals (all its subscriptions).
    pub fn customer(&self, index: usize) -> Totals {
        self.customers[index].totals()
    }

    /// The partner-wide total in US dollars of the legacy customers (the partner usage summary
    /// leaves Azure plan customers out, as Partner Center documents).
    pub fn partner_legacy_usd(&self, data: &Dataset) -> Decimal {
        let total: i128 = data
            .customers
            .iter()
            .zip(&self.customers)
            .filter(|(c, _)| c.plan == Plan::Legacy)
            .map(|(_, a)| a.usd)
            .sum();
        decimal(total, COST_SCALE)
    }

    /// Sums the quantity and cost of a set of resources (e.g. one meter's resources).
    pub fn sum_resources(&self, resources: impl IntoIterator<Item = usize>) -> Totals {
        let mut sum = Amounts::default();
        for r in resources {
            sum.add(&self.resources[r]);
        }
        sum.totals()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_billing_period_is_the_calendar_month() {
        let period = BillingPeriod::containing(date(2028, 2, 29));
        assert_eq!(
            (period.start, period.end),
            (date(2028, 2, 1), date(2028, 3, 1))
        );
        assert_eq!(period.days(), 29);
        assert_eq!(
            BillingPeriod::containing(date(2026, 12, 31)).end,
            date(2027, 1, 1)
        );
    }

    #[test]
    fn usage_accumulates_day_by_day_and_restarts_with_the_period() {
        let (data, _) = Dataset::generate(7, 12, Uuid::nil(), date(2026, 3, 1));
        let total = |d| UsageBook::compute(&data, d).customer(0).cost;
        assert!(total(date(2026, 3, 2)) > total(date(2026, 3, 1)));
        assert!(total(date(2026, 3, 31)) > total(date(2026, 3, 30)));
        assert!(total(date(2026, 4, 1)) < total(date(2026, 3, 31)));
        let first_day: i128 = data.customers[0]
            .subscriptions
            .clone()
            .flat_map(|s| data.subscriptions[s].entitlements.clone())
            .flat_map(|e| data.entitlements[e].resources.clone())
            .map(|r| {
                daily_quantity(&data, r, date(2026, 3, 1))
                    * unit_price(data.resources[r].meter as usize, data.customers[0].currency)
            })
            .sum();
        assert_eq!(total(date(2026, 3, 1)), decimal(first_day, COST_SCALE));
    }

    #[test]
    fn the_same_seed_gives_the_same_customers_and_another_seed_others() {
        let day = date(2026, 3, 5);
        let ids = |seed| {
            let (data, _) = Dataset::generate(seed, 30, Uuid::nil(), day);
            data.customers
                .iter()
                .map(|c| (c.id, c.name.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(1), ids(1));
        assert_ne!(ids(1), ids(2));
    }
}
