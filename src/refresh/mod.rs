//! Fetching Partner Center into the store. Single-flight across instances: a refresh takes
//! the lease of its scope in the database first, so however many people open the dashboard
//! at once, one refresh runs.

mod customer;
mod forecast;
mod partner;
mod scheduled;
mod subscription;

use actix_web::web;

pub use customer::refresh_customer;
pub use forecast::{forecast_snapshot, reforecast_customer};
pub use partner::{
    PARTNER_SCOPE, Progress, RefreshOutcome, StartedRefresh, begin_partner_refresh, refresh_partner,
};
pub use scheduled::{refresh_with_stored_token, spawn_schedule};
pub use subscription::{refresh_subscription, spawn_subscription_refresh};

use crate::partner_center::AccessToken;
use crate::startup::AppState;
use crate::store::RunState;

/// True while a partner-wide refresh is running (in any instance).
///
/// # Errors
/// Database failure.
pub async fn is_running(state: &AppState) -> Result<bool, crate::store::StoreError> {
    Ok(state
        .store
        .latest_run(PARTNER_SCOPE)
        .await?
        .is_some_and(|run| run.state == RunState::Running))
}

/// Starts a partner-wide refresh with the given delegated token: takes the lease and records
/// the run before returning (so a progress page shows it at once), then works in the
/// background. Does nothing if another refresh holds the lease.
///
/// # Errors
/// Database failures while taking the lease or recording the run.
pub async fn spawn_partner_refresh(
    state: web::Data<AppState>,
    token: AccessToken,
) -> anyhow::Result<()> {
    if let Some(started) = begin_partner_refresh(&state).await? {
        tokio::spawn(async move {
            match started.run(&state, &token, &|_| {}).await {
                Ok(outcome) => tracing::info!(?outcome, "partner refresh finished"),
                Err(e) => tracing::warn!(error = ?e, "partner refresh failed"),
            }
        });
    }
    Ok(())
}
