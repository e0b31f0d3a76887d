//! The state in the database: one row, guarded by its version, and an append-only audit log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{maintenance_audit as audit, maintenance_state as row, site_setting as setting};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, prelude::*,
};
use serde::Serialize;

use super::{Change, InvalidWindow, MaintenanceState, Mode, Window};

/// The PostgreSQL advisory lock every process takes around the migrations, so replicas starting
/// together run them one at a time: any number no other lock on the database uses, and one
/// that must never change, or an older replica would migrate beside a newer one.
const MIGRATION_LOCK: i64 = 71086;

/// Why the database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database did not answer or refused the query.
    #[error("database unavailable: {0}")]
    Unavailable(#[from] DbErr),
    /// A stored value cannot be read back (edited by hand, or a newer schema).
    #[error("stored state is unreadable: {0}")]
    Corrupt(String),
}

/// Why a change was not stored; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The new window breaks a rule.
    #[error(transparent)]
    Invalid(#[from] InvalidWindow),
    /// The stored version is not the one the writer expected (a stale `If-Match`).
    #[error("the state changed meanwhile (now at version {current})")]
    Conflict {
        /// The version now stored.
        current: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for WriteError {
    fn from(error: DbErr) -> Self {
        WriteError::Store(StoreError::Unavailable(error))
    }
}

/// The reason a pool could not connect. The pool retries until its timeout and then says only
/// "pool timed out"; one direct connection to PostgreSQL says why (connection refused, no
/// such host, authentication failed).
async fn why_not(url: &str, error: DbErr) -> StoreError {
    use sea_orm::sqlx::Connection as _;
    let timed_out = matches!(
        &error,
        DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) if matches!(**e, sea_orm::sqlx::Error::PoolTimedOut)
    ) || error.to_string().contains("pool timed out");
    if timed_out && url.starts_with("postgres") {
        let direct = tokio::time::timeout(
            Duration::from_secs(5),
            sea_orm::sqlx::PgConnection::connect(url),
        )
        .await;
        if let Ok(Err(cause)) = direct {
            let why = sea_orm::RuntimeErr::Internal(cause.to_string());
            return StoreError::Unavailable(DbErr::Conn(why));
        }
    }
    StoreError::Unavailable(error)
}

/// One audit-log row: who changed what, when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Insertion order; higher is newer.
    pub id: i64,
    /// The version this change produced.
    pub version: i64,
    /// Who made the change.
    pub actor: String,
    /// Why, if they said.
    pub reason: Option<String>,
    /// When it was committed.
    pub at: DateTime<Utc>,
    /// The state before.
    pub before: MaintenanceState,
    /// The state after.
    pub after: MaintenanceState,
}

/// How many connections a process opens to PostgreSQL: a server's pool opens them for writes
/// and closes them when idle (its reads run on the change listener's own connection, see
/// [`super::reader`]); a command needs one. SQLite always has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connections {
    /// The most the pool holds at once.
    pub max: u32,
    /// How long an unused connection stays open.
    pub idle: Duration,
}

impl Connections {
    /// A server's pool when nobody says. Writes queue on the state row's lock anyway, so more
    /// connections would not make them faster; and a starting replica's reads (each table
    /// loaded once) spread over every connection the pool allows, because sqlx returns a
    /// connection to the pool in a task of its own: with 2, forty replicas starting at once
    /// peak at 120 connections only if none has closed its idle ones yet.
    pub const DEFAULT_MAX: u32 = 2;
    /// The most `--db-max-connections` accepts.
    pub const MAX: u32 = 100;
    /// How long a server keeps an unused connection: writes come in bursts (an operator's
    /// session, a deploy script), and at rest a replica holds only its listener.
    pub const IDLE: Duration = Duration::from_secs(5);

    /// A server's pool of at most `max` connections.
    pub fn server(max: u32) -> Self {
        Connections {
            max,
            idle: Self::IDLE,
        }
    }

    /// One connection, for a command that reads or writes once and exits.
    pub fn one() -> Self {
        Connections {
            max: 1,
            idle: Self::IDLE,
        }
    }
}

impl Default for Connections {
    fn default() -> Self {
        Connections::server(Connections::DEFAULT_MAX)
    }
}

/// The database behind the state. Cheap to clone: it shares one connection pool.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `url` (`sqlite://file.db?mode=rwc`, `postgres://…`) without touching the
    /// schema, opening at most `connections.max` connections.
    ///
    /// # Errors
    /// The database is unreachable or the URL is not understood.
    pub async fn connect(url: &str, connections: Connections) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(without_tls_on_loopback(url));
        options
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        // SQLite keeps sea-orm's one connection, never closed: its writes queue on the file
        // anyway, and closing the connection to an in-memory database would end the database.
        if !url.starts_with("sqlite:") {
            options
                .max_connections(connections.max)
                .min_connections(0)
                .idle_timeout(connections.idle);
        }
        match Database::connect(options).await {
            Ok(db) => Ok(Store { db }),
            Err(error) => Err(why_not(url, error).await),
        }
    }

    /// The connection pool, which the other tables' owners share ([`super::StateService::db`]).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs the pending migrations; safe to run on every start.
    ///
    /// # Errors
    /// A migration failed (unreachable or corrupt database).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.schema_is_current().await {
            return Ok(());
        }
        // Replicas starting together on a new database would race to create the same tables
        // and record the same migrations. One transaction that first takes a lock queues them:
        // the others then find nothing left to do. (Both databases' DDL is transactional.)
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?;
        if self.db.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await?;
        }
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether every migration this version knows has run, and no other: one query, so a
    /// command on a current schema takes no lock and starts no transaction. Any doubt (no
    /// migrations table yet, an unreadable one) says no, and the migrations then decide.
    async fn schema_is_current(&self) -> bool {
        let backend = self.db.get_database_backend();
        let query = Statement::from_string(backend, "SELECT version FROM seaql_migrations");
        let Ok(rows) = self.db.query_all_raw(query).await else {
            return false;
        };
        let Ok(mut applied) = rows
            .iter()
            .map(|row| row.try_get::<String>("", "version"))
            .collect::<Result<Vec<_>, _>>()
        else {
            return false;
        };
        let mut known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        applied.sort_unstable();
        known.sort_unstable();
        applied == known
    }

    /// The current version alone: the cheap query replicas poll.
    ///
    /// # Errors
    /// The database is unavailable, or the row is missing.
    pub async fn version(&self) -> Result<i64, StoreError> {
        read_version(&self.db).await
    }

    /// The whole current state.
    ///
    /// # Errors
    /// The database is unavailable, or the row is missing or unreadable.
    pub async fn current(&self) -> Result<MaintenanceState, StoreError> {
        read_state(&self.db).await
    }

    /// Replaces the window with `next(stored state)`, bumps the version and appends an audit
    /// row, in one transaction: `next` sees the row locked, so a change computed from the
    /// current window (a switch, a patch) cannot lose a concurrent one. `next` validates.
    ///
    /// # Errors
    /// [`WriteError::Invalid`] when `next` refuses, [`WriteError::Conflict`] when
    /// `change.expected_version` is stale, [`WriteError::Store`] when the database fails
    /// (nothing is written then).
    pub async fn write(
        &self,
        next: impl FnOnce(&MaintenanceState) -> Result<Window, InvalidWindow>,
        change: &Change,
        at: DateTime<Utc>,
    ) -> Result<MaintenanceState, WriteError> {
        let txn = self.db.begin().await?;
        // Writing first takes the write lock at once (SQLite) or locks the row (PostgreSQL), so
        // concurrent writers queue here instead of failing later when they upgrade a read.
        row::Entity::update_many()
            .col_expr(row::Column::Version, Expr::col(row::Column::Version))
            .filter(row::Column::Id.eq(row::SINGLETON_ID))
            .exec(&txn)
            .await?;
        let before = read_state(&txn).await?;
        if let Some(expected) = change.expected_version
            && expected != before.version
        {
            return Err(WriteError::Conflict {
                current: before.version,
            });
        }
        let after = MaintenanceState {
            window: next(&before)?,
            version: before.version + 1,
            updated_by: change.actor.clone(),
            updated_at: at,
        };
        let w = &after.window;
        let retry_after = i32::try_from(w.retry_after_secs).map_err(|_| {
            StoreError::Corrupt(format!("retry_after_secs = {}", w.retry_after_secs))
        })?;
        let hold_timeout = i32::try_from(w.hold_timeout_secs).map_err(|_| {
            StoreError::Corrupt(format!("hold_timeout_secs = {}", w.hold_timeout_secs))
        })?;
        row::ActiveModel {
            id: Set(row::SINGLETON_ID),
            enabled: Set(w.enabled),
            mode: Set(w.mode.as_str().to_owned()),
            message: Set(w.message.clone()),
            starts_at: Set(w.starts_at),
            ends_at: Set(w.ends_at),
            retry_after_secs: Set(retry_after),
            allowed_ips: Set(to_text(&w.allowed_ips)?),
            open_paths: Set(to_text(&w.open_paths)?),
            status_code: Set(i32::from(w.status_code)),
            scope: Set(to_text(&w.scope)?),
            hold_timeout_secs: Set(hold_timeout),
            version: Set(after.version),
            updated_by: Set(after.updated_by.clone()),
            updated_at: Set(after.updated_at),
        }
        .update(&txn)
        .await?;
        audit::ActiveModel {
            version: Set(after.version),
            actor: Set(change.actor.clone()),
            reason: Set(change.reason.clone()),
            at: Set(after.updated_at),
            before: Set(to_json(&before)?),
            after: Set(to_json(&after)?),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Stores `value` as setting `name` (the latest writer wins).
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn set(&self, name: &str, value: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        setting::Entity::insert(setting::ActiveModel {
            name: Set(name.to_owned()),
            value: Set(value.to_owned()),
            updated_at: Set(at),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(setting::Column::Name)
                .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Setting `name` and when it was written, if any server wrote it.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn get(&self, name: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let found = setting::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?;
        Ok(found.map(|row| (row.value, row.updated_at)))
    }

    /// The newest `limit` audit entries older than entry `before` (all, when `None`), newest
    /// first: one page of the log.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn history(
        &self,
        limit: u64,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut query = audit::Entity::find()
            .order_by_desc(audit::Column::Id)
            .limit(limit);
        if let Some(before) = before {
            query = query.filter(audit::Column::Id.lt(before));
        }
        let rows = query.all(&self.db).await?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }

    /// Audit entry `id`, if the log still has it.
    ///
    /// # Errors
    /// The database is unavailable, or the entry is unreadable.
    pub async fn audit_entry(&self, id: i64) -> Result<Option<AuditEntry>, StoreError> {
        let found = audit::Entity::find_by_id(id).one(&self.db).await?;
        found.map(AuditEntry::try_from).transpose()
    }

    /// The ids of up to `limit` audit entries newer than entry `after`, oldest first.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn audit_ids_after(&self, after: i64, limit: u64) -> Result<Vec<i64>, StoreError> {
        Ok(audit::Entity::find()
            .select_only()
            .column(audit::Column::Id)
            .filter(audit::Column::Id.gt(after))
            .order_by_asc(audit::Column::Id)
            .limit(limit)
            .into_tuple::<i64>()
            .all(&self.db)
            .await?)
    }

    /// The id of the newest audit entry committed before `before` (of all, when `None`);
    /// `None` when there is none.
    ///
    /// # Errors
    /// The database is unavailable.
    pub async fn newest_audit_id(
        &self,
        before: Option<DateTime<Utc>>,
    ) -> Result<Option<i64>, StoreError> {
        let mut query = audit::Entity::find()
            .select_only()
            .column_as(audit::Column::Id.max(), "newest");
        if let Some(before) = before {
            query = query.filter(audit::Column::At.lt(before));
        }
        Ok(query
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await?
            .flatten())
    }
}

impl TryFrom<audit::Model> for AuditEntry {
    type Error = StoreError;

    fn try_from(r: audit::Model) -> Result<Self, StoreError> {
        let state = |json: serde_json::Value, which: &str| {
            serde_json::from_value(json)
                .map_err(|e| StoreError::Corrupt(format!("audit entry {}, {which}: {e}", r.id)))
        };
        Ok(AuditEntry {
            id: r.id,
            version: r.version,
            before: state(r.before, "before")?,
            after: state(r.after, "after")?,
            actor: r.actor,
            reason: r.reason,
            at: r.at,
        })
    }
}

/// The current version alone, through `db` (the pool, or the follower's [`super::Reader`]).
pub(super) async fn read_version(db: &impl ConnectionTrait) -> Result<i64, StoreError> {
    row::Entity::find_by_id(row::SINGLETON_ID)
        .select_only()
        .column(row::Column::Version)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .ok_or_else(missing_row)
}

/// The whole current state, through `db`.
pub(super) async fn read_state(db: &impl ConnectionTrait) -> Result<MaintenanceState, StoreError> {
    let model = row::Entity::find_by_id(row::SINGLETON_ID)
        .one(db)
        .await?
        .ok_or_else(missing_row)?;
    let mode: Mode = model.mode.parse().map_err(StoreError::Corrupt)?;
    let retry_after_secs = u32::try_from(model.retry_after_secs).map_err(|_| {
        StoreError::Corrupt(format!("retry_after_secs = {}", model.retry_after_secs))
    })?;
    let hold_timeout_secs = u32::try_from(model.hold_timeout_secs).map_err(|_| {
        StoreError::Corrupt(format!("hold_timeout_secs = {}", model.hold_timeout_secs))
    })?;
    let allowed_ips = serde_json::from_str(&model.allowed_ips)
        .map_err(|e| StoreError::Corrupt(format!("allowed_ips: {e}")))?;
    let open_paths = serde_json::from_str(&model.open_paths)
        .map_err(|e| StoreError::Corrupt(format!("open_paths: {e}")))?;
    let scope = serde_json::from_str(&model.scope)
        .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))?;
    let status_code = u16::try_from(model.status_code)
        .ok()
        .filter(|code| super::is_gate_status(*code))
        .ok_or_else(|| StoreError::Corrupt(format!("status_code = {}", model.status_code)))?;
    Ok(MaintenanceState {
        window: Window {
            enabled: model.enabled,
            mode,
            message: model.message,
            starts_at: model.starts_at,
            ends_at: model.ends_at,
            retry_after_secs,
            allowed_ips,
            open_paths,
            scope,
            status_code,
            hold_timeout_secs,
        },
        version: model.version,
        updated_by: model.updated_by,
        updated_at: model.updated_at,
    })
}

/// `url` with TLS turned off when it names PostgreSQL on this machine and does not ask for
/// TLS itself. sqlx's default (`sslmode=prefer`) would encrypt traffic that never leaves the
/// host, and its handshake costs two round trips held back by Nagle's algorithm (about 90 ms
/// per connection here): most of a command's time. An explicit `sslmode` is kept.
fn without_tls_on_loopback(url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return url.to_owned();
    };
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    if query
        .split('&')
        .any(|pair| pair.split('=').next() == Some("sslmode"))
    {
        return url.to_owned();
    }
    let authority = before_query.split('/').next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return url.to_owned();
    }
    let separator = if query.is_empty() {
        if url.ends_with('?') { "" } else { "?" }
    } else {
        "&"
    };
    format!("{url}{separator}sslmode=disable")
}

fn missing_row() -> StoreError {
    StoreError::Corrupt("the maintenance_state row is missing; run `downtime migrate`".into())
}

fn to_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn to_json(state: &MaintenanceState) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(state).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_on_this_machine_goes_without_tls_unless_the_url_asks_for_it() {
        for (url, expected) in [
            (
                "postgres://u@127.0.0.1:5432/db",
                "postgres://u@127.0.0.1:5432/db?sslmode=disable",
            ),
            (
                "postgresql://u:p@localhost/db?application_name=x",
                "postgresql://u:p@localhost/db?application_name=x&sslmode=disable",
            ),
            (
                "postgres://[::1]:5432/db",
                "postgres://[::1]:5432/db?sslmode=disable",
            ),
            // Asked for, or another machine: unchanged.
            (
                "postgres://u@127.0.0.1/db?sslmode=require",
                "postgres://u@127.0.0.1/db?sslmode=require",
            ),
            ("postgres://u@db.example/db", "postgres://u@db.example/db"),
            (
                "postgres://u@10.0.0.5:5432/db",
                "postgres://u@10.0.0.5:5432/db",
            ),
            (
                "sqlite://downtime.db?mode=rwc",
                "sqlite://downtime.db?mode=rwc",
            ),
        ] {
            assert_eq!(without_tls_on_loopback(url), expected, "{url}");
        }
    }
}
