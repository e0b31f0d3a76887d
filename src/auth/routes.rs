//! `/auth/login`, `/auth/callback`, `/auth/logout` and `/auth/me`.

use chrono::Utc;
use oauth2::{
    AuthorizationCode, CsrfToken as OAuthState, PkceCodeChallenge, PkceCodeVerifier, Scope,
};
use poem::http::{HeaderValue, StatusCode, header};
use poem::session::Session;
use poem::web::{Data, Form, Html, Json, Query, Redirect};
use poem::{IntoResponse, Request, Response, Route, get, handler};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use std::sync::Arc;

use super::provider::{Discovered, Provider};
use super::{Auth, AuthError, Claims, Principal, SESSION_USER, SessionUser};
use crate::http::{Problem, escape_html, local_location, urlencode};

const SESSION_LOGIN: &str = "login";

/// The routes under `/auth`.
pub fn routes() -> Route {
    Route::new()
        .at("/login", get(start_login))
        .at("/callback", get(finish_login))
        .at("/logout", get(logout_page).post(end_session))
        .at("/me", get(who_am_i))
        .at("/authorize", get(forward_authorize))
        .at("/token", poem::post(forward_token))
}

/// Swagger UI's **Authorize** starts here (the spec's URLs are fixed, the provider is not):
/// a redirect to the provider's authorization endpoint with the query unchanged.
#[handler]
async fn forward_authorize(auth: Data<&Auth>, req: &Request) -> Response {
    let (_, discovered) = match provider(&auth) {
        Ok(found) => found,
        Err(missing) => return missing.problem(),
    };
    let endpoint = &discovered.doc.authorization_endpoint;
    let target = match req.uri().query() {
        Some(query) => format!(
            "{endpoint}{}{query}",
            if endpoint.contains('?') { '&' } else { '?' }
        ),
        None => endpoint.clone(),
    };
    Redirect::temporary(target)
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

/// The parameters of an authorization-code exchange that are forwarded, each once.
const TOKEN_PARAMETERS: [&str; 5] = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
];

/// The form Swagger UI posts, reduced to the allowed parameters: `None` when one is
/// repeated, the grant is not an authorization code for Swagger UI's own redirect URI, or the
/// PKCE verifier is missing.
fn token_exchange(
    form: &[(String, String)],
    receiver: &str,
    client_id: &str,
) -> Option<Vec<(&'static str, String)>> {
    let mut kept: Vec<(&'static str, String)> = Vec::new();
    for (name, value) in form {
        let Some(allowed) = TOKEN_PARAMETERS.iter().find(|p| **p == name.as_str()) else {
            continue;
        };
        if kept.iter().any(|(seen, _)| seen == allowed) {
            return None;
        }
        kept.push((allowed, value.clone()));
    }
    let value = |name: &str| {
        kept.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    };
    let fits = value("grant_type") == Some("authorization_code")
        && value("redirect_uri") == Some(receiver)
        && value("code").is_some_and(|c| !c.is_empty())
        && value("code_verifier").is_some_and(|v| (43..=128).contains(&v.len()))
        && value("client_id").is_none_or(|id| id == client_id);
    fits.then_some(kept)
}

/// Swagger UI exchanges its code here (same origin, so no CORS at the provider). Only the
/// authorization-code grant with PKCE for Swagger UI's own redirect URI is forwarded, with
/// only the parameters that grant needs; this site's client secret is added, since a browser
/// cannot hold it.
#[handler]
async fn forward_token(auth: Data<&Auth>, Form(form): Form<Vec<(String, String)>>) -> Response {
    let (provider, discovered) = match provider(&auth) {
        Ok(found) => found,
        Err(missing) => return missing.problem(),
    };
    let settings = provider.settings();
    let receiver = auth.urls().own("/api/docs/oauth-receiver.html");
    let Some(exchange) = token_exchange(&form, &receiver, &settings.client_id) else {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant",
            "Not forwarded",
            "Only Swagger UI's authorization-code exchange with PKCE is forwarded here, each parameter once.",
        )
        .into_response();
    };
    let mut request = provider
        .http()
        .post(&discovered.doc.token_endpoint)
        .form(&exchange);
    if let Some(secret) = &settings.client_secret {
        use secrecy::ExposeSecret as _;
        request = request.basic_auth(
            urlencode(&settings.client_id),
            Some(urlencode(secret.expose_secret())),
        );
    }
    match request.send().await {
        Ok(answer) => {
            let status =
                StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = answer.bytes().await.unwrap_or_default();
            Response::builder()
                .status(status)
                .content_type("application/json")
                .header(header::CACHE_CONTROL, "no-store")
                .body(body.to_vec())
        }
        Err(error) => {
            tracing::warn!(target: "downtime::auth", %error, "token exchange forwarding failed");
            AuthError::Unavailable.into_response()
        }
    }
}

/// What the session holds between `/auth/login` and `/auth/callback`.
#[derive(Clone, Serialize, Deserialize)]
struct LoginState {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, text.to_owned())
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

/// Why login cannot start: nothing configured, or the provider not reached yet.
enum NoProvider {
    NotConfigured,
    Unreachable,
}

impl NoProvider {
    /// For browsers.
    fn page(self) -> Response {
        match self {
            NoProvider::NotConfigured => plain(
                StatusCode::NOT_FOUND,
                "Login is not configured on this site.",
            ),
            NoProvider::Unreachable => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "The identity provider cannot be reached right now. Please try again in a minute.",
            ),
        }
    }

    /// For Swagger UI and scripts.
    fn problem(self) -> Response {
        match self {
            NoProvider::NotConfigured => {
                AuthError::Unauthenticated("no identity provider is configured")
            }
            NoProvider::Unreachable => AuthError::Unavailable,
        }
        .into_response()
    }
}

fn provider(auth: &Auth) -> Result<(&Arc<Provider>, Arc<Discovered>), NoProvider> {
    let provider = auth.provider().ok_or(NoProvider::NotConfigured)?;
    let discovered = provider.discovered().map_err(|_| NoProvider::Unreachable)?;
    Ok((provider, discovered))
}

fn random_token() -> String {
    OAuthState::new_random().secret().clone()
}

/// Starts a login: authorization code with PKCE (S256), `state` and `nonce`.
#[handler]
async fn start_login(
    auth: Data<&Auth>,
    session: &Session,
    Query(query): Query<LoginQuery>,
) -> Response {
    let Some(next) = local_location(query.next.as_deref().unwrap_or("/")) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "`next` must be a path on this site, such as /about",
        );
    };
    let (_, discovered) = match provider(&auth) {
        Ok(found) => found,
        Err(missing) => return missing.page(),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = random_token();
    let (url, state) = discovered
        .client
        .authorize_url(OAuthState::new_random)
        .add_scopes(auth.scopes().iter().cloned().map(Scope::new))
        .add_extra_param("nonce", &nonce)
        .set_pkce_challenge(challenge)
        .url();
    session.set(
        SESSION_LOGIN,
        LoginState {
            state: state.secret().clone(),
            nonce,
            verifier: verifier.secret().clone(),
            next,
        },
    );
    Redirect::see_other(url.as_str())
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Finishes a login: checks `state`, exchanges the code, verifies the ID token (signature,
/// issuer, audience, expiry, nonce), then starts a fresh session.
#[handler]
async fn finish_login(
    auth: Data<&Auth>,
    session: &Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(login) = session.get::<LoginState>(SESSION_LOGIN) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "No login in progress: start again from /auth/login.",
        );
    };
    session.remove(SESSION_LOGIN);
    let next = login.next.clone();
    match logged_in(&auth, login, query).await {
        Ok(principal) => {
            let superuser = auth.is_superuser(&principal);
            tracing::info!(target: "downtime::auth", actor = %principal.actor(), superuser, "logged in");
            start_session(&auth, session, principal);
            Redirect::see_other(next)
                .with_header(header::CACHE_CONTROL, "no-store")
                .into_response()
        }
        Err(refused) => refused,
    }
}

/// The principal the provider vouches for, or the answer that says why not.
async fn logged_in(
    auth: &Auth,
    login: LoginState,
    query: CallbackQuery,
) -> Result<Principal, Response> {
    if query.error.is_some() {
        // The provider's words are not logged: anyone can put anything in this parameter.
        tracing::info!(target: "downtime::auth", "the provider refused the login");
        return Err(plain(
            StatusCode::UNAUTHORIZED,
            "The identity provider refused the login.",
        ));
    }
    let state_ok = query
        .state
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(login.state.as_bytes())));
    let (true, Some(code)) = (state_ok, query.code) else {
        tracing::warn!(target: "downtime::auth", "login callback with a wrong state");
        return Err(plain(
            StatusCode::BAD_REQUEST,
            "This login link is not valid (state mismatch).",
        ));
    };
    let (provider, discovered) = provider(auth).map_err(NoProvider::page)?;
    let id_token = exchange_code(provider, &discovered, code, login.verifier).await?;
    let claims: Claims = provider
        .verify(&id_token, &provider.settings().client_id)
        .await
        .map_err(|error| {
            tracing::warn!(target: "downtime::auth", %error, "ID token refused");
            plain(StatusCode::UNAUTHORIZED, "The ID token is not valid.")
        })?;
    let nonce_ok = claims
        .nonce
        .as_deref()
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(login.nonce.as_bytes())));
    if !nonce_ok {
        tracing::warn!(target: "downtime::auth", "ID token with a wrong nonce");
        return Err(plain(
            StatusCode::UNAUTHORIZED,
            "The ID token is not valid (nonce mismatch).",
        ));
    }
    Ok(auth.principal(claims))
}

/// Exchanges the code (with the PKCE verifier) for tokens; returns the ID token.
async fn exchange_code(
    provider: &Provider,
    discovered: &Discovered,
    code: String,
    verifier: String,
) -> Result<String, Response> {
    let tokens = discovered
        .client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(provider.http())
        .await
        .map_err(|error| {
            tracing::warn!(target: "downtime::auth", %error, "code exchange failed");
            plain(
                StatusCode::UNAUTHORIZED,
                "The identity provider did not accept the login.",
            )
        })?;
    tokens.extra_fields().id_token.clone().ok_or_else(|| {
        plain(
            StatusCode::UNAUTHORIZED,
            "The identity provider sent no ID token (is the openid scope allowed?).",
        )
    })
}

/// A new session on login: nothing set before it (by anyone) survives.
fn start_session(auth: &Auth, session: &Session, principal: Principal) {
    session.renew();
    let ttl = i64::try_from(auth.session_ttl().as_secs()).unwrap_or(i64::MAX);
    session.set(
        SESSION_USER,
        SessionUser {
            principal,
            expires_at: Utc::now().timestamp().saturating_add(ttl),
            csrf: random_token(),
            session_id: random_token(),
        },
    );
}

/// A page with the logout button (the POST needs the session's CSRF token).
#[handler]
fn logout_page(auth: Data<&Auth>, req: &Request) -> Response {
    let Some(user) = auth.session_user(req) else {
        return Redirect::see_other("/").into_response();
    };
    let who = escape_html(&user.principal.actor());
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Log out</title><main><h1>Log out</h1><p>Logged in as {who}.</p>\
         <form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">Log out</button></form></main></html>",
        escape_html(&auth.urls().own_path("/auth/logout")),
        escape_html(&user.csrf)
    );
    let mut resp = Html(page).into_response();
    crate::http::console_headers(resp.headers_mut());
    resp
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

/// Ends the session (the form must carry its CSRF token), then the provider's session when it
/// has an end-session endpoint.
#[handler]
async fn end_session(
    auth: Data<&Auth>,
    req: &Request,
    session: &Session,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some(user) = auth.session_user(req) else {
        session.purge();
        return Redirect::see_other("/").into_response();
    };
    if !bool::from(form.csrf.as_bytes().ct_eq(user.csrf.as_bytes())) {
        return plain(
            StatusCode::FORBIDDEN,
            "This logout form has expired: reload the page and try again.",
        );
    }
    session.purge();
    if let Err(error) = auth.end_session(&user).await {
        tracing::warn!(target: "downtime::auth", %error, "logout not recorded: other replicas accept the session until it expires");
    }
    tracing::info!(target: "downtime::auth", actor = %user.principal.actor(), "logged out");
    let end_session = auth
        .provider()
        .and_then(|p| {
            p.discovered()
                .ok()
                .map(|d| (p.settings().client_id.clone(), d))
        })
        .and_then(|(client_id, d)| {
            d.doc
                .end_session_endpoint
                .clone()
                .map(|url| (client_id, url))
        });
    let target = match end_session {
        Some((client_id, url)) => {
            let back = format!("{}/", auth.urls().base_url);
            let sep = if url.contains('?') { '&' } else { '?' };
            format!(
                "{url}{sep}client_id={}&post_logout_redirect_uri={}",
                urlencode(&client_id),
                urlencode(&back)
            )
        }
        None => "/".to_owned(),
    };
    Redirect::see_other(target).into_response()
}

#[derive(Serialize)]
struct Me {
    principal: Principal,
    actor: String,
    superuser: bool,
}

/// Who am I: the principal behind the session or bearer token.
#[handler]
async fn who_am_i(auth: Data<&Auth>, req: &Request) -> Response {
    match auth.authenticate(req).await {
        Ok(Some(principal)) => {
            let body = Me {
                actor: principal.actor(),
                superuser: auth.is_superuser(&principal),
                principal,
            };
            let mut resp = Json(body).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Ok(None) => AuthError::MissingCredentials.into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIVER: &str = "https://site/api/docs/oauth-receiver.html";
    const VERIFIER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn exchange() -> Vec<(&'static str, &'static str)> {
        vec![
            ("grant_type", "authorization_code"),
            ("code", "abc"),
            ("redirect_uri", RECEIVER),
            ("code_verifier", VERIFIER),
            ("client_id", "downtime"),
        ]
    }

    #[test]
    fn only_a_pkce_code_exchange_for_the_receiver_is_forwarded_with_known_parameters() {
        let mut sent = exchange();
        sent.push(("scope", "admin"));
        let kept = token_exchange(&form(&sent), RECEIVER, "downtime").expect("forwarded");
        let names: Vec<&str> = kept.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "grant_type",
                "code",
                "redirect_uri",
                "code_verifier",
                "client_id"
            ]
        );
    }

    #[test]
    fn repeated_missing_or_foreign_parameters_are_refused() {
        type Form = Vec<(&'static str, &'static str)>;
        let with = |change: &dyn Fn(&mut Form)| {
            let mut sent = exchange();
            change(&mut sent);
            token_exchange(&form(&sent), RECEIVER, "downtime")
        };
        assert!(with(&|f| f.push(("grant_type", "client_credentials"))).is_none());
        assert!(with(&|f| f.push(("redirect_uri", "https://evil/x"))).is_none());
        assert!(with(&|f| f.retain(|(k, _)| *k != "code_verifier")).is_none());
        assert!(with(&|f| f[3] = ("code_verifier", "short")).is_none());
        assert!(with(&|f| f[0] = ("grant_type", "client_credentials")).is_none());
        assert!(with(&|f| f[4] = ("client_id", "other-client")).is_none());
        assert!(with(&|f| f.retain(|(k, _)| *k != "client_id")).is_some());
    }
}
