//! cBioPortal study-folder metadata: meta files (`key: value` lines, the space after the colon
//! optional), case lists (`case_list_ids` tab-separated), gene-panel definitions (`stable_id`,
//! `gene_list` tab-separated) and the gene-panel matrix (`SAMPLE_ID` then one column per
//! profile's `stable_id`, a panel id or `NA` per sample). Source: cBioPortal "File Formats"
//! documentation (docs/File-Formats.md). These files are small and read whole.

use std::collections::{BTreeMap, BTreeSet};

use crate::{FormatError, is_missing};

/// A meta file's keys and values, in file order (later duplicates are an error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub entries: BTreeMap<String, String>,
    /// The 1-based line of each key.
    pub lines: BTreeMap<String, usize>,
}

impl Meta {
    /// A value by key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }
    /// The 1-based line of a key (for errors about its value).
    pub fn line(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
}

/// Parses a meta (or case-list, or gene-panel) file.
///
/// # Errors
/// A non-empty line without a colon, an empty key, or a key given twice, with its line.
pub fn parse_meta(text: &str) -> Result<Meta, FormatError> {
    let mut m = Meta::default();
    for (n, l) in lines(text) {
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((k, v)) = l.split_once(':') else {
            return Err(FormatError {
                line: n,
                message: format!("{l:?} is not a `key: value` line"),
            });
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(FormatError {
                line: n,
                message: "empty key".into(),
            });
        }
        if m.entries
            .insert(k.to_string(), v.trim().to_string())
            .is_some()
        {
            return Err(FormatError {
                line: n,
                message: format!("key {k:?} given twice"),
            });
        }
        m.lines.insert(k.to_string(), n);
    }
    Ok(m)
}

/// A case list: its stable id and sample ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseList {
    pub stable_id: String,
    pub samples: BTreeSet<String>,
}

/// Parses a case list (`stable_id`, `case_list_ids` tab-separated).
///
/// # Errors
/// A malformed line, or a missing `stable_id` or `case_list_ids`.
pub fn parse_case_list(text: &str) -> Result<CaseList, FormatError> {
    let m = parse_meta(text)?;
    let need = |k: &str| {
        m.get(k).ok_or_else(|| FormatError {
            line: 1,
            message: format!("case list without {k}"),
        })
    };
    Ok(CaseList {
        stable_id: need("stable_id")?.to_string(),
        samples: need("case_list_ids")?
            .split('\t')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// A gene panel: id and genes (HGNC symbols as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenePanel {
    pub stable_id: String,
    pub genes: BTreeSet<String>,
    /// The 1-based line of `gene_list` (for errors about its genes).
    pub gene_list_line: usize,
}

/// Parses a gene-panel file.
///
/// # Errors
/// A malformed line, a missing `stable_id` or `gene_list`, or an empty gene list.
pub fn parse_gene_panel(text: &str) -> Result<GenePanel, FormatError> {
    let m = parse_meta(text)?;
    let id = m.get("stable_id").ok_or_else(|| FormatError {
        line: 1,
        message: "gene panel without stable_id".into(),
    })?;
    let genes: BTreeSet<String> = m
        .get("gene_list")
        .unwrap_or_default()
        .split('\t')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if genes.is_empty() {
        return Err(FormatError {
            line: 1,
            message: format!("gene panel {id} has no gene_list"),
        });
    }
    let gene_list_line = lines(text)
        .find(|(_, l)| {
            l.split_once(':')
                .is_some_and(|(k, _)| k.trim() == "gene_list")
        })
        .map_or(1, |(n, _)| n);
    Ok(GenePanel {
        stable_id: id.to_string(),
        genes,
        gene_list_line,
    })
}

/// The gene-panel matrix: for each profile column, sample → panel id (`None` = `NA`, not
/// profiled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelMatrix {
    pub columns: BTreeMap<String, BTreeMap<String, Option<String>>>,
}

/// Parses the gene-panel matrix.
///
/// # Errors
/// No `SAMPLE_ID` column, a row with another number of fields, an empty sample id, a sample
/// given on two rows (which row holds would be a silent choice).
pub fn parse_panel_matrix(text: &str) -> Result<PanelMatrix, FormatError> {
    let mut it = lines(text).filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((hl, header)) = it.next() else {
        return Ok(PanelMatrix::default());
    };
    let head: Vec<&str> = header.split('\t').map(str::trim).collect();
    let sc = head
        .iter()
        .position(|h| h.eq_ignore_ascii_case("SAMPLE_ID"))
        .ok_or(FormatError {
            line: hl,
            message: "gene-panel matrix without SAMPLE_ID".into(),
        })?;
    let mut m = PanelMatrix::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (n, l) in it {
        let f: Vec<&str> = l.split('\t').map(str::trim).collect();
        if f.len() != head.len() {
            return Err(FormatError {
                line: n,
                message: format!("{} fields where the header has {}", f.len(), head.len()),
            });
        }
        if f[sc].is_empty() {
            return Err(FormatError {
                line: n,
                message: "empty SAMPLE_ID".into(),
            });
        }
        if let Some(first) = seen.insert(f[sc].to_string(), n) {
            return Err(FormatError {
                line: n,
                message: format!(
                    "sample {:?} is also on line {first}: one row per sample",
                    crate::quote_cut(f[sc])
                ),
            });
        }
        for (i, h) in head.iter().enumerate().filter(|(i, _)| *i != sc) {
            let v = (!is_missing(f[i])).then(|| f[i].to_string());
            m.columns
                .entry((*h).to_string())
                .or_default()
                .insert(f[sc].to_string(), v);
        }
    }
    Ok(m)
}

/// A cBioPortal `reference_genome` (`hg19`, `hg38`, ...) in the knowledge base's spelling
/// (`GRCh37`, `GRCh38`): `atcpath_core::genomics::reference_build`.
pub fn build_name(reference_genome: &str) -> Option<&'static str> {
    atcpath_core::genomics::reference_build(reference_genome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_without_space_and_errors() {
        let m = parse_meta("cancer_study_identifier:thyroid\r\nname: A: B\n").unwrap();
        assert_eq!(m.get("cancer_study_identifier"), Some("thyroid"));
        assert_eq!(m.get("name"), Some("A: B"));
        assert_eq!(parse_meta("a: 1\nnope\n").unwrap_err().line, 2);
        assert_eq!(parse_meta("a: 1\na: 2\n").unwrap_err().line, 2);
    }

    #[test]
    fn lists_panels_and_matrix() {
        let c = parse_case_list("stable_id: s_sequenced\ncase_list_ids: A\tB\t\n").unwrap();
        assert_eq!(c.samples.len(), 2);
        let p = parse_gene_panel("stable_id: P\ngene_list: TP53\tBRAF").unwrap();
        assert!(p.genes.contains("BRAF"));
        assert!(parse_gene_panel("stable_id: P\ngene_list:").is_err());
        assert_eq!(p.gene_list_line, 2);
    }

    #[test]
    fn a_sample_twice_in_the_panel_matrix_is_an_error_at_its_line() {
        let e = parse_panel_matrix("SAMPLE_ID\tmutations\nS1\tA\nS2\tA\nS1\tNA\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("line 2"), "{e}");
        assert!(parse_panel_matrix("SAMPLE_ID\tmutations\nS1\tA\nS2\tNA\n").is_ok());
        let m = parse_panel_matrix("SAMPLE_ID\tmutations\nA\tP\nB\tNA\n").unwrap();
        assert_eq!(m.columns["mutations"]["A"].as_deref(), Some("P"));
        assert_eq!(m.columns["mutations"]["B"], None);
        assert_eq!(parse_panel_matrix("SAMPLE_ID\tm\nA\n").unwrap_err().line, 2);
    }
}
