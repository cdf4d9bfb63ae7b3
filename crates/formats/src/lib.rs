//! Streaming readers for genomic result files. Each reader holds one line at a time (constant
//! memory in the file's size) and reports problems with their line number. Formats:
//! - [`maf::MafReader`]: Mutation Annotation Format (GDC / cBioPortal columns; any header case;
//!   `#` comment lines; CRLF; missing values `NA`, `[Not Available]`, empty);
//! - [`fusions::parse_fusion`]: oncokb-annotator fusion names (`GENE1-GENE2`, `... fusion`,
//!   `GENE-intragenic`);
//! - [`cbioportal`]: study-folder metadata (meta files, case lists, gene panels, panel matrix).
//! - [`sv::SvReader`]: fusion and structural-variant lists (oncokb-annotator fusion and SV lists,
//!   cBioPortal SV and deprecated fusion formats; the flavour is read from the header);
//! - [`cna::CnaReader`]: discrete copy number, long or wide (cBioPortal, GISTIC, oncokb-annotator);
//! - [`clinical::ClinicalReader`]: clinical sample and patient files as rows, with TMB and MSI;
//!   [`clinical::AtypicalReader`]: oncokb-annotator's atypical alterations (MSI-H, TMB-H).
//! - [`vcf::VcfReader`]: VCF (noodles-vcf behind one module), one finding per tumour-carried ALT
//!   allele: build from the header or the caller, tumour column by name, VEP `CSQ` / SnpEff `ANN`
//!   or ATC hotspot positions of the knowledge base, FILTER kept on every call.
//!
//! Architecture invariant: formats only; what a variant means is decided in `atcpath-core`.

pub mod cbioportal;
pub mod clinical;
pub mod cna;
pub mod fusions;
pub mod limits;
pub mod maf;
pub mod sv;
pub mod vcf;

/// A problem at a line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

pub use atcpath_core::cells::is_missing;

/// The most characters of a value an error message quotes.
pub const QUOTE_MAX_CHARS: usize = 80;

/// A value as an error message quotes it: the first [`QUOTE_MAX_CHARS`] characters, then `…`
/// when longer (a 200 MB field is never echoed whole).
pub fn quote_cut(v: &str) -> std::borrow::Cow<'_, str> {
    match v.char_indices().nth(QUOTE_MAX_CHARS) {
        None => std::borrow::Cow::Borrowed(v),
        Some((i, _)) => std::borrow::Cow::Owned(format!("{}…", &v[..i])),
    }
}
