//! `POST /refresh` starts a partner-wide refresh; `GET /refresh` shows its progress.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::respond::see_other;

use super::delegated::delegated_token;
use super::session::{CurrentUser, TypedSession};
use crate::auth::verify_csrf;
use crate::error::AppError;
use crate::pages::{Layout, RefreshPage, format_utc};
use crate::paths;
use crate::state::AppState;
use crate::store::RunState;

/// The refresh button's form.
#[derive(Debug, Deserialize)]
pub struct RefreshForm {
    csrf_token: Option<String>,
}

/// Starts a refresh (unless one runs) and shows its progress.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn start(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    form: web::Form<RefreshForm>,
) -> Result<HttpResponse, AppError> {
    verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
    if !state.refresher.is_running().await? {
        let token = delegated_token(&state, user.id, paths::DASHBOARD).await?;
        state.refresher.spawn_partner_refresh(token).await?;
    }
    Ok(see_other(paths::REFRESH))
}

/// The progress page; reloads itself while the refresh runs.
pub async fn progress(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
) -> Result<RefreshPage, AppError> {
    let run = state.refresher.partner_status().await?.latest;
    let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
    Ok(match run {
        Some(run) => RefreshPage {
            layout,
            running: run.state == RunState::Running,
            failed: run.state == RunState::Failed,
            done: run.done,
            total: run.total,
            percent: (run.done * 100)
                .checked_div(run.total)
                .unwrap_or(0)
                .min(100),
            message: run.message.clone(),
            started: Some(format_utc(run.started_at)),
            finished: run.finished_at.map(format_utc),
        },
        None => RefreshPage {
            layout,
            running: true,
            failed: false,
            done: 0,
            total: 0,
            percent: 0,
            message: "Starting".into(),
            started: None,
            finished: None,
        },
    })
}
