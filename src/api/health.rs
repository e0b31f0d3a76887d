//! `/healthz` (the process is up) and `/readyz` (the database answers and this process hears
//! of changes at once; the upstream app's state too when downtime is a reverse proxy).

use poem::web::{Data, Json};
use poem::{handler, http::StatusCode};
use serde_json::{Value, json};

use crate::proxy::Upstream;
use crate::state::StateService;

/// Always 200 while the process serves requests.
#[handler]
pub fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database answers and changes made elsewhere are pushed to this process (its
/// change listener is connected), else 503 saying which. Load balancers ask every few seconds, so
/// the error goes to the debug log only: the state follower already warns about an outage.
///
/// With an upstream, whether it accepts connections is reported too (`"upstream": "ok"` or
/// `"unreachable"`, and `"status": "degraded"`) but does not make this 503: downtime is the
/// one answering for a dead app (its page, or maintenance switched on by itself), which a load
/// balancer that took it out of service would replace with a bare error.
#[handler]
pub async fn readyz(
    service: Data<&StateService>,
    upstream: Data<&Option<Upstream>>,
) -> (StatusCode, Json<Value>) {
    let (database, upstream) = tokio::join!(service.ping(), async {
        match upstream.0 {
            Some(upstream) => Some(upstream.probe().await),
            None => None,
        }
    });
    if let Err(error) = database {
        tracing::debug!(%error, "readiness check failed");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        );
    }
    // A replica that answers but hears of no change until its next poll would serve a stale
    // state for that long: not ready.
    let sync = service.sync_stats();
    if !sync.pushed() && !sync.poll_only() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "degraded",
                "database": "ok",
                "changes": "not pushed: the change listener is connecting",
            })),
        );
    }
    let changes = if sync.pushed() { "pushed" } else { "polled" };
    let mut body = json!({ "status": "ok", "database": "ok", "changes": changes });
    match upstream {
        Some(true) => body["upstream"] = "ok".into(),
        Some(false) => {
            body["upstream"] = "unreachable".into();
            body["status"] = "degraded".into();
        }
        None => {}
    }
    (StatusCode::OK, Json(body))
}
