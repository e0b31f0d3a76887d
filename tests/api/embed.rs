//! A Poem app outside the crate gets the whole of downtime through the public API only: the
//! builder, `around`, and the state service.

use downtime::Downtime;
use downtime::state::{Change, Window};
use poem::EndpointExt as _;
use poem::http::StatusCode;
use poem::test::TestClient;
use poem::web::Json;
use poem::{Route, get, handler};
use serde_json::{Value, json};

use crate::helpers::{databases, header, json, text};

#[handler]
fn home() -> &'static str {
    "the shop"
}

#[handler]
fn own_health() -> &'static str {
    "the shop's own health"
}

#[handler]
fn products() -> Json<Value> {
    Json(json!([{ "id": 1 }]))
}

/// The shop's own routes, including paths downtime also has at the root.
fn shop() -> Route {
    Route::new()
        .at("/", get(home))
        .at("/api/products", get(products))
        .at("/healthz", get(own_health))
}

#[tokio::test]
async fn an_app_gets_the_gate_the_page_the_api_and_health_under_a_prefix() {
    for db in databases().await {
        let downtime = Downtime::builder()
            .database_url(db.url.clone())
            .prefix("/_downtime")
            .build()
            .await
            .expect("build");
        let mut changes = downtime.subscribe();
        let client = TestClient::new(downtime.around(shop()).with(crate::spec_check::SpecCheck));

        // Off: the app answers, its own `/healthz` included; downtime's are under the prefix.
        let home_page = client.get("/").send().await;
        home_page.assert_status_is_ok();
        assert_eq!(text(home_page).await, "the shop");
        assert_eq!(
            text(client.get("/healthz").send().await).await,
            "the shop's own health"
        );
        client
            .get("/api/products")
            .send()
            .await
            .assert_status_is_ok();
        client
            .get("/_downtime/healthz")
            .send()
            .await
            .assert_status_is_ok();
        client
            .get("/_downtime/readyz")
            .send()
            .await
            .assert_status_is_ok();
        let status = client.get("/_downtime/api/status").send().await;
        status.assert_status_is_ok();
        assert_eq!(json(status).await["active"], false);
        let spec = json(client.get("/_downtime/api/openapi.json").send().await).await;
        assert_eq!(spec["servers"][0]["url"], "/_downtime/api", "{}", db.kind);
        let flows = &spec["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"];
        assert_eq!(flows["tokenUrl"], "/_downtime/auth/token");
        // The control API wants a superuser.
        let anonymous = client.get("/_downtime/api/maintenance").send().await;
        anonymous.assert_status(StatusCode::UNAUTHORIZED);

        // On, switched in-process: browsers go to the prefixed page, JSON clients get a 503.
        let state = downtime
            .state()
            .apply(Window::on(), Change::by("test"))
            .await
            .expect("switch on");
        changes.changed().await.expect("subscribers hear of it");
        assert_eq!(changes.borrow().version, state.version);
        let gated = client.get("/").header("accept", "text/html").send().await;
        gated.assert_status(StatusCode::FOUND);
        assert_eq!(
            header(&gated, "location"),
            Some("/_downtime/maintenance?next=/")
        );
        let page = client
            .get("/_downtime/maintenance")
            .header("accept", "text/html")
            .send()
            .await;
        page.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            text(page)
                .await
                .contains("data-status-url=\"/_downtime/api/status\"")
        );
        let api = client
            .get("/api/products")
            .header("accept", "application/json")
            .send()
            .await;
        api.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(json(api).await["code"], "maintenance");
        // The app's `/healthz` is the app's: gated like any page; downtime's stays open.
        client
            .get("/healthz")
            .header("accept", "application/json")
            .send()
            .await
            .assert_status(StatusCode::SERVICE_UNAVAILABLE);
        client
            .get("/_downtime/healthz")
            .send()
            .await
            .assert_status_is_ok();
        downtime.stop();
    }
}

#[tokio::test]
async fn downtime_is_a_poem_middleware_that_keeps_following_while_the_app_lives() {
    for db in databases().await {
        let downtime = Downtime::builder()
            .database_url(db.url.clone())
            .poll_interval(std::time::Duration::from_millis(100))
            .build()
            .await
            .expect("build");
        // As any Poem middleware; the builder's handle is then dropped.
        let client = TestClient::new(shop().with(downtime));
        client.get("/").send().await.assert_status_is_ok();
        client.get("/readyz").send().await.assert_status_is_ok();

        // Another process switches maintenance on: the app follows, since it holds downtime.
        let elsewhere = downtime::state::StateService::open(&db.url)
            .await
            .expect("open");
        elsewhere
            .apply(Window::on(), Change::by("another process"))
            .await
            .expect("on");
        let gated = crate::helpers::eventually(std::time::Duration::from_secs(5), || async {
            client
                .get("/")
                .header("accept", "application/json")
                .send()
                .await
                .0
                .status()
                == StatusCode::SERVICE_UNAVAILABLE
        })
        .await;
        assert!(gated, "{}: the change reached the app", db.kind);
    }
}

/// The README's first program is `examples/quickstart.rs`, word for word.
#[test]
fn the_readmes_program_is_the_quickstart_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let example = std::fs::read_to_string(root.join("examples/quickstart.rs")).expect("example");
    let block = format!("```rust\n{example}```\n");
    assert!(
        readme.contains(&block),
        "README.md's Poem app is not examples/quickstart.rs: copy the example into it"
    );
}

/// The README's program serves the shop behind the gate, is gated by `downtime on`, and stops
/// cleanly on Ctrl-C (SIGINT), reaching `downtime.stop()`.
#[tokio::test]
async fn the_readmes_program_serves_gates_and_stops() {
    use std::process::Stdio;
    use std::time::Duration;

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = tokio::process::Command::new(cargo)
        .args(["build", "--quiet", "--example", "quickstart"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .await
        .expect("cargo build");
    assert!(built.success(), "the README's program does not build");
    let program = std::path::Path::new(crate::helpers::BIN)
        .parent()
        .expect("target dir")
        .join("examples/quickstart");

    // It keeps its database in the directory it runs in, as the README says.
    let dir = tempfile::tempdir().expect("dir");
    let addr = crate::helpers::free_addr();
    let mut child = tokio::process::Command::new(&program)
        .current_dir(dir.path())
        .env("ADDR", addr.to_string())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run the README's program");
    let http = crate::helpers::http();
    let url = |path: &str| format!("http://{addr}{path}");
    let up = crate::helpers::eventually(Duration::from_secs(20), || async {
        http.get(url("/_downtime/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    })
    .await;
    assert!(up, "the README's program never answered");
    let shop = http.get(url("/")).send().await.expect("home");
    assert_eq!(shop.text().await.expect("body"), "Welcome to the shop");

    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("downtime.db").display()
    );
    let on = crate::helpers::downtime(&db, &["on"]).await;
    assert!(on.status.success(), "{on:?}");
    let gated = crate::helpers::eventually(Duration::from_secs(10), || async {
        http.get(url("/"))
            .header("accept", "application/json")
            .send()
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;
    assert!(gated, "downtime on did not gate the README's program");

    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id().expect("pid")).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("it stops on Ctrl-C")
        .expect("status");
    assert!(status.success(), "it stops cleanly: {status:?}");
}

/// The base URL an app gets when it hands over its listener: its real port, not a default.
#[tokio::test]
async fn an_app_on_a_random_port_with_the_dev_provider_logs_in_through_its_real_port() {
    let db = crate::helpers::sqlite();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let downtime = Downtime::builder()
        .database_url(&db.url)
        .listening_on(addr)
        .dev_idp(true)
        .build()
        .await
        .expect("build");
    let base = format!("http://{addr}");
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).expect("acceptor");
    let server =
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(downtime.around(shop())));
    let http = crate::helpers::http();

    // The provider's discovery names this server…
    let issuer = downtime
        .dev_idp()
        .expect("the development provider")
        .issuer();
    assert!(issuer.starts_with(&format!("{base}/")), "{issuer}");
    let discovery: Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("JSON");
    let authorize = discovery["authorization_endpoint"]
        .as_str()
        .expect("endpoint");
    assert!(authorize.starts_with(&format!("{base}/")), "{discovery}");
    // …so login leads there and comes back here.
    let login = crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
        http.get(format!("{base}/auth/login"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_redirection())
    })
    .await;
    assert!(login, "login never redirected to the provider");
    let login = http
        .get(format!("{base}/auth/login"))
        .send()
        .await
        .expect("login");
    let location = login.headers()["location"].to_str().expect("location");
    assert!(location.starts_with(authorize), "{location}");
    let callback = format!("{base}/auth/callback");
    let redirect_uri = url_param(location, "redirect_uri");
    assert_eq!(redirect_uri.as_deref(), Some(callback.as_str()));
    let page = http
        .get(location)
        .send()
        .await
        .expect("the provider's page");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    // The CLI's links go where this server said it is.
    let recorded = downtime
        .state()
        .site_url()
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(recorded.0, base);
    server.abort();
    downtime.stop();
}

fn url_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn login_without_a_base_url_or_a_listening_address_is_refused_at_build() {
    let db = crate::helpers::sqlite();
    let oidc = Downtime::builder()
        .database_url(&db.url)
        .oidc(downtime::Oidc {
            issuer: "https://id.example.com/realms/main".into(),
            client_id: "shop".into(),
            client_secret: None,
            audience: None,
        });
    for builder in [
        oidc,
        Downtime::builder().database_url(&db.url).dev_idp(true),
    ] {
        let error = builder.build().await.expect_err("refused").to_string();
        assert!(
            error.contains("base_url") && error.contains("listening_on"),
            "{error}"
        );
    }
    // Without login, the default stays: only bypass links name the site.
    let plain = Downtime::builder().database_url(&db.url).build().await;
    plain.expect("built").stop();
}
