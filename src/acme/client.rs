//! How the ACME client reaches its server: the same hyper and rustls as TLS to the upstream,
//! trusting the same roots and `--acme-ca`, every request bounded by a timeout.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use instant_acme::{BodyWrapper, BytesResponse, Error, HttpClient};

/// How long one request to the ACME server may take, to its response's head.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTPS client for the ACME server. Cheap to clone.
#[derive(Clone)]
pub(super) struct Client(HyperClient<HttpsConnector<HttpConnector>, BodyWrapper<Bytes>>);

impl Client {
    /// Trusting the usual roots and `ca_file`'s.
    ///
    /// # Errors
    /// `ca_file` cannot be read or holds no certificate.
    pub(super) fn new(ca_file: Option<&Path>) -> anyhow::Result<Self> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(REQUEST_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::http::client_tls::client_config(
                ca_file,
                "--acme-ca",
            )?)
            .https_only()
            .enable_http1()
            .wrap_connector(http);
        Ok(Client(
            HyperClient::builder(TokioExecutor::new()).build(https),
        ))
    }
}

impl HttpClient for Client {
    fn request(
        &self,
        req: hyper::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, Error>> + Send>> {
        let response = tokio::time::timeout(REQUEST_TIMEOUT, self.0.request(req));
        Box::pin(async move {
            match response.await {
                Ok(Ok(response)) => Ok(BytesResponse::from(response)),
                Ok(Err(error)) => Err(Error::Other(Box::new(error))),
                Err(_) => Err(Error::Str("the ACME server did not answer in time")),
            }
        })
    }
}
