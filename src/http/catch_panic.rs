//! [`CatchPanic`]: a panic while answering one request becomes that request's 500, not a
//! dropped connection.

use std::panic::{self, AssertUnwindSafe};

use futures_util::FutureExt as _;
use futures_util::future::{self, Either};
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

/// Answers 500 when the inner endpoint panics, whether in the part of `call` that runs before
/// its future exists or while the future is polled.
///
/// Poem's own `CatchPanic` is an `async fn`, which keeps a copy of the request beside the
/// inner future for the whole request (hyper keeps room for that future on every connection),
/// and does not catch a panic in the inner `call` itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct CatchPanic;

impl<E: Endpoint> Middleware<E> for CatchPanic {
    type Output = CatchPanicEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CatchPanicEndpoint { inner }
    }
}

/// The endpoint [`CatchPanic`] makes.
pub struct CatchPanicEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for CatchPanicEndpoint<E> {
    type Output = Response;

    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        // The endpoint is only borrowed and the request is consumed, so a panic leaves nothing
        // half-changed that a later request could see.
        match panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(inner) => {
                Either::Left(
                    AssertUnwindSafe(inner)
                        .catch_unwind()
                        .map(|caught| match caught {
                            Ok(result) => result.map(IntoResponse::into_response),
                            Err(_) => Ok(panicked()),
                        }),
                )
            }
            Err(_) => Either::Right(future::ready(Ok(panicked()))),
        }
    }
}

/// The answer to a request whose handling panicked (the panic hook has already printed where).
fn panicked() -> Response {
    tracing::error!("answering a request panicked: 500 Internal Server Error");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

#[cfg(test)]
mod tests {
    use poem::test::TestClient;
    use poem::{EndpointExt as _, Route, get, handler};

    use super::*;

    #[handler]
    fn fine() -> &'static str {
        "fine"
    }

    #[handler]
    async fn panics_while_polled() -> &'static str {
        panic!("a handler's bug")
    }

    /// Panics in `call` itself, before any future exists.
    struct PanicsInCall;

    impl Endpoint for PanicsInCall {
        type Output = Response;

        fn call(&self, _: Request) -> impl Future<Output = poem::Result<Response>> + Send {
            panic!("a bug before the future");
            #[expect(unreachable_code, reason = "the type the signature asks for")]
            async {
                Ok(Response::default())
            }
        }
    }

    #[tokio::test]
    async fn a_panic_while_polled_becomes_a_500_and_the_next_request_is_answered() {
        let app = Route::new()
            .at("/fine", get(fine))
            .at("/panics", get(panics_while_polled))
            .with(CatchPanic);
        let client = TestClient::new(app);
        client
            .get("/panics")
            .send()
            .await
            .assert_status(StatusCode::INTERNAL_SERVER_ERROR);
        let resp = client.get("/fine").send().await;
        resp.assert_status_is_ok();
        resp.assert_text("fine").await;
    }

    #[tokio::test]
    async fn a_panic_in_call_itself_becomes_a_500() {
        let client = TestClient::new(PanicsInCall.with(CatchPanic));
        client
            .get("/")
            .send()
            .await
            .assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    }
}
