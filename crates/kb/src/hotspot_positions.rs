//! ATC hotspot variants recognised by genomic position (`kb/hotspot_positions.toml`), for
//! variant files that carry no annotation (a VCF without VEP `CSQ` or SnpEff `ANN`).
//!
//! One entry per (gene, build, chromosome, position, reference, alternate): a single-base
//! substitution on the genome's plus strand (as a VCF writes it), 1-based, chromosome without
//! `chr`, build `GRCh37` or `GRCh38`, with its HGVS protein and coding change and the sources its
//! coordinates were checked against (the `[[source]]` table of the same file). The TERT promoter
//! variants (C228T, C250T) keep their positions in `actionability.toml` (alteration
//! `tert_promoter`): this file only adds their alleles and refers to that entry, so the positions
//! have one source of truth.
//!
//! Validation at load (every problem names this file and the entry): known gene, build, valid
//! chromosome, single-base A/C/G/T reference and alternate that differ, protein in normalised
//! three-letter HGVS substitution form (`p.Gly12Asp`) whose residue number is the codon of the
//! coding change and whose reference residue agrees with `genes.toml`, coding change in HGVS
//! substitution form, one strand orientation per gene (coding bases equal to, or complementary
//! to, the genomic ones), every variant present in both builds, no duplicate key, and every
//! `checked` key defined. A test in `atcpath-formats` also translates each entry's codon.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{Kb, MatchKind};

/// The reference builds positions are given in.
pub const BUILDS: [&str; 2] = ["GRCh37", "GRCh38"];

const FILE: &str = "hotspot_positions.toml";

/// A source that coordinates were checked against.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionSource {
    /// Short key that entries cite in `checked`.
    pub key: String,
    /// What the source is and what it says.
    pub what: String,
}

/// One hotspot single-base substitution at one position of one build.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotPosition {
    /// HGNC symbol.
    pub gene: String,
    /// Normalised HGVS protein change, e.g. `p.Gly12Asp`.
    pub protein: String,
    /// HGVS coding change on the canonical transcript, e.g. `c.35G>A`.
    pub coding: String,
    /// `GRCh37` or `GRCh38`.
    pub build: String,
    /// Chromosome without `chr`.
    pub chromosome: String,
    /// 1-based position (VCF POS).
    pub position: u64,
    /// Reference base on the plus strand.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Alternate base on the plus strand.
    pub alt: String,
    /// dbSNP (`rs…`), COSMIC (`COSM…`) and ClinVar (`ClinVar:…`) ids seen in the sources.
    #[serde(default)]
    pub ids: Vec<String>,
    /// Keys of the sources the coordinates were checked against.
    pub checked: Vec<String>,
}

/// The alleles of a promoter variant whose positions are in `actionability.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoterAllele {
    /// HGNC symbol (`TERT`).
    pub gene: String,
    /// Id of the `actionability.toml` alteration that holds the positions (`match = "promoter"`).
    pub alteration: String,
    /// The position's name in that entry (e.g. `C228T`).
    pub name: String,
    /// HGVS coding change (must be one of the alteration's `coding`).
    pub coding: String,
    /// Reference base on the plus strand.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Alternate base on the plus strand.
    pub alt: String,
    /// Keys of the sources the alleles were checked against.
    pub checked: Vec<String>,
}

/// The contents of `hotspot_positions.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotPositions {
    /// Hotspot substitutions, one per build and allele (`hotspot = [...]`).
    #[serde(rename = "hotspot")]
    pub hotspots: Vec<HotspotPosition>,
    /// Where coordinates were checked (`[[source]]`).
    #[serde(rename = "source")]
    pub sources: Vec<PositionSource>,
    /// Promoter alleles whose positions are in `actionability.toml` (`[[promoter]]`).
    #[serde(rename = "promoter", default)]
    pub promoters: Vec<PromoterAllele>,
}

/// What a substitution at a genomic position is, when it is a known ATC hotspot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionHit<'a> {
    /// HGNC symbol.
    pub gene: &'a str,
    /// Normalised HGVS protein change; `None` for a promoter variant.
    pub protein: Option<&'a str>,
    /// HGVS coding change.
    pub coding: &'a str,
    /// Legacy name of a promoter variant (TERT `C228T`).
    pub name: Option<&'a str>,
}

impl Kb {
    /// The hotspot that a single-base substitution is, if any: `build` is `GRCh37` or `GRCh38`
    /// (any case), `chromosome` with or without `chr`, `position` 1-based, `reference` and `alt`
    /// single bases on the plus strand (any case). Nothing is guessed: another build name, or
    /// another allele at a hotspot position, gives `None`.
    pub fn hotspot_at(
        &self,
        build: &str,
        chromosome: &str,
        position: u64,
        reference: &str,
        alt: &str,
    ) -> Option<PositionHit<'_>> {
        let chrom = strip_chr(chromosome);
        let (position, reference, alt) = trim_alleles(position, reference, alt);
        let same = |b: &str, c: &str, p: u64, r: &str, a: &str| {
            p == position
                && c == chrom
                && b.eq_ignore_ascii_case(build)
                && r.eq_ignore_ascii_case(reference)
                && a.eq_ignore_ascii_case(alt)
        };
        if let Some(h) = self
            .hotspot_positions
            .hotspots
            .iter()
            .find(|h| same(&h.build, &h.chromosome, h.position, &h.reference, &h.alt))
        {
            return Some(PositionHit {
                gene: &h.gene,
                protein: Some(&h.protein),
                coding: &h.coding,
                name: None,
            });
        }
        self.hotspot_positions.promoters.iter().find_map(|p| {
            let entry = self.actionability.iter().find(|a| a.id == p.alteration)?;
            entry
                .positions
                .iter()
                .any(|x| {
                    x.name == p.name
                        && same(&x.build, &x.chromosome, x.position, &p.reference, &p.alt)
                })
                .then_some(PositionHit {
                    gene: &p.gene,
                    protein: None,
                    coding: &p.coding,
                    name: Some(&p.name),
                })
        })
    }
}

/// A VCF allele pair reduced to its minimal form: the common trailing bases, then the common
/// leading bases, removed (one base of each is always kept), the position moved past the leading
/// ones. `CA>CT` at 140753335 is `A>T` at 140753336. Indels are not left-aligned (that needs
/// the reference genome); a substitution written with context is found as the substitution.
pub fn trim_alleles<'a>(
    position: u64,
    reference: &'a str,
    alt: &'a str,
) -> (u64, &'a str, &'a str) {
    let (r, a) = (reference.as_bytes(), alt.as_bytes());
    let (mut start, mut end_r, mut end_a) = (0, r.len(), a.len());
    while end_r > 1 && end_a > 1 && r[end_r - 1].eq_ignore_ascii_case(&a[end_a - 1]) {
        end_r -= 1;
        end_a -= 1;
    }
    while end_r - start > 1 && end_a - start > 1 && r[start].eq_ignore_ascii_case(&a[start]) {
        start += 1;
    }
    match (reference.get(start..end_r), alt.get(start..end_a)) {
        (Some(r), Some(a)) => (position + start as u64, r, a),
        _ => (position, reference, alt),
    }
}

impl Kb {
    /// Why a single-base call cannot be read at a hotspot position of `build`: its REF is not
    /// the reference base of the hotspot there (`wrong REF`), or it is exactly a hotspot of the
    /// other build at a position that is none of this build's (`a GRCh37 position under a
    /// GRCh38 header`). Either would otherwise hide the hotspot; the message suggests the build
    /// to check. `None` when nothing is wrong or the call is not a single-base substitution.
    pub fn hotspot_position_problem(
        &self,
        build: &str,
        chromosome: &str,
        position: u64,
        reference: &str,
        alt: &str,
    ) -> Option<String> {
        let chrom = strip_chr(chromosome);
        let (p, r, a) = trim_alleles(position, reference, alt);
        if r.len() != 1 || a.len() != 1 {
            return None;
        }
        let all = &self.hotspot_positions.hotspots;
        let here: Vec<&HotspotPosition> = all
            .iter()
            .filter(|h| {
                h.build.eq_ignore_ascii_case(build) && h.chromosome == chrom && h.position == p
            })
            .collect();
        let other_build = |b: &str| {
            if b.eq_ignore_ascii_case("GRCh37") {
                "GRCh38"
            } else {
                "GRCh37"
            }
        };
        if let Some(h) = here.first()
            && here.iter().all(|h| !h.reference.eq_ignore_ascii_case(r))
        {
            return Some(format!(
                "REF {r} at {chrom}:{p} is not the {} reference base {} of the {} {} hotspot there: is the file {}? (the build is taken from the header or --build); otherwise check the call",
                h.build,
                h.reference,
                h.gene,
                h.protein,
                other_build(&h.build)
            ));
        }
        if here.is_empty()
            && let Some(h) = all.iter().find(|h| {
                !h.build.eq_ignore_ascii_case(build)
                    && h.chromosome == chrom
                    && h.position == p
                    && h.reference.eq_ignore_ascii_case(r)
                    && h.alt.eq_ignore_ascii_case(a)
            })
        {
            return Some(format!(
                "{chrom}:{p} {r}>{a} is the {} position of {} {}, not a {build} hotspot: is the file {}? (the build is taken from the header or --build)",
                h.build, h.gene, h.protein, h.build
            ));
        }
        None
    }
}

fn strip_chr(c: &str) -> &str {
    match c.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("chr") => &c[3..],
        _ => c,
    }
}

const AMINO_ACIDS: [&str; 21] = [
    "Ala", "Arg", "Asn", "Asp", "Cys", "Gln", "Glu", "Gly", "His", "Ile", "Leu", "Lys", "Met",
    "Phe", "Pro", "Ser", "Thr", "Trp", "Tyr", "Val", "Ter",
];

/// `p.Gly12Asp` → (`Gly`, 12, `Asp`): the normalised substitution form only.
fn protein_substitution(s: &str) -> Option<(&str, u32, &str)> {
    let body = s.strip_prefix("p.")?;
    let (r, rest) = (body.get(..3)?, body.get(3..)?);
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, a) = rest.split_at(n);
    let pos: u32 = digits
        .parse()
        .ok()
        .filter(|p| *p > 0 && !digits.starts_with('0'))?;
    (AMINO_ACIDS.contains(&r) && AMINO_ACIDS.contains(&a) && r != a).then_some((r, pos, a))
}

/// `c.35G>A` or `c.-124C>T` → (35 or -124, `G`, `A`): a coding substitution only.
fn coding_substitution(s: &str) -> Option<(i64, char, char)> {
    let body = s.strip_prefix("c.")?;
    let (pos, change) = body.split_at(body.find(|c: char| c.is_ascii_uppercase())?);
    let p: i64 = pos.parse().ok().filter(|p| *p != 0)?;
    let b: Vec<char> = change.chars().collect();
    match b[..] {
        [r, '>', a] if base(r) && base(a) && r != a => Some((p, r, a)),
        _ => None,
    }
}

fn base(c: char) -> bool {
    matches!(c, 'A' | 'C' | 'G' | 'T')
}

fn single_base(s: &str) -> Option<char> {
    let mut c = s.chars();
    match (c.next(), c.next()) {
        (Some(b), None) if base(b) => Some(b),
        _ => None,
    }
}

fn complement(c: char) -> char {
    match c {
        'A' => 'T',
        'T' => 'A',
        'C' => 'G',
        _ => 'C',
    }
}

fn valid_chromosome(c: &str) -> bool {
    matches!(c, "X" | "Y")
        || (c.parse::<u8>().is_ok_and(|n| (1..=22).contains(&n)) && !c.starts_with('0'))
}

/// Checks the bases and the coding change; returns the orientation (`true` = same strand).
fn orientation(
    problems: &mut Vec<String>,
    entry: &str,
    coding: &str,
    reference: &str,
    alt: &str,
) -> Option<bool> {
    let (Some(r), Some(a)) = (single_base(reference), single_base(alt)) else {
        problems.push(format!(
            "{FILE}: {entry}: ref and alt must be single bases A, C, G or T"
        ));
        return None;
    };
    if r == a {
        problems.push(format!("{FILE}: {entry}: ref and alt are the same base"));
        return None;
    }
    let Some((_, cr, ca)) = coding_substitution(coding) else {
        problems.push(format!(
            "{FILE}: {entry}: coding {coding:?} is not an HGVS coding substitution (e.g. c.35G>A)"
        ));
        return None;
    };
    if (cr, ca) == (r, a) {
        Some(true)
    } else if (complement(cr), complement(ca)) == (r, a) {
        Some(false)
    } else {
        problems.push(format!(
            "{FILE}: {entry}: coding {coding} does not agree with {reference}>{alt} on either strand"
        ));
        None
    }
}

/// Validates the table against the rest of the knowledge base; appends one line per problem.
pub(crate) fn validate(kb: &Kb, problems: &mut Vec<String>) {
    let table = &kb.hotspot_positions;
    let mut keys = BTreeSet::new();
    for s in &table.sources {
        if !keys.insert(s.key.as_str()) {
            problems.push(format!("{FILE}: duplicate source key {:?}", s.key));
        }
    }
    let cite = |problems: &mut Vec<String>, entry: &str, checked: &[String]| {
        if checked.is_empty() {
            problems.push(format!("{FILE}: {entry}: `checked` names no source"));
        }
        for k in checked.iter().filter(|k| !keys.contains(k.as_str())) {
            problems.push(format!(
                "{FILE}: {entry}: checked {k:?} is not a [[source]] key"
            ));
        }
    };
    let known: BTreeSet<&str> = kb.known_genes().collect();
    let mut strand: BTreeMap<String, bool> = BTreeMap::new();
    let mut seen: BTreeSet<(String, String, u64, String, String)> = BTreeSet::new();
    let mut builds: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut orient = |problems: &mut Vec<String>, gene: &str, entry: &str, same: bool| {
        if *strand.entry(gene.to_string()).or_insert(same) != same {
            problems.push(format!(
                "{FILE}: {entry}: its coding change is on the other strand from the gene's other entries"
            ));
        }
    };
    let mut key =
        |problems: &mut Vec<String>, entry: &str, b: &str, c: &str, p: u64, r: &str, a: &str| {
            if !seen.insert((
                b.to_string(),
                c.to_string(),
                p,
                r.to_ascii_uppercase(),
                a.to_ascii_uppercase(),
            )) {
                problems.push(format!(
                    "{FILE}: {entry}: duplicate position and allele {b} {c}:{p} {r}>{a}"
                ));
            }
        };
    for h in &table.hotspots {
        let entry = format!(
            "{} {} {} {}:{} {}>{}",
            h.gene, h.protein, h.build, h.chromosome, h.position, h.reference, h.alt
        );
        if !known.contains(h.gene.as_str()) {
            problems.push(format!(
                "{FILE}: {entry}: gene {:?} is not in genes.toml",
                h.gene
            ));
        }
        if !BUILDS.contains(&h.build.as_str()) {
            problems.push(format!(
                "{FILE}: {entry}: build {:?} (accepted: GRCh37, GRCh38)",
                h.build
            ));
        }
        if !valid_chromosome(&h.chromosome) || h.position == 0 {
            problems.push(format!(
                "{FILE}: {entry}: chromosome must be 1-22, X or Y without `chr`, position 1-based"
            ));
        }
        if let Some(same) = orientation(problems, &entry, &h.coding, &h.reference, &h.alt) {
            orient(problems, &h.gene, &entry, same);
        }
        match (protein_substitution(&h.protein), coding_substitution(&h.coding)) {
            (Some((aa, p, _)), Some((c, _, _))) => {
                if c <= 0 || (c + 2) / 3 != i64::from(p) {
                    problems.push(format!(
                        "{FILE}: {entry}: {} is not in codon {p}",
                        h.coding
                    ));
                }
                if let Some(g) = kb
                    .genes
                    .hotspots
                    .iter()
                    .find(|g| g.gene == h.gene && g.position == p && g.r#ref != aa)
                {
                    problems.push(format!(
                        "{FILE}: {entry}: genes.toml gives {} at {} {p}, not {aa}",
                        g.r#ref, h.gene
                    ));
                }
            }
            (None, _) => problems.push(format!(
                "{FILE}: {entry}: protein {:?} is not a normalised HGVS substitution (e.g. p.Gly12Asp)",
                h.protein
            )),
            _ => {}
        }
        cite(problems, &entry, &h.checked);
        key(
            problems,
            &entry,
            &h.build,
            &h.chromosome,
            h.position,
            &h.reference,
            &h.alt,
        );
        builds
            .entry((h.gene.as_str(), h.coding.as_str()))
            .or_default()
            .insert(h.build.as_str());
    }
    for ((gene, coding), b) in &builds {
        for missing in BUILDS.iter().filter(|x| !b.contains(*x)) {
            problems.push(format!(
                "{FILE}: {gene} {coding} has no {missing} entry (every variant is given in both builds)"
            ));
        }
    }
    for p in &table.promoters {
        let entry = format!("{} {} ({})", p.gene, p.name, p.alteration);
        cite(problems, &entry, &p.checked);
        if let Some(same) = orientation(problems, &entry, &p.coding, &p.reference, &p.alt) {
            orient(problems, &p.gene, &entry, same);
        }
        let Some(a) = kb.actionability.iter().find(|a| a.id == p.alteration) else {
            problems.push(format!(
                "{FILE}: {entry}: no alteration {:?} in actionability.toml",
                p.alteration
            ));
            continue;
        };
        if a.kind != MatchKind::Promoter
            || !a.genes().any(|g| g == p.gene)
            || !a.coding.contains(&p.coding)
        {
            problems.push(format!(
                "{FILE}: {entry}: actionability.toml {} must be a promoter entry of {} listing {}",
                a.id, p.gene, p.coding
            ));
        }
        for b in BUILDS {
            let at: Vec<_> = a
                .positions
                .iter()
                .filter(|x| x.name == p.name && x.build == b)
                .collect();
            if at.is_empty() {
                problems.push(format!(
                    "{FILE}: {entry}: actionability.toml {} has no {b} position named {}",
                    a.id, p.name
                ));
            }
            for x in at {
                key(
                    problems,
                    &entry,
                    b,
                    &x.chromosome,
                    x.position,
                    &p.reference,
                    &p.alt,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(edit: impl Fn(String) -> String) -> Result<Kb, crate::KbError> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
        Kb::from_sources(|name| {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            Ok(if name == FILE { edit(text) } else { text })
        })
    }

    #[test]
    fn lookups_in_both_builds_and_for_tert_through_actionability() {
        let kb = Kb::embedded().unwrap();
        let hit = |b, c, p, r, a| kb.hotspot_at(b, c, p, r, a);
        let braf = hit("GRCh37", "7", 140453136, "A", "T").unwrap();
        assert_eq!((braf.gene, braf.protein), ("BRAF", Some("p.Val600Glu")));
        assert_eq!(
            hit("grch38", "chr7", 140753336, "a", "t").map(|h| h.coding),
            Some("c.1799T>A")
        );
        assert_eq!(
            hit("GRCh37", "7", 140453136, "A", "C"),
            None,
            "other allele"
        );
        assert_eq!(hit("GRCh38", "7", 140453136, "A", "T"), None, "other build");
        assert_eq!(
            hit("hg19", "7", 140453136, "A", "T"),
            None,
            "build names are canonical"
        );
        let kras = hit("GRCh38", "12", 25245350, "C", "T").unwrap();
        assert_eq!((kras.gene, kras.protein), ("KRAS", Some("p.Gly12Asp")));
        for (b, p, name) in [
            ("GRCh37", 1295228, "C228T"),
            ("GRCh37", 1295250, "C250T"),
            ("GRCh38", 1295113, "C228T"),
            ("GRCh38", 1295135, "C250T"),
        ] {
            let t = hit(b, "5", p, "G", "A").unwrap();
            assert_eq!(
                (t.gene, t.name, t.protein),
                ("TERT", Some(name), None),
                "{b} {p}"
            );
        }
        assert_eq!(hit("GRCh37", "5", 1295228, "G", "T"), None);
    }

    #[test]
    fn every_variant_is_in_both_builds() {
        let kb = Kb::embedded().unwrap();
        let t = &kb.hotspot_positions;
        assert_eq!(t.hotspots.len(), 94);
        for b in BUILDS {
            assert_eq!(t.hotspots.iter().filter(|h| h.build == b).count(), 47);
        }
    }

    #[test]
    fn broken_entries_are_refused_with_the_file_and_entry() {
        for (from, to, says) in [
            (
                "ref = \"A\", alt = \"T\", ids",
                "ref = \"N\", alt = \"T\", ids",
                "single bases",
            ),
            (
                "build = \"GRCh37\", chromosome = \"7\"",
                "build = \"hg19\", chromosome = \"7\"",
                "accepted: GRCh37",
            ),
            (
                "protein = \"p.Val600Glu\"",
                "protein = \"p.V600E\"",
                "normalised HGVS",
            ),
            (
                "protein = \"p.Gly12Asp\"",
                "protein = \"p.Ala12Asp\"",
                "genes.toml gives Gly",
            ),
            (
                "coding = \"c.35G>A\"",
                "coding = \"c.35G>C\"",
                "does not agree",
            ),
            (
                "position = 25245350, ref = \"C\", alt = \"T\"",
                "position = 25245351, ref = \"C\", alt = \"A\"",
                "duplicate position",
            ),
            (
                "checked = [\"braf-38\"]",
                "checked = [\"nowhere\"]",
                "not a [[source]] key",
            ),
            (
                "gene = \"BRAF\", protein",
                "gene = \"BRAFF\", protein",
                "not in genes.toml",
            ),
            (
                "name = \"C228T\"",
                "name = \"C229T\"",
                "no GRCh37 position named C229T",
            ),
        ] {
            let e = with(|t| t.replacen(from, to, 1)).unwrap_err().to_string();
            assert!(e.contains(FILE) && e.contains(says), "{from} -> {to}: {e}");
        }
    }

    #[test]
    fn notation_shapes() {
        assert_eq!(protein_substitution("p.Gly12Asp"), Some(("Gly", 12, "Asp")));
        for bad in [
            "p.G12D",
            "p.Gly012Asp",
            "p.Gly12Gly",
            "p.Gly12",
            "Gly12Asp",
            "p.Gly12Aspx",
        ] {
            assert_eq!(protein_substitution(bad), None, "{bad}");
        }
        assert_eq!(coding_substitution("c.-124C>T"), Some((-124, 'C', 'T')));
        assert_eq!(coding_substitution("c.35G>A"), Some((35, 'G', 'A')));
        for bad in ["c.35G>G", "c.35del", "c.0G>A", "c.G>A", "35G>A", "c.35N>A"] {
            assert_eq!(coding_substitution(bad), None, "{bad}");
        }
        assert_eq!(strip_chr("chr12"), "12");
        assert_eq!(strip_chr("CHRX"), "X");
        assert!(valid_chromosome("22") && !valid_chromosome("23") && !valid_chromosome("chr1"));
    }
}
