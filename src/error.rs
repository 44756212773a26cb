//! One error type for every handler, and the one place that decides how each error looks to a
//! person: sign-in problems go back to sign-in, refusals get a 403 page, Partner Center
//! failures say so with their reason, everything else a 500 page with the request id. The
//! full cause chain goes to the log, never to the page.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, ResponseError};

use crate::partner_center::PartnerCenterError;
use crate::paths;

/// Marks a response whose session must end (the error page purges it).
#[derive(Debug, Clone, Copy)]
pub struct EndSession;

/// Marks a response given because the database is unreachable (the error page notes the
/// outage, which logs it once).
#[derive(Debug, Clone)]
pub struct DatabaseUnreachable(pub String);

/// What people are told while the database is unreachable.
pub fn database_unreachable_page() -> PublicError {
    PublicError {
        title: "The database is unreachable",
        message: "Spendboard cannot reach its database right now, so it cannot show or change anything. Nothing was changed. This is usually brief: try again in a minute; if it lasts, tell your administrator.".into(),
    }
}

/// What a person is told about an error (rendered by the error pages of `routes/errors.rs`).
#[derive(Debug, Clone)]
pub struct PublicError {
    pub title: &'static str,
    pub message: String,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in, or the Partner Center token can no longer be renewed.
    #[error("sign-in required")]
    SignInRequired {
        /// The path to come back to after sign-in.
        return_to: String,
    },
    /// Signed in, but without the right.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The person no longer has any Spendboard role (found at a token renewal or on a
    /// request): the session ends, with the no-access page.
    #[error("no Spendboard role any more")]
    AccessRevoked,
    /// No such page or customer.
    #[error("not found: {0}")]
    NotFound(String),
    /// A request that cannot be understood (e.g. a missing CSRF token).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Something Spendboard needs is unavailable right now; the message says what is known
    /// and what happens next.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The database cannot be reached (an outage): a 503 page saying so.
    #[error("database unreachable: {0}")]
    DatabaseUnavailable(String),
    /// Partner Center refused or failed.
    #[error("Partner Center: {0}")]
    PartnerCenter(#[from] PartnerCenterError),
    /// Anything else: a bug or an outage on our side.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_unavailable() {
            let detail = match &e {
                crate::store::StoreError::Database(source) => source.to_string(),
                other => other.to_string(),
            };
            return Self::DatabaseUnavailable(detail);
        }
        Self::Unexpected(anyhow::Error::new(e).context("database"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignInRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden(_) | Self::AccessRevoked => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) | Self::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::PartnerCenter(e) if e.is_unauthorized() => StatusCode::SEE_OTHER,
            Self::PartnerCenter(e) if e.is_forbidden() => StatusCode::FORBIDDEN,
            Self::PartnerCenter(_) => StatusCode::BAD_GATEWAY,
            Self::Unexpected(e) if unreachable_database(e).is_some() => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let public = match self {
            Self::SignInRequired { return_to } => return sign_in_redirect(return_to),
            Self::PartnerCenter(e) if e.is_unauthorized() => {
                return sign_in_redirect(paths::DASHBOARD);
            }
            Self::Forbidden(message) => PublicError {
                title: "No access",
                message: message.clone(),
            },
            Self::AccessRevoked => {
                tracing::info!("session ended: no Spendboard role any more");
                let mut response = HttpResponse::build(self.status_code()).finish();
                response.extensions_mut().insert(PublicError {
                    title: "No access",
                    message: "Your account no longer has a Spendboard role, so you have been signed out. Ask your administrator to assign you the Reader or Budget editor app role of Spendboard in Microsoft Entra ID.".into(),
                });
                response.extensions_mut().insert(EndSession);
                return response;
            }
            Self::NotFound(message) => PublicError {
                title: "Not found",
                message: message.clone(),
            },
            Self::BadRequest(message) => PublicError {
                title: "Bad request",
                message: message.clone(),
            },
            Self::Unavailable(message) => {
                tracing::warn!(error = %self, "request answered as unavailable");
                PublicError {
                    title: "Temporarily unavailable",
                    message: message.clone(),
                }
            }
            Self::DatabaseUnavailable(detail) => {
                // Logged once per outage by the error page, not here.
                let mut response = HttpResponse::build(self.status_code()).finish();
                response
                    .extensions_mut()
                    .insert(database_unreachable_page());
                response
                    .extensions_mut()
                    .insert(DatabaseUnreachable(detail.clone()));
                return response;
            }
            Self::PartnerCenter(e) => {
                tracing::warn!(error = %e, "Partner Center call failed");
                PublicError {
                    title: "Partner Center did not answer as expected",
                    message: e.user_message(),
                }
            }
            Self::Unexpected(e) if unreachable_database(e).is_some() => {
                let detail = unreachable_database(e).unwrap_or_default();
                return Self::DatabaseUnavailable(detail).error_response();
            }
            Self::Unexpected(e) => {
                tracing::error!(error = ?e, "request failed");
                PublicError {
                    title: "Something went wrong",
                    message: "Spendboard could not complete this request. Try again; if it keeps failing, give the request id below to support.".into(),
                }
            }
        };
        if matches!(
            self,
            Self::Forbidden(_) | Self::NotFound(_) | Self::BadRequest(_)
        ) {
            tracing::info!(error = %self, "request refused");
        }
        let mut response = HttpResponse::build(self.status_code()).finish();
        response.extensions_mut().insert(public);
        response
    }
}

/// The database error of an outage somewhere in `error`'s causes, as text.
fn unreachable_database(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|cause| {
        let store = cause.downcast_ref::<crate::store::StoreError>()?;
        store.is_unavailable().then(|| match store {
            crate::store::StoreError::Database(source) => source.to_string(),
            other => other.to_string(),
        })
    })
}

fn sign_in_redirect(return_to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, paths::sign_in_returning_to(return_to)))
        .finish()
}
