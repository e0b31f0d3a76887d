//! Bypass links: secret URLs that let someone without an account past the gate for a while.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One bypass link. The row is its record too: who made it and who revoked it, kept after it
/// expires (for a while) so the list says what happened.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "bypass_link")]
pub struct Model {
    /// The link's public id (16 hex digits), shown in lists and named to revoke it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// SHA-256 of the link's secret, base64url: the secret itself is never stored.
    pub token_hash: String,
    /// What it is for, in the creator's words.
    pub label: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: ChronoDateTimeUtc,
    /// When it stops letting anyone in.
    pub expires_at: ChronoDateTimeUtc,
    /// Who revoked it, if someone did.
    pub revoked_by: Option<String>,
    /// When.
    pub revoked_at: Option<ChronoDateTimeUtc>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
