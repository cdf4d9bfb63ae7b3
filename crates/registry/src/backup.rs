//! Backup and restore: one format for both backends, a SQLite file with the SQLite schema.
//!
//! - A SQLite registry is copied by `VACUUM INTO` (one read transaction: a consistent snapshot
//!   while other processes go on writing).
//! - A PostgreSQL registry is read table by table in ONE `REPEATABLE READ, READ ONLY`
//!   transaction (one snapshot for every table) and written into a new SQLite file created with
//!   the SQLite migrations; so a backup also moves a centre from SQLite to PostgreSQL or back.
//!
//! The backup is written to a temporary file beside the destination, switched to the rollback
//! journal (one self-contained file), synced, then linked into place (an existing file is never
//! replaced). Its `backup` audit row is appended BEFORE the snapshot, so the backup holds it.
//!
//! A restore copies every table of [`schema::TABLES`] verbatim (ids included) into an empty
//! registry of the same schema version, in one transaction that ends with a `restore` audit row,
//! then checks the audit chain and every case version's SHA-256 against its JSON.
//!
//! Columns are discovered from the backup file's own schema (`pragma_table_info`), so a table
//! added by a later migration is copied as soon as it is listed in [`schema::TABLES`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use atcpath_kb::Kb;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend, Target};
use crate::error::{Error, Result};
use crate::import::sha256_hex;
use crate::schema::{self, SCHEMA_VERSION, TABLES};

/// Rows read per query while copying a table.
const PAGE: i64 = 2000;
/// Rows per `INSERT` statement while copying (kept well under both backends' parameter limits).
const BATCH: usize = 100;

/// Rows of one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableRows {
    /// The table.
    pub table: String,
    /// Its rows.
    pub rows: i64,
}

/// What `backup` wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupReport {
    /// The backup file.
    pub file: String,
    /// The registry backed up (safe to print).
    pub database: String,
    /// Its backend.
    pub backend: Backend,
    /// The schema version the backup holds.
    pub schema_version: i64,
    /// Rows per table, in foreign-key order.
    pub tables: Vec<TableRows>,
    /// Rows in all tables.
    pub total_rows: i64,
    /// Size of the backup file.
    pub bytes: u64,
    /// Audit rows in the backup (its own `backup` row included).
    pub audit_rows: i64,
    /// The hash of the backup's last audit row: keep it to prove the backup's trail complete.
    pub audit_head: String,
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RestoreReport {
    /// The backup file restored.
    pub file: String,
    /// The registry restored into (safe to print).
    pub database: String,
    /// Its backend.
    pub backend: Backend,
    /// The schema version.
    pub schema_version: i64,
    /// Rows copied per table, in foreign-key order.
    pub tables: Vec<TableRows>,
    /// Rows copied in all tables.
    pub total_rows: i64,
    /// The backup's audit head hash (the restored trail continues from it).
    pub backup_audit_head: String,
    /// Audit rows after the restore (its `restore` row included), all verified.
    pub audit_rows: i64,
    /// The audit head hash after the restore.
    pub audit_head: String,
    /// Case versions whose SHA-256 was checked against their JSON.
    pub case_versions_checked: i64,
}

/// How a column's values are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Real,
    Text,
    Blob,
}

/// A column of a table in the backup format.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

/// A table's layout in the backup format: its columns in order and its primary key.
#[derive(Debug, Clone)]
struct Layout {
    table: &'static str,
    columns: Vec<Column>,
    key: Vec<String>,
}

/// One value.
#[derive(Debug, Clone)]
enum Value {
    Integer(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

/// `"name"` (an identifier from the schema, quoted for SQL).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The kind of a SQLite declared type (SQLite's affinity rules); types the copy would not
/// carry faithfully are refused, naming the column.
fn kind_of(table: &str, column: &str, declared: &str) -> Result<Kind> {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Ok(Kind::Integer)
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Ok(Kind::Text)
    } else if t.contains("BLOB") || t.is_empty() {
        Ok(Kind::Blob)
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Ok(Kind::Real)
    } else {
        Err(Error::Corrupt(format!(
            "{table}.{column}: column type {declared:?} is not supported by backup and restore (INTEGER, REAL, TEXT or BLOB)"
        )))
    }
}

/// The layout of every table of [`TABLES`] in a SQLite database of the registry schema.
async fn layouts(sqlite: &AnyPool) -> Result<Vec<Layout>> {
    let mut out = Vec::new();
    for table in TABLES {
        let cols: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(*table)
                .fetch_all(sqlite)
                .await?;
        if cols.is_empty() {
            return Err(Error::Corrupt(format!(
                "table {table} is missing from the SQLite schema"
            )));
        }
        let mut key: Vec<(i64, String)> = cols
            .iter()
            .filter(|(_, _, pk)| *pk > 0)
            .map(|(n, _, pk)| (*pk, n.clone()))
            .collect();
        key.sort();
        let columns = cols
            .iter()
            .map(|(name, ty, _)| {
                Ok(Column {
                    name: name.clone(),
                    kind: kind_of(table, name, ty)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let key = if key.is_empty() {
            // No declared key: order by every column (a total order on distinct rows).
            columns.iter().map(|c| c.name.clone()).collect()
        } else {
            key.into_iter().map(|(_, n)| n).collect()
        };
        out.push(Layout {
            table,
            columns,
            key,
        });
    }
    Ok(out)
}

/// Tables present in a database (its migration bookkeeping left out).
async fn tables_present<'c, E>(db: E, backend: Backend) -> Result<BTreeSet<String>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'"
        }
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(db).await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

/// Refuses a database whose tables are not exactly [`TABLES`] (a table left out would be lost).
fn check_tables(present: &BTreeSet<String>, what: &str) -> Result<()> {
    let listed: BTreeSet<String> = TABLES.iter().map(|t| (*t).to_string()).collect();
    if let Some(t) = present.difference(&listed).next() {
        return Err(Error::Corrupt(format!(
            "{what}: table {t} is not in the registry's table list (schema::TABLES): it would not be copied; nothing done"
        )));
    }
    if let Some(t) = listed.difference(present).next() {
        return Err(Error::Corrupt(format!(
            "{what}: table {t} of the registry schema is missing; nothing done"
        )));
    }
    Ok(())
}

fn decode(row: &AnyRow, layout: &Layout) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(layout.columns.len());
    for (i, c) in layout.columns.iter().enumerate() {
        let field = |e: sqlx::Error| {
            Error::Corrupt(format!("{}.{}: cannot read: {e}", layout.table, c.name))
        };
        out.push(match c.kind {
            Kind::Integer => Value::Integer(row.try_get(i).map_err(field)?),
            Kind::Real => Value::Real(row.try_get(i).map_err(field)?),
            Kind::Text => Value::Text(row.try_get(i).map_err(field)?),
            Kind::Blob => Value::Blob(row.try_get(i).map_err(field)?),
        });
    }
    Ok(out)
}

/// Reads one page of a table, in key order.
async fn read_page<'c, E>(db: E, layout: &Layout, offset: i64) -> Result<Vec<Vec<Value>>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let cols: Vec<String> = layout.columns.iter().map(|c| quote(&c.name)).collect();
    let key: Vec<String> = layout.key.iter().map(|k| quote(k)).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
        cols.join(", "),
        quote(layout.table),
        key.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(PAGE)
        .bind(offset)
        .fetch_all(db)
        .await?;
    rows.iter().map(|r| decode(r, layout)).collect()
}

/// Inserts rows verbatim. A real number is bound as text and cast in SQL (see
/// `projection::real`: sqlx's `any` driver mis-binds a NULL `f64` on PostgreSQL).
async fn insert_rows(
    tx: &mut Transaction<'static, Any>,
    layout: &Layout,
    rows: &[Vec<Value>],
) -> Result<()> {
    let cols: Vec<String> = layout.columns.iter().map(|c| quote(&c.name)).collect();
    for chunk in rows.chunks(BATCH) {
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            quote(layout.table),
            cols.join(", ")
        );
        let mut n = 0;
        for (r, _) in chunk.iter().enumerate() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (i, c) in layout.columns.iter().enumerate() {
                n += 1;
                if i > 0 {
                    sql.push_str(", ");
                }
                if c.kind == Kind::Real {
                    sql.push_str(&format!("CAST(${n} AS DOUBLE PRECISION)"));
                } else {
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    Value::Integer(x) => q.bind(*x),
                    Value::Real(x) => q.bind(x.map(|x| x.to_string())),
                    Value::Text(x) => q.bind(x.clone()),
                    Value::Blob(x) => q.bind(x.clone()),
                };
            }
        }
        q.execute(&mut **tx)
            .await
            .map_err(|e| Error::Corrupt(format!("{}: cannot copy rows: {e}", layout.table)))?;
    }
    Ok(())
}

/// Copies every table from `src` (any executor giving one snapshot) into `tx`.
async fn copy_tables(
    src: &mut sqlx::AnyConnection,
    tx: &mut Transaction<'static, Any>,
    layouts: &[Layout],
) -> Result<Vec<TableRows>> {
    let mut counts = Vec::new();
    for layout in layouts {
        let mut offset = 0;
        loop {
            let rows = read_page(&mut *src, layout, offset).await?;
            if rows.is_empty() {
                break;
            }
            insert_rows(tx, layout, &rows).await?;
            offset += rows.len() as i64;
        }
        counts.push(TableRows {
            table: layout.table.to_string(),
            rows: offset,
        });
    }
    Ok(counts)
}

/// Row counts of every table of [`TABLES`].
async fn table_counts(conn: &mut sqlx::AnyConnection) -> Result<Vec<TableRows>> {
    let mut out = Vec::new();
    for t in TABLES {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {}",
            quote(t)
        )))
        .fetch_one(&mut *conn)
        .await?;
        out.push(TableRows {
            table: (*t).to_string(),
            rows: n,
        });
    }
    Ok(out)
}

/// Checks every case version's SHA-256 against its stored JSON; returns how many were checked.
///
/// # Errors
/// [`Error::Corrupt`] naming the first case version that does not match; database errors.
pub(crate) async fn verify_case_versions(pool: &AnyPool) -> Result<i64> {
    let mut after = 0i64;
    let mut n = 0;
    loop {
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, version, sha256, case_json FROM case_versions WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = last.0;
        for (id, version, sha, json) in &rows {
            n += 1;
            if sha256_hex(json.as_bytes()) != *sha {
                return Err(Error::Corrupt(format!(
                    "case_versions row {id} (version {version}): its JSON does not match its sha256"
                )));
            }
        }
    }
}

/// A temporary file name beside `to`, and `to`'s folder.
fn temp_beside(to: &Path) -> Result<(PathBuf, PathBuf)> {
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Invalid(format!("{}: not a file path", to.display())))?;
    let dir = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: folder {} does not exist",
            to.display(),
            dir.display()
        )));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(
        ".{name}.{}{}-{nanos}.tmp",
        TEMP_MARK,
        std::process::id()
    ));
    Ok((tmp, dir))
}

/// What names a backup's temporary file (`.NAME.atcpath-backup-PID-NANOS.tmp`, with its
/// `-journal`, `-wal` and `-shm` side files), so that one left by an interrupted backup is
/// recognised and removed by the next backup into the same folder.
pub const TEMP_MARK: &str = "atcpath-backup-";

/// The process id in a backup temporary file's name (`None`: not one).
fn temp_pid(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?;
    let at = rest.rfind(TEMP_MARK)?;
    let tail = &rest[at + TEMP_MARK.len()..];
    let tail = ["", "-journal", "-wal", "-shm"]
        .iter()
        .find_map(|s| tail.strip_suffix(&format!(".tmp{s}")))?;
    let (pid, nanos) = tail.split_once('-')?;
    nanos.parse::<u32>().ok()?;
    pid.parse().ok()
}

/// Whether process `pid` may still be running (a backup in progress): on Linux, whether
/// `/proc/PID` exists; elsewhere assumed running unless it is this process's own id.
fn may_be_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes the temporary files that interrupted backups (killed, powered off) left in `dir`;
/// returns how many. A temporary file never holds anything that is not in the registry.
fn remove_leftovers(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        if !may_be_running(pid) && std::fs::remove_file(e.path()).is_ok() {
            n += 1;
        }
    }
    n
}

/// Removes a temporary SQLite file and its side files (best effort: it never held anything
/// that is not still in the registry).
fn remove_temp(tmp: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = tmp.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Moves the finished temporary file to `to` without ever replacing an existing file (a hard
/// link fails when `to` exists; where links are unsupported, a rename after a last check), then
/// syncs the folder.
fn publish(tmp: &Path, to: &Path, dir: &Path) -> Result<()> {
    match std::fs::hard_link(tmp, to) {
        Ok(()) => {
            std::fs::remove_file(tmp)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Invalid(format!(
                "{}: already exists; a backup never replaces a file",
                to.display()
            )));
        }
        Err(_) => {
            if to.symlink_metadata().is_ok() {
                return Err(Error::Invalid(format!(
                    "{}: already exists; a backup never replaces a file",
                    to.display()
                )));
            }
            std::fs::rename(tmp, to)?;
        }
    }
    // Make the new directory entry durable (not possible on every platform: best effort).
    if let Ok(d) = atcpath_formats::limits::open_file(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes a backup of the registry behind `pool` to `to` (see the module documentation).
pub(crate) async fn backup(
    pool: &AnyPool,
    target: &Target,
    to: &Path,
    actor: &Actor,
) -> Result<BackupReport> {
    let backend = target.backend();
    // A backup copies every patient: a read of patient data, which needs a reason.
    actor.read_reason()?;
    if to.symlink_metadata().is_ok() {
        return Err(Error::Invalid(format!(
            "{}: already exists; a backup never replaces a file",
            to.display()
        )));
    }
    let (tmp, dir) = temp_beside(to)?;
    remove_leftovers(&dir);
    if let Target::Sqlite(db) = target
        && let (Ok(a), Ok(b)) = (std::path::absolute(db), std::path::absolute(to))
        && a == b
    {
        return Err(Error::Invalid(format!(
            "{}: the backup cannot be the registry itself",
            to.display()
        )));
    }
    // The backup's own audit row, committed before the snapshot so that the backup holds it.
    let mut tx = db::begin_write(pool, backend).await?;
    db::ensure_user(&mut tx, actor.user(), "admin").await?;
    audit::append(
        &mut tx,
        &Entry {
            user: actor.user(),
            action: Action::Backup,
            record: "registry",
            patient: None,
            detail: format!(
                "backup of the whole registry to {} (schema version {SCHEMA_VERSION})",
                to.display()
            ),
            reason: actor.reason(),
        },
    )
    .await?;
    tx.commit().await?;
    let result = async {
        match backend {
            Backend::Sqlite => snapshot_sqlite(pool, &tmp).await?,
            Backend::Postgres => snapshot_postgres(pool, &tmp).await?,
        }
        let (tables, audit_rows, audit_head) = seal(&tmp).await?;
        // What was copied is what a restore would bring back: every version whole and audited.
        let p = db::sqlite_pool(&tmp, "ro", 1).await?;
        let checked = match p.acquire().await {
            Ok(mut c) => crate::integrity::require_all_versions(&mut c).await,
            Err(e) => Err(e.into()),
        };
        p.close().await;
        checked?;
        atcpath_formats::limits::open_file(&tmp)?.sync_all()?;
        let bytes = std::fs::metadata(&tmp)?.len();
        publish(&tmp, to, &dir)?;
        Ok::<_, Error>((tables, audit_rows, audit_head, bytes))
    }
    .await;
    let (tables, audit_rows, audit_head, bytes) = match result {
        Ok(r) => r,
        Err(e) => {
            remove_temp(&tmp);
            return Err(e);
        }
    };
    Ok(BackupReport {
        file: to.display().to_string(),
        database: target.describe(),
        backend,
        schema_version: SCHEMA_VERSION,
        total_rows: tables.iter().map(|t| t.rows).sum(),
        tables,
        bytes,
        audit_rows,
        audit_head,
    })
}

/// SQLite: `VACUUM INTO` the temporary file (one read transaction: a consistent snapshot).
async fn snapshot_sqlite(pool: &AnyPool, tmp: &Path) -> Result<()> {
    let Some(path) = tmp.to_str() else {
        return Err(Error::Invalid(format!(
            "{}: the path is not valid UTF-8",
            tmp.display()
        )));
    };
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(pool)
        .await?;
    Ok(())
}

/// PostgreSQL: every table read in one `REPEATABLE READ, READ ONLY` transaction, written into a
/// new SQLite file of the SQLite schema.
async fn snapshot_postgres(pool: &AnyPool, tmp: &Path) -> Result<()> {
    let out = db::sqlite_pool(tmp, "rwc", 1).await?;
    let result = async {
        schema::migrate(&out, Backend::Sqlite).await?;
        let layouts = layouts(&out).await?;
        let mut src = pool
            .begin_with("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        check_tables(
            &tables_present(&mut *src, Backend::Postgres).await?,
            "the PostgreSQL registry",
        )?;
        for l in &layouts {
            let cols: Vec<(String,)> = sqlx::query_as(
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(l.table)
            .fetch_all(&mut *src)
            .await?;
            let pg: BTreeSet<String> = cols.into_iter().map(|(c,)| c).collect();
            let lite: BTreeSet<String> = l.columns.iter().map(|c| c.name.clone()).collect();
            if pg != lite {
                return Err(Error::Corrupt(format!(
                    "table {}: the PostgreSQL columns ({}) differ from the SQLite schema's ({}); nothing written",
                    l.table,
                    pg.into_iter().collect::<Vec<_>>().join(", "),
                    lite.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let mut tx = out.begin().await?;
        copy_tables(&mut src, &mut tx, &layouts).await?;
        tx.commit().await?;
        src.rollback().await?;
        Ok::<_, Error>(())
    }
    .await;
    out.close().await;
    result
}

/// Puts the temporary backup in rollback-journal mode (one self-contained file), checks its
/// schema version and audit chain; returns its row counts, audit rows and head hash.
async fn seal(tmp: &Path) -> Result<(Vec<TableRows>, i64, String)> {
    let p = db::sqlite_pool(tmp, "rw", 1).await?;
    let result = async {
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode = DELETE")
            .fetch_one(&p)
            .await?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(Error::Corrupt(format!(
                "the backup file refused the rollback journal (journal mode {mode})"
            )));
        }
        if schema::applied_version(&p, Backend::Sqlite).await? != Some(SCHEMA_VERSION) {
            return Err(Error::Corrupt(
                "the backup file does not record this build's schema version".into(),
            ));
        }
        check_tables(&tables_present(&p, Backend::Sqlite).await?, "the backup")?;
        let v = audit::verify(&p).await?;
        if let Some(b) = v.first_break {
            return Err(Error::Corrupt(format!(
                "the backup's audit chain is broken at row {}: {}",
                b.seq, b.problem
            )));
        }
        verify_case_versions(&p).await?;
        let mut c = p.acquire().await?;
        Ok((table_counts(&mut c).await?, v.rows, v.head))
    }
    .await;
    p.close().await;
    result
}

/// Restores the backup `file` into the empty registry at `target` (see the module
/// documentation).
pub(crate) async fn restore(
    target: &Target,
    file: &Path,
    kb: &Kb,
    actor: &Actor,
) -> Result<RestoreReport> {
    let shown = file.display().to_string();
    if !file.is_file() {
        return Err(Error::Invalid(format!("{shown}: no such backup file")));
    }
    let src = db::sqlite_pool(file, "ro", 1).await?;
    let result = restore_from(&src, target, &shown, kb, actor).await;
    src.close().await;
    result
}

async fn restore_from(
    src: &AnyPool,
    target: &Target,
    shown: &str,
    kb: &Kb,
    actor: &Actor,
) -> Result<RestoreReport> {
    // The backup: this schema version, every table, an intact chain, every case version whole.
    match schema::applied_version(src, Backend::Sqlite).await {
        Ok(Some(v)) if v == SCHEMA_VERSION => {}
        Ok(Some(v)) => {
            return Err(Error::Invalid(format!(
                "{shown}: a backup of schema version {v}; this ATCPath restores schema version {SCHEMA_VERSION} only (restore it with the ATCPath that wrote it, then upgrade with `registry init`)"
            )));
        }
        Ok(None) | Err(Error::Db(_)) => {
            return Err(Error::Invalid(format!(
                "{shown}: not an ATCPath registry backup (no schema version recorded)"
            )));
        }
        Err(e) => return Err(e),
    }
    check_tables(&tables_present(src, Backend::Sqlite).await?, shown)?;
    let chain = audit::verify(src).await?;
    if let Some(b) = &chain.first_break {
        return Err(Error::Invalid(format!(
            "{shown}: the backup's audit chain is broken at row {}: {}; not restored",
            b.seq, b.problem
        )));
    }
    verify_case_versions(src)
        .await
        .map_err(|e| Error::Invalid(format!("{shown}: {e}; not restored")))?;
    {
        let mut c = src.acquire().await?;
        if let Err(d) = crate::integrity::check_all_versions(&mut c).await? {
            return Err(Error::Invalid(format!("{shown}: {d}; not restored")));
        }
    }
    let layouts = layouts(src).await?;

    // The target: new, or of this schema version and empty.
    let backend = target.backend();
    let pool = db::connect(target, true).await?;
    let result = async {
        match schema::applied_version(&pool, backend).await? {
            None => {
                schema::migrate(&pool, backend).await?;
            }
            Some(v) if v != SCHEMA_VERSION => {
                return Err(Error::Invalid(format!(
                    "{}: the registry there has schema version {v}, not {SCHEMA_VERSION}: restore into a new database",
                    target.describe()
                )));
            }
            Some(_) => {}
        }
        if backend == Backend::Sqlite {
            db::ensure_wal(&pool).await?;
        }
        let mut tx = db::begin_write(&pool, backend).await?;
        let before = table_counts(&mut tx).await?;
        let held: Vec<String> = before
            .iter()
            .filter(|t| t.rows > 0)
            .map(|t| format!("{} {}", t.rows, t.table))
            .collect();
        if !held.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: the registry is not empty ({}); a restore goes into a new or empty registry only (do not run `registry init` first: restore creates the schema)",
                target.describe(),
                held.join(", ")
            )));
        }
        let mut conn = src.acquire().await?;
        let tables = copy_tables(&mut conn, &mut tx, &layouts).await?;
        drop(conn);
        if backend == Backend::Postgres {
            reset_identities(&mut tx).await?;
        }
        let total_rows: i64 = tables.iter().map(|t| t.rows).sum();
        // The analysis projections are derived: forget what they were built with, so that the
        // first `metrics` or `outcomes` rebuilds them from the (verified) case versions rather
        // than trusting the copied rows.
        sqlx::query("DELETE FROM projection_state")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO projection_state (name, fingerprint, built_at) VALUES ('analysis', 'restored: to be rebuilt', $1)",
        )
        .bind(db::now_utc())
        .execute(&mut *tx)
        .await?;
        // The case projections copied are those the (verified) case versions give.
        if let Some(d) = crate::integrity::projection_difference(
            &mut tx,
            kb,
            crate::integrity::CASE_PROJECTIONS,
        )
        .await?
        {
            return Err(Error::Invalid(format!("{shown}: {d}; not restored")));
        }
        db::ensure_user(&mut tx, actor.user(), "admin").await?;
        audit::append(
            &mut tx,
            &Entry {
                user: actor.user(),
                action: Action::Restore,
                record: "registry",
                patient: None,
                detail: format!(
                    "registry restored from backup {shown} (schema version {SCHEMA_VERSION}, {total_rows} rows, backup audit head {})",
                    chain.head
                ),
                reason: actor.reason(),
            },
        )
        .await?;
        tx.commit().await?;

        // Check what is now stored.
        let v = audit::verify(&pool).await?;
        if let Some(b) = v.first_break {
            return Err(Error::Corrupt(format!(
                "after the restore the audit chain is broken at row {}: {}",
                b.seq, b.problem
            )));
        }
        let checked = verify_case_versions(&pool).await?;
        Ok(RestoreReport {
            file: shown.to_string(),
            database: target.describe(),
            backend,
            schema_version: SCHEMA_VERSION,
            tables,
            total_rows,
            backup_audit_head: chain.head.clone(),
            audit_rows: v.rows,
            audit_head: v.head,
            case_versions_checked: checked,
        })
    }
    .await;
    pool.close().await;
    result
}

/// PostgreSQL: after rows were inserted with their ids, moves every identity sequence past the
/// highest id so that the next insert does not collide.
async fn reset_identities(tx: &mut Transaction<'static, Any>) -> Result<()> {
    for table in TABLES {
        let cols: Vec<(String,)> = sqlx::query_as(
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'",
        )
        .bind(*table)
        .fetch_all(&mut **tx)
        .await?;
        for (col,) in cols {
            let sql = format!(
                "SELECT 1 FROM (SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)) AS reset",
                c = quote(&col),
                t = quote(table)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(quote(table))
                .bind(col.clone())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types() {
        assert_eq!(kind_of("t", "c", "INTEGER").unwrap(), Kind::Integer);
        assert_eq!(kind_of("t", "c", "BIGINT").unwrap(), Kind::Integer);
        assert_eq!(kind_of("t", "c", "TEXT").unwrap(), Kind::Text);
        assert_eq!(kind_of("t", "c", "REAL").unwrap(), Kind::Real);
        assert_eq!(kind_of("t", "c", "").unwrap(), Kind::Blob);
        let e = kind_of("outcomes", "flag", "BOOLEAN").unwrap_err();
        assert!(e.to_string().contains("outcomes.flag"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("audit"), "\"audit\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
