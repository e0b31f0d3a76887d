//! The HTTP API: the control API for superusers (`/api/maintenance`), the public status,
//! their OpenAPI document and Swagger UI, and health checks.

pub mod error;
pub mod health;
pub mod maintenance;
pub mod problem;
pub mod security;
pub mod status;

use std::sync::{Arc, OnceLock};

use poem::endpoint::{BoxEndpoint, make_sync};
use poem::http::{Method, StatusCode};
use poem::web::Html;
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Middleware, Request, Response, Route};
use poem_openapi::{OpenApiService, Tags};

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Groups of operations in the spec.
#[derive(Tags)]
pub enum ApiTags {
    /// Switch maintenance on and off, and read who did what (superusers).
    Maintenance,
    /// Public status, no login.
    Status,
}

/// The OpenAPI service: both APIs, described for the reader of Swagger UI.
pub fn service() -> OpenApiService<(maintenance::MaintenanceApi, status::StatusApi), ()> {
    OpenApiService::new(
        (maintenance::MaintenanceApi, status::StatusApi),
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
    .server("/api")
}

/// The spec as committed in `openapi/openapi.json` (and printed by `downtime openapi`).
pub fn spec() -> String {
    service().spec()
}

/// `/api`: the operations (bodies limited, errors as problem documents), the spec at
/// `/api/openapi.json`, and Swagger UI at `/api/docs` set up for `client_id` with PKCE.
pub fn routes(client_id: &str) -> Route {
    let api = service();
    let spec = api.spec_endpoint();
    // Swagger UI weighs 1.6 MB, twice over (page and receiver): built on first use rather than
    // kept in every server's memory from the start.
    let client_id = client_id.to_owned();
    let page = Arc::new(OnceLock::new());
    let docs_page = make_sync(move |_| {
        Html(
            page.get_or_init(|| swagger_with_pkce(service().swagger_ui_html(), &client_id))
                .clone(),
        )
    });
    let receiver: Arc<OnceLock<BoxEndpoint<'static>>> = Arc::new(OnceLock::new());
    let receiver_page = poem::endpoint::make(move |req: Request| {
        let receiver = Arc::clone(&receiver);
        async move {
            let ui = receiver.get_or_init(|| service().swagger_ui().map_to_response().boxed());
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
            api.with(BodyLimit)
                .catch_all_error(|err| async move { problem::from_error(err) }),
        )
}

/// Swagger UI as poem-openapi ships it never calls `initOAuth`: turn on PKCE and fill in the
/// client id, so **Authorize** works without typing anything. Left unpatched (and logged) if
/// the template ever changes.
fn swagger_with_pkce(html: String, client_id: &str) -> String {
    const ANCHOR: &str = "deepLinking: true,\n    })";
    let Some(at) = html.rfind(ANCHOR) else {
        tracing::warn!("Swagger UI's page changed; Authorize will not use PKCE");
        return html;
    };
    let client_id = serde_json::to_string(client_id).unwrap_or_else(|_| "\"\"".into());
    let mut out = html;
    out.replace_range(
        at..at + ANCHOR.len(),
        &format!(
            "{ANCHOR}.initOAuth({{ clientId: {client_id}, usePkceWithAuthorizationCodeGrant: true, scopes: \"openid email profile\" }})"
        ),
    );
    out
}

/// Refuses bodies over [`MAX_BODY_BYTES`] with 413, whether or not they announce their length.
/// On the API, the login routes and the development provider: every route of ours that reads a
/// body.
pub struct BodyLimit;

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint { inner }
    }
}

/// The endpoint [`BodyLimit`] makes.
pub struct BodyLimitEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
            let too_large = || {
                poem::Error::from_string(
                    format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                    StatusCode::PAYLOAD_TOO_LARGE,
                )
            };
            let announced = req
                .headers()
                .get(poem::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
                return Err(too_large());
            }
            let body = req
                .take_body()
                .into_bytes_limit(MAX_BODY_BYTES)
                .await
                .map_err(|e| match e {
                    poem::error::ReadBodyError::PayloadTooLarge => too_large(),
                    other => poem::Error::from_string(other.to_string(), StatusCode::BAD_REQUEST),
                })?;
            req.set_body(Body::from_bytes(body));
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
