//! Webhook deliveries: one row per event (a change of the state, a window that starts or
//! ends…) and webhook URL.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One event to send to one URL: its claim, its attempts and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    /// The delivery id (32 hex digits), sent as `Downtime-Delivery` with every attempt.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The change the event is about (for a change, the change itself): a
    /// `maintenance_audit` row.
    pub audit_id: i64,
    /// The event's name: `maintenance.changed`, `maintenance.started`…
    pub event: String,
    /// What names the event on every replica, so that replicas recording it at once keep one
    /// row per URL: `maintenance.changed:<audit id>`, `maintenance.started:at:<time>`…
    pub event_key: String,
    /// The body as recorded, for events the audit log cannot rebuild; `None` for a change,
    /// whose body is made from its audit row.
    pub body: Option<String>,
    /// SHA-256 of the webhook URL, hex: the URL itself may hold a token.
    pub target: String,
    /// The URL without credentials or query, for people reading the table.
    pub endpoint: String,
    /// `queued`, `delivered` or `failed` (given up).
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
