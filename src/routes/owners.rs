//! `POST /customers/{id}/owners` and `POST /customers/{id}/owners/remove`: a customer's
//! owners (portfolios), changed by budget editors and portfolio admins.
//!
//! Order of checks: role (403), CSRF token, the customer, the sign-in name (422 with the
//! page and the input kept); then a 303 back to the customer page with a flash message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::customer_page::render_customer_page;
use super::extract::{known_customer, parse_customer_id};
use super::respond::see_other;
use crate::auth::{CurrentUser, SessionUser, TypedSession, verify_csrf};
use crate::domain::SignInName;
use crate::error::AppError;
use crate::pages::CustomerForms;
use crate::paths;
use crate::state::AppState;
use crate::store::CustomerSnapshot;

/// The owner forms' fields.
#[derive(Debug, Deserialize)]
pub struct OwnerForm {
    csrf_token: Option<String>,
    /// The owner's sign-in name.
    #[serde(default)]
    owner: String,
}

/// Adds an owner.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %crate::telemetry::untrusted(&path)))]
pub async fn add(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: web::Path<String>,
    form: web::Form<OwnerForm>,
) -> Result<HttpResponse, AppError> {
    let snapshot = permitted_customer(&state, &user, &path, &form).await?;
    let owner = match SignInName::parse(&form.owner) {
        Ok(owner) => owner,
        Err(e) => {
            let mut forms = CustomerForms::for_user(&snapshot, &user);
            if let Some(owner_form) = forms.owner.as_mut() {
                owner_form.owner.clone_from(&form.owner);
                owner_form.error = Some(format!("Not added: {e}."));
            }
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_customer_page(&state, &user, &session, &snapshot, forms, status).await;
        }
    };
    let id = snapshot.customer_id;
    let by = user.id.to_string();
    let added = state.store.assign_owner(&[id], &owner, &by).await?;
    let name = &snapshot.company_name;
    session.flash(&if added == 1 {
        format!("{owner} now owns {name}.")
    } else {
        format!("{owner} already owns {name}; nothing changed.")
    });
    Ok(see_other(&paths::customer(&id)))
}

/// Removes an owner.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %crate::telemetry::untrusted(&path)))]
pub async fn remove(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: web::Path<String>,
    form: web::Form<OwnerForm>,
) -> Result<HttpResponse, AppError> {
    let snapshot = permitted_customer(&state, &user, &path, &form).await?;
    let owner = SignInName::parse(&form.owner)
        .map_err(|e| AppError::BadRequest(format!("The form is damaged: {e}. Reload the page.")))?;
    let id = snapshot.customer_id;
    let removed = state.store.remove_owner(&id, &owner).await?;
    let name = &snapshot.company_name;
    session.flash(&if removed {
        format!("{owner} no longer owns {name}.")
    } else {
        format!("{owner} did not own {name}; nothing changed.")
    });
    Ok(see_other(&paths::customer(&id)))
}

/// The customer of the path, once the person may change its owners and the form is theirs.
async fn permitted_customer(
    state: &AppState,
    user: &SessionUser,
    path: &str,
    form: &OwnerForm,
) -> Result<CustomerSnapshot, AppError> {
    if !user.access.can_assign_owners() {
        return Err(AppError::Forbidden(
            "Only budget editors and portfolio admins may change a customer's owners. Ask your administrator for the Portfolio admin app role.".into(),
        ));
    }
    verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
    known_customer(state, &parse_customer_id(path)?).await
}
