//! The web edge: HTTP handlers, one module per page or form (they stay thin), and the parts of
//! the session, the sign-in cookie and the request log that speak actix-web.

mod alerts;
mod budget;
mod bulk;
mod bulk_form;
pub mod canonical;
mod csv_download;
mod customer;
mod customer_page;
mod dashboard;
mod dashboard_query;
mod delegated;
mod error_response;
pub mod errors;
mod export;
mod extract;
mod health;
mod owners;
mod owners_bulk;
mod preferences;
mod prices;
mod refresh;
pub mod request_log;
mod respond;
mod session;
pub mod session_store;
mod sign_in;
mod sign_in_cookie;
mod static_files;
mod subscription;
mod teams;
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
        .route(paths::BULK_PREVIEW, web::post().to(bulk::preview))
        .route(paths::BULK_UPLOAD, web::post().to(bulk::upload))
        .route(
            paths::BULK_OWNERS_PREVIEW,
            web::post().to(owners_bulk::preview),
        )
        .route(
            paths::BULK_OWNERS_UPLOAD,
            web::post().to(owners_bulk::upload),
        )
        .route(
            paths::BULK_OWNERS_CONFIRM,
            web::post().to(owners_bulk::confirm),
        )
        .route(paths::BULK_BATCH, web::get().to(bulk::batch))
        .route(paths::BULK_CONFIRM, web::post().to(bulk::confirm))
        .route(paths::BULK_RETRY, web::post().to(bulk::retry))
        .route(paths::BULK_OUTCOMES_CSV, web::get().to(bulk::outcomes_csv))
        .route(paths::CUSTOMER_OWNERS, web::post().to(owners::add))
        .route(
            paths::CUSTOMER_OWNERS_REMOVE,
            web::post().to(owners::remove),
        )
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
        .route(paths::ALERTS, web::get().to(alerts::get))
        .route(paths::ALERT_RULES, web::post().to(alerts::add))
        .route(paths::ALERT_RULE_REMOVAL, web::post().to(alerts::remove))
        .route(
            paths::CUSTOMER_ALERT_RULES,
            web::post().to(alerts::add_for_customer),
        )
        .route(
            paths::CUSTOMER_ALERT_RULE_REMOVAL,
            web::post().to(alerts::remove_for_customer),
        )
        .route(paths::TEAMS, web::get().to(teams::get))
        .route(paths::TEAMS, web::post().to(teams::create))
        .route(paths::TEAM_NAME, web::post().to(teams::rename))
        .route(paths::TEAM_WEBHOOK, web::post().to(teams::webhook))
        .route(paths::TEAM_MEMBERS, web::post().to(teams::add_member))
        .route(
            paths::TEAM_MEMBER_REMOVAL,
            web::post().to(teams::remove_member),
        )
        .route(paths::PREFERENCES, web::get().to(preferences::get))
        .route(paths::PREFERENCES, web::post().to(preferences::post))
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
