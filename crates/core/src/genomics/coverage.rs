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
    /// Whether the gene was covered (symbols compared ignoring case).
    pub fn covers(&self, gene: &str) -> bool {
        match self {
            Coverage::NotProfiled => false,
            Coverage::AllGenes => true,
            Coverage::Panel(g) => {
                g.contains(gene) || g.iter().any(|x| x.eq_ignore_ascii_case(gene))
            }
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
    /// a whole exome or genome, else gene symbols. Empty symbols are refused.
    ///
    /// # Errors
    /// The statement in words when it is empty or has an empty symbol.
    pub fn from_statement<S: AsRef<str>>(items: &[S]) -> Result<Coverage, String> {
        let items: Vec<&str> = items.iter().map(|s| s.as_ref().trim()).collect();
        if items.is_empty() || items.iter().any(|s| s.is_empty()) {
            return Err("a coverage statement lists gene symbols, or WES / WGS".into());
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
                return Err(format!(
                    "{items:?}: a whole exome or genome is stated alone, not with gene symbols"
                ));
            }
            return Ok(Coverage::AllGenes);
        }
        Ok(Coverage::Panel(
            items.iter().map(|s| s.to_string()).collect(),
        ))
    }
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
        .filter(|g| !coverages.clone().into_iter().any(|c| c.covers_test(test, g)))
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
        let c = case(r#"{"resulted": [], "pending": []}"#);
        for w in ["WES", "WGS"] {
            let wes = Coverage::from_statement(&[w]).unwrap();
            assert_eq!(
                not_shown(&c, TestId::NgsRna, [&wes]),
                vec!["NTRK1", "NTRK2", "NTRK3", "RET", "ALK"]
            );
            assert!(not_shown(&c, TestId::NgsDna, [&wes]).is_empty());
        }
    }

    #[test]
    fn only_a_stated_coverage_proves_absence() {
        let c = case(r#"{"resulted": [], "pending": []}"#);
        let none = Coverage::NotProfiled;
        assert_eq!(not_shown(&c, TestId::NgsDna, [&none]), vec!["BRAF"]);
        let panel = Coverage::from_statement(&["braf", "TP53"]).unwrap();
        assert!(not_shown(&c, TestId::NgsDna, [&panel]).is_empty());
        let wes = Coverage::from_statement(&["WES"]).unwrap();
        assert!(not_shown(&c, TestId::NgsDna, [&wes]).is_empty());
        let ret = Coverage::from_statement(&["RET"]).unwrap();
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
        assert!(Coverage::from_statement::<&str>(&[]).is_err());
        assert!(Coverage::from_statement(&["WES", "BRAF"]).is_err());
        assert!(Coverage::from_statement(&["BRAF", " "]).is_err());
    }
}
