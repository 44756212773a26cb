//! The control API changes the sandbox (faults, clock, redirect URIs, roles, revocation), so
//! every request to it that is not a read must say `Content-Type: application/json`, even
//! without a body. A cross-site HTML form can only send `application/x-www-form-urlencoded`,
//! `multipart/form-data` or `text/plain`, and a script elsewhere cannot send JSON without a
//! CORS preflight, which the sandbox never grants: a page in the browser of someone running
//! the demo cannot register a redirect URI or change anything.
//!
//! When the sandbox was started with a control token (Spendboard's in-process demo and its
//! tests), every control request must also carry it in `X-Sandbox-Control-Token`: that also
//! stops a page that rebinds its own host name to 127.0.0.1 (DNS rebinding).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use serde_json::json;

/// The control token the sandbox was started with, if any (app data).
#[derive(Debug, Clone)]
pub struct ControlToken(pub Option<String>);

/// The header carrying the control token.
pub const CONTROL_TOKEN_HEADER: &str = "x-sandbox-control-token";

/// The middleware function (`actix_web::middleware::from_fn(require_json)`).
pub async fn require_json(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_control = req.path().starts_with("/_sandbox/") || req.path() == "/_sandbox";
    let expected = req
        .app_data::<actix_web::web::Data<ControlToken>>()
        .and_then(|token| token.0.clone());
    if is_control && let Some(expected) = expected {
        let sent = req
            .headers()
            .get(CONTROL_TOKEN_HEADER)
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default();
        if aws_lc_rs::constant_time::verify_slices_are_equal(&sent, expected.as_bytes()).is_err() {
            let response = HttpResponse::Forbidden().json(json!({
                "error": "this sandbox's control API needs its token in the X-Sandbox-Control-Token header"
            }));
            return Ok(req.into_response(response));
        }
    }
    let reads = matches!(*req.method(), Method::GET | Method::HEAD);
    if is_control && !reads && !is_json(&req) {
        let response = HttpResponse::UnsupportedMediaType().json(json!({
            "error": "the control API takes JSON: send Content-Type: application/json (also without a body)"
        }));
        return Ok(req.into_response(response));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}
