//! [`Downtime`]: the whole of downtime (gate, page, control API, login, state follower) in
//! front of any Poem endpoint, built from one [`DowntimeBuilder`].

mod assemble;
mod builder;
mod dev_idp;
mod routes;

use std::sync::Arc;

use futures_util::TryFutureExt as _;
use futures_util::future::Either;
use poem::endpoint::BoxEndpoint;
use poem::web::cookie::CookieKey;
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Middleware, Response, Route};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::writes::WriteStats;
use crate::auth::Auth;
use crate::bypass::BypassLinks;
use crate::config::Config;
use crate::gate::hold::Holds;
use crate::gate::{Gate, GateEndpoint, GateStats, Rules, Superusers};
use crate::http::SiteUrls;
use crate::http::{CatchPanic, CatchPanicEndpoint};
use crate::path::is_under;
use crate::proxy::Upstream;
use crate::state::{Snapshot, StateService};
use crate::telemetry::{RequestLog, RequestLogEndpoint};
use crate::web::page::Pages;
pub use builder::{DowntimeBuilder, Oidc};
pub use dev_idp::DevIdp;
pub use routes::{Answer, OwnRoute, OwnRoutes, ROUTES};

use crate::webhook::{WebhookStats, Webhooks};

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
    /// The requests waiting in hold windows, shared by every gate [`Downtime::gate`] makes.
    holds: Arc<Holds>,
    /// The control API's writes, for `/metrics`.
    api_writes: Arc<WriteStats>,
    /// Requests for a host the base URL does not name, reported once each.
    host_check: crate::http::HostCheck,
    /// HTTPS (`--tls-cert` or `--acme-domain`): the certificates served, and the tasks that
    /// read them again or order them.
    tls: Option<(Arc<crate::http::server::Tls>, Vec<JoinHandle<()>>)>,
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
    /// replica), and every start or end of a window by the clock: for code that must react,
    /// such as pausing background jobs while visitors are gated.
    ///
    /// A worker that waits for the site to be open before each job (what
    /// `downtime check` tells a cron line), woken by the change itself rather than by polling:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use downtime::Downtime;
    /// use downtime::state::{Change, Snapshot, Window};
    /// use tokio::sync::watch;
    ///
    /// /// Returns once visitors are not gated (at once if they are not now).
    /// async fn until_open(changes: &mut watch::Receiver<Arc<Snapshot>>) {
    ///     while changes.borrow_and_update().is_active() {
    ///         if changes.changed().await.is_err() {
    ///             return; // downtime stopped
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> anyhow::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// # let url = format!("sqlite://{}?mode=rwc", dir.path().join("site.db").display());
    /// let downtime = Downtime::builder().database_url(url).build().await?;
    /// downtime.state().apply(Window::on(), Change::by("docs")).await?;
    /// let mut changes = downtime.subscribe();
    /// let worker = tokio::spawn(async move {
    ///     until_open(&mut changes).await;
    ///     "the nightly report ran"
    /// });
    /// tokio::time::sleep(Duration::from_millis(50)).await;
    /// assert!(!worker.is_finished(), "paused while maintenance is on");
    /// downtime.state().apply(Window::off(), Change::by("docs")).await?;
    /// let ran = tokio::time::timeout(Duration::from_secs(5), worker).await??;
    /// assert_eq!(ran, "the nightly report ran");
    /// # downtime.stop();
    /// # Ok(())
    /// # }
    /// ```
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

    /// The requests waiting in hold windows: their counts, and [`Holds::stop`] for a
    /// shutdown (which [`Downtime::stop`] also does).
    pub fn holds(&self) -> &Arc<Holds> {
        &self.parts.holds
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
        .with_holds(Arc::clone(&parts.holds))
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
            downtime: self.clone(),
        }
    }

    /// The certificate served over HTTPS (`--tls-cert`), for the server loop.
    pub fn tls(&self) -> Option<&Arc<crate::http::server::Tls>> {
        self.parts.tls.as_ref().map(|(tls, _)| tls)
    }

    /// Stops the background work (the followers of the state, the superusers and the bypass
    /// links, the provider's key refresh, the upstream checks, the webhook sender), and
    /// answers the requests a hold window keeps waiting (as in `full`). Other requests still
    /// in flight are unaffected. The same happens by itself once the last handle and
    /// the last endpoint made from it ([`Downtime::around`], `app.with(downtime)`) are
    /// dropped; call this to stop sooner.
    pub fn stop(&self) {
        self.parts.stop();
    }
}

impl Parts {
    fn stop(&self) {
        self.holds.stop();
        self.follower.abort();
        self.bypass_follower.abort();
        self.webhooks.stop();
        if let Some(watch) = &self.auto_maintenance {
            watch.abort();
        }
        if let Some((_, tasks)) = &self.tls {
            for task in tasks {
                task.abort();
            }
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
    downtime: Downtime,
}

impl<E: Endpoint, S: Superusers> Endpoint for Around<E, S> {
    type Output = Response;

    // Not an `async fn`, which would keep a copy of the request beside the inner future.
    fn call(&self, req: poem::Request) -> impl Future<Output = poem::Result<Response>> + Send {
        self.downtime
            .parts
            .host_check
            .observe(req.headers(), req.uri());
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
