//! `atcpath`: the command line. Parses arguments, reads files, calls the clinical core and
//! prints the report. Exit status: 0 report produced, 2 invalid input (every problem on standard
//! error with its path), 1 anything else.

mod annotate;
mod cohort;
mod config;
mod molecular;
mod registry;
mod survival;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use atcpath_core::case::{MAX_CASE_BYTES, read_case};
use atcpath_kb::Kb;
use atcpath_report::Format;
use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "Examples:
  atcpath assess examples/ivc-braf.json
  atcpath assess examples/ivb-unresectable-pending.json --format html > report.html
  atcpath assess - --format json < case.json
  atcpath dose examples/ivc-braf.json --regimen paclitaxel_carboplatin_q3w
  atcpath rt --dose-per-fraction 2 --fractions 33
  atcpath survival km --input outcomes.csv --time OS_MONTHS --event OS_STATUS --group stage --plot km.png
  atcpath annotate --maf data_mutations.maf --out data_mutations.atc.maf
  atcpath assess examples/ivb-unresectable-pending.json --molecular tumour.vcf --build GRCh37
  atcpath cohort path/to/cbioportal_study --out cohort-out/
  atcpath kb";

#[derive(Parser)]
#[command(name = "atcpath", version, about = "Anaplastic thyroid carcinoma pathway for the tumour board: stage, work-up, alerts, ranked options with evidence, doses, contingencies and trials; outcome statistics; genomic actionability.", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assess one patient's case file and print the tumour board's plan.
    #[command(after_help = "Examples:
  atcpath assess examples/ivc-braf.json
  atcpath assess examples/ivc-braf.json --format markdown
  atcpath assess case.json --format json --as-of 2022-09-01
  atcpath assess case.json --config centre.toml
  atcpath assess examples/ivb-unresectable-pending.json --molecular tumour.vcf --build GRCh37
  atcpath assess case.json --molecular results/ --sample ATC-0001-T1

Exit status: 0 report produced; 2 invalid case (each problem on standard error with its JSON path); 1 other error.")]
    Assess {
        /// Case file (case format v1, JSON); `-` reads standard input.
        case: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
        /// Decision date overriding the case's `as_of` (YYYY-MM-DD): day counts and trial status.
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Centre settings (TOML): thresholds and fast-track targets overriding the knowledge base's defaults.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Knowledge-base folder to use instead of the one built in (to try a new version).
        #[arg(long, value_name = "DIR")]
        kb: Option<PathBuf>,
        /// Molecular result files or folders (MAF, VCF, fusion or SV list, discrete copy number,
        /// clinical sample file with TMB/MSI), merged into the case; the report says which file
        /// and line each fact came from. Repeat the flag or list several.
        #[arg(long, value_name = "FILE_OR_DIR", num_args = 1..)]
        molecular: Vec<PathBuf>,
        /// This patient's sample id in the molecular files (needed when a file holds several).
        #[arg(long, value_name = "ID")]
        sample: Option<String>,
        /// Reference build of a VCF that does not state it (GRCh37 or GRCh38).
        #[arg(long, value_name = "BUILD", value_parser = ["GRCh37", "GRCh38"])]
        build: Option<String>,
        /// The genes the tests of the --molecular files covered (the laboratory report's panel
        /// or target list), or WES / WGS. Without it a file proves no gene absent: BRAF V600E,
        /// RET, NTRK and ALK stay unknown unless detected, and an alert says so.
        #[arg(long, value_name = "GENE,...|WES|WGS", value_delimiter = ',', num_args = 1..)]
        covers: Vec<String>,
    },
    /// Doses of one regimen for the patient in a case file, every intermediate shown.
    #[command(after_help = "Examples:
  atcpath dose examples/ivc-braf.json --regimen paclitaxel_carboplatin_q3w
  atcpath dose examples/ivc-braf.json --regimen selpercatinib --format json

Regimen ids: see `atcpath dose --list`. Exit status as for assess; an unknown regimen id is 2.")]
    Dose {
        /// Case file (JSON); `-` reads standard input.
        #[arg(required_unless_present = "list")]
        case: Option<String>,
        /// Regimen id (kb/regimens.toml).
        #[arg(long, required_unless_present = "list")]
        regimen: Option<String>,
        /// List the regimen ids and exit.
        #[arg(long)]
        list: bool,
        #[arg(long, value_enum, default_value_t = DoseFormat::Text)]
        format: DoseFormat,
        /// Centre settings (TOML), including the [dosing] policy.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Radiobiology of a fractionation: total dose, BED and EQD2 for alpha/beta 10 and 3 (linear-quadratic model).
    #[command(after_help = "Examples:
  atcpath rt --dose-per-fraction 2 --fractions 33
  atcpath rt --dose-per-fraction 1.6 --fractions 29 --per-day 2 --format json")]
    Rt {
        /// Dose per fraction, Gy.
        #[arg(long)]
        dose_per_fraction: f64,
        /// Number of fractions.
        #[arg(long)]
        fractions: u32,
        /// Fractions per treatment day (2 = twice daily).
        #[arg(long, default_value_t = 1)]
        per_day: u32,
        #[arg(long, value_enum, default_value_t = DoseFormat::Text)]
        format: DoseFormat,
    },
    /// Survival analysis: Kaplan-Meier, log-rank (G-rho) and Cox regression, as R's survival package.
    #[command(after_help = "Examples:
  atcpath survival km --input lung.csv --time time --event status --group sex --at 180,365 --plot km.svg
  atcpath survival logrank --input lung.csv --time time --event status --group sex
  atcpath survival cox --input veteran.csv --time time --event status --covariates trt,celltype,karno --levels celltype=squamous,smallcell,adeno,large --format json
  atcpath survival km --input data_clinical_patient.txt --time OS_MONTHS --event OS_STATUS")]
    Survival(survival::SurvivalArgs),
    /// Annotate genomic result files (MAF, fusions, SV, CNA, clinical) with ATC actionability (OncoKB level scheme), as oncokb-annotator does.
    #[command(after_help = "Example:
  atcpath annotate --maf data_mutations.maf --sv data_sv.txt --cna data_cna.txt --clinical data_clinical_sample.txt --out data_mutations.atc.maf

Exit status:
  0  every output written
  2  invalid input (the file and line are named), an output that would overwrite an input, or an input already annotated
  1  a file that cannot be read or written, or a folder given as a file")]
    Annotate(annotate::AnnotateArgs),
    /// Read a cBioPortal study folder: ATC alteration frequencies (panel-aware) and, per patient,
    /// the actionable finding and first-line options, as TSV and JSON.
    #[command(after_help = "Example:
  atcpath cohort path/to/study --out cohort-out/

Exit status: 0 written; 2 invalid study (file and line on standard error); 1 other error.")]
    Cohort(cohort::CohortArgs),
    /// Patient registry (SQLite file or PostgreSQL): case versions, timelines, assessments and a
    /// hash-chained audit trail of every read and write.
    #[command(after_help = "Examples:
  atcpath registry init --db atcpath.db
  atcpath registry import ../shared/cases examples --db atcpath.db
  atcpath registry list --db atcpath.db --reason \"tumour board 2026-12-01\"
  atcpath registry show example-ivc-braf --db atcpath.db --reason \"tumour board\"
  atcpath registry event add example-ivc-braf --kind treatment_start --date 2022-08-24 --db atcpath.db
  atcpath registry assess example-ivc-braf --db atcpath.db
  atcpath registry audit verify --db atcpath.db

Where: --db PATH, else --database-url URL (sqlite:PATH or postgres://...), else $ATCPATH_DATABASE_URL, else atcpath.db.
Who: --user, else $ATCPATH_USER, else the system user. Why: --reason (required to read patient data).")]
    Registry(registry::RegistryArgs),
    /// Show the knowledge base's version and contents, or validate a knowledge-base folder.
    #[command(after_help = "Examples:
  atcpath kb
  atcpath kb --dir kb/")]
    Kb {
        /// Validate this folder instead of the built-in knowledge base.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DoseFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutFormat {
    Text,
    Markdown,
    Json,
    Html,
}

/// An error with its exit status.
struct Fail {
    code: u8,
    message: String,
}

fn invalid(message: impl Into<String>) -> Fail {
    Fail {
        code: 2,
        message: message.into(),
    }
}
fn other(message: impl Into<String>) -> Fail {
    Fail {
        code: 1,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The core is written not to panic; this keeps the exit-status contract if it ever did.
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| run(cli)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned());
        Err(other(format!(
            "internal error (please report): {}",
            what.unwrap_or_default()
        )))
    });
    match result {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (e.g. `| head`) is the reader's choice, not a failure to produce the report.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cannot write the report: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Err(f) => {
            eprintln!("{}", f.message.trim_end());
            ExitCode::from(f.code)
        }
    }
}

fn load_kb(dir: Option<&PathBuf>) -> Result<Kb, Fail> {
    match dir {
        Some(d) => Kb::from_dir(d).map_err(|e| match e {
            atcpath_kb::KbError::Io { .. } => other(e.to_string()),
            _ => invalid(e.to_string()),
        }),
        None => Kb::embedded().map_err(|e| other(e.to_string())),
    }
}

/// Reads a whole text file (study metadata, case lists, a config) within
/// `formats::limits::MAX_WHOLE_FILE_BYTES` and the line limit; `shown` names it in errors.
pub(crate) fn read_text_bounded(path: &std::path::Path, shown: &str) -> Result<String, Fail> {
    let file = atcpath_formats::limits::open_file(path)
        .map_err(|e| other(format!("{shown}: cannot read: {e}")))?;
    atcpath_formats::limits::read_text(
        std::io::BufReader::new(file),
        atcpath_formats::limits::MAX_WHOLE_FILE_BYTES,
    )
    .map_err(|e| read_whole_error(shown, e))
}

/// A limit crossed or text that is not UTF-8 is invalid input (exit 2) with its line; a read
/// error is exit 1.
pub(crate) fn read_whole_error(shown: &str, (line, e): (usize, std::io::Error)) -> Fail {
    if atcpath_formats::limits::is_limit(&e) || e.kind() == std::io::ErrorKind::InvalidData {
        invalid(format!("{shown}: line {line}: {e}"))
    } else {
        other(format!("{shown}: cannot read: {e}"))
    }
}

fn read_input(path: &str) -> Result<Vec<u8>, Fail> {
    let limit = MAX_CASE_BYTES as u64 + 1;
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin().lock().take(limit).read_to_end(&mut buf)
    } else {
        let meta = std::fs::metadata(path)
            .map_err(|e| other(format!("{path}: cannot read the case file: {e}")))?;
        if meta.is_dir() {
            return Err(other(format!("{path}: is a folder; expected a case file")));
        }
        if !meta.is_file() {
            return Err(other(format!(
                "{path}: not a regular file (a FIFO, socket or device could wait forever); expected a case file"
            )));
        }
        if meta.len() > MAX_CASE_BYTES as u64 {
            return Err(invalid(format!(
                "{path}: $: file is {} bytes; a case file is at most {MAX_CASE_BYTES} bytes",
                meta.len()
            )));
        }
        atcpath_formats::limits::open_file(path).and_then(|f| f.take(limit).read_to_end(&mut buf))
    };
    res.map_err(|e| other(format!("{path}: cannot read the case file: {e}")))?;
    Ok(buf)
}

/// `atcpath dose --format json`: `{"doses": [...]}`.
#[derive(serde::Serialize)]
struct DosesOut<'a> {
    doses: &'a [atcpath_core::report::Dose],
}

/// Problems printed at most; the count of the rest is given.
const MAX_PROBLEMS_SHOWN: usize = 200;

fn parse_case(
    path: &str,
    kb: &Kb,
    as_of: Option<jiff::civil::Date>,
) -> Result<atcpath_core::case::Case, Fail> {
    let bytes = read_input(path)?;
    read_case(&bytes, kb, as_of).map_err(|problems| {
        let n = problems.len();
        let mut msg = format!(
            "{path}: invalid case file ({n} problem{}):\n",
            if n == 1 { "" } else { "s" }
        );
        // A decision date in the future explains date problems that follow from it: first.
        let today = jiff::ZonedDateTime::now().date();
        if let Some(p) = atcpath_core::case::as_of_after_today(&bytes, as_of, today) {
            msg.push_str(&format!("  {p}\n"));
        }
        for p in problems.iter().take(MAX_PROBLEMS_SHOWN) {
            msg.push_str(&format!("  {p}\n"));
        }
        if n > MAX_PROBLEMS_SHOWN {
            msg.push_str(&format!("  ... and {} more\n", n - MAX_PROBLEMS_SHOWN));
        }
        invalid(msg)
    })
}

/// A decision date cannot be in the future (the clock is read here, never in the core).
fn not_in_future(case: &atcpath_core::case::Case) -> Result<(), Fail> {
    let today = jiff::ZonedDateTime::now().date();
    if case.as_of > today {
        return Err(invalid(format!(
            "as_of: {} is after today ({today}); a decision date cannot be in the future",
            case.as_of
        )));
    }
    Ok(())
}

fn run(cli: Cli) -> Result<String, Fail> {
    match cli.command {
        Command::Assess {
            case,
            format,
            as_of,
            config,
            kb,
            molecular,
            sample,
            build,
            covers,
        } => {
            let kb = load_kb(kb.as_ref())?;
            let as_of = as_of
                .map(|s| {
                    let shaped =
                        s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
                    s.parse::<jiff::civil::Date>()
                        .ok()
                        .filter(|_| shaped)
                        .ok_or_else(|| {
                            invalid(format!(
                                "--as-of: {s:?} is not an ISO 8601 calendar date (YYYY-MM-DD)"
                            ))
                        })
                })
                .transpose()?;
            let settings = config::load(&kb, config.as_deref())?;
            let parsed = parse_case(&case, &kb, as_of)?;
            not_in_future(&parsed)?;
            let (parsed, merged) = molecular::merge_files(
                &case,
                parsed,
                &molecular,
                sample.as_deref(),
                build.as_deref(),
                &covers,
                &kb,
            )?;
            let assessment = atcpath_core::assess_with_files(&parsed, &kb, &settings, merged);
            let f = match format {
                OutFormat::Text => Format::Text,
                OutFormat::Markdown => Format::Markdown,
                OutFormat::Json => Format::Json,
                OutFormat::Html => Format::Html,
            };
            Ok(atcpath_report::render(&assessment, f))
        }
        Command::Dose {
            case,
            regimen,
            list,
            format,
            config,
        } => {
            let kb = load_kb(None)?;
            if list {
                return Ok(match format {
                    DoseFormat::Json => {
                        let ids: Vec<serde_json::Value> = kb
                            .regimens
                            .iter()
                            .map(|r| serde_json::json!({"id": r.id, "option": r.option, "name": r.name}))
                            .collect();
                        format!(
                            "{}\n",
                            serde_json::to_string_pretty(&serde_json::json!({"regimens": ids}))
                                .map_err(|e| other(e.to_string()))?
                        )
                    }
                    DoseFormat::Text => kb
                        .regimens
                        .iter()
                        .map(|r| format!("{:<32} {} ({})\n", r.id, r.name, r.option))
                        .collect(),
                });
            }
            let (case, regimen) = (case.unwrap_or_default(), regimen.unwrap_or_default());
            let Some(reg) = kb.regimens.iter().find(|r| r.id == regimen) else {
                let ids: Vec<&str> = kb.regimens.iter().map(|r| r.id.as_str()).collect();
                return Err(invalid(format!(
                    "--regimen: {regimen:?} is not a regimen id (accepted: {})",
                    ids.join(", ")
                )));
            };
            let settings = config::load(&kb, config.as_deref())?;
            let parsed = parse_case(&case, &kb, None)?;
            not_in_future(&parsed)?;
            let doses: Vec<atcpath_core::report::Dose> =
                atcpath_core::dosing::regimen_doses(&parsed, &kb, reg, &settings);
            Ok(match format {
                DoseFormat::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&DosesOut { doses: &doses })
                        .map_err(|e| other(e.to_string()))?
                ),
                DoseFormat::Text => {
                    let mut s = format!("{} — case {}\n", reg.name, parsed.id);
                    for d in &doses {
                        s.push_str(&atcpath_report::dose_line(d));
                        s.push('\n');
                    }
                    s
                }
            })
        }
        Command::Rt {
            dose_per_fraction,
            fractions,
            per_day,
            format,
        } => {
            let r = atcpath_core::radiobiology::radiobiology(dose_per_fraction, fractions, per_day)
                .map_err(invalid)?;
            Ok(match format {
                DoseFormat::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&r).map_err(|e| other(e.to_string()))?
                ),
                DoseFormat::Text => format!(
                    "{} Gy in {} fraction{} of {} Gy, {} per day ({} treatment day{})\nBED10 {} Gy, EQD2 (alpha/beta 10) {} Gy\nBED3 {} Gy, EQD2 (alpha/beta 3) {} Gy\nModel: {}\n",
                    r.total_dose_gy,
                    r.fractions,
                    if r.fractions == 1 { "" } else { "s" },
                    r.dose_per_fraction_gy,
                    r.fractions_per_day,
                    r.treatment_days,
                    if r.treatment_days == 1 { "" } else { "s" },
                    r.bed_10,
                    r.eqd2_10,
                    r.bed_3,
                    r.eqd2_3,
                    r.limits
                ),
            })
        }
        Command::Survival(args) => survival::run(args),
        Command::Annotate(args) => annotate::run(args, &load_kb(None)?),
        Command::Cohort(args) => cohort::run(args, &load_kb(None)?),
        Command::Registry(args) => registry::run(args),
        Command::Kb { dir } => {
            let kb = load_kb(dir.as_ref())?;
            let mut out = format!(
                "{} {} ({}) — valid\n{}\n\nOptions ({}):\n",
                kb.meta.title,
                kb.meta.version,
                kb.meta.date,
                kb.meta.disclaimer,
                kb.options.len()
            );
            for o in &kb.options {
                out.push_str(&format!("  {:<34} {}\n", o.id.id(), o.name));
            }
            out.push_str(&format!("\nRules ({}):\n", kb.rules.len()));
            for r in &kb.rules {
                out.push_str(&format!("  {:<34} {}\n", r.id.id(), r.recommendation));
            }
            out.push_str(&format!("\nRegimens ({}):\n", kb.regimens.len()));
            for r in &kb.regimens {
                out.push_str(&format!("  {:<34} {}\n", r.id, r.name));
            }
            out.push_str(&format!(
                "\nRadiotherapy schedules ({}):\n",
                kb.radiotherapy.len()
            ));
            for r in &kb.radiotherapy {
                out.push_str(&format!("  {:<34} {}\n", r.id, r.name));
            }
            out.push_str(&format!(
                "\nAlerts {}, work-up items {}, references {}, trials {} (review Table 2), studies {} (Table 1), benchmarks {}, fast-track intervals {}\n",
                kb.alerts.len(), kb.workup.len(), kb.references.len(), kb.trials.len(), kb.studies.len(), kb.benchmarks.len(), kb.facts.intervals.len()
            ));
            Ok(out)
        }
    }
}
