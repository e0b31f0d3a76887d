//! The session cookie: its key (configured, or generated once and shared through the database)
//! and its attributes.

use std::collections::BTreeMap;
use std::str::FromStr as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use entity::server_secret as row;
use poem::Request;
use poem::http::header;
use poem::session::{CookieConfig, CookieSession};
use poem::web::cookie::{CookieJar, CookieKey, SameSite};
use rand::RngCore as _;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha512};

use super::{SESSION_USER, SessionUser};
use crate::state::StateService;

/// The session cookie's default name (`--session-cookie`), unlike any common app's.
pub const COOKIE_NAME: &str = "downtime_session";
const KEY_NAME: &str = "session_cookie_key";

/// The 64-byte cookie key: derived from `configured` when given, else the one stored in
/// `service`'s database (made by whichever replica started first).
///
/// # Errors
/// A configured key shorter than 32 characters, or the database fails.
pub async fn cookie_key(
    configured: Option<&SecretString>,
    service: &StateService,
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
    let db = service.db();
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

/// The session middleware for the `/auth` routes, which write the session: a private (signed
/// and encrypted) cookie, HttpOnly, SameSite=Lax (it must come along when the provider redirects
/// back), Secure behind HTTPS, bounded life. Elsewhere the cookie is only read, and only when
/// needed ([`decode_user`]), so the site behind the gate pays nothing for sessions.
pub fn middleware(key: CookieKey, name: &str, secure: bool, ttl: Duration) -> CookieSession {
    CookieSession::new(
        CookieConfig::private(key)
            .name(name)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(ttl),
    )
}

/// The logged-in user in the request's session cookie `name`, decrypted with `key`: `None`
/// without a cookie, or with one that was forged, tampered with or made with another key.
pub fn decode_user(req: &Request, key: &CookieKey, name: &str) -> Option<SessionUser> {
    crate::http::cookie(req, name)?;
    let header = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    let jar = CookieJar::from_str(&header).ok()?;
    let value = jar.private_with_key(key).get(name)?;
    let entries: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(value.value_str()).ok()?;
    serde_json::from_value(entries.get(SESSION_USER)?.clone()).ok()
}
