//! Creates the single-row `maintenance_state` table, seeded "off" at version 1.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MaintenanceState::Table)
                    .if_not_exists()
                    .col(integer(MaintenanceState::Id).primary_key())
                    .col(boolean(MaintenanceState::Enabled).default(false))
                    .col(string_len(MaintenanceState::Mode, 16).default("full"))
                    .col(text_null(MaintenanceState::Message))
                    .col(timestamp_with_time_zone_null(MaintenanceState::StartsAt))
                    .col(timestamp_with_time_zone_null(MaintenanceState::EndsAt))
                    .col(integer(MaintenanceState::RetryAfterSecs).default(300))
                    .col(big_integer(MaintenanceState::Version).default(1))
                    .col(string(MaintenanceState::UpdatedBy).default("migration"))
                    .col(timestamp_with_time_zone(MaintenanceState::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The row always exists, so every later change is an UPDATE guarded by its version.
        let insert = Query::insert()
            .into_table(MaintenanceState::Table)
            .columns([MaintenanceState::Id, MaintenanceState::UpdatedAt])
            .values([1.into(), Expr::current_timestamp()])
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MaintenanceState::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MaintenanceState {
    Table,
    Id,
    Enabled,
    Mode,
    Message,
    StartsAt,
    EndsAt,
    RetryAfterSecs,
    Version,
    UpdatedBy,
    UpdatedAt,
}
