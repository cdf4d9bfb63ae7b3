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
    /// `line N: message`, each quoted value of the message cut by [`cut_quoted`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, cut_quoted(&self.message))
    }
}

/// `message` with every double-quoted value longer than [`QUOTE_MAX_CHARS`] characters cut to
/// that many, then `…` and the closing quote: an error quoting a 200 MB field never echoes it
/// whole. Backslash escapes inside quotes (as `{:?}` writes them) are kept intact.
pub fn cut_quoted(message: &str) -> std::borrow::Cow<'_, str> {
    if message.len() <= QUOTE_MAX_CHARS {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len().min(1024));
    let mut chars = message.chars();
    let mut inside = false;
    let mut n = 0;
    let mut cut = false;
    while let Some(c) = chars.next() {
        if !inside {
            out.push(c);
            if c == '"' {
                inside = true;
                n = 0;
                cut = false;
            }
            continue;
        }
        let escaped = if c == '\\' { chars.next() } else { None };
        if c == '"' {
            if cut {
                out.push('…');
            }
            out.push('"');
            inside = false;
            continue;
        }
        n += 1;
        if n <= QUOTE_MAX_CHARS {
            out.push(c);
            if let Some(e) = escaped {
                out.push(e);
            }
        } else {
            cut = true;
        }
    }
    if inside && cut {
        out.push('…');
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn an_error_quoting_a_huge_field_shows_its_start_only() {
        let huge = "A".repeat(1_000_000);
        let e = FormatError {
            line: 2,
            message: format!(
                "HGVSp_Short: {huge:?} is not a protein change; also {:?}",
                "p.V600E"
            ),
        };
        let shown = e.to_string();
        assert!(shown.len() < 300, "{}", shown.len());
        assert!(shown.starts_with("line 2: HGVSp_Short: \""), "{shown}");
        assert!(
            shown.contains("…\" is not a protein change; also \"p.V600E\""),
            "{shown}"
        );
        assert_eq!(quote_cut("short"), "short");
        assert_eq!(quote_cut(&huge).chars().count(), QUOTE_MAX_CHARS + 1);
        let msg = format!("x {:?} y", "a\"b");
        assert_eq!(cut_quoted(&msg), msg);
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
