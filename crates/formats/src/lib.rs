//! Streaming readers for genomic result files. Each reader holds one line at a time (constant
//! memory in the file's size) and reports problems with their line number. Formats:
//! - [`maf::MafReader`]: Mutation Annotation Format (GDC / cBioPortal columns; any header case;
//!   `#` comment lines; CRLF; missing values `NA`, `[Not Available]`, empty);
//! - [`fusions::parse_fusion`]: oncokb-annotator fusion names (`GENE1-GENE2`, `... fusion`,
//!   `GENE-intragenic`);
//! - [`cbioportal`]: study-folder metadata (meta files, case lists, gene panels, panel matrix).
//!
//! Architecture invariant: formats only; what a variant means is decided in `atcpath-core`.

pub mod cbioportal;
pub mod fusions;
pub mod maf;

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
