//! `POST /customers/{id}/budget`: change or remove a customer's spending budget.
//!
//! Order of checks: role, CSRF token, the amount (422 keeping the input), then Partner
//! Center's current amount against the one the form was based on (a difference is shown,
//! never overwritten), then the PATCH. Every attempt that reaches Partner Center is appended
//! to the audit log with its outcome.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::customer::{known_customer, parse_customer_id, render_customer_page};
use super::paths;
use crate::auth::{CurrentUser, TypedSession, delegated_token, verify_csrf};
use crate::domain::{BudgetAmount, BudgetChange, Money, UsageStatus, percent_used};
use crate::error::AppError;
use crate::pages::BudgetFormView;
use crate::partner_center::PartnerCenterError;
use crate::state::AppState;
use crate::store::{AuditOutcome, CustomerSnapshot, NewAuditEntry};

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

/// Longest reason kept in the audit log, in characters.
const MAX_REASON: usize = 500;

/// Handles the budget form.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %path))]
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
    view.amount = form.amount.clone();
    view.remove = form.remove.is_some();
    view.reason = form.reason.clone();
    view.based_on = form.based_on.clone();
    let show = |view: BudgetFormView, alert: Option<String>, status: StatusCode| {
        let state = state.clone();
        let session = &session;
        let snapshot = &snapshot;
        let user = &user;
        async move {
            render_customer_page(&state, user, session, snapshot, Some(view), alert, status).await
        }
    };

    let change = match parse_change(&form, &snapshot, state.settings.budgets.maximum) {
        Ok(change) => change,
        Err(message) => {
            view.error = Some(message);
            return show(view, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let based_on = match parse_based_on(&form.based_on) {
        Ok(b) => b,
        Err(()) => {
            return Err(AppError::BadRequest(
                "The form is damaged (based_on). Reload the page.".into(),
            ));
        }
    };
    let reason = form
        .reason
        .trim()
        .chars()
        .take(MAX_REASON)
        .collect::<String>();
    let new_amount = match change {
        BudgetChange::Set(amount) => Some(amount.amount()),
        BudgetChange::Remove => None,
    };

    let return_to = paths::customer(&id);
    let token = delegated_token(&state, user.id, &return_to).await?;
    let audit = |outcome,
                 old: Option<Decimal>,
                 detail: Option<String>,
                 request_id: Option<String>| NewAuditEntry {
        at: Utc::now(),
        user_id: user.id.to_string(),
        user_name: user.name.clone(),
        customer_id: id,
        customer_name: snapshot.company_name.clone(),
        currency: snapshot.currency.clone(),
        old_amount: old,
        new_amount,
        reason: (!reason.is_empty()).then(|| reason.clone()),
        outcome,
        detail,
        partner_center_request_id: request_id,
    };

    let current = match state.partner_center.usage_budget(&token, &id).await {
        Ok(budget) => budget.amount,
        Err(e) => return refused(e, &show, view).await,
    };
    if !same_amount(current, based_on) {
        state
            .store
            .append_audit(audit(
                AuditOutcome::Conflict,
                current,
                Some("the budget had changed in Partner Center since the form was shown".into()),
                None,
            ))
            .await?;
        let shown = describe(current, &snapshot);
        view.conflict = Some(format!(
            "The budget was changed in Partner Center since this form was shown: it is now {shown}, not {}. Nothing was saved. Check the amount below and save again to replace it.",
            describe(based_on, &snapshot)
        ));
        view.based_on = current
            .map(|c| c.normalize().to_string())
            .unwrap_or_default();
        return show(view, None, StatusCode::CONFLICT).await;
    }

    match state
        .partner_center
        .patch_usage_budget(&token, &id, new_amount)
        .await
    {
        Ok(update) => {
            state
                .store
                .append_audit(audit(
                    AuditOutcome::Applied,
                    current,
                    None,
                    Some(update.request_id.to_string()),
                ))
                .await?;
            let applied = update.budget.amount;
            let threshold = state.settings.budgets.near_threshold_percent;
            state
                .store
                .update_snapshot_budget(
                    &id,
                    applied,
                    UsageStatus::classify(snapshot.total_cost, applied, threshold),
                    percent_used(snapshot.total_cost, applied),
                )
                .await?;
            // The crossing date and "on pace" depend on the budget.
            crate::refresh::reforecast_customer(&state, &id).await?;
            session.flash(&match applied {
                Some(a) => format!(
                    "Budget of {} set to {}.",
                    snapshot.company_name,
                    Money::new(a, snapshot.currency.clone())
                ),
                None => format!("Budget of {} removed.", snapshot.company_name),
            });
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", return_to))
                .finish())
        }
        Err(e) => {
            if !e.is_unauthorized() {
                state
                    .store
                    .append_audit(audit(
                        AuditOutcome::Refused,
                        current,
                        Some(e.user_message()),
                        Some(e.request_id().to_string()),
                    ))
                    .await?;
            }
            refused(e, &show, view).await
        }
    }
}

/// Shows a Partner Center refusal with its reason above the kept form.
async fn refused<F, Fut>(
    error: PartnerCenterError,
    show: &F,
    view: BudgetFormView,
) -> Result<HttpResponse, AppError>
where
    F: Fn(BudgetFormView, Option<String>, StatusCode) -> Fut,
    Fut: Future<Output = Result<HttpResponse, AppError>>,
{
    if error.is_unauthorized() {
        return Err(AppError::PartnerCenter(error));
    }
    tracing::warn!(error = %error, "Partner Center refused a budget change");
    let status = if error.is_forbidden() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_GATEWAY
    };
    let alert = format!(
        "Partner Center refused the change: {} Nothing was changed.",
        error.user_message()
    );
    show(view, Some(alert), status).await
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

fn same_amount(a: Option<Decimal>, b: Option<Decimal>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.normalize() == b.normalize(),
        (None, None) => true,
        _ => false,
    }
}

fn describe(amount: Option<Decimal>, snapshot: &CustomerSnapshot) -> String {
    amount.map_or_else(
        || "no budget".to_owned(),
        |a| Money::new(a, snapshot.currency.clone()).to_string(),
    )
}
