//! The HTTP API: the control API for superusers (`/api/maintenance`), the public status,
//! their OpenAPI document and Swagger UI, and health checks.

pub mod bypass;
pub mod error;
pub mod health;
pub mod limits;
pub mod maintenance;
pub mod security;
pub mod status;
pub mod writes;

use std::sync::{Arc, OnceLock};

use poem::endpoint::{BoxEndpoint, make_sync};
use poem::web::Html;
use poem::{Endpoint, EndpointExt, Request, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::http::{BodyLimit, problem};

/// Groups of operations in the spec.
#[derive(Tags)]
pub enum ApiTags {
    /// Switch maintenance on and off, read who did what, and hand out bypass links
    /// (superusers).
    Maintenance,
    /// Public status, no login.
    Status,
}

/// The OpenAPI service with downtime's routes mounted under `prefix` (`""` at the root): both
/// APIs, described for the reader of Swagger UI, with the limits the server enforces.
pub fn service(
    prefix: &str,
) -> OpenApiService<
    limits::WithLimits<(
        maintenance::MaintenanceApi,
        bypass::BypassApi,
        status::StatusApi,
    )>,
    (),
> {
    OpenApiService::new(
        limits::WithLimits((
            maintenance::MaintenanceApi,
            bypass::BypassApi,
            status::StatusApi,
        )),
        "downtime",
        env!("CARGO_PKG_VERSION"),
    )
    .summary("Maintenance mode for Poem web applications")
    .description(
        "Switch a site's maintenance mode on and off, read its audit log, and see whether it is \
         down. Changing or reading the state needs a superuser's bearer token from the site's \
         identity provider: use **Authorize** (authorization code with PKCE) or paste a token. \
         Errors are RFC 9457 problem documents with a stable `code`.",
    )
    .server(format!("{prefix}/api"))
}

/// The spec as committed in `openapi/openapi.json` (and printed by `downtime openapi`):
/// downtime's routes at the root.
pub fn spec() -> String {
    service("").spec()
}

/// The security schemes' URLs are literals in the spec (`/auth/…`): under a prefix, the served
/// document and Swagger UI must name the prefixed ones.
fn with_prefixed_login(document: String, prefix: &str) -> String {
    if prefix.is_empty() {
        return document;
    }
    document
        .replace(
            "\"/auth/authorize\"",
            &format!("\"{prefix}/auth/authorize\""),
        )
        .replace("\"/auth/token\"", &format!("\"{prefix}/auth/token\""))
}

/// How the API is served.
#[derive(Clone, Debug, Default)]
pub struct ApiOptions {
    /// Where downtime's routes are mounted (`""` or `/_downtime`).
    pub prefix: String,
    /// This site's client id at the identity provider, filled in Swagger UI's **Authorize**.
    pub client_id: String,
    /// The scopes Swagger UI's **Authorize** asks for: the login's (`--oidc-scopes`).
    pub scopes: Vec<String>,
    /// The largest request body read.
    pub max_body_bytes: usize,
    /// Where writes to the state are counted, by result.
    pub writes: Arc<writes::WriteStats>,
}

/// `/api`: the operations (bodies limited, errors as problem documents), the spec at
/// `/api/openapi.json`, and Swagger UI at `/api/docs` set up with PKCE.
pub fn routes(options: &ApiOptions) -> Route {
    let prefix = options.prefix.clone();
    let api = service(&prefix);
    let document = with_prefixed_login(api.spec(), &prefix);
    let spec = make_sync(move |_| {
        poem::IntoResponse::with_content_type(document.clone(), "application/json")
    });
    // Swagger UI weighs 1.6 MB, twice over (page and receiver): built on first use rather than
    // kept in every server's memory from the start.
    let client_id = options.client_id.clone();
    let scopes = options.scopes.clone();
    let page = Arc::new(OnceLock::new());
    let page_prefix = prefix.clone();
    let docs_page = make_sync(move |_| {
        let resp = Html(
            page.get_or_init(|| {
                let html = service(&page_prefix).swagger_ui_html();
                swagger_with_pkce(with_prefixed_login(html, &page_prefix), &client_id, &scopes)
            })
            .clone(),
        );
        let mut resp = poem::IntoResponse::into_response(resp);
        // A page that sends the user's token: no other site may frame it.
        crate::http::console_headers(resp.headers_mut());
        resp
    });
    let receiver: Arc<OnceLock<BoxEndpoint<'static>>> = Arc::new(OnceLock::new());
    let receiver_page = poem::endpoint::make(move |mut req: Request| {
        let receiver = Arc::clone(&receiver);
        let prefix = prefix.clone();
        async move {
            let ui =
                receiver.get_or_init(|| service(&prefix).swagger_ui().map_to_response().boxed());
            // Mounted here, the UI would see `/` and answer its whole page instead of the
            // small receiver that hands the login back to the window that opened it.
            *req.uri_mut() = poem::http::Uri::from_static("/oauth-receiver.html");
            ui.call(req).await
        }
    });
    let docs = Route::new()
        .at("/", docs_page)
        .nest("/oauth-receiver.html", receiver_page);
    Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest(
            "/",
            writes::CountWrites {
                inner: api
                    .with(BodyLimit::new(options.max_body_bytes))
                    .catch_all_error(|err| async move { problem::from_error(err) }),
                stats: Arc::clone(&options.writes),
            },
        )
}

/// Swagger UI as poem-openapi ships it never calls `initOAuth`: turn on PKCE and fill in the
/// client id, so **Authorize** works without typing anything. Left unpatched (and logged) if
/// the template ever changes.
fn swagger_with_pkce(html: String, client_id: &str, scopes: &[String]) -> String {
    const ANCHOR: &str = "deepLinking: true,\n    })";
    let Some(at) = html.rfind(ANCHOR) else {
        tracing::warn!("Swagger UI's page changed; Authorize will not use PKCE");
        return html;
    };
    let client_id = serde_json::to_string(client_id).unwrap_or_else(|_| "\"\"".into());
    let scopes = serde_json::to_string(&scopes.join(" ")).unwrap_or_else(|_| "\"\"".into());
    let mut out = html;
    out.replace_range(
        at..at + ANCHOR.len(),
        &format!(
            "{ANCHOR}.initOAuth({{ clientId: {client_id}, usePkceWithAuthorizationCodeGrant: true, scopes: {scopes} }})"
        ),
    );
    out
}
