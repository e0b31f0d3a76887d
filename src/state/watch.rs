//! Hearing at once that another process committed a change: PostgreSQL's LISTEN (the
//! migrations make every change to the shared tables NOTIFY), or SQLite's `data_version`,
//! which moves whenever another connection commits to the file. Either way the news is only a
//! nudge: the followers then read what changed, and their slow poll stays as a safety net.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sea_orm::{
    DatabaseBackend, DatabaseConnection, DbErr, QueryResult, RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use strum::EnumCount as _;
use tokio::sync::watch;

use super::reader::Reads;

/// The channel the migrations' triggers notify on.
pub const CHANNEL: &str = "downtime_changed";

/// How the change listener's connection names itself to PostgreSQL (`application_name` in
/// `pg_stat_activity`), so an operator can tell each replica's one resting connection.
pub const LISTENER_NAME: &str = "downtime listener";

/// How often SQLite's data version is read: a change made by the CLI reaches the server within
/// this, for one cheap query on a connection of its own.
pub const SQLITE_CHECK_EVERY: Duration = Duration::from_millis(20);

/// How closely this process follows the stored state: whether changes are pushed to it now,
/// when it last read it, and how often PostgreSQL's change listener had to reconnect. Read by
/// `/readyz` and `/metrics`; the state module only counts.
#[derive(Debug)]
pub struct SyncStats {
    /// What the moments below count from: a monotonic clock, which setting the wall clock
    /// does not move.
    origin: Instant,
    /// Milliseconds from `origin` to the last successful read of the stored version.
    last_sync_ms: AtomicU64,
    listener_reconnects: AtomicU64,
    /// Whether other processes' changes reach this one at once: PostgreSQL's listener is
    /// connected, or SQLite's data version is being read.
    pushed: watch::Sender<bool>,
    /// Whether this process follows by the poll alone, by choice
    /// ([`super::StateService::follow_by_poll`]).
    poll_only: std::sync::atomic::AtomicBool,
}

impl SyncStats {
    /// Counts from now, which is when the state was loaded.
    pub(super) fn new() -> Self {
        SyncStats {
            origin: Instant::now(),
            last_sync_ms: AtomicU64::new(0),
            listener_reconnects: AtomicU64::new(0),
            pushed: watch::channel(false).0,
            poll_only: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether changes made elsewhere are pushed to this process now, rather than found by
    /// the next poll: false until [`super::StateService::follow`] runs, and while the change
    /// listener is reconnecting.
    pub fn pushed(&self) -> bool {
        *self.pushed.borrow()
    }

    /// Whether this process was told to follow by the poll alone, so that changes are not
    /// pushed to it by design rather than by a fault.
    pub fn poll_only(&self) -> bool {
        self.poll_only.load(Ordering::Relaxed)
    }

    pub(super) fn set_poll_only(&self) {
        self.poll_only.store(true, Ordering::Relaxed);
    }

    /// Waits until changes are pushed, at most `within`; says whether they are.
    pub async fn pushed_within(&self, within: Duration) -> bool {
        let mut pushed = self.pushed.subscribe();
        tokio::time::timeout(within, pushed.wait_for(|pushed| *pushed))
            .await
            .is_ok_and(|seen| seen.is_ok())
    }

    fn set_pushed(&self, pushed: bool) {
        self.pushed
            .send_if_modified(|now| std::mem::replace(now, pushed) != pushed);
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

/// The shared tables whose copies in memory follow the database; each is nudged on its own,
/// so a change to one costs the others nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumCount, strum::VariantArray)]
pub enum Table {
    /// The maintenance state (and its audit log, which grows with it).
    State,
    /// The stored superuser rules.
    Superusers,
    /// The bypass links.
    BypassLinks,
    /// The sessions ended by a logout.
    EndedSessions,
    /// Automatic certificates and the answers to their challenges.
    Acme,
}

impl Table {
    /// The table a notification names: the migrations' triggers send `state:<version>` for
    /// the state and the table's name for the others.
    fn notified(payload: &str) -> Option<Table> {
        match payload.split_once(':').map_or(payload, |(table, _)| table) {
            "state" => Some(Table::State),
            "superuser" => Some(Table::Superusers),
            "bypass_link" => Some(Table::BypassLinks),
            "session_revocation" => Some(Table::EndedSessions),
            "acme_certificate" | "acme_challenge" => Some(Table::Acme),
            _ => None,
        }
    }
}

/// One nudge per shared table, which its follower waits on ([`super::Wakeups`]).
#[derive(Debug)]
pub(super) struct Changes([watch::Sender<()>; Table::COUNT]);

impl Changes {
    pub(super) fn new() -> Self {
        Changes(std::array::from_fn(|_| watch::channel(()).0))
    }

    pub(super) fn subscribe(&self, table: Table) -> watch::Receiver<()> {
        self.0[table as usize].subscribe()
    }

    /// Nudges `table`'s follower, or every follower when the news does not say which table
    /// moved.
    fn nudge(&self, table: Option<Table>) {
        match table {
            Some(table) => {
                self.0[table as usize].send_replace(());
            }
            None => self.nudge_all(),
        }
    }

    fn nudge_all(&self) {
        for sender in &self.0 {
            sender.send_replace(());
        }
    }
}

/// Nudges the followers whenever another process may have committed a change, and on
/// PostgreSQL answers their reads on the listener's connection ([`Reader`]); runs until the
/// connection pool closes.
pub(super) async fn watch(
    db: DatabaseConnection,
    changes: Arc<Changes>,
    stats: Arc<SyncStats>,
    reads: Reads,
) {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => listen(&db, &changes, &stats, reads).await,
        DatabaseBackend::Sqlite => data_version(&db, &changes, &stats).await,
        _ => {}
    }
}

/// Warns once when something starts failing, then again only after doubling numbers of
/// attempts, so an outage is a handful of lines, not one per attempt. The pauses stay short:
/// the listener must be back as soon as the database answers again.
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
        Duration::from_millis(100 * 2u64.pow(self.failures.min(3)))
    }

    /// Records a success; says so when it ends a run of failures.
    fn recovered(&mut self, what: &str) {
        if self.failures > 0 {
            tracing::info!(target: "downtime::state", after = self.failures, "{what}");
        }
        self.failures = 0;
    }
}

/// How long connecting the listener may take before it counts as a failure: a database behind
/// a cut network answers nothing, and the next attempt should not wait long after it is back.
const CONNECT_WITHIN: Duration = Duration::from_secs(2);

/// Why the listener's loop stopped serving.
enum Stopped {
    /// The pool was closed: the service is going away.
    Closed,
    /// The connection was lost: why.
    Lost(String),
}

async fn listen(db: &DatabaseConnection, changes: &Changes, stats: &SyncStats, mut reads: Reads) {
    let pool = db.get_postgres_connection_pool();
    // The listener's connection is not one of the pool's: the pool, which opens connections
    // for writes and closes them when idle, keeps its whole size for them.
    let own = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(CONNECT_WITHIN)
        .connect_lazy_with(
            PgConnectOptions::clone(&pool.connect_options()).application_name(LISTENER_NAME),
        );
    let mut backoff = Backoff::new();
    let mut listened_before = false;
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&own).await?;
            // A lost connection is made again here, counted and followed by a reload, never
            // by sqlx unseen: its own reconnect, cancelled by a read, left the next read to
            // reconnect silently, and what was notified meanwhile was never read.
            listener.eager_reconnect(false);
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            () = pool.close_event() => return,
            connected = connected => match connected {
                Ok(listener) => listener,
                Err(error) => {
                    let pause = backoff.failed("cannot listen for changes; polling meanwhile", &error);
                    refuse_reads(pause, &mut reads).await;
                    continue;
                }
            },
        };
        if listened_before {
            // Said even when the first attempt worked: it ends the warning about the loss.
            stats.reconnected();
            backoff.failures = 0;
            tracing::info!(target: "downtime::state", "listening for changes again");
        } else {
            backoff.recovered("listening for changes");
        }
        listened_before = true;
        stats.set_pushed(true);
        // Notifications sent while nobody listened are lost: read everything once now.
        changes.nudge_all();
        let stopped = serve(&mut listener, &mut reads, changes, pool).await;
        stats.set_pushed(false);
        match stopped {
            Stopped::Closed => return,
            Stopped::Lost(error) => {
                tracing::warn!(target: "downtime::state", %error, "lost the change listener; reconnecting, polling meanwhile");
            }
        }
    }
}

/// Hands the followers their notifications and runs their reads, on the one connection, until
/// it is lost.
async fn serve(
    listener: &mut PgListener,
    reads: &mut Reads,
    changes: &Changes,
    pool: &PgPool,
) -> Stopped {
    loop {
        // Both branches are cancel-safe: a notification or a read not taken stays queued.
        tokio::select! {
            () = pool.close_event() => return Stopped::Closed,
            received = listener.try_recv() => match received {
                Ok(Some(notification)) => changes.nudge(Table::notified(notification.payload())),
                Ok(None) => return Stopped::Lost("the connection closed".into()),
                Err(error) => return Stopped::Lost(error.to_string()),
            },
            Some(read) = reads.recv() => {
                match run(listener, &read.statement).await {
                    Err(error) if is_lost(&error) => {
                        let _ = read.reply.send(None);
                        return Stopped::Lost(error.to_string());
                    }
                    rows => {
                        let rows = rows.map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))));
                        let _ = read.reply.send(Some(rows));
                    }
                }
            }
        }
    }
}

async fn run(
    listener: &mut PgListener,
    statement: &Statement,
) -> Result<Vec<QueryResult>, sea_orm::sqlx::Error> {
    let values = statement.values.clone().unwrap_or(Values(Vec::new()));
    let rows = sea_orm::sqlx::query_with(
        sea_orm::sqlx::AssertSqlSafe(statement.sql.as_str()),
        SqlxValues(values),
    )
    .fetch_all(listener)
    .await?;
    Ok(rows.into_iter().map(QueryResult::from).collect())
}

/// Whether `error` means the connection is gone, rather than that this one query failed.
fn is_lost(error: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match error {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed => true,
        // The server's own word that it ends the session (SQLSTATE class 57P: terminated by an
        // administrator, a crash, a shutdown) or that the connection failed (class 08). Taken
        // for an ordinary query error, the listener went on with a dead session, which sqlx
        // then replaced unseen on the next read: no reconnect was counted nor reload made.
        Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

/// Answers every read that arrives during `pause` with "not here", so it goes to the pool.
async fn refuse_reads(pause: Duration, reads: &mut Reads) {
    let sleep = tokio::time::sleep(pause);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return,
            Some(read) = reads.recv() => {
                let _ = read.reply.send(None);
            }
        }
    }
}

async fn data_version(db: &DatabaseConnection, changes: &Changes, stats: &SyncStats) {
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
            stats.set_pushed(false);
            let _ = conn.close().await;
            return;
        }
        match sea_orm::sqlx::query_scalar::<_, i64>("PRAGMA data_version")
            .fetch_one(&mut conn)
            .await
        {
            Ok(version) => {
                backoff.recovered("the database file is readable again");
                stats.set_pushed(true);
                // The first reading also nudges: a commit between the state's first load and
                // this connection's first reading would otherwise wait for the poll. The
                // version does not say which table moved, so every follower looks.
                if seen != Some(version) {
                    changes.nudge_all();
                }
                seen = Some(version);
            }
            Err(error) => {
                stats.set_pushed(false);
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
    fn a_notification_names_the_table_whose_follower_wakes() {
        assert_eq!(Table::notified("state:42"), Some(Table::State));
        assert_eq!(Table::notified("superuser"), Some(Table::Superusers));
        assert_eq!(Table::notified("bypass_link"), Some(Table::BypassLinks));
        assert_eq!(
            Table::notified("session_revocation"),
            Some(Table::EndedSessions)
        );
        // Anything else (a newer version's table, an operator's NOTIFY) wakes them all.
        assert_eq!(Table::notified("acme_challenge"), Some(Table::Acme));
        assert_eq!(Table::notified("webhook_delivery"), None);
        assert_eq!(Table::notified(""), None);
    }

    #[tokio::test]
    async fn a_nudge_wakes_only_its_tables_follower_unless_the_table_is_unknown() {
        let changes = Changes::new();
        let mut state = changes.subscribe(Table::State);
        let links = changes.subscribe(Table::BypassLinks);
        changes.nudge(Some(Table::State));
        assert!(state.has_changed().expect("open"));
        assert!(!links.has_changed().expect("open"));
        state.borrow_and_update();
        changes.nudge(None);
        assert!(state.has_changed().expect("open"));
        assert!(links.has_changed().expect("open"));
    }

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
