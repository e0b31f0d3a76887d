//! A development OpenID Connect provider inside the binary (`downtime serve --dev-idp`), so a
//! newcomer can log in and try the API with no outside provider, and tests get a real flow.
//!
//! Never for production: the server refuses it on a non-loopback address and logs a warning.
//! Built only with the `dev-idp` cargo feature (on by default).
//! It serves discovery, JWKS, an authorize page listing seeded users, a token endpoint
//! (authorization code with PKCE, and client credentials), and userinfo.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::pkcs8::EncodePrivateKey as _;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Html, Json, Redirect};
use poem::{Endpoint as _, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::http::SiteUrls;
use crate::http::{escape_html, urlencode};

/// The web client the server logs in as.
pub const WEB_CLIENT_ID: &str = "downtime";
/// The `aud` of the access tokens it issues.
pub const AUDIENCE: &str = "downtime";
/// A script client that is a superuser.
pub const SCRIPT_CLIENT: (&str, &str) = ("downtime-script", "downtime-script-secret");
/// A script client that is not.
pub const OTHER_CLIENT: (&str, &str) = ("other-script", "other-script-secret");
const KEY_ID: &str = "dev-1";
const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// A seeded user.
#[derive(Clone, Copy, Debug)]
pub struct DevUser {
    /// The `sub` claim.
    pub subject: &'static str,
    /// A verified e-mail address.
    pub email: &'static str,
    /// The display name.
    pub name: &'static str,
    /// The `groups` claim.
    pub groups: &'static [&'static str],
}

/// The seeded superuser.
pub const ADMIN: DevUser = DevUser {
    subject: "dev-admin",
    email: "admin@downtime.test",
    name: "Ada Admin",
    groups: &["downtime-admins"],
};
/// The seeded ordinary user.
pub const VISITOR: DevUser = DevUser {
    subject: "dev-visitor",
    email: "visitor@downtime.test",
    name: "Victor Visitor",
    groups: &["customers"],
};
const USERS: [DevUser; 2] = [ADMIN, VISITOR];

/// The provider: cheap to clone.
#[derive(Clone)]
pub struct DevIdp {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    site: String,
    web_secret: String,
    redirect_uris: Vec<String>,
    key: EncodingKey,
    jwk: Jwk,
    codes: Mutex<HashMap<String, PendingCode>>,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    scope: String,
    user: DevUser,
    issued: Instant,
}

impl DevIdp {
    /// A provider for the site at `urls`, mounted at `<prefix>/dev-idp`, with a fresh ES256
    /// key and a fresh web-client secret.
    ///
    /// # Errors
    /// The key cannot be generated.
    pub fn new(urls: &SiteUrls) -> anyhow::Result<Self> {
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().map_err(|e| anyhow::anyhow!("{e}"))?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256)?;
        jwk.common.key_id = Some(KEY_ID.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let mut web_secret = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut web_secret);
        Ok(DevIdp {
            inner: Arc::new(Inner {
                issuer: urls.own("/dev-idp"),
                site: format!("{}/", urls.base_url),
                web_secret: URL_SAFE_NO_PAD.encode(web_secret),
                redirect_uris: vec![
                    urls.own("/auth/callback"),
                    urls.own("/api/docs/oauth-receiver.html"),
                ],
                key,
                jwk,
                codes: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Its issuer URL.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The secret of the web client ([`WEB_CLIENT_ID`]).
    pub fn web_client_secret(&self) -> &str {
        &self.inner.web_secret
    }

    /// Signs `claims` with the provider's key (for tests and for its own tokens).
    ///
    /// # Errors
    /// The claims cannot be serialised.
    pub fn sign(&self, claims: &Value) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KEY_ID.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &self.inner.key)?)
    }

    /// The public key, as published in the JWKS.
    pub fn jwk(&self) -> &Jwk {
        &self.inner.jwk
    }

    /// An access token for `subject`, as the token endpoint would issue it.
    ///
    /// # Errors
    /// Signing fails.
    pub fn access_token(&self, subject: &str, extra: &Value) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let mut claims = json!({
            "iss": self.issuer(), "sub": subject, "aud": AUDIENCE,
            "iat": now, "nbf": now, "exp": now + 3600,
        });
        if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
            claims.extend(extra.clone());
        }
        self.sign(&claims)
    }

    /// Its routes, to nest at `/dev-idp`.
    pub fn routes(&self) -> impl poem::Endpoint<Output = Response> + use<> {
        Route::new()
            .at("/.well-known/openid-configuration", get(discovery_document))
            .at("/jwks", get(key_set))
            .at("/authorize", get(authorize_page).post(authorize_user))
            .at("/token", poem::post(token_endpoint))
            .at("/userinfo", get(user_info))
            .at("/logout", get(end_session))
            .data(self.clone())
            .around(|inner, req| async move {
                // Binding to loopback is not enough: a page on a rebound DNS name, or a reverse
                // proxy on this machine, reaches it too, with a Host of its own.
                if !crate::http::host_is_loopback(&req) {
                    return Ok((
                        StatusCode::MISDIRECTED_REQUEST,
                        "the development provider answers only requests to localhost or a loopback address\n",
                    )
                        .into_response());
                }
                inner.call(req).await.map(IntoResponse::into_response)
            })
    }

    fn client_secret(&self, client_id: &str) -> Option<&str> {
        match client_id {
            WEB_CLIENT_ID => Some(&self.inner.web_secret),
            id if id == SCRIPT_CLIENT.0 => Some(SCRIPT_CLIENT.1),
            id if id == OTHER_CLIENT.0 => Some(OTHER_CLIENT.1),
            _ => None,
        }
    }
}

#[handler]
fn discovery_document(idp: Data<&DevIdp>) -> Json<Value> {
    let issuer = idp.issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "email", "profile"],
        "claims_supported": ["sub", "email", "email_verified", "name", "groups"],
    }))
}

#[handler]
fn key_set(idp: Data<&DevIdp>) -> Json<Value> {
    Json(json!({ "keys": [idp.jwk()] }))
}

/// The authorization request, as the client sent it.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct AuthorizeParams {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    code_challenge_method: Option<String>,
}

impl AuthorizeParams {
    /// Refuses what a real provider refuses; the redirect URI must be registered before the
    /// browser is ever sent to it.
    fn check(&self, idp: &DevIdp) -> Result<String, &'static str> {
        if idp.client_secret(&self.client_id).is_none() {
            return Err("unknown client_id");
        }
        if !idp.inner.redirect_uris.contains(&self.redirect_uri) {
            return Err("redirect_uri is not registered for this client");
        }
        if self.response_type != "code" {
            return Err("only response_type=code is supported");
        }
        match (&self.code_challenge, self.code_challenge_method.as_deref()) {
            (Some(challenge), Some("S256")) if challenge.len() >= 43 => Ok(challenge.clone()),
            _ => Err("PKCE with code_challenge_method=S256 is required"),
        }
    }
}

fn bad_request(text: &str) -> Response {
    (StatusCode::BAD_REQUEST, text.to_owned()).into_response()
}

/// The login page: pick a seeded user.
#[handler]
fn authorize_page(idp: Data<&DevIdp>, req: &Request) -> Response {
    let params: AuthorizeParams = match req.params() {
        Ok(p) => p,
        Err(e) => return bad_request(&format!("bad authorization request: {e}")),
    };
    if let Err(why) = params.check(&idp) {
        return bad_request(why);
    }
    let hidden: String = serde_json::to_value(&params)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_html(&k),
                escape_html(&v)
            )
        })
        .collect();
    let buttons: String = USERS
        .iter()
        .map(|u| {
            let role = if u.subject == ADMIN.subject {
                "superuser"
            } else {
                "ordinary user"
            };
            format!(
                "<p><button name=\"user\" value=\"{}\">{} &lt;{}&gt; ({role})</button></p>",
                u.subject, u.name, u.email
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Development sign-in</title><main><h1>Development sign-in</h1>\
         <p>This is downtime's development identity provider. Choose who you are:</p>\
         <form method=\"post\" action=\"authorize\">{hidden}{buttons}</form></main></html>"
    ))
    .with_header(header::CACHE_CONTROL, "no-store")
    .into_response()
}

#[derive(Deserialize)]
struct AuthorizeForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    user: String,
}

/// The user chose: issue a single-use code and send the browser back.
#[handler]
fn authorize_user(idp: Data<&DevIdp>, Form(form): Form<AuthorizeForm>) -> Response {
    let params = form.params;
    let challenge = match params.check(&idp) {
        Ok(c) => c,
        Err(why) => return bad_request(why),
    };
    let Some(user) = USERS.iter().find(|u| u.subject == form.user).copied() else {
        return bad_request("unknown user");
    };
    let code = oauth2::CsrfToken::new_random().secret().clone();
    if let Ok(mut codes) = idp.inner.codes.lock() {
        codes.retain(|_, c| c.issued.elapsed() < CODE_LIFETIME);
        codes.insert(
            code.clone(),
            PendingCode {
                client_id: params.client_id.clone(),
                redirect_uri: params.redirect_uri.clone(),
                challenge,
                nonce: params.nonce.clone(),
                scope: params.scope.clone(),
                user,
                issued: Instant::now(),
            },
        );
    }
    let mut target = params.redirect_uri.clone();
    target.push(if target.contains('?') { '&' } else { '?' });
    target.push_str(&format!("code={}", urlencode(&code)));
    if let Some(state) = &params.state {
        target.push_str(&format!("&state={}", urlencode(state)));
    }
    Redirect::see_other(target).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

/// The client's credentials, from HTTP Basic or the form body.
fn client_credentials(req: &Request, form: &TokenForm) -> Option<(String, String)> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .ok()
                    .map(|c| c.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    basic.or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?)))
}

#[handler]
fn token_endpoint(idp: Data<&DevIdp>, req: &Request, Form(form): Form<TokenForm>) -> Response {
    let Some((client_id, secret)) = client_credentials(req, &form) else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication required",
        );
    };
    let known = idp.client_secret(&client_id);
    if !known.is_some_and(|k| bool::from(k.as_bytes().ct_eq(secret.as_bytes()))) {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    let issued = match form.grant_type.as_str() {
        "client_credentials" if client_id != WEB_CLIENT_ID => {
            client_credentials_grant(&idp, &client_id, form.scope.as_deref())
        }
        "authorization_code" => authorization_code_grant(&idp, &client_id, &form),
        _ => Err(Refusal::bad_request(
            "unsupported_grant_type",
            "use authorization_code or client_credentials",
        )),
    };
    match issued {
        Ok(tokens) => Json(tokens)
            .with_header(header::CACHE_CONTROL, "no-store")
            .into_response(),
        Err(refused) => token_error(refused.status, refused.error, refused.description),
    }
}

/// An OAuth error answer of the token endpoint (RFC 6749 §5.2).
struct Refusal {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
}

impl Refusal {
    fn bad_request(error: &'static str, description: &'static str) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            error,
            description,
        }
    }
}

fn cannot_sign() -> Refusal {
    Refusal {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        error: "server_error",
        description: "cannot sign",
    }
}

/// A token for the client itself: its id is the subject.
fn client_credentials_grant(
    idp: &DevIdp,
    client_id: &str,
    scope: Option<&str>,
) -> Result<Value, Refusal> {
    let extra = json!({ "client_id": client_id, "scope": scope.unwrap_or_default() });
    let access = idp
        .access_token(client_id, &extra)
        .map_err(|_| cannot_sign())?;
    Ok(json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600 }))
}

/// The code a user's login produced, for its client and redirect URI, with PKCE: an ID token
/// and an access token for that user.
fn authorization_code_grant(
    idp: &DevIdp,
    client_id: &str,
    form: &TokenForm,
) -> Result<Value, Refusal> {
    let invalid_grant = |why| Refusal::bad_request("invalid_grant", why);
    let pending = form
        .code
        .as_ref()
        .and_then(|code| idp.inner.codes.lock().ok()?.remove(code))
        .filter(|p| p.issued.elapsed() < CODE_LIFETIME)
        .ok_or_else(|| invalid_grant("unknown, used or expired code"))?;
    if pending.client_id != client_id
        || form.redirect_uri.as_deref() != Some(pending.redirect_uri.as_str())
    {
        return Err(invalid_grant(
            "code issued to another client or redirect_uri",
        ));
    }
    let verified = form.code_verifier.as_deref().is_some_and(|v| {
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
        bool::from(computed.as_bytes().ct_eq(pending.challenge.as_bytes()))
    });
    if !verified {
        return Err(invalid_grant("PKCE verification failed"));
    }
    let user = pending.user;
    let profile = json!({
        "email": user.email, "email_verified": true, "name": user.name, "groups": user.groups,
    });
    let now = Utc::now().timestamp();
    let mut id_claims = json!({
        "iss": idp.issuer(), "sub": user.subject, "aud": client_id, "iat": now, "exp": now + 300,
    });
    let mut access_extra = profile.clone();
    if let (Some(claims), Some(profile)) = (id_claims.as_object_mut(), profile.as_object()) {
        claims.extend(profile.clone());
        if let Some(nonce) = pending.nonce {
            claims.insert("nonce".into(), nonce.into());
        }
    }
    if let Some(extra) = access_extra.as_object_mut() {
        extra.insert("scope".into(), pending.scope.into());
        extra.insert("azp".into(), client_id.into());
    }
    let access = idp
        .access_token(user.subject, &access_extra)
        .map_err(|_| cannot_sign())?;
    // OpenID Connect's at_hash: the left half of the access token's SHA-256, binding the two.
    let digest = Sha256::digest(access.as_bytes());
    if let Some(claims) = id_claims.as_object_mut() {
        claims.insert(
            "at_hash".into(),
            URL_SAFE_NO_PAD.encode(&digest[..16]).into(),
        );
    }
    let id_token = idp.sign(&id_claims).map_err(|_| cannot_sign())?;
    Ok(json!({
        "access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token,
    }))
}

#[derive(Deserialize)]
struct LogoutParams {
    post_logout_redirect_uri: Option<String>,
}

/// RP-initiated logout: nothing to end here (the provider keeps no session), so it sends the
/// browser back, but only to this site.
#[handler]
fn end_session(idp: Data<&DevIdp>, req: &Request) -> Response {
    let back = req
        .params::<LogoutParams>()
        .ok()
        .and_then(|p| p.post_logout_redirect_uri);
    match back {
        Some(url) if url == idp.inner.site => Redirect::see_other(url).into_response(),
        _ => Html("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Logged out</title><p>You are logged out.</p></html>")
            .into_response(),
    }
}

#[handler]
fn user_info(idp: Data<&DevIdp>, req: &Request) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let claims = token.and_then(|t| {
        let key = DecodingKey::from_jwk(idp.jwk()).ok()?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[idp.issuer()]);
        validation.set_audience(&[AUDIENCE]);
        jsonwebtoken::decode::<Value>(t, &key, &validation).ok()
    });
    match claims {
        Some(data) => Json(data.claims).into_response(),
        None => (StatusCode::UNAUTHORIZED, "invalid token")
            .with_header(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
            .into_response(),
    }
}

/// Whether `addr` may host the development provider: loopback only.
pub fn allowed_at(addr: std::net::SocketAddr) -> bool {
    addr.ip().is_loopback()
}
