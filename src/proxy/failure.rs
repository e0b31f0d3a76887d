//! What a client gets when the upstream gives no usable answer.

use std::sync::atomic::Ordering;
use std::time::Duration;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};

use super::forward::Asker;
use super::limits::Refused;
use super::{Inner, UpstreamError};
use crate::gate::decision::wants_html;
use crate::http::Problem;

impl Inner {
    /// The upstream's own `host[:port]`, as `Host` when the client named none.
    pub(super) fn url_host(&self) -> HeaderValue {
        HeaderValue::from_str(self.url.authority().as_str())
            .unwrap_or_else(|_| HeaderValue::from_static("localhost"))
    }

    pub(super) fn maintenance_on(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|live| live.load().is_active())
    }

    /// The answer to a request that got none from the upstream: the unreachable page for
    /// browsers, a problem document for the rest, in the asker's language; never cached.
    pub(super) fn answer(&self, failure: Failure, asker: &Asker) -> Response {
        let count = |kind: UpstreamError| {
            self.errors[kind as usize].fetch_add(1, Ordering::Relaxed);
        };
        let (status, code, retry_after) = match failure {
            Failure::Unreachable(error) => {
                count(UpstreamError::Unreachable);
                tracing::warn!(target: "downtime::proxy", %error, "upstream unreachable");
                (StatusCode::BAD_GATEWAY, "upstream_unreachable", None)
            }
            Failure::Timeout(after) => {
                count(UpstreamError::Timeout);
                tracing::warn!(target: "downtime::proxy", ?after, "upstream timed out");
                (StatusCode::BAD_GATEWAY, "upstream_timeout", None)
            }
            Failure::BadAnswer(error) => {
                count(UpstreamError::BadAnswer);
                tracing::warn!(target: "downtime::proxy", %error, "bad answer from the upstream");
                (StatusCode::BAD_GATEWAY, "bad_gateway", None)
            }
            Failure::Upstream(status, retry_after) => {
                count(UpstreamError::ErrorStatus);
                tracing::warn!(target: "downtime::proxy", status = status.as_u16(), "the upstream answered with an error");
                let ours = if status == StatusCode::SERVICE_UNAVAILABLE {
                    status
                } else {
                    StatusCode::BAD_GATEWAY
                };
                (ours, "upstream_error", retry_after)
            }
            other => return other.into_response(),
        };
        let asked = asker.headers();
        let pages = &*self.pages;
        let choice = pages.language(&asker.uri, &asked);
        let html = wants_html(asker.uri.path(), &asked, &self.json_paths);
        let mut resp = if html {
            Response::builder()
                .status(status)
                .content_type("text/html; charset=utf-8")
                .body(pages.unreachable(choice.index).clone())
        } else {
            pages
                .unreachable_problem(choice.index, status, code)
                .into_response()
        };
        let headers = resp.headers_mut();
        pages.visitor_headers(headers, choice, html);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                retry_after.unwrap_or(HeaderValue::from_static("30")),
            );
        }
        resp
    }
}

/// Why a request got no answer from the upstream.
#[derive(Debug)]
pub(super) enum Failure {
    /// `CONNECT`: this is a reverse proxy, not a tunnel.
    ConnectMethod,
    /// The body is over the limit (bytes).
    TooLarge(usize),
    /// The body came too slowly (`--body-timeout`, `--body-min-rate`).
    SlowBody,
    /// No upstream connection could be had for the request.
    Refused(Refused),
    /// No connection (refused, unknown host, connect timeout, TLS failure).
    Unreachable(String),
    /// No response headers in time.
    Timeout(Duration),
    /// The upstream answered something that is not HTTP, or closed the connection.
    BadAnswer(String),
    /// The upstream answered 502, 503 or 504 (with its `Retry-After`).
    Upstream(StatusCode, Option<HeaderValue>),
}

/// The answers that need no page: the request itself was refused.
impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            Failure::ConnectMethod => (
                StatusCode::METHOD_NOT_ALLOWED,
                "CONNECT is not forwarded.".to_owned(),
            ),
            Failure::TooLarge(max) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The body is larger than {max} bytes."),
            ),
            Failure::SlowBody => (
                StatusCode::REQUEST_TIMEOUT,
                "The request body came too slowly.".to_owned(),
            ),
            Failure::Refused(refused) => {
                let (status, detail) = match refused {
                    Refused::Client => (
                        StatusCode::TOO_MANY_REQUESTS,
                        "Too many requests from this address are in progress.",
                    ),
                    Refused::Busy => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The site is too busy to take this request now.",
                    ),
                };
                // A slot frees as soon as a request in flight ends: try again shortly.
                let mut resp = Problem::from_status(status, detail).into_response();
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return resp;
            }
            Failure::Unreachable(_)
            | Failure::Timeout(_)
            | Failure::BadAnswer(_)
            | Failure::Upstream(..) => (
                StatusCode::BAD_GATEWAY,
                "The site behind this server cannot be reached.".to_owned(),
            ),
        };
        Problem::from_status(status, detail).into_response()
    }
}

/// An error and its causes on one line, for the log.
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
