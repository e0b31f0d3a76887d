//! downtime's own routes, declared once in [`ROUTES`]: the router, the gate's open paths and
//! the split between the control API and the rest are all derived from the table.
//!
//! To add a route: a row in [`ROUTES`], and its endpoint in [`Downtime::routes`]' `endpoint`.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::{EndpointExt, Response, Route, get};

use super::{Downtime, Parts};
use crate::api::{self, ApiOptions, health, maintenance::ApiSettings};
use crate::auth::{routes as auth_routes, session};
use crate::bypass;
use crate::http::{BodyLimit, DEFAULT_MAX_BODY_BYTES};
use crate::metrics::{self, MetricsEndpoint, Sources};

/// Makes the endpoint of a route from the built [`Downtime`].
type Make = fn(&Downtime) -> BoxEndpoint<'static, Response>;

/// Who answers one of downtime's routes.
#[derive(Clone, Copy)]
pub enum Answer {
    /// The control API: one OpenAPI service under `/api` answering every `Api` row.
    Api,
    /// An endpoint of its own, answering the path alone.
    At(Make),
    /// An endpoint of its own, answering the path and everything below it.
    Nest(Make),
}

/// One of downtime's routes, under the mount prefix.
#[derive(Clone, Copy)]
pub struct OwnRoute {
    /// The path, without the prefix (`/healthz`).
    pub path: &'static str,
    /// Whether it stays open to everyone during maintenance (the gate lets it through).
    pub open: bool,
    /// Who answers it.
    pub answer: Answer,
    /// Served only with the development provider on.
    pub dev_idp_only: bool,
}

const fn route(path: &'static str, answer: Answer) -> OwnRoute {
    OwnRoute {
        path,
        open: true,
        answer,
        dev_idp_only: false,
    }
}

/// Every route downtime serves besides the site, and how. The maintenance page itself is not
/// here: the gate serves it at `/maintenance`.
pub const ROUTES: &[OwnRoute] = &[
    route("/healthz", Answer::At(healthz)),
    route("/readyz", Answer::At(readyz)),
    route("/api/maintenance", Answer::Api),
    route("/api/status", Answer::Api),
    route("/api/docs", Answer::Api),
    route("/api/openapi.json", Answer::Api),
    // Login, logout and the callback; the bypass links beside them, without the session.
    route("/auth", Answer::Nest(auth)),
    route(bypass::PATH, Answer::At(bypass_visit)),
    route("/maintenance/banner.js", Answer::At(banner)),
    route("/maintenance/feed.atom", Answer::At(feed)),
    route(crate::admin::PATH, Answer::Nest(admin)),
    route(metrics::PATH, Answer::At(metrics)),
    OwnRoute {
        dev_idp_only: true,
        ..route("/dev-idp", Answer::Nest(dev_idp))
    },
];

/// The rows of [`ROUTES`] served with the development provider on (`dev_idp`) or off.
pub fn served(dev_idp: bool) -> impl Iterator<Item = &'static OwnRoute> {
    ROUTES.iter().filter(move |r| dev_idp || !r.dev_idp_only)
}

impl std::fmt::Debug for OwnRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnRoute")
            .field("path", &self.path)
            .field("open", &self.open)
            .field("api", &matches!(self.answer, Answer::Api))
            .finish_non_exhaustive()
    }
}

/// downtime's own routes, as [`Downtime::routes`] gives them.
pub struct OwnRoutes {
    /// The control API's paths (under the prefix).
    pub api_paths: Vec<String>,
    /// The control API, answering those paths.
    pub api: BoxEndpoint<'static, Response>,
    /// The paths of the rest of downtime's routes (under the prefix).
    pub other_paths: Vec<String>,
    /// The rest of downtime's routes, answering those paths.
    pub others: Route,
}

impl Downtime {
    /// downtime's own routes at their full paths (prefix included), without the gate, as
    /// [`ROUTES`] declares them; the control API answers only its own paths under `/api`, so
    /// the app keeps the rest.
    pub fn routes(&self) -> OwnRoutes {
        let parts = &*self.parts;
        let mut own = OwnRoutes {
            api_paths: Vec::new(),
            api: api(parts),
            other_paths: Vec::new(),
            others: Route::new(),
        };
        for route in served(parts.dev_idp.is_some()) {
            let path = parts.urls.own_path(route.path);
            match route.answer {
                Answer::Api => own.api_paths.push(path),
                Answer::At(make) => {
                    own.others = own.others.at(&path, make(self));
                    own.other_paths.push(path);
                }
                Answer::Nest(make) => {
                    own.others = own.others.nest(&path, make(self));
                    own.other_paths.push(path);
                }
            }
        }
        own
    }
}

/// The control API, nested at `/api`.
fn api(parts: &Parts) -> BoxEndpoint<'static, Response> {
    let urls = &parts.urls;
    Route::new()
        .nest(
            urls.own_path("/api"),
            api::routes(&ApiOptions {
                prefix: urls.prefix.clone(),
                client_id: parts.auth.client_id().unwrap_or_default().to_owned(),
                scopes: parts.auth.scopes().to_vec(),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                writes: Arc::clone(&parts.api_writes),
            })
            .data(parts.auth.clone())
            .data(ApiSettings {
                require_if_match: parts.config.require_if_match,
            })
            .data(parts.bypass.clone())
            .data(urls.clone())
            .data(parts.service.clone()),
        )
        .boxed()
}

fn healthz(_: &Downtime) -> BoxEndpoint<'static, Response> {
    get(health::healthz).boxed()
}

fn readyz(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    let parts = &*downtime.parts;
    get(health::readyz)
        .data(parts.service.clone())
        .data(parts.upstream.clone())
        .boxed()
}

/// Login, through the session middleware.
fn auth(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    let parts = &*downtime.parts;
    auth_routes::routes()
        .with(BodyLimit::default())
        .with(session::middleware(
            parts.session_key.clone(),
            &parts.config.auth.session_cookie,
            parts.secure_cookies,
            parts.auth.session_ttl(),
        ))
        .data(parts.auth.clone())
        .boxed()
}

fn bypass_visit(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    get(bypass::visit)
        .data(downtime.parts.bypass.clone())
        .boxed()
}

fn banner(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    get(crate::web::page::banner_js)
        .data(Arc::clone(&downtime.parts.pages))
        .boxed()
}

fn feed(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    let parts = &*downtime.parts;
    get(crate::web::feed::feed_atom)
        .data(crate::web::feed::FeedSource {
            service: parts.service.clone(),
            self_url: parts.urls.own("/maintenance/feed.atom"),
            site_url: format!("{}/", parts.urls.base_url),
        })
        .boxed()
}

fn admin(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    let parts = &*downtime.parts;
    crate::admin::routes(crate::admin::Admin {
        auth: parts.auth.clone(),
        service: parts.service.clone(),
        bypass: parts.bypass.clone(),
        console: Arc::clone(&parts.console),
        json_paths: parts.rules.json_paths.clone(),
    })
    .with(BodyLimit::default())
    .boxed()
}

fn metrics(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    let parts = &*downtime.parts;
    let sources = Sources {
        service: parts.service.clone(),
        gate: Arc::clone(&parts.gate_stats),
        holds: Arc::clone(&parts.holds),
        writes: Arc::clone(&parts.api_writes),
        upstream: parts.upstream.clone(),
        webhooks: (!parts.config.webhook.webhooks.is_empty()).then(|| parts.webhooks.stats()),
        tls: parts.tls.as_ref().map(|(tls, _)| Arc::clone(tls)),
    };
    let trusted = parts.rules.trusted_proxies.clone();
    get(MetricsEndpoint::new(
        sources,
        &parts.config.metrics,
        trusted,
    ))
    .boxed()
}

/// The development provider; nothing (404) when it is off, though then it is not served.
fn dev_idp(downtime: &Downtime) -> BoxEndpoint<'static, Response> {
    match &downtime.parts.dev_idp {
        Some(idp) => idp.routes().with(BodyLimit::default()).boxed(),
        None => Route::new().boxed(),
    }
}
