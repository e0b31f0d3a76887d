//! The session cookie: its key (configured, or generated once and shared through the database)
//! and its attributes.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use entity::server_secret as row;
use poem::endpoint::BoxEndpoint;
use poem::session::{CookieConfig, CookieSession};
use poem::web::cookie::{CookieKey, SameSite};
use poem::{Endpoint, EndpointExt, IntoResponse, Middleware, Request, Response};
use rand::RngCore as _;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha512};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "downtime_session";
const KEY_NAME: &str = "session_cookie_key";

/// The 64-byte cookie key: derived from `configured` when given, else the one stored in the
/// database (made by whichever replica started first).
///
/// # Errors
/// A configured key shorter than 32 characters, or the database fails.
pub async fn cookie_key(
    configured: Option<&SecretString>,
    db: &DatabaseConnection,
) -> anyhow::Result<CookieKey> {
    if let Some(secret) = configured {
        let secret = secret.expose_secret();
        anyhow::ensure!(
            secret.chars().count() >= 32,
            "DOWNTIME_SECRET_KEY must be 32 characters or more"
        );
        return Ok(CookieKey::from(
            Sha512::digest(secret.as_bytes()).as_slice(),
        ));
    }
    let mut fresh = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    // Insert-if-absent, then read back: concurrent first starts agree on one key.
    row::Entity::insert(row::ActiveModel {
        name: Set(KEY_NAME.to_owned()),
        value: Set(BASE64.encode(fresh)),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(row::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let stored = row::Entity::find_by_id(KEY_NAME.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the session key vanished from the database"))?;
    let bytes = BASE64.decode(stored.value.trim())?;
    anyhow::ensure!(bytes.len() >= 64, "the stored session key is too short");
    Ok(CookieKey::from(bytes.as_slice()))
}

/// The session middleware: a private (signed and encrypted) cookie, HttpOnly, SameSite=Lax
/// (it must come along when the provider redirects back), Secure behind HTTPS, bounded life.
///
/// Only requests that carry the cookie, and the `/auth` routes that create it, pay for a
/// session: every other request (most of a site's traffic) goes straight through.
pub fn middleware(key: CookieKey, secure: bool, ttl: Duration) -> Sessions {
    Sessions(CookieSession::new(
        CookieConfig::private(key)
            .name(COOKIE_NAME)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(ttl),
    ))
}

/// [`middleware`]'s type: a cookie session for the requests that need one.
pub struct Sessions(CookieSession);

impl<E: Endpoint + 'static> Middleware<E> for Sessions {
    type Output = SessionsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        let inner = Arc::new(inner);
        SessionsEndpoint {
            with_session: self
                .0
                .transform(Arc::clone(&inner))
                .map_to_response()
                .boxed(),
            without: inner,
        }
    }
}

/// The endpoint [`Sessions`] makes.
pub struct SessionsEndpoint<E> {
    with_session: BoxEndpoint<'static, Response>,
    without: Arc<E>,
}

impl<E: Endpoint> Endpoint for SessionsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let wants_session = req.uri().path().starts_with("/auth/")
            || crate::gate::cookie(&req, COOKIE_NAME).is_some();
        if wants_session {
            self.with_session.call(req).await
        } else {
            self.without
                .call(req)
                .await
                .map(IntoResponse::into_response)
        }
    }
}
