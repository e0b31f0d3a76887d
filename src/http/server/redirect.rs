//! Plain HTTP beside HTTPS (`--http-bind`): every request is sent to the same URL over HTTPS
//! with a permanent redirect, `308`, which keeps the method and body of a form posted to the
//! old address; except an ACME HTTP-01 challenge, answered whatever the maintenance state:
//! from downtime's own ACME orders in flight (`--acme-domain`), or from the webroot a client
//! such as certbot writes it to (`--acme-webroot`), so a certificate can be renewed while
//! downtime holds port 80.

use std::path::PathBuf;
use std::sync::Arc;

use super::Tls;

use poem::http::{StatusCode, header};
use poem::{Endpoint, Request, Response};

/// Where ACME HTTP-01 challenges are asked for (RFC 8555, 8.3).
const CHALLENGES: &str = "/.well-known/acme-challenge/";

/// Where plain HTTP requests are sent.
#[derive(Clone, Debug)]
pub struct ToHttps {
    /// Where `certbot --webroot -w DIR` writes its challenges, as `DIR/.well-known/…`.
    webroot: Option<PathBuf>,
    /// The server's TLS, whose ACME orders in flight answer their own challenges.
    answers: Option<Arc<Tls>>,
    /// The site's own `host[:port]` over HTTPS (from its base URL), when known: then a
    /// request's `Host` is not needed.
    authority: Option<String>,
    /// The HTTPS port, for a host taken from the request (`443` is left out).
    port: u16,
}

impl ToHttps {
    /// To `base_url`'s host when it is an `https://` URL; else to the host each request
    /// names, on `https_port`.
    pub fn new(base_url: Option<&str>, https_port: u16) -> Self {
        let authority = base_url
            .map(crate::http::host::scheme_and_authority)
            .filter(|(scheme, authority)| {
                scheme.eq_ignore_ascii_case("https") && !authority.is_empty()
            })
            .map(|(_, authority)| authority.to_owned());
        ToHttps {
            webroot: None,
            answers: None,
            authority,
            port: https_port,
        }
    }

    /// Answers ACME HTTP-01 challenges from `webroot` instead of redirecting them.
    #[must_use]
    pub fn with_webroot(mut self, webroot: Option<PathBuf>) -> Self {
        self.webroot = webroot;
        self
    }

    /// Answers ACME HTTP-01 challenges with what `tls`'s orders in flight set.
    #[must_use]
    pub fn with_answers(mut self, tls: Option<Arc<Tls>>) -> Self {
        self.answers = tls;
        self
    }

    /// The token of the challenge `req` asks for, when there is anything to answer it with:
    /// base64url (RFC 8555), so it can name nothing outside the challenges' folder.
    fn token<'r>(&self, req: &'r Request) -> Option<&'r str> {
        if self.webroot.is_none() && self.answers.is_none() {
            return None;
        }
        let token = req.uri().path().strip_prefix(CHALLENGES)?;
        let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        (!token.is_empty() && token.len() <= 256 && token.chars().all(base64url)).then_some(token)
    }

    /// The challenge file `token` names in the webroot.
    fn challenge_file(&self, token: &str) -> Option<PathBuf> {
        Some(self.webroot.as_ref()?.join(&CHALLENGES[1..]).join(token))
    }

    /// The answer to challenge `token`: an order's own, else the webroot's file.
    async fn answer(&self, token: &str) -> Option<Vec<u8>> {
        if let Some(answer) = self
            .answers
            .as_ref()
            .and_then(|tls| tls.http_challenge(token))
        {
            return Some(answer.into_bytes());
        }
        tokio::fs::read(self.challenge_file(token)?).await.ok()
    }

    /// The HTTPS URL of `req`, or `None` when it names no usable host.
    fn location(&self, req: &Request) -> Option<String> {
        let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
        if let Some(authority) = &self.authority {
            return Some(format!("https://{authority}{target}"));
        }
        let named = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
        let host = host_of(named)?;
        Some(match self.port {
            443 => format!("https://{host}{target}"),
            port => format!("https://{host}:{port}{target}"),
        })
    }
}

/// The host of a `Host` value without its port, if it is a name or an address and nothing
/// else (a redirect must not carry what a forged `Host` puts in it).
fn host_of(authority: &str) -> Option<&str> {
    let host = if authority.starts_with('[') {
        // An IPv6 address: `[::1]:80`.
        &authority[..=authority.find(']')?]
    } else {
        authority.split(':').next()?
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    (!host.is_empty() && host.chars().all(allowed)).then_some(host)
}

impl Endpoint for ToHttps {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if let Some(token) = self.token(&req) {
            return Ok(match self.answer(token).await {
                Some(answer) => Response::builder()
                    .content_type("application/octet-stream")
                    .header(header::CACHE_CONTROL, "no-store")
                    .body(answer),
                None => Response::builder().status(StatusCode::NOT_FOUND).finish(),
            });
        }
        Ok(match self.location(&req) {
            Some(location) => Response::builder()
                .status(StatusCode::PERMANENT_REDIRECT)
                .header(header::LOCATION, location)
                .header(header::CACHE_CONTROL, "no-store")
                .finish(),
            None => Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .content_type("text/plain; charset=utf-8")
                .body("This site is served over HTTPS; the request named no host to send it to.\n"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(target: &ToHttps, uri: &str, host: Option<&str>) -> Option<String> {
        let mut req = Request::builder().uri(uri.parse().expect("URI"));
        if let Some(host) = host {
            req = req.header(header::HOST, host);
        }
        target.location(&req.finish())
    }

    #[test]
    fn requests_go_to_the_same_url_over_https() {
        let by_host = ToHttps::new(None, 443);
        assert_eq!(
            to(&by_host, "/orders?page=2", Some("shop.example:80")).as_deref(),
            Some("https://shop.example/orders?page=2")
        );
        let other_port = ToHttps::new(Some("http://127.0.0.1:8443"), 8443);
        assert_eq!(
            to(&other_port, "/", Some("[::1]:8080")).as_deref(),
            Some("https://[::1]:8443/")
        );
        let by_base = ToHttps::new(Some("https://shop.example/"), 8443);
        assert_eq!(
            to(&by_base, "/a", Some("evil.example")).as_deref(),
            Some("https://shop.example/a"),
            "the base URL, whatever Host says"
        );
    }

    #[test]
    fn only_a_token_in_the_challenges_folder_is_read() {
        let to = ToHttps::new(None, 443).with_webroot(Some("/srv/acme".into()));
        let asked = |path: &str| {
            let req = Request::builder().uri(path.parse().expect("URI")).finish();
            to.token(&req).and_then(|token| to.challenge_file(token))
        };
        assert_eq!(
            asked("/.well-known/acme-challenge/Ab-9_x"),
            Some(PathBuf::from("/srv/acme/.well-known/acme-challenge/Ab-9_x"))
        );
        for not in [
            "/.well-known/acme-challenge/",
            "/.well-known/acme-challenge/../../etc/passwd",
            "/.well-known/acme-challenge/a/b",
            "/.well-known/acme-challenge/%2e%2e",
            "/elsewhere/Ab",
        ] {
            assert_eq!(asked(not), None, "{not}");
        }
        let without = ToHttps::new(None, 443);
        let req = Request::builder()
            .uri("/.well-known/acme-challenge/Ab".parse().expect("URI"))
            .finish();
        assert_eq!(without.token(&req), None, "redirected without a webroot");
    }

    #[test]
    fn a_host_that_is_not_a_host_is_refused() {
        let by_host = ToHttps::new(None, 443);
        assert_eq!(to(&by_host, "/", None), None);
        for bad in ["evil.example/path", "a@b", "", "x y"] {
            assert_eq!(to(&by_host, "/", Some(bad)), None, "{bad}");
        }
    }
}
