//! Webhooks over real HTTP, to receivers in this process: signed (each URL with its own secret,
//! and bound to its URL), sent after the commit without holding up the write, retried and
//! given up within their bounds, and delivered once across replicas. Also the README's
//! receiver, run as written.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use downtime::Downtime;
use downtime::state::{Change, Window};
use downtime::webhook::{Retry, Webhook, WebhookUrl};
use entity::webhook_delivery as delivery;
use hmac::{Hmac, Mac as _};
use poem::http::{HeaderMap, StatusCode};
use poem::listener::{Acceptor as _, Listener as _, TcpListener};
use reqwest::StatusCode as Status;
use sea_orm::{Database, EntityTrait as _, QueryOrder as _};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::helpers::{
    BIN, LiveServer, Server, TestDb, databases, dev_config, downtime, eventually, free_addr,
    sqlite, start,
};

const SECRET: &str = "webhook-test-secret-0123456789abcdef";

/// One request a receiver got, and when.
struct Received {
    /// The URL of the receiver that got it.
    to: String,
    headers: HeaderMap,
    body: Vec<u8>,
    at: Instant,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
}

/// A webhook receiver on a free port: it reports each request at once, then answers the
/// `n`-th (from 0) as `answer(n)` says, after the pause it says.
struct Receiver {
    url: String,
    requests: mpsc::UnboundedReceiver<Received>,
    _server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Receiver {
    async fn start(
        answer: impl Fn(usize) -> (StatusCode, Duration) + Send + Sync + 'static,
    ) -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind");
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("address");
        let url = format!("http://{addr}/hooks/downtime");
        let (tx, requests) = mpsc::unbounded_channel();
        let count = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        let to = url.clone();
        let endpoint = poem::endpoint::make(move |req: poem::Request| {
            let (tx, count, answer) = (tx.clone(), Arc::clone(&count), Arc::clone(&answer));
            let to = to.clone();
            async move {
                let headers = req.headers().clone();
                let body = req.into_body().into_vec().await.unwrap_or_default();
                let n = count.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(Received {
                    to,
                    headers,
                    body,
                    at: Instant::now(),
                });
                let (status, pause) = answer(n);
                tokio::time::sleep(pause).await;
                status
            }
        });
        let server = tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
        Receiver {
            url,
            requests,
            _server: server,
        }
    }

    /// The next request, waiting up to `within` for it.
    async fn next(&mut self, within: Duration) -> Received {
        tokio::time::timeout(within, self.requests.recv())
            .await
            .expect("a webhook arrived in time")
            .expect("the receiver runs")
    }

    /// What has arrived and not been read yet.
    fn drain(&mut self) -> Vec<Received> {
        std::iter::from_fn(|| self.requests.try_recv().ok()).collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Downtime-Signature` a receiver at `url` with `secret` expects, computed here from the
/// documented scheme: v1 of `"<t>.<body>"`, v2 of `"<t>\n<url>\n<body>"`.
fn sign_with(secret: &str, timestamp: i64, url: &str, body: &[u8]) -> String {
    let mac = |parts: &[&[u8]]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        for part in parts {
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    };
    let t = timestamp.to_string();
    let v1 = mac(&[t.as_bytes(), b".", body]);
    let v2 = mac(&[t.as_bytes(), b"\n", url.as_bytes(), b"\n", body]);
    format!("t={timestamp},v1={v1},v2={v2}")
}

/// [`sign_with`] the shared secret.
fn sign(timestamp: i64, url: &str, body: &[u8]) -> String {
    sign_with(SECRET, timestamp, url, body)
}

/// The value of `key` in a `Downtime-Signature` header.
fn part<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    header
        .split(',')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

/// The header's `t`, when it is within a minute of this clock.
fn recent(received: &Received) -> Option<i64> {
    part(received.header("downtime-signature"), "t")
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|t| (Utc::now().timestamp() - t).abs() < 60)
}

/// Whether `received` passes a receiver's v2 check: made within a minute, with `secret`, for
/// a request to `url`.
fn passes_v2(received: &Received, secret: &str, url: &str) -> bool {
    let header = received.header("downtime-signature");
    recent(received).is_some_and(|t| {
        part(header, "v2") == part(&sign_with(secret, t, url, &received.body), "v2")
    })
}

/// Whether `received` passes the deprecated v1 check, which knows nothing of the URL.
fn passes_v1(received: &Received, secret: &str) -> bool {
    let header = received.header("downtime-signature");
    recent(received).is_some_and(|t| {
        part(header, "v1") == part(&sign_with(secret, t, "", &received.body), "v1")
    })
}

/// Whether `received` carries exactly the header its receiver expects with the shared secret
/// (`t`, `v1` and `v2`, in that order), made within a minute.
fn signed(received: &Received) -> bool {
    recent(received).is_some_and(|t| {
        sign(t, &received.to, &received.body) == received.header("downtime-signature")
    })
}

fn retry(first_delay_ms: u64, give_up_after_ms: u64) -> Retry {
    Retry {
        timeout: Duration::from_secs(2),
        first_delay: Duration::from_millis(first_delay_ms),
        max_delay: Duration::from_millis(first_delay_ms * 4),
        give_up_after: Duration::from_millis(give_up_after_ms),
    }
}

/// A live server with webhooks to `urls`, and the development provider for the API. An entry
/// without `events=` is sent changes only: the tests of delivery count one per change.
async fn webhook_site(db: &TestDb, urls: &[&str], retry: Retry) -> LiveServer {
    let mut config = dev_config();
    config.webhook.webhooks = urls
        .iter()
        .map(|u| {
            let entry = if u.contains("events=") {
                (*u).to_owned()
            } else {
                changes_only(u)
            };
            Webhook::parse(&entry).expect("webhook URL")
        })
        .collect();
    config.webhook.webhook_secret = Some(SecretString::from(SECRET));
    config.webhook.webhook_retry = retry;
    start(db, config).await
}

/// `url` sent changes only.
fn changes_only(url: &str) -> String {
    format!("{url} events=maintenance.changed")
}

async fn rows(db: &TestDb) -> Vec<delivery::Model> {
    let conn = Database::connect(db.url.as_str()).await.expect("connect");
    let rows = delivery::Entity::find()
        .order_by_asc(delivery::Column::AuditId)
        .all(&conn)
        .await
        .expect("deliveries");
    conn.close().await.ok();
    rows
}

#[tokio::test]
async fn a_change_is_posted_once_signed_and_the_write_does_not_wait_for_the_receiver() {
    for db in databases().await {
        // A receiver that takes 5 s to answer.
        let mut receiver =
            Receiver::start(|_| (StatusCode::NO_CONTENT, Duration::from_secs(5))).await;
        let site = webhook_site(&db, &[&receiver.url], Retry::default()).await;
        let token = site.token().await;

        let started = Instant::now();
        let put = crate::helpers::http()
            .put(format!("{}/api/maintenance?reason=release%207", site.base))
            .bearer_auth(&token)
            .json(&json!({"enabled": true, "message": "Upgrading the database"}))
            .send()
            .await
            .expect("PUT");
        let took = started.elapsed();
        assert_eq!(put.status(), Status::OK, "{}", db.kind);
        assert!(
            took < Duration::from_secs(3),
            "{}: the PUT took {took:?}",
            db.kind
        );
        let state: Value = put.json().await.expect("state");

        let got = receiver.next(Duration::from_secs(10)).await;
        assert_eq!(got.header("content-type"), "application/json");
        assert_eq!(got.header("downtime-event"), "maintenance.changed");
        let id = got.header("downtime-delivery").to_owned();
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(signed(&got), "{}: bad signature", db.kind);
        let mut tampered = Received {
            to: got.to.clone(),
            headers: got.headers.clone(),
            body: got.body.clone(),
            at: got.at,
        };
        tampered.body.push(b' ');
        assert!(!signed(&tampered), "the check in this test checks nothing");

        let body = got.json();
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body["event"], "maintenance.changed");
        assert_eq!(body["change"], "on");
        assert_eq!(body["actor"], state["updated_by"]);
        assert_eq!(body["reason"], "release 7");
        assert_eq!(body["version"], 2);
        assert_eq!(body["version"], state["version"]);
        assert!(body["at"].is_string(), "{body}");
        assert_eq!(body["before"]["enabled"], false);
        assert_eq!(body["before"]["version"], 1);
        assert_eq!(body["after"]["enabled"], true);
        assert_eq!(body["after"]["message"], "Upgrading the database");
        assert_eq!(body["after"]["version"], 2);

        // Delivered when the slow answer comes, and only once.
        let stats = site.downtime.webhook_stats();
        let delivered = eventually(Duration::from_secs(10), || async {
            stats.snapshot().delivered == 1
        })
        .await;
        assert!(delivered, "{}: {:?}", db.kind, stats.snapshot());
        let rows = rows(&db).await;
        assert_eq!(rows.len(), 1, "{}", db.kind);
        assert_eq!(rows[0].id, id);
        assert_eq!(rows[0].status, "delivered");
        assert_eq!(rows[0].attempts, 1);
        assert_eq!(rows[0].claimed_by, None);
        assert!(receiver.drain().is_empty(), "{}: sent twice", db.kind);
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_growing_pauses_until_accepted() {
    for db in databases().await {
        let mut receiver = Receiver::start(|n| {
            let status = if n < 2 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            };
            (status, Duration::ZERO)
        })
        .await;
        let site = webhook_site(&db, &[&receiver.url], retry(200, 30_000)).await;
        site.maintenance_on().await;

        let first = receiver.next(Duration::from_secs(10)).await;
        let second = receiver.next(Duration::from_secs(10)).await;
        let third = receiver.next(Duration::from_secs(10)).await;
        let id = first.header("downtime-delivery").to_owned();
        for got in [&first, &second, &third] {
            assert_eq!(got.header("downtime-delivery"), id, "one delivery, retried");
            assert_eq!(got.json()["id"], id.as_str());
            assert_eq!(got.json()["version"], 2);
            assert!(signed(got));
        }
        // Pauses of 200 ms, then 400 ms.
        let pauses = [second.at - first.at, third.at - second.at];
        assert!(pauses[0] >= Duration::from_millis(190), "{pauses:?}");
        assert!(pauses[1] >= Duration::from_millis(390), "{pauses:?}");

        let stats = site.downtime.webhook_stats();
        let delivered = eventually(Duration::from_secs(10), || async {
            stats.snapshot().delivered == 1
        })
        .await;
        assert!(delivered, "{}: {:?}", db.kind, stats.snapshot());
        assert_eq!(stats.snapshot().failed_attempts, 2);
        assert_eq!(stats.snapshot().given_up, 0);
        let rows = rows(&db).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, "delivered");
        assert_eq!(rows[0].attempts, 3);
        assert_eq!(rows[0].last_error, None);
        assert!(receiver.drain().is_empty(), "{}: sent again", db.kind);
    }
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_is_given_up_within_the_bound_and_counted() {
    for db in databases().await {
        let mut failing =
            Receiver::start(|_| (StatusCode::SERVICE_UNAVAILABLE, Duration::ZERO)).await;
        // Nothing listens there: every attempt is refused.
        let refused = format!("http://{}/hook?token=s3cret-token", free_addr());
        let site = webhook_site(&db, &[&failing.url, &refused], retry(100, 1_500)).await;
        let changed = Instant::now();
        site.maintenance_on().await;

        let stats = site.downtime.webhook_stats();
        let given_up = eventually(Duration::from_secs(10), || async {
            stats.snapshot().given_up == 2
        })
        .await;
        assert!(given_up, "{}: {:?}", db.kind, stats.snapshot());
        let gave_up_after = changed.elapsed();
        assert!(
            gave_up_after < Duration::from_secs(4),
            "{}: given up after {gave_up_after:?}",
            db.kind
        );

        let attempts = failing.drain();
        assert!(
            attempts.len() >= 3,
            "{}: {} attempts",
            db.kind,
            attempts.len()
        );
        let last = attempts.last().map(|a| a.at - changed).unwrap_or_default();
        assert!(
            last <= Duration::from_secs(2),
            "last attempt after {last:?}"
        );
        let rows = rows(&db).await;
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.status == "failed"), "{rows:?}");
        let total: i32 = rows.iter().map(|r| r.attempts).sum();
        assert_eq!(
            stats.snapshot().failed_attempts,
            u64::try_from(total).expect("count")
        );
        assert_eq!(stats.snapshot().delivered, 0);
        let to_failing = rows
            .iter()
            .find(|r| r.endpoint == failing.url)
            .expect("the failing receiver's row");
        assert_eq!(
            usize::try_from(to_failing.attempts).ok(),
            Some(attempts.len())
        );
        assert!(
            to_failing
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("503")),
            "{to_failing:?}"
        );
        let to_nobody = rows
            .iter()
            .find(|r| r.endpoint != failing.url)
            .expect("the refused URL's row");
        assert!(!to_nobody.endpoint.contains("s3cret"), "{to_nobody:?}");
        let error = to_nobody.last_error.as_deref().unwrap_or_default();
        assert!(error.starts_with("cannot connect"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
        assert!(failing.drain().is_empty(), "attempts after giving up");
    }
}

#[tokio::test]
async fn with_two_replicas_each_change_is_delivered_once_in_total() {
    for db in databases().await {
        let receiver = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
        let mut receiver = receiver;
        // A change before any server runs is history: not delivered.
        let before = downtime(&db.url, &["on", "--reason", "history"]).await;
        assert_eq!(before.status.code(), Some(0));

        let hook = changes_only(&receiver.url);
        let env = [
            ("DOWNTIME_WEBHOOKS", hook.as_str()),
            ("DOWNTIME_WEBHOOK_SECRET", SECRET),
        ];
        let replicas = [
            Server::start(&db.url, &env).await,
            Server::start(&db.url, &env).await,
        ];
        // From the CLI, which sends nothing itself, and from a process of this test's, which
        // neither does.
        let writer = downtime::state::StateService::open(&db.url)
            .await
            .expect("open");
        let mut versions = Vec::new();
        for n in 0..6 {
            let state = if n % 3 == 2 {
                let window = Window {
                    enabled: n % 2 == 0,
                    ..Window::off()
                };
                writer
                    .apply(window, Change::by("test"))
                    .await
                    .expect("apply")
            } else {
                let out = downtime(&db.url, &[if n % 2 == 0 { "off" } else { "on" }]).await;
                assert_eq!(out.status.code(), Some(0), "{out:?}");
                writer.current().await.expect("state")
            };
            versions.push(state.version);
        }
        assert_eq!(versions, (3..=8).collect::<Vec<i64>>());

        let mut seen: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        while seen.len() < versions.len() {
            let got = receiver.next(Duration::from_secs(20)).await;
            assert!(signed(&got));
            let version = got.json()["version"].as_i64().expect("version");
            seen.entry(version)
                .or_default()
                .push(got.header("downtime-delivery").to_owned());
        }
        // Recorded as delivered once each: any second sender would have posted by then.
        let recorded = eventually(Duration::from_secs(10), || async {
            let rows = rows(&db).await;
            rows.len() == versions.len() && rows.iter().all(|r| r.status == "delivered")
        })
        .await;
        assert!(recorded, "{}: {:?}", db.kind, rows(&db).await);
        for extra in receiver.drain() {
            let version = extra.json()["version"].as_i64().expect("version");
            seen.entry(version)
                .or_default()
                .push(extra.header("downtime-delivery").to_owned());
        }
        assert_eq!(
            seen.keys().copied().collect::<Vec<_>>(),
            versions,
            "{}: history was replayed",
            db.kind
        );
        for (version, ids) in &seen {
            assert_eq!(ids.len(), 1, "{}: version {version} sent {ids:?}", db.kind);
        }
        assert!(rows(&db).await.iter().all(|r| r.attempts == 1));

        for replica in replicas {
            let log = replica.stop().await;
            assert!(!log.contains(SECRET), "the secret is logged");
        }
    }
}

#[tokio::test]
async fn each_url_is_signed_with_its_own_secret_from_the_environment_or_a_file() {
    const SECRET_A: &str = "secret-of-receiver-a-0123456789abcdef";
    const SECRET_B: &str = "secret-of-receiver-b-0123456789abcdef";
    let db = sqlite();
    let mut a = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let mut b = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("hook-b.secret");
    std::fs::write(&file, format!("{SECRET_B}\n")).expect("write the secret");
    // Both in the variable, with options; no shared --webhook-secret at all.
    let hooks = format!(
        "{} secret=env:HOOK_A_SECRET events=maintenance.changed, {} format=json secret=file:{} events=maintenance.changed",
        a.url,
        b.url,
        file.display()
    );
    let env = [
        ("DOWNTIME_WEBHOOKS", hooks.as_str()),
        ("HOOK_A_SECRET", SECRET_A),
    ];
    let server = Server::start(&db.url, &env).await;

    let on = downtime(&db.url, &["on", "--reason", "per-URL secrets"]).await;
    assert_eq!(on.status.code(), Some(0), "{on:?}");
    let to_a = a.next(Duration::from_secs(20)).await;
    let to_b = b.next(Duration::from_secs(20)).await;

    for (got, own, other) in [(&to_a, SECRET_A, SECRET_B), (&to_b, SECRET_B, SECRET_A)] {
        assert_eq!(got.header("content-type"), "application/json");
        assert_eq!(got.header("downtime-event"), "maintenance.changed");
        assert_eq!(got.json()["reason"], "per-URL secrets");
        let header = got.header("downtime-signature");
        let t = recent(got).expect("a recent t");
        assert_eq!(header, sign_with(own, t, &got.to, &got.body), "{}", got.to);
        assert!(passes_v2(got, own, &got.to), "{}", got.to);
        assert!(
            !passes_v2(got, other, &got.to),
            "{}: the other secret",
            got.to
        );
    }
    let log = server.stop().await;
    assert!(
        !log.contains(SECRET_A) && !log.contains(SECRET_B),
        "a secret is logged"
    );
}

#[tokio::test]
async fn a_delivery_replayed_to_another_url_fails_its_v2_check() {
    let db = sqlite();
    let mut a = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let mut b = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    // The worst case: both URLs share the secret.
    let site = webhook_site(&db, &[&a.url, &b.url], Retry::default()).await;
    site.maintenance_on().await;
    let for_a = a.next(Duration::from_secs(10)).await;
    let for_b = b.next(Duration::from_secs(10)).await;
    assert!(signed(&for_a) && signed(&for_b));
    assert!(passes_v2(&for_b, SECRET, &b.url));

    // A's receiver sends what it got on to B, well within the 5 minutes.
    let replay = crate::helpers::http()
        .post(&b.url)
        .header("content-type", "application/json")
        .header("downtime-event", for_a.header("downtime-event"))
        .header("downtime-delivery", for_a.header("downtime-delivery"))
        .header("downtime-signature", for_a.header("downtime-signature"))
        .body(for_a.body.clone())
        .send()
        .await
        .expect("replay");
    assert!(replay.status().is_success());
    let replayed = b.next(Duration::from_secs(10)).await;
    assert_eq!(replayed.body, for_a.body);

    assert!(
        !passes_v2(&replayed, SECRET, &b.url),
        "B's v2 check takes A's delivery"
    );
    assert!(passes_v2(&replayed, SECRET, &a.url), "the delivery is A's");
    // What v2 fixes: v1, which does not sign the URL, lets the replay through.
    assert!(passes_v1(&replayed, SECRET));
}

#[tokio::test]
async fn bad_webhook_settings_stop_the_server_with_one_line() {
    let db = sqlite();
    // Flags, environment, and what the one line says.
    type Case = (
        Vec<&'static str>,
        Vec<(&'static str, &'static str)>,
        &'static str,
    );
    let cases: [Case; 12] = [
        (
            vec!["--webhook", "ftp://example.com/hook"],
            vec![],
            "only http and https",
        ),
        (
            vec!["--webhook", "example.com/hook"],
            vec![],
            "not a webhook URL",
        ),
        (
            vec![],
            vec![("DOWNTIME_WEBHOOKS", "http://127.0.0.1:9/hook")],
            "--webhook needs --webhook-secret",
        ),
        (
            vec!["--webhook", "https://example.com/hook"],
            vec![("DOWNTIME_WEBHOOK_SECRET", "too-short-s3cret")],
            "32 characters or more",
        ),
        (
            vec!["--webhook", "https://example.com/hook colour=red"],
            vec![("DOWNTIME_WEBHOOK_SECRET", SECRET)],
            "--webhook https://example.com/hook: unknown option `colour` (options: secret, format, events)",
        ),
        (
            vec![],
            vec![
                (
                    "DOWNTIME_WEBHOOKS",
                    "https://a.example/hook,https://b.example/hook colour=red",
                ),
                ("DOWNTIME_WEBHOOK_SECRET", SECRET),
            ],
            "--webhook https://b.example/hook: unknown option `colour`",
        ),
        (
            vec!["--webhook", "https://example.com/hook format=xml"],
            vec![("DOWNTIME_WEBHOOK_SECRET", SECRET)],
            "unknown format `xml` (known: json, slack)",
        ),
        (
            vec![
                "--webhook",
                "https://example.com/hook events=maintenance.begun",
            ],
            vec![("DOWNTIME_WEBHOOK_SECRET", SECRET)],
            "unknown event `maintenance.begun` (known: maintenance.changed, maintenance.scheduled, maintenance.reminder, maintenance.started, maintenance.ended)",
        ),
        (
            vec![
                "--webhook",
                "https://example.com/hook secret=literal-s3cret-0123456789abcdef",
            ],
            vec![],
            "secret= takes env:NAME or file:PATH",
        ),
        (
            vec![
                "--webhook",
                "https://example.com/hook secret=env:HOOK_UNSET",
            ],
            vec![],
            "the variable is not set",
        ),
        (
            vec![
                "--webhook",
                "https://example.com/hook?token=s3cret secret=env:HOOK_SECRET",
            ],
            vec![("HOOK_SECRET", "too-short-s3cret")],
            "--webhook https://example.com/hook: its secret must be 32 characters or more",
        ),
        (
            vec![
                "--webhook",
                "https://a.example/hook secret=env:HOOK_SECRET",
                "--webhook",
                "https://b.example/hook",
            ],
            vec![("HOOK_SECRET", SECRET)],
            "https://b.example/hook has none",
        ),
    ];
    for (args, env, expected) in cases {
        let out = tokio::process::Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(&args)
            .env("DATABASE_URL", &db.url)
            .env_remove("DOWNTIME_WEBHOOKS")
            .env_remove("DOWNTIME_WEBHOOK_SECRET")
            .envs(env.iter().copied())
            .output()
            .await
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(expected),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "the secret is repeated: {err}");
        assert!(!err.contains(SECRET), "the secret is repeated: {err}");
    }

    let built = Downtime::builder()
        .database_url(db.url.clone())
        .webhooks([WebhookUrl::parse("https://example.com/hook").expect("url")])
        .build()
        .await;
    let error = built.map(|_| ()).expect_err("a webhook without a secret");
    assert!(error.to_string().contains("--webhook-secret"), "{error}");
}

/// The README's receiver, verbatim.
fn readme_receiver() -> String {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```python\n")
        .expect("a Python block in the README")
        + "```python\n".len();
    let end = readme[start..].find("\n```").expect("its end") + start;
    readme[start..end].to_owned()
}

fn python() -> Option<&'static str> {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have python3 for the README's receiver"
        );
        eprintln!("skipped: no python3 on this machine");
    }
    found.then_some("python3")
}

#[tokio::test]
async fn the_readmes_receiver_accepts_real_deliveries_and_refuses_forgeries_and_replays() {
    use tokio::io::AsyncBufReadExt as _;
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let script = dir.path().join("receiver.py");
    std::fs::write(&script, readme_receiver()).expect("write the receiver");
    let addr = free_addr();
    let url = format!("http://{addr}/webhook");
    let mut child = tokio::process::Command::new(python)
        .arg(&script)
        .env("DOWNTIME_WEBHOOK_SECRET", SECRET)
        .env("DOWNTIME_WEBHOOK_URL", &url)
        .env("PORT", addr.port().to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the receiver");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let listening = eventually(Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(addr).await.is_ok()
    })
    .await;
    assert!(listening, "the README's receiver did not start");

    // Another receiver shares the secret: what it gets is replayed to the README's.
    let mut other = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let db = sqlite();
    let site = webhook_site(&db, &[&url, &other.url], retry(100, 5_000)).await;
    site.maintenance_on().await;
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("the receiver printed the event in time")
        .expect("stdout")
        .expect("a line");
    assert!(
        line.starts_with("maintenance.changed by test at "),
        "{line}"
    );
    let stats = site.downtime.webhook_stats();
    let delivered = eventually(Duration::from_secs(10), || async {
        stats.snapshot().delivered == 2
    })
    .await;
    assert!(delivered, "{:?}", stats.snapshot());
    assert_eq!(stats.snapshot().failed_attempts, 0);
    let captured = other.next(Duration::from_secs(10)).await;

    // Forgeries: the signature of another body, one made too long ago, none at all, v1
    // alone, v2 made for another URL; then a real delivery to another URL, replayed.
    let body = br#"{"id":"x","event":"maintenance.changed","change":"off","version":9,"actor":"mallory","at":"2026-12-03T10:00:00Z"}"#;
    let now = Utc::now().timestamp();
    let v1_only = sign(now, &url, body)
        .split(",v2=")
        .next()
        .unwrap_or_default()
        .to_owned();
    let http = crate::helpers::http();
    let post = |signature: Option<String>, body: Vec<u8>| {
        let mut req = http
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            req = req.header("downtime-signature", signature);
        }
        req.send()
    };
    let replay = captured.header("downtime-signature").to_owned();
    let cases = [
        (Some(sign(now, &url, b"{}")), &body[..], Status::BAD_REQUEST),
        (Some(sign(now - 600, &url, body)), body, Status::BAD_REQUEST),
        (None, body, Status::BAD_REQUEST),
        (Some(v1_only), body, Status::BAD_REQUEST),
        (Some(sign(now, &other.url, body)), body, Status::BAD_REQUEST),
        (Some(replay), &captured.body, Status::BAD_REQUEST),
        (Some(sign(now, &url, body)), body, Status::NO_CONTENT),
    ];
    for (signature, body, expected) in cases {
        let resp = post(signature.clone(), body.to_vec()).await.expect("POST");
        assert_eq!(resp.status(), expected, "{signature:?}");
    }
    child.kill().await.ok();
}

/// When `at`, still ahead, comes on this test's clock.
fn instant_of(at: chrono::DateTime<Utc>) -> Instant {
    let ahead = (at - Utc::now()).to_std().unwrap_or_default();
    Instant::now() + ahead
}

/// How far apart two moments are, whichever came first.
fn apart(a: Instant, b: Instant) -> Duration {
    if a > b { a - b } else { b - a }
}

#[tokio::test]
async fn a_window_run_by_the_clock_is_told_once_each_when_set_reminded_started_and_ended() {
    for db in databases().await {
        let mut receiver = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
        let hook = format!(
            "{} events=maintenance.scheduled,maintenance.reminder,maintenance.started,maintenance.ended",
            receiver.url
        );
        // Reminders 2 s ahead (due) and 60 s ahead (already past when the window is set).
        let env = [
            ("DOWNTIME_WEBHOOKS", hook.as_str()),
            ("DOWNTIME_WEBHOOK_SECRET", SECRET),
            ("DOWNTIME_REMIND_BEFORE", "2s,60s"),
        ];
        let replicas = [
            Server::start(&db.url, &env).await,
            Server::start(&db.url, &env).await,
            Server::start(&db.url, &env).await,
        ];
        use chrono::SubsecRound as _;
        let start = (Utc::now() + chrono::TimeDelta::seconds(4)).trunc_subsecs(0);
        let end = start + chrono::TimeDelta::seconds(2);
        let on = downtime(
            &db.url,
            &[
                "on",
                "--from",
                &start.to_rfc3339(),
                "--until",
                &end.to_rfc3339(),
                "--reason",
                "database upgrade",
            ],
        )
        .await;
        assert_eq!(on.status.code(), Some(0), "{on:?}");
        let set = Instant::now();
        let (start_at, end_at) = (instant_of(start), instant_of(end));

        let mut got: Vec<Received> = Vec::new();
        while got.len() < 4 {
            got.push(receiver.next(Duration::from_secs(15)).await);
        }
        // Any second sender would have posted by now.
        tokio::time::sleep(Duration::from_secs(1)).await;
        got.extend(receiver.drain());
        let events: Vec<&str> = got.iter().map(|g| g.header("downtime-event")).collect();
        assert_eq!(
            events,
            [
                "maintenance.scheduled",
                "maintenance.reminder",
                "maintenance.started",
                "maintenance.ended"
            ],
            "{}: each once, in order",
            db.kind
        );
        for received in &got {
            assert!(signed(received), "{}: bad signature", db.kind);
            let body = received.json();
            assert_eq!(body["id"], received.header("downtime-delivery"));
            assert_eq!(body["event"], received.header("downtime-event"));
            assert_eq!(body["late"], false, "{body}");
            assert!(body["window"]["starts_at"].is_string(), "{body}");
        }
        let [scheduled, reminder, started, ended] = &got[..] else {
            unreachable!("four events")
        };
        let second = Duration::from_secs(1);
        assert!(apart(scheduled.at, set) < second, "{}", db.kind);
        assert_eq!(scheduled.json()["actor"], "cli:ada");
        assert_eq!(scheduled.json()["reason"], "database upgrade");
        let due = start_at - Duration::from_secs(2);
        assert!(apart(reminder.at, due) < second, "{}: reminder", db.kind);
        assert_eq!(reminder.json()["starts_in_secs"], 2);
        assert_eq!(reminder.json()["actor"], "clock");
        let time = |v: &Value| {
            chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
                .expect("RFC 3339")
                .to_utc()
        };
        assert!(apart(started.at, start_at) < second, "{}: start", db.kind);
        assert_eq!(time(&started.json()["at"]), start);
        assert_eq!(started.json()["actor"], "clock");
        assert!(apart(ended.at, end_at) < second, "{}: end", db.kind);
        let ended = ended.json();
        assert_eq!(time(&ended["at"]), end);
        assert_eq!(time(&ended["started_at"]), start);
        assert_eq!(ended["lasted_secs"], 2);

        for replica in replicas {
            let log = replica.stop().await;
            assert!(!log.contains(SECRET), "the secret is logged");
            // One line each for the start and the end, the same on every replica.
            let lines = |what: &str| {
                log.lines()
                    .filter(|line| line.contains(what))
                    .collect::<Vec<_>>()
            };
            let [started] = lines("maintenance started")[..] else {
                panic!("{}: not one start logged: {log}", db.kind)
            };
            assert!(
                started.contains("event=\"maintenance.started\""),
                "{started}"
            );
            let rfc3339 =
                |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            assert!(
                started.contains(&format!("at={}", rfc3339(start))),
                "{started}"
            );
            assert!(started.contains("by=\"clock\""), "{started}");
            let [ended] = lines("maintenance ended")[..] else {
                panic!("{}: not one end logged: {log}", db.kind)
            };
            assert!(ended.contains(&format!("at={}", rfc3339(end))), "{ended}");
        }
    }
}

#[tokio::test]
async fn switching_on_and_off_tells_started_and_ended_with_the_time_it_lasted() {
    let db = sqlite();
    let mut receiver = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let hook = format!(
        "{} events=maintenance.started,maintenance.ended",
        receiver.url
    );
    let site = webhook_site(&db, &[&hook], Retry::default()).await;
    site.switch_on(Window::on()).await;
    let started = receiver.next(Duration::from_secs(10)).await;
    assert_eq!(started.header("downtime-event"), "maintenance.started");
    assert_eq!(
        started.json()["actor"],
        started.json()["window"]["updated_by"]
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    site.maintenance_off().await;
    let ended = receiver.next(Duration::from_secs(10)).await;
    assert_eq!(ended.header("downtime-event"), "maintenance.ended");
    let body = ended.json();
    assert_eq!(body["started_at"], started.json()["at"], "{body}");
    assert!(
        body["lasted_secs"].as_i64().is_some_and(|s| s >= 1),
        "{body}"
    );
    assert_eq!(
        body["window"]["enabled"], true,
        "the window that ended: {body}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.drain().is_empty(), "told twice");
}

#[tokio::test]
async fn a_start_no_replica_saw_is_sent_late_by_the_first_one_back() {
    let db = sqlite();
    let mut receiver = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let hook = format!(
        "{} events=maintenance.started,maintenance.ended",
        receiver.url
    );
    let env = [
        ("DOWNTIME_WEBHOOKS", hook.as_str()),
        ("DOWNTIME_WEBHOOK_SECRET", SECRET),
    ];
    let replica = Server::start(&db.url, &env).await;
    use chrono::SubsecRound as _;
    let start = (Utc::now() + chrono::TimeDelta::seconds(2)).trunc_subsecs(0);
    let on = downtime(
        &db.url,
        &["on", "--from", &start.to_rfc3339(), "--for", "1h"],
    )
    .await;
    assert_eq!(on.status.code(), Some(0), "{on:?}");
    // Down across the start, and for longer than an event may be late.
    replica.stop().await;
    let back_at = instant_of(start) + Duration::from_secs(11);
    tokio::time::sleep_until(back_at.into()).await;
    assert!(receiver.drain().is_empty(), "nothing ran to send it");

    let back = Server::start(&db.url, &env).await;
    let started = receiver.next(Duration::from_secs(10)).await;
    assert_eq!(started.header("downtime-event"), "maintenance.started");
    let body = started.json();
    assert_eq!(body["late"], true, "{body}");
    assert_eq!(body["actor"], "clock");
    let at = chrono::DateTime::parse_from_rfc3339(body["at"].as_str().expect("at"))
        .expect("RFC 3339")
        .to_utc();
    assert_eq!(at, start, "when it started, not when it was sent");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.drain().is_empty(), "sent once");
    back.stop().await;
}

/// `time` as a chat message writes it for an event at `at`: the day only when it differs.
fn chat_time(time: chrono::DateTime<Utc>, at: chrono::DateTime<Utc>) -> String {
    if time.date_naive() == at.date_naive() {
        time.format("%H:%M UTC").to_string()
    } else {
        time.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

#[tokio::test]
async fn a_slack_url_gets_each_event_as_a_chat_message_in_the_pages_language() {
    for db in databases().await {
        let mut receiver = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
        let mut config = dev_config();
        config.webhook.webhooks =
            vec![Webhook::parse(&format!("{} format=slack", receiver.url)).expect("webhook")];
        config.webhook.webhook_secret = Some(SecretString::from(SECRET));
        config.webhook.remind_before = vec![Duration::from_secs(1)];
        let site = start(&db, config).await;
        use chrono::SubsecRound as _;
        let start_at = (Utc::now() + chrono::TimeDelta::seconds(3)).trunc_subsecs(0);
        let end = start_at + chrono::TimeDelta::seconds(1);
        let window = Window {
            enabled: true,
            starts_at: Some(start_at),
            ends_at: Some(end),
            // Slack would ping the whole channel for `<!channel>`: it must arrive as text.
            message: Some("Upgrading the database <!channel> & more".into()),
            ..Window::off()
        };
        let change = Change::by("ops@example.com").because(Some("ticket 42".into()));
        let set = site.service.apply(window, change).await.expect("apply");

        let mut got = BTreeMap::new();
        while got.len() < 5 {
            let received = receiver.next(Duration::from_secs(15)).await;
            assert!(signed(&received), "{}: signed like any other", db.kind);
            assert_eq!(received.header("content-type"), "application/json");
            let event = received.header("downtime-event").to_owned();
            let body = received.json();
            let fields: Vec<&String> = body.as_object().expect("an object").keys().collect();
            assert_eq!(fields, ["text"], "{}: {body}", db.kind);
            let text = body["text"].as_str().expect("text").to_owned();
            assert!(got.insert(event, text).is_none(), "{}: told twice", db.kind);
        }
        let what = "Upgrading the database &lt;!channel&gt; &amp; more";
        let (from, until) = (
            chat_time(start_at, set.updated_at),
            chat_time(end, set.updated_at),
        );
        assert_eq!(
            got["maintenance.changed"],
            format!(
                "ops@example.com changed the maintenance window: from {from} (until {until}): {what}\nReason: ticket 42"
            ),
            "{}",
            db.kind
        );
        assert_eq!(
            got["maintenance.scheduled"],
            format!(
                "Maintenance scheduled from {from} (until {until}): {what}\nBy ops@example.com.\nReason: ticket 42"
            )
        );
        let reminded = start_at - chrono::TimeDelta::seconds(1);
        assert_eq!(
            got["maintenance.reminder"],
            format!(
                "Maintenance starts in 1 minute: {what} (until {})",
                chat_time(end, reminded)
            )
        );
        assert_eq!(
            got["maintenance.started"],
            format!(
                "Maintenance started: {what} (until {})",
                chat_time(end, start_at)
            )
        );
        assert_eq!(
            got["maintenance.ended"],
            "Maintenance is over after 1 minute: the site is back."
        );
        drop(site);
    }
}

#[tokio::test]
async fn a_chat_message_is_written_in_the_default_language() {
    let db = sqlite();
    let mut receiver = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let mut config = dev_config();
    config.webhook.webhooks = vec![
        Webhook::parse(&format!(
            "{} format=slack events=maintenance.started",
            receiver.url
        ))
        .expect("webhook"),
    ];
    config.webhook.webhook_secret = Some(SecretString::from(SECRET));
    config.default_language = "fr".into();
    let site = start(&db, config).await;
    site.switch_on(Window::on()).await;
    let started = receiver.next(Duration::from_secs(10)).await;
    assert_eq!(
        started.json()["text"],
        "La maintenance a commencé : le site est fermé aux visiteurs (jusqu’à nouvel ordre)\nPar test."
    );
}

#[tokio::test]
async fn a_start_is_sent_on_time_by_another_replica_when_one_is_down() {
    let db = sqlite();
    let mut receiver = Receiver::start(|_| (StatusCode::OK, Duration::ZERO)).await;
    let hook = format!("{} events=maintenance.started", receiver.url);
    let env = [
        ("DOWNTIME_WEBHOOKS", hook.as_str()),
        ("DOWNTIME_WEBHOOK_SECRET", SECRET),
    ];
    let (down, up) = (
        Server::start(&db.url, &env).await,
        Server::start(&db.url, &env).await,
    );
    use chrono::SubsecRound as _;
    let start = (Utc::now() + chrono::TimeDelta::seconds(2)).trunc_subsecs(0);
    let on = downtime(
        &db.url,
        &["on", "--from", &start.to_rfc3339(), "--for", "1h"],
    )
    .await;
    assert_eq!(on.status.code(), Some(0), "{on:?}");
    down.stop().await;
    let started = receiver.next(Duration::from_secs(10)).await;
    assert!(
        apart(started.at, instant_of(start)) < Duration::from_secs(1),
        "on time"
    );
    assert_eq!(started.json()["late"], false);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.drain().is_empty(), "sent once");
    up.stop().await;
}
