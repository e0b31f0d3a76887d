//! The gate's rules, observed over HTTP.

use chrono::{TimeDelta, Utc};
use downtime::config::Config;
use downtime::gate::Superusers;
use downtime::state::{Mode, Window};
use poem::Request;
use poem::http::StatusCode;

use crate::helpers::{databases, header, json, spawn_app, spawn_app_with, sqlite, text};

#[tokio::test]
async fn every_route_passes_while_maintenance_is_off() {
    for db in databases().await {
        let app = spawn_app(&db).await;

        let home = app.browse("/").await;
        home.assert_status_is_ok();
        assert!(
            text(home).await.contains("Welcome to the demo shop"),
            "{}",
            db.kind
        );
        app.browse("/about").await.assert_status_is_ok();
        let sent = app
            .client
            .post("/contact")
            .content_type("application/x-www-form-urlencoded")
            .body("name=Ada&message=hello")
            .send()
            .await;
        sent.assert_status_is_ok();
        assert!(text(sent).await.contains("Thank you, Ada"));
        let items = app.client.get("/api/demo/items").send().await;
        items.assert_status_is_ok();
        assert_eq!(json(items).await[0]["name"], "teapot");
    }
}

#[tokio::test]
async fn the_demo_sites_form_and_json_routes_refuse_a_body_over_the_limit_as_serve_does() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    let over = "x".repeat(downtime::http::DEFAULT_MAX_BODY_BYTES + 1);

    let form = app
        .client
        .post("/contact")
        .content_type("application/x-www-form-urlencoded")
        .body(format!("name=Ada&message={over}"))
        .send()
        .await;
    form.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    let item = app
        .client
        .post("/api/demo/items")
        .content_type("application/json")
        .body(format!("{{\"name\": \"{over}\"}}"))
        .send()
        .await;
    item.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_page_sends_visitors_back_while_maintenance_is_off() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    let cases = [
        ("/maintenance", "/"),
        ("/maintenance/", "/"),
        ("/maintenance?next=/about", "/about"),
        ("/maintenance?next=%2Fabout%3Fx%3D1", "/about?x=1"),
        ("/maintenance?next=//evil.example", "/"),
        ("/maintenance?next=%2F%2Fevil.example", "/"),
        ("/maintenance?next=/%5Cevil.example", "/"),
        ("/maintenance?next=https://evil.example/", "/"),
        ("/maintenance?next=javascript:alert(1)", "/"),
        ("/maintenance?next=/a%0d%0aSet-Cookie:x=1", "/"),
        ("/maintenance?next=/caf%C3%A9", "/caf%C3%A9"),
        ("/maintenance?next=%ff", "/"),
    ];
    for (path, location) in cases {
        let resp = app.browse(path).await;
        resp.assert_status(StatusCode::FOUND);
        assert_eq!(header(&resp, "location"), Some(location), "{path}");
        assert_eq!(header(&resp, "cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn browsers_are_redirected_to_the_page_remembering_where_they_were_going() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        app.on().await;

        let resp = app.browse("/about?x=1&y=%C3%A9").await;
        resp.assert_status(StatusCode::FOUND);
        assert_eq!(
            header(&resp, "location"),
            Some("/maintenance?next=/about%3Fx%3D1%26y%3D%25C3%25A9")
        );
        assert_eq!(header(&resp, "cache-control"), Some("no-store"));
        assert_eq!(header(&resp, "retry-after"), Some("300"));

        // The page, then, sends the visitor exactly there once maintenance is over.
        app.service
            .apply(Window::off(), downtime::state::Change::by("test"))
            .await
            .expect("off");
        let back = app
            .browse("/maintenance?next=/about%3Fx%3D1%26y%3D%25C3%25A9")
            .await;
        assert_eq!(
            header(&back, "location"),
            Some("/about?x=1&y=%C3%A9"),
            "{}",
            db.kind
        );
    }
}

#[tokio::test]
async fn a_gated_form_post_is_redirected_with_303() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;

    let resp = app
        .client
        .post("/contact")
        .header("accept", "text/html")
        .content_type("application/x-www-form-urlencoded")
        .body("name=Ada&message=hi")
        .send()
        .await;
    resp.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        header(&resp, "location"),
        Some("/maintenance?next=/contact")
    );
}

#[tokio::test]
async fn the_page_answers_503_with_retry_after_in_seconds_and_no_store() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        app.switch_on(Window {
            message: Some("Upgrading <script>alert(1)</script> the database".into()),
            retry_after_secs: 900,
            ..Window::off()
        })
        .await;

        let resp = app.browse("/maintenance").await;
        resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        resp.assert_content_type("text/html; charset=utf-8");
        assert_eq!(header(&resp, "retry-after"), Some("900"));
        assert_eq!(header(&resp, "cache-control"), Some("no-store"));
        let body = text(resp).await;
        assert!(
            body.contains(
                "<p dir=\"auto\">Upgrading &lt;script&gt;alert(1)&lt;/script&gt; the database</p>"
            ),
            "{body}"
        );
        assert!(!body.contains("<script>alert(1)"));
        assert!(body.contains("15 minutes"), "{}", db.kind);
    }
}

#[tokio::test]
async fn retry_after_is_an_http_date_when_the_end_is_known() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    let end = (Utc::now() + TimeDelta::minutes(45)).with_nanosecond_zero();
    app.switch_on(Window {
        ends_at: Some(end),
        ..Window::off()
    })
    .await;

    let resp = app.browse("/maintenance").await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    let expected = httpdate::fmt_http_date(end.into());
    assert_eq!(header(&resp, "retry-after"), Some(expected.as_str()));
    let problem = app.client.get("/api/demo/items").send().await;
    assert_eq!(header(&problem, "retry-after"), Some(expected.as_str()));
}

trait NanosecondZero {
    fn with_nanosecond_zero(self) -> Self;
}

impl NanosecondZero for chrono::DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        chrono::SubsecRound::trunc_subsecs(self, 0)
    }
}

#[tokio::test]
async fn the_page_can_be_served_in_place_instead_of_redirecting() {
    let db = sqlite();
    let config = Config {
        serve_in_place: true,
        ..Config::default()
    };
    let app = spawn_app_with(&db, config, downtime::gate::Nobody).await;
    app.on().await;

    let resp = app.browse("/about").await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    resp.assert_content_type("text/html; charset=utf-8");
    assert_eq!(header(&resp, "retry-after"), Some("300"));
    assert_eq!(header(&resp, "cache-control"), Some("no-store"));
    assert!(text(resp).await.contains("<h1>We’ll be back soon</h1>"));
}

#[tokio::test]
async fn json_clients_get_a_problem_document_never_a_redirect() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        app.switch_on(Window {
            message: Some("Back at 3".into()),
            ..Window::off()
        })
        .await;

        for (path, accept) in [
            ("/api/demo/items", None),
            ("/api/demo/items", Some("text/html")),
            ("/", Some("application/json")),
            ("/about", Some("application/problem+json")),
        ] {
            let mut req = app.client.get(path);
            if let Some(accept) = accept {
                req = req.header("accept", accept);
            }
            let resp = req.send().await;
            resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
            resp.assert_content_type("application/problem+json");
            assert_eq!(header(&resp, "retry-after"), Some("300"));
            assert_eq!(header(&resp, "cache-control"), Some("no-store"));
            assert!(header(&resp, "location").is_none());
            let body = json(resp).await;
            assert_eq!(body["status"], 503, "{path} {accept:?}");
            assert_eq!(body["type"], "urn:downtime:problem:maintenance");
            assert_eq!(body["code"], "maintenance");
            assert_eq!(body["title"], "Service unavailable for maintenance");
            assert_eq!(body["message"], "Back at 3");
            assert_eq!(body["retry_after"], 300);
        }
        let post = app
            .client
            .post("/api/demo/items")
            .body_json(&serde_json::json!({ "name": "kettle" }))
            .send()
            .await;
        post.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        post.assert_content_type("application/problem+json");
    }
}

#[tokio::test]
async fn health_status_auth_and_static_paths_stay_open() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;

    app.healthz().await.assert_status_is_ok();
    app.readyz().await.assert_status_is_ok();
    let status = app.status().await;
    status.assert_status_is_ok();
    let body = json(status).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["mode"], "full");
    // Reserved prefixes pass through to the router: nothing mounted (404), login not
    // configured (404), the control API asking for a token (401); never the gate's answers.
    for (path, status) in [
        ("/auth/login", StatusCode::NOT_FOUND),
        ("/static/app.css", StatusCode::NOT_FOUND),
        ("/favicon.ico", StatusCode::NOT_FOUND),
        ("/api/maintenance", StatusCode::UNAUTHORIZED),
        ("/api/docs", StatusCode::OK),
        ("/api/openapi.json", StatusCode::OK),
    ] {
        app.browse(path).await.assert_status(status);
    }
}

#[tokio::test]
async fn no_spelling_of_a_gated_path_slips_through() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;

    for path in [
        "//about",
        "/about/",
        "/./about",
        "/healthz/../about",
        "/static/%2e%2e/about",
        "/%61bout",
        "/api%2Fstatus",
        "/HEALTHZ",
        "/healthzz",
    ] {
        assert_sent_to_page(&app.browse(path).await, path);
    }
    // And an open path stays open however it is spelled, reaching the route it was judged as.
    for path in [
        "/about/../healthz",
        "//healthz",
        "/%68ealthz",
        "/x/%2E%2E/healthz",
    ] {
        app.client.get(path).send().await.assert_status_is_ok();
    }
}

#[tokio::test]
async fn read_only_mode_lets_reads_through_and_gates_writes() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        app.switch_on(Window {
            mode: Mode::ReadOnly,
            ..Window::off()
        })
        .await;

        app.browse("/").await.assert_status_is_ok();
        app.client
            .get("/api/demo/items")
            .send()
            .await
            .assert_status_is_ok();
        app.client.head("/about").send().await.assert_status_is_ok();
        let form = app
            .client
            .post("/contact")
            .header("accept", "text/html")
            .content_type("application/x-www-form-urlencoded")
            .body("name=Ada&message=hi")
            .send()
            .await;
        form.assert_status(StatusCode::SEE_OTHER);
        let api = app
            .client
            .put("/api/demo/items")
            .body_json(&serde_json::json!({ "name": "kettle" }))
            .send()
            .await;
        api.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        let body = json(api).await;
        assert_eq!(body["mode"], "read_only", "{}", db.kind);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("read-only"))
        );
    }
}

#[tokio::test]
async fn scheduled_and_ended_windows_do_not_gate() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.switch_on(Window {
        starts_at: Some(Utc::now() + TimeDelta::hours(1)),
        ..Window::off()
    })
    .await;
    app.browse("/").await.assert_status_is_ok();

    // A window cannot be written already over: this one ends by itself a moment later.
    let ends_at = Utc::now() + TimeDelta::milliseconds(300);
    app.switch_on(Window {
        starts_at: Some(Utc::now() - TimeDelta::hours(2)),
        ends_at: Some(ends_at),
        ..Window::off()
    })
    .await;
    app.browse("/").await.assert_status(StatusCode::FOUND);
    let left = (ends_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + std::time::Duration::from_millis(50)).await;
    app.browse("/").await.assert_status_is_ok();
    let page = app.browse("/maintenance").await;
    page.assert_status(StatusCode::FOUND);

    app.switch_on(Window {
        starts_at: Some(Utc::now() - TimeDelta::minutes(1)),
        ends_at: Some(Utc::now() + TimeDelta::hours(1)),
        ..Window::off()
    })
    .await;
    app.browse("/").await.assert_status(StatusCode::FOUND);
}

/// Stands in for the login module: the request says who it is.
struct HeaderSuperuser;

impl Superusers for HeaderSuperuser {
    async fn is_superuser(&self, req: &Request) -> bool {
        req.headers().get("x-test-superuser").is_some()
    }
}

#[tokio::test]
async fn superusers_pass_everywhere_and_nobody_else_does() {
    let db = sqlite();
    let app = spawn_app_with(&db, Config::default(), HeaderSuperuser).await;
    app.on().await;

    for path in ["/", "/about", "/api/demo/items"] {
        let resp = app
            .client
            .get(path)
            .header("x-test-superuser", "1")
            .send()
            .await;
        resp.assert_status_is_ok();
    }
    app.client
        .post("/contact")
        .header("x-test-superuser", "1")
        .content_type("application/x-www-form-urlencoded")
        .body("name=Ada&message=hi")
        .send()
        .await
        .assert_status_is_ok();
    app.browse("/").await.assert_status(StatusCode::FOUND);

    // The real app has no superusers yet: the same header changes nothing.
    let plain = spawn_app(&db).await;
    let resp = plain
        .client
        .get("/")
        .header("x-test-superuser", "1")
        .send()
        .await;
    // No `Accept`: a script, answered with the problem document.
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn hostile_headers_and_paths_never_break_the_server() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;
    let long = format!("/{}", "a/".repeat(4000));
    let many_languages = "en,".repeat(500);
    let cases: Vec<(String, &str, &str, &str)> = vec![
        ("/".into(), ";;;,,,q=", "", ""),
        (
            "/maintenance".into(),
            "text/html;q=NaN",
            "xx-ZZ-!!, *;q=abc, ;q=1",
            "downtime_lang=../../etc",
        ),
        (
            "/maintenance?lang=%ff%fe".into(),
            "*/*",
            "de;q=2.5",
            "=; ;downtime_lang",
        ),
        ("/maintenance?lang=".into(), "", &many_languages, ""),
        (long, "text/html", "", ""),
        ("/%".into(), "text/html", "", ""),
        ("/%zz/..%2f..".into(), "text/html", "", ""),
    ];
    for (path, accept, language, cookie) in &cases {
        let resp = app
            .client
            .get(path)
            .header("accept", *accept)
            .header("accept-language", *language)
            .header("cookie", *cookie)
            .send()
            .await;
        let status = resp.0.status();
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::FOUND,
            "{path}: {status}"
        );
    }
}

/// For any spelling of a path, the gate answers as it does for the path's normal form, unless
/// another reading an app may give it (`%2F` as a slash, say) is gated, and then it is gated:
/// no spelling reaches an open route it should not, and none makes the server fail. Requests go through the real gate over the test client,
/// maintenance on, with open paths configured.
#[test]
fn every_spelling_of_a_path_is_judged_as_its_normal_form() {
    use downtime::path::{normalize, readings};
    use proptest::prelude::*;

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let db = sqlite();
    let app = runtime.block_on(async {
        let config = Config {
            open_paths: vec!["/press".into()],
            ..Config::default()
        };
        let app = spawn_app_with(&db, config, downtime::gate::Nobody).await;
        app.on().await;
        app
    });
    let answer = |path: &str| {
        runtime.block_on(async {
            let resp = app.browse(path).await;
            let status = resp.0.status();
            let location = header(&resp, "location").map(str::to_owned);
            (status, location)
        })
    };
    let segment = prop::sample::select(vec![
        "",
        ".",
        "..",
        "%2e",
        "%2E%2e",
        "%2F",
        "%2f..",
        "healthz",
        "%68ealthz",
        "api",
        "maintenance",
        "status",
        "auth",
        "login",
        "press",
        "pres%73",
        "static",
        "about",
        "a",
        "%41",
        "%",
        "%zz",
        "~",
        "a.b",
    ]);
    let paths = prop::collection::vec(segment, 0..7).prop_map(|s| format!("/{}", s.join("/")));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(400));
    runner
        .run(&paths, |raw| {
            let (status, location) = answer(&raw);
            prop_assert!(
                !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
                "{raw}: {status}"
            );
            let normal = normalize(&raw).into_owned();
            let judged_as_normal = answer(&normal);
            if readings(&raw).is_empty() {
                prop_assert_eq!(
                    (status, location),
                    judged_as_normal,
                    "{} vs {}",
                    raw,
                    normal
                );
            } else if (status, location.clone()) != judged_as_normal {
                // Another reading an app may give the path is gated: so is the path.
                let to_page = location
                    .as_deref()
                    .is_some_and(|l| l.starts_with("/maintenance"));
                prop_assert!(
                    status == StatusCode::SERVICE_UNAVAILABLE || to_page,
                    "{raw}: {status} {location:?}, its normal form {normal}: {judged_as_normal:?}"
                );
            }
            Ok(())
        })
        .expect("the property holds");
}

#[tokio::test]
async fn a_window_may_answer_with_another_server_error_or_200() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        for code in [200u16, 502, 503, 599] {
            app.switch_on(Window {
                status_code: code,
                ..Window::off()
            })
            .await;
            let expected = StatusCode::from_u16(code).expect("status");
            let problem = app
                .client
                .get("/api/demo/items")
                .header("accept", "application/json")
                .send()
                .await;
            problem.assert_status(expected);
            assert_eq!(header(&problem, "retry-after"), Some("300"), "{code}");
            assert_eq!(
                header(&problem, "cache-control"),
                Some("no-store"),
                "{code}"
            );
            assert_eq!(json(problem).await["status"], code, "{}", db.kind);
            let page = app.browse("/maintenance").await;
            page.assert_status(expected);
            assert_eq!(header(&page, "retry-after"), Some("300"), "{code}");
            assert_eq!(header(&page, "cache-control"), Some("no-store"), "{code}");
            // Browsers elsewhere are still sent to the page.
            app.browse("/about").await.assert_status(StatusCode::FOUND);
        }
    }
}

#[tokio::test]
async fn a_scoped_window_closes_only_its_prefixes_however_they_are_spelled() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        app.switch_on(Window {
            scope: vec!["/checkout".into(), "/api/demo".into()],
            ..Window::off()
        })
        .await;
        for open in ["/", "/about", "/checkoutx", "/contact", "/x/checkout"] {
            let status = app.browse(open).await.0.status();
            assert_ne!(
                status,
                StatusCode::FOUND,
                "{}: {open} is outside the scope",
                db.kind
            );
            assert!(!status.is_server_error(), "{open}: {status}");
        }
        for closed in [
            "/checkout",
            "/checkout/",
            "/checkout/pay?step=2",
            "//checkout",
            "/./checkout",
            "/x/../checkout",
            "/%63heckout",
            "/Checkout",
            "/CHECKOUT/pay",
            "/api/demo/../../checkout",
        ] {
            assert_sent_to_page(&app.browse(closed).await, &format!("{}: {closed}", db.kind));
        }
        // JSON clients and the page say what is down.
        let problem = app
            .client
            .get("/api/demo/items")
            .header("accept", "application/json")
            .send()
            .await;
        problem.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            json(problem).await["scope"],
            serde_json::json!(["/checkout", "/api/demo"])
        );
        let page = app.browse("/maintenance").await;
        page.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        let html = text(page).await;
        assert!(
            html.contains("Only these parts of the site are closed"),
            "{html}"
        );
        assert!(
            html.contains("<code dir=\"ltr\">/checkout</code>"),
            "{html}"
        );
    }
}

#[tokio::test]
async fn pages_announce_a_scheduled_window_before_it_starts() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let start: chrono::DateTime<Utc> = "2099-06-01T02:00:00Z".parse().expect("date");
        let end: chrono::DateTime<Utc> = "2099-06-01T03:30:00Z".parse().expect("date");
        app.switch_on(Window {
            starts_at: Some(start),
            ends_at: Some(end),
            ..Window::off()
        })
        .await;
        let page = app.browse("/about").await;
        page.assert_status_is_ok();
        assert_eq!(
            header(&page, "maintenance-window"),
            Some("start=2099-06-01T02:00:00Z; end=2099-06-01T03:30:00Z"),
            "{}",
            db.kind
        );
        // Only pages: the app's JSON stays as it was.
        let data = app
            .client
            .get("/api/demo/items")
            .header("accept", "application/json")
            .send()
            .await;
        data.assert_status_is_ok();
        assert_eq!(header(&data, "maintenance-window"), None);
        let status = json(app.status().await).await;
        assert_eq!(status["phase"], "scheduled");
        let announced: chrono::DateTime<Utc> = status["starts_at"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("starts_at");
        assert_eq!(announced, start);

        // Without a schedule, nothing is announced.
        app.service
            .apply(Window::off(), downtime::state::Change::by("test"))
            .await
            .expect("off");
        assert_eq!(
            header(&app.browse("/about").await, "maintenance-window"),
            None
        );
    }
}

/// `resp` redirects a browser to the maintenance page (`what` names the case).
fn assert_sent_to_page(resp: &poem::test::TestResponse, what: &str) {
    assert_eq!(resp.0.status(), StatusCode::FOUND, "{what}");
    assert!(
        header(resp, "location").is_some_and(|l| l.starts_with("/maintenance?next=")),
        "{what}"
    );
}

#[tokio::test]
async fn scripts_get_json_and_only_browsers_naming_html_get_the_page() {
    let db = sqlite();
    let config = Config {
        json_paths: vec!["/graphql".into()],
        ..Config::default()
    };
    let app = spawn_app_with(&db, config, crate::proxy::HeaderSuperuser).await;
    app.on().await;
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    // (path, headers, status)
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str)],
        StatusCode,
    );
    let cases: &[Case] = &[
        // axios' default, to the app's GraphQL endpoint
        (
            "/graphql",
            &[("accept", "application/json, text/plain, */*")],
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        // python-requests and curl
        (
            "/v1/items",
            &[("accept", "*/*")],
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        ("/v1/items", &[], StatusCode::SERVICE_UNAVAILABLE),
        // a browser under a JSON path still gets JSON
        (
            "/graphql",
            &[("accept", BROWSER)],
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        // jQuery's AJAX and a cross-origin fetch, from a browser
        (
            "/cart",
            &[("accept", BROWSER), ("x-requested-with", "XMLHttpRequest")],
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (
            "/cart",
            &[("accept", BROWSER), ("sec-fetch-mode", "cors")],
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        // a person: the page, as before
        ("/cart", &[("accept", BROWSER)], StatusCode::FOUND),
    ];
    for (path, headers, status) in cases {
        let mut req = app.client.get(*path);
        for (name, value) in *headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await;
        resp.assert_status(*status);
        if *status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(
                header(&resp, "content-type"),
                Some("application/problem+json"),
                "{path} {headers:?}"
            );
            assert_eq!(json(resp).await["code"], "maintenance", "{path}");
        }
    }
}
