//! downtime at the edge, as an attacker tries it: spellings of gated paths, uploads that
//! stall, upgrades and tunnels, trickling bodies, and clients that take every connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use downtime::state::{Mode, Window};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::helpers::{
    Proxy, Upstream, databases, eventually, http, raw, raw_json, seen, sqlite, start_upstream,
};
use crate::proxy::{HeaderSuperuser, websocket_round_trip};

/// A `GET` of `target` exactly as written, answered as JSON; the status and the answer.
async fn get_raw(proxy: &Proxy, target: &str) -> (u16, String) {
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: shop.example\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    let answer = raw(proxy.server.addr, &request).await;
    let status = answer
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, answer)
}

#[tokio::test]
async fn every_spelling_an_app_decodes_to_a_gated_path_is_gated() {
    for db in databases().await {
        let upstream = start_upstream(&Upstream::default()).await;
        let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;
        proxy.switch_on().await;
        for target in [
            "/admin",
            "/static/..%2Fadmin",
            "/static/..%2fadmin",
            "/favicon.ico/..%2Fadmin",
            "/static/..\\admin",
            "/static/..%5Cadmin",
            "/static/..%252Fadmin",
            "/static/..;/admin",
        ] {
            let (status, answer) = get_raw(&proxy, target).await;
            assert_eq!(status, 503, "{} {target}: {answer}", db.kind);
            assert_eq!(raw_json(&answer)["code"], "maintenance", "{target}");
        }

        let scoped = Window {
            scope: vec!["/checkout".into()],
            ..Window::on()
        };
        proxy.apply(scoped).await;
        for target in [
            "/checkout%2Fpay",
            "/x/..%2Fcheckout",
            "/x/..\\checkout",
            "/checkout;jsessionid=42",
            "/Checkout//..",
        ] {
            let (status, answer) = get_raw(&proxy, target).await;
            assert_eq!(status, 503, "{} {target}: {answer}", db.kind);
        }
    }
}

#[tokio::test]
async fn a_path_no_reading_gates_reaches_the_app_byte_for_byte() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;
    for target in [
        "/files/a%2Fb.txt",
        "/a%2Fb/../c;x=1//d?q=%2F",
        "/static/..%2Fstatic/app.css",
    ] {
        let (status, answer) = get_raw(&proxy, target).await;
        assert_eq!(status, 200, "{target}: {answer}");
        let echo = raw_json(&answer);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        assert_eq!(echo["path"], path, "{target}");
        assert_eq!(echo["query"].as_str().unwrap_or_default(), query);
    }
    // During maintenance, an open path holding an escaped slash is forwarded as sent too.
    proxy.switch_on().await;
    let (status, answer) = get_raw(&proxy, "/static/img%2Flogo.png;v=2").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(raw_json(&answer)["path"], "/static/img%2Flogo.png;v=2");
}

/// An HTTP/1.1 app on a raw socket, one connection at a time, the way a single-worker WSGI
/// server is: it reads a request's head, answers `/early` before reading the body (as apps
/// refusing an upload do) and everything else after, then reads what is left of the body and
/// waits for the next request on the same connection. Counts the requests it has read.
async fn single_worker_app() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let mut conn = BufReader::new(stream);
            while let Some((path, length, head_only)) = read_head(&mut conn).await {
                counter.fetch_add(1, Ordering::SeqCst);
                let body = if path == "/early" { "no" } else { "ok" };
                let status = if path == "/early" {
                    "401 Unauthorized"
                } else {
                    "200 OK"
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\n{}",
                    if head_only { "" } else { body }
                );
                if path == "/early" && conn.get_mut().write_all(answer.as_bytes()).await.is_err() {
                    break;
                }
                let mut left = length;
                let mut buf = [0u8; 4096];
                while left > 0 {
                    match conn.read(&mut buf[..left.min(4096)]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => left -= n,
                    }
                }
                if left > 0 {
                    break;
                }
                if path != "/early" && conn.get_mut().write_all(answer.as_bytes()).await.is_err() {
                    break;
                }
            }
        }
    });
    (url, served)
}

/// The path, `Content-Length` and whether it is a `HEAD` of the next request on `conn`.
async fn read_head(conn: &mut BufReader<TcpStream>) -> Option<(String, usize, bool)> {
    let mut line = String::new();
    conn.read_line(&mut line).await.ok().filter(|n| *n > 0)?;
    let mut words = line.split_whitespace();
    let head_only = words.next()? == "HEAD";
    let path = words.next()?.to_owned();
    let mut length = 0;
    loop {
        let mut header = String::new();
        conn.read_line(&mut header).await.ok().filter(|n| *n > 0)?;
        if header == "\r\n" {
            return Some((path, length, head_only));
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
}

#[tokio::test]
async fn an_upload_the_app_answered_early_never_holds_up_the_next_request() {
    let db = sqlite();
    let (app, _) = single_worker_app().await;
    let proxy = Proxy::start(&db, &app, |config| {
        config.proxy.upstream_timeout = Duration::from_secs(10);
    })
    .await;
    // Warm the pool: the connection the next requests would be offered first.
    let warm = http().get(proxy.url("/warm")).send().await.expect("warm");
    assert_eq!(warm.status(), reqwest::StatusCode::OK);

    let mut stalled = TcpStream::connect(proxy.server.addr)
        .await
        .expect("connect");
    stalled
        .write_all(
            b"POST /early HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 60000\r\n\r\nabcd",
        )
        .await
        .expect("send a head and 4 bytes");
    let mut head = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), stalled.read_exact(&mut head))
        .await
        .expect("the early answer in time")
        .expect("read");
    assert_eq!(&head, b"HTTP/1.1 401");

    // The stalled upload keeps its connection; the next visitors must not queue behind it.
    for _ in 0..3 {
        let next = tokio::time::timeout(
            Duration::from_secs(3),
            http().get(proxy.url("/next")).send(),
        )
        .await
        .expect("the next request is answered without waiting for the stalled upload")
        .expect("request");
        assert_eq!(next.status(), reqwest::StatusCode::OK);
        assert_eq!(next.text().await.expect("body"), "ok");
    }
    drop(stalled);
}

#[tokio::test]
async fn a_trickling_upload_is_cut_off_and_cannot_switch_the_site_into_maintenance() {
    let db = sqlite();
    let (app, _) = single_worker_app().await;
    let proxy = Proxy::start(&db, &app, |config| {
        config.proxy.upstream_timeout = Duration::from_secs(1);
        config.proxy.body_timeout = Duration::from_millis(500);
        config.proxy.auto_maintenance_after = Some(Duration::from_secs(2));
    })
    .await;
    let mut trickle = TcpStream::connect(proxy.server.addr)
        .await
        .expect("connect");
    trickle
        .write_all(b"POST /upload HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 100\r\n\r\n")
        .await
        .expect("head");
    // One byte every 400 ms, for up to five seconds, or until the proxy answers.
    let mut answer = Vec::new();
    let started = tokio::time::Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if trickle.write_all(b"x").await.is_err() {
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(400), trickle.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "cut off late");

    // The app is free again: its health checks pass, and the site never went down.
    let health = proxy.downtime.upstream().expect("upstream").health();
    let checks_then = health.borrow().checks;
    let checked = eventually(Duration::from_secs(5), || {
        let health = *health.borrow();
        async move { health.checks >= checks_then + 5 && health.answering }
    })
    .await;
    assert!(checked, "the checks after the trickle pass");
    let history = proxy
        .downtime
        .state()
        .history(10, None)
        .await
        .expect("history");
    assert!(
        history.iter().all(|entry| entry.actor != "upstream-health"),
        "automatic maintenance switched on: {history:?}"
    );
}

#[tokio::test]
async fn an_upgrade_is_a_write_that_read_only_maintenance_gates() {
    for db in databases().await {
        let upstream = start_upstream(&Upstream::default()).await;
        let proxy = Proxy::start_with(&db, &upstream.url(), |_| {}, |_| HeaderSuperuser).await;
        let read_only = Window {
            mode: Mode::ReadOnly,
            ..Window::on()
        };
        proxy.apply(read_only).await;
        // A WebSocket client names no page in `Accept`: the problem document, 503.
        let visitor = websocket_round_trip(&proxy, &[]).await;
        assert!(
            visitor.as_ref().is_err_and(|e| e.contains("503")),
            "{}: a visitor's upgrade is gated: {visitor:?}",
            db.kind
        );
        // Plain reads still pass, and a superuser still opens the channel.
        let read = http().get(proxy.url("/orders")).send().await.expect("read");
        assert_eq!(read.status(), reqwest::StatusCode::OK);
        let superuser = websocket_round_trip(&proxy, &[("x-test-superuser", "yes")]).await;
        assert_eq!(superuser.as_deref(), Ok("echo: hello / echo: again"));
    }
}

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A WebSocket to `path` through the proxy, open.
async fn open_socket(proxy: &Proxy, path: &str, superuser: bool) -> Socket {
    let stream = TcpStream::connect(proxy.server.addr)
        .await
        .expect("connect");
    let mut request = format!("ws://{}{path}", proxy.server.addr)
        .into_client_request()
        .expect("request");
    if superuser {
        request.headers_mut().insert(
            "x-test-superuser",
            poem::http::HeaderValue::from_static("yes"),
        );
    }
    tokio_tungstenite::client_async(request, stream)
        .await
        .expect("handshake")
        .0
}

/// Whether the socket still echoes: a message sent, its echo read in time.
async fn echoes(socket: &mut Socket) -> bool {
    if socket.send(Message::Text("ping".into())).await.is_err() {
        return false;
    }
    matches!(
        tokio::time::timeout(Duration::from_secs(5), socket.next()).await,
        Ok(Some(Ok(Message::Text(text)))) if text.as_str() == "echo: ping"
    )
}

/// Whether the socket is closed by the other end within a few seconds.
async fn closed(socket: &mut Socket) -> bool {
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    ended.is_ok()
}

#[tokio::test]
async fn open_tunnels_close_when_maintenance_starts_for_them() {
    for db in databases().await {
        let upstream = start_upstream(&Upstream::default()).await;
        let proxy = Proxy::start_with(&db, &upstream.url(), |_| {}, |_| HeaderSuperuser).await;
        let mut visitor = open_socket(&proxy, "/ws", false).await;
        let mut superuser = open_socket(&proxy, "/ws", true).await;
        assert!(echoes(&mut visitor).await && echoes(&mut superuser).await);

        // A window scoped elsewhere leaves the tunnel alone.
        let elsewhere = Window {
            scope: vec!["/checkout".into()],
            ..Window::on()
        };
        proxy.apply(elsewhere).await;
        assert!(echoes(&mut visitor).await, "{}", db.kind);

        proxy.switch_on().await;
        assert!(
            closed(&mut visitor).await,
            "{}: the visitor's tunnel closes",
            db.kind
        );
        assert!(echoes(&mut superuser).await, "a superuser's tunnel stays");
    }
}

#[tokio::test]
async fn one_client_cannot_take_more_than_its_share_of_the_apps_connections() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
        config.proxy.upstream_max_per_client = 2;
    })
    .await;
    let as_client = |ip: &'static str, path: &str| {
        http()
            .get(proxy.url(path))
            .header("x-forwarded-for", ip)
            .header("accept", "application/json")
            .send()
    };
    // Two requests the app never answers hold this client's share.
    let hogs: Vec<_> = (0..2)
        .map(|_| tokio::spawn(as_client("198.51.100.1", "/slow")))
        .collect();
    let refused = eventually(Duration::from_secs(5), || async {
        as_client("198.51.100.1", "/orders")
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS)
    })
    .await;
    assert!(refused, "a third request from the same client is refused");
    let resp = as_client("198.51.100.1", "/orders").await.expect("request");
    assert_eq!(resp.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "1");
    let problem: serde_json::Value = resp.json().await.expect("problem");
    assert_eq!(problem["status"], 429);

    let other = as_client("198.51.100.2", "/orders").await.expect("request");
    assert_eq!(
        other.status(),
        reqwest::StatusCode::OK,
        "another client goes on"
    );
    for hog in hogs {
        hog.abort();
    }
    // Slots come back when their requests end.
    let freed = eventually(Duration::from_secs(5), || async {
        as_client("198.51.100.1", "/orders")
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    })
    .await;
    assert!(freed);
}

#[tokio::test]
async fn past_the_apps_connection_bound_requests_wait_briefly_then_get_503() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.proxy.upstream_max_connections = 1;
        config.proxy.upstream_connect_timeout = Duration::from_millis(300);
    })
    .await;
    let hog = tokio::spawn(http().get(proxy.url("/slow")).send());
    let busy = eventually(Duration::from_secs(5), || async {
        http()
            .get(proxy.url("/orders"))
            .header("accept", "application/json")
            .send()
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;
    assert!(busy, "the second request finds no connection");
    hog.abort();
    let freed = eventually(Duration::from_secs(5), || async {
        http()
            .get(proxy.url("/orders"))
            .send()
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    })
    .await;
    assert!(freed);
}

#[tokio::test]
async fn forwarding_headers_reach_the_app_only_from_trusted_proxies() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let claims = [
        "x-forwarded-port",
        "x-forwarded-ssl",
        "x-forwarded-scheme",
        "x-forwarded-prefix",
        "x-client-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "x-original-url",
    ];
    let send = |proxy: &Proxy| {
        let mut request = http()
            .get(proxy.url("/whoami"))
            .header("accept", "application/json");
        for name in claims {
            request = request.header(name, "claimed");
        }
        request.send()
    };
    let untrusted = Proxy::start(&db, &upstream.url(), |_| {}).await;
    let echo: serde_json::Value = send(&untrusted)
        .await
        .expect("request")
        .json()
        .await
        .expect("echo");
    for name in claims {
        assert!(seen(&echo, name).is_empty(), "{name} reached the app");
    }
    drop(untrusted);

    let db = sqlite();
    let trusted = Proxy::start(&db, &upstream.url(), |config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    let echo: serde_json::Value = send(&trusted)
        .await
        .expect("request")
        .json()
        .await
        .expect("echo");
    for name in claims {
        assert_eq!(
            seen(&echo, name),
            ["claimed"],
            "{name} from a trusted proxy"
        );
    }
}

#[tokio::test]
async fn swagger_ui_and_the_logout_form_cannot_be_framed_by_another_site() {
    use crate::helpers::{Browser, dev_config, login, start};
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let mut browser = Browser::new();
    login(&server, &mut browser, downtime::dev_idp::ADMIN.subject, "/").await;
    for path in ["/api/docs", "/auth/logout", "/maintenance/admin"] {
        let page = browser.get(&server.url(path)).await;
        assert_eq!(page.status(), reqwest::StatusCode::OK, "{path}");
        let headers = page.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn the_proxy_forwards_uploads_of_any_size_unless_told_a_limit() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;
    let fifty_mib = vec![b'u'; 50 << 20];
    let resp = http()
        .post(proxy.url("/count"))
        .body(fifty_mib.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    assert_eq!(resp.text().await.expect("count"), (50 << 20).to_string());
    // downtime's own routes keep their 64 KiB.
    let own = http()
        .post(proxy.url("/auth/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 65 * 1024])
        .send()
        .await
        .expect("post");
    assert_eq!(own.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);

    let db = sqlite();
    let limited = Proxy::start(&db, &upstream.url(), |config| {
        config.max_body = Some(1 << 20);
    })
    .await;
    let resp = http()
        .post(limited.url("/count"))
        .body(fifty_mib)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_token_for_downtimes_api_never_reaches_the_app_and_the_apps_own_do() {
    use crate::helpers::{client_token, dev_config, start_site};
    use downtime::startup::Site;
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let mut config = dev_config();
    config.proxy.upstream = Some(upstream.url().parse().expect("upstream URL"));
    let server = start_site(&db, config, Site::Upstream).await;
    let token = client_token(&server, downtime::dev_idp::SCRIPT_CLIENT).await;

    let own = format!("Bearer {token}");
    let api = http()
        .get(server.url("/api/maintenance"))
        .header("authorization", &own)
        .send()
        .await
        .expect("api");
    assert_eq!(
        api.status(),
        reqwest::StatusCode::OK,
        "the token opens the API"
    );
    for (authorization, reaches) in [
        (own.as_str(), false),
        (&format!("bearer {token}"), false),
        ("Bearer the-apps-own-token", true),
        ("Basic YWxpY2U6c2VjcmV0", true),
    ] {
        let echo: serde_json::Value = http()
            .get(server.url("/account"))
            .header("authorization", authorization)
            .header("accept", "application/json")
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("echo");
        let seen = seen(&echo, "authorization");
        if reaches {
            assert_eq!(seen, [authorization]);
        } else {
            assert!(seen.is_empty(), "downtime's token reached the app");
        }
    }
}

/// An app on a raw socket that answers each request with its request line and `Host`.
async fn request_line_app() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let mut conn = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                match conn.read_line(&mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => break,
                    Ok(_) => head.push_str(&line),
                }
            }
            let first = head.lines().next().unwrap_or_default();
            let host = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("host: ")
                        .or_else(|| l.strip_prefix("Host: "))
                })
                .unwrap_or_default();
            let body = format!("{first}\n{host}");
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.get_mut().write_all(answer.as_bytes()).await;
        }
    });
    url
}

#[tokio::test]
async fn options_star_and_absolute_form_requests_reach_the_app_as_meant() {
    let db = sqlite();
    let app = request_line_app().await;
    let proxy = Proxy::start(&db, &app, |_| {}).await;
    let answer = raw(
        proxy.server.addr,
        "OPTIONS * HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert!(body.starts_with("OPTIONS * HTTP/1.1\n"), "{answer}");

    // In absolute form, the URI names the host and `Host` is ignored (RFC 9112 §3.2.2).
    let answer = raw(
        proxy.server.addr,
        "GET http://shop.example/cart HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert_eq!(body, "GET /cart HTTP/1.1\nshop.example", "{answer}");
}

#[tokio::test]
async fn a_proxy_on_this_machine_that_is_not_trusted_is_named_in_the_log_once() {
    use crate::helpers::Server;
    let db = sqlite();
    let server = Server::start(&db.url, &[]).await;
    for _ in 0..3 {
        let resp = server
            .http
            .get(format!("{}/about", server.base))
            .header("x-forwarded-for", "203.0.113.9")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
    }
    let log = server.stop().await;
    assert_eq!(
        log.matches("--trusted-proxies is unset").count(),
        1,
        "{log}"
    );
}

#[tokio::test]
async fn scopes_and_open_paths_are_stored_as_the_gate_reads_requests() {
    use crate::helpers::{dev_config, start};
    for db in databases().await {
        let server = start(&db, dev_config()).await;
        let token = server.token().await;
        let body = serde_json::json!({
            "enabled": true,
            "scope": ["/caf\u{e9}", "/shop/./cart", "/chec%6Bout"],
            "open_paths": ["//press/"],
        });
        let resp = server.put_maintenance(&token, &body, None).await;
        assert_eq!(resp.status(), reqwest::StatusCode::OK, "{}", db.kind);
        let stored: serde_json::Value = resp.json().await.expect("state");
        assert_eq!(
            stored["scope"],
            serde_json::json!(["/caf%C3%A9", "/shop/cart", "/checkout"])
        );
        assert_eq!(stored["open_paths"], serde_json::json!(["/press"]));
        for (path, gated) in [
            ("/caf%C3%A9", true),
            ("/caf%c3%a9/menu", true),
            ("/shop/cart", true),
            ("/checkout", true),
            ("/about", false),
        ] {
            let status = server.browse(path).await.status();
            let was_gated = status == reqwest::StatusCode::FOUND;
            assert_eq!(was_gated, gated, "{}: {path} answered {status}", db.kind);
        }
    }
}
