//! Cells of tabular files (CSV, TSV, MAF, cBioPortal): what counts as a missing value, shared by
//! every reader so that all of them drop or refuse the same things.

/// Whether a cell is missing: empty, `NA`, `N/A`, `NaN`, or cBioPortal's bracketed markers
/// (`[Not Available]`, `[Not Applicable]`, `[Unknown]`, `[Not Evaluated]`).
pub fn is_missing(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || matches!(
            t,
            "NA" | "N/A"
                | "NaN"
                | "[Not Available]"
                | "[Not Applicable]"
                | "[Unknown]"
                | "[Not Evaluated]"
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn missing_markers() {
        for m in ["", " ", "NA", "N/A", "NaN", "[Not Available]", "[Unknown]"] {
            assert!(super::is_missing(m), "{m:?}");
        }
        for v in ["0", "na", "None", "1:DECEASED"] {
            assert!(!super::is_missing(v), "{v:?}");
        }
    }
}
