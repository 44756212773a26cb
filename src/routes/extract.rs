//! Extractors and lookups the handlers share: path ids, known customers and subscriptions,
//! forms verified for role and CSRF token.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::session::CurrentUser;
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

/// Who may send a form, and what everyone else is told (403).
pub trait Permission: 'static {
    /// Whether `user` may send the form.
    fn allows(user: &SessionUser) -> bool;
    /// The 403 message for everyone else.
    const REFUSAL: &'static str;

    /// `Ok` when `user` may send the form.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] with [`Self::REFUSAL`].
    fn check(user: &SessionUser) -> Result<(), AppError> {
        if Self::allows(user) {
            Ok(())
        } else {
            Err(AppError::Forbidden(Self::REFUSAL.into()))
        }
    }
}

/// Anyone signed in.
pub struct AnyUser;

impl Permission for AnyUser {
    const REFUSAL: &'static str = "";
    fn allows(_: &SessionUser) -> bool {
        true
    }
}

/// Declares a [`Permission`]: the role check (an [`crate::auth::Access`] method) and the
/// 403 message.
macro_rules! permission {
    ($(#[$doc:meta])* $name:ident: $allows:ident, $refusal:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl Permission for $name {
            const REFUSAL: &'static str = $refusal;
            fn allows(user: &SessionUser) -> bool {
                user.access.$allows()
            }
        }
    };
}

permission!(
    /// Budget editors, for alert thresholds and teams.
    AlertEditor: can_edit_budgets,
    "Only budget editors may change alert thresholds and teams. Ask your administrator for the Budget editor app role."
);

permission!(
    /// Budget editors, for budgets (one or in bulk).
    BudgetEditor: can_edit_budgets,
    "Only budget editors may change budgets. Ask your administrator for the Budget editor app role."
);

permission!(
    /// Budget editors and portfolio admins, for one customer's owners.
    OwnerEditor: can_assign_owners,
    "Only budget editors and portfolio admins may change a customer's owners. Ask your administrator for the Portfolio admin app role."
);

permission!(
    /// Budget editors and portfolio admins, for owners of many customers at once.
    OwnerAssigner: can_assign_owners,
    "Only budget editors and portfolio admins may assign owners. Ask your administrator for the Portfolio admin app role."
);

/// The signed-in user, once [`Permission`] `P` lets them send a form.
///
/// # Errors
/// Sign-in required, or [`AppError::Forbidden`].
pub async fn permitted<P: Permission>(
    user: impl Future<Output = Result<CurrentUser, AppError>>,
) -> Result<SessionUser, AppError> {
    let CurrentUser(user) = user.await?;
    P::check(&user)?;
    Ok(user)
}

/// A form's fields beside its CSRF token.
#[derive(Debug, Deserialize)]
struct WithToken<T> {
    csrf_token: Option<String>,
    #[serde(flatten)]
    fields: T,
}

/// A URL-encoded form (`T` its fields, the `csrf_token` aside) from a signed-in user whom `P`
/// permits, with the right CSRF token. Checks in this order: sign-in, role (403), the form,
/// the token (400).
pub struct VerifiedForm<T, P: Permission = AnyUser> {
    /// Who sent it.
    pub user: SessionUser,
    /// The fields.
    pub fields: T,
    permission: PhantomData<P>,
}

impl<T: DeserializeOwned + 'static, P: Permission> FromRequest for VerifiedForm<T, P> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = permitted::<P>(CurrentUser::from_request(req, payload));
        let form = web::Form::<WithToken<T>>::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            let web::Form(WithToken { csrf_token, fields }) = form.await?;
            verify_csrf(&user.csrf, csrf_token.as_deref())?;
            Ok(Self {
                user,
                fields,
                permission: PhantomData,
            })
        })
    }
}

/// A form without fields besides its CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// The `{customer_id}` path segment as a [`CustomerId`]; a malformed id is our styled 404
/// ([`AppError::NotFound`]), never actix's plain-text 404.
#[derive(Debug, Clone, Copy)]
pub struct CustomerPath(pub CustomerId);

impl FromRequest for CustomerPath {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            parse_customer_id(req.match_info().get("customer_id").unwrap_or_default()).map(Self),
        )
    }
}

/// The `{customer_id}` and `{subscription_id}` path segments, typed; malformed ids are our
/// styled 404.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionPath(pub CustomerId, pub SubscriptionId);

impl FromRequest for SubscriptionPath {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
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

/// The number in the path segment `name`, or [`AppError::NotFound`] with `missing`.
fn numeric_segment(req: &HttpRequest, name: &str, missing: &str) -> Result<i64, AppError> {
    req.match_info()
        .get(name)
        .and_then(|raw| raw.parse().ok())
        .ok_or_else(|| AppError::NotFound(missing.to_owned()))
}

/// The `{rule_id}` path segment (an alert threshold's id); not a number is a 404.
#[derive(Debug, Clone, Copy)]
pub struct RulePath(pub i64);

impl FromRequest for RulePath {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let missing = "There is no page at this address.";
        std::future::ready(numeric_segment(req, "rule_id", missing).map(Self))
    }
}

/// The `{plan_id}` path segment (a saved what-if plan's id, as stored).
#[derive(Debug, Clone)]
pub struct PlanPath(pub String);

impl FromRequest for PlanPath {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let plan = req.match_info().get("plan_id").unwrap_or_default();
        std::future::ready(Ok(Self(plan.to_owned())))
    }
}

/// The `{batch_id}` path segment (a bulk budget change's id); not a number is a 404.
#[derive(Debug, Clone, Copy)]
pub struct BatchPath(pub i64);

impl FromRequest for BatchPath {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let missing = "There is no such bulk budget change.";
        std::future::ready(numeric_segment(req, "batch_id", missing).map(Self))
    }
}
