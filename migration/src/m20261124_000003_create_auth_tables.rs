//! Creates `superuser` (principals allowed through the gate and into the API) and
//! `server_secret` (keys generated once and shared by every replica).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Superuser::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Superuser::Id))
                    .col(string_len(Superuser::Kind, 16))
                    // Empty unless kind = subject: NULLs would not collide in the unique index.
                    .col(string(Superuser::Issuer).default(""))
                    .col(string(Superuser::Value))
                    .col(string(Superuser::AddedBy))
                    .col(timestamp_with_time_zone(Superuser::AddedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("superuser_kind_issuer_value")
                    .table(Superuser::Table)
                    .col(Superuser::Kind)
                    .col(Superuser::Issuer)
                    .col(Superuser::Value)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServerSecret::Table)
                    .if_not_exists()
                    .col(string_len(ServerSecret::Name, 64).primary_key())
                    .col(text(ServerSecret::Value))
                    .col(timestamp_with_time_zone(ServerSecret::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerSecret::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Superuser::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Superuser {
    Table,
    Id,
    Kind,
    Issuer,
    Value,
    AddedBy,
    AddedAt,
}

#[derive(DeriveIden)]
enum ServerSecret {
    Table,
    Name,
    Value,
    CreatedAt,
}
