//! Test databases: SQLite always, PostgreSQL too when configured; each test gets its own.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

/// Set to a PostgreSQL URL (`postgres://postgres@127.0.0.1:5432/test`) to run every database
/// test against PostgreSQL too; each test gets a database of its own.
pub const POSTGRES_ENV: &str = "DOWNTIME_TEST_POSTGRES_URL";

/// A database for one test; the SQLite file lives in a temp dir removed on drop.
pub struct TestDb {
    pub url: String,
    pub kind: &'static str,
    _dir: Option<TempDir>,
    /// The admin URL and database name to drop afterwards (PostgreSQL).
    drop: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let conn = Database::connect(admin.as_str()).await?;
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                conn.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop a test database: {dropped:?}");
        }
    }
}

/// SQLite in a temp dir, plus a fresh PostgreSQL database when [`POSTGRES_ENV`] is set.
pub async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    if let Ok(admin) = std::env::var(POSTGRES_ENV) {
        dbs.push(postgres(&admin).await);
    }
    dbs
}

/// SQLite in a temp dir of its own. The file exists (empty), as a PostgreSQL test's database
/// does: only `serve` and `migrate` create a missing one.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("downtime.db");
    std::fs::File::create(&file).expect("database file");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    TestDb {
        url,
        kind: "sqlite",
        _dir: Some(dir),
        drop: None,
    }
}

/// A fresh PostgreSQL database and the admin URL, for a test that needs PostgreSQL. Such a
/// test is marked so that it is reported as ignored when it is built without
/// [`POSTGRES_ENV`], never as passed:
///
/// ```ignore
/// #[tokio::test]
/// #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL")]
/// ```
///
/// (`build.rs` sets `postgres_tests` when the variable is set at build time.)
///
/// # Panics
/// [`POSTGRES_ENV`] is not set when the test runs.
pub async fn postgres_only() -> (TestDb, String) {
    let admin = std::env::var(POSTGRES_ENV)
        .unwrap_or_else(|_| panic!("{POSTGRES_ENV} is not set: this test needs PostgreSQL"));
    (postgres(&admin).await, admin)
}

async fn postgres(admin: &str) -> TestDb {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "downtime_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_micros()
    );
    let conn = Database::connect(admin)
        .await
        .expect("connect to PostgreSQL");
    conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    conn.close().await.ok();
    let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
    TestDb {
        url: format!("{base}/{name}"),
        kind: "postgres",
        _dir: None,
        drop: Some((admin.to_owned(), name)),
    }
}
