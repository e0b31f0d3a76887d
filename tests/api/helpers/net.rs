//! Sockets and HTTP clients for tests that go over the network.

use std::net::SocketAddr;

/// An address nothing listens on: a port reserved by binding, then released at once. Bind it
/// again for a server, or connect to it to be refused.
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
}

/// An HTTP client that does not follow redirects: tests look at each one.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}
