//! `GET /auth/bypass?token=…`: where a bypass link leads.

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};

use super::BypassLinks;
use crate::http::{Problem, local_location, query_param};

/// Opens a bypass link: sets its cookie and redirects to the local `next` path, or home. An
/// unknown, expired or revoked link gets 403 and no cookie, whatever the reason (the answer
/// says nothing an attacker could use).
#[handler]
pub async fn visit(req: &Request, links: Data<&BypassLinks>) -> Response {
    let opened = match query_param(req, "token") {
        Some(token) => links.open(&token).await,
        None => Ok(None),
    };
    match opened {
        Ok(Some((link, cookie))) => {
            tracing::info!(target: "downtime::bypass", id = %link.id, client = %req.remote_addr(), "bypass link opened");
            let location = query_param(req, "next")
                .and_then(|next| local_location(&next))
                .and_then(|next| HeaderValue::try_from(next).ok())
                .unwrap_or(HeaderValue::from_static("/"));
            Response::builder()
                .status(StatusCode::FOUND)
                .header(header::LOCATION, location)
                .header(header::SET_COOKIE, cookie)
                .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
                // The URL holds the secret: no page it leads to learns it.
                .header(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                )
                .finish()
        }
        Ok(None) => {
            tracing::info!(target: "downtime::bypass", client = %req.remote_addr(), "bypass link refused");
            Problem::new(
                StatusCode::FORBIDDEN,
                "bypass_link_invalid",
                "This link does not open the site",
                "The link is unknown, has expired or was revoked. Ask whoever sent it for a new one.",
            )
            .into_response()
        }
        Err(error) => {
            tracing::error!(target: "downtime::bypass", %error, "cannot read the bypass links");
            let mut resp = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "Try again shortly",
                "The link cannot be checked right now.",
            )
            .into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            resp
        }
    }
}
