//! Per-patient doses, computed the way an oncology pharmacist checks them, every intermediate
//! kept. Pure functions; the policy (formula, weight, caps, rounding) comes from the knowledge
//! base or the centre's configuration and is stated with each dose.
//!
//! Formulas and sources (clinical-reference §5):
//! - BSA, Mosteller (N Engl J Med 1987;317:1098): sqrt(height cm x weight kg / 3600) m2;
//!   DuBois & DuBois (Arch Intern Med 1916;17:863): 0.007184 x height^0.725 x weight^0.425.
//! - Ideal body weight, Devine (Drug Intell Clin Pharm 1974): male 50 kg, female 45.5 kg,
//!   + 2.3 kg per inch over 60 in; adjusted body weight = IBW + 0.4 x (actual - IBW).
//! - Creatinine clearance, Cockcroft-Gault (Nephron 1976;16:31): (140 - age) x weight /
//!   (72 x SCr mg/dL), x 0.85 if female.
//! - Carboplatin, Calvert (J Clin Oncol 1989;7:1748): dose mg = AUC x (GFR + 25); GFR capped at
//!   125 mL/min by default (FDA 2010), so AUC 5 gives at most 750 mg.
//! - Rounding: to the drug's practical increment, never more than the policy's percentage from
//!   the calculated dose (HOPA, Fahrenbruch et al., J Oncol Pract 2018, allows 10%; default 5%).
//!
//! Worked values (clinical-reference §5.6): male, 73 y, 68 kg, 175 cm, SCr 1.1 mg/dL: Mosteller
//! 1.818 m2, DuBois 1.826 m2, CrCl 57.5 mL/min, carboplatin AUC 5 = 412.6 mg, paclitaxel 175 mg/m2
//! = 318.2 mg. Obese male, 60 y, 120 kg, 170 cm, SCr 0.9: actual-weight CrCl 148.1 -> capped 125
//! -> AUC 5 = 750 mg; IBW 65.9 kg -> 81.4 mL/min -> 532.0 mg; AdjBW 87.6 kg -> 108.1 -> 665.5 mg.

use serde::Serialize;

use crate::case::{Case, Sex};
use crate::pathway::Config;
use atcpath_kb::{
    AdjustedTrigger, BsaFormula, CrclWeight, DoseBasis, DosingPolicy, Kb, OptionId, Regimen,
    RegimenDrug,
};

/// Body-surface area (m2) by the chosen formula. Inputs in cm and kg.
pub fn bsa(formula: BsaFormula, height_cm: f64, weight_kg: f64) -> f64 {
    match formula {
        BsaFormula::Mosteller => (height_cm * weight_kg / 3600.0).sqrt(),
        BsaFormula::Dubois => 0.007184 * height_cm.powf(0.725) * weight_kg.powf(0.425),
    }
}

/// Ideal body weight by Devine (kg); height in cm.
pub fn ideal_body_weight(sex: Sex, height_cm: f64) -> Option<f64> {
    let base = match sex {
        Sex::Male => 50.0,
        Sex::Female => 45.5,
        Sex::Other => return None,
    };
    Some(base + 2.3 * (height_cm / 2.54 - 60.0))
}

/// Adjusted body weight: IBW + 0.4 x (actual - IBW).
pub fn adjusted_body_weight(ibw: f64, actual: f64) -> f64 {
    ibw + 0.4 * (actual - ibw)
}

/// Carboplatin dose (mg) by Calvert, with the GFR cap applied first when given.
pub fn calvert(auc: f64, gfr_ml_min: f64, cap_ml_min: Option<f64>) -> f64 {
    let gfr = cap_ml_min.map_or(gfr_ml_min, |c| gfr_ml_min.min(c));
    auc * (gfr + 25.0)
}

/// Rounds a dose to `increment` when that stays within `max_percent` of it; else to 1 mg, else to
/// 0.1 mg. Returns the rounded dose.
pub fn round_dose(calculated: f64, increment: f64, max_percent: f64) -> f64 {
    round_with_increment(calculated, increment, max_percent).0
}

/// As [`round_dose`], also returning the increment actually used (mg).
pub fn round_with_increment(calculated: f64, increment: f64, max_percent: f64) -> (f64, f64) {
    for inc in [increment, 1.0] {
        let r = (calculated / inc).round() * inc;
        if r > 0.0 && (r - calculated).abs() <= calculated * max_percent / 100.0 {
            return (r, inc);
        }
    }
    ((calculated * 10.0).round() / 10.0, 0.1)
}

/// The renal estimate used for carboplatin, with how it was obtained.
#[derive(Debug, Clone, Serialize)]
pub struct RenalBasis {
    pub crcl_ml_min: f64,
    pub weight_used_kg: f64,
    /// `actual`, `ideal` or `adjusted`.
    pub weight_kind: &'static str,
    pub creatinine_mg_dl: f64,
    pub floor_applied: bool,
}

/// The one renal estimate a report uses: Cockcroft-Gault under the weight policy, or, when the
/// policy cannot be applied (height unknown), with actual body weight, saying so. `None` when
/// age (adult), sex, weight or creatinine is unknown.
pub fn renal_estimate(case: &Case, policy: &DosingPolicy) -> Option<RenalBasis> {
    if let Ok(r) = crcl_with_policy(case, policy) {
        return Some(r);
    }
    let crcl = crate::renal::cockcroft_gault(case)?;
    Some(RenalBasis {
        crcl_ml_min: crcl,
        weight_used_kg: case.patient.weight?.canonical,
        weight_kind: "actual (height unknown, weight policy not applied)",
        creatinine_mg_dl: case.labs.creatinine?.canonical,
        floor_applied: false,
    })
}

/// Creatinine clearance under the policy, or what is missing.
pub fn crcl_with_policy(case: &Case, policy: &DosingPolicy) -> Result<RenalBasis, String> {
    let p = &case.patient;
    let mut missing = Vec::new();
    if p.age_years.is_none() {
        missing.push("age");
    } else if p.age_years.is_some_and(|a| a < 18.0) {
        return Err(
            "Cockcroft-Gault is for adults (18 years or older): use a paediatric GFR estimate"
                .into(),
        );
    }
    if p.sex.is_none() || p.sex == Some(Sex::Other) {
        missing.push("sex (male or female, for Cockcroft-Gault)");
    }
    if p.weight.is_none() {
        missing.push("weight");
    }
    if case.labs.creatinine.is_none() {
        missing.push("serum creatinine");
    }
    let needs_height = policy.crcl_weight != CrclWeight::Actual;
    if needs_height && p.height.is_none() {
        missing.push("height (for the ideal/adjusted body-weight policy)");
    }
    if !missing.is_empty() {
        return Err(format!("needs {}", missing.join(", ")));
    }
    let (age, sex, actual) = (
        p.age_years.unwrap_or_default(),
        p.sex.unwrap_or(Sex::Male),
        p.weight.map(|w| w.canonical).unwrap_or_default(),
    );
    let mut scr = case
        .labs
        .creatinine
        .map(|c| c.canonical)
        .unwrap_or_default();
    let floor_applied = policy.creatinine_floor_mg_dl.is_some_and(|f| scr < f);
    if let Some(f) = policy.creatinine_floor_mg_dl.filter(|f| scr < *f) {
        scr = f;
    }
    let height = p.height.map(|h| h.canonical);
    let ibw = height.and_then(|h| ideal_body_weight(sex, h));
    let (weight, kind) = match (policy.crcl_weight, ibw, height) {
        (CrclWeight::Actual, _, _) => (actual, "actual"),
        (CrclWeight::Ideal, Some(i), _) => (i, "ideal"),
        (CrclWeight::Adjusted, Some(i), _) => (adjusted_body_weight(i, actual), "adjusted"),
        (CrclWeight::Auto, Some(i), Some(h)) => {
            let bmi = actual / (h / 100.0).powi(2);
            let obese = match policy.adjusted_weight_trigger {
                AdjustedTrigger::Bmi => bmi >= policy.adjusted_weight_bmi,
                AdjustedTrigger::PercentIbw => {
                    actual > i * policy.adjusted_weight_percent_ibw / 100.0
                }
            };
            if actual < i {
                (actual, "actual")
            } else if obese {
                (adjusted_body_weight(i, actual), "adjusted")
            } else {
                (actual, "actual")
            }
        }
        _ => return Err("needs height (ideal body weight)".into()),
    };
    let factor = if sex == Sex::Female { 0.85 } else { 1.0 };
    let crcl = crate::renal::crcl(age, weight, scr, factor)
        .ok_or("creatinine clearance not computable")?;
    Ok(RenalBasis {
        crcl_ml_min: crcl,
        weight_used_kg: weight,
        weight_kind: kind,
        creatinine_mg_dl: scr,
        floor_applied,
    })
}

/// One computed dose.
#[derive(Debug, Clone, Serialize)]
pub struct DrugDose {
    /// The option the dose is for (the regimen's own, or the first-line option using it).
    pub option_id: OptionId,
    pub regimen_id: String,
    pub drug: String,
    /// After rounding; `None` when it cannot be computed.
    pub dose: Option<f64>,
    /// Exact formula result.
    pub calculated: Option<f64>,
    pub unit: String,
    pub route: String,
    pub schedule: String,
    /// How it was computed (basis, BSA, CrCl, weight, cap, rounding) or what is missing.
    pub basis: String,
    /// Pharmacist checks (source values flagged, BSA above threshold, cap applied).
    pub flags: Vec<String>,
}

/// Computes the doses of every drug of a regimen for a case, with the safety checks of each drug.
pub fn regimen_doses(case: &Case, kb: &Kb, regimen: &Regimen, config: &Config) -> Vec<DrugDose> {
    regimen
        .drugs
        .iter()
        .map(|d| {
            let mut dose = drug_dose(case, regimen, d, &config.dosing);
            let flags = safety_flags(case, kb, &d.drug, config);
            // A contraindicated drug gets no orderable dose; the calculation stays for reference.
            if let (Some(why), Some(_)) = (
                flags.iter().find(|f| f.starts_with(CONTRAINDICATED)),
                dose.dose,
            ) {
                dose.dose = None;
                dose.basis = format!(
                    "withheld: {why}; calculated for reference only: {}",
                    dose.basis
                );
            }
            // A safety check that cannot be made (e.g. renal function before cisplatin) also
            // withholds the dose: missing data is never more lenient than a known impairment.
            if let (Some(why), Some(_)) = (flags.iter().find(|f| f.starts_with(NEEDS)), dose.dose) {
                dose.dose = None;
                dose.basis = format!("{why}; calculated for reference only: {}", dose.basis);
            }
            dose.flags.extend(flags);
            dose
        })
        .collect()
}

/// Prefix of a safety flag that withholds the dose.
pub const CONTRAINDICATED: &str = "contraindicated: ";
/// Prefix of a safety flag whose check needs data the case lacks: the dose is withheld.
pub const NEEDS: &str = "cannot compute: ";

/// Organ-function checks for one drug (clinical-pathway §3; issue of doses): cisplatin and renal
/// function, anthracyclines and LVEF or cumulative dose, taxanes and bilirubin.
pub fn safety_flags(case: &Case, kb: &Kb, drug: &str, config: &Config) -> Vec<String> {
    let th = &config.thresholds;
    let classes = &kb.facts.drug_classes;
    let mut out = Vec::new();
    if drug == "cisplatin" {
        match renal_estimate(case, &config.dosing) {
            Some(r) if r.crcl_ml_min < th.crcl_renal_impairment_ml_min => out.push(format!(
                "{CONTRAINDICATED}CrCl {:.1} mL/min ({} body weight) below {} mL/min: avoid cisplatin; use carboplatin (Calvert) instead",
                r.crcl_ml_min, r.weight_kind, th.crcl_renal_impairment_ml_min
            )),
            None => out.push(format!("{NEEDS}needs renal function before cisplatin (adult age, sex, weight and serum creatinine for Cockcroft-Gault)")),
            _ => {}
        }
    }
    if classes.anthracycline.iter().any(|a| a == drug) {
        match case.labs.lvef_percent {
            Some(ef) if ef < th.lvef_anthracycline_min_percent => out.push(format!(
                "{CONTRAINDICATED}LVEF {ef}% below {}%: avoid anthracycline",
                th.lvef_anthracycline_min_percent
            )),
            None => out
                .push("LVEF not recorded: assess cardiac function before an anthracycline".into()),
            _ => {}
        }
        if let Some(why) = crate::pathway::situation::uncounted_anthracycline(case, kb) {
            out.push(format!(
                "{CONTRAINDICATED}{} ({why})",
                crate::pathway::situation::ANTHRACYCLINE_DOSE_UNKNOWN
            ));
        }
        if let Some(t) = crate::pathway::situation::cumulative_anthracycline_mg_m2(case, kb) {
            let over = t > th.doxorubicin_cumulative_max_mg_m2;
            out.push(format!(
                "{}prior cumulative doxorubicin {t:.0} mg/m2 (limit {} mg/m2){}",
                if over { CONTRAINDICATED } else { "" },
                th.doxorubicin_cumulative_max_mg_m2,
                if over {
                    ": avoid further anthracycline"
                } else {
                    ""
                }
            ));
        }
    }
    if drug == "carboplatin"
        && let Some(c) = case
            .labs
            .creatinine
            .filter(|c| c.canonical < 0.7 && config.dosing.creatinine_floor_mg_dl.is_none())
    {
        out.push(format!(
                "serum creatinine {:.2} mg/dL is low: Cockcroft-Gault may overestimate clearance in frail, elderly or cachectic patients; consider a creatinine floor (dosing.creatinine_floor_mg_dl) or a measured GFR",
                c.canonical
            ));
    }
    if classes.taxane.iter().any(|t| t == drug)
        && let Some(b) = case
            .labs
            .total_bilirubin
            .filter(|b| b.canonical > th.bilirubin_uln_mg_dl)
    {
        out.push(format!(
            "total bilirubin {:.2} mg/dL above {} mg/dL: taxane dose reduction or avoidance",
            b.canonical, th.bilirubin_uln_mg_dl
        ));
    }
    out
}

fn drug_dose(case: &Case, regimen: &Regimen, d: &RegimenDrug, policy: &DosingPolicy) -> DrugDose {
    let p = &case.patient;
    let mut flags: Vec<String> = d.flag.iter().cloned().collect();
    let per = |x: f64| format!("{x}");
    let schedule = format!("{}, {}-day cycle", d.days, regimen.cycle_days);
    let mut out = DrugDose {
        option_id: regimen.option,
        regimen_id: regimen.id.clone(),
        drug: d.drug.clone(),
        dose: None,
        calculated: None,
        unit: "mg".into(),
        route: d.route.clone(),
        schedule,
        basis: String::new(),
        flags: Vec::new(),
    };
    if let Some([lo, hi]) = d.range {
        flags.push(format!(
            "published range {lo}-{hi} {}; default {} ({})",
            basis_unit(d.basis),
            per(d.dose),
            d.default_source.clone().unwrap_or_default()
        ));
    }
    // Adult regimens: a child is never given an adult dose by default.
    if let Some(age) = p.age_years.filter(|a| *a < 18.0) {
        out.basis = format!(
            "cannot compute: patient is {age} years old; adult regimen doses do not apply (dose by a paediatric protocol)"
        );
        out.flags = flags;
        return out;
    }
    if p.age_years.is_none() {
        flags.push("age not recorded: adult dosing shown; confirm the patient is an adult".into());
    }
    let result: Result<(f64, String), String> = match d.basis {
        DoseBasis::MgPerM2 => match (p.height, p.weight) {
            (Some(h), Some(w)) => {
                let raw = bsa(policy.bsa_formula, h.canonical, w.canonical);
                let capped = policy.bsa_cap_m2.map_or(raw, |c| raw.min(c));
                if raw > policy.bsa_flag_above_m2 {
                    flags.push(format!(
                        "BSA {raw:.2} m2 above {} m2: full weight-based dose per ASCO unless an institutional cap applies",
                        policy.bsa_flag_above_m2
                    ));
                }
                let cap = if capped < raw { format!(", capped from {raw:.3} to {capped:.3} m2 by institutional policy") } else { String::new() };
                Ok((
                    d.dose * capped,
                    format!("{} mg/m2 x BSA {capped:.3} m2 ({:?}, {:.1} cm, {:.1} kg{cap})", per(d.dose), policy.bsa_formula, h.canonical, w.canonical),
                ))
            }
            _ => Err(format!("needs {}", missing(&[("height", p.height.is_none()), ("weight", p.weight.is_none())]))),
        },
        DoseBasis::Auc => crcl_with_policy(case, policy).map(|r| {
            let capped = policy.carboplatin_gfr_cap_ml_min.is_some_and(|c| r.crcl_ml_min > c);
            let gfr = policy.carboplatin_gfr_cap_ml_min.map_or(r.crcl_ml_min, |c| r.crcl_ml_min.min(c));
            if r.crcl_ml_min < policy.carboplatin_caution_crcl_ml_min {
                flags.push(format!("CrCl {:.1} mL/min below {}: carboplatin with caution", r.crcl_ml_min, policy.carboplatin_caution_crcl_ml_min));
            }
            let cap = if capped { format!(", capped at {} mL/min", gfr) } else { String::new() };
            let floor = if r.floor_applied { " (creatinine floor applied)" } else { "" };
            (
                calvert(d.dose, r.crcl_ml_min, policy.carboplatin_gfr_cap_ml_min),
                format!(
                    "Calvert: AUC {} x (GFR {gfr:.1} + 25); GFR = Cockcroft-Gault CrCl {:.1} mL/min{cap} with {} body weight {:.1} kg, SCr {:.2} mg/dL{floor}",
                    per(d.dose), r.crcl_ml_min, r.weight_kind, r.weight_used_kg, r.creatinine_mg_dl
                ),
            )
        }),
        DoseBasis::MgPerKg => match p.weight {
            Some(w) => Ok((d.dose * w.canonical, format!("{} mg/kg x {:.1} kg", per(d.dose), w.canonical))),
            None => Err("needs weight".into()),
        },
        DoseBasis::Mg if d.bands.is_empty() => Ok((d.dose, "fixed dose".into())),
        DoseBasis::Mg => match p.weight {
            Some(w) => {
                let band = d.bands.iter().filter(|b| w.canonical < b.below_kg).min_by(|a, b| a.below_kg.total_cmp(&b.below_kg));
                Ok(match band {
                    Some(b) => (b.dose, format!("weight band: {} kg is below {} kg", trim(w.canonical), b.below_kg)),
                    None => (d.dose, format!("weight band: {} kg is {} kg or more", trim(w.canonical), d.bands.iter().map(|b| b.below_kg).fold(0.0, f64::max))),
                })
            }
            None => Err("needs weight (the dose depends on a weight band)".into()),
        },
    };
    match result {
        Ok((calc, basis)) => {
            let (dose, rounding) = match d.rounding_mg {
                Some(inc) => {
                    let (r, used) = round_with_increment(calc, inc, policy.rounding_max_percent);
                    let pct = if calc > 0.0 {
                        (r - calc).abs() / calc * 100.0
                    } else {
                        0.0
                    };
                    let fallback = if used == inc {
                        String::new()
                    } else {
                        format!(
                            ", {inc} mg would move it more than {}%",
                            policy.rounding_max_percent
                        )
                    };
                    (
                        r,
                        format!(
                            "; rounded to {r} mg (to the nearest {used} mg{fallback}; {pct:.1}% from calculated)"
                        ),
                    )
                }
                None => (calc, String::new()),
            };
            out.calculated = Some((calc * 1000.0).round() / 1000.0);
            out.dose = Some(dose);
            out.basis = format!("{basis}{rounding}");
        }
        Err(why) => out.basis = format!("cannot compute: {why}"),
    }
    out.flags = flags;
    out
}

/// A weight shown to 0.01 kg without trailing zeros (49.99 stays 49.99, 50 shows 50).
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn basis_unit(b: DoseBasis) -> &'static str {
    match b {
        DoseBasis::MgPerM2 => "mg/m2",
        DoseBasis::Auc => "AUC mg/mL x min",
        DoseBasis::MgPerKg => "mg/kg",
        DoseBasis::Mg => "mg",
    }
}

fn missing(items: &[(&str, bool)]) -> String {
    items
        .iter()
        .filter(|(_, m)| *m)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsa_worked_values() {
        assert!((bsa(BsaFormula::Mosteller, 175.0, 68.0) - 1.818).abs() < 0.0005);
        assert!((bsa(BsaFormula::Dubois, 175.0, 68.0) - 1.826).abs() < 0.0005);
        assert!((bsa(BsaFormula::Mosteller, 170.0, 120.0) - 2.38).abs() < 0.005);
    }

    #[test]
    fn calvert_worked_values() {
        let crcl = crate::renal::crcl(73.0, 68.0, 1.1, 1.0).unwrap();
        assert!((calvert(5.0, crcl, Some(125.0)) - 412.6).abs() < 0.05);
        assert!((calvert(2.0, crcl, Some(125.0)) - 165.1).abs() < 0.05);
        let obese = crate::renal::crcl(60.0, 120.0, 0.9, 1.0).unwrap();
        assert!((obese - 148.1).abs() < 0.05);
        assert_eq!(calvert(5.0, obese, Some(125.0)), 750.0);
        let ibw = ideal_body_weight(Sex::Male, 170.0).unwrap();
        assert!((ibw - 65.9).abs() < 0.05);
        let c_ibw = crate::renal::crcl(60.0, ibw, 0.9, 1.0).unwrap();
        assert!(
            (c_ibw - 81.4).abs() < 0.05 && (calvert(5.0, c_ibw, Some(125.0)) - 532.0).abs() < 0.1
        );
        let adj = adjusted_body_weight(ibw, 120.0);
        assert!((adj - 87.6).abs() < 0.05);
        let c_adj = crate::renal::crcl(60.0, adj, 0.9, 1.0).unwrap();
        assert!(
            (c_adj - 108.1).abs() < 0.05 && (calvert(5.0, c_adj, Some(125.0)) - 665.5).abs() < 0.2
        );
    }

    #[test]
    fn rounding_respects_the_limit() {
        assert_eq!(round_dose(318.2, 5.0, 5.0), 320.0);
        assert_eq!(round_dose(412.6, 10.0, 5.0), 410.0);
        assert_eq!(
            round_dose(21.3, 5.0, 5.0),
            21.0,
            "5 mg would move 21.3 by 6%: fall back to 1 mg"
        );
        assert_eq!(round_dose(2.26, 5.0, 5.0), 2.3);
    }
}
