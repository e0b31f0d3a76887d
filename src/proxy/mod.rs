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
pub mod headers;
pub mod health;
mod limits;
mod pool;
mod tunnel;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use strum::{EnumCount, IntoStaticStr, VariantArray};

use anyhow::Context as _;
use clap::Args;
use futures_util::FutureExt as _;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use ipnet::IpNet;
use poem::http::uri::{Authority, Scheme};
use poem::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, Version, header};
use poem::{Body, Endpoint, IntoResponse, OnUpgrade, Request, Response};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use crate::gate::TunnelCheck;
use crate::gate::decision::wants_html;
use crate::http::{Problem, client_ip};
use crate::path::SentTarget;
use crate::state::Live;
use crate::web::page::{PageOptions, Pages};
pub use body::BodyPace;
use body::{BodyWatch, Outgoing};
use headers::Hop;
use limits::{Limits, Refused};
use pool::{Pool, Pooled, SendError};
use tunnel::tunnel;

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

    fn with_path(&self, path_and_query: &str) -> Option<Uri> {
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
    if (Duration::from_millis(1)..=Duration::from_secs(3600)).contains(&every) {
        Ok(every)
    } else {
        Err("must be between 1ms and 1h".into())
    }
}

/// Everything an [`Upstream`] needs; [`UpstreamSettings::new`] gives the defaults of
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
            own_credential: None,
        }
    }
}

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
            .with_tls_config(tls_config(settings.ca_file.as_deref())?)
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
        let host = url.authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = url
            .authority
            .port_u16()
            .unwrap_or(if url.scheme == Scheme::HTTPS { 443 } else { 80 });
        let within = self.inner.connect_timeout.min(Duration::from_secs(2));
        matches!(
            tokio::time::timeout(within, tokio::net::TcpStream::connect((host, port))).await,
            Ok(Ok(_))
        )
    }
}

/// Where the system keeps its trusted certificates, by family: Debian, Ubuntu and Alpine;
/// Fedora and RHEL; openSUSE; macOS and the BSDs. `SSL_CERT_FILE` comes first when set.
const SYSTEM_ROOTS: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// TLS for https upstreams: the Mozilla roots built in, the system's, and `ca_file`'s.
///
/// # Errors
/// `ca_file` cannot be read or holds no certificate.
fn tls_config(ca_file: Option<&Path>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let system = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(SYSTEM_ROOTS.iter().map(PathBuf::from))
        .find(|path| path.is_file());
    if let Some(path) = system {
        // A system bundle may hold certificates rustls refuses; the rest still count.
        let certs = CertificateDer::pem_file_iter(&path)
            .into_iter()
            .flatten()
            .filter_map(Result::ok);
        roots.add_parsable_certificates(certs);
    }
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<_, _>>())
            .with_context(|| {
                format!(
                    "{}: cannot read the upstream CA certificates",
                    path.display()
                )
            })?;
        anyhow::ensure!(
            !certs.is_empty(),
            "{}: no certificate in this file (--upstream-ca wants PEM)",
            path.display()
        );
        for cert in certs {
            roots
                .add(cert)
                .with_context(|| format!("{}: a certificate is not usable", path.display()))?;
        }
    }
    // The crypto provider named here, not the process default, so nothing else in the
    // process can change (or leave unset) how the upstream's TLS is done.
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

impl Endpoint for Upstream {
    type Output = Response;

    // Not an `async fn`, which would keep a copy of the request beside the forwarding.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        let asker = Asker::of(&req);
        // A combinator, not an `async` block: awaiting a captured future copies it.
        self.inner.forward(req).map(move |forwarded| {
            Ok(match forwarded {
                Ok(resp) => resp,
                Err(failure) => self.inner.answer(failure, &asker),
            })
        })
    }
}

/// What a failure's answer is negotiated from (format and language), kept aside before the
/// request goes upstream: the URI (for `?lang=`), `Accept`, `Accept-Language` and `Cookie`.
/// Clones of parsed values share their bytes, so this costs no copy on the way through.
struct Asker {
    uri: Uri,
    accept: Option<HeaderValue>,
    accept_language: Option<HeaderValue>,
    cookie: Option<HeaderValue>,
}

impl Asker {
    fn of(req: &Request) -> Self {
        let headers = req.headers();
        Asker {
            uri: req.uri().clone(),
            accept: headers.get(header::ACCEPT).cloned(),
            accept_language: headers.get(header::ACCEPT_LANGUAGE).cloned(),
            cookie: headers.get(header::COOKIE).cloned(),
        }
    }

    /// The headers the answer is negotiated from (built only when a failure is answered).
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (header::ACCEPT, &self.accept),
            (header::ACCEPT_LANGUAGE, &self.accept_language),
            (header::COOKIE, &self.cookie),
        ] {
            if let Some(value) = value {
                headers.insert(name, value.clone());
            }
        }
        headers
    }
}

impl Inner {
    async fn forward(&self, req: Request) -> Result<Response, Failure> {
        if req.method() == Method::CONNECT {
            return Err(Failure::ConnectMethod);
        }
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(max) = self.max_body
            && announced.is_some_and(|n| n > max as u64)
        {
            return Err(Failure::TooLarge(max));
        }
        let peer = req
            .remote_addr()
            .as_socket_addr()
            .map(|addr| addr.ip().to_canonical());
        let trusted =
            peer.is_some_and(|ip: IpAddr| self.trusted_proxies.iter().any(|net| net.contains(&ip)));
        let client = if trusted {
            client_ip(&req, &self.trusted_proxies)
        } else {
            peer
        };
        let slot = self
            .limits
            .acquire(client)
            .await
            .map_err(Failure::Refused)?;
        // A switch of protocols (WebSocket…) is passed on only when this connection can make
        // it (HTTP/1.1); otherwise the request goes as a plain one.
        let client_upgrade = headers::wants_upgrade(req.headers())
            .then(|| req.take_upgrade().ok())
            .flatten();
        let proto = if *req.scheme() == Scheme::HTTPS {
            "https"
        } else {
            "http"
        };
        let (mut parts, body) = req.into_parts();
        // The target as the client sent it: the gate judged every reading of it, and an app
        // may give `%2F` a meaning of its own.
        let target = parts
            .extensions
            .remove::<SentTarget>()
            .map(|sent| sent.0)
            .or_else(|| parts.uri.path_and_query().cloned());
        let uri = target.map_or_else(|| Uri::from_static("/"), Uri::from);
        let tunnel_check = parts.extensions.remove::<TunnelCheck>();
        let mut headers = parts.headers;
        let hop = Hop {
            peer,
            trusted,
            proto,
            host: None,
        };
        self.headers_for_upstream(&mut headers, &parts.uri, hop, client_upgrade.is_some());
        let (body, watch) =
            Outgoing::new(body, self.max_body.map(|max| max as u64), self.body_pace);
        let mut out = hyper::Request::new(body);
        *out.method_mut() = parts.method;
        *out.uri_mut() = uri;
        *out.version_mut() = Version::HTTP_11;
        *out.headers_mut() = headers;

        let answer = self.pool.send(&self.origin, out, Some(slot));
        tokio::pin!(answer);
        // The timeout runs from the end of the request body: an upload may take as long as the
        // client needs (at the pace the body rules allow), but then the upstream must answer
        // in time.
        if let Some(watch) = &watch {
            tokio::select! {
                answered = &mut answer => return self.answered(answered, Some(watch), client_upgrade.map(|c| (c, tunnel_check))),
                () = watch.sent.notified() => {}
            }
        }
        let answered = match tokio::time::timeout(self.response_timeout, &mut answer).await {
            Ok(answered) => answered,
            Err(_) => return Err(Failure::Timeout(self.response_timeout)),
        };
        self.answered(
            answered,
            watch.as_deref(),
            client_upgrade.map(|c| (c, tunnel_check)),
        )
    }

    /// The client's headers made fit for the upstream: hop-by-hop ones and downtime's own
    /// credentials removed, forwarding ones set, and `Host`.
    fn headers_for_upstream(
        &self,
        headers: &mut poem::http::HeaderMap,
        uri: &Uri,
        hop: Hop<'_>,
        upgrade: bool,
    ) {
        // A request in absolute form names its host in the URI, and its `Host` is to be
        // ignored (RFC 9112 §3.2.2); HTTP/2 clients name it there (`:authority`) too.
        let client_host = uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            .or_else(|| headers.get(header::HOST).cloned());
        headers::strip_hop_by_hop(headers, upgrade);
        headers::strip_cookies(headers, &self.own_cookies);
        // A superuser's token opens downtime's API until it expires: the app, and its logs,
        // must not hold it. The app's own schemes and tokens go through.
        if let Some(own) = &self.own_credential
            && headers
                .get_all(header::AUTHORIZATION)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| (own.0)(v))
        {
            headers.remove(header::AUTHORIZATION);
        }
        // The client's `Expect: 100-continue` is answered by this server as soon as the body
        // is read; the client library upstream sends the body at once, so it must not ask.
        headers.remove(header::EXPECT);
        headers::set_forwarding(
            headers,
            &Hop {
                host: client_host.as_ref(),
                ..hop
            },
        );
        let host = self
            .host
            .clone()
            .or(client_host)
            .unwrap_or_else(|| self.url_host());
        headers.insert(header::HOST, host);
    }

    /// What the upstream's answer becomes: the response, or why there is none.
    fn answered(
        &self,
        answered: Result<(hyper::Response<Incoming>, Pooled), SendError>,
        watch: Option<&BodyWatch>,
        client_upgrade: Option<(OnUpgrade, Option<TunnelCheck>)>,
    ) -> Result<Response, Failure> {
        let (resp, pooled) = match answered {
            Ok(answer) => answer,
            Err(_) if watch.is_some_and(|w| w.too_large.load(Ordering::Relaxed)) => {
                return Err(Failure::TooLarge(self.max_body.unwrap_or_default()));
            }
            Err(_) if watch.is_some_and(|w| w.too_slow.load(Ordering::Relaxed)) => {
                return Err(Failure::SlowBody);
            }
            Err(SendError::Connect(error)) => {
                return Err(Failure::Unreachable(error_chain(&*error)));
            }
            Err(SendError::Http(error)) => return Err(Failure::BadAnswer(error_chain(&error))),
            Err(SendError::Closed) => {
                return Err(Failure::BadAnswer(
                    "the connection closed before the answer".into(),
                ));
            }
        };
        if matches!(
            resp.status(),
            StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
        ) && !self.maintenance_on()
        {
            let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
            return Err(Failure::Upstream(resp.status(), retry_after));
        }
        if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
            return match client_upgrade {
                Some((client, check)) => {
                    let watch = check.zip(self.live.clone());
                    Ok(tunnel(client, resp, pooled, watch))
                }
                None => Err(Failure::BadAnswer(
                    "101 Switching Protocols to a request that asked for no switch".into(),
                )),
            };
        }
        let (mut parts, body) = resp.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers, false);
        let body = BoxBody::new(self.pool.body(body, pooled));
        let mut resp = Response::builder()
            .status(parts.status)
            .body(Body::from(body));
        *resp.headers_mut() = parts.headers;
        Ok(resp)
    }
}

impl Inner {
    /// The upstream's own `host[:port]`, as `Host` when the client named none.
    fn url_host(&self) -> HeaderValue {
        HeaderValue::from_str(self.url.authority.as_str())
            .unwrap_or_else(|_| HeaderValue::from_static("localhost"))
    }

    fn maintenance_on(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|live| live.load().is_active())
    }

    /// The answer to a request that got none from the upstream: the unreachable page for
    /// browsers, a problem document for the rest, in the asker's language; never cached.
    fn answer(&self, failure: Failure, asker: &Asker) -> Response {
        let count = |kind: UpstreamError| {
            self.errors[kind as usize].fetch_add(1, Ordering::Relaxed);
        };
        let (status, code, retry_after) = match failure {
            Failure::Unreachable(error) => {
                count(UpstreamError::Unreachable);
                tracing::warn!(target: "downtime::proxy", %error, "upstream unreachable");
                (StatusCode::BAD_GATEWAY, "upstream_unreachable", None)
            }
            Failure::Timeout(after) => {
                count(UpstreamError::Timeout);
                tracing::warn!(target: "downtime::proxy", ?after, "upstream timed out");
                (StatusCode::BAD_GATEWAY, "upstream_timeout", None)
            }
            Failure::BadAnswer(error) => {
                count(UpstreamError::BadAnswer);
                tracing::warn!(target: "downtime::proxy", %error, "bad answer from the upstream");
                (StatusCode::BAD_GATEWAY, "bad_gateway", None)
            }
            Failure::Upstream(status, retry_after) => {
                count(UpstreamError::ErrorStatus);
                tracing::warn!(target: "downtime::proxy", status = status.as_u16(), "the upstream answered with an error");
                let ours = if status == StatusCode::SERVICE_UNAVAILABLE {
                    status
                } else {
                    StatusCode::BAD_GATEWAY
                };
                (ours, "upstream_error", retry_after)
            }
            other => return other.into_response(),
        };
        let asked = asker.headers();
        let pages = &*self.pages;
        let choice = pages.language(&asker.uri, &asked);
        let accept = asked.get(header::ACCEPT).and_then(|v| v.to_str().ok());
        let html = wants_html(asker.uri.path(), accept);
        let mut resp = if html {
            Response::builder()
                .status(status)
                .content_type("text/html; charset=utf-8")
                .body(pages.unreachable(choice.index).clone())
        } else {
            pages
                .unreachable_problem(choice.index, status, code)
                .into_response()
        };
        let headers = resp.headers_mut();
        pages.visitor_headers(headers, choice, html);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                retry_after.unwrap_or(HeaderValue::from_static("30")),
            );
        }
        resp
    }
}

/// Why a request got no answer from the upstream.
#[derive(Debug)]
enum Failure {
    /// `CONNECT`: this is a reverse proxy, not a tunnel.
    ConnectMethod,
    /// The body is over the limit (bytes).
    TooLarge(usize),
    /// The body came too slowly (`--body-timeout`, `--body-min-rate`).
    SlowBody,
    /// No upstream connection could be had for the request.
    Refused(Refused),
    /// No connection (refused, unknown host, connect timeout, TLS failure).
    Unreachable(String),
    /// No response headers in time.
    Timeout(Duration),
    /// The upstream answered something that is not HTTP, or closed the connection.
    BadAnswer(String),
    /// The upstream answered 502, 503 or 504 (with its `Retry-After`).
    Upstream(StatusCode, Option<HeaderValue>),
}

/// The answers that need no page: the request itself was refused.
impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            Failure::ConnectMethod => (
                StatusCode::METHOD_NOT_ALLOWED,
                "CONNECT is not forwarded.".to_owned(),
            ),
            Failure::TooLarge(max) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The body is larger than {max} bytes."),
            ),
            Failure::SlowBody => (
                StatusCode::REQUEST_TIMEOUT,
                "The request body came too slowly.".to_owned(),
            ),
            Failure::Refused(refused) => {
                let (status, detail) = match refused {
                    Refused::Client => (
                        StatusCode::TOO_MANY_REQUESTS,
                        "Too many requests from this address are in progress.",
                    ),
                    Refused::Busy => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The site is too busy to take this request now.",
                    ),
                };
                // A slot frees as soon as a request in flight ends: try again shortly.
                let mut resp = Problem::from_status(status, detail).into_response();
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return resp;
            }
            Failure::Unreachable(_)
            | Failure::Timeout(_)
            | Failure::BadAnswer(_)
            | Failure::Upstream(..) => (
                StatusCode::BAD_GATEWAY,
                "The site behind this server cannot be reached.".to_owned(),
            ),
        };
        Problem::from_status(status, detail).into_response()
    }
}

/// An error and its causes on one line, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
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
