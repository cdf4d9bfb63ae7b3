//! The registry's schema: versioned migrations, one folder per backend
//! (`migrations/sqlite/`, `migrations/postgres/`: the DDL differs, the logical schema does not),
//! compiled into the binary, applied by `init` and checked on every open.

use std::borrow::Cow;

use sqlx::AnyPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::db::Backend;
use crate::error::{Error, Result};

/// One schema version: its number, description and DDL for each backend.
struct Version {
    number: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Every schema version, oldest first. A new version adds a file to BOTH folders and a line here
/// (the tests check that the folders and this list agree).
const VERSIONS: &[Version] = &[
    Version {
        number: 1,
        description: "registry",
        sqlite: include_str!("../migrations/sqlite/0001_registry.sql"),
        postgres: include_str!("../migrations/postgres/0001_registry.sql"),
    },
    Version {
        number: 2,
        description: "analysis",
        sqlite: include_str!("../migrations/sqlite/0002_analysis.sql"),
        postgres: include_str!("../migrations/postgres/0002_analysis.sql"),
    },
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 2;

/// Every table of the registry schema, parents before children (foreign-key order): the one
/// list that `counts`, `backup` and `restore` walk. A migration that adds a table adds it here
/// too (a test checks that this list and the tables the migrations create agree, on both
/// backends).
pub const TABLES: &[&str] = &[
    "centres",
    "users",
    "patients",
    "identifiers",
    "case_versions",
    "events",
    "molecular",
    "molecular_tests",
    "molecular_variants",
    "molecular_fusions",
    "treatments",
    "outcomes",
    "fasttrack",
    "survival",
    "projection_state",
    "assessments",
    "audit",
];

/// The migration file names this build embeds, per backend folder (for the consistency test).
pub fn embedded_files() -> Vec<(i64, String)> {
    VERSIONS
        .iter()
        .map(|v| (v.number, format!("{:04}_{}.sql", v.number, v.description)))
        .collect()
}

fn migrator(backend: Backend) -> Migrator {
    let migrations = VERSIONS
        .iter()
        .map(|v| {
            let sql = match backend {
                Backend::Sqlite => v.sqlite,
                Backend::Postgres => v.postgres,
            };
            Migration::new(
                v.number,
                Cow::Borrowed(v.description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

/// Applies every migration not yet applied (each in its own transaction).
///
/// # Errors
/// [`Error::SchemaTooNew`] when the database is already past this build's schema;
/// [`Error::Migrate`] when a migration fails or an applied one was changed.
pub(crate) async fn migrate(pool: &AnyPool, backend: Backend) -> Result<i64> {
    if let Some(found) = applied_version(pool, backend).await?
        && found > SCHEMA_VERSION
    {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    migrator(backend).run(pool).await?;
    Ok(SCHEMA_VERSION)
}

/// Checks on open that the database holds exactly this build's schema version.
pub(crate) async fn check(pool: &AnyPool, backend: Backend, what: &str) -> Result<()> {
    match applied_version(pool, backend).await? {
        None => Err(Error::NotInitialised(what.to_string())),
        Some(found) if found > SCHEMA_VERSION => Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }),
        Some(found) if found < SCHEMA_VERSION => Err(Error::SchemaOutdated {
            found,
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
    }
}

/// The highest successfully applied schema version, `None` when no migration table exists.
pub(crate) async fn applied_version(pool: &AnyPool, backend: Backend) -> Result<Option<i64>> {
    let exists_sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
        }
    };
    let (n,): (i64,) = sqlx::query_as(exists_sql).fetch_one(pool).await?;
    if n == 0 {
        return Ok(None);
    }
    let failed: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE NOT success")
        .fetch_one(pool)
        .await?;
    if failed.0 > 0 {
        return Err(Error::Corrupt(
            "a schema migration failed part-way; restore from a backup".into(),
        ));
    }
    let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await?;
    Ok(max)
}
