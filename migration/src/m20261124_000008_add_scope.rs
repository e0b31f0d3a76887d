//! Adds the window's scope: the only path prefixes it closes, as a JSON array (empty: the
//! whole site).

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
                    .add_column(text(MaintenanceState::Scope).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MaintenanceState::Table)
                    .drop_column(MaintenanceState::Scope)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum MaintenanceState {
    Table,
    Scope,
}
