//! Work-up items (clinical-pathway §2): each done, pending or missing, with why.

use super::situation::{Situation, resectability_open};
use crate::case::{Case, Goals, TestId, Tracheostomy};
use crate::molecular::{BrafMethod, State};
use crate::report::{WorkupItem, WorkupStatus};
use crate::staging::Staging;
use WorkupStatus::*;
use atcpath_kb::{Kb, WorkupId};

/// The work-up list of a case.
pub fn workup(case: &Case, kb: &Kb, staging: &Staging, sit: &Situation) -> Vec<WorkupItem> {
    let mo = &case.molecular;
    let test = |t: TestId| {
        if mo.resulted.contains(&t) {
            Some(Done)
        } else if mo.pending.contains(&t) {
            Some(Pending)
        } else {
            None
        }
    };
    let mut items: Vec<(WorkupId, WorkupStatus, String)> = Vec::new();
    let mut push = |id, status, note: String| items.push((id, status, note));
    let p = &sit.profile;

    push(
        WorkupId::ExpertPathologyReview,
        if case.diagnosis.expert_review == Some(true) {
            Done
        } else {
            Missing
        },
        match case.diagnosis.expert_review {
            Some(true) => "confirmed by expert review".into(),
            Some(false) => "recorded as not reviewed by an expert thyroid pathologist".into(),
            None => "expert review not recorded".into(),
        },
    );
    // Only the immunohistochemistry itself marks it done: BRAF V600E known from another test
    // (e.g. a sequencing file) leaves it off the list, never "done".
    let braf_known = p.braf_v600e.state != State::Unknown;
    match test(TestId::BrafV600eIhc) {
        Some(Done) => push(WorkupId::BrafV600eIhc, Done, "resulted".into()),
        Some(s) => push(WorkupId::BrafV600eIhc, s, "pending".into()),
        None if braf_known => {}
        None => push(
            WorkupId::BrafV600eIhc,
            Missing,
            "not done: order at once on diagnostic tissue".into(),
        ),
    }
    if let Some(s) = test(TestId::BrafV600ePcr) {
        push(
            WorkupId::BrafV600ePcr,
            s,
            if s == Done {
                "resulted".into()
            } else {
                "pending".into()
            },
        );
    }
    for (id, t, what) in [
        (
            WorkupId::NgsDna,
            TestId::NgsDna,
            "DNA sequencing (point variants, TMB)",
        ),
        (
            WorkupId::NgsRna,
            TestId::NgsRna,
            "RNA fusion testing (NTRK, RET, ALK)",
        ),
    ] {
        let fusion_found = t == TestId::NgsRna
            && (p.ntrk_fusion.detected() || p.ret_fusion.detected() || p.alk_fusion.detected());
        let not_shown = mo
            .coverage_not_shown
            .iter()
            .find(|n| n.test == t)
            .map(|n| format!("resulted, coverage of {} not shown", n.genes.join(", ")));
        let (s, note) = match test(t) {
            Some(Done) => (Done, not_shown.unwrap_or_else(|| "resulted".to_string())),
            Some(_) => (Pending, "pending: treatment is not delayed for it".into()),
            None if fusion_found => (Done, "a fusion is already reported".into()),
            None => (Missing, format!("{what} not ordered")),
        };
        push(id, s, note);
    }
    let pd = match (test(TestId::PdL1Ihc), mo.pd_l1_tps_percent) {
        (_, Some(tps)) => (Done, format!("TPS {tps}%")),
        (Some(Pending), None) => (Pending, "pending".into()),
        (Some(Done), None) => (Missing, "listed as resulted but no TPS recorded".into()),
        _ => (Missing, "not done".into()),
    };
    push(WorkupId::PdL1Ihc, pd.0, pd.1);
    let mmr_known = mo.mmr.is_some() || mo.msi.is_some();
    let mmr = match (test(TestId::MmrIhc), test(TestId::MsiPcr), mmr_known) {
        (_, _, true) => (Done, "MMR/MSI status recorded".to_string()),
        (Some(Pending), _, _) | (_, Some(Pending), _) => (Pending, "pending".into()),
        (Some(Done), _, false) | (_, Some(Done), false) => (
            Missing,
            "listed as resulted but no MMR/MSI status recorded".into(),
        ),
        _ => (Missing, "not done".into()),
    };
    push(WorkupId::MmrIhc, mmr.0, mmr.1);
    if let Some(s) = test(TestId::MsiPcr) {
        push(
            WorkupId::MsiPcr,
            s,
            if s == Done {
                "resulted".into()
            } else {
                "pending".into()
            },
        );
    }
    let tmb = match (test(TestId::Tmb), mo.tmb_mut_per_mb) {
        (_, Some(v)) => (Done, format!("{v} mut/Mb")),
        (Some(Pending), None) => (Pending, "pending".into()),
        _ if mo.pending.contains(&TestId::NgsDna) => {
            (Pending, "expected with the pending DNA sequencing".into())
        }
        _ => (Missing, "not recorded".into()),
    };
    push(WorkupId::Tmb, tmb.0, tmb.1);
    push(
        WorkupId::StagingImaging,
        if staging.m.is_some() { Done } else { Missing },
        if staging.m.is_some() {
            "distant staging recorded (M category)".into()
        } else {
            "M not recorded: CT neck/chest/abdomen/pelvis or FDG PET/CT and brain MRI".into()
        },
    );
    push(
        WorkupId::AirwayAssessment,
        if case.tumor.airway_compromise.is_some() {
            Done
        } else {
            Missing
        },
        match case.tumor.airway_compromise {
            Some(true) => "airway compromised".into(),
            Some(false) => "airway not compromised".into(),
            None => "airway status not recorded: laryngoscopy at first contact".into(),
        },
    );
    let goals_open = matches!(
        case.preferences.goals_of_care,
        None | Some(Goals::Undecided)
    );
    let trach_open = case.tumor.airway_compromise == Some(true)
        && matches!(
            case.preferences.tracheostomy,
            None | Some(Tracheostomy::Undecided)
        );
    push(
        WorkupId::GoalsOfCareDiscussion,
        if goals_open || trach_open {
            Missing
        } else {
            Done
        },
        match (goals_open, trach_open) {
            (true, true) => "goals of care and the tracheostomy question not settled".into(),
            (true, false) => "goals of care not recorded or undecided".into(),
            (false, true) => "airway compromised: tracheostomy preference not settled".into(),
            (false, false) => "goals of care recorded".into(),
        },
    );
    push(
        WorkupId::PerformanceStatus,
        if case.patient.ecog.is_some() {
            Done
        } else {
            Missing
        },
        case.patient
            .ecog
            .map_or("ECOG not recorded".into(), |e| format!("ECOG {e}")),
    );
    if !sit.metastatic {
        let r = case.tumor.resectability;
        push(
            WorkupId::ResectabilityAssessment,
            if resectability_open(r) && r != Some(crate::case::Resectability::Borderline) {
                Missing
            } else {
                Done
            },
            match r {
                None | Some(crate::case::Resectability::Unknown) => {
                    "resectability not judged: both branches shown".into()
                }
                Some(x) => format!("{x:?}").to_lowercase(),
            },
        );
    }
    let ngs_pending = mo.pending.contains(&TestId::NgsDna);
    let confirm_note = match (p.braf_method, p.braf_unspecified) {
        (Some(BrafMethod::ImmunohistochemistryOrTargeted), _) => {
            Some("BRAF V600E known only from IHC or a targeted assay")
        }
        (Some(BrafMethod::NotStated), _) => Some("BRAF V600E reported without the assay named"),
        (None, true) => Some("a BRAF variant is reported without its protein change"),
        _ => None,
    };
    if let Some(note) = confirm_note {
        push(
            WorkupId::BrafConfirmation,
            if ngs_pending { Pending } else { Missing },
            format!("{note}: confirm by DNA sequencing"),
        );
    }
    items
        .into_iter()
        .map(|(id, status, mut note)| {
            let def = kb.workup_item(id);
            let molecular = matches!(
                id,
                WorkupId::BrafV600eIhc
                    | WorkupId::NgsDna
                    | WorkupId::NgsRna
                    | WorkupId::PdL1Ihc
                    | WorkupId::MmrIhc
                    | WorkupId::Tmb
            );
            if molecular && status == Missing && sit.palliative_focus() {
                note.push_str(" (only if the patient would consider systemic therapy)");
            }
            WorkupItem {
                id,
                status,
                title: def.title.clone(),
                why: format!("{note}. {}", def.why),
            }
        })
        .collect()
}
