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

pub use forecast::{forecast_snapshot, reforecast_customer};
pub use fresh::{
    FreshError, PartnerFreshness, customer_summary, ensure_partner_fresh, is_stale, stale_after,
    subscription_summary,
};
pub use partner::{
    Progress, RefreshOutcome, StartedRefresh, begin_partner_refresh, refresh_partner,
};
pub use scheduled::{refresh_with_stored_token, spawn_schedule, stored_token};

use crate::partner_center::AccessToken;
use crate::state::AppState;
use crate::store::{LeaseScope, RunStatus};

/// The partner-wide refresh runs as pages show them (in any instance). A run whose instance
/// died (its lease expired) is marked failed here first, and does not count as running. A
/// page view in the usual case (no run abandoned) only reads.
///
/// # Errors
/// Database failure.
pub async fn partner_status(state: &AppState) -> Result<RunStatus, crate::store::StoreError> {
    let status = state.store.run_status(LeaseScope::Partner).await?;
    if !status.abandoned {
        return Ok(status);
    }
    fail_abandoned_runs(state).await?;
    state.store.run_status(LeaseScope::Partner).await
}

/// True while a partner-wide refresh is running (in any instance); see [`partner_status`].
///
/// # Errors
/// Database failure.
pub async fn is_running(state: &AppState) -> Result<bool, crate::store::StoreError> {
    Ok(partner_status(state).await?.is_running())
}

/// Marks failed the partner-wide runs whose instance died (their lease expired), and counts
/// them in the metrics.
///
/// # Errors
/// Database failure.
pub async fn fail_abandoned_runs(state: &AppState) -> Result<(), crate::store::StoreError> {
    let abandoned = state.store.fail_abandoned_runs(LeaseScope::Partner).await?;
    for _ in 0..abandoned {
        state.metrics.refresh_run("abandoned", None, 0);
    }
    Ok(())
}

/// Starts a partner-wide refresh with the given delegated token: takes the lease and records
/// the run before returning (so a progress page shows it at once), then works in the
/// background. Does nothing if another refresh holds the lease.
///
/// # Errors
/// Database failures while taking the lease or recording the run.
pub async fn spawn_partner_refresh(state: Arc<AppState>, token: AccessToken) -> anyhow::Result<()> {
    spawn_partner_refresh_unless_fresh(state, token, None).await
}

/// As [`spawn_partner_refresh`]; with `stale_after`, only if the data is still stale once
/// the lease is taken (see [`partner::begin_partner_refresh_unless_fresh`]).
///
/// # Errors
/// As [`spawn_partner_refresh`].
pub async fn spawn_partner_refresh_unless_fresh(
    state: Arc<AppState>,
    token: AccessToken,
    stale_after: Option<chrono::Duration>,
) -> anyhow::Result<()> {
    if let Some(started) = partner::begin_partner_refresh_unless_fresh(&state, stale_after).await? {
        tokio::spawn(async move {
            match started.run(&state, &token, &|_| {}).await {
                Ok(outcome) => tracing::info!(?outcome, "partner refresh finished"),
                Err(e) => tracing::warn!(error = ?e, "partner refresh failed"),
            }
        });
    }
    Ok(())
}

/// How long a background refresh of one customer or subscription holds its lease at most.
const DETAIL_LEASE_SECONDS: i64 = 5 * 60;

/// Runs `work` in the background and returns at once, unless another refresh of the same
/// `scope` (e.g. `customer:{id}`) holds the lease, in this instance or another: opening a
/// page many times starts one refresh. Failures are logged; the page keeps its data.
pub fn spawn_single_flight<F, Fut>(state: Arc<AppState>, scope: LeaseScope, work: F)
where
    F: FnOnce(Arc<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    tokio::spawn(async move {
        let holder = crate::store::unique_holder(&state.instance_id, "refresh");
        let lease = chrono::Duration::seconds(DETAIL_LEASE_SECONDS);
        match state.store.try_acquire_lease(scope, &holder, lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(%scope, error = ?e, "refresh lease not taken");
                return;
            }
        }
        if let Err(e) = work(state.clone()).await {
            tracing::warn!(%scope, error = ?e, "background refresh failed");
        }
        if let Err(e) = state.store.release_lease(scope, &holder).await {
            tracing::warn!(%scope, error = ?e, "refresh lease not released");
        }
    });
}
