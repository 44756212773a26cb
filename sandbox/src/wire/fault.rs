//! Error responses: Partner Center's ApiFault (`{code, description, data, source}`) and the
//! API gateway's `{statusCode, message}` body (docs/partner-center.md §1.5).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The ApiFault body.
#[derive(Debug, Serialize)]
pub struct ApiFault {
    pub code: u32,
    pub description: String,
    pub data: Vec<String>,
    pub source: &'static str,
}

/// The gateway (API management) error body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayError {
    pub status_code: u16,
    pub message: String,
}

/// Why a Partner Center route refused a request. Each variant becomes an ApiFault response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401, code 800001: no bearer token.
    #[error("Partner token missing")]
    TokenMissing,
    /// 401, code 400: an invalid or expired bearer token.
    #[error("Access denied: {0}")]
    TokenRejected(String),
    /// 403: an app-only token on an App+User-only route.
    #[error("This resource can't be accessed by application credentials.")]
    AppOnly,
    /// 403, code 1002: a token of another tenant.
    #[error("Authorization Failed")]
    WrongTenant,
    /// 400, code 900118: a customer id that is not a GUID.
    #[error("Invalid Customer Id")]
    InvalidCustomerId,
    /// 404, code 60003: no such customer.
    #[error("Tenant not found: customer {0} does not exist")]
    CustomerNotFound(String),
    /// 404, code 20003: no such subscription for the customer.
    #[error("Subscription not found: {0}")]
    SubscriptionNotFound(String),
    /// 400, code 3000: an invalid property in the request body.
    #[error("Invalid property: {0}")]
    InvalidProperty(String),
    /// 400, code 800002: invalid request input (query, headers, body syntax).
    #[error("Invalid request input: {0}")]
    InvalidInput(String),
    /// Any status, injected by a fault rule.
    #[error("{description}")]
    Injected {
        status: StatusCode,
        code: u32,
        description: String,
    },
}

impl ApiError {
    fn code(&self) -> u32 {
        match self {
            ApiError::TokenMissing => 800_001,
            ApiError::TokenRejected(_) => 400,
            ApiError::AppOnly => 400,
            ApiError::WrongTenant => 1002,
            ApiError::InvalidCustomerId => 900_118,
            ApiError::CustomerNotFound(_) => 60_003,
            ApiError::SubscriptionNotFound(_) => 20_003,
            ApiError::InvalidProperty(_) => 3000,
            ApiError::InvalidInput(_) => 800_002,
            ApiError::Injected { code, .. } => *code,
        }
    }

    /// The ApiFault body of this error.
    pub fn fault(&self) -> ApiFault {
        ApiFault {
            code: self.code(),
            description: self.to_string(),
            data: Vec::new(),
            source: "PartnerFD",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::TokenMissing | ApiError::TokenRejected(_) => StatusCode::UNAUTHORIZED,
            ApiError::AppOnly | ApiError::WrongTenant => StatusCode::FORBIDDEN,
            ApiError::InvalidCustomerId
            | ApiError::InvalidProperty(_)
            | ApiError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            ApiError::CustomerNotFound(_) | ApiError::SubscriptionNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Injected { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            let error = match self {
                ApiError::TokenMissing => "Bearer realm=\"api.partnercenter.microsoft.com\"",
                _ => "Bearer realm=\"api.partnercenter.microsoft.com\", error=\"invalid_token\"",
            };
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static(error)));
        }
        response.json(self.fault())
    }
}

/// A gateway error response (429 and some 5xx), with `Retry-After` when given.
pub fn gateway_response(
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(seconds) = retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    response.json(GatewayError {
        status_code: status.as_u16(),
        message,
    })
}
