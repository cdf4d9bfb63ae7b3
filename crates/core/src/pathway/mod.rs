//! The ATC pathway engine (clinical-pathway §2-§8): from a validated case and the knowledge
//! base to an [`Assessment`]. Pure: no I/O, no clock (the decision date is the case's `as_of`).

mod alerts;
pub mod intervals;
pub mod options;
pub mod situation;
mod trials;
mod workup;

use std::collections::BTreeSet;

use crate::case::Case;
use crate::report::*;
use crate::staging;
use atcpath_kb::{IntervalDef, Kb, OptionId, RuleId, Thresholds};
use situation::Situation;

/// Settings a centre may change: the rules' thresholds and the fast-track targets.
/// Defaults come from the knowledge base (`kb/facts.toml`).
#[derive(Debug, Clone)]
pub struct Config {
    pub thresholds: Thresholds,
    pub intervals: Vec<IntervalDef>,
    pub dosing: atcpath_kb::DosingPolicy,
}

impl Config {
    /// The knowledge base's defaults.
    pub fn from_kb(kb: &Kb) -> Config {
        Config {
            thresholds: kb.facts.thresholds.clone(),
            intervals: kb.facts.intervals.clone(),
            dosing: kb.facts.dosing.clone(),
        }
    }
}

/// [`assess`] of a case merged with result files (`genomics::merge`): the merge report is the
/// assessment's `molecular_files`, and its alerts join the ALERTS (`alerts::file_alerts`).
pub fn assess_with_files(
    case: &Case,
    kb: &Kb,
    config: &Config,
    files: Option<crate::genomics::merge::MergeReport>,
) -> Assessment {
    let mut a = assess(case, kb, config);
    if let Some(r) = &files {
        alerts::file_alerts(kb, r, &mut a.alerts);
    }
    a.molecular_files = files;
    a
}

/// Assesses one case.
pub fn assess(case: &Case, kb: &Kb, config: &Config) -> Assessment {
    let th = &config.thresholds;
    let staging = staging::stage(&case.tumor);
    let renal = crate::dosing::renal_estimate(case, &config.dosing);
    let crcl = renal.as_ref().map(|r| r.crcl_ml_min);
    let sit = situation::situation(case, kb, th, &staging, crcl);
    let plan = options::plan(kb, &sit);
    let intervals = intervals::intervals(case, &config.intervals);
    let doses = doses(case, kb, config, &plan.first_line());
    let mut alerts = alerts::alerts(
        case,
        kb,
        th,
        &staging,
        &sit,
        &plan,
        renal.as_ref(),
        &intervals,
    );
    alerts::dose_alerts(kb, &doses, &config.dosing, &mut alerts);
    let workup = workup::workup(case, kb, &staging, &sit);
    let contingencies = contingencies(kb, &sit, &staging);
    let trials = trials::match_trials(kb, case, &sit);
    let mut cited = BTreeSet::new();
    let options: Vec<RankedOption> = plan
        .options
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let def = kb.option(c.id);
            let rule = kb.rule(c.rule);
            let mut references: Vec<String> = rule.references.clone();
            for r in &def.references {
                if !references.contains(r) {
                    references.push(r.clone());
                }
            }
            cited.extend(references.iter().cloned());
            // Fitness and goals, unless the rule's own reason already states them.
            let fitness = if c.why.contains("ECOG") || c.why.contains("goals of care") {
                String::new()
            } else {
                format!("; {}", sit.fitness_words())
            };
            let (mut rationale, recommendation) = match c.line {
                Line::First => (
                    format!("{}{fitness}. {}", c.why, rule.summary),
                    rule.recommendation.clone(),
                ),
                Line::Alternative => (
                    format!(
                        "{}{fitness}. Alternative to the first-line choice; {}",
                        c.why, def.description
                    ),
                    format!("alternative listed with: {}", rule.recommendation),
                ),
            };
            if plan.options.iter().any(|o| o.id == OptionId::ClinicalTrial)
                && c.id == OptionId::ClinicalTrial
                && !trials.is_empty()
            {
                rationale.push_str(&format!(
                    " {} matching trial(s) listed below.",
                    trials.len()
                ));
            }
            RankedOption {
                id: c.id,
                rank: i + 1,
                line: c.line,
                intent: c.intent.unwrap_or(
                    if sit.metastatic && def.intent == atcpath_kb::Intent::Curative {
                        atcpath_kb::Intent::DiseaseControl
                    } else {
                        def.intent
                    },
                ),
                condition: c.condition.clone(),
                name: def.name.clone(),
                rationale,
                recommendation,
                either_or: c.either_or.clone(),
                evidence: def.evidence.clone(),
                references,
                regulatory: def.regulatory.clone(),
                radiotherapy: kb
                    .radiotherapy
                    .iter()
                    .filter(|s| s.options.contains(&c.id))
                    .map(crate::radiobiology::schedule_report)
                    .collect(),
            }
        })
        .collect();
    let excluded: Vec<Excluded> = plan
        .excluded
        .iter()
        .map(|(id, why)| Excluded {
            id: *id,
            why: why.clone(),
        })
        .collect();
    cited.extend(kb.rule(RuleId::LenvatinibNever).references.iter().cloned());
    let mut notes = Vec::new();
    if options
        .iter()
        .any(|o| options::CHEMOTHERAPY.contains(&o.id))
    {
        let r = kb.rule(RuleId::WeeklySchedules);
        notes.push(format!("{} ({})", r.summary, r.references.join(", ")));
        cited.extend(r.references.iter().cloned());
    }
    if options.iter().any(|o| {
        o.regulatory
            .iter()
            .any(|r| r.date.as_str() > case.as_of.to_string().as_str())
    }) {
        notes.push(format!(
            "Some regulatory decisions shown post-date the decision date {}: check what was available then.",
            case.as_of
        ));
    }
    let evidence = evidence(kb, &staging, options.first().map(|o| o.id));
    for e in &evidence {
        cited.extend(e.references.iter().cloned());
    }
    for a in &alerts {
        cited.extend(a.source.split(", ").map(str::to_string));
    }
    let actions = actions(case, kb, &alerts);
    let references = cited
        .iter()
        .filter_map(|k| kb.reference(k))
        .map(|r| CitedReference {
            key: r.key.clone(),
            citation: r.citation.clone(),
            doi: r.doi.clone(),
            url: r.url.clone(),
        })
        .collect();
    Assessment {
        case_id: case.id.clone(),
        as_of: case.as_of.to_string(),
        knowledge_base: KbStamp {
            version: kb.meta.version.clone(),
            date: kb.meta.date.clone(),
        },
        stage: StageReport::from(&staging),
        alerts,
        workup,
        options,
        excluded,
        contingencies,
        trials,
        actions,
        doses,
        dosing_policy: config.dosing.clone(),
        intervals,
        evidence,
        molecular: sit.profile.clone(),
        molecular_files: None,
        crcl_ml_min: crcl.map(|c| (c * 10.0).round() / 10.0),
        notes,
        references,
        disclaimer: kb.meta.disclaimer.clone(),
    }
}

/// Immediate actions: stop a dangerous current drug, secure the airway, refer brain metastases,
/// start the plan without waiting for pending results. (Missing work-up is in `workup`.)
fn actions(case: &Case, kb: &Kb, alerts: &[Alert]) -> Vec<String> {
    use atcpath_kb::AlertId;
    let mut out = Vec::new();
    for t in case.treatments.iter().filter(|t| {
        kb.facts.drug_classes.antiangiogenic_mki.contains(&t.drug)
            && t.end.is_none_or(|e| e >= case.as_of)
    }) {
        out.push(format!(
            "Stop {} (bleeding and fistula risk in ATC).",
            t.drug
        ));
    }
    if alerts.iter().any(|a| a.id == AlertId::AirwayCompromise) {
        out.push("Secure the airway: urgent airway team review.".into());
    }
    if alerts.iter().any(|a| a.id == AlertId::BrainMetastases) {
        out.push("Refer the brain metastases to neurosurgery and radiation oncology.".into());
    }
    let palliative = alerts.iter().any(|a| {
        matches!(
            a.id,
            AlertId::PalliativeGoals | AlertId::PoorPerformanceStatus
        )
    });
    if case.diagnosis.expert_review != Some(true) {
        out.push("Confirm ATC by expert pathology review now (exclude lymphoma, squamous carcinoma, metastasis): ATC-specific treatment follows confirmation, earlier only for clinical urgency such as the airway.".into());
    }
    if !palliative
        && alerts
            .iter()
            .any(|a| a.id == AlertId::MolecularResultsPending)
    {
        out.push(
            "Do not wait for pending molecular results to start the first-line plan (bridging)."
                .into(),
        );
    }
    out
}

/// Doses of every regimen of every first-line option (the preferred regimen first).
fn doses(case: &Case, kb: &Kb, config: &Config, first_line: &[OptionId]) -> Vec<Dose> {
    let mut out = Vec::new();
    for id in first_line {
        // Every regimen of the option, the preferred (default) one first.
        let mut regimens: Vec<&atcpath_kb::Regimen> = kb
            .regimens
            .iter()
            .filter(|r| r.option == *id || r.also_options.contains(id))
            .collect();
        regimens.sort_by_key(|r| !r.default_for_option);
        for r in regimens {
            out.extend(
                crate::dosing::regimen_doses(case, kb, r, config)
                    .into_iter()
                    .map(|d| Dose {
                        option_id: *id,
                        ..d
                    }),
            );
        }
    }
    out
}

/// What the plan becomes for each unknown actionable result, and for complete staging.
fn contingencies(kb: &Kb, sit: &Situation, staging: &staging::Staging) -> Vec<Contingency> {
    use crate::molecular::{Finding, State};
    let mut out = Vec::new();
    let set = |f: &mut Finding, s: State, why: &str| {
        f.state = s;
        f.basis = why.to_string();
    };
    type Setter = fn(&mut crate::molecular::Profile) -> &mut Finding;
    let rows: [(&str, Setter); 6] = [
        ("BRAF V600E detected", |p| &mut p.braf_v600e),
        ("NTRK1/2/3 fusion detected", |p| &mut p.ntrk_fusion),
        ("RET fusion detected", |p| &mut p.ret_fusion),
        ("ALK fusion detected", |p| &mut p.alk_fusion),
        ("dMMR, MSI-high or TMB >= threshold", |p| {
            &mut p.msi_dmmr_tmb
        }),
        ("PD-L1 TPS >= threshold", |p| &mut p.pd_l1_high),
    ];
    let mut any_unknown = false;
    let mut any_pending = false;
    for (label, get) in rows {
        let mut s = sit.clone();
        let f = get(&mut s.profile);
        // Unknown, or not detected by one test while a broader one is still pending (IHC-negative, NGS pending).
        if f.state == State::Detected || (f.state == State::NotDetected && !f.pending) {
            continue;
        }
        any_unknown = true;
        let pending = f.pending;
        any_pending |= pending;
        set(f, State::Detected, &format!("if {label}"));
        let p = options::plan(kb, &s);
        out.push(Contingency {
            if_: label.to_string(),
            then: p.first_line(),
            alternatives: p.alternatives(),
            pending,
        });
    }
    if any_unknown {
        let mut s = sit.clone();
        for (_, get) in rows {
            let f = get(&mut s.profile);
            if f.state == State::Unknown {
                set(f, State::NotDetected, "if nothing actionable is found");
            }
        }
        let p = options::plan(kb, &s);
        out.push(Contingency {
            if_: "nothing actionable found".into(),
            then: p.first_line(),
            alternatives: p.alternatives(),
            pending: any_pending,
        });
    }
    if staging.provisional.is_some() {
        let mut s = sit.clone();
        s.metastatic = true;
        s.stage_label = "stage IVC (if distant metastases are found)".into();
        let p = options::plan(kb, &s);
        out.push(Contingency {
            if_: "distant metastases found on staging (IVC)".into(),
            then: p.first_line(),
            alternatives: p.alternatives(),
            pending: false,
        });
    }
    out
}

/// Published benchmarks for the stage and the main option.
fn evidence(kb: &Kb, staging: &staging::Staging, main: Option<OptionId>) -> Vec<EvidenceItem> {
    let stages: Vec<String> = match (staging.group, staging.provisional) {
        (Some(g), _) => vec![g.to_string()],
        (None, Some(staging::Provisional::IVA)) => vec!["IVA".into()],
        (None, Some(staging::Provisional::IVB)) => vec!["IVB".into()],
        _ => vec!["IVA".into(), "IVB".into()],
    };
    let mut relevant: Vec<&atcpath_kb::Benchmark> = kb
        .benchmarks
        .iter()
        .filter(|b| b.stages.iter().any(|s| stages.contains(s)))
        .filter(|b| b.options.is_empty() || main.is_some_and(|m| b.options.contains(&m)))
        .collect();
    // Outcomes of the main option first, then stage-specific series, then the general ones.
    relevant.sort_by_key(|b| (b.options.is_empty(), b.stages.len()));
    relevant
        .into_iter()
        .map(|b| EvidenceItem {
            cohort: b.cohort.clone(),
            n: b.n.clone(),
            result: b.result.clone(),
            references: b.references.clone(),
        })
        .collect()
}
