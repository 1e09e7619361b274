//! Ordered schema migrations, applied at open.
//!
//! The schema version is kept in SQLite's `PRAGMA user_version` (cheap to read
//! at every open) and mirrored, with names and timestamps, in the
//! `schema_migrations` table for people inspecting the file.
//!
//! To change the schema, append a [`Migration`] with the next version number
//! to [`MIGRATIONS`] (never edit one that has shipped). Pending migrations run
//! in one `BEGIN IMMEDIATE` transaction, so a crash or a failing statement
//! leaves the database at its previous version, and two processes opening the
//! same file at once cannot both migrate it.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{CatalogError, Context};

/// One schema step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1, 2, 3… with no gaps; the database's `user_version` after applying.
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "scheduler",
        sql: include_str!("migrations/0002_scheduler.sql"),
    },
    Migration {
        version: 3,
        name: "siuss_waas",
        sql: include_str!("migrations/0003_siuss_waas.sql"),
    },
    Migration {
        version: 4,
        name: "siuss_submissions",
        sql: include_str!("migrations/0004_siuss_submissions.sql"),
    },
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

pub(crate) fn user_version(conn: &Connection) -> Result<i64, CatalogError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .ctx("read schema version")
}

/// Bring the database up to [`SCHEMA_VERSION`].
pub(crate) fn migrate(conn: &mut Connection, now: &str) -> Result<(), CatalogError> {
    migrate_with(conn, MIGRATIONS, now)
}

/// Apply the migrations of `migrations` (ordered, contiguous from 1) that
/// are newer than the database's `user_version`.
pub(crate) fn migrate_with(
    conn: &mut Connection,
    migrations: &[Migration],
    now: &str,
) -> Result<(), CatalogError> {
    let latest = migrations.last().map_or(0, |m| m.version);
    // Fast path: up to date, no write lock taken.
    let current = user_version(conn)?;
    check_not_newer(current, latest)?;
    if current == latest {
        return Ok(());
    }

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .ctx("migrate: begin")?;
    // Re-read under the write lock: another process may have migrated.
    let current = user_version(&tx)?;
    check_not_newer(current, latest)?;
    for m in migrations.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql).map_err(|source| CatalogError::Sqlite {
            op: "migrate: apply migration",
            source,
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            (m.version, m.name, now),
        )
        .ctx("migrate: record migration")?;
        tx.pragma_update(None, "user_version", m.version)
            .ctx("migrate: set user_version")?;
    }
    tx.commit().ctx("migrate: commit")
}

fn check_not_newer(found: i64, supported: i64) -> Result<(), CatalogError> {
    if found > supported {
        Err(CatalogError::SchemaTooNew { found, supported })
    } else {
        Ok(())
    }
}
