//! The maintenance page: languages, contents, headers, escaping, and its cache.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use chrono::{TimeDelta, Utc};
use downtime::state::{Mode, Settings};
use fluent_syntax::ast;
use fluent_templates::fluent_bundle::FluentResource;
use poem::http::StatusCode;
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
        "src/web/page.rs",
        "src/web/locale.rs",
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
    app.switch_on(Settings {
        message: Some(
            "\"><img src=x onerror=alert(1)> & </main><script>alert('x')</script>".into(),
        ),
        ..Settings::off()
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
        app.switch_on(Settings {
            retry_after_secs: secs,
            ..Settings::off()
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
    app.switch_on(Settings {
        ends_at: Some(end),
        mode: Mode::ReadOnly,
        ..Settings::off()
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
    app.switch_on(Settings {
        message: Some("first message".into()),
        ..Settings::off()
    })
    .await;
    let first = text(page(&app, "/maintenance", None, None).await).await;
    assert!(first.contains("first message"));
    // Served again from the cache: identical.
    assert_eq!(
        text(page(&app, "/maintenance", None, None).await).await,
        first
    );

    app.switch_on(Settings {
        message: Some("second message".into()),
        ..Settings::off()
    })
    .await;
    let second = text(page(&app, "/maintenance", None, None).await).await;
    assert!(second.contains("second message"));
    assert!(!second.contains("first message"));
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
