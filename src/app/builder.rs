//! [`DowntimeBuilder`]: every setting of `downtime serve`, set in code.

use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::SecretString;

use crate::config::{Config, Toggle};
use crate::proxy::UpstreamUrl;
use crate::webhook::{Retry, Webhook};

/// The identity provider downtime logs superusers in with (any OpenID Connect provider).
#[derive(Clone, Debug)]
pub struct Oidc {
    /// The issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// This site's client id at the provider.
    pub client_id: String,
    /// This site's client secret, for a confidential client.
    pub client_secret: Option<SecretString>,
    /// The `aud` API access tokens must carry; the client id when `None`.
    pub audience: Option<String>,
}

/// Sets downtime up in code: every setting `downtime serve` has, with the same defaults
/// (see [`Config`]). Start from [`Downtime::builder`](crate::Downtime::builder) or [`DowntimeBuilder::from_config`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct DowntimeBuilder {
    pub(super) config: Config,
    /// Whether `config.bind` is where the site listens: given settings say so, the builder's
    /// defaults do not.
    pub(super) bind_known: bool,
}

impl DowntimeBuilder {
    /// Starts from settings already gathered, such as [`Config::from_env`], whose `bind` is
    /// the address the site listens on.
    pub fn from_config(config: Config) -> Self {
        DowntimeBuilder {
            config,
            bind_known: true,
        }
    }

    /// The address the app's listener is bound to (after binding port 0, the port it got): the
    /// base URL is `http://<addr>` unless [`DowntimeBuilder::base_url`] says otherwise.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> anyhow::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let builder = downtime::Downtime::builder().listening_on(listener.local_addr()?);
    /// // … then `poem::Server::new(poem::listener::TcpAcceptor::from_tokio(listener)?)`.
    /// # Ok(())
    /// # }
    /// ```
    pub fn listening_on(mut self, addr: std::net::SocketAddr) -> Self {
        self.config.bind = addr;
        self.bind_known = true;
        self
    }

    /// Where the state lives: `sqlite://FILE?mode=rwc` (the default, `downtime.db`) or
    /// `postgres://USER@HOST/DB`.
    pub fn database_url(mut self, value: impl Into<String>) -> Self {
        self.config.database_url = value.into();
        self
    }

    /// Mount downtime's routes under this prefix, such as `/_downtime` (default: the root).
    pub fn prefix(mut self, value: impl Into<String>) -> Self {
        self.config.prefix = value.into();
        self
    }

    /// Serve the page at the requested URL instead of redirecting to `/maintenance`.
    pub fn serve_in_place(mut self, value: bool) -> Self {
        self.config.serve_in_place = value;
        self
    }

    /// Refuse API writes without `If-Match` (428).
    pub fn require_if_match(mut self, value: bool) -> Self {
        self.config.require_if_match = value;
        self
    }

    /// The page's language when none of the visitor's is available (default `en-US`).
    pub fn default_language(mut self, value: impl Into<String>) -> Self {
        self.config.default_language = value.into();
        self
    }

    /// The cookie remembering a visitor's language choice (default `downtime_lang`).
    pub fn lang_cookie(mut self, value: impl Into<String>) -> Self {
        self.config.lang_cookie = value.into();
        self
    }

    /// The cookie a bypass link sets (default `downtime_bypass`).
    pub fn bypass_cookie(mut self, value: impl Into<String>) -> Self {
        self.config.bypass_cookie = value.into();
        self
    }

    /// The session cookie's name (default `downtime_session`).
    pub fn session_cookie(mut self, value: impl Into<String>) -> Self {
        self.config.auth.session_cookie = value.into();
        self
    }

    /// How often to read the stored state in case a change went unannounced (default 5 s;
    /// changes made elsewhere arrive at once by push).
    pub fn poll_interval(mut self, value: Duration) -> Self {
        self.config.poll_interval = value;
        self
    }

    /// The most connections to PostgreSQL opened for writes (default 2, at most 100), beside
    /// the change listener's one; idle ones close after 5 s.
    pub fn db_max_connections(mut self, value: u32) -> Self {
        self.config.db_max_connections = value;
        self
    }

    /// Follows changes made elsewhere by the poll alone, without PostgreSQL's `LISTEN` (see
    /// `--poll-only`).
    pub fn poll_only(mut self, value: bool) -> Self {
        self.config.poll_only = value;
        self
    }

    /// The largest request body the proxy forwards to the upstream (default: any size;
    /// downtime's own routes always take at most 64 KiB).
    pub fn max_body(mut self, value: Option<usize>) -> Self {
        self.config.max_body = value;
        self
    }

    /// The claim holding groups or roles (default `groups`).
    pub fn groups_claim(mut self, value: impl Into<String>) -> Self {
        self.config.auth.groups_claim = value.into();
        self
    }

    /// Scopes asked at login (default `openid email profile`).
    pub fn oidc_scopes(mut self, value: impl Into<String>) -> Self {
        self.config.auth.oidc_scopes = value.into();
        self
    }

    /// Accept opaque access tokens by RFC 7662 introspection.
    pub fn oidc_introspection(mut self, value: bool) -> Self {
        self.config.auth.oidc_introspection = value;
        self
    }

    /// How long a browser login lasts (default 8 h).
    pub fn session_ttl(mut self, value: Duration) -> Self {
        self.config.auth.session_ttl = value;
        self
    }

    /// Run the development identity provider (loopback only; never in production).
    pub fn dev_idp(mut self, value: bool) -> Self {
        self.config.auth.dev_idp = value;
        self
    }

    /// How long to wait for a connection to the upstream (default 5 s).
    pub fn upstream_connect_timeout(mut self, value: Duration) -> Self {
        self.config.proxy.upstream_connect_timeout = value;
        self
    }

    /// How long to wait for the upstream's response headers (default 60 s).
    pub fn upstream_timeout(mut self, value: Duration) -> Self {
        self.config.proxy.upstream_timeout = value;
        self
    }

    /// Forward what passes the gate to this app: [`Downtime::upstream`](crate::Downtime::upstream) is then the endpoint
    /// to wrap.
    pub fn upstream(mut self, url: UpstreamUrl) -> Self {
        self.config.proxy.upstream = Some(url);
        self
    }

    /// Switch maintenance on by itself once the upstream has failed this long, and off when
    /// it answers again (unless an operator switched it in between).
    pub fn auto_maintenance_after(mut self, after: Duration) -> Self {
        self.config.proxy.auto_maintenance_after = Some(after);
        self
    }

    /// Networks whose clients may read `/metrics` without a token (default: loopback,
    /// `127.0.0.0/8` and `::1/128`); an empty list leaves the token as the only way in.
    pub fn metrics_allow(mut self, networks: impl IntoIterator<Item = IpNet>) -> Self {
        self.config.metrics.metrics_allow = networks.into_iter().collect();
        self
    }

    /// A token that lets a scraper anywhere read `/metrics` as `Authorization: Bearer
    /// <token>` (default: none).
    pub fn metrics_token(mut self, token: SecretString) -> Self {
        self.config.metrics.metrics_token = Some(token);
        self
    }

    /// Certificates (a PEM file) trusted for an `https://` upstream besides the built-in
    /// and system roots.
    pub fn upstream_ca(mut self, file: impl Into<PathBuf>) -> Self {
        self.config.proxy.upstream_ca = Some(file.into());
        self
    }

    /// The `Host` sent to the upstream instead of the client's.
    pub fn upstream_host(mut self, host: impl Into<String>) -> Self {
        self.config.proxy.upstream_host = Some(host.into());
        self
    }

    /// The site's public URL, as browsers and the identity provider reach it (default
    /// `http://` and the address of [`DowntimeBuilder::listening_on`]; needed with a login
    /// provider when that is not given); `https://` makes cookies `Secure`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.auth.base_url = Some(url.into());
        self
    }

    /// A directory of page overrides (template, stylesheet, logo, Fluent messages).
    pub fn page_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.page_dir = Some(dir.into());
        self
    }

    /// The session cookie's key (32 characters or more; default: generated once and kept in
    /// the database, shared by every replica).
    pub fn secret_key(mut self, key: SecretString) -> Self {
        self.config.auth.secret_key = Some(key);
        self
    }

    /// Switch maintenance on or off at start, audited as actor `environment` (default: leave
    /// the stored state alone).
    pub fn maintenance_mode(mut self, toggle: Option<Toggle>) -> Self {
        self.config.maintenance_mode = toggle;
        self
    }

    /// Extra path prefixes that stay open during maintenance (`/status`).
    pub fn open_paths<S: Into<String>>(mut self, paths: impl IntoIterator<Item = S>) -> Self {
        self.config.open_paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// The app's JSON APIs (`/graphql`): gated requests under them get the problem document
    /// whatever their `Accept` says (`/api` always does).
    pub fn json_paths<S: Into<String>>(mut self, paths: impl IntoIterator<Item = S>) -> Self {
        self.config.json_paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = IpNet>) -> Self {
        self.config.trusted_proxies = proxies.into_iter().collect();
        self
    }

    /// Log superusers in with this OpenID Connect provider.
    pub fn oidc(mut self, oidc: Oidc) -> Self {
        let auth = &mut self.config.auth;
        auth.oidc_issuer = Some(oidc.issuer);
        auth.oidc_client_id = Some(oidc.client_id);
        auth.oidc_client_secret = oidc.client_secret;
        auth.oidc_audience = oidc.audience;
        self
    }

    /// Superusers by verified e-mail address.
    pub fn superuser_emails<S: Into<String>>(
        mut self,
        emails: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.auth.superuser_emails = emails.into_iter().map(Into::into).collect();
        self
    }

    /// Superusers by value of the groups claim.
    pub fn superuser_groups<S: Into<String>>(
        mut self,
        groups: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.auth.superuser_groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Superusers by OAuth client id (client-credentials tokens).
    pub fn superuser_clients<S: Into<String>>(
        mut self,
        clients: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.auth.superuser_clients = clients.into_iter().map(Into::into).collect();
        self
    }

    /// POST every change of the state, signed, to these receivers, each change once across
    /// all replicas (see [`crate::webhook`]): [`crate::webhook::WebhookUrl`]s, or [`Webhook`]s with options of
    /// their own. Those without their own secret need [`DowntimeBuilder::webhook_secret`].
    pub fn webhooks(mut self, hooks: impl IntoIterator<Item = impl Into<Webhook>>) -> Self {
        self.config.webhook.webhooks = hooks.into_iter().map(Into::into).collect();
        self
    }

    /// The key webhooks are signed with (32 characters or more), unless they have their own;
    /// every replica must have the same.
    pub fn webhook_secret(mut self, secret: SecretString) -> Self {
        self.config.webhook.webhook_secret = Some(secret);
        self
    }

    /// How long a webhook attempt may take, and how long failed deliveries are retried
    /// (default: 10 s, then pauses doubling from 5 s to 5 min, for 15 minutes).
    pub fn webhook_retry(mut self, retry: Retry) -> Self {
        self.config.webhook.webhook_retry = retry;
        self
    }

    /// The settings so far.
    pub fn config(&self) -> &Config {
        &self.config
    }
}
