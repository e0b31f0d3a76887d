//! RFC 9457 problem documents for errors outside the gate.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use serde::Serialize;

/// An `application/problem+json` answer with a stable `code`.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// A URI naming the problem type (`urn:downtime:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, for this request.
    pub detail: String,
    /// The stable machine-readable code.
    pub code: &'static str,
}

impl Problem {
    /// A problem with `status`, a stable `code`, a `title` and a `detail`.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            kind: format!("urn:downtime:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            code,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
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
