//! Pathway behaviour, rule by rule (clinical-pathway.md §2-§8), on small cases.

use atcpath_core::case::read_case;
use atcpath_core::report::{Assessment, Line, WorkupStatus};
use atcpath_core::{Config, assess};
use atcpath_kb::{AlertId, Kb, OptionId, WorkupId};
use serde_json::{Value, json};

fn kb() -> Kb {
    Kb::embedded().expect("embedded KB is valid")
}

fn run(case: Value) -> Assessment {
    let kb = kb();
    let c = read_case(&serde_json::to_vec(&case).unwrap(), &kb, None)
        .unwrap_or_else(|p| panic!("invalid test case: {p:?}"));
    assess(&c, &kb, &Config::from_kb(&kb))
}

fn case(tumor: Value, molecular: Value, extra: Value) -> Value {
    let mut c = json!({"schema": "atcpath.case/1", "id": "t", "as_of": "2024-05-01", "tumor": tumor, "molecular": molecular});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            c[k] = v;
        }
    }
    c
}

fn first(a: &Assessment) -> Vec<OptionId> {
    a.options
        .iter()
        .filter(|o| o.line == Line::First)
        .map(|o| o.id)
        .collect()
}
fn alerts(a: &Assessment) -> Vec<AlertId> {
    a.alerts.iter().map(|x| x.id).collect()
}
fn excluded_why(a: &Assessment, id: OptionId) -> String {
    a.excluded
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.why.clone())
        .unwrap_or_else(|| panic!("{id} not excluded"))
}
fn braf() -> Value {
    json!({"resulted": ["ngs_dna", "ngs_rna"], "variants": [{"gene": "BRAF", "hgvs_p": "p.Val600Glu"}]})
}

#[test]
fn ivc_braf_gets_dabrafenib_trametinib_first() {
    let a = run(case(
        json!({"m": "M1", "metastatic_sites": ["lung"]}),
        braf(),
        json!({}),
    ));
    assert_eq!(first(&a), vec![OptionId::DabrafenibTrametinib]);
    assert!(a.options[0].references.iter().any(|r| r == "review:8"));
}

#[test]
fn unresectable_ivb_braf_gets_neoadjuvant_or_chemoradiation() {
    let a = run(case(
        json!({"t": "T4b", "m": "M0", "resectability": "unresectable"}),
        braf(),
        json!({}),
    ));
    assert_eq!(
        first(&a),
        vec![
            OptionId::NeoadjuvantDabrafenibTrametinib,
            OptionId::ChemoradiationDefinitive
        ]
    );
    assert_eq!(
        a.options[0].either_or,
        vec![OptionId::ChemoradiationDefinitive],
        "alternatives, not given together"
    );
    assert!(
        !alerts(&a).contains(&AlertId::BrafMekHeldDuringRadiotherapy),
        "no hold alert for an either-or"
    );
}

#[test]
fn unresectable_ivb_braf_declining_radiotherapy_gets_dabrafenib_trametinib() {
    let a = run(case(
        json!({"t": "T4b", "m": "M0", "resectability": "unresectable"}),
        braf(),
        json!({"preferences": {"declines": ["radiotherapy"]}}),
    ));
    assert_eq!(first(&a), vec![OptionId::DabrafenibTrametinib]);
    assert!(excluded_why(&a, OptionId::ChemoradiationDefinitive).contains("declines radiotherapy"));
}

#[test]
fn unresectable_ivb_without_braf_declining_radiotherapy_reads_the_ivc_rows() {
    let a = run(case(
        json!({"t": "T4b", "m": "M0", "resectability": "unresectable"}),
        json!({"resulted": ["ngs_dna", "ngs_rna", "mmr_ihc"], "mmr": "proficient", "tmb_mut_per_mb": 2, "pd_l1_tps_percent": 5}),
        json!({"preferences": {"declines": ["radiotherapy"]}}),
    ));
    let f = first(&a);
    assert!(
        f.contains(&OptionId::PaclitaxelWeekly) && f.contains(&OptionId::ClinicalTrial),
        "{f:?}"
    );
    assert!(!f.contains(&OptionId::ChemoradiationDefinitive));
}

#[test]
fn resectable_locoregional_gets_surgery_then_adjuvant() {
    let a = run(case(
        json!({"t": "T3b", "n": "N0", "m": "M0", "resectability": "resectable"}),
        json!({}),
        json!({}),
    ));
    assert_eq!(
        first(&a),
        vec![
            OptionId::SurgeryTotalThyroidectomy,
            OptionId::AdjuvantChemoradiation
        ]
    );
    assert_eq!(a.options[0].intent, atcpath_kb::Intent::Curative);
}

#[test]
fn unknown_resectability_shows_both_branches_with_conditions() {
    let a = run(case(json!({"t": "T4a", "m": "M0"}), json!({}), json!({})));
    let surgery = a
        .options
        .iter()
        .find(|o| o.id == OptionId::SurgeryTotalThyroidectomy)
        .unwrap();
    let crt = a
        .options
        .iter()
        .find(|o| o.id == OptionId::ChemoradiationDefinitive)
        .unwrap();
    assert!(
        surgery.condition.as_deref().is_some_and(
            |c| c.starts_with("if resectable") && c.contains("expert pathology review")
        )
    );
    assert_eq!(crt.condition.as_deref(), Some("if unresectable"));
    let w = a
        .workup
        .iter()
        .find(|w| w.id == WorkupId::ResectabilityAssessment)
        .unwrap();
    assert_eq!(w.status, WorkupStatus::Missing);
}

#[test]
fn palliative_goals_or_ecog_3_focus_on_comfort() {
    for extra in [
        json!({"preferences": {"goals_of_care": "palliative"}}),
        json!({"patient": {"ecog": 3}}),
    ] {
        let a = run(case(json!({"m": "M1"}), braf(), extra));
        assert_eq!(
            first(&a),
            vec![
                OptionId::BestSupportiveCare,
                OptionId::PalliativeRadiotherapy
            ]
        );
        let dt = a
            .options
            .iter()
            .find(|o| o.id == OptionId::DabrafenibTrametinib)
            .unwrap();
        assert_eq!(
            dt.line,
            Line::Alternative,
            "targeted option only if the patient asks"
        );
        assert!(a.trials.is_empty());
    }
}

#[test]
fn lenvatinib_is_never_offered_and_current_use_is_critical() {
    let a = run(case(
        json!({"m": "M1", "invasion": ["trachea"]}),
        json!({}),
        json!({"treatments": [{"drug": "Lenvatinib", "start": "2024-04-01"}]}),
    ));
    assert!(!a.options.iter().any(|o| o.id == OptionId::Lenvatinib));
    assert!(excluded_why(&a, OptionId::Lenvatinib).contains("ORR 2.9%"));
    assert_eq!(a.alerts[0].id, AlertId::LenvatinibBleedingRisk);
}

#[test]
fn unknown_braf_is_never_negative() {
    let a = run(case(json!({"m": "M1"}), json!({}), json!({})));
    assert!(alerts(&a).contains(&AlertId::MolecularResultsPending));
    assert!(excluded_why(&a, OptionId::DabrafenibTrametinib).contains("unknown"));
    let braf = a
        .contingencies
        .iter()
        .find(|c| c.if_.starts_with("BRAF"))
        .unwrap();
    assert_eq!(braf.then, vec![OptionId::DabrafenibTrametinib]);
}

#[test]
fn a_bare_braf_entry_leaves_v600e_unknown_and_asks_for_confirmation() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["braf_v600e_ihc"], "variants": [{"gene": "BRAF"}]}),
        json!({}),
    ));
    assert!(!first(&a).contains(&OptionId::DabrafenibTrametinib));
    assert!(
        a.workup
            .iter()
            .any(|w| w.id == WorkupId::BrafConfirmation && w.status == WorkupStatus::Missing)
    );
}

#[test]
fn ihc_only_braf_counts_but_needs_confirmation() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["braf_v600e_ihc"], "variants": [{"gene": "BRAF", "hgvs_p": "p.(V600E)"}]}),
        json!({}),
    ));
    assert_eq!(first(&a), vec![OptionId::DabrafenibTrametinib]);
    assert!(a.workup.iter().any(|w| w.id == WorkupId::BrafConfirmation));
}

#[test]
fn ihc_negative_with_ngs_pending_keeps_a_braf_branch() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["braf_v600e_ihc"], "pending": ["ngs_dna"]}),
        json!({}),
    ));
    assert!(
        a.contingencies
            .iter()
            .any(|c| c.if_.starts_with("BRAF") && c.pending)
    );
}

#[test]
fn ngs_dna_does_not_rule_out_fusions() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna"]}),
        json!({}),
    ));
    assert!(
        a.contingencies
            .iter()
            .any(|c| c.if_.starts_with("RET") && c.then == vec![OptionId::Selpercatinib])
    );
    assert!(
        a.workup
            .iter()
            .any(|w| w.id == WorkupId::NgsRna && w.status == WorkupStatus::Missing)
    );
}

#[test]
fn ntrk_fusion_gets_trk_inhibitors() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_rna"], "fusions": [{"five_prime": "ETV6", "three_prime": "NTRK3"}]}),
        json!({}),
    ));
    assert_eq!(
        first(&a),
        vec![OptionId::Larotrectinib, OptionId::Entrectinib]
    );
}

#[test]
fn msi_high_without_driver_gets_pembrolizumab() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna", "msi_pcr"], "msi": "high"}),
        json!({}),
    ));
    assert_eq!(first(&a), vec![OptionId::Pembrolizumab]);
}

#[test]
fn high_pd_l1_without_target_gets_immunotherapy_preferably_in_trial() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna", "pd_l1_ihc"], "pd_l1_tps_percent": 50}),
        json!({}),
    ));
    assert_eq!(
        first(&a),
        vec![
            OptionId::Pembrolizumab,
            OptionId::ImmunotherapyCombinationTrial
        ]
    );
    let b = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna", "pd_l1_ihc"], "pd_l1_tps_percent": 49}),
        json!({}),
    ));
    assert!(!first(&b).contains(&OptionId::Pembrolizumab));
}

#[test]
fn ivc_airway_with_low_burden_adds_chemoradiation() {
    let low = run(case(
        json!({"m": "M1", "metastatic_sites": ["lung"], "airway_compromise": true}),
        json!({"resulted": ["ngs_dna", "ngs_rna"]}),
        json!({}),
    ));
    assert!(first(&low).contains(&OptionId::ChemoradiationDefinitive));
    let high = run(case(
        json!({"m": "M1", "metastatic_sites": ["lung", "bone"], "airway_compromise": true}),
        json!({"resulted": ["ngs_dna", "ngs_rna"]}),
        json!({}),
    ));
    assert!(!first(&high).contains(&OptionId::ChemoradiationDefinitive));
}

#[test]
fn missing_m_plans_provisionally_and_adds_the_ivc_branch() {
    let a = run(case(
        json!({"t": "T4a", "resectability": "unresectable"}),
        json!({}),
        json!({}),
    ));
    assert_eq!(a.stage.group, "unknown");
    assert_eq!(a.stage.provisional.as_deref(), Some("IVB"));
    assert!(alerts(&a).contains(&AlertId::StagingIncomplete));
    let ivc = a
        .contingencies
        .iter()
        .find(|c| c.if_.contains("distant metastases"))
        .unwrap();
    assert!(ivc.then.contains(&OptionId::PaclitaxelWeekly));
}

#[test]
fn renal_impairment_excludes_cisplatin() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna"]}),
        json!({"patient": {"age_years": 80, "sex": "female", "weight": {"value": 50, "unit": "kg"}}, "labs": {"creatinine": {"value": 1.4, "unit": "mg/dL"}}}),
    ));
    assert!(alerts(&a).contains(&AlertId::RenalImpairment));
    assert!(excluded_why(&a, OptionId::DoxorubicinCisplatin).contains("avoid cisplatin"));
}

#[test]
fn low_lvef_excludes_anthracyclines() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna"]}),
        json!({"labs": {"lvef_percent": 40}}),
    ));
    for id in [OptionId::Doxorubicin, OptionId::DocetaxelDoxorubicin] {
        assert!(excluded_why(&a, id).contains("LVEF"));
    }
    assert!(first(&a).contains(&OptionId::PaclitaxelWeekly));
}

#[test]
fn declining_everything_still_leaves_supportive_care() {
    let a = run(case(
        json!({"m": "M1"}),
        braf(),
        json!({"preferences": {"declines": ["surgery", "radiotherapy", "chemotherapy", "immunotherapy", "targeted_therapy"]}}),
    ));
    let f = first(&a);
    assert!(f.contains(&OptionId::BestSupportiveCare), "{f:?}");
    assert!(
        f.iter()
            .all(|id| matches!(id, OptionId::BestSupportiveCare | OptionId::ClinicalTrial)),
        "{f:?}"
    );
}

#[test]
fn fast_track_intervals_measure_days_and_flag_overdue_steps() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({}),
        json!({"events": [{"kind": "biopsy", "date": "2024-04-01"}, {"kind": "braf_result", "date": "2024-04-03"}, {"kind": "first_contact", "date": "2024-03-30"}]}),
    ));
    let braf = a
        .intervals
        .iter()
        .find(|i| i.id == "biopsy_to_braf_result")
        .unwrap();
    assert_eq!(
        (braf.days, braf.status.as_str()),
        (Some(2), "within_target")
    );
    let mdt = a
        .intervals
        .iter()
        .find(|i| i.id == "first_contact_to_mdt")
        .unwrap();
    assert_eq!((mdt.days, mdt.status.as_str()), (Some(32), "overdue"));
    assert!(alerts(&a).contains(&AlertId::FastTrackOverdue));
}

#[test]
fn trials_match_setting_and_biomarker() {
    let a = run(case(json!({"m": "M1"}), braf(), json!({})));
    assert!(
        a.trials.iter().any(|t| t.nct_id == "NCT04238624"),
        "BRAF advanced trial"
    );
    assert!(
        !a.trials.iter().any(|t| t.nct_id == "NCT04739566"),
        "neoadjuvant trial is not for IVC"
    );
    assert!(
        !a.trials.iter().any(|t| t.nct_id == "NCT04759911"),
        "RET trial needs a RET alteration"
    );
    assert!(
        a.trials
            .iter()
            .all(|t| !t.status.to_lowercase().contains("not recruiting"))
    );
}

#[test]
fn every_report_shows_the_kb_version_and_resolves_its_citations() {
    let kb = kb();
    let a = run(case(json!({"m": "M1"}), braf(), json!({})));
    assert_eq!(a.knowledge_base.version, kb.meta.version);
    for o in &a.options {
        for r in &o.references {
            assert!(
                a.references.iter().any(|c| &c.key == r),
                "{r} cited but not listed"
            );
        }
    }
}

#[test]
fn listed_metastatic_sites_mean_m1_even_without_m() {
    let a = run(case(
        json!({"t": "T4a", "metastatic_sites": ["lung"]}),
        braf(),
        json!({}),
    ));
    assert_eq!(a.stage.group, "IVC");
    assert_eq!(first(&a), vec![OptionId::DabrafenibTrametinib]);
}

#[test]
fn progression_on_a_regimen_removes_it() {
    let a = run(case(
        json!({"m": "M1"}),
        braf(),
        json!({
            "treatments": [{"drug": "dabrafenib", "start": "2024-01-01"}, {"drug": "trametinib", "start": "2024-01-01"}],
            "events": [{"kind": "progression", "date": "2024-04-01"}]
        }),
    ));
    assert!(!first(&a).contains(&OptionId::DabrafenibTrametinib));
    assert!(
        excluded_why(&a, OptionId::DabrafenibTrametinib)
            .contains("progression on dabrafenib + trametinib")
    );
}

#[test]
fn brain_metastases_add_radiotherapy_for_the_brain() {
    let a = run(case(
        json!({"m": "M1", "metastatic_sites": ["brain"]}),
        json!({"resulted": ["ngs_rna"], "fusions": [{"five_prime": "CCDC6", "three_prime": "RET"}]}),
        json!({}),
    ));
    let f = first(&a);
    assert!(
        f.contains(&OptionId::Selpercatinib) && f.contains(&OptionId::PalliativeRadiotherapy),
        "{f:?}"
    );
    assert_eq!(a.alerts[0].id, AlertId::BrainMetastases);
}

#[test]
fn anti_angiogenic_trials_are_not_offered_with_possible_invasion() {
    let a = run(case(
        json!({"m": "M1", "invasion": ["trachea"]}),
        json!({}),
        json!({}),
    ));
    for nct in ["NCT04400474", "NCT04579757"] {
        assert!(
            !a.trials.iter().any(|t| t.nct_id == nct),
            "{nct} (anti-angiogenic) offered"
        );
    }
    let b = run(case(
        json!({"m": "M1", "invasion": []}),
        json!({}),
        json!({}),
    ));
    assert!(
        b.trials.iter().any(|t| t.nct_id == "NCT04400474"),
        "no gross invasion: allowed"
    );
    assert!(
        a.trials.iter().all(|t| t.why.contains("days old")),
        "statuses from 2022 are old on 2024-05-01"
    );
}

#[test]
fn a_lab_value_typical_of_the_other_unit_is_flagged() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({}),
        json!({"labs": {"creatinine": {"value": 15, "unit": "mg/dL"}}}),
    ));
    assert!(alerts(&a).contains(&AlertId::LabUnitCheck));
    let b = run(case(
        json!({"m": "M1"}),
        json!({}),
        json!({"labs": {"creatinine": {"value": 1.0, "unit": "mg/dL"}}}),
    ));
    assert!(!alerts(&b).contains(&AlertId::LabUnitCheck));
}

#[test]
fn a_declined_tracheostomy_changes_the_airway_advice() {
    let a = run(case(
        json!({"m": "M1", "airway_compromise": true}),
        json!({}),
        json!({"preferences": {"tracheostomy": "decline"}}),
    ));
    let air = a
        .alerts
        .iter()
        .find(|x| x.id == AlertId::AirwayCompromise)
        .unwrap();
    assert!(
        air.message.contains("declines tracheostomy")
            && !air.message.contains("decide tracheostomy")
    );
}

#[test]
fn current_lenvatinib_is_stopped_first() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({}),
        json!({"treatments": [{"drug": "lenvatinib", "start": "2024-04-01"}]}),
    ));
    assert!(a.actions[0].starts_with("Stop lenvatinib"));
}

#[test]
fn surgery_waits_for_staging_and_expert_review() {
    let a = run(case(
        json!({"t": "T2", "n": "N0", "resectability": "resectable"}),
        json!({}),
        json!({}),
    ));
    let s = a
        .options
        .iter()
        .find(|o| o.id == OptionId::SurgeryTotalThyroidectomy)
        .unwrap();
    let c = s.condition.as_deref().unwrap_or_default();
    assert!(
        c.contains("distant staging confirms M0") && c.contains("expert pathology review"),
        "{c}"
    );
}

#[test]
fn after_progression_on_a_ret_inhibitor_chemotherapy_or_a_trial_comes_first() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna"], "fusions": [{"five_prime": "CCDC6", "three_prime": "RET"}]}),
        json!({"patient": {"ecog": 1}, "preferences": {"goals_of_care": "aggressive"},
               "treatments": [{"drug": "Retevmo", "start": "2023-10-01"}],
               "events": [{"kind": "progression", "date": "2024-04-20"}]}),
    ));
    let f = first(&a);
    assert!(
        f.contains(&OptionId::PaclitaxelWeekly) && f.contains(&OptionId::ClinicalTrial),
        "{f:?}"
    );
    assert!(!f.contains(&OptionId::BestSupportiveCare) && !f.contains(&OptionId::Pralsetinib));
    assert!(excluded_why(&a, OptionId::Pralsetinib).contains("progression on selpercatinib"));
}

#[test]
fn declined_surgery_in_a_resectable_patient_is_said_as_such() {
    let a = run(case(
        json!({"t": "T2", "n": "N0", "m": "M0", "resectability": "resectable"}),
        json!({}),
        json!({"preferences": {"declines": ["surgery"]}}),
    ));
    assert!(
        a.options[0]
            .rationale
            .contains("resectable but surgery not possible"),
        "{}",
        a.options[0].rationale
    );
    assert!(excluded_why(&a, OptionId::AdjuvantChemoradiation).contains("declines surgery"));
}

#[test]
fn an_option_in_both_resectability_branches_has_no_branch_condition() {
    let a = run(case(json!({"t": "T4a", "m": "M0"}), json!({}), json!({})));
    let trial = a
        .options
        .iter()
        .find(|o| o.id == OptionId::ClinicalTrial)
        .unwrap();
    assert_eq!(trial.condition, None);
}

#[test]
fn unknown_drug_names_are_flagged_and_brand_names_recognised() {
    let a = run(case(
        json!({"m": "M1", "invasion": ["trachea"]}),
        json!({}),
        json!({"treatments": [{"drug": "Lenvima", "start": "2024-04-01"}, {"drug": "unobtainium"}]}),
    ));
    assert!(
        alerts(&a).contains(&AlertId::LenvatinibBleedingRisk),
        "Lenvima is lenvatinib"
    );
    assert!(alerts(&a).contains(&AlertId::UnrecognisedDrug));
}

#[test]
fn a_recurrence_after_thyroid_surgery_is_not_a_first_operation() {
    let a = run(case(
        json!({"n": "N1b", "m": "M0"}),
        json!({}),
        json!({"diagnosis": {"date": "2024-04-01"}, "events": [{"kind": "surgery", "date": "2023-01-10"}, {"kind": "biopsy", "date": "2024-04-01"}]}),
    ));
    let s = a
        .options
        .iter()
        .find(|o| o.id == OptionId::SurgeryTotalThyroidectomy)
        .unwrap();
    assert!(
        s.condition
            .as_deref()
            .unwrap_or_default()
            .contains("already operated on 2023-01-10")
    );
    let rt = a
        .intervals
        .iter()
        .find(|i| i.id == "surgery_to_radiotherapy_start")
        .unwrap();
    assert_eq!(
        rt.status, "not_started",
        "the earlier operation starts no interval"
    );
}

#[test]
fn a_resulted_test_without_a_dated_event_is_done_not_overdue() {
    let a = run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna"]}),
        json!({"events": [{"kind": "biopsy", "date": "2024-01-01"}]}),
    ));
    let ngs = a
        .intervals
        .iter()
        .find(|i| i.id == "biopsy_to_ngs_result")
        .unwrap();
    assert_eq!(ngs.status, "done_date_not_recorded");
    assert!(
        !a.alerts
            .iter()
            .any(|x| x.id == AlertId::FastTrackOverdue && x.message.contains("ngs_result"))
    );
}

fn with_prior(treatments: Value) -> Assessment {
    run(case(
        json!({"m": "M1"}),
        json!({"resulted": ["ngs_dna", "ngs_rna"]}),
        json!({"labs": {"lvef_percent": 60}, "treatments": treatments}),
    ))
}

#[test]
fn doxorubicin_written_with_its_salt_counts_towards_the_limit() {
    for name in ["Doxorubicin HCl", "doxorubicin hydrochloride", "Adriamycin"] {
        let a =
            with_prior(json!([{"drug": name, "cumulative_dose": {"value": 600, "unit": "mg/m2"}}]));
        for id in [
            OptionId::Doxorubicin,
            OptionId::DocetaxelDoxorubicin,
            OptionId::DoxorubicinCisplatin,
        ] {
            assert!(
                excluded_why(&a, id).contains("cumulative doxorubicin 600"),
                "{name}: {id}"
            );
        }
        assert!(
            alerts(&a).contains(&AlertId::CumulativeAnthracycline),
            "{name}"
        );
        assert!(!alerts(&a).contains(&AlertId::UnrecognisedDrug), "{name}");
    }
}

#[test]
fn a_prior_anthracycline_that_cannot_be_counted_withholds_further_anthracycline() {
    // No cumulative dose, or a dose in mg without weight and height to convert it.
    for t in [
        json!([{"drug": "doxorubicin"}]),
        json!([{"drug": "epirubicin", "cumulative_dose": {"value": 300, "unit": "mg"}}]),
        json!([{"drug": "doxorubicin", "cumulative_dose": {"value": 100, "unit": "mg/m2"}}, {"drug": "Adriamycin"}]),
        // No agreed ratio to doxorubicin: the doxorubicin-equivalent dose must be given.
        json!([{"drug": "Ellence", "cumulative_dose": {"value": 300, "unit": "mg/m2"}}]),
        json!([{"drug": "idarubicin", "cumulative_dose": {"value": 40, "unit": "mg/m2"}}]),
        json!([{"drug": "mitoxantrone hydrochloride", "cumulative_dose": {"value": 60, "unit": "mg/m2"}}]),
    ] {
        let a = with_prior(t.clone());
        for id in [OptionId::Doxorubicin, OptionId::DocetaxelDoxorubicin] {
            assert!(
                excluded_why(&a, id).contains("prior anthracycline dose not known: clarify"),
                "{t}: {id}"
            );
        }
        assert!(first(&a).contains(&OptionId::PaclitaxelWeekly), "{t}");
    }
    // A counted dose under the limit leaves the anthracycline options open.
    let a = with_prior(
        json!([{"drug": "doxorubicin", "cumulative_dose": {"value": 100, "unit": "mg/m2"}}]),
    );
    assert!(!a.excluded.iter().any(|e| e.id == OptionId::Doxorubicin));
}

#[test]
fn an_unrecognised_drug_with_a_dose_is_a_report_alert() {
    let a = with_prior(
        json!([{"drug": "trabectedin", "cumulative_dose": {"value": 60, "unit": "mg/m2"}}]),
    );
    let alert = a
        .alerts
        .iter()
        .find(|x| x.id == AlertId::UnrecognisedDrug)
        .expect("unrecognised drug alert");
    assert!(
        alert
            .message
            .contains("trabectedin (treatments[0]: cumulative dose 60 mg/m2 recorded"),
        "{}",
        alert.message
    );
    assert_eq!(alert.severity, atcpath_kb::Severity::Warning);
    // Without a dose it stays information.
    let a = with_prior(json!([{"drug": "trabectedin"}]));
    let alert = a
        .alerts
        .iter()
        .find(|x| x.id == AlertId::UnrecognisedDrug)
        .expect("unrecognised drug alert");
    assert_eq!(alert.severity, atcpath_kb::Severity::Info);
}
