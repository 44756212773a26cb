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

use crate::error::{AppError, DatabaseUnreachable, EndSession, PublicError};
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
    if !(status.is_client_error() || status.is_server_error()) || has_own_body(&res) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    end_session_or_note_outage(&res);
    let html = page_html(&res);
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

/// Whether the response has a body of ours: our own pages (HTML) and the health check
/// (JSON) keep their bodies; the plain-text bodies of actix-web's own errors (a form too
/// large, a wrong content type) get the page.
fn has_own_body<B: MessageBody>(res: &ServiceResponse<B>) -> bool {
    let own_body = res
        .response()
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    own_body
        && !matches!(
            res.response().body().size(),
            BodySize::Sized(0) | BodySize::None
        )
}

/// Ends the session when the error asks for it ([`EndSession`]), and notes an unreachable
/// database ([`DatabaseUnreachable`]) as an outage.
fn end_session_or_note_outage<B>(res: &ServiceResponse<B>) {
    if res.response().extensions().get::<EndSession>().is_some() {
        use actix_session::SessionExt as _;
        res.request().get_session().purge();
    }
    if let Some(DatabaseUnreachable(detail)) = res.response().extensions().get().cloned()
        && let Some(state) = res
            .request()
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
    {
        state.outage.note(&state.store, &detail);
    }
}

/// The error page of `res`: its public message (or the status's generic one) and the
/// request id.
fn page_html<B>(res: &ServiceResponse<B>) -> String {
    let public = res
        .response()
        .extensions()
        .get::<PublicError>()
        .cloned()
        .unwrap_or_else(|| generic(res.status()));
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
    let mut page = ErrorPage::new(res.status().as_u16(), public, request_id);
    page.layout.demo = demo;
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering the error page");
        "Something went wrong.".into()
    })
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

/// An error that escaped the handlers: the session middleware could not load or save the
/// session, which lives in the database. Answered with the styled "database unreachable"
/// page (503) rather than a blank 500, and noted as an outage. (The request is gone by then,
/// so the page travels as the error's own response.)
pub fn session_store_failure(
    state: Option<&actix_web::web::Data<crate::state::AppState>>,
    request_id: String,
    error: &actix_web::Error,
) -> actix_web::Error {
    if let Some(state) = state {
        state
            .outage
            .note(&state.store, &format!("the session store failed: {error}"));
    }
    let status = StatusCode::SERVICE_UNAVAILABLE;
    let mut page = ErrorPage::new(
        status.as_u16(),
        crate::error::database_unreachable_page(),
        request_id,
    );
    page.layout.demo = state.is_some_and(|s| s.settings.is_demo());
    let html = page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering the error page");
        "The database is unreachable.".into()
    });
    PageError { status, html }.into()
}

/// A rendered error page as an error (see [`session_store_failure`]).
#[derive(Debug)]
struct PageError {
    status: StatusCode,
    html: String,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error page {}", self.status)
    }
}

impl actix_web::ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("X-Frame-Options", "DENY"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ))
            .body(self.html.clone())
    }
}
