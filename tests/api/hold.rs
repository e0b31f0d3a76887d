//! Hold windows through the reverse proxy, on real sockets: requests wait instead of being
//! refused, go on intact and in order when the window ends, and every wait is bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use downtime::gate::hold::{RELEASED_IN_FLIGHT, ReleaseRate};
use downtime::state::{Mode, Window};
use poem::web::{Data, Query};
use poem::{EndpointExt, Route, get, handler, http::StatusCode};
use serde::Deserialize;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::helpers::{
    Proxy, Running, Server, Upstream, databases, downtime, eventually, http, sqlite, start_upstream,
};
use crate::proxy::{HeaderSuperuser, websocket_round_trip};

/// A hold window whose requests each wait up to `timeout_secs`.
fn hold(timeout_secs: u32) -> Window {
    Window {
        mode: Mode::Hold,
        hold_timeout_secs: timeout_secs,
        ..Window::on()
    }
}

/// Waits until `proxy` holds `n` requests.
async fn until_held(proxy: &Proxy, n: usize) {
    let holds = Arc::clone(proxy.downtime.holds());
    assert!(
        eventually(Duration::from_secs(10), || {
            let holds = Arc::clone(&holds);
            async move { holds.stats().held() == n }
        })
        .await,
        "{n} requests held (now {})",
        holds.stats().held()
    );
}

/// What `proxy` serves at `/metrics`.
async fn metrics_of(proxy: &Proxy) -> String {
    http()
        .get(proxy.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_held_upload_reaches_the_app_whole_when_the_hold_ends() {
    for db in databases().await {
        let upstream = Upstream::default();
        let app = start_upstream(&upstream).await;
        // The upload's own clock starts when it is forwarded, not while it is held.
        let proxy = Proxy::start(&db, &app.url(), |c| {
            c.proxy.body_timeout = Duration::from_secs(1);
        })
        .await;
        proxy.apply(hold(30)).await;

        let body = vec![b'x'; 1024 * 1024];
        let upload = tokio::spawn(
            http()
                .post(proxy.url("/count"))
                .header("accept", "application/json")
                .body(body)
                .send(),
        );
        until_held(&proxy, 1).await;
        assert_eq!(
            upstream.counted.load(std::sync::atomic::Ordering::SeqCst),
            0
        );

        proxy.apply(Window::off()).await;
        let answer = upload.await.expect("task").expect("answered");
        assert_eq!(answer.status(), StatusCode::OK, "{}", db.kind);
        assert_eq!(answer.text().await.expect("body"), "1048576", "{}", db.kind);
        assert_eq!(proxy.downtime.holds().stats().released(), 1);
    }
}

#[tokio::test]
async fn a_request_held_past_its_timeout_gets_the_maintenance_answer() {
    let db = sqlite();
    let app = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &app.url(), |_| {}).await;
    proxy.apply(hold(1)).await;

    let started = Instant::now();
    let json = http()
        .get(proxy.url("/orders"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("answered");
    let waited = started.elapsed();
    assert_eq!(json.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(json.headers().contains_key("retry-after"));
    assert_eq!(
        json.headers()["content-type"],
        "application/problem+json",
        "never a 504 or an empty answer"
    );
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(5),
        "{waited:?}"
    );

    // A browser, after the same wait, is sent to the page, as in full maintenance.
    let browser = http()
        .get(proxy.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("answered");
    assert_eq!(browser.status(), StatusCode::FOUND);
    assert!(
        browser.headers()["location"]
            .to_str()
            .expect("location")
            .starts_with("/maintenance?next="),
        "{:?}",
        browser.headers()
    );
    assert!(browser.headers().contains_key("retry-after"));
    assert_eq!(proxy.downtime.holds().stats().timed_out(), 2);
}

#[tokio::test]
async fn past_the_queue_bound_a_request_is_answered_at_once() {
    let db = sqlite();
    let app = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &app.url(), |c| c.hold_queue = 2).await;
    proxy.apply(hold(60)).await;

    let held: Vec<_> = (0..2)
        .map(|_| tokio::spawn(http().get(proxy.url("/a")).send()))
        .collect();
    until_held(&proxy, 2).await;
    let started = Instant::now();
    let third = http()
        .get(proxy.url("/a"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("answered");
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(third.headers().contains_key("retry-after"));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(proxy.downtime.holds().stats().refused(), 1);
    let metrics = metrics_of(&proxy).await;
    for line in [
        "downtime_held_requests 2",
        "downtime_hold_outcomes_total{outcome=\"refused\"} 1",
        "downtime_maintenance_active{mode=\"hold\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }

    proxy.apply(Window::off()).await;
    for request in held {
        let answer = request.await.expect("task").expect("answered");
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let metrics = metrics_of(&proxy).await;
    assert!(
        metrics.contains("downtime_hold_outcomes_total{outcome=\"released\"} 2")
            && metrics.contains("downtime_hold_wait_seconds_count 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_websocket_upgrade_waits_like_any_request() {
    let db = sqlite();
    let app = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &app.url(), |_| {}).await;
    proxy.apply(hold(60)).await;
    let (tunnel, ()) = tokio::join!(websocket_round_trip(&proxy, &[]), async {
        until_held(&proxy, 1).await;
        proxy.apply(Window::off()).await;
    });
    assert_eq!(tunnel.as_deref(), Ok("echo: hello / echo: again"));
    assert_eq!(proxy.downtime.holds().stats().released(), 1);
}

#[tokio::test]
async fn superusers_open_paths_and_downtimes_routes_pass_a_hold_at_once() {
    let db = sqlite();
    let app = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start_with(&db, &app.url(), |_| {}, |_| HeaderSuperuser).await;
    proxy
        .apply(Window {
            open_paths: vec!["/press".into()],
            ..hold(60)
        })
        .await;
    let quick = |request: reqwest::RequestBuilder| async move {
        tokio::time::timeout(Duration::from_secs(5), request.send())
            .await
            .expect("not held")
            .expect("answered")
            .status()
    };
    assert_eq!(
        quick(
            http()
                .get(proxy.url("/orders"))
                .header("x-test-superuser", "yes")
        )
        .await,
        StatusCode::OK
    );
    let open = tokio::time::timeout(
        Duration::from_secs(5),
        http().get(proxy.url("/press/kit")).send(),
    )
    .await
    .expect("not held")
    .expect("answered");
    assert_eq!(open.status(), StatusCode::OK, "{:?}", open.text().await);
    assert_eq!(
        quick(http().get(proxy.url("/healthz"))).await,
        StatusCode::OK
    );
    let status: serde_json::Value = http()
        .get(proxy.url("/api/status"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("JSON (checked against the spec by the proxy)");
    assert_eq!(status["mode"], "hold", "{status}");
    assert_eq!(proxy.downtime.holds().stats().held(), 0);
}

/// The order and times at which `/seen?n=…` reached the app.
#[derive(Clone, Default)]
struct Arrivals(Arc<Mutex<Vec<(u32, Instant)>>>);

#[derive(Deserialize)]
struct Seen {
    n: u32,
}

#[handler]
fn seen(Query(seen): Query<Seen>, Data(arrivals): Data<&Arrivals>) -> &'static str {
    arrivals
        .0
        .lock()
        .expect("arrivals")
        .push((seen.n, Instant::now()));
    "seen"
}

#[tokio::test]
async fn a_paced_release_keeps_to_its_rate_and_the_arrival_order() {
    let db = sqlite();
    let arrivals = Arrivals::default();
    let app = Running::start(Route::new().at("/seen", get(seen)).data(arrivals.clone())).await;
    let rate = 20;
    let proxy = Proxy::start(&db, &app.url(), |c| {
        c.release_rate = Some(format!("{rate}/s").parse::<ReleaseRate>().expect("rate"));
    })
    .await;
    proxy.apply(hold(60)).await;

    let n = 20;
    let mut requests = Vec::new();
    for i in 0..n {
        requests.push(tokio::spawn(
            http().get(proxy.url(&format!("/seen?n={i}"))).send(),
        ));
        // Each is held before the next is sent: the order they came in is known.
        until_held(&proxy, i as usize + 1).await;
    }
    proxy.apply(Window::off()).await;
    for request in requests {
        assert_eq!(
            request.await.expect("task").expect("answered").status(),
            StatusCode::OK
        );
    }
    let arrivals = arrivals.0.lock().expect("arrivals").clone();
    let order: Vec<u32> = arrivals.iter().map(|(n, _)| *n).collect();
    assert_eq!(order, (0..n).collect::<Vec<_>>(), "arrival order kept");
    // n requests at `rate` a second take (n - 1) / rate seconds at the least; an unpaced
    // release takes milliseconds. 10 % of slack for the timer.
    let span = arrivals[arrivals.len() - 1].1 - arrivals[0].1;
    let least = Duration::from_secs_f64(f64::from(n - 1) / f64::from(rate) * 0.9);
    assert!(span >= least, "{span:?} for {n} at {rate}/s");
    // And no second of it carried more than the rate (plus one for the window's edge).
    for (i, (_, at)) in arrivals.iter().enumerate() {
        let within = arrivals[i..]
            .iter()
            .take_while(|(_, later)| *later - *at < Duration::from_secs(1))
            .count();
        assert!(within <= rate as usize + 1, "{within} within a second");
    }
}

/// How many requests the app is answering now, and the most it answered at once.
#[derive(Clone, Default)]
struct Concurrency(Arc<(AtomicUsize, AtomicUsize)>);

#[handler]
async fn slow(Data(concurrency): Data<&Concurrency>) -> &'static str {
    let (now, most) = &*concurrency.0;
    let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
    most.fetch_max(at_once, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    now.fetch_sub(1, Ordering::SeqCst);
    "slow"
}

#[tokio::test]
async fn a_release_sends_the_app_a_bounded_number_at_once() {
    let db = sqlite();
    let concurrency = Concurrency::default();
    let app = Running::start(
        Route::new()
            .at("/slow", get(slow))
            .data(concurrency.clone()),
    )
    .await;
    // Every request comes from this one address: its own bound is lifted.
    let proxy = Proxy::start(&db, &app.url(), |c| {
        c.proxy.upstream_max_per_client = 10_000
    })
    .await;
    proxy.apply(hold(60)).await;
    let n = RELEASED_IN_FLIGHT + 44;
    let client = http();
    let requests: Vec<_> = (0..n)
        .map(|_| tokio::spawn(client.get(proxy.url("/slow")).send()))
        .collect();
    until_held(&proxy, n).await;
    proxy.apply(Window::off()).await;
    for request in requests {
        assert_eq!(
            request.await.expect("task").expect("answered").status(),
            StatusCode::OK
        );
    }
    // Unbounded, all of them would have reached the app within the first 300 ms.
    let most = concurrency.0.1.load(Ordering::SeqCst);
    assert!(
        (RELEASED_IN_FLIGHT / 2..=RELEASED_IN_FLIGHT).contains(&most),
        "{most} at once"
    );
}

#[tokio::test]
async fn a_client_that_gives_up_is_dropped_and_never_forwarded() {
    let db = sqlite();
    let upstream = Upstream::default();
    let app = start_upstream(&upstream).await;
    let proxy = Proxy::start(&db, &app.url(), |_| {}).await;
    proxy.apply(hold(60)).await;

    // One with no body (hyper sees it go), one whose unread upload sits in the socket (the
    // gate asks the kernel); each client closes its connection while held.
    let requests = [
        "POST /count HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 0\r\n\r\n".to_owned(),
        format!(
            "POST /count HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 65536\r\n\r\n{}",
            "x".repeat(65536)
        ),
    ];
    for (i, request) in requests.iter().enumerate() {
        let mut client = TcpStream::connect(proxy.server.addr)
            .await
            .expect("connect");
        client.write_all(request.as_bytes()).await.expect("send");
        until_held(&proxy, 1).await;
        drop(client);
        until_held(&proxy, 0).await;
        assert_eq!(proxy.downtime.holds().stats().abandoned(), i as u64 + 1);
    }

    proxy.apply(Window::off()).await;
    // What the upstream sees comes through the proxy's answer: one later request, counted.
    let later = http()
        .post(proxy.url("/count"))
        .send()
        .await
        .expect("answered");
    assert_eq!(later.status(), StatusCode::OK);
    assert_eq!(
        upstream.counted.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the abandoned requests never reached the app"
    );
}

#[tokio::test]
async fn a_hold_set_on_one_replica_releases_what_another_holds() {
    for db in databases().await {
        let app = start_upstream(&Upstream::default()).await;
        let a = Proxy::start(&db, &app.url(), |_| {}).await;
        let b = Proxy::start(&db, &app.url(), |_| {}).await;
        a.apply(hold(60)).await;
        assert!(
            eventually(Duration::from_secs(10), || async {
                b.downtime.state().live().load().holds_requests()
            })
            .await,
            "{}: the hold reached b",
            db.kind
        );
        let held = tokio::spawn(http().get(b.url("/orders")).send());
        until_held(&b, 1).await;
        a.apply(Window::off()).await;
        let answer = tokio::time::timeout(Duration::from_secs(10), held)
            .await
            .expect("released in time")
            .expect("task")
            .expect("answered");
        assert_eq!(answer.status(), StatusCode::OK, "{}", db.kind);
    }
}

#[tokio::test]
async fn a_shutdown_answers_every_held_request() {
    let db = sqlite();
    let server = Server::start(&db.url, &[]).await;
    let out = downtime(
        &db.url,
        &["hold", "--hold-timeout", "2m", "--reason", "deploy"],
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        eventually(Duration::from_secs(10), || async {
            let status = server.json("/api/status").await;
            status["mode"] == "hold" && status["active"] == true
        })
        .await
    );
    let held: Vec<_> = (0..3)
        .map(|_| {
            tokio::spawn(
                server
                    .http
                    .get(format!("{}/about", server.base))
                    .header("accept", "application/json")
                    .send(),
            )
        })
        .collect();
    // Held, not answered: nothing comes back while the hold lasts.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(held.iter().all(|h| !h.is_finished()));

    let started = Instant::now();
    let log = server.stop().await;
    for request in held {
        let answer = request.await.expect("task").expect("answered");
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(answer.headers().contains_key("retry-after"));
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not after a timeout"
    );
    assert!(log.contains("hold started"), "{log}");
}

#[tokio::test]
async fn the_api_sets_a_hold_and_refuses_a_timeout_out_of_range() {
    let db = sqlite();
    let api = crate::helpers::Api::start(&db).await;
    let too_long = api
        .put(
            &serde_json::json!({ "enabled": true, "mode": "hold", "hold_timeout": 301 }),
            None,
        )
        .await;
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = too_long.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "hold_timeout", "{problem}");

    let set = api
        .put(
            &serde_json::json!({ "enabled": true, "mode": "hold", "hold_timeout": 45 }),
            None,
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK, "{:?}", set.text().await);
    let (_, state) = api.get_state().await;
    assert_eq!(state["mode"], "hold");
    assert_eq!(state["hold_timeout"], 45);
    assert_eq!(state["active"], true);

    let out = downtime(&db.url, &["status"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ON (hold)") && text.contains("up to 45s"),
        "{text}"
    );
    let stored = downtime::state::StateService::open(&db.url)
        .await
        .expect("open")
        .current()
        .await
        .expect("state");
    assert_eq!(stored.window.hold_timeout_secs, 45);
}

/// Runs `downtime run --hold …` in the background, waits until the server holds, then sends
/// one JSON request; returns the request's answer, how long it took, and the command's exit.
async fn run_hold(args: &[&str]) -> (StatusCode, Duration, Option<i32>, serde_json::Value) {
    let db = sqlite();
    let server = Server::start(&db.url, &[]).await;
    let url = db.url.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let run = tokio::spawn(async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        downtime(&url, &args).await
    });
    let status = || server.json("/api/status");
    assert!(
        eventually(Duration::from_secs(10), || async {
            status().await["mode"] == "hold"
        })
        .await,
        "the run holds"
    );
    let started = Instant::now();
    let answer = server
        .http
        .get(format!("{}/about", server.base))
        .header("accept", "application/json")
        .send()
        .await
        .expect("answered");
    let waited = started.elapsed();
    let out = run.await.expect("task");
    // What the run left stored, read from the database.
    let stored = downtime(&db.url, &["status", "--json"]).await;
    let stored = serde_json::from_slice(&stored.stdout).expect("status --json");
    (answer.status(), waited, out.status.code(), stored)
}

#[tokio::test]
async fn run_hold_releases_held_requests_when_the_command_succeeds() {
    let (status, waited, code, after) = run_hold(&["run", "--hold", "--", "sleep", "1"]).await;
    assert_eq!(status, StatusCode::OK, "released to the app");
    assert!(
        waited >= Duration::from_millis(500),
        "held first: {waited:?}"
    );
    assert_eq!(code, Some(0));
    assert_eq!(after["active"], false, "{after}");
}

#[tokio::test]
async fn run_hold_shows_the_page_when_the_command_fails() {
    let (status, waited, code, after) =
        run_hold(&["run", "--hold", "--", "sh", "-c", "sleep 1; exit 3"]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        waited < Duration::from_secs(10),
        "not after the hold timeout: {waited:?}"
    );
    assert_eq!(code, Some(3), "the command's own code");
    assert_eq!(
        (after["active"].clone(), after["mode"].clone()),
        (true.into(), "full".into()),
        "{after}"
    );
}

#[tokio::test]
async fn run_hold_shows_the_page_when_the_command_runs_too_long() {
    let (status, waited, code, after) = run_hold(&[
        "run",
        "--hold",
        "--switch-to-page-after",
        "1s",
        "--",
        "sleep",
        "3",
    ])
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        waited < Duration::from_millis(2500),
        "the page before the command ended: {waited:?}"
    );
    assert_eq!(code, Some(0));
    assert_eq!(after["active"], false, "off once it succeeded: {after}");
}
