//! The sandbox's generated partner: customers (legacy MS-AZR-0145P and Azure plan), their
//! subscriptions, Azure subscriptions (entitlements) and resources. Deterministic from the seed
//! and sized by the number of customers. Usage amounts are not stored: [`usage`] derives them
//! from each resource's parameters and the day.

pub mod catalog;
pub mod names;
pub mod rate_card;
pub mod usage;

use std::collections::HashMap;
use std::ops::Range;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

use crate::random::{Rng, hash};
use catalog::{CURRENCIES, Currency, ENTITLEMENT_NAMES, METERS, RESOURCE_GROUPS, RESOURCE_WORDS};
use usage::UsageBook;

/// The offer id of a legacy pay-as-you-go Azure subscription.
pub const LEGACY_OFFER_ID: &str = "MS-AZR-0145P";
/// The offer id of the Azure plan.
pub const AZURE_PLAN_OFFER_ID: &str = "DZH318Z0BPS6:0001:DZH318Z0BML6";
/// The partner's company name.
pub const PARTNER_NAME: &str = "Sandbox Cloud Partner";

/// How a customer buys Azure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// MS-AZR-0145P subscriptions, reported with `currencyLocale` and `usdTotalCost` 0.
    Legacy,
    /// One Azure plan subscription with several Azure subscriptions (entitlements), reported
    /// with `currencyCode` and `usdTotalCost`.
    AzurePlan,
}

/// Where the generated budget sits relative to the spend at the sandbox's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BudgetKind {
    Absent,
    Under,
    OnPaceToExceed,
    Near,
    Over,
}

/// One customer tenant of the partner.
#[derive(Debug)]
pub struct Customer {
    /// The customer's tenant id (also its Partner Center customer id).
    pub id: Uuid,
    /// The commerce id of the customer's billing account.
    pub commerce_id: Uuid,
    /// Company name (may hold accents, `&` and `<...>`).
    pub name: String,
    /// Its `*.onmicrosoft.com` domain.
    pub domain: String,
    pub plan: Plan,
    /// The billing currency.
    pub currency: &'static Currency,
    /// The budget the sandbox starts with (in the customer's currency); `None` = no budget.
    pub initial_budget: Option<Decimal>,
    /// Indexes into [`Dataset::subscriptions`].
    pub subscriptions: Range<usize>,
    /// When the customer was created.
    pub created: DateTime<Utc>,
}

/// A Partner Center subscription: a legacy Azure subscription or an Azure plan.
#[derive(Debug)]
pub struct Subscription {
    /// The Partner Center subscription id (the plan id for an Azure plan).
    pub id: Uuid,
    /// The order that created it.
    pub order_id: Uuid,
    /// Indexes into [`Dataset::entitlements`].
    pub entitlements: Range<usize>,
    /// When it was created.
    pub created: DateTime<Utc>,
}

/// An Azure subscription: the entitlement under an Azure plan, or the one behind a legacy
/// subscription.
#[derive(Debug)]
pub struct Entitlement {
    /// The Azure subscription id.
    pub id: Uuid,
    /// Its display name (`entitlementName`).
    pub name: &'static str,
    /// Indexes into [`Dataset::resources`].
    pub resources: Range<usize>,
}

/// One Azure resource with the parameters its daily usage is derived from.
#[derive(Debug)]
pub struct Resource {
    /// Index into [`catalog::METERS`].
    pub meter: u8,
    /// Index into [`catalog::RESOURCE_GROUPS`].
    pub group: u8,
    /// Index into [`catalog::RESOURCE_WORDS`].
    pub word: u8,
    /// Serial number in the resource name.
    pub number: u8,
    /// Growth of the daily quantity per day of the billing period, in per mille.
    pub growth: u16,
    /// Quantity used on the first day of a period, scale 8.
    pub base_quantity: i64,
    /// Index of its entitlement in [`Dataset::entitlements`].
    pub entitlement: u32,
}

/// The generated partner and everything under it (immutable once built).
#[derive(Debug)]
pub struct Dataset {
    /// The seed everything derives from.
    pub seed: u64,
    /// The partner's tenant id.
    pub partner_tenant: Uuid,
    /// Sorted by company name (case-insensitively).
    pub customers: Vec<Customer>,
    /// Every customer's subscriptions, customer by customer.
    pub subscriptions: Vec<Subscription>,
    /// Every subscription's Azure subscriptions, in the same order.
    pub entitlements: Vec<Entitlement>,
    /// Every entitlement's resources, in the same order.
    pub resources: Vec<Resource>,
    customer_index: HashMap<Uuid, usize>,
}

/// Customer profiles given to the first customers in name order, so that even a small demo
/// shows every plan, currency and budget situation.
const FIRST_PROFILES: [(Plan, usize, BudgetKind); 10] = [
    (Plan::AzurePlan, 0, BudgetKind::Under),
    (Plan::Legacy, 1, BudgetKind::Over),
    (Plan::AzurePlan, 2, BudgetKind::Near),
    (Plan::Legacy, 0, BudgetKind::Absent),
    (Plan::AzurePlan, 4, BudgetKind::Over),
    (Plan::Legacy, 3, BudgetKind::Near),
    (Plan::AzurePlan, 1, BudgetKind::OnPaceToExceed),
    (Plan::Legacy, 4, BudgetKind::Under),
    (Plan::AzurePlan, 3, BudgetKind::Absent),
    (Plan::Legacy, 2, BudgetKind::OnPaceToExceed),
];

impl Dataset {
    /// Generates `customers` customers from `seed`; budgets are set relative to the usage as of
    /// `today` (the sandbox's start date), whose usage book comes along.
    pub fn generate(
        seed: u64,
        customers: usize,
        partner_tenant: Uuid,
        today: NaiveDate,
    ) -> (Self, UsageBook) {
        let mut names = names::company_names(seed, customers);
        names.sort_by_cached_key(|name| name.to_lowercase());
        let mut data = Dataset {
            seed,
            partner_tenant,
            customers: Vec::with_capacity(customers),
            subscriptions: Vec::new(),
            entitlements: Vec::new(),
            resources: Vec::new(),
            customer_index: HashMap::with_capacity(customers),
        };
        let mut kinds = Vec::with_capacity(customers);
        for (rank, name) in names.into_iter().enumerate() {
            let mut rng = Rng::new(seed, hash(&[0xC057, rank as u64]));
            let (plan, currency, budget) = match FIRST_PROFILES.get(rank) {
                Some(profile) => *profile,
                None => {
                    let plan = if rng.between(0, 99) < 55 {
                        Plan::AzurePlan
                    } else {
                        Plan::Legacy
                    };
                    let budget = *rng.pick(&[
                        BudgetKind::Absent,
                        BudgetKind::Under,
                        BudgetKind::OnPaceToExceed,
                        BudgetKind::Near,
                        BudgetKind::Over,
                    ]);
                    (
                        plan,
                        rng.between(0, CURRENCIES.len() as u64 - 1) as usize,
                        budget,
                    )
                }
            };
            kinds.push(budget);
            data.add_customer(&mut rng, rank, name, plan, &CURRENCIES[currency]);
        }
        let book = UsageBook::compute(&data, today);
        let elapsed = i64::from(today.day());
        let period_days = usage::BillingPeriod::containing(today).days();
        for (index, kind) in kinds.into_iter().enumerate() {
            let spend = book.customer(index).cost;
            let mut rng = Rng::new(seed, hash(&[0xB0D6, index as u64]));
            let customer = &mut data.customers[index];
            customer.initial_budget = initial_budget(
                kind,
                spend,
                elapsed,
                period_days,
                customer.currency,
                &mut rng,
            );
        }
        (data, book)
    }

    fn add_customer(
        &mut self,
        rng: &mut Rng,
        rank: usize,
        name: String,
        plan: Plan,
        currency: &'static Currency,
    ) {
        let id = rng.uuid();
        let index = self.customers.len();
        let created = start_of_day(NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default())
            + chrono::Duration::days(rng.between(0, 1500) as i64);
        let first_subscription = self.subscriptions.len();
        let subscription_count = match plan {
            Plan::Legacy => rng.between(1, 2),
            Plan::AzurePlan => 1,
        };
        for _ in 0..subscription_count {
            let first_entitlement = self.entitlements.len();
            let (entitlement_count, resources_low, resources_high) = match plan {
                Plan::Legacy => (1, 3, 7),
                Plan::AzurePlan => (rng.between(2, 4) as usize, 2, 5),
            };
            let name_offset = rng.between(0, ENTITLEMENT_NAMES.len() as u64 - 1) as usize;
            for e in 0..entitlement_count {
                let entitlement = self.entitlements.len();
                let first_resource = self.resources.len();
                let groups = [
                    rng.between(0, 7) as u8,
                    rng.between(0, 7) as u8,
                    rng.between(0, 7) as u8,
                ];
                let groups = if groups[0] == groups[1] {
                    [
                        groups[0],
                        (groups[0] + 1) % RESOURCE_GROUPS.len() as u8,
                        groups[2],
                    ]
                } else {
                    groups
                };
                for r in 0..rng.between(resources_low, resources_high) as usize {
                    // The first resources span compute and storage, so every subscription has
                    // meters in several categories.
                    let meter = match r {
                        0 => rng.between(0, 2),
                        1 => rng.between(3, 4),
                        _ => rng.between(0, METERS.len() as u64 - 1),
                    } as u8;
                    let typical = METERS[meter as usize].daily_quantity as u64;
                    self.resources.push(Resource {
                        meter,
                        group: groups[r % 3],
                        word: rng.between(0, RESOURCE_WORDS.len() as u64 - 1) as u8,
                        number: (r + 1) as u8,
                        growth: rng.between(0, 40) as u16,
                        base_quantity: rng.between(typical / 4, typical * 2) as i64,
                        entitlement: entitlement as u32,
                    });
                }
                self.entitlements.push(Entitlement {
                    id: rng.uuid(),
                    name: match plan {
                        Plan::Legacy => "Microsoft Azure",
                        Plan::AzurePlan => {
                            ENTITLEMENT_NAMES[(name_offset + e) % ENTITLEMENT_NAMES.len()]
                        }
                    },
                    resources: first_resource..self.resources.len(),
                });
            }
            self.subscriptions.push(Subscription {
                id: rng.uuid(),
                order_id: rng.uuid(),
                entitlements: first_entitlement..self.entitlements.len(),
                created: created + chrono::Duration::days(rng.between(0, 30) as i64),
            });
        }
        self.customer_index.insert(id, index);
        self.customers.push(Customer {
            id,
            commerce_id: rng.uuid(),
            domain: names::domain_for(&name, rank),
            name,
            plan,
            currency,
            initial_budget: None,
            subscriptions: first_subscription..self.subscriptions.len(),
            created,
        });
    }

    /// The index of a customer by tenant id.
    pub fn customer_index(&self, id: Uuid) -> Option<usize> {
        self.customer_index.get(&id).copied()
    }

    /// The index of one of a customer's subscriptions by id.
    pub fn subscription_index(&self, customer: usize, id: Uuid) -> Option<usize> {
        self.customers[customer]
            .subscriptions
            .clone()
            .find(|s| self.subscriptions[*s].id == id)
    }

    /// A stable id for a resource (its `resourceId`), derived rather than stored.
    pub fn resource_id(&self, resource: usize) -> Uuid {
        Rng::new(self.seed, hash(&[0x5E50, resource as u64])).uuid()
    }

    /// A resource's name, e.g. `vm-web-01`.
    pub fn resource_name(&self, resource: usize) -> String {
        let r = &self.resources[resource];
        let kind = METERS[r.meter as usize].kind;
        format!(
            "{}-{}-{:02}",
            kind.prefix, RESOURCE_WORDS[r.word as usize], r.number
        )
    }

    /// A resource's Azure resource URI.
    pub fn resource_uri(&self, resource: usize) -> String {
        let r = &self.resources[resource];
        let kind = METERS[r.meter as usize].kind;
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{}/{}/{}",
            self.entitlements[r.entitlement as usize].id,
            RESOURCE_GROUPS[r.group as usize],
            kind.provider,
            kind.type_path,
            self.resource_name(resource)
        )
    }
}

/// Midnight UTC at the start of a date.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

fn initial_budget(
    kind: BudgetKind,
    spend: Decimal,
    elapsed_days: i64,
    period_days: i64,
    currency: &Currency,
    rng: &mut Rng,
) -> Option<Decimal> {
    let projected = spend * Decimal::from(period_days) / Decimal::from(elapsed_days.max(1));
    let percent =
        |low: u64, high: u64, rng: &mut Rng| Decimal::new(rng.between(low, high) as i64, 2);
    let budget = match kind {
        BudgetKind::Absent => return None,
        BudgetKind::Under => round_to(
            projected * percent(130, 200, rng),
            -1,
            RoundingStrategy::AwayFromZero,
        ),
        BudgetKind::OnPaceToExceed => round_to(
            projected * percent(88, 95, rng),
            0,
            RoundingStrategy::AwayFromZero,
        ),
        BudgetKind::Near => round_to(
            spend / percent(82, 97, rng),
            currency.decimals as i32,
            RoundingStrategy::AwayFromZero,
        ),
        BudgetKind::Over => round_to(spend / percent(110, 180, rng), 0, RoundingStrategy::ToZero),
    };
    Some(budget.max(Decimal::ONE))
}

/// Rounds to `places` decimal places (negative: to tens, hundreds...).
fn round_to(value: Decimal, places: i32, strategy: RoundingStrategy) -> Decimal {
    if places >= 0 {
        value.round_dp_with_strategy(places as u32, strategy)
    } else {
        let factor = Decimal::from(10i64.pow(places.unsigned_abs()));
        (value / factor).round_dp_with_strategy(0, strategy) * factor
    }
}
