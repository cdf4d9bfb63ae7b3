//! Reading a patient's molecular result files for `assess --molecular` (and `molecular.files` of
//! a case file): what kind each file is (from its content, not its name), which of its samples is
//! this patient's, and the findings of that sample with file and line.
//!
//! Sample choice: the sample named (`--sample`, or `sample` of a `molecular.files` entry) matches
//! a file's sample id exactly, or as the start of a longer TCGA-style barcode followed by `-`
//! (`TCGA-A6-2672-01` matches `TCGA-A6-2672-01A-01W-0833-10`). Without a name, a file holding one
//! sample is that patient's; a file holding several is an error listing them (never a guess). A
//! named sample missing from a file that holds others is an error too (a wrong id would otherwise
//! read as "nothing detected").

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use atcpath_core::case::Case;
use atcpath_core::genomics::Sourced;
use atcpath_core::genomics::merge::{MergeReport, merge};
use atcpath_kb::Kb;
use atcpath_core::genomics::merge::{FileKind, MolecularFile};
use atcpath_formats::maf::MafReader;

use crate::{Fail, invalid, other};

/// The formats recognised, by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Maf,
    Vcf,
    Fusions,
    StructuralVariants,
    CopyNumber,
    Clinical,
}

impl Detected {
    fn kind(self) -> FileKind {
        match self {
            Detected::Maf | Detected::Vcf => FileKind::Mutations,
            Detected::Fusions | Detected::StructuralVariants => FileKind::Fusions,
            Detected::CopyNumber => FileKind::CopyNumber,
            Detected::Clinical => FileKind::Clinical,
        }
    }
}

/// Reads the first lines of a file and says which format it is; `None` when none fits.
pub fn detect(path: &Path) -> Result<Option<Detected>, Fail> {
    let file = std::fs::File::open(path)
        .map_err(|e| other(format!("{}: cannot read: {e}", path.display())))?;
    let mut r = std::io::BufReader::new(file);
    let mut line = String::new();
    for _ in 0..64 {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            // Not text: not a result file.
            Err(_) => return Ok(None),
        }
        let l = line.trim_end_matches(['\n', '\r']);
        if l.starts_with("##fileformat=VCF") {
            return Ok(Some(Detected::Vcf));
        }
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let cols: Vec<String> = l.split('\t').map(|c| c.trim().to_ascii_lowercase()).collect();
        let has = |n: &str| cols.iter().any(|c| c == n);
        return Ok(Some(
            if has("hugo_symbol")
                && (has("variant_classification")
                    || has("hgvsp_short")
                    || has("tumor_seq_allele2"))
            {
                Detected::Maf
            } else if has("fusion") {
                Detected::Fusions
            } else if has("site1_hugo_symbol")
                || has("site2_hugo_symbol")
                || (has("genea") && has("geneb"))
            {
                Detected::StructuralVariants
            } else if has("copy_number_alteration")
                || (has("hugo_symbol") && has("value") && has("sample_id"))
                || ((has("hugo_symbol") || has("gene symbol"))
                    && (has("entrez_gene_id") || has("locus id")))
            {
                Detected::CopyNumber
            } else if has("sample_id") {
                Detected::Clinical
            } else {
                return Ok(None);
            },
        ));
    }
    Ok(None)
}

/// One file to read, with the sample and build asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: PathBuf,
    /// The name to show (as given by the user).
    pub shown: String,
    pub sample: Option<String>,
    pub build: Option<String>,
}

/// Expands directories (their regular files, sorted; hidden files, `meta_*` and `README*`
/// skipped; files of no recognised format named on standard error) into requests.
pub fn expand(paths: &[PathBuf], sample: Option<&str>, build: Option<&str>) -> Result<Vec<Request>, Fail> {
    let mut out = Vec::new();
    for p in paths {
        let req = |path: PathBuf| Request {
            shown: path.display().to_string(),
            path,
            sample: sample.map(str::to_string),
            build: build.map(str::to_string),
        };
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| other(format!("{}: cannot read: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|e| e.is_file())
                .filter(|e| {
                    let n = e.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    !(n.starts_with('.') || n.starts_with("meta_") || n.to_ascii_lowercase().starts_with("readme"))
                })
                .collect();
            entries.sort();
            for e in entries {
                if detect(&e)?.is_some() {
                    out.push(req(e));
                } else {
                    eprintln!("note: {}: not a molecular result file ATCPath reads; ignored", e.display());
                }
            }
        } else {
            out.push(req(p.clone()));
        }
    }
    Ok(out)
}

/// Whether a file's sample id is the one asked for (exact, or a longer barcode after `-`).
pub fn sample_matches(asked: &str, in_file: &str) -> bool {
    in_file == asked
        || in_file
            .strip_prefix(asked)
            .is_some_and(|rest| rest.starts_with('-'))
}

fn list(samples: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = samples.iter().take(10).map(String::as_str).collect();
    let more = samples.len().saturating_sub(10);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Reads one file and keeps the findings of the patient's sample.
pub fn load(req: &Request) -> Result<MolecularFile, Fail> {
    let Some(kind) = detect(&req.path)? else {
        return Err(invalid(format!(
            "{}: not a molecular result file ATCPath reads (MAF, VCF, fusion or SV list, discrete copy number, clinical sample file)",
            req.shown
        )));
    };
    let (findings, not_merged) = match kind {
        Detected::Maf => read_maf(req)?,
        other_kind => {
            return Err(invalid(format!(
                "{}: {other_kind:?} files are not read by assess yet",
                req.shown
            )));
        }
    };
    let samples: BTreeSet<String> = findings.iter().filter_map(|f| f.sample.clone()).collect();
    let findings = match &req.sample {
        Some(s) => {
            let kept: Vec<Sourced> = findings
                .into_iter()
                .filter(|f| f.sample.as_deref().is_none_or(|x| sample_matches(s, x)))
                .collect();
            if kept.is_empty() && !samples.is_empty() {
                return Err(invalid(format!(
                    "{}: sample {s:?} is not in the file (its samples: {})",
                    req.shown,
                    list(&samples)
                )));
            }
            kept
        }
        None if samples.len() > 1 => {
            return Err(invalid(format!(
                "{}: the file holds {} samples ({}); name this patient's with --sample (or \"sample\" in molecular.files)",
                req.shown,
                samples.len(),
                list(&samples)
            )));
        }
        None => findings,
    };
    Ok(MolecularFile {
        name: req.shown.clone(),
        kind: kind.kind(),
        findings,
        not_merged,
        results_test: true,
    })
}

fn open(req: &Request) -> Result<std::io::BufReader<std::fs::File>, Fail> {
    std::fs::File::open(&req.path)
        .map(std::io::BufReader::new)
        .map_err(|e| other(format!("{}: cannot read: {e}", req.shown)))
}

fn read_maf(req: &Request) -> Result<(Vec<Sourced>, usize), Fail> {
    let mut maf = MafReader::new(open(req)?).map_err(|e| invalid(format!("{}: {e}", req.shown)))?;
    let c = maf.columns();
    let mut out = Vec::new();
    while let Some(row) = maf
        .next_row()
        .map_err(|e| invalid(format!("{}: {e}", req.shown)))?
    {
        out.push(c.finding(&row, &req.shown));
    }
    Ok((out, 0))
}

/// Reads the case's own `molecular.files` (relative to the case file's folder) and the
/// `--molecular` paths, and merges their findings into the case. `Ok((case, None))` when there is
/// no file.
///
/// # Errors
/// Invalid input (exit 2) for unreadable formats, malformed rows, sample ambiguity and
/// conflicts with the case; other errors (exit 1) for files that cannot be read.
pub fn merge_files(
    case_path: &str,
    case: Case,
    extra: &[PathBuf],
    sample: Option<&str>,
    build: Option<&str>,
    kb: &Kb,
) -> Result<(Case, Option<MergeReport>), Fail> {
    let base = if case_path == "-" {
        PathBuf::from(".")
    } else {
        Path::new(case_path)
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let mut requests = Vec::new();
    for f in &case.molecular.files {
        let path = base.join(&f.path);
        let sample = f.sample.as_deref().or(sample);
        let build = f.build.as_deref().or(build);
        let shown = f.path.clone();
        for mut r in expand(&[path], sample, build)? {
            if r.path == base.join(&f.path) {
                r.shown = shown.clone();
            }
            requests.push(r);
        }
    }
    requests.extend(expand(extra, sample, build)?);
    if requests.is_empty() {
        return Ok((case, None));
    }
    let files = requests.iter().map(load).collect::<Result<Vec<_>, _>>()?;
    let (merged, report) = merge(&case, &files, kb).map_err(|problems| {
        invalid(format!(
            "molecular files disagree with the case:\n  {}",
            problems.join("\n  ")
        ))
    })?;
    Ok((merged, Some(report)))
}
