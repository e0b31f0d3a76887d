//! Lets `webhook_delivery` carry every event of the timeline, not only changes: a row is now
//! one event (`event`, and `event_key`, the same on every replica) sent to one URL, with the
//! body fixed when it was recorded (`body`) for events the audit log cannot rebuild (a window
//! that started or ended by the clock). A change's key is `maintenance.changed:<audit id>`.
//!
//! Rows due are now `queued` rather than `pending`, and the unique index moves from
//! (target, change) to (target, event key): a replica of an earlier version, still running
//! during an upgrade, finds nothing to send and cannot record, so it sends nothing twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            string_len(WebhookDelivery::Event, 40)
                .default("maintenance.changed")
                .to_owned(),
            string_len(WebhookDelivery::EventKey, 120)
                .default("")
                .to_owned(),
            text_null(WebhookDelivery::Body).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WebhookDelivery::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE webhook_delivery \
             SET event_key = 'maintenance.changed:' || CAST(audit_id AS TEXT)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE webhook_delivery SET status = 'queued' WHERE status = 'pending'",
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("webhook_delivery_target_audit")
                    .table(WebhookDelivery::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_target_event")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::Target)
                    .col(WebhookDelivery::EventKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // "The newest change this URL has a row for".
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_target_change")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::Target)
                    .col(WebhookDelivery::AuditId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM webhook_delivery WHERE event <> 'maintenance.changed'")
            .await?;
        db.execute_unprepared(
            "UPDATE webhook_delivery SET status = 'pending' WHERE status = 'queued'",
        )
        .await?;
        for name in [
            "webhook_delivery_target_event",
            "webhook_delivery_target_change",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(WebhookDelivery::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_target_audit")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::Target)
                    .col(WebhookDelivery::AuditId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for column in [
            WebhookDelivery::Event,
            WebhookDelivery::EventKey,
            WebhookDelivery::Body,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WebhookDelivery::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDelivery {
    Table,
    AuditId,
    Target,
    Event,
    EventKey,
    Body,
}
