//! On PostgreSQL, every committed change to the shared tables sends a notification on channel
//! `downtime_changed`, whoever made it (a replica, the CLI, an operator's own SQL): replicas
//! listening reload at once instead of waiting for their next poll. The payload is
//! `state:<version>` for the state, else the table's name. SQLite has no such thing; replicas
//! there watch the file's data version instead.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

// Replicas migrating at once are queued by the lock downtime takes around all migrations.
const UP: &str = r#"
CREATE OR REPLACE FUNCTION downtime_notify_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('downtime_changed', 'state:' || NEW.version);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION downtime_notify_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('downtime_changed', TG_TABLE_NAME);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS downtime_notify ON maintenance_state;
-- A writer's first statement rewrites the version unchanged to take the row lock: no news.
CREATE TRIGGER downtime_notify AFTER UPDATE ON maintenance_state
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION downtime_notify_state();

DROP TRIGGER IF EXISTS downtime_notify ON superuser;
CREATE TRIGGER downtime_notify AFTER INSERT OR UPDATE OR DELETE ON superuser
    FOR EACH STATEMENT EXECUTE FUNCTION downtime_notify_table();

DROP TRIGGER IF EXISTS downtime_notify ON session_revocation;
CREATE TRIGGER downtime_notify AFTER INSERT ON session_revocation
    FOR EACH STATEMENT EXECUTE FUNCTION downtime_notify_table();
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS downtime_notify ON maintenance_state;
DROP TRIGGER IF EXISTS downtime_notify ON superuser;
DROP TRIGGER IF EXISTS downtime_notify ON session_revocation;
DROP FUNCTION IF EXISTS downtime_notify_state();
DROP FUNCTION IF EXISTS downtime_notify_table();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
