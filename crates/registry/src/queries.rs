//! Reading patient data: the patient list and one patient's record. Every read appends its audit
//! rows in the same transaction, and needs a reason.

use atcpath_core::case::read_record;
use atcpath_core::staging;
use atcpath_kb::Kb;
use serde::Serialize;
use sqlx::{Any, AnyPool, Transaction};

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::import;
use crate::projection::{self, Outcome};

/// One event of a patient's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EventRow {
    /// Event kind (`case-format.md`).
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

/// One line of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientSummary {
    /// The pseudonym.
    pub pseudonym: String,
    /// The centre's code.
    pub centre: String,
    /// The current case version.
    pub current_version: i64,
    /// AJCC 8th stage group of the current version (`IVA`, `IVB`, `IVC`, `unknown`), from
    /// `atcpath-core`'s staging; `unreadable` if the stored case no longer validates against the
    /// knowledge base in use.
    pub stage_group: String,
    /// The provisional stage when only distant staging is missing.
    pub provisional_stage: Option<String>,
    /// The latest event of the current version.
    pub last_event: Option<EventRow>,
}

/// One version of a patient's case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct VersionInfo {
    /// 1, 2, …
    pub version: i64,
    /// SHA-256 of the case JSON as stored.
    pub sha256: String,
    /// File name, or `edit`.
    pub source: String,
    /// The case's decision date.
    pub as_of: String,
    /// When stored (UTC).
    pub created_at: String,
    /// Who stored it.
    pub created_by: String,
}

/// A stored assessment, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentInfo {
    /// The case version it was produced from.
    pub case_version: i64,
    /// Knowledge-base version and date that produced it.
    pub kb_version: String,
    /// Knowledge-base date.
    pub kb_date: String,
    /// When (UTC).
    pub created_at: String,
    /// Who.
    pub created_by: String,
    /// The assessment as stored (the `assess --format json` contract).
    pub assessment: serde_json::Value,
}

/// A patient's record as `show` gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientRecord {
    /// The pseudonym.
    pub pseudonym: String,
    /// The centre's code.
    pub centre: String,
    /// The current version.
    pub current_version: i64,
    /// The version shown.
    pub version_shown: i64,
    /// Every version, oldest first.
    pub versions: Vec<VersionInfo>,
    /// The shown version's events, in date order.
    pub events: Vec<EventRow>,
    /// The shown version's outcome.
    pub outcome: Outcome,
    /// The latest stored assessment (of any version), if any.
    pub latest_assessment: Option<AssessmentInfo>,
    /// The shown version's case, parsed.
    pub case: serde_json::Value,
    /// The shown version's case JSON exactly as stored.
    #[serde(skip)]
    pub case_json: String,
}

/// Stage group and provisional stage of a stored case, by `atcpath-core`'s staging.
fn stage_of(text: &str, kb: &Kb) -> (String, Option<String>) {
    match read_record(text.as_bytes(), kb, None) {
        Ok(case) => {
            let s = staging::stage(&case.tumor);
            (
                s.group
                    .map_or_else(|| "unknown".to_string(), |g| g.to_string()),
                s.provisional
                    .map(|p| staging::provisional_str(p).to_string()),
            )
        }
        Err(_) => ("unreadable".into(), None),
    }
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: i64,
    pseudonym: String,
    centre: String,
    version: i64,
    case_json: String,
}

/// Every patient, by pseudonym; one audit row per patient listed.
pub(crate) async fn list(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    actor: &Actor,
) -> Result<Vec<PatientSummary>> {
    let reason = actor.read_reason()?;
    let mut tx = db::begin_write(pool, backend).await?;
    db::ensure_user(&mut tx, actor.user(), "clinician").await?;
    let rows: Vec<ListRow> = sqlx::query_as(
        "SELECT p.id, p.pseudonym, c.code AS centre, v.version, v.case_json
         FROM patients p
         JOIN centres c ON c.id = p.centre_id
         JOIN case_versions v ON v.patient_id = p.id
         WHERE v.version = (SELECT MAX(version) FROM case_versions WHERE patient_id = p.id)
         ORDER BY p.pseudonym",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let last_event: Option<EventRow> = sqlx::query_as(
            "SELECT kind, date FROM events WHERE patient_id = $1 ORDER BY date DESC, seq DESC LIMIT 1",
        )
        .bind(r.id)
        .fetch_optional(&mut *tx)
        .await?;
        let (stage_group, provisional_stage) = stage_of(&r.case_json, kb);
        audit::append(
            &mut tx,
            &Entry {
                user: actor.user(),
                action: Action::Read,
                record: "patients",
                patient: Some(&r.pseudonym),
                detail: format!("list (current version {})", r.version),
                reason: Some(reason),
            },
        )
        .await?;
        out.push(PatientSummary {
            pseudonym: r.pseudonym,
            centre: r.centre,
            current_version: r.version,
            stage_group,
            provisional_stage,
            last_event,
        });
    }
    tx.commit().await?;
    Ok(out)
}

async fn versions(tx: &mut Transaction<'static, Any>, patient_id: i64) -> Result<Vec<VersionInfo>> {
    Ok(sqlx::query_as(
        "SELECT v.version, v.sha256, v.source, v.as_of, v.created_at, u.name AS created_by
         FROM case_versions v JOIN users u ON u.id = v.created_by
         WHERE v.patient_id = $1 ORDER BY v.version",
    )
    .bind(patient_id)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    version: i64,
    kb_version: String,
    kb_date: String,
    assessment_json: String,
    created_at: String,
    created_by: String,
}

async fn latest_assessment(
    tx: &mut Transaction<'static, Any>,
    patient_id: i64,
) -> Result<Option<AssessmentInfo>> {
    let row: Option<AssessmentRow> = sqlx::query_as(
        "SELECT v.version, a.kb_version, a.kb_date, a.assessment_json, a.created_at, u.name AS created_by
         FROM assessments a
         JOIN case_versions v ON v.id = a.case_version_id
         JOIN users u ON u.id = a.created_by
         WHERE a.patient_id = $1 ORDER BY a.id DESC LIMIT 1",
    )
    .bind(patient_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(AssessmentInfo {
            case_version: r.version,
            kb_version: r.kb_version,
            kb_date: r.kb_date,
            created_at: r.created_at,
            created_by: r.created_by,
            assessment: serde_json::from_str(&r.assessment_json)
                .map_err(|e| Error::Corrupt(format!("stored assessment: {e}")))?,
        })
    })
    .transpose()
}

/// One patient's record at its current version or at `version`; one audit row.
pub(crate) async fn show(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    pseudonym: &str,
    version: Option<i64>,
    actor: &Actor,
) -> Result<PatientRecord> {
    let reason = actor.read_reason()?;
    let mut tx = db::begin_write(pool, backend).await?;
    db::ensure_user(&mut tx, actor.user(), "clinician").await?;
    let patient = import::find_patient(&mut tx, pseudonym)
        .await?
        .ok_or_else(|| Error::UnknownPatient(pseudonym.to_string()))?;
    let versions = versions(&mut tx, patient.id).await?;
    let current = versions.last().map_or(0, |v| v.version);
    let shown = version.unwrap_or(current);
    if !versions.iter().any(|v| v.version == shown) {
        return Err(Error::UnknownVersion {
            pseudonym: pseudonym.to_string(),
            version: shown,
            current,
        });
    }
    let (case_json, sha): (String, String) = sqlx::query_as(
        "SELECT case_json, sha256 FROM case_versions WHERE patient_id = $1 AND version = $2",
    )
    .bind(patient.id)
    .bind(shown)
    .fetch_one(&mut *tx)
    .await?;
    crate::integrity::check_version(
        &mut tx,
        &patient.pseudonym,
        shown,
        &case_json,
        &sha,
        shown == current,
    )
    .await?;
    let (events, outcome) = if shown == current {
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT kind, date FROM events WHERE patient_id = $1 ORDER BY date, seq",
        )
        .bind(patient.id)
        .fetch_all(&mut *tx)
        .await?;
        let outcome: Outcome = sqlx::query_as(
            "SELECT vital_status, death_date, last_follow_up_date, progression_date, last_event_date
             FROM outcomes WHERE patient_id = $1",
        )
        .bind(patient.id)
        .fetch_one(&mut *tx)
        .await?;
        (events, outcome)
    } else {
        // An older version: its timeline from the case itself (projections hold the current one).
        let case = read_record(case_json.as_bytes(), kb, None).map_err(|p| {
            Error::Corrupt(format!(
                "version {shown} no longer validates against this knowledge base ({} problems)",
                p.len()
            ))
        })?;
        let mut events: Vec<EventRow> = case
            .events
            .iter()
            .map(|e| EventRow {
                kind: e.kind.id().to_string(),
                date: e.date.to_string(),
            })
            .collect();
        events.sort_by(|a, b| a.date.cmp(&b.date));
        (events, projection::outcome(&case))
    };
    let latest_assessment = latest_assessment(&mut tx, patient.id).await?;
    let case: serde_json::Value =
        serde_json::from_str(case_json.strip_prefix('\u{feff}').unwrap_or(&case_json))
            .map_err(|e| Error::Corrupt(format!("stored case version {shown}: {e}")))?;
    audit::append(
        &mut tx,
        &Entry {
            user: actor.user(),
            action: Action::Read,
            record: "case_versions",
            patient: Some(&patient.pseudonym),
            detail: format!("show version {shown} of {current}"),
            reason: Some(reason),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(PatientRecord {
        pseudonym: patient.pseudonym,
        centre: patient.centre,
        current_version: current,
        version_shown: shown,
        versions,
        events,
        outcome,
        latest_assessment,
        case,
        case_json,
    })
}
