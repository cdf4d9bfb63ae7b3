//! The molecular profile of a case: each actionable finding is detected, not detected or
//! unknown, with the basis in words. Unknown is never not detected.
//!
//! Scope rules (`case-format.md`): listed variants and fusions are detected; a resulted test
//! that does not list an alteration makes it not detected only within that test's scope
//! (`braf_v600e_ihc`/`braf_v600e_pcr`: BRAF V600E; `ngs_dna`: point variants, not fusions;
//! `ngs_rna`: fusions). A BRAF entry without its protein change leaves BRAF V600E unknown. A test
//! resulted by result files that do not show a gene covered (`molecular.coverage_not_shown`,
//! `genomics::coverage`) proves nothing about that gene: it stays unknown.

use serde::Serialize;

use crate::case::{Case, Mmr, Msi, TestId};
use atcpath_kb::Thresholds;

/// State of one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Detected,
    NotDetected,
    Unknown,
}

/// One actionable finding with why it has its state.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub state: State,
    /// The facts of the case that decided the state.
    pub basis: String,
    /// Whether a test that would settle it is pending.
    pub pending: bool,
}

impl Finding {
    fn new(state: State, basis: impl Into<String>, pending: bool) -> Self {
        Finding {
            state,
            basis: basis.into(),
            pending,
        }
    }
    pub fn detected(&self) -> bool {
        self.state == State::Detected
    }
    pub fn unknown(&self) -> bool {
        self.state == State::Unknown
    }
}

/// How BRAF V600E was found, which decides whether it needs confirming by sequencing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BrafMethod {
    Sequencing,
    ImmunohistochemistryOrTargeted,
    NotStated,
}

/// The actionable findings the ATC pathway branches on (clinical-pathway §4).
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub braf_v600e: Finding,
    pub braf_method: Option<BrafMethod>,
    /// A BRAF variant reported without its protein change.
    pub braf_unspecified: bool,
    pub ntrk_fusion: Finding,
    pub ret_fusion: Finding,
    pub alk_fusion: Finding,
    /// dMMR, MSI-high or TMB at or above the threshold.
    pub msi_dmmr_tmb: Finding,
    /// PD-L1 TPS at or above the threshold.
    pub pd_l1_high: Finding,
    /// RAS (NRAS, HRAS, KRAS), NF1 or NF2 variant listed.
    pub ras_nf1_nf2: bool,
}

impl Profile {
    /// Whether a driver with a matched targeted therapy is detected.
    pub fn has_driver(&self) -> bool {
        [
            &self.braf_v600e,
            &self.ntrk_fusion,
            &self.ret_fusion,
            &self.alk_fusion,
        ]
        .iter()
        .any(|f| f.detected())
    }
}

/// Whether a variant is BRAF V600E (protein or coding change).
pub(crate) fn is_v600e(v: &crate::case::Variant) -> bool {
    v.gene == "BRAF"
        && (v
            .protein
            .as_ref()
            .is_some_and(|p| p.normalized == "p.Val600Glu")
            || v.coding.as_ref().is_some_and(|c| {
                c.normalized == "c.1799T>A" || c.normalized == "c.1799_1800delinsAA"
            }))
}

/// Derives the profile of a case. Pure.
///
/// `fusion_drivers` (`genes.toml`) decide which partner's kinase a fusion keeps
/// ([`crate::genomics::fusion_kinase`]: the 3' partner when it is a driver). A rearrangement of
/// the kinase with no named partner leaves the fusion unknown, never not detected.
pub fn profile(case: &Case, th: &Thresholds, fusion_drivers: &[String]) -> Profile {
    let mo = &case.molecular;
    let resulted = |t: TestId| mo.resulted.contains(&t);
    let pending = |t: TestId| mo.pending.contains(&t);
    // The files resulting `t` without showing `gene` covered, if so.
    let not_shown = |t: TestId, gene: &str| {
        mo.coverage_not_shown
            .iter()
            .find(|n| n.test == t && n.genes.iter().any(|g| g == gene))
            .map(|n| n.files.join(", "))
    };
    let covers = |t: TestId, gene: &str| resulted(t) && not_shown(t, gene).is_none();

    // BRAF V600E
    let v600e = mo.variants.iter().position(is_v600e);
    let braf_unspecified = mo
        .variants
        .iter()
        .any(|v| v.gene == "BRAF" && v.protein.is_none() && v.coding.is_none());
    let braf_tests = [TestId::BrafV600eIhc, TestId::BrafV600ePcr, TestId::NgsDna];
    let braf_pending = braf_tests.iter().any(|t| pending(*t));
    let (braf_v600e, braf_method) = if let Some(i) = v600e {
        let method = if resulted(TestId::NgsDna) {
            BrafMethod::Sequencing
        } else if resulted(TestId::BrafV600eIhc) || resulted(TestId::BrafV600ePcr) {
            BrafMethod::ImmunohistochemistryOrTargeted
        } else {
            BrafMethod::NotStated
        };
        (
            Finding::new(
                State::Detected,
                match &mo.variants[i].source {
                    Some(src) => format!("BRAF V600E in {src}"),
                    None => format!("BRAF V600E listed (molecular.variants[{i}])"),
                },
                braf_pending,
            ),
            Some(method),
        )
    } else if braf_unspecified {
        (
            Finding::new(
                State::Unknown,
                "a BRAF variant is reported without its protein change",
                braf_pending,
            ),
            None,
        )
    } else if let Some(t) = braf_tests.iter().find(|t| covers(**t, "BRAF")) {
        (
            Finding::new(
                State::NotDetected,
                format!("{} resulted without BRAF V600E", test_name(*t)),
                braf_pending,
            ),
            None,
        )
    } else if let Some(files) =
        not_shown(TestId::NgsDna, "BRAF").filter(|_| resulted(TestId::NgsDna))
    {
        (
            Finding::new(
                State::Unknown,
                format!("ngs_dna resulted by {files}, but coverage of BRAF not shown"),
                braf_pending,
            ),
            None,
        )
    } else if braf_pending {
        (
            Finding::new(State::Unknown, "BRAF testing pending", true),
            None,
        )
    } else {
        (
            Finding::new(State::Unknown, "BRAF V600E not tested", false),
            None,
        )
    };

    // Fusions: ngs_rna covers them.
    let fusion = |genes: &[&str], label: &str| {
        if let Some((i, f)) = mo.fusions.iter().enumerate().find(|(_, f)| {
            crate::genomics::fusion_kinase_of(fusion_drivers, &f.five_prime, &f.three_prime)
                .is_some_and(|k| genes.contains(&k))
        }) {
            Finding::new(
                State::Detected,
                match &f.source {
                    Some(src) => format!("{}-{} fusion in {src}", f.five_prime, f.three_prime),
                    None => format!(
                        "{}-{} fusion listed (molecular.fusions[{i}])",
                        f.five_prime, f.three_prime
                    ),
                },
                false,
            )
        } else if let Some(r) = mo
            .rearrangements
            .iter()
            .find(|r| genes.contains(&r.gene.as_str()))
        {
            Finding::new(
                State::Unknown,
                format!(
                    "{} rearrangement, partner unknown{}: not a confirmed fusion and not a negative; confirm the partner (RNA-based fusion testing or the laboratory's report)",
                    r.gene,
                    r.source
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                ),
                false,
            )
        } else if let Some(files) = genes
            .iter()
            .find_map(|g| not_shown(TestId::NgsRna, g))
            .filter(|_| resulted(TestId::NgsRna))
        {
            Finding::new(
                State::Unknown,
                format!("ngs_rna resulted by {files}, but coverage of {label} not shown"),
                false,
            )
        } else if genes.iter().all(|g| covers(TestId::NgsRna, g)) {
            Finding::new(
                State::NotDetected,
                format!("ngs_rna resulted without {} {label} fusion", article(label)),
                false,
            )
        } else if pending(TestId::NgsRna) {
            Finding::new(
                State::Unknown,
                format!("{label} fusion status pending (ngs_rna)"),
                true,
            )
        } else {
            Finding::new(
                State::Unknown,
                format!("{label} fusions not tested (needs RNA-based fusion testing)"),
                false,
            )
        }
    };
    let ntrk_fusion = fusion(&["NTRK1", "NTRK2", "NTRK3"], "NTRK1/2/3");
    let ret_fusion = fusion(&["RET"], "RET");
    let alk_fusion = fusion(&["ALK"], "ALK");

    // dMMR / MSI-high / TMB-high
    let tmb_high = mo.tmb_mut_per_mb.map(|t| t >= th.tmb_high_mut_per_mb);
    let imm_pending = [TestId::MmrIhc, TestId::MsiPcr, TestId::Tmb]
        .iter()
        .any(|t| pending(*t));
    let msi_dmmr_tmb = if mo.mmr == Some(Mmr::Deficient) {
        Finding::new(
            State::Detected,
            "mismatch-repair deficient (dMMR)",
            imm_pending,
        )
    } else if mo.msi == Some(Msi::High) {
        Finding::new(State::Detected, "MSI-high", imm_pending)
    } else if tmb_high == Some(true) {
        Finding::new(
            State::Detected,
            format!(
                "TMB {} mut/Mb (threshold {})",
                mo.tmb_mut_per_mb.unwrap_or_default(),
                th.tmb_high_mut_per_mb
            ),
            imm_pending,
        )
    } else if (mo.mmr.is_some() || mo.msi.is_some()) && tmb_high == Some(false) {
        Finding::new(
            State::NotDetected,
            "MMR/MSI and TMB known, none qualifying",
            imm_pending,
        )
    } else if mo.mmr.is_some() || mo.msi.is_some() {
        // MMR/MSI negative; TMB not known: TMB-high alone would still qualify.
        Finding::new(
            State::Unknown,
            "MMR proficient / MSS, but TMB not known",
            imm_pending,
        )
    } else if tmb_high == Some(false) {
        Finding::new(
            State::Unknown,
            "TMB below threshold, but MMR/MSI not known",
            imm_pending,
        )
    } else {
        Finding::new(State::Unknown, "MMR/MSI and TMB not known", imm_pending)
    };

    let pd_l1_high = match mo.pd_l1_tps_percent {
        Some(tps) if tps >= th.pd_l1_high_tps_percent => Finding::new(
            State::Detected,
            format!(
                "PD-L1 TPS {tps}% (threshold {}%)",
                th.pd_l1_high_tps_percent
            ),
            false,
        ),
        Some(tps) => Finding::new(
            State::NotDetected,
            format!(
                "PD-L1 TPS {tps}% (threshold {}%)",
                th.pd_l1_high_tps_percent
            ),
            false,
        ),
        None => Finding::new(
            State::Unknown,
            if pending(TestId::PdL1Ihc) {
                "PD-L1 pending"
            } else {
                "PD-L1 not tested"
            },
            pending(TestId::PdL1Ihc),
        ),
    };
    let ras_nf1_nf2 = mo
        .variants
        .iter()
        .any(|v| matches!(v.gene.as_str(), "NRAS" | "HRAS" | "KRAS" | "NF1" | "NF2"));
    Profile {
        braf_v600e,
        braf_method,
        braf_unspecified,
        ntrk_fusion,
        ret_fusion,
        alk_fusion,
        msi_dmmr_tmb,
        pd_l1_high,
        ras_nf1_nf2,
    }
}

/// "an" before a vowel sound (ALK, NTRK, RET are read letter by letter or as words).
fn article(label: &str) -> &'static str {
    if label.starts_with(['A', 'E', 'I', 'O', 'N']) {
        "an"
    } else {
        "a"
    }
}

/// The id of a molecular test as written in case files.
pub fn test_name(t: TestId) -> &'static str {
    match t {
        TestId::BrafV600eIhc => "braf_v600e_ihc",
        TestId::BrafV600ePcr => "braf_v600e_pcr",
        TestId::NgsDna => "ngs_dna",
        TestId::NgsRna => "ngs_rna",
        TestId::PdL1Ihc => "pd_l1_ihc",
        TestId::MmrIhc => "mmr_ihc",
        TestId::MsiPcr => "msi_pcr",
        TestId::Tmb => "tmb",
    }
}
