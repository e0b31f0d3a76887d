//! The bypass cookie: the link's id and an HMAC of it under the site's secret key, so a
//! visitor can neither forge one nor turn one link's cookie into another's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use chrono::{DateTime, Utc};
use hmac::digest::InvalidLength;
use hmac::{Hmac, Mac as _};
use poem::Request;
use poem::http::HeaderValue;
use poem::http::header::InvalidHeaderValue;
use poem::web::cookie::CookieKey;
use sha2::Sha256;

use super::link::BypassLink;
use crate::http;

/// The cookie's default name (`--bypass-cookie`), unlike any common app's.
pub const COOKIE_NAME: &str = "downtime_bypass";
/// Separates the cookie's MAC from any other use of the site's key.
const COOKIE_CONTEXT: &[u8] = b"downtime bypass cookie\0";

/// How the bypass cookie is made.
#[derive(Clone, Debug)]
pub struct CookieSettings {
    /// Its name.
    pub name: String,
    /// `Secure` (the site is served over https).
    pub secure: bool,
}

/// Signs bypass cookies and reads them back.
pub(super) struct BypassCookie {
    mac: Hmac<Sha256>,
    settings: CookieSettings,
}

impl BypassCookie {
    /// Cookies signed with `key`, the site's secret key.
    pub(super) fn new(key: &CookieKey, settings: CookieSettings) -> Result<Self, InvalidLength> {
        Ok(BypassCookie {
            mac: Hmac::<Sha256>::new_from_slice(key.master())?,
            settings,
        })
    }

    /// The cookie's name.
    pub(super) fn name(&self) -> &str {
        &self.settings.name
    }

    /// The link id of the cookie `req` carries, if its signature holds. Whether that link is
    /// still active is for the caller to ask.
    pub(super) fn signed_id<'r>(&self, req: &'r Request) -> Option<&'r str> {
        let (id, tag) = http::cookie(req, &self.settings.name)?.split_once('.')?;
        let mut decoded = [0u8; 32];
        let signed = matches!(BASE64URL.decode_slice(tag, &mut decoded), Ok(32))
            && self.mac(id).verify_slice(&decoded).is_ok();
        signed.then_some(id)
    }

    /// The `Set-Cookie` value for `link`, which the browser keeps until the link ends.
    pub(super) fn set_cookie(
        &self,
        link: &BypassLink,
        now: DateTime<Utc>,
    ) -> Result<HeaderValue, InvalidHeaderValue> {
        let tag = BASE64URL.encode(self.mac(&link.id).finalize().into_bytes());
        let max_age = (link.expires_at - now).num_seconds().max(1);
        let cookie = format!(
            "{}={}.{tag}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.settings.name,
            link.id,
            if self.settings.secure { "; Secure" } else { "" }
        );
        HeaderValue::try_from(cookie)
    }

    fn mac(&self, id: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(COOKIE_CONTEXT);
        mac.update(id.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(id: &str) -> BypassLink {
        BypassLink {
            id: id.into(),
            label: None,
            created_by: "t".into(),
            created_at: DateTime::UNIX_EPOCH,
            expires_at: DateTime::UNIX_EPOCH + chrono::TimeDelta::hours(1),
            revoked_by: None,
            revoked_at: None,
        }
    }

    fn request_with(cookie: &str) -> Request {
        Request::builder().header("cookie", cookie).finish()
    }

    #[test]
    fn a_cookie_reads_back_as_its_link_and_a_forged_one_does_not() {
        let settings = CookieSettings {
            name: COOKIE_NAME.into(),
            secure: true,
        };
        let cookie = BypassCookie::new(&CookieKey::generate(), settings).expect("key");
        let set = cookie
            .set_cookie(&link("00ff00ff00ff00ff"), DateTime::UNIX_EPOCH)
            .expect("header");
        let set = set.to_str().expect("ascii");
        assert!(
            set.ends_with("; Max-Age=3600; HttpOnly; SameSite=Lax; Secure"),
            "{set}"
        );

        let pair = set.split(';').next().expect("pair");
        assert_eq!(
            cookie.signed_id(&request_with(pair)),
            Some("00ff00ff00ff00ff")
        );
        let tag = pair.split_once('.').expect("tag").1;
        let forged = format!("{COOKIE_NAME}=1111111111111111.{tag}");
        assert_eq!(cookie.signed_id(&request_with(&forged)), None);
        let other_key = BypassCookie::new(
            &CookieKey::generate(),
            CookieSettings {
                name: COOKIE_NAME.into(),
                secure: true,
            },
        )
        .expect("key");
        assert_eq!(other_key.signed_id(&request_with(pair)), None);
    }
}
