//! Measured quantities with units: conversion to one canonical unit per kind and
//! plausibility checks that catch unit confusion instead of guessing.
//!
//! Canonical units: weight kg, height cm, creatinine mg/dL, total bilirubin mg/dL.
//! Conversion factors: 1 lb = 0.45359237 kg; 1 in = 2.54 cm; creatinine 1 mg/dL = 88.4 umol/L
//! (molar mass 113.12 g/mol; clinical-reference §5.2); bilirubin 1 mg/dL = 17.1 umol/L
//! (molar mass 584.66 g/mol).

use serde::Serialize;

/// Kinds of measured quantity in a case file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Weight,
    Height,
    Creatinine,
    Bilirubin,
}

/// One accepted unit of a kind: its spelling(s), factor to the canonical unit, plausible range.
struct UnitDef {
    names: &'static [&'static str],
    /// Multiply a value in this unit by `to_canonical` to get the canonical unit.
    to_canonical: f64,
    /// Plausible human range, in this unit (inclusive).
    range: (f64, f64),
}

fn units(kind: Kind) -> &'static [UnitDef] {
    match kind {
        Kind::Weight => &[
            UnitDef {
                names: &["kg"],
                to_canonical: 1.0,
                range: (2.0, 400.0),
            },
            UnitDef {
                names: &["g"],
                to_canonical: 0.001,
                range: (2000.0, 400_000.0),
            },
            UnitDef {
                names: &["lb", "lbs"],
                to_canonical: 0.453_592_37,
                range: (4.4, 880.0),
            },
        ],
        Kind::Height => &[
            UnitDef {
                names: &["cm"],
                to_canonical: 1.0,
                range: (40.0, 250.0),
            },
            UnitDef {
                names: &["m"],
                to_canonical: 100.0,
                range: (0.4, 2.5),
            },
            UnitDef {
                names: &["in"],
                to_canonical: 2.54,
                range: (16.0, 98.0),
            },
        ],
        Kind::Creatinine => &[
            UnitDef {
                names: &["mg/dL"],
                to_canonical: 1.0,
                range: (0.1, 25.0),
            },
            UnitDef {
                names: &["umol/L", "µmol/L", "μmol/L"],
                to_canonical: 1.0 / 88.4,
                range: (9.0, 2210.0),
            },
        ],
        Kind::Bilirubin => &[
            UnitDef {
                names: &["mg/dL"],
                to_canonical: 1.0,
                range: (0.05, 50.0),
            },
            UnitDef {
                names: &["umol/L", "µmol/L", "μmol/L"],
                to_canonical: 1.0 / 17.1,
                range: (0.9, 855.0),
            },
        ],
    }
}

impl Kind {
    /// The canonical unit's name.
    pub fn canonical_unit(self) -> &'static str {
        match self {
            Kind::Weight => "kg",
            Kind::Height => "cm",
            Kind::Creatinine | Kind::Bilirubin => "mg/dL",
        }
    }
    /// Accepted unit spellings, for messages.
    pub fn accepted_units(self) -> String {
        units(self)
            .iter()
            .map(|u| u.names[0])
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A value as given, with its canonical equivalent. Nothing of the input is lost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantity {
    /// The value as written in the case file.
    pub value: f64,
    /// The unit as written (normalised spelling, e.g. `umol/L` for `µmol/L`).
    pub unit: &'static str,
    /// The value in the kind's canonical unit (kg, cm, mg/dL).
    pub canonical: f64,
}

/// Why a quantity was refused; the message is complete and names what is accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitError(pub String);

/// Converts `value` in `unit` to a [`Quantity`] of `kind`, refusing unknown units,
/// non-finite values, implausible values and values plausible only in another unit.
///
/// # Errors
/// [`UnitError`] with a message that says which unit the value looks like when it fits another.
pub fn quantity(kind: Kind, value: f64, unit: &str) -> Result<Quantity, UnitError> {
    let defs = units(kind);
    let Some(def) = defs.iter().find(|d| d.names.contains(&unit)) else {
        return Err(UnitError(format!(
            "unit {unit:?} is not accepted (accepted: {})",
            kind.accepted_units()
        )));
    };
    if !value.is_finite() {
        return Err(UnitError("value is not a finite number".into()));
    }
    let (lo, hi) = def.range;
    if value < lo || value > hi {
        // A value that fits another unit's plausible range is probably written in that unit.
        let hint = defs
            .iter()
            .find(|d| !std::ptr::eq(*d, def) && value >= d.range.0 && value <= d.range.1)
            .map(|d| format!("; {value} is plausible in {}: check the unit", d.names[0]))
            .unwrap_or_default();
        return Err(UnitError(format!(
            "{value} {} is outside the plausible range {lo}-{hi} {}{hint}",
            def.names[0], def.names[0]
        )));
    }
    Ok(Quantity {
        value,
        unit: def.names[0],
        canonical: value * def.to_canonical,
    })
}

/// Typical clinical range per unit (wider than normal, narrower than plausible): a value outside
/// it that is also plausible in the kind's other unit may have been written in that unit
/// (creatinine 15 "mg/dL" is kidney failure, or 15 umol/L mislabelled). Returns the other unit.
pub fn ambiguous(kind: Kind, q: &Quantity) -> Option<&'static str> {
    let typical: &[(&str, f64, f64)] = match kind {
        Kind::Creatinine => &[("mg/dL", 0.3, 8.0), ("umol/L", 27.0, 700.0)],
        Kind::Bilirubin => &[("mg/dL", 0.1, 5.0), ("umol/L", 2.0, 85.0)],
        _ => return None,
    };
    let own = typical.iter().find(|(u, _, _)| *u == q.unit)?;
    if q.value >= own.1 && q.value <= own.2 {
        return None;
    }
    // Plausible in the other unit: the same number may have been written in it.
    typical
        .iter()
        .map(|(u, _, _)| *u)
        .find(|u| *u != q.unit && quantity(kind, q.value, u).is_ok())
}

/// The one rule for a value that must be a percentage (0 to 100) but may have been written as a
/// fraction (0 to 1): PD-L1 TPS 0.6 meant as 60 %, LVEF 0.55 meant as 55 %.
///
/// - exactly 0 is a percentage (PD-L1 TPS 0 %, i.e. below 1 %, is a common result);
/// - a value above 0 and below 1 is refused as a fraction: percentages in the case format and the
///   clinical files are whole or decimal percents, and a TPS under 1 % is reported as 0 (`<1%`);
/// - exactly 1 is accepted only when written as a whole number (`1`): TPS 1 % is a clinical
///   cut-off (KEYNOTE-series PD-L1 >= 1 %) and must stay enterable, while `1.0` (or `1.00`) is
///   the typical shape of a fraction (1.0 = 100 %) and is refused as ambiguous.
///
/// `written_as_integer` says whether the source text had no decimal point or exponent (a JSON
/// integer, a cell `1`). Range checks (0 to 100) stay with the caller.
///
/// # Errors
/// A message (without the field name) saying the value looks like a fraction and how to write it.
pub fn percent_not_fraction(value: f64, written_as_integer: bool) -> Result<(), String> {
    if value > 0.0 && value < 1.0 {
        return Err(format!(
            "{value} looks like a fraction; give the value in percent (e.g. {} for {}), or 0 for below 1 %",
            value * 100.0,
            value
        ));
    }
    if value == 1.0 && !written_as_integer {
        return Err(
            "1.0 is ambiguous: a fraction of 1.0 (100 %) or 1 %; write 1 for 1 % or 100 for 100 %"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Every value strictly between 0 and 1 is refused, however written; every value above 1
        /// and exactly 0 pass.
        #[test]
        fn the_fraction_rule_holds_for_any_value(x in 0.0f64..=100.0, integer in proptest::bool::ANY) {
            let r = percent_not_fraction(x, integer);
            if x > 0.0 && x < 1.0 {
                proptest::prop_assert!(r.unwrap_err().contains("looks like a fraction"));
            } else if x == 1.0 {
                proptest::prop_assert_eq!(r.is_ok(), integer);
            } else {
                proptest::prop_assert!(r.is_ok());
            }
        }
    }

    #[test]
    fn fractions_are_refused_as_percentages_but_0_and_1_percent_are_enterable() {
        assert!(
            percent_not_fraction(0.6, false)
                .unwrap_err()
                .contains("looks like a fraction")
        );
        assert!(percent_not_fraction(0.01, false).is_err());
        assert!(
            percent_not_fraction(1.0, false)
                .unwrap_err()
                .contains("ambiguous")
        );
        assert_eq!(percent_not_fraction(0.0, true), Ok(()));
        assert_eq!(percent_not_fraction(0.0, false), Ok(()));
        assert_eq!(percent_not_fraction(1.0, true), Ok(()));
        assert_eq!(percent_not_fraction(1.5, false), Ok(()));
        assert_eq!(percent_not_fraction(60.0, true), Ok(()));
    }

    #[test]
    fn pounds_and_kilograms_agree() {
        let a = quantity(Kind::Weight, 150.0, "lb").unwrap();
        assert!((a.canonical - 68.038_855_5).abs() < 1e-6);
    }

    #[test]
    fn creatinine_umol_converts_with_88_4() {
        let q = quantity(Kind::Creatinine, 97.24, "µmol/L").unwrap();
        assert!((q.canonical - 1.1).abs() < 1e-9);
        assert_eq!(q.unit, "umol/L");
    }

    #[test]
    fn creatinine_90_mg_dl_looks_like_umol() {
        let e = quantity(Kind::Creatinine, 90.0, "mg/dL").unwrap_err();
        assert!(e.0.contains("plausible in umol/L"), "{}", e.0);
    }

    #[test]
    fn height_1_75_cm_looks_like_metres() {
        let e = quantity(Kind::Height, 1.75, "cm").unwrap_err();
        assert!(e.0.contains("plausible in m"), "{}", e.0);
    }

    #[test]
    fn weight_68000_kg_looks_like_grams() {
        let e = quantity(Kind::Weight, 68000.0, "kg").unwrap_err();
        assert!(e.0.contains("plausible in g"), "{}", e.0);
    }

    #[test]
    fn unknown_unit_is_refused() {
        assert!(
            quantity(Kind::Weight, 70.0, "stone")
                .unwrap_err()
                .0
                .contains("accepted: kg, g, lb")
        );
    }
}
