//! Storing cases: an import (a file) or an edit (a new version built from the current one)
//! becomes a new case version, exactly as accepted, with its projections and audit rows, in one
//! write transaction. A case that does not validate is rejected whole: nothing of it is stored.

use atcpath_core::case::{Case, Problem, as_of_after_today, id_key, read_record};
use atcpath_kb::Kb;
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, Transaction};

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::projection;

/// The centre a new patient belongs to when none is named.
pub const DEFAULT_CENTRE: &str = "local";

/// A direct identifier of a patient (e.g. a hospital number). Its value is stored in the
/// `identifiers` table only and never printed: `Debug` shows the kind alone.
#[derive(Clone, PartialEq, Eq)]
pub struct Identifier {
    kind: String,
    value: String,
}

impl std::fmt::Debug for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identifier({}=<not shown>)", self.kind)
    }
}

impl Identifier {
    /// An identifier: `kind` 1 to 64 of `a-z 0-9 _` (e.g. `hospital_number`), `value` 1 to 256
    /// printable characters.
    ///
    /// # Errors
    /// [`Error::Invalid`] (the value is never quoted in the message).
    pub fn new(kind: &str, value: &str) -> Result<Identifier> {
        let kind_ok = !kind.is_empty()
            && kind.len() <= 64
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !kind_ok {
            return Err(Error::Invalid(format!(
                "identifier kind {kind:?}: 1 to 64 of a-z, 0-9 and _ (e.g. hospital_number)"
            )));
        }
        let value = value.trim();
        if value.is_empty() || value.chars().count() > 256 || value.chars().any(char::is_control) {
            return Err(Error::Invalid(format!(
                "identifier {kind}: the value must be 1 to 256 printable characters"
            )));
        }
        Ok(Identifier {
            kind: kind.to_string(),
            value: value.to_string(),
        })
    }

    /// Parses `KIND=VALUE`.
    ///
    /// # Errors
    /// [`Error::Invalid`] (the value is never quoted in the message).
    pub fn parse(text: &str) -> Result<Identifier> {
        let Some((kind, value)) = text.split_once('=') else {
            return Err(Error::Invalid(
                "an identifier is KIND=VALUE (e.g. hospital_number=...)".into(),
            ));
        };
        Identifier::new(kind.trim(), value)
    }

    /// The kind (`hospital_number`).
    pub fn kind(&self) -> &str {
        &self.kind
    }
}

/// A case file to import.
#[derive(Debug, Clone, Copy)]
pub struct CaseInput<'a> {
    /// The file's bytes, exactly as read.
    pub bytes: &'a [u8],
    /// Where it came from (the file name, without its folder).
    pub source: &'a str,
    /// The centre of a new patient (default [`DEFAULT_CENTRE`]); for an existing patient it must
    /// be the patient's centre.
    pub centre: Option<&'a str>,
    /// Direct identifiers to record for the patient.
    pub identifiers: &'a [Identifier],
}

/// What happened to a stored case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    /// A new patient, version 1.
    Created,
    /// A new version of an existing patient's case.
    NewVersion,
    /// Identical (SHA-256) to the patient's current version: nothing new stored.
    Unchanged,
}

/// The outcome of storing one case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreResult {
    /// The patient's pseudonym (the case `id`).
    pub pseudonym: String,
    /// The patient's current version after the operation.
    pub version: i64,
    /// What happened.
    pub stored: Stored,
    /// SHA-256 of the current version's JSON.
    pub sha256: String,
    /// Kinds of the direct identifiers newly recorded (never their values).
    pub identifiers_recorded: Vec<String>,
}

/// Lowercase hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::audit::hex(&Sha256::digest(bytes))
}

fn problem(path: &str, message: String) -> Error {
    Error::InvalidCase(vec![Problem {
        path: path.into(),
        message,
    }])
}

/// Validates a case's bytes as a registry record (`atcpath assess`'s checks, except that the
/// record may end with the patient's death: [`atcpath_core::case::read_record`]), plus: the
/// decision date is not after today.
pub(crate) fn validate(bytes: &[u8], kb: &Kb) -> Result<(Case, String)> {
    let today = db::today();
    let case = read_record(bytes, kb, None).map_err(|mut problems| {
        // A decision date in the future explains date problems that follow from it: first.
        if let Some(p) = as_of_after_today(bytes, None, today) {
            problems.insert(0, p);
        }
        Error::InvalidCase(problems)
    })?;
    if case.as_of > today {
        return Err(problem(
            "as_of",
            format!(
                "{} is after today ({today}); a decision date cannot be in the future",
                case.as_of
            ),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| problem("$", "not valid UTF-8".into()))?
        .to_string();
    Ok((case, text))
}

fn check_centre(code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "centre {code:?}: 1 to 64 of A-Z, a-z, 0-9, -, _ and ."
        )))
    }
}

/// A patient row.
#[derive(sqlx::FromRow)]
pub(crate) struct PatientRow {
    pub id: i64,
    pub pseudonym: String,
    pub centre: String,
}

/// The patient with this pseudonym, if any.
pub(crate) async fn find_patient(
    tx: &mut Transaction<'static, Any>,
    pseudonym: &str,
) -> Result<Option<PatientRow>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.pseudonym, c.code AS centre FROM patients p JOIN centres c ON c.id = p.centre_id
         WHERE p.pseudonym = $1",
    )
    .bind(pseudonym)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The patient's current version: (case_versions.id, version, sha256, case_json).
pub(crate) async fn current_version(
    tx: &mut Transaction<'static, Any>,
    patient_id: i64,
) -> Result<Option<(i64, i64, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, version, sha256, case_json FROM case_versions WHERE patient_id = $1
         ORDER BY version DESC LIMIT 1",
    )
    .bind(patient_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A new case version to store.
pub(crate) struct NewVersion<'a> {
    pub patient: &'a PatientRow,
    pub version: i64,
    pub text: &'a str,
    pub sha256: &'a str,
    pub source: &'a str,
    pub case: &'a Case,
    /// The knowledge base the analysis projections are derived with.
    pub kb: &'a Kb,
    /// The patient row was created in this transaction (no projection rows to clear).
    pub new_patient: bool,
    pub user_id: i64,
}

/// Inserts a case version and rebuilds the projections from it; returns its row id.
pub(crate) async fn insert_version(
    tx: &mut Transaction<'static, Any>,
    v: &NewVersion<'_>,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO case_versions (patient_id, version, case_json, sha256, source, as_of, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(v.patient.id)
    .bind(v.version)
    .bind(v.text)
    .bind(v.sha256)
    .bind(v.source)
    .bind(v.case.as_of.to_string())
    .bind(db::now_utc())
    .bind(v.user_id)
    .fetch_one(&mut **tx)
    .await?;
    projection::rebuild(tx, v.patient.id, id, v.case, v.kb, v.new_patient).await?;
    Ok(id)
}

/// Imports one case (see the module documentation). A case that does not validate, or that
/// conflicts with the registry (another centre, an identifier of another patient), is
/// [`Error::InvalidCase`] and nothing of it is stored.
pub(crate) async fn import(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    input: &CaseInput<'_>,
    actor: &Actor,
    replace: bool,
) -> Result<StoreResult> {
    if replace {
        actor.read_reason()?;
    }
    let checked = check(kb, input)?;
    let mut tx = db::begin_write(pool, backend).await?;
    let r = store(&mut tx, kb, input, checked, actor, replace).await?;
    tx.commit().await?;
    Ok(r)
}

/// A case that validated: the case, its text and SHA-256.
pub(crate) struct Checked {
    case: Case,
    text: String,
    sha: String,
}

/// The checks before any database work: the case validates, the centre code is well formed.
fn check(kb: &Kb, input: &CaseInput<'_>) -> Result<Checked> {
    let (case, text) = validate(input.bytes, kb)?;
    if let Some(c) = input.centre {
        check_centre(c)?;
    }
    Ok(Checked {
        case,
        text,
        sha: sha256_hex(input.bytes),
    })
}

/// Imports many cases in one transaction (one commit, hence one disk sync, for all), each in its
/// own savepoint: a case refused ([`Error::InvalidCase`], [`Error::Invalid`]) leaves nothing
/// and the others are stored, exactly as one [`import`] each would. The outer error is a
/// database failure: then nothing of the batch is stored.
pub(crate) async fn import_batch(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    inputs: &[CaseInput<'_>],
    actor: &Actor,
    replace: bool,
) -> Result<Vec<Result<StoreResult>>> {
    if replace {
        actor.read_reason()?;
    }
    let checked: Vec<Result<Checked>> = inputs.iter().map(|i| check(kb, i)).collect();
    // No transaction (nor disk sync) when every case was refused before the database.
    if checked.iter().all(Result::is_err) {
        return Ok(checked
            .into_iter()
            .filter_map(Result::err)
            .map(Err)
            .collect());
    }
    let mut out = Vec::with_capacity(inputs.len());
    let mut tx = db::begin_write(pool, backend).await?;
    for (input, c) in inputs.iter().zip(checked) {
        let c = match c {
            Ok(c) => c,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        sqlx::query("SAVEPOINT atcpath_case")
            .execute(&mut *tx)
            .await?;
        match store(&mut tx, kb, input, c, actor, replace).await {
            Ok(r) => {
                sqlx::query("RELEASE SAVEPOINT atcpath_case")
                    .execute(&mut *tx)
                    .await?;
                out.push(Ok(r));
            }
            Err(e @ (Error::InvalidCase(_) | Error::Invalid(_))) => {
                sqlx::query("ROLLBACK TO SAVEPOINT atcpath_case")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT atcpath_case")
                    .execute(&mut *tx)
                    .await?;
                out.push(Err(e));
            }
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// The facts of `old` (a patient's current version) that `new` no longer records, each with
/// the field it belongs to: events (same kind and date), treatments (drug and dates), variants,
/// fusions, resulted tests and molecular values, compared as [`projection::derive`] lays them
/// out (facts, not JSON text). A death is an event like any other.
pub fn lost_facts(old: &Case, new: &Case) -> Vec<Problem> {
    let (o, n) = (projection::derive(old), projection::derive(new));
    let mut out = Vec::new();
    let mut lost = |path: &str, what: String| {
        out.push(Problem {
            path: path.into(),
            message: what,
        });
    };
    for (kind, date) in o.events.iter().filter(|e| !n.events.contains(e)) {
        lost("events", format!("event {kind} on {date}"));
    }
    for t in o.treatments.iter().filter(|t| !n.treatments.contains(t)) {
        lost(
            "treatments",
            format!(
                "treatment {} (start {}, end {})",
                t.0,
                t.1.as_deref().unwrap_or("not recorded"),
                t.2.as_deref().unwrap_or("not recorded")
            ),
        );
    }
    for v in o
        .molecular_variants
        .iter()
        .filter(|v| !n.molecular_variants.contains(v))
    {
        let change = [v.1.as_deref(), v.2.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        lost("molecular.variants", format!("variant {} {change}", v.0));
    }
    for f in o
        .molecular_fusions
        .iter()
        .filter(|f| !n.molecular_fusions.contains(f))
    {
        lost("molecular.fusions", format!("fusion {}::{}", f.0, f.1));
    }
    for (test, status) in o
        .molecular_tests
        .iter()
        .filter(|t| t.1 == "resulted" && !n.molecular_tests.contains(t))
    {
        lost("molecular.resulted", format!("test {test} {status}"));
    }
    let (opd, ommr, omsi, otmb) = &o.molecular;
    let (npd, nmmr, nmsi, ntmb) = &n.molecular;
    if let Some(x) = opd
        && npd != &Some(*x)
    {
        lost("molecular.pd_l1_tps_percent", format!("PD-L1 TPS {x}%"));
    }
    if let Some(x) = ommr
        && nmmr.as_ref() != Some(x)
    {
        lost("molecular.mmr", format!("MMR {x}"));
    }
    if let Some(x) = omsi
        && nmsi.as_ref() != Some(x)
    {
        lost("molecular.msi", format!("MSI {x}"));
    }
    if let Some(x) = otmb
        && ntmb != &Some(*x)
    {
        lost("molecular.tmb_mut_per_mb", format!("TMB {x} mut/Mb"));
    }
    out
}

/// Stores one checked case in `tx` (see [`import`]).
async fn store(
    tx: &mut Transaction<'static, Any>,
    kb: &Kb,
    input: &CaseInput<'_>,
    checked: Checked,
    actor: &Actor,
    replace: bool,
) -> Result<StoreResult> {
    let Checked { case, text, sha } = checked;
    let mut replaced: Option<(i64, Vec<Problem>)> = None;
    let user_id = db::ensure_user(tx, actor.user(), "clinician").await?;
    let (patient, stored, version) = match find_patient(tx, &case.id).await? {
        None => {
            // Ids that differ only in letter case are one patient (atcpath_core::case::id_key):
            // another spelling of a patient on file is refused, never a second patient.
            let other: Option<(String,)> =
                sqlx::query_as("SELECT pseudonym FROM patients WHERE LOWER(pseudonym) = $1")
                    .bind(id_key(&case.id))
                    .fetch_optional(&mut **tx)
                    .await?;
            if let Some((other,)) = other {
                return Err(problem(
                    "id",
                    format!(
                        "{:?} differs from patient {other:?} on file only in letter case: ids are compared ignoring case, so it would be the same patient; write the id as {other:?}",
                        case.id
                    ),
                ));
            }
            let centre_id = db::ensure_centre(tx, input.centre.unwrap_or(DEFAULT_CENTRE)).await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO patients (pseudonym, centre_id, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(&case.id)
            .bind(centre_id)
            .bind(db::now_utc())
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
            let patient = PatientRow {
                id,
                pseudonym: case.id.clone(),
                centre: input.centre.unwrap_or(DEFAULT_CENTRE).to_string(),
            };
            (patient, Stored::Created, 1)
        }
        Some(p) => {
            if let Some(c) = input.centre
                && c != p.centre
            {
                return Err(problem(
                    "id",
                    format!(
                        "patient {:?} belongs to centre {:?}, not {c:?}: not stored",
                        p.pseudonym, p.centre
                    ),
                ));
            }
            let current = current_version(tx, p.id).await?;
            match current {
                Some((_, v, s, _)) if s == sha => (p, Stored::Unchanged, v),
                Some((_, v, s, json)) => {
                    crate::integrity::check_version(tx, &p.pseudonym, v, &json, &s, true).await?;
                    let old = read_record(json.as_bytes(), kb, None).map_err(|e| {
                        problem(
                            "id",
                            format!(
                                "patient {:?}: the current version {v} no longer validates against this knowledge base ({} problem(s)), so what this file would drop cannot be checked: not stored",
                                p.pseudonym,
                                e.len()
                            ),
                        )
                    })?;
                    let lost = lost_facts(&old, &case);
                    if !lost.is_empty() {
                        if !replace {
                            return Err(Error::InvalidCase(
                                lost.into_iter()
                                    .map(|f| Problem {
                                        path: f.path,
                                        message: format!(
                                            "{} is in patient {:?}'s current version {v} but not in this file: importing it would drop it; not stored (to replace the record anyway: --replace with --reason)",
                                            f.message, p.pseudonym
                                        ),
                                    })
                                    .collect(),
                            ));
                        }
                        replaced = Some((v, lost));
                    }
                    (p, Stored::NewVersion, v + 1)
                }
                None => (p, Stored::NewVersion, 1),
            }
        }
    };
    let identifiers_recorded = record_identifiers(tx, &patient, input.identifiers, user_id).await?;
    let reason = actor.reason();
    match stored {
        Stored::Unchanged => {
            audit::append(
                tx,
                &Entry {
                    user: actor.user(),
                    action: Action::Read,
                    record: "case_versions",
                    patient: Some(&patient.pseudonym),
                    detail: format!(
                        "import of {}: identical to current version {version}, nothing stored",
                        input.source
                    ),
                    reason,
                },
            )
            .await?;
        }
        Stored::Created | Stored::NewVersion => {
            insert_version(
                tx,
                &NewVersion {
                    patient: &patient,
                    version,
                    text: &text,
                    sha256: &sha,
                    source: input.source,
                    case: &case,
                    kb,
                    new_patient: stored == Stored::Created,
                    user_id,
                },
            )
            .await?;
            let (action, record) = if stored == Stored::Created {
                (Action::Create, "patients")
            } else {
                (Action::Update, "case_versions")
            };
            audit::append(
                tx,
                &Entry {
                    user: actor.user(),
                    action,
                    record,
                    patient: Some(&patient.pseudonym),
                    detail: match &replaced {
                        None => format!(
                            "version {version} imported from {} (sha256 {sha})",
                            input.source
                        ),
                        Some((from, lost)) => format!(
                            "version {version} imported from {}, replacing version {from} and dropping {} (sha256 {sha})",
                            input.source,
                            lost.iter()
                                .map(|f| f.message.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                    reason,
                },
            )
            .await?;
        }
    }
    for kind in &identifiers_recorded {
        audit::append(
            tx,
            &Entry {
                user: actor.user(),
                action: Action::Create,
                record: "identifiers",
                patient: Some(&patient.pseudonym),
                detail: format!("{kind} recorded"),
                reason,
            },
        )
        .await?;
    }
    Ok(StoreResult {
        pseudonym: patient.pseudonym,
        version,
        stored,
        sha256: sha,
        identifiers_recorded,
    })
}

/// Records identifiers not yet on file; returns the kinds recorded. One value per kind per
/// patient, one patient per value within a centre: anything else is refused, never overwritten.
async fn record_identifiers(
    tx: &mut Transaction<'static, Any>,
    patient: &PatientRow,
    ids: &[Identifier],
    user_id: i64,
) -> Result<Vec<String>> {
    let mut recorded = Vec::new();
    for id in ids {
        let mine: Option<(String,)> =
            sqlx::query_as("SELECT value FROM identifiers WHERE patient_id = $1 AND kind = $2")
                .bind(patient.id)
                .bind(&id.kind)
                .fetch_optional(&mut **tx)
                .await?;
        match mine {
            Some((v,)) if v == id.value => continue,
            Some(_) => {
                return Err(problem(
                    "identifier",
                    format!(
                        "patient {:?} already has a different {} on file; identifiers are never overwritten",
                        patient.pseudonym, id.kind
                    ),
                ));
            }
            None => {}
        }
        let (centre_id,): (i64,) = sqlx::query_as("SELECT centre_id FROM patients WHERE id = $1")
            .bind(patient.id)
            .fetch_one(&mut **tx)
            .await?;
        let (taken,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM identifiers WHERE centre_id = $1 AND kind = $2 AND value = $3",
        )
        .bind(centre_id)
        .bind(&id.kind)
        .bind(&id.value)
        .fetch_one(&mut **tx)
        .await?;
        if taken > 0 {
            return Err(problem(
                "identifier",
                format!(
                    "this {} belongs to another patient of the centre: not stored",
                    id.kind
                ),
            ));
        }
        sqlx::query(
            "INSERT INTO identifiers (patient_id, centre_id, kind, value, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(patient.id)
        .bind(centre_id)
        .bind(&id.kind)
        .bind(&id.value)
        .bind(db::now_utc())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        recorded.push(id.kind.clone());
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(v: &serde_json::Value, kb: &Kb) -> Case {
        read_record(v.to_string().as_bytes(), kb, None).expect("case")
    }

    #[test]
    fn lost_facts_lists_each_fact_dropped_and_nothing_else() {
        let kb = Kb::embedded().unwrap();
        let full: serde_json::Value =
            serde_json::from_str(include_str!("../../../examples/ivc-braf.json")).unwrap();
        let old = case(&full, &kb);
        // The same facts, reordered: nothing lost.
        let mut same = full.clone();
        same["events"].as_array_mut().unwrap().reverse();
        assert!(lost_facts(&old, &case(&same, &kb)).is_empty());
        // More facts: nothing lost.
        let mut more = full.clone();
        more["events"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"kind": "last_follow_up", "date": "2022-08-20"}));
        assert!(lost_facts(&old, &case(&more, &kb)).is_empty());
        // One event, one variant, a resulted test and the PD-L1 value dropped, the MMR changed.
        let mut less = full.clone();
        less["events"].as_array_mut().unwrap().remove(4);
        less["molecular"]["variants"]
            .as_array_mut()
            .unwrap()
            .remove(1);
        less["molecular"]["resulted"] =
            serde_json::json!(["braf_v600e_ihc", "ngs_dna", "ngs_rna", "mmr_ihc"]);
        less["molecular"]
            .as_object_mut()
            .unwrap()
            .remove("pd_l1_tps_percent");
        less["molecular"]["mmr"] = serde_json::json!("deficient");
        let lost: Vec<(String, String)> = lost_facts(&old, &case(&less, &kb))
            .into_iter()
            .map(|p| (p.path, p.message))
            .collect();
        let want: Vec<(String, String)> = [
            ("events", "event mdt on 2022-08-19"),
            ("molecular.variants", "variant TERT c.-124C>T"),
            ("molecular.resulted", "test pd_l1_ihc resulted"),
            ("molecular.pd_l1_tps_percent", "PD-L1 TPS 60%"),
            ("molecular.mmr", "MMR proficient"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(lost, want);
    }
}
