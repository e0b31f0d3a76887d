//! One client connection: the endpoint called for each request, and the watchdog that closes
//! the connection when the client holds it without using it.
//!
//! hyper offers an HTTP/1 header-read timeout, but it starts when a connection falls idle as
//! well as when the head's first byte arrives, so a keep-alive connection would be closed after
//! the header timeout too: a short one turns keep-alive off in all but name, a long one lets a
//! client drip a head for as long as a browser may keep a connection. The two are told apart
//! here, as Go's server does: idle (no request in flight, no byte of the next) has the idle
//! timeout; a head under way (from the connection's start, or from the first byte after an
//! answer) has the header timeout; a request in flight, until its answer's last byte, has none.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use poem::http::HeaderValue;
use poem::http::header::STRICT_TRANSPORT_SECURITY;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, IntoResponse as _, Request};
use tokio::io::Interest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::time::Instant;

use super::tls::Tls;

/// The HTTP/2 connection preface: what a client speaking HTTP/2 from its first byte sends first.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The two timeouts the watchdog keeps.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timeouts {
    pub(super) header: Duration,
    pub(super) idle: Duration,
}

/// What every request on one connection shares.
pub(super) struct Site<E> {
    pub(super) endpoint: Arc<E>,
    pub(super) local: LocalAddr,
    pub(super) remote: RemoteAddr,
    /// `https` when the connection is TLS: what tells the app (cookies, the proxy's
    /// `X-Forwarded-Proto`) how the client came.
    pub(super) scheme: Scheme,
    /// `Strict-Transport-Security` for every answer that has none (HTTPS with `--hsts`).
    pub(super) hsts: Option<HeaderValue>,
}

/// What the connection's parts tell its watchdog. Written by the socket as it reads and by
/// each request as it starts and ends (on other tasks, for HTTP/2 streams); read by the
/// watchdog after each turn of the connection.
///
/// Requests are counted as they start and as they end rather than by one count in flight: a
/// quick request may come and go within one turn of the connection, and the watchdog must
/// still see that one was served.
#[derive(Debug, Default)]
struct Activity {
    /// Requests started (wrapping).
    started: AtomicUsize,
    /// Requests whose answer was sent to its last byte, or dropped (wrapping).
    finished: AtomicUsize,
    /// Bytes came in with no request in flight since the last one started: the next head.
    read: AtomicBool,
    /// The client opened with the HTTP/2 preface.
    h2: AtomicBool,
}

impl Activity {
    fn in_flight(&self) -> bool {
        self.started.load(Relaxed) != self.finished.load(Relaxed)
    }
}

/// Serves one connection until it closes, the watchdog closes it, or, once `stopping` turns
/// true, its requests in flight are answered. `permit` is held as long as the socket is open,
/// in an upgraded tunnel too. With `tls`, the handshake comes first, within its timeout; the
/// header timeout starts after it.
#[expect(
    clippy::too_many_arguments,
    reason = "the accept loop's parts, passed once"
)]
pub(super) async fn serve<E: Endpoint + 'static>(
    stream: TcpStream,
    permit: OwnedSemaphorePermit,
    builder: Arc<auto::Builder<TokioExecutor>>,
    site: Site<E>,
    timeouts: Timeouts,
    tls: Option<Arc<Tls>>,
    handshake_timeout: Duration,
    stopping: watch::Receiver<bool>,
) {
    // The answer's head and a small body go out in one write; the client is not left waiting
    // on Nagle's algorithm for the rest.
    let _ = stream.set_nodelay(true);
    // Shared with the requests' futures through `CLIENT`, which may ask whether the client
    // went away while they wait without reading (a request held by a hold window).
    let stream = Arc::new(stream);
    let client = ClientSocket(Arc::downgrade(&stream));
    let socket = Socket(stream);
    match tls {
        None => {
            let served = serve_io(socket, permit, builder, site, timeouts, stopping);
            CLIENT.scope(client, served).await;
        }
        // Boxed: a plain connection's task is not made as large as a TLS one's.
        Some(tls) => {
            let secure = Connection {
                permit,
                builder,
                site,
                timeouts,
                stopping,
            };
            let served = Box::pin(serve_tls(socket, tls, handshake_timeout, secure));
            CLIENT.scope(client, served).await;
        }
    }
}

/// What [`serve_io`] takes besides the stream.
struct Connection<E> {
    permit: OwnedSemaphorePermit,
    builder: Arc<auto::Builder<TokioExecutor>>,
    site: Site<E>,
    timeouts: Timeouts,
    stopping: watch::Receiver<bool>,
}

/// [`serve`] over TLS: the handshake within `handshake_timeout`, then the connection.
async fn serve_tls<E: Endpoint + 'static>(
    socket: Socket,
    tls: Arc<Tls>,
    handshake_timeout: Duration,
    connection: Connection<E>,
) {
    let Connection {
        permit,
        builder,
        site,
        timeouts,
        mut stopping,
    } = connection;
    let handshake = tokio::time::timeout(handshake_timeout, tls.acceptor().accept(socket));
    let secured = tokio::select! {
        done = handshake => match done {
            Ok(Ok(secured)) => secured,
            // Scanners and clients that give up are no news: nothing to log per connection.
            Ok(Err(error)) => {
                tracing::debug!(%error, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(after = ?handshake_timeout, "closing a connection whose TLS handshake took too long");
                return;
            }
        },
        _ = stopping.wait_for(|stop| *stop) => return,
    };
    // An ACME server checking a TLS-ALPN-01 challenge wants the handshake only.
    if secured.get_ref().1.alpn_protocol() == Some(super::tls::ACME_TLS_ALPN) {
        return;
    }
    serve_io(secured, permit, builder, site, timeouts, stopping).await;
}

/// [`serve`], on the connection's byte stream (plain or TLS).
async fn serve_io<E: Endpoint + 'static, S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    permit: OwnedSemaphorePermit,
    builder: Arc<auto::Builder<TokioExecutor>>,
    site: Site<E>,
    timeouts: Timeouts,
    mut stopping: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::default());
    let shared = Arc::new(Shared {
        site,
        activity: Arc::clone(&activity),
    });
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let request = InFlight::enter(Arc::clone(&shared));
        let site = &request.0.site;
        let req = Request::from((
            req,
            site.local.clone(),
            site.remote.clone(),
            site.scheme.clone(),
        ));
        // The request moves straight into the endpoint's future (`get_response` would keep a
        // copy of its own): hyper moves this future once per request, so its size counts.
        async move {
            // `E::call`, not `Arc`'s: Poem's `Endpoint for Arc<T>` is an `async fn`, which
            // would keep a second copy of the request.
            let site = &request.0.site;
            let mut resp = match E::call(&site.endpoint, req).await {
                Ok(resp) => resp.into_response(),
                Err(err) => err.into_response(),
            };
            if let Some(hsts) = &site.hsts {
                resp.headers_mut()
                    .entry(STRICT_TRANSPORT_SECURITY)
                    .or_insert_with(|| hsts.clone());
            }
            // The request stays in flight until its body's last frame is out: a download or
            // an event stream longer than the idle timeout is not idleness.
            let resp = hyper::Response::from(resp).map(|body| Tracked {
                body,
                _request: request,
            });
            Ok::<_, Infallible>(resp)
        }
    });
    let io = Watched {
        io: stream,
        activity: Arc::clone(&activity),
        preface: Preface::Partly(0),
        _permit: permit,
    };
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    let wait_at_most = tokio::select! {
        watched = watchdog(conn.as_mut(), &activity, timeouts) => match watched {
            Ok(_) => return,
            Err(Expired::Head) => {
                tracing::debug!(
                    after = ?timeouts.header,
                    "closing a connection that did not send a request head in time"
                );
                // Dropped, not shut down: a head that is not complete has nothing to answer.
                return;
            }
            // An HTTP/2 client is told with GOAWAY; one that never reads it is not waited for.
            Err(Expired::Idle) => Some(timeouts.header),
        },
        _ = stopping.wait_for(|stop| *stop) => None,
    };
    conn.as_mut().graceful_shutdown();
    match wait_at_most {
        Some(limit) => {
            let _ = tokio::time::timeout(limit, conn).await;
        }
        None => {
            let _ = conn.await;
        }
    }
}

/// What each request's future holds: the site, and the count it is part of.
struct Shared<E> {
    site: Site<E>,
    activity: Arc<Activity>,
}

/// One request in flight, from its head to its answer's last frame (or until it is dropped,
/// when the client goes away).
struct InFlight<E>(Arc<Shared<E>>);

impl<E> InFlight<E> {
    fn enter(shared: Arc<Shared<E>>) -> Self {
        let activity = &shared.activity;
        activity.started.fetch_add(1, Relaxed);
        // The bytes read so far were this request's head.
        activity.read.store(false, Relaxed);
        InFlight(shared)
    }
}

impl<E> Drop for InFlight<E> {
    fn drop(&mut self) {
        self.0.activity.finished.fetch_add(1, Relaxed);
    }
}

/// An answer's body that keeps its request in flight until hyper drops it.
struct Tracked<B, E> {
    body: B,
    _request: InFlight<E>,
}

impl<B: Body + Unpin, E> Body for Tracked<B, E> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's bytes (decrypted, under TLS), noting for the watchdog when they come in
/// and whether the client speaks HTTP/2; it carries the connection's permit, into an
/// upgraded tunnel too.
struct Watched<S> {
    io: S,
    activity: Arc<Activity>,
    preface: Preface,
    _permit: OwnedSemaphorePermit,
}

/// The socket, shared with [`ClientSocket`].
struct Socket(Arc<TcpStream>);

/// How much of the HTTP/2 preface a client sent so far, until it is sent whole or departed
/// from; reads may split it anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Preface {
    Partly(usize),
    Decided,
}

impl Preface {
    /// Takes the next bytes read; `true` once the whole preface has come.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        let Preface::Partly(matched) = *self else {
            return false;
        };
        let rest = &H2_PREFACE[matched..];
        let n = bytes.len().min(rest.len());
        if bytes[..n] != rest[..n] {
            *self = Preface::Decided;
            false
        } else if n == rest.len() {
            *self = Preface::Decided;
            true
        } else {
            *self = Preface::Partly(matched + n);
            false
        }
    }
}

/// One read or write of up to `len` bytes on `stream`, as `TcpStream`'s own `poll_read` and
/// `poll_write` make it: a short one means the socket is drained (or full), so its readiness is
/// cleared at once and the next poll waits for the next event instead of trying a system call
/// that would only say `EAGAIN`. The readiness is cleared as of before the call, so an event
/// that came meanwhile is kept.
fn once(
    stream: &TcpStream,
    interest: Interest,
    len: usize,
    call: impl FnOnce() -> io::Result<usize>,
) -> io::Result<usize> {
    let mut done = None;
    let cleared = stream.try_io(interest, || {
        let n = call()?;
        done = Some(n);
        if n > 0 && n < len {
            Err(io::ErrorKind::WouldBlock.into())
        } else {
            Ok(n)
        }
    });
    match (done, cleared) {
        (Some(n), _) => Ok(n),
        (None, result) => result,
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let stream = &self.0;
        loop {
            ready!(stream.poll_read_ready(cx))?;
            match once(stream, Interest::READABLE, buf.remaining(), || {
                stream.try_read_buf(buf)
            }) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                read => return Poll::Ready(read.map(drop)),
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = ready!(Pin::new(&mut this.io).poll_read(cx, buf));
        if buf.filled().len() > before {
            // Read while a request is in flight, bytes are its body (or a pipelined head,
            // parsed as soon as the answer is out); with none, they start the next head.
            if !this.activity.in_flight() {
                this.activity.read.store(true, Relaxed);
            }
            if this.preface != Preface::Decided && this.preface.feed(&buf.filled()[before..]) {
                this.activity.h2.store(true, Relaxed);
            }
        }
        Poll::Ready(polled)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let stream = &self.0;
        loop {
            ready!(stream.poll_write_ready(cx))?;
            match once(stream, Interest::WRITABLE, buf.len(), || {
                stream.try_write(buf)
            }) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                written => return Poll::Ready(written),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let stream = &self.0;
        let len = bufs.iter().map(|b| b.len()).sum();
        loop {
            ready!(stream.poll_write_ready(cx))?;
            match once(stream, Interest::WRITABLE, len, || {
                stream.try_write_vectored(bufs)
            }) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                written => return Poll::Ready(written),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A socket keeps nothing back to flush.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        use std::os::fd::AsRawFd as _;
        let shut =
            nix::sys::socket::shutdown(self.0.as_raw_fd(), nix::sys::socket::Shutdown::Write);
        Poll::Ready(shut.map_err(io::Error::from))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

tokio::task_local! {
    /// The connection whose request is being served, in the connection's own task (HTTP/1's
    /// requests; HTTP/2's streams run on tasks of their own, and hyper drops a stream's
    /// request as soon as the client resets it or the connection closes).
    static CLIENT: ClientSocket;
}

/// The client's side of the connection the current request came on, as the server loop of
/// [`super::serve`] serves it: for a request that waits a long time without reading (held by
/// a hold window), whether anyone still waits for its answer.
#[derive(Clone, Debug)]
pub struct ClientSocket(Weak<TcpStream>);

impl ClientSocket {
    /// The connection of the request being served on this task (HTTP/1 through
    /// [`super::serve`]); none elsewhere.
    pub fn current() -> Option<ClientSocket> {
        CLIENT.try_with(Clone::clone).ok()
    }

    /// Whether the client closed or reset its side. hyper notices a closed connection only
    /// when it reads, which it does not while a request's unread body waits in the socket;
    /// this asks the kernel instead, reading nothing (`poll` for `POLLRDHUP`).
    pub fn is_gone(&self) -> bool {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd as _;
        let Some(stream) = self.0.upgrade() else {
            return true;
        };
        // nix has no name for Linux's POLLRDHUP (the peer shut its side down).
        let peer_closed = PollFlags::from_bits_retain(nix::libc::POLLRDHUP);
        let gone = peer_closed | PollFlags::POLLHUP | PollFlags::POLLERR;
        let mut fds = [PollFd::new(stream.as_fd(), gone)];
        // Only these were asked for, so any event is one of them (nix cannot name the
        // returned POLLRDHUP, so the count says it, not the flags).
        matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
    }
}

/// Why the watchdog gave up on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expired {
    /// A request head took longer than the header timeout.
    Head,
    /// No request for longer than the idle timeout.
    Idle,
}

/// Where a connection is between requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A request head is expected or under way.
    Head,
    /// At least one request is in flight.
    Busy,
    /// Nothing in flight, and no byte of the next request yet.
    Idle,
}

/// What the watchdog saw of a connection after one of its turns.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    in_flight: bool,
    served: bool,
    read: bool,
    h2: bool,
}

/// The watchdog's state: the phase and since when. Pure, so its rules are tested apart from
/// sockets and clocks.
#[derive(Debug)]
struct Watch {
    phase: Phase,
    since: Instant,
    timeouts: Timeouts,
}

impl Watch {
    /// A new connection owes its first head within the header timeout.
    fn new(timeouts: Timeouts, now: Instant) -> Self {
        Watch {
            phase: Phase::Head,
            since: now,
            timeouts,
        }
    }

    /// When the current phase runs out; `None` while a request is in flight.
    fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Head => Some(self.since + self.timeouts.header),
            Phase::Idle => Some(self.since + self.timeouts.idle),
            Phase::Busy => None,
        }
    }

    /// Takes what the connection did in its last turn: whether a request is in flight,
    /// whether one started (and perhaps ended) since the last look, whether bytes of a next
    /// head came in, and whether it speaks HTTP/2. When that starts a phase, it starts at
    /// `now`, and the new deadline is returned. HTTP/2 has no head phase: its bytes between
    /// requests are pings and settings, and a stream's headers are bounded by the stream
    /// limit and the header list size instead.
    fn observe(&mut self, seen: Seen, now: impl FnOnce() -> Instant) -> Option<Instant> {
        let next = if seen.in_flight {
            Phase::Busy
        } else if seen.h2 {
            Phase::Idle
        } else if seen.read {
            Phase::Head
        } else if seen.served || self.phase == Phase::Busy {
            Phase::Idle
        } else {
            self.phase
        };
        if next == self.phase && !seen.served {
            return None;
        }
        self.phase = next;
        self.since = now();
        self.deadline()
    }

    /// At the timer's `now`: the connection expired, or when to look again. A request in
    /// flight is looked at again an idle timeout later, in case its end came without a wake.
    fn check(&self, now: Instant) -> Result<Instant, Expired> {
        match (self.phase, self.deadline()) {
            (Phase::Head, Some(deadline)) if deadline <= now => Err(Expired::Head),
            (Phase::Idle, Some(deadline)) if deadline <= now => Err(Expired::Idle),
            (_, Some(deadline)) => Ok(deadline),
            (_, None) => Ok(now + self.timeouts.idle),
        }
    }
}

/// Drives `conn` to its end, or until the client held it past a timeout. After each turn of
/// the connection it reads the activity (a few relaxed loads) and moves the one timer only when
/// a phase's deadline comes sooner than the timer's; otherwise the timer firing early costs a
/// look and a re-arm.
async fn watchdog<C: Future>(
    mut conn: Pin<&mut C>,
    activity: &Activity,
    timeouts: Timeouts,
) -> Result<C::Output, Expired> {
    let mut watch = Watch::new(timeouts, Instant::now());
    let mut last_started = 0;
    let timer = tokio::time::sleep_until(watch.since + timeouts.header);
    tokio::pin!(timer);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = conn.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let started = activity.started.load(Relaxed);
        let seen = Seen {
            in_flight: started != activity.finished.load(Relaxed),
            served: started != last_started,
            read: activity.read.load(Relaxed),
            h2: activity.h2.load(Relaxed),
        };
        last_started = started;
        if let Some(deadline) = watch.observe(seen, Instant::now)
            && deadline < timer.deadline()
        {
            timer.as_mut().reset(deadline);
        }
        while timer.as_mut().poll(cx).is_ready() {
            match watch.check(Instant::now()) {
                Ok(again) => timer.as_mut().reset(again),
                Err(expired) => return Poll::Ready(Err(expired)),
            }
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        header: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    #[test]
    fn a_new_connection_owes_its_head_within_the_header_timeout() {
        let start = Instant::now();
        let mut watch = Watch::new(TIMEOUTS, start);
        assert_eq!(watch.deadline(), Some(start + TIMEOUTS.header));
        let first_bytes = Seen {
            read: true,
            ..Seen::default()
        };
        assert_eq!(
            watch.observe(first_bytes, || start + Duration::from_secs(1)),
            None
        );
        assert_eq!(
            watch.check(start + Duration::from_secs(9)),
            Ok(start + TIMEOUTS.header)
        );
        assert_eq!(watch.check(start + TIMEOUTS.header), Err(Expired::Head));
    }

    #[test]
    fn between_requests_the_idle_timeout_runs_until_the_next_heads_first_byte() {
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let mut watch = Watch::new(TIMEOUTS, start);
        let busy = Seen {
            in_flight: true,
            served: true,
            ..Seen::default()
        };
        assert_eq!(watch.observe(busy, || at(1)), None);
        assert_eq!(watch.check(at(30)), Ok(at(30) + TIMEOUTS.idle), "in flight");
        let answered = watch.observe(Seen::default(), || at(40));
        assert_eq!(answered, Some(at(100)));
        assert_eq!(watch.check(at(99)), Ok(at(100)));
        // A byte of the next head: now the header timeout counts, from that byte.
        let next_head = Seen {
            read: true,
            ..Seen::default()
        };
        assert_eq!(watch.observe(next_head, || at(90)), Some(at(100)));
        assert_eq!(watch.check(at(100)), Err(Expired::Head));
    }

    #[test]
    fn a_request_that_came_and_went_in_one_turn_starts_the_idle_timeout() {
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let mut watch = Watch::new(TIMEOUTS, start);
        let quick = Seen {
            served: true,
            ..Seen::default()
        };
        assert_eq!(watch.observe(quick, || at(1)), Some(at(61)));
        assert_eq!(watch.phase, Phase::Idle);
        assert_eq!(watch.observe(Seen::default(), || at(2)), None);
        assert_eq!(watch.check(at(30)), Ok(at(61)));
        assert_eq!(watch.check(at(61)), Err(Expired::Idle));
        // Another, then the next head begun in the same turn: the header timeout, from now.
        let and_more = Seen {
            served: true,
            read: true,
            ..Seen::default()
        };
        assert_eq!(watch.observe(and_more, || at(62)), Some(at(72)));
    }

    #[test]
    fn http2_has_no_head_phase_between_streams() {
        let start = Instant::now();
        let mut watch = Watch::new(TIMEOUTS, start);
        // The preface and settings, then pings: reads, but no request.
        let pings = Seen {
            read: true,
            h2: true,
            ..Seen::default()
        };
        assert_eq!(watch.observe(pings, || start), Some(start + TIMEOUTS.idle));
        assert_eq!(watch.observe(pings, || start), None);
        let stream = Seen {
            in_flight: true,
            served: true,
            ..pings
        };
        assert_eq!(watch.observe(stream, || start), None);
        assert_eq!(watch.phase, Phase::Busy);
    }

    #[test]
    fn the_http2_preface_is_recognised_however_it_is_split() {
        let p = H2_PREFACE;
        for (parts, h2) in [
            (&[p][..], true),
            (&[&p[..1], &p[1..5], &p[5..]][..], true),
            (&[&p[..3], &[p, &b"\0\0"[..]].concat()[3..]][..], true),
            (&[&b"PRI * HTTP/1.1\r\n"[..]][..], false),
            (&[&b"P"[..], &b"OST / HTTP/1.1\r\n"[..]][..], false),
        ] {
            let mut preface = Preface::Partly(0);
            let mut seen = false;
            for part in parts {
                seen |= preface.feed(part);
            }
            assert_eq!(seen, h2, "{parts:?}");
            assert_eq!(preface, Preface::Decided, "{parts:?}");
            assert!(!preface.feed(p), "decided once");
        }
    }
}
