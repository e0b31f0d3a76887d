//! The append-only audit log: one row per change of the maintenance state.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Who changed what, when and why, with the state before and after.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "maintenance_audit")]
pub struct Model {
    /// Insertion order.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The state version this change produced.
    pub version: i64,
    /// Who made the change (`cli:<user>`, `environment`, a login subject…).
    pub actor: String,
    /// The reason given with the change, if any.
    pub reason: Option<String>,
    /// When the change was committed.
    pub at: ChronoDateTimeUtc,
    /// The state before the change, as JSON.
    pub before: Json,
    /// The state after the change, as JSON.
    pub after: Json,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
