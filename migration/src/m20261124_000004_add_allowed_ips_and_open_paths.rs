//! Adds the window's allowed client addresses (CIDR) and extra open paths, as JSON arrays.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [MaintenanceState::AllowedIps, MaintenanceState::OpenPaths] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MaintenanceState::Table)
                        .add_column(text(column).default("[]"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [MaintenanceState::AllowedIps, MaintenanceState::OpenPaths] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MaintenanceState::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum MaintenanceState {
    Table,
    AllowedIps,
    OpenPaths,
}
