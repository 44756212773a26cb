//! `GET /teams` (alert teams: members and webhooks) and, for budget editors, `POST /teams`
//! (create), `POST /teams/{id}/name`, `/webhook`, `/members` and `/members/remove`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::extract::{AlertEditor, VerifiedForm};
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::alerts::{TeamError, change_member, create_team, rename_team, set_webhook};
use crate::auth::SessionUser;
use crate::error::AppError;
use crate::pages::{KeptTeamInput, Layout, TeamsPage};
use crate::paths;
use crate::state::AppState;

/// The fields of every team form (each sends the ones it has).
#[derive(Debug, Deserialize)]
pub struct TeamFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    member: String,
}

/// A team form from a budget editor.
type TeamForm = VerifiedForm<TeamFields, AlertEditor>;

/// The Teams page.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    render(&state, &user, &session, None, StatusCode::OK).await
}

/// Creates a team.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn create(
    state: web::Data<AppState>,
    session: TypedSession,
    form: TeamForm,
) -> Result<HttpResponse, AppError> {
    let fields = &form.fields;
    let outcome = create_team(
        &state.store,
        &fields.name,
        &fields.webhook_url,
        form.user.id,
    )
    .await
    .map(|_| format!("Team {:?} created.", fields.name.trim()));
    answer(&state, &session, None, &form, outcome).await
}

/// Renames a team.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn rename(
    state: web::Data<AppState>,
    session: TypedSession,
    team: web::Path<i64>,
    form: TeamForm,
) -> Result<HttpResponse, AppError> {
    let outcome = rename_team(&state.store, *team, &form.fields.name)
        .await
        .map(|name| format!("Team renamed to {name:?}."));
    answer(&state, &session, Some(*team), &form, outcome).await
}

/// Sets or (with an empty address) clears a team's webhook.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn webhook(
    state: web::Data<AppState>,
    session: TypedSession,
    team: web::Path<i64>,
    form: TeamForm,
) -> Result<HttpResponse, AppError> {
    let outcome = set_webhook(&state.store, *team, &form.fields.webhook_url)
        .await
        .map(|(name, set)| match set {
            true => format!("Webhook of {name:?} saved."),
            false => format!("Webhook of {name:?} removed."),
        });
    answer(&state, &session, Some(*team), &form, outcome).await
}

/// Adds a member to a team.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn add_member(
    state: web::Data<AppState>,
    session: TypedSession,
    team: web::Path<i64>,
    form: TeamForm,
) -> Result<HttpResponse, AppError> {
    let outcome = change_member(&state.store, *team, &form.fields.member, true)
        .await
        .map(|(name, member)| format!("{member} is a member of {name:?}."));
    answer(&state, &session, Some(*team), &form, outcome).await
}

/// Removes a member from a team.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn remove_member(
    state: web::Data<AppState>,
    session: TypedSession,
    team: web::Path<i64>,
    form: TeamForm,
) -> Result<HttpResponse, AppError> {
    let outcome = change_member(&state.store, *team, &form.fields.member, false)
        .await
        .map(|(name, member)| format!("{member} removed from {name:?}."));
    answer(&state, &session, Some(*team), &form, outcome).await
}

/// 303 to the page with `outcome` as the flash, or the page again (422) with the error next
/// to the field and the input kept; 404 for a team that does not exist.
async fn answer(
    state: &AppState,
    session: &TypedSession,
    team: Option<i64>,
    TeamForm { user, fields, .. }: &TeamForm,
    outcome: Result<String, TeamError>,
) -> Result<HttpResponse, AppError> {
    let error = match outcome {
        Ok(flash) => {
            session.flash(&flash);
            return Ok(see_other(paths::TEAMS));
        }
        Err(error) => error,
    };
    let Some(field) = error.field() else {
        return Err(match error {
            TeamError::Store(e) => e.into(),
            other => AppError::NotFound(other.to_string()),
        });
    };
    let kept = KeptTeamInput {
        team,
        name: fields.name.clone(),
        webhook_url: fields.webhook_url.clone(),
        member: fields.member.clone(),
        field,
        error: error.to_string(),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(state, user, session, Some(&kept), status).await
}

async fn render(
    state: &AppState,
    user: &SessionUser,
    session: &TypedSession,
    kept: Option<&KeptTeamInput>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let teams = state.store.alert_teams().await?;
    let layout = Layout::for_user(user, session.take_flash(), state.settings.is_demo());
    let csrf = user.access.can_edit_budgets().then(|| user.csrf.as_str());
    let page = TeamsPage::new(layout, &teams, csrf, kept);
    html(status, &page)
}
