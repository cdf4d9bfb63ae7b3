//! Gene symbols as written in case files and result files: the one check every reader uses.
//!
//! A symbol that looks right but is not must never hide a gene the pathway reads (`BRАF` with a
//! Cyrillic А, `BRAF` followed by a zero-width space, `BRAf`, `TRKC` for NTRK3): each is an error
//! naming what is wrong and, where it can tell, the symbol meant.
//!
//! - [`check_symbol_chars`] (no knowledge base, for the streaming readers): printable ASCII
//!   only. Any other character is refused and described: invisible (zero-width
//!   space U+200B, ZWNJ, ZWJ, word joiner U+2060, soft hyphen, BOM, any format character),
//!   a compatibility form that Unicode NFKC folds to an ASCII letter (fullwidth `Ｂ`), or a
//!   Cyrillic or Greek letter that looks like a Latin one (Unicode confusables, `confusables.txt`
//!   of UTS #39, the subset of capital and small letters with an identical Latin glyph).
//! - [`gene_symbol`] (with the knowledge base): the characters as above, then a previous HGNC
//!   symbol or alias of a knowledge-base gene (`kb/genes.toml` `[[alias]]`, with its HGNC id) is
//!   refused with the current symbol; a knowledge-base symbol in another case (`BRAf`) is refused
//!   with "did you mean" (case is never fixed silently); a knowledge-base symbol followed by more
//!   (`BRAF-V600E`, `BRAF V600E`) is refused: a gene field holds the symbol only; a symbol with a
//!   digit for a look-alike letter or the reverse (`BR4F`, `R3T`, `A1K`:
//!   `atcpath_kb::digit_letter_confusable` with a knowledge-base symbol) is refused with "did you mean". Any other symbol
//!   passes unchanged (a gene the knowledge base does not know is not an error here).

use atcpath_kb::Kb;
use unicode_normalization::UnicodeNormalization;

/// Cyrillic and Greek letters whose glyph is that of a Latin letter (UTS #39 confusables).
const LOOK_ALIKES: &[(char, char)] = &[
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Т', 'T'),
    ('Х', 'X'),
    ('Ѕ', 'S'),
    ('І', 'I'),
    ('Ј', 'J'),
    ('Ԛ', 'Q'),
    ('Ԝ', 'W'),
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('ѕ', 's'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ԁ', 'd'),
    ('һ', 'h'),
    ('ӏ', 'l'),
    ('Α', 'A'),
    ('Β', 'B'),
    ('Ε', 'E'),
    ('Ζ', 'Z'),
    ('Η', 'H'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ο', 'O'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Υ', 'Y'),
    ('Χ', 'X'),
    ('ο', 'o'),
    ('ν', 'v'),
    ('ϲ', 'c'),
];

/// Characters that print as nothing (or as a space) and so cannot be seen in a symbol.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180E}' | '\u{2000}'..='\u{200F}' | '\u{2028}'..='\u{202F}'
        | '\u{205F}'..='\u{206F}' | '\u{3000}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
        || c.is_whitespace()
        || c.is_control()
}

/// Printable ASCII: letters, digits and the punctuation files use beside a symbol (`HLA-A`,
/// cBioPortal's `AKT2|TEST`); what a symbol may look like beyond that is each reader's rule.
fn allowed(c: char) -> bool {
    c.is_ascii_graphic()
}

/// What a character outside the allowed set is, and the ASCII it stands for (if any).
fn describe(c: char) -> (String, Option<String>) {
    let code = format!("U+{:04X}", c as u32);
    if invisible(c) {
        return (
            format!("an invisible character ({code})"),
            Some(String::new()),
        );
    }
    if let Some((_, l)) = LOOK_ALIKES.iter().find(|(x, _)| *x == c) {
        let script = if ('\u{0370}'..='\u{03FF}').contains(&c) {
            "Greek"
        } else {
            "Cyrillic"
        };
        return (
            format!("the {script} letter {c:?} ({code}), which looks like the Latin {l:?}"),
            Some(l.to_string()),
        );
    }
    let folded: String = c.to_string().nfkc().collect();
    if folded != c.to_string() && !folded.is_empty() && folded.chars().all(allowed) {
        return (
            format!("{c:?} ({code}), a compatibility form of {folded:?}"),
            Some(folded),
        );
    }
    (
        format!("{c:?} ({code}), not an ASCII letter or digit"),
        None,
    )
}

/// The first character of `text` that `ok` refuses, described, with the text meant when every
/// refused character stands for ASCII (`did you mean`): the one character check of gene symbols
/// and drug names.
fn foreign(text: &str, ok: impl Fn(char) -> bool) -> Option<(String, String)> {
    let bad = text.chars().find(|c| !ok(*c))?;
    let (what, _) = describe(bad);
    let mut meant = String::new();
    let mut all = true;
    for c in text.chars() {
        if ok(c) {
            meant.push(c);
        } else {
            match describe(c).1 {
                Some(s) => meant.push_str(&s),
                None => all = false,
            }
        }
    }
    let hint = if all && !meant.is_empty() && meant != text {
        format!("; did you mean {meant:?}?")
    } else {
        String::new()
    };
    Some((what, hint))
}

/// The longest gene symbol accepted: HGNC's approved symbols are far shorter; a longer cell is
/// not a symbol (and is never echoed whole).
pub const MAX_SYMBOL_LEN: usize = 40;

/// Checks that a gene symbol is written in printable ASCII only (no space, no control character).
///
/// # Errors
/// A message naming the first offending character (invisible, look-alike, compatibility form or
/// other) and, when every such character stands for ASCII, the symbol meant (`did you mean`).
pub fn check_symbol_chars(text: &str) -> Result<(), String> {
    if text.len() > MAX_SYMBOL_LEN {
        let start: String = text.chars().take(20).collect();
        return Err(format!(
            "gene symbol of {} bytes starting {start:?}…: longer than any HGNC symbol (at most \
             {MAX_SYMBOL_LEN} characters)",
            text.len()
        ));
    }
    match foreign(text, allowed) {
        None if text.is_empty() => Err("empty gene symbol".into()),
        None => Ok(()),
        Some((what, hint)) => Err(format!(
            "gene symbol {text:?} contains {what}: symbols are written in ASCII letters and digits{hint}"
        )),
    }
}

/// Checks that a drug name is written in printable ASCII and plain spaces (the trademark signs
/// ® ™ © are allowed; the drug-name normaliser drops them). A fullwidth, Cyrillic, Greek or
/// dotted-capital letter (`DOXORUBİCİN`) or an invisible character would make a known drug
/// unrecognisable, so it is refused, not guessed.
///
/// # Errors
/// A message naming the first offending character and, where it can tell, the name meant.
pub fn check_drug_chars(text: &str) -> Result<(), String> {
    match foreign(text, |c| allowed(c) || matches!(c, ' ' | '®' | '™' | '©')) {
        None => Ok(()),
        Some((what, hint)) => Err(format!(
            "drug name {text:?} contains {what}: write the generic name in ASCII letters{hint}"
        )),
    }
}

/// The gene symbol to use for `text`, checked against the knowledge base (see module docs).
/// Returns the symbol unchanged when it is accepted.
///
/// # Errors
/// A message naming what is wrong and the symbol meant: look-alike or invisible characters,
/// a previous symbol or alias (with its HGNC id), another case, or a symbol followed by more.
pub fn gene_symbol(kb: &Kb, text: &str) -> Result<String, String> {
    check_symbol_chars(text)?;
    if kb.known_genes().any(|g| g == text) {
        return Ok(text.to_string());
    }
    let resolve = |s: &str| -> Option<(String, Option<&atcpath_kb::GeneAlias>)> {
        let up = s.to_ascii_uppercase();
        if let Some(g) = kb.known_genes().find(|g| *g == up) {
            return Some((g.to_string(), None));
        }
        kb.genes
            .aliases
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(s))
            .map(|a| (a.symbol.clone(), Some(a)))
    };
    if let Some(a) = kb.gene_alias(text) {
        let kind = if a.kind == "previous" {
            "a previous HGNC symbol"
        } else {
            "an HGNC alias"
        };
        return Err(format!(
            "{text:?} is {kind} of {} ({}); did you mean {:?}? (write the current symbol)",
            a.symbol, a.source, a.symbol
        ));
    }
    if let Some((g, _)) = resolve(text) {
        return Err(format!(
            "{text:?} is not an HGNC symbol (symbols are case-sensitive); did you mean {g:?}?"
        ));
    }
    // The symbol with its punctuation dropped (`B-RAF`, `NTRK_3`).
    let squashed: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
    if squashed != text
        && let Some((g, _)) = resolve(&squashed)
    {
        return Err(format!(
            "{text:?} is not an HGNC symbol; did you mean {g:?}?"
        ));
    }
    // A digit written for a letter or the reverse (`BR4F`, `R3T`, `A1K`).
    if let Some(g) = kb.skeleton_match(text) {
        return Err(format!(
            "{text:?} is not an HGNC symbol (a digit where a letter belongs, or the reverse); did you mean {g:?}?"
        ));
    }
    if let Some((head, _)) = text.split_once(['-', '_', '.'])
        && let Some((g, _)) = resolve(head)
    {
        return Err(format!(
            "{text:?} is not a gene symbol: a gene field holds the symbol only (did you mean {g:?}, with the change in its own field?)"
        ));
    }
    Ok(text.to_string())
}

/// An HGNC symbol as a gene field or a gene list holds it: [`gene_symbol`], then the shape of
/// an HGNC symbol (an upper-case letter, then upper-case letters, digits, `-`, and the `orf` of
/// open reading frames such as `C11orf30`; at most 20 characters).
///
/// # Errors
/// The message of [`gene_symbol`], or one saying the text is not an HGNC gene symbol.
pub fn hgnc_symbol(kb: &Kb, text: &str) -> Result<String, String> {
    let s = gene_symbol(kb, text)?;
    let ok = s.len() <= 20
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| {
            c.is_ascii_uppercase()
                || c.is_ascii_digit()
                || c == '-'
                || c == 'o'
                || c == 'r'
                || c == 'f'
        });
    if !ok {
        return Err(format!(
            "{s:?} is not an HGNC gene symbol (upper-case letters and digits, e.g. BRAF, NTRK3)"
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kb() -> Kb {
        Kb::embedded().unwrap()
    }

    #[test]
    fn a_symbol_longer_than_any_hgnc_symbol_is_refused_without_echoing_it() {
        let long = "A".repeat(5_000_000);
        let e = check_symbol_chars(&long).unwrap_err();
        assert!(
            e.contains("5000000 bytes") && e.len() < 200,
            "{}",
            &e[..e.len().min(300)]
        );
        assert!(check_symbol_chars(&"A".repeat(MAX_SYMBOL_LEN)).is_ok());
    }

    /// Invisible characters and compatibility forms to insert into symbols.
    const INVISIBLE: [char; 6] = [
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{00AD}', '\u{FEFF}',
    ];

    #[test]
    fn look_alikes_and_invisibles_are_refused_with_the_symbol_meant() {
        let kb = kb();
        let e = gene_symbol(&kb, "BRАF").unwrap_err();
        assert!(
            e.contains("Cyrillic") && e.contains("did you mean \"BRAF\""),
            "{e}"
        );
        let e = gene_symbol(&kb, "BRAF\u{200B}").unwrap_err();
        assert!(
            e.contains("invisible") && e.contains("U+200B") && e.contains("\"BRAF\""),
            "{e}"
        );
        let e = gene_symbol(&kb, "ＢＲＡＦ").unwrap_err();
        assert!(e.contains("compatibility form"), "{e}");
        assert!(gene_symbol(&kb, "ΝΤRΚ3").is_err(), "Greek look-alikes");
    }

    #[test]
    fn case_aliases_and_gene_with_change_are_refused() {
        let kb = kb();
        let e = gene_symbol(&kb, "BRAf").unwrap_err();
        assert!(e.contains("did you mean \"BRAF\""), "{e}");
        let e = gene_symbol(&kb, "BRAF-V600E").unwrap_err();
        assert!(e.contains("symbol only") && e.contains("\"BRAF\""), "{e}");
        let e = gene_symbol(&kb, "TRKC").unwrap_err();
        assert!(e.contains("NTRK3") && e.contains("HGNC:8033"), "{e}");
        let e = gene_symbol(&kb, "KRAS2").unwrap_err();
        assert!(e.contains("previous HGNC symbol of KRAS"), "{e}");
        assert!(gene_symbol(&kb, "trkc").unwrap_err().contains("NTRK3"));
        assert!(
            gene_symbol(&kb, "B-RAF")
                .unwrap_err()
                .contains("did you mean \"BRAF\"")
        );
        // Accepted: knowledge-base symbols and other well-formed symbols, unchanged.
        for ok in ["BRAF", "NTRK3", "EGFR", "C1orf112", "HLA-A"] {
            assert_eq!(gene_symbol(&kb, ok).as_deref(), Ok(ok));
        }
    }

    #[test]
    fn more_old_names_are_refused_with_the_current_symbol() {
        let kb = kb();
        for (old, current) in [
            ("TRK", "NTRK1"),
            ("TEL", "ETV6"),
            ("H4", "CCDC6"),
            ("D10S170", "CCDC6"),
            ("ELE1", "NCOA4"),
            ("RFG", "NCOA4"),
            ("ARA70", "NCOA4"),
            ("MTS1", "CDKN2A"),
            ("COCA2", "MLH1"),
        ] {
            let e = gene_symbol(&kb, old).unwrap_err();
            assert!(
                e.contains(&format!("did you mean {current:?}")),
                "{old}: {e}"
            );
        }
    }

    #[test]
    fn a_digit_for_a_letter_in_a_kb_symbol_is_refused() {
        let kb = kb();
        for (bad, meant) in [
            ("BR4F", "BRAF"),
            ("R3T", "RET"),
            ("A1K", "ALK"),
            ("8RAF", "BRAF"),
            ("NTRKI", "NTRK1"),
        ] {
            let e = gene_symbol(&kb, bad).unwrap_err();
            assert!(e.contains(&format!("did you mean {meant:?}")), "{bad}: {e}");
        }
        for ok in ["TP53", "TP63", "NTRK1", "NTRK2", "NTRK3", "ITK", "TP73"] {
            assert_eq!(gene_symbol(&kb, ok).as_deref(), Ok(ok));
        }
    }

    fn symbol_and_char() -> impl Strategy<Value = (String, char, usize)> {
        let genes: Vec<String> = kb().known_genes().map(str::to_string).collect();
        let mut chars: Vec<char> = INVISIBLE.to_vec();
        chars.extend(LOOK_ALIKES.iter().map(|(c, _)| *c));
        chars.extend(['Ａ', 'Ｂ', 'Ｒ', 'Ｆ', 'Ｋ', '３', '１']);
        (
            prop::sample::select(genes),
            prop::sample::select(chars),
            0usize..12,
        )
    }

    proptest! {
        /// Every knowledge-base symbol with any invisible, look-alike or fullwidth character
        /// inserted anywhere, or with a letter replaced by its look-alike, is refused.
        #[test]
        fn any_odd_character_in_any_kb_symbol_is_refused((g, c, at) in symbol_and_char()) {
            let kb = kb();
            let i = at.min(g.len());
            let inserted = format!("{}{c}{}", &g[..i], &g[i..]);
            prop_assert!(gene_symbol(&kb, &inserted).is_err(), "{inserted:?}");
            prop_assert!(check_symbol_chars(&inserted).is_err());
            if let Some((l, _)) = LOOK_ALIKES.iter().find(|(_, l)| g.chars().nth(i) == Some(*l)) {
                let replaced: String = g.chars().enumerate().map(|(k, x)| if k == i { *l } else { x }).collect();
                prop_assert!(gene_symbol(&kb, &replaced).is_err(), "{replaced:?}");
            }
        }
    }
}
