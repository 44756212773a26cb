//! `GET /health`: for load balancers; checks the database.

use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// 200 `{"status":"ok"}` when the database answers, else 503.
pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "database unavailable"}))
        }
    }
}
