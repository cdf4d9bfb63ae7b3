//! Merging the findings of molecular result files into a case, so that `assess` on a case plus
//! its files gives the plan it would give if the same facts were typed into the case file.
//! Every fact merged keeps the file and line it came from. Pure.
//!
//! Rules (`case-format.md` scopes):
//! - a mutation file (MAF, VCF) is an `ngs_dna` result, a fusion or structural-variant file an
//!   `ngs_rna` result: the test becomes resulted (and leaves `pending`); an alteration the file
//!   does not contain is not detected only for the genes the file shows covered
//!   (`coverage::not_shown`, the one rule): the others stay unknown, recorded in
//!   `molecular.coverage_not_shown` and raised as a `coverage_not_shown` alert. A test the case
//!   file types as resulted keeps its meaning (the clinician's statement of its genes);
//! - a fusion row whose partner is a placeholder or not a knowledge-base fusion gene, or whose
//!   kinase is only the 5' partner, is a kinase rearrangement with the partner unknown
//!   (`read_fusion`), never a named fusion;
//! - a row whose class contradicts its protein change (`class_contradiction`) is an error, and so
//!   is a row of a knowledge-base gene with a protein change and an unrecognised class;
//! - what the tumour board must see (coverage not shown, an IHC/sequencing BRAF discordance, the
//!   readers' alerts such as MSI status against MSIsensor score) is a [`FileAlert`], which
//!   `pathway::alerts::file_alerts` turns into the report's alerts;
//! - variants are merged when they change the protein or are TERT promoter variants (cBioPortal's
//!   loader filter: silent, intronic, UTR, flank and intergenic rows are not merged but counted);
//!   a TERT promoter variant recognised by position gets its HGVS coding name (c.-124C>T = C228T,
//!   c.-146C>T = C250T);
//! - a variant row without any HGVS (e.g. `p.X1445_splice`) is reported, not merged: in a case
//!   file a gene alone means "reported without detail", which is not what the row says;
//! - copy-number calls have no field in the case model: they are reported with their annotation,
//!   never dropped;
//! - TMB and MSI fill `tmb_mut_per_mb` and `msi` (the `tmb` test becomes resulted); a value
//!   that disagrees with the case file or with another file is an error naming both sources,
//!   never a silent choice.

use serde::Serialize;

use super::coverage::{Coverage, NotShown, not_shown};
use super::{Annotation, Finding, Sourced, VariantClass, annotate_finding, class_contradiction};
use crate::case::model::{Case, Fusion, Msi, TestId, Variant};
use crate::hgvs;
use atcpath_kb::{AlertId, Kb};

/// An alert a result file raises: the knowledge-base alert and this file's facts (file and line
/// in words). Readers add theirs to [`MolecularFile::alerts`]; the merge adds coverage and
/// discordance alerts; `pathway::alerts::file_alerts` builds the report's alerts from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileAlert {
    pub id: AlertId,
    pub facts: String,
}

/// What a result file is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// MAF or VCF: an `ngs_dna` result.
    Mutations,
    /// Fusion list or structural variants: an `ngs_rna` result.
    Fusions,
    /// Discrete copy number.
    CopyNumber,
    /// Clinical sample file (TMB, MSI).
    Clinical,
}

/// The findings of one file for this patient's sample.
#[derive(Debug, Clone)]
pub struct MolecularFile {
    /// The file as named by the user.
    pub name: String,
    pub kind: FileKind,
    pub findings: Vec<Sourced>,
    /// Rows the reader read but did not turn into findings (e.g. non-fusion SV rows); the merge
    /// adds the silent and non-coding variants it leaves out.
    pub not_merged: usize,
    /// Whether the file settles its test (`ngs_dna` for mutations, `ngs_rna` for fusions):
    /// true for a patient's own result file; false when, e.g., a cohort sample's panel does not
    /// cover the test's whole scope (absence then proves nothing).
    pub results_test: bool,
    /// What the reader wants the tumour board to see about this file (e.g. the sample had no
    /// row in a list of detected events).
    pub notes: Vec<String>,
    /// The genes the file shows covered (`coverage`): without a statement, no absence is proven.
    pub coverage: Coverage,
    /// Alerts the reader raised (e.g. MSI status contradicting the MSIsensor score).
    pub alerts: Vec<FileAlert>,
}

/// One molecular fact with where it came from (the report's provenance table).
#[derive(Debug, Clone, Serialize)]
pub struct MolecularSource {
    /// The fact in words (e.g. `BRAF p.Val600Glu`, `CCDC6-RET fusion`, `TMB 12 mut/Mb`).
    pub fact: String,
    pub file: String,
    pub line: usize,
    pub sample: Option<String>,
    /// The actionability entry matched and its highest level (`LEVEL_1`, ...), when any.
    pub alteration: Option<String>,
    pub highest_level: Option<String>,
    /// `merged` (added to the case), `already_in_case` (the case file lists it too), `repeated`
    /// (an earlier row of the files gave it) or `reported` (no case field holds it: copy
    /// number, a variant without HGVS).
    pub status: String,
}

/// Summary of a merge, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeReport {
    pub sources: Vec<MolecularSource>,
    /// Tests the files resulted.
    pub tests_resulted: Vec<TestId>,
    /// Per file: rows read but not merged (non-coding or silent).
    pub not_merged: Vec<(String, usize)>,
    /// The files' notes.
    pub notes: Vec<String>,
    /// Tests the files resulted without showing some pathway genes covered.
    pub coverage_not_shown: Vec<NotShown>,
    /// Alerts for the report's ALERTS section (`pathway::alerts::file_alerts`).
    pub alerts: Vec<FileAlert>,
}

fn variant_fact(gene: &str, v: &Variant) -> String {
    match (&v.protein, &v.coding) {
        (Some(p), _) => format!("{gene} {}", p.normalized),
        (None, Some(c)) => format!("{gene} {}", c.normalized),
        _ => gene.to_string(),
    }
}

/// Whether a variant row is merged (changes the protein, or is a TERT promoter variant).
fn merged_class(class: Option<VariantClass>, ann: &Annotation) -> bool {
    ann.alteration.as_deref() == Some("tert_promoter")
        || !matches!(
            class,
            Some(
                VariantClass::Silent
                    | VariantClass::Promoter
                    | VariantClass::NonCoding
                    | VariantClass::Other
            )
        )
}

/// The knowledge base's spelling of a gene written in another case (`braf` → `BRAF`); the
/// symbol as written when the knowledge base does not know it.
fn canonical(kb: &Kb, gene: &str) -> String {
    kb.known_genes()
        .find(|k| k.eq_ignore_ascii_case(gene))
        .unwrap_or(gene)
        .to_string()
}

/// A symbol the knowledge base does not know but that is one letter from one it does (`RETT`,
/// `BRAF1`): a likely typo, which would otherwise hide the gene the pathway reads.
fn near_miss<'k>(kb: &'k Kb, gene: &str) -> Option<&'k str> {
    if kb.known_genes().any(|k| k.eq_ignore_ascii_case(gene)) {
        return None;
    }
    let g = gene.to_ascii_uppercase();
    kb.known_genes()
        .find(|k| k.len().abs_diff(g.len()) <= 1 && strsim::jaro_winkler(k, &g) >= 0.9)
}

fn is_v600e(v: &Variant) -> bool {
    v.gene == "BRAF"
        && v.protein
            .as_ref()
            .is_some_and(|p| p.normalized == "p.Val600Glu")
}

/// BRAF V600E from a file while the case file has a BRAF result without it: the same test
/// (`ngs_dna`) contradicting is an error; IHC or a targeted assay negative and sequencing
/// positive is a discordance the tumour board must see (a note), the sequencing being used.
fn braf_conflict(case: &Case, at: &str, problems: &mut Vec<String>, alerts: &mut Vec<FileAlert>) {
    let r = &case.molecular.resulted;
    if r.contains(&TestId::NgsDna) {
        problems.push(format!(
            "BRAF V600E at {at}, but the case file lists ngs_dna as resulted without it: if the file is that result, list ngs_dna as pending in the case file; otherwise check the sample"
        ));
    } else if let Some(t) = [TestId::BrafV600eIhc, TestId::BrafV600ePcr]
        .into_iter()
        .find(|t| r.contains(t))
    {
        alerts.push(FileAlert {
            id: AlertId::BrafDiscordant,
            facts: format!(
                "BRAF V600E at {at}, but {} resulted without it in the case file; the sequencing result is used",
                crate::molecular::test_name(t)
            ),
        });
    }
}

/// The protein change of a point variant at an ATC hotspot position (build, position and
/// alleles from the row), when the row gives none.
fn hotspot_protein(kb: &Kb, f: &Finding) -> Option<crate::hgvs::ProteinChange> {
    let Finding::Variant {
        gene,
        build: Some(b),
        chromosome: Some(c),
        position: Some(p),
        reference: Some(r),
        alternate: Some(a),
        ..
    } = f
    else {
        return None;
    };
    let hit = kb.hotspot_at(b, c, *p, r, a).filter(|h| h.gene == gene)?;
    hit.protein.and_then(|x| hgvs::parse_protein(x).ok())
}

fn same_variant(a: &Variant, b: &Variant) -> bool {
    a.gene == b.gene
        && match (&a.protein, &b.protein) {
            (Some(x), Some(y)) => x.normalized == y.normalized,
            _ => match (&a.coding, &b.coding) {
                (Some(x), Some(y)) => x.normalized == y.normalized,
                _ => false,
            },
        }
}

fn result(case: &mut Case, t: TestId, report: &mut MergeReport) {
    case.molecular.pending.retain(|p| *p != t);
    if !case.molecular.resulted.contains(&t) {
        case.molecular.resulted.push(t);
    }
    if !report.tests_resulted.contains(&t) {
        report.tests_resulted.push(t);
    }
}

/// Merges the files' findings into the case.
///
/// # Errors
/// Each conflict in words (a TMB or MSI value that disagrees with the case file or another file),
/// naming both sources; nothing is merged when there is one.
pub fn merge(
    case: &Case,
    files: &[MolecularFile],
    kb: &Kb,
) -> Result<(Case, MergeReport), Vec<String>> {
    let mut out = case.clone();
    let mut report = MergeReport::default();
    let mut problems = Vec::new();
    // Where the case's current TMB and MSI came from, for conflict messages.
    let mut tmb_from = case
        .molecular
        .tmb_mut_per_mb
        .map(|_| "the case file".to_string());
    let mut msi_from = case.molecular.msi.map(|_| "the case file".to_string());
    // Per test, the files that resulted it (for the coverage rule).
    let mut resulting: Vec<(TestId, &MolecularFile)> = Vec::new();
    for file in files {
        // A BRAF row whose change cannot be read leaves BRAF V600E unknown: the file cannot
        // settle the test.
        let unreadable_braf: Vec<usize> = file
            .findings
            .iter()
            .filter(|s| match &s.finding {
                Finding::Variant {
                    gene,
                    protein,
                    coding,
                    class,
                    ..
                } => {
                    gene.eq_ignore_ascii_case("BRAF")
                        && protein.is_none()
                        && coding.is_none()
                        && hotspot_protein(kb, &s.finding).is_none()
                        && !matches!(
                            class,
                            Some(
                                VariantClass::Silent
                                    | VariantClass::Promoter
                                    | VariantClass::NonCoding
                            )
                        )
                }
                _ => false,
            })
            .map(|s| s.line)
            .collect();
        if file.kind == FileKind::Mutations && !unreadable_braf.is_empty() {
            report.notes.push(format!(
                "{}: BRAF row(s) at line {} give no readable protein or coding change: BRAF V600E stays unknown, and the file does not count as the ngs_dna result",
                file.name,
                unreadable_braf
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        match file.kind {
            FileKind::Mutations if file.results_test && unreadable_braf.is_empty() => {
                result(&mut out, TestId::NgsDna, &mut report);
                resulting.push((TestId::NgsDna, file));
            }
            FileKind::Fusions if file.results_test => {
                result(&mut out, TestId::NgsRna, &mut report);
                resulting.push((TestId::NgsRna, file));
            }
            _ => {}
        }
        let mut not_merged = file.not_merged;
        report.notes.extend(file.notes.iter().cloned());
        report.alerts.extend(file.alerts.iter().cloned());
        for s in &file.findings {
            let ann = annotate_finding(kb, &s.finding);
            let at = format!("{} line {}", s.file, s.line);
            // A symbol that looks right but is not (look-alike letters, another case, an old
            // name) would hide the gene: refused before anything else is decided about the row.
            let symbols: &[&String] = match &s.finding {
                Finding::Variant { gene, .. }
                | Finding::CopyNumber { gene, .. }
                | Finding::Rearrangement { gene } => &[gene],
                Finding::Fusion {
                    five_prime,
                    three_prime,
                } => &[five_prime, three_prime],
                _ => &[],
            };
            let refused: Vec<String> = symbols
                .iter()
                .filter_map(|g| crate::genes::gene_symbol(kb, g).err())
                .collect();
            if !refused.is_empty() {
                problems.extend(refused.into_iter().map(|m| format!("{at}: {m}")));
                continue;
            }
            let mut status = "merged";
            let fact = match &s.finding {
                Finding::Variant {
                    gene,
                    protein,
                    coding,
                    class,
                    ..
                } => {
                    if let Finding::Variant {
                        conflict: Some(m), ..
                    } = &s.finding
                    {
                        problems.push(format!("{at}: {gene}: {m}"));
                        continue;
                    }
                    // A knowledge-base hotspot's position and allele under another symbol
                    // (`Unknown` at BRAF V600E): the symbol and the position disagree.
                    if let Finding::Variant {
                        build: Some(b),
                        chromosome: Some(c),
                        position: Some(p),
                        reference: Some(r),
                        alternate: Some(a),
                        ..
                    } = &s.finding
                        && let Some(h) = kb.hotspot_at(b, c, *p, r, a)
                        && !h.gene.eq_ignore_ascii_case(gene)
                    {
                        problems.push(format!(
                            "{at}: the gene {gene:?} disagrees with the position: {b} {c}:{p} {r}>{a} is {} {} (correct the symbol or the position)",
                            h.gene,
                            h.protein.unwrap_or_default()
                        ));
                        continue;
                    }
                    if let (Some(c), Some(p)) = (class, protein)
                        && let Some(m) = class_contradiction(*c, p)
                    {
                        problems.push(format!("{at}: {gene} {m}"));
                        continue;
                    }
                    // An unrecognised class is not read as "non-coding": the row of a gene the
                    // pathway reads, with a protein change, would otherwise vanish.
                    if *class == Some(VariantClass::Unrecognised)
                        && protein.is_some()
                        && kb.known_genes().any(|k| k == gene)
                    {
                        problems.push(format!(
                            "{at}: {gene} {}: the variant class is not one ATCPath recognises (MAF Variant_Classification such as Missense_Mutation); correct the class so the row is not dropped",
                            protein.as_ref().map_or("", |p| p.normalized.as_str())
                        ));
                        continue;
                    }
                    if !merged_class(*class, &ann) {
                        not_merged += 1;
                        continue;
                    }
                    let mut coding = coding.clone();
                    if coding.is_none() && ann.alteration.as_deref() == Some("tert_promoter") {
                        let name = match ann.name.as_deref() {
                            Some("C228T") => Some("c.-124C>T"),
                            Some("C250T") => Some("c.-146C>T"),
                            _ => None,
                        };
                        coding = name.and_then(|c| hgvs::parse_coding(c).ok());
                    }
                    if let Some(k) = near_miss(kb, gene) {
                        problems.push(format!(
                            "{gene:?} at {at} is not a gene ATCPath knows; did you mean {k:?}? (a misspelt symbol would hide the gene)"
                        ));
                    }
                    let gene_c = canonical(kb, gene);
                    let gene = &gene_c;
                    let coding = coding.map(|c| super::normalise_coding(kb, gene, c));
                    // A protein change the row does not give may come from a hotspot position
                    // or its coding change; the two must agree (as in a case file).
                    let protein = protein.clone().or_else(|| hotspot_protein(kb, &s.finding));
                    let protein = match super::reconcile(kb, gene, protein, coding.as_ref()) {
                        Ok(p) => p,
                        Err(
                            super::Reconcile::WrongResidue(m)
                            | super::Reconcile::Disagree(m)
                            | super::Reconcile::WrongBase(m),
                        ) => {
                            problems.push(format!("{at}: {m}"));
                            continue;
                        }
                    };
                    let v = Variant {
                        gene: gene.clone(),
                        protein,
                        coding,
                        source: Some(at.clone()),
                    };
                    let fact = variant_fact(gene, &v);
                    if v.protein.is_none() && v.coding.is_none() {
                        // In a case file a gene without HGVS means "reported without detail"
                        // (it would make BRAF V600E unknown); a file row without HGVS is not that.
                        status = "reported";
                    } else if case.molecular.variants.iter().any(|w| same_variant(w, &v)) {
                        status = "already_in_case";
                    } else if out.molecular.variants.iter().any(|w| same_variant(w, &v)) {
                        status = "repeated";
                    } else {
                        if is_v600e(&v) {
                            braf_conflict(case, &at, &mut problems, &mut report.alerts);
                        }
                        out.molecular.variants.push(v);
                    }
                    fact
                }
                Finding::Fusion {
                    five_prime,
                    three_prime,
                } => {
                    for g in [five_prime, three_prime] {
                        if let Some(k) = near_miss(kb, g) {
                            problems.push(format!(
                                "{g:?} at {at} is not a gene ATCPath knows; did you mean {k:?}? (a misspelt symbol would hide the fusion)"
                            ));
                        }
                    }
                    // A placeholder or unknown partner, or a kinase only at 5': a rearrangement
                    // with the partner unknown, never a named fusion (`read_fusion`).
                    if let super::FusionReading::PartnerUnknown { kinase, why } =
                        super::read_fusion(kb, five_prime, three_prime)
                    {
                        let gene = canonical(kb, &kinase);
                        if !out.molecular.rearrangements.iter().any(|r| r.gene == gene) {
                            out.molecular
                                .rearrangements
                                .push(crate::case::model::Rearrangement {
                                    gene: gene.clone(),
                                    source: Some(format!("{at} ({why})")),
                                });
                        } else {
                            status = "repeated";
                        }
                        report.sources.push(MolecularSource {
                            fact: format!("{gene} rearrangement, partner unknown ({why})"),
                            file: s.file.clone(),
                            line: s.line,
                            sample: s.sample.clone(),
                            alteration: None,
                            highest_level: None,
                            status: status.into(),
                        });
                        continue;
                    }
                    let (five_c, three_c) = (canonical(kb, five_prime), canonical(kb, three_prime));
                    let (five_prime, three_prime) = (&five_c, &three_c);
                    let same = |f: &Fusion| {
                        (f.five_prime == *five_prime && f.three_prime == *three_prime)
                            || (f.five_prime == *three_prime && f.three_prime == *five_prime)
                    };
                    if case.molecular.fusions.iter().any(same) {
                        status = "already_in_case";
                    } else if out.molecular.fusions.iter().any(same) {
                        status = "repeated";
                    } else {
                        // The case file's own RNA result listed no such fusion: two results
                        // disagree, and neither may silently win.
                        if ann.highest_level.is_some()
                            && case.molecular.resulted.contains(&TestId::NgsRna)
                        {
                            problems.push(format!(
                                "{five_prime}-{three_prime} fusion at {at}, but the case file lists ngs_rna as resulted without it: if the file is that result, list ngs_rna as pending in the case file; otherwise check the sample"
                            ));
                        }
                        out.molecular.fusions.push(Fusion {
                            five_prime: five_prime.clone(),
                            three_prime: three_prime.clone(),
                            source: Some(at.clone()),
                        });
                    }
                    format!("{five_prime}-{three_prime} fusion")
                }
                Finding::Rearrangement { gene } => {
                    // A kinase with actionable fusions rearranged with no named partner: kept, so
                    // that the fusion is unknown (never "not detected") until the partner is known.
                    if kb.actionability.iter().any(|a| {
                        a.kind == atcpath_kb::MatchKind::Fusion && a.genes().any(|g| g == gene)
                    }) && !out.molecular.rearrangements.iter().any(|r| r.gene == *gene)
                    {
                        out.molecular
                            .rearrangements
                            .push(crate::case::model::Rearrangement {
                                gene: gene.clone(),
                                source: Some(at.clone()),
                            });
                    } else {
                        status = "reported";
                    }
                    format!("{gene} rearrangement, partner unknown")
                }
                Finding::CopyNumber { gene, level } => {
                    status = "reported";
                    format!("{gene} copy number {} ({level:?})", level.code())
                }
                Finding::Tmb { mut_per_mb } => {
                    match (out.molecular.tmb_mut_per_mb, &tmb_from) {
                        (Some(old), Some(from)) if (old - mut_per_mb).abs() > 1e-9 => {
                            problems.push(format!(
                                "TMB {mut_per_mb} mut/Mb at {at} disagrees with TMB {old} mut/Mb from {from}"
                            ));
                        }
                        (Some(_), Some(_)) => status = "already_in_case",
                        _ => {
                            out.molecular.tmb_mut_per_mb = Some(*mut_per_mb);
                            tmb_from = Some(at.clone());
                        }
                    }
                    result(&mut out, TestId::Tmb, &mut report);
                    format!("TMB {mut_per_mb} mut/Mb")
                }
                Finding::Msi { status: m } => {
                    match (out.molecular.msi, &msi_from) {
                        (Some(old), Some(from)) if old != *m => {
                            problems.push(format!(
                                "MSI {m:?} at {at} disagrees with MSI {old:?} from {from}"
                            ));
                        }
                        (Some(_), Some(_)) => status = "already_in_case",
                        _ => {
                            out.molecular.msi = Some(*m);
                            msi_from = Some(at.clone());
                        }
                    }
                    out.molecular.pending.retain(|p| *p != TestId::MsiPcr);
                    format!("MSI {}", if *m == Msi::High { "high" } else { "stable" })
                }
            };
            report.sources.push(MolecularSource {
                fact,
                file: s.file.clone(),
                line: s.line,
                sample: s.sample.clone(),
                alteration: ann.alteration.clone(),
                highest_level: ann.highest_level.clone(),
                status: status.into(),
            });
        }
        if not_merged > 0 {
            report.not_merged.push((file.name.clone(), not_merged));
        }
    }
    // What the files prove absent (`coverage::not_shown`); a test the case file types as
    // resulted is the clinician's statement of its genes.
    for test in [TestId::NgsDna, TestId::NgsRna] {
        let by: Vec<&MolecularFile> = resulting
            .iter()
            .filter(|(t, _)| *t == test)
            .map(|(_, f)| *f)
            .collect();
        if by.is_empty() || case.molecular.resulted.contains(&test) {
            continue;
        }
        let genes = not_shown(&out, test, by.iter().map(|f| &f.coverage));
        if genes.is_empty() {
            continue;
        }
        let names: Vec<String> = by.iter().map(|f| f.name.clone()).collect();
        report.alerts.push(FileAlert {
            id: AlertId::CoverageNotShown,
            facts: format!(
                "{} resulted by {}, but coverage of {} not shown by {}",
                crate::molecular::test_name(test),
                names.join(", "),
                genes.join(", "),
                if names.len() == 1 {
                    "the file"
                } else {
                    "the files"
                }
            ),
        });
        let ns = NotShown {
            test,
            genes,
            files: names,
        };
        out.molecular.coverage_not_shown.push(ns.clone());
        report.coverage_not_shown.push(ns);
    }
    if problems.is_empty() {
        Ok((out, report))
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::model::Msi;
    use crate::case::read_case;

    fn case(json: &str) -> Case {
        let kb = Kb::embedded().unwrap();
        read_case(json.as_bytes(), &kb, None).unwrap()
    }

    fn sourced(finding: Finding, line: usize) -> Sourced {
        Sourced {
            sample: Some("S1".into()),
            finding,
            file: "f.txt".into(),
            line,
        }
    }

    fn variant(gene: &str, p: Option<&str>, class: VariantClass) -> Finding {
        Finding::Variant {
            gene: gene.into(),
            protein: p.and_then(super::super::maf_protein),
            coding: None,
            class: Some(class),
            build: None,
            chromosome: None,
            position: None,
            reference: None,
            alternate: None,
            conflict: None,
        }
    }

    const BASE: &str = r#"{"schema": "atcpath.case/1", "id": "m", "as_of": "2024-01-10",
        "molecular": {"resulted": [], "pending": ["ngs_dna", "ngs_rna"], "tmb_mut_per_mb": 4}}"#;

    #[test]
    fn files_result_their_tests_and_keep_provenance() {
        let kb = Kb::embedded().unwrap();
        let c = case(BASE);
        let files = vec![
            MolecularFile {
                name: "m.maf".into(),
                kind: FileKind::Mutations,
                findings: vec![
                    sourced(variant("BRAF", Some("p.V600E"), VariantClass::Missense), 7),
                    sourced(variant("KRAS", Some("p.G12G"), VariantClass::Silent), 8),
                ],
                not_merged: 0,
                results_test: true,
                notes: Vec::new(),
                coverage: Coverage::AllGenes,
                alerts: Vec::new(),
            },
            MolecularFile {
                name: "f.txt".into(),
                kind: FileKind::Fusions,
                findings: vec![sourced(
                    Finding::Fusion {
                        five_prime: "CCDC6".into(),
                        three_prime: "RET".into(),
                    },
                    3,
                )],
                not_merged: 0,
                results_test: true,
                notes: Vec::new(),
                coverage: Coverage::AllGenes,
                alerts: Vec::new(),
            },
        ];
        let (m, r) = merge(&c, &files, &kb).unwrap();
        assert!(m.molecular.pending.is_empty());
        assert!(m.molecular.resulted.contains(&TestId::NgsDna));
        assert_eq!(m.molecular.variants.len(), 1, "silent KRAS not merged");
        assert_eq!(m.molecular.fusions.len(), 1);
        let braf = &r.sources[0];
        assert_eq!(
            (braf.fact.as_str(), braf.line, braf.highest_level.as_deref()),
            ("BRAF p.Val600Glu", 7, Some("LEVEL_1"))
        );
    }

    #[test]
    fn conflicting_tmb_is_an_error_naming_both_sources() {
        let kb = Kb::embedded().unwrap();
        let c = case(BASE);
        let f = MolecularFile {
            name: "clin.txt".into(),
            kind: FileKind::Clinical,
            findings: vec![
                sourced(Finding::Tmb { mut_per_mb: 12.0 }, 6),
                sourced(Finding::Msi { status: Msi::High }, 6),
            ],
            not_merged: 0,
            results_test: true,
            notes: Vec::new(),
            coverage: Coverage::AllGenes,
            alerts: Vec::new(),
        };
        let e = merge(&c, &[f.clone()], &kb).unwrap_err();
        assert!(
            e[0].contains("line 6") && e[0].contains("the case file"),
            "{e:?}"
        );
        // Without the case's TMB, both are merged.
        let c = case(&BASE.replace(", \"tmb_mut_per_mb\": 4", ""));
        let (m, r) = merge(&c, &[f], &kb).unwrap();
        assert_eq!(
            (m.molecular.tmb_mut_per_mb, m.molecular.msi),
            (Some(12.0), Some(Msi::High))
        );
        assert_eq!(r.sources[0].highest_level.as_deref(), Some("LEVEL_1"));
    }

    #[test]
    fn tert_promoter_by_position_gets_its_coding_name() {
        let kb = Kb::embedded().unwrap();
        let c = case(BASE);
        let tert = Finding::Variant {
            gene: "TERT".into(),
            protein: None,
            coding: None,
            class: Some(VariantClass::Promoter),
            build: Some("GRCh38".into()),
            chromosome: Some("5".into()),
            position: Some(1295113),
            reference: Some("G".into()),
            alternate: Some("A".into()),
            conflict: None,
        };
        let f = MolecularFile {
            name: "t.vcf".into(),
            kind: FileKind::Mutations,
            findings: vec![sourced(tert, 40)],
            not_merged: 0,
            results_test: true,
            notes: Vec::new(),
            coverage: Coverage::AllGenes,
            alerts: Vec::new(),
        };
        let (m, _) = merge(&c, &[f], &kb).unwrap();
        let v = &m.molecular.variants[0];
        assert_eq!(
            v.coding.as_ref().map(|c| c.normalized.as_str()),
            Some("c.-124C>T")
        );
    }

    fn empty(name: &str, kind: FileKind, coverage: Coverage) -> MolecularFile {
        MolecularFile {
            name: name.into(),
            kind,
            findings: Vec::new(),
            not_merged: 0,
            results_test: true,
            notes: Vec::new(),
            coverage,
            alerts: Vec::new(),
        }
    }

    #[test]
    fn an_empty_file_without_coverage_proves_nothing_absent() {
        use crate::molecular::{State, profile};
        let kb = Kb::embedded().unwrap();
        let th = &kb.facts.thresholds;
        let c = case(BASE);
        let files = [
            empty("h.maf", FileKind::Mutations, Coverage::NotProfiled),
            empty("f.txt", FileKind::Fusions, Coverage::NotProfiled),
        ];
        let (m, r) = merge(&c, &files, &kb).unwrap();
        let p = profile(&m, th, &kb.genes.fusion_drivers);
        for f in [&p.braf_v600e, &p.ret_fusion, &p.ntrk_fusion, &p.alk_fusion] {
            assert_eq!(f.state, State::Unknown, "{}", f.basis);
            assert!(f.basis.contains("coverage of"), "{}", f.basis);
        }
        let ids: Vec<AlertId> = r.alerts.iter().map(|a| a.id).collect();
        assert_eq!(ids, [AlertId::CoverageNotShown, AlertId::CoverageNotShown]);
        assert!(r.alerts[0].facts.contains("coverage of BRAF not shown"));
        // With coverage stated, absence is a negative.
        let files = [
            empty("h.maf", FileKind::Mutations, Coverage::AllGenes),
            empty(
                "f.txt",
                FileKind::Fusions,
                Coverage::from_statement(&kb, &["RET", "ALK", "NTRK1", "NTRK2", "NTRK3"]).unwrap(),
            ),
        ];
        let (m, r) = merge(&c, &files, &kb).unwrap();
        let p = profile(&m, th, &kb.genes.fusion_drivers);
        for f in [&p.braf_v600e, &p.ret_fusion, &p.ntrk_fusion, &p.alk_fusion] {
            assert_eq!(f.state, State::NotDetected, "{}", f.basis);
        }
        assert!(r.alerts.is_empty() && m.molecular.coverage_not_shown.is_empty());
    }

    #[test]
    fn a_row_whose_class_contradicts_its_protein_is_an_error() {
        let kb = Kb::embedded().unwrap();
        let c = case(BASE);
        for (class, p) in [
            (VariantClass::Silent, "p.V600E"),
            (VariantClass::Missense, "p.V600V"),
        ] {
            let mut f = empty("m.maf", FileKind::Mutations, Coverage::AllGenes);
            f.findings = vec![sourced(variant("BRAF", Some(p), class), 9)];
            let e = merge(&c, &[f], &kb).unwrap_err();
            assert!(
                e[0].contains("f.txt line 9") && e[0].contains("contradicts"),
                "{e:?}"
            );
        }
    }

    proptest::proptest! {
        /// Whatever genes a statement names, BRAF V600E absence is a negative exactly when BRAF
        /// is among them or the statement is a whole exome.
        #[test]
        fn braf_is_negative_only_when_covered(
            genes in proptest::collection::vec("(BRAF|[A-Z][A-Z0-9]{0,5})", 1..6),
        ) {
            let kb = Kb::embedded().unwrap();
            let c = case(BASE);
            let cov = Coverage::from_statement(&kb, &genes);
            // A whole exome named beside genes, or a word that is no gene symbol, is refused.
            proptest::prop_assume!(cov.is_ok());
            let cov = cov.unwrap_or_default();
            let covered = cov == Coverage::AllGenes
                || genes.iter().any(|g| g == "BRAF");
            let (m, _) = merge(&c, &[empty("h.maf", FileKind::Mutations, cov)], &kb).unwrap();
            let p = crate::molecular::profile(&m, &kb.facts.thresholds, &kb.genes.fusion_drivers);
            proptest::prop_assert_eq!(
                p.braf_v600e.state == crate::molecular::State::NotDetected,
                covered
            );
        }
    }
}
