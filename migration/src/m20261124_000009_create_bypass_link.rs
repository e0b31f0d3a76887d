//! Creates `bypass_link`: secret links that let testers past the gate, stored hashed, with who
//! created and revoked each. On PostgreSQL, changes notify the replicas like the other shared
//! tables, so a revocation counts everywhere at once.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

// `downtime_notify_table()` comes from the notifications migration.
const NOTIFY: &str =
    "CREATE TRIGGER downtime_notify AFTER INSERT OR UPDATE OR DELETE ON bypass_link
    FOR EACH STATEMENT EXECUTE FUNCTION downtime_notify_table();";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BypassLink::Table)
                    .if_not_exists()
                    .col(string_len(BypassLink::Id, 32).primary_key())
                    .col(string_len(BypassLink::TokenHash, 64))
                    .col(text_null(BypassLink::Label))
                    .col(text(BypassLink::CreatedBy))
                    .col(timestamp_with_time_zone(BypassLink::CreatedAt))
                    .col(timestamp_with_time_zone(BypassLink::ExpiresAt))
                    .col(text_null(BypassLink::RevokedBy))
                    .col(timestamp_with_time_zone_null(BypassLink::RevokedAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(NOTIFY).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BypassLink::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum BypassLink {
    Table,
    Id,
    TokenHash,
    Label,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedBy,
    RevokedAt,
}
