//! The gate's decision: a pure function of the request's facts, the state and the clock.

use ipnet::IpNet;
use poem::http::{HeaderMap, header};
use strum::{EnumCount, IntoStaticStr, VariantArray};

use crate::http;
use crate::path::{self, is_under, is_under_any_case};
use crate::state::{MaintenanceState, Mode, Phase};

/// Paths of the site's own that stay open whatever the configuration says: static assets.
pub const STATIC_PATHS: &[&str] = &["/static", "/favicon.ico", "/robots.txt"];

/// The gate's configuration.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Where the maintenance page lives (`/maintenance`, under the mount prefix).
    pub page_path: String,
    /// Path prefixes that stay open: static assets, downtime's own open routes (which the
    /// builder adds from its route table) and configured ones.
    pub open_paths: Vec<String>,
    /// Serve the page at the requested URL instead of redirecting browsers to `page_path`.
    pub serve_in_place: bool,
    /// Proxies whose `X-Forwarded-For` is believed when matching allowed addresses.
    pub trusted_proxies: Vec<IpNet>,
    /// Path prefixes whose gated requests always get the problem document, never the page:
    /// downtime's `/api`, and the app's JSON APIs (`--json-paths`).
    pub json_paths: Vec<String>,
}

impl Default for Rules {
    /// downtime's routes at the root, nothing configured.
    fn default() -> Self {
        Rules::mounted_at("")
    }
}

impl Rules {
    /// The rules for the maintenance page under `prefix` (`""` for the root, or
    /// `/_downtime`), with static assets open, `/api` (the site's and downtime's) answered in
    /// JSON, and nothing else configured.
    pub fn mounted_at(prefix: &str) -> Self {
        let mut json_paths = vec!["/api".to_owned()];
        if !prefix.is_empty() {
            json_paths.push(format!("{prefix}/api"));
        }
        Rules {
            page_path: format!("{prefix}/maintenance"),
            open_paths: STATIC_PATHS.iter().map(|p| (*p).to_owned()).collect(),
            serve_in_place: false,
            trusted_proxies: Vec::new(),
            json_paths,
        }
    }

    fn is_open(&self, path: &str, also: &[String]) -> bool {
        self.open_paths
            .iter()
            .chain(also)
            .any(|prefix| is_under(path, prefix))
    }
}

/// What the gate knows about a request before deciding.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// The normalised path.
    pub path: &'a str,
    /// GET, HEAD or OPTIONS, and no switch of protocols (an `Upgrade` opens a channel both
    /// ways, which read-only maintenance must not let through).
    pub safe_method: bool,
    /// The request's headers, read only when it is gated (to choose page or JSON).
    pub headers: &'a HeaderMap,
    /// The client's address is one the window lets through.
    pub client_allowed: bool,
}

/// How a gated request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumCount, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Gated {
    /// Redirect the browser to the maintenance page, remembering where it was going.
    Redirect,
    /// Serve the maintenance page (503) at the requested URL.
    Page,
    /// A 503 problem document.
    Json,
}

impl Gated {
    /// Its name, as metrics and the log spell it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Why a request passes the gate. [`decide`] gives the first five; the gate itself finds the
/// last two, for requests [`decide`] would gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumCount, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Pass {
    /// Maintenance is not active (off, scheduled, or ended).
    Inactive,
    /// The path lies outside the window's scope.
    OutOfScope,
    /// An open path: downtime's own routes, static assets, configured or the window's.
    OpenPath,
    /// A read (GET, HEAD, OPTIONS) during read-only maintenance.
    ReadOnly,
    /// The client's address is one the window lets through.
    AllowedAddress,
    /// The request carries a live bypass link's cookie.
    Bypass,
    /// The request comes from a superuser.
    Superuser,
}

impl Pass {
    /// Its name, as metrics and the log spell it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Why a request is gated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumCount, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Reason {
    /// Full maintenance of the whole site.
    Maintenance,
    /// Full maintenance of the window's scope, which holds this path.
    Scope,
    /// A write (any method but GET, HEAD, OPTIONS) during read-only maintenance.
    ReadOnlyWrite,
    /// The maintenance page itself, asked for during maintenance.
    MaintenancePage,
}

impl Reason {
    /// Its name, as metrics and the log spell it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The decision for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Let the request through, for this reason.
    Pass(Pass),
    /// Maintenance is over and this is the maintenance page: send the visitor back.
    LeavePage,
    /// This is the maintenance page during maintenance: 503 with the page.
    ShowPage,
    /// Gate the request, unless it comes from a superuser or a bypass link's holder (the
    /// questions left).
    Gate(Gated, Reason),
}

/// Decides what happens to a request, given the window's `phase` (which the state's clock
/// keeps, so no request reads the time), following the rules in order: inactive passes (but the
/// page sends visitors home), the page itself, paths outside the window's scope (when it
/// names one), open paths (configured or the window's),
/// read-only reads, allowed client addresses, then the gate.
pub fn decide(facts: &Facts<'_>, state: &MaintenanceState, phase: Phase, rules: &Rules) -> Outcome {
    // The page itself, not what lies below it (its banner script).
    let on_page = facts
        .path
        .strip_prefix(rules.page_path.as_str())
        .is_some_and(|rest| rest.is_empty() || rest == "/");
    if phase != Phase::Active {
        return if on_page {
            Outcome::LeavePage
        } else {
            Outcome::Pass(Pass::Inactive)
        };
    }
    if on_page {
        return Outcome::ShowPage;
    }
    let scope = &state.window.scope;
    if !scope.is_empty()
        && !scope
            .iter()
            .any(|prefix| is_under_any_case(facts.path, prefix))
    {
        return Outcome::Pass(Pass::OutOfScope);
    }
    let read_only = state.window.mode == Mode::ReadOnly;
    if rules.is_open(facts.path, &state.window.open_paths) {
        return Outcome::Pass(Pass::OpenPath);
    }
    if read_only && facts.safe_method {
        return Outcome::Pass(Pass::ReadOnly);
    }
    if facts.client_allowed {
        return Outcome::Pass(Pass::AllowedAddress);
    }
    let answer = if !wants_html(facts.path, facts.headers, &rules.json_paths) {
        Gated::Json
    } else if rules.serve_in_place {
        Gated::Page
    } else {
        Gated::Redirect
    };
    let reason = if read_only {
        Reason::ReadOnlyWrite
    } else if scope.is_empty() {
        Reason::Maintenance
    } else {
        Reason::Scope
    };
    Outcome::Gate(answer, reason)
}

/// Decides as [`decide`] does, for every reading an app might give `sent`, the path as the
/// client sent it ([`path::readings`]): the request is gated when any reading is, since the
/// app behind may route it by any of them. `facts.path` is the normal form of `sent`.
///
/// Only a request that passes by its path (open, or outside the window's scope) can be gated
/// by another reading, so other requests cost nothing more.
pub fn decide_sent(
    sent: &str,
    facts: &Facts<'_>,
    state: &MaintenanceState,
    phase: Phase,
    rules: &Rules,
) -> Outcome {
    let outcome = decide(facts, state, phase, rules);
    if !matches!(outcome, Outcome::Pass(Pass::OpenPath | Pass::OutOfScope))
        || !path::may_read_otherwise(sent)
    {
        return outcome;
    }
    path::readings(sent)
        .iter()
        .map(|reading| {
            let facts = Facts {
                path: reading,
                ..*facts
            };
            decide(&facts, state, phase, rules)
        })
        .find(|other| matches!(other, Outcome::Gate(..)))
        .unwrap_or(outcome)
}

/// Whether a client wants a page rather than JSON: never under `json_paths` (downtime's
/// `/api`, and the app's own `--json-paths`), never from a script ([`http::sent_by_script`]);
/// otherwise its `Accept` header decides ([`http::prefers_html`]).
pub fn wants_html(path: &str, headers: &HeaderMap, json_paths: &[String]) -> bool {
    !json_paths.iter().any(|prefix| is_under(path, prefix))
        && !http::sent_by_script(headers)
        && http::prefers_html(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Window;
    use chrono::{DateTime, TimeDelta, Utc};
    use std::sync::LazyLock;

    fn now() -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::days(20_000)
    }

    /// The page under `prefix`, with some of downtime's own routes open, as the builder opens
    /// them from its route table.
    fn mounted(prefix: &str) -> Rules {
        let mut rules = Rules::mounted_at(prefix);
        let own = [
            "/healthz",
            "/readyz",
            "/metrics",
            "/api/maintenance",
            "/api/status",
            "/auth",
        ];
        rules
            .open_paths
            .extend(own.iter().map(|p| format!("{prefix}{p}")));
        rules
    }

    fn on(mode: Mode) -> MaintenanceState {
        on_with(Window {
            mode,
            ..Window::on()
        })
    }

    fn on_with(window: Window) -> MaintenanceState {
        MaintenanceState {
            window,
            ..MaintenanceState::initial()
        }
    }

    fn off() -> MaintenanceState {
        MaintenanceState::initial()
    }

    fn accepting(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, accept.parse().expect("header"));
        headers
    }

    fn facts(path: &str, safe_method: bool, wants_html: bool) -> Facts<'_> {
        static PAGE: LazyLock<HeaderMap> = LazyLock::new(|| accepting("text/html"));
        static JSON: LazyLock<HeaderMap> = LazyLock::new(|| accepting("application/json"));
        Facts {
            path,
            safe_method,
            headers: if wants_html { &PAGE } else { &JSON },
            client_allowed: false,
        }
    }

    #[test]
    fn decisions_follow_the_rules_in_order() {
        use Gated::{Json, Page, Redirect};
        use Outcome::{Gate, LeavePage, ShowPage};
        use Pass::{AllowedAddress, Inactive, OpenPath, OutOfScope, ReadOnly};
        use Reason::{Maintenance, ReadOnlyWrite, Scope};
        let pass = Outcome::Pass;
        let rules = mounted("");
        let in_place = Rules {
            serve_in_place: true,
            ..mounted("")
        };
        let mut extra_open = mounted("");
        extra_open.open_paths.push("/status-page".into());
        let prefixed = mounted("/_downtime");
        let full = on(Mode::Full);
        let read_only = on(Mode::ReadOnly);
        let scheduled = on_with(Window {
            starts_at: Some(now() + TimeDelta::minutes(5)),
            ..Window::on()
        });
        let with_open = on_with(Window {
            open_paths: vec!["/press".into()],
            ..Window::on()
        });
        let ended = on_with(Window {
            ends_at: Some(now() - TimeDelta::minutes(5)),
            ..Window::on()
        });
        let scoped = on_with(Window {
            scope: vec!["/checkout".into()],
            ..Window::on()
        });
        let scoped_read_only = on_with(Window {
            scope: vec!["/checkout".into()],
            mode: Mode::ReadOnly,
            ..Window::on()
        });
        #[rustfmt::skip]
        let table: &[(&MaintenanceState, &Rules, Facts<'_>, Outcome)] = &[
            // Off, scheduled or ended: everything passes, the page sends visitors back.
            (&off(), &rules, facts("/", true, true), pass(Inactive)),
            (&off(), &rules, facts("/contact", false, true), pass(Inactive)),
            (&off(), &rules, facts("/maintenance", true, true), LeavePage),
            (&off(), &rules, facts("/maintenance/", true, true), LeavePage),
            (&scheduled, &rules, facts("/", true, true), pass(Inactive)),
            (&ended, &rules, facts("/", true, true), pass(Inactive)),
            (&ended, &rules, facts("/maintenance", true, true), LeavePage),
            // On: the page itself.
            (&full, &rules, facts("/maintenance", true, true), ShowPage),
            (&full, &rules, facts("/maintenance", true, false), ShowPage),
            // On: open paths pass, in every method.
            (&full, &rules, facts("/healthz", true, false), pass(OpenPath)),
            (&full, &rules, facts("/readyz", true, false), pass(OpenPath)),
            (&full, &rules, facts("/metrics", true, false), pass(OpenPath)),
            (&full, &rules, facts("/api/maintenance", false, false), pass(OpenPath)),
            (&full, &rules, facts("/api/status", true, false), pass(OpenPath)),
            (&full, &rules, facts("/auth/callback", true, true), pass(OpenPath)),
            (&full, &rules, facts("/static/app.css", true, true), pass(OpenPath)),
            (&full, &rules, facts("/healthzx", true, true), Gate(Redirect, Maintenance)),
            (&full, &rules, facts("/status-page", true, true), Gate(Redirect, Maintenance)),
            (&full, &extra_open, facts("/status-page/x", true, true), pass(OpenPath)),
            // On, full: browsers are redirected (or served in place), JSON clients get JSON.
            (&full, &rules, facts("/", true, true), Gate(Redirect, Maintenance)),
            (&full, &rules, facts("/contact", false, true), Gate(Redirect, Maintenance)),
            (&full, &in_place, facts("/", true, true), Gate(Page, Maintenance)),
            (&full, &rules, facts("/api/demo/items", true, false), Gate(Json, Maintenance)),
            (&full, &in_place, facts("/api/demo/items", true, false), Gate(Json, Maintenance)),
            // On, read-only: reads pass, writes are gated.
            (&read_only, &rules, facts("/", true, true), pass(ReadOnly)),
            (&read_only, &rules, facts("/api/demo/items", true, false), pass(ReadOnly)),
            (&read_only, &rules, facts("/contact", false, true), Gate(Redirect, ReadOnlyWrite)),
            (&read_only, &rules, facts("/api/demo/items", false, false), Gate(Json, ReadOnlyWrite)),
            (&read_only, &rules, facts("/api/maintenance", false, false), pass(OpenPath)),
            // On, scoped: only the scope is closed, and it says so.
            (&scoped, &rules, facts("/", true, true), pass(OutOfScope)),
            (&scoped, &rules, facts("/checkout/pay", false, true), Gate(Redirect, Scope)),
            (&scoped, &rules, facts("/CHECKOUT", true, false), Gate(Json, Scope)),
            (&scoped_read_only, &rules, facts("/about", false, true), pass(OutOfScope)),
            (&scoped_read_only, &rules, facts("/checkout", true, true), pass(ReadOnly)),
            (&scoped_read_only, &rules, facts("/checkout", false, true), Gate(Redirect, ReadOnlyWrite)),
            // On, the window's own open paths and allowed clients pass.
            (&with_open, &rules, facts("/press/kit", true, true), pass(OpenPath)),
            (&with_open, &rules, facts("/pressroom", true, true), Gate(Redirect, Maintenance)),
            (&full, &rules, Facts { client_allowed: true, ..facts("/contact", false, true) }, pass(AllowedAddress)),
            (&read_only, &rules, Facts { client_allowed: true, ..facts("/contact", true, true) }, pass(ReadOnly)),
            (&read_only, &rules, Facts { client_allowed: true, ..facts("/contact", false, true) }, pass(AllowedAddress)),
            (&off(), &rules, Facts { client_allowed: true, ..facts("/maintenance", true, true) }, LeavePage),
            (&full, &rules, Facts { client_allowed: true, ..facts("/maintenance", true, true) }, ShowPage),
            // Mounted under a prefix: its own routes are open there, and only there.
            (&full, &prefixed, facts("/_downtime/maintenance", true, true), ShowPage),
            (&full, &prefixed, facts("/_downtime/api/maintenance", false, false), pass(OpenPath)),
            (&full, &prefixed, facts("/_downtime/auth/login", true, true), pass(OpenPath)),
            (&full, &prefixed, facts("/_downtime/healthz", true, false), pass(OpenPath)),
            (&full, &prefixed, facts("/_downtime/metrics", true, false), pass(OpenPath)),
            (&full, &prefixed, facts("/static/app.css", true, true), pass(OpenPath)),
            (&full, &prefixed, facts("/maintenance", true, true), Gate(Redirect, Maintenance)),
            (&full, &prefixed, facts("/healthz", true, false), Gate(Json, Maintenance)),
            (&full, &prefixed, facts("/metrics", true, false), Gate(Json, Maintenance)),
            (&off(), &prefixed, facts("/_downtime/maintenance", true, true), LeavePage),
        ];
        for (state, rules, facts, expected) in table {
            assert_eq!(
                decide(facts, state, state.phase(now()), rules),
                *expected,
                "{facts:?} mode={} scope={:?} serve_in_place={}",
                state.window.mode,
                state.window.scope,
                rules.serve_in_place
            );
        }
    }

    #[test]
    fn metrics_and_the_log_name_every_answer_and_reason_so() {
        let names = |all: &[&'static str]| all.to_vec();
        let pass: Vec<&str> = Pass::VARIANTS.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            pass,
            names(&[
                "inactive",
                "out_of_scope",
                "open_path",
                "read_only",
                "allowed_address",
                "bypass",
                "superuser"
            ])
        );
        let reason: Vec<&str> = Reason::VARIANTS.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            reason,
            names(&[
                "maintenance",
                "scope",
                "read_only_write",
                "maintenance_page"
            ])
        );
        let gated: Vec<&str> = Gated::VARIANTS.iter().map(|g| g.as_str()).collect();
        assert_eq!(gated, names(&["redirect", "page", "json"]));
    }

    #[test]
    fn only_a_client_naming_html_gets_a_page() {
        let json_paths = ["/api".to_owned(), "/graphql".to_owned()];
        let cases = [
            ("/", None, false),
            ("/", Some("*/*"), false),
            ("/", Some("text/*"), false),
            (
                "/",
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                true,
            ),
            ("/", Some("application/xhtml+xml"), true),
            // axios and fetch
            ("/graphql", Some("application/json, text/plain, */*"), false),
            (
                "/v1/items",
                Some("application/json, text/plain, */*"),
                false,
            ),
            ("/", Some("application/json"), false),
            ("/", Some("application/problem+json"), false),
            ("/", Some("application/vnd.api+json"), false),
            ("/", Some("application/json, text/html;q=0.5"), false),
            ("/", Some("text/html;q=0.5, application/json;q=0.4"), true),
            ("/", Some("text/html;q=0.5, */*"), false),
            ("/", Some("TEXT/HTML"), true),
            ("/", Some("text/html;q=0"), false),
            ("/", Some("image/png"), false),
            ("/", Some(";;;,,q=,"), false),
            ("/", Some("text/html;q=abc"), true),
            ("/api/demo/items", Some("text/html"), false),
            ("/graphql", Some("text/html"), false),
            ("/graphqlx", Some("text/html"), true),
        ];
        for (path, accept, expected) in cases {
            let headers = accept.map(accepting).unwrap_or_default();
            assert_eq!(
                wants_html(path, &headers, &json_paths),
                expected,
                "{path} {accept:?}"
            );
        }
        let browser = "text/html,application/xhtml+xml,*/*;q=0.8";
        for (name, value) in [
            ("x-requested-with", "XMLHttpRequest"),
            ("sec-fetch-mode", "cors"),
        ] {
            let mut headers = accepting(browser);
            headers.insert(name, value.parse().expect("header"));
            assert!(!wants_html("/", &headers, &json_paths), "{name}");
        }
        let mut navigation = accepting(browser);
        navigation.insert("sec-fetch-mode", "navigate".parse().expect("header"));
        assert!(wants_html("/", &navigation, &json_paths));
    }

    /// How some apps behind a proxy read a path, each written plainly and apart from
    /// [`path::readings`], so the property below checks the gate against them.
    mod apps {
        fn decode_all(raw: &str) -> String {
            let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }

        /// `.` and `..` resolved; empty segments dropped (nginx's `merge_slashes`) or kept
        /// (WHATWG URL parsers).
        fn resolve(path: &str, keep_empty: bool) -> String {
            let mut out: Vec<&str> = Vec::new();
            for segment in path.split('/').skip(1) {
                match segment {
                    "." => {}
                    ".." => {
                        out.pop();
                    }
                    "" if !keep_empty => {}
                    s => out.push(s),
                }
            }
            format!("/{}", out.join("/"))
        }

        /// nginx and most servers: decode everything once, then resolve.
        pub fn nginx(raw: &str) -> String {
            resolve(&decode_all(raw), false)
        }

        /// Node.js's `new URL()`: `\` is a slash and `%2e` a dot, empty segments kept.
        pub fn node(raw: &str) -> String {
            let path = raw
                .replace('\\', "/")
                .replace("%2e", ".")
                .replace("%2E", ".");
            resolve(&path, true)
        }

        /// Servlet containers: `;` parameters dropped from each segment, then decoded.
        pub fn tomcat(raw: &str) -> String {
            let path: Vec<&str> = raw
                .split('/')
                .map(|s| s.split(';').next().unwrap_or_default())
                .collect();
            resolve(&decode_all(&path.join("/")), false)
        }

        /// An app that decodes what its server already decoded.
        pub fn twice(raw: &str) -> String {
            resolve(&decode_all(&decode_all(raw)), false)
        }
    }

    const TOKENS: &[&str] = &[
        "/",
        "static",
        "favicon.ico",
        "admin",
        "checkout",
        "..",
        ".",
        "%2F",
        "%2f",
        "%5C",
        "\\",
        ";x=1",
        "%252F",
        "%2E%2E",
        "%2e",
        "//",
        "api",
        "x",
    ];

    proptest::proptest! {
        #[test]
        fn a_path_any_app_routes_to_a_closed_place_is_gated(
            tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 1..9),
            scoped in proptest::bool::ANY,
        ) {
            let raw = format!("/{}", tokens.concat());
            let state = if scoped {
                on_with(Window { scope: vec!["/checkout".into()], ..Window::on() })
            } else {
                on(Mode::Full)
            };
            let rules = Rules::default();
            let normal = path::normalize(&raw);
            let judged = decide_sent(&raw, &facts(&normal, true, true), &state, Phase::Active, &rules);
            for app in [apps::nginx, apps::node, apps::tomcat, apps::twice] {
                let routed = app(&raw);
                let routed = path::normalize(&routed);
                let verdict = decide(&facts(&routed, true, true), &state, Phase::Active, &rules);
                if matches!(verdict, Outcome::Gate(..)) {
                    proptest::prop_assert!(
                        matches!(judged, Outcome::Gate(..)),
                        "{raw} reaches {routed} in an app, yet the gate says {judged:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn spellings_that_apps_decode_to_a_closed_path_are_gated() {
        let full = on(Mode::Full);
        let scoped = on_with(Window {
            scope: vec!["/checkout".into()],
            ..Window::on()
        });
        let rules = Rules::default();
        let judge = |raw: &str, state: &MaintenanceState| {
            let normal = path::normalize(raw);
            decide_sent(
                raw,
                &facts(&normal, true, true),
                state,
                Phase::Active,
                &rules,
            )
        };
        for raw in [
            "/static/..%2Fadmin",
            "/favicon.ico/..%2Fadmin",
            "/static/..\\admin",
            "/static/..%252Fadmin",
            "/static/..;/admin",
        ] {
            assert!(matches!(judge(raw, &full), Outcome::Gate(..)), "{raw}");
        }
        for raw in [
            "/checkout%2Fpay",
            "/x/..%2Fcheckout",
            "/x/..\\checkout",
            "/checkout;jsessionid=1",
            "/Checkout//..",
        ] {
            assert!(matches!(judge(raw, &scoped), Outcome::Gate(..)), "{raw}");
        }
        // Paths no reading closes still pass, whatever they hold.
        for raw in ["/static/a%2Fb", "/static/x;v=2", "/static/a\\b"] {
            assert_eq!(judge(raw, &full), Outcome::Pass(Pass::OpenPath), "{raw}");
        }
        assert_eq!(
            judge("/shop%2Fcart", &scoped),
            Outcome::Pass(Pass::OutOfScope)
        );
    }
}
