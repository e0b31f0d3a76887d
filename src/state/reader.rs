//! Where the followers of the shared tables read: on PostgreSQL, the change listener's own
//! connection while it is up, so a replica at rest holds that one connection and a change costs
//! no new backend; the pool otherwise (SQLite, the CLI, a listener that is reconnecting).
//!
//! The listener's task owns its connection and runs the reads it is sent between
//! notifications ([`super::watch`]); a read it cannot run (the connection just dropped, or the
//! queue is full) goes to the pool instead, so a follower never waits on a dead listener.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};
use tokio::sync::{mpsc, oneshot};

use super::SyncStats;

/// How many reads may wait for the listener's connection; past it they go to the pool. Four
/// followers read one or two rows each per change, so this is never reached at rest.
const QUEUE: usize = 16;

/// How long a read waits for the listener's answer before it gives up on it and asks the pool.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// A read for the listener's connection, and where its rows go: `None` when the connection
/// could not run it (the read is then made on the pool).
pub(super) struct Read {
    pub statement: Statement,
    pub reply: oneshot::Sender<Option<Result<Vec<QueryResult>, DbErr>>>,
}

/// The receiving end of the reads, which the listener's task takes.
pub(super) type Reads = mpsc::Receiver<Read>;

/// Runs the followers' reads on the listener's connection when it can, on the pool otherwise;
/// writes always go to the pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Reader {
    pool: DatabaseConnection,
    listener: mpsc::Sender<Read>,
    /// Says whether the listener is connected, so that reads sent to it are answered.
    sync: Arc<SyncStats>,
}

impl Reader {
    /// A reader over `pool`, and the queue of reads the listener's task answers; while `sync`
    /// says changes are not pushed (no listener yet, or one reconnecting), and on SQLite,
    /// everything goes to the pool.
    pub(super) fn new(pool: DatabaseConnection, sync: Arc<SyncStats>) -> (Self, Reads) {
        let (listener, reads) = mpsc::channel(QUEUE);
        let reader = Reader {
            pool,
            listener,
            sync,
        };
        (reader, reads)
    }

    async fn on_listener(&self, statement: &Statement) -> Option<Result<Vec<QueryResult>, DbErr>> {
        if self.pool.get_database_backend() != DbBackend::Postgres || !self.sync.pushed() {
            return None;
        }
        let (reply, answer) = oneshot::channel();
        let read = Read {
            statement: statement.clone(),
            reply,
        };
        self.listener.try_send(read).ok()?;
        tokio::time::timeout(ANSWER_WITHIN, answer)
            .await
            .ok()?
            .ok()?
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.pool.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.on_listener(&stmt).await {
            Some(rows) => Ok(rows?.into_iter().next()),
            None => self.pool.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.on_listener(&stmt).await {
            Some(rows) => rows,
            None => self.pool.query_all_raw(stmt).await,
        }
    }
}
