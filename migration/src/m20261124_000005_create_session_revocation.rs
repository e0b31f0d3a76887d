//! Creates `session_revocation`: sessions ended by logout, refused by every replica until their
//! cookies would have expired.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SessionRevocation::Table)
                    .if_not_exists()
                    .col(string_len(SessionRevocation::SessionId, 64).primary_key())
                    .col(timestamp_with_time_zone(SessionRevocation::ExpiresAt))
                    .col(timestamp_with_time_zone(SessionRevocation::RevokedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SessionRevocation::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SessionRevocation {
    Table,
    SessionId,
    ExpiresAt,
    RevokedAt,
}
