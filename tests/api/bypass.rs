//! Bypass links: created by a superuser (API or CLI), opened by someone without an account,
//! refused when forged, expired or revoked, on every replica.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    LiveServer, Server, databases, dev_config, downtime, eventually, http, sqlite, start,
};
use downtime::dev_idp;

/// A live server with maintenance on, and a superuser's token for its API.
async fn gated_site(db: &crate::helpers::TestDb) -> (LiveServer, String) {
    let server = start(db, dev_config()).await;
    server.maintenance_on().await;
    let token = server.token().await;
    (server, token)
}

async fn api(
    server: &LiveServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = http()
        .request(
            method,
            format!("{}/api/maintenance/bypass{path}", server.base),
        )
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.expect("API request")
}

/// Creates a link through the API; its JSON answer.
async fn create(server: &LiveServer, token: &str, body: Value) -> Value {
    let resp = api(server, token, Method::POST, "", Some(body)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    resp.json().await.expect("JSON")
}

/// Opens `url` as a browser would, without following the redirect.
async fn open(url: &str) -> reqwest::Response {
    http()
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .expect("open the link")
}

/// The `name=value` part of the response's bypass cookie.
fn bypass_cookie(resp: &reqwest::Response) -> String {
    let set = resp.headers()["set-cookie"].to_str().expect("ASCII");
    set.split(';').next().expect("pair").to_owned()
}

/// What `path` answers a browser sending `cookie` (status, and `Location` if any).
async fn browse(base: &str, path: &str, cookie: &str) -> (StatusCode, Option<String>) {
    let resp = http()
        .get(format!("{base}{path}"))
        .header("accept", "text/html")
        .header("cookie", cookie)
        .send()
        .await
        .expect("GET");
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (resp.status(), location)
}

fn gated(answer: &(StatusCode, Option<String>)) -> bool {
    answer.0 == StatusCode::FOUND
        && answer
            .1
            .as_deref()
            .is_some_and(|l| l.starts_with("/maintenance"))
}

#[tokio::test]
async fn a_bypass_link_lets_its_holder_past_the_gate_until_it_is_revoked() {
    for db in databases().await {
        let (server, token) = gated_site(&db).await;
        let kind = db.kind;

        let created = create(
            &server,
            &token,
            json!({"ttl": 7200, "label": "QA: checkout fix", "next": "/about?tab=1"}),
        )
        .await;
        let url = created["url"].as_str().expect("url").to_owned();
        let id = created["link"]["id"].as_str().expect("id").to_owned();
        assert!(
            url.starts_with(&format!("{}/auth/bypass?token={id}.", server.base)),
            "{kind}: {url}"
        );
        assert!(url.ends_with("&next=/about%3Ftab%3D1"), "{kind}: {url}");
        assert_eq!(created["link"]["status"], "active");
        assert_eq!(created["link"]["label"], "QA: checkout fix");
        assert_eq!(
            created["link"]["created_by"],
            format!("client:{}", dev_idp::SCRIPT_CLIENT.0)
        );

        // Opening it: a cookie, then on to `next`.
        let opened = open(&url).await;
        assert_eq!(opened.status(), StatusCode::FOUND, "{kind}");
        assert_eq!(opened.headers()["location"], "/about?tab=1");
        assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
        assert_eq!(opened.headers()["cache-control"], "no-store");
        let set = opened.headers()["set-cookie"].to_str().expect("ASCII");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(
                set.contains(attribute),
                "{kind}: {attribute} missing: {set}"
            );
        }
        assert!(!set.contains("Secure"), "plain http: {set}");
        let max_age: i64 = set
            .split("Max-Age=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .and_then(|v| v.parse().ok())
            .expect("Max-Age");
        assert!((7100..=7200).contains(&max_age), "{kind}: {max_age}");
        let cookie = bypass_cookie(&opened);
        assert!(cookie.starts_with(&format!("downtime_bypass={id}.")));

        // The holder passes; everyone else is gated.
        assert_eq!(
            browse(&server.base, "/about", &cookie).await.0,
            StatusCode::OK
        );
        assert!(gated(&browse(&server.base, "/about", "").await), "{kind}");

        // The holder is no superuser: the API refuses them.
        let api_answer = http()
            .get(format!("{}/api/maintenance", server.base))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("GET");
        assert_eq!(api_answer.status(), StatusCode::UNAUTHORIZED, "{kind}");

        // Listed, without its secret.
        let listed = api(&server, &token, Method::GET, "", None).await;
        assert_eq!(listed.status(), StatusCode::OK);
        let listed = listed.text().await.expect("body");
        let secret = url
            .split("token=")
            .nth(1)
            .and_then(|t| t.split('&').next())
            .and_then(|t| t.split_once('.'))
            .map(|(_, secret)| secret)
            .expect("secret");
        assert!(!listed.contains(secret), "{kind}: the secret is listed");
        let listed: Value = serde_json::from_str(&listed).expect("JSON");
        assert_eq!(listed["items"][0]["id"], id.as_str());
        assert_eq!(listed["items"][0]["status"], "active");

        // Revoked: the cookie and the link stop working at once.
        let revoked = api(&server, &token, Method::DELETE, &format!("/{id}"), None).await;
        assert_eq!(revoked.status(), StatusCode::OK, "{kind}");
        let revoked: Value = revoked.json().await.expect("JSON");
        assert_eq!(revoked["status"], "revoked");
        assert_eq!(
            revoked["revoked_by"],
            format!("client:{}", dev_idp::SCRIPT_CLIENT.0)
        );
        assert!(
            gated(&browse(&server.base, "/about", &cookie).await),
            "{kind}"
        );
        let reopened = open(&url).await;
        assert_eq!(reopened.status(), StatusCode::FORBIDDEN, "{kind}");
        assert!(reopened.headers().get("set-cookie").is_none());
        assert_eq!(
            reopened.headers()["content-type"],
            "application/problem+json"
        );

        // Revoking again changes nothing; an unknown id is a 404 problem.
        let again = api(&server, &token, Method::DELETE, &format!("/{id}"), None).await;
        assert_eq!(again.status(), StatusCode::OK);
        let again: Value = again.json().await.expect("JSON");
        assert_eq!(again["revoked_at"], revoked["revoked_at"]);
        let unknown = api(&server, &token, Method::DELETE, "/0123456789abcdef", None).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            unknown.headers()["content-type"],
            "application/problem+json"
        );
    }
}

#[tokio::test]
async fn forged_tampered_and_foreign_bypass_cookies_and_links_are_refused() {
    let db = sqlite();
    let (server, token) = gated_site(&db).await;
    let first = create(&server, &token, json!({"ttl": 600})).await;
    let second = create(&server, &token, json!({"ttl": 600})).await;
    let url = first["url"].as_str().expect("url");
    let cookie = bypass_cookie(&open(url).await);
    assert_eq!(browse(&server.base, "/", &cookie).await.0, StatusCode::OK);

    let (name_and_id, tag) = cookie.rsplit_once('.').expect("id.tag");
    let (name, _) = name_and_id.split_once('=').expect("name=id");
    let other_id = second["link"]["id"].as_str().expect("id");
    let mut flipped = tag.to_owned().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ASCII");
    let forgeries = [
        format!("{name_and_id}.{flipped}"),
        format!("{name}={other_id}.{tag}"),
        format!("{name_and_id}.{}", "A".repeat(43)),
        format!("{name_and_id}."),
        name_and_id.to_owned(),
        format!("{name}={}", "x".repeat(5000)),
        format!("{name}=%00%ff.{tag}"),
    ];
    for forged in &forgeries {
        assert!(
            gated(&browse(&server.base, "/", forged).await),
            "passed with {forged}"
        );
    }

    // A cookie another site (another key) made for its own link means nothing here.
    let elsewhere_db = sqlite();
    let (elsewhere, elsewhere_token) = gated_site(&elsewhere_db).await;
    let foreign = create(&elsewhere, &elsewhere_token, json!({"ttl": 600})).await;
    let foreign_cookie = bypass_cookie(&open(foreign["url"].as_str().expect("url")).await);
    assert_eq!(
        browse(&elsewhere.base, "/", &foreign_cookie).await.0,
        StatusCode::OK
    );
    assert!(gated(&browse(&server.base, "/", &foreign_cookie).await));

    // Links with the right id and a wrong secret, or no link at all, open nothing.
    let id = first["link"]["id"].as_str().expect("id");
    let bad_links = [
        format!("/auth/bypass?token={id}.{}", "A".repeat(43)),
        format!("/auth/bypass?token={id}"),
        "/auth/bypass?token=abc".to_owned(),
        "/auth/bypass?token=%FF%FE".to_owned(),
        format!("/auth/bypass?token={}", "0".repeat(10_000)),
        "/auth/bypass".to_owned(),
    ];
    for link in &bad_links {
        let resp = open(&format!("{}{link}", server.base)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{link}");
        assert!(resp.headers().get("set-cookie").is_none(), "{link}");
    }

    // `next` never leads off the site.
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let resp = open(&format!(
            "{url_base}&next={}",
            percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC),
            url_base = url.split("&next").next().expect("url")
        ))
        .await;
        assert_eq!(resp.status(), StatusCode::FOUND);
        assert_eq!(resp.headers()["location"], "/", "{next}");
    }
}

#[tokio::test]
async fn bad_bypass_requests_are_refused_and_create_nothing() {
    let db = sqlite();
    let (server, token) = gated_site(&db).await;
    let refusals = [
        (json!({"ttl": 0}), "ttl"),
        (json!({"ttl": 2_592_001}), "ttl"),
        (json!({"ttl": 60, "label": "x".repeat(201)}), "label"),
        (json!({"ttl": 60, "label": "a\nb"}), "label"),
        (json!({"ttl": 60, "next": "//evil.example"}), "next"),
        (json!({"ttl": 60, "next": "checkout"}), "next"),
    ];
    for (body, field) in refusals {
        let resp = api(&server, &token, Method::POST, "", Some(body.clone())).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem: Value = resp.json().await.expect("JSON");
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    for body in [
        json!({"ttl": "2h"}),
        json!({"ttl": -1}),
        json!({"ttl": 60, "secret": "mine"}),
        json!({}),
    ] {
        let resp = api(&server, &token, Method::POST, "", Some(body.clone())).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    let no_token = http()
        .post(format!("{}/api/maintenance/bypass", server.base))
        .json(&json!({"ttl": 60}))
        .send()
        .await
        .expect("POST");
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);

    let listed = api(&server, &token, Method::GET, "", None).await;
    let listed: Value = listed.json().await.expect("JSON");
    assert_eq!(listed["items"], json!([]), "nothing was created");
}

#[tokio::test]
async fn a_bypass_link_stops_working_when_it_expires() {
    let db = sqlite();
    let (server, token) = gated_site(&db).await;
    let created = create(&server, &token, json!({"ttl": 2})).await;
    let url = created["url"].as_str().expect("url");
    let cookie = bypass_cookie(&open(url).await);
    assert_eq!(browse(&server.base, "/", &cookie).await.0, StatusCode::OK);

    let expired = eventually(Duration::from_secs(5), || async {
        gated(&browse(&server.base, "/", &cookie).await)
    })
    .await;
    assert!(expired, "the cookie still passes after the link expired");
    assert_eq!(open(url).await.status(), StatusCode::FORBIDDEN);
    let listed: Value = api(&server, &token, Method::GET, "", None)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["items"][0]["status"], "expired");
}

#[tokio::test]
async fn links_from_the_cli_open_every_replica_and_their_revocation_reaches_all() {
    // A poll of a minute: whatever arrives within seconds was pushed.
    let slow_poll = [("DOWNTIME_POLL_INTERVAL", "60s")];
    for db in databases().await {
        let kind = db.kind;
        let a = Server::start(&db.url, &slow_poll).await;
        let b = Server::start(&db.url, &slow_poll).await;
        assert_eq!(downtime(&db.url, &["on"]).await.status.code(), Some(0));

        let out = downtime(
            &db.url,
            &[
                "bypass",
                "create",
                "--ttl",
                "1h",
                "--label",
                "client demo",
                "--base-url",
                &b.base,
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{kind}: {out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let url = stdout.lines().next().expect("the URL").to_owned();
        assert!(
            url.starts_with(&format!("{}/auth/bypass?token=", b.base)),
            "{url}"
        );
        let id = url
            .split("token=")
            .nth(1)
            .and_then(|t| t.split_once('.'))
            .map(|(id, _)| id.to_owned())
            .expect("id");

        // Opened on one replica once the new link has reached it (links are checked in
        // memory first), the cookie passes on the other too.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        let opened = loop {
            let opened = open(&url).await;
            if opened.status() == StatusCode::FOUND || tokio::time::Instant::now() > deadline {
                break opened;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(opened.status(), StatusCode::FOUND, "{kind}");
        assert_eq!(opened.headers()["location"], "/");
        let cookie = bypass_cookie(&opened);
        for replica in [&a, &b] {
            let passes = eventually(Duration::from_secs(3), || async {
                browse(&replica.base, "/about", &cookie).await.0 == StatusCode::OK
            })
            .await;
            assert!(passes, "{kind}: {} refuses the cookie", replica.base);
        }

        let listed = downtime(&db.url, &["bypass", "list"]).await;
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        assert!(
            listed.contains(&id) && listed.contains("active"),
            "{listed}"
        );
        assert!(listed.contains("cli:ada") && listed.contains("client demo"));

        let out = downtime(&db.url, &["bypass", "revoke", &id]).await;
        assert_eq!(out.status.code(), Some(0), "{kind}: {out:?}");
        for replica in [&a, &b] {
            let refused = eventually(Duration::from_secs(3), || async {
                gated(&browse(&replica.base, "/about", &cookie).await)
            })
            .await;
            assert!(refused, "{kind}: {} still lets the cookie in", replica.base);
        }
        let listed = downtime(&db.url, &["bypass", "list", "--json"]).await;
        let listed: Value = serde_json::from_slice(&listed.stdout).expect("JSON");
        assert_eq!(listed[0]["status"], "revoked");
        assert_eq!(listed[0]["link"]["revoked_by"], "cli:ada");

        for replica in [a, b] {
            let log = replica.stop().await;
            assert!(
                !log.contains(url.split("token=").nth(1).expect("token")),
                "{kind}: the token was logged"
            );
        }
    }
}

#[tokio::test]
async fn bad_bypass_commands_exit_2_and_write_nothing() {
    let db = sqlite();
    for args in [
        &["bypass", "create", "--ttl", "0s"][..],
        &["bypass", "create", "--ttl", "31d"],
        &["bypass", "create", "--ttl", "soon"],
        &["bypass", "create"],
        &[
            "bypass",
            "create",
            "--ttl",
            "1h",
            "--next",
            "//evil.example",
        ],
        &["bypass", "create", "--ttl", "1h", "--label", "a\nb"],
        &["bypass", "revoke", "0123456789abcdef"],
    ] {
        let out = downtime(&db.url, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
    let listed = downtime(&db.url, &["bypass", "list"]).await;
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        "no bypass links"
    );
}

#[tokio::test]
async fn the_cli_links_to_where_the_latest_server_said_it_is() {
    let db = sqlite();
    let none = downtime(&db.url, &["bypass", "create", "--ttl", "1h"]).await;
    assert_eq!(none.status.code(), Some(2), "{none:?}");
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(err.contains("give --base-url"), "{err}");

    let _first = Server::start(&db.url, &[]).await;
    let latest = Server::start(&db.url, &[]).await;
    let out = downtime(&db.url, &["bypass", "create", "--ttl", "1h"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let url = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .expect("the URL")
        .to_owned();
    assert!(
        url.starts_with(&format!("{}/auth/bypass?token=", latest.base)),
        "{url}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("site: {} (recorded by the server", latest.base)),
        "{err}"
    );
    // The server learns of the new link by push, within moments.
    let opened = eventually(Duration::from_secs(3), || async {
        open(&url).await.status() == StatusCode::FOUND
    })
    .await;
    assert!(opened, "the link opens on the server it points at");
}
