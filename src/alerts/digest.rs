//! The daily digest of each account manager: their customers over, near and on pace to
//! exceed their budget, the top movers since the day before (largest increase of % used, and
//! of spend in each currency), and the alerts fired in the last day. Built once per owner and
//! UTC day from their preferred hour (a unique key in the database), sent through the outbox;
//! nothing is sent when there is nothing to say.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use askama::Template;
use chrono::{DateTime, Days, NaiveDate, Timelike, Utc};
use rust_decimal::Decimal;
use url::Url;

use crate::config::AlertSettings;
use crate::domain::{
    BillingPeriod, CustomerId, Money, SignInName, UsageStatus, format_percent, percent_used,
};
use crate::periodic::{FirstRound, spawn_every};
use crate::store::{
    Channel, CustomerSnapshot, DigestPreferences, FiringRecord, NewDelivery, Store, StoreError,
};

/// Movers listed per list (and per currency for spend).
const TOP_MOVERS: usize = 5;

/// What one digest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestContent {
    /// The UTC day it is the digest of.
    pub day: NaiveDate,
    /// The customers of each chosen status, most urgent status first.
    pub sections: Vec<DigestSection>,
    /// Largest increase of % used since the day before.
    pub percent_movers: Vec<DigestLine>,
    /// Largest increase of spend since the day before, per currency.
    pub spend_movers: Vec<DigestLine>,
    /// Alerts fired for the owner's customers in the last day.
    pub alerts: Vec<DigestLine>,
}

/// The customers of one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSection {
    /// `Over budget`.
    pub label: &'static str,
    pub customers: Vec<DigestLine>,
}

/// A customer and what is said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestLine {
    pub name: String,
    /// The customer page.
    pub link: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "email/digest.txt")]
struct TextBody<'a> {
    d: &'a DigestContent,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct HtmlBody<'a> {
    d: &'a DigestContent,
}

/// The digest of `day` over `customers` (an owner's), with each one's spend recorded on the
/// day before its data's day (`yesterday`, absent for none or another billing period), the
/// alerts fired in the last day (`fired`, already the owner's), listing the customers of
/// `statuses`. `None` when there is nothing to say.
pub fn digest_content(
    day: NaiveDate,
    customers: &[CustomerSnapshot],
    yesterday: &HashMap<CustomerId, Money>,
    fired: &[FiringRecord],
    statuses: &[UsageStatus],
    public_url: &Url,
) -> Option<DigestContent> {
    let link = |id: &CustomerId| {
        public_url
            .join(&crate::paths::customer(id))
            .map_or_else(|_| public_url.to_string(), String::from)
    };
    let sections: Vec<DigestSection> = DigestPreferences::STATUSES
        .into_iter()
        .filter(|status| statuses.contains(status))
        .map(|status| DigestSection {
            label: status.label(),
            customers: customers
                .iter()
                .filter(|s| s.status == status)
                .map(|s| DigestLine {
                    name: s.company_name.clone(),
                    link: link(&s.customer_id),
                    detail: format!(
                        "{} of {}{}{}",
                        s.total_cost,
                        (s.budget.as_ref())
                            .map_or_else(|| "no budget".to_owned(), Money::to_string),
                        s.percent_used
                            .map(|p| format!(" ({} used)", format_percent(p)))
                            .unwrap_or_default(),
                        s.forecast
                            .as_ref()
                            .map(|f| format!("; projected {}", f.projected_total))
                            .unwrap_or_default(),
                    ),
                })
                .collect(),
        })
        .filter(|section| !section.customers.is_empty())
        .collect();

    let mut percent_movers = Vec::new();
    let mut spend_by_currency: BTreeMap<String, Vec<(Decimal, DigestLine)>> = BTreeMap::new();
    for s in customers {
        let Some(before) = yesterday.get(&s.customer_id) else {
            continue;
        };
        let Some(increase) = s.total_cost.checked_sub(before) else {
            continue;
        };
        if increase.amount() <= Decimal::ZERO {
            continue;
        }
        let line = |detail| DigestLine {
            name: s.company_name.clone(),
            link: link(&s.customer_id),
            detail,
        };
        spend_by_currency
            .entry(s.currency().code().to_owned())
            .or_default()
            .push((
                increase.amount(),
                line(format!("+{increase} (from {before} to {})", s.total_cost)),
            ));
        let budget = s.budget.as_ref().map(Money::amount);
        if let (Some(now), Some(then)) = (
            percent_used(s.total_cost.amount(), budget),
            percent_used(before.amount(), budget),
        ) {
            percent_movers.push((
                now - then,
                line(format!(
                    "+{} of the budget (from {} to {})",
                    format_percent(now - then).replace(" %", " points"),
                    format_percent(then),
                    format_percent(now)
                )),
            ));
        }
    }
    let top = |mut movers: Vec<(Decimal, DigestLine)>| {
        movers.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
        movers
            .into_iter()
            .take(TOP_MOVERS)
            .map(|(_, line)| line)
            .collect::<Vec<_>>()
    };
    let percent_movers = top(percent_movers);
    let spend_movers: Vec<DigestLine> = spend_by_currency.into_values().flat_map(top).collect();

    let alerts: Vec<DigestLine> = fired
        .iter()
        .map(|f| DigestLine {
            name: f.customer_name.clone(),
            link: link(&f.customer),
            detail: format!(
                "{} (budget {}), fired {}",
                f.threshold,
                f.budget,
                f.fired_at.format("%Y-%m-%d %H:%M UTC")
            ),
        })
        .collect();
    let nothing = sections.is_empty()
        && percent_movers.is_empty()
        && spend_movers.is_empty()
        && alerts.is_empty();
    (!nothing).then_some(DigestContent {
        day,
        sections,
        percent_movers,
        spend_movers,
        alerts,
    })
}

impl DigestContent {
    /// Subject, plain text and HTML.
    pub fn render(&self) -> (String, String, String) {
        let counts: Vec<String> = self
            .sections
            .iter()
            .map(|s| format!("{} {}", s.customers.len(), s.label.to_lowercase()))
            .collect();
        let subject = format!(
            "Spendboard daily digest, {}{}",
            self.day.format("%-d %B %Y"),
            if counts.is_empty() {
                String::new()
            } else {
                format!(": {}", counts.join(", "))
            }
        );
        // The templates only format strings: rendering cannot fail but for a bug.
        let text = TextBody { d: self }
            .render()
            .unwrap_or_else(|e| e.to_string());
        let html = HtmlBody { d: self }
            .render()
            .unwrap_or_else(|e| e.to_string());
        (subject, text, html)
    }
}

/// The daily digests of this instance, with what they need of it: the store (owners,
/// preferences, snapshots, history, firings, the outbox), the hour from which a digest is
/// sent to an owner who chose none (`alerts.digest_hour_utc`, 0 to 23), and where people
/// reach Spendboard (the customer links).
pub struct Digests {
    store: Store,
    default_hour_utc: u8,
    public_url: Url,
}

impl Digests {
    /// The digests of `store`, at the hour `settings.digest_hour_utc` unless an owner chose
    /// another, linking to customer pages under `public_url` (e.g. `http://localhost:8080`).
    pub fn new(store: Store, settings: &AlertSettings, public_url: Url) -> Self {
        Self {
            store,
            default_hour_utc: settings.digest_hour_utc,
            public_url,
        }
    }

    /// Builds the digest of `now`'s UTC day for every owner whose preferred hour has come and
    /// whose digest of the day was not built yet (by this instance or another), and puts it
    /// in the outbox; an owner with nothing to say gets none. Returns how many were queued.
    ///
    /// # Errors
    /// [`StoreError`]; the digests built before are kept, the others are built next time.
    pub async fn send_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let store = &self.store;
        let day = now.date_naive();
        let defaults = DigestPreferences::defaults(self.default_hour_utc);
        let since = now - chrono::Duration::days(1);
        let mut fired_recently: Option<Vec<FiringRecord>> = None;
        let mut queued = 0;
        for (owner, portfolio) in &store.ownership().await?.portfolios {
            let preferences = store
                .digest_preferences(owner)
                .await?
                .unwrap_or_else(|| defaults.clone());
            let hour = u32::from(preferences.hour_utc);
            if !preferences.enabled || now.hour() < hour || store.digest_built(owner, day).await? {
                continue;
            }
            let mut customers = Vec::new();
            let mut ids: Vec<&CustomerId> = portfolio.customers.iter().collect();
            ids.sort_by_key(|id| id.to_string());
            for id in ids {
                customers.extend(store.snapshot(id).await?);
            }
            let yesterday = spend_the_day_before(store, &customers).await?;
            if fired_recently.is_none() {
                fired_recently = Some(store.firings_since(since).await?);
            }
            let fired: Vec<FiringRecord> = fired_recently
                .iter()
                .flatten()
                .filter(|f| customers.iter().any(|c| c.customer_id == f.customer))
                .cloned()
                .collect();
            let content = digest_content(
                day,
                &customers,
                &yesterday,
                &fired,
                &preferences.statuses,
                &self.public_url,
            );
            let delivery = content.map(|content| delivery_to(owner, &content));
            if store.record_digest(owner, day, delivery.as_ref()).await? && delivery.is_some() {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Every `every`, builds the digests that are due (see [`Digests::send_due`]), in a task
    /// of its own; the alert sender delivers them. A failed round is logged and the next one
    /// tries again.
    pub fn spawn(self, every: Duration) {
        spawn_every(every, FirstRound::Now, self, |digests| async move {
            if let Err(e) = digests.send_due(Utc::now()).await {
                tracing::warn!(error = %e, "building daily digests: will try again");
            }
        });
    }
}

/// Each customer's spend recorded on the day before its data's day, in the same billing
/// period.
async fn spend_the_day_before(
    store: &Store,
    customers: &[CustomerSnapshot],
) -> Result<HashMap<CustomerId, Money>, StoreError> {
    let mut before = HashMap::new();
    for s in customers {
        let Some(previous) = s.forecast_day().checked_sub_days(Days::new(1)) else {
            continue;
        };
        if !BillingPeriod::containing(s.forecast_day()).contains(previous) {
            continue;
        }
        let rows = store
            .daily_usage(&s.customer_id, previous, previous)
            .await?;
        if let Some(row) = rows.into_iter().next() {
            before.insert(s.customer_id, row.total_cost);
        }
    }
    Ok(before)
}

fn delivery_to(owner: &SignInName, content: &DigestContent) -> NewDelivery {
    let (subject, body_text, body_html) = content.render();
    NewDelivery {
        channel: Channel::Email,
        recipient: owner.to_string(),
        webhook_url: None,
        subject,
        body_text,
        body_html,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::Currency;

    fn d(s: &str) -> Money {
        Money::new(s.parse().unwrap(), Currency::parse("EUR").unwrap())
    }

    fn customer(n: u8, spend: &str, budget: Option<&str>, status: UsageStatus) -> CustomerSnapshot {
        CustomerSnapshot {
            customer_id: CustomerId::parse(&format!("5f0c6a55-1b2e-4c8e-9f53-3d6b6b8c9a{n:02}"))
                .unwrap(),
            company_name: format!("Customer {n}"),
            domain: None,
            is_azure_plan: true,
            total_cost: d(spend),
            usd_total_cost: None,
            budget: budget.map(d),
            percent_used: percent_used(d(spend).amount(), budget.map(|b| d(b).amount())),
            status,
            last_modified: Utc::now(),
            billing_period_start: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            fetched_at: Utc::now(),
            forecast: None,
        }
    }

    fn url() -> Url {
        Url::parse("https://spendboard.example.com").unwrap()
    }

    #[test]
    fn nothing_to_say_sends_nothing() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
        let within = customer(1, "100", Some("1000"), UsageStatus::WithinBudget);
        // Unchanged since the day before, within budget, no alert.
        let yesterday = HashMap::from([(within.customer_id, d("100"))]);
        let all = DigestPreferences::STATUSES;
        assert_eq!(
            digest_content(
                day,
                std::slice::from_ref(&within),
                &yesterday,
                &[],
                &all,
                &url()
            ),
            None
        );
        // An over-budget customer is something to say, unless its status is not wanted.
        let over = customer(2, "1200", Some("1000"), UsageStatus::OverBudget);
        let customers = [within, over];
        assert_eq!(
            digest_content(
                day,
                &customers,
                &yesterday,
                &[],
                &[UsageStatus::NearBudget],
                &url()
            ),
            None
        );
        let content = digest_content(day, &customers, &yesterday, &[], &all, &url()).unwrap();
        assert_eq!(content.sections.len(), 1);
        assert_eq!(
            content.sections[0].customers[0].detail,
            "1,200.00 EUR of 1,000.00 EUR (120.0 % used)"
        );
    }

    #[test]
    fn movers_are_ranked_by_the_increase_of_percent_used_and_of_spend() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
        let a = customer(1, "300", Some("1000"), UsageStatus::WithinBudget);
        let b = customer(2, "150", Some("100"), UsageStatus::OverBudget);
        let yesterday = HashMap::from([(a.customer_id, d("100")), (b.customer_id, d("100"))]);
        let content = digest_content(day, &[a, b], &yesterday, &[], &[], &url()).unwrap();
        // b: +50 points (100 % to 150 %), a: +20 points; spend: a +200, b +50.
        let names = |lines: &[DigestLine]| lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&content.percent_movers), ["Customer 2", "Customer 1"]);
        assert_eq!(
            content.percent_movers[0].detail,
            "+50.0 points of the budget (from 100.0 % to 150.0 %)"
        );
        assert_eq!(names(&content.spend_movers), ["Customer 1", "Customer 2"]);
        assert_eq!(
            content.spend_movers[0].detail,
            "+200.00 EUR (from 100.00 EUR to 300.00 EUR)"
        );
    }
}
