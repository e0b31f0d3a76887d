//! Webhook deliveries: one row per change of the state and webhook URL.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One change to send to one URL: its claim, its attempts and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    /// The delivery id (32 hex digits), sent as `Downtime-Delivery` with every attempt.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The change: a `maintenance_audit` row.
    pub audit_id: i64,
    /// SHA-256 of the webhook URL, hex: the URL itself may hold a token.
    pub target: String,
    /// The URL without credentials or query, for people reading the table.
    pub endpoint: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: ChronoDateTimeUtc,
    /// The process making an attempt now, if one is.
    pub claimed_by: Option<String>,
    /// When that claim lapses, so another replica may take over from one that died.
    pub claimed_until: Option<ChronoDateTimeUtc>,
    /// When the row was made.
    pub created_at: ChronoDateTimeUtc,
    /// When the receiver accepted it.
    pub delivered_at: Option<ChronoDateTimeUtc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
