//! Bulk budget changes: the action form (on the dashboard, and again with its errors), and a
//! batch's page (the preview to confirm, then the progress and the result per customer).

use askama::Template;
use askama_web::WebTemplate;

use super::Layout;

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
