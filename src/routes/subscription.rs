//! `GET /customers/{id}/subscriptions/{subscription_id}`: why a subscription spends what it
//! spends. Its drill-down is read from the store; fetched from Partner Center first when
//! Spendboard has none yet, and in the background when stale.

use actix_web::web;

use super::customer_page::subscription_summary;
use super::extract::{SubscriptionPath, known_subscription};
use super::session::{CurrentUser, TypedSession};
use crate::error::AppError;
use crate::pages::{Layout, SubscriptionData, SubscriptionPage};
use crate::state::AppState;

/// The subscription page.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %path.0, subscription = %path.1))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: SubscriptionPath,
) -> Result<SubscriptionPage, AppError> {
    let (snapshot, subscription) = known_subscription(&state, path).await?;
    let customer = snapshot.customer_id;
    let summary = subscription_summary(&state, &user, customer, subscription).await?;
    let store = &state.store;
    let resources = store.resource_usage(&customer, &subscription).await?;
    let meters = store.meter_usage(&customer, &subscription).await?;
    let utilization = if summary.is_legacy {
        Some(store.utilization(&customer, &subscription).await?)
    } else {
        None
    };
    Ok(SubscriptionPage::new(SubscriptionData {
        layout: Layout::for_user(&user, session.take_flash(), state.settings.is_demo()),
        customer: &snapshot,
        summary: &summary,
        resources: &resources,
        meters: &meters,
        utilization: utilization.as_deref(),
        stale: state.refresher.is_stale(Some(summary.fetched_at)),
    }))
}
