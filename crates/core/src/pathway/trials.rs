//! Trial matching (clinical-pathway §6): setting, stage and biomarker; status shown with its date.

use super::situation::Situation;
use crate::case::Resectability;
use crate::molecular::State;
use crate::report::TrialMatch;
use atcpath_kb::{Trial, TrialBiomarker, TrialSetting};

/// Words of statuses of trials that do not enrol new patients.
const CLOSED: [&str; 5] = [
    "completed",
    "terminated",
    "withdrawn",
    "suspended",
    "not recruiting",
];

/// Trials that fit the situation. None when the focus is palliative.
pub fn match_trials(
    trials: &[Trial],
    sit: &Situation,
    has_prior_treatment: bool,
) -> Vec<TrialMatch> {
    if sit.palliative_focus() {
        return Vec::new();
    }
    let locoregional_unresectable =
        !sit.metastatic && !matches!(sit.resectability, Some(Resectability::Resectable));
    let p = &sit.profile;
    trials
        .iter()
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
            Some(TrialMatch {
                nct_id: t.nct_id.clone(),
                title: t.title.clone(),
                phase: t.phase.clone(),
                why: format!("{setting}; {biomarker}"),
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
