//! The control API changes the sandbox (faults, clock, redirect URIs, roles, revocation), so
//! every request to it that is not a read must say `Content-Type: application/json`, even
//! without a body. A cross-site HTML form can only send `application/x-www-form-urlencoded`,
//! `multipart/form-data` or `text/plain`, and a script elsewhere cannot send JSON without a
//! CORS preflight, which the sandbox never grants: a page in the browser of someone running
//! the demo cannot register a redirect URI or change anything.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use serde_json::json;

/// The middleware function (`actix_web::middleware::from_fn(require_json)`).
pub async fn require_json(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_control = req.path().starts_with("/_sandbox/") || req.path() == "/_sandbox";
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
