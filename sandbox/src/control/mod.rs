//! The control API under `/_sandbox/` (JSON; served only by the sandbox): faults, throttling,
//! the request log, the clock and reset. Bad input gets 400 `{"error": "..."}`.

pub mod faults;
pub mod guard;
pub mod requests;
pub mod throttle;

use actix_web::{HttpRequest, HttpResponse, error, web};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::data::start_of_day;
use crate::data::usage::BillingPeriod;
use crate::options::Throttle;
use crate::state::SandboxState;
use faults::FaultRequest;

/// The control routes' paths.
pub mod paths {
    pub const FAULTS: &str = "/_sandbox/faults";
    pub const THROTTLE: &str = "/_sandbox/throttle";
    pub const REQUESTS: &str = "/_sandbox/requests";
    pub const CLOCK: &str = "/_sandbox/clock";
    pub const CLOCK_ADVANCE: &str = "/_sandbox/clock/advance";
    pub const RESET: &str = "/_sandbox/reset";
    pub const BUDGET_CHANGES: &str = "/_sandbox/budget-changes";
}

/// Registers the control routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let json = web::JsonConfig::default().error_handler(|err, _req: &HttpRequest| {
        let message = err.to_string();
        error::InternalError::from_response(err, bad_request(&message)).into()
    });
    let resource = |path: &str| web::resource(path).app_data(json.clone());
    cfg.service(
        resource(paths::FAULTS)
            .route(web::get().to(list_faults))
            .route(web::post().to(add_fault))
            .route(web::delete().to(clear_faults)),
    )
    .service(
        resource(paths::THROTTLE)
            .route(web::get().to(get_throttle))
            .route(web::put().to(set_throttle)),
    )
    .service(
        resource(paths::REQUESTS)
            .route(web::get().to(get_requests))
            .route(web::delete().to(clear_requests)),
    )
    .service(
        resource(paths::CLOCK)
            .route(web::get().to(get_clock))
            .route(web::put().to(set_clock)),
    )
    .service(resource(paths::CLOCK_ADVANCE).route(web::post().to(advance_clock)))
    .service(resource(paths::RESET).route(web::post().to(reset)))
    .service(resource(paths::BUDGET_CHANGES).route(web::get().to(budget_changes)));
}

fn bad_request(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message }))
}

async fn list_faults(state: web::Data<SandboxState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "faults": state.faults.list() }))
}

async fn add_fault(state: web::Data<SandboxState>, body: web::Json<FaultRequest>) -> HttpResponse {
    let request = body.into_inner();
    if !request.route.trim().contains(' ') && request.route.trim() != "*" {
        return bad_request(
            "route must be a method and a route template, e.g. \"GET /v1/customers/{id}\", or \"*\"",
        );
    }
    if let faults::FaultKind::Status { status, .. } = request.kind
        && actix_web::http::StatusCode::from_u16(status).is_err()
    {
        return bad_request("status must be an HTTP status code (100-999)");
    }
    if request.times == Some(0) {
        return bad_request("times must be at least 1 (omit it for every request)");
    }
    HttpResponse::Created().json(state.faults.add(request))
}

async fn clear_faults(state: web::Data<SandboxState>) -> HttpResponse {
    state.faults.clear();
    HttpResponse::NoContent().finish()
}

async fn get_throttle(state: web::Data<SandboxState>) -> HttpResponse {
    HttpResponse::Ok().json(state.throttle.get())
}

async fn set_throttle(
    state: web::Data<SandboxState>,
    body: web::Json<Option<Throttle>>,
) -> HttpResponse {
    let throttle = body.into_inner();
    if let Some(t) = throttle
        && (t.limit == 0 || t.window_seconds == 0)
    {
        return bad_request("limit and windowSeconds must be at least 1");
    }
    state.throttle.set(throttle);
    HttpResponse::Ok().json(state.throttle.get())
}

async fn get_requests(state: web::Data<SandboxState>) -> HttpResponse {
    HttpResponse::Ok().json(state.requests.report())
}

async fn budget_changes(state: web::Data<SandboxState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "changes": state.budget_changes() }))
}

async fn clear_requests(state: web::Data<SandboxState>) -> HttpResponse {
    state.requests.clear();
    HttpResponse::NoContent().finish()
}

fn clock_body(state: &SandboxState) -> serde_json::Value {
    let now = state.clock.now();
    let period = BillingPeriod::containing(now.date_naive());
    json!({
        "now": now.to_rfc3339(),
        "today": now.date_naive().to_string(),
        "billingStartDate": start_of_day(period.start).to_rfc3339(),
        "billingEndDate": start_of_day(period.end).to_rfc3339(),
    })
}

async fn get_clock(state: web::Data<SandboxState>) -> HttpResponse {
    HttpResponse::Ok().json(clock_body(&state))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: DateTime<Utc>,
}

async fn set_clock(state: web::Data<SandboxState>, body: web::Json<SetClock>) -> HttpResponse {
    state.clock.set(body.now);
    HttpResponse::Ok().json(clock_body(&state))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    days: i64,
    #[serde(default)]
    hours: i64,
}

async fn advance_clock(state: web::Data<SandboxState>, body: web::Json<Advance>) -> HttpResponse {
    const LIMIT: i64 = 3650;
    if body.days.abs() > LIMIT || body.hours.abs() > LIMIT * 24 {
        return bad_request("days must be within ±3650 (and hours within ±87600)");
    }
    state
        .clock
        .advance(Duration::days(body.days) + Duration::hours(body.hours));
    HttpResponse::Ok().json(clock_body(&state))
}

async fn reset(state: web::Data<SandboxState>) -> HttpResponse {
    state.reset();
    HttpResponse::Ok().json(clock_body(&state))
}
