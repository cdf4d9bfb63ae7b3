//! Data leaving and entering the registry in bulk: every patient's current case version as a
//! cBioPortal study folder or as case files, and a cBioPortal study imported as one case per
//! patient. An export is a read of patient data: it needs a reason and appends one `export`
//! audit row per patient, in the transaction that read the cases. Output is written to a
//! staging folder beside the target and renamed into place after the audit rows are committed;
//! a non-empty target is refused before anything is read.

use std::path::Path;

use atcpath_core::case::read_record;
use atcpath_kb::Kb;
use jiff::civil::Date;
use sqlx::AnyPool;

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::cbioportal::{self, write::ExportOptions};
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::import::{self, CaseInput, StoreResult, Stored};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    /// The folder written.
    pub folder: String,
    /// Patients exported.
    pub patients: usize,
    /// Files written, relative to the folder, in order.
    pub files: Vec<String>,
    /// What the export could not say (see [`cbioportal::write`]).
    pub notes: Vec<String>,
    /// Patients left out, each with why (a stored case that no longer validates).
    pub left_out: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Current {
    pseudonym: String,
    version: i64,
    case_json: String,
    sha256: String,
}

/// Which export.
pub(crate) enum Kind<'a> {
    /// A cBioPortal study folder.
    Cbioportal(&'a ExportOptions),
    /// One `<pseudonym>.json` per patient, exactly as stored.
    Cases,
}

/// Exports every patient's current case version to `dir` (see the module documentation).
pub(crate) async fn export(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    dir: &Path,
    kind: Kind<'_>,
    actor: &Actor,
) -> Result<ExportReport> {
    let reason = actor.read_reason()?;
    cbioportal::check_output(dir)?;
    let mut tx = db::begin_write(pool, backend).await?;
    db::ensure_user(&mut tx, actor.user(), "clinician").await?;
    let rows: Vec<Current> = sqlx::query_as(
        "SELECT p.pseudonym, v.version, v.case_json, v.sha256
         FROM patients p JOIN case_versions v ON v.patient_id = p.id
         WHERE v.version = (SELECT MAX(version) FROM case_versions WHERE patient_id = p.id)
         ORDER BY p.pseudonym",
    )
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        crate::integrity::check_version(
            &mut tx,
            &r.pseudonym,
            r.version,
            &r.case_json,
            &r.sha256,
            true,
        )
        .await?;
    }
    let mut left_out = Vec::new();
    let mut exported: Vec<&Current> = Vec::new();
    let (files, notes, what) = match kind {
        Kind::Cases => {
            let mut files = Vec::new();
            for r in &rows {
                if !cbioportal::is_portal_id(&r.pseudonym) {
                    return Err(Error::Invalid(format!(
                        "patient {:?}: the pseudonym is not usable as a file name (letters, digits, '.', '_', '-'); nothing exported",
                        r.pseudonym
                    )));
                }
                files.push((
                    format!("{}.json", r.pseudonym),
                    r.case_json.clone().into_bytes(),
                ));
                exported.push(r);
            }
            (files, Vec::new(), "case file".to_string())
        }
        Kind::Cbioportal(opts) => {
            let mut cases = Vec::new();
            for r in &rows {
                match read_record(r.case_json.as_bytes(), kb, None) {
                    Ok(c) => {
                        cases.push((r.pseudonym.as_str(), c));
                        exported.push(r);
                    }
                    Err(p) => left_out.push(format!(
                        "{} (version {}): no longer validates against this knowledge base ({} problem{}; first: {})",
                        r.pseudonym,
                        r.version,
                        p.len(),
                        if p.len() == 1 { "" } else { "s" },
                        p.first().map(ToString::to_string).unwrap_or_default()
                    )),
                }
            }
            let refs: Vec<(&str, &atcpath_core::case::Case)> =
                cases.iter().map(|(p, c)| (*p, c)).collect();
            let study = cbioportal::write::study(&refs, opts)?;
            let files = study
                .files
                .into_iter()
                .map(|f| (f.path, f.text.into_bytes()))
                .collect();
            (
                files,
                study.notes,
                format!(
                    "cBioPortal study {}{}",
                    opts.study_id,
                    if opts.with_dates {
                        " with diagnosis dates"
                    } else {
                        " (pseudonymised, no dates)"
                    }
                ),
            )
        }
    };
    let tmp = cbioportal::stage_folder(dir, &files)?;
    let audited = async {
        for r in &exported {
            audit::append(
                &mut tx,
                &Entry {
                    user: actor.user(),
                    action: Action::Export,
                    record: "case_versions",
                    patient: Some(&r.pseudonym),
                    detail: format!("export as {what}: version {}", r.version),
                    reason: Some(reason),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok::<(), Error>(())
    }
    .await;
    if let Err(e) = audited {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    cbioportal::publish_folder(&tmp, dir)?;
    Ok(ExportReport {
        folder: dir.display().to_string(),
        patients: exported.len(),
        files: files.into_iter().map(|(p, _)| p).collect(),
        notes,
        left_out,
    })
}

/// One patient of a study import that was not stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StudyRejection {
    /// `PATIENT_ID`.
    pub patient: String,
    /// Every problem (file, line and column, or the case field).
    pub problems: Vec<String>,
}

/// What a study import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StudyImport {
    /// The study folder.
    pub folder: String,
    /// `cancer_study_identifier`, when the folder has `meta_study.txt`.
    pub study_id: Option<String>,
    /// The decision date given to every case.
    pub as_of: String,
    /// New patients stored.
    pub stored: usize,
    /// New versions of existing patients.
    pub new_versions: usize,
    /// Identical to the current version: nothing stored.
    pub unchanged: usize,
    /// Patients stored or unchanged, one each.
    pub cases: Vec<StoreResult>,
    /// Patients rejected whole.
    pub rejected: Vec<StudyRejection>,
    /// Patients already in the registry, left as they are: a study carries less than a
    /// registry record (no decision date, preferences, labs...), so it never replaces one.
    pub skipped_existing: Vec<String>,
    /// Patients whose events, treatments or vital status could not be dated (no
    /// `ATCPATH_DIAGNOSIS_DATE`) and were left absent.
    pub undated: Vec<String>,
    /// What reading left aside.
    pub notes: Vec<String>,
}

/// Imports a cBioPortal study folder, one case per patient (see [`cbioportal::read`]).
pub(crate) async fn import_study(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    dir: &Path,
    as_of: Option<Date>,
    centre: Option<&str>,
    actor: &Actor,
) -> Result<StudyImport> {
    let today = db::today();
    let as_of = as_of.unwrap_or(today);
    if as_of > today {
        return Err(Error::Invalid(format!(
            "--as-of: {as_of} is after today ({today}); a decision date cannot be in the future"
        )));
    }
    let parsed = cbioportal::read_study(dir, &kb.facts.thresholds)?;
    let built = cbioportal::read::cases(&parsed, as_of);
    let mut out = StudyImport {
        folder: dir.display().to_string(),
        study_id: parsed.study_id.clone(),
        as_of: as_of.to_string(),
        stored: 0,
        new_versions: 0,
        unchanged: 0,
        cases: Vec::new(),
        rejected: Vec::new(),
        skipped_existing: Vec::new(),
        undated: Vec::new(),
        notes: parsed.notes.clone(),
    };
    let source = format!(
        "cBioPortal {}",
        parsed.study_id.clone().unwrap_or_else(|| dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()))
    );
    for b in built {
        let (exists,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM patients WHERE pseudonym = $1")
                .bind(&b.id)
                .fetch_one(pool)
                .await?;
        if exists > 0 {
            out.skipped_existing.push(b.id);
            continue;
        }
        if b.undated {
            out.undated.push(b.id.clone());
        }
        let json = match b.result {
            Ok(j) => j,
            Err(problems) => {
                out.rejected.push(StudyRejection {
                    patient: b.id,
                    problems,
                });
                continue;
            }
        };
        let input = CaseInput {
            bytes: json.as_bytes(),
            source: &source,
            centre,
            identifiers: &[],
        };
        match import::import(pool, backend, kb, &input, actor, false).await {
            Ok(r) => {
                match r.stored {
                    Stored::Created => out.stored += 1,
                    Stored::NewVersion => out.new_versions += 1,
                    Stored::Unchanged => out.unchanged += 1,
                }
                out.cases.push(r);
            }
            Err(Error::InvalidCase(problems)) => out.rejected.push(StudyRejection {
                patient: b.id,
                problems: problems.iter().map(ToString::to_string).collect(),
            }),
            Err(e @ Error::Invalid(_)) => out.rejected.push(StudyRejection {
                patient: b.id,
                problems: vec![e.to_string()],
            }),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
