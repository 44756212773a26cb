//! Extractors and lookups the handlers share: path ids, known customers and subscriptions,
//! the budget editor's CSRF check.

use crate::auth::{SessionUser, verify_csrf};
use crate::domain::{CustomerId, SubscriptionId};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::CustomerSnapshot;

/// Parses the `{customer_id}` path segment.
///
/// # Errors
/// [`AppError::NotFound`] for a malformed id.
pub fn parse_customer_id(raw: &str) -> Result<CustomerId, AppError> {
    CustomerId::parse(raw)
        .map_err(|e| AppError::NotFound(format!("There is no customer here: {e}.")))
}

/// The stored snapshot of a customer.
///
/// # Errors
/// [`AppError::NotFound`] when Spendboard does not know the customer.
pub async fn known_customer(
    state: &AppState,
    id: &CustomerId,
) -> Result<CustomerSnapshot, AppError> {
    state.store.snapshot(id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "Spendboard knows no customer with the id {id}. If the customer is new, refresh the dashboard."
        ))
    })
}

/// The stored snapshot of the subscription's customer, and the subscription's id.
///
/// # Errors
/// [`AppError::NotFound`] when Spendboard does not know the customer.
pub async fn known_subscription(
    state: &AppState,
    SubscriptionPath(customer, subscription): SubscriptionPath,
) -> Result<(CustomerSnapshot, SubscriptionId), AppError> {
    Ok((known_customer(state, &customer).await?, subscription))
}

/// Budget editors only, with the form's CSRF token.
///
/// # Errors
/// [`AppError::Forbidden`], or [`AppError::BadRequest`] for a wrong token.
pub fn editor_with_csrf(user: &SessionUser, token: Option<&str>) -> Result<(), AppError> {
    if !user.access.can_edit_budgets() {
        return Err(AppError::Forbidden(
            "Only budget editors may change alert thresholds and teams. Ask your administrator for the Budget editor app role.".into(),
        ));
    }
    verify_csrf(&user.csrf, token)
}

/// The `{customer_id}` path segment as a [`CustomerId`]; a malformed id is our styled 404
/// ([`AppError::NotFound`]), never actix's plain-text 404.
#[derive(Debug, Clone, Copy)]
pub struct CustomerPath(pub CustomerId);

impl actix_web::FromRequest for CustomerPath {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            parse_customer_id(req.match_info().get("customer_id").unwrap_or_default()).map(Self),
        )
    }
}

/// The `{customer_id}` and `{subscription_id}` path segments, typed; malformed ids are our
/// styled 404.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionPath(pub CustomerId, pub SubscriptionId);

impl actix_web::FromRequest for SubscriptionPath {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let segment = |name| req.match_info().get(name).unwrap_or_default();
        std::future::ready(
            parse_customer_id(segment("customer_id")).and_then(|customer| {
                SubscriptionId::parse(segment("subscription_id"))
                    .map(|subscription| Self(customer, subscription))
                    .map_err(|e| AppError::NotFound(format!("There is no subscription here: {e}.")))
            }),
        )
    }
}
