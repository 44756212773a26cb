//! `GET /preferences` and `POST /preferences`: the signed-in person's daily digest settings,
//! kept under their sign-in name (the address the digest goes to).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::extract::VerifiedForm;
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::auth::SessionUser;
use crate::domain::SignInName;
use crate::error::AppError;
use crate::pages::{Layout, PreferencesForm, PreferencesPage};
use crate::paths;
use crate::state::AppState;
use crate::store::DigestPreferences;

/// The form's fields; a checkbox is present when ticked.
#[derive(Debug, Deserialize)]
pub struct PreferencesFields {
    enabled: Option<String>,
    #[serde(default)]
    hour: String,
    status_over: Option<String>,
    status_near: Option<String>,
    status_onpace: Option<String>,
}

/// The preferences page.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let owner = sign_in_name(&user);
    let defaults = DigestPreferences::defaults(state.settings.alerts.digest_hour_utc);
    let preferences = match &owner {
        Some(owner) => state
            .store
            .digest_preferences(owner)
            .await?
            .unwrap_or(defaults),
        None => defaults,
    };
    let form = PreferencesForm::of(&preferences, user.csrf.as_str());
    render(&state, &user, &session, owner, form, StatusCode::OK)
}

/// Saves the preferences: 303 to the page, or the page again (422) with the error next to
/// the hour and the input kept.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn post(
    state: web::Data<AppState>,
    session: TypedSession,
    form: VerifiedForm<PreferencesFields>,
) -> Result<HttpResponse, AppError> {
    let VerifiedForm { user, fields, .. } = &form;
    let Some(owner) = sign_in_name(user) else {
        return Err(AppError::BadRequest(
            "Your account gave Spendboard no e-mail address, so there is nowhere to send a digest."
                .into(),
        ));
    };
    let Some(preferences) = fields.preferences() else {
        let mut form = PreferencesForm::of(&fields.preferences_or_midnight(), user.csrf.as_str());
        form.hour = fields.hour.clone();
        form.error = Some("Choose an hour from 00:00 to 23:00 (UTC).".into());
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, user, &session, Some(owner), form, status);
    };
    state
        .store
        .save_digest_preferences(&owner, &preferences)
        .await?;
    session.flash("Your digest preferences are saved.");
    Ok(see_other(paths::PREFERENCES))
}

impl PreferencesFields {
    /// The preferences as ticked, the hour 0 when it is not one of 0 to 23.
    fn preferences_or_midnight(&self) -> DigestPreferences {
        let ticked = [&self.status_over, &self.status_near, &self.status_onpace];
        let statuses = DigestPreferences::STATUSES
            .into_iter()
            .zip(ticked)
            .filter_map(|(status, field)| field.is_some().then_some(status))
            .collect();
        DigestPreferences {
            enabled: self.enabled.is_some(),
            hour_utc: self.hour().unwrap_or_default(),
            statuses,
        }
    }

    /// The preferences, `None` when the hour is not one of 0 to 23.
    fn preferences(&self) -> Option<DigestPreferences> {
        self.hour().map(|_| self.preferences_or_midnight())
    }

    /// The hour of the day (UTC), if it is one.
    fn hour(&self) -> Option<u8> {
        self.hour.trim().parse::<u8>().ok().filter(|h| *h <= 23)
    }
}

fn sign_in_name(user: &SessionUser) -> Option<SignInName> {
    user.email
        .as_deref()
        .and_then(|e| SignInName::parse(e).ok())
}

fn render(
    state: &AppState,
    user: &SessionUser,
    session: &TypedSession,
    owner: Option<SignInName>,
    form: PreferencesForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = PreferencesPage {
        layout: Layout::for_user(user, session.take_flash(), state.settings.is_demo()),
        address: owner.map(String::from),
        form,
    };
    html(status, &page)
}
