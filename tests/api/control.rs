//! The control API: /api/maintenance, its history, the public status, the spec and Swagger UI.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Api, Browser, client_token, databases, dev_config, downtime, sqlite, start};
use downtime::dev_idp;

async fn problem(resp: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(resp.status(), status);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: Value = resp.json().await.expect("problem JSON");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:downtime:problem:")),
        "{body}"
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string() && body["code"].is_string(),
        "{body}"
    );
    body
}

#[tokio::test]
async fn reading_the_state_takes_a_superusers_token() {
    let db = sqlite();
    let api = Api::start(&db).await;

    let anonymous = api
        .http
        .get(api.url("/api/maintenance"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"downtime\""
    );
    assert_eq!(
        problem(anonymous, StatusCode::UNAUTHORIZED).await["code"],
        "unauthenticated"
    );

    let forged = api
        .http
        .get(api.url("/api/maintenance"))
        .bearer_auth("eyJhbGciOiJub25lIn0.e30.")
        .send()
        .await
        .expect("get");
    assert!(
        forged.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("invalid_token")
    );
    problem(forged, StatusCode::UNAUTHORIZED).await;

    let other = client_token(&api.server, dev_idp::OTHER_CLIENT).await;
    let forbidden = api
        .http
        .get(api.url("/api/maintenance"))
        .bearer_auth(other)
        .send()
        .await
        .expect("get");
    assert_eq!(
        problem(forbidden, StatusCode::FORBIDDEN).await["code"],
        "forbidden"
    );

    let resp = api
        .request(Method::GET, "/api/maintenance")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"v1\"");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["enabled"], false);
    assert_eq!(body["active"], false);
    assert_eq!(body["phase"], "off");
    assert_eq!(body["mode"], "full");
    assert_eq!(body["retry_after"], 300);
    assert_eq!(body["version"], 1);
    assert_eq!(body["allowed_ips"], json!([]));
}

#[tokio::test]
async fn put_replaces_the_state_and_audits_who_and_why() {
    for db in databases().await {
        let api = Api::start(&db).await;
        let body = json!({
            "enabled": true,
            "mode": "read_only",
            "message": "Upgrading the database",
            "ends_at": "2099-01-01T00:00:00Z",
            "allowed_ips": ["203.0.113.7", "2001:db8::/32"],
            "open_paths": ["/press/"],
        });
        let resp = api
            .request(Method::PUT, "/api/maintenance?reason=release%207")
            .header("if-match", "\"v1\"")
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(resp.status(), StatusCode::OK, "{}", db.kind);
        assert_eq!(resp.headers()["etag"], "\"v2\"");
        let state: Value = resp.json().await.expect("json");
        assert_eq!(state["active"], true);
        assert_eq!(state["mode"], "read_only");
        assert_eq!(state["message"], "Upgrading the database");
        let ends: chrono::DateTime<chrono::Utc> = state["ends_at"]
            .as_str()
            .expect("ends_at")
            .parse()
            .expect("RFC 3339");
        assert_eq!(ends.to_rfc3339(), "2099-01-01T00:00:00+00:00");
        assert_eq!(
            state["allowed_ips"],
            json!(["203.0.113.7/32", "2001:db8::/32"])
        );
        assert_eq!(state["open_paths"], json!(["/press"]));
        assert_eq!(state["status_code"], 503, "left out: the default");
        assert_eq!(state["retry_after"], 300, "left out: the default");
        assert_eq!(state["updated_by"], "client:downtime-script");

        let (etag, read) = api.get_state().await;
        assert_eq!(etag, "\"v2\"");
        assert_eq!(read["message"], "Upgrading the database");

        let history: Value = api
            .server
            .history(&api.token)
            .await
            .json()
            .await
            .expect("json");
        let entry = &history["items"][0];
        assert_eq!(entry["version"], 2);
        assert_eq!(entry["actor"], "client:downtime-script");
        assert_eq!(entry["reason"], "release 7");
        assert_eq!(entry["before"]["enabled"], false);
        assert_eq!(entry["after"]["mode"], "read_only");

        // The gate follows at once: reads pass (read-only), writes are refused.
        let page = api.http.get(api.url("/about")).send().await.expect("about");
        assert_eq!(page.status(), StatusCode::OK);
        let write = api
            .http
            .post(api.url("/api/demo/items"))
            .json(&json!({"name": "x"}))
            .send()
            .await
            .expect("post");
        assert_eq!(write.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}

#[tokio::test]
async fn if_match_guards_against_lost_updates() {
    let db = sqlite();
    let api = Api::start(&db).await;
    let on = json!({ "enabled": true });

    let stale = api.put(&on, Some("\"v7\"")).await;
    assert_eq!(stale.headers()["etag"], "\"v1\"");
    assert_eq!(
        problem(stale, StatusCode::PRECONDITION_FAILED).await["code"],
        "precondition_failed"
    );
    assert_eq!(api.get_state().await.0, "\"v1\"", "nothing written");

    for weak_or_other in ["W/\"v1\"", "v1", "\"v2\", \"v3\""] {
        let resp = api.put(&on, Some(weak_or_other)).await;
        assert_eq!(
            resp.status(),
            StatusCode::PRECONDITION_FAILED,
            "{weak_or_other}"
        );
    }
    assert_eq!(
        api.put(&on, Some("\"v0\", \"v1\"")).await.status(),
        StatusCode::OK
    );
    assert_eq!(api.put(&on, Some("*")).await.status(), StatusCode::OK);
    assert_eq!(
        api.put(&on, None).await.status(),
        StatusCode::OK,
        "If-Match is optional by default"
    );
    assert_eq!(api.get_state().await.0, "\"v4\"");
}

#[tokio::test]
async fn if_match_can_be_required() {
    let db = sqlite();
    let mut config = dev_config();
    config.require_if_match = true;
    let api = Api::start_with(&db, config).await;
    let resp = api.put(&json!({ "enabled": true }), None).await;
    assert_eq!(
        problem(resp, StatusCode::PRECONDITION_REQUIRED).await["code"],
        "precondition_required"
    );
    assert_eq!(
        api.patch("{\"enabled\": true}", None).await.status(),
        StatusCode::PRECONDITION_REQUIRED
    );
    assert_eq!(
        api.put(&json!({ "enabled": true }), Some("\"v1\""))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn of_two_writers_with_the_same_etag_exactly_one_wins() {
    for db in databases().await {
        let api = Api::start(&db).await;
        for round in 0..5 {
            let (etag, _) = api.get_state().await;
            let (body_a, body_b) = (
                json!({ "enabled": true, "message": format!("a{round}") }),
                json!({ "enabled": true, "message": format!("b{round}") }),
            );
            let a = api.put(&body_a, Some(&etag));
            let b = api.put(&body_b, Some(&etag));
            let (a, b) = tokio::join!(a, b);
            let mut statuses = [a.status(), b.status()];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
                "{} round {round}",
                db.kind
            );
        }
        assert_eq!(api.get_state().await.1["version"], 6);
    }
}

#[tokio::test]
async fn out_of_range_values_are_listed_field_by_field() {
    let db = sqlite();
    let api = Api::start(&db).await;
    let body = json!({
        "enabled": true,
        "message": "x".repeat(2001),
        "starts_at": "2099-01-02T00:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z",
        "retry_after": 0,
        "allowed_ips": ["10.0.0.0/8", "not-an-ip", "300.1.1.1"],
        "open_paths": ["/ok", "no-slash", "/a?b"],
    });
    let resp = api.put(&body, None).await;
    let problem = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["code"], "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "message",
            "ends_at",
            "retry_after",
            "allowed_ips[1]",
            "allowed_ips[2]",
            "open_paths[1]",
            "open_paths[2]"
        ]
    );
    let past = api
        .put(
            &json!({ "enabled": true, "ends_at": "2020-01-01T00:00:00Z" }),
            None,
        )
        .await;
    assert_eq!(past.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Beyond any sane horizon: refused by the state's own rules, not accepted and then failing
    // every gated request.
    let far = api
        .put(
            &json!({ "enabled": true, "ends_at": "+10000-01-01T00:00:00Z" }),
            None,
        )
        .await;
    let far = self::problem(far, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(far["errors"][0]["field"], "ends_at", "{far}");
    // A scope names path prefixes, like open paths.
    let bad = api
        .put(
            &json!({ "enabled": true, "scope": ["/checkout", "checkout?x"] }),
            None,
        )
        .await;
    let bad = self::problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(bad["errors"][0]["field"], "scope[1]", "{bad}");
    // Gated requests are answered with 200 or a server error, nothing else.
    for code in [199, 404, 418, 499, 600] {
        let bad = api
            .put(&json!({ "enabled": true, "status_code": code }), None)
            .await;
        let bad = self::problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(bad["errors"][0]["field"], "status_code", "{code}: {bad}");
    }
    assert_eq!(api.get_state().await.1["version"], 1, "nothing written");
}

/// Sends raw bytes, for bodies no well-behaved client would send.
async fn raw(api: &Api, head: &str, body: &[u8]) -> (u16, String) {
    let addr = api.server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{head}\r\nHost: test\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        api.token
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn hostile_bodies_get_a_4xx_problem_and_change_nothing() {
    let db = sqlite();
    let api = Api::start(&db).await;
    let send = |body: Vec<u8>, content_type: &'static str| {
        api.request(Method::PUT, "/api/maintenance")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(&str, Vec<u8>, &str, StatusCode)> = vec![
        (
            "not JSON",
            b"{enabled: true".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "empty",
            Vec::new(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong type",
            br#"{"enabled": "yes"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown field",
            br#"{"enabled": true, "bogus": 1}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown mode",
            br#"{"enabled": true, "mode": "partial"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "negative retry",
            br#"{"enabled": true, "retry_after": -5}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "missing enabled",
            br#"{"message": "hi"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad date",
            br#"{"enabled": true, "ends_at": "tomorrow"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "deeply nested",
            nested.into_bytes(),
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "deep but small",
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "invalid UTF-8",
            b"{\"enabled\": true, \"message\": \"\xff\xfe\"}".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "huge",
            format!(
                "{{\"enabled\": true, \"message\": \"{}\"}}",
                "x".repeat(200_000)
            )
            .into_bytes(),
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "text",
            b"enabled=true".to_vec(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (what, body, content_type, status) in cases {
        let resp = send(body, content_type).await.expect(what);
        assert_eq!(resp.status(), status, "{what}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
    }

    // A chunked body announces no length: it is cut off at the limit all the same.
    let chunk = "x".repeat(70_000);
    let body = format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len());
    let (status, text) = raw(
        &api,
        "PUT /api/maintenance HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 413, "{text}");
    let (status, _) = raw(&api, "PUT /api/maintenance HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 999999999", b"{").await;
    assert_eq!(status, 413);

    assert_eq!(api.get_state().await.1["version"], 1, "nothing written");
}

#[tokio::test]
async fn a_merge_patch_changes_only_what_it_names() {
    for db in databases().await {
        let api = Api::start(&db).await;
        api.put(&json!({ "enabled": false, "message": "Keep me", "retry_after": 600, "open_paths": ["/press"], "status_code": 200 }), None)
            .await;

        let resp = api.patch("{\"enabled\": true}", Some("\"v2\"")).await;
        assert_eq!(resp.status(), StatusCode::OK, "{}", db.kind);
        assert_eq!(resp.headers()["etag"], "\"v3\"");
        let state: Value = resp.json().await.expect("json");
        assert_eq!(state["enabled"], true);
        assert_eq!(state["message"], "Keep me");
        assert_eq!(state["retry_after"], 600);
        assert_eq!(state["open_paths"], json!(["/press"]));
        assert_eq!(state["status_code"], 200);

        let resp = api
            .patch(
                "{\"message\": null, \"retry_after\": null, \"status_code\": null, \"open_paths\": [\"/a\", \"/b\"]}",
                None,
            )
            .await;
        let state: Value = resp.json().await.expect("json");
        assert!(state["message"].is_null());
        assert_eq!(state["retry_after"], 300);
        assert_eq!(state["open_paths"], json!(["/a", "/b"]));
        assert_eq!(state["status_code"], 503, "null is the default");
        assert_eq!(state["enabled"], true);

        let cleared = api.patch("{\"enabled\": null}", None).await;
        assert_eq!(
            problem(cleared, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"],
            "enabled"
        );
        let stale = api.patch("{\"enabled\": false}", Some("\"v2\"")).await;
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
        let bad = api.patch("{\"retry_after\": 0}", None).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let unknown = api.patch("{\"colour\": \"red\"}", None).await;
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        let as_json = api
            .request(Method::PATCH, "/api/maintenance")
            .json(&json!({ "enabled": false }))
            .send()
            .await
            .expect("patch");
        assert_eq!(as_json.status(), StatusCode::OK);
        let xml = api
            .request(Method::PATCH, "/api/maintenance")
            .header("content-type", "application/xml")
            .body("<enabled/>")
            .send()
            .await
            .expect("patch");
        assert_eq!(xml.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(api.get_state().await.1["version"], 5);
    }
}

#[tokio::test]
async fn history_pages_newest_first_with_a_cursor() {
    let db = sqlite();
    let api = Api::start(&db).await;
    for i in 0..5 {
        api.put(
            &json!({ "enabled": i % 2 == 0, "message": format!("change {i}") }),
            None,
        )
        .await;
    }
    let mut versions = Vec::new();
    let mut path = "/api/maintenance/history?limit=2".to_owned();
    for _ in 0..10 {
        let page: Value = api
            .request(Method::GET, &path)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        versions.extend(items.iter().filter_map(|i| i["version"].as_i64()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/maintenance/history?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(versions, [6, 5, 4, 3, 2]);

    for bad in ["limit=0", "limit=101", "limit=x", "cursor=abc", "cursor=-1"] {
        let resp = api
            .request(Method::GET, &format!("/api/maintenance/history?{bad}"))
            .send()
            .await
            .expect("get");
        problem(resp, StatusCode::BAD_REQUEST).await;
    }
}

#[tokio::test]
async fn status_is_public_and_unknown_routes_are_problems() {
    let db = sqlite();
    let api = Api::start(&db).await;
    api.put(&json!({ "enabled": true, "message": "Back soon" }), None)
        .await;

    let status = api.server.status().await;
    assert_eq!(status.status(), StatusCode::OK);
    assert_eq!(status.headers()["cache-control"], "public, max-age=1");
    let body: Value = status.json().await.expect("json");
    assert_eq!(body["active"], true);
    assert_eq!(body["message"], "Back soon");
    assert!(body.get("updated_by").is_none(), "no actor in public");

    let missing = api
        .request(Method::GET, "/api/maintenance/nope")
        .send()
        .await
        .expect("get");
    assert_eq!(
        problem(missing, StatusCode::NOT_FOUND).await["code"],
        "not_found"
    );
    let delete = api
        .request(Method::DELETE, "/api/maintenance")
        .send()
        .await
        .expect("delete");
    assert_eq!(
        problem(delete, StatusCode::METHOD_NOT_ALLOWED).await["code"],
        "method_not_allowed"
    );
}

#[tokio::test]
async fn the_committed_spec_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json");
    let printed = downtime("sqlite::memory:", &["openapi"]).await;
    assert_eq!(printed.status.code(), Some(0));
    // Compared as JSON: the order of an object's members means nothing, and differs between
    // builds (a test-only dependency turns on serde_json's order-preserving maps).
    let printed: Value = serde_json::from_slice(&printed.stdout).expect("printed JSON");
    let committed: Value = serde_json::from_str(&committed).expect("committed JSON");
    assert!(
        printed == committed,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );

    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let served: Value = reqwest::get(format!("{}/api/openapi.json", server.base))
        .await
        .expect("spec")
        .json()
        .await
        .expect("json");
    assert_eq!(
        served, committed,
        "the served spec differs from openapi/openapi.json"
    );
    let schemes = &served["components"]["securitySchemes"];
    assert_eq!(
        schemes["oauth2"]["flows"]["authorizationCode"]["authorizationUrl"],
        "/auth/authorize"
    );
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    // Reads list only what a read can answer.
    for status in ["412", "413", "415", "422", "428"] {
        assert!(
            served["paths"]["/maintenance"]["get"]["responses"][status].is_null(),
            "{status}"
        );
    }
    for status in [
        "400", "401", "403", "404", "412", "413", "415", "422", "428", "503",
    ] {
        assert!(
            served["paths"]["/maintenance"]["put"]["responses"][status].is_object(),
            "{status}"
        );
    }
}

#[tokio::test]
async fn swagger_ui_logs_in_with_pkce_through_the_site_and_tries_put() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let http = crate::helpers::http();

    let docs = http
        .get(format!("{}/api/docs", server.base))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.expect("html");
    assert!(
        html.contains(
            "initOAuth({ clientId: \"downtime\", usePkceWithAuthorizationCodeGrant: true, scopes: \"openid email profile\" })"
        ),
        "the patch is in"
    );
    // Authorize asks for the scopes the site's login asks for.
    let db = sqlite();
    let mut config = dev_config();
    config.auth.oidc_scopes = "openid email groups".into();
    let other = start(&db, config).await;
    let html = http
        .get(format!("{}/api/docs", other.base))
        .send()
        .await
        .expect("docs")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("scopes: \"openid email groups\""),
        "--oidc-scopes reaches Authorize"
    );
    drop(other);
    let receiver = http
        .get(format!("{}/api/docs/oauth-receiver.html", server.base))
        .send()
        .await
        .expect("receiver");
    assert_eq!(receiver.status(), StatusCode::OK);
    // The small page that hands the login back to the window that opened it, not the UI again.
    let receiver = receiver.text().await.expect("html");
    assert!(
        receiver.contains("window.opener.swaggerUIRedirectOauth2") && receiver.len() < 10_000,
        "not the receiver: {} bytes",
        receiver.len()
    );

    // What Swagger UI does on Authorize: the site forwards to the provider...
    let verifier = "swagger-ui-code-verifier-0123456789-abcdefghijklmnop";
    let challenge = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    };
    let redirect_uri = format!("{}/api/docs/oauth-receiver.html", server.base);
    let query = format!(
        "response_type=code&client_id=downtime&redirect_uri={}&scope=openid%20email&state=s1&code_challenge={challenge}&code_challenge_method=S256",
        percent_encoding::utf8_percent_encode(&redirect_uri, percent_encoding::NON_ALPHANUMERIC)
    );
    let forwarded = http
        .get(format!("{}/auth/authorize?{query}", server.base))
        .send()
        .await
        .expect("authorize");
    assert!(forwarded.status().is_redirection());
    let location = forwarded.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(
        location,
        format!("{}/dev-idp/authorize?{query}", server.base)
    );

    // ...the user picks the superuser, the provider sends a code to the receiver...
    let params: BTreeMap<String, String> = Url::parse(&location)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect();
    let mut form: Vec<(String, String)> = params.into_iter().collect();
    form.push(("user".into(), dev_idp::ADMIN.subject.into()));
    let mut browser = Browser::new();
    let chosen = browser
        .post_form(&format!("{}/dev-idp/authorize", server.base), &form)
        .await;
    let back = chosen.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(back.starts_with(&redirect_uri), "{back}");
    let code = Url::parse(&back)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .into_owned();

    // ...and Swagger UI, holding no secret, exchanges it through the site.
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", verifier),
        ("client_id", "downtime"),
    ];
    let tokens = http
        .post(format!("{}/auth/token", server.base))
        .form(&exchange)
        .send()
        .await
        .expect("token");
    assert_eq!(tokens.status(), StatusCode::OK);
    let tokens: Value = tokens.json().await.expect("json");
    let access = tokens["access_token"].as_str().expect("access token");

    let put = http
        .put(format!("{}/api/maintenance", server.base))
        .bearer_auth(access)
        .json(&json!({ "enabled": true, "message": "From Swagger UI" }))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::OK);
    let state: Value = put.json().await.expect("json");
    assert_eq!(state["updated_by"], dev_idp::ADMIN.email);

    // The ID token that came with it proves the login to Swagger UI; it is no API credential,
    // though its audience is the API's (the client id, by default), nor a pass at the gate.
    let id_token = tokens["id_token"].as_str().expect("id token");
    for (method, path) in [(Method::GET, "/api/maintenance"), (Method::GET, "/about")] {
        let resp = http
            .request(method, format!("{}{path}", server.base))
            .bearer_auth(id_token)
            .header("accept", "application/json")
            .send()
            .await
            .expect("request");
        let expected = if path == "/about" {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(resp.status(), expected, "{path}");
    }

    // Nor does it read a body of any size.
    let huge = http
        .post(format!("{}/auth/token", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=authorization_code&code={}",
            "x".repeat(100_000)
        ))
        .send()
        .await
        .expect("token");
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // The forwarder exchanges nothing else with the site's secret.
    let grab = http
        .post(format!("{}/auth/token", server.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "downtime"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(grab.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_cli_and_the_api_write_the_same_state_and_audit_rows() {
    let db = sqlite();
    let api = Api::start(&db).await;
    let out = downtime(
        &db.url,
        &[
            "on",
            "--message",
            "Via CLI",
            "--read-only",
            "--reason",
            "cli",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let (_, state) = api.get_state().await;
    assert_eq!(state["message"], "Via CLI");
    assert_eq!(state["mode"], "read_only");
    assert_eq!(state["updated_by"], "cli:ada");

    api.request(Method::PUT, "/api/maintenance?reason=api")
        .json(&json!({ "enabled": true, "message": "Via API", "mode": "read_only" }))
        .send()
        .await
        .expect("put");
    let status = downtime(&db.url, &["status", "--json"]).await;
    let cli_view: Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(cli_view["message"], "Via API");
    assert_eq!(cli_view["updated_by"], "client:downtime-script");

    let history = downtime(&db.url, &["history", "--json"]).await;
    let rows: Value = serde_json::from_slice(&history.stdout).expect("json");
    let (api_row, cli_row) = (&rows[0], &rows[1]);
    assert_eq!(api_row["reason"], "api");
    assert_eq!(cli_row["reason"], "cli");
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&api_row["after"]), keys(&cli_row["after"]));
    assert_eq!(
        api_row["before"], cli_row["after"],
        "each row's before is the previous after"
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL"
)]
async fn without_its_database_the_server_keeps_the_last_state_and_refuses_writes_cleanly() {
    // PostgreSQL can lose a database under a running server; a SQLite file cannot be taken
    // away from an open connection the same way.
    let (db, admin) = crate::helpers::postgres_only().await;
    let api = Api::start(&db).await;
    api.put(
        &json!({ "enabled": true, "message": "Before the outage" }),
        None,
    )
    .await;

    let name = db.url.rsplit('/').next().expect("name").to_owned();
    let conn = sea_orm::Database::connect(admin.as_str())
        .await
        .expect("admin");
    sea_orm::ConnectionTrait::execute_unprepared(
        &conn,
        &format!("DROP DATABASE {name} WITH (FORCE)"),
    )
    .await
    .expect("drop");

    let status: Value = api.server.status().await.json().await.expect("json");
    assert_eq!(status["active"], true);
    assert_eq!(status["message"], "Before the outage");
    let gated = api.server.browse("/about").await;
    assert_eq!(gated.status(), StatusCode::FOUND);

    let write = api.put(&json!({ "enabled": false }), None).await;
    assert_eq!(write.headers()["retry-after"], "5");
    assert_eq!(
        problem(write, StatusCode::SERVICE_UNAVAILABLE).await["code"],
        "database_unavailable"
    );
    let ready = api.server.readyz().await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health = api.server.healthz().await;
    assert_eq!(health.status(), StatusCode::OK);
}
