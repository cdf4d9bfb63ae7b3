//! The patient case: its model and its reader.

pub mod json;
pub mod model;
pub mod read;

pub use model::*;
pub use read::{MAX_CASE_BYTES, Problem, SCHEMA, as_of_after_today, read_case, read_record};
