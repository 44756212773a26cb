//! `GET /alerts` (the partner-wide thresholds and what fired), `POST /alerts/rules` (add a
//! partner-wide threshold; budget editors) and `POST /alerts/rules/{id}/remove`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::customer_page::render_customer_page;
use super::extract::{AlertEditor, CustomerPath, NoFields, RulePath, VerifiedForm, known_customer};
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::alerts::{RuleError, add_rule};
use crate::auth::SessionUser;
use crate::domain::CustomerId;
use crate::error::AppError;
use crate::pages::{
    AlertsPage, CustomerForms, FiringView, Layout, RuleForm, RuleSetView, RuleView,
};
use crate::paths;
use crate::state::AppState;

/// Firings listed on the page.
const LISTED: i64 = 200;

/// The add-a-threshold form's fields.
#[derive(Debug, Deserialize)]
pub struct RuleFields {
    #[serde(default)]
    basis: String,
    #[serde(default)]
    percent: String,
}

/// The add-a-threshold form from a budget editor.
type AddForm = VerifiedForm<RuleFields, AlertEditor>;

/// A remove button from a budget editor.
type RemoveForm = VerifiedForm<NoFields, AlertEditor>;

/// The Alerts page.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let form = RuleForm::empty(None, &user);
    render(&state, &user, &session, form, StatusCode::OK).await
}

/// Adds a partner-wide threshold: 303 to the page, or the page again (422) with the error
/// next to the field and the input kept.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn add(
    state: web::Data<AppState>,
    session: TypedSession,
    form: AddForm,
) -> Result<HttpResponse, AppError> {
    let AddForm { user, fields, .. } = &form;
    match add_rule(&state.store, None, &fields.basis, &fields.percent, user.id).await {
        Ok(threshold) => {
            session.flash(&format!("Threshold added: {threshold}."));
            Ok(see_other(paths::ALERTS))
        }
        Err(e) => {
            let form = RuleForm::kept(None, user, &fields.basis, &fields.percent, e)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, user, &session, form, status).await
        }
    }
}

/// Removes a partner-wide threshold.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn remove(
    state: web::Data<AppState>,
    session: TypedSession,
    rule: web::Path<i64>,
    form: RemoveForm,
) -> Result<HttpResponse, AppError> {
    if state.store.remove_alert_rule(None, *rule).await? {
        session.flash("Threshold removed.");
    }
    Ok(see_other(paths::ALERTS))
}

/// Adds a threshold to the customer's own set: 303 to the customer page, or the page again
/// (422) with the error next to the field and the input kept.
#[tracing::instrument(skip_all, fields(user = %form.user.id, customer = %id))]
pub async fn add_for_customer(
    state: web::Data<AppState>,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    form: AddForm,
) -> Result<HttpResponse, AppError> {
    let snapshot = known_customer(&state, &id).await?;
    let AddForm { user, fields, .. } = &form;
    match add_rule(
        &state.store,
        Some(&id),
        &fields.basis,
        &fields.percent,
        user.id,
    )
    .await
    {
        Ok(threshold) => {
            session.flash(&format!("Threshold added for this customer: {threshold}."));
            Ok(see_other(&paths::customer(&id)))
        }
        Err(e) => {
            let rule = RuleForm::kept(Some(&id), user, &fields.basis, &fields.percent, e)?;
            let forms = CustomerForms {
                rule,
                ..CustomerForms::for_user(&snapshot, user)
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_customer_page(&state, user, &session, &snapshot, forms, status).await
        }
    }
}

/// Removes a threshold of the customer's own set.
#[tracing::instrument(skip_all, fields(user = %form.user.id, customer = %id))]
pub async fn remove_for_customer(
    state: web::Data<AppState>,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    RulePath(rule): RulePath,
    form: RemoveForm,
) -> Result<HttpResponse, AppError> {
    if state.store.remove_alert_rule(Some(&id), rule).await? {
        session.flash("Threshold removed for this customer.");
    }
    Ok(see_other(&paths::customer(&id)))
}

impl RuleForm {
    /// The empty form of a set, for budget editors (`None` for others).
    pub fn empty(customer: Option<&CustomerId>, user: &SessionUser) -> Option<Self> {
        user.access.can_edit_budgets().then(|| Self {
            action: paths::alert_rules(customer),
            csrf_token: user.csrf.as_str().to_owned(),
            ..Self::default()
        })
    }

    /// The form again with the input kept and the error for the person.
    ///
    /// # Errors
    /// The database failure of `error`, for the error page.
    pub fn kept(
        customer: Option<&CustomerId>,
        user: &SessionUser,
        basis: &str,
        percent: &str,
        error: RuleError,
    ) -> Result<Option<Self>, AppError> {
        let message = match error {
            RuleError::Store(e) => return Err(e.into()),
            person => person.to_string(),
        };
        Ok(Self::empty(customer, user).map(|form| Self {
            basis: basis.to_owned(),
            percent: percent.to_owned(),
            error: Some(message),
            ..form
        }))
    }
}

async fn render(
    state: &AppState,
    user: &SessionUser,
    session: &TypedSession,
    form: Option<RuleForm>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let can_edit = user.access.can_edit_budgets();
    let rules = state.store.alert_rules(None).await?;
    let firings = state.store.recent_firings(None, LISTED).await?;
    let page = AlertsPage {
        layout: Layout::for_user(user, session.take_flash(), state.settings.is_demo()),
        rule_set: RuleSetView {
            rules: rules.iter().map(|r| RuleView::of(r, can_edit)).collect(),
            form,
        },
        firings: firings.iter().map(FiringView::of).collect(),
        catcher: state.settings.alerts.smtp.is_none(),
    };
    html(status, &page)
}
