//! The account downtime holds at each ACME server.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An ACME account: its URL and key, sealed with the secret key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "acme_account")]
pub struct Model {
    /// The ACME server's directory URL.
    #[sea_orm(primary_key, auto_increment = false)]
    pub directory: String,
    /// The account's credentials (its URL and private key), sealed.
    pub sealed_credentials: String,
    /// When it was made.
    pub created_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
