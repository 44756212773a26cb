//! `POST /customers/{id}/budget`: change or remove a customer's spending budget.
//!
//! Order of checks: role, CSRF token, the amount (422 keeping the input); then the budget
//! change service ([`crate::budgets`]) makes the change, and its result becomes a 303 with a
//! flash message (applied, or being checked), or the page again with the form kept: 409 for
//! a conflict or a concurrent edit (the form then based on Partner Center's amount), 403/502
//! for a refusal or a change certainly not applied, 503 when the database failed.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::customer_page::render_customer_page;
use super::delegated::delegated_token;
use super::extract::{BudgetEditor, CustomerPath, VerifiedForm, known_customer};
use super::respond::see_other;
use super::session::TypedSession;
use crate::auth::SessionUser;
use crate::budgets::{self, BudgetError, ChangeRequest};
use crate::domain::{BudgetAmount, BudgetChange};
use crate::error::AppError;
use crate::pages::{BudgetFormView, BudgetReply, CustomerForms};
use crate::paths;
use crate::state::AppState;
use crate::store::CustomerSnapshot;

/// The budget form's fields.
#[derive(Debug, Deserialize)]
pub struct BudgetFields {
    #[serde(default)]
    amount: String,
    /// Present (any value) when "Remove budget" is chosen.
    remove: Option<String>,
    #[serde(default)]
    reason: String,
    /// The amount the form was based on (plain decimal; empty for no budget).
    #[serde(default)]
    based_on: String,
}

/// Handles the budget form.
#[tracing::instrument(skip_all, fields(user = %form.user.id, customer = %id))]
pub async fn post(
    state: web::Data<AppState>,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    form: VerifiedForm<BudgetFields, BudgetEditor>,
) -> Result<HttpResponse, AppError> {
    let VerifiedForm { user, fields, .. } = &form;
    let snapshot = known_customer(&state, &id).await?;
    let mut view = BudgetFormView::for_budget(&snapshot, user);
    let remove = fields.remove.is_some();
    view.keep_input(&fields.amount, remove, &fields.reason, &fields.based_on);
    let reply = match change_request(fields, &snapshot, user, state.settings.budgets.maximum)? {
        Ok(request) => change(&state, user, &snapshot, request).await?,
        Err(message) => {
            view.error = Some(message);
            BudgetReply::FormAgain {
                alert: None,
                conflict: None,
                rebase_on: None,
                status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
            }
        }
    };
    answer(&state, user, &session, &snapshot, view, reply).await
}

/// Makes the change with the user's Partner Center token; the reply to show.
async fn change(
    state: &web::Data<AppState>,
    user: &SessionUser,
    snapshot: &CustomerSnapshot,
    request: ChangeRequest,
) -> Result<BudgetReply, AppError> {
    let return_to = paths::customer(&snapshot.customer_id);
    let token = delegated_token(state, user.id, &return_to).await?;
    let based_on = request.based_on;
    let result = state
        .budgets
        .change_budget(&token, request)
        .await
        .map_err(|e| budget_error(e, return_to))?;
    Ok(BudgetReply::of(result, snapshot, based_on))
}

/// The reply as a response: a 303 with the flash, the customer page with the budget form
/// `view` (and the reply's message and status), or the 503 error page.
async fn answer(
    state: &web::Data<AppState>,
    user: &SessionUser,
    session: &TypedSession,
    snapshot: &CustomerSnapshot,
    mut view: BudgetFormView,
    reply: BudgetReply,
) -> Result<HttpResponse, AppError> {
    let (alert, status) = match reply {
        BudgetReply::Saved(flash) => {
            session.flash(&flash);
            return Ok(see_other(&paths::customer(&snapshot.customer_id)));
        }
        BudgetReply::Unavailable(message) => return Err(AppError::Unavailable(message)),
        BudgetReply::FormAgain {
            alert,
            conflict,
            rebase_on,
            status,
        } => {
            view.conflict = conflict;
            if let Some(current) = rebase_on {
                view.based_on = plain(current);
            }
            (
                alert,
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            )
        }
    };
    let forms = CustomerForms {
        budget: Some(view),
        alert,
        ..CustomerForms::for_user(snapshot, user)
    };
    render_customer_page(state, user, session, snapshot, forms, status).await
}

/// The service's request from the form: `Ok(Err(message))` for an amount to correct (422),
/// `Err` for a damaged form.
fn change_request(
    form: &BudgetFields,
    snapshot: &CustomerSnapshot,
    user: &SessionUser,
    maximum: Decimal,
) -> Result<Result<ChangeRequest, String>, AppError> {
    let based_on = parse_based_on(&form.based_on).map_err(|()| {
        AppError::BadRequest("The form is damaged (based_on). Reload the page.".into())
    })?;
    let change = match parse_change(form, snapshot, maximum) {
        Ok(change) => change,
        Err(message) => return Ok(Err(message)),
    };
    Ok(Ok(ChangeRequest {
        customer: snapshot.clone(),
        user_id: user.id,
        user_name: user.name.clone(),
        change,
        based_on,
        reason: budgets::kept_reason(&form.reason),
        batch_id: None,
    }))
}

/// A budget service failure as the person sees it.
fn budget_error(error: BudgetError, return_to: String) -> AppError {
    match error {
        BudgetError::SignInRequired => AppError::SignInRequired { return_to },
        BudgetError::Store(e) => {
            tracing::error!(error = %e, "could not record a budget change intent");
            AppError::Unavailable(
                "Spendboard's database is unavailable, so the change was not sent to Partner Center. Nothing was changed; try again in a few minutes.".into(),
            )
        }
    }
}

/// A budget as the form's `based_on` carries it: exact, empty for none.
fn plain(amount: Option<Decimal>) -> String {
    amount
        .map(|a| a.normalize().to_string())
        .unwrap_or_default()
}

fn parse_change(
    form: &BudgetFields,
    snapshot: &CustomerSnapshot,
    maximum: Decimal,
) -> Result<BudgetChange, String> {
    if form.remove.is_some() {
        return Ok(BudgetChange::Remove);
    }
    BudgetAmount::parse(&form.amount, snapshot.currency(), maximum)
        .map(BudgetChange::Set)
        .map_err(|e| e.to_string())
}

fn parse_based_on(raw: &str) -> Result<Option<Decimal>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        Ok(None)
    } else {
        Decimal::from_str(raw).map(Some).map_err(|_| ())
    }
}
