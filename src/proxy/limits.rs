//! How many upstream connections the proxy keeps busy, in all and for one client: without a
//! bound, one client opening slow requests (150 streams on one HTTP/2 connection will do)
//! holds as many of the app's workers as it likes.

use std::hash::{BuildHasher as _, Hasher as _};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Counters of requests in flight by client, one per bucket of addresses: no lock and no
/// allocation per request. Two clients that share a bucket share its count, which makes the
/// bound stricter for them, never looser.
const BUCKETS: usize = 4096;

/// The bounds on upstream requests in flight.
pub(super) struct Limits {
    total: Arc<Semaphore>,
    per_client: Arc<PerClient>,
    /// How long a request waits for a free slot when every one is taken.
    wait: Duration,
}

struct PerClient {
    max: u32,
    buckets: Box<[AtomicU32]>,
    hasher: std::collections::hash_map::RandomState,
}

/// Why a request got no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// The client has its share in flight already.
    Client,
    /// Every upstream slot stayed taken for the whole wait.
    Busy,
}

/// A request's place among those in flight: held while it uses an upstream connection (its
/// answer's body read, or its tunnel open), given back when dropped.
pub(super) struct Slot {
    _total: OwnedSemaphorePermit,
    _client: Option<ClientShare>,
}

/// One request counted in its client's bucket, until dropped.
struct ClientShare {
    per_client: Arc<PerClient>,
    bucket: usize,
}

impl Drop for ClientShare {
    fn drop(&mut self) {
        self.per_client.buckets[self.bucket].fetch_sub(1, Ordering::Release);
    }
}

impl Limits {
    /// At most `total` requests in flight, `per_client` of them from one client address;
    /// a request waits up to `wait` for one of the `total`.
    pub(super) fn new(total: u32, per_client: u32, wait: Duration) -> Self {
        Limits {
            total: Arc::new(Semaphore::new(total as usize)),
            per_client: Arc::new(PerClient {
                max: per_client,
                buckets: (0..BUCKETS).map(|_| AtomicU32::new(0)).collect(),
                hasher: std::collections::hash_map::RandomState::new(),
            }),
            wait,
        }
    }

    /// A slot for a request from `client` (none known: only the total counts).
    pub(super) async fn acquire(&self, client: Option<IpAddr>) -> Result<Slot, Refused> {
        // The client's count is taken first, and given back on drop if the wait fails.
        let client = client
            .map(|ip| PerClient::enter(&self.per_client, ip))
            .transpose()?;
        let total = match Arc::clone(&self.total).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let waited = Arc::clone(&self.total).acquire_owned();
                match tokio::time::timeout(self.wait, waited).await {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(Refused::Busy),
                }
            }
        };
        Ok(Slot {
            _total: total,
            _client: client,
        })
    }

    /// How many requests are in flight now.
    #[cfg(test)]
    fn in_flight(&self, total: u32) -> u32 {
        total - self.total.available_permits() as u32
    }
}

impl PerClient {
    /// Counts one more request for `ip`, unless its bucket is full.
    fn enter(this: &Arc<Self>, ip: IpAddr) -> Result<ClientShare, Refused> {
        let mut hasher = this.hasher.build_hasher();
        match ip.to_canonical() {
            IpAddr::V4(v4) => hasher.write(&v4.octets()),
            IpAddr::V6(v6) => hasher.write(&v6.octets()),
        }
        let bucket = (hasher.finish() as usize) % this.buckets.len();
        let count = &this.buckets[bucket];
        let mut now = count.load(Ordering::Acquire);
        loop {
            if now >= this.max {
                return Err(Refused::Client);
            }
            match count.compare_exchange_weak(now, now + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    return Ok(ClientShare {
                        per_client: Arc::clone(this),
                        bucket,
                    });
                }
                Err(actual) => now = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[tokio::test]
    async fn one_client_gets_its_share_and_no_more_while_others_go_on() {
        let limits = Limits::new(10, 2, Duration::from_millis(10));
        let a1 = limits.acquire(ip("192.0.2.1")).await.expect("first");
        let _a2 = limits.acquire(ip("192.0.2.1")).await.expect("second");
        assert_eq!(
            limits.acquire(ip("192.0.2.1")).await.err(),
            Some(Refused::Client)
        );
        // The same client spelled as an IPv4-mapped IPv6 address is the same client.
        assert_eq!(
            limits.acquire(ip("::ffff:192.0.2.1")).await.err(),
            Some(Refused::Client)
        );
        let _b = limits
            .acquire(ip("198.51.100.7"))
            .await
            .expect("another client");
        drop(a1);
        let _a3 = limits
            .acquire(ip("192.0.2.1"))
            .await
            .expect("a slot given back");
        assert_eq!(limits.in_flight(10), 3);
    }

    #[tokio::test]
    async fn past_the_total_a_request_waits_then_is_refused() {
        let limits = Limits::new(1, 5, Duration::from_millis(20));
        let first = limits.acquire(None).await.expect("first");
        assert_eq!(
            limits.acquire(ip("192.0.2.1")).await.err(),
            Some(Refused::Busy)
        );
        // The refused request's own count was given back: the client is not charged.
        drop(first);
        for _ in 0..5 {
            let slot = limits.acquire(ip("192.0.2.1")).await.expect("free again");
            drop(slot);
        }
        // A wait that a slot given back ends.
        let held = limits.acquire(None).await.expect("held");
        let waiter = limits.acquire(None);
        tokio::pin!(waiter);
        tokio::select! {
            _ = &mut waiter => panic!("nothing was free"),
            () = tokio::task::yield_now() => {}
        }
        drop(held);
        assert!(waiter.await.is_ok());
    }
}
