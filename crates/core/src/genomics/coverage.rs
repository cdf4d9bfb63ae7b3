//! What a result file proves: the one rule, used by every reader path (`assess --molecular`,
//! `molecular.files` of a case, `cohort`).
//!
//! A file is evidence of absence for a gene only when it shows that gene was covered: a panel or
//! target list naming the gene, a declared whole exome or genome, or a statement of the test's
//! genes (`--covers`, `molecular.files[].covers`, a cBioPortal gene panel). Otherwise the gene
//! stays unknown: the file's test is "resulted, coverage of GENE not shown", and the report says
//! so as an alert. A detection needs no coverage statement. A test typed as resulted in the case
//! file stays the clinician's statement that it covered the pathway's genes. Pure.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::case::{Case, TestId};

/// Which genes a sample or file was profiled for, in one data type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Not shown (a result file alone, a sample absent from the case list, `NA` in the
    /// gene-panel matrix): proves no gene absent.
    #[default]
    NotProfiled,
    /// Whole exome or genome, declared: every gene.
    AllGenes,
    /// A targeted panel or target list: these genes only.
    Panel(BTreeSet<String>),
}

impl Coverage {
    /// Whether the gene was covered (symbols as checked by [`coverage_gene`], compared exactly).
    pub fn covers(&self, gene: &str) -> bool {
        match self {
            Coverage::NotProfiled => false,
            Coverage::AllGenes => true,
            Coverage::Panel(g) => g.contains(gene),
        }
    }

    /// Whether the gene was covered for an event: a promoter only by a panel listing the gene
    /// (whole exome does not reach promoters).
    pub fn covers_event(&self, gene: &str, event: atcpath_kb::GroupEvent) -> bool {
        match (self, event) {
            (Coverage::AllGenes, atcpath_kb::GroupEvent::Promoter) => false,
            _ => self.covers(gene),
        }
    }

    /// Whether the gene was covered for a test the pathway reads (`coverage::not_shown`): a
    /// whole exome or genome covers DNA point variants (`ngs_dna`) only, not fusions (`ngs_rna`;
    /// case-format `ngs_dna` covers point variants, not fusions), whose genes a panel or gene
    /// list must name.
    pub fn covers_test(&self, test: TestId, gene: &str) -> bool {
        match (self, test) {
            (Coverage::AllGenes, TestId::NgsDna) => true,
            (Coverage::AllGenes, _) => false,
            _ => self.covers(gene),
        }
    }

    /// A coverage statement as the user writes it: `WES`/`exome`/`WGS`/`genome` (any case) for
    /// a whole exome or genome, else gene symbols, each checked by [`coverage_gene`].
    ///
    /// # Errors
    /// The statement is empty, mixes a whole exome or genome with symbols, or an item is not a
    /// gene symbol; [`StatementError::item`] is then the item's 0-based index.
    pub fn from_statement<S: AsRef<str>>(
        kb: &atcpath_kb::Kb,
        items: &[S],
    ) -> Result<Coverage, StatementError> {
        let items: Vec<&str> = items.iter().map(|s| s.as_ref().trim()).collect();
        if items.is_empty() {
            return Err(StatementError {
                item: None,
                message: "a coverage statement lists gene symbols, or WES / WGS".into(),
            });
        }
        let whole = |s: &str| {
            [
                "wes",
                "wgs",
                "exome",
                "genome",
                "whole_exome",
                "whole_genome",
            ]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
        };
        if items.iter().any(|s| whole(s)) {
            if items.len() > 1 {
                return Err(StatementError {
                    item: None,
                    message: format!(
                        "{items:?}: a whole exome or genome is stated alone, not with gene symbols"
                    ),
                });
            }
            return Ok(Coverage::AllGenes);
        }
        let mut genes = BTreeSet::new();
        for (i, s) in items.iter().enumerate() {
            let g = coverage_gene(kb, s).map_err(|message| StatementError {
                item: Some(i),
                message,
            })?;
            genes.insert(g);
        }
        Ok(Coverage::Panel(genes))
    }
}

/// A coverage statement that cannot be read ([`Coverage::from_statement`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    /// The 0-based index of the offending item, when one item is at fault.
    pub item: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Words a gene list may hold that mean "everything" or name the list, not a gene: refused so
/// that a list never silently covers fewer (or more) genes than the writer meant.
const NOT_GENES: &[&str] = &[
    "ALL", "ANY", "NONE", "PANEL", "GENES", "GENE", "EVERY", "FULL", "TARGETED", "HOTSPOT",
    "HOTSPOTS",
];

/// One gene of a coverage statement or gene-panel list (`--covers`, `molecular.files[].covers`,
/// a cBioPortal `gene_list`): the one gene-symbol check (`genes::hgnc_symbol`: look-alike and
/// invisible characters, another case, previous symbols, `B-RAF`, `BRAF;KRAS`, `*`), and none
/// of the words meaning "all genes" (`ALL`, `PANEL`).
///
/// # Errors
/// A message naming the symbol and what is wrong.
pub fn coverage_gene(kb: &atcpath_kb::Kb, text: &str) -> Result<String, String> {
    if text.contains([',', ';', ' ', '\t', '/', '|']) && !text.trim().is_empty() {
        crate::genes::check_symbol_chars(text.trim())?;
        return Err(format!(
            "{text:?} is not one gene symbol: list each gene as its own item"
        ));
    }
    if NOT_GENES.iter().any(|w| w.eq_ignore_ascii_case(text)) {
        return Err(format!(
            "{text:?} is not a gene symbol: list the genes the test covered, or state WES / WGS"
        ));
    }
    crate::genes::hgnc_symbol(kb, text)
}

/// The genes whose absence the pathway reads from a test (clinical-pathway §4; the same genes
/// as `molecular::profile`): `ngs_dna` BRAF (V600E), `ngs_rna` NTRK1/2/3, RET and ALK fusions.
pub fn pathway_genes(test: TestId) -> &'static [&'static str] {
    match test {
        TestId::NgsDna => &["BRAF"],
        TestId::NgsRna => &["NTRK1", "NTRK2", "NTRK3", "RET", "ALK"],
        _ => &[],
    }
}

/// Whether the case holds the pathway's alteration of `gene` for `test` (BRAF V600E; a fusion
/// with the gene at either end): a detection needs no coverage statement.
pub fn detected(case: &Case, test: TestId, gene: &str) -> bool {
    let mo = &case.molecular;
    match test {
        TestId::NgsDna => mo
            .variants
            .iter()
            .any(|v| v.gene == gene && crate::molecular::is_v600e(v)),
        TestId::NgsRna => mo
            .fusions
            .iter()
            .any(|f| f.five_prime == gene || f.three_prime == gene),
        _ => false,
    }
}

/// THE rule: the pathway genes of `test` that none of `coverages` (the files resulting that
/// test) shows covered and whose alteration `case` does not hold, in the pathway's order.
/// Empty when the files cover them all.
pub fn not_shown<'c>(
    case: &Case,
    test: TestId,
    coverages: impl IntoIterator<Item = &'c Coverage> + Clone,
) -> Vec<String> {
    pathway_genes(test)
        .iter()
        .filter(|g| {
            !coverages
                .clone()
                .into_iter()
                .any(|c| c.covers_test(test, g))
        })
        .filter(|g| !detected(case, test, g))
        .map(|g| g.to_string())
        .collect()
}

/// A test resulted by files that do not show some of its pathway genes covered (carried by the
/// case after a merge, read by `molecular::profile`; never read from a case file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotShown {
    pub test: TestId,
    /// Pathway genes whose absence the files do not prove.
    pub genes: Vec<String>,
    /// The files resulting the test.
    pub files: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(molecular: &str) -> Case {
        let kb = atcpath_kb::Kb::embedded().unwrap();
        let json = format!(
            r#"{{"schema": "atcpath.case/1", "id": "c", "as_of": "2024-01-10", "molecular": {molecular}}}"#
        );
        crate::case::read_case(json.as_bytes(), &kb, None).unwrap()
    }

    #[test]
    fn whole_exome_or_genome_proves_no_fusion_absent() {
        let kb = atcpath_kb::Kb::embedded().unwrap();
        let c = case(r#"{"resulted": [], "pending": []}"#);
        for w in ["WES", "WGS"] {
            let wes = Coverage::from_statement(&kb, &[w]).unwrap();
            assert_eq!(
                not_shown(&c, TestId::NgsRna, [&wes]),
                vec!["NTRK1", "NTRK2", "NTRK3", "RET", "ALK"]
            );
            assert!(not_shown(&c, TestId::NgsDna, [&wes]).is_empty());
        }
    }

    #[test]
    fn only_a_stated_coverage_proves_absence() {
        let kb = atcpath_kb::Kb::embedded().unwrap();
        let c = case(r#"{"resulted": [], "pending": []}"#);
        let none = Coverage::NotProfiled;
        assert_eq!(not_shown(&c, TestId::NgsDna, [&none]), vec!["BRAF"]);
        let panel = Coverage::from_statement(&kb, &["BRAF", "TP53"]).unwrap();
        assert!(not_shown(&c, TestId::NgsDna, [&panel]).is_empty());
        let wes = Coverage::from_statement(&kb, &["WES"]).unwrap();
        assert!(not_shown(&c, TestId::NgsDna, [&wes]).is_empty());
        let ret = Coverage::from_statement(&kb, &["RET"]).unwrap();
        assert_eq!(
            not_shown(&c, TestId::NgsRna, [&ret, &none]),
            vec!["NTRK1", "NTRK2", "NTRK3", "ALK"]
        );
        // A detection needs no coverage statement.
        let d = case(
            r#"{"resulted": [], "pending": [], "variants": [{"gene": "BRAF", "hgvs_p": "p.V600E"}],
                "fusions": [{"five_prime": "CCDC6", "three_prime": "RET"}]}"#,
        );
        assert!(not_shown(&d, TestId::NgsDna, [&none]).is_empty());
        assert_eq!(not_shown(&d, TestId::NgsRna, [&none]).len(), 4);
        assert!(Coverage::from_statement::<&str>(&kb, &[]).is_err());
        assert!(Coverage::from_statement(&kb, &["WES", "BRAF"]).is_err());
        assert!(Coverage::from_statement(&kb, &["BRAF", " "]).is_err());
    }

    #[test]
    fn every_coverage_gene_goes_through_the_gene_symbol_check() {
        let kb = atcpath_kb::Kb::embedded().unwrap();
        for (bad, item) in [
            ("braf", 0),
            ("BR\u{0410}F", 0),
            ("B\u{0412}AF", 0),
            ("BRAF\u{200B}", 0),
            ("panel", 0),
            ("*", 0),
            ("ALL", 0),
            ("B-RAF", 0),
            ("BRAF;KRAS", 0),
            ("TRKC", 0),
        ] {
            let e = Coverage::from_statement(&kb, &[bad, "TP53"]).unwrap_err();
            assert_eq!(e.item, Some(item), "{bad}: {e}");
            let e = Coverage::from_statement(&kb, &["TP53", bad]).unwrap_err();
            assert_eq!(e.item, Some(1), "{bad}: {e}");
        }
        let e = coverage_gene(&kb, "braf").unwrap_err();
        assert!(e.contains("did you mean \"BRAF\""), "{e}");
        assert!(Coverage::from_statement(&kb, &["BRAF", "C11orf30", "HLA-A"]).is_ok());
    }
}
