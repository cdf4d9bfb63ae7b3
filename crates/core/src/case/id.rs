//! The case identifier (`id`, the registry's pseudonym, cBioPortal's `PATIENT_ID`): one rule
//! for every reader, so that two ids that display the same are never two patients.
//!
//! An id is 1 to [`MAX_ID_LEN`] characters of the safe set: ASCII letters, digits, `-`, `_` and
//! `.`, starting with a letter or digit. Anything else (a space, a non-breaking hyphen U+2011, a
//! zero-width space U+200B, a Cyrillic `а` U+0430...) is refused with its position and code
//! point, so look-alikes never pass. Ids are compared case-insensitively ([`id_key`]): `pat-1`
//! and `PAT-1` are the same patient, and the registry refuses the second spelling.

/// The longest id accepted, in characters (ASCII: also bytes).
pub const MAX_ID_LEN: usize = 64;

/// Checks a case id against the safe set (see the module documentation).
///
/// # Errors
/// A message (without the field name, which the caller adds) naming the first offending
/// character by its 1-based position and code point, or the length.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    for (i, c) in id.chars().enumerate() {
        let safe = c.is_ascii_alphanumeric() || (i > 0 && matches!(c, '-' | '_' | '.'));
        if !safe {
            return Err(format!(
                "character {} is U+{:04X}{}: an id is ASCII letters, digits, '-', '_' and '.' only, starting with a letter or digit",
                i + 1,
                u32::from(c),
                if c.is_control() || c.is_whitespace() || !c.is_ascii() {
                    String::new()
                } else {
                    format!(" ({c:?})")
                }
            ));
        }
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "{} characters: at most {MAX_ID_LEN}",
            id.chars().count()
        ));
    }
    Ok(())
}

/// The form two ids are compared in: ASCII lower case (`PAT-1` and `pat-1` are the same id).
/// Meaningful for ids that pass [`check_id`].
pub fn id_key(id: &str) -> String {
    id.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn look_alikes_are_refused_naming_the_character() {
        for (id, pos, cp) in [
            ("pat\u{2011}1", 4, "U+2011"),
            ("pat-1\u{200b}", 6, "U+200B"),
            ("p\u{430}t-1", 2, "U+0430"),
            ("pat 1", 4, "U+0020"),
            ("-pat", 1, "U+002D"),
        ] {
            let e = check_id(id).unwrap_err();
            assert!(
                e.contains(&format!("character {pos} is {cp}")),
                "{id:?}: {e}"
            );
        }
        assert!(check_id("").is_err());
        assert!(check_id(&"a".repeat(MAX_ID_LEN + 1)).is_err());
        assert!(check_id(&"a".repeat(MAX_ID_LEN)).is_ok());
        assert!(check_id("lit-2010-lim-1").is_ok());
        assert!(check_id("example-ivc-braf").is_ok());
        assert_eq!(id_key("PAT-1"), id_key("pat-1"));
    }

    proptest! {
        #[test]
        fn accepted_ids_are_exactly_the_safe_set(s in "\\PC{0,70}") {
            let safe = !s.is_empty()
                && s.len() <= MAX_ID_LEN
                && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            prop_assert_eq!(check_id(&s).is_ok(), safe);
        }

        #[test]
        fn safe_ids_pass(s in "[A-Za-z0-9][A-Za-z0-9._-]{0,63}") {
            prop_assert!(check_id(&s).is_ok());
        }
    }
}
