//! Keep-alive connections to the upstream, driven by the request that uses them.
//!
//! hyper's pooled client runs each connection as a task of its own and hands it every request
//! through a channel, and the answer back through another: two task switches per request,
//! which showed in the proxy's profile. Here a connection is taken by one request at a time
//! and polled by that request's own task (while waiting for the answer, then while its body is
//! read), and goes back to the pool when the answer's body has been read to the end and the
//! request's body was sent whole. A connection whose answer is dropped half-read, whose request
//! body was not all sent (an app may answer before reading it: the rest would hold the next
//! request up behind it), or that was switched to another protocol, is never reused.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::client::conn::http1;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use poem::http::Uri;
use tokio::time::Instant;
use tower_service::Service as _;

use super::limits::Slot;
use super::{BodyWatch, Outgoing};

/// The connection future, with upgrade support (hyper's type for it cannot be named).
type Conn = Pin<Box<dyn Future<Output = hyper::Result<()>> + Send + Sync>>;

/// Why a request got no answer.
pub(super) enum SendError {
    /// No connection could be made.
    Connect(Box<dyn StdError + Send + Sync>),
    /// The connection failed while the request was sent or the answer read.
    Http(hyper::Error),
    /// The connection closed before answering.
    Closed,
}

/// One connection: the handle to send on, and the connection itself, which only moves when
/// polled.
pub(super) struct Pooled {
    sender: http1::SendRequest<Outgoing>,
    conn: Conn,
    /// The connection future has finished (closed, failed or upgraded): never poll it again.
    finished: bool,
    /// When it went idle.
    since: Instant,
    /// What is known of the body of the request it carries, if that has a body.
    body: Option<Arc<BodyWatch>>,
    /// The request's place among those in flight, while it uses the connection.
    slot: Option<Slot>,
}

impl Pooled {
    /// Polls the connection so it writes and reads; `true` once it has finished.
    fn drive(conn: &mut Conn, finished: &mut bool, cx: &mut Context<'_>) -> bool {
        if !*finished && conn.as_mut().poll(cx).is_ready() {
            *finished = true;
        }
        *finished
    }

    /// The connection, given to the task that will see an upgrade through, with the request's
    /// place in flight, which the tunnel keeps while it is open.
    pub(super) fn into_connection(self) -> (impl Future<Output = ()> + Send, Option<Slot>) {
        let Pooled {
            conn,
            finished,
            slot,
            ..
        } = self;
        let conn = async move {
            if !finished {
                let _ = conn.await;
            }
        };
        (conn, slot)
    }

    /// Whether the connection may carry another request: open, and its request's body sent
    /// whole.
    fn reusable(&self) -> bool {
        !self.finished
            && !self.sender.is_closed()
            && self
                .body
                .as_ref()
                .is_none_or(|body| body.complete.load(Ordering::Acquire))
    }
}

pub(super) struct Pool {
    connector: HttpsConnector<HttpConnector>,
    idle: Mutex<Vec<Pooled>>,
    max_idle: usize,
    idle_timeout: Duration,
}

impl Pool {
    pub(super) fn new(connector: HttpsConnector<HttpConnector>) -> Self {
        Pool {
            connector,
            idle: Mutex::new(Vec::new()),
            max_idle: 256,
            idle_timeout: Duration::from_secs(90),
        }
    }

    /// The most recently idle connection that is still open, if any.
    fn take(&self) -> Option<Pooled> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(pooled) = idle.pop() {
            if !pooled.finished
                && !pooled.sender.is_closed()
                && pooled.since.elapsed() < self.idle_timeout
            {
                return Some(pooled);
            }
        }
        None
    }

    fn put(&self, mut pooled: Pooled) {
        if !pooled.reusable() {
            return;
        }
        pooled.since = Instant::now();
        pooled.body = None;
        pooled.slot = None;
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push(pooled);
        }
    }

    async fn connect(&self, origin: &Uri) -> Result<Pooled, SendError> {
        let io = self
            .connector
            .clone()
            .call(origin.clone())
            .await
            .map_err(SendError::Connect)?;
        let (sender, conn) = http1::handshake(io).await.map_err(SendError::Http)?;
        Ok(Pooled {
            sender,
            conn: Box::pin(conn.with_upgrades()),
            finished: false,
            since: Instant::now(),
            body: None,
            slot: None,
        })
    }

    /// Sends `req` (origin-form URI, `Host` set) to `origin` on an idle connection or a new one,
    /// and returns the answer with the connection it came on. A request that an idle
    /// connection could not take (closed meanwhile) is sent again on a new one; one that was
    /// sent is never sent twice.
    pub(super) async fn send(
        &self,
        origin: &Uri,
        mut req: hyper::Request<Outgoing>,
        mut slot: Option<Slot>,
    ) -> Result<(hyper::Response<Incoming>, Pooled), SendError> {
        let body = req.body().watch.clone();
        loop {
            let (mut pooled, reused) = match self.take() {
                Some(pooled) => (pooled, true),
                // Boxed: connecting (TLS included) is rare and its future large, and every
                // request's future would otherwise carry room for it.
                None => (Box::pin(self.connect(origin)).await?, false),
            };
            let Pooled {
                sender,
                conn,
                finished,
                ..
            } = &mut pooled;
            let ready = std::future::poll_fn(|cx| {
                Pooled::drive(conn, finished, cx);
                sender.poll_ready(cx)
            })
            .await;
            // An idle connection the app has closed meanwhile (its keep-alive timeout ran out)
            // shows here, as the connection reads the end: the request goes on another.
            match ready {
                Ok(()) if !*finished => {}
                _ if reused => continue,
                Ok(()) => return Err(SendError::Closed),
                Err(error) => return Err(SendError::Http(error)),
            }
            let mut answer = std::pin::pin!(sender.try_send_request(req));
            let answered = std::future::poll_fn(|cx| {
                let done = Pooled::drive(conn, finished, cx);
                match answer.as_mut().poll(cx) {
                    Poll::Ready(answered) => Poll::Ready(Some(answered)),
                    // A finished connection answers nothing more.
                    Poll::Pending if done => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match answered {
                Some(Ok(resp)) => {
                    pooled.body = body;
                    pooled.slot = slot.take();
                    return Ok((resp, pooled));
                }
                Some(Err(mut error)) => match error.take_message() {
                    Some(unsent) if reused => req = unsent,
                    _ => return Err(SendError::Http(error.into_error())),
                },
                None => return Err(SendError::Closed),
            }
        }
    }

    /// The answer's body, driving its connection as it is read and handing the connection
    /// back once the body is done.
    pub(super) fn body(self: &Arc<Self>, body: Incoming, pooled: Pooled) -> Returning {
        let mut returning = Returning {
            body,
            pooled: Some(pooled),
            pool: Arc::clone(self),
        };
        if returning.body.is_end_stream() {
            returning.give_back();
        }
        returning
    }
}

/// A response body that keeps its connection moving and returns it to the pool at the end.
pub(super) struct Returning {
    body: Incoming,
    pooled: Option<Pooled>,
    pool: Arc<Pool>,
}

impl Returning {
    fn give_back(&mut self) {
        if let Some(pooled) = self.pooled.take() {
            self.pool.put(pooled);
        }
    }
}

impl HttpBody for Returning {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if let Some(pooled) = &mut this.pooled {
            Pooled::drive(&mut pooled.conn, &mut pooled.finished, cx);
        }
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(None) => {
                this.give_back();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => {
                if this.body.is_end_stream() {
                    this.give_back();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                // A connection whose answer broke off is not reused.
                this.pooled = None;
                Poll::Ready(Some(Err(io::Error::other(error))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
