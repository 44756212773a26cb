//! Responses the handlers share: a 303 redirect and an HTML page.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::error::AppError;

/// A 303 to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// `page` rendered with `status` (never cached: every response but the static files'
/// carries `Cache-Control: no-store`, see `startup`).
///
/// # Errors
/// [`AppError::Unexpected`] when the template fails to render (a bug).
pub fn html(status: StatusCode, page: &impl askama::Template) -> Result<HttpResponse, AppError> {
    let body = page.render().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}
