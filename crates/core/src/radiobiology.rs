//! Radiobiology of a radiotherapy schedule by the linear-quadratic model.
//!
//! BED = sum over fractions of d x (1 + d / (alpha/beta)); EQD2 = BED / (1 + 2 / (alpha/beta))
//! (Fowler, Br J Radiol 1989;62:679). alpha/beta 10 Gy for tumour and acute effects, 3 Gy for late
//! effects (a head-and-neck convention; ATC's own alpha/beta is unknown). Computed from the listed
//! fractions, not from nominal totals. Worked values (clinical-reference §5.7): 66 Gy/33: BED10
//! 79.2, EQD2 66; 20 Gy/5: BED10 28.0, EQD2(10) 23.33, BED3 46.67, EQD2(3) 28.0.

use serde::Serialize;

use atcpath_kb::RtSchedule;

/// What the model leaves out, stated with every result.
pub const LIMITS: &str = "Linear-quadratic model without a repopulation (overall-time) term or an incomplete-repair correction for twice-daily fractions; alpha/beta 10 Gy (tumour, acute) and 3 Gy (late effects) are conventions borrowed from head-and-neck cancer, ATC's own alpha/beta is unknown; least reliable above about 6 Gy per fraction.";

/// Plausible course limits: below 0.5 Gy a fraction is not a treatment fraction; single
/// fractions above 25 Gy, courses above 100 Gy or more than 25 Gy a day are not deliverable.
pub const MIN_DOSE_PER_FRACTION_GY: f64 = 0.5;
pub const MAX_DOSE_PER_FRACTION_GY: f64 = 25.0;
pub const MAX_TOTAL_GY: f64 = 100.0;
pub const MAX_DOSE_PER_DAY_GY: f64 = 25.0;

/// A number short enough for a message (1e308 as 1e308, not 309 digits).
fn short(x: f64) -> String {
    if x.abs() >= 1e6 || (x != 0.0 && x.abs() < 1e-3) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Biologically effective dose (Gy) of `n` fractions of `d` Gy.
pub fn bed(n: f64, d: f64, alpha_beta: f64) -> f64 {
    n * d * (1.0 + d / alpha_beta)
}

/// Equivalent dose in 2 Gy fractions (Gy).
pub fn eqd2(n: f64, d: f64, alpha_beta: f64) -> f64 {
    bed(n, d, alpha_beta) / (1.0 + 2.0 / alpha_beta)
}

/// A fractionation and its radiobiology.
#[derive(Debug, Clone, Serialize)]
pub struct Radiobiology {
    pub dose_per_fraction_gy: f64,
    pub fractions: u32,
    pub fractions_per_day: u32,
    pub total_dose_gy: f64,
    /// Treatment days, at five days a week.
    pub treatment_days: u32,
    pub bed_10: f64,
    pub eqd2_10: f64,
    pub bed_3: f64,
    pub eqd2_3: f64,
    pub limits: &'static str,
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Radiobiology of `fractions` fractions of `d` Gy, `per_day` a day.
///
/// # Errors
/// A message when the dose is not positive and finite, or fractions or per-day are zero.
pub fn radiobiology(d: f64, fractions: u32, per_day: u32) -> Result<Radiobiology, String> {
    if !(d.is_finite() && (MIN_DOSE_PER_FRACTION_GY..=MAX_DOSE_PER_FRACTION_GY).contains(&d)) {
        return Err(format!(
            "dose per fraction {} Gy is outside {MIN_DOSE_PER_FRACTION_GY} to {MAX_DOSE_PER_FRACTION_GY} Gy",
            short(d)
        ));
    }
    if fractions == 0 || fractions > 100 {
        return Err(format!("fractions {fractions} is outside 1 to 100"));
    }
    if per_day == 0 || per_day > 3 {
        return Err(format!("fractions per day {per_day} is outside 1 to 3"));
    }
    let total = d * f64::from(fractions);
    if total > MAX_TOTAL_GY {
        return Err(format!(
            "total dose {} Gy is above {MAX_TOTAL_GY} Gy: not a deliverable course",
            short(total)
        ));
    }
    if d * f64::from(per_day) > MAX_DOSE_PER_DAY_GY {
        return Err(format!(
            "{} Gy a day is above {MAX_DOSE_PER_DAY_GY} Gy: not a deliverable schedule",
            short(d * f64::from(per_day))
        ));
    }
    let n = f64::from(fractions);
    Ok(Radiobiology {
        dose_per_fraction_gy: d,
        fractions,
        fractions_per_day: per_day,
        total_dose_gy: r2(n * d),
        treatment_days: fractions.div_ceil(per_day),
        bed_10: r2(bed(n, d, 10.0)),
        eqd2_10: r2(eqd2(n, d, 10.0)),
        bed_3: r2(bed(n, d, 3.0)),
        eqd2_3: r2(eqd2(n, d, 3.0)),
        limits: LIMITS,
    })
}

/// A schedule with the radiobiology of each of its volumes.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleReport {
    pub id: String,
    pub name: String,
    pub phases: Vec<PhaseReport>,
    pub references: Vec<String>,
}

/// One volume of a schedule.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub target: String,
    #[serde(flatten)]
    pub radiobiology: Radiobiology,
}

/// The radiobiology of a knowledge-base schedule. Invalid phases were refused at KB load.
pub fn schedule_report(s: &RtSchedule) -> ScheduleReport {
    ScheduleReport {
        id: s.id.clone(),
        name: s.name.clone(),
        phases: s
            .phases
            .iter()
            .filter_map(|p| {
                radiobiology(p.dose_per_fraction_gy, p.fractions, p.per_day)
                    .ok()
                    .map(|r| PhaseReport {
                        target: p.target.clone(),
                        radiobiology: r,
                    })
            })
            .collect(),
        references: s.references.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clinical-reference §5.7 table: (d, n, BED10, EQD2_10, BED3, EQD2_3).
    const TABLE: [(f64, f64, f64, f64, f64, f64); 10] = [
        (2.0, 33.0, 79.20, 66.00, 110.00, 66.00),
        (2.0, 35.0, 84.00, 70.00, 116.67, 70.00),
        (2.0, 25.0, 60.00, 50.00, 83.33, 50.00),
        (1.6, 28.75, 53.36, 44.47, 70.53, 42.32),
        (1.23, 32.52, 44.92, 37.43, 56.40, 33.84),
        (1.6, 36.0, 66.82, 55.68, 88.32, 52.99),
        (6.0, 5.0, 48.00, 40.00, 90.00, 54.00),
        (4.0, 5.0, 28.00, 23.33, 46.67, 28.00),
        (3.0, 10.0, 39.00, 32.50, 60.00, 36.00),
        (1.5, 30.0, 51.75, 43.13, 67.50, 40.50),
    ];

    #[test]
    fn reference_table() {
        for (d, n, b10, e10, b3, e3) in TABLE {
            assert!((bed(n, d, 10.0) - b10).abs() < 0.02, "BED10 {d}x{n}");
            assert!((eqd2(n, d, 10.0) - e10).abs() < 0.02, "EQD2_10 {d}x{n}");
            assert!((bed(n, d, 3.0) - b3).abs() < 0.02, "BED3 {d}x{n}");
            assert!((eqd2(n, d, 3.0) - e3).abs() < 0.02, "EQD2_3 {d}x{n}");
        }
    }

    #[test]
    fn two_gy_fractions_are_their_own_eqd2() {
        let r = radiobiology(2.0, 33, 1).unwrap();
        assert_eq!((r.total_dose_gy, r.eqd2_10, r.eqd2_3), (66.0, 66.0, 66.0));
        assert_eq!(radiobiology(1.6, 29, 2).unwrap().treatment_days, 15);
        assert!(
            radiobiology(0.0, 5, 1).is_err()
                && radiobiology(2.0, 0, 1).is_err()
                && radiobiology(f64::NAN, 5, 1).is_err()
        );
    }
}
