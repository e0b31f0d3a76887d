//! The request body on its way upstream: passed on frame by frame, bounded in size and in
//! pace, and telling the proxy when it has all been sent.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use poem::Body;
use tokio::sync::Notify;

/// The request body on its way upstream: passed frame by frame, cut off past the limit or
/// when the client sends it too slowly, and telling when it has all been sent (when the
/// response timeout starts).
pub(super) struct Outgoing {
    inner: BoxBody<Bytes, io::Error>,
    left: u64,
    /// Shared with the request; none for a body that is empty from the start (most requests),
    /// which has nothing to tell and no pace to keep.
    pub(super) watch: Option<Arc<BodyWatch>>,
    pace: Option<Pace>,
}

/// What the proxy learns of a request body while hyper sends it.
#[derive(Default)]
pub(super) struct BodyWatch {
    pub(super) too_large: AtomicBool,
    pub(super) too_slow: AtomicBool,
    /// Every frame was handed to the connection: it may carry another request afterwards.
    pub(super) complete: AtomicBool,
    pub(super) sent: Notify,
}

/// How slowly a client may send a body, from the moment it is forwarded: never idle for
/// `timeout`, and on average at least `min_rate` bytes a second after the first `timeout`.
/// A trickling client would otherwise hold an upstream connection (and, behind a one-worker
/// app, the whole app) for as long as it likes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyPace {
    /// The longest wait for the next piece of the body, and the grace before the rate counts.
    pub timeout: Duration,
    /// The lowest average rate, in bytes a second.
    pub min_rate: u64,
}

/// A body's clock: when it started and when it must next have sent something.
struct Pace {
    rule: BodyPace,
    started: tokio::time::Instant,
    received: u64,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Pace {
    fn new(rule: BodyPace) -> Self {
        let started = tokio::time::Instant::now();
        Pace {
            rule,
            started,
            received: 0,
            deadline: Box::pin(tokio::time::sleep_until(started + rule.timeout)),
        }
    }

    /// After `len` more bytes: idle for at most `timeout` from now, and no later than the
    /// time those bytes buy at the minimum rate.
    fn sent(&mut self, len: u64) {
        self.received += len;
        let idle = tokio::time::Instant::now() + self.rule.timeout;
        let bought =
            Duration::from_secs_f64(self.received as f64 / self.rule.min_rate.max(1) as f64);
        let by_rate = self.started + self.rule.timeout + bought;
        self.deadline.as_mut().reset(idle.min(by_rate));
    }
}

impl Outgoing {
    pub(super) fn new(
        body: Body,
        max: Option<u64>,
        pace: Option<BodyPace>,
    ) -> (Self, Option<Arc<BodyWatch>>) {
        let inner: BoxBody<Bytes, io::Error> = body.into();
        let watch = (!inner.is_end_stream()).then(Arc::<BodyWatch>::default);
        let body = Outgoing {
            inner,
            left: max.unwrap_or(u64::MAX),
            pace: pace.filter(|_| watch.is_some()).map(Pace::new),
            watch: watch.clone(),
        };
        (body, watch)
    }

    fn mark_sent(&mut self) {
        self.pace = None;
        if let Some(watch) = self.watch.take() {
            watch.complete.store(true, Ordering::Release);
            // A permit is kept when nobody waits yet.
            watch.sent.notify_one();
        }
    }

    fn fail(&mut self, flag: fn(&BodyWatch) -> &AtomicBool, why: &str) -> io::Error {
        if let Some(watch) = &self.watch {
            flag(watch).store(true, Ordering::Relaxed);
        }
        io::Error::other(why.to_owned())
    }
}

impl HttpBody for Outgoing {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > this.left {
                        let error =
                            this.fail(|w| &w.too_large, "the request body is over the limit");
                        return Poll::Ready(Some(Err(error)));
                    }
                    this.left -= len;
                    if let Some(pace) = &mut this.pace {
                        pace.sent(len);
                    }
                }
                // hyper stops polling a body that says it has ended.
                if this.inner.is_end_stream() {
                    this.mark_sent();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.mark_sent();
                Poll::Ready(None)
            }
            Poll::Pending => {
                let late = this
                    .pace
                    .as_mut()
                    .is_some_and(|pace| pace.deadline.as_mut().poll(cx).is_ready());
                if !late {
                    return Poll::Pending;
                }
                this.pace = None;
                let error = this.fail(|w| &w.too_slow, "the request body came too slowly");
                Poll::Ready(Some(Err(error)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
