//! The reverse proxy over real sockets: an upstream app in the test, downtime in front of it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use downtime::DowntimeBuilder;
use downtime::config::Config;
use downtime::gate::Superusers;
use downtime::state::{Change, Window};
use futures_util::{SinkExt as _, StreamExt as _};
use poem::{Request, http::StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};

use crate::helpers::{
    Proxy, Upstream, databases, http, raw, raw_json, seen, sqlite, start_upstream,
};

#[tokio::test]
async fn any_method_path_query_headers_and_body_reach_the_upstream() {
    for db in databases().await {
        let upstream = start_upstream(&Upstream::default()).await;
        let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;

        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            let resp = http()
                .request(
                    method.parse().expect("method"),
                    proxy.url("/shop/./cart//items/../items?sort=price&q=caf%C3%A9"),
                )
                .header("x-app-header", "kept")
                .header("cookie", "sessionid=abc")
                .header("accept", "application/json")
                .body(if method == "GET" { "" } else { "the body" })
                .send()
                .await
                .expect("request");
            assert_eq!(
                resp.status(),
                reqwest::StatusCode::OK,
                "{}: {method}",
                db.kind
            );
            let echo: Value = resp.json().await.expect("echo");
            assert_eq!(echo["method"], method);
            assert_eq!(
                echo["path"], "/shop/cart//items",
                "the path as sent (the client resolved the dots itself)"
            );
            assert_eq!(echo["query"], "sort=price&q=caf%C3%A9");
            assert_eq!(seen(&echo, "x-app-header"), ["kept"]);
            assert_eq!(seen(&echo, "cookie"), ["sessionid=abc"]);
            assert_eq!(seen(&echo, "host"), [proxy.server.addr.to_string()]);
            let body = if method == "GET" { "" } else { "the body" };
            assert_eq!(echo["body"], body, "{method}");
        }
    }
}

#[tokio::test]
async fn hop_by_hop_headers_stop_at_the_proxy_and_forwarding_headers_are_set() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;

    let answer = raw(
        proxy.server.addr,
        "GET /headers HTTP/1.1\r\nHost: shop.example\r\nConnection: close, X-Secret\r\n\
         X-Secret: for-this-hop\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n\
         Proxy-Authorization: Basic eDp5\r\nUpgrade: h2c\r\n\
         X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\n\
         X-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let echo = raw_json(&answer);
    for gone in [
        "x-secret",
        "keep-alive",
        "te",
        "proxy-authorization",
        "upgrade",
        "x-real-ip",
    ] {
        assert!(seen(&echo, gone).is_empty(), "{gone} forwarded: {echo}");
    }
    assert_ne!(seen(&echo, "connection"), ["close, X-Secret"]);
    assert_eq!(
        seen(&echo, "host"),
        ["shop.example"],
        "Host as the client sent it"
    );
    assert_eq!(
        seen(&echo, "x-forwarded-for"),
        ["127.0.0.1"],
        "spoofed address replaced"
    );
    assert_eq!(seen(&echo, "x-forwarded-host"), ["shop.example"]);
    assert_eq!(seen(&echo, "x-forwarded-proto"), ["http"]);
    assert_eq!(
        seen(&echo, "forwarded"),
        ["for=127.0.0.1;host=\"shop.example\";proto=http"]
    );
}

#[tokio::test]
async fn a_trusted_proxys_forwarding_headers_are_extended_and_host_can_be_overridden() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.trusted_proxies = vec!["127.0.0.0/8".parse().expect("net")];
        config.proxy.upstream_host = Some("app.internal".into());
    })
    .await;

    let resp = http()
        .get(proxy.url("/"))
        .header("host", "shop.example")
        .header("x-forwarded-for", "198.51.100.7")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "www.shop.example")
        .send()
        .await
        .expect("request");
    let echo: Value = resp.json().await.expect("echo");
    assert_eq!(seen(&echo, "host"), ["app.internal"]);
    assert_eq!(seen(&echo, "x-forwarded-for"), ["198.51.100.7, 127.0.0.1"]);
    assert_eq!(seen(&echo, "x-forwarded-proto"), ["https"]);
    assert_eq!(seen(&echo, "x-forwarded-host"), ["www.shop.example"]);
    assert_eq!(
        seen(&echo, "forwarded"),
        ["for=198.51.100.7;host=\"www.shop.example\";proto=https"],
        "Forwarded names the client and scheme X-Forwarded-* name"
    );
}

/// What the upstream saw when `headers` came to a proxy listening on `bind` that trusts
/// `trusted`.
async fn forwarding_seen(bind: &str, trusted: &[&str], headers: &[(&str, &str)]) -> Value {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start_at(&db, &upstream.url(), bind, |config| {
        config.trusted_proxies = trusted
            .iter()
            .map(|net| net.parse().expect("net"))
            .collect();
    })
    .await;
    let mut request = http().get(proxy.url("/")).header("host", "shop.example");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("echo")
}

#[tokio::test]
async fn forwarded_agrees_with_x_forwarded_through_the_trusted_chain_over_ipv4_and_ipv6() {
    // A TLS terminator's headers, with a `Forwarded` its client wrote and it passed on: kept,
    // like the left of `X-Forwarded-For`, with downtime's element after it.
    let terminated = |client: &'static str| {
        vec![
            ("x-forwarded-for", client),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=6.6.6.6;proto=http"),
        ]
    };
    let spoofed = terminated("6.6.6.6");
    let cases = [
        // A trusted balancer: its client and scheme, in both families.
        (
            "127.0.0.1:0",
            &["127.0.0.0/8"][..],
            terminated("198.51.100.7"),
            "198.51.100.7, 127.0.0.1",
            "https",
            "for=6.6.6.6;proto=http, for=198.51.100.7;host=\"shop.example\";proto=https",
        ),
        (
            "[::1]:0",
            &["::1/128"][..],
            terminated("2001:db8::7"),
            "2001:db8::7, ::1",
            "https",
            "for=6.6.6.6;proto=http, for=\"[2001:db8::7]\";host=\"shop.example\";proto=https",
        ),
        // The client left of the trusted hops is the first one not trusted.
        (
            "127.0.0.1:0",
            &["127.0.0.0/8", "10.0.0.0/8"][..],
            terminated("6.6.6.6, 198.51.100.7, 10.0.0.3"),
            "6.6.6.6, 198.51.100.7, 10.0.0.3, 127.0.0.1",
            "https",
            "for=6.6.6.6;proto=http, for=198.51.100.7;host=\"shop.example\";proto=https",
        ),
        // No trusted proxies, or a peer that is not one: every claim is dropped, and the
        // connection speaks for itself.
        (
            "127.0.0.1:0",
            &[][..],
            spoofed.clone(),
            "127.0.0.1",
            "http",
            "for=127.0.0.1;host=\"shop.example\";proto=http",
        ),
        (
            "127.0.0.1:0",
            &["10.0.0.0/8"][..],
            spoofed.clone(),
            "127.0.0.1",
            "http",
            "for=127.0.0.1;host=\"shop.example\";proto=http",
        ),
        (
            "[::1]:0",
            &["10.0.0.0/8"][..],
            spoofed,
            "::1",
            "http",
            "for=\"[::1]\";host=\"shop.example\";proto=http",
        ),
    ];
    for (bind, trusted, headers, xff, proto, forwarded) in cases {
        let echo = forwarding_seen(bind, trusted, &headers).await;
        let case = format!("{bind} trusting {trusted:?}");
        assert_eq!(seen(&echo, "x-forwarded-for"), [xff], "{case}");
        assert_eq!(seen(&echo, "x-forwarded-proto"), [proto], "{case}");
        assert_eq!(seen(&echo, "forwarded"), [forwarded], "{case}");
    }
}

#[tokio::test]
async fn set_cookies_redirects_statuses_and_compressed_bodies_pass_unchanged() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;
    let client = http();

    let resp = client
        .get(proxy.url("/cookies"))
        .send()
        .await
        .expect("cookies");
    let cookies: Vec<&str> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(
        cookies,
        ["sessionid=abc; Path=/; HttpOnly", "csrftoken=def; Path=/"]
    );

    for (kind, location) in [
        ("relative", "/next?step=2"),
        ("absolute", "http://elsewhere.example/landing?from=app"),
    ] {
        let resp = client
            .get(proxy.url(&format!("/redirect/{kind}")))
            .send()
            .await
            .expect("redirect");
        assert_eq!(resp.status(), reqwest::StatusCode::MOVED_PERMANENTLY);
        assert_eq!(
            resp.headers()["location"],
            location,
            "not followed, not rewritten"
        );
    }

    for code in [201, 204, 404, 418, 500] {
        let resp = client
            .get(proxy.url(&format!("/status/{code}")))
            .send()
            .await
            .expect("status");
        assert_eq!(resp.status().as_u16(), code);
    }

    let resp = client
        .get(proxy.url("/gzip"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("gzip");
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let body = resp.bytes().await.expect("body");
    assert_eq!(&body[..], &[0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad]);
}

/// A hyper client that sends a streamed (chunked) body.
async fn upload(url: &str, chunks: usize, chunk: usize) -> (StatusCode, String) {
    use http_body_util::{BodyExt as _, StreamBody};
    use hyper::body::Frame;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let stream = futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, io::Error>(Frame::data(Bytes::from(vec![b'u'; chunk])))),
    );
    let req = hyper::Request::post(url)
        .body(StreamBody::new(stream))
        .expect("request");
    let resp = client.request(req).await.expect("upload");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn large_bodies_stream_both_ways() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.max_body = Some(64 << 20);
    })
    .await;

    let (status, counted) = upload(&proxy.url("/count"), 512, 64 * 1024).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        counted,
        (32usize << 20).to_string(),
        "a chunked 32 MiB upload"
    );

    let resp = http()
        .get(proxy.url(&format!("/download/{}", 48 << 20)))
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let mut resp = resp;
    let mut total = 0usize;
    while let Some(chunk) = resp.chunk().await.expect("chunk") {
        total += chunk.len();
    }
    assert_eq!(total, 48 << 20, "a 48 MiB download");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_announced_ones_before_anything_is_forwarded() {
    let db = sqlite();
    let seen_by_app = Upstream::default();
    let upstream = start_upstream(&seen_by_app).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.max_body = Some(1024);
    })
    .await;

    let resp = http()
        .post(proxy.url("/count"))
        .header("accept", "application/json")
        .body(vec![b'a'; 1025])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert_eq!(
        seen_by_app.counted.load(Ordering::SeqCst),
        0,
        "nothing forwarded"
    );

    let (status, _) = upload(&proxy.url("/count"), 4, 512).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "a chunked body cut off"
    );

    let (status, counted) = upload(&proxy.url("/count"), 2, 512).await;
    assert_eq!((status, counted.as_str()), (StatusCode::OK, "1024"));
}

#[tokio::test]
async fn server_sent_events_arrive_as_they_are_sent() {
    let db = sqlite();
    let (events, rx) = mpsc::channel(4);
    let app = Upstream {
        events: Arc::new(Mutex::new(Some(rx))),
        ..Upstream::default()
    };
    let upstream = start_upstream(&app).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;

    let mut resp = http()
        .get(proxy.url("/sse"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("sse");
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    for n in 1..=3 {
        events.send(format!("event {n}")).await.expect("release");
        // Each event must come through before the next is even sent: a proxy that buffers
        // would wait here until the timeout.
        let chunk = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
            .await
            .expect("the event arrived before the next was sent")
            .expect("chunk")
            .expect("not the end");
        assert_eq!(&chunk[..], format!("data: event {n}\n\n").as_bytes());
    }
    drop(events);
    let end = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
        .await
        .expect("the end came through");
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[tokio::test]
async fn an_upstream_that_is_down_slow_or_garbled_gets_502_never_a_hang() {
    let db = sqlite();
    // A port that was free a moment ago: connections are refused.
    let refused = crate::helpers::free_addr();
    let proxy = Proxy::start(&db, &format!("http://{refused}"), |_| {}).await;
    let resp = http()
        .get(proxy.url("/"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_GATEWAY);
    let problem: Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "upstream_unreachable");

    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.proxy.upstream_timeout = Duration::from_millis(200);
    })
    .await;
    let resp = http()
        .get(proxy.url("/slow"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_GATEWAY);
    let problem: Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "upstream_timeout");

    // Not HTTP at all.
    let garbled = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let garbled_addr = garbled.local_addr().expect("addr");
    let garbler = tokio::spawn(async move {
        while let Ok((mut conn, _)) = garbled.accept().await {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).await;
            let _ = conn.write_all(b"SSH-2.0-OpenSSH\r\n\x00\x01garbage").await;
        }
    });
    let proxy = Proxy::start(&db, &format!("http://{garbled_addr}"), |_| {}).await;
    let resp = http()
        .get(proxy.url("/"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_GATEWAY);
    let problem: Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "bad_gateway");
    garbler.abort();
}

/// Whoever sends `x-test-superuser: yes`.
pub struct HeaderSuperuser;

impl Superusers for HeaderSuperuser {
    async fn is_superuser(&self, req: &Request) -> bool {
        req.header("x-test-superuser") == Some("yes")
    }
}

#[tokio::test]
async fn the_gate_stands_in_front_of_the_upstream_as_in_front_of_the_demo_site() {
    for db in databases().await {
        let upstream = start_upstream(&Upstream::default()).await;
        let proxy = Proxy::start_with(&db, &upstream.url(), |_| {}, |_| HeaderSuperuser).await;
        let client = http();
        proxy.switch_on().await;

        let resp = client
            .get(proxy.url("/shop?x=1"))
            .header("accept", "text/html")
            .send()
            .await
            .expect("browse");
        assert_eq!(resp.status(), reqwest::StatusCode::FOUND, "{}", db.kind);
        assert_eq!(
            resp.headers()["location"],
            "/maintenance?next=/shop%3Fx%3D1"
        );

        let resp = client
            .post(proxy.url("/api/orders"))
            .header("accept", "application/json")
            .body("{}")
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");

        let resp = client
            .get(proxy.url("/maintenance"))
            .header("accept", "text/html")
            .send()
            .await
            .expect("page");
        assert_eq!(resp.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);

        for open in ["/healthz", "/readyz", "/api/status", "/api/openapi.json"] {
            let resp = client.get(proxy.url(open)).send().await.expect("open");
            assert_eq!(resp.status(), reqwest::StatusCode::OK, "{open}");
            assert!(
                !resp.headers().contains_key("x-upstream"),
                "{open} reached the upstream"
            );
        }

        let resp = client
            .get(proxy.url("/shop"))
            .header("x-test-superuser", "yes")
            .send()
            .await
            .expect("superuser");
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        let echo: Value = resp.json().await.expect("echo");
        assert_eq!(echo["path"], "/shop");
    }
}

#[tokio::test]
async fn downtime_serve_upstream_forwards_to_the_app() {
    use tokio::io::AsyncBufReadExt as _;
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let mut child = tokio::process::Command::new(crate::helpers::BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--upstream",
            &upstream.url(),
        ])
        .env("DATABASE_URL", &db.url)
        .env_remove("MAINTENANCE_MODE")
        .env_remove("DOWNTIME_UPSTREAM")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
        .await
        .expect("the server announced its address in time")
        .expect("read stdout");
    let base = line
        .trim()
        .strip_prefix("downtime listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    let resp = http()
        .get(format!("{base}/blog/post?id=7"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    assert_eq!(resp.headers()["x-upstream"], "echo");
    let echo: Value = resp.json().await.expect("echo");
    assert_eq!(echo["path"], "/blog/post");
    assert_eq!(echo["query"], "id=7");
    let health = http()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert!(!health.headers().contains_key("x-upstream"));
    child.start_kill().expect("stop the server");
    let _ = child.wait().await;
}

#[tokio::test]
async fn an_upstream_url_with_a_path_or_another_scheme_is_refused_at_start() {
    let db = sqlite();
    for bad in [
        "ftp://127.0.0.1:8000",
        "http://127.0.0.1:8000/app",
        "127.0.0.1:8000",
    ] {
        let out = tokio::process::Command::new(crate::helpers::BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--upstream", bad])
            .env("DATABASE_URL", &db.url)
            .output()
            .await
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains("upstream"), "{err}");
    }
}

/// Opens a WebSocket to `/ws` through the proxy with `headers`, sends one message and returns
/// the reply; the handshake's refusal as an error.
pub async fn websocket_round_trip(
    proxy: &Proxy,
    headers: &[(&'static str, &'static str)],
) -> Result<String, String> {
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let stream = TcpStream::connect(proxy.server.addr)
        .await
        .map_err(|e| e.to_string())?;
    let mut request = format!("ws://{}/ws", proxy.server.addr)
        .into_client_request()
        .map_err(|e| e.to_string())?;
    for (name, value) in headers {
        request.headers_mut().insert(
            poem::http::HeaderName::from_static(name),
            poem::http::HeaderValue::from_static(value),
        );
    }
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| e.to_string())?;
    let mut replies = Vec::new();
    for text in ["hello", "again"] {
        socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| e.to_string())?;
        let reply = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .map_err(|_| "no reply in time".to_owned())?;
        match reply {
            Some(Ok(Message::Text(reply))) => replies.push(reply.to_string()),
            other => return Err(format!("unexpected reply {other:?}")),
        }
    }
    socket.close(None).await.map_err(|e| e.to_string())?;
    Ok(replies.join(" / "))
}

#[tokio::test]
async fn websockets_pass_for_visitors_while_off_and_for_superusers_while_on() {
    for db in databases().await {
        let upstream = start_upstream(&Upstream::default()).await;
        let proxy = Proxy::start_with(&db, &upstream.url(), |_| {}, |_| HeaderSuperuser).await;

        let visitor = websocket_round_trip(&proxy, &[]).await;
        assert_eq!(
            visitor.as_deref(),
            Ok("echo: hello / echo: again"),
            "{}",
            db.kind
        );

        proxy.switch_on().await;
        let visitor = websocket_round_trip(&proxy, &[]).await;
        assert!(
            visitor.as_ref().is_err_and(|e| e.contains("503")),
            "a visitor is gated: {visitor:?}"
        );
        let superuser = websocket_round_trip(&proxy, &[("x-test-superuser", "yes")]).await;
        assert_eq!(superuser.as_deref(), Ok("echo: hello / echo: again"));
    }
}

#[tokio::test]
async fn browsers_get_the_unreachable_page_in_their_language_json_clients_a_problem() {
    let db = sqlite();
    let refused = crate::helpers::free_addr();
    let proxy = Proxy::start(&db, &format!("http://{refused}"), |_| {}).await;
    let resp = http()
        .get(proxy.url("/shop"))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .expect("browse");
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_GATEWAY);
    assert_eq!(resp.headers()["content-language"], "de");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert!(resp.headers().contains_key("content-security-policy"));
    let page = resp.text().await.expect("page");
    assert!(
        page.contains("<h1>Die Website antwortet gerade nicht</h1>"),
        "{page}"
    );
    assert!(
        !page.contains("Wir sind bald wieder da"),
        "not the maintenance page: {page}"
    );

    let resp = http()
        .get(proxy.url("/shop?lang=he"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("browse");
    let page = resp.text().await.expect("page");
    assert!(page.contains("<html lang=\"he\" dir=\"rtl\">"), "{page}");

    let resp = http()
        .get(proxy.url("/api/orders"))
        .header("accept", "application/json")
        .header("accept-language", "fr")
        .send()
        .await
        .expect("json");
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_GATEWAY);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let problem: Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "upstream_unreachable");
    assert_eq!(problem["status"], 502);
    assert_eq!(problem["title"], "Site injoignable");
}

#[tokio::test]
async fn the_apps_own_502_503_504_become_the_page_unless_maintenance_is_on() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start_with(&db, &upstream.url(), |_| {}, |_| HeaderSuperuser).await;
    let client = http();

    for (code, ours) in [(502, 502), (503, 503), (504, 502)] {
        let resp = client
            .get(proxy.url(&format!("/status/{code}")))
            .header("accept", "text/html")
            .send()
            .await
            .expect("browse");
        assert_eq!(resp.status().as_u16(), ours, "the app said {code}");
        let page = resp.text().await.expect("page");
        assert!(
            page.contains("The site is not answering right now"),
            "{page}"
        );
        let resp = client
            .post(proxy.url(&format!("/status/{code}")))
            .header("accept", "application/json")
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status().as_u16(), ours);
        if ours == 503 {
            assert_eq!(resp.headers()["retry-after"], "30");
        }
        let problem: Value = resp.json().await.expect("problem");
        assert_eq!(problem["code"], "upstream_error");
    }

    // While maintenance is on, whoever passes is working on the app: they see its own errors.
    proxy.switch_on().await;
    let resp = client
        .get(proxy.url("/status/503"))
        .header("x-test-superuser", "yes")
        .send()
        .await
        .expect("superuser");
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.text().await.expect("body"), "the app says 503");
}

#[tokio::test]
async fn readyz_reports_the_upstream_and_healthz_does_not_ask_it() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;
    let ready: Value = http()
        .get(proxy.url("/readyz"))
        .send()
        .await
        .expect("readyz")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        ready,
        json!({ "status": "ok", "database": "ok", "changes": "pushed", "upstream": "ok" })
    );

    drop(upstream);
    let refused = Proxy::start(&db, "http://127.0.0.1:9", |_| {}).await;
    let resp = http()
        .get(refused.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(
        resp.status(),
        reqwest::StatusCode::OK,
        "the page still needs serving"
    );
    let ready: Value = resp.json().await.expect("JSON");
    assert_eq!(ready["upstream"], "unreachable");
    assert_eq!(ready["status"], "degraded");
    let health: Value = http()
        .get(refused.url("/healthz"))
        .send()
        .await
        .expect("healthz")
        .json()
        .await
        .expect("JSON");
    assert_eq!(health, json!({ "status": "ok" }));
}

#[tokio::test]
async fn downtimes_cookie_names_can_be_changed_to_stay_clear_of_the_apps() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.lang_cookie = "dt_lang".into();
        config.auth.session_cookie = "dt_session".into();
        config.serve_in_place = true;
    })
    .await;
    proxy.switch_on().await;

    let resp = http()
        .get(proxy.url("/maintenance?lang=fr"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    let cookie = resp.headers()["set-cookie"].to_str().expect("ascii");
    assert!(cookie.starts_with("dt_lang=fr;"), "{cookie}");
    let resp = http()
        .get(proxy.url("/maintenance"))
        .header("accept", "text/html")
        .header("cookie", "downtime_lang=de; dt_lang=ja")
        .send()
        .await
        .expect("page");
    assert_eq!(resp.headers()["content-language"], "ja");

    let same = DowntimeBuilder::from_config(Config {
        database_url: db.url.clone(),
        ..Config::default()
    })
    .lang_cookie("sessionid")
    .session_cookie("sessionid")
    .build()
    .await;
    let error = same.expect_err("two cookies with one name").to_string();
    assert!(error.contains("different names"), "{error}");
}

#[test]
fn downtimes_default_cookie_names_are_its_own() {
    let config = Config::default();
    assert_eq!(config.lang_cookie, "downtime_lang");
    assert_eq!(config.auth.session_cookie, "downtime_session");
    assert_eq!(config.bypass_cookie, "downtime_bypass");
}

#[tokio::test]
async fn a_superuser_logs_in_through_downtime_and_uses_the_app_during_maintenance() {
    use crate::helpers::{Browser, dev_config, login, start_site};
    for db in databases().await {
        let upstream = start_upstream(&Upstream::default()).await;
        let mut config = dev_config();
        config.proxy.upstream = Some(upstream.url().parse().expect("URL"));
        config.auth.session_cookie = "dt_session".into();
        let server = start_site(&db, config, downtime::startup::Site::Upstream).await;
        server.maintenance_on().await;

        let mut admin = Browser::new();
        let done = login(
            &server,
            &mut admin,
            downtime::dev_idp::ADMIN.subject,
            "/app",
        )
        .await;
        assert_eq!(done.status(), reqwest::StatusCode::SEE_OTHER, "{}", db.kind);
        assert!(
            admin.cookies.contains_key("dt_session"),
            "{:?}",
            admin.cookies
        );
        assert!(!admin.cookies.contains_key("downtime_session"));

        admin
            .cookies
            .insert("sessionid".into(), "the-apps-own".into());
        let resp = admin
            .get(&format!("{}/app/orders?page=2", server.base))
            .await;
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        let echo: Value = resp.json().await.expect("echo");
        assert_eq!(echo["path"], "/app/orders");
        let cookies = seen(&echo, "cookie").join("; ");
        assert!(cookies.contains("sessionid=the-apps-own"), "{cookies}");
        // downtime's session is a credential for downtime alone: the app never sees it.
        assert!(!cookies.contains("dt_session"), "{cookies}");

        let visitor = http()
            .get(format!("{}/app/orders", server.base))
            .header("accept", "text/html")
            .send()
            .await
            .expect("visitor");
        assert_eq!(visitor.status(), reqwest::StatusCode::FOUND);
    }
}

/// Waits (at most 10 s) for the state to satisfy `check`, and returns it.
async fn state_where(
    proxy: &Proxy,
    check: impl FnMut(&Arc<downtime::state::Snapshot>) -> bool,
) -> Arc<downtime::state::Snapshot> {
    let mut changes = proxy.downtime.subscribe();
    let state = tokio::time::timeout(Duration::from_secs(10), changes.wait_for(check))
        .await
        .expect("the state changed in time")
        .expect("the state is followed");
    Arc::clone(&state)
}

/// Waits (at most 10 s) until the health checks have run `more` times past now with the
/// answer `answering`.
async fn checks(proxy: &Proxy, answering: bool, more: u64) {
    let mut health = proxy.downtime.upstream().expect("upstream").health();
    let from = health.borrow().checks;
    tokio::time::timeout(
        Duration::from_secs(10),
        health.wait_for(|h| h.answering == answering && h.checks >= from + more),
    )
    .await
    .expect("checked in time")
    .expect("checks run");
}

const AUTO_AFTER: Duration = Duration::from_millis(300);

#[tokio::test]
async fn maintenance_switches_on_when_the_upstream_fails_and_off_when_it_recovers() {
    for db in databases().await {
        let app = Upstream::default();
        let upstream = start_upstream(&app).await;
        let proxy = Proxy::start(&db, &upstream.url(), |config| {
            config.proxy.auto_maintenance_after = Some(AUTO_AFTER);
        })
        .await;
        checks(&proxy, true, 1).await;
        assert!(!proxy.downtime.state().live().load().window.enabled);

        app.down.store(true, Ordering::SeqCst);
        let on = state_where(&proxy, |s| s.window.enabled).await;
        assert_eq!(on.updated_by, "upstream-health", "{}", db.kind);
        let resp = http()
            .get(proxy.url("/orders"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("gated");
        assert_eq!(resp.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
        let problem: Value = resp.json().await.expect("problem");
        assert_eq!(problem["code"], "maintenance");

        app.down.store(false, Ordering::SeqCst);
        let off = state_where(&proxy, |s| !s.window.enabled).await;
        assert_eq!(off.updated_by, "upstream-health");
        let history = proxy
            .downtime
            .state()
            .history(10, None)
            .await
            .expect("history");
        let audited: Vec<(&str, bool)> = history
            .iter()
            .map(|e| {
                (
                    e.actor.as_str(),
                    e.reason.as_deref().is_some_and(|r| r.contains("upstream")),
                )
            })
            .collect();
        assert_eq!(
            &audited[..2],
            [("upstream-health", true), ("upstream-health", true)]
        );
        let resp = http().get(proxy.url("/orders")).send().await.expect("open");
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
    }
}

#[tokio::test]
async fn an_operators_maintenance_is_never_switched_off_by_a_recovery() {
    let db = sqlite();
    let app = Upstream::default();
    let upstream = start_upstream(&app).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.proxy.auto_maintenance_after = Some(AUTO_AFTER);
    })
    .await;

    // Switched on by an operator, then the app fails and recovers.
    proxy.switch_on().await;
    app.down.store(true, Ordering::SeqCst);
    checks(&proxy, false, 3).await;
    app.down.store(false, Ordering::SeqCst);
    checks(&proxy, true, 2).await;
    let state = Arc::clone(&proxy.downtime.state().live().load());
    assert!(state.window.enabled);
    assert_eq!(state.updated_by, "test");

    // Switched on automatically, then taken over by an operator before the app recovers.
    proxy
        .downtime
        .state()
        .apply(Window::off(), Change::by("test"))
        .await
        .expect("off");
    app.down.store(true, Ordering::SeqCst);
    state_where(&proxy, |s| s.window.enabled).await;
    let taken = Window {
        message: Some("We are on it".into()),
        ..Window::on()
    };
    proxy
        .downtime
        .state()
        .apply(taken, Change::by("ops"))
        .await
        .expect("take over");
    app.down.store(false, Ordering::SeqCst);
    checks(&proxy, true, 2).await;
    let state = Arc::clone(&proxy.downtime.state().live().load());
    assert!(state.window.enabled);
    assert_eq!(state.updated_by, "ops");
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_upstream_request() {
    // An upstream written by hand, to see exactly when downtime closes the connection to it:
    // it streams a first event, then heartbeats once the client has gone.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (client_gone, mut gone) = mpsc::channel::<()>(1);
    let (closed, mut upstream_closed) = mpsc::channel::<bool>(1);
    let app = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.expect("accept");
        let mut head = [0u8; 4096];
        let _ = conn.read(&mut head).await;
        conn.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n\
              9\r\ndata: 1\n\n\r\n",
        )
        .await
        .expect("first chunk");
        gone.recv().await;
        // Like an event stream's heartbeat: the app keeps writing, and learns the connection
        // is gone when downtime closes it (the write fails or the read ends).
        let (mut reader, mut writer) = conn.split();
        let mut heartbeat = tokio::time::interval(Duration::from_millis(20));
        let mut scratch = [0u8; 64];
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                tokio::select! {
                    _ = heartbeat.tick() => {
                        if writer.write_all(b"b\r\n: heartbeat\r\n").await.is_err() {
                            return;
                        }
                    }
                    read = reader.read(&mut scratch) => {
                        if matches!(read, Ok(0) | Err(_)) {
                            return;
                        }
                    }
                }
            }
        })
        .await
        .is_ok();
        let _ = closed.send(ended).await;
    });
    let db = sqlite();
    let proxy = Proxy::start(&db, &format!("http://{addr}"), |_| {}).await;

    let mut resp = http()
        .get(proxy.url("/events"))
        .send()
        .await
        .expect("request");
    let first = resp.chunk().await.expect("chunk").expect("first event");
    assert_eq!(&first[..], b"data: 1\n\n");
    drop(resp);
    client_gone.send(()).await.expect("signal");
    assert_eq!(
        upstream_closed.recv().await,
        Some(true),
        "downtime closed its connection to the app once the client had gone"
    );
    app.await.expect("the app ran");
}

#[tokio::test]
async fn a_client_that_leaves_before_the_app_answers_cancels_its_upstream_request() {
    // An app that reads the request and never answers: downtime would wait for its headers
    // until the (here one-minute) response timeout, unless the client's leaving ends the wait.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (asked, mut request_arrived) = mpsc::channel::<()>(1);
    let (closed, mut upstream_closed) = mpsc::channel::<bool>(1);
    let app = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.expect("accept");
        let mut head = [0u8; 4096];
        let _ = conn.read(&mut head).await;
        asked.send(()).await.expect("signal");
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if matches!(conn.read(&mut head).await, Ok(0) | Err(_)) {
                    return;
                }
            }
        })
        .await
        .is_ok();
        let _ = closed.send(ended).await;
    });
    let db = sqlite();
    let proxy = Proxy::start(&db, &format!("http://{addr}"), |config| {
        config.proxy.upstream_timeout = Duration::from_secs(60);
    })
    .await;

    let mut client = TcpStream::connect(proxy.server.addr)
        .await
        .expect("connect");
    client
        .write_all(b"GET /slow HTTP/1.1\r\nHost: shop.example\r\n\r\n")
        .await
        .expect("request");
    request_arrived
        .recv()
        .await
        .expect("the app got the request");
    drop(client);
    assert_eq!(
        upstream_closed.recv().await,
        Some(true),
        "downtime closed its connection to the app once the client had gone"
    );
    app.await.expect("the app ran");
}

#[tokio::test]
async fn a_client_expecting_100_continue_gets_it_and_its_body_goes_through() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;

    let mut conn = TcpStream::connect(proxy.server.addr)
        .await
        .expect("connect");
    conn.write_all(
        b"POST /form HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 5\r\n\
          Expect: 100-continue\r\nConnection: close\r\n\r\n",
    )
    .await
    .expect("head");
    let mut interim = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(10), conn.read_exact(&mut interim))
        .await
        .expect("100 Continue in time")
        .expect("read");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.write_all(b"hello").await.expect("body");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    let echo = raw_json(&answer);
    assert_eq!(echo["body"], "hello");
    assert!(seen(&echo, "expect").is_empty(), "{echo}");
}

#[tokio::test]
async fn connections_to_the_app_are_kept_alive_and_reused() {
    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |_| {}).await;
    let mut peers = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let echo: Value = http()
            .get(proxy.url("/"))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("echo");
        peers.insert(echo["peer"].as_str().expect("peer").to_owned());
    }
    assert_eq!(
        peers.len(),
        1,
        "one connection for five requests in a row: {peers:?}"
    );
}

#[tokio::test]
async fn an_idle_connection_the_app_closed_is_replaced_without_an_error() {
    // An app that answers one request per connection, then closes it, as one whose keep-alive
    // timeout has run out does.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (closed, mut closes) = mpsc::unbounded_channel::<()>();
    let app = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut head = [0u8; 4096];
            let _ = conn.read(&mut head).await;
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await;
            drop(conn);
            let _ = closed.send(());
        }
    });
    let db = sqlite();
    let proxy = Proxy::start(&db, &format!("http://{addr}"), |_| {}).await;
    for n in 0..3 {
        let resp = http().get(proxy.url("/")).send().await.expect("request");
        assert_eq!(resp.status(), reqwest::StatusCode::OK, "request {n}");
        assert_eq!(resp.text().await.expect("body"), "ok");
        closes.recv().await.expect("the app closed the connection");
    }
    app.abort();
}

/// An https app: TLS with the test certificate for `localhost` (tests/api/tls, signed by the
/// test CA there), answering every request with its method and path.
async fn start_tls_upstream() -> SocketAddr {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/tls");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(format!("{dir}/server.pem"))
            .expect("server.pem")
            .collect::<Result<_, _>>()
            .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/server.key")).expect("server.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("TLS config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|req: hyper::Request<_>| async move {
                    let text = format!("tls {} {}", req.method(), req.uri());
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(Bytes::from(text)),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn https_upstreams_are_verified_against_the_roots_and_a_configured_ca() {
    let db = sqlite();
    let addr = start_tls_upstream().await;
    let upstream = format!("https://localhost:{}", addr.port());
    let ca = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/tls/ca.pem"));

    let trusting = Proxy::start(&db, &upstream, |config| {
        config.proxy.upstream_ca = Some(ca.clone());
    })
    .await;
    let resp = http()
        .get(trusting.url("/secure/page?x=1"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    assert_eq!(resp.text().await.expect("body"), "tls GET /secure/page?x=1");

    // Without the CA the certificate is not trusted: the app counts as unreachable.
    let doubting = Proxy::start(&db, &upstream, |_| {}).await;
    let resp = http()
        .get(doubting.url("/"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_GATEWAY);
    let problem: Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "upstream_unreachable");

    let missing = DowntimeBuilder::from_config(Config {
        database_url: db.url.clone(),
        ..Config::default()
    })
    .upstream(upstream.parse().expect("URL"))
    .upstream_ca("no/such/ca.pem")
    .build()
    .await;
    let error = missing.expect_err("an unreadable CA file").to_string();
    assert!(error.contains("no/such/ca.pem"), "{error}");
}
