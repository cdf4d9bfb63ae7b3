//! Fusion names as oncokb-annotator and cBioPortal write them.

/// A parsed fusion name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FusionName {
    /// Two genes (5' and 3' as written; the kinase kept is the 3' partner's when it is a driver: `genomics::fusion_kinase`).
    Pair(String, String),
    /// An event within one gene (e.g. `EGFR-intragenic`): not a fusion.
    Intragenic(String),
}

/// Parses `GENE1-GENE2`, `GENE1-GENE2 fusion`, `GENE1::GENE2` or `GENE-intragenic`.
///
/// # Errors
/// A message when the text is not one of these forms.
pub fn parse_fusion(text: &str) -> Result<FusionName, String> {
    // ASCII white space only: a no-break space at the edge of a symbol is refused below.
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let t = t
        .strip_suffix(" fusion")
        .or_else(|| t.strip_suffix(" Fusion"))
        .unwrap_or(t)
        .trim_matches(|c: char| c.is_ascii_whitespace());
    let (a, b) = t
        .split_once("::")
        .or_else(|| t.split_once('-'))
        .ok_or_else(|| format!("{text:?} is not a fusion name (expected GENE1-GENE2)"))?;
    let ok = |g: &str| {
        !g.is_empty()
            && g.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    };
    // A symbol with an invisible or look-alike character is named as such, not as a bad name.
    for g in [a, b] {
        if !g.is_ascii() {
            atcpath_core::genes::check_symbol_chars(g)?;
        }
    }
    if b.eq_ignore_ascii_case("intragenic") && ok(a) {
        return Ok(FusionName::Intragenic(a.to_string()));
    }
    if !ok(a) || !ok(b) {
        return Err(format!(
            "{text:?} is not a fusion name (expected GENE1-GENE2)"
        ));
    }
    if a == b {
        return Ok(FusionName::Intragenic(a.to_string()));
    }
    Ok(FusionName::Pair(a.to_string(), b.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_fusion("ALK-EML4"),
            Ok(FusionName::Pair("ALK".into(), "EML4".into()))
        );
        assert_eq!(
            parse_fusion("ETV6-RUNX1 fusion"),
            Ok(FusionName::Pair("ETV6".into(), "RUNX1".into()))
        );
        assert_eq!(
            parse_fusion("CCDC6::RET"),
            Ok(FusionName::Pair("CCDC6".into(), "RET".into()))
        );
        assert_eq!(
            parse_fusion("EGFR-intragenic"),
            Ok(FusionName::Intragenic("EGFR".into()))
        );
        assert!(
            parse_fusion("RET").is_err()
                && parse_fusion("-RET").is_err()
                && parse_fusion("A B-C").is_err()
        );
    }
}
