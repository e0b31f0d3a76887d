//! A bypass link as people see it (its record, its status, the request for a new one, the URL
//! to share) and the token in that URL: how it is made, read and checked against its hash.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use sea_orm::DbErr;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::http;

/// The shortest a link may last.
pub const MIN_TTL: Duration = Duration::from_secs(1);
/// The longest a link may last.
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// A label's one line, as a JSON Schema (ECMA 262) pattern for the API's schema: no control
/// character (the rule [`LinkRequest::validate`] applies with [`char::is_control`]).
pub const LABEL_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";
/// Where links are opened, under downtime's prefix: below `/auth`, which the gate never closes.
pub const PATH: &str = "/auth/bypass";

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
    pub(super) token: SecretString,
    pub(super) next: Option<String>,
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
        if self.ttl < MIN_TTL || self.ttl > MAX_TTL {
            return Err(invalid("ttl", "must be between 1 second and 30 days"));
        }
        self.label = self
            .label
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty());
        if let Some(label) = &self.label {
            if label.chars().count() > MAX_LABEL_CHARS {
                return Err(invalid(
                    "label",
                    &format!("must be at most {MAX_LABEL_CHARS} characters"),
                ));
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

/// A new link's public id (64 random bits, in hex) and secret (256 random bits).
pub(super) fn generate_token() -> (String, String) {
    let mut rng = rand::rngs::OsRng;
    let id = format!("{:016x}", rng.next_u64());
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    (id, BASE64URL.encode(secret))
}

/// The token its holder presents: `<id>.<secret>`.
pub(super) fn token(id: &str, secret: &str) -> SecretString {
    SecretString::from(format!("{id}.{secret}"))
}

/// The id and secret of `token`, or `None` when it cannot be a link's: junk never reaches the
/// database.
pub(super) fn parse_token(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let is_id = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
    (is_id && secret.len() <= 64).then_some((id, secret))
}

/// The form a secret is stored in: a leaked table opens no link.
pub(super) fn digest(secret: &str) -> String {
    BASE64URL.encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` is the one `hash` was made from, compared in constant time so that the
/// answer's timing tells a guesser nothing.
pub(super) fn secret_matches(secret: &str, hash: &str) -> bool {
    digest(secret).as_bytes().ct_eq(hash.as_bytes()).into()
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

    #[test]
    fn a_generated_token_reads_back_and_matches_only_its_own_hash() {
        let (id, secret) = generate_token();
        let token = token(&id, &secret);
        assert_eq!(
            parse_token(token.expose_secret()),
            Some((id.as_str(), secret.as_str()))
        );
        assert!(secret_matches(&secret, &digest(&secret)));
        assert!(!secret_matches("guessed", &digest(&secret)));
        assert_eq!(parse_token("no-dot"), None);
        assert_eq!(parse_token("0123.short-id"), None);
        assert_eq!(parse_token(&format!("{id}.{}", "x".repeat(65))), None);
    }
}
