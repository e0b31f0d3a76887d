//! URL paths: the one normal form every spelling of a path compares and routes as, the other
//! readings an app behind downtime might give the same bytes, and the segment-wise prefix test.
//!
//! A leaf: it imports nothing else from this crate, so the state (which normalises the paths it
//! stores) and the gate (which normalises the paths it judges) share it.

use std::borrow::Cow;

use poem::http::uri::PathAndQuery;

/// The request target exactly as the client sent it, kept in a request's extensions when the
/// gate hands its inner endpoint the normal form instead: the reverse proxy forwards these
/// bytes, so an app that gives `%2F` a meaning of its own receives what the client sent.
#[derive(Clone, Debug)]
pub struct SentTarget(pub PathAndQuery);

/// Normalises a request path (RFC 3986 §6.2.2): percent-escapes of unreserved characters are
/// decoded, other escapes upper-cased and characters outside ASCII percent-encoded, empty
/// segments (`//`) are dropped and `.`/`..` segments resolved (never above the root). A
/// trailing slash is kept, since routers may care; [`is_under`] ignores it.
///
/// Escapes of reserved characters such as `%2F` stay escaped here; [`readings`] gives the
/// paths an app that decodes them would see. A path that needs no change is returned without
/// allocating.
pub fn normalize(raw: &str) -> Cow<'_, str> {
    if is_normal(raw) {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(resolve(&decode_unreserved(raw), false))
}

/// Resolves `.` and `..` segments of a path whose escapes are already decoded; empty segments
/// are dropped, or kept as a WHATWG URL parser (browsers, Node.js) keeps them.
fn resolve(decoded: &str, keep_empty: bool) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = decoded.split('/');
    // The part before the first slash (empty for an absolute path).
    parts.next();
    for segment in parts {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            "" if !keep_empty => {}
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len() + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    let last = decoded.rsplit('/').next().unwrap_or_default();
    let trailing = decoded.ends_with('/') || last == "." || last == "..";
    if out.is_empty() || (trailing && !out.ends_with('/')) {
        out.push('/');
    }
    out
}

/// One pass over the bytes: ASCII, no escape, no empty segment, no segment starting with a dot
/// (so no `.` or `..`; the rare `/.well-known` merely takes the slow path).
fn is_normal(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.first() == Some(&b'/')
        && bytes
            .iter()
            .zip(bytes.iter().skip(1).chain([&b'x']))
            .all(|(&b, &next)| {
                b != b'%' && b.is_ascii() && !(b == b'/' && (next == b'/' || next == b'.'))
            })
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_escaped(out: &mut String, byte: u8) {
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0xF)]));
}

/// Decodes the escapes of unreserved characters, upper-cases the others and escapes every byte
/// outside ASCII, with a leading slash.
fn decode_unreserved(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len() + 1);
    if !raw.starts_with('/') {
        out.push('/');
    }
    let mut i = 0;
    while i < bytes.len() {
        if let Some(byte) = escape_at(bytes, i) {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                push_escaped(&mut out, byte);
            }
            i += 3;
        } else if bytes[i].is_ascii() {
            out.push(char::from(bytes[i]));
            i += 1;
        } else {
            push_escaped(&mut out, bytes[i]);
            i += 1;
        }
    }
    out
}

/// The byte of a well-formed escape (`%` and two hex digits) at `i`.
fn escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let hex = |byte: Option<&u8>| {
        char::from(*byte?)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    Some(hex(bytes.get(i + 1))? << 4 | hex(bytes.get(i + 2))?)
}

/// Whether an app might read `raw` as another path than [`normalize`] gives: it holds an
/// escape, a backslash, a `;` parameter or an empty segment. Cheap; when false,
/// [`readings`] is empty.
pub fn may_read_otherwise(raw: &str) -> bool {
    raw.bytes().any(|b| matches!(b, b'%' | b'\\' | b';')) || raw.contains("//")
}

/// The other paths, each normalised, that an app might route `raw` to: with `%2F`, `%5C` and
/// `\` read as `/`; with `;`-parameters removed from each segment (before or after that);
/// with one more level of percent-decoding (`%252F` read as `%2F`, then as `/`); and with
/// empty segments kept while `..` is resolved, as WHATWG URL parsers do. The servers and
/// frameworks met behind proxies each do some of these; a path is safe to judge only when
/// every reading is judged. Empty unless [`may_read_otherwise`].
pub fn readings(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if !may_read_otherwise(raw) {
        return out;
    }
    let primary = normalize(raw);
    for decode in [false, true] {
        let base: Cow<'_, str> = if decode {
            Cow::Owned(decode_once(raw))
        } else {
            Cow::Borrowed(raw)
        };
        for (slashes, params) in [
            (false, Params::Kept),
            (false, Params::Removed),
            (true, Params::Kept),
            (true, Params::RemovedFirst),
            (true, Params::RemovedAfter),
        ] {
            let mut path = base.clone();
            if params == Params::Removed || params == Params::RemovedFirst {
                path = Cow::Owned(strip_params(&path));
            }
            if slashes {
                path = Cow::Owned(read_slashes(&path));
            }
            if params == Params::RemovedAfter {
                path = Cow::Owned(strip_params(&path));
            }
            for keep_empty in [false, true] {
                let reading = if keep_empty {
                    normalize(&resolve(&decode_unreserved(&path), true)).into_owned()
                } else {
                    normalize(&path).into_owned()
                };
                if reading != primary && !out.contains(&reading) {
                    out.push(reading);
                }
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Params {
    Kept,
    Removed,
    RemovedFirst,
    RemovedAfter,
}

/// Every well-formed escape decoded once (`%25` too); bytes that are not printable ASCII are
/// escaped again, as [`normalize`] would.
fn decode_once(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let (byte, step) = escape_at(bytes, i).map_or((bytes[i], 1), |byte| (byte, 3));
        if byte.is_ascii_graphic() {
            out.push(char::from(byte));
        } else {
            push_escaped(&mut out, byte);
        }
        i += step;
    }
    out
}

/// `%2F`, `%5C` (either case) and `\` as `/`.
fn read_slashes(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        match escape_at(bytes, i) {
            Some(b'/' | b'\\') => {
                out.push('/');
                i += 3;
            }
            _ if bytes[i] == b'\\' => {
                out.push('/');
                i += 1;
            }
            _ => {
                // Multi-byte characters are copied whole; `i` only stops on ASCII bytes above.
                let len = utf8_len(bytes[i]);
                out.push_str(raw.get(i..i + len).unwrap_or_default());
                i += len;
            }
        }
    }
    out
}

/// Each segment cut at its first `;` (`/a;x=1/b;y` reads `/a/b`), as servlet containers do.
fn strip_params(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (index, segment) in raw.split('/').enumerate() {
        if index > 0 {
            out.push('/');
        }
        out.push_str(segment.split(';').next().unwrap_or_default());
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Whether normalised `path` is `prefix` itself or lies below it (segment-wise: `/api` covers
/// `/api/x` and `/api/`, not `/apix`).
pub fn is_under(path: &str, prefix: &str) -> bool {
    under(path, prefix, |head, prefix| head == prefix)
}

/// Like [`is_under`], but ignoring ASCII case: for a prefix that closes paths (a window's
/// scope), where an app that routes `/Checkout` like `/checkout` must not let it escape.
pub fn is_under_any_case(path: &str, prefix: &str) -> bool {
    under(path, prefix, str::eq_ignore_ascii_case)
}

/// Whether `path` starts with `prefix` (compared by `same`) at a segment boundary.
fn under(path: &str, prefix: &str, same: fn(&str, &str) -> bool) -> bool {
    let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
    match (path.get(..prefix.len()), path.get(prefix.len()..)) {
        (Some(head), Some(rest)) if same(head, prefix) => rest.is_empty() || rest.starts_with('/'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_paths_are_borrowed_unchanged() {
        for p in ["/", "/about", "/api/demo/items", "/a/b/", "/a.b/c."] {
            assert!(matches!(normalize(p), Cow::Borrowed(b) if b == p), "{p}");
        }
    }

    #[test]
    fn every_spelling_normalises_to_one_path() {
        let cases = [
            ("//healthz", "/healthz"),
            ("/a//b", "/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/../../etc", "/etc"),
            ("/healthz/../admin", "/admin"),
            ("/%68ealthz", "/healthz"),
            ("/%2e%2e/admin", "/admin"),
            ("/static/%2E%2E/admin", "/admin"),
            ("/a/b/..", "/a/"),
            ("/a/.", "/a/"),
            ("/a%2fb", "/a%2Fb"),
            ("/api%2Fmaintenance", "/api%2Fmaintenance"),
            ("/%zz/%", "/%zz/%"),
            ("/%E2%82%AC", "/%E2%82%AC"),
            ("/caf\u{e9}/./x", "/caf%C3%A9/x"),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("relative", "/relative"),
            ("/.well-known/x", "/.well-known/x"),
            ("/a/..b", "/a/..b"),
            ("", "/"),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalize(raw), expected, "{raw}");
        }
    }

    #[test]
    fn is_under_matches_whole_segments() {
        assert!(is_under("/api", "/api"));
        assert!(is_under("/api/", "/api"));
        assert!(is_under("/api/x", "/api"));
        assert!(is_under("/api/x", "/api/"));
        assert!(!is_under("/apix", "/api"));
        assert!(!is_under("/ap", "/api"));
        assert!(is_under("/anything", "/"));
    }

    fn read(raw: &str) -> Vec<String> {
        let mut all = readings(raw);
        all.sort();
        all
    }

    #[test]
    fn readings_are_what_apps_decode_the_path_to() {
        assert!(read("/static/app.css").is_empty());
        assert!(read("/a/../b").is_empty());
        assert_eq!(read("/static/..%2Fadmin"), ["/admin"]);
        assert_eq!(read("/static/..%2fadmin"), ["/admin"]);
        assert_eq!(read("/static/..\\admin"), ["/admin"]);
        assert!(read("/x/..%5Ccheckout").contains(&"/checkout".to_owned()));
        assert_eq!(read("/checkout%2Fpay"), ["/checkout/pay"]);
        assert!(read("/static/..%252Fadmin").contains(&"/admin".to_owned()));
        assert!(read("/static/..;/admin").contains(&"/admin".to_owned()));
        assert!(read("/checkout;jsessionid=1").contains(&"/checkout".to_owned()));
        // WHATWG parsers keep the empty segment that `..` then removes.
        assert!(read("/checkout//..").contains(&"/checkout/".to_owned()));
        // Never the primary reading again, and each one in normal form.
        for raw in ["/a%2Fb", "/a;b/c", "/x//..%2F.."] {
            for reading in read(raw) {
                assert_ne!(reading, normalize(raw));
                assert_eq!(normalize(&reading), reading.as_str());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn normalising_never_panics_and_is_final(raw in "\\PC{0,40}") {
            let once = normalize(&raw).into_owned();
            proptest::prop_assert!(once.starts_with('/'));
            proptest::prop_assert!(!once.contains("//"), "{once}");
            for segment in once.split('/') {
                proptest::prop_assert!(segment != "." && segment != "..", "{once}");
            }
            // The normalised form is its own normal form: judging it again changes nothing.
            let twice = normalize(&once);
            proptest::prop_assert_eq!(&*twice, once.as_str());
        }
    }
}
