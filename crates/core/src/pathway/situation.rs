//! The facts of a case that the option rules read, gathered once.

use std::collections::BTreeMap;

use crate::case::{Case, Goals, Resectability};
use crate::molecular::{self, Profile};
use crate::staging::Staging;
use atcpath_kb::{Kb, Modality, OptionId, Thresholds};

/// Fitness for aggressive treatment (clinical-pathway §4: "fit" is ECOG 0-2 or unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fitness {
    Fit(u8),
    Unknown,
    Poor(u8),
}

/// Everything the option rules read. Contingencies re-plan on a modified copy.
#[derive(Debug, Clone)]
pub struct Situation {
    /// Plan for metastatic disease (IVC, or the contingency "if distant metastases are found").
    pub metastatic: bool,
    pub stage_label: String,
    pub resectability: Option<Resectability>,
    pub fitness: Fitness,
    pub goals: Option<Goals>,
    pub profile: Profile,
    pub airway_compromise: Option<bool>,
    /// Organ sites of distant metastasis, when listed.
    pub metastatic_site_count: Option<usize>,
    /// Modalities not available, with the reason (declined, unfit).
    pub unavailable: BTreeMap<Modality, String>,
    /// Options contraindicated by organ function, with the reason.
    pub contraindicated: BTreeMap<OptionId, String>,
    pub low_burden_max_sites: u32,
    pub brain_metastases: bool,
    /// M not recorded (the plan is provisional).
    pub distant_staging_missing: bool,
    pub expert_review_done: bool,
    /// A thyroid operation recorded before this ATC episode (the decision is about a recurrence).
    pub prior_surgery: Option<jiff::civil::Date>,
}

impl Situation {
    /// Whether goals of care are palliative or performance status poor.
    pub fn palliative_focus(&self) -> bool {
        self.goals == Some(Goals::Palliative) || matches!(self.fitness, Fitness::Poor(_))
    }

    /// Why an option cannot be given, if it cannot.
    pub fn blocked(&self, kb: &Kb, id: OptionId) -> Option<String> {
        if id == OptionId::AdjuvantChemoradiation
            && let Some(why) = self.blocked(kb, OptionId::SurgeryTotalThyroidectomy)
        {
            return Some(format!("needs a resection first, and {why}"));
        }
        kb.option(id)
            .modalities
            .iter()
            .find_map(|m| self.unavailable.get(m).cloned())
            .or_else(|| self.contraindicated.get(&id).cloned())
    }

    /// Whether an option can be given.
    pub fn available(&self, kb: &Kb, id: OptionId) -> bool {
        self.blocked(kb, id).is_none()
    }

    /// Low metastatic burden: metastases in at most the configured number of organ sites.
    pub fn low_burden(&self) -> bool {
        self.metastatic_site_count
            .is_some_and(|n| n <= self.low_burden_max_sites as usize)
    }

    /// A few words on fitness and goals for rationales.
    pub fn fitness_words(&self) -> String {
        let fit = match self.fitness {
            Fitness::Fit(e) => format!("ECOG {e}"),
            Fitness::Unknown => "ECOG not recorded (fitness assumed until assessed)".into(),
            Fitness::Poor(e) => format!("ECOG {e}"),
        };
        let goals = match self.goals {
            Some(Goals::Aggressive) => "aggressive goals of care",
            Some(Goals::Palliative) => "palliative goals of care",
            Some(Goals::Undecided) => "goals of care undecided (options kept open)",
            None => "goals of care not recorded (options kept open)",
        };
        format!("{fit}; {goals}")
    }
}

/// Gathers the situation of a case.
pub fn situation(
    case: &Case,
    kb: &Kb,
    th: &Thresholds,
    staging: &Staging,
    crcl: Option<f64>,
) -> Situation {
    let p = &case.patient;
    let fitness = match p.ecog {
        Some(e) if e >= 3 => Fitness::Poor(e),
        Some(e) => Fitness::Fit(e),
        None => Fitness::Unknown,
    };
    let mut unavailable = BTreeMap::new();
    for m in &case.preferences.declines {
        unavailable.insert(
            *m,
            format!("the patient declines {}", m.id().replace('_', " ")),
        );
    }
    for m in &p.unfit_for {
        unavailable
            .entry(*m)
            .or_insert_with(|| format!("judged unfit for {}", m.id().replace('_', " ")));
    }
    let mut contraindicated = BTreeMap::new();
    if let Some(c) = crcl.filter(|c| *c < th.crcl_renal_impairment_ml_min) {
        contraindicated.insert(
            OptionId::DoxorubicinCisplatin,
            format!("creatinine clearance {c:.1} mL/min (Cockcroft-Gault) is below {} mL/min: avoid cisplatin (carboplatin by Calvert instead)", th.crcl_renal_impairment_ml_min),
        );
    }
    for (id, why) in progressed_options(case, kb) {
        contraindicated.entry(id).or_insert(why);
    }
    let anthracycline_reason = anthracycline_block(case, kb, th);
    if let Some(why) = anthracycline_reason {
        for id in [
            OptionId::DoxorubicinCisplatin,
            OptionId::DocetaxelDoxorubicin,
            OptionId::Doxorubicin,
        ] {
            contraindicated.entry(id).or_insert_with(|| why.clone());
        }
    }
    let stage_label = match (staging.group, staging.provisional) {
        (Some(g), _) => format!("stage {g}"),
        (None, Some(pv)) => format!(
            "stage unknown (provisionally {})",
            crate::staging::provisional_str(pv)
        ),
        (None, None) => "stage unknown".into(),
    };
    Situation {
        metastatic: staging.is_metastatic(),
        stage_label,
        resectability: case.tumor.resectability,
        fitness,
        goals: case.preferences.goals_of_care,
        profile: molecular::profile(case, th, &kb.genes.fusion_drivers),
        airway_compromise: case.tumor.airway_compromise,
        metastatic_site_count: case.tumor.metastatic_sites.as_ref().map(|s| {
            let mut v = s.clone();
            v.dedup();
            v.sort_by_key(|x| *x as u8);
            v.dedup();
            v.len()
        }),
        unavailable,
        contraindicated,
        low_burden_max_sites: th.low_metastatic_burden_max_sites,
        brain_metastases: case
            .tumor
            .metastatic_sites
            .as_ref()
            .is_some_and(|s| s.contains(&crate::case::MetastaticSite::Brain)),
        distant_staging_missing: staging.m.is_none() && staging.group.is_none(),
        expert_review_done: case.diagnosis.expert_review == Some(true),
        prior_surgery: prior_surgery(case),
    }
}

/// A surgery event before the first event of this ATC episode (diagnosis date, first contact,
/// biopsy, pathology confirmation).
fn prior_surgery(case: &Case) -> Option<jiff::civil::Date> {
    use atcpath_kb::EventKind::*;
    let start = case
        .events
        .iter()
        .filter(|e| matches!(e.kind, FirstContact | Biopsy | PathologyConfirmed))
        .map(|e| e.date)
        .chain(case.diagnosis.date)
        .min()?;
    case.events
        .iter()
        .filter(|e| e.kind == Surgery && e.date < start)
        .map(|e| e.date)
        .max()
}

/// Options whose every drug the patient has progressed on (a progression event after the drug started).
fn progressed_options(case: &Case, kb: &Kb) -> Vec<(OptionId, String)> {
    let progression = case
        .events
        .iter()
        .filter(|e| e.kind == atcpath_kb::EventKind::Progression)
        .map(|e| e.date)
        .max();
    let Some(prog) = progression else {
        return Vec::new();
    };
    let progressed: Vec<&str> = case
        .treatments
        .iter()
        .filter(|t| t.start.is_some_and(|s| s < prog))
        .map(|t| t.drug.as_str())
        .collect();
    let mut out: Vec<(OptionId, String)> = Vec::new();
    for r in kb.regimens.iter().filter(|r| r.default_for_option) {
        if r.drugs
            .iter()
            .all(|d| progressed.contains(&d.drug.as_str()))
        {
            let drugs: Vec<&str> = r.drugs.iter().map(|d| d.drug.as_str()).collect();
            let why = format!(
                "progression on {} (progression recorded {prog})",
                drugs.join(" + ")
            );
            for id in std::iter::once(r.option).chain(r.also_options.iter().copied()) {
                out.push((id, why.clone()));
            }
        }
    }
    let failed: Vec<OptionId> = out.iter().map(|(id, _)| *id).collect();
    for group in &kb.facts.cross_resistance {
        if let Some(f) = group.options.iter().find(|o| failed.contains(o)) {
            for o in group.options.iter().filter(|o| !failed.contains(o)) {
                out.push((*o, format!("progression on {f}: {}", group.note)));
            }
        }
    }
    out
}

/// Why anthracyclines are contraindicated (LVEF or cumulative dose), if they are.
fn anthracycline_block(case: &Case, kb: &Kb, th: &Thresholds) -> Option<String> {
    if let Some(ef) = case
        .labs
        .lvef_percent
        .filter(|ef| *ef < th.lvef_anthracycline_min_percent)
    {
        return Some(format!(
            "LVEF {ef}% is below {}%: avoid anthracyclines",
            th.lvef_anthracycline_min_percent
        ));
    }
    if let Some(total) = cumulative_anthracycline_mg_m2(case, kb)
        .filter(|t| *t > th.doxorubicin_cumulative_max_mg_m2)
    {
        return Some(format!(
            "cumulative doxorubicin {total:.0} mg/m2 exceeds {} mg/m2: avoid further anthracycline",
            th.doxorubicin_cumulative_max_mg_m2
        ));
    }
    uncounted_anthracycline(case, kb).map(|why| format!("{ANTHRACYCLINE_DOSE_UNKNOWN} ({why})"))
}

/// The reason given when a prior anthracycline cannot be counted against the cumulative limit.
pub const ANTHRACYCLINE_DOSE_UNKNOWN: &str = "prior anthracycline dose not known: clarify";

/// Prior anthracyclines that cannot be counted in mg/m2 of doxorubicin, if any: no cumulative
/// dose recorded, a drug without an agreed ratio to doxorubicin (not in `facts.toml`
/// `drug_classes.anthracycline_counted`), or a dose in mg without the weight and height that
/// convert it. Unknown is not zero: until
/// it is clarified, further anthracycline is withheld (`None` when every prior anthracycline is
/// counted or there is none).
pub fn uncounted_anthracycline(case: &Case, kb: &Kb) -> Option<String> {
    let has_bsa = case.patient.height.is_some() && case.patient.weight.is_some();
    let why: Vec<String> = case
        .treatments
        .iter()
        .enumerate()
        .filter(|(_, t)| kb.facts.drug_classes.anthracycline.contains(&t.drug))
        .filter_map(|(i, t)| match &t.cumulative_dose {
            None => Some(format!("treatments[{i}] {}: no cumulative dose", t.drug)),
            Some(_) if !kb.facts.drug_classes.anthracycline_counted.contains(&t.drug) => {
                Some(format!(
                    "treatments[{i}] {}: no agreed ratio to doxorubicin; give the doxorubicin-equivalent dose",
                    t.drug
                ))
            }
            Some(d) if d.unit == crate::case::DoseUnit::Mg && !has_bsa => Some(format!(
                "treatments[{i}] {}: {} mg cannot be converted to mg/m2 without weight and height",
                t.drug, d.value
            )),
            Some(_) => None,
        })
        .collect();
    (!why.is_empty()).then(|| why.join("; "))
}

/// Cumulative prior doxorubicin in mg/m2 (mg converted by Mosteller BSA when weight and height are known).
pub fn cumulative_anthracycline_mg_m2(case: &Case, kb: &Kb) -> Option<f64> {
    let bsa = match (case.patient.height, case.patient.weight) {
        (Some(h), Some(w)) => Some(crate::dosing::bsa(
            atcpath_kb::BsaFormula::Mosteller,
            h.canonical,
            w.canonical,
        )),
        _ => None,
    };
    let mut total = None;
    for t in &case.treatments {
        if !kb
            .facts
            .drug_classes
            .anthracycline_counted
            .contains(&t.drug)
        {
            continue;
        }
        if let Some(d) = &t.cumulative_dose {
            let mg_m2 = match d.unit {
                crate::case::DoseUnit::MgPerM2 => Some(d.value),
                crate::case::DoseUnit::Mg => bsa.map(|b| d.value / b),
            };
            if let Some(x) = mg_m2 {
                *total.get_or_insert(0.0) += x;
            }
        }
    }
    total
}

/// Whether resectability leaves both branches open.
pub fn resectability_open(r: Option<Resectability>) -> bool {
    matches!(
        r,
        None | Some(Resectability::Unknown) | Some(Resectability::Borderline)
    )
}
