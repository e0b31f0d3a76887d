//! `/metrics` over real HTTP: what it counts (gated and passed requests, API writes, upstream
//! errors), the state it reports, and who may read it.

use std::collections::BTreeMap;
use std::time::Duration;

use downtime::config::Config;
use downtime::dev_idp;
use downtime::startup::Site;
use downtime::state::{Mode, Window};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    LiveServer, TestDb, client_token, databases, dev_config, eventually, free_addr, http,
    postgres_only, sqlite, start, start_site,
};

/// A token for the tests' scrapers; never the one anything else uses.
const METRICS_TOKEN: &str = "metrics-token-for-tests-0123456789";

/// One scrape: every sample, by its name and labels written as `name{a="x",b="y"}` with the
/// labels sorted by name.
struct Exposition {
    samples: BTreeMap<String, f64>,
    text: String,
}

impl Exposition {
    /// Reads the OpenMetrics text format: `# …` lines are metadata, every other line a sample
    /// `name{labels} value`, and `# EOF` ends it.
    fn parse(text: &str) -> Exposition {
        assert!(text.ends_with("# EOF\n"), "no EOF marker: {text}");
        let mut samples = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').expect("a sample and its value");
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("number in {line:?}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, labels(rest.strip_suffix('}').expect("}"))),
                None => (series, Vec::new()),
            };
            let previous = samples.insert(key(name, &labels), value);
            assert!(previous.is_none(), "{line:?} twice");
        }
        Exposition {
            samples,
            text: text.to_owned(),
        }
    }

    /// The sample's value; fails when there is no such sample.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let key = key(name, &labels);
        *self
            .samples
            .get(&key)
            .unwrap_or_else(|| panic!("no sample {key} in:\n{}", self.text))
    }

    fn has_family(&self, name: &str) -> bool {
        self.samples
            .keys()
            .any(|k| k.starts_with(name) && k[name.len()..].starts_with(['{', '_']))
    }
}

/// `a="x",b="y"` into pairs, unescaping `\"`, `\\` and `\n`.
fn labels(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").expect("name=\"value\"");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a closing quote") {
                (_, '\\') => match chars.next().expect("an escaped character") {
                    (_, 'n') => value.push('\n'),
                    (_, c) => value.push(c),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        pairs.push((name.to_owned(), value));
        rest = after[end + 1..].trim_start_matches(',');
    }
    pairs
}

fn key(name: &str, labels: &[(String, String)]) -> String {
    let mut labels = labels.to_vec();
    labels.sort();
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", labels.join(","))
}

/// Scrapes `server` from loopback (allowed by default).
async fn scrape(server: &LiveServer) -> Exposition {
    let resp = http()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("scrape");
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"].to_str().expect("ASCII");
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    assert_eq!(resp.headers()["cache-control"], "no-store");
    Exposition::parse(&resp.text().await.expect("body"))
}

/// What `path` answers a GET with `accept`, and the extra header when given.
async fn get(
    server: &LiveServer,
    path: &str,
    accept: &str,
    extra: Option<(&str, &str)>,
) -> StatusCode {
    let mut req = http()
        .get(format!("{}{path}", server.base))
        .header("accept", accept);
    if let Some((name, value)) = extra {
        req = req.header(name, value);
    }
    req.send().await.expect("GET").status()
}

fn gated(scrape: &Exposition, answer: &str, reason: &str) -> f64 {
    scrape.value(
        "downtime_gated_requests_total",
        &[("answer", answer), ("reason", reason)],
    )
}

fn passed(scrape: &Exposition, reason: &str) -> f64 {
    scrape.value("downtime_passed_requests_total", &[("reason", reason)])
}

fn writes(scrape: &Exposition, result: &str) -> f64 {
    scrape.value("downtime_api_writes_total", &[("result", result)])
}

fn active(scrape: &Exposition, mode: &str) -> f64 {
    scrape.value("downtime_maintenance_active", &[("mode", mode)])
}

const HTML: &str = "text/html";
const JSON: &str = "application/json";

#[tokio::test]
async fn gated_requests_are_counted_by_answer_and_reason_and_the_state_is_reported() {
    for db in databases().await {
        let kind = db.kind;
        let server = start(&db, dev_config()).await;

        let off = scrape(&server).await;
        assert_eq!(active(&off, "full"), 0.0, "{kind}");
        assert_eq!(active(&off, "read_only"), 0.0, "{kind}");
        assert!(!off.has_family("downtime_upstream_errors"), "{kind}");
        // Requests while maintenance is off are the site's ordinary traffic: not counted.
        assert_eq!(get(&server, "/", HTML, None).await, StatusCode::OK);
        let still_off = scrape(&server).await;
        let counters = |scrape: &Exposition| {
            scrape
                .samples
                .iter()
                .filter(|(key, _)| key.contains("_total{"))
                .map(|(key, value)| (key.clone(), *value))
                .collect::<Vec<_>>()
        };
        assert_eq!(counters(&still_off), counters(&off), "{kind}");

        server.switch_on(Window::off()).await;
        let before = scrape(&server).await;
        assert_eq!(active(&before, "full"), 1.0, "{kind}");
        assert_eq!(active(&before, "read_only"), 0.0, "{kind}");
        let version = server.service.current().await.expect("state").version;
        assert_eq!(
            before.value("downtime_state_version", &[]),
            version as f64,
            "{kind}"
        );
        let age = before.value("downtime_state_sync_age_seconds", &[]);
        assert!((0.0..2.0).contains(&age), "{kind}: synced {age} s ago");
        assert!(
            before.value("downtime_listener_reconnects_total", &[]) >= 0.0,
            "{kind}"
        );

        for _ in 0..3 {
            assert_eq!(
                get(&server, "/api/demo/items", JSON, None).await,
                StatusCode::SERVICE_UNAVAILABLE
            );
        }
        for _ in 0..2 {
            assert_eq!(get(&server, "/about", HTML, None).await, StatusCode::FOUND);
        }
        assert_eq!(
            get(&server, "/maintenance", HTML, None).await,
            StatusCode::SERVICE_UNAVAILABLE
        );

        let after = scrape(&server).await;
        let grew = |answer, reason| gated(&after, answer, reason) - gated(&before, answer, reason);
        assert_eq!(grew("json", "maintenance"), 3.0, "{kind}");
        assert_eq!(grew("redirect", "maintenance"), 2.0, "{kind}");
        assert_eq!(grew("page", "maintenance_page"), 1.0, "{kind}");
        assert_eq!(grew("page", "maintenance"), 0.0, "{kind}");
        assert_eq!(grew("json", "read_only_write"), 0.0, "{kind}");
        // This scrape passed as an open path: maintenance never blocks it.
        assert_eq!(
            passed(&after, "open_path") - passed(&before, "open_path"),
            1.0,
            "{kind}"
        );

        // A scoped window names its reason.
        server
            .switch_on(Window {
                scope: vec!["/contact".into()],
                ..Window::off()
            })
            .await;
        assert_eq!(get(&server, "/about", HTML, None).await, StatusCode::OK);
        assert_eq!(
            get(&server, "/contact", JSON, None).await,
            StatusCode::SERVICE_UNAVAILABLE
        );
        let scoped = scrape(&server).await;
        assert_eq!(gated(&scoped, "json", "scope"), 1.0, "{kind}");
        // The page, and this scrape: outside the scope, nothing else is asked.
        assert_eq!(passed(&scoped, "out_of_scope"), 2.0, "{kind}");
        assert_eq!(
            scoped.value("downtime_state_version", &[]),
            (version + 1) as f64,
            "{kind}"
        );
    }
}

#[tokio::test]
async fn passes_during_maintenance_are_counted_by_reason() {
    for db in databases().await {
        let kind = db.kind;
        let server = start(&db, dev_config()).await;
        server.switch_on(Window::off()).await;
        let token = client_token(&server, dev_idp::SCRIPT_CLIENT).await;
        let before = scrape(&server).await;

        // A superuser's bearer token.
        let bearer = format!("Bearer {token}");
        assert_eq!(
            get(&server, "/about", HTML, Some(("authorization", &bearer))).await,
            StatusCode::OK
        );

        // A bypass link's holder.
        let created: Value = http()
            .post(format!("{}/api/maintenance/bypass", server.base))
            .bearer_auth(&token)
            .json(&json!({"ttl": 600, "label": "metrics"}))
            .send()
            .await
            .expect("create a link")
            .json()
            .await
            .expect("JSON");
        let url = created["url"].as_str().expect("url");
        let opened = http().get(url).send().await.expect("open the link");
        assert_eq!(opened.status(), StatusCode::FOUND, "{kind}");
        let cookie = opened.headers()["set-cookie"]
            .to_str()
            .expect("ASCII")
            .split(';')
            .next()
            .expect("name=value")
            .to_owned();
        assert_eq!(
            get(&server, "/about", HTML, Some(("cookie", &cookie))).await,
            StatusCode::OK
        );

        let after = scrape(&server).await;
        let grew = |reason| passed(&after, reason) - passed(&before, reason);
        assert_eq!(grew("superuser"), 1.0, "{kind}");
        assert_eq!(grew("bypass"), 1.0, "{kind}");
        assert_eq!(grew("allowed_address"), 0.0, "{kind}");
        assert_eq!(grew("read_only"), 0.0, "{kind}");
        assert_eq!(
            gated(&after, "redirect", "maintenance") - gated(&before, "redirect", "maintenance"),
            0.0,
            "{kind}: neither was gated"
        );

        // An allowed address (the tests come from loopback).
        server
            .switch_on(Window {
                allowed_ips: vec!["127.0.0.0/8".parse().expect("net")],
                ..Window::off()
            })
            .await;
        assert_eq!(get(&server, "/about", HTML, None).await, StatusCode::OK);
        let allowed = scrape(&server).await;
        assert_eq!(
            passed(&allowed, "allowed_address") - passed(&after, "allowed_address"),
            1.0,
            "{kind}"
        );

        // Read-only: a read passes, a write is gated.
        server
            .switch_on(Window {
                mode: Mode::ReadOnly,
                ..Window::off()
            })
            .await;
        assert_eq!(get(&server, "/about", HTML, None).await, StatusCode::OK);
        let write = http()
            .post(format!("{}/api/demo/items", server.base))
            .header("accept", JSON)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .expect("POST");
        assert_eq!(write.status(), StatusCode::SERVICE_UNAVAILABLE, "{kind}");
        let read_only = scrape(&server).await;
        assert_eq!(active(&read_only, "read_only"), 1.0, "{kind}");
        assert_eq!(active(&read_only, "full"), 0.0, "{kind}");
        assert_eq!(
            passed(&read_only, "read_only") - passed(&allowed, "read_only"),
            1.0,
            "{kind}"
        );
        assert_eq!(gated(&read_only, "json", "read_only_write"), 1.0, "{kind}");
    }
}

/// A write to the state through the API, with `token` when given.
async fn write(
    server: &LiveServer,
    method: Method,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Value,
) -> StatusCode {
    let mut req = http()
        .request(method, format!("{}/api/maintenance", server.base))
        .json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.expect("write").status()
}

#[tokio::test]
async fn api_writes_are_counted_by_result() {
    for db in databases().await {
        let kind = db.kind;
        let server = start(&db, dev_config()).await;
        let token = client_token(&server, dev_idp::SCRIPT_CLIENT).await;
        let other = client_token(&server, dev_idp::OTHER_CLIENT).await;
        let before = scrape(&server).await;

        let on = json!({"enabled": true});
        assert_eq!(
            write(&server, Method::PUT, Some(&token), None, on.clone()).await,
            StatusCode::OK
        );
        assert_eq!(
            write(
                &server,
                Method::PATCH,
                Some(&token),
                None,
                json!({"message": "soon"})
            )
            .await,
            StatusCode::OK
        );
        assert_eq!(
            write(
                &server,
                Method::PUT,
                Some(&token),
                None,
                json!({"enabled": true, "retry_after": 0})
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            write(
                &server,
                Method::PUT,
                Some(&token),
                Some("\"v1\""),
                on.clone()
            )
            .await,
            StatusCode::PRECONDITION_FAILED
        );
        assert_eq!(
            write(&server, Method::PUT, None, None, on.clone()).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            write(&server, Method::PATCH, Some(&other), None, on.clone()).await,
            StatusCode::FORBIDDEN
        );
        // Reads are not writes.
        let read = http()
            .get(format!("{}/api/maintenance", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET");
        assert_eq!(read.status(), StatusCode::OK);

        let after = scrape(&server).await;
        let grew = |result| writes(&after, result) - writes(&before, result);
        assert_eq!(grew("ok"), 2.0, "{kind}");
        assert_eq!(grew("invalid"), 1.0, "{kind}");
        assert_eq!(grew("conflict"), 1.0, "{kind}");
        assert_eq!(grew("unauthorized"), 1.0, "{kind}");
        assert_eq!(grew("forbidden"), 1.0, "{kind}");
        assert_eq!(grew("unavailable"), 0.0, "{kind}");
        assert_eq!(grew("error"), 0.0, "{kind}");
    }
}

/// A live server whose metrics are open to `10.0.0.0/8` only, with `token` when given.
async fn server_for(db: &TestDb, token: Option<&str>, trust_loopback: bool) -> LiveServer {
    let mut config: Config = dev_config();
    // No login is needed here, and the development provider refuses trusted proxies.
    config.auth.dev_idp = false;
    config.metrics.metrics_allow = vec!["10.0.0.0/8".parse().expect("net")];
    config.metrics.metrics_token = token.map(|t| downtime::metrics::token(t).expect("token"));
    if trust_loopback {
        config.trusted_proxies = vec!["127.0.0.0/8".parse().expect("net")];
    }
    start(db, config).await
}

/// GET `/metrics` with the extra headers: status, `WWW-Authenticate`, body.
async fn try_scrape(server: &LiveServer, headers: &[(&str, &str)]) -> (StatusCode, String, String) {
    let mut req = http().get(format!("{}/metrics", server.base));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.expect("scrape");
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if status != StatusCode::OK {
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "a refusal is a problem document"
        );
    }
    (status, challenge, resp.text().await.expect("body"))
}

#[tokio::test]
async fn metrics_are_served_to_allowed_networks_and_token_holders_only() {
    let db = sqlite();

    // Loopback is allowed by default, during maintenance too.
    let open = start(&db, dev_config()).await;
    open.maintenance_on().await;
    assert_eq!(try_scrape(&open, &[]).await.0, StatusCode::OK);
    drop(open);

    // Another network only, and no token: refused, whatever the client claims.
    let closed = server_for(&db, None, false).await;
    let (status, challenge, body) = try_scrape(&closed, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(challenge, "");
    let problem: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(problem["code"], "forbidden");
    let spoofed = try_scrape(&closed, &[("x-forwarded-for", "10.0.0.7")]).await;
    assert_eq!(
        spoofed.0,
        StatusCode::FORBIDDEN,
        "an untrusted X-Forwarded-For"
    );
    let bearer = format!("Bearer {METRICS_TOKEN}");
    let unconfigured = try_scrape(&closed, &[("authorization", &bearer)]).await;
    assert_eq!(
        unconfigured.0,
        StatusCode::FORBIDDEN,
        "no token is configured"
    );
    drop(closed);

    // Behind a trusted proxy, the forwarded address is the client's.
    let proxied = server_for(&db, None, true).await;
    let forwarded = try_scrape(&proxied, &[("x-forwarded-for", "10.0.0.7")]).await;
    assert_eq!(forwarded.0, StatusCode::OK);
    let outside = try_scrape(&proxied, &[("x-forwarded-for", "192.0.2.1")]).await;
    assert_eq!(outside.0, StatusCode::FORBIDDEN);
    drop(proxied);

    // With a token: the right one from anywhere; none, or a wrong one, is challenged.
    let guarded = server_for(&db, Some(METRICS_TOKEN), false).await;
    let (status, challenge, body) = try_scrape(&guarded, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(!body.contains(METRICS_TOKEN));
    let wrong = format!("Bearer {METRICS_TOKEN}x");
    let (status, challenge, body) = try_scrape(&guarded, &[("authorization", &wrong)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.contains("invalid_token"), "{challenge}");
    assert!(!body.contains(METRICS_TOKEN), "{body}");
    let other_scheme = format!("Basic {METRICS_TOKEN}");
    let basic = try_scrape(&guarded, &[("authorization", &other_scheme)]).await;
    assert_eq!(basic.0, StatusCode::UNAUTHORIZED);
    let (status, _, body) = try_scrape(&guarded, &[("authorization", &bearer)]).await;
    assert_eq!(status, StatusCode::OK);
    let scrape = Exposition::parse(&body);
    // The first server switched maintenance on in the database they all share.
    assert_eq!(active(&scrape, "full"), 1.0);
}

#[tokio::test]
async fn upstream_errors_are_counted_by_kind_in_proxy_mode() {
    let db = sqlite();
    // A port that was free a moment ago: connections are refused.
    let refused = free_addr();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.proxy.upstream = Some(format!("http://{refused}").parse().expect("URL"));
    let server = start_site(&db, config, Site::Upstream).await;
    let before = scrape(&server).await;
    let errors = |scrape: &Exposition, kind| {
        scrape.value("downtime_upstream_errors_total", &[("kind", kind)])
    };
    assert_eq!(errors(&before, "unreachable"), 0.0);

    for _ in 0..2 {
        assert_eq!(get(&server, "/", JSON, None).await, StatusCode::BAD_GATEWAY);
    }
    let after = scrape(&server).await;
    assert_eq!(errors(&after, "unreachable"), 2.0);
    for kind in ["timeout", "bad_answer", "error_status"] {
        assert_eq!(errors(&after, kind), 0.0, "{kind}");
    }
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL"
)]
async fn a_lost_change_listener_is_counted_when_it_reconnects() {
    let (db, _) = postgres_only().await;
    let server = start(&db, dev_config()).await;
    let reconnects = |scrape: &Exposition| scrape.value("downtime_listener_reconnects_total", &[]);
    assert_eq!(reconnects(&scrape(&server).await), 0.0);
    // A busy machine may start serving before the listener is up (the server waits for it
    // only so long): there must be one to cut.
    let listening = eventually(Duration::from_secs(10), || async {
        scrape(&server).await.value("downtime_changes_pushed", &[]) == 1.0
    })
    .await;
    assert!(listening, "the listener never connected");

    let admin = sea_orm::Database::connect(db.url.as_str())
        .await
        .expect("connect");
    use sea_orm::ConnectionTrait as _;
    let terminated = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'downtime listener'",
        ))
        .await
        .expect("terminate the listener");
    assert_eq!(terminated.len(), 1, "one listener to cut");
    admin.close().await.ok();

    let counted = eventually(Duration::from_secs(10), || async {
        reconnects(&scrape(&server).await) >= 1.0
    })
    .await;
    assert!(counted, "the reconnect was never counted");
}

#[tokio::test]
async fn webhook_deliveries_are_counted_by_event_and_result() {
    let db = sqlite();
    let plain = start(&db, dev_config()).await;
    assert!(
        !scrape(&plain)
            .await
            .has_family("downtime_webhook_deliveries"),
        "no webhooks, no family"
    );
    drop(plain);

    // Nothing listens there: every attempt fails, then the delivery is given up.
    let mut config = dev_config();
    config.webhook.webhooks = vec![
        downtime::webhook::WebhookUrl::parse(&format!("http://{}/hook", free_addr()))
            .expect("URL")
            .into(),
    ];
    config.webhook.webhook_secret = Some("a-webhook-secret-of-32-characters!".into());
    config.webhook.webhook_retry = downtime::webhook::Retry {
        timeout: Duration::from_secs(1),
        first_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(100),
        give_up_after: Duration::from_millis(400),
    };
    let server = start(&db, config).await;
    // A change that starts a window: two events, each given up.
    server.switch_on(Window::on()).await;
    let count = |scraped: &Exposition, event: &str, result: &str| {
        scraped.value(
            "downtime_webhook_deliveries_total",
            &[("event", event), ("result", result)],
        )
    };
    let counted = eventually(Duration::from_secs(10), || async {
        let scraped = scrape(&server).await;
        count(&scraped, "maintenance.changed", "given_up") == 1.0
            && count(&scraped, "maintenance.started", "given_up") == 1.0
    })
    .await;
    assert!(counted, "the given-up deliveries were never counted");
    let scraped = scrape(&server).await;
    assert!(count(&scraped, "maintenance.changed", "failed_attempt") >= 1.0);
    assert!(count(&scraped, "maintenance.started", "failed_attempt") >= 1.0);
    for event in [
        "maintenance.changed",
        "maintenance.started",
        "maintenance.ended",
    ] {
        assert_eq!(count(&scraped, event, "delivered"), 0.0, "{event}");
    }
    assert_eq!(count(&scraped, "maintenance.ended", "given_up"), 0.0);
}
