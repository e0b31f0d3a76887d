//! The admin page: a superuser logged in through the development provider switches
//! maintenance, edits the window, and hands out bypass links with plain forms.

use reqwest::StatusCode;

use crate::helpers::admin::{ADMIN, admin_page, field, submit};
use crate::helpers::{
    Browser, LiveServer, Proxy, Upstream, databases, dev_config, http, login, sqlite, start,
    start_upstream,
};
use downtime::bypass::LinkStore;
use downtime::dev_idp;
use downtime::state::{Mode, StateService};

fn location(resp: &reqwest::Response) -> &str {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn visitor_status(server: &LiveServer, path: &str) -> StatusCode {
    server.browse(path).await.status()
}

#[tokio::test]
async fn a_superuser_switches_maintenance_on_and_off_from_the_admin_page() {
    for db in databases().await {
        let kind = db.kind;
        let server = start(&db, dev_config()).await;

        // Anonymous: sent to log in, and back here afterwards.
        let anonymous = http()
            .get(format!("{}{ADMIN}", server.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "{kind}");
        assert_eq!(location(&anonymous), "/auth/login?next=/maintenance/admin");

        let mut admin = Browser::new();
        login(&server, &mut admin, dev_idp::ADMIN.subject, ADMIN).await;
        let resp = admin.get(&format!("{}{ADMIN}", server.base)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{kind}");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .expect("CSP")
            .to_owned();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(!csp.contains("script-src"), "no script allowed: {csp}");
        assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(resp.headers()["cache-control"], "no-store");
        assert_eq!(resp.headers()["x-frame-options"], "DENY");
        let html = resp.text().await.expect("page");
        assert!(html.contains("data-phase=\"off\""), "{kind}: {html}");
        // The filled button is the one that changes something.
        assert!(
            html.contains(r#"<button type="submit" id="switch-on">"#),
            "{html}"
        );
        assert!(html.contains(r#"<button class="secondary" type="submit" id="switch-off">"#));
        assert!(!html.contains("<script"), "usable without JavaScript");
        // The buttons are the switch: no checkbox says it again.
        assert!(!html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains(dev_idp::ADMIN.email));

        // Switch on: the visitor is gated, the change is the admin's.
        let on = submit(
            &server,
            &mut admin,
            "/state",
            &[("action", "on"), ("reason", "db upgrade")],
        )
        .await;
        assert_eq!(on.status(), StatusCode::SEE_OTHER, "{kind}");
        assert_eq!(location(&on), "/maintenance/admin?notice=saved");
        assert_eq!(visitor_status(&server, "/about").await, StatusCode::FOUND);
        let state = server.service.current().await.expect("state");
        assert!(state.window.enabled);
        assert_eq!(state.updated_by, dev_idp::ADMIN.email);
        let history = server.service.history(1, None).await.expect("history");
        assert_eq!(history[0].reason.as_deref(), Some("db upgrade"));
        let (_, html) = admin_page(&server, &mut admin).await;
        assert!(html.contains("data-phase=\"active\""), "{kind}");
        assert!(html.contains(r#"<button class="secondary" type="submit" id="switch-on">"#));
        assert!(
            html.contains(r#"<button type="submit" id="switch-off">"#),
            "{html}"
        );
        assert!(html.contains("db upgrade"), "the history shows why");
        // The superuser still uses the site.
        assert_eq!(
            admin.get(&format!("{}/about", server.base)).await.status(),
            StatusCode::OK
        );

        // A form made before someone else's change changes nothing.
        let stale_version = field(&html, "version");
        server.maintenance_on().await;
        let version_now = server.service.current().await.expect("state").version;
        let stale = submit(
            &server,
            &mut admin,
            "/state",
            &[("action", "off"), ("version", &stale_version)],
        )
        .await;
        assert_eq!(stale.status(), StatusCode::CONFLICT, "{kind}");
        let stale = stale.text().await.expect("page");
        assert!(stale.contains(&format!("version {version_now}")), "{stale}");
        let state = server.service.current().await.expect("state");
        assert!(state.window.enabled && state.version == version_now);

        // A form without this session's token changes nothing.
        let forged = submit(
            &server,
            &mut admin,
            "/state",
            &[("action", "off"), ("csrf", "not-the-token")],
        )
        .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert!(
            server
                .service
                .current()
                .await
                .expect("state")
                .window
                .enabled
        );

        // Bad settings: every refusal named, what was typed kept, nothing stored.
        let refused = submit(
            &server,
            &mut admin,
            "/state",
            &[
                ("action", "save"),
                ("message", "Typed with care"),
                ("scope", "checkout"),
                ("status_code", "404"),
            ],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let refused = refused.text().await.expect("page");
        assert!(refused.contains("Typed with care"), "the message was lost");
        assert!(
            refused.contains("checkout") && refused.contains("404"),
            "{refused}"
        );
        assert_eq!(
            server.service.current().await.expect("state").version,
            version_now
        );

        // Good settings: stored as sent.
        let saved = submit(
            &server,
            &mut admin,
            "/state",
            &[
                ("action", "save"),
                ("mode", "read_only"),
                ("message", "Payments are paused"),
                ("scope", "/checkout\n/api/payments"),
                ("status_code", "200"),
                ("retry_after", "120"),
                ("ends_at", "2099-01-01T00:00"),
            ],
        )
        .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{kind}");
        let window = server.service.current().await.expect("state").window;
        assert_eq!(window.mode, Mode::ReadOnly);
        assert_eq!(window.message.as_deref(), Some("Payments are paused"));
        assert_eq!(window.scope, ["/checkout", "/api/payments"]);
        assert_eq!(window.status_code, 200);
        assert_eq!(window.retry_after_secs, 120);
        assert_eq!(
            window.ends_at.map(|t| t.to_rfc3339()),
            Some("2099-01-01T00:00:00+00:00".to_owned())
        );

        // Off from the quick switch.
        let off = submit(&server, &mut admin, "/state", &[("action", "off")]).await;
        assert_eq!(off.status(), StatusCode::SEE_OTHER);
        assert!(
            !server
                .service
                .current()
                .await
                .expect("state")
                .window
                .enabled
        );
        assert_eq!(visitor_status(&server, "/about").await, StatusCode::OK);

        // Saving the settings while off keeps it off…
        let saved = submit(
            &server,
            &mut admin,
            "/state",
            &[("action", "save"), ("message", "Next time")],
        )
        .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{kind}");
        let state = server.service.current().await.expect("state");
        assert!(!state.window.enabled);
        assert_eq!(state.window.message.as_deref(), Some("Next time"));
        // …unless it gives a start time: that plans a window.
        let planned = submit(
            &server,
            &mut admin,
            "/state",
            &[("action", "save"), ("starts_at", "2099-01-01T00:00")],
        )
        .await;
        assert_eq!(planned.status(), StatusCode::SEE_OTHER, "{kind}");
        let (_, html) = admin_page(&server, &mut admin).await;
        assert!(html.contains("data-phase=\"scheduled\""), "{kind}: {html}");
        assert_eq!(visitor_status(&server, "/about").await, StatusCode::OK);
    }
}

#[tokio::test]
async fn bypass_links_are_created_and_revoked_from_the_admin_page() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    server.maintenance_on().await;
    let mut admin = Browser::new();
    login(&server, &mut admin, dev_idp::ADMIN.subject, ADMIN).await;

    let created = submit(
        &server,
        &mut admin,
        "/bypass",
        &[
            ("ttl", "7200"),
            ("label", "Client preview"),
            ("next", "/about"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let html = created.text().await.expect("page");
    let url = html
        .split("id=\"new-link-url\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new link")
        .replace("&amp;", "&");
    assert!(
        url.starts_with(&format!("{}/auth/bypass?token=", server.base)),
        "{url}"
    );
    assert!(html.contains("Client preview"));

    let opened = http().get(&url).send().await.expect("open");
    assert_eq!(opened.status(), StatusCode::FOUND);
    assert_eq!(location(&opened), "/about");
    let cookie = opened.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let with_cookie = |cookie: String| {
        let base = server.base.clone();
        async move {
            http()
                .get(format!("{base}/about"))
                .header("accept", "text/html")
                .header("cookie", cookie)
                .send()
                .await
                .expect("GET")
                .status()
        }
    };
    assert_eq!(with_cookie(cookie.clone()).await, StatusCode::OK);

    // The page shows the link once: reloading shows it listed, never its URL again.
    let (_, html) = admin_page(&server, &mut admin).await;
    assert!(!html.contains(&url.replace('&', "&amp;")) && !html.contains("new-link-url"));
    let id = field(&html, "id");
    let revoked = submit(&server, &mut admin, "/bypass/revoke", &[("id", &id)]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&revoked), "/maintenance/admin?notice=revoked");
    assert_eq!(with_cookie(cookie).await, StatusCode::FOUND);

    // Out of bounds: refused, nothing created.
    let refused = submit(&server, &mut admin, "/bypass", &[("ttl", "99999999")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let service = StateService::open(&db.url).await.expect("db");
    let listed = LinkStore::new(&service).list().await.expect("list");
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn only_superusers_get_the_admin_page_and_its_forms() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let mut visitor = Browser::new();
    login(&server, &mut visitor, dev_idp::VISITOR.subject, "/").await;
    let (status, html) = admin_page(&server, &mut visitor).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains(dev_idp::VISITOR.email), "{html}");
    assert!(
        !html.contains("name=\"version\""),
        "no controls for a visitor"
    );

    // Even with the session's own token, the forms refuse them.
    let csrf = field(&html, "csrf");
    let tried = visitor
        .post_form(
            &format!("{}{ADMIN}/state", server.base),
            &[
                ("csrf".into(), csrf),
                ("version".into(), "1".into()),
                ("action".into(), "on".into()),
            ],
        )
        .await;
    assert_eq!(tried.status(), StatusCode::FORBIDDEN);
    assert!(
        !server
            .service
            .current()
            .await
            .expect("state")
            .window
            .enabled
    );

    // During maintenance the page is still reachable, so a superuser can log in to end it.
    server.maintenance_on().await;
    let anonymous = http()
        .get(format!("{}{ADMIN}", server.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(location(&anonymous).starts_with("/auth/login"));
}

#[tokio::test]
async fn the_admin_page_speaks_the_visitors_language_right_to_left_too() {
    let db = sqlite();
    let server = start(&db, dev_config()).await;
    let mut admin = Browser::new();
    login(&server, &mut admin, dev_idp::ADMIN.subject, ADMIN).await;
    for (lang, dir, content_language) in [
        ("ar", "rtl", "ar"),
        ("he", "rtl", "he"),
        ("de", "ltr", "de"),
        ("ja", "ltr", "ja"),
    ] {
        let resp = admin
            .get(&format!("{}{ADMIN}?lang={lang}", server.base))
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-language"], content_language);
        let html = resp.text().await.expect("page");
        assert!(
            html.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
            "{lang}: {html}"
        );
        assert!(
            !html.contains("Switch maintenance on"),
            "{lang}: still English"
        );
    }
}

/// The text of the `<pre>` element with `id` in `html`, unescaped.
fn preformatted(html: &str, id: &str) -> String {
    let start = format!("id=\"{id}\">");
    let text = html
        .split(&start)
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("no <pre id={id}> in {html}"));
    text.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn without_a_provider_the_admin_page_says_how_to_configure_one_or_do_without() {
    use clap::Parser as _;
    use downtime::cli::Cli;

    let db = sqlite();
    let upstream = start_upstream(&Upstream::default()).await;
    let proxy = Proxy::start(&db, &upstream.url(), |config| {
        config.auth.base_url = Some("https://shop.example".into());
    })
    .await;

    // A browser: the page, in the console's dress, not a redirect to a login that cannot work.
    let resp = http()
        .get(proxy.url(ADMIN))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .expect("CSP");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("no identity provider is configured"),
        "{html}"
    );
    assert!(!html.contains("id=\"switch-on\""), "no controls: {html}");
    assert!(
        html.contains("register https://shop.example/auth/callback as"),
        "the redirect URI to register: {html}"
    );
    // Every command it shows is one downtime accepts as written.
    let serve = preformatted(&html, "no-login-serve");
    for flag in [
        "--oidc-issuer",
        "--oidc-client-id",
        "--oidc-client-secret",
        "--base-url https://shop.example",
        "--superuser-emails",
    ] {
        assert!(serve.contains(flag), "{flag} in {serve}");
    }
    let commands = preformatted(&html, "no-login-commands");
    assert!(commands.contains("downtime bypass create"), "{commands}");
    for command in std::iter::once(serve.as_str()).chain(commands.lines()) {
        Cli::try_parse_from(command.split_whitespace())
            .unwrap_or_else(|e| panic!("{command:?} does not parse: {e}"));
    }

    // The console's forms answer the same, and nothing reaches the app.
    let posted = http()
        .post(proxy.url(&format!("{ADMIN}/state")))
        .header("accept", "text/html")
        .form(&[("csrf", "x"), ("version", "1"), ("action", "on")])
        .send()
        .await
        .expect("POST");
    assert_eq!(posted.status(), StatusCode::NOT_FOUND);
    assert!(!posted.headers().contains_key("x-upstream"));

    // Scripts (`*/*`, JSON, no Accept at all) get the same advice as a problem document.
    for accept in [Some("application/json"), Some("*/*"), None] {
        let mut request = http().get(proxy.url(ADMIN));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let resp = request.send().await.expect("GET");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{accept:?}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "{accept:?}"
        );
        let problem: serde_json::Value = resp.json().await.expect("problem");
        assert_eq!(problem["code"], "login_not_configured");
        assert_eq!(problem["status"], 404);
        let detail = problem["detail"].as_str().expect("detail");
        for named in [
            "--oidc-issuer",
            "https://shop.example/auth/callback",
            "downtime bypass create",
        ] {
            assert!(detail.contains(named), "{named} in {detail}");
        }
    }
}
