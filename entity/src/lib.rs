//! SeaORM entities for downtime's tables: plain data, no behaviour.

pub mod acme_account;
pub mod acme_certificate;
pub mod acme_challenge;
pub mod bypass_link;
pub mod maintenance_audit;
pub mod maintenance_state;
pub mod server_secret;
pub mod session_revocation;
pub mod site_setting;
pub mod superuser;
pub mod webhook_delivery;
