//! The control API's writes to the maintenance state (`PUT` and `PATCH /api/maintenance`),
//! counted by result for `/metrics`, whatever refused them: the token check, validation, the
//! version check or the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use poem::http::{Method, StatusCode};
use poem::{Endpoint, Request, Response, Result};
use strum::{EnumCount, IntoStaticStr, VariantArray};

/// How a write ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumCount, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum WriteResult {
    /// Applied.
    Ok,
    /// Refused as sent: malformed, too large, the wrong media type, values out of bounds,
    /// or `If-Match` missing where it is required (400, 413, 415, 422, 428).
    Invalid,
    /// `If-Match` named a version that is no longer current (412).
    Conflict,
    /// No token, or an invalid one (401).
    Unauthorized,
    /// A valid token of someone who is not a superuser (403).
    Forbidden,
    /// The database or the identity provider was away (503).
    Unavailable,
    /// Any other answer.
    Error,
}

impl WriteResult {
    /// Its name, as metrics and the log spell it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The result an answer's status stands for (see the API's documented errors).
    pub fn of(status: StatusCode) -> Self {
        match status.as_u16() {
            200..=299 => WriteResult::Ok,
            400 | 413 | 415 | 422 | 428 => WriteResult::Invalid,
            412 => WriteResult::Conflict,
            401 => WriteResult::Unauthorized,
            403 => WriteResult::Forbidden,
            503 => WriteResult::Unavailable,
            _ => WriteResult::Error,
        }
    }
}

/// The writes counted so far, by result.
#[derive(Debug, Default)]
pub struct WriteStats {
    counts: [AtomicU64; WriteResult::COUNT],
}

impl WriteStats {
    /// Writes that ended with `result` so far.
    pub fn count(&self, result: WriteResult) -> u64 {
        self.counts[result as usize].load(Ordering::Relaxed)
    }

    fn record(&self, result: WriteResult) {
        self.counts[result as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts the writes reaching `inner` (the API mounted at its `/api`, so the state is at
/// `/maintenance`) by the status they are answered with.
pub(super) struct CountWrites<E> {
    pub(super) inner: E,
    pub(super) stats: Arc<WriteStats>,
}

impl<E: Endpoint<Output = Response>> Endpoint for CountWrites<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let is_write = matches!(*req.method(), Method::PUT | Method::PATCH)
            && req.uri().path() == "/maintenance";
        if !is_write {
            return self.inner.call(req).await;
        }
        let answer = self.inner.call(req).await;
        let status = match &answer {
            Ok(resp) => resp.status(),
            Err(error) => error.status(),
        };
        self.stats.record(WriteResult::of(status));
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_results() {
        let cases = [
            (200, WriteResult::Ok),
            (400, WriteResult::Invalid),
            (413, WriteResult::Invalid),
            (422, WriteResult::Invalid),
            (428, WriteResult::Invalid),
            (412, WriteResult::Conflict),
            (401, WriteResult::Unauthorized),
            (403, WriteResult::Forbidden),
            (503, WriteResult::Unavailable),
            (500, WriteResult::Error),
            (404, WriteResult::Error),
        ];
        for (status, expected) in cases {
            let status = StatusCode::from_u16(status).expect("status");
            assert_eq!(WriteResult::of(status), expected, "{status}");
        }
        let names: Vec<&str> = WriteResult::VARIANTS.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "ok",
                "invalid",
                "conflict",
                "unauthorized",
                "forbidden",
                "unavailable",
                "error"
            ]
        );
    }
}
