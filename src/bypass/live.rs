//! The live bypass links of one process: the active links kept in memory, followed from the
//! database, so the gate answers from memory and a revocation anywhere counts here too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use poem::Request;
use poem::http::HeaderValue;
use poem::web::cookie::CookieKey;
use sea_orm::DbErr;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::cookie::{BypassCookie, CookieSettings};
use super::link::{self, BypassError, BypassLink, LinkRequest, NewLink};
use super::store::LinkStore;
use crate::state::{Follower, Reload, StateService};

/// The live bypass links of one process: what the gate asks, and what opens and revokes them
/// here. Cheap to clone.
#[derive(Clone)]
pub struct BypassLinks {
    inner: Arc<Inner>,
}

struct Inner {
    store: LinkStore,
    /// Active links' ids and ends: what the gate reads, without locks.
    active: ArcSwap<HashMap<String, DateTime<Utc>>>,
    cookie: BypassCookie,
    /// Orders reloads with this process's own opens and revocations, so a reload that read
    /// the table before one of them cannot undo it in memory.
    writes: tokio::sync::Mutex<()>,
}

impl BypassLinks {
    /// The active links of `service`'s database, with cookies signed by `key` (the site's
    /// secret key).
    ///
    /// # Errors
    /// The database fails.
    pub async fn load(
        service: &StateService,
        key: &CookieKey,
        cookie: CookieSettings,
    ) -> Result<Self, DbErr> {
        let cookie = BypassCookie::new(key, cookie).map_err(|e| DbErr::Custom(e.to_string()))?;
        let store = LinkStore::new(service);
        Ok(BypassLinks {
            inner: Arc::new(Inner {
                active: ArcSwap::from_pointee(store.active().await?),
                store,
                cookie,
                writes: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Reloads the active links when `changes` says the database moved, and every `every` in
    /// case it cannot: links revoked on another replica or by the CLI stop working here too.
    pub fn follow(&self, every: Duration, changes: watch::Receiver<()>) -> JoinHandle<()> {
        Follower::new("the bypass links", every, changes)
            .spawn(ActiveLinks(Arc::clone(&self.inner)))
    }

    /// Whether `req` carries the cookie of a link that is active now. No I/O: a signature check
    /// and a lookup in memory.
    pub fn holds(&self, req: &Request) -> bool {
        self.inner.cookie.signed_id(req).is_some_and(|id| {
            self.inner
                .active
                .load()
                .get(id)
                .is_some_and(|end| *end > Utc::now())
        })
    }

    /// Opens the link `token` names: its record and the `Set-Cookie` value that lets the
    /// browser past the gate until the link ends; `None` for an unknown, expired or revoked
    /// link.
    ///
    /// # Errors
    /// The database fails.
    pub async fn open(&self, token: &str) -> Result<Option<(BypassLink, HeaderValue)>, DbErr> {
        // Guessed and stale tokens are answered from memory: no lock, no query, so a flood of
        // them neither slows real visits nor holds up a revocation. A link made elsewhere a
        // moment ago is known here as soon as the change reaches this replica.
        let known = link::parse_token(token).is_some_and(|(id, _)| {
            self.inner
                .active
                .load()
                .contains_key(&id.to_ascii_lowercase())
        });
        if !known {
            return Ok(None);
        }
        let _ordered = self.inner.writes.lock().await;
        let Some(link) = self.inner.store.find_by_token(token).await? else {
            return Ok(None);
        };
        // This replica may not have heard of the link yet: its next request must pass.
        self.remember(&link);
        let cookie = self
            .inner
            .cookie
            .set_cookie(&link, Utc::now())
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        Ok(Some((link, cookie)))
    }

    /// Creates a link ([`LinkStore::create`]), which counts here at once.
    ///
    /// # Errors
    /// The request is invalid, or the database fails.
    pub async fn create(&self, request: LinkRequest, actor: &str) -> Result<NewLink, BypassError> {
        let _ordered = self.inner.writes.lock().await;
        let made = self.inner.store.create(request, actor).await?;
        // Known here at once: the link is opened from memory first, and its first visitor
        // may come before this replica hears of the change.
        self.remember(&made.link);
        Ok(made)
    }

    /// Every link on record, newest first ([`LinkStore::list`]).
    ///
    /// # Errors
    /// The database fails.
    pub async fn list(&self) -> Result<Vec<BypassLink>, DbErr> {
        self.inner.store.list().await
    }

    /// Revokes link `id` here at once, and in the database for the other replicas.
    ///
    /// # Errors
    /// [`BypassError::NotFound`], or the database fails.
    pub async fn revoke(&self, id: &str, actor: &str) -> Result<BypassLink, BypassError> {
        let _ordered = self.inner.writes.lock().await;
        let link = self.inner.store.revoke(id, actor).await?;
        self.inner.active.rcu(|active| {
            let mut active = HashMap::clone(active);
            active.remove(&link.id);
            active
        });
        Ok(link)
    }

    /// Adds `link` to the active set in memory, before the follower would.
    fn remember(&self, link: &BypassLink) {
        self.inner.active.rcu(|active| {
            let mut active = HashMap::clone(active);
            active.insert(link.id.clone(), link.expires_at);
            active
        });
    }
}

/// The active links as [`BypassLinks::follow`] keeps them.
struct ActiveLinks(Arc<Inner>);

impl Reload for ActiveLinks {
    type Error = DbErr;

    async fn reload(&mut self) -> Result<(), DbErr> {
        let inner = &self.0;
        let _ordered = inner.writes.lock().await;
        inner.active.store(Arc::new(inner.store.active().await?));
        Ok(())
    }
}

impl std::fmt::Debug for BypassLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BypassLinks")
            .field("cookie", &self.inner.cookie.name())
            .field("active", &self.inner.active.load().len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;
    use crate::bypass::COOKIE_NAME;

    #[tokio::test]
    async fn an_unknown_link_costs_no_lock_and_no_query() {
        let service = StateService::open("sqlite::memory:")
            .await
            .expect("database");
        let cookie = CookieSettings {
            name: COOKIE_NAME.into(),
            secure: false,
        };
        let links = BypassLinks::load(&service, &CookieKey::generate(), cookie)
            .await
            .expect("links");
        let request = LinkRequest {
            ttl: Duration::from_secs(600),
            label: None,
            next: None,
        };
        let made = links.create(request, "test").await.expect("link");
        let known = made.token.expose_secret().to_owned();
        let unknown = "0123456789abcdef.guessed";

        // While a write holds the lock, an unknown link is answered at once; a known one waits.
        let held = links.inner.writes.lock().await;
        let quick = Duration::from_millis(200);
        let answer = tokio::time::timeout(quick, links.open(unknown)).await;
        assert!(matches!(answer, Ok(Ok(None))), "{answer:?}");
        assert!(
            tokio::time::timeout(quick, links.open(&known))
                .await
                .is_err()
        );
        drop(held);

        // With the database gone, an unknown link is still answered: it was never asked.
        service.db().close_by_ref().await.expect("close");
        assert!(matches!(links.open(unknown).await, Ok(None)));
        assert!(
            links.open(&known).await.is_err(),
            "a known link is looked up"
        );
    }
}
