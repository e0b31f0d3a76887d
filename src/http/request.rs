//! What a request says about its client: its address, whether it wants a page, and the
//! values of its query and cookies; and the URLs of this site.

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;
use percent_encoding::percent_decode_str;
use poem::Request;
use poem::http::header;
use poem::http::{HeaderMap, Uri};

use super::q_values;

/// The client's address: the connection's, or, when that is a trusted proxy, the right-most
/// `X-Forwarded-For` entry that is not one (left-most entries are whatever the client wrote).
/// A malformed header counts as no address.
pub fn client_ip(req: &Request, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr()?.ip();
    client_ip_from(peer, req.headers(), trusted)
}

fn client_ip_from(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        for entry in value.to_str().ok()?.rsplit(',') {
            let ip = entry.trim().parse::<IpAddr>().ok()?.to_canonical();
            client = ip;
            if !is_trusted(&ip) {
                return Some(ip);
            }
        }
    }
    Some(client)
}

/// How the client reached the site, `https` or `http`: the connection's scheme, or, when the
/// connection comes from a trusted proxy, the one its `X-Forwarded-Proto` vouches for (the
/// right-most entry, which that proxy wrote; left-most ones may be the client's). A value that
/// is neither counts as no claim.
pub fn client_proto(req: &Request, trusted: &[IpNet]) -> &'static str {
    let https = req.scheme() == &poem::http::uri::Scheme::HTTPS;
    let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else {
        return proto_name(https);
    };
    client_proto_from(peer, https, req.headers(), trusted)
}

fn client_proto_from(
    peer: IpAddr,
    https: bool,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> &'static str {
    let peer = peer.to_canonical();
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return proto_name(https);
    }
    let vouched = headers
        .get_all("x-forwarded-proto")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim);
    match vouched {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ => proto_name(https),
    }
}

fn proto_name(https: bool) -> &'static str {
    if https { "https" } else { "http" }
}

/// Whether an `Accept` header asks for a page rather than JSON: only when it names
/// `text/html` or `application/xhtml+xml` itself and likes it at least as much as JSON.
/// `*/*` (which JSON matches as well as HTML), `text/*` and a missing header mean JSON:
/// browsers always name `text/html`, while scripts (`fetch`, axios, curl, python-requests)
/// send `*/*` or a JSON type.
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    let (mut html, mut json) = (-1.0_f32, -1.0_f32);
    for (media, q) in q_values(accept) {
        // A malformed q-value is forgiven as 1: the client did ask for the type.
        let q = q.unwrap_or(1.0);
        let (is_html, is_json) = media_kind(media);
        if is_html {
            html = html.max(q);
        }
        if is_json {
            json = json.max(q);
        }
    }
    html > 0.0 && html >= json
}

/// Whether a media range names a page (`text/html`, `application/xhtml+xml`) and whether JSON
/// matches it (`application/json`, `…+json`, `application/*`, `*/*`).
fn media_kind(media: &str) -> (bool, bool) {
    let eq = |a: &str| media.eq_ignore_ascii_case(a);
    if eq("text/html") || eq("application/xhtml+xml") {
        (true, false)
    } else if eq("*/*")
        || eq("application/json")
        || eq("application/problem+json")
        || eq("application/*")
    {
        (false, true)
    } else {
        let json_suffix = media.len() >= 5
            && media
                .get(media.len() - 5..)
                .is_some_and(|end| end.eq_ignore_ascii_case("+json"));
        (false, json_suffix)
    }
}

/// Whether the request says a script sent it: `X-Requested-With: XMLHttpRequest` (jQuery and
/// most frameworks' AJAX helpers) or `Sec-Fetch-Mode: cors` (a browser's `fetch` to another
/// origin). A script gets JSON whatever its `Accept` says.
pub fn sent_by_script(headers: &HeaderMap) -> bool {
    let is = |name: &str, value: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    is("x-requested-with", "XMLHttpRequest") || is("sec-fetch-mode", "cors")
}

/// The `ETag` of a state version: `"v42"`.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// Where this site is reachable, as the identity provider and browsers see it.
#[derive(Clone, Debug)]
pub struct SiteUrls {
    /// The public base URL, without a trailing slash (`https://example.com`).
    pub base_url: String,
    /// Where downtime's routes are mounted (`""` or `/_downtime`).
    pub prefix: String,
}

impl SiteUrls {
    /// The absolute URL of one of downtime's own paths (`/auth/callback`).
    pub fn own(&self, path: &str) -> String {
        format!("{}{}{path}", self.base_url, self.prefix)
    }

    /// The path (no host) of one of downtime's own paths.
    pub fn own_path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }
}

/// The value of cookie `name` in `headers`, if they carry it.
pub fn cookie_in<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    cookie_in(req.headers(), name)
}

/// The decoded value of query parameter `name` in `uri` (`+` read as a space).
pub fn query_value<'a>(uri: &'a Uri, name: &str) -> Option<Cow<'a, str>> {
    let query = uri.query()?;
    let raw = query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })?;
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        return percent_decode_str(&spaced)
            .decode_utf8()
            .ok()
            .map(|v| Cow::Owned(v.into_owned()));
    }
    percent_decode_str(raw).decode_utf8().ok()
}

/// The decoded value of query parameter `name` of the request.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Option<Cow<'a, str>> {
    query_value(req.uri(), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    fn request(peer: &str, forwarded: &[&str]) -> (IpAddr, poem::http::HeaderMap) {
        let mut headers = poem::http::HeaderMap::new();
        for value in forwarded {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(value).expect("header"),
            );
        }
        let addr: std::net::SocketAddr = peer.parse().expect("addr");
        (addr.ip(), headers)
    }

    #[test]
    fn the_client_address_believes_forwarded_for_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        let cases = [
            (
                request("203.0.113.9:5000", &["198.51.100.1"]),
                ip("203.0.113.9"),
            ),
            (request("10.0.0.2:5000", &[]), ip("10.0.0.2")),
            (
                request("10.0.0.2:5000", &["198.51.100.1"]),
                ip("198.51.100.1"),
            ),
            (
                request("10.0.0.2:5000", &["1.1.1.1, 198.51.100.1, 10.0.0.3"]),
                ip("198.51.100.1"),
            ),
            (
                request("10.0.0.2:5000", &["1.1.1.1", "198.51.100.1"]),
                ip("198.51.100.1"),
            ),
            (request("10.0.0.2:5000", &["garbage"]), None),
            (request("[::ffff:203.0.113.9]:5000", &[]), ip("203.0.113.9")),
        ];
        for ((peer, headers), expected) in cases {
            assert_eq!(
                client_ip_from(peer, &headers, &trusted),
                expected,
                "{peer} {headers:?}"
            );
        }
        let (peer, headers) = request("10.0.0.2:1", &["198.51.100.1"]);
        assert_eq!(client_ip_from(peer, &headers, &[]), ip("10.0.0.2"));
    }

    #[test]
    fn the_scheme_believes_forwarded_proto_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let proto = |peer: &str, https: bool, values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(
                    "x-forwarded-proto",
                    HeaderValue::from_str(value).expect("header"),
                );
            }
            client_proto_from(peer.parse().expect("ip"), https, &headers, &trusted)
        };
        assert_eq!(proto("203.0.113.9", false, &["https"]), "http");
        assert_eq!(proto("203.0.113.9", true, &["http"]), "https");
        assert_eq!(proto("10.0.0.2", false, &["https"]), "https");
        assert_eq!(proto("10.0.0.2", false, &["HTTPS"]), "https");
        assert_eq!(proto("::ffff:10.0.0.2", false, &["https"]), "https");
        assert_eq!(proto("10.0.0.2", true, &["http"]), "http");
        assert_eq!(proto("10.0.0.2", false, &["https, http"]), "http");
        assert_eq!(proto("10.0.0.2", false, &["http", "https"]), "https");
        assert_eq!(proto("10.0.0.2", false, &["gopher"]), "http");
        assert_eq!(proto("10.0.0.2", true, &[]), "https");
    }
}
