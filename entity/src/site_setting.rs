//! What the servers say about the site, for the CLI to read (the public URL).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A named value; the latest writer wins.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "site_setting")]
pub struct Model {
    /// What the value is.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The value.
    pub value: String,
    /// When it was written.
    pub updated_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
