//! Trial matching (clinical-pathway §6): setting, stage and biomarker; status shown with its date.

use super::situation::Situation;
use crate::case::Case;
use crate::case::Resectability;
use crate::molecular::State;
use crate::report::TrialMatch;
use atcpath_kb::{Kb, Trial, TrialBiomarker, TrialSetting};

/// Words of statuses of trials that do not enrol new patients.
const CLOSED: [&str; 6] = [
    "completed",
    "terminated",
    "withdrawn",
    "suspended",
    "not recruiting",
    "non recruiting",
];

/// Trials that fit the situation. None when the focus is palliative.
///
/// Trials of anti-angiogenic agents are left out unless the case says explicitly that there is no
/// gross invasion: the bleeding and fistula risk that rules out lenvatinib applies to them too.
/// A status older than a year on the decision date, or recorded after it, is said so.
pub fn match_trials(kb: &Kb, case: &Case, sit: &Situation) -> Vec<TrialMatch> {
    let trials: &[Trial] = &kb.trials;
    let has_prior_treatment = !case.treatments.is_empty();
    let classes = &kb.facts.drug_classes;
    let invasion_excluded = case.tumor.invasion.as_ref().is_some_and(|v| v.is_empty());
    let antiangiogenic = |t: &Trial| {
        t.interventions.iter().any(|i| {
            let i = i.to_lowercase();
            classes
                .antiangiogenic_mki
                .iter()
                .chain(&classes.antiangiogenic_antibody)
                .any(|d| i.contains(d.as_str()))
        })
    };
    if sit.palliative_focus() {
        return Vec::new();
    }
    let locoregional_unresectable =
        !sit.metastatic && !matches!(sit.resectability, Some(Resectability::Resectable));
    let p = &sit.profile;
    trials
        .iter()
        .filter(|t| {
            invasion_excluded || t.biomarker == TrialBiomarker::AnyByCohort || !antiangiogenic(t)
        })
        .filter(|t| {
            let s = t.status.to_lowercase().replace('-', " ");
            !CLOSED.iter().any(|c| s.contains(c))
        })
        .filter_map(|t| {
            let setting = match t.setting {
                TrialSetting::Neoadjuvant if locoregional_unresectable => {
                    "neoadjuvant setting: locoregional disease not (yet) resectable"
                }
                TrialSetting::Advanced if sit.metastatic || locoregional_unresectable => {
                    "advanced ATC"
                }
                TrialSetting::Relapsed if has_prior_treatment => {
                    "relapsed or refractory after prior treatment"
                }
                _ => return None,
            };
            let biomarker = match t.biomarker {
                TrialBiomarker::None => "no biomarker required".to_string(),
                TrialBiomarker::AnyByCohort => format!(
                    "cohorts by molecular profile ({})",
                    t.note.clone().unwrap_or_default()
                ),
                TrialBiomarker::BrafV600e => match p.braf_v600e.state {
                    State::Detected => format!("requires BRAF V600E: {}", p.braf_v600e.basis),
                    State::Unknown => format!(
                        "requires BRAF V600E, status unknown ({})",
                        p.braf_v600e.basis
                    ),
                    State::NotDetected => return None,
                },
                TrialBiomarker::RetAlteration => match p.ret_fusion.state {
                    State::Detected => format!("requires a RET alteration: {}", p.ret_fusion.basis),
                    _ => return None,
                },
                TrialBiomarker::RasNf1Nf2 => {
                    if p.ras_nf1_nf2 {
                        "requires a RAS, NF1 or NF2 variant: one is listed".into()
                    } else {
                        return None;
                    }
                }
            };
            let age = t
                .status_date
                .parse::<jiff::civil::Date>()
                .ok()
                .map(|d| (case.as_of - d).get_days());
            let staleness = match age {
                Some(days) if days > 365 => format!(
                    "; status {days} days old on the decision date: verify on ClinicalTrials.gov"
                ),
                Some(days) if days < 0 => {
                    "; status recorded after the decision date: check it was open then".to_string()
                }
                _ => String::new(),
            };
            let cohort_note = if t.biomarker == TrialBiomarker::AnyByCohort
                && antiangiogenic(t)
                && !invasion_excluded
            {
                "; avoid its anti-angiogenic cohort (bleeding risk with invasion)"
            } else {
                ""
            };
            Some(TrialMatch {
                nct_id: t.nct_id.clone(),
                title: t.title.clone(),
                phase: t.phase.clone(),
                why: format!("{setting}; {biomarker}{cohort_note}{staleness}"),
                status: t.status.clone(),
                status_date: t.status_date.clone(),
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        // Biomarker-matched trials first, then those recruiting, then the rest.
        .enumerate()
        .map(|(i, m)| {
            let key = (
                !m.why.contains("requires") as u8,
                !m.status.eq_ignore_ascii_case("recruiting") as u8,
                i,
            );
            (key, m)
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_values()
        .collect()
}
