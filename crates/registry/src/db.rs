//! Connecting to a registry database, and the one way to write to it.
//!
//! Both backends go through sqlx's `any` driver, so every query is written once and behaves the
//! same on both; the differences (connection settings, how writers serialise, DDL) are confined
//! to this module and to the two migration folders.
//!
//! Writers serialise whole transactions across processes: on SQLite each write transaction is
//! `BEGIN IMMEDIATE` (it takes the database's write lock at once, waiting up to the busy timeout,
//! so two processes never both read the audit chain's head and then both append); on PostgreSQL
//! each write transaction first takes one transaction-level advisory lock
//! (`pg_advisory_xact_lock`), released at commit or rollback. Readers never block writers
//! (SQLite in WAL mode; PostgreSQL MVCC).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::error::{Error, Result};

/// The database engine behind a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An embedded SQLite file (single centre).
    Sqlite,
    /// A PostgreSQL server (multi-centre network).
    Postgres,
}

/// Where a registry lives, parsed from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `sqlite:PATH` (also `sqlite://PATH`): a database file.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`.
    Postgres(String),
}

/// The default SQLite file when neither a path nor a URL is given.
pub const DEFAULT_SQLITE_FILE: &str = "atcpath.db";

/// How long a SQLite writer waits for another process's write transaction to finish.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 30_000;

/// The PostgreSQL advisory lock key every registry write transaction takes (a fixed number that
/// other applications sharing the database are unlikely to use).
const PG_WRITE_LOCK: i64 = 0x2c1e_6a3f_5d47_91b0;

impl Target {
    /// Parses `sqlite:PATH`, `sqlite://PATH`, `postgres://...` or `postgresql://...`.
    ///
    /// # Errors
    /// [`Error::Url`] for any other form (the URL itself is not echoed: it may hold a password).
    pub fn parse(url: &str) -> Result<Target> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() || path.contains('?') || path == ":memory:" {
                return Err(Error::Url(
                    "a SQLite registry URL is sqlite:PATH (a file; no query parameters, no in-memory database)".into(),
                ));
            }
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_string()));
        }
        Err(Error::Url(
            "the registry URL must start with sqlite: (a file) or postgres:// (a server)".into(),
        ))
    }

    /// A SQLite file target.
    pub fn sqlite(path: impl Into<PathBuf>) -> Target {
        Target::Sqlite(path.into())
    }

    /// The backend this target uses.
    pub fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    /// A description safe to print: the SQLite path, or the PostgreSQL host and database without
    /// user or password.
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite(p) => p.display().to_string(),
            Target::Postgres(url) => {
                let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                let host_db = after_scheme
                    .rsplit_once('@')
                    .map_or(after_scheme, |(_, r)| r);
                let host_db = host_db.split('?').next().unwrap_or(host_db);
                format!("postgres://{host_db}")
            }
        }
    }
}

/// Percent-encodes a path for a sqlx SQLite URL (sqlx decodes the whole path), keeping only
/// unreserved characters and `/` as they are.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The absolute path of a SQLite file, its folder resolved (the file itself may not exist yet).
fn absolute(path: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(path)
        .map_err(|e| Error::Url(format!("{}: not a usable path: {e}", path.display())))?;
    let (Some(dir), Some(name)) = (abs.parent(), abs.file_name()) else {
        return Err(Error::Url(format!(
            "{}: not a database file path",
            path.display()
        )));
    };
    let dir = dir.canonicalize().map_err(|e| {
        Error::Url(format!(
            "{}: folder {} is not usable: {e}",
            path.display(),
            dir.display()
        ))
    })?;
    Ok(dir.join(name))
}

/// Opens a connection pool. `create` lets SQLite create a missing file (for `init`).
pub(crate) async fn connect(target: &Target, create: bool) -> Result<AnyPool> {
    install_default_drivers();
    match target {
        Target::Sqlite(path) => {
            let abs = absolute(path)?;
            if !create && !abs.is_file() {
                return Err(Error::NotInitialised(path.display().to_string()));
            }
            sqlite_pool(path, if create { "rwc" } else { "rw" }, 4).await
        }
        Target::Postgres(url) => Ok(AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?),
    }
}

/// Opens a pool of at most `max` connections on a SQLite file, with the registry's connection
/// settings; `mode` is SQLite's open mode (`ro`, `rw`, `rwc`).
pub(crate) async fn sqlite_pool(path: &Path, mode: &str, max: u32) -> Result<AnyPool> {
    install_default_drivers();
    let abs = absolute(path)?;
    let Some(text) = abs.to_str() else {
        return Err(Error::Url(format!(
            "{}: the path is not valid UTF-8",
            path.display()
        )));
    };
    let url = format!("sqlite://{}?mode={mode}", encode_path(text));
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // sqlx turns foreign keys on by default; both are set here so that the
                // registry's settings are in one place.
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"
                )))
                .await?;
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    Ok(pool)
}

/// Puts a SQLite database in WAL mode (persistent in the file; done by `init` and checked on open).
pub(crate) async fn ensure_wal(pool: &AnyPool) -> Result<()> {
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(pool)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode = WAL")
            .fetch_one(pool)
            .await?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Corrupt(format!(
                "SQLite refused WAL mode (journal mode is {mode})"
            )));
        }
    }
    Ok(())
}

/// Begins a write transaction that excludes every other writer, in this process or another,
/// until it commits or rolls back (see the module documentation).
pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<Transaction<'static, Any>> {
    match backend {
        Backend::Sqlite => Ok(pool.begin_with("BEGIN IMMEDIATE").await?),
        Backend::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS write_lock")
                .bind(PG_WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// Now, UTC, as stored: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub(crate) fn now_utc() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// Today's date where the registry runs (a decision date or event date cannot be later).
pub(crate) fn today() -> jiff::civil::Date {
    jiff::ZonedDateTime::now().date()
}

/// The id of a user, recorded with `role` on first use.
pub(crate) async fn ensure_user(
    tx: &mut Transaction<'static, Any>,
    name: &str,
    role: &str,
) -> Result<i64> {
    sqlx::query(
        "INSERT INTO users (name, role, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(role)
    .bind(now_utc())
    .execute(&mut **tx)
    .await?;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE name = $1")
        .bind(name)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

/// The id of a centre, recorded on first use.
pub(crate) async fn ensure_centre(tx: &mut Transaction<'static, Any>, code: &str) -> Result<i64> {
    sqlx::query(
        "INSERT INTO centres (code, name, created_at) VALUES ($1, $1, $2) ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(now_utc())
    .execute(&mut **tx)
    .await?;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM centres WHERE code = $1")
        .bind(code)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

/// Refuses a centre code the registry does not hold (a filter on it would silently give 0
/// patients), naming the codes it holds.
pub(crate) async fn known_centre(tx: &mut Transaction<'static, Any>, code: &str) -> Result<()> {
    let codes: Vec<(String,)> = sqlx::query_as("SELECT code FROM centres ORDER BY code")
        .fetch_all(&mut **tx)
        .await?;
    if codes.iter().any(|(c,)| c == code) {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "--centre {code:?}: no such centre in the registry (centres: {})",
        if codes.is_empty() {
            "none".to_string()
        } else {
            codes
                .into_iter()
                .map(|(c,)| c)
                .collect::<Vec<_>>()
                .join(", ")
        }
    )))
}

/// An aggregate expression joining `expr` (text) over the rows with newlines, in this backend's
/// SQL (`group_concat` / `string_agg`; row order unspecified; NULL when there is no row). Used to
/// read a column of many short rows as one value: the `any` driver's per-row cost dominates
/// otherwise (about 2 us a row).
pub(crate) fn concat_lines(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => format!("group_concat({expr}, char(10))"),
        Backend::Postgres => format!("string_agg({expr}, chr(10))"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            Target::parse("sqlite:reg.db").unwrap(),
            Target::sqlite("reg.db")
        );
        assert_eq!(
            Target::parse("sqlite:///tmp/reg.db").unwrap(),
            Target::sqlite("/tmp/reg.db")
        );
        assert!(Target::parse("sqlite::memory:").is_err());
        assert!(Target::parse("mysql://x").is_err());
        let pg =
            Target::parse("postgres://alice:secret@db.example:5432/atc?sslmode=require").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.describe(), "postgres://db.example:5432/atc");
        assert!(!pg.describe().contains("secret"));
    }

    #[test]
    fn path_encoding() {
        assert_eq!(encode_path("/a b/c%d?.db"), "/a%20b/c%25d%3F.db");
    }
}
