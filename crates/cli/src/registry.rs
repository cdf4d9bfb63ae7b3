//! `atcpath registry`: the patient registry on the command line (an adapter over
//! `atcpath-registry`). The registry's API is async; each command builds a current-thread tokio
//! runtime and blocks on it.
//!
//! Where: `--db PATH` (a SQLite file), else `--database-url URL` (`sqlite:PATH` or
//! `postgres://...`), else `ATCPATH_DATABASE_URL`, else `sqlite:atcpath.db`. Who: `--user`, else
//! `ATCPATH_USER`, else the operating-system user. Why: `--reason`, required for every command
//! that reads patient data (`list`, `show`, `assess`, `metrics`, `outcomes`, `export`, `audit export`). Exit status: 0 done; 2 invalid input
//! (a rejected case, an unknown patient, a missing reason, a broken audit chain); 1 other errors.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use atcpath_core::case::MAX_CASE_BYTES;
use atcpath_registry::{
    Actor, CaseInput, Error, ExportFormat, ExportOptions, ExportReport, Identifier, PatientRecord,
    PatientSummary, Registry, StoreResult, Stored, StudyImport, Target,
};
use clap::{Args, Subcommand, ValueEnum};

use crate::{Fail, invalid, other};

/// Arguments of `atcpath registry`.
/// What `audit verify` cannot see from the chain alone: rows removed from its end leave a
/// shorter chain that still holds.
const TRUNCATION: &str = "Rows removed from the end of the trail leave a chain that still holds: only a copy of this head hash and row count kept outside the registry (e.g. from the last backup) detects that.";

#[derive(Args)]
pub struct RegistryArgs {
    /// SQLite registry file (default: atcpath.db in the current folder).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "database_url"
    )]
    db: Option<PathBuf>,
    /// Registry URL: sqlite:PATH or postgres://USER@HOST/DB (default: $ATCPATH_DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Who is acting, for the audit trail (default: $ATCPATH_USER, else the system user).
    #[arg(long, global = true, value_name = "NAME")]
    user: Option<String>,
    /// Why: kept in the audit trail; required to read patient data.
    #[arg(long, global = true, value_name = "TEXT")]
    reason: Option<String>,
    #[command(subcommand)]
    command: RegistryCommand,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DataFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Markdown,
    Json,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum AuditFormat {
    Csv,
    Json,
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Create the registry (or upgrade its schema).
    #[command(after_help = "Examples:
  atcpath registry init --db atcpath.db
  atcpath registry init --database-url postgres://atcpath@db.example/atcpath")]
    Init {
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Import case files (folders are searched for *.json, not *.expected.json), or a
    /// cBioPortal study folder (--cbioportal DIR: one case per patient). A case already in the
    /// registry (same id) becomes a new version unless identical.
    #[command(after_help = "Examples:
  atcpath registry import cases/ --db atcpath.db
  atcpath registry import new-patient.json --centre lyon --identifier hospital_number=123456
  atcpath registry import --cbioportal study/ --as-of 2025-01-31

A cBioPortal study gives age, sex, ECOG, histology, T/N/M and stage, TMB, MSI, variants and
fusions; events, treatments and vital status only when the patient file has
ATCPATH_DIAGNOSIS_DATE (an `export --with-dates`): without it they are left absent and the
summary says so.

Exit status: 0 all stored; 2 some case rejected (the valid ones are stored); 1 other error.")]
    Import {
        /// Case files or folders.
        #[arg(
            required_unless_present = "cbioportal",
            conflicts_with = "cbioportal",
            value_name = "CASE_FILE_OR_DIR"
        )]
        paths: Vec<PathBuf>,
        /// A cBioPortal study folder to import instead of case files.
        #[arg(long, value_name = "DIR", conflicts_with = "identifier")]
        cbioportal: Option<PathBuf>,
        /// Decision date of the cases built from a cBioPortal study (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", requires = "cbioportal")]
        as_of: Option<String>,
        /// Centre of new patients (default: local).
        #[arg(long, value_name = "CODE")]
        centre: Option<String>,
        /// Direct identifier to record, KIND=VALUE (one case file only); never printed.
        #[arg(long, value_name = "KIND=VALUE")]
        identifier: Vec<String>,
        /// Store a file even when it drops facts of the patient's current version (events, the
        /// death, treatments, results), which is otherwise refused naming each; needs --reason,
        /// kept in the audit trail with the facts dropped.
        #[arg(long, conflicts_with = "cbioportal")]
        replace: bool,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Export every patient's current case version: a cBioPortal study folder (--cbioportal) or
    /// one case file per patient (--cases). Reads patient data: needs --reason.
    #[command(after_help = "Examples:
  atcpath registry export --cbioportal study/ --reason \"research extract 2026-01\"
  atcpath registry export --cbioportal study/ --with-dates --study-id atc_lyon --reason \"internal portal\"
  atcpath registry export --cases backup/ --reason \"backup\"

The cBioPortal export is pseudonymised: no absolute dates (timeline and OS_MONTHS count days
from diagnosis), no identifiers; --with-dates adds ATCPATH_DIAGNOSIS_DATE so that ATCPath (or an
internal portal) can restore dates. --cases writes <pseudonym>.json exactly as stored (dates
included). DIR must not exist or be empty; it appears whole or not at all.")]
    Export {
        /// Write a cBioPortal study folder here.
        #[arg(
            long,
            value_name = "DIR",
            conflicts_with = "cases",
            required_unless_present = "cases"
        )]
        cbioportal: Option<PathBuf>,
        /// Write one case file per patient here.
        #[arg(long, value_name = "DIR")]
        cases: Option<PathBuf>,
        /// cancer_study_identifier of the cBioPortal study.
        #[arg(long, value_name = "ID", default_value = atcpath_registry::DEFAULT_STUDY_ID)]
        study_id: String,
        /// cBioPortal: add each patient's diagnosis date (ATCPATH_DIAGNOSIS_DATE).
        #[arg(long)]
        with_dates: bool,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// List patients: centre, current version, stage, last event.
    #[command(after_help = "Example:
  atcpath registry list --reason \"tumour board 2026-12-01\"")]
    List {
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Show one patient: current case (or --version N), versions, events, latest assessment.
    #[command(after_help = "Example:
  atcpath registry show lit-2010-lim-1 --reason \"tumour board\" --version 1")]
    Show {
        /// The patient's pseudonym (the case id).
        patient: String,
        /// Case version to show (default: the current one).
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Fast-track interval metrics (clinical-pathway §8) over the patients' current versions:
    /// per interval n, median and interquartile range of days (quantiles of type 7, R's
    /// default), share within target, and the patients overdue as of --as-of.
    #[command(after_help = "Examples:
  atcpath registry metrics --reason \"quarterly audit\"
  atcpath registry metrics --centre lyon --from 2024-01-01 --to 2024-12-31 --as-of 2025-01-15 --reason \"audit\" --format json

Only intervals whose start (the interval's `from` event) is within --from/--to count, the
overdue list included. n counts completed intervals with dates; a step done whose date is not
recorded is counted apart.")]
    Metrics {
        /// Only this centre's patients (default: every centre).
        #[arg(long, value_name = "CODE")]
        centre: Option<String>,
        /// Earliest start date counted (included).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<String>,
        /// Latest start date counted (included).
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<String>,
        /// Date overdue is measured to (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Overall survival (OS) from diagnosis by stage, era of diagnosis and first treatment:
    /// Kaplan-Meier medians and one-year OS with 95% confidence limits, log-rank tests, beside
    /// the published benchmarks of the knowledge base.
    #[command(after_help = "Example:
  atcpath registry outcomes --reason \"network annual report\" --format json")]
    Outcomes {
        /// Only this centre's patients (default: every centre).
        #[arg(long, value_name = "CODE")]
        centre: Option<String>,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Timeline events.
    #[command(subcommand)]
    Event(EventCommand),
    /// Assess the current case version, store the assessment and print it.
    #[command(after_help = "Example:
  atcpath registry assess example-ivc-braf --format markdown")]
    Assess {
        /// The patient's pseudonym.
        patient: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Centre settings (TOML), as for `atcpath assess`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent backup of the whole registry to a new SQLite file (from a SQLite or
    /// PostgreSQL registry; other processes may go on writing). The backup's own audit row is
    /// in it.
    #[command(after_help = "Examples:
  atcpath registry backup --to backups/atcpath-2026-12-01.db --db atcpath.db --reason \"nightly backup\"
  atcpath registry backup --to atcpath.db.bak --database-url postgres://atcpath@db.example/atcpath --reason \"nightly backup\"

Keep the audit head hash it prints elsewhere: it proves the backup's trail complete.")]
    Backup {
        /// The backup file to create (never replaced if it exists).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Restore a backup into a new or empty registry (--db or --database-url), then verify the
    /// audit chain and every case version's SHA-256.
    #[command(after_help = "Examples:
  atcpath registry restore atcpath-2026-12-01.db --db restored.db
  atcpath registry restore atcpath-2026-12-01.db --database-url postgres://atcpath@db.example/atcpath

Do not run `registry init` first: restore creates the schema. A target that holds any row is
refused, and so is a backup of another schema version.")]
    Restore {
        /// The backup file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Write the registry's fields as a REDCap data dictionary (CSV).
    #[command(after_help = "Example:
  atcpath registry dictionary --out atcpath_redcap_dictionary.csv")]
    Dictionary {
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EventCommand {
    /// Add an event to a patient's timeline (a new case version, validated like an import).
    #[command(after_help = "Example:
  atcpath registry event add example-ivc-braf --kind treatment_start --date 2022-08-24")]
    Add {
        /// The patient's pseudonym.
        patient: String,
        /// Event kind: first_contact, referral, biopsy, pathology_confirmed, braf_result,
        /// ngs_result, mdt, treatment_start, surgery, radiotherapy_start, radiotherapy_end,
        /// systemic_start, response_assessment, progression, death, last_follow_up.
        #[arg(long)]
        kind: String,
        /// Event date.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain, then check every case version against its SHA-256 and the
    /// audit row that created it, and every projection against its version; exit 2 and name the
    /// first broken row or changed record (table, patient, version).
    Verify {
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Write the audit trail (this export included) as CSV or JSON.
    #[command(after_help = "Example:
  atcpath registry audit export --format csv --out audit.csv --reason \"quarterly review\"")]
    Export {
        #[arg(long, value_enum, default_value_t = AuditFormat::Csv)]
        format: AuditFormat,
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

fn fail(e: Error) -> Fail {
    let mut message = e.to_string();
    if let Error::InvalidCase(problems) = &e {
        for p in problems {
            message.push_str(&format!("\n  {p}"));
        }
    }
    if e.is_invalid_input() {
        invalid(message)
    } else {
        other(message)
    }
}

fn target(args: &RegistryArgs) -> Result<Target, Fail> {
    if let Some(p) = &args.db {
        return Ok(Target::sqlite(p));
    }
    let url = args.database_url.clone().or_else(|| {
        std::env::var("ATCPATH_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
    });
    match url {
        Some(u) => Target::parse(&u).map_err(fail),
        None => Ok(Target::sqlite(atcpath_registry::DEFAULT_SQLITE_FILE)),
    }
}

fn actor(args: &RegistryArgs) -> Result<Actor, Fail> {
    let user = args
        .user
        .clone()
        .or_else(|| {
            std::env::var("ATCPATH_USER")
                .ok()
                .filter(|s| !s.trim().is_empty())
        })
        .or_else(atcpath_registry::os_user)
        .unwrap_or_else(|| "unknown".into());
    Actor::new(&user, args.reason.as_deref()).map_err(fail)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, Fail> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| other(e.to_string()))
}

/// Runs `atcpath registry ...`.
pub fn run(args: RegistryArgs) -> Result<String, Fail> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| other(format!("cannot start the database runtime: {e}")))?;
    rt.block_on(run_async(args))
}

async fn run_async(args: RegistryArgs) -> Result<String, Fail> {
    let target = target(&args)?;
    let actor = actor(&args)?;
    let needs_reason = matches!(
        args.command,
        RegistryCommand::List { .. }
            | RegistryCommand::Show { .. }
            | RegistryCommand::Metrics { .. }
            | RegistryCommand::Outcomes { .. }
            | RegistryCommand::Assess { .. }
            | RegistryCommand::Export { .. }
            | RegistryCommand::Backup { .. }
            | RegistryCommand::Audit(AuditCommand::Export { .. })
    );
    if needs_reason && actor.reason().is_none() {
        return Err(fail(Error::ReasonRequired));
    }
    if let RegistryCommand::Init { format } = args.command {
        let (reg, report) = Registry::init(&target, &actor).await.map_err(fail)?;
        reg.close().await;
        return match format {
            DataFormat::Json => json(&report),
            DataFormat::Text => Ok(match report.previous_version {
                None => format!(
                    "Registry created: {} (schema version {})\n",
                    report.database, report.schema_version
                ),
                Some(p) if p == report.schema_version => format!(
                    "Registry {} is up to date (schema version {})\n",
                    report.database, report.schema_version
                ),
                Some(p) => format!(
                    "Registry {} upgraded from schema version {p} to {}\n",
                    report.database, report.schema_version
                ),
            }),
        };
    }
    match args.command {
        RegistryCommand::Dictionary { out } => return dictionary(out.as_deref()),
        RegistryCommand::Restore { file, format } => {
            let kb = crate::load_kb(None)?;
            let r = Registry::restore(&target, &file, &kb, &actor)
                .await
                .map_err(fail)?;
            return match format {
                DataFormat::Json => json(&r),
                DataFormat::Text => Ok(restore_text(&r)),
            };
        }
        _ => {}
    }
    let reg = Registry::open(&target).await.map_err(fail)?;
    let out = command(&reg, &actor, args.command).await;
    reg.close().await;
    out
}

async fn command(reg: &Registry, actor: &Actor, cmd: RegistryCommand) -> Result<String, Fail> {
    match cmd {
        RegistryCommand::Init { .. }
        | RegistryCommand::Restore { .. }
        | RegistryCommand::Dictionary { .. } => Ok(String::new()),
        RegistryCommand::Backup { to, format } => {
            let r = reg.backup(&to, actor).await.map_err(fail)?;
            match format {
                DataFormat::Json => json(&r),
                DataFormat::Text => Ok(backup_text(&r)),
            }
        }
        RegistryCommand::Import {
            cbioportal: Some(dir),
            as_of,
            centre,
            format,
            ..
        } => {
            let as_of = date_arg("--as-of", as_of.as_deref())?;
            let kb = crate::load_kb(None)?;
            let r = reg
                .import_cbioportal(&kb, &dir, as_of, centre.as_deref(), actor)
                .await
                .map_err(fail)?;
            study_import_out(&r, format)
        }
        RegistryCommand::Import {
            paths,
            centre,
            identifier,
            replace,
            format,
            ..
        } => {
            if replace && actor.reason().is_none() {
                return Err(invalid(
                    "--replace: give --reason \"...\": replacing a record is kept in the audit trail with its reason",
                ));
            }
            import(
                reg,
                actor,
                &paths,
                centre.as_deref(),
                &identifier,
                replace,
                format,
            )
            .await
        }
        RegistryCommand::Export {
            cbioportal,
            cases,
            study_id,
            with_dates,
            format,
        } => {
            let kb = crate::load_kb(None)?;
            let r = match (cbioportal, cases) {
                (Some(dir), _) => {
                    let opts = ExportOptions {
                        study_id,
                        with_dates,
                    };
                    reg.export_cbioportal(&kb, &dir, &opts, actor).await
                }
                (None, Some(dir)) => {
                    if with_dates {
                        return Err(invalid(
                            "--with-dates applies to --cbioportal (case files always hold their dates)",
                        ));
                    }
                    reg.export_cases(&kb, &dir, actor).await
                }
                (None, None) => return Err(invalid("give --cbioportal DIR or --cases DIR")),
            }
            .map_err(fail)?;
            match format {
                DataFormat::Json => json(&r),
                DataFormat::Text => Ok(export_text(&r)),
            }
        }
        RegistryCommand::List { format } => {
            let kb = crate::load_kb(None)?;
            let patients = reg.list(&kb, actor).await.map_err(fail)?;
            match format {
                DataFormat::Json => json(&serde_json::json!({ "patients": patients })),
                DataFormat::Text => Ok(list_text(&patients)),
            }
        }
        RegistryCommand::Show {
            patient,
            version,
            format,
        } => {
            let kb = crate::load_kb(None)?;
            let rec = reg
                .show(&kb, &patient, version, actor)
                .await
                .map_err(fail)?;
            match format {
                DataFormat::Json => json(&rec),
                DataFormat::Text => Ok(show_text(&rec)),
            }
        }
        RegistryCommand::Metrics {
            centre,
            from,
            to,
            as_of,
            format,
        } => {
            let query = atcpath_registry::MetricsQuery {
                centre,
                window: atcpath_core::fasttrack::Window {
                    from: date_arg("--from", from.as_deref())?,
                    to: date_arg("--to", to.as_deref())?,
                },
                as_of: date_arg("--as-of", as_of.as_deref())?,
            };
            if let (Some(f), Some(t)) = (query.window.from, query.window.to)
                && f > t
            {
                return Err(invalid(format!("--from {f} is after --to {t}")));
            }
            let kb = crate::load_kb(None)?;
            let m = reg.metrics(&kb, &query, actor).await.map_err(fail)?;
            match format {
                DataFormat::Json => json(&m),
                DataFormat::Text => Ok(metrics_text(&m)),
            }
        }
        RegistryCommand::Outcomes { centre, format } => {
            let kb = crate::load_kb(None)?;
            let o = reg
                .outcomes(&kb, centre.as_deref(), actor)
                .await
                .map_err(fail)?;
            match format {
                DataFormat::Json => json(&o),
                DataFormat::Text => Ok(outcomes_text(&o, centre.as_deref())),
            }
        }
        RegistryCommand::Event(EventCommand::Add {
            patient,
            kind,
            date,
            format,
        }) => {
            let kb = crate::load_kb(None)?;
            let r = reg
                .add_event(&kb, &patient, &kind, &date, actor)
                .await
                .map_err(fail)?;
            match format {
                DataFormat::Json => json(&r),
                DataFormat::Text => Ok(match r.stored {
                    Stored::Unchanged => format!(
                        "{}: {} on {} is already recorded (version {}); nothing stored\n",
                        r.pseudonym, r.kind, r.date, r.version
                    ),
                    _ => format!(
                        "{}: {} on {} added: version {}{}\n",
                        r.pseudonym,
                        r.kind,
                        r.date,
                        r.version,
                        r.as_of_moved_from
                            .as_ref()
                            .map(|m| format!(" (decision date as_of moved from {m} to {})", r.date))
                            .unwrap_or_default()
                    ),
                }),
            }
        }
        RegistryCommand::Assess {
            patient,
            format,
            config,
        } => {
            let kb = crate::load_kb(None)?;
            let settings = crate::config::load(&kb, config.as_deref())?;
            let stored = reg
                .assess(&kb, &settings, &patient, actor)
                .await
                .map_err(fail)?;
            let f = match format {
                ReportFormat::Text => atcpath_report::Format::Text,
                ReportFormat::Markdown => atcpath_report::Format::Markdown,
                ReportFormat::Json => atcpath_report::Format::Json,
                ReportFormat::Html => atcpath_report::Format::Html,
            };
            Ok(atcpath_report::render(&stored.assessment, f))
        }
        RegistryCommand::Audit(AuditCommand::Verify { format }) => {
            let v = reg.verify_audit().await.map_err(fail)?;
            // The records are compared with the chain only when the chain holds.
            let records = if v.intact() {
                let kb = crate::load_kb(None)?;
                Some(reg.verify_records(&kb).await.map_err(fail)?)
            } else {
                None
            };
            let text = match format {
                DataFormat::Json => {
                    let mut j = serde_json::to_value(&v).map_err(|e| other(e.to_string()))?;
                    j["records"] =
                        serde_json::to_value(&records).map_err(|e| other(e.to_string()))?;
                    json(&j)?
                }
                DataFormat::Text => {
                    let mut t = match &v.first_break {
                        None => format!(
                            "Audit chain intact: {} row{}; head hash {}\n{TRUNCATION}\n",
                            v.rows,
                            if v.rows == 1 { "" } else { "s" },
                            v.head
                        ),
                        Some(b) => format!(
                            "Audit chain BROKEN at row {}: {} ({} rows checked)\n",
                            b.seq, b.problem, v.rows
                        ),
                    };
                    match &records {
                        Some(r) => match &r.first_difference {
                            None => t.push_str(&format!(
                                "Records intact: {} case versions match their SHA-256 and audit rows; projections of {} patients match their current versions\n",
                                r.case_versions, r.patients
                            )),
                            Some(d) => t.push_str(&format!(
                                "Records CHANGED outside ATCPath: table {}, patient {}, version {}: {}\n",
                                d.table, d.patient, d.version, d.problem
                            )),
                        },
                        None => t.push_str("Records not checked (the audit chain does not hold)\n"),
                    }
                    t
                }
            };
            if v.intact()
                && records
                    .as_ref()
                    .is_some_and(atcpath_registry::Integrity::intact)
            {
                Ok(text)
            } else {
                Err(invalid(text))
            }
        }
        RegistryCommand::Audit(AuditCommand::Export { format, out }) => {
            let f = match format {
                AuditFormat::Csv => ExportFormat::Csv,
                AuditFormat::Json => ExportFormat::Json,
            };
            match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .map_err(|e| other(format!("{}: cannot write: {e}", path.display())))?;
                    let mut w = std::io::BufWriter::new(file);
                    let n = reg.export_audit(f, &mut w, actor).await.map_err(fail)?;
                    w.flush()
                        .map_err(|e| other(format!("{}: cannot write: {e}", path.display())))?;
                    eprintln!("{n} audit rows written to {}", path.display());
                    Ok(String::new())
                }
                None => {
                    let mut buf = Vec::new();
                    reg.export_audit(f, &mut buf, actor).await.map_err(fail)?;
                    String::from_utf8(buf).map_err(|e| other(e.to_string()))
                }
            }
        }
    }
}

fn tables_text(tables: &[atcpath_registry::TableRows]) -> String {
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("  {:<20} {:>9}\n", t.table, t.rows));
    }
    out
}

fn backup_text(r: &atcpath_registry::BackupReport) -> String {
    format!(
        "Backup of {} written to {} (schema version {}): {} rows in {} tables, {} bytes\n{}Audit: {} rows; head hash {}\n",
        r.database,
        r.file,
        r.schema_version,
        r.total_rows,
        r.tables.len(),
        r.bytes,
        tables_text(&r.tables),
        r.audit_rows,
        r.audit_head
    )
}

fn restore_text(r: &atcpath_registry::RestoreReport) -> String {
    format!(
        "Restored {} into {} (schema version {}): {} rows in {} tables\n{}Audit chain intact: {} rows (backup head {}); head hash {}\nCase versions checked against their SHA-256: {}\n",
        r.file,
        r.database,
        r.schema_version,
        r.total_rows,
        r.tables.len(),
        tables_text(&r.tables),
        r.audit_rows,
        r.backup_audit_head,
        r.audit_head,
        r.case_versions_checked
    )
}

/// `registry dictionary`: the REDCap data dictionary, to `out` (replaced through a temporary
/// file beside it) or standard output.
fn dictionary(out: Option<&Path>) -> Result<String, Fail> {
    let mut buf = Vec::new();
    atcpath_registry::dictionary::write_csv(&mut buf).map_err(fail)?;
    match out {
        None => String::from_utf8(buf).map_err(|e| other(e.to_string())),
        Some(path) => {
            let cannot =
                |e: std::io::Error| other(format!("{}: cannot write: {e}", path.display()));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| invalid(format!("{}: not a file path", path.display())))?;
            // Never replaces anything (a registry file given by mistake, a device).
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(invalid(format!(
                    "{}: exists; the dictionary is written to a new file only",
                    path.display()
                )));
            }
            let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
            let written = (|| {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&buf)?;
                f.sync_all()?;
                // A link fails if the path appeared meanwhile: still nothing replaced.
                std::fs::hard_link(&tmp, path)
            })();
            let _ = std::fs::remove_file(&tmp);
            if let Err(e) = written {
                return Err(cannot(e));
            }
            eprintln!(
                "REDCap data dictionary ({} fields) written to {}",
                atcpath_registry::dictionary::SPECS.len(),
                path.display()
            );
            Ok(String::new())
        }
    }
}

/// Case files under `paths`: files as given; folders searched recursively (symbolic links to
/// folders are not followed) for `*.json` that are not `*.expected.json`, in name order.
fn case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Fail> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Fail> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| other(format!("{}: cannot read the folder: {e}", dir.display())))?;
        let mut found = Vec::new();
        for e in entries {
            let e = e.map_err(|e| other(format!("{}: {e}", dir.display())))?;
            found.push((e.path(), e.file_type().map(|t| t.is_dir()).unwrap_or(false)));
        }
        found.sort();
        for (p, is_dir) in found {
            if is_dir {
                walk(&p, out)?;
            } else {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                if name.ends_with(".json") && !name.ends_with(".expected.json") {
                    out.push(p);
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    // A file reached twice (a folder and a file in it, `dir` and `dir/`) is imported once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    // Opening a FIFO or a device would wait or read forever.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err("not a regular file".to_string()),
        Err(e) => return Err(format!("cannot read: {e}")),
        Ok(_) => {}
    }
    let f = atcpath_formats::limits::open_file(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut buf = Vec::new();
    f.take(MAX_CASE_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() > MAX_CASE_BYTES {
        return Err(format!("$: a case file is at most {MAX_CASE_BYTES} bytes"));
    }
    Ok(buf)
}

#[derive(serde::Serialize)]
struct ImportedCase {
    file: String,
    #[serde(flatten)]
    result: StoreResult,
}

#[derive(serde::Serialize)]
struct Rejection {
    file: String,
    problems: Vec<String>,
}

#[derive(serde::Serialize)]
struct ImportSummary {
    database: String,
    files: usize,
    imported: usize,
    new_versions: usize,
    unchanged: usize,
    rejected: usize,
    cases: Vec<ImportedCase>,
    rejections: Vec<Rejection>,
    /// Things to know about stored cases (e.g. result files the registry does not read).
    notes: Vec<String>,
}

/// The `id` of a case file, read before the case is validated.
#[derive(serde::Deserialize)]
struct IdOnly {
    id: Option<String>,
}

/// Whether a case file names molecular result files (`molecular.files`).
fn names_result_files(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Files {
        molecular: Option<Molecular>,
    }
    #[derive(serde::Deserialize)]
    struct Molecular {
        files: Option<Vec<serde_json::Value>>,
    }
    serde_json::from_slice::<Files>(bytes)
        .ok()
        .and_then(|f| f.molecular?.files)
        .is_some_and(|f| !f.is_empty())
}

/// Case files stored per transaction by `import`, and the most bytes of them held at once.
const IMPORT_BATCH: usize = 200;
const IMPORT_BATCH_BYTES: usize = 16 << 20;

async fn import(
    reg: &Registry,
    actor: &Actor,
    paths: &[PathBuf],
    centre: Option<&str>,
    identifiers: &[String],
    replace: bool,
    format: DataFormat,
) -> Result<String, Fail> {
    let kb = crate::load_kb(None)?;
    let ids: Vec<Identifier> = identifiers
        .iter()
        .map(|s| Identifier::parse(s).map_err(fail))
        .collect::<Result<_, _>>()?;
    let files = case_files(paths)?;
    if !ids.is_empty() && files.len() != 1 {
        return Err(invalid(
            "--identifier: give exactly one case file with identifiers (they belong to one patient)",
        ));
    }
    let bar = progress(files.len() as u64);
    let mut s = ImportSummary {
        database: reg.describe(),
        files: files.len(),
        imported: 0,
        new_versions: 0,
        unchanged: 0,
        rejected: 0,
        cases: Vec::new(),
        rejections: Vec::new(),
        notes: Vec::new(),
    };
    // Cases are stored in batches: one transaction (one disk sync) per batch, a savepoint per
    // case, so a refused case leaves nothing and the others are stored as one by one.
    let mut ids_seen: std::collections::HashMap<String, String> = Default::default();
    let mut next = files.iter().peekable();
    while next.peek().is_some() {
        // Up to IMPORT_BATCH files or IMPORT_BATCH_BYTES of them, whichever comes first.
        let mut read: Vec<(String, String, Result<Vec<u8>, String>)> = Vec::new();
        let mut bytes_read = 0;
        while read.len() < IMPORT_BATCH && bytes_read < IMPORT_BATCH_BYTES {
            let Some(path) = next.next() else { break };
            let shown = path.display().to_string();
            let source = path
                .file_name()
                .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
            let mut bytes = read_file(path);
            bytes_read += bytes.as_ref().map_or(0, Vec::len);
            // One file per patient per import: a second file with the same id would silently
            // become the current version by file-name order.
            if let Ok(b) = &bytes
                && let Ok(IdOnly { id: Some(id) }) = serde_json::from_slice::<IdOnly>(b)
            {
                if let Some(first) = ids_seen.get(&id) {
                    bytes = Err(format!(
                        "id: {id:?} is also the id of {first} in this import; import successive versions of a patient one after the other"
                    ));
                } else {
                    ids_seen.insert(id, shown.clone());
                }
            }
            read.push((shown, source, bytes));
        }
        if let Some((shown, ..)) = read.last() {
            bar.set_message(shown.clone());
        }
        let inputs: Vec<CaseInput<'_>> = read
            .iter()
            .filter_map(|(_, source, bytes)| {
                bytes.as_ref().ok().map(|bytes| CaseInput {
                    bytes,
                    source,
                    centre,
                    identifiers: &ids,
                })
            })
            .collect();
        let stored = if replace {
            reg.import_batch_replacing(&kb, &inputs, actor).await
        } else {
            reg.import_batch(&kb, &inputs, actor).await
        };
        let mut results = match stored {
            Ok(r) => r.into_iter(),
            Err(e) => {
                bar.finish_and_clear();
                let first = read.first().map_or("", |r| r.0.as_str());
                return Err(other(format!(
                    "{first} and the {} files after it: nothing of them stored: {}",
                    read.len().saturating_sub(1),
                    fail(e).message
                )));
            }
        };
        for (shown, _, bytes) in read {
            if bytes.as_deref().is_ok_and(names_result_files) {
                s.notes.push(format!(
                    "{shown}: names molecular result files (molecular.files), which the registry does not read or keep; `registry assess` refuses such a version (assess the file with `atcpath assess` beside its result files)"
                ));
            }
            let outcome = match bytes {
                Err(e) => Err(vec![e]),
                Ok(_) => match results.next() {
                    Some(Ok(r)) => Ok(r),
                    Some(Err(Error::InvalidCase(problems))) => {
                        Err(problems.iter().map(ToString::to_string).collect())
                    }
                    Some(Err(e)) => Err(vec![e.to_string()]),
                    None => Err(vec!["internal error: no result for this file".to_string()]),
                },
            };
            match outcome {
                Ok(r) => {
                    match r.stored {
                        Stored::Created => s.imported += 1,
                        Stored::NewVersion => s.new_versions += 1,
                        Stored::Unchanged => s.unchanged += 1,
                    }
                    s.cases.push(ImportedCase {
                        file: shown,
                        result: r,
                    });
                }
                Err(problems) => {
                    s.rejected += 1;
                    s.rejections.push(Rejection {
                        file: shown,
                        problems,
                    });
                }
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let out = match format {
        DataFormat::Json => json(&s)?,
        DataFormat::Text => import_text(&s),
    };
    with_rejections(
        out,
        s.rejections
            .iter()
            .map(|r| (r.file.clone(), r.problems.as_slice())),
    )
}

/// The summary of an import: returned as is when nothing was rejected; otherwise printed to
/// standard output and the rejections (what, problems) become the error (standard error, exit 2).
fn with_rejections<'a>(
    out: String,
    rejections: impl Iterator<Item = (String, &'a [String])>,
) -> Result<String, Fail> {
    let mut msg = String::new();
    let mut rejected = 0;
    for (what, problems) in rejections {
        rejected += 1;
        msg.push_str(&format!(
            "{what}: rejected, nothing stored ({} problem{}):\n",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        ));
        for p in problems.iter().take(crate::MAX_PROBLEMS_SHOWN) {
            msg.push_str(&format!("  {p}\n"));
        }
    }
    if rejected == 0 {
        return Ok(out);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush());
    Err(invalid(msg))
}

fn export_text(r: &ExportReport) -> String {
    let mut out = format!(
        "{} patient{} exported to {} ({} files)\n",
        r.patients,
        if r.patients == 1 { "" } else { "s" },
        r.folder,
        r.files.len()
    );
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for l in &r.left_out {
        out.push_str(&format!("left out: {l}\n"));
    }
    out
}

fn study_import_out(r: &StudyImport, format: DataFormat) -> Result<String, Fail> {
    let out = match format {
        DataFormat::Json => json(r)?,
        DataFormat::Text => {
            let mut out = String::new();
            for c in &r.cases {
                let what = match c.stored {
                    Stored::Created => "new patient",
                    Stored::NewVersion => "new version",
                    Stored::Unchanged => "unchanged",
                };
                out.push_str(&format!(
                    "{:<12} {:<32} version {}\n",
                    what, c.pseudonym, c.version
                ));
            }
            for x in &r.rejected {
                out.push_str(&format!("{:<12} {}\n", "REJECTED", x.patient));
            }
            if !r.skipped_existing.is_empty() {
                out.push_str(&format!(
                    "already in the registry, left as they are (a study never replaces a registry record): {}\n",
                    r.skipped_existing.join(", ")
                ));
            }
            for n in &r.notes {
                out.push_str(&format!("note: {n}\n"));
            }
            if !r.undated.is_empty() {
                out.push_str(&format!(
                    "not dated (no ATCPATH_DIAGNOSIS_DATE): events, treatments and vital status / OS left absent for {}\n",
                    r.undated.join(", ")
                ));
            }
            out.push_str(&format!(
                "cBioPortal study {} ({}), as of {}: {} stored (new patients), {} new version{}, {} unchanged, {} rejected\n",
                r.study_id.as_deref().unwrap_or("(no meta_study.txt)"),
                r.folder,
                r.as_of,
                r.stored,
                r.new_versions,
                if r.new_versions == 1 { "" } else { "s" },
                r.unchanged,
                r.rejected.len()
            ));
            out
        }
    };
    with_rejections(
        out,
        r.rejected
            .iter()
            .map(|x| (format!("patient {}", x.patient), x.problems.as_slice())),
    )
}

fn import_text(s: &ImportSummary) -> String {
    let mut out = String::new();
    for c in &s.cases {
        let what = match c.result.stored {
            Stored::Created => "new patient",
            Stored::NewVersion => "new version",
            Stored::Unchanged => "unchanged",
        };
        out.push_str(&format!(
            "{:<12} {:<32} version {:<3} {}{}\n",
            what,
            c.result.pseudonym,
            c.result.version,
            c.file,
            if c.result.identifiers_recorded.is_empty() {
                String::new()
            } else {
                format!(
                    " (identifier recorded: {})",
                    c.result.identifiers_recorded.join(", ")
                )
            }
        ));
    }
    for r in &s.rejections {
        out.push_str(&format!("{:<12} {:<32} {}\n", "REJECTED", "", r.file));
    }
    for n in &s.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!(
        "{} case file{} into {}: {} imported (new patients), {} new version{}, {} unchanged, {} rejected\n",
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.database,
        s.imported,
        s.new_versions,
        if s.new_versions == 1 { "" } else { "s" },
        s.unchanged,
        s.rejected
    ));
    out
}

fn date_arg(flag: &str, v: Option<&str>) -> Result<Option<jiff::civil::Date>, Fail> {
    v.map(|s| {
        s.parse::<jiff::civil::Date>()
            .map_err(|e| invalid(format!("{flag}: {s:?} is not a date YYYY-MM-DD: {e}")))
    })
    .transpose()
}

fn outcomes_text(o: &atcpath_core::outcomes::Outcomes, centre: Option<&str>) -> String {
    use atcpath_core::outcomes::{BenchmarkRef, GroupOs};
    let months = |x: Option<f64>| x.map_or_else(|| "NR".to_string(), |x| format!("{x:.1}"));
    let pct = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| format!("{:.0}%", 100.0 * x));
    let row = |g: &GroupOs| {
        if g.n == 0 {
            return format!("  {:<22} n {:>6}\n", g.group, 0);
        }
        format!(
            "  {:<22} n {:>6}  deaths {:>6}  median OS {} mo ({} to {})  1-yr OS {} ({} to {}), {} at risk\n",
            g.group,
            g.n,
            g.deaths,
            months(g.median_months),
            months(g.median_lower_months),
            months(g.median_upper_months),
            pct(g.one_year),
            pct(g.one_year_lower),
            pct(g.one_year_upper),
            g.at_risk_one_year,
        )
    };
    let published = |groups: &[&GroupOs]| {
        let mut seen: Vec<&BenchmarkRef> = Vec::new();
        for b in groups.iter().flat_map(|g| &g.benchmarks) {
            if !seen.iter().any(|s| s.id == b.id) {
                seen.push(b);
            }
        }
        seen.iter()
            .map(|b| {
                format!(
                    "    {} (n {}): {} [{}]\n",
                    b.cohort,
                    b.n,
                    b.result,
                    b.references.join(", ")
                )
            })
            .collect::<String>()
    };
    let mut out = format!(
        "Overall survival from diagnosis (centre {}): {} patients, {} not analysable (no diagnosis date, or no dated fact on or after it)\n\
         Medians in months with 95% confidence limits (NR: not reached); one-year OS with 95% limits.\n\n",
        centre.unwrap_or("all"),
        o.patients,
        o.not_analysable
    );
    out.push_str(&row(&o.overall));
    let p = published(&[&o.overall]);
    if !p.is_empty() {
        out.push_str("  Published benchmarks:\n");
        out.push_str(&p);
    }
    for g in &o.by {
        out.push_str(&format!("\nBy {}", g.by.replace('_', " ")));
        match (g.log_rank_chisq, g.log_rank_df, g.log_rank_p) {
            (Some(c), Some(df), Some(p)) => out.push_str(&format!(
                " (log-rank chi-square {c:.2}, df {df}, p {p:.3})\n"
            )),
            _ => out.push_str(&format!(
                " (log-rank not computed: {})\n",
                g.log_rank_note.as_deref().unwrap_or("no test")
            )),
        }
        for x in &g.groups {
            out.push_str(&row(x));
        }
        let p = published(&g.groups.iter().collect::<Vec<_>>());
        if !p.is_empty() {
            out.push_str("  Published benchmarks:\n");
            out.push_str(&p);
        }
    }
    out.push_str(&format!("\nDefinitions: {}\n", o.definitions));
    out
}

fn metrics_text(m: &atcpath_registry::Metrics) -> String {
    let opt = |d: Option<jiff::civil::Date>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
    let num = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| format!("{x}"));
    let mut out = format!(
        "Fast-track intervals as of {} (centre {}, start from {} to {}): {} patients\n\
         Quantiles: {}\n",
        m.as_of,
        m.centre.as_deref().unwrap_or("all"),
        opt(m.from),
        opt(m.to),
        m.patients,
        m.quantiles
    );
    if !m.unreadable.is_empty() {
        out.push_str(&format!(
            "Left out (current version no longer validates): {}\n",
            m.unreadable.join(", ")
        ));
    }
    for s in &m.intervals {
        out.push_str(&format!(
            "\n{} ({} -> {}), target {}\n",
            s.id,
            s.from,
            s.to,
            s.target_days
                .map_or_else(|| "none".to_string(), |t| format!("{t} days"))
        ));
        out.push_str(&format!(
            "  n {}  median {}  IQR {} to {} (width {})\n",
            s.n,
            num(s.median_days),
            num(s.q1_days),
            num(s.q3_days),
            num(s.iqr_days)
        ));
        if s.n_done_date_not_recorded > 0 {
            out.push_str(&format!(
                "  done, date not recorded: {}\n",
                s.n_done_date_not_recorded
            ));
        }
        if s.n_ended_by_death > 0 {
            out.push_str(&format!(
                "  not done when the patient died: {}\n",
                s.n_ended_by_death
            ));
        }
        out.push_str(&format!(
            "  within target {}/{}{}\n  open {}  overdue {}{}\n",
            s.n_within_target,
            s.n_with_target,
            s.share_within_target
                .map(|x| format!(" ({:.1}%)", 100.0 * x))
                .unwrap_or_default(),
            s.n_open,
            s.overdue.len(),
            if s.overdue.is_empty() {
                String::new()
            } else {
                // The 20 longest overdue on a terminal; every one in --format json.
                let mut longest: Vec<_> = s.overdue.iter().collect();
                longest.sort_by(|a, b| b.days.cmp(&a.days).then(a.pseudonym.cmp(&b.pseudonym)));
                let more = longest.len().saturating_sub(20);
                format!(
                    ": {}{}",
                    longest
                        .iter()
                        .take(20)
                        .map(|o| format!("{} ({} days)", o.pseudonym, o.days))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if more > 0 {
                        format!(" and {more} more (--format json lists all)")
                    } else {
                        String::new()
                    }
                )
            }
        ));
    }
    out
}

fn list_text(patients: &[PatientSummary]) -> String {
    let mut out = format!(
        "{:<34} {:<12} {:>7}  {:<30} {}\n",
        "PATIENT", "CENTRE", "VERSION", "STAGE", "LAST EVENT"
    );
    for p in patients {
        let stage = match &p.provisional_stage {
            Some(pr) => format!("{} (provisional {pr})", p.stage_group),
            None => p.stage_group.clone(),
        };
        let last = p
            .last_event
            .as_ref()
            .map_or_else(|| "-".to_string(), |e| format!("{} {}", e.date, e.kind));
        out.push_str(&format!(
            "{:<34} {:<12} {:>7}  {:<30} {}\n",
            p.pseudonym, p.centre, p.current_version, stage, last
        ));
    }
    out.push_str(&format!(
        "{} patient{}\n",
        patients.len(),
        if patients.len() == 1 { "" } else { "s" }
    ));
    out
}

fn show_text(r: &PatientRecord) -> String {
    let mut out = format!(
        "Patient {} (centre {}): version {} of {}\n\nVersions:\n",
        r.pseudonym, r.centre, r.version_shown, r.current_version
    );
    for v in &r.versions {
        out.push_str(&format!(
            "  {:>3}  {}  by {:<16} as_of {}  source {}  sha256 {}\n",
            v.version,
            v.created_at,
            v.created_by,
            v.as_of,
            v.source,
            v.sha256.get(..16).unwrap_or(&v.sha256)
        ));
    }
    out.push_str(&format!("\nEvents (version {}):\n", r.version_shown));
    if r.events.is_empty() {
        out.push_str("  none recorded\n");
    }
    for e in &r.events {
        out.push_str(&format!("  {}  {}\n", e.date, e.kind));
    }
    let o = &r.outcome;
    out.push_str(&format!("\nOutcome: vital status {}", o.vital_status));
    for (what, d) in [
        ("death", &o.death_date),
        ("last follow-up", &o.last_follow_up_date),
        ("progression", &o.progression_date),
    ] {
        if let Some(d) = d {
            out.push_str(&format!("; {what} {d}"));
        }
    }
    out.push('\n');
    match &r.latest_assessment {
        None => out.push_str("\nLatest assessment: none stored\n"),
        Some(a) => {
            let stage = a.assessment["stage"]["group"].as_str().unwrap_or("?");
            let first: Vec<&str> = a.assessment["options"]
                .as_array()
                .map(|o| {
                    o.iter()
                        .filter(|x| x["line"] == "first")
                        .filter_map(|x| x["id"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            out.push_str(&format!(
                "\nLatest assessment: case version {}, knowledge base {} ({}), {} by {}\n  stage {}; first line: {}\n",
                a.case_version,
                a.kb_version,
                a.kb_date,
                a.created_at,
                a.created_by,
                stage,
                if first.is_empty() { "-".to_string() } else { first.join(", ") }
            ));
        }
    }
    out.push_str(&format!("\nCase (version {}):\n", r.version_shown));
    out.push_str(&r.case_json);
    if !r.case_json.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn progress(n: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} case files {msg}")
    {
        bar.set_style(style);
    }
    bar
}
