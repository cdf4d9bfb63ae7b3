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
use atcpath_core::genomics::coverage::Coverage;
use atcpath_core::genomics::merge::{FileAlert, FileKind, MolecularFile};
use atcpath_core::genomics::merge::{MergeReport, merge};
use atcpath_formats::FormatError;
use atcpath_formats::clinical::{AtypicalCall, AtypicalReader, ClinicalReader};
use atcpath_formats::cna::CnaReader;
use atcpath_formats::maf::MafReader;
use atcpath_formats::sv::{Event, SvReader};
use atcpath_formats::vcf::{VcfOptions, VcfReader};
use atcpath_kb::Kb;
use atcpath_kb::MatchKind;

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
    /// oncokb-annotator atypical alterations (`Other Biomarkers` MSI-H / TMB-H).
    Atypical,
}

impl Detected {
    fn kind(self) -> FileKind {
        match self {
            Detected::Maf | Detected::Vcf => FileKind::Mutations,
            Detected::Fusions | Detected::StructuralVariants => FileKind::Fusions,
            Detected::CopyNumber => FileKind::CopyNumber,
            Detected::Clinical | Detected::Atypical => FileKind::Clinical,
        }
    }
}

/// Reads the first lines of a file and says which format it is; `None` when none fits.
pub fn detect(path: &Path) -> Result<Option<Detected>, Fail> {
    let file = atcpath_formats::limits::open_file(path)
        .map_err(|e| other(format!("{}: cannot read: {e}", path.display())))?;
    let mut r = atcpath_formats::limits::Bounded::new(std::io::BufReader::new(file));
    let mut line = String::new();
    for n in 1..=64 {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) if atcpath_formats::limits::is_limit(&e) => {
                return Err(invalid(format!("{}: line {n}: {e}", path.display())));
            }
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
        let cols: Vec<String> = l
            .split('\t')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let has = |n: &str| cols.iter().any(|c| c == n);
        return Ok(Some(
            if has("hugo_symbol")
                && (has("variant_classification") || has("hgvsp_short") || has("tumor_seq_allele2"))
            {
                Detected::Maf
            } else if has("alteration") && has("hugo_symbol") {
                Detected::Atypical
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
    /// The genes the file's test covered, as stated by the user (`genomics::coverage`).
    pub coverage: Coverage,
}

/// Expands directories (their regular files, sorted; hidden files, `meta_*` and `README*`
/// skipped; files of no recognised format named on standard error) into requests.
pub fn expand(
    paths: &[PathBuf],
    sample: Option<&str>,
    build: Option<&str>,
    coverage: &Coverage,
) -> Result<Vec<Request>, Fail> {
    let mut out = Vec::new();
    for p in paths {
        let req = |path: PathBuf| Request {
            shown: path.display().to_string(),
            path,
            sample: sample.map(str::to_string),
            build: build.map(str::to_string),
            coverage: coverage.clone(),
        };
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| other(format!("{}: cannot read: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|e| e.is_file())
                .filter(|e| {
                    let n = e
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    !(n.starts_with('.')
                        || n.starts_with("meta_")
                        || n.to_ascii_lowercase().starts_with("readme"))
                })
                .collect();
            entries.sort();
            for e in entries {
                if detect(&e)?.is_some() {
                    out.push(req(e));
                } else {
                    eprintln!(
                        "note: {}: not a molecular result file ATCPath reads; ignored",
                        e.display()
                    );
                }
            }
        } else {
            out.push(req(p.clone()));
        }
    }
    Ok(out)
}

/// The file's sample ids that are the one asked for: the exact id when the file has it; else
/// the ids that extend it after a `-` (a TCGA sample barcode and its aliquots), which must all
/// be one sample's (the same id up to the asked one's next `-`-field), or it is ambiguous.
///
/// # Errors
/// The ids that match when they belong to different samples (`PT` matching `PT-1-T` and
/// `PT-10-T`).
pub fn matching_samples<'a>(
    asked: &str,
    in_file: &'a BTreeSet<String>,
) -> Result<BTreeSet<&'a str>, Vec<&'a str>> {
    if let Some(x) = in_file.get(asked) {
        return Ok(BTreeSet::from([x.as_str()]));
    }
    let ext: Vec<&str> = in_file
        .iter()
        .map(String::as_str)
        .filter(|x| x.strip_prefix(asked).is_some_and(|r| r.starts_with('-')))
        .collect();
    // The next field after the asked id must be the same for all (one sample's aliquots).
    let next = |x: &str| {
        x[asked.len() + 1..]
            .split('-')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let firsts: BTreeSet<String> = ext.iter().map(|x| next(x)).collect();
    if firsts.len() > 1 {
        return Err(ext);
    }
    Ok(ext.into_iter().collect())
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
pub fn load(req: &Request, kb: &Kb) -> Result<MolecularFile, Fail> {
    let Some(kind) = detect(&req.path)? else {
        return Err(invalid(format!(
            "{}: not a molecular result file ATCPath reads (MAF, VCF, fusion or SV list, discrete copy number, clinical sample file)",
            req.shown
        )));
    };
    let (findings, mut summary) = read_request(req, kind, kb)?;
    let alerts = std::mem::take(&mut summary.alerts);
    let not_merged = summary.not_findings;
    let settles = summary.blocking.is_empty();
    summary.notes.append(&mut summary.blocking);
    if kind == Detected::Vcf {
        // The tumour column is the sample: no sample filter.
        return Ok(MolecularFile {
            name: req.shown.clone(),
            kind: FileKind::Mutations,
            findings,
            not_merged,
            results_test: settles,
            notes: summary.notes,
            coverage: req.coverage.clone(),
            alerts,
        });
    }
    let samples: BTreeSet<String> = findings.iter().filter_map(|f| f.sample.clone()).collect();
    let mut notes = summary.notes;
    let mut results_test = settles;
    // In a file of several samples, a row without one belongs to nobody we can name.
    if !samples.is_empty()
        && let Some(f) = findings.iter().find(|f| f.sample.is_none())
    {
        return Err(invalid(format!(
            "{} line {}: no sample id in a file that names samples",
            req.shown, f.line
        )));
    }
    let findings = match &req.sample {
        Some(s) => {
            let chosen = matching_samples(s, &samples).map_err(|ids| {
                invalid(format!(
                    "{}: sample {s:?} matches several samples ({}); give the full id",
                    req.shown,
                    ids.join(", ")
                ))
            })?;
            if chosen.is_empty() && !samples.is_empty() {
                // A clinical file has a row per sample: a missing one is a wrong id. A list of
                // detected events has no row for a sample with nothing detected, or for a wrong
                // id: which, the file cannot tell, so the test stays as the case file has it.
                if kind == Detected::Clinical {
                    return Err(invalid(format!(
                        "{}: sample {s:?} is not in the file (its samples: {})",
                        req.shown,
                        list(&samples)
                    )));
                }
                results_test = false;
                let note = format!(
                    "{}: no row for sample {s:?} (the file lists {}): nothing from this file for the patient, and the file does not count as a result (a missing row cannot tell \"nothing detected\" from a wrong sample id)",
                    req.shown,
                    list(&samples)
                );
                eprintln!("warning: {note}");
                notes.push(note);
            }
            findings
                .into_iter()
                .filter(|f| f.sample.as_deref().is_none_or(|x| chosen.contains(x)))
                .collect()
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
        results_test,
        notes,
        coverage: req.coverage.clone(),
        alerts,
    })
}

/// How a file is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions<'a> {
    /// The file's name in messages and findings.
    pub shown: &'a str,
    /// VCF: build when the header does not say.
    pub build: Option<&'a str>,
    /// VCF: the tumour column's name.
    pub tumour_sample: Option<&'a str>,
    /// Count malformed rows (warning) instead of stopping at the first.
    pub skip_invalid: bool,
    /// Whether the command has `--skip-invalid` (errors then say so).
    pub offers_skip: bool,
}

/// What reading a file left aside.
#[derive(Debug, Clone, Default)]
pub struct ReadSummary {
    /// Rows read but not turned into findings (non-fusion SV rows, VCF calls that failed the
    /// caller's filters, TMB-H without a value, ...).
    pub not_findings: usize,
    /// Malformed rows skipped (only with `skip_invalid`).
    pub invalid: usize,
    /// What the report should say about how the file was read (VCF: tumour column, build).
    pub notes: Vec<String>,
    /// Rows that make the file unable to settle its test (e.g. a BRAF V600E call the caller
    /// filtered out): the test stays as the case file has it, and these say why.
    pub blocking: Vec<String>,
    /// What the report's ALERTS must show (e.g. an MSI status contradicting the MSIsensor
    /// score at file:line); `assess` adds them through the merge.
    pub alerts: Vec<FileAlert>,
}

fn open(path: &Path, shown: &str) -> Result<std::io::BufReader<std::fs::File>, Fail> {
    atcpath_formats::limits::open_file(path)
        .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
        .map_err(|e| other(format!("{shown}: cannot read: {e}")))
}

/// Decides what a malformed row does: an error, or (with `skip_invalid`) a count. A reader that
/// keeps failing at the same line (an I/O error) stops the file either way.
struct Invalid<'a> {
    o: ReadOptions<'a>,
    count: usize,
    last: Option<usize>,
}

impl Invalid<'_> {
    fn handle(&mut self, e: FormatError) -> Result<(), Fail> {
        if !self.o.skip_invalid || self.last == Some(e.line) {
            return Err(invalid(format!(
                "{}: {e}{}",
                self.o.shown,
                if self.o.skip_invalid || !self.o.offers_skip {
                    ""
                } else {
                    " (use --skip-invalid to skip and count such rows)"
                }
            )));
        }
        self.last = Some(e.line);
        self.count += 1;
        Ok(())
    }
}

/// A variant row whose class contradicts its protein change (`genomics::class_contradiction`,
/// the rule `annotate` and the merge apply): a row error, like a malformed row.
fn contradiction(f: &Sourced) -> Option<FormatError> {
    let atcpath_core::genomics::Finding::Variant {
        gene,
        protein: Some(p),
        class: Some(class),
        ..
    } = &f.finding
    else {
        return None;
    };
    atcpath_core::genomics::class_contradiction(*class, p).map(|m| FormatError {
        line: f.line,
        message: format!("{gene}: {m}"),
    })
}

/// A MAF row of a gene at one of the gene's knowledge-base hotspot positions and alleles
/// (`kb/hotspot_positions.toml`, when the row has its build, position and alleles) whose protein
/// change is another (`BRAF` 7:140453136 A>T with `p.V600K`): which is right cannot be told, as
/// the VCF reader refuses an annotation disagreeing with its position. (A row naming another gene
/// at a hotspot is the merge's check.)
fn position_contradiction(kb: &Kb, f: &Sourced) -> Option<FormatError> {
    let atcpath_core::genomics::Finding::Variant {
        gene,
        protein: Some(p),
        build: Some(b),
        chromosome: Some(c),
        position: Some(pos),
        reference: Some(r),
        alternate: Some(a),
        ..
    } = &f.finding
    else {
        return None;
    };
    let hit = kb.hotspot_at(b, c, *pos, r, a)?;
    let expected = hit.protein?;
    let same =
        atcpath_core::hgvs::parse_protein(expected).is_ok_and(|e| e.normalized == p.normalized);
    (hit.gene == gene && !same).then(|| FormatError {
        line: f.line,
        message: format!(
            "{b} {c}:{pos} {r}>{a} is {} {expected}, the row says {gene} {}: the position and the protein change disagree",
            hit.gene, p.normalized
        ),
    })
}

/// Streams a result file of a detected kind, handing each finding to `sink`. Constant memory in
/// the file's size (the sink decides what it keeps).
///
/// # Errors
/// Invalid input (exit 2) for a bad header or, without `skip_invalid`, the first malformed row,
/// naming file and line; other errors (exit 1) when the file cannot be read.
pub fn read_findings(
    path: &Path,
    kind: Detected,
    kb: &Kb,
    o: ReadOptions<'_>,
    sink: &mut dyn FnMut(Sourced),
) -> Result<ReadSummary, Fail> {
    let header = |e: FormatError| invalid(format!("{}: {e}", o.shown));
    let mut bad = Invalid {
        o,
        count: 0,
        last: None,
    };
    let mut not_findings = 0;
    let mut notes = Vec::new();
    let mut blocking = Vec::new();
    let mut alerts = Vec::new();
    let r = open(path, o.shown)?;
    match kind {
        Detected::Maf => {
            let mut maf = MafReader::new(r).map_err(header)?;
            let c = maf.columns();
            loop {
                match maf.next_row() {
                    Ok(Some(row)) => {
                        let f = c.finding(&row, o.shown);
                        if let Some(filter) = c.filtered(&row) {
                            // As for a VCF: a filtered call is no detection, and no proof of
                            // absence either.
                            not_findings += 1;
                            let a = atcpath_core::genomics::annotate_finding(kb, &f.finding);
                            if a.alteration.is_some() {
                                blocking.push(format!(
                                    "{} line {}: a call the caller filtered out (FILTER {:?}) is a known alteration ({}): not used, and the file does not count as a result for it",
                                    o.shown,
                                    f.line,
                                    atcpath_formats::quote_cut(filter),
                                    a.alteration.as_deref().unwrap_or_default()
                                ));
                            }
                            continue;
                        }
                        if c.germline(&row)
                            && atcpath_core::genomics::annotate_finding(kb, &f.finding)
                                .alteration
                                .is_some()
                        {
                            notes.push(format!(
                                "{} line {}: Mutation_Status Germline: counted as found in the patient; whether it is somatic or germline is for the laboratory and genetics to confirm",
                                o.shown, f.line
                            ));
                        }
                        match contradiction(&f).or_else(|| position_contradiction(kb, &f)) {
                            Some(e) => bad.handle(e)?,
                            None => sink(f),
                        }
                    }
                    Ok(None) => break,
                    Err(e) => bad.handle(e)?,
                }
            }
        }
        Detected::Vcf => {
            let mut v = VcfReader::new(
                r,
                kb,
                VcfOptions {
                    file: o.shown,
                    build: o.build,
                    tumour_sample: o.tumour_sample,
                },
            )
            .map_err(header)?;
            // Without a build and without CSQ/ANN annotation no call can be recognised (hotspots
            // are matched by position): reading on would turn a BRAF V600E into "not detected".
            if v.build().is_none() && v.annotation().is_none() {
                if let Some(w) = v
                    .warnings()
                    .iter()
                    .find(|w| w.starts_with("the header names both"))
                {
                    let said = w.split(": build unknown").next().unwrap_or(w);
                    return Err(invalid(format!(
                        "{}: the header contradicts itself about the reference build ({said}) and the calls carry no CSQ/ANN annotation: correct the header, or give --build GRCh37 or GRCh38 (or \"build\" in molecular.files)",
                        o.shown
                    )));
                }
                return Err(invalid(format!(
                    "{}: the reference build is not stated in the header and the calls carry no CSQ/ANN annotation: give --build GRCh37 or GRCh38 (or \"build\" in molecular.files); without it hotspots such as BRAF V600E cannot be recognised",
                    o.shown
                )));
            }
            notes.push(format!(
                "{}: tumour column {} (of {}); build {}{}",
                o.shown,
                v.tumour_sample().unwrap_or("(none: sites-only file)"),
                v.samples().join(", "),
                v.build()
                    .unwrap_or("not stated (calls read from their CSQ/ANN annotation)"),
                match (v.build(), o.build) {
                    (Some(_), Some(_)) => " (as given on the command line or in molecular.files)",
                    (Some(_), None) => " (from the header)",
                    _ => "",
                }
            ));
            for call in v.by_ref() {
                match call {
                    Ok(c) if c.filter.passed() => match contradiction(&c.sourced) {
                        Some(e) => bad.handle(e)?,
                        None => sink(c.sourced),
                    },
                    Ok(c) => {
                        not_findings += 1;
                        // A filtered call is no detection, and no proof of absence either.
                        let a = atcpath_core::genomics::annotate_finding(kb, &c.sourced.finding);
                        if a.alteration.is_some() {
                            blocking.push(format!(
                                "{} line {}: a call the caller filtered out ({:?}) is a known alteration ({}): not used, and the file does not count as a result for it",
                                o.shown,
                                c.sourced.line,
                                c.filter,
                                a.alteration.as_deref().unwrap_or_default()
                            ));
                        }
                    }
                    Err(e) => bad.handle(e)?,
                }
            }
            for w in v.warnings() {
                eprintln!("warning: {}: {w}", o.shown);
            }
            if not_findings > 0 {
                eprintln!(
                    "note: {}: {not_findings} call(s) that failed the caller's filters (FILTER not PASS) were not used",
                    o.shown
                );
            }
        }
        Detected::Fusions | Detected::StructuralVariants => {
            let mut sv = SvReader::new(r, o.shown).map_err(header)?;
            loop {
                let row = match sv.next_row() {
                    Ok(Some(row)) => row,
                    Ok(None) => break,
                    Err(e) => {
                        bad.handle(e)?;
                        continue;
                    }
                };
                if let Some(f) = row.finding(o.shown) {
                    sink(f);
                    continue;
                }
                // A germline row of a kinase fusion: not a tumour finding, but no proof of the
                // kinase's fusion absence either: a rearrangement finding leaves it unknown.
                if row.germline
                    && let Event::Fusion {
                        five_prime,
                        three_prime,
                    } = &row.event
                {
                    let kinase = |g: &str| {
                        kb.actionability
                            .iter()
                            .any(|a| a.kind == MatchKind::Fusion && a.genes().any(|x| x == g))
                    };
                    let mut any = false;
                    for g in [five_prime, three_prime] {
                        if kinase(g) {
                            any = true;
                            sink(Sourced {
                                sample: Some(row.sample.to_string()),
                                finding: atcpath_core::genomics::Finding::Rearrangement {
                                    gene: g.clone(),
                                },
                                file: o.shown.to_string(),
                                line: row.record.line_no,
                            });
                        }
                    }
                    if any {
                        notes.push(format!(
                            "{} line {}: {five_prime}-{three_prime} marked GERMLINE: not counted as a tumour fusion; the fusion stays unknown (confirm with the laboratory)",
                            o.shown, row.record.line_no
                        ));
                        continue;
                    }
                }
                // A rearrangement without partner: a finding that leaves the fusion unknown.
                match row.rearrangement(o.shown) {
                    Some(f) => sink(f),
                    None => not_findings += 1,
                }
                if let Event::OneSided { gene } = &row.event
                    && kb
                        .actionability
                        .iter()
                        .any(|a| a.kind == MatchKind::Fusion && a.genes().any(|g| g == gene))
                {
                    // For the report's ALERTS, push a `FileAlert` onto `alerts` here (as the
                    // MSI contradiction does below); `assess` shows it through the merge.
                    eprintln!(
                        "warning: {} line {}: a {gene} rearrangement with no named partner: not counted as a fusion; confirm by RNA sequencing",
                        o.shown, row.record.line_no
                    );
                }
            }
            let c = sv.counts();
            if c.fusions_inferred > 0 {
                eprintln!(
                    "note: {}: {} fusion(s) inferred from two genes in a structural-variant row not typed FUSION; confirm with the laboratory report",
                    o.shown, c.fusions_inferred
                );
            }
        }
        Detected::CopyNumber => {
            let mut cna = CnaReader::new(r, o.shown).map_err(header)?;
            loop {
                match cna.next_finding() {
                    Ok(Some(f)) => sink(f),
                    Ok(None) => break,
                    Err(e) => bad.handle(e)?,
                }
            }
            for c in cna.conflicts() {
                eprintln!("warning: {}: {c}", o.shown);
            }
        }
        Detected::Clinical => {
            let mut cl = ClinicalReader::new(r, o.shown).map_err(header)?;
            let mut header_noted = false;
            loop {
                let row = match cl.next_row() {
                    Ok(Some(row)) => row,
                    Ok(None) => break,
                    Err(e) => {
                        bad.handle(e)?;
                        continue;
                    }
                };
                // Columns that look clinical but are not read (PD-L1, MMR): said, so that their
                // values are not taken as used.
                if !header_noted {
                    header_noted = true;
                    let unread: Vec<&str> = row
                        .fields()
                        .map(|(h, _)| h)
                        .filter(|h| {
                            let u = h.to_ascii_uppercase().replace(['-', ' '], "_");
                            [
                                "PD_L1", "PDL1", "CPS", "TPS", "MMR", "DMMR", "MLH1", "MSH2",
                                "MSH6", "PMS2",
                            ]
                            .iter()
                            .any(|p| u.starts_with(p))
                        })
                        .collect();
                    if !unread.is_empty() {
                        notes.push(format!(
                            "{}: column(s) {} not read (PD-L1 and MMR immunohistochemistry are typed in the case file)",
                            o.shown,
                            unread.join(", ")
                        ));
                    }
                }
                match row.biomarkers(&kb.facts.thresholds) {
                    Ok(b) => {
                        if let Some(d) = &b.msi_disagreement {
                            eprintln!("warning: {} line {}: {d}", o.shown, row.line_no());
                            alerts.push(FileAlert {
                                id: atcpath_kb::AlertId::MsiContradiction,
                                facts: format!("{} line {}: {d}", o.shown, row.line_no()),
                            });
                        }
                        b.tmb.into_iter().chain(b.msi).for_each(&mut *sink);
                    }
                    Err(e) => bad.handle(e)?,
                }
            }
        }
        Detected::Atypical => {
            let mut at = AtypicalReader::new(r).map_err(header)?;
            loop {
                match at.next_row() {
                    Ok(Some(row)) => match row.finding(o.shown) {
                        Some(f) => sink(f),
                        None => {
                            if row.call == AtypicalCall::TmbHigh {
                                eprintln!(
                                    "warning: {} line {}: TMB-H reported without a value for {}: not used (give the value)",
                                    o.shown, row.line, row.sample
                                );
                            }
                            not_findings += 1;
                        }
                    },
                    Ok(None) => break,
                    Err(e) => bad.handle(e)?,
                }
            }
        }
    }
    if bad.count > 0 {
        eprintln!("warning: {}: {} malformed rows skipped", o.shown, bad.count);
    }
    Ok(ReadSummary {
        not_findings,
        invalid: bad.count,
        notes,
        blocking,
        alerts,
    })
}

/// Reads one patient's file: every finding, then the sample's (see the module documentation).
fn read_request(
    req: &Request,
    kind: Detected,
    kb: &Kb,
) -> Result<(Vec<Sourced>, ReadSummary), Fail> {
    // A VCF's sample is its tumour column: the reader picks it (the `--sample` name when the
    // file has such a column).
    let mut notes = Vec::new();
    let tumour = match (kind, req.sample.as_deref()) {
        (Detected::Vcf, Some(s)) => {
            let columns = vcf_samples(&req.path, kb);
            if columns.iter().any(|x| x == s) {
                if s.to_ascii_uppercase().contains("NORMAL") {
                    return Err(invalid(format!(
                        "{}: --sample {s:?} names the normal column: give the tumour's",
                        req.shown
                    )));
                }
                Some(s)
            } else {
                notes.push(format!(
                    "{}: {s:?} is not a column of the VCF; the tumour column was chosen from the header",
                    req.shown
                ));
                None
            }
        }
        _ => None,
    };
    let mut out = Vec::new();
    let summary = read_findings(
        &req.path,
        kind,
        kb,
        ReadOptions {
            shown: &req.shown,
            build: req.build.as_deref(),
            tumour_sample: tumour,
            skip_invalid: false,
            offers_skip: false,
        },
        &mut |f| out.push(f),
    )?;
    let mut summary = summary;
    notes.append(&mut summary.notes);
    summary.notes = notes;
    Ok((out, summary))
}

fn vcf_samples(path: &Path, kb: &Kb) -> Vec<String> {
    let Ok(r) = open(path, "") else {
        return Vec::new();
    };
    VcfReader::new(r, kb, VcfOptions::default())
        .map(|v| v.samples().iter().map(|s| s.to_string()).collect())
        .unwrap_or_default()
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
    covers: &[String],
    kb: &Kb,
) -> Result<(Case, Option<MergeReport>), Fail> {
    let statement = |c: &[String], what: &str| {
        if c.is_empty() {
            Ok(Coverage::NotProfiled)
        } else {
            Coverage::from_statement(kb, c).map_err(|e| match e.item {
                Some(i) if what.starts_with("molecular") => {
                    invalid(format!("{what}[{i}]: {}", e.message))
                }
                _ => invalid(format!("{what}: {}", e.message)),
            })
        }
    };
    // A flag about result files with no file to apply it to would be silently ignored: refused,
    // so that nobody believes a coverage statement was applied.
    if !covers.is_empty() && extra.is_empty() {
        return Err(invalid(
            "--covers states what the --molecular files covered, and no --molecular file is \
             given (for a file listed in the case, write molecular.files[].covers)"
                .to_string(),
        ));
    }
    if extra.is_empty() && case.molecular.files.is_empty() {
        for (flag, given) in [("--sample", sample.is_some()), ("--build", build.is_some())] {
            if given {
                return Err(invalid(format!(
                    "{flag} applies to result files, and none is given (--molecular FILE or \
                     molecular.files in the case)"
                )));
            }
        }
    }
    let extra_coverage = statement(covers, "--covers")?;
    let base = if case_path == "-" {
        PathBuf::from(".")
    } else {
        Path::new(case_path)
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let mut requests = Vec::new();
    for (i, f) in case.molecular.files.iter().enumerate() {
        let path = base.join(&f.path);
        // `--sample` naming another sample than the case lists for this file: a conflict.
        if let (Some(listed), Some(given)) = (f.sample.as_deref(), sample)
            && listed != given
        {
            return Err(invalid(format!(
                "--sample {given:?} conflicts with molecular.files[{i}].sample {listed:?} ({}): \
                 one file is one patient's result",
                f.path
            )));
        }
        let sample = f.sample.as_deref().or(sample);
        let build = f.build.as_deref().or(build);
        let shown = f.path.clone();
        let coverage = statement(
            f.covers.as_deref().unwrap_or_default(),
            &format!("molecular.files[{i}].covers"),
        )?;
        for mut r in expand(&[path], sample, build, &coverage)? {
            if r.path == base.join(&f.path) {
                r.shown = shown.clone();
            }
            requests.push(r);
        }
    }
    requests.extend(expand(extra, sample, build, &extra_coverage)?);
    // The same file twice: once is enough; for two samples it is a mistake.
    let mut seen: Vec<(PathBuf, Option<String>)> = Vec::new();
    let mut unique = Vec::new();
    for r in requests {
        let key = std::fs::canonicalize(&r.path).unwrap_or_else(|_| r.path.clone());
        match seen.iter().find(|(p, _)| *p == key) {
            Some((_, s)) if *s == r.sample => {}
            Some((_, s)) => {
                return Err(invalid(format!(
                    "{}: given twice, for samples {:?} and {:?}: one file is one patient's result",
                    r.shown, s, r.sample
                )));
            }
            None => {
                seen.push((key, r.sample.clone()));
                unique.push(r);
            }
        }
    }
    let requests = unique;
    if requests.is_empty() {
        return Ok((case, None));
    }
    let files = requests
        .iter()
        .map(|r| load(r, kb))
        .collect::<Result<Vec<_>, _>>()?;
    let (merged, report) = merge(&case, &files, kb).map_err(|problems| {
        invalid(format!(
            "molecular files refused (each problem with its file and line):\n  {}",
            problems.join("\n  ")
        ))
    })?;
    Ok((merged, Some(report)))
}
