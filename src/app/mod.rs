//! [`Downtime`]: the whole of downtime (gate, page, control API, login, state follower) in
//! front of any Poem endpoint, built from one [`DowntimeBuilder`].

mod dev_idp;
mod routes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryFutureExt as _;
use futures_util::future::Either;
use ipnet::IpNet;
use poem::endpoint::BoxEndpoint;
use poem::web::cookie::CookieKey;
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Middleware, Response, Route};
use secrecy::SecretString;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::writes::WriteStats;
use crate::auth::{Auth, session};
use crate::bypass::{BypassLinks, CookieSettings};
use crate::config::{Config, Toggle};
use crate::gate::{Gate, GateEndpoint, GateStats, Rules, Superusers};
use crate::http::SiteUrls;
use crate::http::{CatchPanic, CatchPanicEndpoint};
use crate::path::is_under;
use crate::proxy::{OwnCredential, Upstream, UpstreamSettings, UpstreamUrl};
use crate::state::{Change, Snapshot, StateService, WindowInput};
use crate::telemetry::{RequestLog, RequestLogEndpoint};
use crate::web::page::{PageOptions, Pages};
pub use dev_idp::DevIdp;
pub use routes::{Answer, OwnRoute, OwnRoutes, ROUTES};

use crate::webhook::{Retry, Webhook, WebhookStats, Webhooks};

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
/// (see [`Config`]). Start from [`Downtime::builder`] or [`DowntimeBuilder::from_config`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct DowntimeBuilder {
    config: Config,
}

impl DowntimeBuilder {
    /// Starts from settings already gathered, such as [`Config::from_env`].
    pub fn from_config(config: Config) -> Self {
        DowntimeBuilder { config }
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

    /// Forward what passes the gate to this app: [`Downtime::upstream`] is then the endpoint
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

    /// The site's public URL (default `http://<bind>`); `https://` makes cookies `Secure`.
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

    /// Opens the database (migrating it), applies `maintenance_mode`, starts following the
    /// state, and prepares login and the page.
    ///
    /// # Errors
    /// The database cannot be opened, a setting is inconsistent (`dev_idp` off loopback, an
    /// issuer without a client id, a webhook without a secret, a metrics token too short), or a page override is broken;
    /// the message says which.
    pub async fn build(self) -> anyhow::Result<Downtime> {
        let mut config = self.config;
        // Settings given in code meet the flags' checks too.
        config.validate().map_err(anyhow::Error::msg)?;
        let service = StateService::open(&config.database_url).await?;
        // Before `maintenance_mode` is applied: that change is delivered like any other.
        let webhooks = Webhooks::prepare(&config.webhook, &service).await?;
        apply_environment(&service, config.maintenance_mode).await?;
        let urls = SiteUrls {
            base_url: config
                .auth
                .base_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.bind))
                .trim_end_matches('/')
                .to_owned(),
            prefix: config.prefix.clone(),
        };
        let dev_idp = dev_idp::dev_idp(&mut config, &urls)?;
        let session_key = session::cookie_key(config.auth.secret_key.as_ref(), &service).await?;
        let auth = Auth::build(
            &config.auth,
            &service,
            urls.clone(),
            config.poll_interval,
            session_key.clone(),
        )
        .await?;
        let cookies = [
            &config.lang_cookie,
            &config.auth.session_cookie,
            &config.bypass_cookie,
        ];
        for (i, name) in cookies.iter().enumerate() {
            anyhow::ensure!(
                !cookies[..i].contains(name),
                "the language, session and bypass cookies need different names ({name:?} is used twice)"
            );
        }
        let secure_cookies = urls.base_url.starts_with("https://");
        let bypass = BypassLinks::load(
            &service,
            &session_key,
            CookieSettings {
                name: config.bypass_cookie.clone(),
                secure: secure_cookies,
            },
        )
        .await?;
        let bypass_follower = bypass.follow(config.poll_interval, service.database_changes());
        let pages = Arc::new(
            Pages::new(&PageOptions {
                default_language: config.default_language.clone(),
                prefix: config.prefix.clone(),
                page_dir: config.page_dir.clone(),
            })?
            .with_lang_cookie(&config.lang_cookie),
        );
        let console = Arc::new(crate::admin::Console::new(Arc::clone(&pages))?);
        let mut rules = Rules::mounted_at(&config.prefix);
        let own_open = routes::served(dev_idp.is_some()).filter(|r| r.open);
        rules
            .open_paths
            .extend(own_open.map(|r| urls.own_path(r.path)));
        rules.open_paths.extend(config.open_paths.iter().cloned());
        rules.serve_in_place = config.serve_in_place;
        rules.trusted_proxies = config.trusted_proxies.clone();
        let upstream = match &config.proxy.upstream {
            Some(url) => Some(Upstream::with_pages(
                UpstreamSettings {
                    url: url.clone(),
                    host: config.proxy.upstream_host.clone(),
                    connect_timeout: config.proxy.upstream_connect_timeout,
                    response_timeout: config.proxy.upstream_timeout,
                    max_body: config.max_body,
                    body_pace: Some(config.proxy.body_pace()),
                    max_connections: config.proxy.upstream_max_connections,
                    max_per_client: config.proxy.upstream_max_per_client,
                    trusted_proxies: config.trusted_proxies.clone(),
                    ca_file: config.proxy.upstream_ca.clone(),
                    own_cookies: vec![
                        config.auth.session_cookie.clone(),
                        config.bypass_cookie.clone(),
                    ],
                    own_credential: Some({
                        let auth = auth.clone();
                        OwnCredential(Arc::new(move |value| auth.holds_own_token(value)))
                    }),
                },
                Arc::clone(&pages),
                Some(service.live().clone()),
            )?),
            None => None,
        };
        let auto_maintenance = match (&upstream, config.proxy.auto_maintenance_after) {
            (Some(upstream), Some(after)) => Some(crate::proxy::health::watch(
                upstream.clone(),
                service.clone(),
                after,
            )),
            _ => None,
        };
        let follower = service.follow(config.poll_interval);
        let webhooks = webhooks.start(config.poll_interval);
        Ok(Downtime {
            parts: Arc::new(Parts {
                secure_cookies,
                urls,
                config,
                service,
                auth,
                pages,
                console,
                rules,
                session_key,
                dev_idp,
                upstream,
                auto_maintenance,
                follower,
                bypass,
                bypass_follower,
                webhooks,
                gate_stats: Arc::default(),
                api_writes: Arc::default(),
            }),
        })
    }
}

/// Applies `MAINTENANCE_MODE` when set, like any other change (actor `environment`), unless the
/// stored state already says the same.
async fn apply_environment(service: &StateService, toggle: Option<Toggle>) -> anyhow::Result<()> {
    let Some(toggle) = toggle else { return Ok(()) };
    let current = service.current().await?;
    let on = toggle == Toggle::On;
    let already = if on {
        current.is_active(chrono::Utc::now())
    } else {
        !current.window.enabled
    };
    if already {
        return Ok(());
    }
    let change = Change::by("environment").because(Some(format!(
        "MAINTENANCE_MODE={}",
        if on { "on" } else { "off" }
    )));
    if on {
        service.switch_on(WindowInput::default(), change).await?;
    } else {
        service.switch_off(change).await?;
    }
    Ok(())
}

/// downtime, built: wrap a site with [`Downtime::around`]. Cheap to clone.
#[derive(Clone)]
pub struct Downtime {
    parts: Arc<Parts>,
}

struct Parts {
    config: Config,
    urls: SiteUrls,
    secure_cookies: bool,
    service: StateService,
    auth: Auth,
    pages: Arc<Pages>,
    console: Arc<crate::admin::Console>,
    rules: Rules,
    session_key: CookieKey,
    dev_idp: Option<DevIdp>,
    upstream: Option<Upstream>,
    auto_maintenance: Option<JoinHandle<()>>,
    follower: JoinHandle<()>,
    bypass: BypassLinks,
    bypass_follower: JoinHandle<()>,
    webhooks: Webhooks,
    /// What every gate [`Downtime::gate`] makes counts, for `/metrics`.
    gate_stats: Arc<GateStats>,
    /// The control API's writes, for `/metrics`.
    api_writes: Arc<WriteStats>,
}

impl Downtime {
    /// A builder with the defaults of `downtime serve`.
    pub fn builder() -> DowntimeBuilder {
        DowntimeBuilder::default()
    }

    /// The state service: read the state (from memory with `state().live().load()`), change
    /// it in-process (`state().apply(…)`, validated and audited like any change).
    pub fn state(&self) -> &StateService {
        &self.parts.service
    }

    /// Every state change from now on, whoever made it (this process, the CLI, another
    /// replica): for code that must react, such as pausing background jobs.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.parts.service.live().subscribe()
    }

    /// Who is who: login, tokens and the superuser rules.
    pub fn auth(&self) -> &Auth {
        &self.parts.auth
    }

    /// The bypass links: create, list and revoke them in-process.
    pub fn bypass(&self) -> &BypassLinks {
        &self.parts.bypass
    }

    /// What this process's webhook sender has done: deliveries accepted, attempts failed,
    /// deliveries given up (all zero without webhooks). For metrics.
    pub fn webhook_stats(&self) -> Arc<WebhookStats> {
        self.parts.webhooks.stats()
    }

    /// The settings it was built with.
    pub fn config(&self) -> &Config {
        &self.parts.config
    }

    /// Where downtime's routes are mounted (`""` or `/_downtime`).
    pub fn prefix(&self) -> &str {
        &self.parts.urls.prefix
    }

    /// The development provider, when `dev_idp` is on.
    pub fn dev_idp(&self) -> Option<&DevIdp> {
        self.parts.dev_idp.as_ref()
    }

    /// The reverse proxy to the upstream app, when one is configured: wrap it like any site,
    /// `downtime.around(upstream.clone())`.
    pub fn upstream(&self) -> Option<&Upstream> {
        self.parts.upstream.as_ref()
    }

    /// The gate alone, letting bypass links' holders through and asking `superusers` who
    /// else passes: for an app that assembles its own routes (most want [`Downtime::around`]).
    pub fn gate<S: Superusers>(&self, superusers: S) -> Gate<S> {
        let parts = &*self.parts;
        Gate::new(
            parts.service.live().clone(),
            Arc::clone(&parts.pages),
            parts.rules.clone(),
        )
        .with_bypass(parts.bypass.clone())
        .with_stats(Arc::clone(&parts.gate_stats))
        .with_superusers(superusers)
    }

    /// `app` behind the gate, with downtime's own routes beside it (under the prefix), one
    /// span per request and panics answered with 500. Superusers are the ones
    /// [`Downtime::auth`] knows.
    pub fn around<E>(&self, app: E) -> Around<E::Endpoint>
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.around_with(app, self.parts.auth.clone())
    }

    /// Like [`Downtime::around`], asking `superusers` who passes instead.
    ///
    /// Middleware, outermost first: [`RequestLog`] (one span per request, the client address
    /// the gate uses, no query values) → `CatchPanic` → the gate (before routing, so unknown
    /// paths are gated too; it reads the session cookie only for a request it would otherwise
    /// gate) → downtime's routes, then the app.
    pub fn around_with<E, S>(&self, app: E, superusers: S) -> Around<E::Endpoint, S>
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
        S: Superusers,
    {
        let own = self.routes();
        let routes = SplitByPath {
            api_paths: own.api_paths,
            api: own.api,
            other_paths: own.other_paths,
            others: own.others,
            app: app.into_endpoint(),
        };
        let inner = routes
            .with(self.gate(superusers))
            .with(CatchPanic)
            .with(RequestLog::new(self.parts.rules.trusted_proxies.clone()));
        Around {
            inner,
            _downtime: self.clone(),
        }
    }

    /// Stops the background work (the followers of the state, the superusers and the bypass
    /// links, the provider's key refresh, the upstream checks, the webhook sender). Requests
    /// still in flight are unaffected. The same happens by itself once the last handle and
    /// the last endpoint made from it ([`Downtime::around`], `app.with(downtime)`) are
    /// dropped; call this to stop sooner.
    pub fn stop(&self) {
        self.parts.stop();
    }
}

impl Parts {
    fn stop(&self) {
        self.follower.abort();
        self.bypass_follower.abort();
        self.webhooks.stop();
        if let Some(watch) = &self.auto_maintenance {
            watch.abort();
        }
        self.auth.stop();
    }
}

impl Drop for Parts {
    /// Nothing is left to serve: the background work would only hold the database.
    fn drop(&mut self) {
        self.stop();
    }
}

/// downtime is a Poem middleware: `Route::new()….with(downtime.clone())` is
/// [`Downtime::around`].
impl<E: Endpoint + 'static> Middleware<E> for Downtime {
    type Output = Around<E>;

    fn transform(&self, app: E) -> Around<E> {
        self.around(app)
    }
}

/// An app behind downtime, as [`Downtime::around`] or `app.with(downtime)` make it: one span
/// per request, panics answered with 500, the gate, downtime's own routes, then the app. It
/// holds a handle on downtime, so the background work runs as long as the site is served.
pub struct Around<E, S = Auth> {
    inner: RequestLogEndpoint<CatchPanicEndpoint<GateEndpoint<SplitByPath<E>, S>>>,
    _downtime: Downtime,
}

impl<E: Endpoint, S: Superusers> Endpoint for Around<E, S> {
    type Output = Response;

    // Not an `async fn`, which would keep a copy of the request beside the inner future.
    fn call(&self, req: poem::Request) -> impl Future<Output = poem::Result<Response>> + Send {
        self.inner.call(req)
    }
}

impl std::fmt::Debug for Downtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downtime")
            .field("prefix", &self.parts.urls.prefix)
            .field("base_url", &self.parts.urls.base_url)
            .finish_non_exhaustive()
    }
}

/// Sends downtime's own paths to its routes and everything else to the app as it came: the app
/// may have routes of its own under `/api`, which a router nesting `/api` would swallow, and a
/// router nesting the app at `/` would rebuild every request's URI on the way.
struct SplitByPath<A> {
    api_paths: Vec<String>,
    api: BoxEndpoint<'static, Response>,
    other_paths: Vec<String>,
    others: Route,
    app: A,
}

impl<A: Endpoint> Endpoint for SplitByPath<A> {
    type Output = Response;

    // Not an `async fn`, which would keep a copy of the request beside the inner future.
    fn call(&self, req: poem::Request) -> impl Future<Output = poem::Result<Response>> + Send {
        let path = req.uri().path();
        if self.api_paths.iter().any(|p| is_under(path, p)) {
            Either::Right(Either::Left(self.api.call(req)))
        } else if self.other_paths.iter().any(|p| is_under(path, p)) {
            Either::Right(Either::Right(self.others.call(req)))
        } else {
            Either::Left(self.app.call(req).map_ok(IntoResponse::into_response))
        }
    }
}
