//! Fetching Partner Center into the store. Single-flight across instances: a refresh takes
//! the lease of its scope in the database first, so however many people open the dashboard
//! at once, one refresh runs.

mod customer;
mod forecast;
mod fresh;
mod partner;
mod scheduled;
mod subscription;

use std::sync::Arc;

use rust_decimal::Decimal;

pub use forecast::{forecast_snapshot, reforecast_customer};
pub use fresh::{FreshError, PartnerFreshness};
pub use partner::{Progress, RefreshOutcome, StartedRefresh};

use crate::alerts::Evaluator;
use crate::auth::Auth;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::partner_center::{AccessToken, PartnerCenterClient};
use crate::store::{LeaseScope, RunStatus, Store};

/// Fetching Partner Center into the store, with what it needs of the instance and nothing
/// else: the partner-wide refresh ([`Refresher::refresh_partner`], in the background
/// [`Refresher::spawn_partner_refresh`], on a schedule [`Refresher::spawn_schedule`]), the
/// details of one customer or subscription and whether stored data is stale
/// ([`Refresher::customer_summary`], [`Refresher::is_stale`]), and the alert thresholds
/// evaluated after each partner-wide refresh. Cheap to clone: background work holds a clone.
#[derive(Clone)]
pub struct Refresher {
    store: Store,
    partner_center: PartnerCenterClient,
    /// Data older than this many minutes is stale (`refresh.stale_after_minutes`).
    stale_after_minutes: i64,
    /// Percent of the budget from which a customer is "near budget"
    /// (`budgets.near_threshold_percent`).
    near_threshold: Decimal,
    /// This instance, as the holder of refresh leases.
    instance_id: String,
    metrics: Arc<Metrics>,
    /// The stored delegated token of the most recently signed-in user, for refreshes no page
    /// request started.
    auth: Auth,
    /// The alert thresholds, evaluated after each partner-wide refresh.
    alerts: Evaluator,
}

impl Refresher {
    /// The service over `store`, fetching through `partner_center`, taking `auth`'s stored
    /// tokens for the schedule and evaluating `alerts` after each partner-wide refresh; of
    /// `settings` it keeps `refresh.stale_after_minutes` and `budgets.near_threshold_percent`.
    /// `instance_id` names this instance in leases; `metrics` counts the runs.
    pub fn new(
        store: Store,
        partner_center: PartnerCenterClient,
        auth: Auth,
        alerts: Evaluator,
        metrics: Arc<Metrics>,
        instance_id: String,
        settings: &Settings,
    ) -> Self {
        Self {
            store,
            partner_center,
            stale_after_minutes: settings.refresh.stale_after_minutes,
            near_threshold: settings.budgets.near_threshold_percent,
            instance_id,
            metrics,
            auth,
            alerts,
        }
    }

    /// The partner-wide refresh runs as pages show them (in any instance). A run whose
    /// instance died (its lease expired) is marked failed here first, and does not count as
    /// running. A page view in the usual case (no run abandoned) only reads.
    ///
    /// # Errors
    /// Database failure.
    pub async fn partner_status(&self) -> Result<RunStatus, crate::store::StoreError> {
        let status = self.store.run_status(LeaseScope::Partner).await?;
        if !status.abandoned {
            return Ok(status);
        }
        self.fail_abandoned_runs().await?;
        self.store.run_status(LeaseScope::Partner).await
    }

    /// True while a partner-wide refresh is running (in any instance); see
    /// [`Refresher::partner_status`].
    ///
    /// # Errors
    /// Database failure.
    pub async fn is_running(&self) -> Result<bool, crate::store::StoreError> {
        Ok(self.partner_status().await?.is_running())
    }

    /// Marks failed the partner-wide runs whose instance died (their lease expired), and
    /// counts them in the metrics.
    ///
    /// # Errors
    /// Database failure.
    pub async fn fail_abandoned_runs(&self) -> Result<(), crate::store::StoreError> {
        let abandoned = self.store.fail_abandoned_runs(LeaseScope::Partner).await?;
        for _ in 0..abandoned {
            self.metrics.refresh_run("abandoned", None, 0);
        }
        Ok(())
    }

    /// Starts a partner-wide refresh with the given delegated token: takes the lease and
    /// records the run before returning (so a progress page shows it at once), then works in
    /// the background. Does nothing if another refresh holds the lease.
    ///
    /// # Errors
    /// Database failures while taking the lease or recording the run.
    pub async fn spawn_partner_refresh(&self, token: AccessToken) -> anyhow::Result<()> {
        self.spawn_partner_refresh_unless_fresh(token, None).await
    }

    /// As [`Refresher::spawn_partner_refresh`]; with `stale_after`, only if the data is still
    /// stale once the lease is taken (see [`Refresher::begin_partner_refresh_unless_fresh`]).
    ///
    /// # Errors
    /// As [`Refresher::spawn_partner_refresh`].
    pub async fn spawn_partner_refresh_unless_fresh(
        &self,
        token: AccessToken,
        stale_after: Option<chrono::Duration>,
    ) -> anyhow::Result<()> {
        if let Some(started) = self.begin_partner_refresh_unless_fresh(stale_after).await? {
            let refresher = self.clone();
            tokio::spawn(async move {
                match started.run(&refresher, &token, &|_| {}).await {
                    Ok(outcome) => tracing::info!(?outcome, "partner refresh finished"),
                    Err(e) => tracing::warn!(error = ?e, "partner refresh failed"),
                }
            });
        }
        Ok(())
    }

    /// Runs `work` (given a clone of this service) in the background and returns at once,
    /// unless another refresh of the same `scope` (e.g. `customer:{id}`) holds the lease, in
    /// this instance or another: opening a page many times starts one refresh. Failures are
    /// logged; the page keeps its data.
    pub fn spawn_single_flight<F, Fut>(&self, scope: LeaseScope, work: F)
    where
        F: FnOnce(Refresher) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let refresher = self.clone();
        tokio::spawn(async move {
            let holder = crate::store::unique_holder(&refresher.instance_id, "refresh");
            let lease = chrono::Duration::seconds(DETAIL_LEASE_SECONDS);
            let store = refresher.store.clone();
            match store.try_acquire_lease(scope, &holder, lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(%scope, error = ?e, "refresh lease not taken");
                    return;
                }
            }
            if let Err(e) = work(refresher).await {
                tracing::warn!(%scope, error = ?e, "background refresh failed");
            }
            if let Err(e) = store.release_lease(scope, &holder).await {
                tracing::warn!(%scope, error = ?e, "refresh lease not released");
            }
        });
    }
}

/// How long a background refresh of one customer or subscription holds its lease at most.
const DETAIL_LEASE_SECONDS: i64 = 5 * 60;
