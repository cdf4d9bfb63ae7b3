//! The assessment: what `atcpath assess` reports (`output-contract.md`). Pure data, serialised
//! as the JSON output and rendered by the report crate.

use serde::Serialize;

use crate::molecular::Profile;
use crate::staging::Staging;
use atcpath_kb::{AlertId, Intent, OptionId, Regulatory, Severity, WorkupId};

/// Knowledge-base identity stamped on every report.
#[derive(Debug, Clone, Serialize)]
pub struct KbStamp {
    pub version: String,
    pub date: String,
}

/// The stage as reported.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    /// `IVA`, `IVB`, `IVC` or `unknown`.
    pub group: String,
    pub t: Option<String>,
    pub n: Option<String>,
    pub m: Option<String>,
    pub basis: Vec<String>,
    /// `IVA`, `IVB` or `IVA/IVB` when only distant staging is missing.
    pub provisional: Option<String>,
    pub ajcc_edition: u8,
}

impl From<&Staging> for StageReport {
    fn from(s: &Staging) -> Self {
        StageReport {
            group: s.group.map_or("unknown".into(), |g| g.to_string()),
            t: s.t.map(|x| x.to_string()),
            n: s.n.map(|x| x.to_string()),
            m: s.m.map(|x| x.to_string()),
            basis: s.basis.clone(),
            provisional: s
                .provisional
                .map(|p| crate::staging::provisional_str(p).to_string()),
            ajcc_edition: s.ajcc_edition,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub id: AlertId,
    pub severity: Severity,
    /// This case's facts, then what to do.
    pub message: String,
    /// Reference keys, comma-separated.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkupStatus {
    Done,
    Pending,
    Missing,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkupItem {
    pub id: WorkupId,
    pub status: WorkupStatus,
    pub title: String,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    First,
    Alternative,
}

/// A ranked treatment option.
#[derive(Debug, Clone, Serialize)]
pub struct RankedOption {
    pub id: OptionId,
    /// 1 is preferred.
    pub rank: usize,
    pub line: Line,
    pub intent: Intent,
    /// The fact this option depends on ("if resectable"), or null.
    pub condition: Option<String>,
    pub name: String,
    /// Which facts of this case led to it, and the rule.
    pub rationale: String,
    /// The recommendation and its grade.
    pub recommendation: String,
    pub evidence: String,
    pub references: Vec<String>,
    pub regulatory: Vec<Regulatory>,
    /// Options this one is an alternative to ("A or B"): not given together.
    pub either_or: Vec<OptionId>,
    /// Radiotherapy schedules for options that include radiotherapy, with BED and EQD2.
    pub radiotherapy: Vec<crate::radiobiology::ScheduleReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    pub id: OptionId,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contingency {
    /// The result that would change the plan.
    #[serde(rename = "if")]
    pub if_: String,
    /// First-line options then.
    pub then: Vec<OptionId>,
    /// Alternatives then (e.g. a matched inhibitor alongside chemoradiation in locoregional disease).
    pub alternatives: Vec<OptionId>,
    /// Whether the test is already pending (otherwise it still needs ordering).
    pub pending: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrialMatch {
    pub nct_id: String,
    pub title: String,
    pub phase: String,
    pub why: String,
    pub status: String,
    pub status_date: String,
}

/// A fast-track interval measured on this case.
#[derive(Debug, Clone, Serialize)]
pub struct Interval {
    pub id: String,
    pub from: String,
    pub to: String,
    /// Days between the events; for an open interval, days elapsed up to `as_of`.
    pub days: Option<i64>,
    /// Whether the second event has happened.
    pub complete: bool,
    pub target_days: Option<u32>,
    /// `within_target`, `over_target`, `open`, `overdue`, `not_started`, `no_target`.
    pub status: String,
    pub source: String,
}

/// A published benchmark relevant to this stage and main option.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceItem {
    pub cohort: String,
    pub n: String,
    pub result: String,
    pub references: Vec<String>,
}

/// Per-patient dose of one drug for one first-line option (`output-contract.md`, `doses`).
pub use crate::dosing::DrugDose as Dose;

/// A cited reference, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct CitedReference {
    pub key: String,
    pub citation: String,
    pub doi: Option<String>,
    pub url: Option<String>,
}

/// The whole assessment of one case.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub case_id: String,
    pub as_of: String,
    pub knowledge_base: KbStamp,
    pub stage: StageReport,
    pub alerts: Vec<Alert>,
    pub workup: Vec<WorkupItem>,
    pub options: Vec<RankedOption>,
    pub excluded: Vec<Excluded>,
    pub contingencies: Vec<Contingency>,
    pub trials: Vec<TrialMatch>,
    pub doses: Vec<Dose>,
    pub intervals: Vec<Interval>,
    pub evidence: Vec<EvidenceItem>,
    pub molecular: Profile,
    /// The molecular result files merged into the case (`assess --molecular`): every fact with
    /// the file and line it came from. Absent when no file was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub molecular_files: Option<crate::genomics::merge::MergeReport>,
    /// Creatinine clearance by Cockcroft-Gault (actual weight), mL/min, when computable.
    pub crcl_ml_min: Option<f64>,
    /// Immediate actions, most urgent first (the missing work-up is listed in `workup`).
    pub actions: Vec<String>,
    /// The dosing policy the doses used.
    pub dosing_policy: atcpath_kb::DosingPolicy,
    /// Plan-level notes (e.g. weekly schedules preferred).
    pub notes: Vec<String>,
    pub references: Vec<CitedReference>,
    pub disclaimer: String,
}
