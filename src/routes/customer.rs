//! `GET /customers/{id}`: the customer's usage summary, budget, subscriptions, budget form and
//! budget history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::customer_page::render_customer_page;
use super::extract::{CustomerPath, known_customer};
use super::session::{CurrentUser, TypedSession};
use crate::error::AppError;
use crate::pages::CustomerForms;
use crate::state::AppState;

/// The customer page's query string.
#[derive(Debug, serde::Deserialize)]
pub struct CustomerQuery {
    /// An amount to pre-fill the budget form with (from a what-if plan); still checked and
    /// sent only through the form.
    budget: Option<String>,
}

/// The customer page.
#[tracing::instrument(skip_all, fields(user = %user.id, customer = %id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    CustomerPath(id): CustomerPath,
    query: web::Query<CustomerQuery>,
) -> Result<HttpResponse, AppError> {
    let snapshot = known_customer(&state, &id).await?;
    let mut forms = CustomerForms::for_user(&snapshot, &user);
    if let (Some(form), Some(amount)) = (forms.budget.as_mut(), &query.budget) {
        amount.trim().clone_into(&mut form.amount);
    }
    render_customer_page(&state, &user, &session, &snapshot, forms, StatusCode::OK).await
}
