//! What a reverse proxy does to headers on the way through: hop-by-hop headers removed (RFC 9110
//! §7.6.1), forwarding headers set (`X-Forwarded-*`, RFC 7239 `Forwarded`).

use std::fmt::Write as _;
use std::net::IpAddr;

use bytes::Bytes;
use poem::http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::http::connection_tokens;
pub use crate::http::wants_upgrade;

/// `X-Forwarded-Host`, which the `http` crate has no constant for.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Forwarded-Proto`.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// Removes the headers that concern only one connection: `Connection` and every header it
/// names, `Keep-Alive`, `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding`, and `Upgrade`. With
/// `upgrade`, the switch itself is kept (`Upgrade` and `Connection: upgrade`), since it is what
/// the two ends agree on through the proxy.
pub fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    // Most messages carry none of these: one look at each name, and no removal when there is
    // nothing to remove (this runs twice for every proxied request).
    if headers.keys().any(is_hop_by_hop) {
        remove_hop_by_hop(headers, upgrade);
    }
    if upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// Removes the cookies called `names` from `Cookie`: downtime's own credentials (its session,
/// a bypass link's cookie) are for downtime alone, and an app that logs its requests must not
/// hold them. Other cookies go on byte for byte.
pub fn strip_cookies(headers: &mut HeaderMap, names: &[String]) {
    let is_own = |pair: &[u8]| {
        let pair = pair.trim_ascii_start();
        names.iter().any(|name| {
            pair.strip_prefix(name.as_bytes())
                .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"="))
        })
    };
    // Most requests carry none of them: one look, and no copy.
    let carries_own = headers
        .get_all(header::COOKIE)
        .iter()
        .any(|v| v.as_bytes().split(|b| *b == b';').any(is_own));
    if !carries_own {
        return;
    }
    let mut kept = Vec::new();
    for value in headers.get_all(header::COOKIE) {
        for pair in value.as_bytes().split(|b| *b == b';') {
            if !is_own(pair) && !pair.trim_ascii().is_empty() {
                if !kept.is_empty() {
                    kept.extend_from_slice(b"; ");
                }
                kept.extend_from_slice(pair.trim_ascii());
            }
        }
    }
    headers.remove(header::COOKIE);
    if let Ok(value) = HeaderValue::from_bytes(&kept)
        && !kept.is_empty()
    {
        headers.insert(header::COOKIE, value);
    }
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    *name == header::CONNECTION
        || *name == header::TE
        || *name == header::TRAILER
        || *name == header::TRANSFER_ENCODING
        || *name == header::UPGRADE
        || *name == KEEP_ALIVE
        || name.as_str().starts_with("proxy-")
}

fn remove_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    let named: Vec<HeaderName> = connection_tokens(headers)
        .filter_map(|t| HeaderName::from_bytes(t.as_bytes()).ok())
        .collect();
    for name in named {
        if !(upgrade && name == header::UPGRADE) {
            headers.remove(name);
        }
    }
    for name in [
        header::CONNECTION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        KEEP_ALIVE,
    ] {
        headers.remove(name);
    }
    if !upgrade {
        headers.remove(header::UPGRADE);
    }
    let proxy: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("proxy-"))
        .cloned()
        .collect();
    for name in proxy {
        headers.remove(name);
    }
}

/// The facts about the client's connection that the forwarding headers carry.
#[derive(Clone, Debug)]
pub struct Hop<'a> {
    /// The address of the peer that connected to us.
    pub peer: Option<IpAddr>,
    /// Whether that peer is a trusted proxy, whose forwarding headers are believed.
    pub trusted: bool,
    /// The client's address as judged through the trusted chain ([`crate::http::client_ip`]):
    /// the peer's, unless the peer is a trusted proxy.
    pub client: Option<IpAddr>,
    /// `http` or `https`: how the client reached the site, judged the same way
    /// ([`crate::http::client_proto`]).
    pub proto: &'static str,
    /// The host the client asked for (its `Host`).
    pub host: Option<&'a HeaderValue>,
}

/// Headers apps read as the client's address or the original URL, beside `X-Forwarded-*` and
/// `Forwarded`: from an untrusted client, each one is a claim it has no right to make.
const CLAIMS: [&str; 6] = [
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "x-original-url",
    "x-rewrite-url",
];

/// Whether a header is one only a trusted proxy may send: `Forwarded`, any `X-Forwarded-*`,
/// or one of [`CLAIMS`].
fn is_forwarding(name: &HeaderName) -> bool {
    let name = name.as_str();
    name == "forwarded" || name.starts_with("x-forwarded-") || CLAIMS.contains(&name)
}

/// Sets the forwarding headers for the upstream: `X-Forwarded-For` with the peer appended,
/// `X-Forwarded-Proto`, `X-Forwarded-Host` and `Forwarded`. From anyone but a trusted proxy,
/// every forwarding header (`Forwarded`, all of `X-Forwarded-*`, `X-Real-IP`, `X-Client-IP`,
/// `True-Client-IP`, `CF-Connecting-IP`, `X-Original-URL`, `X-Rewrite-URL`) is removed first,
/// so a client cannot claim another address, port, scheme, prefix or URL; a trusted proxy's
/// are kept, and its `X-Forwarded-Host` describes the original request better than we can.
///
/// `X-Forwarded-Proto` and the element appended to `Forwarded` (RFC 7239) say the same thing:
/// the client and the scheme as judged through the trusted chain ([`Hop::client`],
/// [`Hop::proto`]), and the host `X-Forwarded-Host` names. An app that reads either family
/// then sees the same client, and the same `https` behind a TLS terminator.
pub fn set_forwarding(headers: &mut HeaderMap, hop: &Hop<'_>) {
    // One look at each name, and no removal when there is nothing to remove: this runs for
    // every proxied request.
    if !hop.trusted && headers.keys().any(is_forwarding) {
        let claimed: Vec<HeaderName> = headers
            .keys()
            .filter(|n| is_forwarding(n))
            .cloned()
            .collect();
        for name in claimed {
            headers.remove(name);
        }
    }
    // Each value is written once into one buffer, then handed to the header without a copy:
    // this runs for every proxied request.
    if let Some(ip) = hop.peer {
        let mut value = earlier(headers, &X_FORWARDED_FOR);
        let _ = write!(value, "{ip}");
        insert(headers, X_FORWARDED_FOR, value);
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(hop.proto));
    if !headers.contains_key(&X_FORWARDED_HOST)
        && let Some(host) = hop.host
    {
        headers.insert(X_FORWARDED_HOST, host.clone());
    }
    let mut value = earlier(headers, &header::FORWARDED);
    // RFC 7239 §6: an IPv6 address goes in brackets, and so in quotes; a client the chain
    // could not name (a malformed `X-Forwarded-For`) is `unknown`.
    match hop.client {
        Some(IpAddr::V4(v4)) => {
            let _ = write!(value, "for={v4};");
        }
        Some(IpAddr::V6(v6)) => {
            let _ = write!(value, "for=\"[{v6}]\";");
        }
        None if hop.peer.is_some() => value.push_str("for=unknown;"),
        None => {}
    }
    if let Some(host) = headers
        .get(&X_FORWARDED_HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_quotable(h))
    {
        let _ = write!(value, "host=\"{host}\";");
    }
    let _ = write!(value, "proto={}", hop.proto);
    insert(headers, header::FORWARDED, value);
}

/// The values of list header `name` so far, joined and followed by `, ` (RFC 9110 §5.3), ready
/// for one more element; empty when there are none.
fn earlier(headers: &HeaderMap, name: &HeaderName) -> String {
    let mut joined = String::with_capacity(64);
    for value in headers.get_all(name).iter().filter_map(|v| v.to_str().ok()) {
        joined.push_str(value);
        joined.push_str(", ");
    }
    joined
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: String) {
    if let Ok(value) = HeaderValue::from_maybe_shared(Bytes::from(value)) {
        headers.insert(name, value);
    }
}

/// One host fit for a quoted string: no quote, backslash or control character to escape, and
/// no comma (a list of hosts is not one).
fn is_quotable(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ','))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        headers
    }

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_are_removed() {
        let mut headers = map(&[
            ("connection", "keep-alive, X-Private"),
            ("x-private", "secret"),
            ("keep-alive", "timeout=5"),
            ("proxy-authorization", "Basic x"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("trailer", "x-checksum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("x-kept", "yes"),
            ("cookie", "a=1"),
        ]);
        strip_hop_by_hop(&mut headers, false);
        let mut left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["cookie", "x-kept"]);
    }

    #[test]
    fn downtimes_own_cookies_stop_at_the_proxy_and_the_apps_go_on() {
        let own = ["downtime_session".to_owned(), "downtime_bypass".to_owned()];
        let cases: [(&[&str], Option<&str>); 5] = [
            (
                &["sessionid=abc; csrftoken=x"],
                Some("sessionid=abc; csrftoken=x"),
            ),
            (
                &["sessionid=abc; downtime_session=s3cret; downtime_lang=fr"],
                Some("sessionid=abc; downtime_lang=fr"),
            ),
            (
                &["downtime_bypass=id.tag", "a=1;downtime_session =x"],
                Some("a=1"),
            ),
            (&["downtime_session=x"], None),
            (
                &["downtime_sessionid=kept"],
                Some("downtime_sessionid=kept"),
            ),
        ];
        for (values, expected) in cases {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(header::COOKIE, HeaderValue::from_static(v));
            }
            strip_cookies(&mut headers, &own);
            let left: Vec<&str> = headers
                .get_all(header::COOKIE)
                .iter()
                .map(|v| v.to_str().expect("ASCII"))
                .collect();
            match expected {
                Some(cookie) => assert_eq!(left, [cookie], "{values:?}"),
                None => assert!(left.is_empty(), "{values:?}: {left:?}"),
            }
        }
    }

    #[test]
    fn an_upgrade_keeps_the_switch_only() {
        let mut headers = map(&[
            ("connection", "Upgrade, x-private"),
            ("upgrade", "websocket"),
            ("x-private", "1"),
            ("sec-websocket-key", "abc"),
        ]);
        assert!(wants_upgrade(&headers));
        strip_hop_by_hop(&mut headers, true);
        assert_eq!(headers["upgrade"], "websocket");
        assert_eq!(headers["connection"], "upgrade");
        assert_eq!(headers["sec-websocket-key"], "abc");
        assert!(!headers.contains_key("x-private"));
        assert!(!wants_upgrade(&map(&[("upgrade", "websocket")])));
    }

    #[test]
    fn an_untrusted_clients_forwarding_headers_are_replaced() {
        let mut headers = map(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil.example"),
            ("forwarded", "for=6.6.6.6"),
            ("x-real-ip", "6.6.6.6"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-ssl", "on"),
            ("x-forwarded-scheme", "https"),
            ("x-forwarded-prefix", "/admin"),
            ("x-client-ip", "6.6.6.6"),
            ("true-client-ip", "6.6.6.6"),
            ("cf-connecting-ip", "6.6.6.6"),
            ("x-original-url", "/admin"),
            ("x-rewrite-url", "/admin"),
            ("x-app-header", "kept"),
        ]);
        let host = HeaderValue::from_static("shop.example:8080");
        set_forwarding(
            &mut headers,
            &Hop {
                peer: Some("203.0.113.7".parse().expect("ip")),
                trusted: false,
                client: Some("203.0.113.7".parse().expect("ip")),
                proto: "http",
                host: Some(&host),
            },
        );
        assert_eq!(headers["x-forwarded-for"], "203.0.113.7");
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["x-forwarded-host"], "shop.example:8080");
        assert_eq!(
            headers["forwarded"],
            "for=203.0.113.7;host=\"shop.example:8080\";proto=http"
        );
        for claim in [
            "x-real-ip",
            "x-forwarded-port",
            "x-forwarded-ssl",
            "x-forwarded-scheme",
            "x-forwarded-prefix",
            "x-client-ip",
            "true-client-ip",
            "cf-connecting-ip",
            "x-original-url",
            "x-rewrite-url",
        ] {
            assert!(!headers.contains_key(claim), "{claim}");
        }
        assert_eq!(headers["x-app-header"], "kept");
    }

    #[test]
    fn a_trusted_proxys_forwarding_headers_are_extended_with_the_judged_client() {
        let mut headers = map(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", "2001:db8::7"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "shop.example"),
            ("forwarded", "for=198.51.100.1;proto=https"),
        ]);
        set_forwarding(
            &mut headers,
            &Hop {
                peer: Some("2001:db8::1".parse().expect("ip")),
                trusted: true,
                client: Some("2001:db8::7".parse().expect("ip")),
                proto: "https",
                host: None,
            },
        );
        assert_eq!(
            headers["x-forwarded-for"],
            "198.51.100.1, 2001:db8::7, 2001:db8::1"
        );
        assert_eq!(headers["x-forwarded-proto"], "https");
        assert_eq!(headers["x-forwarded-host"], "shop.example");
        assert_eq!(
            headers["forwarded"],
            "for=198.51.100.1;proto=https, \
             for=\"[2001:db8::7]\";host=\"shop.example\";proto=https"
        );
    }

    #[test]
    fn a_client_the_chain_cannot_name_is_unknown_and_a_list_of_hosts_is_no_host() {
        let mut headers = map(&[
            ("x-forwarded-for", "garbage"),
            ("x-forwarded-proto", "gopher"),
            ("x-forwarded-host", "a.example, b.example"),
        ]);
        set_forwarding(
            &mut headers,
            &Hop {
                peer: Some("10.0.0.2".parse().expect("ip")),
                trusted: true,
                client: None,
                proto: "http",
                host: None,
            },
        );
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["forwarded"], "for=unknown;proto=http");
    }
}
