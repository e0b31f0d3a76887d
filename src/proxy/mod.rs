//! The reverse proxy: every request that passes the gate goes on to one upstream app, so
//! downtime can stand in front of a site written in anything (`downtime serve --upstream
//! http://127.0.0.1:8000`).
//!
//! [`Upstream`] is a Poem endpoint: wrap it like any site, `downtime.around(upstream)`. Bodies
//! stream frame by frame both ways (nothing is held whole), and connections to the upstream
//! are kept alive and reused. An HTTP/1.1 switch of protocols (WebSocket and any other
//! `Upgrade`) is passed on, and the two connections are then joined byte for byte.
//!
//! A client that goes away cancels its upstream request: dropping the request's future (or
//! the response body) drops the upstream connection with it. The server
//! ([`crate::http::server`]) drops them as soon as it reads the client's end of the
//! connection, while the app is still to answer, and a stream is cut when a write to the
//! departed client fails.

mod body;
mod failure;
mod forward;
pub mod headers;
pub mod health;
mod limits;
mod pool;
mod settings;
mod tunnel;
mod url;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use ipnet::IpNet;
use poem::Body;
use poem::http::uri::Scheme;
use poem::http::{HeaderValue, Method, StatusCode, Uri, header};
use strum::{EnumCount, IntoStaticStr, VariantArray};

use crate::state::Live;
use crate::web::page::{PageOptions, Pages};
pub use body::BodyPace;
use body::{BodyWatch, Outgoing};
use limits::Limits;
use pool::Pool;
pub use settings::{
    OwnCredential, ProxyConfig, UpstreamSettings, host_header, timeout, timeout_in_range,
};
pub use url::{InvalidUpstream, UpstreamUrl};

/// The reverse proxy to one upstream app, as a Poem endpoint. Cheap to clone: clones share the
/// connection pool.
///
/// # Errors
/// None as `poem::Error`. When the upstream cannot be reached, does not answer in time, answers
/// something unreadable, or answers 502, 503 or 504 while maintenance is not on, browsers get
/// the localized "site unreachable" page and other clients a problem document, with 502 (503
/// when the upstream said 503); each is logged. A body over the limit gets 413.
///
/// # Example
/// ```no_run
/// use downtime::proxy::{Upstream, UpstreamSettings};
///
/// # fn main() -> anyhow::Result<()> {
/// let app = Upstream::new(UpstreamSettings::new("http://127.0.0.1:8000".parse()?))?;
/// # let _ = app; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
}

struct Inner {
    url: UpstreamUrl,
    /// The upstream's origin (`http://host:port/`), what connections are made to.
    origin: Uri,
    pages: Arc<Pages>,
    /// While maintenance is on, the people who pass (superusers) see the app's own errors.
    live: Option<Live>,
    pool: Arc<Pool>,
    host: Option<HeaderValue>,
    connect_timeout: Duration,
    response_timeout: Duration,
    max_body: Option<usize>,
    body_pace: Option<BodyPace>,
    limits: Limits,
    trusted_proxies: Vec<IpNet>,
    own_cookies: Vec<String>,
    json_paths: Vec<String>,
    own_credential: Option<OwnCredential>,
    health: tokio::sync::watch::Sender<health::Health>,
    /// Requests the upstream gave no usable answer to, by [`UpstreamError::index`].
    errors: [AtomicU64; UpstreamError::COUNT],
}

/// Why a request got no usable answer from the upstream, as `/metrics` counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumCount, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum UpstreamError {
    /// No connection: refused, unknown host, connect timeout, TLS failure.
    Unreachable,
    /// No response headers within the response timeout.
    Timeout,
    /// Something that is not HTTP, or a connection closed before the answer.
    BadAnswer,
    /// 502, 503 or 504 from the upstream itself while maintenance is not on.
    ErrorStatus,
}

impl UpstreamError {
    /// Its name, as metrics and the log spell it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field("url", &self.inner.url.to_string())
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// A proxy to `settings.url`, with the built-in pages. Nothing is connected until the first
    /// request.
    ///
    /// # Errors
    /// The `Host` override is not a header value, or TLS cannot be set up.
    pub fn new(settings: UpstreamSettings) -> anyhow::Result<Self> {
        let pages = Arc::new(Pages::new(&PageOptions::default())?);
        Upstream::with_pages(settings, pages, None)
    }

    /// A proxy answering failures with `pages` (branded and with the languages downtime
    /// serves); `live`, when given, lets the upstream's own 5xx answers through while
    /// maintenance is on.
    ///
    /// # Errors
    /// As [`Upstream::new`].
    pub fn with_pages(
        settings: UpstreamSettings,
        pages: Arc<Pages>,
        live: Option<Live>,
    ) -> anyhow::Result<Self> {
        let host = settings
            .host
            .as_deref()
            .map(HeaderValue::from_str)
            .transpose()
            .map_err(|_| anyhow::anyhow!("the upstream host is not a header value"))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(settings.connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::http::client_tls::client_config(
                settings.ca_file.as_deref(),
                "--upstream-ca",
            )?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let origin = settings
            .url
            .with_path("/")
            .ok_or_else(|| anyhow::anyhow!("the upstream URL is not a URL"))?;
        Ok(Upstream {
            inner: Arc::new(Inner {
                url: settings.url,
                origin,
                pages,
                live,
                pool: Arc::new(Pool::new(https)),
                host,
                connect_timeout: settings.connect_timeout,
                response_timeout: settings.response_timeout,
                max_body: settings.max_body,
                body_pace: settings.body_pace,
                limits: Limits::new(
                    settings.max_connections,
                    settings.max_per_client,
                    settings.connect_timeout,
                ),
                trusted_proxies: settings.trusted_proxies,
                own_cookies: settings.own_cookies,
                json_paths: settings.json_paths,
                own_credential: settings.own_credential,
                health: tokio::sync::watch::Sender::new(health::Health::default()),
                errors: Default::default(),
            }),
        })
    }

    /// Where requests go.
    pub fn url(&self) -> &UpstreamUrl {
        &self.inner.url
    }

    /// How many requests got no usable answer from the upstream for `kind` so far (the
    /// automatic-maintenance checks are not counted).
    pub fn errors(&self, kind: UpstreamError) -> u64 {
        self.inner.errors[kind as usize].load(Ordering::Relaxed)
    }

    /// What the automatic-maintenance checks found so far (nothing unless they run).
    pub fn health(&self) -> tokio::sync::watch::Receiver<health::Health> {
        self.inner.health.subscribe()
    }

    /// Whether the upstream answers `HEAD /` in time with anything but 502, 503 or 504: the
    /// check behind automatic maintenance (an app whose port is open but whose workers hang
    /// fails it).
    pub async fn check(&self) -> bool {
        let inner = &*self.inner;
        let (body, _) = Outgoing::new(Body::empty(), Some(0), None);
        let mut req = hyper::Request::new(body);
        *req.method_mut() = Method::HEAD;
        *req.uri_mut() = Uri::from_static("/");
        req.headers_mut().insert(
            header::HOST,
            inner.host.clone().unwrap_or_else(|| inner.url_host()),
        );
        let within = inner.response_timeout.min(Duration::from_secs(5));
        // No slot: the check asks whether the app answers, whatever the clients are doing.
        match tokio::time::timeout(within, inner.pool.send(&inner.origin, req, None)).await {
            Ok(Ok((resp, pooled))) => {
                let answering = !matches!(
                    resp.status(),
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                );
                // The (empty) answer hands the connection back.
                drop(inner.pool.body(resp.into_body(), pooled));
                answering
            }
            _ => false,
        }
    }

    /// Whether the upstream accepts a TCP connection within the connect timeout (at most 2 s):
    /// a probe that costs the app nothing, not even a line in its log.
    pub async fn probe(&self) -> bool {
        let url = &self.inner.url;
        let host = url.authority().host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = url
            .authority()
            .port_u16()
            .unwrap_or(if *url.scheme() == Scheme::HTTPS {
                443
            } else {
                80
            });
        let within = self.inner.connect_timeout.min(Duration::from_secs(2));
        matches!(
            tokio::time::timeout(within, tokio::net::TcpStream::connect((host, port))).await,
            Ok(Ok(_))
        )
    }
}
