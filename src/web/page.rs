//! The maintenance page and the JSON problem document, rendered once per (language, state
//! version) and then served from memory.
//!
//! The built-in template, stylesheet and translations are compiled in; a page directory
//! ([`PageOptions::page_dir`]) may replace the template, the stylesheet and single messages, add
//! a logo and whole languages. Everything is checked when [`Pages::new`] runs, so a broken
//! override stops start-up instead of failing visitors.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{FluentLoader, Loader};
use poem::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use serde::Serialize;

use super::brand::{Brand, TEMPLATE_FILE};
use super::locale::{Choice, LANG_COOKIE, Languages, Messages, UNKNOWN_MESSAGE, duration_parts};
use crate::http::{Problem, cookie_in, query_value};
use crate::state::timeline::Told;
use crate::state::{MaintenanceState, Mode, Window};

const TEMPLATE: &str = "maintenance.html";
const TEMPLATE_SOURCE: &str = include_str!("../../templates/maintenance.html.tera");
const STYLE: &str = include_str!("../../templates/maintenance.css");
const SCRIPT: &str = include_str!("../../templates/maintenance.js");
const BANNER_SOURCE: &str = include_str!("../../templates/banner.js");
const UNREACHABLE: &str = "unreachable.html";
const UNREACHABLE_SOURCE: &str = include_str!("../../templates/unreachable.html.tera");
/// How often the unreachable page reloads itself; its messages say 30 seconds.
const UNREACHABLE_REFRESH_SECS: u32 = 30;
/// The public status the page polls, below [`PageOptions::prefix`].
pub const STATUS_URL: &str = "/api/status";
/// A stable identifier of the problem type in JSON answers (RFC 9457 `type`).
pub const PROBLEM_TYPE: &str = "urn:downtime:problem:maintenance";
const POLL_SECS: u32 = 15;
const REFRESH_SECS: u32 = 30;
/// The last second `httpdate` can write (9999-12-31T23:59:59Z); it panics past it, and before
/// 1970.
const MAX_HTTP_DATE_SECS: i64 = 253_402_300_799;
/// The longest `Retry-After` in seconds, for an end too far away to write as a date.
const MAX_RETRY_SECS: i64 = 7 * 24 * 3600;

/// How the maintenance page is built.
#[derive(Clone, Debug)]
pub struct PageOptions {
    /// The language served when none of the visitor's is available (a tag such as `en-US`).
    pub default_language: String,
    /// Where downtime's own routes are mounted (`/_downtime`), empty at the root: the page's
    /// script polls `<prefix>/api/status`.
    pub prefix: String,
    /// A directory of overrides, read once at start:
    /// `maintenance.html.tera` (the template), `maintenance.css` (the stylesheet), `logo.svg`
    /// or `logo.png` (at most 256 KiB, inlined), and `locales/<lang>/*.ftl` (single messages of
    /// a built-in language, or a new language with every message en-US has). Missing pieces
    /// keep the built-in ones; other files at the top are ignored.
    ///
    /// The page's Content-Security-Policy allows only the inline `{{ style }}` and
    /// `{{ script }}` a template is given (by their hashes) and `data:` images, so a template
    /// brings its looks through `maintenance.css` and its pictures through the logo.
    pub page_dir: Option<PathBuf>,
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions {
            default_language: "en-US".into(),
            prefix: String::new(),
            page_dir: None,
        }
    }
}

/// What a gated request is answered with, in one language.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The HTML page.
    pub html: Bytes,
    /// The `application/problem+json` body.
    pub problem: Bytes,
}

/// Everything rendered for one state version.
#[derive(Debug)]
pub struct Rendition {
    version: i64,
    state: MaintenanceState,
    retry_after: HeaderValue,
    announcement: Option<HeaderValue>,
    by_language: Vec<OnceLock<Rendered>>,
}

/// The header announcing a scheduled window on the pages that pass the gate before it starts.
pub const ANNOUNCEMENT_HEADER: &str = "maintenance-window";

impl Rendition {
    /// `Retry-After`: an HTTP-date when the end is known, else seconds.
    pub fn retry_after(&self) -> &HeaderValue {
        &self.retry_after
    }

    /// `Maintenance-Window: start=<RFC 3339>; end=<RFC 3339>` (`end` only when one is set),
    /// for a window switched on with a start time; `None` otherwise.
    pub fn announcement(&self) -> Option<&HeaderValue> {
        self.announcement.as_ref()
    }
}

fn announcement(state: &MaintenanceState) -> Option<HeaderValue> {
    let window = &state.window;
    let start = window.starts_at.filter(|_| window.enabled)?;
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut value = format!("start={}", stamp(start));
    if let Some(end) = window.ends_at {
        value.push_str("; end=");
        value.push_str(&stamp(end));
    }
    HeaderValue::try_from(value).ok()
}

/// How long a visitor's language choice is remembered: a year.
const LANG_COOKIE_MAX_AGE_SECS: u32 = 365 * 24 * 3600;

/// The renderer and its cache.
pub struct Pages {
    tera: tera::Tera,
    messages: Arc<Messages>,
    languages: Languages,
    style: String,
    logo: Option<String>,
    status_url: String,
    csp: HeaderValue,
    current: ArcSwap<Rendition>,
    /// The page for an upstream that does not answer, by language.
    unreachable: Vec<OnceLock<Bytes>>,
    /// The announcement banner's script, by language.
    banners: Vec<OnceLock<Bytes>>,
    lang_cookie: String,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("csp", &self.csp)
            .field("status_url", &self.status_url)
            .finish_non_exhaustive()
    }
}

impl Pages {
    /// Reads the overrides in `options.page_dir`, if any, compiles the template and renders it
    /// once in every language, so whatever would fail later fails now.
    ///
    /// # Errors
    /// The prefix is not a path; the default language is not available; a file of the page
    /// directory is unreadable or broken: the template does not compile or does not render, a
    /// Fluent file has syntax errors, a new language lacks messages, the logo is too large.
    /// The message names the file (or, for missing messages, their ids).
    pub fn new(options: &PageOptions) -> anyhow::Result<Self> {
        let status_url = status_url(&options.prefix)?;
        let brand = match &options.page_dir {
            Some(dir) => Brand::load(dir)?,
            None => Brand::default(),
        };
        let messages = Arc::new(Messages::new(brand.locales)?);
        let languages = Languages::new(&messages, &options.default_language)?;
        let (template_name, template) = match &brand.template {
            Some((path, source)) => (path.display().to_string(), source.as_str()),
            None => (format!("built-in {TEMPLATE_FILE}"), TEMPLATE_SOURCE),
        };
        let mut tera = tera::Tera::new();
        tera.register_function("fluent", FluentLoader::new(Arc::clone(&messages)));
        tera.add_raw_template(TEMPLATE, template)
            .with_context(|| format!("{template_name}: the template does not compile"))?;
        tera.add_raw_template(UNREACHABLE, UNREACHABLE_SOURCE)
            .context("the built-in unreachable page does not compile")?;
        let style = brand.style.unwrap_or_else(|| STYLE.to_owned());
        // The hashes of what is actually served, so an operator's stylesheet is allowed too.
        let csp = format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; connect-src 'self'; img-src 'self' data:; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            crate::http::csp_hash(&style),
            crate::http::csp_hash(SCRIPT)
        );
        let initial = Rendition::new(&MaintenanceState::initial(), languages.all().len());
        // Built in each language on first use.
        let count = languages.all().len();
        let per_language = || (0..count).map(|_| OnceLock::new()).collect();
        let pages = Pages {
            banners: per_language(),
            tera,
            messages,
            languages,
            style,
            logo: brand.logo,
            status_url,
            csp: HeaderValue::try_from(csp)?,
            current: ArcSwap::from_pointee(initial),
            unreachable: per_language(),
            lang_cookie: LANG_COOKIE.to_owned(),
        };
        pages.check(&template_name)?;
        Ok(pages)
    }

    /// Renders sample states in every language: a template that fails, or asks for a message
    /// no language has, is refused at start rather than shown to visitors.
    fn check(&self, template_name: &str) -> anyhow::Result<()> {
        for state in sample_states() {
            for (index, language) in self.languages.all().iter().enumerate() {
                let html = self.render_html(&state, index).with_context(|| {
                    format!(
                        "{template_name}: the template fails to render in {}",
                        language.tag
                    )
                })?;
                let unreachable = self.render_unreachable(index).with_context(|| {
                    format!("the unreachable page fails to render in {}", language.tag)
                })?;
                if let Some(at) = html.find(UNKNOWN_MESSAGE) {
                    // The template escaped the quotes around the id.
                    let unknown: String = html[at + UNKNOWN_MESSAGE.len()..]
                        .replace("&quot;", "\"")
                        .chars()
                        .take_while(|c| *c != '<' && *c != '\n')
                        .take(80)
                        .collect();
                    bail!(
                        "{template_name}: the page in {} asks for an unknown message {unknown}",
                        language.tag
                    );
                }
                if unreachable.contains(UNKNOWN_MESSAGE) {
                    bail!(
                        "the unreachable page in {} lacks a message (unreachable-*)",
                        language.tag
                    );
                }
            }
        }
        Ok(())
    }

    /// The same pages, remembering a visitor's language in cookie `name` instead of
    /// `downtime_lang`.
    #[must_use]
    pub fn with_lang_cookie(mut self, name: &str) -> Self {
        name.clone_into(&mut self.lang_cookie);
        self
    }

    /// The cookie that remembers a visitor's choice of language.
    pub fn lang_cookie(&self) -> &str {
        &self.lang_cookie
    }

    /// The languages pages are rendered in.
    pub fn languages(&self) -> &Languages {
        &self.languages
    }

    /// The language to answer a request in (its `uri` and `headers`): `?lang=`, then the
    /// language cookie, then `Accept-Language`, then the default.
    pub fn language(&self, uri: &Uri, headers: &HeaderMap) -> Choice {
        self.languages.negotiate(
            query_value(uri, "lang").as_deref(),
            cookie_in(headers, &self.lang_cookie),
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }

    /// The headers of an answer for visitors in language `choice` (the maintenance page or
    /// problem document, the unreachable page): its language, what it varies by, never cached
    /// or sniffed; a page is never framed and runs only its own style and script; a language
    /// chosen with `?lang=` is remembered in the cookie.
    pub fn visitor_headers(&self, headers: &mut HeaderMap, choice: Choice, html: bool) {
        let language = self.languages.get(choice.index);
        headers.insert(header::CONTENT_LANGUAGE, language.header.clone());
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Accept, Accept-Language, Cookie"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if html {
            headers.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        if choice.remember
            && let Ok(cookie) = HeaderValue::try_from(format!(
                "{}={}; Path=/; Max-Age={LANG_COOKIE_MAX_AGE_SECS}; SameSite=Lax; HttpOnly",
                self.lang_cookie, language.tag
            ))
        {
            headers.insert(header::SET_COOKIE, cookie);
        }
    }

    /// The page's `Content-Security-Policy`: nothing but its own inline style and script.
    pub fn csp(&self) -> &HeaderValue {
        &self.csp
    }

    /// A chat message telling `told`, in the default language: the text of `format=slack`
    /// webhooks.
    pub fn chat(&self, told: &Told<'_>) -> String {
        let language = self.languages.get(self.languages.default_index());
        super::chat::text(&self.messages, &language.id, told)
    }

    /// A template engine with the `fluent` function over the pages' messages, for other pages
    /// in the same languages (the admin console).
    pub fn template_engine(&self) -> tera::Tera {
        let mut tera = tera::Tera::new();
        tera.register_function("fluent", FluentLoader::new(Arc::clone(&self.messages)));
        tera
    }

    /// The operator's logo, as a `data:` URL, if the page directory has one.
    pub fn logo(&self) -> Option<&str> {
        self.logo.as_deref()
    }

    /// The rendition for `state`, replacing the cached one when the version moved.
    pub fn for_state(&self, state: &MaintenanceState) -> Arc<Rendition> {
        let current = self.current.load_full();
        if current.version == state.version {
            return current;
        }
        let fresh = Arc::new(Rendition::new(state, self.languages.all().len()));
        self.current.store(Arc::clone(&fresh));
        fresh
    }

    /// The page and problem document of `rendition` in language `index`, rendered on first use.
    pub fn rendered<'r>(&self, rendition: &'r Rendition, index: usize) -> &'r Rendered {
        let index = index.min(rendition.by_language.len().saturating_sub(1));
        rendition.by_language[index].get_or_init(|| self.render(&rendition.state, index))
    }

    /// The page saying the site behind the proxy does not answer, in language `index`
    /// (rendered on first use): branded like the maintenance page, with no script.
    pub fn unreachable(&self, index: usize) -> &Bytes {
        let index = index.min(self.unreachable.len().saturating_sub(1));
        self.unreachable[index].get_or_init(|| match self.render_unreachable(index) {
            Ok(html) => Bytes::from(html),
            Err(error) => {
                tracing::error!(target: "downtime::page", %error, "cannot render the unreachable page");
                Bytes::from_static(FALLBACK_HTML.as_bytes())
            }
        })
    }

    /// The problem document for an upstream that does not answer, in language `index`.
    pub fn unreachable_problem(&self, index: usize, status: StatusCode, code: &str) -> Problem {
        let lang = &self.languages.get(index).id;
        Problem::new(
            status,
            code,
            self.messages.lookup(lang, "unreachable-problem-title"),
            self.messages.lookup(lang, "unreachable-problem-detail"),
        )
    }

    /// The announcement banner's script in language `index` (built on first use): the
    /// messages go in as a JSON object, times are filled in by the browser in its own format.
    pub fn banner(&self, index: usize) -> &Bytes {
        let index = index.min(self.banners.len().saturating_sub(1));
        self.banners[index].get_or_init(|| {
            let language = self.languages.get(index);
            let lang = &language.id;
            let with_times = |id: &str| {
                let args = HashMap::from([
                    (Cow::Borrowed("start"), FluentValue::from("%START%")),
                    (Cow::Borrowed("end"), FluentValue::from("%END%")),
                ]);
                self.messages.lookup_with_args(lang, id, &args)
            };
            let messages = serde_json::json!({
                "lang": language.tag,
                "dir": if language.rtl { "rtl" } else { "ltr" },
                "status": self.status_url,
                "window": with_times("banner-window"),
                "from": with_times("banner-from"),
                "dismiss": self.messages.lookup(lang, "banner-dismiss"),
            });
            // JSON is a JavaScript expression; `<` escaped so no message can end a script tag.
            let literal = messages.to_string().replace('<', "\\u003c");
            Bytes::from(BANNER_SOURCE.replace("__MESSAGES__", &literal))
        })
    }

    fn render_unreachable(&self, index: usize) -> tera::TeraResult<String> {
        let language = self.languages.get(index);
        let mut ctx = tera::Context::new();
        ctx.insert("lang", &language.tag);
        ctx.insert("dir", if language.rtl { "rtl" } else { "ltr" });
        ctx.insert("style", &self.style);
        ctx.insert("logo", self.logo.as_deref().unwrap_or_default());
        ctx.insert("refresh_secs", &UNREACHABLE_REFRESH_SECS);
        self.tera.render(UNREACHABLE, &ctx)
    }

    fn render(&self, state: &MaintenanceState, index: usize) -> Rendered {
        let language = self.languages.get(index);
        let html = match self.render_html(state, index) {
            Ok(html) => html,
            Err(error) => {
                tracing::error!(target: "downtime::page", %error, lang = %language.tag, "cannot render the maintenance page");
                FALLBACK_HTML.to_owned()
            }
        };
        let problem = self.problem(state, index);
        Rendered {
            html: Bytes::from(html),
            problem: Bytes::from(problem),
        }
    }

    fn render_html(&self, state: &MaintenanceState, index: usize) -> tera::TeraResult<String> {
        let language = self.languages.get(index);
        let ends_at_iso = state
            .window
            .ends_at
            .map(|end| end.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default();
        let end_html = state.window.ends_at.map_or_else(String::new, |end| {
            format!(
                "<time datetime=\"{ends_at_iso}\">{}</time>",
                end.format("%Y-%m-%d %H:%M UTC")
            )
        });
        let (duration_key, duration_count) = duration_parts(state.window.retry_after_secs.into());
        let languages: Vec<LanguageLink<'_>> = self
            .languages
            .all()
            .iter()
            .map(|l| LanguageLink {
                tag: &l.tag,
                name: &l.name,
            })
            .collect();
        let mut ctx = tera::Context::new();
        ctx.insert("lang", &language.tag);
        ctx.insert("dir", if language.rtl { "rtl" } else { "ltr" });
        ctx.insert("style", &self.style);
        ctx.insert("script", SCRIPT);
        ctx.insert("logo", self.logo.as_deref().unwrap_or_default());
        ctx.insert("status_url", &self.status_url);
        ctx.insert("poll_secs", &POLL_SECS);
        ctx.insert("refresh_secs", &REFRESH_SECS);
        ctx.insert("read_only", &(state.window.mode == Mode::ReadOnly));
        ctx.insert("scope", &state.window.scope);
        ctx.insert(
            "message",
            state.window.message.as_deref().unwrap_or_default(),
        );
        ctx.insert("ends_at_iso", &ends_at_iso);
        ctx.insert("end_html", &end_html);
        ctx.insert("duration_key", duration_key);
        ctx.insert("duration_count", &duration_count);
        ctx.insert("languages", &languages);
        self.tera.render(TEMPLATE, &ctx)
    }

    fn problem(&self, state: &MaintenanceState, index: usize) -> Vec<u8> {
        let lang = &self.languages.get(index).id;
        let detail_key = match state.window.mode {
            Mode::Full | Mode::Hold => "problem-detail",
            Mode::ReadOnly => "problem-detail-read-only",
        };
        let window = &state.window;
        let status =
            StatusCode::from_u16(window.status_code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut doc = Problem::new(
            status,
            "maintenance",
            self.messages.lookup(lang, "problem-title"),
            self.messages.lookup(lang, detail_key),
        );
        // The window's details, as RFC 9457 extension members.
        let extensions = &mut doc.extensions;
        extensions.insert("mode".into(), window.mode.as_str().into());
        if !window.scope.is_empty() {
            // What is down: only these path prefixes.
            extensions.insert("scope".into(), window.scope.clone().into());
        }
        if let Some(message) = &window.message {
            extensions.insert("message".into(), message.as_str().into());
        }
        match window.ends_at {
            Some(end) => {
                // The same spelling as the API's dates.
                extensions.insert(
                    "ends_at".into(),
                    serde_json::to_value(end).unwrap_or_default(),
                );
            }
            None => {
                extensions.insert("retry_after".into(), window.retry_after_secs.into());
            }
        }
        doc.to_bytes()
    }
}

impl Rendition {
    fn new(state: &MaintenanceState, languages: usize) -> Self {
        Rendition {
            version: state.version,
            state: state.clone(),
            retry_after: retry_after(state, Utc::now()),
            announcement: announcement(state),
            by_language: (0..languages).map(|_| OnceLock::new()).collect(),
        }
    }
}

/// `Retry-After` for `state` at `now`: the end as an HTTP-date when `httpdate` can write it;
/// an end past year 9999 as the seconds until then, at most a week; else the state's seconds.
fn retry_after(state: &MaintenanceState, now: DateTime<Utc>) -> HeaderValue {
    let seconds = HeaderValue::from(state.window.retry_after_secs);
    let Some(end) = state.window.ends_at else {
        return seconds;
    };
    if (0..=MAX_HTTP_DATE_SECS).contains(&end.timestamp()) {
        return HeaderValue::try_from(httpdate::fmt_http_date(SystemTime::from(end)))
            .unwrap_or(seconds);
    }
    let left = (end - now).num_seconds();
    if left > 0 {
        HeaderValue::from(left.min(MAX_RETRY_SECS))
    } else {
        seconds
    }
}

/// `<prefix>/api/status`, for a prefix that is a plain absolute path (`/_downtime`, or empty).
fn status_url(prefix: &str) -> anyhow::Result<String> {
    let prefix = prefix.trim_end_matches('/');
    let is_path = prefix.is_empty()
        || (prefix.starts_with('/')
            // `//host` would be another site.
            && !prefix.starts_with("//")
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-._~%".contains(&b)));
    if !is_path {
        bail!("the route prefix {prefix:?} is not a path such as /_downtime");
    }
    Ok(format!("{prefix}{STATUS_URL}"))
}

/// States that walk every branch of the built-in template: a full window with a message and an
/// end, and a read-only one with neither.
fn sample_states() -> [MaintenanceState; 2] {
    let full = MaintenanceState {
        window: Window {
            enabled: true,
            mode: Mode::Full,
            message: Some("Sample message".into()),
            ends_at: Some(Utc::now() + TimeDelta::hours(2)),
            ..Window::off()
        },
        ..MaintenanceState::initial()
    };
    let read_only = MaintenanceState {
        window: Window {
            enabled: true,
            mode: Mode::ReadOnly,
            retry_after_secs: 3 * 3600,
            ..Window::off()
        },
        ..MaintenanceState::initial()
    };
    [full, read_only]
}

#[derive(Serialize)]
struct LanguageLink<'a> {
    tag: &'a str,
    name: &'a str,
}

const FALLBACK_HTML: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Down for maintenance</title><h1>Down for maintenance</h1><p>Please try again later.</p></html>";
/// `GET /maintenance/banner.js`: the announcement banner's script in the visitor's language
/// (`?lang=`, the language cookie, `Accept-Language`), cacheable for five minutes.
#[poem::handler]
pub fn banner_js(pages: poem::web::Data<&Arc<Pages>>, req: &poem::Request) -> poem::Response {
    let choice = pages.language(req.uri(), req.headers());
    poem::Response::builder()
        .content_type("text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .header(header::VARY, "Accept-Language, Cookie")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(pages.banner(choice.index).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_rendered_once_per_language_and_version() {
        let pages = Pages::new(&PageOptions::default()).expect("pages");
        let v2 = MaintenanceState {
            window: Window {
                enabled: true,
                ..Window::off()
            },
            version: 2,
            ..MaintenanceState::initial()
        };
        let rendition = pages.for_state(&v2);
        assert!(Arc::ptr_eq(&rendition, &pages.for_state(&v2)));
        let first = pages.rendered(&rendition, 0).html.as_ptr();
        assert_eq!(
            pages.rendered(&pages.for_state(&v2), 0).html.as_ptr(),
            first
        );

        let v3 = MaintenanceState { version: 3, ..v2 };
        let next = pages.for_state(&v3);
        assert!(!Arc::ptr_eq(&rendition, &next));
        assert_eq!(next.version, 3);
    }

    fn ending(end: DateTime<Utc>) -> MaintenanceState {
        MaintenanceState {
            window: Window {
                enabled: true,
                ends_at: Some(end),
                retry_after_secs: 120,
                ..Window::off()
            },
            ..MaintenanceState::initial()
        }
    }

    #[test]
    fn retry_after_is_a_date_when_httpdate_can_write_it() {
        let now = Utc::now();
        let end = DateTime::parse_from_rfc3339("2099-12-01T02:00:00Z")
            .expect("date")
            .to_utc();
        assert_eq!(
            retry_after(&ending(end), now),
            "Tue, 01 Dec 2099 02:00:00 GMT"
        );
        let last = DateTime::parse_from_rfc3339("9999-12-31T23:59:59.999Z")
            .expect("date")
            .to_utc();
        assert_eq!(
            retry_after(&ending(last), now),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        let none = MaintenanceState {
            window: Window {
                ends_at: None,
                ..ending(end).window
            },
            ..ending(end)
        };
        assert_eq!(retry_after(&none, now), "120");
    }

    #[test]
    fn retry_after_never_panics_on_dates_httpdate_cannot_write() {
        let far = chrono::NaiveDate::from_ymd_opt(10_000, 1, 1)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .expect("year 10000")
            .and_utc();
        assert_eq!(far.to_rfc3339(), "+10000-01-01T00:00:00+00:00");
        let rendition = Rendition::new(&ending(far), 1);
        assert_eq!(rendition.retry_after(), "604800", "a week at most");

        // Before 1970 (httpdate panics there too) the end is past: the state's seconds.
        let old = DateTime::parse_from_rfc3339("1960-01-01T00:00:00Z")
            .expect("1960")
            .to_utc();
        assert_eq!(Rendition::new(&ending(old), 1).retry_after(), "120");
    }

    #[test]
    fn the_status_url_follows_the_prefix() {
        assert_eq!(status_url("").expect("root"), "/api/status");
        assert_eq!(status_url("/").expect("root"), "/api/status");
        assert_eq!(
            status_url("/_downtime/").expect("prefix"),
            "/_downtime/api/status"
        );
        for bad in ["_downtime", "//evil.example", "/a b", "/a\"b", "https://x"] {
            assert!(status_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_page_polls_the_status_below_the_prefix() {
        let pages = Pages::new(&PageOptions {
            prefix: "/_downtime".into(),
            ..PageOptions::default()
        })
        .expect("pages");
        let state = MaintenanceState {
            window: Window {
                enabled: true,
                ..Window::off()
            },
            version: 2,
            ..MaintenanceState::initial()
        };
        let html =
            String::from_utf8_lossy(&pages.rendered(&pages.for_state(&state), 0).html).into_owned();
        assert!(html.contains("data-status-url=\"/_downtime/api/status\""));
    }
}
