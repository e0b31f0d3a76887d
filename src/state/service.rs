//! [`StateService`]: the one way to read and change the state, for the server and the CLI alike.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::reader::{Reader, Reads};
use super::watch::Changes;
use super::{
    AuditEntry, Connections, Follower, InvalidWindow, Live, MaintenanceState, Reload, Store,
    StoreError, SyncStats, Table, Window, WindowInput, WriteError,
};

/// The setting [`StateService::record_site_url`] keeps.
const SITE_URL: &str = "site_url";

/// Who asks for a change, and why; recorded in the audit log.
#[derive(Clone, Debug)]
pub struct Change {
    /// `cli:<user>`, `environment`, a login's e-mail…
    pub actor: String,
    /// Free text from the operator.
    pub reason: Option<String>,
    /// Refuse the change unless the stored version is this one (an `If-Match`).
    pub expected_version: Option<i64>,
}

impl Change {
    /// A change by `actor` with no reason and no version precondition.
    pub fn by(actor: impl Into<String>) -> Self {
        Change {
            actor: actor.into(),
            reason: None,
            expected_version: None,
        }
    }

    /// Adds the operator's reason (blank reasons are dropped).
    #[must_use]
    pub fn because(mut self, reason: Option<String>) -> Self {
        self.reason = reason.filter(|r| !r.trim().is_empty());
        self
    }

    /// Refuses the change unless the stored version is `version` (when given).
    #[must_use]
    pub fn if_version(mut self, version: Option<i64>) -> Self {
        self.expected_version = version;
        self
    }
}

/// Reads and changes the state: validates, stores and audits, then publishes to [`Live`].
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct StateService {
    store: Store,
    live: Live,
    /// Nudged, table by table, when another process may have committed a change (see
    /// [`StateService::follow`]).
    changes: Arc<Changes>,
    /// How closely [`StateService::follow`] keeps up.
    sync: Arc<SyncStats>,
    /// Where the followers read: the change listener's connection while it is up.
    reader: Reader,
    /// The reads the listener answers, until [`StateService::follow`] hands them to it.
    reads: Arc<Mutex<Option<Reads>>>,
}

impl StateService {
    /// Connects to `url` (`sqlite://file.db?mode=rwc`, `postgres://…`) with a server's pool
    /// ([`Connections::default`]), brings the schema up to date, and loads the current state.
    ///
    /// # Errors
    /// The database is unreachable, is not a database, or a migration fails; the message names
    /// the database without its password.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        Self::open_with(url, Connections::default()).await
    }

    /// Like [`StateService::open`], opening at most `connections.max` connections.
    ///
    /// # Errors
    /// As [`StateService::open`].
    pub async fn open_with(url: &str, connections: Connections) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let store = Store::connect(url, connections)
            .await
            .with_context(|| format!("cannot open the database {}", redact(url)))?;
        store
            .migrate()
            .await
            .with_context(|| format!("cannot prepare the database {}", redact(url)))?;
        let live = Live::new(store.current().await?);
        let sync = Arc::new(SyncStats::new());
        let (reader, reads) = Reader::new(store.db().clone(), Arc::clone(&sync));
        Ok(StateService {
            store,
            live,
            changes: Arc::new(Changes::new()),
            sync,
            reader,
            reads: Arc::new(Mutex::new(Some(reads))),
        })
    }

    /// Like [`StateService::open`] with one connection, for a command, and for a database that
    /// must exist already: a SQLite file that is not there is refused, naming it, instead of
    /// created empty (a command run from the wrong directory must not report on, or write to,
    /// a database no server reads).
    ///
    /// # Errors
    /// The SQLite file does not exist, or as [`StateService::open`].
    pub async fn open_existing(url: &str) -> anyhow::Result<Self> {
        if let Some(file) = sqlite_file(url)
            && !file.exists()
        {
            anyhow::bail!(
                "no database at {}: give the server's with --database-url or DATABASE_URL, or create one with `downtime migrate`",
                file.display()
            );
        }
        Self::open_with(url, Connections::one()).await
    }

    /// The live snapshot: what the gate reads, and what [`Live::subscribe`] follows.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// How closely this process follows the stored state: since when it last read it, and
    /// how often the change listener reconnected.
    pub fn sync_stats(&self) -> &SyncStats {
        &self.sync
    }

    /// The database connection, for the owners of the other tables (the superusers, the
    /// bypass links, the sessions, the webhook deliveries), which are made from this service
    /// and share its pool. Not public: code outside the crate, and the CLI, go through those
    /// owners.
    pub(crate) fn db(&self) -> &sea_orm::DatabaseConnection {
        self.store.db()
    }

    /// Where the followers of the shared tables read ([`Reader`]): on the change listener's
    /// connection while [`StateService::follow`] keeps it up, else on the pool.
    pub(crate) fn reader(&self) -> &Reader {
        &self.reader
    }

    /// The stored state (a database read; [`StateService::live`] needs none).
    ///
    /// # Errors
    /// The database is unavailable or the row unreadable.
    pub async fn current(&self) -> Result<MaintenanceState, StoreError> {
        self.store.current().await
    }

    /// The stored version alone.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn version(&self) -> Result<i64, StoreError> {
        self.store.version().await
    }

    /// Whether the database answers, asked on the change listener's connection while it is up
    /// (so health checks open no connection).
    ///
    /// # Errors
    /// It does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        use sea_orm::ConnectionTrait as _;
        let backend = self.reader.get_database_backend();
        self.reader
            .query_one_raw(sea_orm::Statement::from_string(backend, "SELECT 1"))
            .await?;
        Ok(())
    }

    /// Records where downtime's routes are reachable (the site's base URL and the prefix), so
    /// the CLI prints links that work; the server that started last wins.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn record_site_url(&self, url: &str) -> Result<(), StoreError> {
        self.store
            .set(SITE_URL, url, Utc::now().trunc_subsecs(6))
            .await
    }

    /// The URL the latest server recorded with [`StateService::record_site_url`], and when.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn site_url(&self) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        self.store.get(SITE_URL).await
    }

    /// The newest `limit` audit entries older than entry `before` (all, when `None`), newest
    /// first.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn history(
        &self,
        limit: u64,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.history(limit, before).await
    }

    /// Audit entry `id`, if the log still has it: what the webhook sender delivers.
    ///
    /// # Errors
    /// The database is unavailable, or [`StoreError::Corrupt`] for an entry whose states
    /// cannot be read back.
    pub async fn audit_entry(&self, id: i64) -> Result<Option<AuditEntry>, StoreError> {
        self.store.audit_entry(id).await
    }

    /// The ids of up to `limit` audit entries newer than entry `after`, oldest first. Ids grow
    /// in commit order: writers queue on the state row's lock before they append.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn audit_ids_after(&self, after: i64, limit: u64) -> Result<Vec<i64>, StoreError> {
        self.store.audit_ids_after(after, limit).await
    }

    /// The id of the newest audit entry made before `before` (of all, when `None`); `None`
    /// when there is none.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn newest_audit_id(
        &self,
        before: Option<DateTime<Utc>>,
    ) -> Result<Option<i64>, StoreError> {
        self.store.newest_audit_id(before).await
    }

    /// Validates `window`, stores it with an audit row, then makes it the live state: a
    /// replacement by exactly this window.
    ///
    /// # Errors
    /// [`WriteError::Invalid`] for a window that breaks a rule, [`WriteError::Conflict`] for a
    /// stale expected version, [`WriteError::Store`] when the database fails (nothing is
    /// written then).
    pub async fn apply(
        &self,
        window: Window,
        change: Change,
    ) -> Result<MaintenanceState, WriteError> {
        self.write(change, |_, now| {
            window.validate(now)?;
            Ok(window)
        })
        .await
    }

    /// Replaces the window by `input` over the defaults: what is not given is off, empty or
    /// the default (the API's PUT, the admin page's form).
    ///
    /// # Errors
    /// As [`StateService::apply`]; an invalid input lists every refusal.
    pub async fn replace(
        &self,
        input: WindowInput,
        change: Change,
    ) -> Result<MaintenanceState, WriteError> {
        self.write(change, |_, now| input.over(&Window::off(), now))
            .await
    }

    /// Switches maintenance on now (see [`crate::state`] for what is kept): the CLI's `on`, the
    /// admin page's quick switch, `MAINTENANCE_MODE=on`, automatic maintenance.
    ///
    /// # Errors
    /// As [`StateService::apply`].
    pub async fn switch_on(
        &self,
        input: WindowInput,
        change: Change,
    ) -> Result<MaintenanceState, WriteError> {
        self.write(change, |current, now| {
            super::input::on(&current.window, input, now)
        })
        .await
    }

    /// Switches maintenance off, keeping the standing settings for the next window.
    ///
    /// # Errors
    /// As [`StateService::apply`].
    pub async fn switch_off(&self, change: Change) -> Result<MaintenanceState, WriteError> {
        self.write(change, |current, _| Ok(current.window.switched_off()))
            .await
    }

    /// Changes only what `input` gives; a patch that flips `enabled` is a switch on or off.
    ///
    /// # Errors
    /// As [`StateService::apply`].
    pub async fn patch(
        &self,
        input: WindowInput,
        change: Change,
    ) -> Result<MaintenanceState, WriteError> {
        self.write(change, |current, now| {
            super::input::patch(&current.window, input, now)
        })
        .await
    }

    /// Stores `next(stored state, now)` with an audit row, computed while the row is locked,
    /// then publishes it.
    async fn write(
        &self,
        change: Change,
        next: impl FnOnce(&MaintenanceState, DateTime<Utc>) -> Result<Window, InvalidWindow>,
    ) -> Result<MaintenanceState, WriteError> {
        let now = Utc::now();
        let state = self
            .store
            .write(|current| next(current, now), &change, now.trunc_subsecs(6))
            .await?;
        self.live.publish(state.clone());
        Ok(state)
    }

    /// Nudges, while [`StateService::follow`] runs, whenever another process may have
    /// committed a change to `table`: its [`Follower`] wakes on it instead of waiting for its
    /// next poll.
    pub fn database_changes(&self, table: Table) -> watch::Receiver<()> {
        self.changes.subscribe(table)
    }

    /// Follows the changes other processes (the CLI, other replicas) make, so they reach this
    /// one without a restart: told at once by PostgreSQL's notifications or SQLite's data
    /// version, and polling the stored version every `every` as a safety net. It also runs
    /// the clock that starts and ends scheduled windows ([`Live::keep_time`]). Stop it by
    /// aborting the handle.
    ///
    /// On PostgreSQL the listener's one connection also answers the followers' reads (see
    /// [`Reader`]): at rest a replica holds that connection and no other.
    ///
    /// When the database goes away the last known state stays live ([`Follower`] logs the
    /// outage). Call it once per service: the listener's reads go to the first call.
    pub fn follow(&self, every: Duration) -> JoinHandle<()> {
        self.follow_as(every, true)
    }

    /// Like [`StateService::follow`] without hearing of changes at once: no `LISTEN` (behind a
    /// pooler in transaction mode, where notifications never arrive, or to spare the
    /// listener's connection), so changes made elsewhere arrive within `every`, and the
    /// process holds a connection only while it polls.
    pub fn follow_by_poll(&self, every: Duration) -> JoinHandle<()> {
        self.sync.set_poll_only();
        self.follow_as(every, false)
    }

    fn follow_as(&self, every: Duration, pushed: bool) -> JoinHandle<()> {
        let stored = StoredState {
            reader: self.reader.clone(),
            live: self.live.clone(),
            sync: Arc::clone(&self.sync),
        };
        let follower = Follower::new("the state", every, self.database_changes(Table::State));
        let reads = self
            .reads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| tokio::sync::mpsc::channel(1).1);
        let watcher = super::watch::watch(
            self.store.db().clone(),
            Arc::clone(&self.changes),
            Arc::clone(&self.sync),
            reads,
        );
        let watcher = async move {
            if pushed {
                watcher.await;
            }
        };
        let clock = self.live.clone();
        tokio::spawn(async move {
            tokio::join!(watcher, follower.run(stored), clock.keep_time());
        })
    }
}

/// The live state, as [`StateService::follow`] keeps it.
struct StoredState {
    reader: Reader,
    live: Live,
    sync: Arc<SyncStats>,
}

impl Reload for StoredState {
    type Error = StoreError;

    /// Reads the version alone, and the whole state only when another process changed it.
    async fn reload(&mut self) -> Result<(), StoreError> {
        let version = super::store::read_version(&self.reader).await?;
        if version != self.live.load().version {
            self.live
                .publish(super::store::read_state(&self.reader).await?);
        }
        self.sync.synced();
        Ok(())
    }
}

/// The file a `sqlite:` URL names, if it names one (not `:memory:`).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.contains("mode=memory");
    (!in_memory).then(|| std::path::PathBuf::from(path))
}

/// A database URL fit for messages: the password, in the user-info part or in a `password`
/// query parameter, is replaced by `***`.
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rsplit_once('@') {
                Some((userinfo, host)) => {
                    let masked = match userinfo.split_once(':') {
                        Some((user, _)) => format!("{user}:***"),
                        None => userinfo.to_owned(),
                    };
                    format!("{scheme}://{masked}@{host}{}", &rest[authority_end..])
                }
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if is_secret_parameter(key) => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

fn is_secret_parameter(key: &str) -> bool {
    ["password", "pass", "pwd", "sslpassword", "secret"]
        .iter()
        .any(|secret| key.eq_ignore_ascii_case(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        let file = |url| sqlite_file(url).map(|p| p.display().to_string());
        assert_eq!(
            file("sqlite://downtime.db?mode=rwc").as_deref(),
            Some("downtime.db")
        );
        assert_eq!(
            file("sqlite:///var/lib/d.db").as_deref(),
            Some("/var/lib/d.db")
        );
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://x?mode=memory"), None);
        assert_eq!(file("postgres://db/site"), None);
    }

    #[test]
    fn redact_hides_passwords_only() {
        let cases = [
            (
                "postgres://app:s3cret@db:5432/site",
                "postgres://app:***@db:5432/site",
            ),
            ("postgres://app@db/site", "postgres://app@db/site"),
            (
                "sqlite://downtime.db?mode=rwc",
                "sqlite://downtime.db?mode=rwc",
            ),
            ("postgres://a:b@c@host/db", "postgres://a:***@host/db"),
            (
                "postgres://app@db/site?password=s3cret&sslmode=require",
                "postgres://app@db/site?password=***&sslmode=require",
            ),
            (
                "postgres://db/site?user=app&PASSWORD=s3cret",
                "postgres://db/site?user=app&PASSWORD=***",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(redact(url), expected, "{url}");
        }
    }
}
