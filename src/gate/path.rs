//! Path normalisation: every spelling of a path compares, and routes, as one.

use std::borrow::Cow;

/// Normalises a request path (RFC 3986 §6.2.2): percent-escapes of unreserved characters are
/// decoded and other escapes upper-cased, empty segments (`//`) are dropped and `.`/`..`
/// segments resolved (never above the root). A trailing slash is kept, since routers may care;
/// [`is_under`] ignores it.
///
/// Escapes of reserved characters such as `%2F` stay escaped, so they can never make a path
/// look like an open one; a path that needs no change is returned without allocating.
pub fn normalize(raw: &str) -> Cow<'_, str> {
    if is_normal(raw) {
        return Cow::Borrowed(raw);
    }
    let decoded = decode_unreserved(raw);
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
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
    if out.is_empty() || trailing {
        out.push('/');
    }
    Cow::Owned(out)
}

/// One pass over the bytes: no escape, no empty segment, no segment starting with a dot (so
/// no `.` or `..`; the rare `/.well-known` merely takes the slow path).
fn is_normal(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.first() == Some(&b'/')
        && bytes
            .iter()
            .zip(bytes.iter().skip(1).chain([&b'x']))
            .all(|(&b, &next)| b != b'%' && !(b == b'/' && (next == b'/' || next == b'.')))
}

fn decode_unreserved(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len() + 1);
    if !raw.starts_with('/') {
        out.push('/');
    }
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2)))
        {
            let byte = hi << 4 | lo;
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push(char::from(b"0123456789ABCDEF"[usize::from(hi)]));
                out.push(char::from(b"0123456789ABCDEF"[usize::from(lo)]));
            }
            i += 3;
            continue;
        }
        // Multi-byte characters are copied whole; `i` only stops on ASCII bytes above.
        let len = utf8_len(bytes[i]);
        out.push_str(raw.get(i..i + len).unwrap_or_default());
        i += len;
    }
    out
}

fn hex(byte: Option<&u8>) -> Option<u8> {
    char::from(*byte?)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
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
        for p in [
            "/",
            "/about",
            "/api/demo/items",
            "/a/b/",
            "/caf\u{e9}",
            "/a.b/c.",
        ] {
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
            ("/caf\u{e9}/./x", "/caf\u{e9}/x"),
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
