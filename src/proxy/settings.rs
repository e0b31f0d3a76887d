//! The proxy's settings: its flags, and what the builder hands the proxy.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ipnet::IpNet;
use poem::http::uri::Authority;

use super::body::BodyPace;
use super::url::UpstreamUrl;

/// The proxy's settings, as flags and environment variables of `downtime serve`.
#[derive(Args, Clone, Debug)]
pub struct ProxyConfig {
    /// Forward every request that passes the gate to this app (`http://127.0.0.1:8000`, or
    /// `https://…`); without it, `serve` shows the built-in demo site.
    #[arg(long, env = "DOWNTIME_UPSTREAM", value_parser = UpstreamUrl::parse)]
    pub upstream: Option<UpstreamUrl>,

    /// The `Host` sent upstream instead of the client's (for an app that answers one name only).
    #[arg(long, env = "DOWNTIME_UPSTREAM_HOST", value_parser = host_header)]
    pub upstream_host: Option<String>,

    /// How long to wait for a connection to the upstream (`5s`).
    #[arg(long, env = "DOWNTIME_UPSTREAM_CONNECT_TIMEOUT", default_value = "5s", value_parser = timeout)]
    pub upstream_connect_timeout: Duration,

    /// How long to wait for the upstream's response headers once the request is sent (`60s`);
    /// the body that follows may take as long as it needs.
    #[arg(long, env = "DOWNTIME_UPSTREAM_TIMEOUT", default_value = "60s", value_parser = timeout)]
    pub upstream_timeout: Duration,

    /// Certificates (PEM) trusted for an `https://` upstream besides the built-in roots and
    /// the system's: a private CA's, or the app's own self-signed one.
    #[arg(long, env = "DOWNTIME_UPSTREAM_CA")]
    pub upstream_ca: Option<PathBuf>,

    /// How long a request body being forwarded may send nothing (`30s`); after that long, it
    /// must also keep to `--body-min-rate` on average, or the request is cut off with 408.
    #[arg(long, env = "DOWNTIME_BODY_TIMEOUT", default_value = "30s", value_parser = timeout)]
    pub body_timeout: Duration,

    /// The lowest average rate a forwarded request body may be sent at, after the first
    /// `--body-timeout` (`1KiB`, read as bytes a second).
    #[arg(long, env = "DOWNTIME_BODY_MIN_RATE", default_value = "1KiB", value_parser = crate::http::byte_size)]
    pub body_min_rate: usize,

    /// The most upstream connections in use at once (`1024`): requests past it wait for one
    /// up to the connect timeout, then get 503.
    #[arg(long, env = "DOWNTIME_UPSTREAM_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub upstream_max_connections: u32,

    /// The most upstream connections one client address keeps in use at once (`128`): past
    /// it, 429. Behind a proxy of your own, set `--trusted-proxies`, or every client is that
    /// proxy.
    #[arg(long, env = "DOWNTIME_UPSTREAM_MAX_PER_CLIENT", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
    pub upstream_max_per_client: u32,

    /// Switch maintenance on by itself once the upstream has failed for this long (`30s`),
    /// and off again when it answers, unless an operator switched it in between (audited as
    /// actor `upstream-health`). Off when unset.
    #[arg(long, env = "DOWNTIME_AUTO_MAINTENANCE_AFTER", value_parser = timeout)]
    pub auto_maintenance_after: Option<Duration>,
}

impl Default for ProxyConfig {
    /// The same values as the flags' defaults.
    fn default() -> Self {
        ProxyConfig {
            upstream: None,
            upstream_host: None,
            upstream_connect_timeout: Duration::from_secs(5),
            upstream_timeout: Duration::from_secs(60),
            upstream_ca: None,
            body_timeout: Duration::from_secs(30),
            body_min_rate: 1024,
            upstream_max_connections: 1024,
            upstream_max_per_client: 128,
            auto_maintenance_after: None,
        }
    }
}

impl ProxyConfig {
    /// How slowly a forwarded request body may come, by these settings.
    pub fn body_pace(&self) -> BodyPace {
        BodyPace {
            timeout: self.body_timeout,
            min_rate: self.body_min_rate as u64,
        }
    }
}

/// A value fit for a `Host` header.
///
/// # Errors
/// Empty, or holds characters a header cannot.
pub fn host_header(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || value.parse::<Authority>().is_err() || value.contains('@') {
        return Err(format!(
            "{value:?} is not a host such as example.com or example.com:8080"
        ));
    }
    Ok(value.to_owned())
}

/// A timeout between 1 ms and 1 hour (`500ms`, `5s`, `2m`).
///
/// # Errors
/// Not a duration, or outside that range.
pub fn timeout(value: &str) -> Result<Duration, String> {
    let every = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    timeout_in_range(every)
}

/// A timeout between 1 ms and an hour, as [`timeout`] reads one.
///
/// # Errors
/// Outside that range.
pub fn timeout_in_range(every: Duration) -> Result<Duration, String> {
    if (Duration::from_millis(1)..=Duration::from_secs(3600)).contains(&every) {
        Ok(every)
    } else {
        Err("must be between 1ms and 1h".into())
    }
}

/// Everything an [`Upstream`](super::Upstream) needs; [`UpstreamSettings::new`] gives the defaults of
/// `downtime serve`.
#[derive(Clone, Debug)]
pub struct UpstreamSettings {
    /// Where requests go.
    pub url: UpstreamUrl,
    /// The `Host` sent instead of the client's.
    pub host: Option<String>,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long to wait for the response headers once the request is sent.
    pub response_timeout: Duration,
    /// The largest request body forwarded, in bytes; none for any size.
    pub max_body: Option<usize>,
    /// How slowly a request body may come; none for no bound.
    pub body_pace: Option<BodyPace>,
    /// The most upstream connections in use at once.
    pub max_connections: u32,
    /// The most upstream connections one client address keeps in use at once.
    pub max_per_client: u32,
    /// Proxies in front of downtime whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Certificates (a PEM file) trusted for an `https://` upstream besides the built-in and
    /// system roots.
    pub ca_file: Option<PathBuf>,
    /// Cookies that are downtime's alone (its session, a bypass link's), removed before
    /// requests go on to the upstream.
    pub own_cookies: Vec<String>,
    /// Path prefixes whose failures are answered in JSON, as the gate's (`/api`,
    /// `--json-paths`).
    pub json_paths: Vec<String>,
    /// Recognises an `Authorization` value that is downtime's own credential (a bearer token
    /// for its API), removed before requests go on to the upstream.
    pub own_credential: Option<OwnCredential>,
}

/// Whether an `Authorization` value is downtime's own credential: answered from memory, for
/// every proxied request that carries one.
#[derive(Clone)]
pub struct OwnCredential(pub Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl fmt::Debug for OwnCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnCredential")
    }
}

impl UpstreamSettings {
    /// The defaults for `url`: 5 s to connect, 60 s for the answer, bodies of any size sent at
    /// 1 KiB/s at least, 1024 connections in use (128 for one client), no trusted proxies,
    /// every cookie forwarded.
    pub fn new(url: UpstreamUrl) -> Self {
        let defaults = ProxyConfig::default();
        UpstreamSettings {
            url,
            host: None,
            connect_timeout: defaults.upstream_connect_timeout,
            response_timeout: defaults.upstream_timeout,
            max_body: None,
            body_pace: Some(defaults.body_pace()),
            max_connections: defaults.upstream_max_connections,
            max_per_client: defaults.upstream_max_per_client,
            trusted_proxies: Vec::new(),
            ca_file: None,
            own_cookies: Vec::new(),
            json_paths: vec!["/api".into()],
            own_credential: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_overrides_and_timeouts_are_checked() {
        assert_eq!(
            host_header("shop.example:8080"),
            Ok("shop.example:8080".into())
        );
        assert!(host_header("").is_err());
        assert!(host_header("a b").is_err());
        assert_eq!(timeout("500ms"), Ok(Duration::from_millis(500)));
        assert!(timeout("0s").is_err());
        assert!(timeout("2h").is_err());
    }
}
