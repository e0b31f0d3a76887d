//! Shared test helpers: databases (SQLite always, PostgreSQL when configured) and the app.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::Utc;
use downtime::config::Config;
use downtime::gate::Superusers;
use downtime::state::{Change, MaintenanceState, StateService, Window};
use downtime::web::demo;
use downtime::{Downtime, DowntimeBuilder};
use poem::endpoint::BoxEndpoint;
use poem::test::{TestClient, TestResponse};
use poem::{EndpointExt, Response};
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

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("downtime.db").display()
    );
    TestDb {
        url,
        kind: "sqlite",
        _dir: Some(dir),
        drop: None,
    }
}

/// A fresh PostgreSQL database, when [`POSTGRES_ENV`] is set.
pub async fn postgres_only() -> Option<(TestDb, String)> {
    let admin = std::env::var(POSTGRES_ENV).ok()?;
    Some((postgres(&admin).await, admin))
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

/// The app over a test client, and the service behind it.
pub struct TestApp {
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub service: StateService,
}

/// The demo site behind downtime, as `serve` builds it: the superusers are the ones auth knows.
pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn(db, Config::default(), |downtime| downtime.auth().clone()).await
}

/// The app with other settings and another answer to "is this a superuser?".
pub async fn spawn_app_with<S: Superusers>(db: &TestDb, config: Config, superusers: S) -> TestApp {
    spawn(db, config, |_| superusers).await
}

async fn spawn<S: Superusers>(
    db: &TestDb,
    mut config: Config,
    pick: impl FnOnce(&Downtime) -> S,
) -> TestApp {
    config.database_url = db.url.clone();
    config.auth.base_url = Some("http://localhost".into());
    let downtime = DowntimeBuilder::from_config(config)
        .build()
        .await
        .expect("build downtime");
    let superusers = pick(&downtime);
    let site = demo::site().expect("demo site");
    let app = downtime
        .around_with(site, superusers)
        .with(crate::spec_check::SpecCheck)
        .boxed();
    TestApp {
        client: TestClient::new(app),
        service: downtime.state().clone(),
    }
}

impl TestApp {
    /// Switches maintenance on with `settings` (enabled forced on).
    pub async fn switch_on(&self, settings: Window) -> MaintenanceState {
        let settings = Window {
            enabled: true,
            ..settings
        };
        self.service
            .apply(settings, Change::by("test"))
            .await
            .expect("switch on")
    }

    pub async fn on(&self) -> MaintenanceState {
        self.switch_on(Window::off()).await
    }

    /// GET `path` as a browser would ask.
    pub async fn browse(&self, path: &str) -> TestResponse {
        self.client
            .get(path)
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
    }
}

/// The response body as text.
pub async fn text(resp: TestResponse) -> String {
    resp.0.into_body().into_string().await.expect("body")
}

/// The response body as JSON.
pub async fn json(resp: TestResponse) -> serde_json::Value {
    serde_json::from_str(&text(resp).await).expect("JSON body")
}

pub fn header<'a>(resp: &'a TestResponse, name: &str) -> Option<&'a str> {
    resp.0.headers().get(name).and_then(|v| v.to_str().ok())
}

/// An address nothing listens on: a port reserved by binding, then released at once. Bind it
/// again for a server, or connect to it to be refused.
pub fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
}

/// Polls `check` every 20 ms until it holds or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An HTTP client that does not follow redirects: tests look at each one.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}
