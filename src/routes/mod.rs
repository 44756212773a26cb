//! HTTP handlers, one module per page or form; they stay thin.

mod budget;
pub mod canonical;
mod customer;
mod dashboard;
pub mod errors;
mod export;
mod health;
mod prices;
mod refresh;
mod sign_in;
mod static_files;
mod subscription;
mod what_if;

use actix_web::web;

use crate::paths;

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
        .route(paths::SUBSCRIPTION, web::get().to(subscription::get))
        .route(paths::CUSTOMERS_CSV, web::get().to(export::customers))
        .route(
            paths::SUBSCRIPTIONS_CSV,
            web::get().to(export::subscriptions),
        )
        .route(
            paths::BUDGET_CHANGES_CSV,
            web::get().to(export::budget_changes),
        )
        .route(paths::RESOURCES_CSV, web::get().to(export::resources))
        .route(paths::METERS_CSV, web::get().to(export::meters))
        .route(paths::PRICES, web::get().to(prices::get))
        .route(paths::PRICES_CSV, web::get().to(prices::csv))
        .route(paths::PRICES_REFRESH, web::post().to(prices::refresh))
        .route(paths::METER_REGIONS, web::get().to(prices::regions))
        .route(
            paths::SUBSCRIPTION_REGIONS,
            web::get().to(prices::subscription_regions),
        )
        .route(paths::WHAT_IF, web::get().to(what_if::get))
        .route(paths::WHAT_IF, web::post().to(what_if::post))
        .route(paths::WHAT_IF_DELETE, web::post().to(what_if::delete))
        .route(paths::HEALTH, web::get().to(health::get))
        .route(paths::HEALTH_READY, web::get().to(health::get))
        .route(paths::HEALTH_LIVE, web::get().to(health::live))
        .route(paths::METRICS, web::get().to(health::metrics))
        .route(paths::STATIC_FILE, web::get().to(static_files::get))
        .default_service(web::to(errors::not_found));
}
