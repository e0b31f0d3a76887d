//! Sessions ended by logout. The cookie itself cannot be taken back, so every replica keeps the
//! ended sessions' ids in memory (followed from the database like the superusers) and refuses
//! their cookies: a copied cookie stops working everywhere, not only in the browser that
//! logged out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use entity::session_revocation as row;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::{Follower, Reader, Reload, StateService};

/// The ids of sessions ended before their cookies expire, with when those would have expired:
/// the one owner of the `session_revocation` table.
#[derive(Clone)]
pub(super) struct Revoked {
    db: DatabaseConnection,
    /// Where the follower reads the ended sessions: the change listener's connection.
    reader: Reader,
    ids: Arc<ArcSwap<HashMap<String, DateTime<Utc>>>>,
}

impl Revoked {
    /// The ended sessions of `service`'s database whose cookies have not expired yet.
    pub(super) async fn load(service: &StateService) -> Result<Self, DbErr> {
        let reader = service.reader().clone();
        Ok(Revoked {
            ids: Arc::new(ArcSwap::from_pointee(list(&reader).await?)),
            db: service.db().clone(),
            reader,
        })
    }

    /// Whether session `id` was ended.
    pub(super) fn contains(&self, id: &str) -> bool {
        self.ids.load().contains_key(id)
    }

    /// Ends session `id` here at once, and in the database for the other replicas. Rows whose
    /// cookies have expired go at the same time.
    pub(super) async fn revoke(&self, id: &str, expires_at: DateTime<Utc>) -> Result<(), DbErr> {
        self.ids.rcu(|ids| {
            let mut ids = HashMap::clone(ids);
            ids.insert(id.to_owned(), expires_at);
            ids
        });
        let now = Utc::now();
        row::Entity::insert(row::ActiveModel {
            session_id: Set(id.to_owned()),
            expires_at: Set(expires_at),
            revoked_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(row::Column::SessionId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        row::Entity::delete_many()
            .filter(row::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Reloads the ended sessions when `changes` says the database moved, and every `every`
    /// in case it cannot, so a logout on another replica counts here.
    pub(super) fn follow(&self, every: Duration, changes: watch::Receiver<()>) -> JoinHandle<()> {
        Follower::new("the ended sessions", every, changes).spawn(self.clone())
    }
}

impl Reload for Revoked {
    type Error = DbErr;

    async fn reload(&mut self) -> Result<(), DbErr> {
        let stored = list(&self.reader).await?;
        // A merge, never a replacement: a read that started before this replica's own
        // logout committed must not forget it. Only expiry removes an id.
        let now = Utc::now();
        self.ids.rcu(|current| {
            let mut merged = stored.clone();
            for (id, expires) in current.iter() {
                if *expires > now {
                    merged.entry(id.clone()).or_insert(*expires);
                }
            }
            merged
        });
        Ok(())
    }
}

async fn list(db: &Reader) -> Result<HashMap<String, DateTime<Utc>>, DbErr> {
    row::Entity::find()
        .select_only()
        .column(row::Column::SessionId)
        .column(row::Column::ExpiresAt)
        .filter(row::Column::ExpiresAt.gt(Utc::now()))
        .into_tuple::<(String, DateTime<Utc>)>()
        .all(db)
        .await
        .map(|ids| ids.into_iter().collect())
}
