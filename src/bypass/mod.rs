//! Bypass links: secret URLs an operator shares with people who have no account (a tester, a
//! client checking a fix). Opening one sets a cookie that passes the gate until the link
//! expires or is revoked. It is no login: the control API still refuses its holder.
//!
//! A link is `<site>/auth/bypass?token=<id>.<secret>`. The id is public (lists, revocation);
//! the secret (256 random bits) is stored only as its SHA-256 and compared in constant time.
//! The cookie holds the id and an HMAC of it under the site's secret key, so it cannot be
//! forged, and the gate looks the id up among the live links every replica keeps in memory,
//! followed from the database like the state: a revocation counts everywhere at once.

mod route;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use chrono::{DateTime, SubsecRound as _, TimeDelta, Utc};
use entity::bypass_link as row;
use hmac::{Hmac, Mac as _};
use poem::Request;
use poem::http::HeaderValue;
use poem::web::cookie::CookieKey;
use rand::RngCore as _;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel as _, QueryFilter, QueryOrder, QuerySelect,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::http;
use crate::state::{Follower, Reload, StateService};
pub use route::visit;

/// The longest a link may last.
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// The cookie's default name (`--bypass-cookie`), unlike any common app's.
pub const COOKIE_NAME: &str = "downtime_bypass";
/// Where links are opened, under downtime's prefix: below `/auth`, which the gate never closes.
pub const PATH: &str = "/auth/bypass";
/// How long expired and revoked links stay listed, as the record of who made and ended them.
const KEPT_FOR: TimeDelta = TimeDelta::days(90);
/// Separates the cookie's MAC from any other use of the site's key.
const COOKIE_CONTEXT: &[u8] = b"downtime bypass cookie\0";

/// A bypass link as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BypassLink {
    /// The public id, named to revoke it.
    pub id: String,
    /// What it is for.
    pub label: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops letting anyone in.
    pub expires_at: DateTime<Utc>,
    /// Who revoked it, if someone did.
    pub revoked_by: Option<String>,
    /// When.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether a link lets anyone in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// It does, until `expires_at`.
    Active,
    /// Its time is over.
    Expired,
    /// Someone revoked it.
    Revoked,
}

impl std::fmt::Display for LinkStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LinkStatus::Active => "active",
            LinkStatus::Expired => "expired",
            LinkStatus::Revoked => "revoked",
        })
    }
}

impl BypassLink {
    /// Whether it lets anyone in at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> LinkStatus {
        if self.revoked_at.is_some() {
            LinkStatus::Revoked
        } else if self.expires_at <= now {
            LinkStatus::Expired
        } else {
            LinkStatus::Active
        }
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

/// What a new link should be.
#[derive(Clone, Debug)]
pub struct LinkRequest {
    /// How long it lasts (1 s to 30 days).
    pub ttl: Duration,
    /// What it is for (at most 200 characters, one line).
    pub label: Option<String>,
    /// Where it leads on this site (a local path; the home page when `None`).
    pub next: Option<String>,
}

/// A link just created: the only moment its secret exists outside the visitor's hands.
pub struct NewLink {
    /// The link as listed.
    pub link: BypassLink,
    token: SecretString,
    next: Option<String>,
}

impl NewLink {
    /// The URL to share: `site` is the site's public URL with downtime's prefix
    /// (`https://example.com/_downtime`).
    pub fn url(&self, site: &str) -> String {
        let mut url = format!("{site}{PATH}?token={}", self.token.expose_secret());
        if let Some(next) = &self.next {
            url.push_str("&next=");
            url.push_str(&http::path_as_query_value(next));
        }
        url
    }
}

impl std::fmt::Debug for NewLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewLink")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

/// Why a link could not be made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum BypassError {
    /// A value is out of bounds: `field` says which.
    #[error("{field}: {message}")]
    Invalid {
        /// `ttl`, `label` or `next`.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// No link has this id.
    #[error("no bypass link has the id {0:?}")]
    NotFound(String),
    /// The database failed; nothing was changed.
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl LinkRequest {
    /// The request with its label trimmed (blank means none), or the first value refused.
    ///
    /// # Errors
    /// [`BypassError::Invalid`] naming the field.
    pub fn validate(mut self) -> Result<Self, BypassError> {
        let invalid = |field, message: &str| BypassError::Invalid {
            field,
            message: message.to_owned(),
        };
        if self.ttl < Duration::from_secs(1) || self.ttl > MAX_TTL {
            return Err(invalid("ttl", "must be between 1 second and 30 days"));
        }
        self.label = self
            .label
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty());
        if let Some(label) = &self.label {
            if label.chars().count() > MAX_LABEL_CHARS {
                return Err(invalid("label", "must be at most 200 characters"));
            }
            if label.chars().any(char::is_control) {
                return Err(invalid("label", "must be one line of text"));
            }
        }
        if let Some(next) = &self.next
            && !http::is_local_path(next)
        {
            return Err(invalid(
                "next",
                "must be a path on this site, such as /checkout",
            ));
        }
        Ok(self)
    }
}

/// The `bypass_link` table: the one way to create, list, revoke and look up links, for the
/// CLI and the server alike ([`BypassLinks`] writes through it). Cheap to clone.
#[derive(Clone, Debug)]
pub struct LinkStore {
    db: DatabaseConnection,
}

impl LinkStore {
    /// The table in `service`'s database.
    pub fn new(service: &StateService) -> Self {
        LinkStore {
            db: service.db().clone(),
        }
    }

    /// Creates a link, recording who made it. It counts on the other replicas (and on this
    /// one's [`BypassLinks`]) once they hear of the change; [`BypassLinks::create`] counts
    /// here at once.
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
        let mut rng = rand::rngs::OsRng;
        let id = format!("{:016x}", rng.next_u64());
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        let secret = BASE64URL.encode(secret);
        let model = row::ActiveModel {
            id: Set(id.clone()),
            token_hash: Set(digest(&secret)),
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
            token: SecretString::from(format!("{id}.{secret}")),
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
    async fn find_by_token(&self, token: &str) -> Result<Option<BypassLink>, DbErr> {
        let Some((id, secret)) = token.split_once('.') else {
            return Ok(None);
        };
        // Junk never reaches the database.
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) || secret.len() > 64 {
            return Ok(None);
        }
        let Some(model) = row::Entity::find_by_id(id.to_ascii_lowercase())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let matches: bool = digest(secret)
            .as_bytes()
            .ct_eq(model.token_hash.as_bytes())
            .into();
        let link = BypassLink::from(model);
        Ok((matches && link.status(Utc::now()) == LinkStatus::Active).then_some(link))
    }

    /// The active links' ids and ends.
    async fn active(&self) -> Result<HashMap<String, DateTime<Utc>>, DbErr> {
        row::Entity::find()
            .select_only()
            .column(row::Column::Id)
            .column(row::Column::ExpiresAt)
            .filter(row::Column::RevokedAt.is_null())
            .filter(row::Column::ExpiresAt.gt(Utc::now()))
            .into_tuple::<(String, DateTime<Utc>)>()
            .all(&self.db)
            .await
            .map(|links| links.into_iter().collect())
    }
}

fn digest(secret: &str) -> String {
    BASE64URL.encode(Sha256::digest(secret.as_bytes()))
}

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
    mac: Hmac<Sha256>,
    cookie: String,
    secure: bool,
    /// Orders reloads with this process's own opens and revocations, so a reload that read
    /// the table before one of them cannot undo it in memory.
    writes: tokio::sync::Mutex<()>,
}

/// How the bypass cookie is made.
#[derive(Clone, Debug)]
pub struct CookieSettings {
    /// Its name.
    pub name: String,
    /// `Secure` (the site is served over https).
    pub secure: bool,
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
        let mac = Hmac::<Sha256>::new_from_slice(key.master())
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        let store = LinkStore::new(service);
        Ok(BypassLinks {
            inner: Arc::new(Inner {
                active: ArcSwap::from_pointee(store.active().await?),
                store,
                mac,
                cookie: cookie.name,
                secure: cookie.secure,
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
        let Some((id, tag)) = http::cookie(req, &self.inner.cookie).and_then(|v| v.split_once('.'))
        else {
            return false;
        };
        let mut decoded = [0u8; 32];
        let signed = matches!(BASE64URL.decode_slice(tag, &mut decoded), Ok(32))
            && self.mac(id).verify_slice(&decoded).is_ok();
        signed
            && self
                .inner
                .active
                .load()
                .get(id)
                .is_some_and(|end| *end > Utc::now())
    }

    fn mac(&self, id: &str) -> Hmac<Sha256> {
        let mut mac = self.inner.mac.clone();
        mac.update(COOKIE_CONTEXT);
        mac.update(id.as_bytes());
        mac
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
        let id = token.split_once('.').map_or("", |(id, _)| id);
        if !self
            .inner
            .active
            .load()
            .contains_key(&id.to_ascii_lowercase())
        {
            return Ok(None);
        }
        let _ordered = self.inner.writes.lock().await;
        let Some(link) = self.inner.store.find_by_token(token).await? else {
            return Ok(None);
        };
        // This replica may not have heard of the link yet: its next request must pass.
        self.inner.active.rcu(|active| {
            let mut active = HashMap::clone(active);
            active.insert(link.id.clone(), link.expires_at);
            active
        });
        let tag = BASE64URL.encode(self.mac(&link.id).finalize().into_bytes());
        let max_age = (link.expires_at - Utc::now()).num_seconds().max(1);
        let cookie = format!(
            "{}={}.{tag}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.inner.cookie,
            link.id,
            if self.inner.secure { "; Secure" } else { "" }
        );
        let cookie = HeaderValue::try_from(cookie).map_err(|e| DbErr::Custom(e.to_string()))?;
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
        self.inner.active.rcu(|active| {
            let mut active = HashMap::clone(active);
            active.insert(made.link.id.clone(), made.link.expires_at);
            active
        });
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
            .field("cookie", &self.inner.cookie)
            .field("active", &self.inner.active.load().len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ttl_secs: u64, label: Option<&str>, next: Option<&str>) -> LinkRequest {
        LinkRequest {
            ttl: Duration::from_secs(ttl_secs),
            label: label.map(str::to_owned),
            next: next.map(str::to_owned),
        }
    }

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
        let made = links
            .create(request(600, None, None), "test")
            .await
            .expect("link");
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

    #[test]
    fn requests_out_of_bounds_name_the_field() {
        let refused = |r: LinkRequest| match r.validate() {
            Err(BypassError::Invalid { field, .. }) => field,
            other => panic!("accepted: {other:?}"),
        };
        assert_eq!(refused(request(0, None, None)), "ttl");
        assert_eq!(refused(request(31 * 24 * 3600, None, None)), "ttl");
        assert_eq!(refused(request(60, Some(&"x".repeat(201)), None)), "label");
        assert_eq!(refused(request(60, Some("two\nlines"), None)), "label");
        assert_eq!(refused(request(60, None, Some("//evil.example"))), "next");
        assert_eq!(
            refused(request(60, None, Some("https://evil.example"))),
            "next"
        );
        let ok = request(60, Some("  QA  "), Some("/checkout"))
            .validate()
            .expect("valid");
        assert_eq!(ok.label.as_deref(), Some("QA"));
        let blank = request(60, Some("  "), None).validate().expect("valid");
        assert_eq!(blank.label, None);
    }

    #[test]
    fn the_url_carries_the_token_and_a_readable_next() {
        let link = NewLink {
            link: BypassLink {
                id: "00ff".into(),
                label: None,
                created_by: "t".into(),
                created_at: DateTime::UNIX_EPOCH,
                expires_at: DateTime::UNIX_EPOCH,
                revoked_by: None,
                revoked_at: None,
            },
            token: SecretString::from("00ff.s3cret"),
            next: Some("/shop/cart?x=1".into()),
        };
        assert_eq!(
            link.url("https://example.com/_downtime"),
            "https://example.com/_downtime/auth/bypass?token=00ff.s3cret&next=/shop/cart%3Fx%3D1"
        );
        assert!(!format!("{link:?}").contains("s3cret"));
    }
}
