//! Secrets generated once and shared by every replica (the session cookie key).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A named secret, base64-encoded.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "server_secret")]
pub struct Model {
    /// What the secret is for.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The secret, base64.
    pub value: String,
    /// When it was generated.
    pub created_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
