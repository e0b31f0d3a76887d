//! The upstream's address: an origin, and nothing after it.

use std::fmt;
use std::str::FromStr;

use poem::http::Uri;
use poem::http::uri::{Authority, Scheme};

/// An upstream app's address: `http://HOST[:PORT]` or `https://HOST[:PORT]`, nothing after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamUrl {
    scheme: Scheme,
    authority: Authority,
}

impl UpstreamUrl {
    /// Parses an upstream URL.
    ///
    /// # Errors
    /// Not http(s), no host, or a path, query, fragment or credentials: requests keep their own
    /// paths, so a base path would silently change every one of them.
    pub fn parse(value: &str) -> Result<Self, String> {
        let refuse = |why: &str| {
            format!(
                "{value:?} is not an upstream URL ({why}): use http://HOST:PORT or https://HOST"
            )
        };
        let value = value.trim();
        let uri: Uri = value.parse().map_err(|_| refuse("not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::HTTP,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::HTTPS,
            _ => return Err(refuse("only http and https")),
        };
        let authority = uri.authority().cloned().ok_or_else(|| refuse("no host"))?;
        if authority.host().is_empty() {
            return Err(refuse("no host"));
        }
        if authority.as_str().contains('@') {
            return Err(refuse("no credentials"));
        }
        if value.contains('#') {
            return Err(refuse("no fragment"));
        }
        if uri.query().is_some() || !matches!(uri.path(), "" | "/") {
            return Err(refuse("no path or query"));
        }
        Ok(UpstreamUrl { scheme, authority })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// `host[:port]`.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    pub(super) fn with_path(&self, path_and_query: &str) -> Option<Uri> {
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .ok()
    }
}

/// Why a text is not an [`UpstreamUrl`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidUpstream(String);

impl FromStr for UpstreamUrl {
    type Err = InvalidUpstream;

    fn from_str(value: &str) -> Result<Self, InvalidUpstream> {
        UpstreamUrl::parse(value).map_err(InvalidUpstream)
    }
}

impl fmt::Display for UpstreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_an_origin_and_nothing_more() {
        let url = UpstreamUrl::parse("http://127.0.0.1:8000").expect("plain");
        assert_eq!(url.to_string(), "http://127.0.0.1:8000");
        assert_eq!(
            UpstreamUrl::parse("HTTPS://app.internal/")
                .expect("https with a slash")
                .to_string(),
            "https://app.internal"
        );
        for bad in [
            "",
            "127.0.0.1:8000",
            "ftp://app",
            "http://",
            "http://app/base",
            "http://app/?x=1",
            "http://user:pw@app",
            "http://app/#top",
        ] {
            assert!(UpstreamUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
