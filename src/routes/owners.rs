//! `POST /customers/{id}/owners` and `POST /customers/{id}/owners/remove`: a customer's
//! owners (portfolios), changed by budget editors and portfolio admins.
//!
//! Order of checks: role (403), CSRF token, the customer, the sign-in name (422 with the
//! page and the input kept); then a 303 back to the customer page with a flash message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::customer_page::render_customer_page;
use super::extract::{CustomerPath, OwnerEditor, VerifiedForm, known_customer};
use super::respond::see_other;
use super::session::TypedSession;
use crate::domain::SignInName;
use crate::error::AppError;
use crate::pages::CustomerForms;
use crate::paths;
use crate::state::AppState;

/// The owner forms' fields.
#[derive(Debug, Deserialize)]
pub struct OwnerFields {
    /// The owner's sign-in name.
    #[serde(default)]
    owner: String,
}

/// An owner form from a budget editor or portfolio admin.
type OwnerForm = VerifiedForm<OwnerFields, OwnerEditor>;

/// Adds an owner.
#[tracing::instrument(skip_all, fields(user = %form.user.id, customer = %id))]
pub async fn add(
    state: web::Data<AppState>,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    form: OwnerForm,
) -> Result<HttpResponse, AppError> {
    let snapshot = known_customer(&state, &id).await?;
    let OwnerForm { user, fields, .. } = &form;
    let owner = match SignInName::parse(&fields.owner) {
        Ok(owner) => owner,
        Err(e) => {
            let forms = kept(CustomerForms::for_user(&snapshot, user), &fields.owner, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_customer_page(&state, user, &session, &snapshot, forms, status).await;
        }
    };
    let added = state.store.assign_owner(&[id], &owner, user.id).await?;
    let name = &snapshot.company_name;
    session.flash(&if added == 1 {
        format!("{owner} now owns {name}.")
    } else {
        format!("{owner} already owns {name}; nothing changed.")
    });
    Ok(see_other(&paths::customer(&id)))
}

/// Removes an owner.
#[tracing::instrument(skip_all, fields(user = %form.user.id, customer = %id))]
pub async fn remove(
    state: web::Data<AppState>,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    form: OwnerForm,
) -> Result<HttpResponse, AppError> {
    let snapshot = known_customer(&state, &id).await?;
    let owner = SignInName::parse(&form.fields.owner)
        .map_err(|e| AppError::BadRequest(format!("The form is damaged: {e}. Reload the page.")))?;
    let removed = state.store.remove_owner(&id, &owner).await?;
    let name = &snapshot.company_name;
    session.flash(&if removed {
        format!("{owner} no longer owns {name}.")
    } else {
        format!("{owner} did not own {name}; nothing changed.")
    });
    Ok(see_other(&paths::customer(&id)))
}

/// The customer page's forms with the owner form's input kept and its error.
fn kept(mut forms: CustomerForms, typed: &str, error: &impl std::fmt::Display) -> CustomerForms {
    if let Some(owner_form) = forms.owner.as_mut() {
        owner_form.owner = typed.to_owned();
        owner_form.error = Some(format!("Not added: {error}."));
    }
    forms
}
