//! `GET /`: partner totals and the customer table (sorted, searched and paged in the
//! instance's view of the latest snapshot version, see [`crate::store::DashboardView`]).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::dashboard_query::DashboardParams;
use super::delegated::delegated_token;
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::error::AppError;
use crate::pages::{DashboardData, DashboardPage};
use crate::paths;
use crate::portfolios;
use crate::refresh::{FreshError, PartnerFreshness};
use crate::state::AppState;
use crate::store::{DashboardView, Ownership, RunStatus};

/// Rows per page.
pub const PAGE_SIZE: u32 = 50;

/// The dashboard. With an empty store (first visit) it starts a refresh and sends the
/// browser to the progress page; with stale data it shows what it has and refreshes in the
/// background.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    params: web::Query<DashboardParams>,
) -> Result<HttpResponse, AppError> {
    let (status, view, ownership) = read_views(&state).await?;
    let me = user.sign_in_name();
    let chosen = portfolios::chosen(&ownership, me.as_ref(), params.owner.as_deref());
    let token = delegated_token(&state, user.id, paths::DASHBOARD);
    let (started, notice) = started_or_notice(
        (state.refresher)
            .ensure_partner_fresh(&status, &view.totals, token)
            .await,
    )?;
    if view.totals.customers == 0 {
        return Ok(see_other(paths::REFRESH));
    }
    let page = DashboardPage::new(
        DashboardData {
            flash: session.take_flash().or(notice),
            stale: state.refresher.is_stale(view.totals.oldest_fetched_at),
            stale_after: state.refresher.stale_after(),
            user: &user,
            settings: &state.settings,
            view: &view,
            query: &params.query(PAGE_SIZE, &chosen),
            ownership: &ownership,
            chosen: &chosen,
            status: &status,
            started,
        },
        Utc::now(),
    )?;
    html(StatusCode::OK, &page)
}

/// The partner-wide refresh state, and this instance's views at the versions it names: the
/// customers with their totals, and every portfolio (each read again only when its version
/// moved on).
async fn read_views(
    state: &AppState,
) -> Result<(RunStatus, Arc<DashboardView>, Arc<Ownership>), AppError> {
    let status = state.refresher.partner_status().await?;
    let view = (state.store)
        .dashboard_view(&state.dashboard, status.snapshot_version)
        .await?;
    let ownership = (state.store)
        .ownership_view(&state.ownership, status.ownership_version)
        .await?;
    Ok((status, view, ownership))
}

/// Whether a background refresh started, and the notice to show when the data could not be
/// refreshed: with data to show, a token that cannot be renewed (identity provider down or
/// refusing) is no reason to show none of it, unless the person's access was revoked.
fn started_or_notice(
    freshness: Result<PartnerFreshness<AppError>, FreshError<AppError>>,
) -> Result<(bool, Option<String>), AppError> {
    match freshness {
        Ok(PartnerFreshness::Unchanged) => Ok((false, None)),
        Ok(PartnerFreshness::Started) => Ok((true, None)),
        Ok(PartnerFreshness::NotRefreshed(AppError::AccessRevoked)) => Err(AppError::AccessRevoked),
        Ok(PartnerFreshness::NotRefreshed(e)) => {
            tracing::warn!(error = %e, "cannot renew the Partner Center token; showing the stored data");
            Ok((false, Some(
                "Spendboard could not renew your Microsoft sign-in, so this data was not refreshed. Sign out and sign in again to refresh it."
                    .to_owned(),
            )))
        }
        Err(FreshError::Token(e)) => Err(e),
        Err(FreshError::Store(e)) => Err(e.into()),
        Err(FreshError::Fetch(e)) => Err(AppError::Unexpected(e)),
    }
}
