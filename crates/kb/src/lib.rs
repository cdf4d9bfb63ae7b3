//! The ATCPath knowledge base: clinical knowledge as versioned data.
//!
//! The TOML files under the repository's `kb/` folder are compiled into the binary
//! ([`Kb::embedded`]) so that the product needs nothing outside itself at run time; a
//! folder of the same files can be loaded instead ([`Kb::from_dir`]) to try a new version.
//! Loading validates everything: unknown fields, unknown option, rule, alert or work-up ids,
//! duplicate ids and citations that do not resolve are refused with a message naming
//! the file and the entry. This crate knows nothing of cases, rules' logic or output.

pub mod hotspot_positions;
pub mod vocab;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
pub use vocab::*;

/// Knowledge-base identity, shown on every report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Semantic version of the clinical content (not of the code).
    pub version: String,
    /// Date the content was last reviewed, ISO 8601.
    pub date: String,
    pub title: String,
    /// Who must review the content before clinical use, and how.
    pub disclaimer: String,
}

/// Regulatory status of one option in one region, as known on `date`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regulatory {
    /// `US`, `EU`, ...
    pub region: String,
    /// `FDA`, `EMA`, ...
    pub agency: String,
    /// e.g. `approved`, `accelerated approval`, `not approved`, `off-label`, `withdrawn`.
    pub status: String,
    /// The indication the status applies to.
    pub indication: String,
    /// Date of the decision (or of the last check), ISO 8601.
    pub date: String,
    pub references: Vec<String>,
}

/// One option of the vocabulary with its description, evidence and regulatory status.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    pub id: OptionId,
    pub name: String,
    /// Default intent; the pathway may restate it for a stage (e.g. disease control in IVC).
    pub intent: Intent,
    /// Modalities it uses: a patient who declines or is unfit for any of them cannot receive it.
    pub modalities: Vec<Modality>,
    pub description: String,
    /// Published outcome summary in ATC, with its references.
    pub evidence: String,
    pub references: Vec<String>,
    #[serde(default)]
    pub regulatory: Vec<Regulatory>,
}

/// A decision rule's identity and source; the logic lives in the pathway engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: RuleId,
    /// What the rule says, in one sentence.
    pub summary: String,
    /// Guideline recommendation and grade, e.g. "ATA 2021 R20 (strong; low-quality evidence)".
    pub recommendation: String,
    pub references: Vec<String>,
}

/// An alert's fixed text and source; the pathway decides when it fires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertDef {
    pub id: AlertId,
    pub severity: Severity,
    /// What to do, for the clinician.
    pub action: String,
    pub references: Vec<String>,
}

/// A work-up item's purpose and source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkupDef {
    pub id: WorkupId,
    pub title: String,
    pub why: String,
    pub references: Vec<String>,
}

/// A citable source under a short key (`review:N`, `ata2021`, `fda:...`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub key: String,
    pub citation: String,
    pub doi: Option<String>,
    pub url: Option<String>,
    pub note: Option<String>,
}

/// A clinical trial of the review's Table 2.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    pub nct_id: String,
    pub title: String,
    pub interventions: Vec<String>,
    pub phase: String,
    pub setting: TrialSetting,
    pub biomarker: TrialBiomarker,
    pub status: String,
    /// Date the status was last known, ISO 8601: statuses age.
    pub status_date: String,
    pub references: Vec<String>,
    pub note: Option<String>,
}

/// A study of the review's Table 1 (outcomes of multimodal treatment).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    pub id: String,
    pub references: Vec<String>,
    pub design: String,
    pub n: Option<u32>,
    pub stage_mix: Option<String>,
    pub surgery: Option<String>,
    pub radiotherapy: Option<String>,
    pub regimen: String,
    pub outcomes: String,
}

/// A published outcome benchmark (clinical-reference §7).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    pub id: String,
    pub cohort: String,
    pub n: String,
    pub result: String,
    /// Stage groups (`IVA`, `IVB`, `IVC`) it speaks to.
    pub stages: Vec<String>,
    /// Options it speaks to; empty means any.
    pub options: Vec<OptionId>,
    pub references: Vec<String>,
}

/// A fast-track interval between two events, with its target when one is set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalDef {
    pub id: String,
    pub from: EventKind,
    pub to: EventKind,
    /// Target in days; `None` = measured, no target.
    pub target_days: Option<u32>,
    /// Where the target comes from (a guideline, or "project default").
    pub source: String,
    pub references: Vec<String>,
}

/// Numeric thresholds the rules use (clinical-pathway §4), each a fact with a source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// PD-L1 tumour proportion score (%) at or above which PD-L1 is "high" (ATA R24; review:10).
    pub pd_l1_high_tps_percent: f64,
    /// Tumour mutational burden (mut/Mb) at or above which TMB is "high" (FDA pembrolizumab TMB-H label).
    pub tmb_high_mut_per_mb: f64,
    /// Organ sites of metastasis at most for "low metastatic burden" (project choice).
    pub low_metastatic_burden_max_sites: u32,
    /// Creatinine clearance (mL/min) below which cisplatin is avoided and `renal_impairment` fires.
    pub crcl_renal_impairment_ml_min: f64,
    /// LVEF (%) below which anthracyclines are avoided.
    pub lvef_anthracycline_min_percent: f64,
    /// Lifetime cumulative doxorubicin (mg/m2) above which anthracyclines are avoided.
    pub doxorubicin_cumulative_max_mg_m2: f64,
    /// Total bilirubin upper limit of normal (mg/dL) for the taxane alert.
    pub bilirubin_uln_mg_dl: f64,
    /// MSIsensor score at or above which a tumour is MSI-high (MSK-IMPACT; Middha et al., JCO
    /// Precision Oncology 2017).
    pub msisensor_high_at_least: f64,
    /// MSIsensor score below which a tumour is microsatellite stable (same source); scores in
    /// between are indeterminate.
    pub msisensor_stable_below: f64,
    pub references: Vec<String>,
}

/// The facts file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub thresholds: Thresholds,
    #[serde(rename = "interval")]
    pub intervals: Vec<IntervalDef>,
    pub drug_classes: DrugClasses,
    pub dosing: DosingPolicy,
    pub drug_names: DrugNames,
    #[serde(default)]
    pub cross_resistance: Vec<CrossResistance>,
    /// Eras of diagnosis for the outcome analysis, in order.
    #[serde(rename = "outcome_era", default)]
    pub outcome_eras: Vec<OutcomeEra>,
    /// First-treatment groups for the outcome analysis, in precedence order.
    #[serde(rename = "treatment_group", default)]
    pub treatment_groups: Vec<TreatmentGroup>,
}

/// An era of diagnosis (calendar years, bounds included; an absent bound is open).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeEra {
    pub id: String,
    pub first_year: Option<i16>,
    pub last_year: Option<i16>,
    /// Ids of `benchmarks.toml` entries to show beside this era's figures.
    pub benchmarks: Vec<String>,
}

impl OutcomeEra {
    /// Whether a diagnosis in `year` belongs to this era.
    pub fn contains(&self, year: i16) -> bool {
        self.first_year.is_none_or(|f| year >= f) && self.last_year.is_none_or(|l| year <= l)
    }
}

/// A group of first treatments: drugs (generic names) or timeline event kinds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentGroup {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub drugs: Vec<String>,
    #[serde(default)]
    pub events: Vec<EventKind>,
    /// Ids of `benchmarks.toml` entries to show beside this group's figures.
    pub benchmarks: Vec<String>,
}

/// Options sharing resistance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossResistance {
    pub options: Vec<OptionId>,
    pub note: String,
}

/// Drug names a case file may use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugNames {
    /// Lower-case generic names.
    pub known: Vec<String>,
    /// Salt words stripped from a generic name ("lenvatinib mesylate").
    pub salts: Vec<String>,
    /// Brand or other names, lower case, to the generic name.
    pub aliases: BTreeMap<String, String>,
    /// Sources of the brand names and salt forms (keys of `references.toml`).
    pub references: Vec<String>,
}

/// BSA formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BsaFormula {
    /// sqrt(height cm x weight kg / 3600) (Mosteller, N Engl J Med 1987).
    Mosteller,
    /// 0.007184 x height^0.725 x weight^0.425 (DuBois & DuBois, Arch Intern Med 1916).
    Dubois,
}

/// Which weight Cockcroft-Gault uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrclWeight {
    Actual,
    Ideal,
    Adjusted,
    /// Actual, or ideal when actual is lower, or adjusted when the obesity trigger is met.
    Auto,
}

/// What makes `auto` use adjusted body weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustedTrigger {
    Bmi,
    PercentIbw,
}

/// Dosing policy: every institutional choice explicit (clinical-reference §5).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DosingPolicy {
    pub bsa_formula: BsaFormula,
    /// BSA above this (m2) is flagged.
    pub bsa_flag_above_m2: f64,
    /// Institutional BSA cap (m2); `None` = no cap (ASCO).
    pub bsa_cap_m2: Option<f64>,
    pub crcl_weight: CrclWeight,
    pub adjusted_weight_trigger: AdjustedTrigger,
    pub adjusted_weight_bmi: f64,
    pub adjusted_weight_percent_ibw: f64,
    /// Serum creatinine floor (mg/dL) applied before Cockcroft-Gault; `None` = no floor.
    pub creatinine_floor_mg_dl: Option<f64>,
    /// GFR cap for Calvert (mL/min); `None` = no cap.
    pub carboplatin_gfr_cap_ml_min: Option<f64>,
    /// Creatinine clearance below which carboplatin is dosed with caution.
    pub carboplatin_caution_crcl_ml_min: f64,
    /// Largest rounding change allowed, % of the calculated dose.
    pub rounding_max_percent: f64,
    pub references: Vec<String>,
}

/// Dose basis of a drug in a regimen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoseBasis {
    #[serde(rename = "mg/m2")]
    MgPerM2,
    /// Carboplatin target AUC (mg/mL x min), Calvert.
    #[serde(rename = "auc")]
    Auc,
    #[serde(rename = "mg/kg")]
    MgPerKg,
    /// Flat dose.
    #[serde(rename = "mg")]
    Mg,
}

/// A weight band replacing the dose below a weight.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightBand {
    pub below_kg: f64,
    pub dose: f64,
}

/// One drug of a regimen.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimenDrug {
    /// Lower-case generic name.
    pub drug: String,
    pub basis: DoseBasis,
    /// Default dose in the basis unit.
    pub dose: f64,
    /// Published range, when the source gives one.
    pub range: Option<[f64; 2]>,
    /// Where the default within the range comes from.
    pub default_source: Option<String>,
    pub route: String,
    pub days: String,
    /// Practical rounding increment (mg); `None` = not rounded (oral fixed doses).
    pub rounding_mg: Option<f64>,
    /// A value for pharmacist review.
    pub flag: Option<String>,
    #[serde(default, rename = "band")]
    pub bands: Vec<WeightBand>,
}

/// A regimen of the review's Table 3 (or RTOG 0912).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regimen {
    pub id: String,
    pub option: OptionId,
    /// Other options that use this regimen.
    #[serde(default)]
    pub also_options: Vec<OptionId>,
    pub name: String,
    pub cycle_days: u32,
    /// The option's preferred regimen (listed first in `assess`; the one progression is judged on).
    pub default_for_option: bool,
    pub references: Vec<String>,
    #[serde(rename = "drug")]
    pub drugs: Vec<RegimenDrug>,
}

/// How an actionability entry recognises a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// Exact normalised HGVS protein change(s).
    Protein,
    /// Any missense change at the listed codons.
    Codons,
    /// Nonsense, frameshift or splice-site variant.
    Truncating,
    /// Promoter variant: genomic position per build, or HGVS coding change.
    Promoter,
    /// Fusion with the gene at either end.
    Fusion,
    /// Any variant of the gene.
    Any,
    /// A discrete copy-number level of the gene (`copy_number` lists them).
    #[serde(rename = "copy_number")]
    CopyNumber,
    /// A tumour-wide biomarker (`biomarker`: `tmb_high` or `msi_high`); `gene` is the biomarker's
    /// name as oncokb-annotator writes it (`TMB-H`, `MSI-H`).
    Biomarker,
}

/// Tumour-wide biomarkers with an actionability entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Biomarker {
    /// Tumour mutational burden at or above `facts.thresholds.tmb_high_mut_per_mb`.
    TmbHigh,
    /// Microsatellite instability high (dMMR by IHC is mapped to it, with a caveat).
    MsiHigh,
}

/// A therapeutic level with its drugs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDrugs {
    /// OncoKB level: 1, 2, 3A, 3B, 4, R1, R2.
    pub level: String,
    pub drugs: Vec<String>,
}

/// A genomic position (1-based) of a named variant on a reference build.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenomicPosition {
    pub build: String,
    pub chromosome: String,
    pub position: u64,
    pub name: String,
}

/// The actionability of one alteration in anaplastic thyroid cancer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actionability {
    pub id: String,
    /// Gene symbol, or several separated by commas.
    pub gene: String,
    #[serde(rename = "match")]
    pub kind: MatchKind,
    #[serde(default)]
    pub protein: Vec<String>,
    #[serde(default)]
    pub codons: Vec<u32>,
    #[serde(default)]
    pub coding: Vec<String>,
    #[serde(default)]
    pub positions: Vec<GenomicPosition>,
    /// For `copy_number`: the levels that match (`deep_deletion`, `shallow_deletion`, `gain`,
    /// `amplification`).
    #[serde(default)]
    pub copy_number: Vec<String>,
    /// For `biomarker`: which one.
    pub biomarker: Option<Biomarker>,
    pub oncogenic: String,
    pub levels: Vec<LevelDrugs>,
    pub options: Vec<OptionId>,
    pub regulatory: String,
    pub prognostic: String,
    pub references: Vec<String>,
}

impl Actionability {
    /// The genes this entry covers.
    pub fn genes(&self) -> impl Iterator<Item = &str> {
        self.gene.split(',').map(str::trim)
    }
}

/// A run of identical radiotherapy fractions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtPhase {
    pub target: String,
    pub dose_per_fraction_gy: f64,
    pub fractions: u32,
    pub per_day: u32,
    /// A separate (elective) volume treated concurrently, not added to the gross-tumour dose.
    #[serde(default)]
    pub separate_volume: bool,
}

/// A radiotherapy schedule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtSchedule {
    pub id: String,
    pub name: String,
    /// Options this schedule is attached to in reports.
    pub options: Vec<OptionId>,
    pub references: Vec<String>,
    #[serde(rename = "phase")]
    pub phases: Vec<RtPhase>,
}

/// Drug classes used by safety alerts (lower-case generic names).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugClasses {
    /// Anti-angiogenic multikinase inhibitors: bleeding and fistula risk in ATC (review:134).
    pub antiangiogenic_mki: Vec<String>,
    /// Anti-angiogenic antibodies: the same bleeding concern (review §4.3).
    pub antiangiogenic_antibody: Vec<String>,
    /// Anthracyclines (and the anthraquinone mitoxantrone): cumulative cardiotoxicity.
    pub anthracycline: Vec<String>,
    /// The anthracyclines whose cumulative dose counts directly against the doxorubicin limit
    /// (a subset of `anthracycline`); a prior dose of any other needs its doxorubicin-equivalent
    /// dose clarified (no agreed ratio: Feijen et al., JAMA Oncol 2019).
    pub anthracycline_counted: Vec<String>,
    pub taxane: Vec<String>,
}

/// Gene symbols ATCPath recognises (HGNC), used to validate fusion partners.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genes {
    /// Kinase genes whose fusions are actionable in ATC.
    pub fusion_drivers: Vec<String>,
    /// Known fusion partners and other thyroid-cancer genes.
    pub partners: Vec<String>,
    pub references: Vec<String>,
    /// Reference residues at hotspots.
    #[serde(default, rename = "hotspot")]
    pub hotspots: Vec<Hotspot>,
    /// The gene groups of a cohort's alteration-frequency table (review §3.2).
    #[serde(default, rename = "group")]
    pub groups: Vec<GeneGroup>,
    /// Previous HGNC symbols and aliases of the knowledge base's genes (`TRKC` for NTRK3): a
    /// gene field holding one is refused with the current symbol suggested.
    #[serde(default, rename = "alias")]
    pub aliases: Vec<GeneAlias>,
    /// Canonical protein lengths (amino acids) of the knowledge base's genes: a protein change
    /// beyond the end is refused.
    #[serde(default, rename = "protein")]
    pub proteins: Vec<ProteinLength>,
}

/// A previous HGNC symbol or an alias of a current symbol, with its source (HGNC id).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneAlias {
    /// The old or alternative name as written in reports (`TRKC`).
    pub name: String,
    /// The current HGNC symbol (`NTRK3`).
    pub symbol: String,
    /// `previous` (a previous HGNC symbol) or `alias` (an HGNC alias symbol).
    pub kind: String,
    /// Where the relation is recorded (e.g. `HGNC:8033`).
    pub source: String,
}

/// The length of a gene's canonical protein, in amino acids, with its source (UniProt entry).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProteinLength {
    pub gene: String,
    /// Amino acids of the canonical isoform.
    pub length: u32,
    pub source: String,
}

/// What counts as an alteration of a gene group in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupEvent {
    /// A protein-changing variant (not silent, intronic, UTR, flank or intergenic).
    Mutation,
    /// A promoter variant (TERT: C228T, C250T, any 5' flank variant of the gene).
    Promoter,
    /// A fusion with one of the genes at either end (not intragenic).
    Fusion,
    /// A homozygous (deep) deletion.
    DeepDeletion,
    /// A high-level amplification.
    Amplification,
}

/// A gene group of the cohort frequency table, with the published frequency in ATC.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneGroup {
    pub id: String,
    pub name: String,
    pub genes: Vec<String>,
    pub events: Vec<GroupEvent>,
    /// Published frequency in ATC, percent, and its source.
    pub published_percent: Option<f64>,
    pub published_source: Option<String>,
    pub references: Vec<String>,
}

/// A hotspot's reference residue (three-letter code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hotspot {
    pub gene: String,
    pub position: u32,
    pub r#ref: String,
    /// Reference codon (coding strand), starting at c.(3 x position - 2).
    pub codon: String,
    /// The same residue's number in a legacy numbering still met in reports (BRAF V600 was
    /// V599 in Davies et al., Nature 2002), refused with the current name suggested.
    #[serde(default)]
    pub legacy_position: Option<u32>,
    /// Where the legacy numbering comes from.
    #[serde(default)]
    pub legacy_source: Option<String>,
}

/// The whole knowledge base, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Kb {
    pub meta: Meta,
    pub options: Vec<OptionDef>,
    pub rules: Vec<RuleDef>,
    pub alerts: Vec<AlertDef>,
    pub workup: Vec<WorkupDef>,
    pub facts: Facts,
    pub genes: Genes,
    pub references: Vec<Reference>,
    pub trials: Vec<Trial>,
    pub studies: Vec<Study>,
    pub benchmarks: Vec<Benchmark>,
    pub regimens: Vec<Regimen>,
    pub radiotherapy: Vec<RtSchedule>,
    pub actionability: Vec<Actionability>,
    /// ATC hotspots by genomic position (`hotspot_positions.toml`).
    pub hotspot_positions: hotspot_positions::HotspotPositions,
}

/// Why a knowledge base was refused. Every variant names the file and the entry.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("knowledge base file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("knowledge base file {file} could not be read: {message}")]
    Io { file: String, message: String },
    #[error("knowledge base is invalid:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

/// The files of a knowledge base, by name.
pub const FILES: [&str; 15] = [
    "kb.toml",
    "options.toml",
    "rules.toml",
    "alerts.toml",
    "workup.toml",
    "facts.toml",
    "genes.toml",
    "references.toml",
    "trials.toml",
    "studies.toml",
    "benchmarks.toml",
    "regimens.toml",
    "radiotherapy.toml",
    "actionability.toml",
    "hotspot_positions.toml",
];

macro_rules! embedded {
    ($($f:literal),+) => { [$(($f, include_str!(concat!(env!("OUT_DIR"), "/", $f, ".json")))),+] };
}

static EMBEDDED: [(&str, &str); 15] = embedded!(
    "kb.toml",
    "options.toml",
    "rules.toml",
    "alerts.toml",
    "workup.toml",
    "facts.toml",
    "genes.toml",
    "references.toml",
    "trials.toml",
    "studies.toml",
    "benchmarks.toml",
    "regimens.toml",
    "radiotherapy.toml",
    "actionability.toml",
    "hotspot_positions.toml"
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsFile {
    option: Vec<OptionDef>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<RuleDef>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsFile {
    alert: Vec<AlertDef>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkupFile {
    item: Vec<WorkupDef>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferencesFile {
    reference: Vec<Reference>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrialsFile {
    trial: Vec<Trial>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StudiesFile {
    study: Vec<Study>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BenchmarksFile {
    benchmark: Vec<Benchmark>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegimensFile {
    regimen: Vec<Regimen>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RadiotherapyFile {
    schedule: Vec<RtSchedule>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionabilityFile {
    alteration: Vec<Actionability>,
}

/// How a knowledge-base text is written: TOML in a folder, JSON when embedded (see build.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Toml,
    Json,
}

fn parse<T: serde::de::DeserializeOwned>(
    syntax: Syntax,
    file: &str,
    text: &str,
) -> Result<T, KbError> {
    let err = |message: String| KbError::Parse {
        file: file.to_string(),
        message,
    };
    match syntax {
        Syntax::Toml => toml::from_str(text).map_err(|e| err(e.to_string())),
        Syntax::Json => serde_json::from_str(text).map_err(|e| err(e.to_string())),
    }
}

impl Kb {
    /// The knowledge base compiled into this build.
    ///
    /// # Errors
    /// [`KbError`] if the embedded files are invalid (a test keeps that from shipping).
    pub fn embedded() -> Result<Kb, KbError> {
        Kb::load(Syntax::Json, |name| {
            EMBEDDED
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| KbError::Io {
                    file: name.to_string(),
                    message: "not embedded".into(),
                })
        })
    }

    /// Loads the files of [`FILES`] from a folder.
    ///
    /// # Errors
    /// [`KbError`] naming the file that could not be read, parsed or validated.
    pub fn from_dir(dir: &Path) -> Result<Kb, KbError> {
        Kb::from_sources(|name| {
            std::fs::read_to_string(dir.join(name)).map_err(|e| KbError::Io {
                file: dir.join(name).display().to_string(),
                message: e.to_string(),
            })
        })
    }

    /// Builds a knowledge base from file texts given by name.
    ///
    /// # Errors
    /// [`KbError`] on the first file that does not parse, or every validation problem at once.
    pub fn from_sources(read: impl FnMut(&str) -> Result<String, KbError>) -> Result<Kb, KbError> {
        Kb::load(Syntax::Toml, read)
    }

    fn load(
        syntax: Syntax,
        mut read: impl FnMut(&str) -> Result<String, KbError>,
    ) -> Result<Kb, KbError> {
        let mut get = |f: &str| read(f).map(|t| (f.to_string(), t));
        let (f, t) = get("kb.toml")?;
        let meta: Meta = parse(syntax, &f, &t)?;
        let (f, t) = get("options.toml")?;
        let options = parse::<OptionsFile>(syntax, &f, &t)?.option;
        let (f, t) = get("rules.toml")?;
        let rules = parse::<RulesFile>(syntax, &f, &t)?.rule;
        let (f, t) = get("alerts.toml")?;
        let alerts = parse::<AlertsFile>(syntax, &f, &t)?.alert;
        let (f, t) = get("workup.toml")?;
        let workup = parse::<WorkupFile>(syntax, &f, &t)?.item;
        let (f, t) = get("facts.toml")?;
        let facts: Facts = parse(syntax, &f, &t)?;
        let (f, t) = get("genes.toml")?;
        let genes: Genes = parse(syntax, &f, &t)?;
        let (f, t) = get("references.toml")?;
        let references = parse::<ReferencesFile>(syntax, &f, &t)?.reference;
        let (f, t) = get("trials.toml")?;
        let trials = parse::<TrialsFile>(syntax, &f, &t)?.trial;
        let (f, t) = get("studies.toml")?;
        let studies = parse::<StudiesFile>(syntax, &f, &t)?.study;
        let (f, t) = get("benchmarks.toml")?;
        let benchmarks = parse::<BenchmarksFile>(syntax, &f, &t)?.benchmark;
        let (f, t) = get("regimens.toml")?;
        let regimens = parse::<RegimensFile>(syntax, &f, &t)?.regimen;
        let (f, t) = get("radiotherapy.toml")?;
        let radiotherapy = parse::<RadiotherapyFile>(syntax, &f, &t)?.schedule;
        let (f, t) = get("actionability.toml")?;
        let actionability = parse::<ActionabilityFile>(syntax, &f, &t)?.alteration;
        let (f, t) = get("hotspot_positions.toml")?;
        let hotspot_positions = parse(syntax, &f, &t)?;
        let kb = Kb {
            regimens,
            radiotherapy,
            actionability,
            hotspot_positions,
            meta,
            options,
            rules,
            alerts,
            workup,
            facts,
            genes,
            references,
            trials,
            studies,
            benchmarks,
        };
        kb.validate()?;
        Ok(kb)
    }

    /// Eras cover every year once; every known drug is in exactly one treatment group; every
    /// benchmark named exists.
    fn validate_outcome_groups(&self, problems: &mut Vec<String>) {
        let f = &self.facts;
        for y in 1900..=2100 {
            let n = f.outcome_eras.iter().filter(|e| e.contains(y)).count();
            if n != 1 {
                problems.push(format!(
                    "facts.toml: year {y} is in {n} outcome eras (must be 1)"
                ));
                break;
            }
        }
        for d in &f.drug_names.known {
            let n = f
                .treatment_groups
                .iter()
                .filter(|g| g.drugs.contains(d))
                .count();
            if n != 1 {
                problems.push(format!(
                    "facts.toml: drug {d:?} is in {n} treatment groups (must be 1)"
                ));
            }
        }
        for g in &f.treatment_groups {
            for d in &g.drugs {
                if !f.drug_names.known.contains(d) {
                    problems.push(format!(
                        "facts.toml: treatment group {} lists {d:?}, not in drug_names.known",
                        g.id
                    ));
                }
            }
        }
        let named = f
            .outcome_eras
            .iter()
            .map(|e| (&e.id, &e.benchmarks))
            .chain(f.treatment_groups.iter().map(|g| (&g.id, &g.benchmarks)));
        for (id, list) in named {
            for b in list {
                if !self.benchmarks.iter().any(|x| &x.id == b) {
                    problems.push(format!("facts.toml: {id} names unknown benchmark {b:?}"));
                }
            }
        }
    }

    fn validate(&self) -> Result<(), KbError> {
        let mut problems = Vec::new();
        self.validate_outcome_groups(&mut problems);
        let mut keys = BTreeSet::new();
        for r in &self.references {
            if !keys.insert(r.key.as_str()) {
                problems.push(format!("references.toml: duplicate key {:?}", r.key));
            }
        }
        let mut unresolved = Vec::new();
        let mut cite = |file: &str, entry: &str, refs: &[String]| {
            for k in refs {
                if !keys.contains(k.as_str()) {
                    unresolved.push(format!(
                        "{file}: {entry} cites {k:?}, which is not a key of references.toml"
                    ));
                }
            }
        };
        for o in &self.options {
            cite("options.toml", o.id.id(), &o.references);
            for r in &o.regulatory {
                cite(
                    "options.toml",
                    &format!("{} regulatory {}", o.id, r.region),
                    &r.references,
                );
            }
        }
        for r in &self.rules {
            cite("rules.toml", r.id.id(), &r.references);
        }
        for a in &self.alerts {
            cite("alerts.toml", a.id.id(), &a.references);
        }
        for w in &self.workup {
            cite("workup.toml", w.id.id(), &w.references);
        }
        for i in &self.facts.intervals {
            cite("facts.toml", &i.id, &i.references);
        }
        cite(
            "facts.toml",
            "thresholds",
            &self.facts.thresholds.references,
        );
        let th = &self.facts.thresholds;
        if !(0.0 <= th.msisensor_stable_below
            && th.msisensor_stable_below <= th.msisensor_high_at_least)
        {
            problems.push(format!(
                "facts.toml: thresholds: msisensor_stable_below ({}) must be at least 0 and at most msisensor_high_at_least ({})",
                th.msisensor_stable_below, th.msisensor_high_at_least
            ));
        }
        cite("genes.toml", "genes", &self.genes.references);
        for g in &self.genes.groups {
            cite("genes.toml", &g.id, &g.references);
            if g.genes.is_empty() || g.events.is_empty() {
                problems.push(format!("genes.toml: group {} needs genes and events", g.id));
            }
            if g.published_percent
                .is_some_and(|p| !(0.0..=100.0).contains(&p))
                || g.published_percent.is_some() != g.published_source.is_some()
            {
                problems.push(format!(
                    "genes.toml: group {}: a published percent (0-100) needs its source, and a source its percent",
                    g.id
                ));
            }
        }
        unique(
            &mut problems,
            "genes.toml",
            self.genes.groups.iter().map(|g| g.id.as_str()),
        );
        for a in &self.genes.aliases {
            if !self.known_genes().any(|g| g == a.symbol)
                || self.known_genes().any(|g| g == a.name)
                || !matches!(a.kind.as_str(), "previous" | "alias")
                || a.source.trim().is_empty()
            {
                problems.push(format!(
                    "genes.toml: alias {}: needs a known current symbol (not {}), a name that is not itself a known symbol, kind previous or alias, and a source",
                    a.name, a.symbol
                ));
            }
        }
        // Two symbols confusable by digits and letters would make a misspelling ambiguous.
        let genes: Vec<&str> = self.known_genes().collect();
        for (i, a) in genes.iter().enumerate() {
            if let Some(b) = genes[i + 1..]
                .iter()
                .find(|b| digit_letter_confusable(a, b))
            {
                problems.push(format!(
                    "genes.toml: symbols {a} and {b} differ only by look-alike digits and letters (0/O, 1/I/L, 2/Z, 3/E, 4/A, 5/S, 6/G, 8/B): a misspelling of one could not be told from the other"
                ));
            }
        }
        for p in &self.genes.proteins {
            if !self.known_genes().any(|g| g == p.gene)
                || p.length == 0
                || p.source.trim().is_empty()
            {
                problems.push(format!(
                    "genes.toml: protein {}: needs a known gene, a length and a source",
                    p.gene
                ));
            }
        }
        for h in &self.genes.hotspots {
            if h.legacy_position.is_some() != h.legacy_source.is_some() {
                problems.push(format!(
                    "genes.toml: hotspot {} {}: a legacy position needs its source",
                    h.gene, h.position
                ));
            }
        }
        for t in &self.trials {
            cite("trials.toml", &t.nct_id, &t.references);
        }
        for s in &self.studies {
            cite("studies.toml", &s.id, &s.references);
        }
        for b in &self.benchmarks {
            cite("benchmarks.toml", &b.id, &b.references);
        }
        for r in &self.regimens {
            cite("regimens.toml", &r.id, &r.references);
        }
        for r in &self.radiotherapy {
            cite("radiotherapy.toml", &r.id, &r.references);
        }
        cite("facts.toml", "dosing", &self.facts.dosing.references);
        cite(
            "facts.toml",
            "drug_names",
            &self.facts.drug_names.references,
        );
        // Every drug name the knowledge base uses is a known generic name in normal form, so the
        // case's normalised names compare equal to them.
        let names = &self.facts.drug_names;
        let classes = &self.facts.drug_classes;
        for (class, list) in [
            ("antiangiogenic_mki", &classes.antiangiogenic_mki),
            ("antiangiogenic_antibody", &classes.antiangiogenic_antibody),
            ("anthracycline", &classes.anthracycline),
            ("anthracycline_counted", &classes.anthracycline_counted),
            ("taxane", &classes.taxane),
        ] {
            for d in list {
                if !names.known.contains(d) || self.normalise_drug(d) != *d {
                    problems.push(format!(
                        "facts.toml: drug class {class} lists {d:?}, not a generic name in drug_names.known"
                    ));
                }
            }
        }
        for d in &classes.anthracycline_counted {
            if !classes.anthracycline.contains(d) {
                problems.push(format!(
                    "facts.toml: drug_classes.anthracycline_counted lists {d:?}, not in drug_classes.anthracycline"
                ));
            }
        }
        for (alias, generic) in &names.aliases {
            if !names.known.contains(generic) {
                problems.push(format!(
                    "facts.toml: drug_names.aliases {alias:?} maps to {generic:?}, not in drug_names.known"
                ));
            }
        }
        for d in &names.known {
            if self.normalise_drug(d) != *d {
                problems.push(format!(
                    "facts.toml: drug_names.known {d:?} is not in normal form (it normalises to {:?})",
                    self.normalise_drug(d)
                ));
            }
        }
        for a in &self.actionability {
            cite("actionability.toml", &a.id, &a.references);
        }
        problems.append(&mut unresolved);
        unique(
            &mut problems,
            "regimens.toml",
            self.regimens.iter().map(|r| r.id.as_str()),
        );
        unique(
            &mut problems,
            "actionability.toml",
            self.actionability.iter().map(|a| a.id.as_str()),
        );
        const LEVELS: [&str; 7] = ["1", "2", "3A", "3B", "4", "R1", "R2"];
        for a in &self.actionability {
            for l in a
                .levels
                .iter()
                .filter(|l| !LEVELS.contains(&l.level.as_str()))
            {
                problems.push(format!(
                    "actionability.toml: {}: level {:?} is not an OncoKB level ({})",
                    a.id,
                    l.level,
                    LEVELS.join(", ")
                ));
            }
            let needs = match a.kind {
                MatchKind::Protein => a.protein.is_empty(),
                MatchKind::Codons => a.codons.is_empty(),
                MatchKind::Promoter => a.positions.is_empty() && a.coding.is_empty(),
                MatchKind::CopyNumber => {
                    a.copy_number.is_empty()
                        || a.copy_number.iter().any(|c| {
                            !["deep_deletion", "shallow_deletion", "gain", "amplification"]
                                .contains(&c.as_str())
                        })
                }
                MatchKind::Biomarker => a.biomarker.is_none(),
                _ => false,
            };
            if needs {
                problems.push(format!("actionability.toml: {}: match {:?} needs its list (protein, codons, positions, coding, copy_number or biomarker)", a.id, a.kind));
            }
        }
        unique(
            &mut problems,
            "radiotherapy.toml",
            self.radiotherapy.iter().map(|r| r.id.as_str()),
        );
        for r in &self.regimens {
            if r.drugs.is_empty() || r.cycle_days == 0 {
                problems.push(format!(
                    "regimens.toml: {} needs at least one drug and a cycle length",
                    r.id
                ));
            }
            for d in &r.drugs {
                let in_range = d.range.is_none_or(|[lo, hi]| lo <= d.dose && d.dose <= hi);
                if !(d.dose > 0.0 && d.dose.is_finite())
                    || !in_range
                    || d.rounding_mg.is_some_and(|x| x <= 0.0)
                {
                    problems.push(format!("regimens.toml: {} {}: dose must be positive, within its range, with a positive rounding increment", r.id, d.drug));
                }
                if d.range.is_some() && d.default_source.is_none() {
                    problems.push(format!(
                        "regimens.toml: {} {}: a range needs default_source",
                        r.id, d.drug
                    ));
                }
            }
        }
        for s in &self.radiotherapy {
            if s.phases.is_empty()
                || s.phases
                    .iter()
                    .any(|p| p.fractions == 0 || p.per_day == 0 || !(p.dose_per_fraction_gy > 0.0))
            {
                problems.push(format!("radiotherapy.toml: {} needs phases with positive dose, fractions and fractions per day", s.id));
            }
        }
        for b in &self.benchmarks {
            for s in &b.stages {
                if !matches!(s.as_str(), "IVA" | "IVB" | "IVC") {
                    problems.push(format!(
                        "benchmarks.toml: {} has stage {s:?} (accepted: IVA, IVB, IVC)",
                        b.id
                    ));
                }
            }
        }
        complete(
            &mut problems,
            "options.toml",
            OptionId::ALL,
            self.options.iter().map(|o| o.id),
        );
        complete(
            &mut problems,
            "rules.toml",
            RuleId::ALL,
            self.rules.iter().map(|r| r.id),
        );
        complete(
            &mut problems,
            "alerts.toml",
            AlertId::ALL,
            self.alerts.iter().map(|a| a.id),
        );
        complete(
            &mut problems,
            "workup.toml",
            WorkupId::ALL,
            self.workup.iter().map(|w| w.id),
        );
        unique(
            &mut problems,
            "trials.toml",
            self.trials.iter().map(|t| t.nct_id.as_str()),
        );
        unique(
            &mut problems,
            "studies.toml",
            self.studies.iter().map(|s| s.id.as_str()),
        );
        unique(
            &mut problems,
            "benchmarks.toml",
            self.benchmarks.iter().map(|b| b.id.as_str()),
        );
        unique(
            &mut problems,
            "facts.toml",
            self.facts.intervals.iter().map(|i| i.id.as_str()),
        );
        for date in std::iter::once(&self.meta.date)
            .chain(self.trials.iter().map(|t| &t.status_date))
            .chain(
                self.options
                    .iter()
                    .flat_map(|o| o.regulatory.iter().map(|r| &r.date)),
            )
        {
            if !is_iso_date(date) {
                problems.push(format!(
                    "date {date:?} is not an ISO 8601 calendar date (YYYY-MM-DD)"
                ));
            }
        }
        hotspot_positions::validate(self, &mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(KbError::Invalid(problems))
        }
    }

    /// The option's definition. Every vocabulary member has one (checked at load).
    pub fn option(&self, id: OptionId) -> &OptionDef {
        self.options
            .iter()
            .find(|o| o.id == id)
            .expect("validated: every option is defined")
    }
    /// The rule's definition (checked at load).
    pub fn rule(&self, id: RuleId) -> &RuleDef {
        self.rules
            .iter()
            .find(|r| r.id == id)
            .expect("validated: every rule is defined")
    }
    /// The alert's definition (checked at load).
    pub fn alert(&self, id: AlertId) -> &AlertDef {
        self.alerts
            .iter()
            .find(|a| a.id == id)
            .expect("validated: every alert is defined")
    }
    /// The work-up item's definition (checked at load).
    pub fn workup_item(&self, id: WorkupId) -> &WorkupDef {
        self.workup
            .iter()
            .find(|w| w.id == id)
            .expect("validated: every work-up item is defined")
    }
    /// The reference under `key`, if any.
    pub fn reference(&self, key: &str) -> Option<&Reference> {
        self.references.iter().find(|r| r.key == key)
    }
    /// The knowledge-base symbol a symbol is a digit/letter misspelling of (`BR4F`, `R3T`, `A1K`):
    /// not itself a knowledge-base symbol, but [`digit_letter_confusable`] with one. `None`
    /// otherwise.
    pub fn skeleton_match(&self, text: &str) -> Option<&str> {
        if self.known_genes().any(|g| g == text) {
            return None;
        }
        self.known_genes()
            .find(|g| digit_letter_confusable(text, g))
    }

    /// Every gene symbol the knowledge base names (fusions, hotspots).
    pub fn known_genes(&self) -> impl Iterator<Item = &str> {
        self.genes
            .fusion_drivers
            .iter()
            .chain(&self.genes.partners)
            .map(String::as_str)
            .chain(self.genes.hotspots.iter().map(|h| h.gene.as_str()))
    }

    /// The generic name for a drug name as written (case, brand, salt): `Ok(generic)`;
    /// `Err(Some(near))` for a likely typo of a known name; `Err(None)` for an unknown name.
    pub fn generic_drug(&self, name: &str) -> Result<String, Option<String>> {
        let n = self.normalise_drug(name);
        if self.facts.drug_names.known.contains(&n) {
            return Ok(n);
        }
        let near = self
            .facts
            .drug_names
            .known
            .iter()
            .chain(self.facts.drug_names.aliases.keys())
            .find(|k| k.len().abs_diff(n.len()) <= 2 && strsim_jw(k, &n) >= 0.9)
            .cloned();
        Err(near)
    }

    /// The generic names of the known drugs whose generic or brand name (`facts.toml`
    /// `[drug_names]`) appears inside `name` after normalisation, in knowledge-base order, for a
    /// name [`Kb::generic_drug`] does not resolve: a combination ("doxorubicin + cisplatin") or a
    /// known drug among unparsed words. Empty when no known name appears.
    pub fn drug_mentions(&self, name: &str) -> Vec<String> {
        let n = self.normalise_drug(name);
        let names = &self.facts.drug_names;
        let mut out: Vec<String> = Vec::new();
        let hits = names
            .known
            .iter()
            .map(|k| (k, k))
            .chain(names.aliases.iter())
            .filter(|(written, _)| {
                // A short name ("rai") only as a whole word, a longer one anywhere
                // ("doxorubicinhcl").
                if written.len() >= 5 {
                    n.contains(written.as_str())
                } else {
                    n.split(|c: char| !c.is_alphanumeric() && c != '-')
                        .any(|w| w == written.as_str())
                }
            });
        for (_, generic) in hits {
            if !out.contains(generic) {
                out.push(generic.clone());
            }
        }
        out
    }

    /// The one drug-name normaliser (every reader of a drug name goes through it, directly or
    /// through [`Kb::generic_drug`]): lower case, trademark signs and a trailing full stop
    /// dropped, runs of white space made one space, then salt, ester and formulation words of
    /// `facts.toml` `[drug_names] salts` stripped from the end repeatedly ("Doxorubicin HCl",
    /// "doxorubicin hydrochloride liposomal" -> "doxorubicin"), then a brand name mapped to its
    /// generic name (`[drug_names.aliases]`, sources in `[drug_names] references`). A name it does
    /// not know is returned in the normalised spelling.
    pub fn normalise_drug(&self, name: &str) -> String {
        let cleaned: String = name
            .chars()
            .filter(|c| !matches!(c, '®' | '™' | '©'))
            .collect::<String>()
            .to_lowercase();
        // A parenthesised brand or synonym of the same drug ("Doxorubicin (Adriamycin)") is
        // dropped; anything else in brackets stays, so the name stays unrecognised.
        let cleaned = match cleaned.split_once('(') {
            Some((outer, rest)) if rest.trim_end().ends_with(')') && !rest.contains('(') => {
                let inner = rest.trim_end().trim_end_matches(')');
                let (o, i) = (self.normalise_drug(outer), self.normalise_drug(inner));
                if !o.is_empty() && o == i && self.facts.drug_names.known.contains(&o) {
                    o
                } else {
                    cleaned
                }
            }
            _ => cleaned,
        };
        let salts = &self.facts.drug_names.salts;
        // Strength and unit words ("2 mg/mL", "50mg") and a salt or form word joined by a hyphen
        // ("doxorubicin-HCl") or written first ("liposomal doxorubicin") are dropped.
        let strength = |w: &str| {
            let unit = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
            (unit.len() < w.len() && w.starts_with(|c: char| c.is_ascii_digit()) || unit == w)
                && matches!(
                    unit,
                    "" | "mg" | "mcg" | "g" | "ml" | "mg/ml" | "mg/m2" | "%" | "iu"
                )
        };
        let words: Vec<String> = cleaned
            .split_whitespace()
            .flat_map(|w| match w.split_once('-') {
                Some((a, b)) if salts.iter().any(|s| s == b) && !a.is_empty() => {
                    vec![a.to_string(), b.to_string()]
                }
                _ => vec![w.to_string()],
            })
            .filter(|w| !strength(w))
            .collect();
        let mut start = 0;
        while start + 1 < words.len() && salts.iter().any(|s| *s == words[start]) {
            start += 1;
        }
        let mut n = words[start..].join(" ").trim_end_matches('.').to_string();
        loop {
            let stripped = self.facts.drug_names.salts.iter().find_map(|salt| {
                n.strip_suffix(salt.as_str())
                    .and_then(|s| s.strip_suffix(' '))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            });
            match stripped {
                Some(stem) => n = stem,
                None => break,
            }
        }
        // A brand name may itself carry a salt word after it ("Adriamycin HCl").
        self.facts.drug_names.aliases.get(&n).cloned().unwrap_or(n)
    }

    /// Whether `symbol` is a gene ATCPath recognises as a fusion partner.
    /// The current symbol and the record for a previous symbol or alias (`TRKC`), exact match.
    pub fn gene_alias(&self, name: &str) -> Option<&GeneAlias> {
        self.genes.aliases.iter().find(|a| a.name == name)
    }

    /// The canonical protein length of a gene, in amino acids, when the knowledge base has it.
    pub fn protein_length(&self, gene: &str) -> Option<u32> {
        self.genes
            .proteins
            .iter()
            .find(|p| p.gene == gene)
            .map(|p| p.length)
    }

    pub fn is_known_gene(&self, symbol: &str) -> bool {
        self.genes
            .fusion_drivers
            .iter()
            .chain(&self.genes.partners)
            .any(|g| g == symbol)
    }
}

fn complete<T: Copy + Ord + std::fmt::Display>(
    problems: &mut Vec<String>,
    file: &str,
    all: &[T],
    defined: impl Iterator<Item = T>,
) {
    let mut seen = BTreeMap::new();
    for id in defined {
        *seen.entry(id).or_insert(0) += 1;
    }
    for id in all {
        match seen.get(id) {
            None => problems.push(format!("{file}: no entry for {id}")),
            Some(n) if *n > 1 => problems.push(format!("{file}: duplicate id {id}")),
            _ => {}
        }
    }
}

fn unique<'a>(problems: &mut Vec<String>, file: &str, ids: impl Iterator<Item = &'a str>) {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            problems.push(format!("{file}: duplicate id {id:?}"));
        }
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Jaro-Winkler similarity, for "did you mean" checks.
fn strsim_jw(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

/// Whether two gene symbols differ only where one has a digit and the other the letter it looks
/// like (`0`~`O`, `1`~`I`/`L`, `2`~`Z`, `3`~`E`, `4`~`A`, `5`~`S`, `6`~`G`, `8`~`B`; letters
/// compared in any case): `BR4F` and `BRAF`, `A1K` and `ALK`. Two letters or two digits never
/// match (ITK is not LTK, TP53 is not TP63); equal symbols are not confusable.
pub fn digit_letter_confusable(a: &str, b: &str) -> bool {
    let look = |d: char, l: char| {
        let l = l.to_ascii_uppercase();
        match d {
            '0' => l == 'O',
            '1' => l == 'I' || l == 'L',
            '2' => l == 'Z',
            '3' => l == 'E',
            '4' => l == 'A',
            '5' => l == 'S',
            '6' => l == 'G',
            '8' => l == 'B',
            _ => false,
        }
    };
    let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if x.len() != y.len() {
        return false;
    }
    let mut differ = false;
    for (&c, &d) in x.iter().zip(&y) {
        if c.eq_ignore_ascii_case(&d) {
            continue;
        }
        let ok = (c.is_ascii_digit() && d.is_ascii_alphabetic() && look(c, d))
            || (d.is_ascii_digit() && c.is_ascii_alphabetic() && look(d, c));
        if !ok {
            return false;
        }
        differ = true;
    }
    differ
}
