//! Creates `webhook_delivery`: one row per change and webhook URL, the record of its delivery
//! and the claim that lets exactly one replica make it.
//!
//! No NOTIFY trigger, unlike the other shared tables: replicas learn of new changes from the
//! state's own trigger, and a notification per claim or attempt would only wake every
//! follower for nothing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .if_not_exists()
                    .col(string_len(WebhookDelivery::Id, 32).primary_key())
                    .col(big_integer(WebhookDelivery::AuditId))
                    .col(string_len(WebhookDelivery::Target, 64))
                    .col(text(WebhookDelivery::Endpoint))
                    .col(string_len(WebhookDelivery::Status, 16))
                    .col(integer(WebhookDelivery::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDelivery::NextAttemptAt))
                    .col(string_len_null(WebhookDelivery::ClaimedBy, 64))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::ClaimedUntil))
                    .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::DeliveredAt))
                    .col(text_null(WebhookDelivery::LastError))
                    .to_owned(),
            )
            .await?;
        // The claim on a change: replicas inserting the same delivery at once keep one row.
        // Target first, so it also answers "the newest change this URL has a row for".
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_target_audit")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::Target)
                    .col(WebhookDelivery::AuditId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // What is due: pending rows, by time.
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_due")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::Status)
                    .col(WebhookDelivery::NextAttemptAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDelivery::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    AuditId,
    Target,
    Endpoint,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedBy,
    ClaimedUntil,
    CreatedAt,
    DeliveredAt,
    LastError,
}
