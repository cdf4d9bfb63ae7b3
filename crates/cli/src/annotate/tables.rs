//! The non-MAF parts of `atcpath annotate` (fusions, structural variants, copy number, clinical).

use atcpath_kb::Kb;

use super::AnnotateArgs;
use crate::{Fail, invalid};

/// Annotates the non-MAF inputs given; returns the summary lines.
pub fn run(a: &AnnotateArgs, _kb: &Kb) -> Result<String, Fail> {
    for (flag, given) in [
        ("--fusions", &a.fusions),
        ("--sv", &a.sv),
        ("--cna", &a.cna),
        ("--clinical", &a.clinical),
    ] {
        if given.is_some() {
            return Err(invalid(format!("{flag} is not supported yet")));
        }
    }
    Ok(String::new())
}
