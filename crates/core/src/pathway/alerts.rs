//! Alerts (clinical-pathway §3): when each fires, with this case's facts in the message.

use super::options::Plan;
use super::situation::{Situation, cumulative_anthracycline_mg_m2};
use crate::case::{Case, Goals, Histology, MetastaticSite};
use crate::report::{Alert, Interval, Line};
use crate::staging::Staging;
use atcpath_kb::{AlertId, Kb, Modality, OptionId, Severity, Thresholds};

/// Builds an alert from its KB definition and the case-specific facts.
pub fn alert(kb: &Kb, id: AlertId, facts: &str) -> Alert {
    let def = kb.alert(id);
    let message = if facts.is_empty() {
        def.action.clone()
    } else {
        format!("{facts}. {}", def.action)
    };
    Alert {
        id,
        severity: def.severity,
        message,
        source: def.references.join(", "),
    }
}

/// All alerts of a case, most severe first.
#[allow(clippy::too_many_arguments)]
pub fn alerts(
    case: &Case,
    kb: &Kb,
    th: &Thresholds,
    staging: &Staging,
    sit: &Situation,
    plan: &Plan,
    renal: Option<&crate::dosing::RenalBasis>,
    intervals: &[Interval],
) -> Vec<Alert> {
    let mut out = Vec::new();
    let t = &case.tumor;
    if t.airway_compromise == Some(true) {
        let inv = t.invasion.as_ref().map(|v| {
            v.iter()
                .map(crate::case::id_of)
                .collect::<Vec<_>>()
                .join(", ")
        });
        let facts = match inv {
            Some(i) if !i.is_empty() => format!("Airway compromise recorded (invasion: {i})"),
            _ => "Airway compromise recorded".into(),
        };
        let mut a = alert(kb, AlertId::AirwayCompromise, &facts);
        if case.preferences.tracheostomy == Some(crate::case::Tracheostomy::Decline) {
            a.message = format!(
                "{facts}; the patient declines tracheostomy. Urgent airway team review for comfort-focused airway measures (stent, steroids, humidified oxygen, palliative sedation plan)."
            );
        }
        out.push(a);
    }
    if t.metastatic_sites
        .as_ref()
        .is_some_and(|s| s.contains(&MetastaticSite::Brain))
    {
        out.push(alert(
            kb,
            AlertId::BrainMetastases,
            "Brain metastases recorded",
        ));
    }
    let mki: Vec<&str> = case
        .treatments
        .iter()
        .filter(|tr| {
            kb.facts.drug_classes.antiangiogenic_mki.contains(&tr.drug)
                && tr.end.is_none_or(|e| e >= case.as_of)
        })
        .map(|tr| tr.drug.as_str())
        .collect();
    if !mki.is_empty() {
        out.push(alert(
            kb,
            AlertId::LenvatinibBleedingRisk,
            &format!("Current treatment includes {}", mki.join(", ")),
        ));
    }
    let pending: Vec<&str> = case
        .molecular
        .pending
        .iter()
        .map(|t| crate::molecular::test_name(*t))
        .collect();
    if !pending.is_empty() || sit.profile.braf_v600e.unknown() {
        let mut facts = Vec::new();
        if !pending.is_empty() {
            facts.push(format!("pending: {}", pending.join(", ")));
        }
        if sit.profile.braf_v600e.unknown() {
            let order = if sit.profile.braf_v600e.pending {
                ""
            } else {
                ": order BRAF V600E IHC now"
            };
            facts.push(format!(
                "BRAF V600E unknown ({}){order}",
                sit.profile.braf_v600e.basis
            ));
        }
        out.push(alert(
            kb,
            AlertId::MolecularResultsPending,
            &capitalise(&facts.join("; ")),
        ));
    }
    for r in &case.molecular.rearrangements {
        let src = r
            .source
            .as_ref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        out.push(alert(
            kb,
            AlertId::KinaseRearrangementPartnerUnknown,
            &format!("{} rearrangement, partner unknown{src}", r.gene),
        ));
    }
    let labs = [
        (
            "creatinine",
            crate::units::Kind::Creatinine,
            case.labs.creatinine,
        ),
        (
            "total bilirubin",
            crate::units::Kind::Bilirubin,
            case.labs.total_bilirubin,
        ),
    ];
    for (what, kind, q) in labs {
        if let Some((q, other)) = q.and_then(|q| crate::units::ambiguous(kind, &q).map(|o| (q, o)))
        {
            out.push(alert(
                kb,
                AlertId::LabUnitCheck,
                &format!(
                    "{what} {} {} is unusual in {} and also plausible in {other}",
                    q.value, q.unit, q.unit
                ),
            ));
        }
    }
    // An unrecognised drug: its safety checks cannot apply. One with a recorded cumulative dose
    // is a warning (not info): a dose was given that no limit can count.
    let unknown: Vec<String> = case
        .treatments
        .iter()
        .enumerate()
        .filter(|(_, t)| !kb.facts.drug_names.known.contains(&t.drug))
        .map(|(i, t)| match &t.cumulative_dose {
            Some(d) => format!(
                "{} (treatments[{i}]: cumulative dose {} {} recorded, not counted towards any limit)",
                t.drug,
                d.value,
                match d.unit {
                    crate::case::DoseUnit::MgPerM2 => "mg/m2",
                    crate::case::DoseUnit::Mg => "mg",
                }
            ),
            None => t.drug.clone(),
        })
        .collect();
    if !unknown.is_empty() {
        let mut a = alert(
            kb,
            AlertId::UnrecognisedDrug,
            &format!("Not recognised: {}", unknown.join(", ")),
        );
        let dosed = case
            .treatments
            .iter()
            .any(|t| t.cumulative_dose.is_some() && !kb.facts.drug_names.known.contains(&t.drug));
        if dosed && a.severity == atcpath_kb::Severity::Info {
            a.severity = atcpath_kb::Severity::Warning;
        }
        out.push(a);
    }
    if let Some(e) = case.patient.ecog.filter(|e| *e >= 3) {
        out.push(alert(
            kb,
            AlertId::PoorPerformanceStatus,
            &format!("ECOG {e}"),
        ));
    }
    if case.preferences.goals_of_care == Some(Goals::Palliative) {
        out.push(alert(kb, AlertId::PalliativeGoals, ""));
    }
    if let Some(r) = renal.filter(|r| r.crcl_ml_min < th.crcl_renal_impairment_ml_min) {
        let c = r.crcl_ml_min;
        out.push(alert(kb, AlertId::RenalImpairment, &format!(
            "Creatinine clearance {c:.1} mL/min (Cockcroft-Gault, {} body weight {:.1} kg) is below {} mL/min",
            r.weight_kind, r.weight_used_kg, th.crcl_renal_impairment_ml_min
        )));
    }
    if case.diagnosis.expert_review != Some(true) {
        let facts = if case.diagnosis.expert_review == Some(false) {
            "Expert review recorded as not done"
        } else {
            "Expert review not recorded"
        };
        out.push(alert(kb, AlertId::MissingExpertReview, facts));
    }
    if let Some(h) = case
        .diagnosis
        .histology
        .filter(|h| *h != Histology::Anaplastic)
    {
        out.push(alert(
            kb,
            AlertId::HistologyNotAnaplastic,
            &format!("Histology recorded as {}", crate::case::id_of(&h)),
        ));
    }
    if staging.group.is_none() && staging.m.is_none() {
        out.push(alert(
            kb,
            AlertId::StagingIncomplete,
            "M not recorded and no recorded stage group settles the stage",
        ));
    }
    if let Some(ef) = case
        .labs
        .lvef_percent
        .filter(|ef| *ef < th.lvef_anthracycline_min_percent)
    {
        out.push(alert(kb, AlertId::CardiacFunction, &format!("LVEF {ef}%")));
    }
    if let Some(total) = cumulative_anthracycline_mg_m2(case, kb)
        .filter(|t| *t > th.doxorubicin_cumulative_max_mg_m2)
    {
        out.push(alert(
            kb,
            AlertId::CumulativeAnthracycline,
            &format!("Cumulative doxorubicin {total:.0} mg/m2"),
        ));
    }
    let taxane_planned = plan.options.iter().any(|o| {
        matches!(
            o.id,
            OptionId::PaclitaxelCarboplatin
                | OptionId::PaclitaxelWeekly
                | OptionId::DocetaxelDoxorubicin
                | OptionId::ChemoradiationDefinitive
                | OptionId::AdjuvantChemoradiation
        )
    });
    if let Some(b) = case
        .labs
        .total_bilirubin
        .filter(|b| b.canonical > th.bilirubin_uln_mg_dl && taxane_planned)
    {
        out.push(alert(
            kb,
            AlertId::HepaticImpairment,
            &format!(
                "Total bilirubin {:.2} mg/dL above {} mg/dL with a taxane in the plan",
                b.canonical, th.bilirubin_uln_mg_dl
            ),
        ));
    }
    let first: Vec<OptionId> = plan
        .options
        .iter()
        .filter(|o| o.line == Line::First)
        .map(|o| o.id)
        .collect();
    // Only when both are planned together, not when they are alternatives ("A or B").
    let together = plan
        .options
        .iter()
        .filter(|o| o.line == Line::First)
        .any(|b| {
            matches!(
                b.id,
                OptionId::DabrafenibTrametinib | OptionId::NeoadjuvantDabrafenibTrametinib
            ) && first.iter().any(|id| {
                kb.option(*id).modalities.contains(&Modality::Radiotherapy)
                    && !b.either_or.contains(id)
            })
        });
    if together {
        out.push(alert(
            kb,
            AlertId::BrafMekHeldDuringRadiotherapy,
            "Dabrafenib + trametinib and radiotherapy are both in the first-line plan",
        ));
    }
    for i in intervals
        .iter()
        .filter(|i| i.status == "over_target" || i.status == "overdue")
    {
        let days = i.days.unwrap_or_default();
        let target = i.target_days.unwrap_or_default();
        let facts = if i.complete {
            format!(
                "{} to {} took {days} days (target {target}; {})",
                i.from, i.to, i.source
            )
        } else {
            format!(
                "{} is {days} days after {} with no {} yet (target {target}; {})",
                case.as_of, i.from, i.to, i.source
            )
        };
        out.push(alert(kb, AlertId::FastTrackOverdue, &facts));
    }
    out.sort_by_key(|a| match a.severity {
        Severity::Critical => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    });
    out
}

/// Safety alerts from the computed doses.
pub fn dose_alerts(
    kb: &Kb,
    doses: &[crate::report::Dose],
    policy: &atcpath_kb::DosingPolicy,
    out: &mut Vec<Alert>,
) {
    let mut push = |a: Alert| {
        if !out.iter().any(|x| x.id == a.id) {
            out.push(a);
        }
    };
    let caution = format!("below {}", policy.carboplatin_caution_crcl_ml_min);
    if let Some(d) = doses
        .iter()
        .find(|d| d.drug == "carboplatin" && d.flags.iter().any(|f| f.contains(&caution)))
    {
        push(alert(
            kb,
            AlertId::SevereRenalImpairment,
            &format!("Carboplatin in {}", d.option_id),
        ));
    }
    let flagged: Vec<String> = doses
        .iter()
        .filter(|d| d.flags.iter().any(|f| f.contains("pharmacist review")))
        .map(|d| format!("{} in {}", d.drug, d.regimen_id))
        .collect();
    if !flagged.is_empty() {
        push(alert(
            kb,
            AlertId::PharmacistReview,
            &format!("Flagged: {}", flagged.join(", ")),
        ));
    }
    // One entry per drug and reason (a drug may appear in several regimens), withheld doses apart.
    let mut missing: Vec<String> = doses
        .iter()
        .filter(|d| d.dose.is_none() && d.basis.starts_with(crate::dosing::NEEDS))
        .map(|d| {
            let why = d.basis.trim_start_matches(crate::dosing::NEEDS);
            let why = why
                .split("; calculated for reference")
                .next()
                .unwrap_or(why);
            format!("{} ({why})", d.drug)
        })
        .collect();
    missing.dedup();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        push(alert(
            kb,
            AlertId::DoseNotComputable,
            &format!("No dose for {}", missing.join("; ")),
        ));
    }
    out.sort_by_key(|a| match a.severity {
        Severity::Critical => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    });
}

/// The alerts of merged result files (`MergeReport::alerts`: coverage not shown, BRAF
/// IHC/sequencing discordance, and what readers raise, such as an MSI status contradicting the
/// MSIsensor score), added to `out`, most severe first. The one place file alerts join the
/// report's ALERTS; a new kind of file alert is a `FileAlert` pushed by its reader or the merge.
pub fn file_alerts(kb: &Kb, report: &crate::genomics::merge::MergeReport, out: &mut Vec<Alert>) {
    for f in &report.alerts {
        let a = alert(kb, f.id, &f.facts);
        if !out.iter().any(|x| x.id == a.id && x.message == a.message) {
            out.push(a);
        }
    }
    out.sort_by_key(|a| match a.severity {
        Severity::Critical => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    });
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
