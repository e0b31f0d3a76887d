//! `/healthz` (the process is up) and `/readyz` (the database answers).

use poem::web::{Data, Json};
use poem::{handler, http::StatusCode};
use serde_json::{Value, json};

use crate::state::StateService;

/// Always 200 while the process serves requests.
#[handler]
pub fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database answers, else 503 saying so. Load balancers ask every few seconds, so
/// the error goes to the debug log only: the state follower already warns about an outage.
#[handler]
pub async fn readyz(service: Data<&StateService>) -> (StatusCode, Json<Value>) {
    match service.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok" })),
        ),
        Err(error) => {
            tracing::debug!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
