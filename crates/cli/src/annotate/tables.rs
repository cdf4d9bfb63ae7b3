//! The non-MAF parts of `atcpath annotate`, as oncokb-annotator's FusionAnnotator,
//! StructuralVariantAnnotator, CnaAnnotator and ClinicalDataAnnotator do them:
//!
//! - `--fusions` and `--sv` (any flavour `atcpath_formats::sv` reads: oncokb-annotator fusion or
//!   SV list, cBioPortal SV or deprecated fusion file): every row written back with the
//!   [`ADDED`] columns to `<out>.fusions.txt` / `<out>.sv.txt`. A fusion row is annotated as a
//!   fusion; an intragenic or one-sided row gets `Unknown` (never a fusion level), and a one-sided
//!   rearrangement of a gene with a fusion entry in the knowledge base (e.g. RET with no partner)
//!   is named on standard error for confirmation. A germline row (`SV_Status` GERMLINE) is an
//!   inherited event, not a tumour finding: `Unknown`, never a fusion level; an `SV_Status`
//!   other than SOMATIC, GERMLINE or empty is a row error.
//! - `--cna`: a long file is written back row by row (a neutral or missing value gets empty
//!   annotation columns: there is no alteration to annotate); a wide file is written as long rows
//!   `SAMPLE_ID HUGO_SYMBOL ALTERATION` plus the added columns, one per non-neutral call
//!   (`Amplification`, `Gain`, `Loss`, `Deletion`), to `<out>.cna.txt`. Conflicting repeats of a
//!   gene and sample are all kept and counted on standard error.
//! - `--clinical`: the sample file written back with [`CLINICAL_ADDED`], a per-sample summary of
//!   every finding of every input of the run (the MAF is read a second time for it; memory per
//!   sample, not per row) and of the row's own TMB and MSI, to `<out>.clinical.txt`.
//!   `ATC_FINDINGS` is the number of findings read for the sample: 0 means none in these files,
//!   not a negative result. Samples are matched by exact id. A sample whose `ONCOTREE_CODE`
//!   (or, without it, `CANCER_TYPE_DETAILED`) is not thyroid is named on standard error: the
//!   levels are those of anaplastic thyroid cancer (OncoTree THAP).
//!
//! A malformed row is an error naming the file and line (exit 2), or with `--skip-invalid` a
//! counted warning; a file that cannot be read or written is exit 1.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use atcpath_core::genomics::{
    Annotation, CopyNumber, Finding, LEVEL_ORDER, VariantClass, VariantQuery, annotate_copy_number,
    annotate_finding, annotate_fusion, annotate_variant, maf_protein,
};
use atcpath_formats::FormatError;
use atcpath_formats::clinical::ClinicalReader;
use atcpath_formats::cna::{CnaReader, Layout};
use atcpath_formats::maf::MafReader;
use atcpath_formats::sv::{Event, SvReader};
use atcpath_kb::{Kb, MatchKind};

use super::{ADDED, AnnotateArgs, Output, check_not_annotated, derived_out};
use crate::{Fail, invalid, other};

/// The columns added to the clinical file, in order.
pub const CLINICAL_ADDED: [&str; 7] = [
    "ATC_FINDINGS",
    "TMB_H",
    "MSI_H",
    "HIGHEST_LEVEL",
    "ATC_ACTIONABLE_ALTERATIONS",
    "ATC_OPTIONS",
    "KB_VERSION",
];

/// Descriptions of [`CLINICAL_ADDED`] for a cBioPortal file's attribute lines.
const CLINICAL_ADDED_DESCRIPTIONS: [&str; 7] = [
    "Findings read for the sample from the annotated files (0: none there, not a negative result)",
    "TMB at or above the knowledge base's TMB-H threshold (Yes/No/Conflicting; empty: unknown)",
    "MSI-high (Yes/No/Conflicting; empty: unknown)",
    "Highest OncoKB-scheme level over the sample's findings",
    "Findings with a therapeutic level, with their level",
    "ATC options opened by the sample's findings",
    "Knowledge base version",
];

/// How many one-sided rearrangements or CNA conflicts are named on standard error per file.
const NAMED: usize = 10;

/// What one sample's findings add up to.
#[derive(Default)]
struct SampleSummary {
    findings: usize,
    /// Index in `LEVEL_ORDER` of the highest level (lower is higher).
    best: Option<usize>,
    actionable: BTreeSet<String>,
    options: BTreeSet<&'static str>,
    /// (seen high, seen not high).
    tmb: (bool, bool),
    msi: (bool, bool),
    in_clinical: bool,
}

/// The per-sample summaries of a run (only kept when `--clinical` is given).
type Samples = HashMap<String, SampleSummary>;

fn summary_of<'a>(samples: &'a mut Samples, sample: &str) -> &'a mut SampleSummary {
    if !samples.contains_key(sample) {
        samples.insert(sample.to_string(), SampleSummary::default());
    }
    samples.get_mut(sample).expect("inserted above")
}

/// Adds one annotated finding to its sample's summary.
fn note(samples: &mut Samples, sample: &str, label: &str, ann: Option<&Annotation>) {
    let s = summary_of(samples, sample);
    s.findings += 1;
    let Some(a) = ann else { return };
    s.options.extend(a.options.iter().map(|o| o.id()));
    if let Some(h) = &a.highest_level {
        let i = LEVEL_ORDER
            .iter()
            .position(|l| h.strip_prefix("LEVEL_") == Some(l));
        if let Some(i) = i {
            s.best = Some(s.best.map_or(i, |b| b.min(i)));
        }
        s.actionable.insert(format!("{label} ({h})"));
    }
}

/// The added annotation columns of one row: annotated, `Unknown` (not annotatable as the row
/// stands) or empty (nothing to annotate), always with the knowledge-base version.
enum Cells<'a> {
    Annotated(&'a Annotation),
    Unknown,
    Empty,
}

fn added(cells: Cells<'_>, version: &str) -> String {
    let mut s = String::new();
    for col in ADDED {
        s.push('\t');
        if col == "KB_VERSION" {
            s.push_str(version);
            continue;
        }
        let a = match &cells {
            Cells::Annotated(a) => *a,
            Cells::Unknown => {
                if col == "ONCOGENIC" {
                    s.push_str("Unknown");
                }
                continue;
            }
            Cells::Empty => continue,
        };
        match col {
            "ONCOGENIC" => s.push_str(&a.oncogenic),
            "HIGHEST_LEVEL" => s.push_str(a.highest_level.as_deref().unwrap_or_default()),
            "ATC_OPTIONS" => s.push_str(
                &a.options
                    .iter()
                    .map(|o| o.id())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            c => {
                if let Some(drugs) = c.strip_prefix("LEVEL_").and_then(|l| a.levels.get(l)) {
                    s.push_str(&drugs.join(","));
                }
            }
        }
    }
    s
}

fn open(path: &Path) -> Result<BufReader<std::fs::File>, Fail> {
    if path.is_dir() {
        return Err(other(format!(
            "{}: cannot read: is a directory",
            path.display()
        )));
    }
    atcpath_formats::limits::open_file(path)
        .map(|f| BufReader::with_capacity(1 << 20, f))
        .map_err(|e| other(format!("{}: cannot read: {e}", path.display())))
}

/// A buffered output file (a temporary [`Output`], moved into place when the whole run
/// succeeded) with its name for error messages.
struct Out {
    w: std::io::BufWriter<std::fs::File>,
    output: Output,
    path: PathBuf,
}

impl Out {
    /// The inputs were checked against the outputs before anything was opened (`super::run`).
    fn create(path: &Path) -> Result<Out, Fail> {
        let mut output = Output::create(path)?;
        let f = output.file.take().expect("just created");
        Ok(Out {
            w: std::io::BufWriter::with_capacity(1 << 20, f),
            output,
            path: path.to_path_buf(),
        })
    }
    fn line(&mut self, parts: &[&str]) -> Result<(), Fail> {
        for p in parts {
            self.w.write_all(p.as_bytes()).map_err(|e| self.err(e))?;
        }
        self.w.write_all(b"\n").map_err(|e| self.err(e))
    }
    /// Flushes the file and hands it to `outputs`, to be moved into place at the end of the run.
    fn finish(mut self, outputs: &mut Vec<Output>) -> Result<(), Fail> {
        self.w.flush().map_err(|e| self.err(e))?;
        let path = self.path;
        let f = self
            .w
            .into_inner()
            .map_err(|e| other(format!("{}: {}", path.display(), e.error())))?;
        self.output.file = Some(f);
        outputs.push(self.output);
        Ok(())
    }
    fn err(&self, e: std::io::Error) -> Fail {
        other(format!("{}: {e}", self.path.display()))
    }
}

/// Malformed rows: stop at the first, or skip and count them.
struct Skips<'a> {
    shown: &'a str,
    skip: bool,
    count: usize,
    first: Option<FormatError>,
}

impl<'a> Skips<'a> {
    fn new(shown: &'a str, skip: bool) -> Self {
        Skips {
            shown,
            skip,
            count: 0,
            first: None,
        }
    }
    /// `Ok` when the row is skipped and counted; the error to return otherwise.
    fn handle(&mut self, e: FormatError) -> Result<(), Fail> {
        if !self.skip {
            return Err(invalid(format!(
                "{}: {e} (use --skip-invalid to skip and count such rows)",
                self.shown
            )));
        }
        self.count += 1;
        self.first.get_or_insert(e);
        Ok(())
    }
    /// Warns on standard error and returns the summary line, when rows were skipped.
    fn report(&self) -> String {
        match &self.first {
            None => String::new(),
            Some(e) => {
                eprintln!(
                    "warning: {} malformed rows skipped in {} (first: {e})",
                    self.count, self.shown
                );
                format!("  {} malformed rows skipped\n", self.count)
            }
        }
    }
}

/// Annotates a fusion or SV file (`kind` is `fusions` or `sv`).
fn sv_file(
    input: &Path,
    out_path: &Path,
    kind: &str,
    skip: bool,
    kb: &Kb,
    mut samples: Option<&mut Samples>,
    outputs: &mut Vec<Output>,
) -> Result<String, Fail> {
    let shown = input.display().to_string();
    let mut r =
        SvReader::new(open(input)?, &shown).map_err(|e| invalid(format!("{shown}: {e}")))?;
    check_not_annotated(&shown, r.header(), &ADDED)?;
    let status_col = r
        .header()
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("SV_Status"));
    let mut out = Out::create(out_path)?;
    out.line(&[&r.header().join("\t"), "\t", &added_header()])?;
    let version = kb.meta.version.as_str();
    let fusion_genes: HashSet<&str> = kb
        .actionability
        .iter()
        .filter(|e| e.kind == MatchKind::Fusion)
        .flat_map(|e| e.genes())
        .collect();
    let mut skips = Skips::new(&shown, skip);
    let (mut leveled, mut flagged, mut germline) = (0usize, Vec::new(), 0usize);
    loop {
        let row = match r.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                skips.handle(e)?;
                continue;
            }
        };
        if let Some(v) = status_col.and_then(|i| row.record.get(i))
            && !v.eq_ignore_ascii_case("SOMATIC")
            && !v.eq_ignore_ascii_case("GERMLINE")
        {
            let line = row.record.line_no;
            skips.handle(FormatError {
                line,
                message: format!(
                    "SV_Status: {v:?} is neither SOMATIC nor GERMLINE (empty: not stated)"
                ),
            })?;
            continue;
        }
        // An old name or a symbol in another case would annotate as no fusion at all.
        let symbols: &[&String] = match &row.event {
            Event::Fusion {
                five_prime,
                three_prime,
            } => &[five_prime, three_prime],
            Event::Intragenic { gene } | Event::OneSided { gene } => &[gene],
        };
        if let Some(m) = symbols
            .iter()
            .find_map(|g| atcpath_core::genes::gene_symbol(kb, g).err())
        {
            skips.handle(FormatError {
                line: row.record.line_no,
                message: m,
            })?;
            continue;
        }
        let is_finding = row.finding(&shown).is_some();
        let cells = match &row.event {
            // Germline: inherited, not a finding of the tumour; never a fusion level.
            Event::Fusion { .. } if row.germline || !is_finding => {
                germline += 1;
                added(Cells::Unknown, version)
            }
            Event::Fusion {
                five_prime,
                three_prime,
            } => {
                let ann = annotate_fusion(kb, five_prime, three_prime);
                leveled += usize::from(ann.highest_level.is_some());
                if let Some(s) = samples.as_deref_mut() {
                    note(
                        s,
                        row.sample,
                        &format!("{five_prime}-{three_prime} fusion"),
                        Some(&ann),
                    );
                }
                added(Cells::Annotated(&ann), version)
            }
            // Not findings: written back as `Unknown`, not counted in the sample's findings.
            Event::Intragenic { .. } => added(Cells::Unknown, version),
            Event::OneSided { gene } => {
                if fusion_genes.contains(gene.as_str()) {
                    flagged.push(format!("line {}: {gene}", row.record.line_no));
                }
                added(Cells::Unknown, version)
            }
        };
        out.line(&[row.record.raw(), &cells])?;
    }
    out.finish(outputs)?;
    let c = r.counts();
    if !flagged.is_empty() {
        eprintln!(
            "warning: {shown}: {} rearrangement(s) of a fusion gene with no named partner, not \
             annotated as fusions; confirm the partner (e.g. RNA) before acting on them: {}{}",
            flagged.len(),
            flagged[..flagged.len().min(NAMED)].join(", "),
            if flagged.len() > NAMED { ", ..." } else { "" }
        );
    }
    let mut s = format!(
        "{kind} ({}): {} rows, {} fusions ({leveled} with a therapeutic level{}), {} intragenic, \
         {} one-sided rearrangements (not fusions); written to {}\n",
        r.flavour().name(),
        c.rows,
        c.fusions,
        if c.fusions_inferred > 0 {
            format!(
                "; {} inferred from two genes in a non-FUSION event",
                c.fusions_inferred
            )
        } else {
            String::new()
        },
        c.intragenic,
        c.one_sided,
        out_path.display()
    );
    if germline > 0 {
        s.push_str(&format!(
            "  {germline} germline fusion rows (SV_Status GERMLINE): not tumour findings, no \
             level\n"
        ));
    }
    s.push_str(&skips.report());
    Ok(s)
}

fn added_header() -> String {
    ADDED.join("\t")
}

fn cna_word(l: CopyNumber) -> &'static str {
    match l {
        CopyNumber::Amplification => "Amplification",
        CopyNumber::Gain => "Gain",
        CopyNumber::Neutral => "Neutral",
        CopyNumber::ShallowDeletion => "Loss",
        CopyNumber::DeepDeletion => "Deletion",
    }
}

fn cna_label(gene: &str, l: CopyNumber) -> String {
    let what = match l {
        CopyNumber::Amplification => "amplification",
        CopyNumber::Gain => "gain",
        CopyNumber::Neutral => "neutral",
        CopyNumber::ShallowDeletion => "shallow deletion",
        CopyNumber::DeepDeletion => "deep deletion",
    };
    format!("{gene} {what}")
}

/// Annotates a discrete copy-number file.
fn cna_file(
    input: &Path,
    out_path: &Path,
    skip: bool,
    kb: &Kb,
    mut samples: Option<&mut Samples>,
    outputs: &mut Vec<Output>,
) -> Result<String, Fail> {
    let shown = input.display().to_string();
    let mut r =
        CnaReader::new(open(input)?, &shown).map_err(|e| invalid(format!("{shown}: {e}")))?;
    let layout = r.layout();
    check_not_annotated(&shown, r.header(), &ADDED)?;
    let mut out = Out::create(out_path)?;
    match layout {
        Layout::Long => out.line(&[&r.header().join("\t"), "\t", &added_header()])?,
        Layout::Wide { .. } => {
            out.line(&["SAMPLE_ID\tHUGO_SYMBOL\tALTERATION\t", &added_header()])?
        }
    }
    let version = kb.meta.version.as_str();
    let mut skips = Skips::new(&shown, skip);
    let (mut written, mut leveled) = (0usize, 0usize);
    let mut cache: HashMap<(String, i8), Annotation> = HashMap::new();
    loop {
        let row = match r.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                skips.handle(e)?;
                continue;
            }
        };
        let mut any = false;
        for (sample, level) in row.calls() {
            any = true;
            let key = (row.gene.to_string(), level.code());
            let ann = cache
                .entry(key)
                .or_insert_with(|| annotate_copy_number(kb, row.gene, level));
            leveled += usize::from(ann.highest_level.is_some());
            if let Some(s) = samples.as_deref_mut() {
                note(s, sample, &cna_label(row.gene, level), Some(ann));
            }
            let cells = added(Cells::Annotated(ann), version);
            match layout {
                Layout::Long => out.line(&[row.record.raw(), &cells])?,
                Layout::Wide { .. } => {
                    out.line(&[sample, "\t", row.gene, "\t", cna_word(level), &cells])?;
                }
            }
            written += 1;
        }
        if !any && layout == Layout::Long {
            out.line(&[row.record.raw(), &added(Cells::Empty, version)])?;
        }
    }
    out.finish(outputs)?;
    let st = r.stats();
    let mut s = format!(
        "cna ({}): {} rows, {} non-neutral calls{} ({leveled} with a therapeutic level), {} \
         neutral, {} missing (unknown, no call); written to {}\n",
        match layout {
            Layout::Long => "long",
            Layout::Wide { .. } => "wide",
        },
        st.rows,
        st.calls,
        match layout {
            Layout::Long => String::new(),
            Layout::Wide { .. } => format!(", written as {written} long rows"),
        },
        st.neutral,
        st.missing,
        out_path.display()
    );
    if st.conflicting_rows > 0 {
        let named: Vec<String> = r
            .conflicts()
            .iter()
            .take(NAMED)
            .map(ToString::to_string)
            .collect();
        eprintln!(
            "warning: {shown}: {} rows repeat a gene and sample with a different value; every \
             value is kept and annotated, none is picked: {}{}",
            st.conflicting_rows,
            named.join("; "),
            if st.conflicting_rows > NAMED {
                "; ..."
            } else {
                ""
            }
        );
        s.push_str(&format!(
            "  {} rows conflict with an earlier value for the same gene and sample (all kept)\n",
            st.conflicting_rows
        ));
    }
    s.push_str(&skips.report());
    Ok(s)
}

/// Reads the MAF's findings into the per-sample summaries; returns a note for the summary line.
fn maf_into(path: &Path, kb: &Kb, samples: &mut Samples) -> Result<String, Fail> {
    let shown = path.display().to_string();
    let mut maf = MafReader::new(open(path)?).map_err(|e| invalid(format!("{shown}: {e}")))?;
    let c = maf.columns();
    if c.sample.is_none() {
        eprintln!(
            "warning: {shown} has no Tumor_Sample_Barcode column: its variants are not in the \
             clinical summary"
        );
        return Ok(String::new());
    }
    let known: HashSet<&str> = kb
        .actionability
        .iter()
        .filter(|e| {
            !matches!(
                e.kind,
                MatchKind::Fusion | MatchKind::CopyNumber | MatchKind::Biomarker
            )
        })
        .flat_map(|e| e.genes())
        .collect();
    let used = [
        c.hgvsp_short,
        c.hgvsp,
        c.hgvsc,
        c.classification,
        c.build,
        c.chromosome,
        c.start,
    ];
    let mut cache: HashMap<String, (String, Annotation)> = HashMap::new();
    let mut key = String::new();
    let (mut rows, mut without_sample) = (0usize, 0usize);
    loop {
        let row = match maf.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            // Malformed rows were already refused, or skipped and counted, by the first pass.
            Err(_) => continue,
        };
        // So were rows whose class contradicts their protein change.
        if let Some(missense) = row
            .get(c.classification)
            .and_then(super::maf::checked_class)
        {
            let protein = row.get(c.hgvsp_short).or_else(|| row.get(c.hgvsp));
            let class = row.get(c.classification).unwrap_or_default();
            if super::maf::contradiction(
                class.as_bytes(),
                protein.unwrap_or_default().as_bytes(),
                missense,
            )
            .is_some()
            {
                continue;
            }
        }
        let Some(sample) = row.get(c.sample) else {
            without_sample += 1;
            continue;
        };
        rows += 1;
        let gene = row.get(Some(c.gene)).unwrap_or_default();
        if !known.contains(gene) {
            note(samples, sample, "", None);
            continue;
        }
        key.clear();
        key.push_str(gene);
        for i in used {
            key.push('\0');
            key.push_str(row.get(i).unwrap_or_default());
        }
        if !cache.contains_key(&key) {
            let protein_text = row.get(c.hgvsp_short).or_else(|| row.get(c.hgvsp));
            let coding = super::maf::coding(row.get(c.hgvsc));
            let protein = protein_text.and_then(maf_protein).or_else(|| {
                coding
                    .as_ref()
                    .and_then(|x| super::maf::protein_from_coding(kb, gene, x))
            });
            let q = VariantQuery {
                gene,
                protein,
                coding,
                class: row.get(c.classification).map(VariantClass::from_maf),
                build: row.get(c.build),
                chromosome: row.get(c.chromosome),
                position: row.get(c.start).and_then(|p| p.parse().ok()),
                alleles: row.get(c.reference).zip(row.get(c.alt)),
            };
            let ann = annotate_variant(kb, &q);
            let what = ann
                .name
                .clone()
                .or(protein_text.map(str::to_string))
                .or(row.get(c.classification).map(str::to_string))
                .unwrap_or_else(|| "variant".into());
            cache.insert(key.clone(), (format!("{gene} {what}"), ann));
        }
        let (label, ann) = &cache[&key];
        note(samples, sample, label, Some(ann));
    }
    if without_sample > 0 {
        eprintln!(
            "warning: {shown}: {without_sample} rows without a Tumor_Sample_Barcode are not in \
             the clinical summary"
        );
    }
    Ok(format!("--maf ({rows} rows)"))
}

fn yes_no(seen: (bool, bool)) -> &'static str {
    match seen {
        (true, true) => "Conflicting",
        (true, false) => "Yes",
        (false, true) => "No",
        (false, false) => "",
    }
}

/// Writes the clinical file with the per-sample summary columns.
fn clinical_file(
    input: &Path,
    out_path: &Path,
    skip: bool,
    kb: &Kb,
    samples: &mut Samples,
    over: &[String],
    outputs: &mut Vec<Output>,
) -> Result<String, Fail> {
    let shown = input.display().to_string();
    let mut r =
        ClinicalReader::new(open(input)?, &shown).map_err(|e| invalid(format!("{shown}: {e}")))?;
    if r.columns().sample.is_none() {
        return Err(invalid(format!(
            "{shown}: no SAMPLE_ID column: the clinical summary is per sample (give the sample \
             file, not the patient file)"
        )));
    }
    check_not_annotated(&shown, r.header(), &CLINICAL_ADDED)?;
    let mut out = Out::create(out_path)?;
    // A cBioPortal file's four attribute lines are kept, extended for the added columns.
    let comments = r.comments().to_vec();
    if comments.len() == 4 {
        for (i, (_, text)) in comments.iter().enumerate() {
            let extra: Vec<&str> = match i {
                0 => CLINICAL_ADDED.to_vec(),
                1 => CLINICAL_ADDED_DESCRIPTIONS.to_vec(),
                2 => CLINICAL_ADDED
                    .iter()
                    .map(|c| {
                        if *c == "ATC_FINDINGS" {
                            "NUMBER"
                        } else {
                            "STRING"
                        }
                    })
                    .collect(),
                _ => vec!["1"; CLINICAL_ADDED.len()],
            };
            out.line(&[text, "\t", &extra.join("\t")])?;
        }
    }
    out.line(&[&r.header().join("\t"), "\t", &CLINICAL_ADDED.join("\t")])?;
    let threshold = kb.facts.thresholds.tmb_high_mut_per_mb;
    let version = kb.meta.version.as_str();
    let mut skips = Skips::new(&shown, skip);
    let (mut rows, mut leveled) = (0usize, 0usize);
    // Samples whose cancer type is given and is not thyroid (the levels are for THAP).
    let mut not_thyroid: Vec<String> = Vec::new();
    let mut not_thyroid_count = 0usize;
    loop {
        let row = match r.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                skips.handle(e)?;
                continue;
            }
        };
        let b = match row.biomarkers(&kb.facts.thresholds) {
            Ok(b) => b,
            Err(e) => {
                skips.handle(e)?;
                continue;
            }
        };
        if let Some(d) = &b.msi_disagreement {
            eprintln!("warning: {shown}: line {}: {d}", row.line_no());
        }
        let sample = row.sample().unwrap_or_default();
        let thyroid = match (row.get("ONCOTREE_CODE"), row.get("CANCER_TYPE_DETAILED")) {
            (Some(code), _) => Some(code.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("TH"))),
            (None, Some(t)) => Some(t.to_ascii_lowercase().contains("thyroid")),
            (None, None) => None,
        };
        if thyroid == Some(false) {
            not_thyroid_count += 1;
            if not_thyroid.len() < NAMED {
                not_thyroid.push(format!("{sample} (line {})", row.line_no()));
            }
        }
        for f in [&b.tmb, &b.msi].into_iter().flatten() {
            let ann = annotate_finding(kb, &f.finding);
            let label = match f.finding {
                Finding::Tmb { mut_per_mb } => format!("TMB {mut_per_mb} mut/Mb"),
                _ => "MSI-H".to_string(),
            };
            note(samples, sample, &label, Some(&ann));
            let s = summary_of(samples, sample);
            match f.finding {
                Finding::Tmb { mut_per_mb } if mut_per_mb >= threshold => s.tmb.0 = true,
                Finding::Tmb { .. } => s.tmb.1 = true,
                Finding::Msi {
                    status: atcpath_core::case::Msi::High,
                } => s.msi.0 = true,
                _ => s.msi.1 = true,
            }
        }
        let s = summary_of(samples, sample);
        s.in_clinical = true;
        let findings = s.findings.to_string();
        let level = s.best.map(|i| format!("LEVEL_{}", LEVEL_ORDER[i]));
        leveled += usize::from(level.is_some());
        let actionable = s.actionable.iter().cloned().collect::<Vec<_>>().join(";");
        let options = s.options.iter().copied().collect::<Vec<_>>().join(",");
        out.line(&[
            row.record.raw(),
            "\t",
            &findings,
            "\t",
            yes_no(s.tmb),
            "\t",
            yes_no(s.msi),
            "\t",
            level.as_deref().unwrap_or_default(),
            "\t",
            &actionable,
            "\t",
            &options,
            "\t",
            version,
        ])?;
        rows += 1;
    }
    out.finish(outputs)?;
    if not_thyroid_count > 0 {
        eprintln!(
            "warning: {shown}: {not_thyroid_count} sample(s) with a cancer type that is not \
             thyroid (ONCOTREE_CODE / CANCER_TYPE_DETAILED): levels are for anaplastic thyroid \
             cancer (OncoTree THAP) and may not apply: {}{}",
            not_thyroid.join(", "),
            if not_thyroid_count > NAMED {
                ", ..."
            } else {
                ""
            }
        );
    }
    let mut missing: Vec<&str> = samples
        .iter()
        .filter(|(_, s)| !s.in_clinical && s.findings > 0)
        .map(|(k, _)| k.as_str())
        .collect();
    missing.sort_unstable();
    let mut s = format!(
        "clinical: {rows} samples, {leveled} with a therapeutic level, over {}; written to {}\n",
        if over.is_empty() {
            "the clinical file's own TMB and MSI only".to_string()
        } else {
            format!("{} and the clinical file's TMB and MSI", over.join(", "))
        },
        out_path.display()
    );
    if !missing.is_empty() {
        s.push_str(&format!(
            "  {} samples with findings are not in the clinical file (ids must match exactly): {}{}\n",
            missing.len(),
            missing[..missing.len().min(NAMED)].join(", "),
            if missing.len() > NAMED { ", ..." } else { "" }
        ));
    }
    s.push_str(&skips.report());
    Ok(s)
}

/// Annotates the non-MAF inputs given; returns the summary lines.
/// Each output is added to `outputs`, to be moved into place when the whole run succeeded.
pub fn run(a: &AnnotateArgs, kb: &Kb, outputs: &mut Vec<Output>) -> Result<String, Fail> {
    let mut samples: Option<Samples> = a.clinical.as_ref().map(|_| Samples::new());
    let mut over = Vec::new();
    let mut summary = String::new();
    for (flag, kind, given) in [("--fusions", "fusions", &a.fusions), ("--sv", "sv", &a.sv)] {
        if let Some(p) = given {
            let out = derived_out(&a.out, kind);
            summary.push_str(&sv_file(
                p,
                &out,
                kind,
                a.skip_invalid,
                kb,
                samples.as_mut(),
                outputs,
            )?);
            over.push(flag.to_string());
        }
    }
    if let Some(p) = &a.cna {
        let out = derived_out(&a.out, "cna");
        summary.push_str(&cna_file(
            p,
            &out,
            a.skip_invalid,
            kb,
            samples.as_mut(),
            outputs,
        )?);
        over.push("--cna".to_string());
    }
    if let (Some(p), Some(samples)) = (&a.clinical, samples.as_mut()) {
        if let Some(m) = &a.maf {
            let note = maf_into(m, kb, samples)?;
            if !note.is_empty() {
                over.insert(0, note);
            }
        }
        let out = derived_out(&a.out, "clinical");
        summary.push_str(&clinical_file(
            p,
            &out,
            a.skip_invalid,
            kb,
            samples,
            &over,
            outputs,
        )?);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_cells_follow_the_added_columns() {
        let kb = Kb::embedded().unwrap();
        let ann = annotate_fusion(&kb, "CCDC6", "RET");
        let cells = added(Cells::Annotated(&ann), "v1");
        let cols: Vec<&str> = cells.split('\t').skip(1).collect();
        assert_eq!(cols.len(), ADDED.len());
        let at = |name: &str| cols[ADDED.iter().position(|c| *c == name).unwrap()];
        assert_eq!(at("HIGHEST_LEVEL"), "LEVEL_1");
        assert!(at("LEVEL_1").contains("Selpercatinib"));
        assert_eq!(at("KB_VERSION"), "v1");
        let unknown = added(Cells::Unknown, "v1");
        assert_eq!(unknown, "\tUnknown\t\t\t\t\t\t\t\t\tv1");
        assert_eq!(added(Cells::Empty, "v1"), "\t\t\t\t\t\t\t\t\t\tv1");
    }

    #[test]
    fn per_sample_summary_keeps_the_highest_level() {
        let kb = Kb::embedded().unwrap();
        let mut s = Samples::new();
        let alk = annotate_fusion(&kb, "EML4", "ALK");
        let ret = annotate_fusion(&kb, "NCOA4", "RET");
        note(&mut s, "S1", "EML4-ALK fusion", Some(&alk));
        note(&mut s, "S1", "NCOA4-RET fusion", Some(&ret));
        note(&mut s, "S1", "", None);
        let x = &s["S1"];
        assert_eq!(x.findings, 3);
        assert_eq!(x.best.map(|i| LEVEL_ORDER[i]), Some("1"));
        assert_eq!(x.actionable.len(), 2);
        assert!(x.options.contains("selpercatinib"));
        assert_eq!(yes_no((false, false)), "");
    }
}
