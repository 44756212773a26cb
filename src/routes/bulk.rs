//! Bulk budget changes (budget editors only; every other role gets 403 from every route):
//! `POST /bulk/preview` plans a batch from the dashboard's selection and action (422 with the
//! form and its errors next to the fields, nothing planned), `POST /bulk/upload` plans one
//! from an uploaded CSV of budgets (422 with the file's or each line's error, nothing
//! planned), `GET /bulk/batches/{id}` shows
//! its preview, then its progress and results; `POST .../confirm` starts applying it,
//! `POST .../retry` sends the failed items again, `GET .../outcomes.csv` exports the results.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use rust_decimal::Decimal;

use super::bulk_form::{BulkForm, CsvUpload, Selection, SelectionForm};
use super::csv_download::csv_rows;
use super::extract::{BatchPath, BudgetEditor, NoFields, Permission as _, VerifiedForm};
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::auth::SessionUser;
use crate::domain::{BudgetAmount, BulkAction, Currency, parse_percent};
use crate::error::AppError;
use crate::pages::{BatchPage, BulkFormPage, BulkFormView, Layout, OutcomeCsvRow, UploadErrorPage};
use crate::paths;
use crate::state::AppState;
use crate::store::Batch;

/// The confirm and retry buttons, from a budget editor.
type BatchForm = VerifiedForm<NoFields, BudgetEditor>;

/// Plans a batch and shows its preview, or the form again with what is wrong.
#[tracing::instrument(skip_all, fields(user = %input.user.id))]
pub async fn preview(
    state: web::Data<AppState>,
    session: TypedSession,
    input: SelectionForm<BudgetEditor>,
) -> Result<HttpResponse, AppError> {
    let SelectionForm {
        user,
        form,
        view,
        selection,
        ..
    } = input;
    let mut bulk = keep_input(
        &form,
        &user,
        &selection,
        BulkFormView::currencies(&selection.customers, &view),
    );
    let action = parse_action(&form, &selection, state.settings.budgets.maximum, &mut bulk);
    let Some(action) = action.filter(|_| !bulk.has_errors()) else {
        let page = BulkFormPage {
            layout: Layout::for_user(&user, session.take_flash(), state.settings.is_demo()),
            bulk: Some(bulk),
            selection: selection.words,
            hidden: selection.hidden,
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let id = state
        .bulk
        .plan_batch(&user, &selection.customers, &action, &form.reason)
        .await?;
    Ok(see_other(&paths::bulk_batch(id)))
}

/// Plans a batch from an uploaded CSV file of budgets (multipart: `csrf_token`, then `file`).
#[tracing::instrument(skip_all, fields(user = %input.user.id))]
pub async fn upload(
    state: web::Data<AppState>,
    session: TypedSession,
    input: CsvUpload<BudgetEditor>,
) -> Result<HttpResponse, AppError> {
    let CsvUpload {
        user, file, view, ..
    } = input;
    let planned = file.and_then(|(name, bytes)| {
        let items = state.bulk.plan_file(&bytes, &view)?;
        Ok((name, items))
    });
    let (name, items) = match planned {
        Ok(planned) => planned,
        Err(error) => {
            let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
            let page = UploadErrorPage::new(layout, false, error);
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let id = state.bulk.save_file_plan(&user, &name, &items).await?;
    Ok(see_other(&paths::bulk_batch(id)))
}

/// A batch's page: the preview until confirmed, then progress and results.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn batch(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    BatchPath(id): BatchPath,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    let batch = known_batch(&state, id).await?;
    let items = state.store.batch_items(batch.id).await?;
    let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
    html(StatusCode::OK, &BatchPage::new(layout, &batch, &items))
}

/// Confirms a previewed batch and starts applying it.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn confirm(
    state: web::Data<AppState>,
    session: TypedSession,
    BatchPath(id): BatchPath,
    form: BatchForm,
) -> Result<HttpResponse, AppError> {
    let batch = known_batch(&state, id).await?;
    if state.store.confirm_batch(batch.id).await? {
        state.bulk.spawn(batch.id);
        session.flash("The changes are being applied in the background. This page shows how far they are; you may leave it.");
    } else {
        session.flash("This change was confirmed already; it is not applied twice.");
    }
    Ok(see_other(&paths::bulk_batch(batch.id)))
}

/// Sends the failed items of a batch again.
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn retry(
    state: web::Data<AppState>,
    session: TypedSession,
    BatchPath(id): BatchPath,
    form: BatchForm,
) -> Result<HttpResponse, AppError> {
    let batch = known_batch(&state, id).await?;
    if batch.confirmed_at.is_none() {
        return Err(AppError::BadRequest(
            "This change has not been confirmed: there is nothing to retry.".into(),
        ));
    }
    let retried = state.bulk.retry_failed(batch.id).await?;
    session.flash(&format!("Sending {retried} failed changes again."));
    Ok(see_other(&paths::bulk_batch(batch.id)))
}

/// The batch's items and their results as CSV.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn outcomes_csv(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    BatchPath(id): BatchPath,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    let batch = known_batch(&state, id).await?;
    let items = state.store.batch_items(batch.id).await?;
    let rows: Vec<_> = items.iter().map(OutcomeCsvRow::of).collect();
    csv_rows(
        &format!(
            "bulk-budget-change-{}-{}.csv",
            batch.id,
            Utc::now().format("%Y-%m-%d")
        ),
        &rows,
    )
}

fn require_editor(user: &SessionUser) -> Result<(), AppError> {
    BudgetEditor::check(user)
}

async fn known_batch(state: &AppState, id: i64) -> Result<Batch, AppError> {
    state
        .store
        .batch(id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such bulk budget change.".into()))
}

/// The form as submitted, with the selection's error, for showing it again.
fn keep_input(
    form: &BulkForm,
    user: &SessionUser,
    selection: &Selection,
    currencies: Vec<String>,
) -> BulkFormView {
    BulkFormView {
        csrf_token: user.csrf.as_str().to_owned(),
        action: form.action.clone(),
        amount: form.amount.clone(),
        currency: form.currency.clone(),
        currencies,
        percent: form.percent.clone(),
        margin: form.margin.clone(),
        reason: form.reason.clone(),
        selection_error: selection.error(),
        ..BulkFormView::default()
    }
}

/// The action the form asks for; its errors go next to the fields of `view`.
fn parse_action(
    form: &BulkForm,
    selection: &Selection,
    maximum: Decimal,
    view: &mut BulkFormView,
) -> Option<BulkAction> {
    let hundred = Decimal::ONE_HUNDRED;
    match form.action.as_str() {
        "set" => parse_set(form, selection, maximum, view),
        "percent" => parse_percent(&form.percent, -hundred, hundred * Decimal::TEN)
            .map(BulkAction::ChangeByPercent)
            .map_err(|e| view.percent_error = Some(e.to_string()))
            .ok(),
        "projected" => parse_percent(&form.margin, Decimal::ZERO, hundred * Decimal::TEN)
            .map(BulkAction::ProjectedPlusMargin)
            .map_err(|e| view.margin_error = Some(e.to_string()))
            .ok(),
        "remove" => Some(BulkAction::Remove),
        _ => {
            view.action_error = Some("Choose what to do with the budgets.".into());
            None
        }
    }
}

/// The "set to an amount" action: the amount must be valid in its currency, and some
/// selected customer billed in that currency.
fn parse_set(
    form: &BulkForm,
    selection: &Selection,
    maximum: Decimal,
    view: &mut BulkFormView,
) -> Option<BulkAction> {
    let Ok(currency) = Currency::parse(form.currency.trim()) else {
        view.amount_error = Some("Choose the currency of the amount.".into());
        return None;
    };
    let amount = BudgetAmount::parse(&form.amount, &currency, maximum)
        .map_err(|e| view.amount_error = Some(e.to_string()))
        .ok()?;
    if !selection
        .customers
        .iter()
        .any(|c| *c.currency() == currency)
    {
        view.amount_error = Some(format!(
            "None of the selected customers is billed in {currency}."
        ));
        return None;
    }
    Some(BulkAction::Set(amount, currency))
}
