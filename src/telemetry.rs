//! Logging: structured events to stderr, filtered by `RUST_LOG`, and [`RequestLog`], one span
//! per request.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::FutureExt as _;
use ipnet::IpNet;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use tracing::Instrument as _;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log collectors: every value is a JSON string, so no
    /// newline or quote a client sent can forge a line.
    Json,
}

/// Installs the subscriber: `info` for the server, `warn` for short commands, unless `RUST_LOG`
/// says otherwise.
pub fn init(serving: bool, format: LogFormat) {
    let default = if serving {
        "info,sqlx=warn,sea_orm=warn"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// One span per request, and one event when it is answered. It records the method, the path
/// without its query (queries carry OAuth codes and states), and the client address the gate
/// uses: the connection's, or `X-Forwarded-For` only from a trusted proxy, never a header any
/// client can set.
#[derive(Clone, Debug, Default)]
pub struct RequestLog {
    trusted_proxies: Vec<IpNet>,
    warned: Arc<AtomicBool>,
}

impl RequestLog {
    /// Believes `X-Forwarded-For` from `trusted_proxies` only.
    pub fn new(trusted_proxies: Vec<IpNet>) -> Self {
        RequestLog {
            trusted_proxies,
            warned: Arc::default(),
        }
    }
}

impl<E: Endpoint> Middleware<E> for RequestLog {
    type Output = RequestLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestLogEndpoint {
            inner,
            trusted_proxies: self.trusted_proxies.clone(),
            warned: Arc::clone(&self.warned),
        }
    }
}

/// The endpoint [`RequestLog`] makes.
pub struct RequestLogEndpoint<E> {
    inner: E,
    trusted_proxies: Vec<IpNet>,
    /// Whether the front-proxy warning was given (once per server).
    warned: Arc<AtomicBool>,
}

impl<E> RequestLogEndpoint<E> {
    /// Warns once when a proxy on this machine forwards requests but is not trusted: every
    /// client then looks like the proxy, so `/metrics` opens to all (loopback may read it), a
    /// window's allowed addresses mean nothing, and all clients share one client's bounds.
    fn notice_front_proxy(&self, req: &Request) {
        if !self.trusted_proxies.is_empty()
            || self.warned.load(Ordering::Relaxed)
            || !req.headers().contains_key("x-forwarded-for")
        {
            return;
        }
        let Some(peer) = req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_canonical())
        else {
            return;
        };
        if peer.is_loopback() && !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "downtime::server",
                %peer,
                "a proxy on this machine forwards requests (X-Forwarded-For), but --trusted-proxies is unset: every client looks like {peer}, so /metrics is open to all of them and allowed addresses and per-client bounds see one client. Set --trusted-proxies {peer}/32"
            );
        }
    }
}

impl<E: Endpoint> Endpoint for RequestLogEndpoint<E> {
    type Output = Response;

    // Not an `async fn`: one would keep its own copy of the request for its whole life, and
    // every layer's copy adds to the future hyper moves for each request.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        self.notice_front_proxy(&req);
        // Where requests are not logged, neither the span nor the clock is paid for.
        let span = if tracing::enabled!(tracing::Level::INFO) {
            let client = crate::http::client_ip(&req, &self.trusted_proxies);
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                client = client.map(tracing::field::display),
            )
        } else {
            tracing::Span::none()
        };
        let started = (!span.is_disabled()).then(Instant::now);
        // Inside the span: inner layers may do their first work as the future is made.
        let inner = span.in_scope(|| self.inner.call(req));
        // A combinator, not an `async` block: awaiting a captured future copies it.
        inner
            .map(move |result| {
                let result = result.map(IntoResponse::into_response);
                let Some(started) = started else {
                    return result;
                };
                // Whole microseconds: a float prints as 0.7404310000000001.
                let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                match &result {
                    Ok(resp) => {
                        tracing::info!(status = resp.status().as_u16(), elapsed_us, "answered");
                    }
                    Err(error) => {
                        tracing::info!(
                            status = error.status().as_u16(),
                            elapsed_us,
                            "answered with an error"
                        );
                    }
                }
                result
            })
            .instrument(span)
    }
}
