//! Typed settings, from flags and environment variables (each flag names its variable).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::auth::AuthConfig;
use crate::gate::Rules;

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://downtime.db?mode=rwc";

/// Where the state lives; shared by every command.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true, default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// `on` or `off`, as `MAINTENANCE_MODE` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    /// Switch maintenance on.
    On,
    /// Switch maintenance off.
    Off,
}

/// How `downtime serve` runs.
#[derive(Args, Clone, Debug)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "DOWNTIME_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Switch maintenance on or off at start (applied and audited like any change, actor
    /// `environment`); left as stored when unset.
    #[arg(long, env = "MAINTENANCE_MODE", value_enum, ignore_case = true)]
    pub maintenance_mode: Option<Toggle>,

    /// Serve the maintenance page at the requested URL instead of redirecting to `/maintenance`.
    #[arg(long, env = "DOWNTIME_SERVE_IN_PLACE")]
    pub serve_in_place: bool,

    /// Extra path prefixes that stay open during maintenance, comma-separated (`/status,/blog`).
    #[arg(long, env = "DOWNTIME_OPEN_PATHS", value_delimiter = ',', value_parser = open_path)]
    pub open_paths: Vec<String>,

    /// Refuse API writes that do not send `If-Match` (428), so no change is made blind.
    #[arg(long, env = "DOWNTIME_REQUIRE_IF_MATCH")]
    pub require_if_match: bool,

    /// Proxies whose `X-Forwarded-For` is believed (CIDR, comma-separated); from anyone else
    /// the header is ignored and the connection's address counts.
    #[arg(long, env = "DOWNTIME_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::state::parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The page's language when the visitor's cannot be served.
    #[arg(long, env = "DOWNTIME_DEFAULT_LANGUAGE", default_value = "en-US")]
    pub default_language: String,

    /// How often to look for changes made by the CLI or other replicas (`500ms`, `1s`).
    #[arg(long, env = "DOWNTIME_POLL_INTERVAL", default_value = "500ms", value_parser = poll_interval)]
    pub poll_interval: Duration,

    /// Login and superusers.
    #[command(flatten)]
    pub auth: AuthConfig,
}

impl Default for ServeConfig {
    /// The same values as the flags' defaults.
    fn default() -> Self {
        ServeConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            maintenance_mode: None,
            serve_in_place: false,
            open_paths: Vec::new(),
            trusted_proxies: Vec::new(),
            require_if_match: false,
            default_language: "en-US".into(),
            poll_interval: Duration::from_millis(500),
            auth: AuthConfig {
                oidc_scopes: "openid email profile".into(),
                groups_claim: "groups".into(),
                session_ttl: Duration::from_secs(8 * 3600),
                ..AuthConfig::default()
            },
        }
    }
}

impl ServeConfig {
    /// The gate's rules from these settings.
    pub fn rules(&self) -> Rules {
        Rules {
            open_paths: self.open_paths.clone(),
            serve_in_place: self.serve_in_place,
            trusted_proxies: self.trusted_proxies.clone(),
            ..Rules::default()
        }
    }
}

/// Parses a path prefix kept open (`/status`; a trailing slash is dropped).
///
/// # Errors
/// Not a path prefix.
pub fn open_path(value: &str) -> Result<String, String> {
    crate::state::parse_open_path(value.trim())
}

fn poll_interval(value: &str) -> Result<Duration, String> {
    let every = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if (Duration::from_millis(50)..=Duration::from_secs(60)).contains(&every) {
        Ok(every)
    } else {
        Err("must be between 50ms and 60s".into())
    }
}

/// A database URL fit for messages: the password, if any, is replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{masked}@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/site"),
            "postgres://app:***@db:5432/site"
        );
        assert_eq!(redact("postgres://app@db/site"), "postgres://app@db/site");
        assert_eq!(
            redact("sqlite://downtime.db?mode=rwc"),
            "sqlite://downtime.db?mode=rwc"
        );
        assert_eq!(
            redact("postgres://a:b@c@host/db"),
            "postgres://a:***@host/db"
        );
    }

    #[test]
    fn open_paths_must_be_prefixes() {
        assert_eq!(open_path("/status/"), Ok("/status".into()));
        assert!(open_path("status").is_err());
        assert!(open_path("/").is_err());
        assert!(open_path("/a?b").is_err());
    }
}
