//! Survival analysis for outcome evaluation: Kaplan-Meier with Greenwood variance and three
//! confidence-interval types, quantiles and restricted mean as R's survival package computes
//! them, Nelson-Aalen cumulative hazard, and the G-rho family of tests (log-rank, Peto-Peto).
//!
//! Reference implementation: R survival 3.5-3 (Therneau; `survfit`, `quantile.survfit`,
//! `print.survfit(rmean=)`, `survdiff`); the tests reproduce its outputs on six public datasets.
//! Pure functions on slices: no I/O.

pub mod concordance;
pub mod cox;
pub mod design;
pub mod km;
pub mod logrank;

pub use km::{ConfType, KmCurve, kaplan_meier};
pub use logrank::{GroupTest, LogRank, log_rank};

/// Two-sided normal quantile for a confidence level, e.g. 1.959963984540054 for 0.95.
pub fn z_for(level: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(0.5 + level / 2.0)
}

/// Upper-tail chi-square probability.
pub fn chisq_sf(x: f64, df: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    ChiSquared::new(df).map(|d| d.sf(x)).unwrap_or(f64::NAN)
}
