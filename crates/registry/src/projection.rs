//! The projection tables: the CURRENT case version of a patient laid out for fast queries
//! (`events`, `molecular*`, `treatments`, `outcomes`, and for the analyses `fasttrack` and
//! `survival`). Derived, never authoritative: rebuilt from the case in the same transaction that
//! stores each new version. The analysis projections depend on the knowledge base (interval
//! definitions, treatment groups): its fingerprint is kept in `projection_state`, and when it
//! changes [`refresh_analysis`] rebuilds them from every current version.

use atcpath_core::case::{Case, EventKind, id_of, read_record};
use atcpath_core::fasttrack;
use atcpath_core::outcomes::survival_record;
use atcpath_kb::Kb;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};

use crate::db;
use crate::error::Result;

/// Clears each projection table for one patient.
const CLEAR: [&str; 9] = [
    "DELETE FROM fasttrack WHERE patient_id = $1",
    "DELETE FROM survival WHERE patient_id = $1",
    "DELETE FROM events WHERE patient_id = $1",
    "DELETE FROM molecular WHERE patient_id = $1",
    "DELETE FROM molecular_tests WHERE patient_id = $1",
    "DELETE FROM molecular_variants WHERE patient_id = $1",
    "DELETE FROM molecular_fusions WHERE patient_id = $1",
    "DELETE FROM treatments WHERE patient_id = $1",
    "DELETE FROM outcomes WHERE patient_id = $1",
];

/// A patient's outcome as far as the events say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Outcome {
    /// `dead` (a death event), `alive` (a last follow-up and no death) or `unknown`.
    pub vital_status: String,
    /// Date of death.
    pub death_date: Option<String>,
    /// Latest follow-up date.
    pub last_follow_up_date: Option<String>,
    /// First progression date.
    pub progression_date: Option<String>,
    /// Latest event of any kind.
    pub last_event_date: Option<String>,
}

/// The outcome the events of a case give.
pub fn outcome(case: &Case) -> Outcome {
    let dates = |k: EventKind| {
        let mut d: Vec<String> = case
            .events
            .iter()
            .filter(|e| e.kind == k)
            .map(|e| e.date.to_string())
            .collect();
        d.sort();
        d
    };
    let death = dates(EventKind::Death).into_iter().next();
    let follow_up = dates(EventKind::LastFollowUp).pop();
    let vital_status = if death.is_some() {
        "dead"
    } else if follow_up.is_some() {
        "alive"
    } else {
        "unknown"
    };
    Outcome {
        vital_status: vital_status.into(),
        death_date: death,
        last_follow_up_date: follow_up,
        progression_date: dates(EventKind::Progression).into_iter().next(),
        last_event_date: case
            .events
            .iter()
            .map(|e| e.date)
            .max()
            .map(|d| d.to_string()),
    }
}

/// A real number bound as text and cast in SQL (`CAST($n AS DOUBLE PRECISION)`, which SQLite
/// reads as REAL). sqlx 0.9's `any` driver binds a NULL `f64` as PostgreSQL `float4`, so a
/// statement first run with NULL then fails on every non-NULL value ("incorrect binary data
/// format"); text has no such trap, and Rust's shortest round-trip decimal form loses nothing.
fn real(x: Option<f64>) -> Option<String> {
    x.map(|v| v.to_string())
}

/// The projection rows one case gives: exactly what [`rebuild`] stores, each table's rows in
/// order (`seq` is the position from 1), without the patient and case-version ids. Pure: the
/// functional core of the projection, also what a consistency check compares stored rows with.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Projection {
    /// `events`: (kind, date).
    pub events: Vec<(String, String)>,
    /// `molecular`: (pd_l1_tps_percent, mmr, msi, tmb_mut_per_mb).
    pub molecular: (Option<f64>, Option<String>, Option<String>, Option<f64>),
    /// `molecular_tests`: (test, status), each pair once.
    pub molecular_tests: Vec<(String, String)>,
    /// `molecular_variants`: (gene, hgvs_p, hgvs_c).
    pub molecular_variants: Vec<(String, Option<String>, Option<String>)>,
    /// `molecular_fusions`: (five_prime, three_prime).
    pub molecular_fusions: Vec<(String, String)>,
    /// `treatments`: (drug, start_date, end_date, cumulative_dose, cumulative_dose_unit).
    #[allow(clippy::type_complexity)]
    pub treatments: Vec<(
        String,
        Option<String>,
        Option<String>,
        Option<f64>,
        Option<String>,
    )>,
    /// `outcomes`.
    pub outcome: Outcome,
}

/// The projection rows of `case` (see [`Projection`]).
pub fn derive(case: &Case) -> Projection {
    let m = &case.molecular;
    let mut tests: Vec<(String, String)> = Vec::new();
    for (list, status) in [(&m.resulted, "resulted"), (&m.pending, "pending")] {
        for t in list {
            let row = (id_of(t), status.to_string());
            if !tests.contains(&row) {
                tests.push(row);
            }
        }
    }
    Projection {
        events: case
            .events
            .iter()
            .map(|e| (e.kind.id().to_string(), e.date.to_string()))
            .collect(),
        molecular: (
            m.pd_l1_tps_percent,
            m.mmr.map(|x| id_of(&x)),
            m.msi.map(|x| id_of(&x)),
            m.tmb_mut_per_mb,
        ),
        molecular_tests: tests,
        molecular_variants: m
            .variants
            .iter()
            .map(|v| {
                (
                    v.gene.clone(),
                    v.protein.as_ref().map(|p| p.normalized.clone()),
                    v.coding.as_ref().map(|c| c.normalized.clone()),
                )
            })
            .collect(),
        molecular_fusions: m
            .fusions
            .iter()
            .map(|f| (f.five_prime.clone(), f.three_prime.clone()))
            .collect(),
        treatments: case
            .treatments
            .iter()
            .map(|t| {
                (
                    t.drug.clone(),
                    t.start.map(|d| d.to_string()),
                    t.end.map(|d| d.to_string()),
                    t.cumulative_dose.as_ref().map(|d| d.value),
                    t.cumulative_dose.as_ref().map(|d| id_of(&d.unit)),
                )
            })
            .collect(),
        outcome: outcome(case),
    }
}

/// Replaces the patient's projection rows with those of `case` (stored as `case_version_id`).
pub(crate) async fn rebuild(
    tx: &mut Transaction<'static, Any>,
    patient_id: i64,
    case_version_id: i64,
    case: &Case,
    kb: &Kb,
    new_patient: bool,
) -> Result<()> {
    // A patient created in this transaction has no rows to clear.
    for sql in CLEAR.iter().filter(|_| !new_patient) {
        sqlx::query(*sql)
            .bind(patient_id)
            .execute(&mut **tx)
            .await?;
    }
    insert_analysis(tx, patient_id, case_version_id, case, kb).await?;
    adopt_state(tx, kb).await?;
    let p = derive(case);
    for (seq, (kind, date)) in (1i64..).zip(&p.events) {
        sqlx::query(
            "INSERT INTO events (patient_id, case_version_id, seq, kind, date) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(patient_id)
        .bind(case_version_id)
        .bind(seq)
        .bind(kind)
        .bind(date)
        .execute(&mut **tx)
        .await?;
    }
    let (pd_l1, mmr, msi, tmb) = &p.molecular;
    sqlx::query(
        "INSERT INTO molecular (patient_id, case_version_id, pd_l1_tps_percent, mmr, msi, tmb_mut_per_mb)
         VALUES ($1, $2, CAST($3 AS DOUBLE PRECISION), $4, $5, CAST($6 AS DOUBLE PRECISION))",
    )
    .bind(patient_id)
    .bind(case_version_id)
    .bind(real(*pd_l1))
    .bind(mmr.clone())
    .bind(msi.clone())
    .bind(real(*tmb))
    .execute(&mut **tx)
    .await?;
    for (test, status) in &p.molecular_tests {
        sqlx::query(
            "INSERT INTO molecular_tests (patient_id, case_version_id, test, status) VALUES ($1, $2, $3, $4)",
        )
        .bind(patient_id)
        .bind(case_version_id)
        .bind(test)
        .bind(status)
        .execute(&mut **tx)
        .await?;
    }
    for (seq, (gene, hgvs_p, hgvs_c)) in (1i64..).zip(&p.molecular_variants) {
        sqlx::query(
            "INSERT INTO molecular_variants (patient_id, case_version_id, seq, gene, hgvs_p, hgvs_c)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(patient_id)
        .bind(case_version_id)
        .bind(seq)
        .bind(gene)
        .bind(hgvs_p.clone())
        .bind(hgvs_c.clone())
        .execute(&mut **tx)
        .await?;
    }
    for (seq, (five, three)) in (1i64..).zip(&p.molecular_fusions) {
        sqlx::query(
            "INSERT INTO molecular_fusions (patient_id, case_version_id, seq, five_prime, three_prime)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(patient_id)
        .bind(case_version_id)
        .bind(seq)
        .bind(five)
        .bind(three)
        .execute(&mut **tx)
        .await?;
    }
    for (seq, (drug, start, end, dose, unit)) in (1i64..).zip(&p.treatments) {
        sqlx::query(
            "INSERT INTO treatments (patient_id, case_version_id, seq, drug, start_date, end_date, cumulative_dose, cumulative_dose_unit)
             VALUES ($1, $2, $3, $4, $5, $6, CAST($7 AS DOUBLE PRECISION), $8)",
        )
        .bind(patient_id)
        .bind(case_version_id)
        .bind(seq)
        .bind(drug)
        .bind(start.clone())
        .bind(end.clone())
        .bind(real(*dose))
        .bind(unit.clone())
        .execute(&mut **tx)
        .await?;
    }
    let o = &p.outcome;
    sqlx::query(
        "INSERT INTO outcomes (patient_id, case_version_id, vital_status, death_date, last_follow_up_date, progression_date, last_event_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(patient_id)
    .bind(case_version_id)
    .bind(&o.vital_status)
    .bind(o.death_date.as_deref())
    .bind(o.last_follow_up_date.as_deref())
    .bind(o.progression_date.as_deref())
    .bind(o.last_event_date.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The layout of the analysis projections (changing it rebuilds them, as a new knowledge base).
const ANALYSIS_FORMAT: &str = "analysis-3";

/// The fingerprint of what the analysis projections depend on: SHA-256 of their layout and of
/// the knowledge base's interval definitions and treatment groups (as JSON).
pub fn analysis_fingerprint(kb: &Kb) -> String {
    let json = serde_json::to_string(&(
        ANALYSIS_FORMAT,
        &kb.facts.intervals,
        &kb.facts.treatment_groups,
    ))
    .unwrap_or_default();
    crate::audit::hex(&Sha256::digest(json.as_bytes()))
}

/// The `fasttrack.spans` text of a patient's spans (one per interval definition, in order; see
/// the migration for the format).
pub(crate) fn encode_spans(spans: &[fasttrack::Span]) -> String {
    spans
        .iter()
        .map(|s| match s.from {
            None => String::new(),
            Some(from) => format!(
                "{from},{},{}",
                s.to.map(|d| d.to_string()).unwrap_or_default(),
                u8::from(s.done_undated)
            ),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The spans of a `fasttrack.spans` text written for `n` interval definitions; `None` when it
/// is not such a text.
pub(crate) fn decode_spans(text: &str, n: usize) -> Option<Vec<fasttrack::Span>> {
    let out: Vec<fasttrack::Span> = text
        .split(';')
        .map(|e| {
            if e.is_empty() {
                return Some(fasttrack::Span::default());
            }
            let mut f = e.split(',');
            let (from, to, u) = (f.next()?, f.next()?, f.next()?);
            if f.next().is_some() {
                return None;
            }
            Some(fasttrack::Span {
                from: Some(from.parse().ok()?),
                to: if to.is_empty() {
                    None
                } else {
                    Some(to.parse().ok()?)
                },
                done_undated: match u {
                    "0" => false,
                    "1" => true,
                    _ => return None,
                },
            })
        })
        .collect::<Option<_>>()?;
    (out.len() == n).then_some(out)
}

/// Inserts a patient's analysis rows (`fasttrack`, `survival`); the caller cleared them.
async fn insert_analysis(
    tx: &mut Transaction<'static, Any>,
    patient_id: i64,
    case_version_id: i64,
    case: &Case,
    kb: &Kb,
) -> Result<()> {
    let defs = &kb.facts.intervals;
    let spans = encode_spans(&fasttrack::spans(case, defs));
    let r = survival_record(case, kb);
    sqlx::query(
        "INSERT INTO fasttrack (patient_id, case_version_id, death_date, spans) VALUES ($1, $2, $3, $4)",
    )
    .bind(patient_id)
    .bind(case_version_id)
    .bind(case.death().map(|d| d.to_string()))
    .bind(spans)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO survival (patient_id, case_version_id, diagnosis_date, end_date, died, stage, first_treatment, first_treatment_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(patient_id)
    .bind(case_version_id)
    .bind(r.diagnosis.map(|d| d.to_string()))
    .bind(r.end.map(|d| d.to_string()))
    .bind(i64::from(r.died))
    .bind(&r.stage)
    .bind(&r.first_treatment)
    .bind(r.first_treatment_date.map(|d| d.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The fingerprint the analysis projections were built with, if recorded.
async fn stored_fingerprint(tx: &mut Transaction<'static, Any>) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT fingerprint FROM projection_state WHERE name = 'analysis'")
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|(f,)| f))
}

/// Records this knowledge base's fingerprint when no state is recorded yet and every patient
/// has its analysis rows (a registry created at schema 2: its rows were all derived on import).
/// A registry upgraded from schema 1 has patients without them: no state is recorded, and the
/// next [`refresh_analysis`] rebuilds them all.
async fn adopt_state(tx: &mut Transaction<'static, Any>, kb: &Kb) -> Result<()> {
    let stored = stored_fingerprint(tx).await?;
    if stored.is_some() {
        return Ok(());
    }
    let (missing,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM patients p WHERE NOT EXISTS (SELECT 1 FROM survival s WHERE s.patient_id = p.id)",
    )
    .fetch_one(&mut **tx)
    .await?;
    if missing == 0 {
        sqlx::query(
            "INSERT INTO projection_state (name, fingerprint, built_at) VALUES ('analysis', $1, $2)",
        )
        .bind(analysis_fingerprint(kb))
        .bind(db::now_utc())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Rebuilds the analysis projections of every patient from the current versions when they were
/// built with another knowledge base (or never: a registry upgraded from schema 1). Returns the
/// pseudonyms of current versions this knowledge base no longer reads (left without analysis
/// rows). Run inside the caller's write transaction.
pub(crate) async fn refresh_analysis(
    tx: &mut Transaction<'static, Any>,
    kb: &Kb,
) -> Result<Vec<String>> {
    let fingerprint = analysis_fingerprint(kb);
    let stored = stored_fingerprint(tx).await?;
    if stored.as_ref() == Some(&fingerprint) {
        return Ok(Vec::new());
    }
    rebuild_analysis(tx, kb).await
}

/// Rebuilds the analysis projections of every patient from the current versions, whatever they
/// were built with (also when a row cannot be read). Returns the pseudonyms of current versions
/// this knowledge base no longer reads. Run inside the caller's write transaction.
pub(crate) async fn rebuild_analysis(
    tx: &mut Transaction<'static, Any>,
    kb: &Kb,
) -> Result<Vec<String>> {
    let fingerprint = analysis_fingerprint(kb);
    sqlx::query("DELETE FROM fasttrack")
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM survival")
        .execute(&mut **tx)
        .await?;
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT p.id, p.pseudonym, v.id, v.case_json FROM patients p
         JOIN case_versions v ON v.patient_id = p.id
         WHERE v.version = (SELECT MAX(version) FROM case_versions WHERE patient_id = p.id)",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut unreadable = Vec::new();
    for (patient_id, pseudonym, version_id, json) in rows {
        match read_record(json.as_bytes(), kb, None) {
            Ok(case) => insert_analysis(tx, patient_id, version_id, &case, kb).await?,
            Err(_) => unreadable.push(pseudonym),
        }
    }
    sqlx::query("DELETE FROM projection_state WHERE name = 'analysis'")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO projection_state (name, fingerprint, built_at) VALUES ('analysis', $1, $2)",
    )
    .bind(fingerprint)
    .bind(db::now_utc())
    .execute(&mut **tx)
    .await?;
    Ok(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use atcpath_core::fasttrack::Span;

    #[test]
    fn spans_text_round_trip_and_refusals() {
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        let spans = vec![
            Span {
                from: Some(d("2024-01-01")),
                to: Some(d("2024-01-05")),
                done_undated: false,
            },
            Span::default(),
            Span {
                from: Some(d("2024-02-01")),
                to: None,
                done_undated: true,
            },
        ];
        let text = encode_spans(&spans);
        assert_eq!(text, "2024-01-01,2024-01-05,0;;2024-02-01,,1");
        assert_eq!(decode_spans(&text, 3), Some(spans));
        assert_eq!(decode_spans("", 1), Some(vec![Span::default()]));
        for bad in [
            "2024-01-01,,0",
            "x,,0;;",
            "2024-01-01,,2;;",
            "2024-01-01,,0,1;;",
        ] {
            assert_eq!(decode_spans(bad, 3), None, "{bad}");
        }
    }
}
