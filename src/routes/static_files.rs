//! The stylesheet and the few lines of script, compiled into the binary so that a deployment
//! is one file.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

use crate::error::AppError;

/// Every static file: name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    ),
    (
        "bulk.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/bulk.js"),
    ),
    (
        "refresh.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/refresh.js"),
    ),
];

/// `GET /static/{name}`.
pub async fn get(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) = FILES
        .iter()
        .find(|(file, _, _)| *file == name.as_str())
        .ok_or_else(|| AppError::NotFound("There is no such file.".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, *content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(*body))
}
