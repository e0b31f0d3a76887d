//! RFC 9457 problem documents: the body of every error this crate sends as JSON, the gate's
//! maintenance answers included.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::Serialize;

/// A problem document (RFC 9457), served as `application/problem+json`.
#[derive(Clone, Debug, Serialize, Object)]
#[oai(rename = "Problem")]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:downtime:problem:<code>`.
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// A stable, machine-readable code (`unauthenticated`, `validation_failed`…).
    pub code: String,
    /// For `validation_failed`: each field that was refused, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldError>>,
    /// Extension members (RFC 9457 §3.2) for answers outside the control API, such as the
    /// maintenance window's details in the gate's answer; not part of the API's schema.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    #[oai(skip)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// One refused field of a request body.
#[derive(Clone, Debug, Serialize, Object)]
pub struct FieldError {
    /// The field, as a JSON path such as `message` or `allowed_ips[2]`.
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

impl FieldError {
    /// A refusal of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Problem {
    /// A problem with `status`, a stable `code`, a `title` and a `detail`.
    pub fn new(
        status: StatusCode,
        code: &str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            kind: format!("urn:downtime:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: None,
            extensions: serde_json::Map::new(),
        }
    }

    /// The problem for an error Poem or poem-openapi raised before a handler ran (a body that
    /// is not JSON, an unknown route…): its status, a stable code, and its message.
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Self {
        let (code, title) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "Malformed request"),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "Authentication required"),
            StatusCode::FORBIDDEN => ("forbidden", "Superusers only"),
            StatusCode::NOT_FOUND => ("not_found", "Not found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method not allowed"),
            StatusCode::REQUEST_TIMEOUT => ("request_timeout", "Request body too slow"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Request body too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "Unsupported content type")
            }
            StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "Too many requests"),
            StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "Service unavailable"),
            s if s.is_client_error() => ("bad_request", "Bad request"),
            _ => ("internal", "Internal error"),
        };
        Problem::new(status, code, title, detail)
    }
}

impl Problem {
    /// The document as JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain strings, numbers and maps: serialising cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.to_bytes();
        Response::builder()
            .status(status)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )
            .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
            .body(body)
    }
}

/// Turns any error that escaped the handlers into a problem document, keeping answers that
/// already are one. A 401 without a challenge gets `WWW-Authenticate: Bearer`.
pub fn from_error(err: poem::Error) -> Response {
    let detail = err.to_string();
    let resp = err.into_response();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return resp;
    }
    let status = resp.status();
    if status.is_server_error() {
        tracing::error!(%status, error = %detail, "request failed");
    }
    let detail = if status.is_server_error() {
        "The server could not complete the request.".into()
    } else {
        detail
    };
    let mut problem = Problem::from_status(status, detail).into_response();
    if status == StatusCode::UNAUTHORIZED {
        problem.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"downtime\""),
        );
    }
    problem
}
