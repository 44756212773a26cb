//! Health endpoints for load balancers and orchestrators:
//! - `GET /health` and `GET /health/ready` (readiness): 200 when the database answers, else
//!   503; with the age of the data, and whether a refresh runs.
//! - `GET /health/live` (liveness): 200 while the process serves requests, whatever the
//!   database does (restarting the process would not bring the database back).

use actix_web::{HttpResponse, web};
use chrono::Utc;

use crate::state::AppState;
use crate::store::{LeaseScope, RunState};

/// Readiness: 200 `{"status":"ok", ...}` when the database answers, else 503 `{"status":
/// "database unavailable"}` (the outage is logged once, not per probe).
pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    if let Err(e) = state.store.ping().await {
        state.outage.note(&state.store, &e);
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "status": "database unavailable",
            "database": "unreachable",
        }));
    }
    let totals = state.store.dashboard_totals().await.ok();
    let oldest = totals.as_ref().and_then(|t| t.oldest_fetched_at);
    let run = state
        .store
        .latest_run(LeaseScope::Partner)
        .await
        .ok()
        .flatten();
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "database": "ok",
        "customers": totals.as_ref().map(|t| t.customers),
        "data_as_of": oldest,
        "data_age_seconds": oldest.map(|at| (Utc::now() - at).num_seconds()),
        "data_stale": state.refresher.is_stale(oldest),
        "refresh_running": run.as_ref().is_some_and(|r| r.state == RunState::Running),
        "last_refresh_failed": run.as_ref().is_some_and(|r| r.state == RunState::Failed),
    }))
}

/// Liveness: 200 `{"status":"alive"}` while the process answers.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "alive"}))
}

/// `GET /metrics`: Prometheus metrics in the text format (see [`crate::metrics`]).
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let database_up = state.store.ping().await.is_ok();
    let mut scrape = crate::metrics::Scrape {
        database_up,
        outages: state.outage.count(),
        ..Default::default()
    };
    if database_up {
        scrape.sessions = state.store.count_sessions().await.ok();
        scrape.data_age_seconds = state
            .store
            .dashboard_totals()
            .await
            .ok()
            .and_then(|t| t.oldest_fetched_at)
            .map(|at| (Utc::now() - at).num_seconds());
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&scrape))
}
