//! ATCPath's patient registry: every patient's case versions, timeline, molecular results,
//! treatments, outcomes and assessments, with an append-only, hash-chained audit trail.
//!
//! An adapter: the case model, its validation, staging and the pathway come from
//! `atcpath-core`; this crate stores and reads. One [`Registry`] type over two backends, chosen
//! by URL: an embedded SQLite file (`sqlite:PATH`) or a PostgreSQL server (`postgres://…`), with
//! the same logical schema ([`schema`]) and the same queries (sqlx's `any` driver; runtime
//! queries only).
//!
//! - [`db`]: connecting, and the one write path (writers serialise across processes);
//! - [`schema`]: versioned migrations per backend, applied by [`Registry::init`], checked by
//!   [`Registry::open`];
//! - [`import`]: storing a case file as a new version; [`edit`]: `event add`;
//! - [`projection`]: the current version laid out in tables (events, molecular, treatments,
//!   outcomes);
//! - [`queries`]: `list` and `show`; [`assess`]: assessments;
//! - [`audit`]: the audit chain, its verification and export;
//! - [`cbioportal`] and [`export`]: every patient's current case out as a cBioPortal study
//!   folder or as case files, and a cBioPortal study in as one case per patient.
//! - [`backup`]: consistent online backups (one SQLite format for both backends) and restore;
//! - [`integrity`]: changes made outside ATCPath (a case version against its SHA-256 and the
//!   audit row that created it; projections against their version);
//! - [`dictionary`]: the registry's fields as a REDCap data dictionary.
//!
//! The API is async (sqlx is); a caller without a runtime builds a current-thread tokio runtime
//! and `block_on`s each call, as the `atcpath registry` command does. Every read of patient data
//! needs a reason ([`Actor`]); every read and write appends audit rows in its own transaction.

#![warn(missing_docs)]

pub mod actor;
pub mod assess;
pub mod audit;
pub mod backup;
pub mod cbioportal;
pub mod db;
pub mod dictionary;
pub mod edit;
mod error;
pub mod export;
pub mod import;
pub mod integrity;
pub mod metrics;
pub mod outcomes;
pub mod projection;
pub mod queries;
pub mod schema;

use atcpath_core::Config;
use atcpath_kb::Kb;
use sqlx::AnyPool;

pub use actor::{Actor, os_user};
pub use assess::StoredAssessment;
pub use audit::{AuditRow, ExportFormat, Verification};
pub use backup::{BackupReport, RestoreReport, TableRows};
pub use cbioportal::write::{DEFAULT_STUDY_ID, ExportOptions};
pub use db::{Backend, DEFAULT_SQLITE_FILE, Target};
pub use edit::EventAdded;
pub use error::{Error, Result};
pub use export::{ExportReport, StudyImport, StudyRejection};
pub use import::{CaseInput, DEFAULT_CENTRE, Identifier, StoreResult, Stored};
pub use integrity::{Difference, Integrity};
pub use metrics::{Metrics, MetricsQuery};
pub use projection::Outcome;
pub use queries::{AssessmentInfo, EventRow, PatientRecord, PatientSummary, VersionInfo};
pub use schema::{SCHEMA_VERSION, TABLES};

/// An open registry.
#[derive(Debug, Clone)]
pub struct Registry {
    pool: AnyPool,
    target: Target,
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InitReport {
    /// Where (safe to print).
    pub database: String,
    /// The backend.
    pub backend: Backend,
    /// Schema version before (`None`: a new registry).
    pub previous_version: Option<i64>,
    /// Schema version now.
    pub schema_version: i64,
}

impl Registry {
    /// Creates the registry (SQLite: the file too) or upgrades its schema, then opens it.
    /// Running it on an up-to-date registry changes nothing but the audit trail.
    ///
    /// # Errors
    /// [`Error::SchemaTooNew`] for a database written by a newer ATCPath; connection and
    /// migration failures.
    pub async fn init(target: &Target, actor: &Actor) -> Result<(Registry, InitReport)> {
        let backend = target.backend();
        let pool = db::connect(target, true).await?;
        if backend == Backend::Sqlite {
            db::ensure_wal(&pool).await?;
        }
        let previous = schema::applied_version(&pool, backend).await?;
        let now = schema::migrate(&pool, backend).await?;
        let reg = Registry {
            pool,
            target: target.clone(),
        };
        let mut tx = db::begin_write(&reg.pool, backend).await?;
        db::ensure_user(&mut tx, actor.user(), "admin").await?;
        audit::append(
            &mut tx,
            &audit::Entry {
                user: actor.user(),
                action: audit::Action::Init,
                record: "registry",
                patient: None,
                detail: match previous {
                    None => format!("registry created, schema version {now}"),
                    Some(p) if p == now => format!("init: schema version {now} already current"),
                    Some(p) => format!("schema upgraded from version {p} to {now}"),
                },
                reason: actor.reason(),
            },
        )
        .await?;
        tx.commit().await?;
        let report = InitReport {
            database: target.describe(),
            backend,
            previous_version: previous,
            schema_version: now,
        };
        Ok((reg, report))
    }

    /// Opens an existing registry and checks its schema version.
    ///
    /// # Errors
    /// [`Error::NotInitialised`] (no registry there: run `init`), [`Error::SchemaTooNew`],
    /// [`Error::SchemaOutdated`], connection failures.
    pub async fn open(target: &Target) -> Result<Registry> {
        let backend = target.backend();
        let pool = db::connect(target, false).await?;
        schema::check(&pool, backend, &target.describe()).await?;
        if backend == Backend::Sqlite {
            db::ensure_wal(&pool).await?;
        }
        Ok(Registry {
            pool,
            target: target.clone(),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.target.backend()
    }

    /// Where the registry is (safe to print: no password).
    pub fn describe(&self) -> String {
        self.target.describe()
    }

    /// Imports one case file (see [`import`]). A case that does not validate, that conflicts
    /// with the registry, or that would drop facts of the patient's current version
    /// ([`import::lost_facts`]: each lost fact is one problem) is [`Error::InvalidCase`], and
    /// nothing of it is stored.
    ///
    /// # Errors
    /// [`Error::InvalidCase`] (rejected), [`Error::Invalid`] (a bad centre code), database errors.
    pub async fn import(
        &self,
        kb: &Kb,
        input: &CaseInput<'_>,
        actor: &Actor,
    ) -> Result<StoreResult> {
        import::import(&self.pool, self.backend(), kb, input, actor, false).await
    }

    /// Imports many cases in one transaction (one disk sync for all), each in its own savepoint:
    /// the results are those of [`Registry::import`] on each in turn (a refused case leaves
    /// nothing, the others are stored). A database failure stores nothing of the batch.
    ///
    /// # Errors
    /// Database errors (the batch is rolled back); per-case refusals are in the list.
    pub async fn import_batch(
        &self,
        kb: &Kb,
        inputs: &[CaseInput<'_>],
        actor: &Actor,
    ) -> Result<Vec<Result<StoreResult>>> {
        import::import_batch(&self.pool, self.backend(), kb, inputs, actor, false).await
    }

    /// As [`Registry::import_batch`], but a case that drops facts of the patient's current
    /// version (events, death included, treatments, results: [`import::lost_facts`]) is stored
    /// anyway, replacing it; the audit row lists what was dropped and keeps the actor's reason.
    /// Without `--replace` ([`Registry::import_batch`]) such a case is refused, naming each fact.
    ///
    /// # Errors
    /// [`Error::ReasonRequired`] (a replacement needs a reason); otherwise as
    /// [`Registry::import_batch`].
    pub async fn import_batch_replacing(
        &self,
        kb: &Kb,
        inputs: &[CaseInput<'_>],
        actor: &Actor,
    ) -> Result<Vec<Result<StoreResult>>> {
        import::import_batch(&self.pool, self.backend(), kb, inputs, actor, true).await
    }

    /// Every patient with the current version's stage and latest event. Needs a reason.
    ///
    /// # Errors
    /// [`Error::ReasonRequired`], database errors.
    pub async fn list(&self, kb: &Kb, actor: &Actor) -> Result<Vec<PatientSummary>> {
        queries::list(&self.pool, self.backend(), kb, actor).await
    }

    /// One patient's record, at the current version or at `version`. Needs a reason.
    ///
    /// # Errors
    /// [`Error::ReasonRequired`], [`Error::UnknownPatient`], [`Error::UnknownVersion`],
    /// database errors.
    pub async fn show(
        &self,
        kb: &Kb,
        pseudonym: &str,
        version: Option<i64>,
        actor: &Actor,
    ) -> Result<PatientRecord> {
        queries::show(&self.pool, self.backend(), kb, pseudonym, version, actor).await
    }

    /// Adds an event (`kind`, `YYYY-MM-DD`) as a new case version (see [`EventAdded`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] (kind, date), [`Error::UnknownPatient`], [`Error::InvalidCase`] (the
    /// new version would not validate: nothing stored), database errors.
    pub async fn add_event(
        &self,
        kb: &Kb,
        pseudonym: &str,
        kind: &str,
        date: &str,
        actor: &Actor,
    ) -> Result<EventAdded> {
        edit::add_event(&self.pool, self.backend(), kb, pseudonym, kind, date, actor).await
    }

    /// Assesses the current case version with `config` and stores the assessment.
    ///
    /// # Errors
    /// [`Error::UnknownPatient`], [`Error::InvalidCase`] (the stored case no longer validates
    /// against `kb`), database errors.
    pub async fn assess(
        &self,
        kb: &Kb,
        config: &Config,
        pseudonym: &str,
        actor: &Actor,
    ) -> Result<StoredAssessment> {
        assess::assess(&self.pool, self.backend(), kb, config, pseudonym, actor).await
    }

    /// Fast-track interval metrics over the patients' current versions (see [`metrics`]);
    /// `query.as_of` defaults to today (as `event add` dates it). Needs a reason.
    ///
    /// # Errors
    /// [`Error::ReasonRequired`], database errors.
    pub async fn metrics(&self, kb: &Kb, query: &MetricsQuery, actor: &Actor) -> Result<Metrics> {
        let today = db::today();
        metrics::metrics(&self.pool, self.backend(), kb, query, today, actor).await
    }

    /// Overall survival by stage, era and first treatment, beside the knowledge base's
    /// benchmarks (see [`outcomes`] and [`atcpath_core::outcomes`]); only `centre`'s patients
    /// when given. Needs a reason.
    ///
    /// # Errors
    /// [`Error::ReasonRequired`], database errors.
    pub async fn outcomes(
        &self,
        kb: &Kb,
        centre: Option<&str>,
        actor: &Actor,
    ) -> Result<atcpath_core::outcomes::Outcomes> {
        outcomes::outcomes(&self.pool, self.backend(), kb, centre, actor).await
    }

    /// Writes every patient's current case version to `dir` as a cBioPortal study folder (see
    /// [`cbioportal::write`]): pseudonymised (no absolute dates, no identifiers) unless
    /// `opts.with_dates`. Needs a reason; one `export` audit row per patient. `dir` must not
    /// exist or be empty; the folder appears whole or not at all.
    ///
    /// # Errors
    /// [`Error::ReasonRequired`], [`Error::Invalid`] (a non-empty `dir`, a bad study id, a
    /// pseudonym that is not a cBioPortal id), write failures, database errors.
    pub async fn export_cbioportal(
        &self,
        kb: &Kb,
        dir: &std::path::Path,
        opts: &ExportOptions,
        actor: &Actor,
    ) -> Result<ExportReport> {
        export::export(
            &self.pool,
            self.backend(),
            kb,
            dir,
            export::Kind::Cbioportal(opts),
            actor,
        )
        .await
    }

    /// Writes every patient's current case version to `dir` as `<pseudonym>.json`, exactly as
    /// stored (importing them again changes nothing). Same rules as
    /// [`Registry::export_cbioportal`].
    ///
    /// # Errors
    /// As [`Registry::export_cbioportal`].
    pub async fn export_cases(
        &self,
        kb: &Kb,
        dir: &std::path::Path,
        actor: &Actor,
    ) -> Result<ExportReport> {
        export::export(
            &self.pool,
            self.backend(),
            kb,
            dir,
            export::Kind::Cases,
            actor,
        )
        .await
    }

    /// Imports a cBioPortal study folder as one case per patient (id = `PATIENT_ID`, decision
    /// date `as_of`, default today; see [`cbioportal::read`]). A patient whose case does not
    /// validate is rejected whole and reported; the others are stored.
    ///
    /// # Errors
    /// [`Error::Invalid`] (a malformed file: the message names the file and line; `as_of`
    /// after today; a bad centre), read failures, database errors.
    pub async fn import_cbioportal(
        &self,
        kb: &Kb,
        dir: &std::path::Path,
        as_of: Option<jiff::civil::Date>,
        centre: Option<&str>,
        actor: &Actor,
    ) -> Result<StudyImport> {
        export::import_study(&self.pool, self.backend(), kb, dir, as_of, centre, actor).await
    }

    /// Recomputes the audit chain.
    ///
    /// # Errors
    /// Database errors only; a broken chain is reported in the [`Verification`].
    pub async fn verify_audit(&self) -> Result<Verification> {
        audit::verify(&self.pool).await
    }

    /// Checks what the audit chain cannot see (see [`integrity`]): every case version against
    /// its SHA-256 and the SHA-256 of the audit row that created it, and every projection against
    /// what the current version derives with `kb`. Reports the first difference.
    ///
    /// # Errors
    /// Database errors only; a difference is reported in the [`Integrity`].
    pub async fn verify_records(&self, kb: &Kb) -> Result<Integrity> {
        integrity::verify(&self.pool, self.backend(), kb).await
    }

    /// Writes the audit trail to `out`, after appending the export's own audit row (which the
    /// export includes). Needs a reason. Returns the number of rows written.
    ///
    /// # Errors
    /// [`Error::ReasonRequired`], write failures, database errors.
    pub async fn export_audit(
        &self,
        format: ExportFormat,
        out: &mut dyn std::io::Write,
        actor: &Actor,
    ) -> Result<i64> {
        let reason = actor.read_reason()?;
        let mut tx = db::begin_write(&self.pool, self.backend()).await?;
        db::ensure_user(&mut tx, actor.user(), "clinician").await?;
        let seq = audit::append(
            &mut tx,
            &audit::Entry {
                user: actor.user(),
                action: audit::Action::Export,
                record: "audit",
                patient: None,
                detail: format!(
                    "audit trail exported as {}",
                    match format {
                        ExportFormat::Csv => "csv",
                        ExportFormat::Json => "json",
                    }
                ),
                reason: Some(reason),
            },
        )
        .await?;
        tx.commit().await?;
        audit::export(&self.pool, seq, format, out).await
    }

    /// Row counts of every table ([`schema::TABLES`]), by name (for checks and tests).
    ///
    /// # Errors
    /// Database errors.
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for name in schema::TABLES {
            let (n,): (i64,) =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {name}")))
                    .fetch_one(&self.pool)
                    .await?;
            out.push((*name, n));
        }
        Ok(out)
    }

    /// Writes a consistent backup of the whole registry to the new file `to` (a SQLite file in
    /// the SQLite schema, whichever the backend; see [`backup`]), after appending the backup's
    /// own audit row, which the backup holds. Other processes may go on writing meanwhile. It
    /// copies every patient, so it needs a reason; temporary files that an interrupted backup
    /// left in `to`'s folder are removed first ([`backup::TEMP_MARK`]).
    ///
    /// # Errors
    /// [`Error::ReasonRequired`], [`Error::Invalid`] (`to` exists, or its folder does not),
    /// [`Error::Tampered`] (a case version changed outside ATCPath: nothing written), write
    /// failures, database errors.
    pub async fn backup(&self, to: &std::path::Path, actor: &Actor) -> Result<BackupReport> {
        backup::backup(&self.pool, &self.target, to, actor).await
    }

    /// Restores the backup `file` into the registry at `target`, which must be new or empty:
    /// every table copied verbatim in one transaction ending with a `restore` audit row, then the
    /// audit chain and every case version's SHA-256 checked (see [`backup`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] (no backup there, another schema version, a damaged backup, a case
    /// version that no audit row created or whose SHA-256 is not the audited one, a case
    /// projection row that is not what its current version gives under `kb`, a target that
    /// holds data), database errors.
    pub async fn restore(
        target: &Target,
        file: &std::path::Path,
        kb: &Kb,
        actor: &Actor,
    ) -> Result<RestoreReport> {
        backup::restore(target, file, kb, actor).await
    }

    /// Closes the connections.
    pub async fn close(self) {
        self.pool.close().await;
    }
}
