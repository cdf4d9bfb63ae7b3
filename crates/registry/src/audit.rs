//! The audit trail: one row per read or write of patient data, append-only and hash-chained.
//!
//! # The chain
//! Row `seq` (1, 2, 3, … with no gap) stores `prev_hash` (the previous row's `hash`; 64 `0`s for
//! row 1) and `hash`, the lowercase hex SHA-256 of the UTF-8 bytes of
//!
//! ```text
//! prev_hash + "\n" + canonical
//! ```
//!
//! where `canonical` is the row's content as compact JSON (no whitespace, keys in exactly this
//! order, strings escaped as serde_json does — `"` `\` and control characters only, non-ASCII
//! kept as UTF-8; absent values `null`):
//!
//! ```text
//! {"seq":7,"at":"2026-12-01T09:30:00.123456Z","user":"alice","action":"read","record":"patients","patient":"lit-2010-lim-1","detail":"show version 2","reason":"tumour board 2026-12-01"}
//! ```
//!
//! Changing any field of any row changes its hash, which then no longer matches the stored one;
//! rewriting the stored hash as well breaks the next row's `prev_hash`. [`verify`] recomputes the
//! chain and names the first row that does not hold. Deleting the newest rows is not detectable
//! from the chain alone: keep the head hash that `audit verify` prints somewhere else.
//!
//! Rows are appended only inside the write transaction of the operation they record
//! ([`crate::db::begin_write`]), which excludes every other writer, so two processes never
//! append after the same head.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, Transaction};

use crate::error::Result;

/// `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The registry was created or its schema upgraded.
    Init,
    /// A patient or a record was created.
    Create,
    /// Patient data was read (shown, listed, compared).
    Read,
    /// A new version of a patient's case was stored.
    Update,
    /// An assessment was produced and stored.
    Assess,
    /// Data left the registry (audit export).
    Export,
    /// A backup of the whole registry was taken.
    Backup,
    /// The registry was restored from a backup.
    Restore,
}

impl Action {
    /// The id stored in the `action` column.
    pub fn id(self) -> &'static str {
        match self {
            Action::Init => "init",
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Assess => "assess",
            Action::Export => "export",
            Action::Backup => "backup",
            Action::Restore => "restore",
        }
    }
}

/// One entry to append (the chain fields are added by [`append`]).
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who (user name).
    pub user: &'a str,
    /// What was done.
    pub action: Action,
    /// The table or record concerned (`patients`, `case_versions`, `events`, `assessments`...).
    pub record: &'a str,
    /// The patient's pseudonym, when the entry concerns one patient.
    pub patient: Option<&'a str>,
    /// What exactly, in words (never a direct identifier's value).
    pub detail: String,
    /// Why (the user's stated reason).
    pub reason: Option<&'a str>,
}

/// A stored audit row (also the record of the JSON export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, UTC (`YYYY-MM-DDTHH:MM:SS.ffffffZ`).
    pub at: String,
    /// Who.
    #[sqlx(rename = "user_name")]
    #[serde(rename = "user")]
    pub user: String,
    /// What was done (see [`Action`]).
    pub action: String,
    /// The table or record concerned.
    pub record: String,
    /// The patient's pseudonym, if any.
    pub patient: Option<String>,
    /// What exactly.
    pub detail: String,
    /// Why.
    pub reason: Option<String>,
    /// The previous row's hash.
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

/// The hashed content of a row, in canonical key order.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: &'a str,
    user: &'a str,
    action: &'a str,
    record: &'a str,
    patient: Option<&'a str>,
    detail: &'a str,
    reason: Option<&'a str>,
}

/// The canonical content of a row (see the module documentation).
#[allow(clippy::too_many_arguments)]
fn canonical(
    seq: i64,
    at: &str,
    user: &str,
    action: &str,
    record: &str,
    patient: Option<&str>,
    detail: &str,
    reason: Option<&str>,
) -> String {
    let c = Canonical {
        seq,
        at,
        user,
        action,
        record,
        patient,
        detail,
        reason,
    };
    // Serialising a struct of strings and integers cannot fail.
    serde_json::to_string(&c).unwrap_or_default()
}

/// `hex(SHA-256(prev_hash + "\n" + canonical))`.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex(&h.finalize())
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

impl AuditRow {
    /// The hash this row's content and `prev_hash` give.
    pub fn recompute(&self) -> String {
        chain_hash(
            &self.prev_hash,
            &canonical(
                self.seq,
                &self.at,
                &self.user,
                &self.action,
                &self.record,
                self.patient.as_deref(),
                &self.detail,
                self.reason.as_deref(),
            ),
        )
    }
}

/// Appends one row after the current head; returns its `seq`. Call only inside a write
/// transaction ([`crate::db::begin_write`]).
pub(crate) async fn append(tx: &mut Transaction<'static, Any>, e: &Entry<'_>) -> Result<i64> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let (seq, prev) = match head {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let at = crate::db::now_utc();
    let hash = chain_hash(
        &prev,
        &canonical(
            seq,
            &at,
            e.user,
            e.action.id(),
            e.record,
            e.patient,
            &e.detail,
            e.reason,
        ),
    );
    sqlx::query(
        "INSERT INTO audit (seq, at, user_name, action, record, patient, detail, reason, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(&at)
    .bind(e.user)
    .bind(e.action.id())
    .bind(e.record)
    .bind(e.patient)
    .bind(&e.detail)
    .bind(e.reason)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    Ok(seq)
}

/// Appends rows after the current head, in order, in multi-row inserts (one read of the head
/// for all): the same rows as [`append`] called for each. Call only inside a write transaction.
pub(crate) async fn append_many(
    tx: &mut Transaction<'static, Any>,
    entries: &[Entry<'_>],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let (mut seq, mut prev) = match head {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let at = crate::db::now_utc();
    // 100 rows of 10 parameters per statement (sqlx's SQLite driver looks each parameter up by
    // name: much longer statements cost more per row).
    for chunk in entries.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO audit (seq, at, user_name, action, record, patient, detail, reason, prev_hash, hash) VALUES ",
        );
        let mut rows = Vec::with_capacity(chunk.len());
        for (k, e) in chunk.iter().enumerate() {
            let hash = chain_hash(
                &prev,
                &canonical(
                    seq,
                    &at,
                    e.user,
                    e.action.id(),
                    e.record,
                    e.patient,
                    &e.detail,
                    e.reason,
                ),
            );
            if k > 0 {
                sql.push_str(", ");
            }
            let b = 10 * k;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10
            ));
            rows.push((seq, e, prev.clone(), hash.clone()));
            prev = hash;
            seq += 1;
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (seq, e, prev, hash) in rows {
            q = q
                .bind(seq)
                .bind(at.clone())
                .bind(e.user.to_string())
                .bind(e.action.id())
                .bind(e.record.to_string())
                .bind(e.patient.map(str::to_string))
                .bind(e.detail.clone())
                .bind(e.reason.map(str::to_string))
                .bind(prev)
                .bind(hash);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Rows read per query while walking the chain.
const PAGE: i64 = 1000;

/// Rows `after+1 ..= until`, at most [`PAGE`], in order.
pub(crate) async fn page(pool: &AnyPool, after: i64, until: i64) -> Result<Vec<AuditRow>> {
    Ok(sqlx::query_as(
        "SELECT seq, at, user_name, action, record, patient, detail, reason, prev_hash, hash
         FROM audit WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
    )
    .bind(after)
    .bind(until)
    .bind(PAGE)
    .fetch_all(pool)
    .await?)
}

/// The highest `seq` (0 when the trail is empty).
pub(crate) async fn head_seq(pool: &AnyPool) -> Result<i64> {
    let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM audit")
        .fetch_one(pool)
        .await?;
    Ok(max.unwrap_or(0))
}

/// Calls `each` on rows 1..=`until` in order, a page at a time.
pub(crate) async fn walk(
    pool: &AnyPool,
    until: i64,
    mut each: impl FnMut(&AuditRow) -> Result<()>,
) -> Result<()> {
    let mut after = 0;
    loop {
        let rows = page(pool, after, until).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.seq;
        for r in &rows {
            each(r)?;
        }
    }
}

/// What is wrong with the first row that breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The row's `seq` (for a gap: the `seq` expected there).
    pub seq: i64,
    /// What does not hold, in words.
    pub problem: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Rows checked.
    pub rows: i64,
    /// The hash of the last row (`GENESIS` when empty): keep it elsewhere to detect truncation.
    pub head: String,
    /// The first row that breaks the chain; `None` when the chain holds.
    pub first_break: Option<Break>,
}

impl Verification {
    /// Whether every row holds.
    pub fn intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Recomputes the whole chain and reports the first row that does not hold.
pub(crate) async fn verify(pool: &AnyPool) -> Result<Verification> {
    let until = head_seq(pool).await?;
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_string();
    let mut first_break: Option<Break> = None;
    let mut rows = 0;
    walk(pool, until, |r| {
        rows += 1;
        if first_break.is_some() {
            return Ok(());
        }
        let problem = if r.seq != expected_seq {
            Some((
                expected_seq,
                format!(
                    "row {expected_seq} is missing (the next row is {}): rows were deleted",
                    r.seq
                ),
            ))
        } else if r.prev_hash != prev {
            Some((
                r.seq,
                "its prev_hash is not the previous row's hash: a row before it was changed or removed".into(),
            ))
        } else if r.recompute() != r.hash {
            Some((
                r.seq,
                "its content does not match its hash: the row was changed".into(),
            ))
        } else {
            None
        };
        if let Some((seq, problem)) = problem {
            first_break = Some(Break { seq, problem });
        }
        expected_seq = r.seq + 1;
        prev = r.hash.clone();
        Ok(())
    })
    .await?;
    Ok(Verification {
        rows,
        head: prev,
        first_break,
    })
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One header line, then one line per row (RFC 4180).
    Csv,
    /// A JSON array of row objects.
    Json,
}

/// Column order of the CSV export (and key order of the JSON export).
pub const EXPORT_COLUMNS: [&str; 10] = [
    "seq",
    "at",
    "user",
    "action",
    "record",
    "patient",
    "detail",
    "reason",
    "prev_hash",
    "hash",
];

/// Writes rows 1..=`until` to `out`.
pub(crate) async fn export(
    pool: &AnyPool,
    until: i64,
    format: ExportFormat,
    out: &mut dyn std::io::Write,
) -> Result<i64> {
    let mut n = 0;
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(EXPORT_COLUMNS).map_err(csv_err)?;
            walk(pool, until, |r| {
                n += 1;
                w.write_record([
                    r.seq.to_string().as_str(),
                    &r.at,
                    &r.user,
                    &r.action,
                    &r.record,
                    r.patient.as_deref().unwrap_or(""),
                    &r.detail,
                    r.reason.as_deref().unwrap_or(""),
                    &r.prev_hash,
                    &r.hash,
                ])
                .map_err(csv_err)
            })
            .await?;
            w.flush()?;
        }
        ExportFormat::Json => {
            out.write_all(b"[")?;
            walk(pool, until, |r| {
                out.write_all(if n == 0 { b"\n  " } else { b",\n  " })?;
                n += 1;
                serde_json::to_writer(&mut *out, r)
                    .map_err(|e| crate::Error::Io(std::io::Error::other(e)))
            })
            .await?;
            out.write_all(if n == 0 { b"]\n" } else { b"\n]\n" })?;
            out.flush()?;
        }
    }
    Ok(n)
}

fn csv_err(e: csv::Error) -> crate::Error {
    crate::Error::Io(std::io::Error::other(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_is_fixed() {
        let c = canonical(
            7,
            "2026-12-01T09:30:00.123456Z",
            "alice",
            "read",
            "patients",
            Some("lit-2010-lim-1"),
            "show version 2",
            None,
        );
        assert_eq!(
            c,
            r#"{"seq":7,"at":"2026-12-01T09:30:00.123456Z","user":"alice","action":"read","record":"patients","patient":"lit-2010-lim-1","detail":"show version 2","reason":null}"#
        );
        // Computed independently: Python's hashlib.sha256(("0" * 64 + "\n" + c).encode()), with
        // c = json.dumps(row, separators=(",", ":"), ensure_ascii=False).
        assert_eq!(
            chain_hash(GENESIS, &c),
            "38b2068b268fb0d4a0cf835e141359f903b76265c8a0cee806b618cbfd649edb"
        );
    }

    #[test]
    fn hex_digits() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
