//! Treatment options: the decision table of clinical-pathway.md §4, applied to a [`Situation`].
//!
//! One place ranks options: [`plan`] proposes candidates in the order of the table (first-line
//! before alternatives), removes what the patient declines, is unfit for or is contraindicated,
//! re-reads the table without a removed modality, and lists everything not offered under
//! `excluded` with the reason. Nothing silently disappears.

use super::situation::{Fitness, Situation, resectability_open};
use crate::case::Resectability;
use crate::report::Line;
use OptionId::*;
use atcpath_kb::{Kb, Modality, OptionId, RuleId};

/// An option proposed by a rule.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: OptionId,
    pub line: Line,
    pub condition: Option<String>,
    pub rule: RuleId,
    /// Facts of this case that led to it.
    pub why: String,
    /// Stage-specific intent, when it differs from the option's default.
    pub intent: Option<atcpath_kb::Intent>,
    /// Options this one is an alternative to ("A or B"), not given together with.
    pub either_or: Vec<OptionId>,
}

/// The options of a plan and the ones left out.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub options: Vec<Candidate>,
    pub excluded: Vec<(OptionId, String)>,
}

impl Plan {
    /// Alternative option ids, in rank order.
    pub fn alternatives(&self) -> Vec<OptionId> {
        self.options
            .iter()
            .filter(|c| c.line == Line::Alternative)
            .map(|c| c.id)
            .collect()
    }

    /// First-line option ids, in rank order.
    pub fn first_line(&self) -> Vec<OptionId> {
        self.options
            .iter()
            .filter(|c| c.line == Line::First)
            .map(|c| c.id)
            .collect()
    }
}

/// Cytotoxic options in order of preference: weekly and short-interval schedules first (review:63).
pub const CHEMOTHERAPY: [OptionId; 5] = [
    PaclitaxelWeekly,
    PaclitaxelCarboplatin,
    DocetaxelDoxorubicin,
    DoxorubicinCisplatin,
    Doxorubicin,
];

struct Builder<'a> {
    kb: &'a Kb,
    sit: &'a Situation,
    out: Vec<Candidate>,
    /// Options a rule wanted but that are blocked, with the reason.
    blocked: Vec<(OptionId, String)>,
}

impl Builder<'_> {
    fn add(
        &mut self,
        id: OptionId,
        line: Line,
        rule: RuleId,
        condition: Option<&str>,
        why: &str,
    ) -> bool {
        if let Some(reason) = self.sit.blocked(self.kb, id) {
            self.blocked.push((id, reason));
            return false;
        }
        if let Some(existing) = self.out.iter_mut().find(|c| c.id == id) {
            if line == Line::First && existing.line == Line::Alternative {
                existing.line = Line::First;
            }
            // Proposed under two conditions (both resectability branches): it holds in either.
            if existing.condition.as_deref() != condition {
                existing.condition = None;
            }
            return true;
        }
        self.out.push(Candidate {
            id,
            line,
            condition: condition.map(str::to_string),
            rule,
            why: why.to_string(),
            intent: None,
            either_or: Vec::new(),
        });
        true
    }

    /// Cytotoxic chemotherapy and a trial as alternatives to an immunotherapy first line.
    fn chemotherapy_and_trial_alternatives(&mut self, condition: Option<&str>, why: &str) {
        for c in CHEMOTHERAPY {
            self.add(
                c,
                Line::Alternative,
                RuleId::SystemicNoTarget,
                condition,
                why,
            );
        }
        self.add(
            ClinicalTrial,
            Line::Alternative,
            RuleId::TrialsEncouraged,
            condition,
            why,
        );
    }

    /// Marks two options as alternatives to each other ("A or B").
    fn either_or(&mut self, a: OptionId, b: OptionId) {
        for (x, y) in [(a, b), (b, a)] {
            if let Some(c) = self.out.iter_mut().find(|c| c.id == x)
                && !c.either_or.contains(&y)
            {
                c.either_or.push(y);
            }
        }
    }

    fn ok(&self, id: OptionId) -> bool {
        self.sit.available(self.kb, id)
    }

    /// The systemic rows of the table (IVC rows; also locoregional disease that cannot be irradiated).
    fn systemic(&mut self, condition: Option<&str>) {
        let p = self.sit.profile.clone();
        let st = self.sit.stage_label.clone();
        let targeted = !self
            .sit
            .unavailable
            .contains_key(&Modality::TargetedTherapy);
        if p.braf_v600e.detected() && targeted {
            let why = format!("{st}; {}", p.braf_v600e.basis);
            self.add(
                DabrafenibTrametinib,
                Line::First,
                RuleId::SystemicBraf,
                condition,
                &why,
            );
            self.add(
                ImmunotherapyCombinationTrial,
                Line::Alternative,
                RuleId::SystemicBraf,
                condition,
                &why,
            );
        }
        if p.ntrk_fusion.detected() && targeted {
            let why = format!("{st}; {}", p.ntrk_fusion.basis);
            self.add(
                Larotrectinib,
                Line::First,
                RuleId::SystemicNtrk,
                condition,
                &why,
            );
            self.add(
                Entrectinib,
                Line::First,
                RuleId::SystemicNtrk,
                condition,
                &why,
            );
            self.add(
                Repotrectinib,
                Line::Alternative,
                RuleId::SystemicNtrk,
                condition,
                &why,
            );
        }
        if p.ret_fusion.detected() && targeted {
            let why = format!("{st}; {}", p.ret_fusion.basis);
            self.add(
                Selpercatinib,
                Line::First,
                RuleId::SystemicRet,
                condition,
                &why,
            );
            self.add(
                Pralsetinib,
                Line::Alternative,
                RuleId::SystemicRet,
                condition,
                &why,
            );
        }
        if p.alk_fusion.detected() && targeted {
            let why = format!("{st}; {}", p.alk_fusion.basis);
            self.add(
                Crizotinib,
                Line::First,
                RuleId::SystemicAlk,
                condition,
                &why,
            );
        }
        let chemo_why = |what: &str| format!("{st}; {what}");
        // A driver counts when its matched therapy can be given (not declined, not failed).
        let driver = self.out.iter().any(|c| {
            c.line == Line::First
                && matches!(
                    c.id,
                    DabrafenibTrametinib | Larotrectinib | Entrectinib | Selpercatinib | Crizotinib
                )
        });
        let unusable_driver: Vec<String> = [
            (&p.braf_v600e, DabrafenibTrametinib),
            (&p.ntrk_fusion, Larotrectinib),
            (&p.ret_fusion, Selpercatinib),
            (&p.alk_fusion, Crizotinib),
        ]
        .iter()
        .filter(|(f, id)| f.detected() && !self.ok(*id))
        .map(|(f, id)| {
            format!(
                "{} but {id} not possible ({})",
                f.basis,
                self.sit
                    .blocked(self.kb, *id)
                    .unwrap_or_else(|| "targeted therapy declined or unfit".into())
            )
        })
        .collect();
        if driver {
            self.add(
                ClinicalTrial,
                Line::Alternative,
                RuleId::TrialsEncouraged,
                condition,
                &chemo_why("a matched target is detected"),
            );
            return;
        }
        if p.msi_dmmr_tmb.detected() && self.ok(Pembrolizumab) {
            let why = format!("{st}; {}; no driver detected", p.msi_dmmr_tmb.basis);
            self.add(
                Pembrolizumab,
                Line::First,
                RuleId::SystemicMsiTmb,
                condition,
                &why,
            );
            self.chemotherapy_and_trial_alternatives(condition, &why);
            return;
        }
        if p.pd_l1_high.detected()
            && (self.ok(Pembrolizumab) || self.ok(ImmunotherapyCombinationTrial))
        {
            let why = format!(
                "{st}; {}; no driver detected; preferably within a trial",
                p.pd_l1_high.basis
            );
            self.add(
                Pembrolizumab,
                Line::First,
                RuleId::SystemicPdL1High,
                condition,
                &why,
            );
            self.add(
                ImmunotherapyCombinationTrial,
                Line::First,
                RuleId::SystemicPdL1High,
                condition,
                &why,
            );
            self.chemotherapy_and_trial_alternatives(condition, &why);
            return;
        }
        // No target (detected): trial or cytotoxic chemotherapy; bridging while results are pending.
        let pending = [&p.braf_v600e, &p.ntrk_fusion, &p.ret_fusion, &p.alk_fusion]
            .iter()
            .any(|f| f.unknown());
        let (rule, what) = if !unusable_driver.is_empty() {
            (RuleId::SystemicNoTarget, unusable_driver.join("; "))
        } else if pending {
            (
                RuleId::Bridging,
                "no target known yet: start bridging chemotherapy now, switch when results arrive"
                    .to_string(),
            )
        } else {
            (
                RuleId::SystemicNoTarget,
                "no actionable target detected".to_string(),
            )
        };
        let why = chemo_why(&what);
        self.add(
            ClinicalTrial,
            Line::First,
            RuleId::TrialsEncouraged,
            condition,
            &why,
        );
        for c in CHEMOTHERAPY {
            self.add(c, Line::First, rule, condition, &why);
        }
        if self.sit.metastatic && self.sit.airway_compromise == Some(true) && self.sit.low_burden()
        {
            let why = chemo_why(
                "airway compromised with low metastatic burden: radiotherapy with concurrent chemotherapy to preserve the airway",
            );
            if self.add(
                ChemoradiationDefinitive,
                Line::First,
                RuleId::AirwayChemoradiation,
                condition,
                &why,
            ) && let Some(c) = self
                .out
                .iter_mut()
                .find(|c| c.id == ChemoradiationDefinitive)
            {
                c.intent = Some(atcpath_kb::Intent::DiseaseControl);
            }
        }
        self.add(
            PalliativeRadiotherapy,
            Line::Alternative,
            RuleId::SystemicNoTarget,
            condition,
            &why,
        );
        self.add(
            BestSupportiveCare,
            Line::Alternative,
            RuleId::SystemicNoTarget,
            condition,
            &why,
        );
    }

    fn resectable_branch(&mut self, condition: Option<&str>) {
        let why = match condition {
            Some(_) => format!(
                "{}; if an R0/R1 resection is anticipated (resectability not yet judged)",
                self.sit.stage_label
            ),
            None => format!("{}; R0/R1 resection anticipated", self.sit.stage_label),
        };
        // Surgery waits for what could change it: distant staging and the confirmed diagnosis.
        let mut gates: Vec<&str> = condition.into_iter().collect();
        if self.sit.distant_staging_missing {
            gates.push("after distant staging confirms M0");
        }
        if !self.sit.expert_review_done {
            gates.push("after expert pathology review confirms ATC");
        }
        let reoperation = self.sit.prior_surgery.map(|d| format!("thyroid already operated on {d}: resection of the recurrence, only if R0/R1 is anticipated"));
        if let Some(r) = &reoperation {
            gates.push(r);
        }
        let gate = (!gates.is_empty()).then(|| gates.join("; "));
        self.add(
            SurgeryTotalThyroidectomy,
            Line::First,
            RuleId::LocoregionalResectable,
            gate.as_deref(),
            &why,
        );
        let cond = condition
            .map(|c| format!("{c}; after R0/R1 resection"))
            .unwrap_or_else(|| "after R0/R1 resection".into());
        self.add(
            AdjuvantChemoradiation,
            Line::First,
            RuleId::LocoregionalResectable,
            Some(&cond),
            &why,
        );
        self.add(
            ClinicalTrial,
            Line::Alternative,
            RuleId::TrialsEncouraged,
            condition,
            &why,
        );
    }

    fn unresectable_branch(&mut self, condition: Option<&str>) {
        let p = self.sit.profile.clone();
        let st = self.sit.stage_label.clone();
        // Why surgery is not the plan: not resectable, or resectable but surgery not possible.
        let not_surgical = match (
            self.sit.resectability,
            self.sit.blocked(self.kb, SurgeryTotalThyroidectomy),
        ) {
            (Some(crate::case::Resectability::Resectable), Some(why)) => {
                format!("resectable but surgery not possible ({why})")
            }
            _ => "unresectable".to_string(),
        };
        let crt = self.ok(ChemoradiationDefinitive);
        if p.braf_v600e.detected()
            && !self
                .sit
                .unavailable
                .contains_key(&Modality::TargetedTherapy)
        {
            let why = format!("{st}, {not_surgical}; {}", p.braf_v600e.basis);
            if crt {
                let c = condition
                    .map(|c| format!("{c}; then reassess resectability"))
                    .unwrap_or_else(|| "then reassess resectability".into());
                self.add(
                    NeoadjuvantDabrafenibTrametinib,
                    Line::First,
                    RuleId::UnresectableBrafRtFeasible,
                    Some(&c),
                    &why,
                );
                self.add(
                    ChemoradiationDefinitive,
                    Line::First,
                    RuleId::UnresectableBrafRtFeasible,
                    Some(&c),
                    &why,
                );
                self.either_or(NeoadjuvantDabrafenibTrametinib, ChemoradiationDefinitive);
            } else {
                let why = format!(
                    "{why}; radiotherapy not feasible ({})",
                    self.sit
                        .blocked(self.kb, ChemoradiationDefinitive)
                        .unwrap_or_default()
                );
                self.add(
                    DabrafenibTrametinib,
                    Line::First,
                    RuleId::UnresectableBrafNoRt,
                    condition,
                    &why,
                );
            }
            self.add(
                ClinicalTrial,
                Line::Alternative,
                RuleId::TrialsEncouraged,
                condition,
                &why,
            );
            return;
        }
        if crt {
            let braf = &p.braf_v600e;
            let why = if braf.unknown() {
                format!(
                    "{st}, {not_surgical}; {}: definitive chemoradiation as bridging while results are pending",
                    braf.basis
                )
            } else {
                format!("{st}, {not_surgical}; {}", braf.basis)
            };
            self.add(
                ChemoradiationDefinitive,
                Line::First,
                RuleId::UnresectableNoBraf,
                condition,
                &why,
            );
            // A fusion found later: matched targeted therapy as the alternative.
            for (f, ids) in [
                (&p.ntrk_fusion, &[Larotrectinib, Entrectinib][..]),
                (&p.ret_fusion, &[Selpercatinib][..]),
                (&p.alk_fusion, &[Crizotinib][..]),
            ] {
                if f.detected() {
                    for id in ids {
                        self.add(
                            *id,
                            Line::Alternative,
                            RuleId::UnresectableNoBraf,
                            condition,
                            &format!("{st}; {}", f.basis),
                        );
                    }
                }
            }
            self.add(
                ClinicalTrial,
                Line::Alternative,
                RuleId::TrialsEncouraged,
                condition,
                &why,
            );
        } else {
            // Chemoradiation not possible: the systemic rows for the same molecular profile.
            let c = condition
                .map(|c| format!("{c}; chemoradiation not possible"))
                .unwrap_or_else(|| "chemoradiation not possible".into());
            self.systemic(Some(&c));
        }
    }
}

/// Applies the decision table to a situation.
pub fn plan(kb: &Kb, sit: &Situation) -> Plan {
    let mut b = Builder {
        kb,
        sit,
        out: Vec::new(),
        blocked: Vec::new(),
    };
    if sit.palliative_focus() {
        let why = match (sit.goals, sit.fitness) {
            (Some(crate::case::Goals::Palliative), _) => {
                "palliative goals of care recorded".to_string()
            }
            (_, Fitness::Poor(e)) => {
                format!(
                    "performance status ECOG {e} (3-4): aggressive multimodal therapy unlikely to help"
                )
            }
            _ => String::new(),
        };
        b.add(
            BestSupportiveCare,
            Line::First,
            RuleId::PalliativeFocus,
            None,
            &why,
        );
        b.add(
            PalliativeRadiotherapy,
            Line::First,
            RuleId::PalliativeFocus,
            None,
            &why,
        );
        let p = &sit.profile;
        for (f, id) in [
            (&p.braf_v600e, DabrafenibTrametinib),
            (&p.ntrk_fusion, Larotrectinib),
            (&p.ret_fusion, Selpercatinib),
            (&p.alk_fusion, Crizotinib),
        ] {
            if f.detected() {
                b.add(
                    id,
                    Line::Alternative,
                    RuleId::PalliativeFocus,
                    Some("only if the patient asks for systemic therapy"),
                    &format!("{why}; {}", f.basis),
                );
            }
        }
    } else if sit.metastatic {
        b.systemic(None);
    } else {
        let surgery = b.ok(SurgeryTotalThyroidectomy);
        match (sit.resectability, surgery) {
            (Some(Resectability::Resectable), true) => b.resectable_branch(None),
            (r, true) if resectability_open(r) => {
                b.resectable_branch(Some("if resectable"));
                b.unresectable_branch(Some("if unresectable"));
            }
            _ => b.unresectable_branch(None),
        }
    }
    // When no active treatment remains first line (only a trial, or nothing), supportive care is first line too.
    // Brain metastases: radiotherapy (with neurosurgery) for the brain alongside systemic therapy (ATA R26-R28).
    if sit.brain_metastases && !sit.palliative_focus() {
        b.add(
            PalliativeRadiotherapy,
            Line::First,
            RuleId::BrainMetastases,
            Some("for the brain metastases, with neurosurgery and radiation oncology"),
            "brain metastases recorded",
        );
    }
    if !b
        .out
        .iter()
        .any(|c| c.line == Line::First && !kb.option(c.id).modalities.is_empty())
    {
        let why = "no active treatment remains after the patient's choices, fitness and contraindications";
        b.out.retain(|c| c.id != BestSupportiveCare);
        for c in b.out.iter_mut().filter(|c| c.id == ClinicalTrial) {
            c.line = Line::Alternative;
        }
        b.out.insert(
            0,
            Candidate {
                id: BestSupportiveCare,
                line: Line::First,
                condition: None,
                rule: RuleId::PalliativeFocus,
                why: why.into(),
                intent: None,
                either_or: Vec::new(),
            },
        );
    }
    // Stable order: first line before alternatives, each in the order the rules proposed.
    b.out.sort_by_key(|c| c.line == Line::Alternative);
    let offered: Vec<OptionId> = b.out.iter().map(|c| c.id).collect();
    let excluded = OptionId::ALL
        .iter()
        .filter(|id| !offered.contains(id))
        .map(|id| {
            let why = b
                .blocked
                .iter()
                .find(|(x, _)| x == id)
                .map(|(_, r)| r.clone())
                .or_else(|| sit.blocked(kb, *id))
                .unwrap_or_else(|| not_indicated(*id, sit));
            (*id, why)
        })
        .collect();
    Plan {
        options: b.out,
        excluded,
    }
}

/// Why an option the rules did not propose is not indicated for this situation.
fn not_indicated(id: OptionId, sit: &Situation) -> String {
    let p = &sit.profile;
    let marker = |f: &crate::molecular::Finding, what: &str| match f.state {
        crate::molecular::State::Unknown => {
            format!("{what} status unknown ({}): see contingencies", f.basis)
        }
        crate::molecular::State::NotDetected if f.pending => format!(
            "{what} not detected ({}), but a broader test is pending: see contingencies",
            f.basis
        ),
        crate::molecular::State::NotDetected => format!("{what} not detected ({})", f.basis),
        crate::molecular::State::Detected => format!(
            "{what} detected, but another option is preferred for {}",
            sit.stage_label
        ),
    };
    match id {
                Lenvatinib => "never first line in ATC: phase II stopped for futility (ORR 2.9%); anti-angiogenic bleeding and fistula risk where the tumour invades the trachea, oesophagus or vessels".into(),
        _ if sit.palliative_focus() => "palliative focus (goals of care or performance status): aggressive treatment not offered".into(),
        SurgeryTotalThyroidectomy | AdjuvantChemoradiation if sit.metastatic => {
            "stage IVC: resection of the primary is not first line (airway palliation only, case by case)".into()
        }
        SurgeryTotalThyroidectomy | AdjuvantChemoradiation => "resection not anticipated to be R0/R1 (unresectable)".into(),
        NeoadjuvantDabrafenibTrametinib if sit.metastatic => "neoadjuvant intent applies to locoregional (IVA/IVB) disease".into(),
        NeoadjuvantDabrafenibTrametinib | DabrafenibTrametinib => marker(&p.braf_v600e, "BRAF V600E"),
        Larotrectinib | Entrectinib | Repotrectinib => marker(&p.ntrk_fusion, "NTRK fusion"),
        Selpercatinib | Pralsetinib => marker(&p.ret_fusion, "RET fusion"),
        Crizotinib => marker(&p.alk_fusion, "ALK fusion"),
                Pembrolizumab | ImmunotherapyCombinationTrial => {
            if !sit.metastatic {
                "locoregional disease: surgery or chemoradiation comes first; immunotherapy only within a trial".into()
            } else if p.has_driver() {
                "a matched targeted therapy is preferred".into()
            } else {
                format!("no immunotherapy criterion met: {}; {}", p.msi_dmmr_tmb.basis, p.pd_l1_high.basis)
            }
        }
        ChemoradiationDefinitive if sit.metastatic => "stage IVC: definitive chemoradiation only with a compromised airway and low metastatic burden".into(),
        ChemoradiationDefinitive => "resection anticipated: surgery then adjuvant chemoradiation".into(),
        PaclitaxelCarboplatin | PaclitaxelWeekly | DocetaxelDoxorubicin | DoxorubicinCisplatin | Doxorubicin => {
            if p.has_driver() {
                "a matched targeted therapy is preferred; chemotherapy at progression".into()
            } else {
                "locoregional disease: chemotherapy is given with radiotherapy (chemoradiation)".into()
            }
        }
        PalliativeRadiotherapy | BestSupportiveCare => "goals of care and fitness support active treatment; palliative care still involved".into(),
        ClinicalTrial => "not proposed by the rules for this situation".into(),
    }
}
