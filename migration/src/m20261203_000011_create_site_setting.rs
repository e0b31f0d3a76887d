//! Creates `site_setting`: what the servers say about the site, for the CLI to read (the
//! public URL the latest server started with, for the links `downtime bypass create` prints).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SiteSetting::Table)
                    .if_not_exists()
                    .col(string_len(SiteSetting::Name, 64).primary_key())
                    .col(text(SiteSetting::Value))
                    .col(timestamp_with_time_zone(SiteSetting::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SiteSetting::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SiteSetting {
    Table,
    Name,
    Value,
    UpdatedAt,
}
