//! Principals recorded as superusers (`downtime superuser add`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One superuser rule: an e-mail address, an issuer + subject, or an OAuth client id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "superuser")]
pub struct Model {
    /// Insertion order.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `email`, `subject` or `client`.
    pub kind: String,
    /// The issuer, for `subject`; empty otherwise.
    pub issuer: String,
    /// The e-mail (lower case), subject or client id.
    pub value: String,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
