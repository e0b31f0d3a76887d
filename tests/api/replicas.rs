//! Several server processes on one database: concurrent writers, and a database that goes
//! away under load and comes back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::helpers::{Server, databases, downtime, eventually, until_status};

/// A TCP proxy between servers and PostgreSQL that the test can cut and restore.
struct Cable {
    addr: std::net::SocketAddr,
    cut: Arc<AtomicBool>,
    links: Arc<std::sync::Mutex<JoinSet<()>>>,
    _accepting: tokio::task::JoinHandle<()>,
}

impl Cable {
    async fn to(upstream: std::net::SocketAddr) -> Cable {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let cut = Arc::new(AtomicBool::new(false));
        let links = Arc::new(std::sync::Mutex::new(JoinSet::new()));
        let accepting = tokio::spawn({
            let (cut, links) = (Arc::clone(&cut), Arc::clone(&links));
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    // Cut: the connection is closed at once, like a refused one.
                    if cut.load(Ordering::SeqCst) {
                        continue;
                    }
                    links.lock().expect("links").spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                }
            }
        });
        Cable {
            addr,
            cut,
            links,
            _accepting: accepting,
        }
    }

    /// Drops every connection through the cable, and every new one until restored.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.links.lock().expect("links").abort_all();
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }

    /// `url` with its host and port replaced by the cable's.
    fn url_through(&self, url: &str) -> String {
        let mut url = Url::parse(url).expect("database URL");
        url.set_ip_host(self.addr.ip()).expect("host");
        url.set_port(Some(self.addr.port())).expect("port");
        url.to_string()
    }
}

/// Visitors asking all the time while maintenance is on, counting answers other than the gate's
/// (or no answer).
struct Visitors {
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
    tasks: JoinSet<()>,
}

impl Visitors {
    fn start(base: &str) -> Visitors {
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicUsize::new(0));
        let mut tasks = JoinSet::new();
        for (path, expected) in [
            ("/about", StatusCode::FOUND),
            ("/", StatusCode::FOUND),
            ("/api/demo/items", StatusCode::SERVICE_UNAVAILABLE),
            ("/maintenance", StatusCode::SERVICE_UNAVAILABLE),
        ] {
            let url = format!("{base}{path}");
            let (stop, failed, answered) = (
                Arc::clone(&stop),
                Arc::clone(&failed),
                Arc::clone(&answered),
            );
            let http = crate::helpers::http();
            tasks.spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let resp = http
                        .get(&url)
                        .header("accept", "text/html")
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    if let Err(error) = &resp {
                        eprintln!("{url}: {error}");
                    }
                    let ok = match &resp {
                        Ok(r) if r.status() == expected => true,
                        Ok(r) => {
                            eprintln!("{url}: {}", r.status());
                            false
                        }
                        Err(_) => false,
                    };
                    if !ok {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        Visitors {
            stop,
            failed,
            answered,
            tasks,
        }
    }

    /// Stops them; how many answered, and how many of those failed.
    async fn stop(mut self) -> (usize, usize) {
        self.stop.store(true, Ordering::SeqCst);
        while self.tasks.join_next().await.is_some() {}
        (
            self.answered.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
        )
    }
}

/// A client-credentials token from the server's own development provider.
async fn script_token(server: &Server) -> String {
    let (id, secret) = downtime::dev_idp::SCRIPT_CLIENT;
    let resp: Value = server
        .http
        .post(format!("{}/dev-idp/token", server.base))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    resp["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn ready(server: &Server) -> (StatusCode, Value) {
    let resp = server.get("/readyz").await;
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The audit log's versions, newest first: each change once, none missing.
async fn assert_history_complete(url: &str, changes: usize) {
    let out = downtime(url, &["history", "--json", "--limit", "1000"]).await;
    let entries: Vec<Value> = serde_json::from_slice(&out.stdout).expect("history JSON");
    let versions: Vec<i64> = entries
        .iter()
        .map(|e| e["version"].as_i64().expect("version"))
        .collect();
    let expected: Vec<i64> = (2..=1 + changes as i64).rev().collect();
    assert_eq!(
        versions, expected,
        "the audit log lost or repeated a change"
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL"
)]
async fn replicas_survive_postgresql_going_away_under_load() {
    let (db, _admin) = crate::helpers::postgres_only().await;
    let cable = Cable::to(postgres_addr(&db.url).await).await;
    let env = [
        ("DOWNTIME_POLL_INTERVAL", "60s"),
        ("DOWNTIME_DEV_IDP", "true"),
    ];
    let through = cable.url_through(&db.url);
    let replicas = [
        Server::start(&through, &env).await,
        Server::start(&through, &env).await,
    ];
    let token = script_token(&replicas[0]).await;
    let out = downtime(&db.url, &["on", "--message", "Before the outage"]).await;
    assert_eq!(out.status.code(), Some(0));
    for replica in &replicas {
        assert!(
            until_status(replica, StatusCode::FOUND, Duration::from_secs(3))
                .await
                .is_some()
        );
    }
    let visitors: Vec<Visitors> = replicas.iter().map(|r| Visitors::start(&r.base)).collect();

    cable.cut();
    for replica in &replicas {
        let unready = eventually(Duration::from_secs(5), || async {
            ready(replica).await.0 == StatusCode::SERVICE_UNAVAILABLE
        })
        .await;
        assert!(unready, "/readyz still ready without the database");
        assert_eq!(ready(replica).await.1["database"], "unreachable");
    }
    let put = replicas[0]
        .http
        .put(format!("{}/api/maintenance", replicas[0].base))
        .bearer_auth(&token)
        .json(&json!({ "enabled": false }))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(put.headers()["content-type"], "application/problem+json");
    assert!(put.headers().contains_key("retry-after"));
    // Meanwhile someone with a direct connection switches maintenance off: nobody behind the
    // cable can hear of it yet.
    let out = downtime(&db.url, &["off", "--reason", "during the outage"]).await;
    assert_eq!(out.status.code(), Some(0));
    tokio::time::sleep(Duration::from_secs(2)).await;
    for visitors in visitors {
        let (answered, failed) = visitors.stop().await;
        assert!(answered > 50, "only {answered} requests");
        assert_eq!(failed, 0, "{failed} of {answered} visitor requests failed");
    }

    cable.restore();
    for replica in &replicas {
        // The listener reconnects and reloads: the change made during the outage arrives long
        // before the minute-long poll.
        let caught_up = until_status(replica, StatusCode::OK, Duration::from_secs(15)).await;
        assert!(
            caught_up.is_some(),
            "the change made during the outage never arrived"
        );
        let ready_again = eventually(Duration::from_secs(5), || async {
            ready(replica).await.0 == StatusCode::OK
        })
        .await;
        assert!(ready_again, "/readyz never recovered");
    }

    // PostgreSQL ends every connection: the same again, without a restart.
    let admin = sea_orm::Database::connect(db.url.as_str())
        .await
        .expect("connect");
    use sea_orm::ConnectionTrait as _;
    admin
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await
        .expect("terminate");
    admin.close().await.ok();
    let out = downtime(&db.url, &["on", "--message", "After the restart"]).await;
    assert_eq!(out.status.code(), Some(0));
    for replica in &replicas {
        let gated = until_status(replica, StatusCode::FOUND, Duration::from_secs(15)).await;
        assert!(
            gated.is_some(),
            "a replica missed the change after its connections were killed"
        );
    }
    let put = replicas[1]
        .http
        .put(format!("{}/api/maintenance", replicas[1].base))
        .bearer_auth(script_token(&replicas[1]).await)
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::OK, "writes work again");
    assert_history_complete(&db.url, 4).await;

    for replica in replicas {
        let log = replica.stop().await;
        let warnings = log.lines().filter(|l| l.contains("WARN")).count();
        // The development provider's banner, then a few lines for the outage, not one per
        // request or per poll.
        assert!(warnings <= 8, "{warnings} warnings: {log}");
        assert!(
            log.contains("change listener") || log.contains("listening for changes again"),
            "{log}"
        );
    }
}

/// The address of the PostgreSQL server `url` names.
async fn postgres_addr(url: &str) -> std::net::SocketAddr {
    let direct = Url::parse(url).expect("url");
    tokio::net::lookup_host((
        direct.host_str().expect("host"),
        direct.port().unwrap_or(5432),
    ))
    .await
    .expect("resolve")
    .next()
    .expect("an address")
}

/// The connections to `url`'s database other than the asking one, by `application_name`.
async fn connections_to(url: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait as _, Statement};
    let admin = sea_orm::Database::connect(url).await.expect("connect");
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT application_name FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .expect("pg_stat_activity");
    admin.close().await.ok();
    rows.iter()
        .map(|row| row.try_get::<String>("", "application_name").expect("name"))
        .collect()
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL"
)]
async fn an_idle_replica_holds_only_its_listener_and_a_change_opens_no_connection() {
    let (db, _admin) = crate::helpers::postgres_only().await;
    let replica = Server::start(&db.url, &[("DOWNTIME_POLL_INTERVAL", "60s")]).await;
    assert_eq!(ready(&replica).await.0, StatusCode::OK);
    // Start-up used the pool (migrations, the first reads); it closes what it no longer uses.
    let settled = eventually(Duration::from_secs(30), || async {
        connections_to(&db.url).await == ["downtime listener"]
    })
    .await;
    assert!(
        settled,
        "an idle replica holds {:?}",
        connections_to(&db.url).await
    );

    // A change made elsewhere is read on the listener's connection: nothing new opens.
    let out = downtime(&db.url, &["on", "--message", "Pushed"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        until_status(&replica, StatusCode::FOUND, Duration::from_secs(5))
            .await
            .is_some(),
        "the change never arrived"
    );
    assert_eq!(connections_to(&db.url).await, ["downtime listener"]);
    // So is the readiness check.
    assert_eq!(ready(&replica).await.0, StatusCode::OK);
    assert_eq!(connections_to(&db.url).await, ["downtime listener"]);
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL"
)]
async fn a_replica_is_ready_only_while_changes_are_pushed_to_it() {
    let (db, _admin) = crate::helpers::postgres_only().await;
    let cable = Cable::to(postgres_addr(&db.url).await).await;
    // The poll is a minute: whatever arrives sooner was pushed.
    let replica = Server::start(
        &cable.url_through(&db.url),
        &[("DOWNTIME_POLL_INTERVAL", "60s")],
    )
    .await;
    let (status, body) = ready(&replica).await;
    assert_eq!(
        (status, &body["changes"]),
        (StatusCode::OK, &json!("pushed"))
    );

    cable.cut();
    let unready = eventually(Duration::from_secs(15), || async {
        ready(&replica).await.0 == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert!(unready, "/readyz still ready without its listener");

    cable.restore();
    let ready_again = eventually(Duration::from_secs(15), || async {
        ready(&replica).await.0 == StatusCode::OK
    })
    .await;
    assert!(ready_again, "/readyz never recovered");
    // Ready again means listening again: a change made now is pushed at once.
    let out = downtime(&db.url, &["on", "--message", "Right after the outage"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        until_status(&replica, StatusCode::FOUND, Duration::from_secs(10))
            .await
            .is_some(),
        "a change made once the replica was ready again was not pushed"
    );
    let log = replica.stop().await;
    assert!(log.contains("listening for changes again"), "{log}");
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL"
)]
async fn a_replica_told_to_poll_only_holds_no_listener_and_is_ready() {
    let (db, _admin) = crate::helpers::postgres_only().await;
    let replica = Server::start(
        &db.url,
        &[
            ("DOWNTIME_POLL_ONLY", "true"),
            ("DOWNTIME_POLL_INTERVAL", "200ms"),
        ],
    )
    .await;
    let (status, body) = ready(&replica).await;
    assert_eq!(
        (status, &body["changes"]),
        (StatusCode::OK, &json!("polled"))
    );
    assert!(
        !connections_to(&db.url)
            .await
            .iter()
            .any(|name| name == "downtime listener")
    );
    let out = downtime(&db.url, &["on", "--message", "Polled"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        until_status(&replica, StatusCode::FOUND, Duration::from_secs(5))
            .await
            .is_some(),
        "the poll never found the change"
    );
}

#[tokio::test]
async fn concurrent_writers_keep_the_version_monotonic_and_the_log_complete() {
    for db in databases().await {
        let writers = 8;
        let runs = (0..writers).map(|i| {
            let url = db.url.clone();
            async move { downtime(&url, &["on", "--message", &format!("writer {i}")]).await }
        });
        for out in futures_util::future::join_all(runs).await {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                db.kind,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_history_complete(&db.url, writers).await;
    }
}

#[tokio::test]
async fn of_two_replicas_writing_with_one_etag_exactly_one_wins() {
    for db in databases().await {
        let env = [("DOWNTIME_DEV_IDP", "true")];
        let replicas = [
            Server::start(&db.url, &env).await,
            Server::start(&db.url, &env).await,
        ];
        let mut tokens = Vec::new();
        for replica in &replicas {
            tokens.push(script_token(replica).await);
        }
        let etag = replicas[0]
            .http
            .get(format!("{}/api/maintenance", replicas[0].base))
            .bearer_auth(&tokens[0])
            .send()
            .await
            .expect("get")
            .headers()["etag"]
            .to_str()
            .expect("etag")
            .to_owned();
        let writes = replicas.iter().zip(&tokens).map(|(replica, token)| {
            replica
                .http
                .put(format!("{}/api/maintenance", replica.base))
                .bearer_auth(token)
                .header("if-match", &etag)
                .json(&json!({ "enabled": true, "message": replica.base }))
                .send()
        });
        let mut statuses: Vec<StatusCode> = futures_util::future::join_all(writes)
            .await
            .into_iter()
            .map(|r| r.expect("put").status())
            .collect();
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
            "{}",
            db.kind
        );
        assert_history_complete(&db.url, 1).await;
    }
}
