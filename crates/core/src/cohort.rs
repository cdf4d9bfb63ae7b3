//! A cohort's molecular summary: the alteration-frequency table of the ATC gene groups (the
//! knowledge base's `genes.toml` groups, review §3.2) with denominators that honour gene panels,
//! and, per patient, the most actionable finding and the first-line options `assess` gives from
//! what the files contain. Pure: the study folder is read by the adapter.
//!
//! Denominators: a sample counts for a group when it was profiled, for the data type of the
//! group's first event (mutations for point variants and promoters, structural variants for
//! fusions, copy number for deletions and amplifications), by a panel covering every gene of the
//! group (or by whole-exome/genome sequencing, i.e. no panel). A gene outside a sample's panel is
//! never counted as wild-type. Percentages are per sample: `altered` among the covered samples
//! over the covered samples (`None`, "not estimable", when no sample was covered). An alteration
//! detected in a sample whose coverage did not include the group's genes is reported apart
//! (`altered_outside_coverage`) and is in neither numerator nor denominator.
//!
//! Promoters: whole-exome sequencing does not cover the TERT promoter (it is not an exon), so a
//! `promoter` event is covered only by a targeted panel listing the gene (as MSK-IMPACT lists
//! TERT and covers its promoter); whole exome or genome without a panel (`AllGenes`) does not
//! count as covering a promoter.
//!
//! Genes are compared case-insensitively (a MAF writing `braf` is BRAF).

use serde::Serialize;

use crate::case::model::Preferences;
use crate::case::model::{Case, Diagnosis, Histology, Labs, Molecular, Patient, Tumor};
use crate::genomics::merge::{FileKind, MolecularFile, merge};
use crate::genomics::{Annotation, Finding, LEVEL_ORDER, Sourced, VariantClass, annotate_finding};
use crate::hgvs::Consequence;
use crate::molecular::State;
use crate::pathway::{Config, assess};
use crate::report::Line;
use crate::staging::M;
use atcpath_kb::{GeneGroup, GroupEvent, Kb};

/// Which genes a sample was profiled for (the one coverage rule of `genomics::coverage`).
pub use crate::genomics::coverage::Coverage;

/// One sample: its patient, coverage by data type and findings.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub id: String,
    pub patient: String,
    pub mutations: Coverage,
    pub structural_variants: Coverage,
    pub copy_number: Coverage,
    pub findings: Vec<Sourced>,
}

/// One row of the frequency table.
#[derive(Debug, Clone, Serialize)]
pub struct FrequencyRow {
    /// `group` (a knowledge-base gene group) or `gene` (one gene of a multi-gene group).
    pub level: String,
    pub group: String,
    pub name: String,
    pub genes: Vec<String>,
    /// Covered samples with the alteration (the numerator).
    pub altered: usize,
    /// Samples covered for the group's genes (the denominator).
    pub profiled: usize,
    /// `altered / profiled` in percent, one decimal; `None` ("not estimable") when no sample
    /// was covered.
    pub percent: Option<f64>,
    /// Samples with the alteration detected although their coverage did not include the
    /// group's genes: reported, in neither numerator nor denominator.
    pub altered_outside_coverage: usize,
    pub published_percent: Option<f64>,
    pub published_source: Option<String>,
}

fn coverage_for(s: &Sample, e: GroupEvent) -> &Coverage {
    match e {
        GroupEvent::Mutation | GroupEvent::Promoter => &s.mutations,
        GroupEvent::Fusion => &s.structural_variants,
        GroupEvent::DeepDeletion | GroupEvent::Amplification => &s.copy_number,
    }
}

/// Whether a variant changes the protein (cBioPortal's default filter: not silent, intronic, UTR,
/// flank or intergenic).
pub fn protein_changing(
    class: Option<VariantClass>,
    protein: Option<&crate::hgvs::ProteinChange>,
) -> bool {
    match class {
        Some(
            VariantClass::Missense
            | VariantClass::Nonsense
            | VariantClass::Frameshift
            | VariantClass::Splice
            | VariantClass::InFrame,
        ) => true,
        Some(VariantClass::Silent | VariantClass::Promoter | VariantClass::NonCoding) => false,
        Some(VariantClass::Other | VariantClass::Unrecognised) | None => {
            protein.is_some_and(|p| p.consequence != Consequence::Synonymous)
        }
    }
}

/// Whether a finding is an alteration of the group.
pub fn in_group(g: &GeneGroup, f: &Finding) -> bool {
    let has = |gene: &str| g.genes.iter().any(|x| x.eq_ignore_ascii_case(gene));
    g.events.iter().any(|e| match (e, f) {
        (
            GroupEvent::Mutation,
            Finding::Variant {
                gene,
                class,
                protein,
                ..
            },
        ) => has(gene) && protein_changing(*class, protein.as_ref()),
        (
            GroupEvent::Promoter,
            Finding::Variant {
                gene,
                class,
                coding,
                ..
            },
        ) => {
            has(gene)
                && (*class == Some(VariantClass::Promoter)
                    || coding
                        .as_ref()
                        .is_some_and(|c| c.consequence == Consequence::Promoter))
        }
        (
            GroupEvent::Fusion,
            Finding::Fusion {
                five_prime,
                three_prime,
            },
        ) => five_prime != three_prime && (has(five_prime) || has(three_prime)),
        (GroupEvent::DeepDeletion, Finding::CopyNumber { gene, level }) => {
            has(gene) && *level == crate::genomics::CopyNumber::DeepDeletion
        }
        (GroupEvent::Amplification, Finding::CopyNumber { gene, level }) => {
            has(gene) && *level == crate::genomics::CopyNumber::Amplification
        }
        _ => false,
    })
}

fn row(g: &GeneGroup, genes: &[String], level: &str, samples: &[Sample]) -> FrequencyRow {
    let primary = g.events[0];
    let sub = GeneGroup {
        genes: genes.to_vec(),
        ..g.clone()
    };
    let (mut altered, mut profiled, mut outside) = (0, 0, 0);
    for s in samples {
        let covered = genes
            .iter()
            .all(|gene| coverage_for(s, primary).covers_event(gene, primary));
        let hit = s.findings.iter().any(|f| in_group(&sub, &f.finding));
        match (covered, hit) {
            (true, true) => {
                altered += 1;
                profiled += 1;
            }
            (true, false) => profiled += 1,
            (false, true) => outside += 1,
            (false, false) => {}
        }
    }
    FrequencyRow {
        level: level.to_string(),
        group: g.id.clone(),
        name: if level == "gene" {
            genes.join(",")
        } else {
            g.name.clone()
        },
        genes: genes.to_vec(),
        altered,
        profiled,
        percent: (profiled > 0).then(|| (1000.0 * altered as f64 / profiled as f64).round() / 10.0),
        altered_outside_coverage: outside,
        published_percent: if level == "group" {
            g.published_percent
        } else {
            None
        },
        published_source: if level == "group" {
            g.published_source.clone()
        } else {
            None
        },
    }
}

/// The frequency table: one row per knowledge-base gene group, each followed, for a group of
/// several genes, by one row per gene (the same events, the gene's own coverage).
pub fn frequency_table(kb: &Kb, samples: &[Sample]) -> Vec<FrequencyRow> {
    let mut rows = Vec::new();
    for g in &kb.genes.groups {
        rows.push(row(g, &g.genes, "group", samples));
        if g.genes.len() > 1 {
            for gene in &g.genes {
                rows.push(row(g, std::slice::from_ref(gene), "gene", samples));
            }
        }
    }
    rows
}

/// One patient's line of the cohort report.
#[derive(Debug, Clone, Serialize)]
pub struct PatientSummary {
    pub patient: String,
    pub samples: Vec<String>,
    /// The most actionable finding (`BRAF p.Val600Glu`), its level and where it was read.
    pub actionable: Option<String>,
    pub level: Option<String>,
    pub source: Option<String>,
    /// Every finding with a therapeutic level, most actionable first.
    pub all_actionable: Vec<String>,
    /// First-line options of `assess` on what the files contain, with their conditions
    /// (`surgery_total_thyroidectomy [if resectable]`).
    pub first_line: Vec<String>,
    /// First-line options of `assess` on the same case with distant metastases (M1, stage IVC)
    /// assumed: where a driver changes the plan (a RET fusion: selpercatinib).
    pub first_line_if_ivc: Vec<String>,
    /// The stage `assess` used (usually `unknown` with a provisional group: files rarely stage).
    pub stage: String,
    /// What the plan could not know (tests not covered by the sample's panels).
    pub unknown: Vec<String>,
}

/// The rank of a level for "most actionable": sensitive levels first (1 > 2 > 3A > 3B > 4),
/// then resistance.
fn level_rank(level: Option<&str>) -> usize {
    const SENSITIVE_FIRST: [&str; 7] = [
        "LEVEL_1", "LEVEL_2", "LEVEL_3A", "LEVEL_3B", "LEVEL_4", "LEVEL_R1", "LEVEL_R2",
    ];
    debug_assert_eq!(SENSITIVE_FIRST.len(), LEVEL_ORDER.len());
    level
        .and_then(|l| SENSITIVE_FIRST.iter().position(|x| *x == l))
        .unwrap_or(usize::MAX)
}

fn describe(f: &Finding, a: &Annotation) -> String {
    match f {
        Finding::Variant {
            gene,
            protein,
            coding,
            ..
        } => match (protein, coding, &a.name) {
            (Some(p), _, _) => format!("{gene} {}", p.normalized),
            (None, _, Some(n)) => format!("{gene} {n}"),
            (None, Some(c), None) => format!("{gene} {}", c.normalized),
            _ => format!("{gene} variant"),
        },
        Finding::Fusion {
            five_prime,
            three_prime,
        } => format!("{five_prime}-{three_prime} fusion"),
        Finding::Rearrangement { gene } => format!("{gene} rearrangement, partner unknown"),
        Finding::CopyNumber { gene, level } => format!("{gene} {level:?}"),
        Finding::Tmb { mut_per_mb } => format!("TMB {mut_per_mb} mut/Mb"),
        Finding::Msi { status } => format!("MSI {status:?}"),
    }
}

/// Summarises one patient from their samples: the actionable finding, and `assess` on a case
/// holding only what the files say (decision date `as_of`; histology anaplastic when the
/// clinical data say so).
pub fn summarise_patient(
    kb: &Kb,
    config: &Config,
    patient: &str,
    samples: &[&Sample],
    anaplastic: bool,
    as_of: jiff::civil::Date,
) -> PatientSummary {
    // Tumour-wide values that disagree between rows (two TMB values for the patient) are no
    // finding: the merge below reports the disagreement.
    let distinct = |pick: fn(&Finding) -> Option<String>| {
        samples
            .iter()
            .flat_map(|s| s.findings.iter().filter_map(|f| pick(&f.finding)))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1
    };
    let tmb_split = distinct(|f| match f {
        Finding::Tmb { mut_per_mb } => Some(mut_per_mb.to_string()),
        _ => None,
    });
    let msi_split = distinct(|f| match f {
        Finding::Msi { status } => Some(format!("{status:?}")),
        _ => None,
    });
    let mut hits: Vec<(usize, String, Option<String>, String)> = Vec::new();
    for s in samples {
        for f in &s.findings {
            if (tmb_split && matches!(f.finding, Finding::Tmb { .. }))
                || (msi_split && matches!(f.finding, Finding::Msi { .. }))
            {
                continue;
            }
            let a = annotate_finding(kb, &f.finding);
            if a.highest_level.is_some() {
                hits.push((
                    level_rank(a.highest_level.as_deref()),
                    describe(&f.finding, &a),
                    a.highest_level.clone(),
                    format!("{} line {}", f.file, f.line),
                ));
            }
        }
    }
    hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    hits.dedup_by(|a, b| a.1 == b.1);

    let mut files = Vec::new();
    for s in samples {
        // A profiled sample results its test; what it proves absent is the coverage rule's
        // (`genomics::coverage`, applied by the merge).
        let split =
            |kind: FileKind, keep: &dyn Fn(&Finding) -> bool, coverage: &Coverage| MolecularFile {
                name: s.id.clone(),
                kind,
                findings: s
                    .findings
                    .iter()
                    .filter(|f| keep(&f.finding))
                    .cloned()
                    .collect(),
                not_merged: 0,
                results_test: *coverage != Coverage::NotProfiled,
                notes: Vec::new(),
                coverage: coverage.clone(),
                alerts: Vec::new(),
            };
        files.push(split(
            FileKind::Mutations,
            &|f| matches!(f, Finding::Variant { .. }),
            &s.mutations,
        ));
        files.push(split(
            FileKind::Fusions,
            &|f| matches!(f, Finding::Fusion { .. }),
            &s.structural_variants,
        ));
        files.push(split(
            FileKind::Clinical,
            &|f| matches!(f, Finding::Tmb { .. } | Finding::Msi { .. }),
            &Coverage::NotProfiled,
        ));
    }
    let base = Case {
        id: patient.to_string(),
        as_of,
        source: None,
        patient: Patient::default(),
        labs: Labs::default(),
        diagnosis: Diagnosis {
            histology: anaplastic.then_some(Histology::Anaplastic),
            ..Diagnosis::default()
        },
        tumor: Tumor::default(),
        molecular: Molecular::default(),
        treatments: Vec::new(),
        preferences: Preferences::default(),
        events: Vec::new(),
    };
    // Two samples of one patient can disagree (TMB of a primary and of a metastasis): the plan
    // then uses the case as the first sample gives it, and the disagreement is reported.
    let (case, problems) = match merge(&base, &files, kb) {
        Ok((c, _)) => (c, Vec::new()),
        Err(problems) => (base, problems),
    };
    let a = assess(&case, kb, config);
    // What stays unknown is the merge's coverage rule (`genomics::coverage`): a panel without
    // BRAF must not make BRAF V600E "not detected".
    let p = &a.molecular;
    let mut unknown = Vec::new();
    if p.braf_v600e.state == State::Unknown {
        unknown.push(
            "absence of BRAF V600E not established (no sequencing covering BRAF)".to_string(),
        );
    }
    if [&p.ntrk_fusion, &p.ret_fusion, &p.alk_fusion]
        .iter()
        .any(|f| f.state == State::Unknown)
    {
        unknown.push(
            "absence of NTRK/RET/ALK fusions not established (no fusion profiling covering them)"
                .to_string(),
        );
    }
    unknown.extend(problems);
    let first = |a: &crate::report::Assessment| -> Vec<String> {
        a.options
            .iter()
            .filter(|o| o.line == Line::First)
            .map(|o| match &o.condition {
                Some(c) => format!("{} [{c}]", o.id.id()),
                None => o.id.id().to_string(),
            })
            .collect()
    };
    let first_line = first(&a);
    let mut ivc = case.clone();
    ivc.tumor.m = Some(M::M1);
    let first_line_if_ivc = first(&assess(&ivc, kb, config));
    let stage = match &a.stage.provisional {
        Some(p) if a.stage.group == "unknown" => format!("unknown (provisional {p})"),
        _ => a.stage.group.clone(),
    };
    let top = hits.first();
    PatientSummary {
        patient: patient.to_string(),
        samples: samples.iter().map(|s| s.id.clone()).collect(),
        actionable: top.map(|h| h.1.clone()),
        level: top.and_then(|h| h.2.clone()),
        source: top.map(|h| h.3.clone()),
        all_actionable: hits
            .iter()
            .map(|h| format!("{} ({})", h.1, h.2.as_deref().unwrap_or("")))
            .collect(),
        first_line,
        first_line_if_ivc,
        stage,
        unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(genes: &[&str], events: Vec<GroupEvent>) -> GeneGroup {
        GeneGroup {
            id: "g".into(),
            name: "g".into(),
            genes: genes.iter().map(|g| g.to_string()).collect(),
            events,
            published_percent: None,
            published_source: None,
            references: Vec::new(),
        }
    }

    fn variant(gene: &str, class: VariantClass) -> Sourced {
        Sourced {
            sample: None,
            finding: Finding::Variant {
                gene: gene.into(),
                protein: None,
                coding: None,
                class: Some(class),
                build: None,
                chromosome: None,
                position: None,
                reference: None,
                alternate: None,
                conflict: None,
            },
            file: "f".into(),
            line: 1,
        }
    }

    fn sample(id: &str, mutations: Coverage, findings: Vec<Sourced>) -> Sample {
        Sample {
            id: id.into(),
            patient: id.into(),
            mutations,
            findings,
            ..Sample::default()
        }
    }

    #[test]
    fn genes_are_compared_case_insensitively() {
        let g = group(&["BRAF"], vec![GroupEvent::Mutation]);
        assert!(in_group(
            &g,
            &variant("braf", VariantClass::Missense).finding
        ));
        let f = group(&["BRAF"], vec![GroupEvent::Fusion]);
        let fusion = Finding::Fusion {
            five_prime: "KIAA1549".into(),
            three_prime: "Braf".into(),
        };
        assert!(in_group(&f, &fusion));
    }

    /// Three samples with BRAF mutated: S1 whole exome, S2 on a panel without BRAF, S3 not
    /// profiled; S4 whole exome wild-type. Covered: S1, S4 -> 1/2 = 50%; outside: S2, S3.
    #[test]
    fn percent_is_altered_among_covered_and_outside_is_apart() {
        let g = group(&["BRAF"], vec![GroupEvent::Mutation]);
        let small = Coverage::Panel(["TP53".to_string()].into_iter().collect());
        let ss = vec![
            sample(
                "S1",
                Coverage::AllGenes,
                vec![variant("BRAF", VariantClass::Missense)],
            ),
            sample("S2", small, vec![variant("BRAF", VariantClass::Missense)]),
            sample(
                "S3",
                Coverage::NotProfiled,
                vec![variant("BRAF", VariantClass::Missense)],
            ),
            sample("S4", Coverage::AllGenes, vec![]),
        ];
        let r = row(&g, &g.genes, "group", &ss);
        assert_eq!(
            (r.altered, r.profiled, r.percent, r.altered_outside_coverage),
            (1, 2, Some(50.0), 2)
        );
        // Nobody covered: not estimable, the detections still reported.
        let r = row(&g, &g.genes, "group", &ss[1..3]);
        assert_eq!(
            (r.altered, r.profiled, r.percent, r.altered_outside_coverage),
            (0, 0, None, 2)
        );
    }

    /// Whole exome does not cover the TERT promoter; a panel listing TERT does.
    #[test]
    fn promoters_need_a_panel_listing_the_gene() {
        assert!(!Coverage::AllGenes.covers_event("TERT", GroupEvent::Promoter));
        assert!(Coverage::AllGenes.covers_event("TERT", GroupEvent::Mutation));
        let impact = Coverage::Panel(["TERT".to_string()].into_iter().collect());
        assert!(impact.covers_event("TERT", GroupEvent::Promoter));
        let g = group(&["TERT"], vec![GroupEvent::Promoter]);
        let ss = vec![
            sample(
                "S1",
                Coverage::AllGenes,
                vec![variant("TERT", VariantClass::Promoter)],
            ),
            sample("S2", impact, vec![variant("TERT", VariantClass::Promoter)]),
        ];
        let r = row(&g, &g.genes, "group", &ss);
        assert_eq!(
            (r.altered, r.profiled, r.altered_outside_coverage),
            (1, 1, 1)
        );
    }
}
