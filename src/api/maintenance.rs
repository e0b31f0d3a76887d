//! `GET`/`PUT`/`PATCH /api/maintenance` and `GET /api/maintenance/history`: the switch, for
//! superusers.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::{Example, MaybeUndefined};
use poem_openapi::{ApiRequest, ApiResponse, Enum, Object, OpenApi};

use super::ApiTags;
use super::error::{ApiError, ReadError};
use super::security::ApiAuth;
use crate::http::{FieldError, etag};
use crate::state::{
    AuditEntry, Change, DEFAULT_HOLD_TIMEOUT_SECS, DEFAULT_RETRY_AFTER_SECS, DEFAULT_STATUS_CODE,
    MaintenanceState, Mode, Phase, StateService, StoreError, Window, WindowInput,
};

/// Settings of the control API.
#[derive(Clone, Copy, Debug, Default)]
pub struct ApiSettings {
    /// Refuse writes without `If-Match` (428).
    pub require_if_match: bool,
}

/// How much of the site a window closes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
#[oai(rename = "Mode", rename_all = "snake_case")]
pub enum ApiMode {
    /// Everything behind the gate is closed to visitors.
    #[default]
    Full,
    /// Visitors may read (GET, HEAD, OPTIONS); writes are refused.
    ReadOnly,
    /// Requests `full` would refuse wait (up to `hold_timeout` seconds each) and go on when
    /// the window ends; past their timeout they are answered as in `full`.
    Hold,
}

impl From<Mode> for ApiMode {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Full => ApiMode::Full,
            Mode::ReadOnly => ApiMode::ReadOnly,
            Mode::Hold => ApiMode::Hold,
        }
    }
}

impl From<ApiMode> for Mode {
    fn from(mode: ApiMode) -> Self {
        match mode {
            ApiMode::Full => Mode::Full,
            ApiMode::ReadOnly => Mode::ReadOnly,
            ApiMode::Hold => Mode::Hold,
        }
    }
}

/// Where a window stands now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[oai(rename = "Phase", rename_all = "snake_case")]
pub enum ApiPhase {
    /// Switched off.
    Off,
    /// Switched on, waiting for `starts_at`.
    Scheduled,
    /// Gating visitors now.
    Active,
    /// Switched on, but `ends_at` has passed.
    Ended,
}

impl From<Phase> for ApiPhase {
    fn from(phase: Phase) -> Self {
        match phase {
            Phase::Off => ApiPhase::Off,
            Phase::Scheduled => ApiPhase::Scheduled,
            Phase::Active => ApiPhase::Active,
            Phase::Ended => ApiPhase::Ended,
        }
    }
}

/// The whole maintenance state.
#[derive(Clone, Debug, Object)]
#[oai(rename = "Maintenance", example)]
pub struct MaintenanceView {
    /// Maintenance is switched on (a scheduled window may still wait for `starts_at`).
    pub enabled: bool,
    /// Visitors are gated right now.
    pub active: bool,
    /// Where the window stands now.
    pub phase: ApiPhase,
    /// Full, read-only or hold.
    pub mode: ApiMode,
    /// The message visitors see, as plain text; absent when there is none.
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    /// When a scheduled window begins (RFC 3339); absent means at once.
    #[oai(skip_serializing_if_is_none)]
    pub starts_at: Option<DateTime<Utc>>,
    /// When the window ends by itself (RFC 3339); absent means until switched off.
    #[oai(skip_serializing_if_is_none)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Seconds clients are told to wait (`Retry-After`) while no end time is known.
    pub retry_after: u32,
    /// Client networks (CIDR) let through during the window.
    pub allowed_ips: Vec<String>,
    /// Extra path prefixes kept open during the window.
    pub open_paths: Vec<String>,
    /// The only path prefixes the window closes; empty, the whole site.
    pub scope: Vec<String>,
    /// The status gated requests are answered with (503, another 5xx, or 200).
    pub status_code: u16,
    /// In a hold window, the longest a request waits, in seconds.
    pub hold_timeout: u32,
    /// The version, which grows with every change; the `ETag` is `"v<version>"`.
    pub version: i64,
    /// Who made the last change.
    pub updated_by: String,
    /// When the last change was made.
    pub updated_at: DateTime<Utc>,
}

impl MaintenanceView {
    fn new(state: &MaintenanceState, now: DateTime<Utc>) -> Self {
        let phase = state.phase(now);
        MaintenanceView {
            enabled: state.window.enabled,
            active: phase == Phase::Active,
            phase: phase.into(),
            mode: state.window.mode.into(),
            message: state.window.message.clone(),
            starts_at: state.window.starts_at,
            ends_at: state.window.ends_at,
            retry_after: state.window.retry_after_secs,
            allowed_ips: state
                .window
                .allowed_ips
                .iter()
                .map(ToString::to_string)
                .collect(),
            open_paths: state.window.open_paths.clone(),
            scope: state.window.scope.clone(),
            status_code: state.window.status_code,
            hold_timeout: state.window.hold_timeout_secs,
            version: state.version,
            updated_by: state.updated_by.clone(),
            updated_at: state.updated_at,
        }
    }
}

impl Example for MaintenanceView {
    fn example() -> Self {
        let at = |s: &str| s.parse().unwrap_or(DateTime::UNIX_EPOCH);
        MaintenanceView {
            enabled: true,
            active: true,
            phase: ApiPhase::Active,
            mode: ApiMode::Full,
            message: Some("We are upgrading the database. Back by 02:45 UTC.".into()),
            starts_at: None,
            ends_at: Some(at("2026-12-01T02:45:00Z")),
            retry_after: 300,
            allowed_ips: vec!["203.0.113.0/24".into()],
            open_paths: vec!["/status".into()],
            scope: vec![],
            status_code: 503,
            hold_timeout: 30,
            version: 42,
            updated_by: "ada@example.com".into(),
            updated_at: at("2026-12-01T02:00:00Z"),
        }
    }
}

/// A whole new state: fields left out take their defaults (off, full, no message, no window,
/// 300 s, no allowed addresses or open paths).
#[derive(Clone, Debug, Object)]
#[oai(rename = "MaintenanceUpdate", deny_unknown_fields, example)]
pub struct MaintenanceUpdate {
    /// Switch maintenance on or off.
    pub enabled: bool,
    /// `full` (default), `read_only` or `hold`.
    #[oai(default)]
    pub mode: ApiMode,
    /// The message visitors see, as plain text (HTML is shown as text).
    pub message: Option<String>,
    /// When the window begins (RFC 3339); leave out to begin at once.
    pub starts_at: Option<DateTime<Utc>>,
    /// When the window ends (RFC 3339), after `starts_at`; leave out to stay on until switched off.
    pub ends_at: Option<DateTime<Utc>>,
    /// Seconds clients are told to wait while no end time is known (default 300).
    pub retry_after: Option<u32>,
    /// Client networks let through, in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`, or an address).
    #[oai(default)]
    pub allowed_ips: Vec<String>,
    /// Extra path prefixes kept open, such as `/status`, written as the gate reads paths
    /// (`/caf%C3%A9`, not `/café` or `/a/./b`).
    #[oai(default)]
    pub open_paths: Vec<String>,
    /// Close only these path prefixes, such as `/checkout`; leave out to close the whole site.
    #[oai(default)]
    pub scope: Vec<String>,
    /// The status gated requests are answered with: 503 (default), another 5xx, or 200 for
    /// load balancers that need it.
    pub status_code: Option<u16>,
    /// In a hold window, the longest a request waits before it is answered as in `full`, in
    /// seconds (default 30).
    pub hold_timeout: Option<u32>,
}

impl Example for MaintenanceUpdate {
    fn example() -> Self {
        MaintenanceUpdate {
            enabled: true,
            mode: ApiMode::Full,
            message: Some("We are upgrading the database. Back by 02:45 UTC.".into()),
            starts_at: None,
            ends_at: "2026-12-01T02:45:00Z".parse().ok(),
            retry_after: None,
            allowed_ips: vec![],
            open_paths: vec![],
            scope: vec![],
            status_code: None,
            hold_timeout: None,
        }
    }
}

/// A JSON merge patch (RFC 7396): only the fields sent change; `null` clears a field (back to
/// its default).
#[derive(Clone, Debug, Object)]
#[oai(rename = "MaintenancePatch", deny_unknown_fields, example)]
pub struct MaintenancePatch {
    /// Switch maintenance on or off (cannot be `null`).
    pub enabled: MaybeUndefined<bool>,
    /// `full`, `read_only` or `hold`; `null` means `full`.
    pub mode: MaybeUndefined<ApiMode>,
    /// The message visitors see; `null` removes it.
    pub message: MaybeUndefined<String>,
    /// When the window begins; `null` means at once.
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    /// When the window ends; `null` means until switched off.
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    /// Seconds clients are told to wait; `null` means 300.
    pub retry_after: MaybeUndefined<u32>,
    /// Client networks let through (replaces the whole list); `null` empties it.
    pub allowed_ips: MaybeUndefined<Vec<String>>,
    /// Extra open path prefixes (replaces the whole list); `null` empties it.
    pub open_paths: MaybeUndefined<Vec<String>>,
    /// The only path prefixes closed (replaces the whole list); `null` closes the whole site.
    pub scope: MaybeUndefined<Vec<String>>,
    /// The status gated requests are answered with; `null` means 503.
    pub status_code: MaybeUndefined<u16>,
    /// In a hold window, the longest a request waits, in seconds; `null` means 30.
    pub hold_timeout: MaybeUndefined<u32>,
}

impl Example for MaintenancePatch {
    fn example() -> Self {
        MaintenancePatch {
            enabled: MaybeUndefined::Value(true),
            mode: MaybeUndefined::Undefined,
            message: MaybeUndefined::Undefined,
            starts_at: MaybeUndefined::Undefined,
            ends_at: MaybeUndefined::Undefined,
            retry_after: MaybeUndefined::Undefined,
            allowed_ips: MaybeUndefined::Undefined,
            open_paths: MaybeUndefined::Undefined,
            scope: MaybeUndefined::Undefined,
            status_code: MaybeUndefined::Undefined,
            hold_timeout: MaybeUndefined::Undefined,
        }
    }
}

/// A merge patch, as `application/merge-patch+json` (or plain `application/json`).
#[derive(Debug, ApiRequest)]
pub enum PatchBody {
    /// RFC 7396 merge patch.
    #[oai(content_type = "application/merge-patch+json")]
    MergePatch(Json<MaintenancePatch>),
    /// The same document sent as plain JSON.
    Json(Json<MaintenancePatch>),
}

/// One change of the state, from the audit log.
#[derive(Clone, Debug, Object)]
#[oai(rename = "AuditEntry")]
pub struct AuditRecord {
    /// The entry's id (higher is newer).
    pub id: i64,
    /// The state version this change produced.
    pub version: i64,
    /// Who made it: a verified e-mail, `client:<id>`, `cli:<user>` or `environment`.
    pub actor: String,
    /// The reason they gave; absent when none was.
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    /// When it was committed.
    pub at: DateTime<Utc>,
    /// The state before the change.
    pub before: serde_json::Value,
    /// The state after the change.
    pub after: serde_json::Value,
}

impl From<AuditEntry> for AuditRecord {
    fn from(e: AuditEntry) -> Self {
        // The states as stored: the same field names as the state's own JSON.
        let json = |state: &MaintenanceState| serde_json::to_value(state).unwrap_or_default();
        AuditRecord {
            id: e.id,
            version: e.version,
            before: json(&e.before),
            after: json(&e.after),
            actor: e.actor,
            reason: e.reason,
            at: e.at,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Clone, Debug, Object)]
#[oai(rename = "AuditPage")]
pub struct AuditPage {
    /// The entries, newest first.
    pub items: Vec<AuditRecord>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// The state and its version.
#[derive(ApiResponse)]
pub enum StateResponse {
    /// The current state; `ETag` names its version, for `If-Match` on the next write.
    #[oai(status = 200)]
    Ok(
        Json<MaintenanceView>,
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

/// A page of the audit log.
#[derive(ApiResponse)]
pub enum HistoryResponse {
    /// Entries, newest first.
    #[oai(status = 200)]
    Ok(Json<AuditPage>, #[oai(header = "Cache-Control")] String),
}

fn state_response(state: &MaintenanceState) -> StateResponse {
    StateResponse::Ok(
        Json(MaintenanceView::new(state, Utc::now())),
        etag(state.version),
        "no-store".into(),
    )
}

/// The maintenance operations.
pub struct MaintenanceApi;

#[OpenApi(tag = "ApiTags::Maintenance")]
impl MaintenanceApi {
    /// Read the maintenance state
    ///
    /// The whole state, with an `ETag` to send back as `If-Match` when changing it.
    #[oai(path = "/maintenance", method = "get", operation_id = "getMaintenance")]
    async fn get(
        &self,
        _superuser: ApiAuth,
        service: Data<&StateService>,
    ) -> Result<StateResponse, ReadError> {
        let state = service.current().await?;
        Ok(state_response(&state))
    }

    /// Replace the maintenance state
    ///
    /// Sets every field at once (left-out fields take their defaults). Send `If-Match` with the
    /// `ETag` you read, so a concurrent change is not overwritten (412 if it was). The change
    /// is recorded in the audit log with your identity and `reason`.
    #[oai(path = "/maintenance", method = "put", operation_id = "putMaintenance")]
    async fn put(
        &self,
        auth: ApiAuth,
        service: Data<&StateService>,
        settings: Data<&ApiSettings>,
        /// The `ETag` of the state this change is based on, such as `"v42"` (or `*`).
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        /// Why, for the audit log (at most 500 characters).
        #[oai(validator(max_length = 500))]
        reason: Query<Option<String>>,
        body: Json<MaintenanceUpdate>,
    ) -> Result<StateResponse, ApiError> {
        let principal = auth.principal();
        // A bad body is refused before the version is compared, as the admin page does.
        let new = body.0.into_input().over(&Window::off(), Utc::now())?;
        let expected = precondition(if_match.0.as_deref(), **settings, service.version()).await?;
        let change = Change::by(principal.actor())
            .because(reason.0)
            .if_version(expected);
        let state = service.apply(new, change).await?;
        Ok(state_response(&state))
    }

    /// Change some fields of the maintenance state
    ///
    /// A JSON merge patch (RFC 7396): send only what changes, such as `{"enabled": true}`;
    /// `null` clears a field. Same validation, `If-Match` and audit as PUT.
    ///
    /// A patch that switches maintenance on or off means what on and off mean everywhere
    /// (the CLI, the admin page): `{"enabled": false}` ends the window (its times, message,
    /// mode and scope go; allowed addresses, open paths, status code and `retry_after` stay for
    /// the next one), and `{"enabled": true}` starts one now from what is stored, keeping an end
    /// still ahead unless the patch gives times.
    #[oai(
        path = "/maintenance",
        method = "patch",
        operation_id = "patchMaintenance"
    )]
    async fn patch(
        &self,
        auth: ApiAuth,
        service: Data<&StateService>,
        settings: Data<&ApiSettings>,
        /// The `ETag` of the state this change is based on, such as `"v42"` (or `*`).
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        /// Why, for the audit log (at most 500 characters).
        #[oai(validator(max_length = 500))]
        reason: Query<Option<String>>,
        body: PatchBody,
    ) -> Result<StateResponse, ApiError> {
        let principal = auth.principal();
        let patch = match body {
            PatchBody::MergePatch(Json(p)) | PatchBody::Json(Json(p)) => p,
        };
        if patch.enabled.is_null() {
            return Err(ApiError::invalid(vec![FieldError::new(
                "enabled",
                "cannot be null: send true or false",
            )]));
        }
        let expected = precondition(if_match.0.as_deref(), **settings, service.version()).await?;
        let change = Change::by(principal.actor())
            .because(reason.0)
            .if_version(expected);
        let state = service.patch(patch.into_input(), change).await?;
        Ok(state_response(&state))
    }

    /// Read the audit log
    ///
    /// Every change, newest first: who, when, why, and the state before and after. Pages are
    /// linked by `next_cursor`.
    #[oai(
        path = "/maintenance/history",
        method = "get",
        operation_id = "getMaintenanceHistory"
    )]
    async fn history(
        &self,
        _superuser: ApiAuth,
        service: Data<&StateService>,
        /// How many entries (1 to 100, default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<HistoryResponse, ReadError> {
        let before =
            match cursor.0.as_deref() {
                None => None,
                Some(c) => Some(c.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                    ReadError::bad_request("cursor is not one this API gave out")
                })?),
            };
        let limit = limit.0.unwrap_or(crate::state::DEFAULT_HISTORY);
        // One more than asked tells whether an older page exists.
        let mut entries = service.history(limit + 1, before).await?;
        let more = entries.len() as u64 > limit;
        entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = more
            .then(|| entries.last().map(|e| e.id.to_string()))
            .flatten();
        Ok(HistoryResponse::Ok(
            Json(AuditPage {
                items: entries.into_iter().map(AuditRecord::from).collect(),
                next_cursor,
            }),
            "no-store".into(),
        ))
    }
}

/// The version `If-Match` names: `None` for `*` or no header (unless one is required).
/// `current` is awaited only when a version must be compared.
async fn precondition(
    if_match: Option<&str>,
    settings: ApiSettings,
    current: impl Future<Output = Result<i64, StoreError>>,
) -> Result<Option<i64>, ApiError> {
    let Some(header) = if_match else {
        return if settings.require_if_match {
            Err(ApiError::if_match_required())
        } else {
            Ok(None)
        };
    };
    let tags: Vec<&str> = header.split(',').map(str::trim).collect();
    if tags.contains(&"*") {
        return Ok(None);
    }
    let current = current.await?;
    if tags.contains(&etag(current).as_str()) {
        Ok(Some(current))
    } else {
        Err(ApiError::stale(current))
    }
}

impl MaintenanceUpdate {
    /// Every field given: left-out fields are their defaults.
    fn into_input(self) -> WindowInput {
        WindowInput {
            enabled: Some(self.enabled),
            mode: Some(self.mode.into()),
            message: Some(self.message.unwrap_or_default()),
            starts_at: Some(self.starts_at),
            ends_at: Some(self.ends_at),
            retry_after_secs: Some(self.retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS)),
            allowed_ips: Some(self.allowed_ips),
            open_paths: Some(self.open_paths),
            scope: Some(self.scope),
            status_code: Some(self.status_code.unwrap_or(DEFAULT_STATUS_CODE)),
            hold_timeout_secs: Some(self.hold_timeout.unwrap_or(DEFAULT_HOLD_TIMEOUT_SECS)),
        }
    }
}

impl MaintenancePatch {
    /// What the patch names: a value, or `null` for the field's default.
    fn into_input(self) -> WindowInput {
        fn given<T>(field: MaybeUndefined<T>, default: T) -> Option<T> {
            match field {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(default),
                MaybeUndefined::Value(value) => Some(value),
            }
        }
        WindowInput {
            enabled: self.enabled.take(),
            mode: given(self.mode, ApiMode::Full).map(Mode::from),
            message: given(self.message, String::new()),
            starts_at: given(self.starts_at.map_value(Some), None),
            ends_at: given(self.ends_at.map_value(Some), None),
            retry_after_secs: given(self.retry_after, DEFAULT_RETRY_AFTER_SECS),
            allowed_ips: given(self.allowed_ips, Vec::new()),
            open_paths: given(self.open_paths, Vec::new()),
            scope: given(self.scope, Vec::new()),
            status_code: given(self.status_code, DEFAULT_STATUS_CODE),
            hold_timeout_secs: given(self.hold_timeout, DEFAULT_HOLD_TIMEOUT_SECS),
        }
    }
}
