//! Hold mode: a request the gate would refuse waits instead, without a byte of its body read,
//! until the window ends, and then goes on in arrival order, at a bounded pace.
//!
//! [`Holds`] is one queue per process, shared by every clone of the gate. A request joins it
//! and gets a [`Ticket`]; one task (the releaser, started by the first request held) follows
//! the state and, when the hold is over, wakes the tickets front to back. A woken request is
//! judged again against the state of that moment, so one that a new `full` window would gate
//! gets the page, and one that a new hold would hold waits again, within its first deadline.
//!
//! Everything is bounded: each request waits at most its window's hold timeout, at most
//! [`HoldLimits::queue`] wait at once, and a shutdown answers every waiting request.

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::http::server::ClientSocket;
use crate::state::{Live, Snapshot};

/// The most requests held at once by default: half the server's default connection limit, so
/// a full queue leaves the other half to everyone else; each held request costs about 29 KB,
/// most of it its open connection (see BENCHMARKS.md).
pub const DEFAULT_QUEUE: usize = 5_000;

/// The bounds of holding, fixed for the life of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldLimits {
    /// The most requests waiting at once; the next one is answered at once, as in `full`.
    pub queue: usize,
    /// How fast held requests go on when a hold ends; `None`: all at once.
    pub release_rate: Option<ReleaseRate>,
}

impl Default for HoldLimits {
    fn default() -> Self {
        HoldLimits {
            queue: DEFAULT_QUEUE,
            release_rate: None,
        }
    }
}

/// Requests let go per second at the end of a hold: `500/s` (or `500`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseRate(NonZeroU32);

impl ReleaseRate {
    /// `per_second` requests a second.
    pub fn per_second(per_second: NonZeroU32) -> Self {
        ReleaseRate(per_second)
    }

    /// Requests a second.
    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// How often the releaser wakes, and how many it lets go each time: one per tick down to
    /// a tick of a millisecond (the timer's grain), more per tick above 1,000 a second.
    fn tick(self) -> (Duration, u32) {
        let rate = self.0.get();
        if rate <= 1_000 {
            (Duration::from_secs(1) / rate, 1)
        } else {
            (Duration::from_millis(1), rate.div_ceil(1_000))
        }
    }
}

impl FromStr for ReleaseRate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = s.trim().strip_suffix("/s").unwrap_or(s.trim());
        number
            .parse::<NonZeroU32>()
            .map(ReleaseRate)
            .map_err(|_| format!("{s:?} is not a rate such as 500/s (requests a second, above 0)"))
    }
}

impl fmt::Display for ReleaseRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

/// What holding has done so far, for `/metrics`.
#[derive(Debug)]
pub struct HoldStats {
    held: AtomicUsize,
    released: AtomicU64,
    timed_out: AtomicU64,
    refused: AtomicU64,
    abandoned: AtomicU64,
    waited: Histogram,
}

impl Default for HoldStats {
    fn default() -> Self {
        HoldStats {
            held: AtomicUsize::new(0),
            released: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            abandoned: AtomicU64::new(0),
            waited: Histogram::new([0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0]),
        }
    }
}

impl HoldStats {
    /// Requests waiting now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Requests let go on when a hold ended.
    pub fn released(&self) -> u64 {
        self.released.load(Ordering::Relaxed)
    }

    /// Requests that waited their whole hold timeout and were answered as in `full`.
    pub fn timed_out(&self) -> u64 {
        self.timed_out.load(Ordering::Relaxed)
    }

    /// Requests answered at once because the queue was full.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Requests whose clients went away while they waited.
    pub fn abandoned(&self) -> u64 {
        self.abandoned.load(Ordering::Relaxed)
    }

    /// How long requests waited, in seconds.
    pub fn waited(&self) -> &Histogram {
        &self.waited
    }

    fn counts(&self) -> [u64; 4] {
        [
            self.released(),
            self.timed_out(),
            self.refused(),
            self.abandoned(),
        ]
    }
}

/// Why a waiting request is woken.
#[derive(Debug)]
enum Wake {
    /// The hold is over: judge it again, holding a place among the released requests in
    /// flight.
    Judge(InFlight),
    /// The process is stopping: answer it as in `full`.
    Answer,
}

/// The outcome of [`Holds::join`].
pub(super) enum Joined {
    /// Wait with this ticket.
    Wait(Ticket),
    /// No hold is on or being released: judge the request again at once.
    GoOn,
    /// The queue is full, or the process is stopping: answer at once.
    Refused,
}

/// A released request's place among those in flight ([`RELEASED_IN_FLIGHT`]), kept until the
/// app (or the upstream) has answered it. `None` for a request that was never queued.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    /// Never read: dropping it frees the place.
    _place: Option<OwnedSemaphorePermit>,
}

/// The most released requests on their way to the app at once. Past it, the release waits
/// for answers: the app that has just restarted gets a steady stream instead of every held
/// request at once, and the proxy reuses its keep-alive connections (as many as it keeps
/// idle) instead of opening one per released request.
pub const RELEASED_IN_FLIGHT: usize = 256;

/// The outcome of [`Ticket::wait`].
#[derive(Debug)]
pub(super) enum Waited {
    /// The hold is over: judge the request again.
    Judge(InFlight),
    /// The hold timeout passed, or the process is stopping: answer as in `full`.
    Answer,
    /// The client went away: nobody is left to answer.
    Gone,
}

/// How often a waiting request looks whether its client went away, when its body keeps hyper
/// from noticing (an answer to nobody then reaches the app for nothing). A poll of one socket
/// each: 10,000 held requests cost 20,000 system calls a second, a few percent of a core.
const CLIENT_CHECK: Duration = Duration::from_millis(500);

/// The requests waiting in this process, and the task that lets them go.
pub struct Holds {
    limits: HoldLimits,
    live: Live,
    queue: Mutex<Queue>,
    /// Set while the queue drains: a request that the last hold would have held joins the end
    /// of the queue instead of overtaking it.
    draining: AtomicBool,
    stopped: AtomicBool,
    stats: HoldStats,
    releaser: OnceLock<JoinHandle<()>>,
    in_flight: Arc<Semaphore>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<oneshot::Sender<Wake>>,
    /// The hold being released, while the queue drains.
    released: Option<Arc<Snapshot>>,
}

impl fmt::Debug for Holds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Holds")
            .field("limits", &self.limits)
            .field("held", &self.stats.held())
            .finish_non_exhaustive()
    }
}

impl Holds {
    /// Holds requests while `live` says a hold window is on, within `limits`.
    pub fn new(live: Live, limits: HoldLimits) -> Arc<Self> {
        Arc::new(Holds {
            limits,
            live,
            queue: Mutex::default(),
            draining: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            stats: HoldStats::default(),
            releaser: OnceLock::new(),
            in_flight: Arc::new(Semaphore::new(RELEASED_IN_FLIGHT)),
        })
    }

    /// The limits holding keeps to.
    pub fn limits(&self) -> HoldLimits {
        self.limits
    }

    /// What holding has done so far.
    pub fn stats(&self) -> &HoldStats {
        &self.stats
    }

    /// Answers every waiting request as in `full`, and every later one at once: for a
    /// shutdown, so that no client is left waiting on a process about to exit.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        let waiting = std::mem::take(&mut self.lock().waiting);
        for waiter in waiting {
            let _ = waiter.send(Wake::Answer);
        }
    }

    /// Whether a released hold is still being let go: only then may a request that passes
    /// have to queue behind the ones released before it.
    pub(super) fn draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// The hold being let go, while the queue drains.
    pub(super) fn released(&self) -> Option<Arc<Snapshot>> {
        self.lock().released.clone()
    }

    /// Queues a request while a hold is on or being let go.
    pub(super) fn join(self: &Arc<Self>) -> Joined {
        if self.stopped.load(Ordering::Acquire) {
            return Joined::Refused;
        }
        self.start_releaser();
        let mut queue = self.lock();
        // Read under the lock: the releaser drains under it after each change, so a request
        // queued here is either seen by that drain or sees the change itself.
        if !self.live.load().holds_requests() && queue.released.is_none() {
            return Joined::GoOn;
        }
        if self.stats.held.load(Ordering::Relaxed) >= self.limits.queue {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Joined::Refused;
        }
        // Tickets that timed out or were abandoned leave their senders behind; sweeping them
        // when the queue outgrows its bound keeps it bounded at no cost per request.
        if queue.waiting.len() >= self.limits.queue {
            queue.waiting.retain(|waiter| !waiter.is_closed());
        }
        let (wake, woken) = oneshot::channel();
        queue.waiting.push_back(wake);
        self.stats.held.fetch_add(1, Ordering::Relaxed);
        drop(queue);
        Joined::Wait(Ticket {
            woken,
            holds: Arc::clone(self),
            since: Instant::now(),
            settled: false,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The queue stays whole whatever a panicking holder did: each step is one push or pop.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn start_releaser(self: &Arc<Self>) {
        self.releaser.get_or_init(|| {
            let changes = self.live.subscribe();
            tokio::spawn(release(Arc::downgrade(self), changes))
        });
    }

    /// Wakes waiting requests front to back while `state` (and every state after it) holds
    /// none, at the release rate unless `state` gates them anyway (they then get their answer
    /// at once, which costs the app nothing).
    async fn drain(&self, state: &Snapshot, changes: &mut watch::Receiver<Arc<Snapshot>>) {
        let paced = !state.is_active();
        let (every, per_tick) = match self.limits.release_rate {
            Some(rate) if paced => rate.tick(),
            _ => (Duration::ZERO, u32::MAX),
        };
        let mut ticks = (!every.is_zero()).then(|| {
            let mut ticks = tokio::time::interval(every);
            // Late ticks are not made up for: the rate is a ceiling.
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticks
        });
        loop {
            if let Some(ticks) = &mut ticks {
                ticks.tick().await;
            }
            // A new hold keeps the rest waiting, ahead of what it holds.
            let held_again =
                changes.has_changed().unwrap_or(false) && changes.borrow().holds_requests();
            let mut woken = 0;
            while woken < per_tick && !held_again {
                // Awaited without the queue's lock, which every request that joins takes.
                let place = match Arc::clone(&self.in_flight).try_acquire_owned() {
                    Ok(place) => place,
                    Err(_) => match Arc::clone(&self.in_flight).acquire_owned().await {
                        Ok(place) => place,
                        Err(_) => break,
                    },
                };
                let Some(waiter) = self.lock().waiting.pop_front() else {
                    break;
                };
                let in_flight = InFlight {
                    _place: Some(place),
                };
                if waiter.send(Wake::Judge(in_flight)).is_ok() {
                    woken += 1;
                    // Counted here, not by the woken request: the hold's last log line, written
                    // as soon as the queue is empty, must include them.
                    self.stats.released.fetch_add(1, Ordering::Relaxed);
                }
            }
            let mut queue = self.lock();
            if held_again || queue.waiting.is_empty() {
                queue.released = None;
                self.draining.store(false, Ordering::Release);
                return;
            }
        }
    }
}

impl Drop for Holds {
    fn drop(&mut self) {
        if let Some(releaser) = self.releaser.get() {
            releaser.abort();
        }
    }
}

/// The releaser: follows the state, notes each hold's start, and lets its requests go at its
/// end, with one log line for each.
async fn release(holds: Weak<Holds>, mut changes: watch::Receiver<Arc<Snapshot>>) {
    let mut hold: Option<(Arc<Snapshot>, [u64; 4])> = None;
    loop {
        {
            let Some(holds) = holds.upgrade() else {
                return;
            };
            let state = Arc::clone(&changes.borrow_and_update());
            if state.holds_requests() {
                if hold.is_none() {
                    tracing::info!(
                        target: "downtime::gate",
                        version = state.version,
                        hold_timeout_secs = state.window.hold_timeout_secs,
                        "hold started: requests wait instead of being refused"
                    );
                }
                hold = Some((state, holds.stats.counts()));
            } else if let Some((last, before)) = hold.take() {
                {
                    let mut queue = holds.lock();
                    queue.released = Some(last);
                    holds.draining.store(true, Ordering::Release);
                }
                let started = Instant::now();
                holds.drain(&state, &mut changes).await;
                let after = holds.stats.counts();
                let [released, timed_out, refused, abandoned] =
                    std::array::from_fn(|i| after[i] - before[i]);
                tracing::info!(
                    target: "downtime::gate",
                    version = state.version,
                    released,
                    timed_out,
                    refused,
                    abandoned,
                    release_ms = started.elapsed().as_millis(),
                    "hold ended"
                );
                if changes.has_changed().unwrap_or(false) {
                    continue;
                }
            }
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

/// A place in the queue. Dropped before it is woken (the client went away, so its request's
/// future was dropped), it counts as abandoned; its place is skipped.
pub(super) struct Ticket {
    woken: oneshot::Receiver<Wake>,
    holds: Arc<Holds>,
    since: Instant,
    settled: bool,
}

impl Ticket {
    /// Waits until the hold is over, `deadline` passes or the process stops; gives up its
    /// place (dropped, as when its request's future is) as soon as `client` has gone away.
    pub(super) async fn wait(mut self, deadline: Instant, client: Option<ClientSocket>) -> Waited {
        let gone = async {
            let Some(client) = client else {
                return std::future::pending().await;
            };
            let mut every = tokio::time::interval(CLIENT_CHECK);
            loop {
                every.tick().await;
                if client.is_gone() {
                    return;
                }
            }
        };
        let woken = tokio::select! {
            woken = tokio::time::timeout_at(deadline, &mut self.woken) => woken,
            () = gone => return Waited::Gone,
        };
        self.settled = true;
        let stats = &self.holds.stats;
        match woken {
            Ok(Ok(Wake::Judge(place))) => Waited::Judge(place),
            Ok(Ok(Wake::Answer) | Err(_)) => Waited::Answer,
            Err(_) => {
                stats.timed_out.fetch_add(1, Ordering::Relaxed);
                Waited::Answer
            }
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let stats = &self.holds.stats;
        stats.held.fetch_sub(1, Ordering::Relaxed);
        stats.waited.observe(self.since.elapsed().as_secs_f64());
        if !self.settled {
            stats.abandoned.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_reads_with_or_without_its_unit() {
        assert_eq!(
            "500/s".parse::<ReleaseRate>().map(ReleaseRate::get),
            Ok(500)
        );
        assert_eq!("20".parse::<ReleaseRate>().map(ReleaseRate::get), Ok(20));
        assert!("0/s".parse::<ReleaseRate>().is_err());
        assert!("fast".parse::<ReleaseRate>().is_err());
        assert_eq!(
            "500/s".parse::<ReleaseRate>().expect("rate").to_string(),
            "500/s"
        );
    }

    #[test]
    fn a_fast_rate_lets_several_go_per_millisecond() {
        let rate = |n: u32| ReleaseRate::per_second(NonZeroU32::new(n).expect("nonzero"));
        assert_eq!(rate(500).tick(), (Duration::from_millis(2), 1));
        assert_eq!(rate(4_000).tick(), (Duration::from_millis(1), 4));
    }
}
