//! A customer's what-if plans: `GET /customers/{id}/what-if[?plan=..]` (the form, a saved
//! plan reopened), `POST /customers/{id}/what-if` (calculate or save), and
//! `POST /customers/{id}/what-if/plans/{plan_id}/delete`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::extract::{CustomerPath, NoFields, PlanPath, VerifiedForm, known_customer};
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::auth::SessionUser;
use crate::error::AppError;
use crate::pages::{Layout, WhatIfPage};
use crate::paths;
use crate::prices::{self, PlanEvaluation, PlanInput};
use crate::state::AppState;
use crate::store::CustomerSnapshot;

/// The what-if page's query string.
#[derive(Debug, Deserialize)]
pub struct WhatIfQuery {
    plan: Option<String>,
}

async fn render(
    state: &AppState,
    user: &SessionUser,
    session: &TypedSession,
    snapshot: &CustomerSnapshot,
    evaluation: &PlanEvaluation,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let plans = state.store.plans_of(&snapshot.customer_id).await?;
    let layout = Layout::for_user(user, session.take_flash(), state.settings.is_demo());
    let editor = user.access.can_edit_budgets();
    let page = WhatIfPage::new(layout, snapshot, evaluation, &plans, editor);
    html(status, &page)
}

/// The form, empty or with a saved plan priced again.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    query: web::Query<WhatIfQuery>,
) -> Result<HttpResponse, AppError> {
    let snapshot = known_customer(&state, &id).await?;
    let input = match &query.plan {
        Some(plan) => {
            let saved = state.store.plan(&id, plan).await?.ok_or_else(|| {
                AppError::NotFound("This customer has no such saved plan.".into())
            })?;
            PlanInput::from_saved(&saved)
        }
        None => PlanInput::default(),
    };
    let near = state.settings.budgets.near_threshold_percent;
    let evaluation = prices::evaluate(&state.store, &snapshot, &input, false, near).await?;
    render(
        &state,
        &user,
        &session,
        &snapshot,
        &evaluation,
        StatusCode::OK,
    )
    .await
}

/// Calculates the plan as typed, or saves it (`intent=save`): a plan with an error gets the
/// form back with 400 and nothing saved.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn post(
    state: web::Data<AppState>,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    form: VerifiedForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let VerifiedForm { user, fields, .. } = &form;
    let snapshot = known_customer(&state, &id).await?;
    let saving = fields.get("intent").is_some_and(|i| i == "save");
    let input = PlanInput::from_form(fields);
    let near = state.settings.budgets.near_threshold_percent;
    let evaluation = prices::evaluate(&state.store, &snapshot, &input, saving, near).await?;
    if saving && evaluation.can_be_saved() {
        let lines = evaluation.saved_lines();
        let plan = state
            .store
            .save_plan(&id, &evaluation.name, user.id, &lines)
            .await?;
        session.flash(&format!("Plan “{}” saved.", evaluation.name));
        return Ok(see_other(&format!("{}?plan={plan}", paths::what_if(&id))));
    }
    let failed = saving || evaluation.lines.iter().any(prices::CheckedLine::has_error);
    let status = if failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(&state, user, &session, &snapshot, &evaluation, status).await
}

/// Deletes a saved plan.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn delete(
    state: web::Data<AppState>,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    PlanPath(plan): PlanPath,
    form: VerifiedForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if state.store.delete_plan(&id, &plan).await? {
        session.flash("Plan deleted.");
    }
    Ok(see_other(&paths::what_if(&id)))
}
