//! `GET /api/status`: the public view of the maintenance state, for the page and for banners.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::maintenance::{ApiMode, ApiPhase};
use crate::state::{Phase, StateService};

/// What anyone may know about the state: no actor, no reason, no addresses.
#[derive(Debug, Object)]
#[oai(rename = "PublicStatus")]
pub struct PublicStatus {
    /// Visitors are gated right now.
    pub active: bool,
    /// `off`, `scheduled`, `active` or `ended`.
    pub phase: ApiPhase,
    /// `full` or `read_only`.
    pub mode: ApiMode,
    /// The operator's message; absent when there is none.
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    /// When a scheduled window starts; absent when it has no start time.
    #[oai(skip_serializing_if_is_none)]
    pub starts_at: Option<DateTime<Utc>>,
    /// When the window ends; absent when no end is set.
    #[oai(skip_serializing_if_is_none)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Seconds to wait before retrying, while no end time is known.
    pub retry_after: u32,
    /// The state version.
    pub version: i64,
}

/// The public status.
#[derive(ApiResponse)]
pub enum StatusResponse {
    /// The status; cacheable for a second.
    #[oai(status = 200)]
    Ok(Json<PublicStatus>, #[oai(header = "Cache-Control")] String),
}

/// The public operations.
pub struct StatusApi;

#[OpenApi(tag = "ApiTags::Status")]
impl StatusApi {
    /// Is the site down?
    ///
    /// Public, no login: whether maintenance is active, and what visitors are told. The
    /// maintenance page polls it, and a site may use it to show a banner before a window.
    #[oai(path = "/status", method = "get", operation_id = "getStatus")]
    async fn status(&self, service: Data<&StateService>) -> StatusResponse {
        let state = service.live().load();
        let phase = state.phase();
        StatusResponse::Ok(
            Json(PublicStatus {
                active: phase == Phase::Active,
                phase: phase.into(),
                mode: state.window.mode.into(),
                message: state.window.message.clone(),
                starts_at: state.window.starts_at,
                ends_at: state.window.ends_at,
                retry_after: state.window.retry_after_secs,
                version: state.version,
            }),
            "public, max-age=1".into(),
        )
    }
}
