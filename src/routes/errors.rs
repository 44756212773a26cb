//! Error pages: every 4xx/5xx response without a body of its own gets a page that says what
//! happened and, for support, the request id.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpMessage, HttpResponse};
use askama::Template;
use tracing_actix_web::RequestId;

use crate::error::{AppError, EndSession, PublicError};
use crate::pages::ErrorPage;

/// Unknown paths.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound(
        "There is no page at this address.".into(),
    ))
}

/// The `ErrorHandlers` default handler: renders [`ErrorPage`] into error responses that have
/// no body yet, keeping the status.
pub fn render_error_page<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    // Our own pages (HTML) and the health check (JSON) keep their bodies; the plain-text
    // bodies of actix-web's own errors (a form too large, a wrong content type) get the page.
    let own_body = res
        .response()
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    let has_body = own_body
        && !matches!(
            res.response().body().size(),
            BodySize::Sized(0) | BodySize::None
        );
    if !(status.is_client_error() || status.is_server_error()) || has_body {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    if res.response().extensions().get::<EndSession>().is_some() {
        use actix_session::SessionExt as _;
        res.request().get_session().purge();
    }
    let public = res
        .response()
        .extensions()
        .get::<PublicError>()
        .cloned()
        .unwrap_or_else(|| generic(status));
    let request_id = res
        .request()
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let demo = res
        .request()
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .is_some_and(|state| state.settings.is_demo());
    let mut page = ErrorPage::new(status, public, request_id);
    page.layout.demo = demo;
    let html = page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering the error page");
        "Something went wrong.".into()
    });
    let (req, res) = res.into_parts();
    let mut res = res.set_body(BoxBody::new(html));
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, res).map_into_right_body(),
    ))
}

fn generic(status: StatusCode) -> PublicError {
    PublicError {
        title: status.canonical_reason().unwrap_or("Error"),
        message: match status {
            StatusCode::NOT_FOUND => "There is no page at this address.".into(),
            StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.".into(),
            StatusCode::PAYLOAD_TOO_LARGE => "What was sent is larger than Spendboard accepts. Go back and send less.".into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "This address takes an HTML form; what was sent is in another format.".into(),
            s if s.is_client_error() => "The request could not be understood.".into(),
            _ => "Spendboard could not complete this request. Try again; if it keeps failing, give the request id below to support.".into(),
        },
    }
}
