//! Sessions ended before their time (logout): every replica refuses their cookies.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One ended session, kept until its cookie would have expired anyway.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "session_revocation")]
pub struct Model {
    /// The session's random id, as its cookie holds it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: String,
    /// When the cookie would have expired: the row can go then.
    pub expires_at: ChronoDateTimeUtc,
    /// When it was ended.
    pub revoked_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
