//! The partner-wide refresh: the customer list plus `GET /v1/customers/usagerecords` (one call
//! covers every customer, legacy and Azure plan), stored as one history row per customer and
//! day, and as snapshots carrying the month-end forecast drawn from that history.
//!
//! Days and billing periods come from Partner Center's data, not from our clock: a record's
//! day is the UTC date of its `lastModifiedDate` (the fetch time when it has none), and its
//! billing period is the calendar month (UTC) of that day. Azure plan billing periods are
//! calendar months; usage records do not say which period they cover, so legacy
//! (MS-AZR-0145P) customers are kept by calendar month as well.
//!
//! The records always hold the current period's spend, so a record not modified since an
//! earlier period (a customer without usage since) is dated the first day of the current
//! period, the period of the newest `lastModifiedDate` of the response: it must never
//! overwrite the last day of a closed period.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::Refresher;
use super::forecast::forecast_snapshot;
use crate::domain::{BillingPeriod, CustomerId, Money, SpendPoint, UsageStatus, percent_used};
use crate::partner_center::{AccessToken, Customer, CustomerMonthlyUsageRecord};
use crate::store::{CustomerSnapshot, DailyUsage, LeaseScope};

/// How long a run's lease lasts without renewal: a crashed instance's run is taken as
/// abandoned (and a new one may start) at most this long after its last renewal.
pub const LEASE_SECONDS: i64 = 30;

/// How often a working run renews its lease (well within [`LEASE_SECONDS`], so that a slow
/// database does not lose it).
const LEASE_RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// A step of a running refresh, for progress displays.
#[derive(Debug, Clone)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub message: String,
}

/// How a refresh ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The snapshots of this many customers were stored.
    Refreshed { customers: usize },
    /// Another refresh holds the lease.
    AlreadyRunning,
}

/// A partner-wide refresh that holds the lease and whose run is recorded (so the progress
/// page shows it at once); [`StartedRefresh::run`] does the work.
#[derive(Debug)]
pub struct StartedRefresh {
    run: i64,
    /// The lease holder: unique per run (the instance id and a random part), so that no
    /// instance can take the lease of its own running refresh again.
    holder: String,
}

impl Refresher {
    /// Takes the partner-wide lease and records a new run; `None` when another refresh holds
    /// the lease. A running run whose lease expired (its instance died) is marked failed
    /// first, so a new one starts at once.
    ///
    /// # Errors
    /// Database failures.
    pub async fn begin_partner_refresh(&self) -> anyhow::Result<Option<StartedRefresh>> {
        self.begin_partner_refresh_unless_fresh(None).await
    }

    /// As [`Refresher::begin_partner_refresh`]; with `stale_after`, only when the data is
    /// still older than that once the lease is taken (checked under the lease: a visit that
    /// found the data stale while another refresh was finishing starts no second one).
    ///
    /// # Errors
    /// Database failures.
    pub async fn begin_partner_refresh_unless_fresh(
        &self,
        stale_after: Option<chrono::Duration>,
    ) -> anyhow::Result<Option<StartedRefresh>> {
        let store = &self.store;
        let lease = chrono::Duration::seconds(LEASE_SECONDS);
        let holder = crate::store::unique_holder(&self.instance_id, "run");
        if !store
            .try_acquire_lease(LeaseScope::Partner, &holder, lease)
            .await?
        {
            return Ok(None);
        }
        if let Some(stale_after) = stale_after {
            let fresh = match store.dashboard_totals().await {
                Ok(totals) => totals
                    .oldest_fetched_at
                    .is_some_and(|at| Utc::now() - at <= stale_after),
                Err(e) => {
                    store.release_lease(LeaseScope::Partner, &holder).await?;
                    return Err(e.into());
                }
            };
            if fresh {
                store.release_lease(LeaseScope::Partner, &holder).await?;
                return Ok(None);
            }
        }
        // Runs of an earlier holder whose lease expired (this one just took it).
        self.fail_abandoned_runs().await?;
        match store.start_run(LeaseScope::Partner, &holder).await {
            Ok(run) => Ok(Some(StartedRefresh { run, holder })),
            Err(e) => {
                store.release_lease(LeaseScope::Partner, &holder).await?;
                Err(e.into())
            }
        }
    }

    /// A whole partner-wide refresh, unless another one holds the lease.
    ///
    /// # Errors
    /// As [`StartedRefresh::run`].
    pub async fn refresh_partner(
        &self,
        token: &AccessToken,
        on_progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<RefreshOutcome> {
        match self.begin_partner_refresh().await? {
            Some(started) => started.run(self, token, on_progress).await,
            None => Ok(RefreshOutcome::AlreadyRunning),
        }
    }

    async fn run_refresh(
        &self,
        token: &AccessToken,
        run: i64,
        on_progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<(RefreshOutcome, u64)> {
        let store = &self.store;
        let report = async |done: u64, message: String| {
            let progress = Progress {
                done,
                total: 3,
                message,
            };
            on_progress(&progress);
            (store.update_run_progress(run, progress.done, progress.total, &progress.message)).await
        };
        report(0, "Reading the customer list from Partner Center".into()).await?;
        let client = &self.partner_center;
        let customers = (client.customers(token).await).context("reading the customer list")?;
        report(
            1,
            format!("Reading the usage of {} customers", customers.len()),
        )
        .await?;
        let collected = (client.customer_usage_records_lenient(token).await)
            .context("reading the customers' usage records")?;
        report(
            2,
            format!("Storing {} usage records", collected.items.len()),
        )
        .await?;
        let read = read_records(
            &collected.items,
            &company_names(&customers),
            self.near_threshold,
        );
        let set_aside = collected.unreadable.len() + read.set_aside;
        let set_aside = u64::try_from(set_aside).unwrap_or(u64::MAX);
        let customers = self.store_snapshots(read, set_aside).await?;
        store.record_set_aside(run, set_aside).await?;
        report(3, finished_message(customers, set_aside)).await?;
        Ok((RefreshOutcome::Refreshed { customers }, set_aside))
    }

    /// Stores the history days, then the snapshots with their forecasts, evaluates the alert
    /// thresholds, and drops the snapshots of customers gone (only when no record was set
    /// aside). Returns how many customers were stored.
    async fn store_snapshots(&self, read: ReadRecords, set_aside: u64) -> anyhow::Result<usize> {
        let store = &self.store;
        let ReadRecords {
            mut snapshots,
            history,
            ..
        } = read;
        store.record_daily_usage(&history).await?;
        add_forecasts(store, &mut snapshots, self.near_threshold).await?;
        store.upsert_snapshots(&snapshots).await?;
        // A crossing stays crossed for the rest of the period: what fails here fires at the
        // next refresh, so the refresh itself does not fail for it.
        if let Err(e) = self.alerts.evaluate(&snapshots).await {
            tracing::warn!(error = %e, "budget alert thresholds not evaluated; the next refresh will");
        }
        // A customer whose record was set aside may be among those missing: keep every
        // stored snapshot then, rather than drop a customer for an unreadable record.
        if set_aside == 0 {
            let ids: Vec<CustomerId> = snapshots.iter().map(|s| s.customer_id).collect();
            store.delete_snapshots_not_in(&ids).await?;
        }
        Ok(snapshots.len())
    }
}

impl StartedRefresh {
    /// Refreshes every customer's history row of the record's day and its snapshot with the
    /// forecast, reporting progress to the store (for the progress page) and to `on_progress`
    /// (for the command line), then records the outcome and releases the lease.
    ///
    /// # Errors
    /// Partner Center or database failures; the run is then recorded as failed with a
    /// message for people, and the data already stored stays as it was.
    pub async fn run(
        self,
        refresher: &Refresher,
        token: &AccessToken,
        on_progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<RefreshOutcome> {
        let store = &refresher.store;
        let started = std::time::Instant::now();
        let result = tokio::select! {
            result = refresher.run_refresh(token, self.run, on_progress) => result,
            lost = keep_lease(store, &self.holder) => Err(lost),
        };
        let finish = match &result {
            Ok(_) => Ok(()),
            Err(e) => Err(failure_message(e)),
        };
        let (outcome, set_aside) = match &result {
            Ok((_, set_aside)) => ("succeeded", *set_aside),
            Err(_) => ("failed", 0),
        };
        refresher
            .metrics
            .refresh_run(outcome, Some(started.elapsed()), set_aside);
        let result = result.map(|(outcome, _)| outcome);
        let recorded = store.finish_run(self.run, finish).await;
        store
            .release_lease(LeaseScope::Partner, &self.holder)
            .await?;
        recorded?;
        result
    }
}

/// Renews `holder`'s partner-wide lease every [`LEASE_RENEW_EVERY`] while the run works;
/// returns (ending the run) only when the lease was lost: taken by another instance after it
/// expired, or not renewable for longer than it lasts (the database was unreachable).
async fn keep_lease(store: &crate::store::Store, holder: &str) -> anyhow::Error {
    let ttl = chrono::Duration::seconds(LEASE_SECONDS);
    let mut last_renewed = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(LEASE_RENEW_EVERY).await;
        match store.renew_lease(LeaseScope::Partner, holder, ttl).await {
            Ok(true) => last_renewed = tokio::time::Instant::now(),
            Ok(false) => {
                return anyhow::anyhow!(
                    "this refresh lost its lease to another instance and was stopped"
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "refresh lease not renewed");
                // Stop before the lease expires, so that no two runs work at once.
                let lasts = std::time::Duration::from_secs(LEASE_SECONDS.unsigned_abs());
                if last_renewed.elapsed() + LEASE_RENEW_EVERY / 2 >= lasts {
                    return anyhow::Error::new(e)
                        .context("the refresh could not renew its lease in the database");
                }
            }
        }
    }
}

/// Each customer's company name (empty if Partner Center gives none) and domain, by id.
fn company_names(customers: &[Customer]) -> HashMap<CustomerId, (String, Option<String>)> {
    customers
        .iter()
        .filter_map(|c| {
            let id = CustomerId::parse(&c.id).ok()?;
            let profile = c.company_profile.as_ref();
            let name = profile.and_then(|p| p.company_name.clone());
            Some((
                id,
                (
                    name.unwrap_or_default(),
                    profile.and_then(|p| p.domain.clone()),
                ),
            ))
        })
        .collect()
}

/// The usage records as snapshots (without forecasts yet) and history days.
struct ReadRecords {
    snapshots: Vec<CustomerSnapshot>,
    history: Vec<DailyUsage>,
    /// How many records could not be read.
    set_aside: usize,
}

/// Reads the usage records, with the customers' `names`: every readable one becomes a
/// snapshot and a history day, the others are counted as set aside.
fn read_records(
    records: &[CustomerMonthlyUsageRecord],
    names: &HashMap<CustomerId, (String, Option<String>)>,
    threshold: Decimal,
) -> ReadRecords {
    let now = Utc::now();
    let newest = records.iter().filter_map(|r| r.last_modified_date).max();
    let current_period = BillingPeriod::containing(newest.unwrap_or(now).date_naive());
    let mut read = ReadRecords {
        snapshots: Vec::with_capacity(records.len()),
        history: Vec::with_capacity(records.len()),
        set_aside: 0,
    };
    for record in records {
        match read_record(record, names, now, &current_period, threshold) {
            Some((snapshot, day)) => {
                read.snapshots.push(snapshot);
                read.history.push(day);
            }
            None => read.set_aside += 1,
        }
    }
    read
}

/// One usage record as a snapshot (its status without forecast) and a history day, read at
/// `now`; `None` (logged) when its customer id or currency cannot be read.
fn read_record(
    record: &CustomerMonthlyUsageRecord,
    names: &HashMap<CustomerId, (String, Option<String>)>,
    now: DateTime<Utc>,
    current_period: &BillingPeriod,
    threshold: Decimal,
) -> Option<(CustomerSnapshot, DailyUsage)> {
    let Ok(customer_id) = CustomerId::parse(&record.resource_id) else {
        tracing::warn!(resource_id = %crate::telemetry::untrusted(&record.resource_id), "usage record with a malformed customer id set aside");
        return None;
    };
    let currency = record
        .currency()
        .inspect_err(|e| tracing::warn!(%customer_id, error = %e, "usage record without a known currency set aside"))
        .ok()?;
    let (name, domain) = names
        .get(&customer_id)
        .cloned()
        .unwrap_or_else(|| (record.resource_name.clone().unwrap_or_default(), None));
    let budget = record.budget.amount;
    let last_modified = record.last_modified_date.unwrap_or(now);
    let day = record_day(last_modified, current_period);
    let period_start = BillingPeriod::containing(day).start;
    let snapshot = CustomerSnapshot {
        customer_id,
        company_name: if name.is_empty() {
            customer_id.to_string()
        } else {
            name
        },
        domain,
        is_azure_plan: record.is_upgraded,
        total_cost: Money::new(record.total_cost, currency.clone()),
        // Legacy records carry usdTotalCost 0, which is no USD equivalent: keep none.
        usd_total_cost: (record.usd_total_cost)
            .filter(|_| record.is_upgraded)
            .map(Money::usd),
        budget: budget.map(|b| Money::new(b, currency.clone())),
        percent_used: percent_used(record.total_cost, budget),
        // Replaced once the history gives a forecast.
        status: UsageStatus::classify(record.total_cost, budget, threshold),
        last_modified,
        billing_period_start: period_start,
        fetched_at: now,
        forecast: None,
    };
    let history = DailyUsage {
        customer_id,
        day,
        billing_period_start: period_start,
        total_cost: Money::new(record.total_cost, currency),
        fetched_at: now,
    };
    Some((snapshot, history))
}

/// The last step's message: how many customers were refreshed, and how many records set
/// aside.
fn finished_message(customers: usize, set_aside: u64) -> String {
    let mut message = format!("{customers} customers refreshed");
    if set_aside > 0 {
        tracing::warn!(set_aside, "usage records set aside: they could not be read");
        message.push_str(&format!(
            "; {set_aside} usage {} could not be read and {} set aside (see the log)",
            if set_aside == 1 { "record" } else { "records" },
            if set_aside == 1 { "was" } else { "were" },
        ));
    }
    message
}

/// Sets each snapshot's forecast and status from the stored history of its billing period
/// (read for every customer at once).
async fn add_forecasts(
    store: &crate::store::Store,
    snapshots: &mut [CustomerSnapshot],
    threshold: rust_decimal::Decimal,
) -> Result<(), crate::store::StoreError> {
    let days = snapshots.iter().map(CustomerSnapshot::forecast_day);
    let (Some(from), Some(to)) = (
        days.clone()
            .map(|day| BillingPeriod::containing(day).start)
            .min(),
        days.max(),
    ) else {
        return Ok(());
    };
    let rows = store.spend_points_of_all(from, to).await?;
    let mut by_customer: HashMap<CustomerId, Vec<SpendPoint>> = HashMap::new();
    for (customer, point) in rows {
        by_customer.entry(customer).or_default().push(point);
    }
    for snapshot in snapshots {
        let series = by_customer
            .get(&snapshot.customer_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let (status, forecast) = forecast_snapshot(snapshot, series, threshold);
        snapshot.status = status;
        snapshot.forecast = Some(forecast);
    }
    Ok(())
}

/// The day a record's values are of: the UTC date of `last_modified`, but not before the
/// start of `current_period` (see the module doc).
fn record_day(
    last_modified: chrono::DateTime<Utc>,
    current_period: &BillingPeriod,
) -> chrono::NaiveDate {
    last_modified.date_naive().max(current_period.start)
}

/// What people see when a refresh failed.
fn failure_message(error: &anyhow::Error) -> String {
    match error.downcast_ref::<crate::partner_center::PartnerCenterError>() {
        Some(pc) => format!("{}: {}", error, pc.user_message()),
        None => format!("{error:#}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    #[test]
    fn a_record_is_dated_by_its_last_modification_within_the_current_period() {
        let november = BillingPeriod::containing(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
        let at = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
        // 23:00 UTC on the 20th is the 20th, whatever our clock says.
        assert_eq!(
            record_day(at(11, 20, 23), &november),
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
        // Unchanged since October: November's spend, dated 1 November, not 28 October.
        assert_eq!(record_day(at(10, 28, 9), &november), november.start);
    }
}
