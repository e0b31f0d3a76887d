//! `/api/maintenance/bypass`: bypass links for people without an account, for superusers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTags;
use super::error::{ApiError, ReadError};
use super::security::ApiAuth;
use crate::bypass::{BypassError, BypassLink, BypassLinks, LinkRequest, LinkStatus};
use crate::http::SiteUrls;
use crate::http::{FieldError, Problem};
use crate::state::StoreError;

/// Whether a link lets anyone in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[oai(rename = "BypassLinkStatus", rename_all = "snake_case")]
pub enum ApiLinkStatus {
    /// It does, until `expires_at`.
    Active,
    /// Its time is over.
    Expired,
    /// Someone revoked it.
    Revoked,
}

impl From<LinkStatus> for ApiLinkStatus {
    fn from(status: LinkStatus) -> Self {
        match status {
            LinkStatus::Active => ApiLinkStatus::Active,
            LinkStatus::Expired => ApiLinkStatus::Expired,
            LinkStatus::Revoked => ApiLinkStatus::Revoked,
        }
    }
}

/// A bypass link, without its secret (which exists only in the URL given at creation).
#[derive(Clone, Debug, Object)]
#[oai(rename = "BypassLink")]
pub struct LinkView {
    /// The link's id, to revoke it.
    pub id: String,
    /// What it is for.
    #[oai(skip_serializing_if_is_none)]
    pub label: Option<String>,
    /// Whether it lets anyone in now.
    pub status: ApiLinkStatus,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops letting anyone in.
    pub expires_at: DateTime<Utc>,
    /// Who revoked it.
    #[oai(skip_serializing_if_is_none)]
    pub revoked_by: Option<String>,
    /// When.
    #[oai(skip_serializing_if_is_none)]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl LinkView {
    fn new(link: BypassLink, now: DateTime<Utc>) -> Self {
        LinkView {
            status: link.status(now).into(),
            id: link.id,
            label: link.label,
            created_by: link.created_by,
            created_at: link.created_at,
            expires_at: link.expires_at,
            revoked_by: link.revoked_by,
            revoked_at: link.revoked_at,
        }
    }
}

/// A new bypass link.
#[derive(Clone, Debug, Object)]
#[oai(rename = "BypassLinkCreate", deny_unknown_fields, example)]
pub struct LinkCreate {
    /// How long the link lasts, in seconds (at most 30 days).
    pub ttl: u32,
    /// What it is for, such as who it was sent to (one line).
    pub label: Option<String>,
    /// Where the link leads on this site (a path such as `/checkout`; default: the home page).
    pub next: Option<String>,
}

impl Example for LinkCreate {
    fn example() -> Self {
        LinkCreate {
            ttl: 7200,
            label: Some("QA: checkout fix".into()),
            next: Some("/checkout".into()),
        }
    }
}

/// A bypass link just created, with the URL to share: the only time it is shown.
#[derive(Clone, Debug, Object)]
#[oai(rename = "NewBypassLink")]
pub struct NewLinkView {
    /// Opening this URL lets the browser past the gate until the link expires or is revoked.
    /// Share it like a password.
    pub url: String,
    /// The link as it will be listed.
    pub link: LinkView,
}

/// Bypass links, newest first.
#[derive(Clone, Debug, Object)]
#[oai(rename = "BypassLinkList")]
pub struct LinkList {
    /// Active links, and expired or revoked ones from the last 90 days.
    pub items: Vec<LinkView>,
}

/// The new link.
#[derive(ApiResponse)]
pub enum CreateResponse {
    /// Created; `url` is the link to share.
    #[oai(status = 201)]
    Created(Json<NewLinkView>, #[oai(header = "Cache-Control")] String),
}

/// The links on record.
#[derive(ApiResponse)]
pub enum ListResponse {
    /// Newest first.
    #[oai(status = 200)]
    Ok(Json<LinkList>, #[oai(header = "Cache-Control")] String),
}

/// The link is revoked.
#[derive(ApiResponse)]
pub enum RevokeResponse {
    /// Revoked (or it already was): it lets nobody in any more, on any replica.
    #[oai(status = 200)]
    Ok(Json<LinkView>),
}

/// The bypass-link operations.
pub struct BypassApi;

#[OpenApi(tag = "ApiTags::Maintenance")]
impl BypassApi {
    /// List bypass links
    ///
    /// Active links, and expired or revoked ones from the last 90 days, with who created and
    /// revoked each. Secrets are never shown again.
    #[oai(
        path = "/maintenance/bypass",
        method = "get",
        operation_id = "listBypassLinks"
    )]
    async fn list(
        &self,
        _superuser: ApiAuth,
        links: Data<&BypassLinks>,
    ) -> Result<ListResponse, ReadError> {
        let now = Utc::now();
        let items = links
            .list()
            .await
            .map_err(StoreError::from)?
            .into_iter()
            .map(|link| LinkView::new(link, now))
            .collect();
        Ok(ListResponse::Ok(
            Json(LinkList { items }),
            "no-store".into(),
        ))
    }

    /// Create a bypass link
    ///
    /// A secret URL for someone without an account (a tester, a client checking a fix): opening
    /// it sets a cookie that lets the browser past the gate until `ttl` runs out or the link is
    /// revoked. Its holder is no superuser: this API still refuses them. Recorded with your
    /// identity.
    #[oai(
        path = "/maintenance/bypass",
        method = "post",
        operation_id = "createBypassLink"
    )]
    async fn create(
        &self,
        auth: ApiAuth,
        links: Data<&BypassLinks>,
        urls: Data<&SiteUrls>,
        body: Json<LinkCreate>,
    ) -> Result<CreateResponse, ApiError> {
        let request = LinkRequest {
            ttl: Duration::from_secs(body.0.ttl.into()),
            label: body.0.label,
            next: body.0.next,
        };
        let new = links.create(request, &auth.principal().actor()).await?;
        let url = new.url(&urls.own(""));
        Ok(CreateResponse::Created(
            Json(NewLinkView {
                url,
                link: LinkView::new(new.link, Utc::now()),
            }),
            "no-store".into(),
        ))
    }

    /// Revoke a bypass link
    ///
    /// The link, and every cookie it set, stop letting anyone in, on every replica. Recorded
    /// with your identity.
    #[oai(
        path = "/maintenance/bypass/:id",
        method = "delete",
        operation_id = "revokeBypassLink"
    )]
    async fn revoke(
        &self,
        auth: ApiAuth,
        links: Data<&BypassLinks>,
        /// The link's id, as listed.
        id: Path<String>,
    ) -> Result<RevokeResponse, ApiError> {
        let link = links.revoke(&id.0, &auth.principal().actor()).await?;
        Ok(RevokeResponse::Ok(Json(LinkView::new(link, Utc::now()))))
    }
}

impl From<BypassError> for ApiError {
    fn from(error: BypassError) -> Self {
        match error {
            BypassError::Invalid { field, message } => {
                ApiError::invalid(vec![FieldError::new(field, message)])
            }
            BypassError::NotFound(id) => ApiError::NotFound(Json(Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "No such bypass link",
                format!("No bypass link has the id {id:?}."),
            ))),
            BypassError::Database(error) => StoreError::from(error).into(),
        }
    }
}
