//! The single row holding the current maintenance state.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The id of the only row in `maintenance_state`.
pub const SINGLETON_ID: i32 = 1;

/// One row per site (always [`SINGLETON_ID`]); `version` grows by one on every change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "maintenance_state")]
pub struct Model {
    /// Always [`SINGLETON_ID`].
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// Whether maintenance is switched on (it may still wait for `starts_at`).
    pub enabled: bool,
    /// `full`, `read_only` or `hold`.
    pub mode: String,
    /// The operator's message shown to visitors.
    pub message: Option<String>,
    /// When a scheduled window begins; none means immediately.
    pub starts_at: Option<ChronoDateTimeUtc>,
    /// When the window ends by itself; none means until switched off.
    pub ends_at: Option<ChronoDateTimeUtc>,
    /// `Retry-After` in seconds when no end time is known.
    pub retry_after_secs: i32,
    /// Client addresses (CIDR) let through, as a JSON array of strings.
    pub allowed_ips: String,
    /// Extra path prefixes kept open, as a JSON array of strings.
    pub open_paths: String,
    /// The status gated requests are answered with.
    pub status_code: i32,
    /// The only path prefixes the window closes, as a JSON array of strings (empty: all).
    pub scope: String,
    /// In a hold window, the longest a request waits, in seconds.
    pub hold_timeout_secs: i32,
    /// Monotonic version, the ETag of the state.
    pub version: i64,
    /// Who made the last change.
    pub updated_by: String,
    /// When the last change was made.
    pub updated_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
