//! [`AuthError`]: why a request is not allowed, and the problem document that says so.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};

use crate::http::Problem;

/// Why a request is not allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all: 401 with a plain `WWW-Authenticate: Bearer` challenge.
    #[error("authentication required")]
    MissingCredentials,
    /// Invalid credentials: 401 with an `invalid_token` challenge saying why (a fixed text,
    /// never the credentials' own).
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    /// Valid credentials, but not a superuser: 403.
    #[error("not a superuser")]
    Forbidden,
    /// The identity provider is unreachable: 503.
    #[error("the identity provider is unreachable")]
    Unavailable,
}

impl AuthError {
    /// The problem document for this refusal.
    pub fn problem(&self) -> Problem {
        match self {
            AuthError::MissingCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "no credentials",
            ),
            AuthError::Unauthenticated(detail) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                *detail,
            ),
            AuthError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Superusers only",
                "You are authenticated, but not a superuser.",
            ),
            AuthError::Unavailable => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "identity_provider_unavailable",
                "Identity provider unavailable",
                "The identity provider cannot be reached; try again shortly.",
            ),
        }
    }

    /// The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3); `None` for other refusals.
    pub fn challenge(&self) -> Option<String> {
        match self {
            AuthError::MissingCredentials => Some("Bearer realm=\"downtime\"".to_owned()),
            AuthError::Unauthenticated(detail) => Some(format!(
                "Bearer realm=\"downtime\", error=\"invalid_token\", error_description=\"{detail}\""
            )),
            AuthError::Forbidden | AuthError::Unavailable => None,
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let challenge = self.challenge();
        let unavailable = self == AuthError::Unavailable;
        let mut resp = self.problem().into_response();
        let headers = resp.headers_mut();
        if let Some(value) = challenge.and_then(|c| HeaderValue::try_from(c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if unavailable {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        resp
    }
}
