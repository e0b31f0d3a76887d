//! Creates the append-only `maintenance_audit` table.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MaintenanceAudit::Table)
                    .if_not_exists()
                    .col(big_pk_auto(MaintenanceAudit::Id))
                    .col(big_integer(MaintenanceAudit::Version))
                    .col(string(MaintenanceAudit::Actor))
                    .col(text_null(MaintenanceAudit::Reason))
                    .col(timestamp_with_time_zone(MaintenanceAudit::At))
                    .col(json(MaintenanceAudit::Before))
                    .col(json(MaintenanceAudit::After))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MaintenanceAudit::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MaintenanceAudit {
    Table,
    Id,
    Version,
    Actor,
    Reason,
    At,
    Before,
    After,
}
