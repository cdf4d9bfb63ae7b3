//! The validated case: one patient at one decision point (`case-format.md`, version 1).
//!
//! Absent means unknown: every field a case may omit is an `Option` (or a [`Finding`]-producing
//! list that is itself optional), so code must say what it does when the fact is not known.
//! Lists where an explicit empty list carries meaning (`tumor.invasion`: "no gross invasion")
//! stay `Option<Vec<_>>`: `None` is unknown, `Some(vec![])` is "none".

use jiff::civil::Date;
use serde::Serialize;

use crate::hgvs::{CodingChange, ProteinChange};
use crate::staging::{M, N, StageGroup, T};
use crate::units::Quantity;
pub use atcpath_kb::{EventKind, Modality};

/// The snake_case id of a vocabulary value as written in case files (`carotid_artery`).
pub fn id_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A validated case.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: String,
    /// Decision date: no event may be later.
    pub as_of: Date,
    pub source: Option<Source>,
    pub patient: Patient,
    pub labs: Labs,
    pub diagnosis: Diagnosis,
    pub tumor: Tumor,
    pub molecular: Molecular,
    pub treatments: Vec<Treatment>,
    pub preferences: Preferences,
    pub events: Vec<Event>,
}

impl Case {
    /// The date of death, when the events record one.
    pub fn death(&self) -> Option<Date> {
        self.events
            .iter()
            .find(|e| e.kind == EventKind::Death)
            .map(|e| e.date)
    }
}

/// Where the facts come from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Source {
    pub citation: Option<String>,
    pub doi: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Other,
}

/// Patient facts. Weight in kg and height in cm via [`Quantity::canonical`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Patient {
    /// Years, 0 to 120.
    pub age_years: Option<f64>,
    pub sex: Option<Sex>,
    pub weight: Option<Quantity>,
    pub height: Option<Quantity>,
    /// ECOG performance status 0-4.
    pub ecog: Option<u8>,
    pub comorbidities: Vec<String>,
    /// Modalities the clinicians judge the patient unfit for (absent = none stated).
    pub unfit_for: Vec<Modality>,
}

/// Laboratory values. Creatinine and bilirubin canonical unit mg/dL.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Labs {
    pub creatinine: Option<Quantity>,
    pub total_bilirubin: Option<Quantity>,
    /// Left-ventricular ejection fraction, %.
    pub lvef_percent: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Histology {
    Anaplastic,
    PoorlyDifferentiated,
    SquamousCell,
    Other,
    Uncertain,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnosis {
    pub histology: Option<Histology>,
    /// Confirmed by an expert thyroid pathologist; `None` = not stated.
    pub expert_review: Option<bool>,
    pub date: Option<Date>,
    pub dtc_component: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Invasion {
    StrapMuscles,
    SubcutaneousSoftTissue,
    Larynx,
    Trachea,
    Esophagus,
    RecurrentLaryngealNerve,
    PrevertebralFascia,
    CarotidArtery,
    MediastinalVessels,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetastaticSite {
    Lung,
    Bone,
    Liver,
    Brain,
    DistantNodes,
    Pleura,
    Skin,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resectability {
    Resectable,
    Borderline,
    Unresectable,
    Unknown,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Tumor {
    pub t: Option<T>,
    pub n: Option<N>,
    pub m: Option<M>,
    /// Greatest dimension of the primary, mm.
    pub largest_dimension_mm: Option<f64>,
    /// `None` unknown; `Some(empty)` no gross invasion.
    pub invasion: Option<Vec<Invasion>>,
    pub metastatic_sites: Option<Vec<MetastaticSite>>,
    pub resectability: Option<Resectability>,
    pub airway_compromise: Option<bool>,
    /// Stage group recorded by the treating team (AJCC 8th).
    pub stage_group: Option<StageGroup>,
}

/// Molecular test ids (`case-format.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestId {
    BrafV600eIhc,
    BrafV600ePcr,
    NgsDna,
    NgsRna,
    PdL1Ihc,
    MmrIhc,
    MsiPcr,
    Tmb,
}

/// A detected point variant.
#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub gene: String,
    pub protein: Option<ProteinChange>,
    pub coding: Option<CodingChange>,
    /// Where it was read when it came from a result file (`file line N`); `None` when typed
    /// into the case file.
    pub source: Option<String>,
}

/// A detected fusion (5' partner, 3' partner).
#[derive(Debug, Clone, Serialize)]
pub struct Fusion {
    pub five_prime: String,
    pub three_prime: String,
    /// Where it was read when it came from a result file; `None` when typed.
    pub source: Option<String>,
}

/// A rearrangement of a kinase gene whose partner the result does not name (a structural-variant
/// row with one gene, a fusion list's `RET fusion`): neither a fusion nor a negative.
#[derive(Debug, Clone, Serialize)]
pub struct Rearrangement {
    pub gene: String,
    /// Where it was read (file and line).
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mmr {
    Proficient,
    Deficient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Msi {
    Stable,
    High,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Molecular {
    pub resulted: Vec<TestId>,
    pub pending: Vec<TestId>,
    pub variants: Vec<Variant>,
    pub fusions: Vec<Fusion>,
    pub pd_l1_tps_percent: Option<f64>,
    pub mmr: Option<Mmr>,
    pub msi: Option<Msi>,
    pub tmb_mut_per_mb: Option<f64>,
    /// Molecular result files named by the case (`molecular.files`), read by `assess` and merged
    /// as with `--molecular`; paths relative to the case file's folder.
    pub files: Vec<MolecularFileRef>,
    /// Kinase rearrangements with no named partner, from result files (never typed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rearrangements: Vec<Rearrangement>,
    /// Tests resulted by result files that do not show some pathway genes covered
    /// (`genomics::coverage`): set by the merge only, never read from a case file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coverage_not_shown: Vec<crate::genomics::coverage::NotShown>,
}

/// A molecular result file named in a case file: a path, or an object
/// `{"path": ..., "sample": ..., "build": ...}` saying which tumour sample of the file is this
/// patient's and, for a VCF that does not say, its reference build (GRCh37 or GRCh38), and
/// `covers`: the genes the test covered (symbols, or `["WES"]` / `["WGS"]`), without which the
/// file proves no gene absent (`genomics::coverage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MolecularFileRef {
    pub path: String,
    pub sample: Option<String>,
    pub build: Option<String>,
    pub covers: Option<Vec<String>>,
}

/// Unit of a cumulative dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DoseUnit {
    #[serde(rename = "mg/m2")]
    MgPerM2,
    #[serde(rename = "mg")]
    Mg,
}

#[derive(Debug, Clone, Serialize)]
pub struct CumulativeDose {
    pub value: f64,
    pub unit: DoseUnit,
}

/// A prior or current anticancer treatment.
#[derive(Debug, Clone, Serialize)]
pub struct Treatment {
    /// Lower-case generic name (brand and salt names mapped to it).
    pub drug: String,
    /// The name as written, when it differed from the generic name.
    pub given_name: Option<String>,
    pub start: Option<Date>,
    pub end: Option<Date>,
    pub cumulative_dose: Option<CumulativeDose>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goals {
    Aggressive,
    Palliative,
    Undecided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tracheostomy {
    Accept,
    Decline,
    Undecided,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Preferences {
    pub goals_of_care: Option<Goals>,
    pub tracheostomy: Option<Tracheostomy>,
    /// Modalities the patient declines (absent = none stated).
    pub declines: Vec<Modality>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub kind: EventKind,
    pub date: Date,
}
