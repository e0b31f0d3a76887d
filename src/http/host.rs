//! [`HostCheck`]: a warning when requests reach the site under a host its base URL does not
//! name, the sign of a base URL that sends logins, links and redirects somewhere else.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use poem::http::{HeaderMap, Uri, header};

/// How many distinct hosts are reported: a flood of made-up `Host` headers costs a set of this
/// size and as many log lines, no more.
pub const MAX_HOSTS_REPORTED: usize = 16;

/// Compares each request's `Host` with the base URL's, and warns once per host that differs.
#[derive(Debug)]
pub struct HostCheck {
    base_url: String,
    /// The base URL's authority, lower case, without the scheme's default port.
    expected: String,
    default_port: &'static str,
    reported: Mutex<HashSet<String>>,
}

impl HostCheck {
    /// The check for a site reached at `base_url` (`https://example.com`).
    pub fn new(base_url: &str) -> Self {
        let (scheme, authority) = scheme_and_authority(base_url);
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            ":443"
        } else {
            ":80"
        };
        HostCheck {
            base_url: base_url.to_owned(),
            expected: normal(authority, default_port),
            default_port,
            reported: Mutex::new(HashSet::new()),
        }
    }

    /// Looks at one request's host: its `Host`, or its URI's authority (HTTP/2's
    /// `:authority`, which replaces `Host`); returns whether it logged a warning (for a host
    /// not reported before, while fewer than [`MAX_HOSTS_REPORTED`] have been). A request
    /// naming no host says nothing either way.
    pub fn observe(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let named = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let Some(host) = named.or_else(|| uri.authority().map(|a| a.as_str())) else {
            return false;
        };
        let host = normal(host.trim(), self.default_port);
        if host == self.expected {
            return false;
        }
        let mut reported = self.reported.lock().unwrap_or_else(PoisonError::into_inner);
        if reported.len() >= MAX_HOSTS_REPORTED || !reported.insert(host.clone()) {
            return false;
        }
        let last = reported.len() == MAX_HOSTS_REPORTED;
        drop(reported);
        tracing::warn!(
            target: "downtime::http",
            host,
            base_url = %self.base_url,
            "a request came for a host the base URL does not name: logins, bypass links and redirects lead to the base URL; set it (--base-url) to where clients reach the site{}",
            if last { " (no further hosts are reported)" } else { "" }
        );
        true
    }
}

/// A URL's scheme (`http` when it names none) and its `host[:port]`, without credentials.
pub(crate) fn scheme_and_authority(url: &str) -> (&str, &str) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (scheme, authority.rsplit('@').next().unwrap_or_default())
}

/// `authority` lower case, without `default_port`.
fn normal(authority: &str, default_port: &str) -> String {
    let lower = authority.to_ascii_lowercase();
    match lower.strip_suffix(default_port) {
        Some(bare) => bare.to_owned(),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::HOST,
            HeaderValue::from_str(value).expect("header value"),
        );
        headers
    }

    #[test]
    fn the_base_urls_own_host_passes_in_any_spelling() {
        let check = HostCheck::new("https://Example.com/");
        for same in ["example.com", "EXAMPLE.com", "example.com:443"] {
            assert!(
                !check.observe(&host(same), &Uri::from_static("/")),
                "{same}"
            );
        }
        assert!(!check.observe(&HeaderMap::new(), &Uri::from_static("/")));
        // HTTP/2 names the host in the URI (`:authority`) instead.
        let h2 = |authority: &str| Uri::try_from(format!("https://{authority}/")).expect("URI");
        assert!(!check.observe(&HeaderMap::new(), &h2("example.com")));
        assert!(check.observe(&HeaderMap::new(), &h2("other.example")));
        let local = HostCheck::new("http://127.0.0.1:8002");
        assert!(!local.observe(&host("127.0.0.1:8002"), &Uri::from_static("/")));
        assert!(local.observe(&host("127.0.0.1:3000"), &Uri::from_static("/")));
    }

    #[test]
    fn each_other_host_is_reported_once_and_a_flood_only_up_to_the_bound() {
        let check = HostCheck::new("http://127.0.0.1:3000");
        assert!(check.observe(&host("127.0.0.1:8002"), &Uri::from_static("/")));
        for _ in 0..100 {
            assert!(!check.observe(&host("127.0.0.1:8002"), &Uri::from_static("/")));
        }
        let reported = (0..1000)
            .filter(|i| check.observe(&host(&format!("h{i}.example")), &Uri::from_static("/")))
            .count();
        assert_eq!(reported, MAX_HOSTS_REPORTED - 1);
    }
}
