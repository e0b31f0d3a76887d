//! Login with the development provider over real HTTP, bearer tokens, and superuser rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use downtime::dev_idp;
use downtime::state::{Change, Window};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, LiveServer, client_token, databases, dev_config, downtime, eventually, location,
    login, login_with, sqlite, start, urlencode,
};

async fn me(server: &LiveServer, browser: &mut Browser) -> (StatusCode, Value) {
    let resp = browser.get(&format!("{}/auth/me", server.base)).await;
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_superuser_logs_in_and_passes_the_gate_an_ordinary_user_does_not() {
    for db in databases().await {
        let server = start(&db, dev_config()).await;
        server.maintenance_on().await;

        let mut admin = Browser::new();
        let done = login(&server, &mut admin, dev_idp::ADMIN.subject, "/about?x=1").await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "{}", db.kind);
        assert_eq!(location(&done), "/about?x=1");
        let cookie = admin
            .last_set_cookie
            .iter()
            .find(|c| c.starts_with("downtime_session="))
            .expect("session cookie")
            .clone();
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");
        assert!(
            !cookie.contains("admin@downtime.test"),
            "the cookie is encrypted: {cookie}"
        );

        let (status, who) = me(&server, &mut admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(who["superuser"], true);
        assert_eq!(who["actor"], dev_idp::ADMIN.email);
        for path in ["/", "/about", "/api/demo/items"] {
            let resp = admin.get(&format!("{}{path}", server.base)).await;
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
        }

        let mut visitor = Browser::new();
        let done = login(&server, &mut visitor, dev_idp::VISITOR.subject, "/").await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        let (_, who) = me(&server, &mut visitor).await;
        assert_eq!(who["superuser"], false);
        let gated = visitor.get(&format!("{}/about", server.base)).await;
        assert_eq!(gated.status(), StatusCode::FOUND);
        assert!(location(&gated).starts_with("/maintenance?next="));

        let anonymous = Browser::new().get(&format!("{}/about", server.base)).await;
        assert_eq!(anonymous.status(), StatusCode::FOUND);
    }
}

/// The CSRF token of the session's logout form, from the logout page (which must answer 200).
async fn logout_csrf(server: &LiveServer, browser: &mut Browser) -> String {
    let page = browser.get(&format!("{}/auth/logout", server.base)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("page");
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf field")
        .to_owned()
}

#[tokio::test]
async fn logout_needs_the_session_csrf_token_and_ends_the_session() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let mut browser = Browser::new();
    login(&server, &mut browser, dev_idp::ADMIN.subject, "/").await;

    let token = logout_csrf(&server, &mut browser).await;

    let url = format!("{}/auth/logout", server.base);
    let forged = browser
        .post_form(&url, &[("csrf".into(), "forged".into())])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let missing = browser.post_form(&url, &[]).await;
    assert!(missing.status().is_client_error());
    assert_eq!(
        me(&server, &mut browser).await.0,
        StatusCode::OK,
        "still logged in"
    );

    let out = browser.post_form(&url, &[("csrf".into(), token)]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        !browser.cookies.contains_key("downtime_session"),
        "{:?}",
        browser.last_set_cookie
    );
    assert_eq!(me(&server, &mut browser).await.0, StatusCode::UNAUTHORIZED);

    // The provider's session ends too: its end-session endpoint, which sends the browser home.
    let end_session = location(&out);
    let expected = format!(
        "{}/dev-idp/logout?client_id=downtime&post_logout_redirect_uri={}",
        server.base,
        urlencode(&format!("{}/", server.base))
    );
    assert_eq!(end_session, expected);
    let home = browser.get(&end_session).await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&home), format!("{}/", server.base));
}

#[tokio::test]
async fn a_wrong_state_or_nonce_or_a_replayed_callback_is_refused() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;

    let mut browser = Browser::new();
    let resp = login_with(
        &server,
        &mut browser,
        dev_idp::ADMIN.subject,
        "/",
        |_| {},
        |url| url.replace("state=", "state=x"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(me(&server, &mut browser).await.0, StatusCode::UNAUTHORIZED);

    let mut browser = Browser::new();
    let resp = login_with(
        &server,
        &mut browser,
        dev_idp::ADMIN.subject,
        "/",
        |form| {
            for (k, v) in form.iter_mut() {
                if k == "nonce" {
                    *v = "attacker-nonce".into();
                }
            }
        },
        |url| url,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.text().await.expect("body").contains("nonce"));
    assert_eq!(me(&server, &mut browser).await.0, StatusCode::UNAUTHORIZED);

    // A callback URL used twice: the second has no login in progress.
    let mut browser = Browser::new();
    let mut seen = String::new();
    login_with(
        &server,
        &mut browser,
        dev_idp::ADMIN.subject,
        "/",
        |_| {},
        |url| {
            seen = url.clone();
            url
        },
    )
    .await;
    let again = browser.get(&seen).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn next_must_be_a_local_path() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let mut browser = Browser::new();
    for next in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "http:evil.example",
        "evil.example",
        "/\r\nLocation: https://evil.example",
        "",
    ] {
        let resp = browser
            .get(&format!(
                "{}/auth/login?next={}",
                server.base,
                urlencode(next)
            ))
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{next}");
    }
    // Encoded once more, the same values arrive decoded and are refused too.
    for raw in [
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
    ] {
        let resp = browser
            .get(&format!("{}/auth/login?next={raw}", server.base))
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{raw}");
    }
    let ok = browser
        .get(&format!("{}/auth/login?next=/about", server.base))
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);

    // A local path with characters that need escaping comes back escaped, not refused.
    let mut admin = Browser::new();
    let done = login(
        &server,
        &mut admin,
        dev_idp::ADMIN.subject,
        "/caf\u{e9}?q=a b",
    )
    .await;
    assert_eq!(location(&done), "/caf%C3%A9?q=a%20b");
}

async fn with_bearer(server: &LiveServer, path: &str, token: &str) -> reqwest::Response {
    crate::helpers::http()
        .get(format!("{}{path}", server.base))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn client_credentials_tokens_count_for_listed_clients_only() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    server.maintenance_on().await;

    let listed = client_token(&server, dev_idp::SCRIPT_CLIENT).await;
    let who: Value = with_bearer(&server, "/auth/me", &listed)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(who["superuser"], true);
    assert_eq!(who["actor"], "client:downtime-script");
    assert_eq!(
        with_bearer(&server, "/api/demo/items", &listed)
            .await
            .status(),
        StatusCode::OK
    );

    let other = client_token(&server, dev_idp::OTHER_CLIENT).await;
    let who: Value = with_bearer(&server, "/auth/me", &other)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(who["superuser"], false);
    assert_eq!(who["principal"]["client_id"], "other-script");
    let gated = with_bearer(&server, "/api/demo/items", &other).await;
    assert_eq!(gated.status(), StatusCode::SERVICE_UNAVAILABLE);

    let wrong_secret = reqwest::Client::new()
        .post(format!("{}/dev-idp/token", server.base))
        .basic_auth(dev_idp::SCRIPT_CLIENT.0, Some("nope"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let idp = server.idp();
    let now = Utc::now().timestamp();
    let issuer = idp.issuer().to_owned();
    let claims = |overrides: Value| {
        let mut base = json!({
            "iss": issuer, "sub": "downtime-script", "aud": dev_idp::AUDIENCE,
            "iat": now, "exp": now + 600, "client_id": "downtime-script",
            "scope": "maintenance:write",
        });
        if let (Some(b), Some(o)) = (base.as_object_mut(), overrides.as_object()) {
            b.extend(o.clone());
        }
        base
    };

    let good = idp.sign(&claims(json!({}))).expect("sign");
    let resp = with_bearer(&server, "/auth/me", &good).await;
    assert_eq!(resp.status(), StatusCode::OK, "the control token is valid");

    let mut tampered = good.clone();
    let payload_start = tampered.find('.').expect("dot") + 1;
    let forged_payload = b64(&claims(json!({ "sub": "someone-else" })));
    let payload_end = payload_start + tampered[payload_start..].find('.').expect("dot");
    tampered.replace_range(payload_start..payload_end, &forged_payload);

    let alg_none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT", "kid": "dev-1" })),
        b64(&claims(json!({})))
    );

    // HS256 keyed with the provider's public key (the classic algorithm confusion).
    let jwk = serde_json::to_value(idp.jwk()).expect("jwk");
    let mut public = vec![4u8];
    for coordinate in ["x", "y"] {
        public.extend(
            URL_SAFE_NO_PAD
                .decode(jwk[coordinate].as_str().expect("coordinate"))
                .expect("b64"),
        );
    }
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("dev-1".into());
    let hs256 = jsonwebtoken::encode(
        &hs_header,
        &claims(json!({})),
        &EncodingKey::from_secret(&public),
    )
    .expect("hs256");

    // A well-formed token from a key the provider never published.
    let stranger = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let stranger_key = EncodingKey::from_ec_der(stranger.to_pkcs8_der().expect("der").as_bytes());
    let mut unknown_header = Header::new(Algorithm::ES256);
    unknown_header.kid = Some("not-published".into());
    let unknown_kid =
        jsonwebtoken::encode(&unknown_header, &claims(json!({})), &stranger_key).expect("sign");
    let mut same_kid_header = Header::new(Algorithm::ES256);
    same_kid_header.kid = Some("dev-1".into());
    let wrong_key =
        jsonwebtoken::encode(&same_kid_header, &claims(json!({})), &stranger_key).expect("sign");

    let cases = [
        ("signature tampered", tampered),
        (
            "expired",
            idp.sign(&claims(json!({ "exp": now - 120 })))
                .expect("sign"),
        ),
        (
            "not yet valid",
            idp.sign(&claims(json!({ "nbf": now + 600 })))
                .expect("sign"),
        ),
        (
            "wrong issuer",
            idp.sign(&claims(json!({ "iss": "https://evil.example" })))
                .expect("sign"),
        ),
        (
            "wrong audience",
            idp.sign(&claims(json!({ "aud": "another-api" })))
                .expect("sign"),
        ),
        (
            "no expiry",
            idp.sign(&json!({ "iss": issuer, "sub": "x", "aud": dev_idp::AUDIENCE }))
                .expect("sign"),
        ),
        (
            "an ID token for the login client (no scopes)",
            idp.sign(&json!({
                "iss": issuer, "sub": "x", "aud": dev_idp::WEB_CLIENT_ID, "exp": now + 600,
            }))
            .expect("sign"),
        ),
        ("alg none", alg_none),
        ("HS256 with the public key", hs256),
        ("unknown kid", unknown_kid),
        ("signed by another key", wrong_key),
        ("garbage", "not-a-token".into()),
        ("three garbage parts", "a.b.c".into()),
    ];
    for (what, token) in &cases {
        let resp = with_bearer(&server, "/auth/me", token).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{what}");
        let challenge = resp.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            challenge.starts_with("Bearer realm=\"downtime\", error=\"invalid_token\""),
            "{what}: {challenge}"
        );
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["status"], 401, "{what}");
    }
    // Slightly expired, within the 60 s leeway: still accepted.
    let leeway = idp.sign(&claims(json!({ "exp": now - 30 }))).expect("sign");
    assert_eq!(
        with_bearer(&server, "/auth/me", &leeway).await.status(),
        StatusCode::OK
    );

    let no_credentials = reqwest::get(format!("{}/auth/me", server.base))
        .await
        .expect("get");
    assert_eq!(no_credentials.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        no_credentials.headers()["www-authenticate"],
        "Bearer realm=\"downtime\""
    );
    let basic = reqwest::Client::new()
        .get(format!("{}/auth/me", server.base))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .expect("get");
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_site_serves_while_the_provider_is_down() {
    let db = sqlite();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.auth.oidc_issuer = Some("http://127.0.0.1:9/realms/down".into());
    config.auth.oidc_client_id = Some("downtime".into());
    let server = start(&db, config).await;

    let client = crate::helpers::http();
    let home = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), StatusCode::OK);
    let login = client
        .get(format!("{}/auth/login", server.base))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        login
            .text()
            .await
            .expect("body")
            .contains("identity provider")
    );
    let bearer = with_bearer(&server, "/auth/me", "a.b.c").await;
    assert_eq!(bearer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = bearer.json().await.expect("json");
    assert_eq!(body["code"], "identity_provider_unavailable");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https_with_another_provider() {
    let db = sqlite();
    let provider = start(&db, dev_config()).await;

    // A second site using the first one's provider, published under an https base URL.
    let other_db = sqlite();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.auth.oidc_issuer = Some(provider.idp().issuer().to_owned());
    config.auth.oidc_client_id = Some(dev_idp::WEB_CLIENT_ID.into());
    config.auth.base_url = Some("https://site.example".into());
    let site = start(&other_db, config).await;

    let mut browser = Browser::new();
    let url = format!("{}/auth/login?next=/", site.base);
    let ready = eventually(Duration::from_secs(10), || async {
        crate::helpers::http()
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::SEE_OTHER)
    })
    .await;
    assert!(ready);
    let start_login = browser.get(&url).await;
    assert!(
        location(&start_login)
            .contains("redirect_uri=https%3A%2F%2Fsite.example%2Fauth%2Fcallback")
    );
    let cookie = browser.last_set_cookie.first().expect("cookie").clone();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn superusers_added_with_the_cli_count_without_a_restart() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let mut visitor = Browser::new();
    login(&server, &mut visitor, dev_idp::VISITOR.subject, "/").await;
    assert_eq!(me(&server, &mut visitor).await.1["superuser"], false);

    let out = downtime(
        &db.url,
        &["superuser", "add", "--email", "Visitor@Downtime.test"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let promoted = eventually(Duration::from_secs(2), || async {
        let mut probe = Browser::new();
        probe.cookies = visitor.cookies.clone();
        me(&server, &mut probe).await.1["superuser"] == true
    })
    .await;
    assert!(promoted, "the new superuser was not seen within 2 s");

    let list = downtime(&db.url, &["superuser", "list", "--json"]).await;
    let entries: Value = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(entries[0]["kind"], "email");
    assert_eq!(entries[0]["value"], "visitor@downtime.test");
    assert_eq!(entries[0]["added_by"], "cli:ada");

    let out = downtime(
        &db.url,
        &["superuser", "remove", "--email", "visitor@downtime.test"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let demoted = eventually(Duration::from_secs(2), || async {
        let mut probe = Browser::new();
        probe.cookies = visitor.cookies.clone();
        me(&server, &mut probe).await.1["superuser"] == false
    })
    .await;
    assert!(demoted);
    let again = downtime(
        &db.url,
        &["superuser", "remove", "--email", "visitor@downtime.test"],
    )
    .await;
    assert_eq!(again.status.code(), Some(2));
}

#[tokio::test]
async fn the_development_provider_refuses_a_public_address() {
    let db = sqlite();
    let out = tokio::process::Command::new(crate::helpers::BIN)
        .args(["serve", "--dev-idp", "--bind", "0.0.0.0:0"])
        .env("DATABASE_URL", &db.url)
        .output()
        .await
        .expect("run");
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--dev-idp is for development on this machine only"),
        "{err}"
    );
}

/// Introspection calls a test provider answered: in all, and the most at once.
#[derive(Default)]
struct Calls {
    total: AtomicUsize,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

/// A provider with only what introspection needs, standing in for one that issues opaque tokens;
/// its address, and how many introspection calls it answered.
async fn introspecting_provider() -> (String, Arc<Calls>) {
    use poem::web::{Form, Json};
    use poem::{EndpointExt, Route, get, handler, post};

    let addr = crate::helpers::free_addr();
    let base = format!("http://{addr}");
    let calls = Arc::new(Calls::default());

    #[handler]
    fn discovery(base: poem::web::Data<&String>) -> Json<Value> {
        Json(json!({
            "issuer": *base,
            "authorization_endpoint": format!("{}/authorize", *base),
            "token_endpoint": format!("{}/token", *base),
            "jwks_uri": format!("{}/jwks", *base),
            "introspection_endpoint": format!("{}/introspect", *base),
        }))
    }
    #[handler]
    fn jwks() -> Json<Value> {
        Json(json!({ "keys": [] }))
    }
    #[handler]
    async fn introspect(
        req: &poem::Request,
        base: poem::web::Data<&String>,
        calls: poem::web::Data<&Arc<Calls>>,
        Form(form): Form<Vec<(String, String)>>,
    ) -> Json<Value> {
        calls.total.fetch_add(1, Ordering::SeqCst);
        let now = calls.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        calls.peak.fetch_max(now, Ordering::SeqCst);
        if form
            .iter()
            .any(|(k, v)| k == "token" && v.starts_with("opaque-slow"))
        {
            // Long enough for the flood to pile up behind the calls in flight.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        calls.in_flight.fetch_sub(1, Ordering::SeqCst);
        // The resource server must authenticate: downtime:secret in HTTP Basic.
        let authorized = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some("Basic ZG93bnRpbWU6c2VjcmV0");
        let token = form
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.as_str());
        Json(match (authorized, token) {
            (true, Some("opaque-ci")) => {
                json!({ "active": true, "client_id": "ci-bot", "iss": *base, "aud": "downtime" })
            }
            (true, Some("opaque-user")) => json!({
                "active": true, "sub": "u-7", "client_id": "web", "email": "ops@example.com",
                "email_verified": true, "iss": *base, "aud": ["downtime", "other"],
            }),
            (true, Some("opaque-no-audience")) => {
                json!({ "active": true, "client_id": "ci-bot", "iss": *base })
            }
            (true, Some("opaque-elsewhere")) => {
                json!({ "active": true, "client_id": "ci-bot", "iss": "https://evil.example" })
            }
            (true, Some("opaque-other-api")) => {
                json!({ "active": true, "client_id": "ci-bot", "aud": "another-api" })
            }
            _ => json!({ "active": false }),
        })
    }
    let app = Route::new()
        .at("/.well-known/openid-configuration", get(discovery))
        .at("/jwks", get(jwks))
        .at("/introspect", post(introspect))
        .data(base.clone())
        .data(Arc::clone(&calls));
    tokio::spawn(poem::Server::new(poem::listener::TcpListener::bind(addr)).run(app));
    (base, calls)
}

#[tokio::test]
async fn opaque_tokens_are_checked_by_introspection_when_enabled() {
    let (provider, calls) = introspecting_provider().await;
    let db = sqlite();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.auth.oidc_issuer = Some(provider.clone());
    config.auth.oidc_client_id = Some("downtime".into());
    config.auth.oidc_client_secret = Some("secret".to_owned().into());
    config.auth.oidc_introspection = true;
    config.auth.superuser_clients = vec!["ci-bot".into()];
    config.auth.superuser_emails = vec!["ops@example.com".into()];
    let server = start(&db, config).await;
    let discovered = eventually(Duration::from_secs(10), || async {
        with_bearer(&server, "/auth/me", "opaque-ci").await.status() == StatusCode::OK
    })
    .await;
    assert!(discovered, "introspection never answered");

    let who: Value = with_bearer(&server, "/auth/me", "opaque-ci")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(who["superuser"], true);
    assert_eq!(who["actor"], "client:ci-bot");
    let who: Value = with_bearer(&server, "/auth/me", "opaque-user")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(who["superuser"], true);
    assert_eq!(who["actor"], "ops@example.com");
    assert!(
        who["principal"]["client_id"].is_null(),
        "a user's token is not the client's: {who}"
    );
    for refused in [
        "opaque-revoked",
        "opaque-elsewhere",
        "opaque-other-api",
        "opaque-no-audience",
    ] {
        assert_eq!(
            with_bearer(&server, "/auth/me", refused).await.status(),
            StatusCode::UNAUTHORIZED,
            "{refused}"
        );
    }

    // Answers are remembered: an active token until it expires, a refused one for a while,
    // so repeating either asks the provider nothing more.
    let asked = calls.total.load(Ordering::SeqCst);
    for token in [
        "opaque-ci",
        "opaque-user",
        "opaque-revoked",
        "opaque-no-audience",
    ] {
        for _ in 0..3 {
            with_bearer(&server, "/auth/me", token).await;
        }
    }
    assert_eq!(
        calls.total.load(Ordering::SeqCst),
        asked,
        "a known token was asked about again"
    );

    // A flood of distinct junk tokens reaches the provider a few at a time.
    let before = calls.total.load(Ordering::SeqCst);
    let flood = (0..40).map(|i| {
        let server = &server;
        async move { with_bearer(server, "/api/maintenance", &format!("opaque-slow-{i}")).await }
    });
    let answers = futures_util::future::join_all(flood).await;
    assert!(
        answers
            .iter()
            .all(|r| r.status() == StatusCode::UNAUTHORIZED)
    );
    assert_eq!(calls.total.load(Ordering::SeqCst) - before, 40);
    let peak = calls.peak.load(Ordering::SeqCst);
    assert!(
        (1..=8).contains(&peak),
        "{peak} introspection calls at once"
    );
}

#[tokio::test]
async fn replicas_on_one_database_share_the_session_key() {
    let db = sqlite();
    let first = start(&db, dev_config()).await;
    let mut browser = Browser::new();
    login(&first, &mut browser, dev_idp::ADMIN.subject, "/").await;

    // A second server on the same database, trusting the first one's provider.
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.auth.oidc_issuer = Some(first.idp().issuer().to_owned());
    config.auth.oidc_client_id = Some(dev_idp::WEB_CLIENT_ID.into());
    config.auth.superuser_emails = vec![dev_idp::ADMIN.email.into()];
    let second = start(&db, config).await;

    let (status, who) = me(&second, &mut browser).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the cookie made by the first replica is read by the second"
    );
    assert_eq!(who["superuser"], true);

    // A different key (another database) cannot read it: the cookie is authenticated.
    let elsewhere_db = sqlite();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.auth.oidc_issuer = Some(first.idp().issuer().to_owned());
    config.auth.oidc_client_id = Some(dev_idp::WEB_CLIENT_ID.into());
    let elsewhere = start(&elsewhere_db, config).await;
    assert_eq!(
        me(&elsewhere, &mut browser).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_development_provider_counts_only_on_a_loopback_host() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let token = client_token(&server, dev_idp::SCRIPT_CLIENT).await;
    let http = crate::helpers::http();
    // What a page on a rebound DNS name, or a public proxy in front, would send.
    for host in ["evil.example", "downtime.example.com:443"] {
        for path in [
            "/dev-idp/.well-known/openid-configuration",
            "/dev-idp/authorize",
        ] {
            let resp = http
                .get(format!("{}{path}", server.base))
                .header("host", host)
                .send()
                .await
                .expect("get");
            assert_eq!(
                resp.status(),
                StatusCode::MISDIRECTED_REQUEST,
                "{host}{path}"
            );
        }
        let minted = http
            .post(format!("{}/dev-idp/token", server.base))
            .header("host", host)
            .basic_auth(dev_idp::SCRIPT_CLIENT.0, Some(dev_idp::SCRIPT_CLIENT.1))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("post");
        assert_eq!(minted.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
        for path in ["/api/maintenance", "/auth/me"] {
            let resp = http
                .get(format!("{}{path}", server.base))
                .header("host", host)
                .bearer_auth(&token)
                .send()
                .await
                .expect("get");
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{host}{path}");
        }
    }
    for host in ["localhost", server.base.trim_start_matches("http://")] {
        let resp = http
            .get(format!("{}/api/maintenance", server.base))
            .header("host", host)
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn logout_ends_the_session_everywhere_even_for_a_copied_cookie() {
    for db in databases().await {
        let first = start(&db, dev_config()).await;
        let mut config = dev_config();
        config.auth.dev_idp = false;
        config.auth.oidc_issuer = Some(first.idp().issuer().to_owned());
        config.auth.oidc_client_id = Some(dev_idp::WEB_CLIENT_ID.into());
        config.auth.superuser_emails = vec![dev_idp::ADMIN.email.into()];
        let second = start(&db, config).await;

        let mut browser = Browser::new();
        login(&first, &mut browser, dev_idp::ADMIN.subject, "/").await;
        let mut thief = Browser::new();
        thief.cookies = browser.cookies.clone();
        assert_eq!(
            me(&second, &mut thief).await.0,
            StatusCode::OK,
            "{}",
            db.kind
        );
        first
            .service
            .apply(Window::on(), Change::by("test"))
            .await
            .expect("switch on");
        let gated = eventually(Duration::from_secs(2), || async {
            Browser::new()
                .get(&format!("{}/about", second.base))
                .await
                .status()
                == StatusCode::FOUND
        })
        .await;
        assert!(gated, "{}: the other replica never gated", db.kind);
        let through = thief
            .clone()
            .get(&format!("{}/about", second.base))
            .await
            .status()
            == StatusCode::OK;
        assert!(
            through,
            "{}: the superuser's cookie passes the gate",
            db.kind
        );

        let csrf = logout_csrf(&first, &mut browser).await;
        let out = browser
            .post_form(
                &format!("{}/auth/logout", first.base),
                &[("csrf".into(), csrf)],
            )
            .await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);

        // The copy stops working at once where the logout happened...
        assert_eq!(
            me(&first, &mut thief).await.0,
            StatusCode::UNAUTHORIZED,
            "{}",
            db.kind
        );
        // ...and on the other replica as soon as it hears of it: at the API and at the gate.
        let ended = eventually(Duration::from_secs(2), || async {
            me(&second, &mut thief.clone()).await.0 == StatusCode::UNAUTHORIZED
        })
        .await;
        assert!(
            ended,
            "{}: the other replica still accepts the session",
            db.kind
        );
        let gated = thief.get(&format!("{}/about", second.base)).await;
        assert_eq!(gated.status(), StatusCode::FOUND, "{}", db.kind);

        // A new login is a new session, unaffected.
        let mut again = Browser::new();
        login(&first, &mut again, dev_idp::ADMIN.subject, "/").await;
        assert_eq!(
            me(&second, &mut again).await.0,
            StatusCode::OK,
            "{}",
            db.kind
        );
    }
}
