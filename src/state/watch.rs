//! Hearing at once that another process committed a change: PostgreSQL's LISTEN (the
//! migrations make every change to the shared tables NOTIFY), or SQLite's `data_version`,
//! which moves whenever another connection commits to the file. Either way the news is only a
//! nudge: the followers then read what changed, and their slow poll stays as a safety net.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::watch;

/// The channel the migrations' triggers notify on.
pub const CHANNEL: &str = "downtime_changed";

/// How often SQLite's data version is read: a change made by the CLI reaches the server within
/// this, for one cheap query on a connection of its own.
pub const SQLITE_CHECK_EVERY: Duration = Duration::from_millis(20);

/// How closely this process follows the stored state: when it last read it, and how often
/// PostgreSQL's change listener had to reconnect. Read by `/metrics`; the state module only
/// counts.
#[derive(Debug)]
pub struct SyncStats {
    /// What the moments below count from: a monotonic clock, which setting the wall clock
    /// does not move.
    origin: Instant,
    /// Milliseconds from `origin` to the last successful read of the stored version.
    last_sync_ms: AtomicU64,
    listener_reconnects: AtomicU64,
}

impl SyncStats {
    /// Counts from now, which is when the state was loaded.
    pub(super) fn new() -> Self {
        SyncStats {
            origin: Instant::now(),
            last_sync_ms: AtomicU64::new(0),
            listener_reconnects: AtomicU64::new(0),
        }
    }

    /// How long ago the stored state was last read successfully (at start, or by the
    /// follower); it grows while the database is away.
    pub fn since_last_sync(&self) -> Duration {
        let last = Duration::from_millis(self.last_sync_ms.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last)
    }

    /// How many times the change listener connected again after losing its connection
    /// (PostgreSQL only; always 0 on SQLite).
    pub fn listener_reconnects(&self) -> u64 {
        self.listener_reconnects.load(Ordering::Relaxed)
    }

    pub(super) fn synced(&self) {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_sync_ms.fetch_max(now, Ordering::Relaxed);
    }

    fn reconnected(&self) {
        self.listener_reconnects.fetch_add(1, Ordering::Relaxed);
    }
}

/// Nudges `changed` whenever another process may have committed a change; runs until the
/// connection pool closes.
pub(super) async fn watch(
    db: DatabaseConnection,
    changed: std::sync::Arc<watch::Sender<()>>,
    stats: std::sync::Arc<SyncStats>,
) {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => listen(&db, &changed, &stats).await,
        DatabaseBackend::Sqlite => data_version(&db, &changed).await,
        _ => {}
    }
}

/// Warns once when something starts failing, then again only after doubling pauses, so an
/// outage is a handful of lines, not one per attempt.
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn new() -> Self {
        Backoff { failures: 0 }
    }

    /// Records a failure; returns how long to wait before trying again.
    fn failed(&mut self, what: &str, error: &dyn std::fmt::Display) -> Duration {
        self.failures += 1;
        if self.failures.is_power_of_two() {
            tracing::warn!(target: "downtime::state", %error, attempts = self.failures, "{what}");
        }
        Duration::from_millis(100 * 2u64.pow(self.failures.min(6)))
    }

    /// Records a success; says so when it ends a run of failures.
    fn recovered(&mut self, what: &str) {
        if self.failures > 0 {
            tracing::info!(target: "downtime::state", after = self.failures, "{what}");
        }
        self.failures = 0;
    }
}

async fn listen(db: &DatabaseConnection, changed: &watch::Sender<()>, stats: &SyncStats) {
    let pool = db.get_postgres_connection_pool();
    let mut backoff = Backoff::new();
    let mut listened_before = false;
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = match connected.await {
            Ok(listener) => listener,
            Err(sea_orm::sqlx::Error::PoolClosed) => return,
            Err(error) => {
                let pause = backoff.failed("cannot listen for changes; polling meanwhile", &error);
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        backoff.recovered("listening for changes again");
        if listened_before {
            stats.reconnected();
        }
        listened_before = true;
        // Notifications sent while nobody listened are lost: read everything once now.
        changed.send_replace(());
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => {
                    changed.send_replace(());
                }
                // The connection dropped and was made again at once: reload, as above.
                Ok(None) => {
                    stats.reconnected();
                    tracing::info!(target: "downtime::state", "change listener reconnected; reloading");
                    changed.send_replace(());
                }
                Err(sea_orm::sqlx::Error::PoolClosed) => return,
                Err(error) => {
                    let pause =
                        backoff.failed("lost the change listener; polling meanwhile", &error);
                    tokio::time::sleep(pause).await;
                    break;
                }
            }
        }
    }
}

async fn data_version(db: &DatabaseConnection, changed: &watch::Sender<()>) {
    use sea_orm::sqlx::Connection as _;
    let pool = db.get_sqlite_connection_pool();
    // A connection of its own: the version is per connection, and counts the others' commits.
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn.detach(),
        Err(error) => {
            tracing::warn!(target: "downtime::state", %error, "cannot watch the database file; polling only");
            return;
        }
    };
    let mut seen: Option<i64> = None;
    let mut backoff = Backoff::new();
    let mut ticks = tokio::time::interval(SQLITE_CHECK_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if pool.is_closed() {
            let _ = conn.close().await;
            return;
        }
        match sea_orm::sqlx::query_scalar::<_, i64>("PRAGMA data_version")
            .fetch_one(&mut conn)
            .await
        {
            Ok(version) => {
                backoff.recovered("the database file is readable again");
                // The first reading also nudges: a commit between the state's first load and
                // this connection's first reading would otherwise wait for the poll.
                if seen != Some(version) {
                    changed.send_replace(());
                }
                seen = Some(version);
            }
            Err(error) => {
                let pause = backoff.failed("cannot read the database file's version", &error);
                tokio::time::sleep(pause).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_since_the_last_sync_grows_until_the_next_one() {
        let stats = SyncStats::new();
        std::thread::sleep(Duration::from_millis(100));
        assert!(stats.since_last_sync() >= Duration::from_millis(100));
        stats.synced();
        assert!(stats.since_last_sync() < Duration::from_millis(100));
        assert_eq!(stats.listener_reconnects(), 0);
        stats.reconnected();
        assert_eq!(stats.listener_reconnects(), 1);
    }
}
