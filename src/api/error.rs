//! `ApiError` and `ReadError`: every error the control API answers, each an RFC 9457 problem
//! document.

use poem::http::StatusCode;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;

use crate::auth::AuthError;
use crate::http::{FieldError, Problem};
use crate::state::{InvalidWindow, StoreError, WriteError};

/// `Retry-After`, in seconds, when the database or the identity provider is away.
const RETRY_SECS: u32 = 5;

/// The errors of the operations that change the state.
#[derive(ApiResponse, Debug)]
pub enum ApiError {
    /// The request is malformed: not JSON, a field of the wrong type or an unknown field, a bad
    /// query parameter or cursor.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No bearer token, or an invalid one (forged, expired, for another audience…).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// The token is valid, but its owner is not a superuser.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `If-Match` does not name the current version: someone changed the state meanwhile.
    /// Nothing was written; `ETag` gives the current version.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Problem>, #[oai(header = "ETag")] String),
    /// The request body is larger than 64 KiB.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (or, for PATCH, `application/merge-patch+json`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// The body is well-formed, but some values are not acceptable; `errors` lists them.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// This server requires `If-Match` on writes (`DOWNTIME_REQUIRE_IF_MATCH`).
    #[oai(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Json<Problem>),
    /// The database or the identity provider cannot be reached. Nothing was changed.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>, #[oai(header = "Retry-After")] u32),
}

/// The errors of the operations that only read: the same problem documents as [`ApiError`],
/// without the ones a read cannot cause (412, 413, 415, 422, 428), so the spec says no more
/// than is true.
#[derive(ApiResponse, Debug)]
pub enum ReadError {
    /// A bad query parameter or cursor.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No bearer token, or an invalid one (forged, expired, for another audience…).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// The token is valid, but its owner is not a superuser.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The database or the identity provider cannot be reached.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>, #[oai(header = "Retry-After")] u32),
}

impl ApiError {
    /// 422 listing each refused field.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Invalid values",
            detail,
        );
        problem.errors = Some(errors);
        ApiError::Unprocessable(Json(problem))
    }

    /// 412, naming the current version.
    pub fn stale(current: i64) -> Self {
        ApiError::PreconditionFailed(
            Json(Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "The state changed meanwhile",
                format!(
                    "If-Match does not match the current version \"v{current}\"; fetch the state again and retry."
                ),
            )),
            crate::http::etag(current),
        )
    }

    /// 428.
    pub fn if_match_required() -> Self {
        ApiError::PreconditionRequired(Json(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "If-Match required",
            "Send If-Match with the ETag of the state you read, so concurrent changes are not lost.",
        )))
    }
}

impl ReadError {
    /// 400 with `detail`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ReadError::BadRequest(Json(Problem::from_status(StatusCode::BAD_REQUEST, detail)))
    }
}

/// The database failed: the cause is logged here, once, and never sent.
fn database_unavailable(error: &StoreError) -> Json<Problem> {
    tracing::error!(%error, "the database failed");
    Json(Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
        "Database unavailable",
        "The state cannot be read or written right now; nothing was changed. Try again shortly.",
    ))
}

/// How an authentication failure is answered, on reads and writes alike.
enum Refusal {
    Unauthorized(Json<Problem>, String),
    Forbidden(Json<Problem>),
    Unavailable(Json<Problem>),
}

impl From<AuthError> for Refusal {
    fn from(error: AuthError) -> Self {
        let problem = Json(error.problem());
        match error.challenge() {
            Some(challenge) => Refusal::Unauthorized(problem, challenge),
            None if error == AuthError::Forbidden => Refusal::Forbidden(problem),
            None => Refusal::Unavailable(problem),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match Refusal::from(error) {
            Refusal::Unauthorized(p, challenge) => ApiError::Unauthorized(p, challenge),
            Refusal::Forbidden(p) => ApiError::Forbidden(p),
            Refusal::Unavailable(p) => ApiError::Unavailable(p, RETRY_SECS),
        }
    }
}

impl From<AuthError> for ReadError {
    fn from(error: AuthError) -> Self {
        match Refusal::from(error) {
            Refusal::Unauthorized(p, challenge) => ReadError::Unauthorized(p, challenge),
            Refusal::Forbidden(p) => ReadError::Forbidden(p),
            Refusal::Unavailable(p) => ReadError::Unavailable(p, RETRY_SECS),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::Unavailable(database_unavailable(&error), RETRY_SECS)
    }
}

impl From<StoreError> for ReadError {
    fn from(error: StoreError) -> Self {
        ReadError::Unavailable(database_unavailable(&error), RETRY_SECS)
    }
}

impl From<InvalidWindow> for ApiError {
    fn from(invalid: InvalidWindow) -> Self {
        ApiError::invalid(
            invalid
                .0
                .iter()
                .map(|rule| FieldError::new(rule.field(), rule.to_string()))
                .collect(),
        )
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Conflict { current } => ApiError::stale(current),
            WriteError::Invalid(invalid) => invalid.into(),
            WriteError::Store(error) => error.into(),
        }
    }
}
