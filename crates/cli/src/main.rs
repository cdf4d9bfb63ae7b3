//! `atcpath`: the command line. Parses arguments, reads files, calls the clinical core and
//! prints the report. Exit status: 0 report produced, 2 invalid input (every problem on standard
//! error with its path), 1 anything else.

mod config;

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
  atcpath kb";

#[derive(Parser)]
#[command(name = "atcpath", version, about = "Anaplastic thyroid carcinoma pathway for the tumour board: stage, work-up, alerts, ranked options with evidence, contingencies and trials.", after_help = EXAMPLES)]
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
    },
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
            // A closed pipe (e.g. `| head`) is not an error of ours.
            let _ = stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush());
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("{}", f.message.trim_end());
            ExitCode::from(f.code)
        }
    }
}

fn load_kb(dir: Option<&PathBuf>) -> Result<Kb, Fail> {
    match dir {
        Some(d) => Kb::from_dir(d).map_err(|e| invalid(e.to_string())),
        None => Kb::embedded().map_err(|e| other(e.to_string())),
    }
}

fn read_input(path: &str) -> Result<Vec<u8>, Fail> {
    let limit = MAX_CASE_BYTES as u64 + 1;
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin().lock().take(limit).read_to_end(&mut buf)
    } else {
        let meta = std::fs::metadata(path)
            .map_err(|e| invalid(format!("{path}: cannot read the case file: {e}")))?;
        if meta.is_dir() {
            return Err(invalid(format!(
                "{path}: is a folder; expected a case file"
            )));
        }
        if meta.len() > MAX_CASE_BYTES as u64 {
            return Err(invalid(format!(
                "{path}: $: file is {} bytes; a case file is at most {MAX_CASE_BYTES} bytes",
                meta.len()
            )));
        }
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut buf))
    };
    res.map_err(|e| invalid(format!("{path}: cannot read the case file: {e}")))?;
    Ok(buf)
}

fn run(cli: Cli) -> Result<String, Fail> {
    match cli.command {
        Command::Assess {
            case,
            format,
            as_of,
            config,
            kb,
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
            let bytes = read_input(&case)?;
            let parsed = read_case(&bytes, &kb, as_of).map_err(|problems| {
                let mut msg = format!(
                    "{case}: invalid case file ({} problem{}):\n",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                );
                for p in problems {
                    msg.push_str(&format!("  {p}\n"));
                }
                invalid(msg)
            })?;
            let assessment = atcpath_core::assess(&parsed, &kb, &settings);
            let f = match format {
                OutFormat::Text => Format::Text,
                OutFormat::Markdown => Format::Markdown,
                OutFormat::Json => Format::Json,
                OutFormat::Html => Format::Html,
            };
            Ok(atcpath_report::render(&assessment, f))
        }
        Command::Kb { dir } => {
            let kb = load_kb(dir.as_ref())?;
            Ok(format!(
                "{} {} ({})\n{}\noptions {}, rules {}, alerts {}, work-up items {}, references {}, trials {}, studies {}, benchmarks {}, intervals {}\nvalid\n",
                kb.meta.title,
                kb.meta.version,
                kb.meta.date,
                kb.meta.disclaimer,
                kb.options.len(),
                kb.rules.len(),
                kb.alerts.len(),
                kb.workup.len(),
                kb.references.len(),
                kb.trials.len(),
                kb.studies.len(),
                kb.benchmarks.len(),
                kb.facts.intervals.len()
            ))
        }
    }
}
