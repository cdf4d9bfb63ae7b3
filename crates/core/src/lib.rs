//! ATCPath clinical core: everything that decides, nothing that reads or writes.
//!
//! - [`case`]: the case model and the strict case-file reader (bytes in, validated case out);
//! - [`units`], [`hgvs`], [`genes`]: quantities with units, variant notation, gene symbols;
//! - [`staging`]: AJCC 8th edition staging;
//! - [`molecular`]: the actionable molecular profile;
//! - [`renal`]: creatinine clearance; [`dosing`]: BSA, doses; [`radiobiology`]: BED and EQD2;
//! - [`pathway`]: the ATC pathway, from case to [`report::Assessment`].
//!
//! Architecture invariant: no file, network, clock or terminal access here; clinical facts
//! come from [`atcpath_kb::Kb`].

pub mod case;
pub mod cells;
pub mod cohort;
pub mod dosing;
pub mod fasttrack;
pub mod genes;
pub mod genomics;
pub mod hgvs;
pub mod molecular;
pub mod outcomes;
pub mod pathway;
pub mod radiobiology;
pub mod renal;
pub mod report;
pub mod staging;
pub mod survival;
pub mod units;

pub use pathway::{Config, assess, assess_with_files};
