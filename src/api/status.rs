//! `GET /api/status`: the public view of the maintenance state, for the page and for banners.

use chrono::{DateTime, Utc};
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler, http::header};
use serde::Serialize;

use crate::state::{Live, Mode, Phase};

/// What anyone may know about the state: no actor, no reason.
#[derive(Debug, Serialize)]
pub struct PublicStatus {
    /// Visitors are gated right now.
    pub active: bool,
    /// off, scheduled, active or ended.
    pub phase: Phase,
    /// full or read_only.
    pub mode: Mode,
    /// The operator's message.
    pub message: Option<String>,
    /// When a scheduled window starts.
    pub starts_at: Option<DateTime<Utc>>,
    /// When the window ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// Seconds to wait before retrying, when no end time is known.
    pub retry_after: u32,
    /// The state version.
    pub version: i64,
}

/// The live state, cacheable for a second.
#[handler]
pub fn status(live: Data<&Live>) -> Response {
    let state = live.load();
    let phase = state.phase(Utc::now());
    let body = PublicStatus {
        active: phase == Phase::Active,
        phase,
        mode: state.mode,
        message: state.message.clone(),
        starts_at: state.starts_at,
        ends_at: state.ends_at,
        retry_after: state.retry_after_secs,
        version: state.version,
    };
    Json(body)
        .with_header(header::CACHE_CONTROL, "public, max-age=1")
        .into_response()
}
