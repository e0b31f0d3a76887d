//! Adds how long a hold window keeps a request waiting (30 seconds unless a window says otherwise).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MaintenanceState::Table)
                    .add_column(integer(MaintenanceState::HoldTimeoutSecs).default(30))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MaintenanceState::Table)
                    .drop_column(MaintenanceState::HoldTimeoutSecs)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum MaintenanceState {
    Table,
    HoldTimeoutSecs,
}
