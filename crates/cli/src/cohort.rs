//! `atcpath cohort STUDY_DIR --out DIR`: a cBioPortal study folder read whole (meta files,
//! clinical sample file, MAF, structural variants, discrete copy number, TMB/MSI, gene-panel
//! matrix and panels, case lists), written as (a) the alteration-frequency table of the ATC gene
//! groups with panel-aware denominators and (b) per patient, the most actionable finding and the
//! first-line options `assess` gives from what the files contain, each as TSV and JSON.
//!
//! Coverage of a sample for a profile (cBioPortal's rules): profiled when it is in the profile's
//! case list (`_sequenced` for mutations, `_cna` for copy number, `_sv` for structural variants)
//! or, without such a list, when the data file names it; then the gene-panel matrix column of the
//! profile's `stable_id` gives its panel (`NA`: not profiled), else the meta file's `gene_panel`,
//! else every gene (whole exome or genome).
//!
//! Percentages are per sample, over the samples covered for the group's genes (see
//! [`DEFINITIONS`]); detections outside coverage are reported apart. Warnings (standard error and
//! `warnings` in `frequencies.json`): meta files of a type ATCPath does not read, case-list
//! samples missing from the clinical sample file, data-file samples likewise, and a study whose
//! `type_of_cancer` is not thyroid (the published figures are for ATC).
//!
//! Memory: the findings kept are those of the gene groups and of the knowledge base's
//! actionability table (a study's passenger mutations are read and dropped).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use atcpath_core::cohort::{
    Coverage, FrequencyRow, PatientSummary, Sample, frequency_table, summarise_patient,
};
use atcpath_core::genomics::{Finding, Sourced, annotate_finding, fusion_finding};
use atcpath_core::pathway::Config;
use atcpath_formats::cbioportal::{
    GenePanel, Meta, PanelMatrix, build_name, parse_case_list, parse_gene_panel, parse_meta,
    parse_panel_matrix,
};
use atcpath_formats::clinical::ClinicalReader;
use atcpath_kb::Kb;
use clap::Args;
use serde::Serialize;

use crate::molecular::{Detected, ReadOptions, read_findings};
use crate::{Fail, invalid, other};

/// The definitions behind the frequency table, written into `frequencies.json` and the help.
pub const DEFINITIONS: [(&str, &str); 5] = [
    (
        "percent",
        "per sample: altered among the samples covered for the group's genes, over those covered samples; not estimable when none was covered. Detections in samples whose coverage did not include the genes are reported as altered_outside_coverage, in neither numerator nor denominator",
    ),
    (
        "profiled",
        "covered: the sample is in the profile's case list (cases_sequenced, cases_cna, cases_sv; the data file when there is no list), with the panel of the gene-panel matrix (NA = not profiled) or the meta file's gene_panel covering every gene of the row (whole exome or genome when there is no panel; a promoter needs a panel listing the gene, whole exome does not cover promoters)",
    ),
    (
        "altered",
        "a protein-changing mutation (variants of unknown significance included), a promoter variant, a fusion (not intragenic, not germline), or a deep deletion or amplification, as the group's events say",
    ),
    (
        "published_percent",
        "the review's figure for anaplastic thyroid carcinoma (not for the study's cancer type)",
    ),
    (
        "first_line_if_ivc",
        "first-line options of assess on the same case with distant metastases (M1, stage IVC) assumed",
    ),
];

/// Arguments of `atcpath cohort`.
///
/// Percentages are per sample. "Profiled" (covered): in the profile's case list (or the data file
/// when there is none), with the panel of the gene-panel matrix (NA = not profiled) or the meta's
/// gene_panel covering every gene of the row (whole exome otherwise; promoters need a panel).
/// "Altered": a protein-changing mutation (variants of unknown significance included), a promoter
/// variant, a fusion (not intragenic, not germline) or a deep deletion / amplification as the
/// group's events say; detections outside coverage are reported apart, not in the percentage.
/// The published column is the review's figure for ATC.
#[derive(Args)]
#[command(after_long_help = "Definitions:
  percent    per sample: altered among covered samples / covered samples (\"not estimable\"
             when none covered); detections outside coverage are reported apart
  profiled   in the profile's case list (or the data file when there is none), with the panel of
             the gene-panel matrix (NA = not profiled) or the meta's gene_panel covering every
             gene of the row; whole exome otherwise (promoters need a panel listing the gene)
  altered    a protein-changing mutation (variants of unknown significance included), a
             promoter variant, a fusion (not intragenic, not germline) or a deep deletion /
             amplification, as the group's events say
  published  the review's figure for ATC")]
pub struct CohortArgs {
    /// cBioPortal study folder (with `meta_study.txt` or at least a clinical sample meta file).
    pub study: PathBuf,
    /// Output folder: `frequencies.tsv`, `frequencies.json`, `patients.tsv`, `patients.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// Decision date for each patient's `assess` (YYYY-MM-DD; default today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Skip malformed rows (counted on standard error) instead of stopping at the first.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// A data profile of the study, from its meta file.
struct Profile {
    meta_file: String,
    kind: Detected,
    stable_id: Option<String>,
    data: PathBuf,
    /// The meta file's `gene_panel` and its line.
    gene_panel: Option<(String, usize)>,
}

fn read_text(p: &Path) -> Result<String, Fail> {
    crate::read_text_bounded(p, &p.display().to_string())
}

fn meta_of(p: &Path) -> Result<Meta, Fail> {
    parse_meta(&read_text(p)?).map_err(|e| invalid(format!("{}: {e}", p.display())))
}

/// The data file a meta file names; a case-only mismatch (`data_cna.txt` for `data_CNA.txt`)
/// is resolved and said.
fn data_file(dir: &Path, meta: &Meta, meta_name: &str) -> Result<PathBuf, Fail> {
    let name = meta.get("data_filename").ok_or_else(|| {
        invalid(format!(
            "{}: no data_filename",
            dir.join(meta_name).display()
        ))
    })?;
    let p = dir.join(name);
    if p.is_file() {
        return Ok(p);
    }
    let found = std::fs::read_dir(dir)
        .map_err(|e| other(format!("{}: cannot read: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name));
    match found {
        Some(e) => {
            eprintln!(
                "note: {meta_name} names {name}; using {} (same name, other case)",
                e.file_name().to_string_lossy()
            );
            Ok(e.path())
        }
        None => Err(invalid(format!(
            "{}: names the data file {name}, which is not in the study folder",
            dir.join(meta_name).display()
        ))),
    }
}

type Profiles = (
    Option<Meta>,
    Vec<Profile>,
    Option<PathBuf>,
    Vec<String>,
    BTreeSet<String>,
);

/// The study meta, the profiles read, the gene-panel matrix, one warning per meta file of a
/// type ATCPath does not read, and the `stable_id` of every meta file (read or not).
fn profiles(dir: &Path) -> Result<Profiles, Fail> {
    let study = dir.join("meta_study.txt");
    let study = if study.is_file() {
        Some(meta_of(&study)?)
    } else {
        None
    };
    let mut metas: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| other(format!("{}: cannot read: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with("meta_") && n != "meta_study.txt"
                })
        })
        .collect();
    metas.sort();
    let (mut out, mut matrix, mut unread) = (Vec::new(), None, Vec::new());
    let mut stable_ids = BTreeSet::new();
    for m in metas {
        let name = m
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let meta = meta_of(&m)?;
        if let Some(id) = meta.get("stable_id") {
            stable_ids.insert(id.to_string());
        }
        let t = meta.get("genetic_alteration_type").unwrap_or_default();
        let d = meta.get("datatype").unwrap_or_default();
        let kind = match (t, d) {
            ("MUTATION_EXTENDED", _) => Detected::Maf,
            ("STRUCTURAL_VARIANT", _) | ("FUSION", _) => Detected::StructuralVariants,
            ("COPY_NUMBER_ALTERATION", "DISCRETE" | "DISCRETE_LONG") => Detected::CopyNumber,
            ("CLINICAL", "SAMPLE_ATTRIBUTES") => Detected::Clinical,
            ("GENE_PANEL_MATRIX", _) => {
                matrix = Some(data_file(dir, &meta, &name)?);
                continue;
            }
            _ => {
                unread.push(format!(
                    "{name}: genetic_alteration_type {} / datatype {} is not read by ATCPath",
                    if t.is_empty() { "(none)" } else { t },
                    if d.is_empty() { "(none)" } else { d }
                ));
                continue;
            }
        };
        out.push(Profile {
            data: data_file(dir, &meta, &name)?,
            meta_file: name,
            kind,
            stable_id: meta.get("stable_id").map(str::to_string),
            gene_panel: meta
                .get("gene_panel")
                .map(|g| (g.to_string(), meta.line("gene_panel").unwrap_or(1))),
        });
    }
    Ok((study, out, matrix, unread, stable_ids))
}

/// Samples named by each case list suffix (`_sequenced`, `_cna`, `_sv`).
fn case_lists(dir: &Path) -> Result<HashMap<String, BTreeSet<String>>, Fail> {
    let mut lists = HashMap::new();
    let d = dir.join("case_lists");
    if !d.is_dir() {
        return Ok(lists);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
        .map_err(|e| other(format!("{}: cannot read: {e}", d.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in files {
        let c = parse_case_list(&read_text(&f)?)
            .map_err(|e| invalid(format!("{}: {e}", f.display())))?;
        for suffix in ["_sequenced", "_cna", "_sv"] {
            if c.stable_id.ends_with(suffix) {
                lists
                    .entry(suffix.to_string())
                    .or_insert_with(BTreeSet::new)
                    .extend(c.samples.iter().cloned());
            }
        }
    }
    Ok(lists)
}

fn panels(dir: &Path, kb: &Kb) -> Result<HashMap<String, GenePanel>, Fail> {
    let mut out = HashMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| other(format!("{}: cannot read: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy().starts_with("data_gene_panel_")
                    && !n.to_string_lossy().contains("matrix")
            })
        })
        .collect();
    files.sort();
    for f in files {
        let p = parse_gene_panel(&read_text(&f)?)
            .map_err(|e| invalid(format!("{}: {e}", f.display())))?;
        // Every gene through the one coverage-gene check: a look-alike or lower-case symbol
        // must not prove (or fail to prove) a gene absent.
        for g in &p.genes {
            atcpath_core::genomics::coverage::coverage_gene(kb, g).map_err(|m| {
                invalid(format!(
                    "{}: line {}: gene_list: {m}",
                    f.display(),
                    p.gene_list_line
                ))
            })?;
        }
        out.insert(p.stable_id.clone(), p);
    }
    Ok(out)
}

/// The summary printed and the two tables written.
#[derive(Serialize)]
struct FrequenciesOut<'a> {
    study: Option<&'a str>,
    kb_version: &'a str,
    samples: usize,
    patients: usize,
    definitions: BTreeMap<&'a str, &'a str>,
    warnings: &'a [String],
    groups: &'a [FrequencyRow],
}

#[derive(Serialize)]
struct PatientsOut<'a> {
    study: Option<&'a str>,
    kb_version: &'a str,
    as_of: String,
    patients: &'a [PatientSummary],
}

/// Runs the command; returns the summary to print.
pub fn run(a: CohortArgs, kb: &Kb) -> Result<String, Fail> {
    let dir = &a.study;
    if !dir.is_dir() {
        return Err(other(format!("{}: not a folder", dir.display())));
    }
    let as_of = match &a.as_of {
        Some(s) => s
            .parse::<jiff::civil::Date>()
            .map_err(|_| invalid(format!("--as-of: {s:?} is not a date (YYYY-MM-DD)")))?,
        None => jiff::ZonedDateTime::now().date(),
    };
    let (study, profiles, matrix_file, mut warnings, stable_ids) = profiles(dir)?;
    if let Some(t) = study.as_ref().and_then(|m| m.get("type_of_cancer")) {
        let l = t.trim().to_ascii_lowercase();
        if !(l.starts_with("th") || l == "thyroid") {
            warnings.push(format!(
                "meta_study.txt: published figures are for ATC; this study is {t}"
            ));
        }
    }
    let study_id = study
        .as_ref()
        .and_then(|m| m.get("cancer_study_identifier"));
    let build = study
        .as_ref()
        .and_then(|m| m.get("reference_genome"))
        .and_then(build_name);
    let lists = case_lists(dir)?;
    let panels = panels(dir, kb)?;
    let matrix: PanelMatrix = match &matrix_file {
        Some(p) => parse_panel_matrix(&read_text(p)?)
            .map_err(|e| invalid(format!("{}: {e}", p.display())))?,
        None => PanelMatrix::default(),
    };
    let shown_matrix = || {
        matrix_file.as_ref().map_or_else(
            || "gene-panel matrix".to_string(),
            |m| m.display().to_string(),
        )
    };
    for (col, by_sample) in &matrix.columns {
        for p in by_sample.values().flatten() {
            if !panels.contains_key(p) {
                return Err(invalid(format!(
                    "{}: column {col}: panel {p} has no data_gene_panel file in the study folder",
                    shown_matrix()
                )));
            }
        }
        // A column for no profile (`mutation` for `mutations`) would leave the profile without
        // its panels: whole exome assumed, absence over-claimed.
        if !stable_ids.contains(col) {
            return Err(invalid(format!(
                "{}: column {col:?} matches no profile (the stable_id of a meta file: {})",
                shown_matrix(),
                stable_ids.iter().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    for p in &profiles {
        if let Some((id, line)) = &p.gene_panel
            && !panels.contains_key(id)
        {
            return Err(invalid(format!(
                "{}: line {line}: gene_panel {id} has no data_gene_panel file in the study folder",
                dir.join(&p.meta_file).display()
            )));
        }
    }

    // Samples and patients, from the clinical sample file(s).
    let mut samples: BTreeMap<String, Sample> = BTreeMap::new();
    let mut anaplastic: BTreeSet<String> = BTreeSet::new();
    for p in profiles.iter().filter(|p| p.kind == Detected::Clinical) {
        let shown = p.data.display().to_string();
        let f = atcpath_formats::limits::open_file(&p.data)
            .map_err(|e| other(format!("{shown}: cannot read: {e}")))?;
        let mut r = ClinicalReader::new(std::io::BufReader::new(f), &shown)
            .map_err(|e| invalid(format!("{shown}: {e}")))?;
        while let Some(row) = r.next_row().map_err(|e| invalid(format!("{shown}: {e}")))? {
            let (Some(s), Some(pt)) = (row.sample(), row.patient()) else {
                return Err(invalid(format!(
                    "{shown} line {}: a sample file row needs PATIENT_ID and SAMPLE_ID",
                    row.line_no()
                )));
            };
            let thap = ["ONCOTREE_CODE", "CANCER_TYPE_DETAILED"].iter().any(|c| {
                row.get(c).is_some_and(|v| {
                    v.eq_ignore_ascii_case("THAP") || v.to_ascii_lowercase().contains("anaplastic")
                })
            });
            if thap {
                anaplastic.insert(pt.to_string());
            }
            samples.entry(s.to_string()).or_insert_with(|| Sample {
                id: s.to_string(),
                patient: pt.to_string(),
                ..Sample::default()
            });
        }
    }
    if samples.is_empty() {
        return Err(invalid(format!(
            "{}: no clinical sample file (meta with datatype SAMPLE_ATTRIBUTES) or no samples in it",
            dir.display()
        )));
    }

    // Findings, kept when a gene group or the actionability table can use them.
    let groups = &kb.genes.groups;
    // TMB and MSI are kept whatever their value, so that two rows of one sample that disagree
    // are seen (a value below a threshold is still a value).
    let keep = |f: &Sourced| {
        matches!(f.finding, Finding::Tmb { .. } | Finding::Msi { .. })
            || groups
                .iter()
                .any(|g| atcpath_core::cohort::in_group(g, &f.finding))
            || annotate_finding(kb, &f.finding).alteration.is_some()
    };
    let bar = progress(profiles.len() as u64, "files");
    let mut in_file: HashMap<&'static str, BTreeSet<String>> = HashMap::new();
    let mut orphans: BTreeSet<String> = BTreeSet::new();
    let mut skipped = 0;
    // Symbols the one gene check refuses (`genes::gene_symbol`, as assess): errors, or skipped
    // rows with --skip-invalid.
    let mut refused: Vec<String> = Vec::new();
    let mut refused_skipped = 0;
    let skip_invalid = a.skip_invalid;
    for p in &profiles {
        bar.set_message(p.meta_file.clone());
        let shown = p.data.display().to_string();
        let list_key = match p.kind {
            Detected::Maf => "_sequenced",
            Detected::CopyNumber => "_cna",
            Detected::StructuralVariants => "_sv",
            _ => "clinical",
        };
        let seen = in_file.entry(list_key).or_default();
        skipped += read_findings(
            &p.data,
            p.kind,
            kb,
            ReadOptions {
                shown: &shown,
                build,
                tumour_sample: None,
                skip_invalid: a.skip_invalid,
                offers_skip: true,
            },
            &mut |mut f: Sourced| {
                let Some(s) = f.sample.clone() else { return };
                // A fusion row with an unknown partner or a 5'-only kinase is no fusion
                // (`genomics::read_fusion`, as in assess and annotate).
                if let Finding::Fusion {
                    five_prime,
                    three_prime,
                } = &f.finding
                {
                    f.finding = fusion_finding(kb, five_prime, three_prime);
                }
                let symbols: Vec<&String> = match &f.finding {
                    Finding::Variant { gene, .. }
                    | Finding::CopyNumber { gene, .. }
                    | Finding::Rearrangement { gene } => vec![gene],
                    Finding::Fusion {
                        five_prime,
                        three_prime,
                    } => vec![five_prime, three_prime],
                    _ => Vec::new(),
                };
                if let Some(m) = symbols
                    .iter()
                    .find_map(|g| atcpath_core::genes::gene_symbol(kb, g).err())
                {
                    if skip_invalid {
                        refused_skipped += 1;
                    } else if refused.len() < 20 {
                        refused.push(format!("{}: line {}: {m}", f.file, f.line));
                    }
                    return;
                }
                seen.insert(s.clone());
                match samples.get_mut(&s) {
                    Some(sample) => {
                        if keep(&f) {
                            sample.findings.push(f);
                        }
                    }
                    None => {
                        orphans.insert(s);
                    }
                }
            },
        )?
        .invalid;
        bar.inc(1);
    }
    bar.finish_and_clear();
    if !refused.is_empty() {
        return Err(invalid(format!(
            "{}\n(rerun with --skip-invalid to leave such rows out)",
            refused.join("\n")
        )));
    }
    skipped += refused_skipped;
    let first =
        |ids: &BTreeSet<String>| ids.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if !orphans.is_empty() {
        warnings.push(format!(
            "{} sample(s) in data files are not in the clinical sample file and were left out: {}",
            orphans.len(),
            first(&orphans)
        ));
    }
    let mut listed_only: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (key, ids) in &lists {
        for id in ids.iter().filter(|id| !samples.contains_key(*id)) {
            listed_only
                .entry(key.as_str())
                .or_default()
                .insert(id.clone());
        }
    }
    for (key, ids) in &listed_only {
        warnings.push(format!(
            "{} sample(s) of the case lists ending {key} are not in the clinical sample file and were left out: {}",
            ids.len(),
            first(ids)
        ));
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }

    // Coverage.
    let coverage = |kind: Detected, list_key: &str, sample: &str| -> Coverage {
        let Some(p) = profiles.iter().find(|p| p.kind == kind) else {
            return Coverage::NotProfiled;
        };
        let profiled = match lists.get(list_key) {
            Some(l) => l.contains(sample),
            None => in_file.get(list_key).is_some_and(|s| s.contains(sample)),
        };
        if !profiled {
            return Coverage::NotProfiled;
        }
        let from_matrix = p
            .stable_id
            .as_ref()
            .and_then(|id| matrix.columns.get(id))
            .and_then(|c| c.get(sample));
        let panel = match from_matrix {
            Some(None) => return Coverage::NotProfiled,
            Some(Some(panel)) => Some(panel.as_str()),
            None => p.gene_panel.as_ref().map(|(g, _)| g.as_str()),
        };
        match panel.and_then(|id| panels.get(id)) {
            Some(gp) => Coverage::Panel(gp.genes.clone()),
            None => Coverage::AllGenes,
        }
    };
    for (id, s) in samples.iter_mut() {
        s.mutations = coverage(Detected::Maf, "_sequenced", id);
        s.copy_number = coverage(Detected::CopyNumber, "_cna", id);
        s.structural_variants = coverage(Detected::StructuralVariants, "_sv", id);
    }

    let all: Vec<Sample> = samples.into_values().collect();
    let table = frequency_table(kb, &all);
    let mut by_patient: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in &all {
        by_patient.entry(s.patient.as_str()).or_default().push(s);
    }
    let config = Config::from_kb(kb);
    let bar = progress(by_patient.len() as u64, "patients");
    let mut summaries = Vec::with_capacity(by_patient.len());
    for (pt, ss) in &by_patient {
        summaries.push(summarise_patient(
            kb,
            &config,
            pt,
            ss,
            anaplastic.contains(*pt),
            as_of,
        ));
        bar.inc(1);
    }
    bar.finish_and_clear();

    std::fs::create_dir_all(&a.out)
        .map_err(|e| other(format!("{}: cannot create: {e}", a.out.display())))?;
    let version = kb.meta.version.as_str();
    write_json(
        &a.out.join("frequencies.json"),
        &FrequenciesOut {
            study: study_id,
            kb_version: version,
            samples: all.len(),
            patients: by_patient.len(),
            definitions: DEFINITIONS.iter().copied().collect(),
            warnings: &warnings,
            groups: &table,
        },
    )?;
    write_json(
        &a.out.join("patients.json"),
        &PatientsOut {
            study: study_id,
            kb_version: version,
            as_of: as_of.to_string(),
            patients: &summaries,
        },
    )?;
    write_tsv(
        &a.out.join("frequencies.tsv"),
        &[
            "LEVEL",
            "GROUP",
            "NAME",
            "GENES",
            "ALTERED",
            "PROFILED",
            "PERCENT",
            "ALTERED_OUTSIDE_COVERAGE",
            "PUBLISHED_PERCENT",
            "PUBLISHED_SOURCE",
            "KB_VERSION",
        ],
        table.iter().map(|r| {
            vec![
                r.level.clone(),
                r.group.clone(),
                r.name.clone(),
                r.genes.join(","),
                r.altered.to_string(),
                r.profiled.to_string(),
                r.percent.map(|p| p.to_string()).unwrap_or_default(),
                r.altered_outside_coverage.to_string(),
                r.published_percent
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                r.published_source.clone().unwrap_or_default(),
                version.to_string(),
            ]
        }),
    )?;
    write_tsv(
        &a.out.join("patients.tsv"),
        &[
            "PATIENT_ID",
            "SAMPLES",
            "ACTIONABLE_FINDING",
            "HIGHEST_LEVEL",
            "SOURCE",
            "ALL_ACTIONABLE",
            "FIRST_LINE_OPTIONS",
            "FIRST_LINE_IF_IVC",
            "STAGE",
            "NOT_KNOWN",
            "KB_VERSION",
        ],
        summaries.iter().map(|p| {
            vec![
                p.patient.clone(),
                p.samples.join(","),
                p.actionable.clone().unwrap_or_default(),
                p.level.clone().unwrap_or_default(),
                p.source.clone().unwrap_or_default(),
                p.all_actionable.join("; "),
                p.first_line.join("; "),
                p.first_line_if_ivc.join("; "),
                p.stage.clone(),
                p.unknown.join("; "),
                version.to_string(),
            ]
        }),
    )?;

    let mut s = format!(
        "Study {} — {} samples, {} patients; knowledge base {version}\n\n{:<56} {:>7} {:>8} {:>13}  {}\n",
        study_id.unwrap_or("(no meta_study.txt)"),
        all.len(),
        by_patient.len(),
        "Group",
        "altered",
        "profiled",
        "%",
        "published (ATC)"
    );
    for r in &table {
        let name = if r.level == "gene" {
            format!("  {}", r.name)
        } else {
            r.name.clone()
        };
        let outside = if r.altered_outside_coverage > 0 {
            format!(
                " (+{} detected outside coverage, not in the percentage)",
                r.altered_outside_coverage
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "{name:<56} {:>7} {:>8} {:>13}  {}{outside}\n",
            r.altered,
            r.profiled,
            r.percent
                .map_or("not estimable".into(), |p| format!("{p:.1}")),
            r.published_percent
                .map_or(String::new(), |p| format!("{p:.0}%"))
        ));
    }
    let actionable = summaries.iter().filter(|p| p.actionable.is_some()).count();
    if skipped > 0 {
        s.push_str(&format!(
            "\n{skipped} malformed rows skipped (--skip-invalid)\n"
        ));
    }
    s.push_str(&format!(
        "\n{actionable} of {} patients have a finding with a therapeutic level.\nWritten: {}/frequencies.tsv, frequencies.json, patients.tsv, patients.json\n",
        summaries.len(),
        a.out.display()
    ));
    Ok(s)
}

fn progress(n: u64, what: &'static str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:30}} {{pos}}/{{len}} {what} {{msg}}"
    )) {
        bar.set_style(style);
    }
    bar
}

fn write_json<T: Serialize>(p: &Path, v: &T) -> Result<(), Fail> {
    let text = serde_json::to_string_pretty(v).map_err(|e| other(e.to_string()))?;
    std::fs::write(p, text + "\n").map_err(|e| other(format!("{}: cannot write: {e}", p.display())))
}

fn write_tsv(
    p: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<(), Fail> {
    let werr = |e: csv::Error| other(format!("{}: cannot write: {e}", p.display()));
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .quote_style(csv::QuoteStyle::Necessary)
        .from_path(p)
        .map_err(werr)?;
    w.write_record(header).map_err(werr)?;
    for r in rows {
        w.write_record(&r).map_err(werr)?;
    }
    w.flush()
        .map_err(|e| other(format!("{}: cannot write: {e}", p.display())))
}
