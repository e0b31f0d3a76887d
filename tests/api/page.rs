//! The maintenance page: languages, contents, headers, escaping, and its cache.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{TimeDelta, Utc};
use downtime::gate::{Gate, Rules};
use downtime::state::{Live, MaintenanceState, Mode, Window};
use downtime::web::page::{PageOptions, Pages};
use fluent_syntax::ast;
use fluent_templates::fluent_bundle::FluentResource;
use poem::endpoint::make_sync;
use poem::http::StatusCode;
use poem::test::TestClient;
use poem::{Endpoint, EndpointExt, Route};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, header, json, spawn_app, sqlite, text};

const LOCALES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");

/// Every locale's messages, by tag then id (the message's plain text, if it has one).
fn locales() -> BTreeMap<String, BTreeMap<String, Option<String>>> {
    let mut all = BTreeMap::new();
    for dir in std::fs::read_dir(LOCALES).expect("locales/") {
        let dir = dir.expect("entry").path();
        let tag = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut messages = BTreeMap::new();
        for file in std::fs::read_dir(&dir).expect("locale dir") {
            let file = file.expect("entry").path();
            if file.extension().is_none_or(|e| e != "ftl") {
                continue;
            }
            let source = std::fs::read_to_string(&file).expect("read ftl");
            let resource = FluentResource::try_new(source).unwrap_or_else(|(_, errors)| {
                panic!("{}: syntax errors {errors:?}", file.display())
            });
            for entry in resource.entries() {
                if let ast::Entry::Message(message) = entry {
                    let plain = message.value.as_ref().and_then(|pattern| {
                        match pattern.elements.as_slice() {
                            [ast::PatternElement::TextElement { value }] => {
                                Some((*value).to_owned())
                            }
                            _ => None,
                        }
                    });
                    let id = message.id.name.to_owned();
                    assert!(
                        messages.insert(id.clone(), plain).is_none(),
                        "{tag}: {id} twice"
                    );
                }
            }
        }
        all.insert(tag, messages);
    }
    all
}

#[test]
fn every_locale_has_every_message_and_no_other() {
    let all = locales();
    assert!(all.len() >= 12, "only {} locales", all.len());
    for required in ["ar", "he", "pl", "ru", "ja", "zh-CN", "pt-BR"] {
        assert!(all.contains_key(required), "{required} missing");
    }
    let reference: BTreeSet<&String> = all["en-US"].keys().collect();
    for (tag, messages) in &all {
        let ids: BTreeSet<&String> = messages.keys().collect();
        let missing: Vec<_> = reference.difference(&ids).collect();
        let extra: Vec<_> = ids.difference(&reference).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{tag}: missing {missing:?}, extra {extra:?}"
        );
    }
}

#[test]
fn every_message_is_used_and_no_locale_is_left_in_english() {
    let all = locales();
    let sources: String = [
        "templates/maintenance.html.tera",
        "templates/unreachable.html.tera",
        "templates/admin.html.tera",
        "src/web/page.rs",
        "src/admin/mod.rs",
        "src/admin/view.rs",
        "src/admin/form.rs",
        "src/web/locale.rs",
        "src/web/chat.rs",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).expect("read"))
    .collect();
    for id in all["en-US"].keys() {
        // duration-* ids are chosen in code by their prefix.
        let used = sources.contains(&format!("\"{id}\"")) || id.starts_with("duration-");
        assert!(used, "{id} is never used");
    }
    for (tag, messages) in &all {
        if tag == "en-US" {
            continue;
        }
        for (id, plain) in messages {
            if let (Some(text), Some(Some(english))) = (plain, all["en-US"].get(id)) {
                assert_ne!(text, english, "{tag}: {id} is still in English");
            }
        }
    }
}

async fn page(
    app: &TestApp,
    path: &str,
    accept_language: Option<&str>,
    cookie: Option<&str>,
) -> poem::test::TestResponse {
    let mut req = app.client.get(path).header("accept", "text/html");
    if let Some(al) = accept_language {
        req = req.header("accept-language", al);
    }
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    req.send().await
}

#[tokio::test]
async fn each_locale_renders_its_own_strings_with_lang_and_dir() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;
    for (tag, messages) in locales() {
        let resp = page(&app, &format!("/maintenance?lang={tag}"), None, None).await;
        resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&resp, "content-language"), Some(tag.as_str()));
        let body = text(resp).await;
        let dir = if tag == "ar" || tag == "he" {
            "rtl"
        } else {
            "ltr"
        };
        assert!(
            body.contains(&format!("<html lang=\"{tag}\" dir=\"{dir}\">")),
            "{tag}"
        );
        for id in ["page-title", "page-heading", "page-retry-link"] {
            let expected = messages[id].as_ref().expect("plain text");
            let escaped = expected
                .replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert!(
                body.contains(&escaped),
                "{tag}: {id} = {expected:?} not on the page"
            );
        }
    }
}

#[tokio::test]
async fn the_language_comes_from_query_then_cookie_then_accept_language() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;
    #[rustfmt::skip]
    let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
        ("/maintenance", None, None, "en-US"),
        ("/maintenance", Some("de"), None, "de"),
        ("/maintenance", Some("fr-CA, en;q=0.5"), None, "fr"),
        ("/maintenance", Some("pt"), None, "pt-BR"),
        ("/maintenance", Some("pt-PT"), None, "pt-BR"),
        ("/maintenance", Some("zh-Hans-CN"), None, "zh-CN"),
        ("/maintenance", Some("he-IL,he;q=0.9"), None, "he"),
        ("/maintenance", Some("fr;q=0.5, de;q=0.8, en;q=0.1"), None, "de"),
        ("/maintenance", Some("sv, nl;q=0.3"), None, "nl"),
        ("/maintenance", Some("sv, fi"), None, "en-US"),
        ("/maintenance", Some("de;q=0, ja"), None, "ja"),
        ("/maintenance", Some("!!garbage!!"), None, "en-US"),
        ("/maintenance", Some("ru"), Some("downtime_lang=ar"), "ar"),
        ("/maintenance", Some("ru"), Some("a=b; downtime_lang=pl"), "pl"),
        ("/maintenance", Some("ru"), Some("downtime_lang=xx"), "ru"),
        ("/maintenance?lang=es", Some("ru"), Some("downtime_lang=ar"), "es"),
        ("/maintenance?lang=it-CH", None, None, "it"),
        ("/maintenance?lang=nope", Some("ja"), None, "ja"),
        ("/maintenance?lang=%ff", None, None, "en-US"),
    ];
    for (path, accept_language, cookie, expected) in cases {
        let resp = page(&app, path, *accept_language, *cookie).await;
        resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            header(&resp, "content-language"),
            Some(*expected),
            "{path} {accept_language:?} {cookie:?}"
        );
        assert_eq!(
            header(&resp, "vary"),
            Some("Accept, Accept-Language, Cookie")
        );
    }
}

#[tokio::test]
async fn a_lang_choice_is_remembered_in_a_cookie() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;

    let resp = page(&app, "/maintenance?lang=ja", None, None).await;
    let cookie = header(&resp, "set-cookie").expect("set-cookie");
    assert!(cookie.starts_with("downtime_lang=ja;"), "{cookie}");
    for attribute in ["Path=/", "SameSite=Lax", "HttpOnly", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let plain = page(&app, "/maintenance", Some("ja"), None).await;
    assert!(header(&plain, "set-cookie").is_none());
    let unknown = page(&app, "/maintenance?lang=xx", None, None).await;
    assert!(header(&unknown, "set-cookie").is_none());
}

#[tokio::test]
async fn the_page_is_self_contained_under_a_strict_csp() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;

    let resp = page(&app, "/maintenance", None, None).await;
    let csp = header(&resp, "content-security-policy")
        .expect("csp")
        .to_owned();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(header(&resp, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&resp, "x-content-type-options"), Some("nosniff"));
    let body = text(resp).await;

    // The inline style and script are allowed by their exact hashes.
    for (open, close, directive) in [
        ("<style>", "</style>", "style-src"),
        ("<script>", "</script>", "script-src"),
    ] {
        let start = body.find(open).expect(open) + open.len();
        let end = start + body[start..].find(close).expect(close);
        let hash =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body[start..end]));
        assert!(
            csp.contains(&format!("{directive} 'sha256-{hash}'")),
            "{directive}: {csp}"
        );
    }
    // Nothing is loaded from elsewhere.
    for external in ["http://", "https://", "<link", "src=\"", "@import", "url("] {
        assert!(!body.contains(external), "found {external}");
    }
    for landmark in [
        "<main",
        "<footer",
        "<nav aria-label=",
        "<h1>",
        "name=\"viewport\"",
    ] {
        assert!(body.contains(landmark), "{landmark} missing");
    }
    // Without JavaScript the page still reloads itself.
    assert!(body.contains("<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript>"));
    assert!(body.contains("data-status-url=\"/api/status\""));
}

#[tokio::test]
async fn a_hostile_message_is_shown_as_text() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.switch_on(Window {
        message: Some(
            "\"><img src=x onerror=alert(1)> & </main><script>alert('x')</script>".into(),
        ),
        ..Window::off()
    })
    .await;

    let body = text(page(&app, "/maintenance", None, None).await).await;
    assert!(!body.contains("<img"));
    assert!(!body.contains("<script>alert"));
    assert!(
        body.contains("<p dir=\"auto\">&quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &lt;/main&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"),
        "{body}"
    );

    let problem = json(app.client.get("/api/demo/items").send().await).await;
    assert_eq!(
        problem["message"],
        "\"><img src=x onerror=alert(1)> & </main><script>alert('x')</script>"
    );
}

#[tokio::test]
async fn durations_use_each_languages_plural_forms() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    let cases = [
        (60, "en-US", "1 minute"),
        (300, "en-US", "5 minutes"),
        (120, "pl", "2 minuty"),
        (300, "pl", "5 minut"),
        (22 * 60, "ru", "22 минуты"),
        (11 * 60, "ru", "11 минут"),
        (120, "ar", "دقيقتان"),
        (3 * 3600, "he", "3 שעות"),
        (2 * 86400, "fr", "2 jours"),
        (300, "ja", "5"),
    ];
    for (secs, lang, expected) in cases {
        app.switch_on(Window {
            retry_after_secs: secs,
            ..Window::off()
        })
        .await;
        let body = text(page(&app, &format!("/maintenance?lang={lang}"), None, None).await).await;
        let hint = body
            .lines()
            .find(|l| l.starts_with("<p class=\"retry\">"))
            .expect("retry hint");
        assert!(hint.contains(expected), "{lang} {secs}s: {hint}");
    }
}

#[tokio::test]
async fn the_end_time_and_read_only_notice_are_shown() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    let end = chrono::SubsecRound::trunc_subsecs(Utc::now() + TimeDelta::hours(2), 0);
    app.switch_on(Window {
        ends_at: Some(end),
        mode: Mode::ReadOnly,
        ..Window::off()
    })
    .await;
    let iso = end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    let body = text(page(&app, "/maintenance?lang=de", None, None).await).await;
    assert!(body.contains(&format!("data-ends-at=\"{iso}\"")));
    assert!(body.contains(&format!(
        "<time datetime=\"{iso}\">{}</time>",
        end.format("%Y-%m-%d %H:%M UTC")
    )));
    let end_line = body
        .lines()
        .find(|l| l.starts_with("<p class=\"end\">"))
        .expect("end line");
    assert!(
        end_line.starts_with("<p class=\"end\">Voraussichtlich wieder verfügbar: <time "),
        "{end_line}"
    );
    assert!(body.contains("id=\"countdown\""));
    assert!(
        !body.contains("class=\"retry\""),
        "no retry hint when the end is known"
    );

    let en = text(page(&app, "/maintenance", None, None).await).await;
    assert!(en.contains("read-only mode"), "{en}");
}

#[tokio::test]
async fn problem_documents_speak_the_clients_language() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;
    let resp = app
        .client
        .get("/api/demo/items")
        .header("accept-language", "fr-FR,fr;q=0.9")
        .send()
        .await;
    assert_eq!(header(&resp, "content-language"), Some("fr"));
    let body = json(resp).await;
    let fr = &locales()["fr"];
    assert_eq!(body["title"].as_str(), fr["problem-title"].as_deref());
    assert_eq!(body["detail"].as_str(), fr["problem-detail"].as_deref());
}

#[tokio::test]
async fn a_state_change_replaces_the_cached_page() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.switch_on(Window {
        message: Some("first message".into()),
        ..Window::off()
    })
    .await;
    let first = text(page(&app, "/maintenance", None, None).await).await;
    assert!(first.contains("first message"));
    // Served again from the cache: identical.
    assert_eq!(
        text(page(&app, "/maintenance", None, None).await).await,
        first
    );

    app.switch_on(Window {
        message: Some("second message".into()),
        ..Window::off()
    })
    .await;
    let second = text(page(&app, "/maintenance", None, None).await).await;
    assert!(second.contains("second message"));
    assert!(!second.contains("first message"));
}

/// The SHA-256 of the text between `open` and `close` in `body`, as a CSP source.
fn csp_hash(body: &str, open: &str, close: &str) -> String {
    let start = body.find(open).expect(open) + open.len();
    let end = start + body[start..].find(close).expect(close);
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body[start..end]))
    )
}

#[tokio::test]
async fn the_language_links_can_only_be_paths_on_this_site() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;

    let body = text(page(&app, "/maintenance", None, None).await).await;
    // The script builds the links from the page's own URL; served in place at `//evil.example/`
    // that path alone would be a protocol-relative link to another host.
    let script = body
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("script");
    assert!(
        script.contains(r#"a.href = url.pathname.replace(/^[\/\\]+/, "/") + url.search;"#),
        "{script}"
    );
    assert!(!script.contains("a.href = url.pathname + url.search"));
    // Without the script, the links are relative to the page.
    assert!(body.contains("<a href=\"?lang=de\""));
    assert!(!body.contains("href=\"//"));
}

/// A directory of overrides, removed on drop.
struct PageDir(tempfile::TempDir);

impl PageDir {
    fn new() -> Self {
        PageDir(tempfile::tempdir().expect("temp dir"))
    }

    fn with(self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.0.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
        self
    }

    fn options(&self) -> PageOptions {
        PageOptions {
            page_dir: Some(self.0.path().to_owned()),
            ..PageOptions::default()
        }
    }

    /// `Pages::new`'s error for this directory, with its causes.
    fn error(&self) -> String {
        format!(
            "{:#}",
            Pages::new(&self.options()).expect_err("a broken override")
        )
    }
}

/// A one-route site behind a gate answering with `pages`, maintenance switched on.
fn gated(pages: Pages) -> TestClient<impl Endpoint> {
    let live = Live::new(MaintenanceState {
        window: Window::on(),
        version: 2,
        ..MaintenanceState::initial()
    });
    let site = Route::new().at("/", make_sync(|_| "home")).with(Gate::new(
        live,
        Arc::new(pages),
        Rules::default(),
    ));
    TestClient::new(site)
}

async fn gated_page(
    client: &TestClient<impl Endpoint>,
    path: &str,
    accept_language: Option<&str>,
) -> poem::test::TestResponse {
    let mut req = client.get(path).header("accept", "text/html");
    if let Some(al) = accept_language {
        req = req.header("accept-language", al);
    }
    let resp = req.send().await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    resp
}

/// The en-US messages with a few replaced: a complete new language.
fn english_with(replacements: &[(&str, &str)]) -> String {
    let mut source = std::fs::read_to_string(format!("{LOCALES}/en-US/main.ftl")).expect("en-US");
    for (from, to) in replacements {
        assert!(source.contains(from), "{from}");
        source = source.replace(from, to);
    }
    source
}

#[tokio::test]
async fn an_overridden_message_shows_while_the_others_stay_built_in() {
    let dir = PageDir::new()
        .with(
            "locales/de/brand.ftl",
            "page-heading = Gleich wieder da, versprochen\n",
        )
        .with("notes.txt", "files the page does not know are ignored");
    let client = gated(Pages::new(&dir.options()).expect("pages"));
    let de = &locales()["de"];

    let body = text(gated_page(&client, "/maintenance?lang=de", None).await).await;
    assert!(
        body.contains("<h1>Gleich wieder da, versprochen</h1>"),
        "{body}"
    );
    let title = de["page-title"].as_deref().expect("plain");
    assert!(body.contains(&format!("<title>{title}</title>")), "{body}");

    let en = text(gated_page(&client, "/maintenance", None).await).await;
    let heading = locales()["en-US"]["page-heading"].clone().expect("plain");
    assert!(en.contains(&format!("<h1>{heading}</h1>")), "{en}");
}

#[tokio::test]
async fn a_new_language_is_negotiable_by_accept_language_and_query() {
    let esperanto = english_with(&[
        ("language-name = English", "language-name = Esperanto"),
        (
            "page-heading = We’ll be back soon",
            "page-heading = Ni baldaŭ revenos",
        ),
    ]);
    let dir = PageDir::new().with("locales/eo/main.ftl", esperanto);
    let client = gated(Pages::new(&dir.options()).expect("pages"));

    let resp = gated_page(&client, "/maintenance", Some("eo, en;q=0.5")).await;
    assert_eq!(header(&resp, "content-language"), Some("eo"));
    let body = text(resp).await;
    assert!(body.contains("<html lang=\"eo\" dir=\"ltr\">"));
    assert!(body.contains("<h1>Ni baldaŭ revenos</h1>"));

    let resp = gated_page(&client, "/maintenance?lang=eo", Some("de")).await;
    assert_eq!(header(&resp, "content-language"), Some("eo"));
    assert!(
        header(&resp, "set-cookie").is_some_and(|c| c.starts_with("downtime_lang=eo;")),
        "the choice is remembered"
    );
    // The other languages offer it in their switcher, under its own name.
    let de = text(gated_page(&client, "/maintenance?lang=de", None).await).await;
    assert!(de.contains("data-lang=\"eo\">Esperanto</a>"), "{de}");

    // It may be the default, too.
    let options = PageOptions {
        default_language: "eo".into(),
        ..dir.options()
    };
    let client = gated(Pages::new(&options).expect("pages"));
    let resp = gated_page(&client, "/maintenance", Some("xx")).await;
    assert_eq!(header(&resp, "content-language"), Some("eo"));
}

#[tokio::test]
async fn an_overridden_stylesheet_is_served_under_its_own_hash() {
    let css = "body{background:#123456;color:#fff}\n";
    let dir = PageDir::new().with("maintenance.css", css);
    let client = gated(Pages::new(&dir.options()).expect("pages"));

    let resp = gated_page(&client, "/maintenance", None).await;
    let csp = header(&resp, "content-security-policy")
        .expect("csp")
        .to_owned();
    let body = text(resp).await;
    assert!(body.contains(&format!("<style>{css}</style>")));
    assert!(
        csp.contains(&format!(
            "style-src {};",
            csp_hash(&body, "<style>", "</style>")
        )),
        "{csp}"
    );
    assert!(
        csp.contains(&format!(
            "script-src {};",
            csp_hash(&body, "<script>", "</script>")
        )),
        "{csp}"
    );

    let built_in = gated(Pages::new(&PageOptions::default()).expect("pages"));
    let built_in = text(gated_page(&built_in, "/maintenance", None).await).await;
    assert!(
        !csp.contains(&csp_hash(&built_in, "<style>", "</style>")),
        "the built-in style is not allowed"
    );
}

#[tokio::test]
async fn a_logo_is_inlined_as_a_data_uri() {
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"4\"/></svg>";
    let dir = PageDir::new().with("logo.svg", svg);
    let client = gated(Pages::new(&dir.options()).expect("pages"));

    let resp = gated_page(&client, "/maintenance", None).await;
    let csp = header(&resp, "content-security-policy")
        .expect("csp")
        .to_owned();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    let body = text(resp).await;
    let uri = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    assert!(
        body.contains(&format!("<img class=\"logo\" src=\"{uri}\" alt=\"\">")),
        "{body}"
    );
    assert!(!body.contains("<svg class=\"icon\""));

    let built_in = gated(Pages::new(&PageOptions::default()).expect("pages"));
    let built_in = text(gated_page(&built_in, "/maintenance", None).await).await;
    assert!(built_in.contains("<svg class=\"icon\""));
    assert!(!built_in.contains("<img"));
}

#[tokio::test]
async fn an_overridden_template_and_prefix_are_used() {
    let template = "<!doctype html><html lang=\"{{ lang }}\"><style>{{ style | safe }}</style>\
<h1>{{ fluent(key=\"page-heading\", lang=lang) }}: {{ fluent(key=\"brand-name\", lang=lang) }}</h1>\
<main data-status-url=\"{{ status_url }}\"></main><script>{{ script | safe }}</script></html>";
    let dir = PageDir::new()
        .with("maintenance.html.tera", template)
        .with("locales/en-US/brand.ftl", "brand-name = Example Shop\n");
    let options = PageOptions {
        prefix: "/_downtime".into(),
        ..dir.options()
    };
    let client = gated(Pages::new(&options).expect("pages"));

    let body = text(gated_page(&client, "/maintenance?lang=fr", None).await).await;
    let heading = locales()["fr"]["page-heading"].clone().expect("plain");
    // A message only the default language has falls back to it.
    assert!(
        body.contains(&format!(
            "<h1>{}: Example Shop</h1>",
            heading.replace('\'', "&#39;")
        )),
        "{body}"
    );
    assert!(
        body.contains("data-status-url=\"/_downtime/api/status\""),
        "{body}"
    );
}

#[test]
fn broken_overrides_fail_at_start_naming_the_file() {
    let cases: Vec<(PageDir, &[&str])> = vec![
        (
            PageDir::new().with("maintenance.html.tera", "<h1>{% if %}</h1>"),
            &["maintenance.html.tera: the template does not compile"],
        ),
        (
            PageDir::new().with(
                "maintenance.html.tera",
                "<h1>{{ no_such_value.field }}</h1>",
            ),
            &["maintenance.html.tera: the template fails to render in "],
        ),
        (
            PageDir::new().with(
                "maintenance.html.tera",
                "<h1>{{ fluent(key=\"brand-nme\", lang=lang) }}</h1>",
            ),
            &[
                "maintenance.html.tera: the page in ",
                "unknown message",
                "brand-nme",
            ],
        ),
        (
            PageDir::new().with(
                "locales/fr/main.ftl",
                "page-title = Bonjour\npage-heading Oups\n",
            ),
            &["main.ftl: Fluent syntax error, line 2"],
        ),
        (
            PageDir::new().with(
                "locales/sv/main.ftl",
                "language-name = Svenska\npage-title = Underhåll\n",
            ),
            &[
                "sv: sv is not a built-in language",
                "missing",
                "page-heading",
                "problem-detail-read-only",
            ],
        ),
        (
            PageDir::new().with("logo.png", vec![0x89; 300 * 1024]),
            &["logo.png: 307200 bytes; a logo may have at most 262144"],
        ),
        (
            PageDir::new().with("maintenance.css", vec![0xff, 0xfe, 0x00]),
            &["cannot read ", "maintenance.css"],
        ),
    ];
    for (dir, expected) in cases {
        let error = dir.error();
        for part in expected {
            assert!(error.contains(part), "{part:?} not in {error:?}");
        }
    }
    // A missing directory is an error too, not an empty brand.
    let gone = PageDir::new().options();
    let missing = PageOptions {
        page_dir: gone.page_dir.map(|dir| dir.join("nope")),
        ..gone
    };
    let error = format!("{:#}", Pages::new(&missing).expect_err("missing dir"));
    assert!(error.contains("cannot read the page directory"), "{error}");
}

#[tokio::test]
async fn the_banner_script_is_localized_and_served_whatever_the_state() {
    let db = crate::helpers::sqlite();
    let app = crate::helpers::spawn_app(&db).await;
    for on in [false, true] {
        if on {
            app.on().await;
        }
        let resp = app
            .client
            .get("/maintenance/banner.js")
            .header("accept-language", "fr-CA, en;q=0.5")
            .send()
            .await;
        resp.assert_status_is_ok();
        assert_eq!(
            crate::helpers::header(&resp, "content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(
            crate::helpers::header(&resp, "x-content-type-options"),
            Some("nosniff")
        );
        assert!(
            crate::helpers::header(&resp, "vary").is_some_and(|v| v.contains("Accept-Language"))
        );
        let script = crate::helpers::text(resp).await;
        assert!(
            script.contains("Une maintenance est pr\u{e9}vue du"),
            "{script}"
        );
        assert!(script.contains("\"dir\":\"ltr\""), "{script}");
        assert!(!script.contains("__MESSAGES__"));
    }
    let hebrew = app
        .client
        .get("/maintenance/banner.js?lang=he")
        .send()
        .await;
    assert!(
        crate::helpers::text(hebrew)
            .await
            .contains("\"dir\":\"rtl\"")
    );
}

#[tokio::test]
async fn the_feed_lists_upcoming_and_recent_windows_for_feed_readers() {
    for db in crate::helpers::databases().await {
        let app = crate::helpers::spawn_app(&db).await;
        let at = |h| {
            chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2099, 6, 1, h, 0, 0)
                .single()
                .expect("date")
        };
        app.switch_on(Window {
            starts_at: Some(at(2)),
            ends_at: Some(at(3)),
            message: Some("Database upgrade <b>& more</b>".into()),
            ..Window::off()
        })
        .await;
        app.on().await; // now, until further notice: the feed stays reachable while gated
        let resp = app.feed().await;
        resp.assert_status_is_ok();
        assert_eq!(
            crate::helpers::header(&resp, "content-type"),
            Some("application/atom+xml; charset=utf-8")
        );
        let body = crate::helpers::text(resp).await;
        // A feed parser accepts it.
        let feed = atom_syndication::Feed::read_from(body.as_bytes()).expect("an Atom feed");
        assert_eq!(feed.id(), "http://localhost/maintenance/feed.atom");
        let titles: Vec<&str> = feed.entries().iter().map(|e| e.title().as_str()).collect();
        assert_eq!(
            titles,
            [
                "Maintenance started, until further notice",
                "Maintenance scheduled from 2099-06-01T02:00:00Z until 2099-06-01T03:00:00Z",
            ],
            "{}",
            db.kind
        );
        let scheduled = &feed.entries()[1];
        assert_eq!(
            scheduled.summary().map(|s| s.as_str()),
            Some("Database upgrade <b>& more</b>"),
            "the message as text, escaped in the XML"
        );
        assert!(!body.contains("<b>"), "{body}");
        assert_ne!(feed.entries()[0].id(), feed.entries()[1].id());
    }
}

#[tokio::test]
async fn the_feed_lists_the_start_and_end_of_a_window_the_clock_ran() {
    for db in crate::helpers::databases().await {
        let app = crate::helpers::spawn_app(&db).await;
        let second = |n| {
            // Whole seconds, as the feed writes its times.
            let now = chrono::Utc::now().timestamp();
            chrono::DateTime::from_timestamp(now + n, 0).expect("a time")
        };
        let (start, end) = (second(2), second(3));
        app.switch_on(Window {
            starts_at: Some(start),
            ends_at: Some(end),
            message: Some("Moving the database".into()),
            ..Window::off()
        })
        .await;
        let entries = |body: &str| {
            let feed = atom_syndication::Feed::read_from(body.as_bytes()).expect("an Atom feed");
            feed.entries()
                .iter()
                .map(|e| (e.title().as_str().to_owned(), e.updated().to_utc()))
                .collect::<Vec<_>>()
        };
        let listed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                let body = crate::helpers::text(app.feed().await).await;
                if entries(&body).len() == 3 {
                    break body;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("the clock's start and end listed");
        let until = format!(
            "until {}",
            end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        assert_eq!(
            entries(&listed)[..2],
            [
                ("Maintenance over".to_owned(), end),
                (format!("Maintenance started, {until}"), start),
            ],
            "{}",
            db.kind
        );
        assert!(
            entries(&listed)[2]
                .0
                .starts_with("Maintenance scheduled from")
        );
        assert!(chrono::Utc::now() >= end, "nothing listed before its time");
        let feed = atom_syndication::Feed::read_from(listed.as_bytes()).expect("an Atom feed");
        assert_eq!(feed.updated().to_utc(), end, "updated as its newest entry");
        let ids: BTreeSet<&str> = feed.entries().iter().map(|e| e.id()).collect();
        assert_eq!(ids.len(), 3, "each entry its own id");
    }
}

/// The options of every `Intl.DateTimeFormat` in `script`, up to the closing brace.
fn date_formats(script: &str) -> Vec<&str> {
    script
        .split("Intl.DateTimeFormat(")
        .skip(1)
        .filter_map(|rest| rest.split('}').next())
        .collect()
}

#[tokio::test]
async fn localized_times_keep_their_time_zone() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.switch_on(Window {
        ends_at: Some(Utc::now() + TimeDelta::hours(2)),
        ..Window::off()
    })
    .await;
    let body = text(page(&app, "/maintenance", None, None).await).await;
    let page_script = body
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("script")
        .to_owned();
    let banner = text(app.client.get("/maintenance/banner.js").send().await).await;
    for script in [page_script, banner] {
        let formats = date_formats(&script);
        assert!(!formats.is_empty(), "{script}");
        for options in formats {
            // "7:48 AM" alone is anyone's 7:48; and a zone asked for beside dateStyle or
            // timeStyle makes the browser throw, leaving the server's UTC text.
            assert!(options.contains("timeZoneName: \"short\""), "{options}");
            assert!(
                !options.contains("dateStyle") && !options.contains("timeStyle"),
                "{options}"
            );
        }
    }
}

#[tokio::test]
async fn a_window_switched_on_now_is_not_called_scheduled() {
    let db = sqlite();
    let app = spawn_app(&db).await;
    app.on().await;
    for (lang, intro, not) in [
        ("en-US", "This site is down for maintenance.", "scheduled"),
        ("de", "wegen Wartungsarbeiten", "planmäßig"),
        ("fr", "en maintenance.", "programmée"),
        ("ru", "проводятся технические работы", "плановые"),
    ] {
        let body = text(page(&app, &format!("/maintenance?lang={lang}"), None, None).await).await;
        let line = body
            .lines()
            .find(|l| l.starts_with("<p class=\"intro\">"))
            .expect("intro");
        assert!(line.contains(intro), "{lang}: {line}");
        assert!(!line.to_lowercase().contains(not), "{lang}: {line}");
    }
}
