//! Detecting changes made outside ATCPath (a dropped trigger, an edited row, a rewritten hash).
//!
//! The audit trail is hash-chained, and the audit row that created each case version records the
//! version's SHA-256 (`version N … (sha256 H)`): so a version is intact when its JSON hashes to
//! its stored `sha256` AND that hash is the one its audit row recorded. Every projection row is
//! derived from the current version: it is intact when deriving it again gives the same rows.
//!
//! - `check_version`: one version, before `show`, `assess` and export use it;
//! - `check_all_versions`: every version (backup, restore, `audit verify`);
//! - `verify`: every version and every patient's projections, naming the first difference.

use std::collections::HashMap;

use atcpath_core::case::read_record;
use atcpath_kb::Kb;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AnyPool, Row, Transaction};

use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::import::sha256_hex;
use crate::projection;

/// Rows read per query while walking the case versions.
const PAGE: i64 = 500;

/// The analysis projections compared by `verify`: they depend on the knowledge base too, so they
/// are compared only when they were built with this one (the case projections are
/// [`CASE_PROJECTIONS`]).
const ANALYSIS_PROJECTIONS: &[&str] = &["fasttrack", "survival"];

/// The version number and SHA-256 an audit row's detail records for the version it created
/// (`version N imported from F (sha256 H)`, `event K on D added: version N (sha256 H)…`): the
/// first `version N` and the last `(sha256 H)`. `None` for any other row.
pub(crate) fn created_version(detail: &str) -> Option<(i64, &str)> {
    let at = detail.rfind("(sha256 ")?;
    let hash = detail.get(at + 8..at + 8 + 64)?;
    if !hash.bytes().all(|b| b.is_ascii_hexdigit()) || detail.get(at + 72..at + 73) != Some(")") {
        return None;
    }
    let rest = &detail[detail.find("version ")? + 8..];
    let digits: &str = &rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())];
    Some((digits.parse().ok()?, hash))
}

/// The SHA-256 each (pseudonym, version) was created with, from the audit trail.
async fn audited_hashes<'c, E>(
    db: E,
    pseudonym: Option<&str>,
) -> Result<HashMap<(String, i64), String>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    const SQL: &str = "SELECT patient, detail FROM audit
         WHERE action IN ('create', 'update') AND patient IS NOT NULL";
    let rows: Vec<(String, String)> = match pseudonym {
        Some(p) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SQL} AND patient = $1 ORDER BY seq"
            )))
            .bind(p)
            .fetch_all(db)
            .await?
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SQL} ORDER BY seq")))
                .fetch_all(db)
                .await?
        }
    };
    let mut out = HashMap::new();
    for (patient, detail) in rows {
        if let Some((v, h)) = created_version(&detail) {
            out.entry((patient, v)).or_insert_with(|| h.to_string());
        }
    }
    Ok(out)
}

/// What is wrong with one stored version, if anything.
fn version_problem(json: &str, sha: &str, audited: Option<&String>) -> Option<&'static str> {
    if sha256_hex(json.as_bytes()) != sha {
        Some("its JSON does not hash to its stored sha256 (changed outside ATCPath)")
    } else {
        match audited {
            None => Some("no audit row records its creation (added outside ATCPath)"),
            Some(h) if h != sha => Some(
                "its sha256 is not the one the audit row that created it recorded (changed outside ATCPath)",
            ),
            Some(_) => None,
        }
    }
}

/// The newest version the audit trail records as created for `pseudonym`, with its SHA-256.
fn newest_audited<'a>(
    audited: &'a HashMap<(String, i64), String>,
    pseudonym: &str,
) -> Option<(i64, &'a String)> {
    audited
        .iter()
        .filter(|((p, _), _)| p == pseudonym)
        .map(|((_, v), h)| (*v, h))
        .max_by_key(|(v, _)| *v)
}

/// What is wrong when `version` is read as a patient's current version but the audit trail
/// records a newer one (the newer version was removed outside ATCPath).
fn missing_newer(
    audited: &HashMap<(String, i64), String>,
    pseudonym: &str,
    version: i64,
) -> Option<String> {
    match newest_audited(audited, pseudonym) {
        Some((newest, h)) if newest > version => Some(format!(
            "patient {pseudonym:?} version {version} is read as the current version but the audit trail records version {newest} (sha256 {h}) as its newest: version {newest} was removed outside ATCPath"
        )),
        _ => None,
    }
}

/// Checks one version read from `tx` (see the module documentation); when `current` (the
/// version is read as the patient's current one), also that no newer version was created
/// according to the audit trail.
///
/// # Errors
/// [`Error::Tampered`] naming the patient and version; database errors.
pub(crate) async fn check_version(
    tx: &mut Transaction<'static, Any>,
    pseudonym: &str,
    version: i64,
    json: &str,
    sha: &str,
    current: bool,
) -> Result<()> {
    let audited = audited_hashes(&mut **tx, Some(pseudonym)).await?;
    if let Some(p) = version_problem(json, sha, audited.get(&(pseudonym.to_string(), version))) {
        return Err(Error::Tampered(format!(
            "patient {pseudonym:?} version {version}: {p}"
        )));
    }
    match missing_newer(&audited, pseudonym, version).filter(|_| current) {
        None => Ok(()),
        Some(p) => Err(Error::Tampered(p)),
    }
}

/// Checks every case version (hash and audit row): how many were checked, or the first one
/// that does not hold.
///
/// # Errors
/// Database errors only.
pub(crate) async fn check_all_versions(
    conn: &mut AnyConnection,
) -> Result<std::result::Result<i64, Difference>> {
    let audited = audited_hashes(&mut *conn, None).await?;
    let mut stored: HashMap<String, i64> = HashMap::new();
    let mut after = 0i64;
    let mut n = 0;
    loop {
        let rows: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
            "SELECT v.id, p.pseudonym, v.version, v.sha256, v.case_json
             FROM case_versions v JOIN patients p ON p.id = v.patient_id
             WHERE v.id > $1 ORDER BY v.id LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.0;
        for (_, pseudonym, version, sha, json) in rows {
            n += 1;
            let newest = stored.entry(pseudonym.clone()).or_insert(version);
            *newest = (*newest).max(version);
            let key = (pseudonym, version);
            if let Some(p) = version_problem(&json, &sha, audited.get(&key)) {
                return Ok(Err(Difference {
                    table: "case_versions".into(),
                    patient: key.0,
                    version,
                    problem: p.into(),
                }));
            }
        }
    }
    // Every patient's newest stored version is the newest its audit trail records.
    let mut by_patient: HashMap<&String, (i64, &String)> = HashMap::new();
    for ((p, v), h) in &audited {
        let e = by_patient.entry(p).or_insert((*v, h));
        if e.0 < *v {
            *e = (*v, h);
        }
    }
    let mut newest: Vec<(&String, i64, &String)> = by_patient
        .into_iter()
        .map(|(p, (v, h))| (p, v, h))
        .collect();
    newest.sort();
    for (p, v, h) in newest {
        let found = stored.get(p).copied();
        if found.is_none_or(|s| s < v) {
            return Ok(Err(Difference {
                table: "case_versions".into(),
                patient: p.clone(),
                version: v,
                problem: format!(
                    "the audit trail records version {v} (sha256 {h}) as its newest but {}: removed outside ATCPath",
                    found.map_or("no version is stored".to_string(), |s| format!(
                        "the newest stored is version {s}"
                    ))
                ),
            }));
        }
    }
    Ok(Ok(n))
}

/// `check_all_versions` as an error: the number of versions checked.
///
/// # Errors
/// [`Error::Tampered`] naming the first version that does not hold; database errors.
pub(crate) async fn require_all_versions(conn: &mut AnyConnection) -> Result<i64> {
    check_all_versions(conn)
        .await?
        .map_err(|d| Error::Tampered(d.to_string()))
}

/// The first difference `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The table (`case_versions`, `events`, `survival`...).
    pub table: String,
    /// The patient's pseudonym.
    pub patient: String,
    /// The case version concerned (for a projection: the current one).
    pub version: i64,
    /// What does not hold, in words.
    pub problem: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: patient {:?} version {}: {}",
            self.table, self.patient, self.version, self.problem
        )
    }
}

/// The result of `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Integrity {
    /// Case versions checked against their SHA-256 and audit rows.
    pub case_versions: i64,
    /// Patients whose projections were derived again and compared.
    pub patients: i64,
    /// The first difference; `None` when everything holds.
    pub first_difference: Option<Difference>,
}

impl Integrity {
    /// Whether everything holds.
    pub fn intact(&self) -> bool {
        self.first_difference.is_none()
    }
}

/// A row as text, column by column (for comparison only).
fn row_text(row: &AnyRow) -> String {
    let mut out = Vec::new();
    for i in 0..row.len() {
        let cell = if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            format!("{v:?}")
        } else if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            format!("{v:?}")
        } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            format!("{v:?}")
        } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
            format!("{v:?}")
        } else {
            "?".to_string()
        };
        out.push(cell);
    }
    out.join("|")
}

/// One patient's rows of every compared projection table, sorted.
async fn projection_rows(
    tx: &mut Transaction<'static, Any>,
    patient_id: i64,
    tables: &[&str],
) -> Result<Vec<(String, Vec<String>)>> {
    let mut out = Vec::new();
    for t in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM {t} WHERE patient_id = $1"
        )))
        .bind(patient_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut text: Vec<String> = rows.iter().map(row_text).collect();
        text.sort();
        out.push(((*t).to_string(), text));
    }
    Ok(out)
}

/// Checks every case version (`check_all_versions`) and every patient's projections against
/// its current version (derived again in a transaction that is rolled back); returns the number
/// of case versions and patients checked and the first difference, if any.
///
/// # Errors
/// Database errors only; what does not hold is the [`Difference`].
pub(crate) async fn verify(pool: &AnyPool, backend: Backend, kb: &Kb) -> Result<Integrity> {
    let checked = {
        let mut c = pool.acquire().await?;
        match check_all_versions(&mut c).await? {
            Ok(n) => n,
            Err(d) => {
                return Ok(Integrity {
                    case_versions: 0,
                    patients: 0,
                    first_difference: Some(d),
                });
            }
        }
    };
    let mut tx = db::begin_write(pool, backend).await?;
    let stored: Option<(String,)> =
        sqlx::query_as("SELECT fingerprint FROM projection_state WHERE name = 'analysis'")
            .fetch_optional(&mut *tx)
            .await?;
    let analysis_current = stored.is_some_and(|(f,)| f == projection::analysis_fingerprint(kb));
    let analysis: &[&str] = if analysis_current {
        ANALYSIS_PROJECTIONS
    } else {
        &[]
    };
    let tables: Vec<&str> = CASE_PROJECTIONS.iter().chain(analysis).copied().collect();
    let (patients_checked, found) = first_projection_difference(&mut tx, kb, &tables).await?;
    tx.rollback().await?;
    Ok(Integrity {
        case_versions: checked,
        patients: patients_checked,
        first_difference: found,
    })
}

/// The first patient (by pseudonym) whose stored rows of `tables` are not those its current
/// version gives, deriving them again in `tx` (which the caller rolls back, or rolls back to a
/// savepoint); with the number of patients compared. A version this knowledge base no longer
/// reads is skipped (nothing to derive from).
///
/// # Errors
/// Database errors only.
async fn first_projection_difference(
    tx: &mut Transaction<'static, Any>,
    kb: &Kb,
    tables: &[&str],
) -> Result<(i64, Option<Difference>)> {
    let patients: Vec<(i64, String, i64, i64, String)> = sqlx::query_as(
        "SELECT p.id, p.pseudonym, v.id, v.version, v.case_json FROM patients p
         JOIN case_versions v ON v.patient_id = p.id
         WHERE v.version = (SELECT MAX(version) FROM case_versions WHERE patient_id = p.id)
         ORDER BY p.pseudonym",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut patients_checked = 0;
    for (patient_id, pseudonym, version_id, version, json) in patients {
        let Ok(case) = read_record(json.as_bytes(), kb, None) else {
            continue;
        };
        patients_checked += 1;
        let before = projection_rows(tx, patient_id, tables).await?;
        projection::rebuild(tx, patient_id, version_id, &case, kb, false).await?;
        let after = projection_rows(tx, patient_id, tables).await?;
        if let Some(((table, _), _)) = before.iter().zip(&after).find(|((_, a), (_, b))| a != b) {
            return Ok((
                patients_checked,
                Some(Difference {
                    table: table.clone(),
                    patient: pseudonym,
                    version,
                    problem:
                        "the stored rows are not those its case version gives (changed outside ATCPath)"
                            .into(),
                }),
            ));
        }
    }
    Ok((patients_checked, None))
}

/// The case projections: derived from a case version alone.
pub(crate) const CASE_PROJECTIONS: &[&str] = &[
    "events",
    "molecular",
    "molecular_tests",
    "molecular_variants",
    "molecular_fusions",
    "treatments",
    "outcomes",
];

/// Refuses when a patient's stored rows of `tables` are not those its current version gives
/// (`verify`'s comparison, run inside `tx` under a savepoint that is rolled back: nothing
/// changes). Used before `outcomes` and `metrics` compute from the analysis projections and
/// before `restore` accepts a backup. Cost: every patient's projections derived again (one
/// case read and one rebuild per patient).
///
/// # Errors
/// [`Error::Tampered`] `projection T of patient P differs from its version N: run audit
/// verify`; database errors.
pub(crate) async fn require_projections(
    tx: &mut Transaction<'static, Any>,
    kb: &Kb,
    tables: &[&str],
) -> Result<()> {
    match projection_difference(tx, kb, tables).await? {
        None => Ok(()),
        Some(d) => Err(Error::Tampered(format!(
            "projection {} of patient {:?} differs from its version {}: run `registry audit verify`",
            d.table, d.patient, d.version
        ))),
    }
}

/// The first patient whose stored rows of `tables` are not those its current version gives,
/// derived again inside `tx` under a savepoint that is rolled back (nothing changes).
///
/// # Errors
/// Database errors only.
pub(crate) async fn projection_difference(
    tx: &mut Transaction<'static, Any>,
    kb: &Kb,
    tables: &[&str],
) -> Result<Option<Difference>> {
    sqlx::query("SAVEPOINT projection_check")
        .execute(&mut **tx)
        .await?;
    let found = first_projection_difference(tx, kb, tables).await?.1;
    sqlx::query("ROLLBACK TO SAVEPOINT projection_check")
        .execute(&mut **tx)
        .await?;
    sqlx::query("RELEASE SAVEPOINT projection_check")
        .execute(&mut **tx)
        .await?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_version_an_audit_row_created() {
        let h = "ab".repeat(32);
        assert_eq!(
            created_version(&format!("version 3 imported from a.json (sha256 {h})")),
            Some((3, h.as_str()))
        );
        assert_eq!(
            created_version(&format!(
                "event death on 2024-01-02 added: version 12 (sha256 {h}); as_of moved from 2024-01-01 to 2024-01-02"
            )),
            Some((12, h.as_str()))
        );
        // A file name that mimics the pattern does not win over the real hash (the last one).
        let fake = "cd".repeat(32);
        assert_eq!(
            created_version(&format!(
                "version 2 imported from x(sha256 {fake}) (sha256 {h})"
            )),
            Some((2, h.as_str()))
        );
        assert_eq!(created_version("show version 2 of 3"), None);
        assert_eq!(created_version("version x (sha256 zz)"), None);
    }
}
