//! The flows people click, in a real browser (Debian's Chromium, driven by its ChromeDriver):
//! a superuser logs in through the development provider and switches maintenance on from the
//! admin page; a visitor is then gated and sees the page, right to left in Arabic; Swagger
//! UI's **Authorize** logs in and **Try it out** on PUT switches maintenance off.
//!
//! Screenshots go to `target/browser-artifacts/`. No request may leave 127.0.0.1: Chromium
//! resolves no other name, and every page's own record of what it loaded is checked.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use poem::http::{Request, Response};
use serde_json::Value;
use thirtyfour::prelude::*;
use thirtyfour::session::http::{Body, HttpClient};

use crate::browser::chromium_or_skip;
use crate::helpers::{LiveServer, dev_config, eventually, free_addr, sqlite, start};
use downtime::dev_idp;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);
/// Swagger UI's dialog lists the bearer scheme first: the OAuth2 scheme's own buttons.
const OAUTH2_AUTHORIZE: &str = "//div[contains(@class,'auth-container')][.//h4[contains(.,'oauth2')]]//button[contains(@class,'authorize')]";
const OAUTH2_LOGOUT: &str = "//div[contains(@class,'auth-container')][.//h4[contains(.,'oauth2')]]//button[normalize-space()='Logout']";

/// WebDriver over the reqwest this project already builds (the driver's own client would add
/// a second reqwest to the tree).
struct Wire(reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for Wire {
    async fn send(&self, request: Request<Body<'_>>) -> WebDriverResult<Response<Bytes>> {
        let (parts, body) = request.into_parts();
        let mut outgoing = self
            .0
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers);
        if let Body::Json(json) = body {
            outgoing = outgoing.json(json);
        }
        let answer = outgoing
            .send()
            .await
            .map_err(|e| WebDriverError::RequestFailed(e.to_string()))?;
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        let status = answer.status().as_u16();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| WebDriverError::RequestFailed(e.to_string()))?;
        response
            .body(bytes)
            .map_err(|e| WebDriverError::UnknownResponse(status, e.to_string()))
    }

    async fn new(&self) -> Arc<dyn HttpClient> {
        Arc::new(Wire(reqwest::Client::new()))
    }
}

/// ChromeDriver on a free port, stopped on drop.
struct Driver {
    _process: tokio::process::Child,
    url: String,
}

impl Driver {
    async fn start() -> Driver {
        let addr = free_addr();
        let process = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={}", addr.port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://{addr}");
        let status = format!("{url}/status");
        let ready = eventually(WAIT, || async {
            reqwest::get(&status)
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        assert!(ready, "chromedriver never answered");
        Driver {
            _process: process,
            url,
        }
    }

    /// A fresh headless browser (its own profile: no cookies), that resolves no name but
    /// 127.0.0.1.
    async fn browser(&self, chromium: &Path, profile: &Path) -> WebDriver {
        let mut caps = DesiredCapabilities::chrome();
        let path = chromium.to_str().expect("UTF-8 path");
        caps.set_binary(path).expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--disable-quic",
            "--window-size=1280,1000",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ] {
            caps.add_arg(arg).expect("arg");
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.display()))
            .expect("profile");
        WebDriver::builder(self.url.clone(), caps)
            .client(Wire(reqwest::Client::new()))
            .connect()
            .await
            .expect("a browser session")
    }
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// Every URL the current page loaded, itself included, by its own record.
async fn loaded(browser: &WebDriver) -> Vec<String> {
    let urls = browser
        .execute(
            "return performance.getEntries().map(e => e.name).filter(n => n.includes('://'));",
            Vec::new(),
        )
        .await
        .expect("performance entries");
    urls.json()
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

async fn assert_local(browser: &WebDriver, base: &str, seen: &mut Vec<String>) {
    for url in loaded(browser).await {
        assert!(url.starts_with(base), "a request left 127.0.0.1: {url}");
        seen.push(url);
    }
}

async fn wait_for(browser: &WebDriver, css: &str) -> WebElement {
    browser
        .query(By::Css(css))
        .wait(WAIT, POLL)
        .first()
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// Chooses the development provider's admin on its page.
async fn pick_admin(browser: &WebDriver, base: &str, seen: &mut Vec<String>) {
    let button = format!("button[name='user'][value='{}']", dev_idp::ADMIN.subject);
    let button = wait_for(browser, &button).await;
    assert_local(browser, base, seen).await;
    button.click().await.expect("pick the admin");
}

async fn text_of(browser: &WebDriver, css: &str) -> String {
    wait_for(browser, css).await.text().await.expect("text")
}

#[tokio::test]
async fn people_click_through_login_the_admin_page_the_gate_and_swagger_ui() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    assert!(
        Path::new(CHROMEDRIVER).exists() || std::env::var_os("CI").is_none(),
        "CI must have ChromeDriver (apt-get install chromium-driver)"
    );
    if !Path::new(CHROMEDRIVER).exists() {
        eprintln!("skipped: no ChromeDriver on this machine");
        return;
    }
    let db = sqlite();
    let server: LiveServer = start(&db, dev_config()).await;
    let base = server.base.clone();
    let shots = artifacts();
    let driver = Driver::start().await;
    let mut seen = Vec::new();

    // 1. A superuser logs in and switches maintenance on from the admin page.
    let admin_profile = tempfile::tempdir().expect("profile");
    let admin = driver.browser(&chromium, admin_profile.path()).await;
    admin
        .goto(format!("{base}/maintenance/admin"))
        .await
        .expect("admin page");
    pick_admin(&admin, &base, &mut seen).await;
    wait_for(&admin, "#switch-on")
        .await
        .click()
        .await
        .expect("switch on");
    let phase = wait_for(&admin, "#phase[data-phase='active']").await;
    assert!(!phase.text().await.expect("text").is_empty());
    assert!(
        server
            .service
            .current()
            .await
            .expect("state")
            .window
            .enabled,
        "the click switched maintenance on"
    );
    assert_local(&admin, &base, &mut seen).await;
    admin
        .screenshot(&shots.join("admin-switched-on.png"))
        .await
        .expect("screenshot");

    // 2. A visitor is gated and sees the page; in Arabic it is laid out right to left.
    let visitor_profile = tempfile::tempdir().expect("profile");
    let visitor = driver.browser(&chromium, visitor_profile.path()).await;
    visitor.goto(format!("{base}/about")).await.expect("about");
    let url = visitor.current_url().await.expect("url");
    assert_eq!(
        url.path(),
        "/maintenance",
        "the visitor was sent to the page"
    );
    assert!(!text_of(&visitor, "h1").await.is_empty());
    assert_local(&visitor, &base, &mut seen).await;
    visitor
        .screenshot(&shots.join("visitor-gated.png"))
        .await
        .expect("screenshot");

    visitor
        .goto(format!("{base}/maintenance?lang=ar"))
        .await
        .expect("Arabic page");
    wait_for(&visitor, "html[lang='ar']").await;
    let layout = visitor
        .execute(
            "const h = document.querySelector('h1');
             const items = [...document.querySelectorAll('footer li')];
             return {
               dir: getComputedStyle(document.body).direction,
               heading: getComputedStyle(h).direction,
               first: items[0].getBoundingClientRect().left,
               second: items[1].getBoundingClientRect().left,
             };",
            Vec::new(),
        )
        .await
        .expect("layout");
    let layout = layout.json();
    assert_eq!(layout["dir"], "rtl", "{layout}");
    assert_eq!(layout["heading"], "rtl", "{layout}");
    // Right to left: the language list starts on the right.
    let first = layout["first"].as_f64().expect("first");
    let second = layout["second"].as_f64().expect("second");
    assert!(first > second, "the list runs left to right: {layout}");
    assert_local(&visitor, &base, &mut seen).await;
    visitor
        .screenshot(&shots.join("visitor-arabic.png"))
        .await
        .expect("screenshot");

    // 3. Swagger UI: Authorize logs in (a popup through the provider), Try it out switches
    //    maintenance off.
    let api_profile = tempfile::tempdir().expect("profile");
    let api = driver.browser(&chromium, api_profile.path()).await;
    api.goto(format!("{base}/api/docs")).await.expect("docs");
    wait_for(&api, "button.authorize")
        .await
        .click()
        .await
        .expect("Authorize");
    let main_window = api.window().await.expect("window");
    // The OAuth2 scheme's own Authorize button, inside the dialog.
    api.query(By::XPath(OAUTH2_AUTHORIZE))
        .wait(WAIT, POLL)
        .first()
        .await
        .expect("the OAuth2 scheme in the dialog")
        .click()
        .await
        .expect("Authorize in the dialog");
    let opened = eventually(WAIT, || async {
        api.windows().await.is_ok_and(|w| w.len() > 1)
    })
    .await;
    assert!(opened, "no login popup");
    let popup = api
        .windows()
        .await
        .expect("windows")
        .into_iter()
        .find(|w| *w != main_window)
        .expect("the login popup");
    api.switch_to_window(popup).await.expect("popup");
    pick_admin(&api, &base, &mut seen).await;
    // The receiver hands the token to Swagger UI and closes the popup.
    let closed = eventually(WAIT, || async {
        api.windows().await.map(|w| w.len() == 1).unwrap_or(false)
    })
    .await;
    assert!(closed, "the login popup stayed open");
    api.switch_to_window(main_window).await.expect("back");
    api.query(By::XPath(OAUTH2_LOGOUT))
        .wait(WAIT, POLL)
        .first()
        .await
        .expect("Swagger UI says it is authorized");
    wait_for(&api, "button.btn-done")
        .await
        .click()
        .await
        .expect("close the dialog");

    wait_for(
        &api,
        "#operations-Maintenance-putMaintenance .opblock-summary",
    )
    .await
    .click()
    .await
    .expect("open PUT");
    wait_for(&api, "#operations-Maintenance-putMaintenance .try-out__btn")
        .await
        .click()
        .await
        .expect("Try it out");
    let body = wait_for(
        &api,
        "#operations-Maintenance-putMaintenance textarea.body-param__text",
    )
    .await;
    body.clear().await.expect("clear");
    body.send_keys(r#"{"enabled": false}"#)
        .await
        .expect("type the body");
    wait_for(
        &api,
        "#operations-Maintenance-putMaintenance button.execute",
    )
    .await
    .click()
    .await
    .expect("Execute");
    let status = text_of(
        &api,
        "#operations-Maintenance-putMaintenance .live-responses-table tbody .response-col_status",
    )
    .await;
    assert!(status.starts_with("200"), "PUT answered {status}");
    assert!(
        !server
            .service
            .current()
            .await
            .expect("state")
            .window
            .enabled,
        "Try it out switched maintenance off"
    );
    assert_local(&api, &base, &mut seen).await;
    api.screenshot(&shots.join("swagger-switched-off.png"))
        .await
        .expect("screenshot");

    // The visitor passes again.
    visitor.goto(format!("{base}/about")).await.expect("about");
    assert_eq!(visitor.current_url().await.expect("url").path(), "/about");

    assert!(
        seen.iter().any(|u| u.contains("/dev-idp/")) && seen.len() > 10,
        "the pages' records are too thin to prove anything: {seen:?}"
    );
    for browser in [admin, visitor, api] {
        browser.quit().await.expect("quit");
    }
}
