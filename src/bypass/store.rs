//! The `bypass_link` table's one owner: links are created, listed, revoked and looked up here
//! and nowhere else.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound as _, TimeDelta, Utc};
use entity::bypass_link as row;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel as _, QueryFilter, QueryOrder, QuerySelect,
};

use super::link::{self, BypassError, BypassLink, LinkRequest, LinkStatus, NewLink};
use crate::state::{Reader, StateService};

/// How long expired and revoked links stay listed, as the record of who made and ended them.
const KEPT_FOR: TimeDelta = TimeDelta::days(90);

/// The `bypass_link` table: the one way to create, list, revoke and look up links, for the
/// CLI and the server alike ([`BypassLinks`](super::BypassLinks) writes through it). Cheap to
/// clone.
#[derive(Clone, Debug)]
pub struct LinkStore {
    db: DatabaseConnection,
    /// Where the follower reads the active links: the change listener's connection.
    reader: Reader,
}

impl LinkStore {
    /// The table in `service`'s database.
    pub fn new(service: &StateService) -> Self {
        LinkStore {
            db: service.db().clone(),
            reader: service.reader().clone(),
        }
    }

    /// Creates a link, recording who made it. It counts on the other replicas (and on this
    /// one's [`BypassLinks`](super::BypassLinks)) once they hear of the change;
    /// [`BypassLinks::create`](super::BypassLinks::create) counts here at once.
    ///
    /// # Errors
    /// The request is invalid, or the database fails.
    pub async fn create(&self, request: LinkRequest, actor: &str) -> Result<NewLink, BypassError> {
        let request = request.validate()?;
        let now = Utc::now().trunc_subsecs(6);
        let ttl = TimeDelta::from_std(request.ttl).map_err(|_| BypassError::Invalid {
            field: "ttl",
            message: "too long".into(),
        })?;
        let (id, secret) = link::generate_token();
        let model = row::ActiveModel {
            id: Set(id.clone()),
            token_hash: Set(link::digest(&secret)),
            label: Set(request.label),
            created_by: Set(actor.to_owned()),
            created_at: Set(now),
            expires_at: Set(now + ttl),
            revoked_by: Set(None),
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        // Links long gone leave the record on the way.
        row::Entity::delete_many()
            .filter(row::Column::ExpiresAt.lt(now - KEPT_FOR))
            .exec(&self.db)
            .await?;
        let link = BypassLink::from(model);
        tracing::info!(target: "downtime::bypass", id = %link.id, actor, expires_at = %link.expires_at, "bypass link created");
        Ok(NewLink {
            link,
            token: link::token(&id, &secret),
            next: request.next,
        })
    }

    /// Every link still on record, newest first.
    ///
    /// # Errors
    /// The database fails.
    pub async fn list(&self) -> Result<Vec<BypassLink>, DbErr> {
        let rows = row::Entity::find()
            .order_by_desc(row::Column::CreatedAt)
            .order_by_asc(row::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(BypassLink::from).collect())
    }

    /// Revokes link `id`, recording who did; revoking it again changes nothing.
    ///
    /// # Errors
    /// [`BypassError::NotFound`], or the database fails.
    pub async fn revoke(&self, id: &str, actor: &str) -> Result<BypassLink, BypassError> {
        let found = row::Entity::find_by_id(id.to_owned()).one(&self.db).await?;
        let model = found.ok_or_else(|| BypassError::NotFound(id.to_owned()))?;
        if model.revoked_at.is_some() {
            return Ok(model.into());
        }
        let mut active = model.into_active_model();
        active.revoked_by = Set(Some(actor.to_owned()));
        active.revoked_at = Set(Some(Utc::now().trunc_subsecs(6)));
        let link = BypassLink::from(active.update(&self.db).await?);
        tracing::info!(target: "downtime::bypass", id = %link.id, actor, "bypass link revoked");
        Ok(link)
    }

    /// The active link `token` opens, if any.
    pub(super) async fn find_by_token(&self, token: &str) -> Result<Option<BypassLink>, DbErr> {
        let Some((id, secret)) = link::parse_token(token) else {
            return Ok(None);
        };
        let Some(model) = row::Entity::find_by_id(id.to_ascii_lowercase())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let matches = link::secret_matches(secret, &model.token_hash);
        let link = BypassLink::from(model);
        Ok((matches && link.status(Utc::now()) == LinkStatus::Active).then_some(link))
    }

    /// The active links' ids and ends.
    pub(super) async fn active(&self) -> Result<HashMap<String, DateTime<Utc>>, DbErr> {
        row::Entity::find()
            .select_only()
            .column(row::Column::Id)
            .column(row::Column::ExpiresAt)
            .filter(row::Column::RevokedAt.is_null())
            .filter(row::Column::ExpiresAt.gt(Utc::now()))
            .into_tuple::<(String, DateTime<Utc>)>()
            .all(&self.reader)
            .await
            .map(|links| links.into_iter().collect())
    }
}

impl From<row::Model> for BypassLink {
    fn from(r: row::Model) -> Self {
        BypassLink {
            id: r.id,
            label: r.label,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_by: r.revoked_by,
            revoked_at: r.revoked_at,
        }
    }
}
