//! The gate: a Poem middleware that closes a site to visitors during maintenance.
//!
//! [`decision::decide`] holds every rule as a pure function; [`Gate`] only gathers the facts of
//! a request, asks [`Superusers`] the one question left, and turns the outcome into a response.

pub mod decision;
pub mod hold;
mod stats;

use std::borrow::Cow;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::Guard;
use futures_util::TryFutureExt as _;
use futures_util::future::{Either, ready};
use poem::http::header;
use poem::http::uri::PathAndQuery;
use poem::http::{HeaderValue, Method, StatusCode, Uri};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::bypass::BypassLinks;
use crate::http::{self, client_ip, query_param};
use crate::path::{self, SentTarget};
use crate::state::{Live, MaintenanceState, Phase, Snapshot};
use crate::web::page::{ANNOUNCEMENT_HEADER, Pages};
pub use decision::{Gated, Outcome, Pass, Reason, Rules};
use hold::{Holds, InFlight, Joined, Waited};
pub use stats::GateStats;

/// Answers the gate's one question about the person behind a request.
///
/// The login module implements it; the gate asks only when a request would otherwise be gated,
/// so an implementation may do real work (decrypt a cookie, verify a token).
pub trait Superusers: Send + Sync + 'static {
    /// Whether `req` comes from a superuser, who is never gated.
    fn is_superuser(&self, req: &Request) -> impl Future<Output = bool> + Send;
}

/// Nobody is a superuser: the answer until a login is configured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nobody;

impl Superusers for Nobody {
    async fn is_superuser(&self, _req: &Request) -> bool {
        false
    }
}

/// The maintenance gate. Wrap a site's routes with it: `Route::new()….with(gate)`.
///
/// # Errors
/// The gate answers gated requests itself (503 page or problem document, or a redirect to the
/// page) and passes the inner endpoint's errors through unchanged.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use downtime::gate::{Gate, Rules};
/// use downtime::state::{Live, MaintenanceState, Window};
/// use downtime::web::page::{PageOptions, Pages};
/// use poem::{EndpointExt, Route, get, handler, http::StatusCode, test::TestClient};
///
/// #[handler]
/// fn home() -> &'static str { "home" }
///
/// # tokio_test();
/// # #[tokio::main(flavor = "current_thread")] async fn tokio_test() {
/// let live = Live::new(MaintenanceState { window: Window::on(), ..MaintenanceState::initial() });
/// let pages = Arc::new(Pages::new(&PageOptions::default()).unwrap());
/// let app = Route::new().at("/", get(home)).with(Gate::new(live, pages, Rules::default()));
/// let resp = TestClient::new(app).get("/").header("accept", "application/json").send().await;
/// resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
/// resp.assert_content_type("application/problem+json");
/// # }
/// ```
pub struct Gate<S = Nobody> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for Gate<S> {
    fn clone(&self) -> Self {
        Gate {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared<S> {
    live: Live,
    pages: Arc<Pages>,
    rules: Rules,
    bypass: Option<BypassLinks>,
    superusers: S,
    stats: Arc<GateStats>,
    holds: Arc<Holds>,
}

impl Gate<Nobody> {
    /// A gate reading `live`, answering with `pages`, following `rules`; nobody is a superuser.
    pub fn new(live: Live, pages: Arc<Pages>, rules: Rules) -> Self {
        let holds = Holds::new(live.clone(), hold::HoldLimits::default());
        Gate {
            shared: Arc::new(Shared {
                live,
                pages,
                rules,
                bypass: None,
                superusers: Nobody,
                stats: Arc::default(),
                holds,
            }),
        }
    }
}

impl<S: Superusers> Gate<S> {
    /// The same gate, asking `superusers` who may pass.
    pub fn with_superusers<T: Superusers>(self, superusers: T) -> Gate<T> {
        Gate {
            shared: Arc::new(self.parts_with(superusers)),
        }
    }

    /// The same gate, letting holders of a live bypass link's cookie through.
    #[must_use]
    pub fn with_bypass(self, links: BypassLinks) -> Self
    where
        S: Clone,
    {
        let mut parts = self.parts_with(self.shared.superusers.clone());
        parts.bypass = Some(links);
        Gate {
            shared: Arc::new(parts),
        }
    }

    /// The same gate, counting into `stats` (shared with whatever reads them, such as
    /// `/metrics`) instead of counters of its own.
    #[must_use]
    pub fn with_stats(self, stats: Arc<GateStats>) -> Self
    where
        S: Clone,
    {
        let mut parts = self.parts_with(self.shared.superusers.clone());
        parts.stats = stats;
        Gate {
            shared: Arc::new(parts),
        }
    }

    /// The same gate, holding requests in `holds` (shared with whatever stops them at a
    /// shutdown and reads their counts) instead of a queue of its own with the default limits.
    /// `holds` must follow the same state as the gate.
    #[must_use]
    pub fn with_holds(self, holds: Arc<Holds>) -> Self
    where
        S: Clone,
    {
        let mut parts = self.parts_with(self.shared.superusers.clone());
        parts.holds = holds;
        Gate {
            shared: Arc::new(parts),
        }
    }

    /// This gate's parts, asking `superusers` instead: what the builders above start from.
    fn parts_with<T>(&self, superusers: T) -> Shared<T> {
        let shared = &self.shared;
        Shared {
            live: shared.live.clone(),
            pages: Arc::clone(&shared.pages),
            rules: shared.rules.clone(),
            bypass: shared.bypass.clone(),
            superusers,
            stats: Arc::clone(&shared.stats),
            holds: Arc::clone(&shared.holds),
        }
    }
}

impl<E: Endpoint, S: Superusers> Middleware<E> for Gate<S> {
    type Output = GateEndpoint<E, S>;

    fn transform(&self, inner: E) -> Self::Output {
        GateEndpoint {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The endpoint [`Gate`] wraps around a site.
pub struct GateEndpoint<E, S = Nobody> {
    inner: E,
    shared: Arc<Shared<S>>,
}

impl<E: Endpoint, S: Superusers> Endpoint for GateEndpoint<E, S> {
    type Output = Response;

    // Not an `async fn`, which would keep a copy of the request beside the inner future: a
    // request that passes goes straight to the inner future, an answer of the gate's own is
    // ready at once, and only a request that needs the superuser question gets a future of
    // its own.
    fn call(&self, mut req: Request) -> impl Future<Output = Result<Response>> + Send {
        // The inner router must see the very path the rules judged, or `/x/../healthz` could be
        // judged open and routed to `/x`; the bytes sent are kept for a proxy to forward.
        if let Cow::Owned(normal) = path::normalize(req.uri().path()) {
            let sent = req.uri().path_and_query().cloned();
            match with_path(req.uri(), &normal) {
                Some(uri) => *req.uri_mut() = uri,
                None => return Either::Left(ready(Ok(StatusCode::BAD_REQUEST.into_response()))),
            }
            if let Some(sent) = sent {
                req.extensions_mut().insert(SentTarget(sent));
            }
        }
        let shared = &*self.shared;
        let state = shared.live.load();
        let upgrade = http::wants_upgrade(req.headers());
        let outcome = shared.judge(&req, &state, upgrade);
        let (kind, reason) = match outcome {
            // A tunnel outlives this decision: it is passed with what the proxy needs to
            // judge it again when the state changes. Rare, so boxed.
            Outcome::Pass(pass) if upgrade => {
                if pass != Pass::Inactive {
                    shared.stats.count_pass(pass);
                }
                let tunnel: Boxed<'_> = Box::pin(self.pass_tunnel(req));
                return Either::Right(Either::Right(tunnel));
            }
            // Requests let go at the end of a hold go first: one that the hold would have
            // held waits behind them. Only while they are let go, so rarely boxed.
            Outcome::Pass(Pass::Inactive) if shared.holds.draining() => {
                let behind: Boxed<'_> = Box::pin(self.behind_released(req));
                return Either::Right(Either::Right(behind));
            }
            // Before a scheduled window, the site's pages announce it.
            Outcome::Pass(Pass::Inactive) if state.phase() == Phase::Scheduled => {
                let state = Guard::into_inner(state);
                let announced = self
                    .inner
                    .call(req)
                    .map_ok(move |resp| announce(&shared.pages, &state, resp.into_response()));
                return Either::Right(Either::Left(Either::Right(announced)));
            }
            Outcome::Pass(Pass::Inactive) => {
                return Either::Right(Either::Left(Either::Left(self.pass(req))));
            }
            Outcome::Pass(pass) => {
                shared.stats.count_pass(pass);
                return Either::Right(Either::Left(Either::Left(self.pass(req))));
            }
            Outcome::LeavePage => return Either::Left(ready(Ok(leave_page(&req)))),
            Outcome::ShowPage => (Gated::Page, Reason::MaintenancePage),
            Outcome::Gate(kind, reason) => {
                // Boxed: verifying a token may call the provider, and every request's future,
                // passed ones too, would otherwise carry room for that.
                let state = Guard::into_inner(state);
                let asking: Boxed<'_> = Box::pin(self.unless_superuser(req, state, kind, reason));
                return Either::Right(Either::Right(asking));
            }
        };
        Either::Left(ready(Ok(self.gated(&req, &state, kind, reason))))
    }
}

impl<S> Shared<S> {
    /// What the rules make of `req` in `state` (`upgrade`: it asks to switch protocols).
    fn judge(&self, req: &Request, state: &Snapshot, upgrade: bool) -> Outcome {
        let facts = decision::Facts {
            path: req.uri().path(),
            safe_method: !upgrade
                && matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS),
            headers: req.headers(),
            client_allowed: client_allowed(state, || client_ip(req, &self.rules.trusted_proxies)),
        };
        decision::decide_sent(sent_path(req), &facts, state, state.phase(), &self.rules)
    }
}

/// Whether `state` lets the client through by its address; `client` is asked only when the
/// window lists addresses, as finding it may parse forwarding headers.
fn client_allowed(state: &Snapshot, client: impl FnOnce() -> Option<IpAddr>) -> bool {
    let nets = &state.window.allowed_ips;
    !nets.is_empty() && client().is_some_and(|ip| nets.iter().any(|net| net.contains(&ip)))
}

/// The future of a request that waits on more than the gate's own decision.
type Boxed<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send + 'a>>;

/// The path as the client sent it: kept aside when the gate normalised it.
fn sent_path(req: &Request) -> &str {
    req.extensions()
        .get::<SentTarget>()
        .map_or_else(|| req.uri().path(), |sent| sent.0.path())
}

/// Tells a reverse proxy whether a tunnel it opened (a WebSocket, any other `Upgrade`) may
/// stay open in a new state: whether its request would pass the gate now. The gate puts it
/// in the extensions of each switch of protocols it passes, unless the caller passes whatever
/// the state (a superuser, a bypass link's holder).
#[derive(Clone)]
pub struct TunnelCheck(Arc<dyn Fn(&Snapshot) -> bool + Send + Sync>);

impl TunnelCheck {
    /// Whether the tunnel's request would pass in `state`.
    pub fn passes(&self, state: &Snapshot) -> bool {
        (self.0)(state)
    }
}

impl std::fmt::Debug for TunnelCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TunnelCheck")
    }
}

impl<E: Endpoint, S: Superusers> GateEndpoint<E, S> {
    /// The inner endpoint's answer, as it is.
    fn pass(&self, req: Request) -> impl Future<Output = Result<Response>> + Send {
        self.inner.call(req).map_ok(IntoResponse::into_response)
    }

    /// Passes a switch of protocols, with a [`TunnelCheck`] unless the caller is a superuser
    /// or holds a bypass link, who keep their tunnels whatever the state.
    async fn pass_tunnel(&self, mut req: Request) -> Result<Response> {
        if self.exempt(&req).await.is_none() {
            let check = tunnel_check(Arc::clone(&self.shared), &req);
            req.extensions_mut().insert(check);
        }
        self.pass(req).await
    }

    /// Who passes whatever the state: the holder of a bypass cookie (checked in memory) or a
    /// superuser (a question that may decrypt a session or verify a token).
    async fn exempt(&self, req: &Request) -> Option<Pass> {
        let shared = &*self.shared;
        if shared.bypass.as_ref().is_some_and(|b| b.holds(req)) {
            Some(Pass::Bypass)
        } else if shared.superusers.is_superuser(req).await {
            Some(Pass::Superuser)
        } else {
            None
        }
    }

    /// Passes those [exempt](Self::exempt) from the rules; gates (or holds) the rest.
    async fn unless_superuser(
        &self,
        req: Request,
        state: Arc<Snapshot>,
        kind: Gated,
        reason: Reason,
    ) -> Result<Response> {
        let shared = &*self.shared;
        match self.exempt(&req).await {
            Some(pass) => {
                shared.stats.count_pass(pass);
                self.pass(req).await
            }
            None if state.holds_requests() => self.hold(req, &state, kind, reason).await,
            None => Ok(self.gated(&req, &state, kind, reason)),
        }
    }

    /// Keeps a request the hold window `state` gates waiting until the hold is over, then
    /// judges it again; answers it as in `full` after the window's hold timeout, when the
    /// queue is full, or at a shutdown. Nothing of its body is read meanwhile.
    async fn hold(
        &self,
        req: Request,
        state: &Snapshot,
        kind: Gated,
        reason: Reason,
    ) -> Result<Response> {
        let shared = &*self.shared;
        let timeout = std::time::Duration::from_secs(u64::from(state.window.hold_timeout_secs));
        let deadline = tokio::time::Instant::now() + timeout;
        let upgrade = http::wants_upgrade(req.headers());
        let client = http::server::ClientSocket::current();
        loop {
            let waited = match shared.holds.join() {
                Joined::Wait(ticket) => ticket.wait(deadline, client.clone()).await,
                Joined::GoOn => Waited::Judge(InFlight::default()),
                Joined::Refused => Waited::Answer,
            };
            let in_flight = match waited {
                Waited::Judge(in_flight) => Some(in_flight),
                Waited::Answer => None,
                // Nobody waits for this answer; what matters is that nothing reached the app.
                Waited::Gone => return Err(poem::Error::from_status(StatusCode::BAD_REQUEST)),
            };
            // Not a guard, which would pin a slot of the shared state across the app's answer.
            let state = Guard::into_inner(shared.live.load());
            let Some(in_flight) = in_flight else {
                // Counted, not logged one by one: a hold that times out may answer thousands
                // at once, and its end's log line gives their number.
                shared.stats.count_gated(kind, reason);
                return Ok(gated_response(
                    &shared.pages,
                    &shared.rules,
                    &req,
                    &state,
                    kind,
                ));
            };
            // The superuser question was asked: what is left is the state's rules.
            match shared.judge(&req, &state, upgrade) {
                Outcome::Pass(pass) => {
                    if pass != Pass::Inactive {
                        shared.stats.count_pass(pass);
                    }
                    let answer = self.pass_judged(req, upgrade).await;
                    drop(in_flight);
                    return answer;
                }
                Outcome::Gate(..)
                    if state.holds_requests() && tokio::time::Instant::now() < deadline => {}
                Outcome::Gate(gated, why) => return Ok(self.gated(&req, &state, gated, why)),
                Outcome::LeavePage | Outcome::ShowPage => {
                    return Ok(self.gated(&req, &state, kind, reason));
                }
            }
        }
    }

    /// A request that passes while the end of a hold is being let go: one the hold would have
    /// held (by the hold's own rules, superusers and bypass links included) queues behind the
    /// ones let go before it, so the app sees them in the order they came.
    async fn behind_released(&self, req: Request) -> Result<Response> {
        let shared = &*self.shared;
        let upgrade = http::wants_upgrade(req.headers());
        let held =
            shared
                .holds
                .released()
                .and_then(|hold| match shared.judge(&req, &hold, upgrade) {
                    Outcome::Gate(kind, reason) => Some((hold, kind, reason)),
                    _ => None,
                });
        let Some((hold, kind, reason)) = held else {
            return self.pass_judged(req, upgrade).await;
        };
        if self.exempt(&req).await.is_some() {
            return self.pass_judged(req, upgrade).await;
        }
        self.hold(req, &hold, kind, reason).await
    }

    /// Passes a request judged to pass with maintenance off.
    async fn pass_judged(&self, req: Request, upgrade: bool) -> Result<Response> {
        if upgrade {
            self.pass_tunnel(req).await
        } else {
            self.pass(req).await
        }
    }

    /// Counts and logs a gated request, and answers it.
    fn gated(
        &self,
        req: &Request,
        state: &MaintenanceState,
        kind: Gated,
        reason: Reason,
    ) -> Response {
        let shared = &*self.shared;
        shared.stats.count_gated(kind, reason);
        tracing::info!(
            target: "downtime::gate",
            method = %req.method(),
            path = req.uri().path(),
            client = %req.remote_addr(),
            answer = kind.as_str(),
            reason = reason.as_str(),
            "request gated"
        );
        gated_response(&shared.pages, &shared.rules, req, state, kind)
    }
}

/// The check of a tunnel opened by `req`: its path (as sent and normalised) and its client's
/// address judged against each new state, as a write.
fn tunnel_check<S: Superusers>(shared: Arc<Shared<S>>, req: &Request) -> TunnelCheck {
    let sent = sent_path(req).to_owned();
    let normal = req.uri().path().to_owned();
    let client = client_ip(req, &shared.rules.trusted_proxies);
    TunnelCheck(Arc::new(move |state: &Snapshot| {
        let facts = decision::Facts {
            path: &normal,
            safe_method: false,
            headers: &poem::http::HeaderMap::new(),
            client_allowed: client_allowed(state, || client),
        };
        let outcome = decision::decide_sent(&sent, &facts, state, state.phase(), &shared.rules);
        matches!(outcome, Outcome::Pass(_))
    }))
}

/// The gate's answer: a redirect to the page, or the page or problem document in the
/// visitor's language, from the cache; always `Retry-After` and `no-store`.
fn gated_response(
    pages: &Pages,
    rules: &Rules,
    req: &Request,
    state: &MaintenanceState,
    kind: Gated,
) -> Response {
    let rendition = pages.for_state(state);
    let mut resp = if kind == Gated::Redirect {
        redirect(req, &to_page(&rules.page_path, req))
    } else {
        let choice = pages.language(req.uri(), req.headers());
        let rendered = pages.rendered(&rendition, choice.index);
        // 503 unless the window asks for another server error, or 200 for a load balancer.
        let status = StatusCode::from_u16(state.window.status_code)
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let html = kind == Gated::Page;
        let mut resp = if html {
            Response::builder()
                .status(status)
                .content_type("text/html; charset=utf-8")
                .body(rendered.html.clone())
        } else {
            Response::builder()
                .status(status)
                .content_type("application/problem+json")
                .body(rendered.problem.clone())
        };
        pages.visitor_headers(resp.headers_mut(), choice, html);
        resp
    };
    // The redirect is never cached either (see `redirect`).
    resp.headers_mut()
        .insert(header::RETRY_AFTER, rendition.retry_after().clone());
    resp
}

/// Adds the `Maintenance-Window` header to an HTML page.
fn announce(pages: &Pages, state: &MaintenanceState, mut resp: Response) -> Response {
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if is_html && let Some(value) = pages.for_state(state).announcement() {
        resp.headers_mut()
            .insert(ANNOUNCEMENT_HEADER, value.clone());
    }
    resp
}

/// `/maintenance?next=<where the visitor was going>`.
fn to_page(page_path: &str, req: &Request) -> String {
    let target = req.uri().path_and_query().map_or("/", PathAndQuery::as_str);
    format!("{page_path}?next={}", http::path_as_query_value(target))
}

/// Sends a visitor from the page back to where they were going (a local path only), or home.
fn leave_page(req: &Request) -> Response {
    match query_param(req, "next").and_then(|next| http::local_location(&next)) {
        Some(location) => redirect(req, &location),
        None => redirect(req, "/"),
    }
}

/// 302 for reads, 303 for writes (the browser then GETs the target), never cached.
fn redirect(req: &Request, location: &str) -> Response {
    let status = if matches!(*req.method(), Method::GET | Method::HEAD) {
        StatusCode::FOUND
    } else {
        StatusCode::SEE_OTHER
    };
    match HeaderValue::try_from(location) {
        Ok(location) => Response::builder()
            .status(status)
            .header(header::LOCATION, location)
            .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
            .finish(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn with_path(uri: &Uri, path: &str) -> Option<Uri> {
    let path_and_query = match uri.query() {
        Some(query) => PathAndQuery::try_from(format!("{path}?{query}")),
        None => PathAndQuery::try_from(path),
    }
    .ok()?;
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query);
    Uri::from_parts(parts).ok()
}
