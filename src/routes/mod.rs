//! HTTP handlers, one module per page or form; they stay thin.

mod budget;
mod customer;
mod dashboard;
pub mod errors;
mod health;
pub mod paths;
mod refresh;
mod sign_in;
mod static_files;

use actix_web::web;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::DASHBOARD, web::get().to(dashboard::get))
        .route(paths::SIGN_IN, web::get().to(sign_in::page))
        .route(paths::AUTH_START, web::get().to(sign_in::start))
        .route(paths::AUTH_CALLBACK, web::get().to(sign_in::callback))
        .route(paths::SIGN_OUT, web::post().to(sign_in::sign_out))
        .route(paths::REFRESH, web::post().to(refresh::start))
        .route(paths::REFRESH, web::get().to(refresh::progress))
        .route(paths::CUSTOMER, web::get().to(customer::get))
        .route(paths::CUSTOMER_BUDGET, web::post().to(budget::post))
        .route(paths::HEALTH, web::get().to(health::get))
        .route(paths::STYLESHEET, web::get().to(static_files::stylesheet))
        .default_service(web::to(errors::not_found));
}
