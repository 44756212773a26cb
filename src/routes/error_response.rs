//! How each [`AppError`] is answered over HTTP, in one place: sign-in problems go back to
//! sign-in, refusals get a 403 page, Partner Center failures say so with their reason,
//! everything else a 500 page with the request id. The response carries a [`PublicError`] (and
//! the [`EndSession`] or [`DatabaseUnreachable`] marks) for the error pages of
//! `routes/errors.rs` to render; the full cause chain goes to the log, never to the page.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, ResponseError};

use crate::error::{
    AppError, DatabaseUnreachable, EndSession, PublicError, database_unreachable_page,
};
use crate::paths;

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
