//! Bulk budget changes: the action form (on the dashboard, and again with its errors), and a
//! batch's page (the preview to confirm, then the progress and the result per customer).

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;

use super::{Layout, format_utc};
use crate::bulk::upload::UploadError;
use crate::bulk::{self, ItemState, result_of};
use crate::domain::Money;
use crate::paths;
use crate::store::{Batch, BatchItem, CustomerSnapshot, DashboardView};

/// The action form, with what was chosen and typed and what is wrong with it. Field errors
/// are shown next to their field.
#[derive(Debug, Clone, Default)]
pub struct BulkFormView {
    pub csrf_token: String,
    /// `set`, `percent`, `projected` or `remove`; empty: none chosen.
    pub action: String,
    pub amount: String,
    /// The currency of `amount`.
    pub currency: String,
    /// The currencies to choose from (the selection's, or every listed one).
    pub currencies: Vec<String>,
    pub percent: String,
    pub margin: String,
    pub reason: String,
    pub selection_error: Option<String>,
    pub action_error: Option<String>,
    pub amount_error: Option<String>,
    pub percent_error: Option<String>,
    pub margin_error: Option<String>,
}

impl BulkFormView {
    /// Whether any field has an error.
    pub fn has_errors(&self) -> bool {
        [
            &self.selection_error,
            &self.action_error,
            &self.amount_error,
            &self.percent_error,
            &self.margin_error,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

impl BulkFormView {
    /// The currencies to choose from: those of the `selected` customers, or every one listed
    /// on the dashboard when none is selected.
    pub fn currencies(selected: &[CustomerSnapshot], view: &DashboardView) -> Vec<String> {
        let codes: BTreeSet<String> = selected
            .iter()
            .map(|c| c.currency().code().to_owned())
            .collect();
        if codes.is_empty() {
            view.totals
                .per_currency
                .iter()
                .map(|t| t.total.currency().code().to_owned())
                .collect()
        } else {
            codes.into_iter().collect()
        }
    }
}

/// The action form again (422), with the selection kept in hidden fields.
#[derive(Template, WebTemplate)]
#[template(path = "pages/bulk_form.html")]
pub struct BulkFormPage {
    pub layout: Layout,
    /// Always `Some` (the name the form partial uses, as on the dashboard).
    pub bulk: Option<BulkFormView>,
    /// The selection in words ("3 customers", "all 57 customers matching the filter").
    pub selection: String,
    /// The hidden fields that carry the selection: name and value.
    pub hidden: Vec<(String, String)>,
}

/// The budget upload form again (422): what is wrong with the file, or with which lines.
#[derive(Template, WebTemplate)]
#[template(path = "pages/bulk_upload.html")]
pub struct UploadErrorPage {
    pub layout: Layout,
    /// An upload of owners (else of budgets).
    pub owners: bool,
    /// The file as a whole (not CSV, empty, too large).
    pub file_error: Option<String>,
    /// Each bad line: `Line N: ...`.
    pub line_errors: Vec<String>,
}

impl UploadErrorPage {
    /// The page for `error`, of an upload of owners (else of budgets).
    pub fn new(layout: Layout, owners: bool, error: UploadError) -> Self {
        let (file_error, line_errors) = match error {
            UploadError::File(message) => (Some(message), Vec::new()),
            UploadError::Lines(lines) => (None, lines),
        };
        Self {
            layout,
            owners,
            file_error,
            line_errors,
        }
    }
}

/// Owner assignments to confirm, or the reasons none can be planned (422).
#[derive(Template, WebTemplate)]
#[template(path = "pages/owners_preview.html")]
pub struct OwnersPreviewPage {
    pub layout: Layout,
    /// What is wrong with the selection or the owner, when nothing can be planned.
    pub error: Option<String>,
    pub rows: Vec<OwnerAssignmentRow>,
    /// How many assignments are new.
    pub new: usize,
}

impl OwnersPreviewPage {
    /// The page when nothing can be planned (422), saying why.
    pub fn refused(layout: Layout, error: String) -> Self {
        Self {
            layout,
            error: Some(error),
            rows: Vec::new(),
            new: 0,
        }
    }
}

/// One customer and the owner it gets.
#[derive(Debug, Clone)]
pub struct OwnerAssignmentRow {
    pub customer_id: String,
    pub url: String,
    pub name: String,
    pub owner: String,
    /// The owner owns the customer already: nothing changes.
    pub already: bool,
}

/// A batch: its preview until confirmed, then its progress and results.
#[derive(Template, WebTemplate)]
#[template(path = "pages/bulk_batch.html")]
pub struct BatchPage {
    pub layout: Layout,
    pub id: i64,
    pub action: String,
    pub reason: Option<String>,
    /// Who planned it and when (UTC).
    pub planned_by: String,
    pub planned_at: String,
    pub confirmed_at: Option<String>,
    pub counts: BatchCounts,
    /// Items are still to be sent or checked: the page updates itself.
    pub running: bool,
    /// The selection spans currencies and the amount was set in one: says so.
    pub split_note: Option<String>,
    pub rows: Vec<BatchRowView>,
    pub confirm_url: String,
    pub retry_url: String,
    pub csv_url: String,
}

impl BatchPage {
    /// The page of `batch` and its `items`.
    pub fn new(layout: Layout, batch: &Batch, items: &[BatchItem]) -> Self {
        let counts = BatchCounts::of(items);
        let confirmed = batch.confirmed_at.is_some();
        Self {
            layout,
            id: batch.id,
            action: batch.action.clone(),
            reason: batch.reason.clone(),
            planned_by: batch.user_name.clone(),
            planned_at: format_utc(batch.created_at),
            confirmed_at: batch.confirmed_at.map(format_utc),
            running: confirmed && counts.remaining + counts.checking > 0,
            counts,
            split_note: split_note(items),
            rows: items
                .iter()
                .map(|i| BatchRowView::of(i, confirmed))
                .collect(),
            confirm_url: paths::bulk_confirm(batch.id),
            retry_url: paths::bulk_retry(batch.id),
            csv_url: paths::bulk_outcomes_csv(batch.id),
        }
    }
}

/// How many items stand where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub total: u64,
    pub to_apply: u64,
    pub skipped: u64,
    pub applied: u64,
    pub failed: u64,
    /// Failed items a retry would send again.
    pub retryable: u64,
    pub checking: u64,
    pub remaining: u64,
}

impl BatchCounts {
    /// The counts of `items`.
    pub fn of(items: &[BatchItem]) -> Self {
        let mut counts = Self::default();
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

/// One customer's line.
#[derive(Debug, Clone)]
pub struct BatchRowView {
    pub url: String,
    pub name: String,
    pub currency: String,
    pub old: String,
    pub new: String,
    pub new_status_key: &'static str,
    pub new_status_label: &'static str,
    /// The result in words ("Applied", "Not applied: ...", "Remaining"...).
    pub result: String,
    /// `applied`, `not-applied`, `checking`, `skipped`, `remaining`.
    pub result_class: &'static str,
}

impl BatchRowView {
    /// An item's line; before confirmation, only items left out carry a note.
    pub fn of(item: &BatchItem, confirmed: bool) -> Self {
        let plan = &item.plan;
        let money = |a: &Option<Money>| {
            a.as_ref()
                .map_or_else(|| "no budget".to_owned(), Money::to_string)
        };
        let (key, detail) = result_of(item);
        let state = ItemState::of(item);
        let (label, class) = result_label(state, key, confirmed);
        Self {
            url: paths::customer(&plan.customer_id),
            name: plan.customer_name.clone(),
            currency: plan.currency.code().to_owned(),
            old: money(&plan.seen_amount),
            new: if state == ItemState::Skipped {
                "–".to_owned()
            } else {
                money(&plan.new_amount)
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
}

/// The result's label and CSS class of an item in `state` with the result `key`.
fn result_label(state: ItemState, key: &str, confirmed: bool) -> (&'static str, &'static str) {
    match state {
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
    }
}

/// A batch item as a row of the outcomes CSV: exact plain decimals (empty for no budget),
/// the status and result keys; the field names are the header.
#[derive(Debug, Default, serde::Serialize)]
pub struct OutcomeCsvRow {
    customer_id: String,
    customer_name: String,
    currency: String,
    budget_before: String,
    new_budget: String,
    new_status: String,
    result: String,
    detail: String,
}

impl OutcomeCsvRow {
    /// `item` and its result.
    pub fn of(item: &BatchItem) -> Self {
        let plain = |a: &Option<Money>| {
            (a.as_ref())
                .map(|a| a.amount().normalize().to_string())
                .unwrap_or_default()
        };
        let (result, detail) = result_of(item);
        Self {
            customer_id: item.plan.customer_id.to_string(),
            customer_name: item.plan.customer_name.clone(),
            currency: item.plan.currency.code().to_owned(),
            budget_before: plain(&item.plan.seen_amount),
            new_budget: plain(&item.plan.new_amount),
            new_status: item.plan.new_status.key().to_owned(),
            result: result.to_owned(),
            detail,
        }
    }
}
