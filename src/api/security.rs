//! The API's security schemes, as Swagger UI and the spec present them. Both carry a bearer
//! token, verified by [`Auth`] before anything else of the request is read: a request that is
//! not from a superuser learns nothing about its body.

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::auth::Bearer;
use poem_openapi::{OAuthScopes, SecurityScheme};

use super::error::ApiError;
use crate::auth::{Auth, Principal};

/// 401 for a bad token, 403 for someone who is not a superuser, 503 when the provider is down;
/// each as a problem document.
async fn superuser(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let auth = req
        .data::<Auth>()
        .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    auth.check_host(req).map_err(ApiError::from)?;
    auth.require_superuser_token(&bearer.token)
        .await
        .map_err(|e| ApiError::from(e).into())
}

/// Scopes asked when logging in from Swagger UI.
#[derive(OAuthScopes)]
pub enum Scopes {
    /// Sign in with OpenID Connect
    #[oai(rename = "openid")]
    OpenId,
    /// Your e-mail address (superusers may be listed by e-mail)
    #[oai(rename = "email")]
    Email,
    /// Your name
    #[oai(rename = "profile")]
    Profile,
}

/// Log in with the site's identity provider (authorization code with PKCE). The URLs are this
/// site's own: it forwards to whichever provider is configured.
#[derive(SecurityScheme)]
#[oai(
    rename = "oauth2",
    ty = "oauth2",
    flows(authorization_code(
        authorization_url = "/auth/authorize",
        token_url = "/auth/token",
        scopes = "Scopes"
    )),
    checker = "superuser"
)]
pub struct OAuth2(Principal);

/// An access token from the identity provider (a JWT), for example from the client-credentials
/// grant: `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(
    rename = "bearer",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "superuser"
)]
pub struct BearerJwt(Principal);

/// Either scheme: both send `Authorization: Bearer`.
#[derive(SecurityScheme)]
pub enum ApiAuth {
    /// Logged in through Swagger UI.
    OAuth2(OAuth2),
    /// A token obtained elsewhere.
    Bearer(BearerJwt),
}

impl ApiAuth {
    /// The superuser, whichever scheme carried the token.
    pub fn principal(&self) -> &Principal {
        match self {
            ApiAuth::OAuth2(OAuth2(p)) | ApiAuth::Bearer(BearerJwt(p)) => p,
        }
    }
}
