//! HGVS protein (`p.`) and coding (`c.`) notation: parsing, normalisation and classification.
//!
//! One normaliser for the whole product (case reader, and genomic importers later). It covers the
//! forms that molecular reports use for the variants ATC decisions depend on:
//! - protein substitutions in one- or three-letter code, with or without the parentheses of a
//!   predicted consequence: `p.V600E`, `p.Val600Glu`, `p.(V600E)`, `p.(Val600Glu)` all normalise
//!   to `p.Val600Glu`; stop as `*`, `X` or `Ter`; synonymous `p.Val600=`;
//!   frameshifts `p.K123fs`, `p.Lys123ArgfsTer5`; in-frame `del`, `dup`, `ins`, `delins` over a
//!   residue or a range `p.Glu746_Ala750del`; one residue replaced by one (`p.V600delinsE`,
//!   `p.Val600delinsGlu`) is the substitution and normalises to `p.Val600Glu`;
//! - coding changes: substitution `c.1799T>A`, `del`, `dup`, `ins`, `delins`, with intronic
//!   offsets (`c.1234+1G>A`, a splice variant) and 5' upstream positions (`c.-124C>T`).
//!
//! Source: HGVS nomenclature recommendations (varnomen.hgvs.org, den Dunnen et al., Hum Mutat 2016).
//! TERT promoter legacy names: c.-124C>T is C228T and c.-146C>T is C250T (NM_198253; positions
//! 1,295,228 and 1,295,250 on chromosome 5, GRCh37; Liu et al., Endocr Relat Cancer 2013).

use serde::Serialize;

/// Consequence class of a variant, as far as the notation tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    Missense,
    Nonsense,
    Synonymous,
    Frameshift,
    InFrame,
    StartLoss,
    Splice,
    Promoter,
    Substitution,
    Deletion,
    Duplication,
    Insertion,
    Delins,
    Unknown,
}

/// A parsed protein change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProteinChange {
    /// Normalised three-letter form without parentheses, e.g. `p.Val600Glu`.
    pub normalized: String,
    /// Reference residue (three-letter) at the first position.
    pub ref_aa: &'static str,
    /// First position (1-based).
    pub position: u32,
    /// Alternate residue (three-letter) for substitutions.
    pub alt_aa: Option<&'static str>,
    pub consequence: Consequence,
    /// Whether the input was written as predicted (in parentheses).
    pub predicted: bool,
}

/// A parsed coding change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodingChange {
    /// Normalised form, e.g. `c.1799T>A`, `c.-124C>T`.
    pub normalized: String,
    pub consequence: Consequence,
    /// Legacy name where one is in common use (TERT promoter `C228T`, `C250T`).
    pub legacy_name: Option<&'static str>,
}

/// Why a notation was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct HgvsError(pub String);

const AMINO_ACIDS: [(char, &str); 23] = [
    ('A', "Ala"),
    ('R', "Arg"),
    ('N', "Asn"),
    ('D', "Asp"),
    ('C', "Cys"),
    ('Q', "Gln"),
    ('E', "Glu"),
    ('G', "Gly"),
    ('H', "His"),
    ('I', "Ile"),
    ('L', "Leu"),
    ('K', "Lys"),
    ('M', "Met"),
    ('F', "Phe"),
    ('P', "Pro"),
    ('S', "Ser"),
    ('T', "Thr"),
    ('W', "Trp"),
    ('Y', "Tyr"),
    ('V', "Val"),
    ('U', "Sec"),
    ('*', "Ter"),
    ('X', "Ter"),
];

/// Reads one residue at the start of `s` (three-letter first, then one-letter); returns it and its length.
fn residue(s: &str) -> Option<(&'static str, usize)> {
    if let Some(three) = s.get(..3)
        && let Some((_, t)) = AMINO_ACIDS.iter().find(|(_, t)| *t == three)
    {
        return Some((t, 3));
    }
    let c = s.chars().next()?;
    AMINO_ACIDS
        .iter()
        .find(|(o, _)| *o == c)
        .map(|(_, t)| (*t, 1))
}

fn digits(s: &str) -> Option<(u32, usize)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    // No leading zero: "p.V0600E" is not a position.
    if n == 0 || n > 6 || s.starts_with('0') {
        return None;
    }
    s[..n].parse().ok().filter(|p| *p > 0).map(|p| (p, n))
}

fn residues(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let (aa, n) = residue(rest)?;
        out.push_str(aa);
        rest = &rest[n..];
    }
    (!out.is_empty()).then_some(out)
}

/// Parses and normalises an HGVS protein change.
///
/// # Errors
/// [`HgvsError`] naming what is expected when the text is not a supported `p.` form.
pub fn parse_protein(text: &str) -> Result<ProteinChange, HgvsError> {
    let bad = || {
        HgvsError(format!(
            "{text:?} is not HGVS protein notation (expected e.g. p.V600E, p.Val600Glu or p.(V600E))"
        ))
    };
    let body = text.trim().strip_prefix("p.").ok_or_else(bad)?;
    let (body, predicted) = match body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
        Some(inner) => (inner, true),
        None => (body, false),
    };
    let (ref_aa, n) = residue(body).ok_or_else(bad)?;
    let code_len = n;
    let rest = &body[n..];
    let (position, n) = digits(rest).ok_or_else(bad)?;
    let rest = &rest[n..];
    let first = format!("{ref_aa}{position}");
    // Range: _Xaa123
    let (span, rest) = match rest.strip_prefix('_') {
        Some(r) => {
            let (aa2, n2) = residue(r).ok_or_else(bad)?;
            let (p2, d2) = digits(&r[n2..]).ok_or_else(bad)?;
            if p2 <= position {
                return Err(HgvsError(format!(
                    "{text:?}: range end must follow its start"
                )));
            }
            (format!("{first}_{aa2}{p2}"), &r[n2 + d2..])
        }
        None => (first.clone(), rest),
    };
    let ranged = span != first;
    let out = |normalized: String, alt_aa, consequence| {
        Ok(ProteinChange {
            normalized: format!("p.{normalized}"),
            ref_aa,
            position,
            alt_aa,
            consequence,
            predicted,
        })
    };
    for (kw, cons) in [
        ("delins", Consequence::InFrame),
        ("ins", Consequence::InFrame),
    ] {
        if let Some(r) = rest.strip_prefix(kw) {
            let aas = residues(r).ok_or_else(bad)?;
            if kw == "ins" && !ranged {
                return Err(HgvsError(format!(
                    "{text:?}: an insertion names the two flanking residues (e.g. p.Lys2_Gly3insGln)"
                )));
            }
            // One residue replaced by one (`p.V600delinsE`) is the substitution `p.Val600Glu`:
            // one name for one change.
            if kw == "delins"
                && !ranged
                && let Some((alt, n)) = residue(&aas)
                && n == aas.len()
            {
                return out(
                    format!("{first}{alt}"),
                    Some(alt),
                    substitution(ref_aa, position, alt),
                );
            }
            return out(format!("{span}{kw}{aas}"), None, cons);
        }
    }
    match rest {
        "del" | "dup" => return out(format!("{span}{rest}"), None, Consequence::InFrame),
        "=" if !ranged => return out(format!("{span}="), Some(ref_aa), Consequence::Synonymous),
        "?" if !ranged && position == 1 && ref_aa == "Met" => {
            return out(format!("{span}?"), None, Consequence::StartLoss);
        }
        _ => {}
    }
    if ranged {
        return Err(bad());
    }
    // Frameshift: fs, Xaafs, XaafsTer12, Xaafs*12
    if let Some(i) = rest.find("fs") {
        let (alt, tail) = rest.split_at(i);
        let alt = if alt.is_empty() {
            None
        } else {
            Some(
                residue(alt)
                    .filter(|(_, n)| *n == alt.len())
                    .ok_or_else(bad)?
                    .0,
            )
        };
        let tail = &tail[2..];
        let ter = tail
            .strip_prefix("Ter")
            .or_else(|| tail.strip_prefix('*'))
            .or_else(|| tail.strip_prefix('X'));
        let suffix = match (tail.is_empty(), ter) {
            (true, _) => String::new(),
            (false, Some(t))
                if t.is_empty() || t == "?" || digits(t).is_some_and(|(_, n)| n == t.len()) =>
            {
                format!("Ter{t}")
            }
            _ => return Err(bad()),
        };
        return out(
            format!("{first}{}fs{suffix}", alt.unwrap_or("")),
            None,
            Consequence::Frameshift,
        );
    }
    let (alt, n) = residue(rest).ok_or_else(bad)?;
    if n != rest.len() {
        return Err(bad());
    }
    // One code per notation: p.V600E or p.Val600Glu, not p.V600Glu (a stop may be written `*` in either).
    if n != code_len && rest != "*" {
        return Err(HgvsError(format!(
            "{text:?} mixes one- and three-letter amino-acid codes (write p.V600E or p.Val600Glu)"
        )));
    }
    out(
        format!("{first}{alt}"),
        Some(alt),
        substitution(ref_aa, position, alt),
    )
}

/// The consequence of residue `ref_aa` at `position` replaced by `alt` (three-letter codes).
fn substitution(ref_aa: &str, position: u32, alt: &str) -> Consequence {
    if alt == "Ter" {
        Consequence::Nonsense
    } else if alt == ref_aa {
        Consequence::Synonymous
    } else if position == 1 && ref_aa == "Met" {
        Consequence::StartLoss
    } else {
        Consequence::Missense
    }
}

/// The standard genetic code: a DNA codon to its three-letter amino acid (`Ter` for stop).
pub fn translate(codon: &str) -> Option<&'static str> {
    const BASES: [u8; 4] = *b"TCAG";
    // Amino acids in TCAG x TCAG x TCAG order (NCBI translation table 1).
    const AA: &str = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG";
    let b = codon.as_bytes();
    if b.len() != 3 {
        return None;
    }
    let idx = |c: u8| BASES.iter().position(|x| *x == c.to_ascii_uppercase());
    let i = idx(b[0])? * 16 + idx(b[1])? * 4 + idx(b[2])?;
    let one = AA.as_bytes()[i] as char;
    AMINO_ACIDS.iter().find(|(o, _)| *o == one).map(|(_, t)| *t)
}

/// The mutant codon produced by a coding substitution or deletion-insertion lying inside the
/// codon that starts at c.`codon_start` (reference `codon`); `None` when the change is not such
/// a change, or does not fit the reference.
pub fn mutate_codon(change: &CodingChange, codon_start: u32, codon: &str) -> Option<String> {
    let body = change.normalized.strip_prefix("c.")?;
    let num = |s: &str| s.parse::<u32>().ok();
    let (start, end, alt) = if let Some((pos_ref, alt)) = body.split_once('>') {
        let split = pos_ref.len().checked_sub(1)?;
        let (pos, r) = pos_ref.split_at(split);
        let p = num(pos)?;
        let offset = p.checked_sub(codon_start)? as usize;
        if offset > 2 || codon.as_bytes().get(offset)? != &r.as_bytes()[0] {
            return None;
        }
        (p, p, alt.to_string())
    } else {
        // A deletion-insertion over a range, or over one position (`c.1799delinsA`, the same
        // change as c.1799T>A).
        let (range, alt) = body.split_once("delins")?;
        let (a, b) = range.split_once('_').unwrap_or((range, range));
        (num(a)?, num(b)?, alt.to_string())
    };
    if start < codon_start
        || end > codon_start + 2
        || end < start
        || alt.len() != (end - start + 1) as usize
    {
        return None;
    }
    let mut out = codon.as_bytes().to_vec();
    for (k, c) in alt.bytes().enumerate() {
        out[(start - codon_start) as usize + k] = c;
    }
    String::from_utf8(out).ok()
}

/// The first coding position of a change in the coding sequence proper (`c.1799T>A` → 1799);
/// `None` for upstream, downstream (`c.*12`) and intronic positions.
pub fn coding_start(change: &CodingChange) -> Option<u32> {
    let body = change.normalized.strip_prefix("c.")?;
    let n = body.bytes().take_while(u8::is_ascii_digit).count();
    let next = body.as_bytes().get(n);
    if n == 0 || matches!(next, Some(b'+' | b'-')) {
        return None;
    }
    body[..n].parse().ok()
}

/// The reference base a substitution names (`c.1799T>A` → `T`); `None` for other changes.
pub fn substituted_base(change: &CodingChange) -> Option<u8> {
    let (pos_ref, _) = change.normalized.strip_prefix("c.")?.split_once('>')?;
    let r = *pos_ref.as_bytes().last()?;
    pos_ref[..pos_ref.len() - 1]
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then_some(r)
}

/// A normalised protein substitution in one-letter code (`p.Val600Glu` → `p.V600E`), for
/// messages; `None` for other forms.
pub fn one_letter_form(normalized: &str) -> Option<String> {
    let p = parse_protein(normalized).ok()?;
    let one = |t: &str| AMINO_ACIDS.iter().find(|(_, x)| *x == t).map(|(o, _)| *o);
    let alt = p.alt_aa?;
    if !matches!(p.consequence, Consequence::Missense | Consequence::Nonsense) {
        return None;
    }
    Some(format!("p.{}{}{}", one(p.ref_aa)?, p.position, one(alt)?))
}

/// Legacy names of TERT promoter variants (see module docs).
const TERT_LEGACY: [(&str, &str); 2] = [("c.-124C>T", "C228T"), ("c.-146C>T", "C250T")];

/// The HGVS coding form for a legacy TERT promoter name (`C228T`, `C250T`), for hints.
pub fn tert_legacy_to_hgvs(name: &str) -> Option<&'static str> {
    TERT_LEGACY
        .iter()
        .find(|(_, l)| l.eq_ignore_ascii_case(name.trim()))
        .map(|(h, _)| *h)
}

fn coding_position(s: &str) -> Option<(String, bool, bool, usize)> {
    // [-*]?digits([+-]digits)?  -> (text, upstream, intronic_near_splice, consumed)
    let b = s.as_bytes();
    let mut i = 0;
    let upstream = b.first() == Some(&b'-');
    if matches!(b.first(), Some(b'-') | Some(b'*')) {
        i += 1;
    }
    let (_, n) = digits(&s[i..])?;
    i += n;
    let mut splice = false;
    if matches!(b.get(i), Some(b'+') | Some(b'-')) {
        let (off, m) = digits(&s[i + 1..])?;
        splice = off <= 2;
        i += 1 + m;
    }
    Some((s[..i].to_string(), upstream, splice, i))
}

fn bases(s: &str) -> Option<String> {
    (!s.is_empty() && s.len() < 1000 && s.bytes().all(|c| b"ACGTacgt".contains(&c)))
        .then(|| s.to_ascii_uppercase())
}

/// Parses and normalises an HGVS coding change.
///
/// # Errors
/// [`HgvsError`] naming what is expected; a legacy TERT name (`C228T`) gets the HGVS form as a hint.
pub fn parse_coding(text: &str) -> Result<CodingChange, HgvsError> {
    let t = text.trim();
    if let Some(h) = tert_legacy_to_hgvs(t) {
        return Err(HgvsError(format!(
            "{text:?} is a legacy name, not HGVS: write {h}"
        )));
    }
    let bad = || {
        HgvsError(format!(
            "{text:?} is not HGVS coding notation (expected e.g. c.1799T>A, c.-124C>T, c.1234+1G>A, c.35del)"
        ))
    };
    let body = t.strip_prefix("c.").ok_or_else(bad)?;
    let (p1, up, sp1, n) = coding_position(body).ok_or_else(bad)?;
    let mut rest = &body[n..];
    let mut span = p1.clone();
    let mut splice = sp1;
    if let Some(r) = rest.strip_prefix('_') {
        let (p2, _, sp2, n2) = coding_position(r).ok_or_else(bad)?;
        if let (Ok(a), Ok(b)) = (p1.parse::<i64>(), p2.parse::<i64>())
            && b <= a
        {
            return Err(HgvsError(format!(
                "{text:?}: range end must follow its start"
            )));
        }
        span = format!("{p1}_{p2}");
        splice |= sp2;
        rest = &r[n2..];
    }
    let ranged = span != p1;
    let (normalized, mut consequence) = if let Some((r, a)) = rest.split_once('>') {
        let (r, a) = (bases(r).ok_or_else(bad)?, bases(a).ok_or_else(bad)?);
        if ranged || r.len() != 1 || a.len() != 1 || r == a {
            return Err(bad());
        }
        (format!("c.{span}{r}>{a}"), Consequence::Substitution)
    } else if let Some(r) = rest.strip_prefix("delins") {
        (
            format!("c.{span}delins{}", bases(r).ok_or_else(bad)?),
            Consequence::Delins,
        )
    } else if let Some(r) = rest.strip_prefix("del") {
        let r = if r.is_empty() {
            String::new()
        } else {
            bases(r).ok_or_else(bad)?
        };
        (format!("c.{span}del{r}"), Consequence::Deletion)
    } else if let Some(r) = rest.strip_prefix("dup") {
        let r = if r.is_empty() {
            String::new()
        } else {
            bases(r).ok_or_else(bad)?
        };
        (format!("c.{span}dup{r}"), Consequence::Duplication)
    } else if let Some(r) = rest.strip_prefix("ins") {
        if !ranged {
            return Err(HgvsError(format!(
                "{text:?}: an insertion names the two flanking positions (e.g. c.76_77insG)"
            )));
        }
        (
            format!("c.{span}ins{}", bases(r).ok_or_else(bad)?),
            Consequence::Insertion,
        )
    } else {
        return Err(bad());
    };
    if splice {
        consequence = Consequence::Splice;
    } else if up {
        consequence = Consequence::Promoter;
    }
    let legacy_name = TERT_LEGACY
        .iter()
        .find(|(h, _)| *h == normalized)
        .map(|(_, l)| *l);
    Ok(CodingChange {
        normalized,
        consequence,
        legacy_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v600e_forms_normalise_alike() {
        for f in [
            "p.V600E",
            "p.Val600Glu",
            "p.(V600E)",
            "p.(Val600Glu)",
            " p.V600E ",
            "p.V600delinsE",
            "p.Val600delinsGlu",
        ] {
            let p = parse_protein(f).unwrap();
            assert_eq!(p.normalized, "p.Val600Glu", "{f}");
            assert_eq!(p.consequence, Consequence::Missense);
            assert_eq!(p.position, 600);
        }
    }

    #[test]
    fn stops_frameshifts_and_inframe() {
        assert_eq!(parse_protein("p.R213*").unwrap().normalized, "p.Arg213Ter");
        assert_eq!(
            parse_protein("p.R213X").unwrap().consequence,
            Consequence::Nonsense
        );
        assert_eq!(parse_protein("p.K123fs").unwrap().normalized, "p.Lys123fs");
        assert_eq!(
            parse_protein("p.Lys123ArgfsTer5").unwrap().normalized,
            "p.Lys123ArgfsTer5"
        );
        assert_eq!(
            parse_protein("p.K123Rfs*5").unwrap().normalized,
            "p.Lys123ArgfsTer5"
        );
        assert_eq!(
            parse_protein("p.E746_A750del").unwrap().normalized,
            "p.Glu746_Ala750del"
        );
        assert_eq!(
            parse_protein("p.V600=").unwrap().consequence,
            Consequence::Synonymous
        );
        assert_eq!(parse_protein("p.Y220C").unwrap().normalized, "p.Tyr220Cys");
    }

    #[test]
    fn malformed_protein_is_refused() {
        for f in [
            "V600E",
            "p.",
            "p.V600",
            "p.600E",
            "p.V0E",
            "p.VX600E",
            "p.V600EE",
            "p.B600E",
            "p.(V600E",
            "p.A750_E746del",
        ] {
            assert!(parse_protein(f).is_err(), "{f} should fail");
        }
    }

    #[test]
    fn codons_translate_and_mutate() {
        assert_eq!(translate("GTG"), Some("Val"));
        assert_eq!(translate("GAG"), Some("Glu"));
        assert_eq!(translate("TAA"), Some("Ter"));
        assert_eq!(translate("ATG"), Some("Met"));
        let c = |s| parse_coding(s).unwrap();
        assert_eq!(
            mutate_codon(&c("c.1799T>A"), 1798, "GTG").as_deref(),
            Some("GAG")
        );
        assert_eq!(
            mutate_codon(&c("c.1799_1800delinsAA"), 1798, "GTG").as_deref(),
            Some("GAA")
        );
        assert_eq!(
            mutate_codon(&c("c.1798_1799delinsAA"), 1798, "GTG").as_deref(),
            Some("AAG")
        );
        assert_eq!(
            mutate_codon(&c("c.1799delinsA"), 1798, "GTG").as_deref(),
            Some("GAG"),
            "a one-position delins is the substitution"
        );
        assert_eq!(one_letter_form("p.Val600Glu").as_deref(), Some("p.V600E"));
        assert_eq!(coding_start(&c("c.1234+1G>A")), None);
        assert_eq!(substituted_base(&c("c.1799T>A")), Some(b'T'));
        assert_eq!(
            mutate_codon(&c("c.1799C>A"), 1798, "GTG"),
            None,
            "reference base does not match"
        );
        assert_eq!(
            mutate_codon(&c("c.1801A>G"), 1798, "GTG"),
            None,
            "outside the codon"
        );
        assert_eq!(
            translate(&mutate_codon(&c("c.35G>A"), 34, "GGT").unwrap()),
            Some("Asp"),
            "KRAS G12D"
        );
    }

    #[test]
    fn tert_promoter_names() {
        let c = parse_coding("c.-124C>T").unwrap();
        assert_eq!(c.legacy_name, Some("C228T"));
        assert_eq!(c.consequence, Consequence::Promoter);
        assert_eq!(
            parse_coding("c.-146c>t").unwrap().legacy_name,
            Some("C250T")
        );
        assert!(parse_coding("C228T").unwrap_err().0.contains("c.-124C>T"));
    }

    #[test]
    fn coding_forms() {
        assert_eq!(
            parse_coding("c.1799T>A").unwrap().consequence,
            Consequence::Substitution
        );
        assert_eq!(
            parse_coding("c.1234+1G>A").unwrap().consequence,
            Consequence::Splice
        );
        assert_eq!(parse_coding("c.35del").unwrap().normalized, "c.35del");
        assert_eq!(
            parse_coding("c.76_77insG").unwrap().consequence,
            Consequence::Insertion
        );
        for f in [
            "1799T>A",
            "c.1799T>T",
            "c.1799T>",
            "c.T>A",
            "c.76insG",
            "c.1799TA>A",
        ] {
            assert!(parse_coding(f).is_err(), "{f} should fail");
        }
    }
}
