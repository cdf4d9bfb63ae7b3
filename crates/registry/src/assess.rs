//! `assess`: the clinical core's assessment of a patient's current case version, stored with
//! the knowledge-base version that produced it.

use atcpath_core::Config;
use atcpath_core::case::{read_case, read_record};
use atcpath_core::report::Assessment;
use atcpath_kb::Kb;
use sqlx::AnyPool;

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::import;

/// An assessment just produced and stored.
#[derive(Debug, Clone)]
pub struct StoredAssessment {
    /// The patient.
    pub pseudonym: String,
    /// The case version assessed.
    pub case_version: i64,
    /// The assessment (render it with `atcpath-report`).
    pub assessment: Assessment,
}

/// Assesses the current version with `config` and stores the result; one audit row.
///
/// The case's own molecular result files (`molecular.files`) are not read here: paths in a
/// stored case no longer point anywhere reliable.
pub(crate) async fn assess(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    config: &Config,
    pseudonym: &str,
    actor: &Actor,
) -> Result<StoredAssessment> {
    let mut tx = db::begin_write(pool, backend).await?;
    let user_id = db::ensure_user(&mut tx, actor.user(), "clinician").await?;
    let patient = import::find_patient(&mut tx, pseudonym)
        .await?
        .ok_or_else(|| Error::UnknownPatient(pseudonym.to_string()))?;
    let Some((version_id, version, sha, text)) =
        import::current_version(&mut tx, patient.id).await?
    else {
        return Err(Error::Corrupt(format!(
            "patient {pseudonym:?} has no case version"
        )));
    };
    crate::integrity::check_version(&mut tx, &patient.pseudonym, version, &text, &sha, true)
        .await?;
    let case = read_record(text.as_bytes(), kb, None).map_err(Error::InvalidCase)?;
    if let Some(death) = case.death() {
        return Err(Error::Invalid(format!(
            "patient {pseudonym:?} died on {death}: the registry assesses living patients only (the record is kept as it is)"
        )));
    }
    // The registry stores the case file, not the result files it names: assessing without them
    // would plan as if their findings were unknown.
    if !case.molecular.files.is_empty() {
        return Err(Error::Invalid(format!(
            "patient {pseudonym:?}: the current version names molecular result files (molecular.files: {}), which the registry does not hold; assess the case with `atcpath assess CASE_FILE` beside its files, or record their findings in the case (molecular.variants, fusions, resulted)",
            case.molecular
                .files
                .iter()
                .map(|f| f.path.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let case = read_case(text.as_bytes(), kb, None).map_err(Error::InvalidCase)?;
    let assessment = atcpath_core::assess(&case, kb, config);
    let json = serde_json::to_string_pretty(&assessment)
        .map_err(|e| Error::Corrupt(format!("cannot serialise the assessment: {e}")))?;
    sqlx::query(
        "INSERT INTO assessments (patient_id, case_version_id, kb_version, kb_date, assessment_json, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(patient.id)
    .bind(version_id)
    .bind(&kb.meta.version)
    .bind(&kb.meta.date)
    .bind(&json)
    .bind(db::now_utc())
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        &Entry {
            user: actor.user(),
            action: Action::Assess,
            record: "assessments",
            patient: Some(&patient.pseudonym),
            detail: format!(
                "case version {version} assessed with knowledge base {} ({}): stage {}",
                kb.meta.version, kb.meta.date, assessment.stage.group
            ),
            reason: actor.reason(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StoredAssessment {
        pseudonym: patient.pseudonym,
        case_version: version,
        assessment,
    })
}
