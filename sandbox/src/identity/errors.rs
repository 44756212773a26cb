//! Error responses of the token endpoint, in the OAuth 2.0 shape Entra ID sends:
//! `{"error", "error_description": "AADSTS<code>: ...", "error_codes", "timestamp",
//! "trace_id", "correlation_id"}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

/// A refused token request. The status is 401 for `invalid_client`, 400 otherwise.
#[derive(Debug, thiserror::Error)]
#[error("{error}: AADSTS{code}: {message}")]
pub(crate) struct OAuthError {
    /// The OAuth 2.0 error code, e.g. `invalid_grant`.
    pub error: &'static str,
    /// The Entra ID `AADSTS` number.
    pub code: u32,
    /// The human-readable description (without the `AADSTS` prefix).
    pub message: String,
}

impl OAuthError {
    fn new(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self {
            error,
            code,
            message: message.into(),
        }
    }

    /// `invalid_request` (400): a parameter is missing or malformed.
    pub(crate) fn invalid_request(code: u32, message: impl Into<String>) -> Self {
        Self::new("invalid_request", code, message)
    }

    /// `invalid_request` (400) for a missing parameter, as Entra ID words it.
    pub(crate) fn missing_parameter(name: &str) -> Self {
        Self::invalid_request(
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    /// `invalid_client` (401): unknown client or wrong secret.
    pub(crate) fn invalid_client(code: u32, message: impl Into<String>) -> Self {
        Self::new("invalid_client", code, message)
    }

    /// `invalid_grant` (400): a code or refresh token that cannot be used.
    pub(crate) fn invalid_grant(code: u32, message: impl Into<String>) -> Self {
        Self::new("invalid_grant", code, message)
    }

    /// `invalid_scope` (400).
    pub(crate) fn invalid_scope(code: u32, message: impl Into<String>) -> Self {
        Self::new("invalid_scope", code, message)
    }

    /// `unsupported_grant_type` (400).
    pub(crate) fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        )
    }

    /// `invalid_tenant` (400): the path names a tenant the sandbox does not serve.
    pub(crate) fn invalid_tenant(tenant: &str) -> Self {
        Self::new(
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID \
                 and are signing into the correct cloud."
            ),
        )
    }

    /// `server_error` (500): signing failed. The cause goes to the log.
    pub(crate) fn server_error(cause: &anyhow::Error) -> Self {
        tracing::error!(error = ?cause, "the identity provider could not issue tokens");
        Self::new("server_error", 50000, "There was an error issuing a token.")
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: String,
    error_codes: [u32; 1],
    timestamp: String,
    trace_id: String,
    correlation_id: String,
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self.error {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let timestamp = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let trace_id = Uuid::new_v4().to_string();
        let correlation_id = Uuid::new_v4().to_string();
        let body = ErrorBody {
            error: self.error,
            error_description: format!(
                "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
                self.code, self.message
            ),
            error_codes: [self.code],
            timestamp,
            trace_id,
            correlation_id,
        };
        HttpResponse::build(self.status_code())
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Pragma", "no-cache"))
            .json(body)
    }
}
