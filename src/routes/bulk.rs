//! Bulk budget changes (budget editors only; every other role gets 403 from every route):
//! `POST /bulk/preview` plans a batch from the dashboard's selection and action (422 with the
//! form and its errors next to the fields, nothing planned), `POST /bulk/upload` plans one
//! from an uploaded CSV of budgets (422 with the file's or each line's error, nothing
//! planned), `GET /bulk/batches/{id}` shows
//! its preview, then its progress and results; `POST .../confirm` starts applying it,
//! `POST .../retry` sends the failed items again, `GET .../outcomes.csv` exports the results.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::csv_download::csv_response;
use super::dashboard_query::DashboardParams;
use super::respond::{html, see_other};
use crate::auth::{CurrentUser, SessionUser, TypedSession, verify_csrf};
use crate::bulk::upload::{self, UploadError};
use crate::bulk::{self, ItemState};
use crate::domain::{BudgetAmount, BulkAction, Currency, CustomerId, Money, parse_percent};
use crate::error::AppError;
use crate::pages::{
    BatchCounts, BatchPage, BatchRowView, BulkFormPage, BulkFormView, Layout, UploadErrorPage,
    format_utc,
};
use crate::paths;
use crate::portfolios;
use crate::state::AppState;
use crate::store::{Batch, BatchItem, CustomerSnapshot, DashboardView};

/// Longest reason kept, in characters (as for a single edit).
const MAX_REASON: usize = 500;

/// The bulk form as submitted: the selection (checked rows, or all matching a filter) and
/// the action. Read from the raw body, as checked rows repeat the `customer` field.
#[derive(Debug, Default)]
pub struct BulkForm {
    pub(super) csrf_token: Option<String>,
    /// The owner to add to the selected customers (the owner assignment's field).
    pub(super) new_owner: String,
    customers: Vec<String>,
    all_matching: bool,
    filter: DashboardParams,
    action: String,
    amount: String,
    currency: String,
    percent: String,
    margin: String,
    reason: String,
}

impl BulkForm {
    pub(super) fn parse(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf_token" => form.csrf_token = Some(value),
                "customer" => form.customers.push(value),
                "all_matching" => form.all_matching = true,
                "q" => form.filter.q = Some(value),
                "status" => form.filter.status = Some(value),
                "owner" => form.filter.owner = Some(value),
                "action" => form.action = value,
                "amount" => form.amount = value,
                "currency" => form.currency = value,
                "percent" => form.percent = value,
                "margin" => form.margin = value,
                "reason" => form.reason = value,
                "new_owner" => form.new_owner = value,
                _ => {}
            }
        }
        form
    }
}

/// The customers a bulk form selected, in words, and the hidden fields that select them again.
pub(super) struct Selection {
    pub(super) customers: Vec<CustomerSnapshot>,
    /// Checked rows that are not a customer Spendboard lists.
    pub(super) unknown: usize,
    pub(super) words: String,
    hidden: Vec<(String, String)>,
}

impl Selection {
    /// What is wrong with the selection, in words: unknown customers, or none.
    pub(super) fn error(&self) -> Option<String> {
        if self.unknown > 0 {
            Some(format!(
                "{} of the selected customers are not known to Spendboard (any more); nothing was planned. Reload the dashboard and select again.",
                self.unknown
            ))
        } else if self.customers.is_empty() {
            Some("Select at least one customer, or all customers matching the filter.".into())
        } else {
            None
        }
    }
}

/// The CSRF token of the confirm and retry forms.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf_token: Option<String>,
}

/// Plans a batch and shows its preview, or the form again with what is wrong.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn preview(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    let form = BulkForm::parse(&body);
    verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
    let view = state.store.current_dashboard_view(&state.dashboard).await?;
    let selection = select(&state, &user, &form, &view).await?;
    let mut bulk = keep_input(&form, &user, &selection, &view);
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
    let settings = &state.settings.budgets;
    let items = bulk::plan(
        &selection.customers,
        &action,
        settings.maximum,
        settings.near_threshold_percent,
    );
    let reason: String = form.reason.trim().chars().take(MAX_REASON).collect();
    let reason = (!reason.is_empty()).then_some(reason);
    let id = state
        .store
        .create_batch(
            user.id,
            &user.name,
            &action.describe(),
            reason.as_deref(),
            &items,
        )
        .await?;
    Ok(see_other(&paths::bulk_batch(id)))
}

/// Plans a batch from an uploaded CSV file of budgets (multipart: `csrf_token`, then `file`).
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn upload(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    let (csrf_token, file) = read_upload(payload).await?;
    verify_csrf(&user.csrf, csrf_token.as_deref())?;
    let view = state.store.current_dashboard_view(&state.dashboard).await?;
    let settings = &state.settings.budgets;
    let planned = file.and_then(|(name, bytes)| {
        upload::plan_budget_file(
            &bytes,
            &view,
            settings.maximum,
            settings.near_threshold_percent,
        )
        .map(|items| (name, items))
    });
    let (name, items) = match planned {
        Ok(planned) => planned,
        Err(error) => {
            let (file_error, line_errors) = match error {
                UploadError::File(message) => (Some(message), Vec::new()),
                UploadError::Lines(lines) => (None, lines),
            };
            let page = UploadErrorPage {
                layout: Layout::for_user(&user, session.take_flash(), state.settings.is_demo()),
                owners: false,
                file_error,
                line_errors,
            };
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let action = format!("Budgets from the uploaded file {name}");
    let id = state
        .store
        .create_batch(user.id, &user.name, &action, None, &items)
        .await?;
    Ok(see_other(&paths::bulk_batch(id)))
}

/// The CSRF token and the file (its name and content) of an upload; the file is an
/// [`UploadError::File`] when missing, not CSV by its name or type, or too large.
pub(super) async fn read_upload(
    mut payload: actix_multipart::Multipart,
) -> Result<(Option<String>, Result<(String, Vec<u8>), UploadError>), AppError> {
    use futures_util::TryStreamExt as _;
    let damaged = |e: actix_multipart::MultipartError| {
        AppError::BadRequest(format!(
            "The upload is damaged ({e}). Choose the file and send it again."
        ))
    };
    let mut csrf_token = None;
    let mut file = Err(UploadError::File("Choose a CSV file to upload.".into()));
    while let Some(mut field) = payload.try_next().await.map_err(damaged)? {
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == "file" {
            upload::MAX_UPLOAD_BYTES
        } else {
            4096
        };
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or_default()
            .to_owned();
        let is_csv = filename.to_lowercase().ends_with(".csv")
            || field
                .content_type()
                .is_some_and(|m| m.essence_str() == "text/csv");
        let bytes = match field.bytes(limit).await {
            Ok(bytes) => bytes.map_err(damaged)?,
            Err(_) if name == "file" => {
                file = Err(UploadError::File(format!(
                    "The file is larger than {} KiB: split it into smaller files.",
                    upload::MAX_UPLOAD_BYTES / 1024
                )));
                continue;
            }
            Err(_) => return Err(AppError::BadRequest("The form is damaged.".into())),
        };
        match name.as_str() {
            "csrf_token" => csrf_token = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" if filename.is_empty() && bytes.is_empty() => {}
            "file" if !is_csv => {
                file = Err(UploadError::File(format!(
                    "\"{filename}\" is not a CSV file: save the list as CSV (comma-separated values) and upload that."
                )));
            }
            "file" => file = Ok((filename, bytes.to_vec())),
            _ => {}
        }
    }
    Ok((csrf_token, file))
}

/// A batch's page: the preview until confirmed, then progress and results.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn batch(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    let batch = known_batch(&state, &path).await?;
    let items = state.store.batch_items(batch.id).await?;
    let counts = counts(&items);
    let page = BatchPage {
        layout: Layout::for_user(&user, session.take_flash(), state.settings.is_demo()),
        id: batch.id,
        action: batch.action.clone(),
        reason: batch.reason.clone(),
        planned_by: batch.user_name.clone(),
        planned_at: format_utc(batch.created_at),
        confirmed_at: batch.confirmed_at.map(format_utc),
        running: batch.confirmed_at.is_some() && counts.remaining + counts.checking > 0,
        counts,
        split_note: split_note(&items),
        rows: items
            .iter()
            .map(|i| row_view(i, batch.confirmed_at.is_some()))
            .collect(),
        confirm_url: paths::bulk_confirm(batch.id),
        retry_url: paths::bulk_retry(batch.id),
        csv_url: paths::bulk_outcomes_csv(batch.id),
    };
    html(StatusCode::OK, &page)
}

/// Confirms a previewed batch and starts applying it.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn confirm(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: web::Path<String>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
    let batch = known_batch(&state, &path).await?;
    if state.store.confirm_batch(batch.id).await? {
        bulk::spawn(state.clone().into_inner(), batch.id);
        session.flash("The changes are being applied in the background. This page shows how far they are; you may leave it.");
    } else {
        session.flash("This change was confirmed already; it is not applied twice.");
    }
    Ok(see_other(&paths::bulk_batch(batch.id)))
}

/// Sends the failed items of a batch again.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn retry(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: web::Path<String>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
    let batch = known_batch(&state, &path).await?;
    if batch.confirmed_at.is_none() {
        return Err(AppError::BadRequest(
            "This change has not been confirmed: there is nothing to retry.".into(),
        ));
    }
    let retried = bulk::retry_failed(state.clone().into_inner(), batch.id).await?;
    session.flash(&format!("Sending {retried} failed changes again."));
    Ok(see_other(&paths::bulk_batch(batch.id)))
}

/// The batch's items and their results as CSV.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn outcomes_csv(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    require_editor(&user)?;
    let batch = known_batch(&state, &path).await?;
    let items = state.store.batch_items(batch.id).await?;
    let plain = |a: Option<Decimal>| a.map(|a| a.normalize().to_string()).unwrap_or_default();
    csv_response(
        &format!(
            "bulk-budget-change-{}-{}.csv",
            batch.id,
            Utc::now().format("%Y-%m-%d")
        ),
        &[
            "customer_id",
            "customer_name",
            "currency",
            "budget_before",
            "new_budget",
            "new_status",
            "result",
            "detail",
        ],
        items.iter().map(|i| {
            let (result, detail) = result_of(i);
            [
                i.plan.customer_id.to_string(),
                i.plan.customer_name.clone(),
                i.plan.currency.code().to_owned(),
                plain(i.plan.seen_amount),
                plain(i.plan.new_amount),
                i.plan.new_status.key().to_owned(),
                result.to_owned(),
                detail,
            ]
        }),
    )
}

fn require_editor(user: &SessionUser) -> Result<(), AppError> {
    if user.access.can_edit_budgets() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only budget editors may change budgets. Ask your administrator for the Budget editor app role.".into(),
        ))
    }
}

async fn known_batch(state: &AppState, raw: &str) -> Result<Batch, AppError> {
    let missing = || AppError::NotFound("There is no such bulk budget change.".into());
    let id = raw.parse::<i64>().map_err(|_| missing())?;
    state.store.batch(id).await?.ok_or_else(missing)
}

/// The selected customers: all matching the submitted filter, or the checked rows (each must
/// be listed); an empty selection is an empty list, for the form to say so.
pub(super) async fn select(
    state: &AppState,
    user: &SessionUser,
    form: &BulkForm,
    view: &DashboardView,
) -> Result<Selection, AppError> {
    if form.all_matching {
        let me = user.sign_in_name();
        let chosen =
            portfolios::chosen(&state.store, me.as_ref(), form.filter.owner.as_deref()).await?;
        let query = form.filter.query(u32::MAX, &chosen);
        let customers = view.page(&query).rows;
        let mut hidden = vec![("all_matching".to_owned(), "1".to_owned())];
        for (name, value) in [
            ("q", &form.filter.q),
            ("status", &form.filter.status),
            ("owner", &form.filter.owner),
        ] {
            if let Some(value) = value {
                hidden.push((name.to_owned(), value.clone()));
            }
        }
        return Ok(Selection {
            words: format!("All {} customers matching the filter", customers.len()),
            customers,
            unknown: 0,
            hidden,
        });
    }
    // A customer checked twice is one customer.
    let ids: BTreeSet<Option<CustomerId>> = form
        .customers
        .iter()
        .map(|raw| CustomerId::parse(raw).ok())
        .collect();
    let customers: Vec<CustomerSnapshot> = ids
        .iter()
        .flatten()
        .filter_map(|id| view.snapshot(id).cloned())
        .collect();
    let unknown = ids.len() - customers.len();
    Ok(Selection {
        words: format!("{} selected customers", form.customers.len()),
        hidden: form
            .customers
            .iter()
            .map(|c| ("customer".to_owned(), c.clone()))
            .collect(),
        customers,
        unknown,
    })
}

/// The form as submitted, with the selection's error, for showing it again.
fn keep_input(
    form: &BulkForm,
    user: &SessionUser,
    selection: &Selection,
    view: &DashboardView,
) -> BulkFormView {
    let selected: BTreeSet<String> = selection
        .customers
        .iter()
        .map(|c| c.currency.code().to_owned())
        .collect();
    let currencies = if selected.is_empty() {
        view.totals
            .per_currency
            .iter()
            .map(|t| t.currency.code().to_owned())
            .collect()
    } else {
        selected.into_iter().collect()
    };
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
        "set" => {
            let Ok(currency) = Currency::parse(form.currency.trim()) else {
                view.amount_error = Some("Choose the currency of the amount.".into());
                return None;
            };
            let amount = BudgetAmount::parse(&form.amount, &currency, maximum)
                .map_err(|e| view.amount_error = Some(e.to_string()))
                .ok()?;
            if !selection.customers.iter().any(|c| c.currency == currency) {
                view.amount_error = Some(format!(
                    "None of the selected customers is billed in {currency}."
                ));
                return None;
            }
            Some(BulkAction::Set(amount, currency))
        }
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

fn counts(items: &[BatchItem]) -> BatchCounts {
    let mut counts = BatchCounts::default();
    for item in items {
        counts.total += 1;
        match ItemState::of(item) {
            ItemState::Skipped => counts.skipped += 1,
            ItemState::Remaining => counts.remaining += 1,
            ItemState::Checking => counts.checking += 1,
            ItemState::Applied => counts.applied += 1,
            ItemState::Failed => {
                counts.failed += 1;
                if bulk::is_retryable(item) {
                    counts.retryable += 1;
                }
            }
        }
    }
    counts.to_apply = counts.total - counts.skipped;
    counts
}

/// When the selection spans currencies but only one of them changes, says so.
fn split_note(items: &[BatchItem]) -> Option<String> {
    let all: BTreeSet<&str> = items.iter().map(|i| i.plan.currency.code()).collect();
    let changing: BTreeSet<&str> = items
        .iter()
        .filter(|i| i.plan.skip_reason.is_none())
        .map(|i| i.plan.currency.code())
        .collect();
    (all.len() > 1 && changing.len() == 1).then(|| {
        let only = changing.iter().next().copied().unwrap_or_default();
        format!(
            "The selection spans {} currencies ({}): only the customers billed in {only} change. Change the others in a separate bulk change.",
            all.len(),
            all.iter().copied().collect::<Vec<_>>().join(", ")
        )
    })
}

/// An item's result: its key (as in the CSV) and what was found, in words.
fn result_of(item: &BatchItem) -> (&'static str, String) {
    match ItemState::of(item) {
        ItemState::Skipped => (
            "left_out",
            item.plan.skip_reason.clone().unwrap_or_default(),
        ),
        ItemState::Remaining => ("remaining", String::new()),
        ItemState::Checking => ("being_checked", String::new()),
        ItemState::Applied | ItemState::Failed => (
            item.outcome.map_or("being_checked", |o| o.key()),
            item.detail.clone().unwrap_or_default(),
        ),
    }
}

/// An item's line; before confirmation, only items left out carry a note.
fn row_view(item: &BatchItem, confirmed: bool) -> BatchRowView {
    let plan = &item.plan;
    let money = |a: Option<Decimal>| {
        a.map_or_else(
            || "no budget".to_owned(),
            |a| Money::new(a, plan.currency.clone()).to_string(),
        )
    };
    let (key, detail) = result_of(item);
    let state = ItemState::of(item);
    let (label, class) = match state {
        ItemState::Skipped => ("Left out", "skipped"),
        ItemState::Remaining if !confirmed => ("", "planned"),
        ItemState::Remaining => ("Remaining", "remaining"),
        ItemState::Checking => ("Being checked with Partner Center", "checking"),
        ItemState::Applied => ("Applied", "applied"),
        ItemState::Failed => (
            match key {
                "conflict" => "Not applied: changed meanwhile",
                "refused" => "Refused by Partner Center",
                "superseded" => "Changed elsewhere meanwhile",
                _ => "Not applied",
            },
            "not-applied",
        ),
    };
    BatchRowView {
        url: paths::customer(&plan.customer_id),
        name: plan.customer_name.clone(),
        currency: plan.currency.code().to_owned(),
        old: money(plan.seen_amount),
        new: if state == ItemState::Skipped {
            "–".to_owned()
        } else {
            money(plan.new_amount)
        },
        new_status_key: plan.new_status.key(),
        new_status_label: plan.new_status.label(),
        result: if detail.is_empty() {
            label.to_owned()
        } else {
            format!("{label}: {detail}")
        },
        result_class: class,
    }
}
