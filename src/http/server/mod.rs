//! Serving a Poem endpoint over TCP: HTTP/1.1 with upgrades (WebSocket), and HTTP/2 for
//! clients that speak it from the first byte, as Poem's `Server` does; and the same over TLS
//! ([`Tls`]), HTTP/2 or HTTP/1.1 as ALPN chooses.
//!
//! The difference is on every request's path: Poem's server splits each connection into two
//! halves behind a lock and boxes them, and calls the endpoint through two more boxed layers.
//! Here the socket is handed to hyper with no lock in between and the endpoint is called
//! directly, which a reverse proxy, doing little else per request, feels in its throughput.
//!
//! Every connection is bounded ([`Limits`]): a client has the header timeout to send a
//! request's head and the idle timeout to start the next, a connection beyond the maximum is
//! closed as soon as it is accepted, a head beyond the maximum size is refused, and an HTTP/2
//! connection carries a bounded number of streams and is pinged while it waits.

mod connection;
mod redirect;
mod throttle;
mod tls;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use poem::Endpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use connection::ClientSocket;
use connection::{Site, Timeouts};
pub use redirect::ToHttps;
use throttle::Throttle;
pub use tls::{HSTS, Tls, TlsFiles, fingerprint, not_after};

/// How long to wait before accepting again after `accept` failed: out of file descriptors
/// (`EMFILE`) the listener stays readable, and retrying at once would spin a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// At most one warning per this interval for failed `accept`s, and one for connections closed
/// at the limit, each with the count since the last.
const WARN_EVERY: Duration = Duration::from_secs(5);

/// hyper's smallest read buffer: a smaller head limit is raised to it.
const MIN_HEADER_BYTES: usize = 8 * 1024;

/// What the server lets each client hold, and for how long. The defaults suit a site on the
/// open internet with the usual soft limit on open files raised (`downtime serve` raises it to
/// the hard limit at start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a client has to send a request's head (the request line and headers): from
    /// connecting, for the first request, and from the head's first byte on a kept-alive
    /// connection. A connection that takes longer is closed. Default 10 s: a head is a few
    /// hundred bytes, which a client on the slowest link sends in well under a second; a
    /// client that drips it byte by byte to hold a connection is let go.
    pub header_timeout: Duration,
    /// How long a connection may wait with no request in flight (and no byte of the next
    /// one) before it is closed; HTTP/2 clients are told with `GOAWAY`. A request is in flight
    /// from its head to its answer's last byte, however long the handler or the download
    /// takes. Default 60 s: long enough for a browser to reuse its connection for the next
    /// page, short enough that thousands of forgotten ones do not pile up.
    pub idle_timeout: Duration,
    /// The most connections open at once, upgraded ones (WebSocket) included. Beyond it a new
    /// connection is accepted and closed at once, so the listen backlog never fills and the
    /// open ones keep being served. Default 10 000: an idle connection costs a file descriptor
    /// and some 20 KiB of memory (5 000 took about 96 MB), so the cap keeps a flood within
    /// about 200 MB while leaving room for the requests a hold window keeps waiting (5,000 by
    /// default, `--hold-queue`).
    pub max_connections: usize,
    /// The largest request head, in bytes: an HTTP/1 request line and headers (answered
    /// `431` beyond), an HTTP/2 header list (refused beyond). At least 8 KiB. Default 64 KiB:
    /// eight times what most servers take per header line, enough for large cookies and
    /// tokens, and about a sixth of what hyper would otherwise buffer for each unfinished head.
    pub max_header_bytes: usize,
    /// HTTP/2: the most requests in flight at once on one connection. Default 100, the
    /// smallest value RFC 9113 recommends, what browsers are used to from other servers.
    pub http2_max_streams: u32,
    /// HTTP/2: how often a connection is pinged, to find clients that vanished without
    /// closing it (a request in flight would otherwise hold it open). Default 30 s.
    pub http2_ping_interval: Duration,
    /// HTTP/2: how long a ping may go unanswered before the connection is closed. Default
    /// 20 s.
    pub http2_ping_timeout: Duration,
    /// HTTPS: how long a client has to complete the TLS handshake; the header timeout starts
    /// after it. Default 10 s, as for a head: a handshake is a few round trips.
    pub tls_handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_header_bytes: 64 * 1024,
            http2_max_streams: 100,
            http2_ping_interval: Duration::from_secs(30),
            http2_ping_timeout: Duration::from_secs(20),
            tls_handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `endpoint` on `listener` with the default [`Limits`] until `shutdown` completes;
/// then stops accepting, lets each connection finish the request it is answering (for up to
/// `drain`) and closes the rest.
///
/// # Errors
/// The listener has no local address.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()>
where
    E: Endpoint + 'static,
{
    serve_with(listener, endpoint, Limits::default(), shutdown, drain).await
}

/// [`serve`] with the given [`Limits`].
///
/// # Errors
/// The listener has no local address.
pub async fn serve_with<E>(
    listener: TcpListener,
    endpoint: E,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()>
where
    E: Endpoint + 'static,
{
    serve_over(listener, endpoint, limits, None, shutdown, drain).await
}

/// [`serve_with`], over HTTPS with `tls` when given: each connection's handshake is made on
/// its own task, within [`Limits::tls_handshake_timeout`], and counts against
/// [`Limits::max_connections`].
///
/// # Errors
/// The listener has no local address.
pub async fn serve_over<E>(
    listener: TcpListener,
    endpoint: E,
    limits: Limits,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()>
where
    E: Endpoint + 'static,
{
    let (stop, stopping) = watch::channel(false);
    let mut accepting = Accepting::new(&listener, endpoint, &limits, tls, stopping)?;
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!(open = connections.len(), "draining the open connections");
                break;
            }
            // Finished connections are reaped as they end, so the set holds only live ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if let Some(connection) = accepting.admit(stream, peer) {
                        connections.spawn(connection);
                    }
                }
                Err(error) => accepting.failed(&error).await,
            },
        }
    }
    drop(listener);
    close(connections, &stop, drain).await;
    tracing::info!("server stopped");
    Ok(())
}

/// What the accept loop needs for each new connection, and the warnings it rate-limits.
struct Accepting<E> {
    endpoint: Arc<E>,
    local: LocalAddr,
    builder: Arc<auto::Builder<TokioExecutor>>,
    timeouts: Timeouts,
    tls: Option<Arc<Tls>>,
    handshake_timeout: Duration,
    permits: Arc<Semaphore>,
    max_connections: usize,
    failures: Throttle,
    refusals: Throttle,
    stopping: watch::Receiver<bool>,
}

impl<E: Endpoint + 'static> Accepting<E> {
    fn new(
        listener: &TcpListener,
        endpoint: E,
        limits: &Limits,
        tls: Option<Arc<Tls>>,
        stopping: watch::Receiver<bool>,
    ) -> io::Result<Self> {
        let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        Ok(Accepting {
            endpoint: Arc::new(endpoint),
            local: LocalAddr(listener.local_addr()?.into()),
            builder: Arc::new(builder(limits)),
            timeouts: Timeouts {
                header: limits.header_timeout,
                idle: limits.idle_timeout,
            },
            tls,
            handshake_timeout: limits.tls_handshake_timeout,
            permits: Arc::new(Semaphore::new(max_connections)),
            max_connections,
            failures: Throttle::new(WARN_EVERY),
            refusals: Throttle::new(WARN_EVERY),
            stopping,
        })
    }

    /// The new connection's work, or `None` at the connection limit (it is then closed).
    fn admit(
        &mut self,
        stream: TcpStream,
        peer: SocketAddr,
    ) -> Option<impl Future<Output = ()> + Send + 'static> {
        if self.failures.pending()
            && let Some(failed) = self.failures.due(Instant::now())
        {
            tracing::warn!(failed, "could not accept some connections");
        }
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            // Closed before a byte is read: the client sees the connection end, not a reset,
            // and the open ones keep their share of the process.
            drop(stream);
            if let Some(closed) = self.refusals.event(Instant::now()) {
                tracing::warn!(
                    closed,
                    limit = self.max_connections,
                    "at the connection limit: closing new connections at once"
                );
            }
            return None;
        };
        let site = Site {
            endpoint: Arc::clone(&self.endpoint),
            local: self.local.clone(),
            remote: RemoteAddr(peer.into()),
            scheme: if self.tls.is_some() {
                Scheme::HTTPS
            } else {
                Scheme::HTTP
            },
            hsts: self.tls.as_ref().and_then(|tls| tls.hsts().cloned()),
        };
        Some(connection::serve(
            stream,
            permit,
            Arc::clone(&self.builder),
            site,
            self.timeouts,
            self.tls.clone(),
            self.handshake_timeout,
            self.stopping.clone(),
        ))
    }

    /// An accept that failed (out of file descriptors, say): warned about at most every
    /// [`WARN_EVERY`], and a short pause so the loop does not spin on it.
    async fn failed(&mut self, error: &io::Error) {
        if let Some(failed) = self.failures.event(Instant::now()) {
            tracing::warn!(%error, failed, "cannot accept connections");
        }
        tokio::time::sleep(ACCEPT_BACKOFF).await;
    }
}

/// Tells every open connection to finish, waits up to `drain` for them, then drops the rest.
async fn close(mut connections: JoinSet<()>, stop: &watch::Sender<bool>, drain: Duration) {
    // Every connection is told at once; the receivers never see the sender dropped first.
    let _ = stop.send(true);
    let drained = tokio::time::timeout(drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            open = connections.len(),
            "closing the connections still open after the drain"
        );
    }
    // Dropping the set aborts whatever is left.
}

/// One builder for every connection, set up from `limits`.
fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        // The connection's watchdog keeps the header timeout: hyper's would also close
        // kept-alive connections after it (see `connection`). Without a timer hyper's is off
        // anyway; this says so.
        .header_read_timeout(None::<Duration>)
        // A head must fit in the read buffer, so its cap caps the head (431 beyond).
        .max_buf_size(limits.max_header_bytes.max(MIN_HEADER_BYTES));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.http2_max_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(limits.http2_ping_interval)
        .keep_alive_timeout(limits.http2_ping_timeout);
    builder
}
