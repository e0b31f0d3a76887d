//! SeaORM migrations for downtime; [`Migrator`] runs them in order, at start or with `downtime migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_maintenance_state;
mod m20261124_000002_create_maintenance_audit;
mod m20261124_000003_create_auth_tables;
mod m20261124_000004_add_allowed_ips_and_open_paths;
mod m20261124_000005_create_session_revocation;
mod m20261124_000006_notify_changes;
mod m20261124_000007_add_status_code;
mod m20261124_000008_add_scope;
mod m20261124_000009_create_bypass_link;
mod m20261124_000010_create_webhook_delivery;
mod m20261203_000011_create_site_setting;
mod m20261203_000012_add_hold_timeout;
mod m20261203_000013_webhook_events;
mod m20261204_000014_create_acme;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_maintenance_state::Migration),
            Box::new(m20261124_000002_create_maintenance_audit::Migration),
            Box::new(m20261124_000003_create_auth_tables::Migration),
            Box::new(m20261124_000004_add_allowed_ips_and_open_paths::Migration),
            Box::new(m20261124_000005_create_session_revocation::Migration),
            Box::new(m20261124_000006_notify_changes::Migration),
            Box::new(m20261124_000007_add_status_code::Migration),
            Box::new(m20261124_000008_add_scope::Migration),
            Box::new(m20261124_000009_create_bypass_link::Migration),
            Box::new(m20261124_000010_create_webhook_delivery::Migration),
            Box::new(m20261203_000011_create_site_setting::Migration),
            Box::new(m20261203_000012_add_hold_timeout::Migration),
            Box::new(m20261203_000013_webhook_events::Migration),
            Box::new(m20261204_000014_create_acme::Migration),
        ]
    }
}
