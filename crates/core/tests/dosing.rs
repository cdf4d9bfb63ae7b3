//! Doses: worked values of clinical-reference §5, policies, units, and invariants (proptest).

use atcpath_core::case::read_case;
use atcpath_core::dosing::{self, DrugDose};
use atcpath_core::{Config, assess};
use atcpath_kb::{BsaFormula, CrclWeight, Kb, OptionId};
use proptest::prelude::*;
use serde_json::{Value, json};

fn kb() -> Kb {
    Kb::embedded().unwrap()
}

fn patient(p: Value, labs: Value) -> atcpath_core::case::Case {
    let c = json!({"schema": "atcpath.case/1", "id": "d", "as_of": "2024-05-01", "patient": p, "labs": labs, "tumor": {"m": "M1"}});
    read_case(&serde_json::to_vec(&c).unwrap(), &kb(), None).unwrap_or_else(|e| panic!("{e:?}"))
}

fn worked() -> atcpath_core::case::Case {
    patient(
        json!({"age_years": 73, "sex": "male", "weight": {"value": 68, "unit": "kg"}, "height": {"value": 175, "unit": "cm"}}),
        json!({"creatinine": {"value": 1.1, "unit": "mg/dL"}}),
    )
}

fn regimen(kb: &Kb, id: &str) -> atcpath_kb::Regimen {
    kb.regimens.iter().find(|r| r.id == id).unwrap().clone()
}

fn dose_of(doses: &[DrugDose], drug: &str) -> DrugDose {
    doses.iter().find(|d| d.drug == drug).unwrap().clone()
}

#[test]
fn paclitaxel_carboplatin_worked_example() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let d = dosing::regimen_doses(
        &worked(),
        &kb,
        &regimen(&kb, "paclitaxel_carboplatin_q3w"),
        &cfg,
    );
    let pac = dose_of(&d, "paclitaxel");
    assert!((pac.calculated.unwrap() - 318.2).abs() < 0.05, "{pac:?}");
    assert_eq!(pac.dose, Some(320.0));
    let carbo = dose_of(&d, "carboplatin");
    assert!(
        (carbo.calculated.unwrap() - 412.6).abs() < 0.05,
        "{carbo:?}"
    );
    assert_eq!(carbo.dose, Some(410.0));
    assert!(
        carbo.basis.contains("actual body weight 68.0 kg") && carbo.basis.contains("CrCl 57.5")
    );
}

#[test]
fn weekly_and_other_regimens_worked_example() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let c = worked();
    let weekly = dosing::regimen_doses(
        &c,
        &kb,
        &regimen(&kb, "paclitaxel_carboplatin_weekly"),
        &cfg,
    );
    assert!((dose_of(&weekly, "carboplatin").calculated.unwrap() - 165.1).abs() < 0.05);
    assert!(
        (dose_of(&weekly, "paclitaxel").calculated.unwrap() - 145.4).abs() < 0.05,
        "80 mg/m2"
    );
    let ap = dosing::regimen_doses(&c, &kb, &regimen(&kb, "doxorubicin_cisplatin_q4w"), &cfg);
    assert!((dose_of(&ap, "doxorubicin").calculated.unwrap() - 109.1).abs() < 0.05);
    let cis = dose_of(&ap, "cisplatin");
    assert!((cis.calculated.unwrap() - 218.2).abs() < 0.05);
    assert!(
        cis.flags.iter().any(|f| f.contains("pharmacist review")),
        "Table 3's 120 mg/m2 is flagged"
    );
    assert!(
        cis.flags.iter().any(|f| f.contains("avoid cisplatin")),
        "CrCl 57.5 < 60"
    );
}

#[test]
fn female_patient_clearance() {
    let c = patient(
        json!({"age_years": 73, "sex": "female", "weight": {"value": 68, "unit": "kg"}, "height": {"value": 175, "unit": "cm"}}),
        json!({"creatinine": {"value": 1.1, "unit": "mg/dL"}}),
    );
    let r = dosing::crcl_with_policy(&c, &kb().facts.dosing).unwrap();
    assert!((r.crcl_ml_min - 48.9).abs() < 0.05);
}

#[test]
fn obese_patient_weight_policies() {
    let kb = kb();
    let c = patient(
        json!({"age_years": 60, "sex": "male", "weight": {"value": 120, "unit": "kg"}, "height": {"value": 170, "unit": "cm"}}),
        json!({"creatinine": {"value": 0.9, "unit": "mg/dL"}}),
    );
    let mut cfg = Config::from_kb(&kb);
    let carbo = |cfg: &Config| {
        dose_of(
            &dosing::regimen_doses(&c, &kb, &regimen(&kb, "paclitaxel_carboplatin_q3w"), cfg),
            "carboplatin",
        )
    };
    // Default: auto, BMI 41.5 >= 30 -> adjusted body weight 87.6 kg -> 108.1 mL/min -> 665.5 mg.
    let d = carbo(&cfg);
    assert!((d.calculated.unwrap() - 665.5).abs() < 0.2, "{d:?}");
    assert!(d.basis.contains("adjusted body weight"));
    cfg.dosing.crcl_weight = CrclWeight::Actual;
    let d = carbo(&cfg);
    assert_eq!(
        d.calculated,
        Some(750.0),
        "148.1 mL/min capped at 125 -> AUC 5 x 150"
    );
    assert!(d.basis.contains("capped at 125"));
    cfg.dosing.crcl_weight = CrclWeight::Ideal;
    assert!((carbo(&cfg).calculated.unwrap() - 532.0).abs() < 0.2);
    cfg.dosing.carboplatin_gfr_cap_ml_min = None;
    cfg.dosing.crcl_weight = CrclWeight::Actual;
    assert!(
        (carbo(&cfg).calculated.unwrap() - 5.0 * (148.15 + 25.0)).abs() < 0.5,
        "no cap"
    );
    let pac = dose_of(
        &dosing::regimen_doses(
            &c,
            &kb,
            &regimen(&kb, "paclitaxel_carboplatin_q3w"),
            &Config::from_kb(&kb),
        ),
        "paclitaxel",
    );
    assert!(
        pac.flags.iter().any(|f| f.contains("BSA 2.38")),
        "BSA above 2.0 flagged, not capped"
    );
    assert!((pac.calculated.unwrap() - 175.0 * 2.3805).abs() < 0.5);
    cfg.dosing.bsa_cap_m2 = Some(2.0);
    let capped = dose_of(
        &dosing::regimen_doses(&c, &kb, &regimen(&kb, "paclitaxel_carboplatin_q3w"), &cfg),
        "paclitaxel",
    );
    assert_eq!(capped.calculated, Some(350.0));
}

#[test]
fn dubois_is_selectable() {
    let kb = kb();
    let mut cfg = Config::from_kb(&kb);
    cfg.dosing.bsa_formula = BsaFormula::Dubois;
    let d = dose_of(
        &dosing::regimen_doses(&worked(), &kb, &regimen(&kb, "doxorubicin_q3w"), &cfg),
        "doxorubicin",
    );
    assert!((d.calculated.unwrap() - 60.0 * 1.826).abs() < 0.1 && d.basis.contains("Dubois"));
}

#[test]
fn selpercatinib_is_weight_banded() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let at = |kg: f64| {
        let c = patient(json!({"weight": {"value": kg, "unit": "kg"}}), json!({}));
        dose_of(
            &dosing::regimen_doses(&c, &kb, &regimen(&kb, "selpercatinib"), &cfg),
            "selpercatinib",
        )
        .dose
    };
    assert_eq!(at(49.9), Some(120.0));
    assert_eq!(at(50.0), Some(160.0));
    let unknown = patient(json!({}), json!({}));
    let d = dose_of(
        &dosing::regimen_doses(&unknown, &kb, &regimen(&kb, "selpercatinib"), &cfg),
        "selpercatinib",
    );
    assert_eq!(d.dose, None);
    assert!(d.basis.contains("needs weight"));
}

#[test]
fn missing_measurements_are_named_never_defaulted() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let c = patient(
        json!({"age_years": 70, "sex": "male", "height": {"value": 170, "unit": "cm"}}),
        json!({}),
    );
    let d = dosing::regimen_doses(&c, &kb, &regimen(&kb, "paclitaxel_carboplatin_q3w"), &cfg);
    let pac = dose_of(&d, "paclitaxel");
    assert_eq!((pac.dose, pac.calculated), (None, None));
    assert_eq!(pac.basis, "cannot compute: needs weight");
    let carbo = dose_of(&d, "carboplatin");
    assert!(
        carbo.basis.contains("needs weight, serum creatinine"),
        "{}",
        carbo.basis
    );
}

#[test]
fn the_same_patient_in_other_units_gets_the_same_doses() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let metric = worked();
    let imperial = patient(
        json!({"age_years": 73, "sex": "male", "weight": {"value": 68.0 / 0.45359237, "unit": "lb"}, "height": {"value": 175.0 / 2.54, "unit": "in"}}),
        json!({"creatinine": {"value": 1.1 * 88.4, "unit": "umol/L"}}),
    );
    for r in &kb.regimens {
        let a = dosing::regimen_doses(&metric, &kb, r, &cfg);
        let b = dosing::regimen_doses(&imperial, &kb, r, &cfg);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.dose, y.dose, "{} {}", r.id, x.drug);
            assert!(
                (x.calculated.unwrap_or(0.0) - y.calculated.unwrap_or(0.0)).abs() < 1e-6,
                "{} {}",
                r.id,
                x.drug
            );
        }
    }
}

#[test]
fn assess_doses_every_first_line_option() {
    let kb = kb();
    let c = json!({"schema": "atcpath.case/1", "id": "a", "as_of": "2024-05-01",
        "patient": {"age_years": 60, "sex": "female", "weight": {"value": 70, "unit": "kg"}, "height": {"value": 165, "unit": "cm"}},
        "labs": {"creatinine": {"value": 0.8, "unit": "mg/dL"}},
        "tumor": {"m": "M1"}, "molecular": {"resulted": ["ngs_dna", "ngs_rna"]}});
    let case = read_case(&serde_json::to_vec(&c).unwrap(), &kb, None).unwrap();
    let a = assess(&case, &kb, &Config::from_kb(&kb));
    let first: Vec<OptionId> = a
        .options
        .iter()
        .filter(|o| o.line == atcpath_core::report::Line::First)
        .map(|o| o.id)
        .collect();
    for id in first.iter().filter(|id| {
        kb.regimens
            .iter()
            .any(|r| r.option == **id && r.default_for_option)
    }) {
        assert!(
            a.doses.iter().any(|d| d.option_id == *id),
            "{id} has no dose"
        );
    }
    assert!(
        a.doses.iter().all(|d| d.dose.is_some()),
        "weight, height and creatinine known: every dose computed"
    );
}

proptest! {
    #[test]
    fn bsa_increases_with_weight_and_height(h in 100.0f64..220.0, w in 30.0f64..200.0, dh in 0.1f64..20.0, dw in 0.1f64..20.0) {
        for f in [BsaFormula::Mosteller, BsaFormula::Dubois] {
            prop_assert!(dosing::bsa(f, h + dh, w) > dosing::bsa(f, h, w));
            prop_assert!(dosing::bsa(f, h, w + dw) > dosing::bsa(f, h, w));
        }
    }

    #[test]
    fn calvert_is_linear_in_auc_and_capped(auc in 1.0f64..8.0, gfr in 0.0f64..250.0, k in 1.0f64..3.0) {
        let a = dosing::calvert(auc, gfr, Some(125.0));
        prop_assert!((dosing::calvert(auc * k, gfr, Some(125.0)) - a * k).abs() < 1e-9);
        prop_assert!(a <= auc * 150.0 + 1e-9);
    }

    #[test]
    fn rounding_never_moves_a_dose_more_than_the_policy(calc in 0.5f64..5000.0, inc in prop::sample::select(vec![1.0, 2.0, 5.0, 10.0, 25.0]), pct in 1.0f64..10.0) {
        let r = dosing::round_dose(calc, inc, pct);
        prop_assert!((r - calc).abs() <= calc * pct / 100.0 + 0.05 + 1e-9, "{calc} -> {r}");
        prop_assert!(r > 0.0 && r.is_finite());
    }

    #[test]
    fn no_negative_or_non_finite_dose(age in 18.0f64..120.0, w in 30.0f64..250.0, h in 120.0f64..210.0, scr in 0.1f64..25.0, female in any::<bool>()) {
        let kb = kb();
        let cfg = Config::from_kb(&kb);
        let c = json!({"schema": "atcpath.case/1", "id": "p", "as_of": "2024-05-01",
            "patient": {"age_years": age, "sex": if female {"female"} else {"male"}, "weight": {"value": w, "unit": "kg"}, "height": {"value": h, "unit": "cm"}},
            "labs": {"creatinine": {"value": scr, "unit": "mg/dL"}}});
        if let Ok(case) = read_case(&serde_json::to_vec(&c).unwrap(), &kb, None) {
            for r in &kb.regimens {
                for d in dosing::regimen_doses(&case, &kb, r, &cfg) {
                    if let (Some(x), Some(y)) = (d.dose, d.calculated) {
                        prop_assert!(x.is_finite() && x > 0.0 && y.is_finite() && y > 0.0, "{} {}: {x} {y}", r.id, d.drug);
                    }
                }
            }
        }
    }
}

#[test]
fn children_get_no_adult_dose() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let child = patient(
        json!({"age_years": 4, "weight": {"value": 16, "unit": "kg"}, "height": {"value": 100, "unit": "cm"}}),
        json!({}),
    );
    for r in &kb.regimens {
        for d in dosing::regimen_doses(&child, &kb, r, &cfg) {
            assert_eq!(d.dose, None, "{} {}", r.id, d.drug);
            assert!(d.basis.contains("paediatric"), "{}", d.basis);
        }
    }
    let unknown_age = patient(json!({"weight": {"value": 70, "unit": "kg"}}), json!({}));
    let d = dose_of(
        &dosing::regimen_doses(&unknown_age, &kb, &regimen(&kb, "selpercatinib"), &cfg),
        "selpercatinib",
    );
    assert!(d.flags.iter().any(|f| f.contains("age not recorded")));
}

#[test]
fn rounding_text_names_the_increment_used() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    // 35 kg, 145 cm, female, 100 y, SCr 12: CrCl 1.38, weekly carboplatin AUC 2 = 52.75 mg; 50 mg is 5.2% off.
    let c = patient(
        json!({"age_years": 100, "sex": "female", "weight": {"value": 35, "unit": "kg"}, "height": {"value": 145, "unit": "cm"}}),
        json!({"creatinine": {"value": 12, "unit": "mg/dL"}}),
    );
    let d = dose_of(
        &dosing::regimen_doses(
            &c,
            &kb,
            &regimen(&kb, "paclitaxel_carboplatin_weekly"),
            &cfg,
        ),
        "carboplatin",
    );
    assert!(
        d.basis
            .contains("to the nearest 1 mg, 10 mg would move it more than 5%"),
        "{}",
        d.basis
    );
}

#[test]
fn one_renal_estimate_drives_alert_cisplatin_and_carboplatin() {
    let kb = kb();
    let c = json!({"schema": "atcpath.case/1", "id": "r", "as_of": "2024-05-01",
        "patient": {"age_years": 75, "sex": "female", "weight": {"value": 100, "unit": "kg"}, "height": {"value": 155, "unit": "cm"}},
        "labs": {"creatinine": {"value": 1.2, "unit": "mg/dL"}}, "tumor": {"m": "M1"}, "molecular": {"resulted": ["ngs_dna", "ngs_rna"]}});
    let case = read_case(&serde_json::to_vec(&c).unwrap(), &kb, None).unwrap();
    let a = assess(&case, &kb, &Config::from_kb(&kb));
    let crcl = a.crcl_ml_min.unwrap();
    assert!(
        (crcl - 43.9).abs() < 0.1,
        "adjusted body weight (BMI 41.6): {crcl}"
    );
    assert!(a.alerts.iter().any(|x| x.id == atcpath_kb::AlertId::RenalImpairment && x.message.contains("adjusted")));
    assert!(
        a.excluded
            .iter()
            .any(|e| e.id == OptionId::DoxorubicinCisplatin)
    );
}

#[test]
fn a_contraindicated_drug_gets_no_orderable_dose() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let d = dosing::regimen_doses(
        &worked(),
        &kb,
        &regimen(&kb, "doxorubicin_cisplatin_q4w"),
        &cfg,
    );
    let cis = dose_of(&d, "cisplatin");
    assert_eq!(cis.dose, None, "CrCl 57.5 < 60: cisplatin withheld");
    assert!(cis.calculated.is_some() && cis.basis.starts_with("withheld: contraindicated"));
    assert!(dose_of(&d, "doxorubicin").dose.is_some());
    let tac = dosing::regimen_doses(
        &worked(),
        &kb,
        &regimen(&kb, "docetaxel_doxorubicin_q3w"),
        &cfg,
    );
    assert!(
        dose_of(&tac, "docetaxel")
            .flags
            .iter()
            .any(|f| f.contains("G-CSF"))
    );
}

#[test]
fn cisplatin_is_withheld_when_renal_function_is_unknown() {
    let kb = kb();
    let cfg = Config::from_kb(&kb);
    let c = patient(
        json!({"age_years": 62, "sex": "female", "weight": {"value": 65, "unit": "kg"}, "height": {"value": 165, "unit": "cm"}}),
        json!({}),
    );
    let d = dosing::regimen_doses(&c, &kb, &regimen(&kb, "doxorubicin_cisplatin_q4w"), &cfg);
    let cis = dose_of(&d, "cisplatin");
    assert_eq!(
        cis.dose, None,
        "missing creatinine is never more lenient than known impairment"
    );
    assert!(
        cis.basis
            .starts_with("cannot compute: needs renal function")
            && cis.calculated.is_some(),
        "{}",
        cis.basis
    );
    assert!(dose_of(&d, "doxorubicin").dose.is_some());
}
