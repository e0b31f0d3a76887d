//! A real server process, and the CLI changing its state from another process.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::helpers::{BIN, Server, databases, downtime, eventually, until_status};

#[tokio::test]
async fn a_running_server_follows_the_cli_within_a_second() {
    for db in databases().await {
        let server = Server::start(&db.url, &[]).await;
        assert_eq!(server.status_of("/").await, StatusCode::OK);
        assert_eq!(server.status_of("/healthz").await, StatusCode::OK);

        let out = downtime(&db.url, &["on", "--message", "Back soon"]).await;
        assert_eq!(out.status.code(), Some(0));
        let switched = Instant::now();
        let gated = eventually(Duration::from_secs(1), || async {
            server.status_of("/about").await == StatusCode::FOUND
        })
        .await;
        assert!(
            gated,
            "{}: not gated {:?} after the CLI switched on",
            db.kind,
            switched.elapsed()
        );
        let page = server.get("/maintenance").await;
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()["retry-after"], "300");
        assert!(page.text().await.expect("body").contains("Back soon"));

        let out = downtime(&db.url, &["off"]).await;
        assert_eq!(out.status.code(), Some(0));
        let open = eventually(Duration::from_secs(1), || async {
            server.status_of("/about").await == StatusCode::OK
        })
        .await;
        assert!(open, "{}: still gated after the CLI switched off", db.kind);

        let log = server.stop().await;
        assert!(log.contains("request gated"), "{log}");
        assert!(log.contains("path=\"/about\""), "{log}");
        assert!(log.contains("maintenance state changed"), "{log}");
        assert!(log.contains("server stopped"), "graceful shutdown: {log}");
    }
}

#[tokio::test]
async fn maintenance_mode_from_the_environment_gates_from_the_first_request() {
    let db = crate::helpers::sqlite();
    let server = Server::start(&db.url, &[("MAINTENANCE_MODE", "on")]).await;
    let resp = server
        .http
        .get(format!("{}/api/demo/items", server.base))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    server.stop().await;

    let history = downtime(&db.url, &["history", "--json"]).await;
    let entries: serde_json::Value = serde_json::from_slice(&history.stdout).expect("JSON");
    assert_eq!(entries[0]["actor"], "environment");
    assert_eq!(entries[0]["reason"], "MAINTENANCE_MODE=on");

    let server = Server::start(&db.url, &[("MAINTENANCE_MODE", "off")]).await;
    assert_eq!(server.status_of("/").await, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_maintenance_mode_value_is_a_usage_error() {
    let db = crate::helpers::sqlite();
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db.url)
        .env("MAINTENANCE_MODE", "maybe")
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("maybe"), "{err}");
}

/// Reads the server's peak resident memory, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib * 1024
}

/// Sends `head` then chunked data until `total` bytes went or the server stopped reading, and
/// returns the status line the server answered with.
async fn post_chunked(addr: &str, head: &str, total: usize) -> String {
    use tokio::io::AsyncWriteExt as _;
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let head = head.to_owned();
    let sender = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        let chunk = vec![b'a'; 1 << 20];
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        let mut sent = 0;
        while sent < total {
            write.write_all(&framed).await?;
            sent += framed.len();
        }
        write.write_all(b"0\r\n\r\n").await?;
        Ok::<_, std::io::Error>(sent)
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    sender.abort();
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn huge_bodies_are_refused_with_memory_flat() {
    let db = crate::helpers::sqlite();
    let server = Server::start(&db.url, &[]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let pid = server.child.id().expect("pid");
    let before = peak_rss(pid);
    const HUNDREDS_OF_MB: usize = 300 << 20;
    for (path, content_type) in [
        ("/contact", "application/x-www-form-urlencoded"),
        ("/api/demo/items", "application/json"),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let status = post_chunked(&addr, &head, HUNDREDS_OF_MB).await;
        assert!(status.contains(" 413 "), "{path}: {status:?}");
        // Announced, it is refused before a byte of it is read.
        let resp = server
            .http
            .post(format!("{}{path}", server.base))
            .header("content-type", content_type)
            .header("content-length", HUNDREDS_OF_MB.to_string())
            .send()
            .await;
        if let Ok(resp) = resp {
            assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        }
    }
    let grew = peak_rss(pid).saturating_sub(before);
    assert!(grew < 16 << 20, "peak RSS grew by {grew} bytes");
    // A body within the limit still works. A fresh client: the server closes the connections
    // it refused bodies on, and a pooled one may be one of them.
    let resp = crate::helpers::http()
        .post(format!("{}/api/demo/items", server.base))
        .json(&serde_json::json!({ "name": "kettle" }))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::CREATED);
    server.stop().await;
}

/// Requests an attacker would send to forge log lines or plant secrets and false addresses in
/// the log; each carries a marker that must never reach it raw.
async fn hostile_requests(server: &Server) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode("{\"alg\":\"HS256\\nFORGED-LINE level=ERROR\",\"typ\":\"JWT\"}");
    let forged = format!("{header}.{}.c2ln", b64.encode("{\"sub\":\"x\"}"));
    let refused = eventually(Duration::from_secs(10), || async {
        server
            .http
            .get(format!("{}/api/maintenance", server.base))
            .bearer_auth(&forged)
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::UNAUTHORIZED)
    })
    .await;
    assert!(refused, "the forged token was not refused with 401");
    let callback = format!(
        "{}/auth/callback?error=x%0AFORGED-LINE%20level=ERROR&code=SECRET-CODE-7&state=SECRET-STATE-7",
        server.base
    );
    server.http.get(callback).send().await.expect("callback");
    let spoofed = server
        .http
        .get(format!("{}/about?token=SECRET-QUERY-7", server.base))
        .header("x-real-ip", "198.51.100.7")
        .header("x-forwarded-for", "198.51.100.8")
        .send()
        .await
        .expect("get");
    assert_eq!(spoofed.status(), StatusCode::OK);
}

fn assert_nothing_planted(log: &str) {
    assert!(log.contains("answered"), "no request was logged: {log}");
    // How long a request took is whole microseconds, in text and JSON alike.
    let times: Vec<&str> = log
        .split("elapsed_us")
        .skip(1)
        .map(|rest| rest.trim_start_matches(['=', '"', ':']))
        .collect();
    assert!(!times.is_empty(), "no request time was logged: {log}");
    for time in times {
        let digits = time.len() - time.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        assert!(
            digits > 0 && !time[digits..].starts_with('.'),
            "not whole microseconds: {time:.20}"
        );
    }
    for line in log.lines() {
        assert!(
            !line.trim_start().starts_with("FORGED-LINE"),
            "forged line: {log}"
        );
    }
    for secret in [
        "SECRET-CODE-7",
        "SECRET-STATE-7",
        "SECRET-QUERY-7",
        "198.51.100.",
    ] {
        assert!(!log.contains(secret), "{secret} reached the log: {log}");
    }
}

#[tokio::test]
async fn the_log_cannot_be_forged_and_shows_the_real_client() {
    let db = crate::helpers::sqlite();
    let server = Server::start(&db.url, &[("DOWNTIME_DEV_IDP", "true")]).await;
    hostile_requests(&server).await;
    let log = server.stop().await;
    assert_nothing_planted(&log);
    assert!(log.contains("bearer token refused"), "{log}");
    assert!(log.contains("client=127.0.0.1"), "{log}");
    // One refusal logged per refused request, though the API offers two security schemes.
    let refusals = log.matches("bearer token refused").count();
    let refused_requests = log
        .lines()
        .filter(|l| l.contains("path=/api/maintenance") && l.contains("status=401"))
        .count();
    assert_eq!(refusals, refused_requests, "{log}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let db = crate::helpers::sqlite();
    let server = Server::start(
        &db.url,
        &[
            ("DOWNTIME_DEV_IDP", "true"),
            ("DOWNTIME_LOG_FORMAT", "json"),
        ],
    )
    .await;
    hostile_requests(&server).await;
    let log = server.stop().await;
    assert_nothing_planted(&log);
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect();
    let about = events
        .iter()
        .find(|e| e["span"]["path"] == "/about" && e["fields"]["message"] == "answered")
        .unwrap_or_else(|| panic!("no answer logged for /about: {log}"));
    assert_eq!(about["span"]["client"], "127.0.0.1", "{about}");
    assert_eq!(about["fields"]["status"], 200, "{about}");
    assert_eq!(about["level"], "INFO");
}

/// Waits until `server` answers `/about` (as a browser) with `status`; how long that took.
#[tokio::test]
async fn changes_are_pushed_to_every_replica_long_before_the_poll() {
    // A poll of a minute: whatever arrives within seconds was pushed.
    let slow_poll = [("DOWNTIME_POLL_INTERVAL", "60s")];
    for db in databases().await {
        let count = if db.kind == "postgres" { 3 } else { 2 };
        let mut replicas = Vec::new();
        for _ in 0..count {
            replicas.push(Server::start(&db.url, &slow_poll).await);
        }
        for (toggle, status) in [("on", StatusCode::FOUND), ("off", StatusCode::OK)] {
            let out = downtime(&db.url, &[toggle]).await;
            assert_eq!(out.status.code(), Some(0), "{}", db.kind);
            for (i, replica) in replicas.iter().enumerate() {
                let took = until_status(replica, status, Duration::from_secs(3)).await;
                assert!(took.is_some(), "{}: replica {i} missed `{toggle}`", db.kind);
            }
        }
        for replica in replicas {
            let log = replica.stop().await;
            assert!(!log.contains("WARN"), "{}: {log}", db.kind);
        }
    }
}

/// The handler's two moments: when a request reaches it, and when it may answer.
#[derive(Default)]
struct Held {
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

/// `serve` with an endpoint that answers only once released, stopped by `stop`.
async fn serve_held(
    held: std::sync::Arc<Held>,
    stop: tokio::sync::oneshot::Receiver<()>,
    drain: Duration,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    use poem::{EndpointExt as _, Route, get, handler, web::Data};

    #[handler]
    async fn wait(held: Data<&std::sync::Arc<Held>>) -> &'static str {
        held.entered.notify_one();
        held.release.notified().await;
        "answered"
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Route::new().at("/", get(wait)).data(held);
    let served = tokio::spawn(downtime::http::server::serve(
        listener,
        app,
        async move {
            let _ = stop.await;
        },
        drain,
    ));
    (addr, served)
}

#[tokio::test]
async fn a_stopping_server_finishes_the_request_in_flight_and_takes_no_new_ones() {
    let held = std::sync::Arc::new(Held::default());
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let (addr, served) = serve_held(held.clone(), stopped, Duration::from_secs(10)).await;
    let http = crate::helpers::http();
    let in_flight = tokio::spawn(async move { http.get(format!("http://{addr}/")).send().await });
    held.entered.notified().await;
    stop.send(()).expect("stop");
    let refused = crate::helpers::eventually(Duration::from_secs(5), || async {
        tokio::net::TcpStream::connect(addr).await.is_err()
    })
    .await;
    assert!(refused, "the listener still accepts after the stop");
    assert!(
        !served.is_finished(),
        "the server left a request unanswered"
    );

    held.release.notify_one();
    let resp = in_flight
        .await
        .expect("task")
        .expect("the request in flight");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.expect("body"), "answered");
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("the server stops once its last answer is out")
        .expect("task")
        .expect("served");
}

#[tokio::test]
async fn a_stopping_server_waits_no_longer_than_its_drain() {
    let held = std::sync::Arc::new(Held::default());
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let (addr, served) = serve_held(held.clone(), stopped, Duration::from_millis(300)).await;
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut conn, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    held.entered.notified().await;
    let started = Instant::now();
    stop.send(()).expect("stop");
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("the server stops after its drain")
        .expect("task")
        .expect("served");
    assert!(started.elapsed() >= Duration::from_millis(300));
    // The connection it gave up on is closed, not left open.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
}

/// A site for the connection tests: `/` answers at once, `/held` once the test releases it.
struct Holding {
    entered: std::sync::atomic::AtomicUsize,
    arrived: tokio::sync::Notify,
    release: tokio::sync::Semaphore,
}

impl Holding {
    /// Waits until `n` requests in all have reached `/held`.
    async fn until_entered(&self, n: usize) {
        loop {
            let arrived = self.arrived.notified();
            if self.entered.load(std::sync::atomic::Ordering::SeqCst) >= n {
                return;
            }
            arrived.await;
        }
    }
}

/// `serve_with` and `limits` on a free port; the server stops when this is dropped.
struct Limited {
    addr: std::net::SocketAddr,
    holding: std::sync::Arc<Holding>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Limited {
    async fn start(limits: downtime::http::server::Limits) -> Limited {
        use poem::{EndpointExt as _, Route, get, handler, web::Data};

        #[handler]
        fn quick() -> &'static str {
            "quick"
        }

        #[handler]
        async fn held(holding: Data<&std::sync::Arc<Holding>>) -> &'static str {
            holding
                .entered
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            holding.arrived.notify_waiters();
            holding.release.acquire().await.expect("open").forget();
            "held"
        }

        let holding = std::sync::Arc::new(Holding {
            entered: 0.into(),
            arrived: tokio::sync::Notify::new(),
            release: tokio::sync::Semaphore::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Route::new()
            .at("/", get(quick))
            .at("/held", get(held))
            .data(holding.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(downtime::http::server::serve_with(
            listener,
            app,
            limits,
            async move {
                let _ = stopped.await;
            },
            Duration::ZERO,
        ));
        Limited {
            addr,
            holding,
            _stop: stop,
        }
    }

    async fn connect(&self) -> tokio::net::TcpStream {
        tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect")
    }
}

/// Sends `GET path` on a kept-alive connection and reads the answer: its status line and
/// body; `None` when the connection ends first.
async fn exchange(stream: &mut tokio::net::TcpStream, path: &str) -> Option<(String, String)> {
    use tokio::io::AsyncWriteExt as _;
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    read_answer(stream).await
}

/// Reads one answer with a `Content-Length`: its status line and body.
async fn read_answer(stream: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&bytes[end + 4..end + 4 + length]);
                let status = head.lines().next().unwrap_or_default().to_owned();
                return Some((status, body.into_owned()));
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
        }
    }
}

/// Waits up to `within` for the server to close `stream`, reading and dropping whatever comes;
/// when it closed.
async fn closed(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<Instant> {
    let mut sink = Vec::new();
    match tokio::time::timeout(within, stream.read_to_end(&mut sink)).await {
        Ok(_) => Some(Instant::now()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_client_that_sends_half_a_head_is_disconnected_after_the_header_timeout() {
    use tokio::io::AsyncWriteExt as _;
    let header_timeout = Duration::from_millis(300);
    let server = Limited::start(downtime::http::server::Limits {
        header_timeout,
        idle_timeout: Duration::from_secs(30),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let mut silent = server.connect().await;
    let mut half = server.connect().await;
    half.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        .await
        .expect("half a head");

    // Meanwhile another client is answered.
    let mut other = server.connect().await;
    let answer = exchange(&mut other, "/").await.expect("an answer");
    assert_eq!(answer, ("HTTP/1.1 200 OK".into(), "quick".into()));

    for (name, stream) in [("half a head", &mut half), ("nothing", &mut silent)] {
        let at = closed(stream, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("the connection that sent {name} is still open"));
        let after = at - started;
        assert!(after >= header_timeout, "{name}: closed after {after:?}");
    }
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout_but_not_one_in_flight() {
    use tokio::io::AsyncWriteExt as _;
    let header_timeout = Duration::from_millis(200);
    let idle_timeout = Duration::from_millis(800);
    let server = Limited::start(downtime::http::server::Limits {
        header_timeout,
        idle_timeout,
        ..Default::default()
    })
    .await;
    let mut slow = server.connect().await;
    slow.write_all(b"GET /held HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("request");
    server.holding.until_entered(1).await;

    let mut idle = server.connect().await;
    assert!(exchange(&mut idle, "/").await.is_some());
    // Kept alive past the header timeout: waiting for the next request is not a slow head.
    tokio::time::sleep(header_timeout * 2).await;
    let answer = exchange(&mut idle, "/").await;
    assert_eq!(answer.map(|(_, body)| body).as_deref(), Some("quick"));
    let answered = Instant::now();
    let at = closed(&mut idle, Duration::from_secs(5))
        .await
        .expect("the idle connection is still open");
    let after = at - answered;
    assert!(
        after >= idle_timeout - Duration::from_millis(100),
        "closed {after:?} after its answer"
    );

    // The held request was in flight all that time, and is answered.
    server.holding.release.add_permits(1);
    let answer = tokio::time::timeout(Duration::from_secs(5), read_answer(&mut slow))
        .await
        .expect("the held request's answer in time");
    assert_eq!(answer, Some(("HTTP/1.1 200 OK".into(), "held".into())));
}

#[tokio::test]
async fn beyond_the_connection_limit_new_connections_are_closed_until_one_ends() {
    let server = Limited::start(downtime::http::server::Limits {
        max_connections: 2,
        ..Default::default()
    })
    .await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    assert!(exchange(&mut first, "/").await.is_some());
    assert!(exchange(&mut second, "/").await.is_some());

    let mut third = server.connect().await;
    assert!(
        closed(&mut third, Duration::from_secs(2)).await.is_some(),
        "a third connection was kept open"
    );

    drop(first);
    let served = eventually(Duration::from_secs(5), || async {
        exchange(&mut server.connect().await, "/").await.is_some()
    })
    .await;
    assert!(served, "no new connection served after one ended");
    assert!(exchange(&mut second, "/").await.is_some(), "the second");
}

#[tokio::test]
async fn a_head_over_the_size_limit_is_refused_with_431() {
    use tokio::io::AsyncWriteExt as _;
    let server = Limited::start(downtime::http::server::Limits::default()).await;
    let mut stream = server.connect().await;
    let head = format!(
        "GET / HTTP/1.1\r\nHost: test\r\nX-Big: {}",
        "a".repeat(100 * 1024)
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let answer = tokio::time::timeout(Duration::from_secs(5), read_answer(&mut stream))
        .await
        .expect("an answer in time");
    let status = answer.map(|(status, _)| status);
    assert_eq!(
        status.as_deref(),
        Some("HTTP/1.1 431 Request Header Fields Too Large")
    );
}

#[tokio::test]
async fn an_http2_connection_carries_at_most_max_streams_requests_at_once() {
    use http_body_util::{BodyExt as _, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let idle_timeout = Duration::from_millis(500);
    let server = Limited::start(downtime::http::server::Limits {
        http2_max_streams: 2,
        idle_timeout,
        ..Default::default()
    })
    .await;
    let (sender, conn) = hyper::client::conn::http2::handshake(
        TokioExecutor::new(),
        TokioIo::new(server.connect().await),
    )
    .await
    .expect("HTTP/2 handshake");
    let conn = tokio::spawn(conn);
    let get = |path: &'static str| {
        let mut sender = sender.clone();
        async move {
            sender.ready().await?;
            let req = hyper::Request::get(format!("http://test{path}"))
                .body(Empty::<bytes::Bytes>::new())
                .expect("request");
            let resp = sender.send_request(req).await?;
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>(body)
        }
    };
    // One exchange first, so the client has the server's settings before it opens more.
    assert_eq!(get("/").await.expect("quick"), "quick");

    let held: Vec<_> = (0..3).map(|_| tokio::spawn(get("/held"))).collect();
    server.holding.until_entered(2).await;
    let third = tokio::time::timeout(Duration::from_millis(300), server.holding.until_entered(3));
    assert!(third.await.is_err(), "a third stream was served at once");
    server.holding.release.add_permits(1);
    tokio::time::timeout(Duration::from_secs(5), server.holding.until_entered(3))
        .await
        .expect("the third stream is served once one ends");
    server.holding.release.add_permits(2);
    for request in held {
        let body = request.await.expect("task").expect("held");
        assert_eq!(body, "held");
    }

    // With nothing in flight, the connection is closed after the idle timeout.
    let ended = tokio::time::timeout(Duration::from_secs(5), conn).await;
    assert!(ended.is_ok(), "the idle HTTP/2 connection is still open");
}

/// `downtime serve`, run by a shell that first sets `ulimit` to `args`.
fn under_ulimit(args: &str) -> Command {
    let mut shell = Command::new("sh");
    shell.args(["-c", &format!("ulimit {args} && exec \"$0\" \"$@\""), BIN]);
    shell
}

/// The soft and hard limits on open files of process `pid`.
fn open_files_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("proc limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("the open files line");
    let mut values = line["Max open files".len()..].split_whitespace();
    let soft = values.next().expect("soft").to_owned();
    let hard = values.next().expect("hard").to_owned();
    (soft, hard)
}

#[tokio::test]
async fn serve_raises_the_open_files_soft_limit_to_the_hard_limit() {
    let db = crate::helpers::sqlite();
    let server = Server::start_with(under_ulimit("-S -n 256"), &db.url, &[]).await;
    let (soft, hard) = open_files_limits(server.child.id().expect("pid"));
    assert_ne!(hard, "256", "the test needs a hard limit above 256");
    assert_eq!(soft, hard);
    server.stop().await;
}

#[tokio::test]
async fn out_of_file_descriptors_the_server_warns_once_per_interval_and_recovers() {
    let db = crate::helpers::sqlite();
    let server = Server::start_with(
        under_ulimit("-n 128"),
        &db.url,
        &[("DOWNTIME_HEADER_TIMEOUT", "1s")],
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    // Silent connections, more than the process has descriptors for: `accept` fails until the
    // header timeout closes them.
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(
            tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect"),
        );
    }
    let healthy = eventually(Duration::from_secs(10), || async {
        let http = crate::helpers::http();
        let resp = http
            .get(format!("{}/healthz", server.base))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        resp.is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    assert!(healthy, "/healthz did not recover");
    drop(silent);
    let log = server.stop().await;
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cannot accept connections"))
        .collect();
    assert!(
        (1..=3).contains(&warnings.len()),
        "{} warnings: {log}",
        warnings.len()
    );
    assert!(log.contains("open files limit may run out"), "{log}");
}

#[tokio::test]
async fn a_request_for_another_host_is_reported_once() {
    let db = crate::helpers::sqlite();
    let server = Server::start(&db.url, &[]).await;
    let own = server.base.trim_start_matches("http://").to_owned();
    for host in [
        own.as_str(),
        "shop.example",
        "shop.example",
        "SHOP.example:80",
        &own,
    ] {
        for _ in 0..20 {
            let resp = server
                .http
                .get(format!("{}/healthz", server.base))
                .header("host", host)
                .send()
                .await
                .expect("request");
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }
    let log = server.stop().await;
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("a host the base URL does not name"))
        .collect();
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(warnings[0].contains("shop.example"), "{}", warnings[0]);
    assert!(
        warnings[0].contains(&format!("http://{own}")),
        "{}",
        warnings[0]
    );
}
