//! Automatic certificates (ACME): one per domain, shared by every replica.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A domain's certificate, and the state of its next order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "acme_certificate")]
pub struct Model {
    /// The domain, lower case: the certificate's one name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub domain: String,
    /// The certificate chain, PEM, the domain's certificate first; `None` before the first
    /// order succeeds.
    pub chain: Option<String>,
    /// The certificate's private key, PKCS#8, sealed with the secret key.
    pub sealed_key: Option<String>,
    /// When the certificate expires.
    pub not_after: Option<ChronoDateTimeUtc>,
    /// When it was issued.
    pub issued_at: Option<ChronoDateTimeUtc>,
    /// The directory URL of the ACME server that issued it: another one configured (from
    /// staging to production, say) orders anew.
    pub directory: Option<String>,
    /// The replica ordering a certificate now, if one is.
    pub claimed_by: Option<String>,
    /// Until when that replica's claim holds.
    pub claimed_until: Option<ChronoDateTimeUtc>,
    /// Not before this may an order start: the back-off after a failure.
    pub next_attempt_at: ChronoDateTimeUtc,
    /// Orders failed in a row.
    pub failures: i32,
    /// What the last failed order said.
    pub last_error: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
