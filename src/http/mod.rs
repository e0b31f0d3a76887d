//! Small HTTP helpers shared by the gate, login, the API and the pages: problem documents,
//! body limits, a panic catcher, cookies, query parameters, the local-redirect check, `Accept`
//! q-values, URL encoding and HTML escaping; and the loop that serves an endpoint over TCP.
//!
//! A leaf: it imports nothing else from this crate.

mod body_limit;
mod catch_panic;
pub mod client_tls;
mod host;
pub mod problem;
mod request;
pub mod server;

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
use poem::Request;
use poem::http::header::{self, HeaderName};

pub use body_limit::{BodyLimit, BodyLimitEndpoint, DEFAULT_MAX_BODY_BYTES};
pub use catch_panic::{CatchPanic, CatchPanicEndpoint};
pub use host::{HostCheck, MAX_HOSTS_REPORTED};
pub use problem::{FieldError, Problem};
pub use request::{
    SiteUrls, client_ip, client_proto, cookie, cookie_in, etag, prefers_html, query_param,
    query_value, sent_by_script,
};

/// `bytes` in lower-case hex: digests, fingerprints, random ids.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The value of header `name` as text; `None` when absent or not visible ASCII.
pub fn header_str(req: &Request, name: HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Whether the message asks to switch protocols (`Connection: upgrade` and an `Upgrade`).
pub fn wants_upgrade(headers: &poem::http::HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE) && connection_tokens(headers).any(|t| t == "upgrade")
}

/// The tokens of every `Connection` header, lower-cased.
pub fn connection_tokens(headers: &poem::http::HeaderMap) -> impl Iterator<Item = String> + '_ {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
}

/// The headers of a page meant for downtime's own users (the admin console, Swagger UI, the
/// logout form): never shown in another site's frame (`X-Frame-Options: DENY`, and
/// `frame-ancestors 'none'` unless the page brings a policy of its own), never cached, never
/// sniffed as another type, and no `Referer` sent on from it.
pub fn console_headers(headers: &mut poem::http::HeaderMap) {
    use poem::http::HeaderValue;
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("frame-ancestors 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// A `Content-Security-Policy` source allowing exactly `source` inline: `'sha256-…'`'s
/// inside (without the quotes).
pub fn csp_hash(source: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(source.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// A size in bytes: `65536`, `64KiB`, `64kB`, `1MiB`, `1MB`.
///
/// # Errors
/// Not a size, or zero.
pub fn byte_size(value: &str) -> Result<usize, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let unit_bytes: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1_024,
        "m" | "mb" => 1_000_000,
        "mib" => 1_048_576,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1_073_741_824,
        _ => return Err(format!("{value:?} is not a size such as 64KiB or 1MiB")),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit_bytes))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{value:?} is not a size such as 64KiB or 1MiB"))
}

/// Whether an authority (`host`, `host:port`, `[v6]:port`, with or without `user@`) names this
/// machine: `localhost` or a loopback address.
pub fn is_loopback_authority(authority: &str) -> bool {
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether the request was addressed to this machine by name (its `Host`, or the authority of
/// an absolute URI): what a DNS-rebinding page or a public reverse proxy cannot send.
pub fn host_is_loopback(req: &Request) -> bool {
    let host = header_str(req, header::HOST).or_else(|| req.uri().authority().map(|a| a.as_str()));
    host.is_some_and(is_loopback_authority)
}

/// A cookie name (an RFC 6265 token: visible ASCII without separators), as given in settings.
///
/// # Errors
/// Empty, or a character a cookie name cannot hold.
pub fn cookie_name(value: &str) -> Result<String, String> {
    let value = value.trim();
    let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
    if value.is_empty() || !value.chars().all(token) {
        return Err(format!("{value:?} is not a cookie name"));
    }
    Ok(value.to_owned())
}

/// [`is_local_path`] as a JSON Schema (ECMA 262) pattern, for the API's schema.
pub const LOCAL_PATH_PATTERN: &str = r"^/([^/\\\x00-\x1f\x7f-\x9f][^\\\x00-\x1f\x7f-\x9f]*)?$";

/// A path on this site: `/x`, never `//host`, `/\host`, a scheme, or control characters.
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
}

/// Characters escaped again in a decoded local path before it goes into `Location`.
const LOCATION: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `next` made fit for a `Location` header (characters outside URLs escaped), when it is a
/// local path; `None` for anything that could leave the site.
pub fn local_location(next: &str) -> Option<String> {
    is_local_path(next).then(|| utf8_percent_encode(next, LOCATION).to_string())
}

/// Characters escaped in a query value that carries a path: all but unreserved ones and `/`.
const PATH_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// `path` as a query value (`/a?b` → `/a%3Fb`), keeping its slashes readable.
pub fn path_as_query_value(path: &str) -> Cow<'_, str> {
    utf8_percent_encode(path, PATH_VALUE).into()
}

/// `value` with everything but ASCII letters and digits percent-encoded: safe in a query
/// string, a form body, or (RFC 6749 §2.3.1) HTTP Basic credentials.
pub fn urlencode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

/// Escapes text for HTML content and quoted attributes (for the few pages built without Tera).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The items of an `Accept` or `Accept-Language` header with their q-values, in header order
/// (at most 32 items): a missing q is 1; a malformed one, or one outside 0..=1, is `None`, for
/// the caller to ignore or forgive.
pub fn q_values(header: &str) -> impl Iterator<Item = (&str, Option<f32>)> {
    header.split(',').take(32).filter_map(|item| {
        let mut parts = item.split(';');
        let value = parts.next()?.trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q));
        Some((value, q))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_authorities() {
        for yes in [
            "localhost",
            "LOCALHOST:3000",
            "127.0.0.1",
            "127.8.9.1:80",
            "[::1]:3000",
            "u@localhost:1",
        ] {
            assert!(is_loopback_authority(yes), "{yes}");
        }
        for no in [
            "",
            "evil.example",
            "localhost.evil.example",
            "10.0.0.1:3000",
            "[::2]:80",
            "127.0.0.1.nip.io",
        ] {
            assert!(!is_loopback_authority(no), "{no}");
        }
    }

    #[test]
    fn only_local_paths_are_accepted_as_next() {
        for ok in ["/", "/contact", "/a?b=c", "/caf\u{e9}"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/a\nb",
            "/\t/x",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn q_values_keep_order_and_skip_malformed_items() {
        let items: Vec<(&str, Option<f32>)> =
            q_values("fr;q=0.5, de, en;q=0.8, x;q=2, y;q=z").collect();
        assert_eq!(
            items,
            [
                ("fr", Some(0.5)),
                ("de", Some(1.0)),
                ("en", Some(0.8)),
                ("x", None),
                ("y", None)
            ]
        );
        assert_eq!(q_values(&"a,".repeat(100)).count(), 32);
    }

    #[test]
    fn cookie_names_are_tokens() {
        assert_eq!(cookie_name(" app_lang "), Ok("app_lang".into()));
        for bad in ["", "a b", "a;b", "a=b", "é", "a\"b"] {
            assert!(cookie_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(urlencode("a b/c"), "a%20b%2Fc");
        assert_eq!(path_as_query_value("/a b?c"), "/a%20b%3Fc");
    }
}
