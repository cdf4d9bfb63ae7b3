//! `atcpath survival km|logrank|cox`: reads a CSV/TSV (or cBioPortal clinical file), builds the
//! data with the core's model-matrix rules and prints the analysis as text, JSON or CSV, with an
//! optional Kaplan-Meier plot. The statistics are in `atcpath_core::survival`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use atcpath_core::survival::concordance::concordance;
use atcpath_core::survival::cox::Ties;
use atcpath_core::survival::design::{Design, Spec, Table, build};
use atcpath_core::survival::{ConfType, kaplan_meier, log_rank, z_for};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::{Fail, invalid, other};

/// Which analysis.
#[derive(Clone, Copy, ValueEnum)]
pub enum Analysis {
    Km,
    Logrank,
    Cox,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TiesArg {
    Efron,
    Breslow,
}

/// Arguments of `atcpath survival`.
#[derive(Args)]
pub struct SurvivalArgs {
    /// km, logrank or cox.
    #[arg(value_enum)]
    pub analysis: Analysis,
    /// CSV or TSV file (header row; `#` comment lines skipped; empty, NA, [Not Available] = missing).
    #[arg(long)]
    pub input: PathBuf,
    /// Time column (e.g. OS_MONTHS).
    #[arg(long)]
    pub time: String,
    /// Event column: 0/1, 1/2 (2 = event), TRUE/FALSE, 1:DECEASED/0:LIVING.
    #[arg(long)]
    pub event: String,
    /// The event code when it is none of the standard ones.
    #[arg(long)]
    pub event_value: Option<String>,
    /// Group column (km: one curve per group; logrank: the groups compared).
    #[arg(long)]
    pub group: Option<String>,
    /// Cox covariates, comma-separated; `a:b` for an interaction.
    #[arg(long, value_delimiter = ',')]
    pub covariates: Vec<String>,
    /// Columns to treat as factors even when numeric.
    #[arg(long, value_delimiter = ',')]
    pub factors: Vec<String>,
    /// Level order of a factor, reference first: `--levels celltype=squamous,smallcell,adeno,large` (repeatable).
    #[arg(long)]
    pub levels: Vec<String>,
    /// Strata column (separate baseline hazards; stratified log-rank).
    #[arg(long)]
    pub strata: Option<String>,
    #[arg(long, value_enum, default_value_t = TiesArg::Efron)]
    pub ties: TiesArg,
    /// Confidence-interval type for Kaplan-Meier: log, log-log, plain.
    #[arg(long, default_value = "log")]
    pub conf_type: String,
    /// Survival at these times, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub at: Vec<f64>,
    /// Restricted mean survival up to this time.
    #[arg(long)]
    pub rmean: Option<f64>,
    /// G-rho test: 0 log-rank, 1 Peto-Peto.
    #[arg(long, default_value_t = 0.0)]
    pub rho: f64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Kaplan-Meier plot to write: FILE.svg or FILE.png.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print read and fit times (ms) on standard error, for benchmarks.
    #[arg(long)]
    pub timing: bool,
}

/// Reads a CSV or TSV into a table of strings.
pub fn read_table(path: &Path) -> Result<Table, Fail> {
    let file = atcpath_formats::limits::open_file(path)
        .map_err(|e| other(format!("{}: cannot read: {e}", path.display())))?;
    let text = atcpath_formats::limits::read_whole(
        std::io::BufReader::new(file),
        atcpath_formats::limits::MAX_WHOLE_FILE_BYTES,
    )
    .map_err(|e| crate::read_whole_error(&path.display().to_string(), e))?;
    let first = text
        .split(|b| *b == b'\n')
        .find(|l| !l.starts_with(b"#"))
        .unwrap_or_default();
    let delimiter = if first.contains(&b'\t') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .comment(Some(b'#'))
        .flexible(false)
        .from_reader(text.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| invalid(format!("{}: header: {e}", path.display())))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut table = Table::new(header);
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(true) => {
                // The csv crate reads an unterminated quote to the end of the file as one field
                // (every later row swallowed): a record's quotes must pair up.
                let end = reader.position().byte() as usize;
                let raw = text.get(start.byte() as usize..end).unwrap_or_default();
                if unpaired_quote(raw) {
                    return Err(invalid(format!(
                        "{}: line {}: unterminated or stray quote (\") in this row; quote a whole field and double a quote inside it",
                        path.display(),
                        record.position().map_or(start.line(), csv::Position::line)
                    )));
                }
                table.push_row(record.iter());
            }
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(start.line(), csv::Position::line);
                let why = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} fields where the header has {expected_len}"),
                    _ => e.to_string(),
                };
                return Err(invalid(format!("{}: line {line}: {why}", path.display())));
            }
        }
    }
    Ok(table)
}

/// Whether a record's raw text has an odd number of quote characters outside comment lines
/// (an opening quote never closed, or a stray quote in an unquoted field).
fn unpaired_quote(raw: &[u8]) -> bool {
    raw.split(|b| *b == b'\n')
        .filter(|l| !l.starts_with(b"#"))
        .map(|l| l.iter().filter(|b| **b == b'"').count())
        .sum::<usize>()
        % 2
        == 1
}

/// A number that may be infinite, written as R's golden files do ("Inf").
#[derive(Serialize)]
#[serde(untagged)]
enum Num {
    F(f64),
    S(&'static str),
}

fn num(x: f64) -> Num {
    if x == f64::INFINITY {
        Num::S("Inf")
    } else if x == f64::NEG_INFINITY {
        Num::S("-Inf")
    } else {
        Num::F(x)
    }
}

#[derive(Serialize)]
struct Median {
    value: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
}

#[derive(Serialize)]
struct Quantiles {
    probs: Vec<f64>,
    quantile: Vec<Option<f64>>,
    lower: Vec<Option<f64>>,
    upper: Vec<Option<f64>>,
}

#[derive(Serialize)]
struct RMean {
    tau: f64,
    value: f64,
    se: f64,
}

#[derive(Serialize)]
struct Curve {
    group: Option<String>,
    n: usize,
    n_events_total: usize,
    time: Vec<f64>,
    n_risk: Vec<usize>,
    n_event: Vec<usize>,
    n_censor: Vec<usize>,
    surv: Vec<f64>,
    std_err: Vec<Num>,
    lower: Vec<Option<f64>>,
    upper: Vec<Option<f64>>,
    median: Median,
    quantiles: Quantiles,
    at_times: Vec<atcpath_core::survival::km::AtTime>,
    rmean: Option<RMean>,
}

#[derive(Serialize)]
struct KmOut {
    conf_type: ConfType,
    rows_dropped: Vec<usize>,
    curves: Vec<Curve>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logrank_p: Option<f64>,
}

fn spec(a: &SurvivalArgs) -> Result<Spec, Fail> {
    let mut levels = BTreeMap::new();
    for l in &a.levels {
        let (c, v) = l
            .split_once('=')
            .ok_or_else(|| invalid(format!("--levels {l:?}: expected column=ref,level2,...")))?;
        levels.insert(c.to_string(), v.split(',').map(str::to_string).collect());
    }
    Ok(Spec {
        time: a.time.clone(),
        event: a.event.clone(),
        event_value: a.event_value.clone(),
        covariates: a
            .covariates
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
        factors: a.factors.iter().map(|c| c.trim().to_string()).collect(),
        levels,
        strata: a.strata.clone(),
        group: a.group.clone(),
    })
}

/// Splits the data by group (or keeps it whole).
fn by_group(d: &Design) -> Vec<(Option<String>, Vec<f64>, Vec<bool>)> {
    match &d.group {
        None => vec![(None, d.time.clone(), d.event.clone())],
        Some(g) => d
            .group_names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let (t, e) = d
                    .time
                    .iter()
                    .zip(&d.event)
                    .zip(g)
                    .filter(|(_, x)| **x == k)
                    .map(|((t, e), _)| (*t, *e))
                    .unzip();
                (Some(name.clone()), t, e)
            })
            .collect(),
    }
}

/// Runs the command; returns the text to print.
/// Flags that do not apply to the analysis are refused rather than ignored.
fn check_flags(a: &SurvivalArgs) -> Result<(), Fail> {
    let km = matches!(a.analysis, Analysis::Km);
    let cox = matches!(a.analysis, Analysis::Cox);
    let logrank = matches!(a.analysis, Analysis::Logrank);
    let misuse = [
        (a.plot.is_some() && !km, "--plot applies to km"),
        (
            !a.covariates.is_empty() && !cox,
            "--covariates applies to cox",
        ),
        (
            (!a.factors.is_empty() || !a.levels.is_empty()) && !cox && a.group.is_none(),
            "--factors and --levels apply to cox covariates (or the --group column)",
        ),
        (
            a.group.is_some() && cox,
            "--group does not apply to cox: use --covariates (or --strata)",
        ),
        (
            a.strata.is_some() && km,
            "--strata does not apply to km: use --group",
        ),
        (
            (!a.at.is_empty() || a.rmean.is_some()) && !km,
            "--at and --rmean apply to km",
        ),
        (a.rho != 0.0 && !logrank, "--rho applies to logrank"),
    ];
    if let Some((_, why)) = misuse.iter().find(|(bad, _)| *bad) {
        return Err(invalid(*why));
    }
    if let Some(t) = a.at.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        return Err(invalid(format!("--at: {t} is not a time (0 or more)")));
    }
    if let Some(tau) = a.rmean.filter(|t| !(t.is_finite() && *t > 0.0)) {
        return Err(invalid(format!("--rmean: {tau} must be a positive time")));
    }
    if let Some(p) = &a.plot {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase);
        if !matches!(ext.as_deref(), Some("svg") | Some("png")) {
            return Err(invalid(format!(
                "--plot {}: the file must end in .svg or .png",
                p.display()
            )));
        }
    }
    if !(a.rho.is_finite() && a.rho >= 0.0) {
        return Err(invalid("--rho must be 0 or more (0 log-rank, 1 Peto-Peto)"));
    }
    Ok(())
}

pub fn run(a: SurvivalArgs) -> Result<String, Fail> {
    check_flags(&a)?;
    let started = std::time::Instant::now();
    let table = read_table(&a.input)?;
    let d =
        build(&table, &spec(&a)?).map_err(|e| invalid(format!("{}: {e}", a.input.display())))?;
    drop(table);
    let read_ms = started.elapsed().as_secs_f64() * 1000.0;
    let fit_started = std::time::Instant::now();
    let result = analyse(&a, &d);
    if a.timing {
        eprintln!(
            "timing: read {read_ms:.1} ms, fit {:.1} ms",
            fit_started.elapsed().as_secs_f64() * 1000.0
        );
    }
    result
}

fn analyse(a: &SurvivalArgs, d: &Design) -> Result<String, Fail> {
    if !d.event.iter().any(|e| *e) {
        return Err(invalid(format!(
            "{}: no events: all {} observations are censored",
            a.event,
            d.event.len()
        )));
    }
    // A group with no events makes the log-rank comparison meaningless for it: refused.
    if let (Some(g), Some(col), Analysis::Logrank) = (&d.group, &a.group, a.analysis) {
        for (k, name) in d.group_names.iter().enumerate() {
            if !d.event.iter().zip(g).any(|(e, x)| *e && *x == k) {
                return Err(invalid(format!("{col}: group {name:?} has no events")));
            }
        }
    }
    let dropped_note = if d.dropped_rows.is_empty() {
        String::new()
    } else {
        format!(
            "{} row(s) dropped for a missing value in a used column\n",
            d.dropped_rows.len()
        )
    };
    match a.analysis {
        Analysis::Km => {
            let ty = ConfType::parse(&a.conf_type).ok_or_else(|| {
                invalid(format!(
                    "--conf-type {:?}: accepted log, log-log, plain",
                    a.conf_type
                ))
            })?;
            let z = z_for(0.95);
            let mut curves = Vec::new();
            for (group, t, e) in by_group(d) {
                if t.is_empty() {
                    continue;
                }
                let c = kaplan_meier(&t, &e);
                let (lower, upper) = c.limits(z, ty);
                let (m, ml, mu) = c.quantiles(&[0.5], z, ty)[0];
                curves.push(Curve {
                    group,
                    n: c.n,
                    n_events_total: c.n_events_total,
                    median: Median {
                        value: m,
                        lower: ml,
                        upper: mu,
                    },
                    quantiles: {
                        let probs = vec![0.25, 0.5, 0.75];
                        let q = c.quantiles(&probs, z, ty);
                        Quantiles {
                            quantile: q.iter().map(|x| x.0).collect(),
                            lower: q.iter().map(|x| x.1).collect(),
                            upper: q.iter().map(|x| x.2).collect(),
                            probs,
                        }
                    },
                    at_times: c.at_times(&a.at, z, ty),
                    rmean: a.rmean.map(|tau| {
                        let (value, se) = c.rmean(tau);
                        RMean { tau, value, se }
                    }),
                    std_err: c.std_err.iter().map(|x| num(*x)).collect(),
                    time: c.time,
                    n_risk: c.n_risk,
                    n_event: c.n_event,
                    n_censor: c.n_censor,
                    surv: c.surv,
                    lower,
                    upper,
                });
            }
            let logrank_p = d
                .group
                .as_ref()
                .filter(|_| d.group_names.len() > 1)
                .and_then(|g| {
                    log_rank(
                        &d.time,
                        &d.event,
                        g,
                        &d.group_names,
                        d.strata.as_deref(),
                        0.0,
                    )
                    .ok()
                    .map(|r| r.p)
                });
            let out = KmOut {
                conf_type: ty,
                rows_dropped: d.dropped_rows.clone(),
                curves,
                logrank_p,
            };
            if let Some(path) = &a.plot {
                atcpath_report::plot::km_plot(
                    path,
                    &plot_curves(&out, a.group.as_deref()),
                    out.logrank_p,
                )
                .map_err(other)?;
            }
            Ok(match a.format {
                Format::Json => json(&out)?,
                Format::Csv => {
                    let mut s = String::from(
                        "group,time,n_risk,n_event,n_censor,surv,std_err,lower,upper\n",
                    );
                    for c in &out.curves {
                        for k in 0..c.time.len() {
                            s.push_str(&format!(
                                "{},{},{},{},{},{},{},{},{}\n",
                                c.group.clone().unwrap_or_default(),
                                c.time[k],
                                c.n_risk[k],
                                c.n_event[k],
                                c.n_censor[k],
                                c.surv[k],
                                match c.std_err[k] {
                                    Num::F(x) => x.to_string(),
                                    Num::S(s) => s.to_string(),
                                },
                                c.lower[k].map_or("NA".into(), |x| x.to_string()),
                                c.upper[k].map_or("NA".into(), |x| x.to_string())
                            ));
                        }
                    }
                    s
                }
                Format::Text => {
                    let mut s = format!(
                        "Kaplan-Meier ({} intervals, 95%)\n{dropped_note}",
                        a.conf_type
                    );
                    for c in &out.curves {
                        let g = c
                            .group
                            .as_deref()
                            .map(|g| format!("{}={g}: ", a.group.clone().unwrap_or_default()))
                            .unwrap_or_default();
                        let f = |x: Option<f64>| x.map_or("NA".into(), |v| format!("{v:.4}"));
                        s.push_str(&format!(
                            "{g}n {}, events {}, median {} ({} to {})\n",
                            c.n,
                            c.n_events_total,
                            f(c.median.value),
                            f(c.median.lower),
                            f(c.median.upper)
                        ));
                        for at in &c.at_times {
                            s.push_str(&format!(
                                "  S({}) = {:.4} ({} to {}), at risk {}\n",
                                at.time,
                                at.surv,
                                f(at.lower),
                                f(at.upper),
                                at.n_risk
                            ));
                        }
                        if let Some(r) = &c.rmean {
                            s.push_str(&format!(
                                "  restricted mean to {}: {:.4} (se {:.4})\n",
                                r.tau, r.value, r.se
                            ));
                        }
                    }
                    if let Some(p) = out.logrank_p {
                        s.push_str(&format!("log-rank p = {p:.4e}\n"));
                    }
                    s
                }
            })
        }
        Analysis::Logrank => {
            let g = d
                .group
                .as_ref()
                .ok_or_else(|| invalid("logrank needs --group"))?;
            let r = log_rank(
                &d.time,
                &d.event,
                g,
                &d.group_names,
                d.strata.as_deref(),
                a.rho,
            )
            .map_err(invalid)?;
            if r.groups.iter().any(|x| x.observed == 0.0 && x.n > 0) && a.format == Format::Text {
                // Reported, not refused: a group with no events is a legitimate result.
            }
            Ok(match a.format {
                Format::Json => json(&r)?,
                Format::Csv => {
                    let mut s = String::from("group,n,observed,expected\n");
                    for x in &r.groups {
                        s.push_str(&format!(
                            "{},{},{},{}\n",
                            x.group, x.n, x.observed, x.expected
                        ));
                    }
                    s
                }
                Format::Text => {
                    let mut s = format!(
                        "{} test (rho = {})\n{dropped_note}",
                        if a.rho == 0.0 { "Log-rank" } else { "G-rho" },
                        a.rho
                    );
                    for x in &r.groups {
                        s.push_str(&format!(
                            "  {}: n {}, observed {:.3}, expected {:.3}\n",
                            x.group, x.n, x.observed, x.expected
                        ));
                    }
                    s.push_str(&format!(
                        "chisq {:.4} on {} df, p = {:.4e}\n",
                        r.chisq, r.df, r.p
                    ));
                    s
                }
            })
        }
        Analysis::Cox => {
            if d.terms.is_empty() {
                return Err(invalid("cox needs --covariates"));
            }
            let ties = match a.ties {
                TiesArg::Efron => Ties::Efron,
                TiesArg::Breslow => Ties::Breslow,
            };
            let fit = d.fit_cox(ties).map_err(invalid)?;
            let c = concordance(
                &d.time,
                &d.event,
                &fit.linear_predictor,
                d.strata.as_deref(),
            );
            #[derive(Serialize)]
            struct CoxOut<'a> {
                #[serde(flatten)]
                fit: &'a atcpath_core::survival::cox::CoxFit,
                ties: Ties,
                concordance: Conc,
                rows_dropped: &'a [usize],
            }
            #[derive(Serialize)]
            struct Conc {
                value: f64,
                se: f64,
            }
            let out = CoxOut {
                fit: &fit,
                ties,
                concordance: Conc {
                    value: c.value,
                    se: c.se,
                },
                rows_dropped: &d.dropped_rows,
            };
            Ok(match a.format {
                Format::Json => json(&out)?,
                Format::Csv => {
                    let mut s = String::from(
                        "term,coef,se,exp_coef,z,p,exp_coef_lower_95,exp_coef_upper_95\n",
                    );
                    for k in 0..fit.terms.len() {
                        s.push_str(&format!(
                            "{},{},{},{},{},{},{},{}\n",
                            fit.terms[k],
                            fit.coef[k],
                            fit.se[k],
                            fit.exp_coef[k],
                            fit.z[k],
                            fit.p[k],
                            fit.exp_coef_lower_95[k],
                            fit.exp_coef_upper_95[k]
                        ));
                    }
                    s
                }
                Format::Text => {
                    let mut s = format!(
                        "Cox proportional hazards ({ties:?} ties), n {}, events {}\n{dropped_note}",
                        fit.n, fit.nevent
                    );
                    s.push_str(&format!(
                        "{:<24} {:>10} {:>10} {:>10} {:>8} {:>10}\n",
                        "term", "coef", "HR", "se", "z", "p"
                    ));
                    for k in 0..fit.terms.len() {
                        s.push_str(&format!(
                            "{:<24} {:>10.5} {:>10.5} {:>10.5} {:>8.3} {:>10.3e}  HR 95% CI {:.4} to {:.4}\n",
                            fit.terms[k], fit.coef[k], fit.exp_coef[k], fit.se[k], fit.z[k], fit.p[k], fit.exp_coef_lower_95[k], fit.exp_coef_upper_95[k]
                        ));
                    }
                    s.push_str(&format!(
                        "log-likelihood null {:.4}, final {:.4}; iterations {}\nlikelihood ratio {:.3} on {} df, p = {:.3e}\nWald {:.3}, p = {:.3e}; score (log-rank) {:.3}, p = {:.3e}\nconcordance {:.4} (se {:.4})\n",
                        fit.loglik_null, fit.loglik_final, fit.iterations, fit.lr_test.statistic, fit.lr_test.df, fit.lr_test.p,
                        fit.wald_test.statistic, fit.wald_test.p, fit.score_test.statistic, fit.score_test.p, c.value, c.se
                    ));
                    s
                }
            })
        }
    }
}

fn json<T: Serialize>(v: &T) -> Result<String, Fail> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| other(e.to_string()))
}

fn plot_curves(out: &KmOut, group_col: Option<&str>) -> Vec<atcpath_report::plot::PlotCurve> {
    out.curves
        .iter()
        .map(|c| atcpath_report::plot::PlotCurve {
            label: match (&c.group, group_col) {
                (Some(g), Some(col)) => format!("{col}={g}"),
                _ => "all".into(),
            },
            time: c.time.clone(),
            surv: c.surv.clone(),
            lower: c.lower.clone(),
            upper: c.upper.clone(),
            n_risk: c.n_risk.clone(),
            censored: c
                .time
                .iter()
                .zip(&c.n_censor)
                .filter(|(_, n)| **n > 0)
                .map(|(t, _)| *t)
                .collect(),
            median: c.median.value,
        })
        .collect()
}
