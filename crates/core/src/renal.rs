//! Renal function for drug decisions (BSA and the dosing weight policy are in `dosing`).
//!
//! Cockcroft-Gault (Cockcroft DW, Gault MH. Nephron 1976;16:31-41):
//! CrCl (mL/min) = (140 - age) x weight (kg) / (72 x serum creatinine (mg/dL)), x 0.85 if female.
//! Worked value (clinical-reference §5.6): male, 73 y, 68 kg, SCr 1.1 mg/dL -> 57.5 mL/min;
//! the same patient female -> 48.9 mL/min.

use crate::case::{Case, Sex};

/// Creatinine clearance by Cockcroft-Gault with actual body weight, in mL/min.
///
/// `None` when age, sex (male or female), weight or creatinine is unknown: it is never guessed.
pub fn cockcroft_gault(case: &Case) -> Option<f64> {
    let p = &case.patient;
    // Cockcroft-Gault was derived in adults; it is not used below 18 years.
    let age = p.age_years.filter(|a| *a >= 18.0)?;
    let kg = p.weight?.canonical;
    let scr = case.labs.creatinine?.canonical;
    let factor = match p.sex? {
        Sex::Male => 1.0,
        Sex::Female => 0.85,
        Sex::Other => return None,
    };
    crcl(age, kg, scr, factor)
}

/// The formula itself; `None` for non-physical inputs.
pub fn crcl(age_years: f64, weight_kg: f64, creatinine_mg_dl: f64, sex_factor: f64) -> Option<f64> {
    let v = (140.0 - age_years) * weight_kg / (72.0 * creatinine_mg_dl) * sex_factor;
    (v.is_finite() && creatinine_mg_dl > 0.0).then_some(v.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_values_from_the_reference() {
        assert!((crcl(73.0, 68.0, 1.1, 1.0).unwrap() - 57.53).abs() < 0.01);
        assert!((crcl(73.0, 68.0, 1.1, 0.85).unwrap() - 48.90).abs() < 0.01);
    }
}
