//! Typed settings, from flags and environment variables (each flag names its variable), or
//! set in code through [`crate::Downtime::builder`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, ValueEnum};

use crate::auth::AuthConfig;
use crate::gate::hold::{HoldLimits, ReleaseRate};
pub use crate::http::byte_size;
use crate::http::server::{Limits, TlsFiles};
use crate::metrics::MetricsConfig;
use crate::proxy::ProxyConfig;
use crate::state::Connections;
use crate::web::locale::LANG_COOKIE;
use crate::webhook::WebhookConfig;

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://downtime.db?mode=rwc";

/// The headings `downtime serve --help` groups its options under. A new option takes the one
/// that fits (`help_heading = heading::LOGIN`); the headings are shown in the order of their
/// first option.
pub mod heading {
    /// The options every command takes.
    pub const GLOBAL: &str = "Global options";
    /// Where and how the gate serves: the address, the prefix, what stays open.
    pub const SERVING: &str = "Serving";
    /// The maintenance page and the cookies visitors get.
    pub const PAGES: &str = "Maintenance page";
    /// Forwarding to the app (`--upstream`).
    pub const PROXY: &str = "Proxy (--upstream)";
    /// The database's use by the server, and what keeps replicas in step.
    pub const REPLICAS: &str = "Database and replicas";
    /// OpenID Connect login, sessions and superusers.
    pub const LOGIN: &str = "Login";
    /// Signed webhooks on every change.
    pub const WEBHOOKS: &str = "Webhooks";
    /// `/metrics`.
    pub const OBSERVABILITY: &str = "Observability";
    /// Timeouts and bounds on clients' connections.
    pub const CONNECTIONS: &str = "Connections";
    /// HTTPS on the serving address.
    pub const TLS: &str = "HTTPS";
}

/// Where the state lives; shared by every command.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true, default_value = DEFAULT_DATABASE_URL, help_heading = heading::GLOBAL)]
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

/// Everything `downtime serve` can be told, and so everything the library can: each field is
/// a flag and an environment variable, with the defaults of [`Config::default`].
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Where the state lives (set from `--database-url` / `DATABASE_URL`, shared by every
    /// command).
    #[arg(skip = DEFAULT_DATABASE_URL.to_owned())]
    pub database_url: String,

    /// Mount downtime's own routes (`/maintenance`, `/api/…`, `/auth/…`, `/healthz`,
    /// `/readyz`) under this prefix, such as `/_downtime`, so they never collide with the
    /// site's; empty mounts them at the root.
    #[arg(long, env = "DOWNTIME_PREFIX", default_value = "", value_parser = prefix, help_heading = heading::SERVING)]
    pub prefix: String,

    /// A directory of page overrides: `maintenance.html.tera`, `maintenance.css`, a logo
    /// (`logo.svg` or `logo.png`) and `locales/<language>/*.ftl`; what it lacks stays built in.
    #[arg(long, env = "DOWNTIME_PAGE_DIR", help_heading = heading::PAGES)]
    pub page_dir: Option<PathBuf>,

    /// The largest request body forwarded to the upstream, in bytes (`50MiB`, `1GiB` or a
    /// number). Unset, bodies of any size go through: the app has its own limit, and
    /// `--body-timeout` keeps slow ones from holding connections. downtime's own routes and
    /// the demo site always take at most 64 KiB.
    #[arg(long, env = "DOWNTIME_MAX_BODY", value_parser = byte_size, help_heading = heading::PROXY)]
    pub max_body: Option<usize>,

    /// Address and port to listen on.
    #[arg(long, env = "DOWNTIME_BIND", default_value = "127.0.0.1:3000", help_heading = heading::SERVING)]
    pub bind: SocketAddr,

    /// Switch maintenance on or off at start (applied and audited like any change, actor
    /// `environment`); left as stored when unset.
    #[arg(long, env = "MAINTENANCE_MODE", value_enum, ignore_case = true, help_heading = heading::SERVING)]
    pub maintenance_mode: Option<Toggle>,

    /// Serve the maintenance page at the requested URL instead of redirecting to `/maintenance`.
    #[arg(long, env = "DOWNTIME_SERVE_IN_PLACE", help_heading = heading::SERVING)]
    pub serve_in_place: bool,

    /// Extra path prefixes that stay open during maintenance, comma-separated (`/status,/blog`).
    #[arg(long, env = "DOWNTIME_OPEN_PATHS", value_delimiter = ',', value_parser = crate::state::parse_open_path, help_heading = heading::SERVING)]
    pub open_paths: Vec<String>,

    /// The app's JSON APIs (`/graphql,/v1`, repeatable or comma-separated): gated requests
    /// under them get the problem document whatever their `Accept` says (`/api` always does).
    #[arg(long, env = "DOWNTIME_JSON_PATHS", value_delimiter = ',', value_parser = crate::state::parse_open_path, help_heading = heading::SERVING)]
    pub json_paths: Vec<String>,

    /// Refuse API writes that do not send `If-Match` (428), so no change is made blind.
    #[arg(long, env = "DOWNTIME_REQUIRE_IF_MATCH", help_heading = heading::SERVING)]
    pub require_if_match: bool,

    /// Proxies whose `X-Forwarded-For` is believed (CIDR, comma-separated); from anyone else
    /// the header is ignored and the connection's address counts.
    #[arg(long, env = "DOWNTIME_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::state::parse_network, help_heading = heading::SERVING)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The cookie that remembers a visitor's choice of language: change it if the site behind
    /// uses the same name.
    #[arg(long, env = "DOWNTIME_LANG_COOKIE", default_value = LANG_COOKIE, value_parser = crate::http::cookie_name, help_heading = heading::PAGES)]
    pub lang_cookie: String,

    /// The cookie a bypass link sets: change it if the site behind uses the same name.
    #[arg(long, env = "DOWNTIME_BYPASS_COOKIE", default_value = crate::bypass::COOKIE_NAME, value_parser = crate::http::cookie_name, help_heading = heading::PAGES)]
    pub bypass_cookie: String,

    /// The page's language when the visitor's cannot be served.
    #[arg(long, env = "DOWNTIME_DEFAULT_LANGUAGE", default_value = "en-US", help_heading = heading::PAGES)]
    pub default_language: String,

    /// How often to read the stored state in case a change went unannounced (`5s`, `500ms`):
    /// changes by the CLI or other replicas arrive at once through PostgreSQL's notifications
    /// or SQLite's data version; this poll is the safety net.
    #[arg(long, env = "DOWNTIME_POLL_INTERVAL", default_value = "5s", value_parser = poll_interval, help_heading = heading::REPLICAS)]
    pub poll_interval: Duration,

    /// The most connections to PostgreSQL this process opens for writes (1–100), beside its
    /// change listener's one: they open when needed and close after 5 s unused, so at rest a
    /// replica holds one connection. N replicas need N at rest and up to N × (this + 1) in a
    /// burst of writes on every replica at once. SQLite always uses one.
    #[arg(long, env = "DOWNTIME_DB_MAX_CONNECTIONS", default_value_t = Connections::DEFAULT_MAX, value_parser = clap::value_parser!(u32).range(1..=i64::from(Connections::MAX)), help_heading = heading::REPLICAS)]
    pub db_max_connections: u32,

    /// Follow changes made elsewhere by the poll alone (`--poll-interval`), without
    /// PostgreSQL's `LISTEN`: for a pooler in transaction mode, where notifications never
    /// arrive, or for fleets too large for a connection per replica.
    #[arg(long, env = "DOWNTIME_POLL_ONLY", help_heading = heading::REPLICAS)]
    pub poll_only: bool,

    /// In a hold window (`downtime hold`), the most requests waiting at once; the next ones
    /// get the maintenance answer at once. Each holds its connection (keep this well under
    /// `--max-connections`) and about 29 KB of memory with it.
    #[arg(long, visible_alias = "max-held", env = "DOWNTIME_HOLD_QUEUE", default_value_t = crate::gate::hold::DEFAULT_QUEUE, value_parser = count, help_heading = heading::SERVING)]
    pub hold_queue: usize,

    /// How fast requests held by a hold window go on when it ends (`500/s`), in the order
    /// they came, so an app that has just restarted is not hit by all of them at once.
    /// Unset: all at once.
    #[arg(long, env = "DOWNTIME_RELEASE_RATE", help_heading = heading::SERVING)]
    pub release_rate: Option<ReleaseRate>,

    /// Login and superusers.
    #[command(flatten, next_help_heading = heading::LOGIN)]
    pub auth: AuthConfig,

    /// The upstream app, when downtime is a reverse proxy (`--upstream`).
    #[command(flatten, next_help_heading = heading::PROXY)]
    pub proxy: ProxyConfig,

    /// Signed webhooks on every change (`--webhook`).
    #[command(flatten, next_help_heading = heading::WEBHOOKS)]
    pub webhook: WebhookConfig,
    /// Who may read `/metrics`.
    #[command(flatten, next_help_heading = heading::OBSERVABILITY)]
    pub metrics: MetricsConfig,

    /// Timeouts and bounds on the server's connections.
    #[command(flatten, next_help_heading = heading::CONNECTIONS)]
    pub server: ServerConfig,

    /// HTTPS on the serving address.
    #[command(flatten, next_help_heading = heading::TLS)]
    pub tls: TlsConfig,
}

/// HTTPS: the certificate and key the serving address presents, from files or ordered by
/// ACME.
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with this certificate chain: a PEM file, the site's
    /// certificate first, then its intermediates. Read again when it changes and on SIGHUP.
    #[arg(long, env = "DOWNTIME_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of `--tls-cert`: a PEM file (PKCS#8, RSA or EC; RSA, ECDSA or Ed25519).
    #[arg(long, env = "DOWNTIME_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Serve HTTPS with a certificate for this domain ordered from an ACME server (Let's
    /// Encrypt by default) and renewed on its own; repeat for more domains, each with its own
    /// certificate. The domain must resolve to this server, and the ACME server must reach it
    /// on port 443 (or on port 80, with `--acme-challenge http-01`). Needs `--secret-key`,
    /// which encrypts the stored private keys.
    #[arg(long = "acme-domain", env = "DOWNTIME_ACME_DOMAIN", value_delimiter = ',', conflicts_with_all = ["tls_cert", "tls_key"], value_parser = acme_domain)]
    pub acme_domains: Vec<String>,

    /// The email address the ACME server may write to about the account (such as expiry
    /// notices).
    #[arg(long, env = "DOWNTIME_ACME_EMAIL", requires = "acme_domains")]
    pub acme_email: Option<String>,

    /// The ACME server's directory URL: Let's Encrypt's production one by default; its
    /// staging one is https://acme-staging-v02.api.letsencrypt.org/directory.
    #[arg(long, env = "DOWNTIME_ACME_DIRECTORY", default_value = crate::acme::LETS_ENCRYPT)]
    pub acme_directory: String,

    /// Trust the CA certificates in this PEM file for the ACME server (a private ACME
    /// server), besides the usual roots.
    #[arg(long, env = "DOWNTIME_ACME_CA", requires = "acme_domains")]
    pub acme_ca: Option<PathBuf>,

    /// Renew a certificate this long before it expires.
    #[arg(long, env = "DOWNTIME_ACME_RENEW_BEFORE", default_value = "30days", value_parser = humantime::parse_duration)]
    pub acme_renew_before: Duration,

    /// How the ACME server checks that this server answers for each domain: `tls-alpn-01`
    /// on the HTTPS port, or `http-01` on `--http-bind` (port 80). The default is `http-01`
    /// with `--http-bind`, else `tls-alpn-01`.
    #[arg(long, env = "DOWNTIME_ACME_CHALLENGE", requires = "acme_domains")]
    pub acme_challenge: Option<crate::acme::Challenge>,

    /// The least time between two orders of a domain, and the most between two looks at what
    /// is due.
    #[arg(long, env = "DOWNTIME_ACME_CHECK_EVERY", default_value = "1h", value_parser = humantime::parse_duration, hide = true)]
    pub acme_check_every: Duration,

    /// How long the first retry after a failed order waits; it doubles with each failure.
    #[arg(long, env = "DOWNTIME_ACME_RETRY_AFTER", default_value = "1m", value_parser = humantime::parse_duration, hide = true)]
    pub acme_retry_after: Duration,

    /// Also answer plain HTTP on this address (`0.0.0.0:80`), with a permanent redirect
    /// (308) to the same URL over HTTPS.
    #[arg(long, env = "DOWNTIME_HTTP_BIND")]
    pub http_bind: Option<SocketAddr>,

    /// With `--http-bind`: answer ACME HTTP-01 challenges (`/.well-known/acme-challenge/…`)
    /// from this directory, where `certbot certonly --webroot -w DIR` writes them, instead of
    /// redirecting them.
    #[arg(long, env = "DOWNTIME_ACME_WEBROOT", requires = "http_bind")]
    pub acme_webroot: Option<PathBuf>,

    /// Send `Strict-Transport-Security: max-age=31536000` with every HTTPS answer (unless the
    /// app sends its own): browsers then use only HTTPS for a year. Opt in once HTTPS works.
    #[arg(long, env = "DOWNTIME_HSTS")]
    pub hsts: bool,

    /// How often to look whether the certificate's files changed.
    #[arg(long, env = "DOWNTIME_TLS_RELOAD_POLL", default_value = "2s", value_parser = crate::proxy::timeout, hide = true)]
    pub tls_reload_poll: Duration,
}

impl TlsConfig {
    /// The certificate's files, when HTTPS is on.
    pub fn files(&self) -> Option<TlsFiles> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }

    /// Whether the server speaks HTTPS.
    pub fn enabled(&self) -> bool {
        self.tls_cert.is_some() || !self.acme_domains.is_empty()
    }

    /// What ACME is to order, when `--acme-domain` is given; `poll` is how often replicas
    /// read the database.
    pub fn acme(&self, poll: Duration) -> Option<crate::acme::Settings> {
        if self.acme_domains.is_empty() {
            return None;
        }
        let challenge = self.acme_challenge.unwrap_or(if self.http_bind.is_some() {
            crate::acme::Challenge::Http01
        } else {
            crate::acme::Challenge::TlsAlpn01
        });
        Some(crate::acme::Settings {
            domains: self.acme_domains.clone(),
            email: self.acme_email.clone(),
            directory: self.acme_directory.clone(),
            ca_file: self.acme_ca.clone(),
            renew_before: self.acme_renew_before,
            challenge,
            check_every: self.acme_check_every,
            retry_after: self.acme_retry_after,
            poll,
        })
    }
}

/// A domain for `--acme-domain`: a DNS name (no address, no wildcard), lower case.
fn acme_domain(value: &str) -> Result<String, String> {
    let domain = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if domain.len() > 253 || !domain.split('.').all(label_ok) {
        return Err(format!(
            "{value:?} is not a domain name (such as example.com; no wildcards, addresses or ports)"
        ));
    }
    if domain.parse::<std::net::IpAddr>().is_ok()
        || domain
            .split('.')
            .next_back()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "{value:?} is an address: ACME certificates here are for domain names"
        ));
    }
    Ok(domain)
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            tls_cert: None,
            tls_key: None,
            acme_domains: Vec::new(),
            acme_email: None,
            acme_directory: crate::acme::LETS_ENCRYPT.to_owned(),
            acme_ca: None,
            acme_renew_before: crate::acme::DEFAULT_RENEW_BEFORE,
            acme_challenge: None,
            acme_check_every: Duration::from_secs(3600),
            acme_retry_after: Duration::from_secs(60),
            http_bind: None,
            acme_webroot: None,
            hsts: false,
            tls_reload_poll: Duration::from_secs(2),
        }
    }
}

/// How long a client may hold a connection, and how many it may hold: the flags of
/// [`Limits`], whose documentation gives the reasons for each default.
#[derive(Args, Clone, Debug)]
pub struct ServerConfig {
    /// How long a client has to send a request's head (request line and headers), from
    /// connecting or from the head's first byte (`10s`); slower ones are disconnected.
    #[arg(long, env = "DOWNTIME_HEADER_TIMEOUT", default_value = "10s", value_parser = crate::proxy::timeout)]
    pub header_timeout: Duration,

    /// How long a connection may wait with no request in flight before it is closed (`60s`).
    #[arg(long, env = "DOWNTIME_IDLE_TIMEOUT", default_value = "60s", value_parser = crate::proxy::timeout)]
    pub idle_timeout: Duration,

    /// The most connections open at once (`10000`); beyond it new ones are closed at once.
    #[arg(long, env = "DOWNTIME_MAX_CONNECTIONS", default_value = "10000", value_parser = count)]
    pub max_connections: usize,

    /// The largest request head (request line and headers), in bytes (`64KiB`, at least
    /// `8KiB`); 431 beyond.
    #[arg(long, env = "DOWNTIME_MAX_HEADER_SIZE", default_value = "64KiB", value_parser = header_size)]
    pub max_header_size: usize,

    /// HTTP/2: the most requests in flight at once on one connection (`100`).
    #[arg(long, env = "DOWNTIME_HTTP2_MAX_STREAMS", default_value = "100", value_parser = clap::value_parser!(u32).range(1..))]
    pub http2_max_streams: u32,

    /// HTTP/2: how often to ping a connection to find clients that vanished (`30s`).
    #[arg(long, env = "DOWNTIME_HTTP2_PING_INTERVAL", default_value = "30s", value_parser = crate::proxy::timeout)]
    pub http2_ping_interval: Duration,

    /// HTTP/2: how long a ping may go unanswered before the connection is closed (`20s`).
    #[arg(long, env = "DOWNTIME_HTTP2_PING_TIMEOUT", default_value = "20s", value_parser = crate::proxy::timeout)]
    pub http2_ping_timeout: Duration,

    /// HTTPS: how long a client has to complete the TLS handshake (`10s`); the header
    /// timeout starts after it.
    #[arg(long, env = "DOWNTIME_TLS_HANDSHAKE_TIMEOUT", default_value = "10s", value_parser = crate::proxy::timeout)]
    pub tls_handshake_timeout: Duration,
}

impl ServerConfig {
    /// The limits the server loop applies.
    pub fn limits(&self) -> Limits {
        Limits {
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
            max_header_bytes: self.max_header_size,
            http2_max_streams: self.http2_max_streams,
            http2_ping_interval: self.http2_ping_interval,
            http2_ping_timeout: self.http2_ping_timeout,
            tls_handshake_timeout: self.tls_handshake_timeout,
        }
    }
}

impl Default for ServerConfig {
    /// [`Limits::default`], which the flags' defaults repeat.
    fn default() -> Self {
        let limits = Limits::default();
        ServerConfig {
            header_timeout: limits.header_timeout,
            idle_timeout: limits.idle_timeout,
            max_connections: limits.max_connections,
            max_header_size: limits.max_header_bytes,
            http2_max_streams: limits.http2_max_streams,
            http2_ping_interval: limits.http2_ping_interval,
            http2_ping_timeout: limits.http2_ping_timeout,
            tls_handshake_timeout: limits.tls_handshake_timeout,
        }
    }
}

impl Default for Config {
    /// The same values as the flags' defaults.
    fn default() -> Self {
        Config {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            prefix: String::new(),
            page_dir: None,
            max_body: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            maintenance_mode: None,
            serve_in_place: false,
            open_paths: Vec::new(),
            json_paths: Vec::new(),
            trusted_proxies: Vec::new(),
            require_if_match: false,
            lang_cookie: LANG_COOKIE.into(),
            bypass_cookie: crate::bypass::COOKIE_NAME.into(),
            default_language: "en-US".into(),
            poll_interval: Duration::from_secs(5),
            db_max_connections: Connections::DEFAULT_MAX,
            poll_only: false,
            hold_queue: crate::gate::hold::DEFAULT_QUEUE,
            release_rate: None,
            auth: AuthConfig::default(),
            proxy: ProxyConfig::default(),
            webhook: WebhookConfig::default(),
            metrics: MetricsConfig::default(),
            server: ServerConfig::default(),
            tls: TlsConfig::default(),
        }
    }
}

impl Config {
    /// The bounds of hold windows in this process.
    pub fn hold_limits(&self) -> HoldLimits {
        HoldLimits {
            queue: self.hold_queue,
            release_rate: self.release_rate,
        }
    }

    /// The HTTPS settings' checks: files or ACME, and what goes with them.
    fn validate_tls(&self) -> Result<(), String> {
        if self.tls.tls_cert.is_some() != self.tls.tls_key.is_some() {
            return Err("--tls-cert and --tls-key go together: give both or neither".into());
        }
        if !self.tls.enabled() && (self.tls.http_bind.is_some() || self.tls.hsts) {
            return Err(
                "--http-bind and --hsts need HTTPS: give --tls-cert and --tls-key, or --acme-domain"
                    .into(),
            );
        }
        if !self.tls.acme_domains.is_empty() {
            self.validate_acme()?;
        }
        if self.tls.acme_webroot.is_some() && self.tls.http_bind.is_none() {
            return Err("--acme-webroot is served on --http-bind: give that too".into());
        }
        if self.tls.enabled() && self.auth.dev_idp {
            return Err(
                "--dev-idp cannot be used with HTTPS: the server reads its own provider, and would not trust its own certificate"
                    .into(),
            );
        }
        Ok(())
    }

    /// The ACME settings' own checks, `--acme-domain` given.
    fn validate_acme(&self) -> Result<(), String> {
        let tls = &self.tls;
        if self.auth.secret_key.is_none() {
            return Err("--acme-domain needs --secret-key (DOWNTIME_SECRET_KEY): the certificates' private keys are stored encrypted with it".into());
        }
        if tls.tls_cert.is_some() {
            return Err(
                "--acme-domain and --tls-cert are two sources of the certificate: give one".into(),
            );
        }
        for domain in &tls.acme_domains {
            // Written as the flag writes it, so every replica names one row the same way.
            let normal = acme_domain(domain).map_err(|e| format!("--acme-domain: {e}"))?;
            if normal != *domain {
                return Err(format!(
                    "--acme-domain {domain:?} must be written {normal:?}"
                ));
            }
        }
        if tls
            .acme_email
            .as_deref()
            .is_some_and(|email| !email.contains('@') || email.contains(char::is_whitespace))
        {
            return Err("--acme-email: not an email address".into());
        }
        if !tls.acme_directory.starts_with("https://") || tls.acme_directory.len() > 512 {
            return Err(
                "--acme-directory: the ACME server's URL must be https:// and at most 512 characters"
                    .into(),
            );
        }
        if tls.acme_challenge == Some(crate::acme::Challenge::Http01) && tls.http_bind.is_none() {
            return Err(
                "--acme-challenge http-01 is answered on --http-bind: give that too".into(),
            );
        }
        if tls.acme_check_every.is_zero() || tls.acme_retry_after.is_zero() {
            return Err("the ACME check and retry intervals must be more than zero".into());
        }
        Ok(())
    }

    /// Checks the settings as the flags check them, for settings given in code
    /// ([`crate::DowntimeBuilder`]), which never went through the flags' parsers.
    ///
    /// # Errors
    /// The first setting a flag would refuse, named.
    pub fn validate(&self) -> Result<(), String> {
        as_written("prefix", &self.prefix, prefix)?;
        for path in &self.open_paths {
            as_written("open path", path, crate::state::parse_open_path)?;
        }
        for path in &self.json_paths {
            as_written("JSON path", path, crate::state::parse_open_path)?;
        }
        for (name, cookie) in [
            ("language cookie", &self.lang_cookie),
            ("bypass cookie", &self.bypass_cookie),
            ("session cookie", &self.auth.session_cookie),
        ] {
            as_written(name, cookie, crate::http::cookie_name)?;
        }
        poll_interval_in_range(self.poll_interval).map_err(|e| format!("poll interval: {e}"))?;
        if !(1..=Connections::MAX).contains(&self.db_max_connections) {
            return Err(format!(
                "database connections: must be between 1 and {}",
                Connections::MAX
            ));
        }
        for (name, timeout) in [
            (
                "upstream connect timeout",
                self.proxy.upstream_connect_timeout,
            ),
            ("upstream timeout", self.proxy.upstream_timeout),
            ("body timeout", self.proxy.body_timeout),
            ("header timeout", self.server.header_timeout),
            ("idle timeout", self.server.idle_timeout),
            ("TLS handshake timeout", self.server.tls_handshake_timeout),
        ] {
            crate::proxy::timeout_in_range(timeout).map_err(|e| format!("{name}: {e}"))?;
        }
        if self.hold_queue == 0 {
            return Err("hold queue: must be at least 1".into());
        }
        if self.max_body == Some(0) {
            return Err("max body: must be at least 1 byte".into());
        }
        self.validate_tls()?;
        if self.auth.oidc_issuer.is_some() && self.auth.oidc_client_id.is_none() {
            return Err(
                "--oidc-issuer (DOWNTIME_OIDC_ISSUER) is set but --oidc-client-id (DOWNTIME_OIDC_CLIENT_ID) is not"
                    .into(),
            );
        }
        let cookies = [
            &self.lang_cookie,
            &self.auth.session_cookie,
            &self.bypass_cookie,
        ];
        for (i, name) in cookies.iter().enumerate() {
            if cookies[..i].contains(name) {
                return Err(format!(
                    "the language, session and bypass cookies need different names ({name:?} is used twice)"
                ));
            }
        }
        self.metrics.validate()
    }

    /// The settings from the environment alone (`DATABASE_URL`, `DOWNTIME_*`,
    /// `MAINTENANCE_MODE`), as `downtime serve` reads them: for an app that embeds downtime
    /// and wants the same configuration.
    ///
    /// # Errors
    /// A variable holds a value its flag would refuse; the message names it.
    pub fn from_env() -> Result<Self, String> {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            database: DatabaseArgs,
            #[command(flatten)]
            config: Config,
        }
        Only::try_parse_from(["downtime"])
            .map(|only| Config {
                database_url: only.database.database_url,
                ..only.config
            })
            .map_err(|e| e.render().to_string())
    }
}

/// A mount prefix: empty, or `/x…` without a trailing slash.
///
/// # Errors
/// Not a path prefix.
pub fn prefix(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || value == "/" {
        return Ok(String::new());
    }
    crate::state::parse_open_path(value)
}

/// A count of at least one.
fn count(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{value:?} is not a number of at least 1")),
    }
}

/// A head size: a [`byte_size`] of at least 8 KiB, hyper's smallest read buffer.
fn header_size(value: &str) -> Result<usize, String> {
    let size = byte_size(value)?;
    if size < 8 * 1024 {
        return Err(format!("{value:?} is below the smallest head size, 8KiB"));
    }
    Ok(size)
}

fn poll_interval(value: &str) -> Result<Duration, String> {
    let every = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    poll_interval_in_range(every)
}

fn poll_interval_in_range(every: Duration) -> Result<Duration, String> {
    if (Duration::from_millis(50)..=Duration::from_secs(60)).contains(&every) {
        Ok(every)
    } else {
        Err("must be between 50ms and 60s".into())
    }
}

/// `value` as `parse` reads it, which must be `value` itself: settings given in code are held
/// to the form the flags produce.
fn as_written(
    name: &str,
    value: &str,
    parse: fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    match parse(value) {
        Ok(read) if read == value => Ok(()),
        Ok(read) => Err(format!("{name} {value:?} must be written {read:?}")),
        Err(error) => Err(format!("{name}: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units() {
        assert_eq!(byte_size("65536"), Ok(65_536));
        assert_eq!(byte_size("64KiB"), Ok(65_536));
        assert_eq!(byte_size("1 MiB"), Ok(1_048_576));
        assert_eq!(byte_size("2mb"), Ok(2_000_000));
        assert!(byte_size("0").is_err());
        assert!(byte_size("lots").is_err());
        assert!(byte_size("99999999999999999999GiB").is_err());
    }

    #[test]
    fn the_server_flags_default_to_the_server_loops_limits() {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            server: ServerConfig,
        }
        let parsed = Only::try_parse_from(["downtime"]).expect("defaults parse");
        assert_eq!(parsed.server.limits(), Limits::default());
        assert_eq!(ServerConfig::default().limits(), Limits::default());
        assert!(header_size("4KiB").is_err());
        assert!(count("0").is_err());
    }

    #[test]
    fn settings_given_in_code_meet_the_flags_checks() {
        assert_eq!(Config::default().validate(), Ok(()));
        let refused = [
            Config {
                prefix: "/_downtime/".into(),
                ..Config::default()
            },
            Config {
                prefix: "_downtime".into(),
                ..Config::default()
            },
            Config {
                open_paths: vec!["/caf\u{e9}".into()],
                ..Config::default()
            },
            Config {
                poll_interval: Duration::from_millis(1),
                ..Config::default()
            },
            Config {
                lang_cookie: "a b".into(),
                ..Config::default()
            },
            Config {
                max_body: Some(0),
                ..Config::default()
            },
            Config {
                bypass_cookie: "downtime_lang".into(),
                ..Config::default()
            },
        ];
        for config in refused {
            assert!(config.validate().is_err(), "{config:?}");
        }
        let error = Config {
            prefix: "/_downtime/".into(),
            ..Config::default()
        }
        .validate()
        .expect_err("refused");
        assert_eq!(
            error,
            r#"prefix "/_downtime/" must be written "/_downtime""#
        );
    }

    #[test]
    fn the_https_flags_default_to_the_settings_default() {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            tls: TlsConfig,
        }
        let parsed = Only::try_parse_from(["downtime"]).expect("defaults parse");
        assert_eq!(parsed.tls, TlsConfig::default());
    }

    #[test]
    fn acme_domains_are_names_in_lower_case() {
        assert_eq!(
            acme_domain("Shop.Example.COM."),
            Ok("shop.example.com".into())
        );
        assert_eq!(acme_domain("localhost"), Ok("localhost".into()));
        assert_eq!(
            acme_domain("xn--caf-dma.example"),
            Ok("xn--caf-dma.example".into())
        );
        for bad in [
            "*.example.com",
            "example.com:443",
            "192.0.2.1",
            "::1",
            "-bad.example",
            "a..b",
            "",
            "https://example.com",
            "caf\u{e9}.example",
        ] {
            assert!(acme_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn acme_needs_a_secret_key_and_one_source_of_certificates() {
        let acme = |tls: TlsConfig, secret: bool| {
            let mut config = Config {
                tls,
                ..Config::default()
            };
            if secret {
                config.auth.secret_key = Some("k".repeat(32).into());
            }
            config.validate()
        };
        let domains = TlsConfig {
            acme_domains: vec!["example.com".into()],
            ..TlsConfig::default()
        };
        assert_eq!(acme(domains.clone(), true), Ok(()));
        let error = acme(domains.clone(), false).expect_err("no secret key");
        assert!(error.contains("--secret-key"), "{error}");
        let http_01 = TlsConfig {
            acme_challenge: Some(crate::acme::Challenge::Http01),
            ..domains.clone()
        };
        assert!(
            acme(http_01.clone(), true).is_err(),
            "http-01 without --http-bind"
        );
        let with_port_80 = TlsConfig {
            http_bind: Some("127.0.0.1:80".parse().expect("addr")),
            ..http_01
        };
        assert_eq!(acme(with_port_80.clone(), true), Ok(()));
        let settings = with_port_80.acme(Duration::from_secs(5)).expect("settings");
        assert_eq!(settings.challenge, crate::acme::Challenge::Http01);
        assert_eq!(
            domains
                .acme(Duration::from_secs(5))
                .expect("settings")
                .challenge,
            crate::acme::Challenge::TlsAlpn01,
            "no port 80: TLS-ALPN-01"
        );
        let both = TlsConfig {
            tls_cert: Some("cert.pem".into()),
            tls_key: Some("key.pem".into()),
            ..domains.clone()
        };
        assert!(acme(both, true).is_err());
        let upper_case = TlsConfig {
            acme_domains: vec!["Example.com".into()],
            ..domains.clone()
        };
        assert!(
            acme(upper_case, true).is_err(),
            "given in code, not as the flag writes it"
        );
        let plain_directory = TlsConfig {
            acme_directory: "http://127.0.0.1:14000/dir".into(),
            ..domains
        };
        assert!(acme(plain_directory, true).is_err());
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            tls: TlsConfig,
        }
        let parsed = Only::try_parse_from([
            "downtime",
            "--acme-domain",
            "Example.com",
            "--acme-domain",
            "www.example.com",
            "--acme-renew-before",
            "3650days",
        ])
        .expect("parsed");
        assert_eq!(parsed.tls.acme_domains, ["example.com", "www.example.com"]);
        assert_eq!(
            parsed.tls.acme_renew_before,
            Duration::from_secs(3650 * 24 * 3600),
            "longer than any certificate's life, to force a renewal"
        );
        assert!(parsed.tls.enabled());
        assert!(Only::try_parse_from(["downtime", "--acme-domain", "*.example.com"]).is_err());
    }

    #[test]
    fn prefixes_are_empty_or_paths() {
        assert_eq!(prefix(""), Ok(String::new()));
        assert_eq!(prefix("/"), Ok(String::new()));
        assert_eq!(prefix("/_downtime/"), Ok("/_downtime".into()));
        assert!(prefix("_downtime").is_err());
    }
}
