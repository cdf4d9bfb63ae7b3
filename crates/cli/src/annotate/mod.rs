//! `atcpath annotate`: genomic result files written back with oncokb-annotator-style columns
//! (ONCOGENIC, HIGHEST_LEVEL, LEVEL_1 .. LEVEL_4, LEVEL_R1, ATC_OPTIONS, KB_VERSION) from the
//! knowledge base's actionability table, so that ATCPath drops into pipelines built around
//! oncokb-annotator. One output per input: the MAF's goes to `--out`, the others beside it
//! (`<out stem>.fusions.txt`, `.sv.txt`, `.cna.txt`, `.clinical.txt`). Constant memory in the
//! files' size; a malformed row is an error naming the file and line, or with `--skip-invalid`
//! a counted warning.

mod maf;
mod tables;

use std::path::{Path, PathBuf};

use atcpath_kb::Kb;
use clap::Args;

use crate::{Fail, invalid};

/// Arguments of `atcpath annotate`.
#[derive(Args)]
pub struct AnnotateArgs {
    /// MAF file (tab-separated; GDC or cBioPortal columns, any header case; `#` lines skipped).
    #[arg(long)]
    pub maf: Option<PathBuf>,
    /// Fusion list (oncokb-annotator: `Tumor_Sample_Barcode`, `Fusion` = `GENE1-GENE2`).
    #[arg(long)]
    pub fusions: Option<PathBuf>,
    /// Structural variants (cBioPortal SV format `Site1_Hugo_Symbol`/`Site2_Hugo_Symbol`, or
    /// oncokb-annotator `GeneA`/`GeneB`/`Sv_Type`).
    #[arg(long)]
    pub sv: Option<PathBuf>,
    /// Discrete copy number, long (`Tumor_Sample_Barcode`/`Sample_Id`, `Hugo_Symbol`, value) or
    /// wide (GISTIC / cBioPortal matrix, -2 .. 2).
    #[arg(long)]
    pub cna: Option<PathBuf>,
    /// Clinical sample file (`SAMPLE_ID` with TMB and MSI columns).
    #[arg(long)]
    pub clinical: Option<PathBuf>,
    /// Output file for the MAF (or, without `--maf`, the name the other outputs are derived from).
    #[arg(long)]
    pub out: PathBuf,
    /// Skip malformed rows (counted on standard error) instead of stopping at the first.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// The added columns, in order.
pub const ADDED: [&str; 10] = [
    "ONCOGENIC",
    "HIGHEST_LEVEL",
    "LEVEL_1",
    "LEVEL_2",
    "LEVEL_3A",
    "LEVEL_3B",
    "LEVEL_4",
    "LEVEL_R1",
    "ATC_OPTIONS",
    "KB_VERSION",
];

/// The output path for a non-MAF input: `<out without extension>.<kind>.txt`.
pub fn derived_out(out: &Path, kind: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or_else(|| "annotated".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.{kind}.txt"))
}

/// Runs the command; returns the summary to print.
pub fn run(a: AnnotateArgs, kb: &Kb) -> Result<String, Fail> {
    if a.maf.is_none()
        && a.fusions.is_none()
        && a.sv.is_none()
        && a.cna.is_none()
        && a.clinical.is_none()
    {
        return Err(invalid(
            "nothing to annotate: give at least one of --maf, --fusions, --sv, --cna, --clinical"
                .to_string(),
        ));
    }
    let mut summary = String::new();
    if let Some(m) = &a.maf {
        summary.push_str(&maf::run(m, &a.out, a.skip_invalid, kb)?);
    }
    summary.push_str(&tables::run(&a, kb)?);
    Ok(summary)
}
