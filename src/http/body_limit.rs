//! [`BodyLimit`]: one limit on the size of request bodies, enforced before anything reads them.

use futures_util::TryFutureExt as _;
use futures_util::future::Either;
use poem::http::{Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};

/// The default limit: 64 KiB, far more than any form or API document of ours needs.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// Refuses bodies over `max` bytes with 413, whether or not they announce their length: a
/// `Content-Length` over the limit is refused before a byte is read, and a chunked body is cut
/// off as soon as it goes over, so memory stays bounded by the limit.
///
/// # Errors
/// 413 for a body that is too large, 400 for one that breaks off; both as `poem::Error`, so
/// the routes' error handling renders them (a problem document on the API).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit {
    max: usize,
}

impl BodyLimit {
    /// A limit of `max` bytes.
    pub fn new(max: usize) -> Self {
        BodyLimit { max }
    }
}

impl Default for BodyLimit {
    fn default() -> Self {
        BodyLimit::new(DEFAULT_MAX_BODY_BYTES)
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max: self.max,
        }
    }
}

/// The endpoint [`BodyLimit`] makes.
pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    // Not an `async fn`: reads, which have no body to limit, go straight to the inner future,
    // and the rarer writes, which read their body first, get a future of their own.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
            Either::Left(self.inner.call(req).map_ok(IntoResponse::into_response))
        } else {
            Either::Right(Box::pin(self.limited(req)))
        }
    }
}

impl<E: Endpoint> BodyLimitEndpoint<E> {
    async fn limited(&self, mut req: Request) -> poem::Result<Response> {
        let max = self.max;
        let too_large = || {
            poem::Error::from_string(
                format!("the body is larger than {max} bytes"),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
        };
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let body = req
            .take_body()
            .into_bytes_limit(max)
            .await
            .map_err(|e| match e {
                poem::error::ReadBodyError::PayloadTooLarge => too_large(),
                other => poem::Error::from_string(other.to_string(), StatusCode::BAD_REQUEST),
            })?;
        req.set_body(Body::from_bytes(body));
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::test::TestClient;
    use poem::{EndpointExt, handler, post};

    #[handler]
    async fn echo(body: Vec<u8>) -> String {
        body.len().to_string()
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_announced_or_not() {
        let client = TestClient::new(post(echo).with(BodyLimit::new(10)));
        let ok = client.post("/").body("0123456789").send().await;
        ok.assert_status_is_ok();
        ok.assert_text("10").await;
        client
            .post("/")
            .body("0123456789x")
            .send()
            .await
            .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
        let chunked = Body::from_bytes_stream(futures_util::stream::iter(
            (0..4).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"abcd"))),
        ));
        client
            .post("/")
            .body(chunked)
            .send()
            .await
            .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    }
}
