//! The input of the bulk forms (budgets and owners), shared by their handlers: the
//! dashboard's selection with an action ([`SelectionForm`]) and an uploaded CSV file
//! ([`CsvUpload`]), each from a permitted user with the right CSRF token.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::dashboard_query::DashboardParams;
use super::extract::{Permission, permitted};
use super::session::CurrentUser;
use crate::auth::{SessionUser, verify_csrf};
use crate::bulk::upload::{self, UploadError};
use crate::domain::CustomerId;
use crate::error::AppError;
use crate::portfolios;
use crate::state::AppState;
use crate::store::{CustomerSnapshot, DashboardView};

/// A bulk form from the dashboard, from a user whom `P` permits, with the right token: the
/// form, the dashboard it was sent from and the customers it selects. Checks in this order:
/// sign-in, role (403), the token (400).
pub struct SelectionForm<P: Permission> {
    /// Who sent it.
    pub user: SessionUser,
    /// The form.
    pub form: BulkForm,
    /// The current dashboard.
    pub view: Arc<DashboardView>,
    /// The customers it selects.
    pub selection: Selection,
    permission: PhantomData<P>,
}

impl<P: Permission> FromRequest for SelectionForm<P> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = permitted::<P>(CurrentUser::from_request(req, payload));
        let body = web::Bytes::from_request(req, payload);
        let state = web::Data::<AppState>::extract(req);
        Box::pin(async move {
            let user = user.await?;
            let form = BulkForm::parse(&body.await?);
            verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
            let state = state.await?;
            let view = current_view(&state).await?;
            let selection = select(&state, &user, &form, &view).await?;
            Ok(Self {
                user,
                form,
                view,
                selection,
                permission: PhantomData,
            })
        })
    }
}

/// An uploaded CSV file (multipart: `csrf_token`, then `file`) from a user whom `P` permits,
/// with the right token, and the current dashboard. Checks in this order: sign-in, role
/// (403), the upload (400 when damaged), the token (400).
pub struct CsvUpload<P: Permission> {
    /// Who sent it.
    pub user: SessionUser,
    /// The file's name and content, or what is wrong with it.
    pub file: UploadedFile,
    /// The current dashboard.
    pub view: Arc<DashboardView>,
    permission: PhantomData<P>,
}

impl<P: Permission> FromRequest for CsvUpload<P> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = permitted::<P>(CurrentUser::from_request(req, payload));
        let multipart = actix_multipart::Multipart::from_request(req, payload);
        let state = web::Data::<AppState>::extract(req);
        Box::pin(async move {
            let user = user.await?;
            let (csrf_token, file) = read_upload(multipart.await?).await?;
            verify_csrf(&user.csrf, csrf_token.as_deref())?;
            let state = state.await?;
            let view = current_view(&state).await?;
            Ok(Self {
                user,
                file,
                view,
                permission: PhantomData,
            })
        })
    }
}

/// The bulk form as submitted: the selection (checked rows, or all matching a filter) and
/// the action. Read from the raw body, as checked rows repeat the `customer` field.
#[derive(Debug, Default)]
pub struct BulkForm {
    csrf_token: Option<String>,
    /// The owner to add to the selected customers (the owner assignment's field).
    pub new_owner: String,
    customers: Vec<String>,
    all_matching: bool,
    filter: DashboardParams,
    /// The bulk action: `set`, `percent`, `projected` or `remove`.
    pub action: String,
    /// The amount to set, as typed.
    pub amount: String,
    /// The currency of `amount`.
    pub currency: String,
    /// The change in percent, as typed.
    pub percent: String,
    /// The margin over the projected spend in percent, as typed.
    pub margin: String,
    /// The reason, as typed.
    pub reason: String,
}

impl BulkForm {
    fn parse(body: &[u8]) -> Self {
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
pub struct Selection {
    /// The selected customers Spendboard lists.
    pub customers: Vec<CustomerSnapshot>,
    /// Checked rows that are not a customer Spendboard lists.
    pub unknown: usize,
    pub words: String,
    /// The hidden fields that select the customers again: name and value.
    pub hidden: Vec<(String, String)>,
}

impl Selection {
    /// What is wrong with the selection, in words: unknown customers, or none.
    pub fn error(&self) -> Option<String> {
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

/// The dashboard as it stands.
async fn current_view(state: &AppState) -> Result<Arc<DashboardView>, AppError> {
    Ok(state.store.current_dashboard_view(&state.dashboard).await?)
}

/// An uploaded file's name and content, or what is wrong with it.
type UploadedFile = Result<(String, Vec<u8>), UploadError>;

/// The CSRF token and the file (its name and content) of an upload; the file is an
/// [`UploadError::File`] when missing, not CSV by its name or type, or too large.
async fn read_upload(
    mut payload: actix_multipart::Multipart,
) -> Result<(Option<String>, UploadedFile), AppError> {
    use futures_util::TryStreamExt as _;
    let mut csrf_token = None;
    let mut file = Err(UploadError::File("Choose a CSV file to upload.".into()));
    while let Some(field) = payload.try_next().await.map_err(damaged)? {
        match field.name().unwrap_or_default() {
            "csrf_token" => {
                let bytes = small_field(field).await?;
                csrf_token = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            "file" => {
                if let Some(read) = file_field(field).await? {
                    file = read;
                }
            }
            _ => {
                small_field(field).await?;
            }
        }
    }
    Ok((csrf_token, file))
}

/// A damaged upload as the person sees it.
fn damaged(e: actix_multipart::MultipartError) -> AppError {
    AppError::BadRequest(format!(
        "The upload is damaged ({e}). Choose the file and send it again."
    ))
}

/// A field other than the file: at most 4 KiB.
async fn small_field(mut field: actix_multipart::Field) -> Result<web::Bytes, AppError> {
    match field.bytes(4096).await {
        Ok(bytes) => bytes.map_err(damaged),
        Err(_) => Err(AppError::BadRequest("The form is damaged.".into())),
    }
}

/// The file field: `None` when no file was chosen.
async fn file_field(mut field: actix_multipart::Field) -> Result<Option<UploadedFile>, AppError> {
    let filename = field
        .content_disposition()
        .and_then(|d| d.get_filename())
        .unwrap_or_default()
        .to_owned();
    let is_csv = filename.to_lowercase().ends_with(".csv")
        || field
            .content_type()
            .is_some_and(|m| m.essence_str() == "text/csv");
    let Ok(bytes) = field.bytes(upload::MAX_UPLOAD_BYTES).await else {
        return Ok(Some(Err(UploadError::File(format!(
            "The file is larger than {} KiB: split it into smaller files.",
            upload::MAX_UPLOAD_BYTES / 1024
        )))));
    };
    let bytes = bytes.map_err(damaged)?;
    Ok(if filename.is_empty() && bytes.is_empty() {
        None
    } else if !is_csv {
        Some(Err(UploadError::File(format!(
            "\"{filename}\" is not a CSV file: save the list as CSV (comma-separated values) and upload that."
        ))))
    } else {
        Some(Ok((filename, bytes.to_vec())))
    })
}

/// The selected customers: all matching the submitted filter, or the checked rows (each must
/// be listed); an empty selection is an empty list, for the form to say so.
async fn select(
    state: &AppState,
    user: &SessionUser,
    form: &BulkForm,
    view: &DashboardView,
) -> Result<Selection, AppError> {
    if form.all_matching {
        all_matching(state, user, form, view).await
    } else {
        Ok(checked(form, view))
    }
}

/// Every customer matching the submitted filter.
async fn all_matching(
    state: &AppState,
    user: &SessionUser,
    form: &BulkForm,
    view: &DashboardView,
) -> Result<Selection, AppError> {
    let me = user.sign_in_name();
    let ownership = state.store.current_ownership(&state.ownership).await?;
    let chosen = portfolios::chosen(&ownership, me.as_ref(), form.filter.owner.as_deref());
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
    Ok(Selection {
        words: format!("All {} customers matching the filter", customers.len()),
        customers,
        unknown: 0,
        hidden,
    })
}

/// The checked rows.
fn checked(form: &BulkForm, view: &DashboardView) -> Selection {
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
    Selection {
        words: format!("{} selected customers", form.customers.len()),
        hidden: form
            .customers
            .iter()
            .map(|c| ("customer".to_owned(), c.clone()))
            .collect(),
        customers,
        unknown,
    }
}
