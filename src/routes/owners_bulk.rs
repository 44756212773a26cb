//! Owners assigned to many customers at once (budget editors and portfolio admins; others
//! get 403): `POST /bulk/owners/preview` from the dashboard's selection and a sign-in name,
//! `POST /bulk/owners/upload` from a CSV file (`customer,owner` a line); both show the
//! assignments (or what is wrong, 422) and save nothing; `POST /bulk/owners/confirm` saves
//! the previewed assignments.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::bulk_form::{CsvUpload, SelectionForm};
use super::extract::{OwnerAssigner, Permission as _};
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::auth::verify_csrf;
use crate::bulk::upload;
use crate::domain::{CustomerId, SignInName};
use crate::error::AppError;
use crate::pages::{Layout, OwnerAssignmentRow, OwnersPreviewPage, UploadErrorPage};
use crate::paths;
use crate::state::AppState;
use crate::store::CustomerSnapshot;

/// Previews adding one owner to the dashboard's selection.
#[tracing::instrument(skip_all, fields(user = %input.user.id))]
pub async fn preview(
    state: web::Data<AppState>,
    session: TypedSession,
    input: SelectionForm<OwnerAssigner>,
) -> Result<HttpResponse, AppError> {
    let SelectionForm {
        user,
        form,
        selection,
        ..
    } = input;
    let owner = SignInName::parse(&form.new_owner).map_err(|e| {
        format!("Not planned: {e}. Write the owner's sign-in name in the Owner field.")
    });
    let error = selection.error().map(Err).unwrap_or(Ok(()));
    let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
    match error.and(owner) {
        Ok(owner) => {
            let pairs: Vec<_> = selection
                .customers
                .iter()
                .map(|c| (c, owner.clone()))
                .collect();
            preview_page(&state, layout, &pairs).await
        }
        Err(message) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &OwnersPreviewPage::refused(layout, message),
        ),
    }
}

/// Previews the owner assignments of an uploaded CSV file.
#[tracing::instrument(skip_all, fields(user = %input.user.id))]
pub async fn upload(
    state: web::Data<AppState>,
    session: TypedSession,
    input: CsvUpload<OwnerAssigner>,
) -> Result<HttpResponse, AppError> {
    let CsvUpload {
        user, file, view, ..
    } = input;
    let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
    match file.and_then(|(_, bytes)| upload::plan_owner_file(&bytes, &view)) {
        Ok(pairs) => preview_page(&state, layout, &pairs).await,
        Err(error) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UploadErrorPage::new(layout, true, error),
        ),
    }
}

/// Saves previewed assignments (`assign` = `{customer id} {sign-in name}`, repeated).
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn confirm(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    OwnerAssigner::check(&user)?;
    let (csrf_token, by_owner) = assignments(&body)?;
    verify_csrf(&user.csrf, csrf_token.as_deref())?;
    let mut added = 0;
    for (owner, customers) in &by_owner {
        added += state.store.assign_owner(customers, owner, user.id).await?;
    }
    session.flash(&format!("{added} owner assignments saved."));
    Ok(see_other(&back_to_dashboard(&by_owner)))
}

/// The CSRF token and the assignments (customers by owner) of the confirm form.
///
/// # Errors
/// [`AppError::BadRequest`] for an assignment that is not a customer id and a sign-in name.
fn assignments(body: &[u8]) -> Result<(Option<String>, ByOwner), AppError> {
    let mut csrf_token = None;
    let mut by_owner = ByOwner::new();
    let damaged =
        || AppError::BadRequest("The form is damaged. Preview the assignments again.".into());
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "csrf_token" => csrf_token = Some(value.into_owned()),
            "assign" => {
                let (customer, owner) = value.split_once(' ').ok_or_else(damaged)?;
                let customer = CustomerId::parse(customer).map_err(|_| damaged())?;
                let owner = SignInName::parse(owner).map_err(|_| damaged())?;
                by_owner.entry(owner).or_default().push(customer);
            }
            _ => {}
        }
    }
    Ok((csrf_token, by_owner))
}

/// Customers by the owner they get.
type ByOwner = BTreeMap<SignInName, Vec<CustomerId>>;

/// The dashboard, filtered to the owner when all assignments were to one owner.
fn back_to_dashboard(by_owner: &ByOwner) -> String {
    match by_owner.keys().collect::<Vec<_>>().as_slice() {
        [owner] => format!(
            "{}?owner={}",
            paths::DASHBOARD,
            url::form_urlencoded::byte_serialize(owner.as_str().as_bytes()).collect::<String>()
        ),
        _ => paths::DASHBOARD.to_owned(),
    }
}

/// The preview of `pairs`, marking the assignments that exist already.
async fn preview_page(
    state: &AppState,
    layout: Layout,
    pairs: &[(&CustomerSnapshot, SignInName)],
) -> Result<HttpResponse, AppError> {
    let ownership = state.store.current_ownership(&state.ownership).await?;
    let rows: Vec<OwnerAssignmentRow> = pairs
        .iter()
        .map(|(customer, owner)| OwnerAssignmentRow {
            customer_id: customer.customer_id.to_string(),
            url: paths::customer(&customer.customer_id),
            name: customer.company_name.clone(),
            owner: owner.to_string(),
            already: ownership
                .portfolio(owner)
                .customers
                .contains(&customer.customer_id),
        })
        .collect();
    let new = rows.iter().filter(|r| !r.already).count();
    html(
        StatusCode::OK,
        &OwnersPreviewPage {
            layout,
            error: None,
            rows,
            new,
        },
    )
}
