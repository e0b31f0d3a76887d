//! The answers to the ACME challenges of orders in flight, for whichever replica is asked.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One challenge's answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "acme_challenge")]
pub struct Model {
    /// `http-01:<token>` or `tls-alpn-01:<domain>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The domain being validated.
    pub domain: String,
    /// The key authorization (RFC 8555, 8.1): public, it is what the ACME server reads.
    pub key_authorization: String,
    /// When the answer is no longer needed.
    pub expires_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
