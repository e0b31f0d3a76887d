//! The maintenance page in a real browser (headless Chromium): its inline script runs under its
//! own Content-Security-Policy. Needs Chromium; CI installs it, elsewhere the test says it
//! skipped unless `CI` is set, in which case a missing browser fails it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use downtime::state::Window;

use crate::helpers::{dev_config, sqlite, start};

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Chromium, or `None` (and a note) where it is missing and not required.
pub fn chromium_or_skip() -> Option<PathBuf> {
    let browser = chromium();
    if browser.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (apt-get install chromium)"
        );
        eprintln!("skipped: no Chromium on this machine");
    }
    browser
}

/// Loads `url` in headless Chromium once its script has run: the DOM, and the browser's log.
async fn dump_dom(browser: &Path, url: &str) -> (String, String) {
    let profile = tempfile::tempdir().expect("profile");
    let run = tokio::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        // The visitor's zone, whatever the machine's: localized times must name it.
        .env("TZ", "UTC")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("Chromium finished in time")
        .expect("Chromium ran");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_pages_script_runs_under_its_csp_and_localizes_the_end() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let db = sqlite();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    let server = start(&db, config).await;
    let end = Utc
        .with_ymd_and_hms(2099, 12, 1, 2, 0, 0)
        .single()
        .expect("date");
    server
        .service
        .apply(
            Window {
                enabled: true,
                ends_at: Some(end),
                message: Some("Upgrading".into()),
                ..Window::off()
            },
            downtime::state::Change::by("test"),
        )
        .await
        .expect("on");

    let url = format!("{}/maintenance?next=%2Fabout&lang=de", server.base);
    let (dom, log) = dump_dom(&browser, &url).await;
    assert!(
        !log.contains("Content Security Policy"),
        "CSP blocked something: {log}"
    );

    // The script ran: the countdown is shown and filled in…
    assert!(
        dom.contains("<p class=\"countdown\">"),
        "countdown still hidden: {dom}"
    );
    let countdown = dom
        .split("id=\"countdown\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split('<').next())
        .expect("countdown element");
    assert!(
        countdown.contains(':') && countdown.chars().any(|c| c.is_ascii_digit()),
        "countdown: {countdown:?}"
    );
    // …the end is written in the visitor's language (German month name, not the UTC fallback)…
    assert!(dom.contains("Dezember 2099"), "end not localized: {dom}");
    // …with the visitor's time zone named, not a bare "02:00"…
    assert!(
        dom.contains("2099 um 02:00 UTC</time>"),
        "no time zone: {dom}"
    );
    // …and the language links keep where the visitor was going.
    assert!(
        dom.contains("href=\"/maintenance?next=%2Fabout&amp;lang=fr\""),
        "links: {dom}"
    );
}

#[tokio::test]
async fn served_in_place_the_language_links_stay_on_this_site() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let db = sqlite();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.serve_in_place = true;
    let server = start(&db, config).await;
    server
        .service
        .apply(
            Window {
                enabled: true,
                ..Window::off()
            },
            downtime::state::Change::by("test"),
        )
        .await
        .expect("on");

    // A path starting with `//`: taken alone, it reads as a link to the host `evil.example`.
    let (dom, log) = dump_dom(&browser, &format!("{}//evil.example/?x=1", server.base)).await;
    assert!(
        !log.contains("Content Security Policy"),
        "CSP blocked something: {log}"
    );
    assert!(
        dom.contains("href=\"/evil.example/?x=1&amp;lang=fr\""),
        "links: {dom}"
    );
    assert!(!dom.contains("href=\"//"), "a link to another host: {dom}");
}

/// A page of the site's own with a strict policy, including the banner as the README says.
#[poem::handler]
fn strict_page() -> poem::Response {
    poem::Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(
            "content-security-policy",
            "default-src 'none'; script-src 'self'; connect-src 'self'",
        )
        .body(
            "<!doctype html><html lang=\"de\"><title>Shop</title><body><h1>Shop</h1>\
             <script src=\"/maintenance/banner.js?lang=de\" defer></script></body></html>",
        )
}

#[tokio::test]
async fn the_banner_announces_a_scheduled_window_under_a_strict_csp() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let db = sqlite();
    let mut config = dev_config();
    config.auth.dev_idp = false;
    let site = poem::Route::new().at("/shop", poem::get(strict_page));
    let server = crate::helpers::start_site(&db, config, site).await;
    let at = |h| {
        Utc.with_ymd_and_hms(2099, 6, 1, h, 0, 0)
            .single()
            .expect("date")
    };
    server
        .service
        .apply(
            Window {
                starts_at: Some(at(2)),
                ends_at: Some(at(3)),
                ..Window::on()
            },
            downtime::state::Change::by("test"),
        )
        .await
        .expect("schedule");
    let (dom, log) = dump_dom(&browser, &format!("{}/shop", server.base)).await;
    assert!(
        dom.contains("id=\"downtime-banner\""),
        "no banner: {dom}\n{log}"
    );
    assert!(dom.contains("Wartungsarbeiten sind geplant von"), "{dom}");
    assert!(dom.contains("2099"), "the times are written out: {dom}");
    assert!(dom.contains("um 02:00 UTC"), "with their time zone: {dom}");
    assert!(dom.contains(">Schließen</button>"), "{dom}");
    assert!(
        !log.contains("Content Security Policy"),
        "a CSP violation: {log}"
    );

    // Switched off: no banner.
    server
        .service
        .apply(Window::off(), downtime::state::Change::by("test"))
        .await
        .expect("off");
    let (dom, _) = dump_dom(&browser, &format!("{}/shop", server.base)).await;
    assert!(dom.contains("<h1>Shop</h1>"), "{dom}");
    assert!(!dom.contains("downtime-banner"), "{dom}");
}
