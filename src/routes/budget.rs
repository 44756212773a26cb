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

use super::customer::{known_customer, parse_customer_id, render_customer_page};
use super::paths;
use crate::auth::{CurrentUser, TypedSession, delegated_token, verify_csrf};
use crate::budgets::{self, BudgetError, ChangeRequest, ChangeResult};
use crate::domain::{BudgetAmount, BudgetChange, Money};
use crate::error::AppError;
use crate::pages::BudgetFormView;
use crate::state::AppState;
use crate::store::CustomerSnapshot;

/// The budget form's fields.
#[derive(Debug, Deserialize)]
pub struct BudgetForm {
    csrf_token: Option<String>,
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

/// Longest reason kept in the budget history, in characters.
const MAX_REASON: usize = 500;

/// Handles the budget form.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %crate::telemetry::untrusted(&path)))]
pub async fn post(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: web::Path<String>,
    form: web::Form<BudgetForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !user.access.can_edit_budgets() {
        return Err(AppError::Forbidden(
            "Only budget editors may change budgets. Ask your administrator for the Budget editor app role.".into(),
        ));
    }
    verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
    let id = parse_customer_id(&path)?;
    let snapshot = known_customer(&state, &id).await?;
    let mut view = BudgetFormView::for_budget(&snapshot, &user);
    view.amount.clone_from(&form.amount);
    view.remove = form.remove.is_some();
    view.reason.clone_from(&form.reason);
    view.based_on.clone_from(&form.based_on);
    let page = |view, alert, status| {
        render_customer_page(
            &state,
            &user,
            &session,
            &snapshot,
            Some(view),
            alert,
            status,
        )
    };

    let change = match parse_change(&form, &snapshot, state.settings.budgets.maximum) {
        Ok(change) => change,
        Err(message) => {
            view.error = Some(message);
            return page(view, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let based_on = parse_based_on(&form.based_on).map_err(|()| {
        AppError::BadRequest("The form is damaged (based_on). Reload the page.".into())
    })?;
    let reason: String = form.reason.trim().chars().take(MAX_REASON).collect();
    let return_to = paths::customer(&id);
    let token = delegated_token(&state, user.id, &return_to).await?;
    let request = ChangeRequest {
        customer: snapshot.clone(),
        user_id: user.id,
        user_name: user.name.clone(),
        change,
        based_on,
        reason: (!reason.is_empty()).then_some(reason),
    };
    let result = match budgets::change_budget(&state.clone().into_inner(), &token, request).await {
        Ok(result) => result,
        Err(BudgetError::SignInRequired) => return Err(AppError::SignInRequired { return_to }),
        Err(BudgetError::Store(e)) => {
            tracing::error!(error = %e, "could not record a budget change intent");
            return Err(AppError::Unavailable(
                "Spendboard's database is unavailable, so the change was not sent to Partner Center. Nothing was changed; try again in a few minutes.".into(),
            ));
        }
    };
    let describe = |amount: Option<Decimal>| describe(amount, &snapshot);
    let (alert, status) = match result {
        ChangeResult::Applied { held } => {
            session.flash(&match held {
                Some(_) => format!(
                    "Budget of {} set to {}.",
                    snapshot.company_name,
                    describe(held)
                ),
                None => format!("Budget of {} removed.", snapshot.company_name),
            });
            return Ok(see_other(&return_to));
        }
        ChangeResult::Checking => {
            session.flash(&format!(
                "Partner Center did not confirm the change of {}'s budget. Spendboard is checking whether it was applied; the budget changes below show the outcome as soon as it is known.",
                snapshot.company_name
            ));
            return Ok(see_other(&return_to));
        }
        ChangeResult::Conflict { current } => {
            view.conflict = Some(format!(
                "The budget was changed in Partner Center since this form was shown: it is now {}, where the form showed {}. Nothing was saved. Check the amount below and save again to replace it.",
                describe(current),
                describe(based_on)
            ));
            view.based_on = plain(current);
            (None, StatusCode::CONFLICT)
        }
        ChangeResult::Superseded { current } => {
            view.conflict = Some(format!(
                "Partner Center did not confirm the change, and reading the budget back showed {}: it was changed elsewhere meanwhile. Check the amount below and save again to replace it.",
                describe(current)
            ));
            view.based_on = plain(current);
            (None, StatusCode::CONFLICT)
        }
        ChangeResult::Refused { message, forbidden } => (
            Some(format!(
                "Partner Center refused the change: {message} Nothing was changed."
            )),
            if forbidden {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_GATEWAY
            },
        ),
        ChangeResult::NotApplied { message } => (
            Some(format!(
                "The change was not applied: {message} Nothing was changed."
            )),
            StatusCode::BAD_GATEWAY,
        ),
        ChangeResult::Busy => (
            Some(
                "Another change of this customer's budget is being made or checked right now. Nothing was changed; try again in a moment.".into(),
            ),
            StatusCode::CONFLICT,
        ),
        ChangeResult::Unrecorded { known } => {
            return Err(AppError::Unavailable(format!(
                "{known} Spendboard's database is unavailable, so the change is not in the budget history yet; it will be recorded as soon as the database is back."
            )));
        }
    };
    page(view, alert, status).await
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// A budget as the form's `based_on` carries it: exact, empty for none.
fn plain(amount: Option<Decimal>) -> String {
    amount
        .map(|a| a.normalize().to_string())
        .unwrap_or_default()
}

fn parse_change(
    form: &BudgetForm,
    snapshot: &CustomerSnapshot,
    maximum: Decimal,
) -> Result<BudgetChange, String> {
    if form.remove.is_some() {
        return Ok(BudgetChange::Remove);
    }
    BudgetAmount::parse(&form.amount, &snapshot.currency, maximum)
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

fn describe(amount: Option<Decimal>, snapshot: &CustomerSnapshot) -> String {
    amount.map_or_else(
        || "no budget".to_owned(),
        |a| Money::new(a, snapshot.currency.clone()).to_string(),
    )
}
