//! Actionability of molecular alterations for anaplastic thyroid cancer: a variant (gene, HGVS
//! protein change, MAF variant class, genomic position) or a fusion is matched against the
//! knowledge base's `actionability.toml` (OncoKB level scheme), giving the oncogenic call, the
//! therapeutic levels with their drugs, the highest level and the ATC options it opens.
//! Pure: the file formats are read by the adapters.

pub mod coverage;
pub mod finding;
pub mod merge;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::hgvs::{self, ProteinChange};
use atcpath_kb::{Actionability, Biomarker, Kb, MatchKind, OptionId};
pub use finding::{CopyNumber, Finding, Sourced};

/// Variant class, from a MAF `Variant_Classification` (or an HGVS consequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantClass {
    Missense,
    Nonsense,
    Frameshift,
    Splice,
    InFrame,
    Silent,
    /// 5' flank or promoter.
    Promoter,
    /// Changes no protein: intronic, 3' UTR, intergenic, non-coding RNA (MAF `Intron`,
    /// `3'UTR`, `IGR`, `RNA`; SO `intron_variant`, `3_prime_UTR_variant`, `intergenic_variant`,
    /// `non_coding_transcript_(exon_)variant`, `downstream_gene_variant`).
    NonCoding,
    /// A recognised class that changes no protein in the way the classes above do and is not a
    /// promoter or non-coding variant (splice region, start or stop codon, targeted region, ...).
    Other,
    /// A class the reader does not recognise (`Missense Mutation` with a space, a class from
    /// another vocabulary): never read as non-coding; a row of a knowledge-base gene with a
    /// protein change and this class is an error (`merge`).
    Unrecognised,
}

impl VariantClass {
    /// From a MAF Variant_Classification (GDC / cBioPortal spelling, case-insensitive).
    /// `Splice_Region` is Other, not Splice: near the canonical site, not at it (see
    /// [`VariantClass::from_so_term`]). A value outside the MAF specification's classes
    /// (`Missense Mutation`, `Unknown`, a typo) is [`VariantClass::Unrecognised`].
    pub fn from_maf(s: &str) -> VariantClass {
        match s.trim().to_ascii_lowercase().as_str() {
            "missense_mutation" => VariantClass::Missense,
            "nonsense_mutation" | "nonstop_mutation" => VariantClass::Nonsense,
            "frame_shift_del" | "frame_shift_ins" => VariantClass::Frameshift,
            "splice_site" => VariantClass::Splice,
            "in_frame_del" | "in_frame_ins" => VariantClass::InFrame,
            "silent" => VariantClass::Silent,
            "5'flank" | "5'utr" => VariantClass::Promoter,
            "intron" | "3'utr" | "igr" | "rna" => VariantClass::NonCoding,
            // The other classes of the MAF specification (GDC MAF format v1.0.0).
            "translation_start_site"
            | "3'flank"
            | "targeted_region"
            | "de_novo_start_inframe"
            | "de_novo_start_outofframe"
            | "splice_region"
            | "start_codon_snp"
            | "start_codon_del"
            | "start_codon_ins"
            | "stop_codon_del"
            | "stop_codon_ins" => VariantClass::Other,
            _ => VariantClass::Unrecognised,
        }
    }

    /// From Sequence Ontology consequence terms as VEP (`CSQ` Consequence) and SnpEff (`ANN`
    /// Annotation) write them: one term or several joined by `&` (case-insensitive). The most
    /// severe term wins, in Ensembl VEP's severity order (the order vcf2maf also uses), so a VCF
    /// and the MAF that vcf2maf makes from it get the same class:
    /// - `missense_variant` → Missense; `stop_gained`, `stop_lost` → Nonsense (as MAF
    ///   `Nonstop_Mutation`); `frameshift_variant` → Frameshift;
    /// - `splice_acceptor_variant`, `splice_donor_variant` → Splice; `splice_region_variant` and
    ///   its sub-types (`splice_donor_5th_base_variant`, `splice_donor_region_variant`,
    ///   `splice_polypyrimidine_tract_variant`) → Other, as MAF `Splice_Region` is: a variant
    ///   near, not at, the canonical splice site usually leaves splicing intact, so it is not
    ///   counted as truncating (a truncating rule must not give a level on a guess);
    /// - `inframe_insertion`, `inframe_deletion` (and SnpEff's `conservative_`/`disruptive_`
    ///   forms) → InFrame; `synonymous_variant`, `stop_retained_variant`,
    ///   `start_retained_variant` → Silent;
    /// - `upstream_gene_variant`, `5_prime_UTR_variant`,
    ///   `5_prime_UTR_premature_start_codon_gain_variant` → Promoter, for every gene (as MAF
    ///   `5'Flank`/`5'UTR`): the class alone never makes a promoter match (the TERT promoter entry
    ///   needs its coding change `c.-124C>T`/`c.-146C>T` or its genomic position), so it need not
    ///   depend on the gene;
    /// - `3_prime_UTR_variant`, `non_coding_transcript_exon_variant`, `intron_variant`,
    ///   `non_coding_transcript_variant`, `downstream_gene_variant`, `intergenic_variant` →
    ///   NonCoding (as MAF `3'UTR`, `RNA`, `Intron`, `IGR`);
    /// - anything else (`start_lost`, `protein_altering_variant`, unknown terms) → Other.
    ///
    /// Source: Ensembl VEP "Calculated variant consequences" (severity table); SnpEff manual
    /// (effect names are SO terms).
    pub fn from_so_term(s: &str) -> VariantClass {
        so_severity_rank(s).map_or(VariantClass::Other, |i| SO_ORDER[i].1)
    }

    /// Whether it truncates the protein.
    pub fn truncating(self) -> bool {
        matches!(
            self,
            VariantClass::Nonsense | VariantClass::Frameshift | VariantClass::Splice
        )
    }
}

/// Why a row's variant class contradicts its protein change, if it does: a class that changes
/// no protein (silent, 5' flank/UTR, intronic, 3' UTR, intergenic, non-coding RNA; VEP/SnpEff
/// `synonymous_variant`, `intron_variant`, …) with a protein-changing HGVSp, or a missense class
/// with a synonymous one. The rule `annotate` applies to MAF rows (there on bytes, for speed;
/// its tests check it agrees with this one), applied to every reader's findings by `assess`,
/// `molecular.files` and `cohort`: such a row is an error, never dropped (dropping it would turn
/// a BRAF V600E into "not detected").
pub fn class_contradiction(class: VariantClass, protein: &ProteinChange) -> Option<String> {
    let synonymous = protein.consequence == hgvs::Consequence::Synonymous;
    let wrong = match class {
        VariantClass::Silent | VariantClass::Promoter | VariantClass::NonCoding => !synonymous,
        VariantClass::Missense => synonymous,
        _ => false,
    };
    wrong.then(|| {
        format!(
            "the variant class ({}) contradicts the protein change {}",
            match class {
                VariantClass::Silent => "silent / synonymous",
                VariantClass::Promoter => "5' flank / UTR",
                VariantClass::NonCoding => "non-coding",
                _ => "missense",
            },
            protein.normalized
        )
    })
}

/// Sequence Ontology consequence terms, most to least severe (Ensembl VEP's severity table), with
/// the class each gives; terms absent here rank after all of these.
const SO_ORDER: [(&str, VariantClass); 30] = [
    ("splice_acceptor_variant", VariantClass::Splice),
    ("splice_donor_variant", VariantClass::Splice),
    ("stop_gained", VariantClass::Nonsense),
    ("frameshift_variant", VariantClass::Frameshift),
    ("stop_lost", VariantClass::Nonsense),
    ("start_lost", VariantClass::Other),
    ("inframe_insertion", VariantClass::InFrame),
    ("disruptive_inframe_insertion", VariantClass::InFrame),
    ("conservative_inframe_insertion", VariantClass::InFrame),
    ("inframe_deletion", VariantClass::InFrame),
    ("disruptive_inframe_deletion", VariantClass::InFrame),
    ("conservative_inframe_deletion", VariantClass::InFrame),
    ("missense_variant", VariantClass::Missense),
    ("protein_altering_variant", VariantClass::Other),
    ("splice_donor_5th_base_variant", VariantClass::Other),
    ("splice_region_variant", VariantClass::Other),
    ("splice_donor_region_variant", VariantClass::Other),
    ("splice_polypyrimidine_tract_variant", VariantClass::Other),
    ("start_retained_variant", VariantClass::Silent),
    ("stop_retained_variant", VariantClass::Silent),
    ("synonymous_variant", VariantClass::Silent),
    (
        "5_prime_UTR_premature_start_codon_gain_variant",
        VariantClass::Promoter,
    ),
    ("5_prime_UTR_variant", VariantClass::Promoter),
    ("3_prime_UTR_variant", VariantClass::NonCoding),
    (
        "non_coding_transcript_exon_variant",
        VariantClass::NonCoding,
    ),
    ("intron_variant", VariantClass::NonCoding),
    ("non_coding_transcript_variant", VariantClass::NonCoding),
    ("upstream_gene_variant", VariantClass::Promoter),
    ("downstream_gene_variant", VariantClass::NonCoding),
    ("intergenic_variant", VariantClass::NonCoding),
];

/// The severity rank of a consequence (one SO term or several joined by `&`, any case): the
/// index of its most severe term in Ensembl VEP's order (0 = most severe); `None` when no term is
/// one [`VariantClass::from_so_term`] knows (e.g. `downstream_gene_variant`).
pub fn so_severity_rank(consequence: &str) -> Option<usize> {
    consequence
        .split('&')
        .filter_map(|t| {
            SO_ORDER
                .iter()
                .position(|(term, _)| term.eq_ignore_ascii_case(t.trim()))
        })
        .min()
}

/// A point variant as the annotator sees it.
#[derive(Debug, Clone, Default)]
pub struct VariantQuery<'a> {
    pub gene: &'a str,
    pub protein: Option<ProteinChange>,
    pub coding: Option<hgvs::CodingChange>,
    pub class: Option<VariantClass>,
    /// Reference build (GRCh37, GRCh38), chromosome (without "chr") and 1-based position.
    pub build: Option<&'a str>,
    pub chromosome: Option<&'a str>,
    pub position: Option<u64>,
    /// Reference and alternate allele on the plus strand, as written (single bases for the
    /// promoter hotspots). At a promoter position, another allele than the knowledge base's is
    /// not that hotspot; absent alleles are not checked.
    pub alleles: Option<(&'a str, &'a str)>,
}

/// The OncoKB levels from most to least actionable (oncokb-annotator's order).
pub const LEVEL_ORDER: [&str; 7] = ["R1", "1", "2", "3A", "3B", "4", "R2"];

/// An annotation.
#[derive(Debug, Clone, Serialize)]
pub struct Annotation {
    /// The knowledge-base entry matched, if any.
    pub alteration: Option<String>,
    /// `Oncogenic`, `Likely Oncogenic` or `Unknown`.
    pub oncogenic: String,
    /// Highest level, e.g. `LEVEL_1`; empty when none.
    pub highest_level: Option<String>,
    /// Drugs by level (`1`, `3B`, ...).
    pub levels: BTreeMap<String, Vec<String>>,
    pub options: Vec<OptionId>,
    pub regulatory: String,
    pub prognostic: String,
    /// A legacy or readable name of the variant (e.g. TERT `C228T`).
    pub name: Option<String>,
}

impl Annotation {
    fn unknown() -> Annotation {
        Annotation {
            alteration: None,
            oncogenic: "Unknown".into(),
            highest_level: None,
            levels: BTreeMap::new(),
            options: Vec::new(),
            regulatory: String::new(),
            prognostic: String::new(),
            name: None,
        }
    }

    fn from_entry(a: &Actionability, name: Option<String>) -> Annotation {
        let levels: BTreeMap<String, Vec<String>> = a
            .levels
            .iter()
            .map(|l| (l.level.clone(), l.drugs.clone()))
            .collect();
        let highest_level = LEVEL_ORDER
            .iter()
            .find(|l| levels.contains_key(**l))
            .map(|l| format!("LEVEL_{l}"));
        Annotation {
            alteration: Some(a.id.clone()),
            oncogenic: a.oncogenic.clone(),
            highest_level,
            levels,
            options: a.options.clone(),
            regulatory: a.regulatory.clone(),
            prognostic: a.prognostic.clone(),
            name,
        }
    }
}

/// The reference build a file names, in the knowledge base's spelling: `GRCh37` for `GRCh37`,
/// `hg19`, `b37`, `37`, `GRCh37.p13`, `hs37d5`; `GRCh38` for `GRCh38`, `hg38`, `b38`, `38`,
/// `GRCh38.p14` (any case). `None` for anything else (positions are then not used).
/// hg19 and GRCh37 share coordinates on the primary chromosomes.
pub fn reference_build(s: &str) -> Option<&'static str> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.split('.').next().unwrap_or("");
    match t {
        "grch37" | "hg19" | "b37" | "37" | "hs37d5" | "grch37-lite" => Some("GRCh37"),
        "grch38" | "hg38" | "b38" | "38" | "hs38dh" => Some("GRCh38"),
        _ => None,
    }
}

/// Annotates a point variant: the first matching entry wins (entries go specific to general).
/// A variant without a protein change (a MAF row without HGVSp, an unannotated VCF call) at an
/// ATC hotspot position of the knowledge base (`kb/hotspot_positions.toml`: build, position and
/// both alleles must match, and the gene) is read as that hotspot's protein change.
pub fn annotate_variant(kb: &Kb, v: &VariantQuery) -> Annotation {
    // A protein change naming another reference residue at a hotspot (`BRAF p.A600E`) is a
    // notation error, not a variant of that codon: no level on it.
    if v.protein.is_some() && reconcile(kb, v.gene, v.protein.clone(), None).is_err() {
        return Annotation::unknown();
    }
    if v.protein.is_none()
        && let (Some(b), Some(c), Some(p), Some((r, a))) = (
            v.build.and_then(reference_build),
            v.chromosome,
            v.position,
            v.alleles,
        )
        && let Some(x) = kb
            .hotspot_at(b, c, p, r, a)
            .filter(|h| h.gene.eq_ignore_ascii_case(v.gene))
            .and_then(|h| h.protein)
            .and_then(|x| hgvs::parse_protein(x).ok())
    {
        return annotate_variant(
            kb,
            &VariantQuery {
                protein: Some(x),
                ..v.clone()
            },
        );
    }
    for a in kb.actionability.iter().filter(|a| {
        !matches!(
            a.kind,
            MatchKind::Fusion | MatchKind::CopyNumber | MatchKind::Biomarker
        ) && a.genes().any(|g| g.eq_ignore_ascii_case(v.gene))
    }) {
        let hit = match a.kind {
            MatchKind::Protein => v
                .protein
                .as_ref()
                .is_some_and(|p| a.protein.contains(&p.normalized)),
            MatchKind::Codons => v.protein.as_ref().is_some_and(|p| {
                a.codons.contains(&p.position) && p.consequence == hgvs::Consequence::Missense
            }),
            MatchKind::Truncating => {
                v.class.is_some_and(VariantClass::truncating)
                    || v.protein.as_ref().is_some_and(|p| {
                        matches!(
                            p.consequence,
                            hgvs::Consequence::Nonsense | hgvs::Consequence::Frameshift
                        )
                    })
            }
            MatchKind::Promoter => {
                let by_coding = v
                    .coding
                    .as_ref()
                    .and_then(|c| a.coding.iter().position(|x| *x == c.normalized))
                    .map(|_| {
                        v.coding
                            .as_ref()
                            .and_then(|c| c.legacy_name.map(str::to_string))
                    });
                let by_position =
                    match (v.build.and_then(reference_build), v.chromosome, v.position) {
                        (Some(b), Some(c), Some(p)) => a
                            .positions
                            .iter()
                            .find(|x| {
                                x.build.eq_ignore_ascii_case(b)
                                    && x.chromosome == c.trim_start_matches("chr")
                                    && x.position == p
                                    && v.alleles.is_none_or(|(r, alt)| {
                                        kb.hotspot_at(b, c, p, r, alt).is_some()
                                    })
                            })
                            .map(|x| Some(x.name.clone())),
                        _ => None,
                    };
                if let Some(name) = by_coding.or(by_position) {
                    return Annotation::from_entry(a, name);
                }
                false
            }
            MatchKind::Any => true,
            MatchKind::Fusion | MatchKind::CopyNumber | MatchKind::Biomarker => false,
        };
        if hit {
            return Annotation::from_entry(a, None);
        }
    }
    Annotation::unknown()
}

/// The kinase a fusion of `five_prime` and `three_prime` keeps: the 3' partner when it is one of
/// the knowledge base's fusion drivers (`genes.toml` `fusion_drivers`), since the kinase domain
/// of a driver lies at its 3' end (NTRK1::RET is a RET fusion, RET::NTRK1 an NTRK1 fusion);
/// `None` otherwise: a driver only at the 5' end (`ALK-EML4`) keeps no kinase as written (the
/// case reader refuses it, result files read it as a rearrangement: [`read_fusion`]), and an
/// intragenic event is no fusion.
pub fn fusion_kinase<'a>(kb: &Kb, five_prime: &'a str, three_prime: &'a str) -> Option<&'a str> {
    fusion_kinase_of(&kb.genes.fusion_drivers, five_prime, three_prime)
}

/// [`fusion_kinase`] with the list of fusion drivers given.
pub fn fusion_kinase_of<'a>(
    drivers: &[String],
    five_prime: &'a str,
    three_prime: &'a str,
) -> Option<&'a str> {
    if five_prime.eq_ignore_ascii_case(three_prime) {
        return None;
    }
    drivers
        .iter()
        .any(|d| d.eq_ignore_ascii_case(three_prime))
        .then_some(three_prime)
}

/// What a fusion row of a result file (`five_prime`-`three_prime` as written) is evidence of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FusionReading {
    /// A fusion of the 3' kinase with a partner the knowledge base knows.
    Fusion { kinase: String },
    /// A rearrangement of the kinase whose fusion the row cannot name: the partner is a
    /// placeholder (`Unknown`, `NA`, `.`, `intergenic`, ...) or not one of the knowledge base's
    /// fusion genes (`genes.toml` `partners`, `fusion_drivers`), or the kinase is only the 5'
    /// partner (`ALK-EML4`: its kinase domain is not in the product as written). `why` says
    /// which, with the row as written. Never a detected fusion, never "not detected".
    PartnerUnknown { kinase: String, why: String },
    /// No fusion driver in the row (or an intragenic event).
    NoKinase,
}

/// Reads a fusion row of a result file: one rule for `assess`, `annotate` and `cohort`
/// ([`FusionReading`]). Case files refuse the same rows (`case::read`).
pub fn read_fusion(kb: &Kb, five_prime: &str, three_prime: &str) -> FusionReading {
    if five_prime.eq_ignore_ascii_case(three_prime) {
        return FusionReading::NoKinase;
    }
    let drivers = &kb.genes.fusion_drivers;
    let is_driver = |g: &str| drivers.iter().any(|d| d.eq_ignore_ascii_case(g));
    let written = format!("{five_prime}-{three_prime}");
    // Missing cells as every reader knows them, plus the words fusion callers write for "no
    // gene" in a partner column.
    let is_placeholder = |g: &str| {
        let lower = g.trim().to_ascii_lowercase();
        crate::cells::is_missing(g)
            || matches!(
                lower.as_str(),
                "unknown" | "na" | "n/a" | "nan" | "." | "-" | "?" | "none" | "null"
            )
            || lower.starts_with("intergenic")
    };
    if fusion_kinase_of(drivers, five_prime, three_prime).is_some() {
        let partner = five_prime.trim();
        let placeholder = is_placeholder(partner);
        let known = drivers
            .iter()
            .chain(&kb.genes.partners)
            .any(|g| g.eq_ignore_ascii_case(partner));
        if placeholder || !known {
            return FusionReading::PartnerUnknown {
                kinase: three_prime.to_string(),
                why: format!(
                    "{written} as written: the 5' partner {partner:?} is {}",
                    if placeholder {
                        "a placeholder, not a gene"
                    } else {
                        "not one of the knowledge base's fusion partners"
                    }
                ),
            };
        }
        return FusionReading::Fusion {
            kinase: three_prime.to_string(),
        };
    }
    if is_driver(five_prime) {
        return FusionReading::PartnerUnknown {
            kinase: five_prime.to_string(),
            why: if is_placeholder(three_prime) {
                format!(
                    "{written} as written: the 3' partner {three_prime:?} is a placeholder, not a gene"
                )
            } else {
                format!(
                    "{written} as written: the kinase is only the 5' partner (check the orientation)"
                )
            },
        };
    }
    FusionReading::NoKinase
}

/// The finding a fusion row of a result file is: the fusion, or a rearrangement of its kinase
/// with the partner unknown ([`read_fusion`]).
pub fn fusion_finding(kb: &Kb, five_prime: &str, three_prime: &str) -> Finding {
    match read_fusion(kb, five_prime, three_prime) {
        FusionReading::PartnerUnknown { kinase, .. } => Finding::Rearrangement { gene: kinase },
        _ => Finding::Fusion {
            five_prime: five_prime.to_string(),
            three_prime: three_prime.to_string(),
        },
    }
}

/// Annotates a fusion of two genes by the kinase it keeps ([`read_fusion`]): a row whose partner
/// is unknown or whose kinase is only 5' gets no level; an intragenic event is no fusion.
pub fn annotate_fusion(kb: &Kb, a: &str, b: &str) -> Annotation {
    let FusionReading::Fusion { kinase } = read_fusion(kb, a, b) else {
        return Annotation::unknown();
    };
    let kinase = kinase.as_str();
    kb.actionability
        .iter()
        .find(|e| e.kind == MatchKind::Fusion && e.genes().any(|g| g.eq_ignore_ascii_case(kinase)))
        .map_or_else(Annotation::unknown, |e| {
            Annotation::from_entry(e, Some(format!("{a}-{b} fusion")))
        })
}

/// Why a variant's protein and coding changes cannot stand together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconcile {
    /// The protein change is impossible: another reference residue at a hotspot (`BRAF
    /// p.A600E`), a legacy numbering (`BRAF p.V599E`, now p.V600E), or a position beyond the
    /// end of the gene's canonical protein (`KRAS p.V600E`; KRAS has 189 amino acids).
    WrongResidue(String),
    /// The coding change, translated inside a hotspot codon, encodes another protein change.
    Disagree(String),
    /// The coding change is impossible on the reference: it names another reference base inside
    /// a hotspot codon (`BRAF c.1799A>T`; the codon is GTG), or lies beyond the coding sequence.
    WrongBase(String),
}

/// The upstream position and reference base of a 5' substitution `c.-N X>Y` (`None` otherwise).
fn upstream_substitution(coding: &str) -> Option<(u32, u8)> {
    let rest = coding.strip_prefix("c.-")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n: u32 = rest.get(..digits)?.parse().ok()?;
    let tail = rest[digits..].as_bytes();
    (tail.len() == 3 && tail[1] == b'>').then_some((n, tail[0].to_ascii_uppercase()))
}

/// Checks a variant's protein change against the knowledge base's hotspot reference residues,
/// and translates a coding change inside a hotspot codon (standard genetic code, the reference
/// codons of `genes.toml`): it must agree with the protein change, or it supplies it. One rule
/// for case files and result files. Returns the protein change to use.
///
/// # Errors
/// [`Reconcile`] with the message to show.
pub fn reconcile(
    kb: &Kb,
    gene: &str,
    protein: Option<ProteinChange>,
    coding: Option<&hgvs::CodingChange>,
) -> Result<Option<ProteinChange>, Reconcile> {
    let hot = || {
        kb.genes
            .hotspots
            .iter()
            .filter(|h| h.gene.eq_ignore_ascii_case(gene))
    };
    let length = kb
        .genes
        .proteins
        .iter()
        .find(|p| p.gene.eq_ignore_ascii_case(gene));
    if let Some(pc) = &protein {
        if let Some(h) = hot().find(|h| {
            h.legacy_position == Some(pc.position)
                && h.r#ref == pc.ref_aa
                && h.position != pc.position
        }) {
            let modern = pc.normalized.replacen(
                &format!("{}{}", h.r#ref, pc.position),
                &format!("{}{}", h.r#ref, h.position),
                1,
            );
            let short = hgvs::one_letter_form(&modern).unwrap_or_else(|| modern.clone());
            return Err(Reconcile::WrongResidue(format!(
                "{gene} {}: legacy numbering ({}); did you mean {short} ({modern})?",
                pc.normalized,
                h.legacy_source
                    .as_deref()
                    .unwrap_or("an earlier reference sequence")
            )));
        }
        if let Some(l) = length
            && pc.position > l.length
        {
            return Err(Reconcile::WrongResidue(format!(
                "{gene} {}: position {} is beyond the end of the {gene} protein ({} amino acids, {}): check the gene and the position",
                pc.normalized, pc.position, l.length, l.source
            )));
        }
    }
    // A promoter hotspot (TERT c.-124C>T, c.-146C>T; `hotspot_positions.toml` [[promoter]]):
    // a substitution there names the promoter's reference base.
    if let Some(c) = coding
        && let Some((upstream, base)) = upstream_substitution(&c.normalized)
        && let Some(h) = kb.hotspot_positions.promoters.iter().find(|h| {
            h.gene.eq_ignore_ascii_case(gene)
                && upstream_substitution(&h.coding).is_some_and(|(u, _)| u == upstream)
        })
        && let Some((_, expected)) = upstream_substitution(&h.coding)
        && expected != base
    {
        return Err(Reconcile::WrongBase(format!(
            "{gene} {}: the reference base at c.-{upstream} is {} ({} {}), not {}: wrong reference base",
            c.normalized, expected as char, h.name, h.coding, base as char
        )));
    }
    if let Some(c) = coding
        && let Some(p) = hgvs::coding_start(c)
    {
        if let Some(l) = length
            && p > 3 * (l.length + 1)
        {
            return Err(Reconcile::WrongBase(format!(
                "{gene} {}: position c.{p} is beyond the coding sequence of {gene} ({} codons and the stop, {}): check the gene and the position",
                c.normalized, l.length, l.source
            )));
        }
        if let Some(r) = hgvs::substituted_base(c)
            && let Some(h) = hot().find(|h| (3 * h.position - 2..=3 * h.position).contains(&p))
            && let Some(expected) = h.codon.as_bytes().get((p - (3 * h.position - 2)) as usize)
            && *expected != r
        {
            return Err(Reconcile::WrongBase(format!(
                "{gene} {}: the reference base at c.{p} is {} (codon {} {} at c.{}-{}), not {}: wrong reference base",
                c.normalized,
                *expected as char,
                h.r#ref,
                h.codon,
                3 * h.position - 2,
                3 * h.position,
                r as char
            )));
        }
    }
    if let Some(pc) = &protein
        && let Some(h) = hot().find(|h| h.position == pc.position && h.r#ref != pc.ref_aa)
    {
        return Err(Reconcile::WrongResidue(format!(
            "{gene} residue {} is {} (p.{}{}), not {}: check the notation",
            h.position, h.r#ref, h.r#ref, h.position, pc.ref_aa
        )));
    }
    let translated = coding.and_then(|c| {
        hot().find_map(|h| {
            let mutant = hgvs::mutate_codon(c, 3 * h.position - 2, &h.codon)?;
            let alt = hgvs::translate(&mutant)?;
            let p = if alt == h.r#ref {
                format!("p.{}{}=", h.r#ref, h.position)
            } else {
                format!("p.{}{}{alt}", h.r#ref, h.position)
            };
            Some((c.normalized.clone(), p))
        })
    });
    match (translated, protein) {
        (Some((c, p)), Some(pc)) if pc.normalized != p => Err(Reconcile::Disagree(format!(
            "{gene} {c} encodes {p}, but the protein change says {}: the two disagree",
            pc.normalized
        ))),
        (Some((_, p)), None) => Ok(hgvs::parse_protein(&p).ok()),
        (_, protein) => Ok(protein),
    }
}

/// A deletion-insertion inside a hotspot codon that changes one base only, written as the
/// substitution it is (HGVS: a one-base change is a substitution): `BRAF c.1799delinsA` and
/// `c.1799_1800delinsAG` are `c.1799T>A`, with the reference base from the knowledge base's
/// codon (`genes.toml`). Any other change is returned as given.
pub fn normalise_coding(kb: &Kb, gene: &str, change: hgvs::CodingChange) -> hgvs::CodingChange {
    let Some(body) = change.normalized.strip_prefix("c.") else {
        return change;
    };
    let Some((range, alt)) = body.split_once("delins") else {
        return change;
    };
    let (a, b) = range.split_once('_').unwrap_or((range, range));
    let (Ok(start), Ok(end)) = (a.parse::<u32>(), b.parse::<u32>()) else {
        return change;
    };
    let Some(h) = kb.genes.hotspots.iter().find(|h| {
        h.gene.eq_ignore_ascii_case(gene)
            && start >= 3 * h.position - 2
            && end <= 3 * h.position
            && end >= start
    }) else {
        return change;
    };
    let offset = (start - (3 * h.position - 2)) as usize;
    let Some(reference) = h.codon.get(offset..offset + (end - start + 1) as usize) else {
        return change;
    };
    if reference.len() != alt.len() {
        return change;
    }
    let mut differing = reference
        .bytes()
        .zip(alt.bytes())
        .enumerate()
        .filter(|(_, (r, a))| r != a);
    match (differing.next(), differing.next()) {
        (Some((k, (r, a))), None) => hgvs::parse_coding(&format!(
            "c.{}{}>{}",
            start + k as u32,
            r as char,
            a as char
        ))
        .unwrap_or(change),
        _ => change,
    }
}

/// Annotates a discrete copy-number call of a gene (e.g. PTEN deep deletion).
pub fn annotate_copy_number(kb: &Kb, gene: &str, level: CopyNumber) -> Annotation {
    let word = match level {
        CopyNumber::DeepDeletion => "deep_deletion",
        CopyNumber::ShallowDeletion => "shallow_deletion",
        CopyNumber::Neutral => return Annotation::unknown(),
        CopyNumber::Gain => "gain",
        CopyNumber::Amplification => "amplification",
    };
    kb.actionability
        .iter()
        .find(|e| {
            e.kind == MatchKind::CopyNumber
                && e.genes().any(|g| g.eq_ignore_ascii_case(gene))
                && e.copy_number.iter().any(|c| c == word)
        })
        .map_or_else(Annotation::unknown, |e| Annotation::from_entry(e, None))
}

/// Annotates a tumour-wide biomarker; `None` when the value does not reach it (TMB below the
/// knowledge base's threshold, `facts.thresholds.tmb_high_mut_per_mb`; MSI stable).
pub fn annotate_biomarker(kb: &Kb, f: &Finding) -> Option<Annotation> {
    let which = match f {
        Finding::Tmb { mut_per_mb } if *mut_per_mb >= kb.facts.thresholds.tmb_high_mut_per_mb => {
            Biomarker::TmbHigh
        }
        Finding::Msi {
            status: crate::case::model::Msi::High,
        } => Biomarker::MsiHigh,
        _ => return None,
    };
    kb.actionability
        .iter()
        .find(|e| e.kind == MatchKind::Biomarker && e.biomarker == Some(which))
        .map(|e| Annotation::from_entry(e, None))
}

/// Annotates any finding read from a file.
pub fn annotate_finding(kb: &Kb, f: &Finding) -> Annotation {
    match f {
        Finding::Variant {
            gene,
            protein,
            coding,
            class,
            build,
            chromosome,
            position,
            reference,
            alternate,
            ..
        } => annotate_variant(
            kb,
            &VariantQuery {
                gene,
                protein: protein.clone(),
                coding: coding.clone(),
                class: *class,
                build: build.as_deref(),
                chromosome: chromosome.as_deref(),
                position: *position,
                alleles: reference.as_deref().zip(alternate.as_deref()),
            },
        ),
        Finding::Rearrangement { .. } => Annotation::unknown(),
        Finding::Fusion {
            five_prime,
            three_prime,
        } => annotate_fusion(kb, five_prime, three_prime),
        Finding::CopyNumber { gene, level } => annotate_copy_number(kb, gene, *level),
        Finding::Tmb { .. } | Finding::Msi { .. } => {
            annotate_biomarker(kb, f).unwrap_or_else(Annotation::unknown)
        }
    }
}

/// Parses a protein change as MAFs write it: with or without `p.`; `None` when it is not HGVS
/// (e.g. `p.X1445_splice`).
pub fn maf_protein(s: &str) -> Option<ProteinChange> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let with_prefix = if t.starts_with("p.") {
        t.to_string()
    } else {
        format!("p.{t}")
    };
    hgvs::parse_protein(&with_prefix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> Kb {
        Kb::embedded().unwrap()
    }

    #[test]
    fn braf_v600e_is_level_1_in_any_notation() {
        let kb = kb();
        for p in ["p.V600E", "V600E", "Val600Glu", "p.(Val600Glu)"] {
            let a = annotate_variant(
                &kb,
                &VariantQuery {
                    gene: "BRAF",
                    protein: maf_protein(p),
                    ..Default::default()
                },
            );
            assert_eq!(a.highest_level.as_deref(), Some("LEVEL_1"), "{p}");
            assert!(a.options.contains(&OptionId::DabrafenibTrametinib));
        }
        let k601e = annotate_variant(
            &kb,
            &VariantQuery {
                gene: "BRAF",
                protein: maf_protein("p.K601E"),
                ..Default::default()
            },
        );
        assert_eq!(k601e.highest_level.as_deref(), Some("LEVEL_3B"));
        let wrong_residue = annotate_variant(
            &kb,
            &VariantQuery {
                gene: "BRAF",
                protein: maf_protein("p.A600E"),
                ..Default::default()
            },
        );
        assert_eq!(wrong_residue.alteration, None, "BRAF 600 is Val");
    }

    #[test]
    fn tert_promoter_by_position_in_both_builds() {
        let kb = kb();
        for (b, pos, name) in [("hg19", 1295228, "C228T"), ("GRCh38", 1295135, "C250T")] {
            let a = annotate_variant(
                &kb,
                &VariantQuery {
                    gene: "TERT",
                    build: Some(b),
                    chromosome: Some("5"),
                    position: Some(pos),
                    alleles: Some(("G", "A")),
                    ..Default::default()
                },
            );
            assert_eq!(
                (a.alteration.as_deref(), a.name.as_deref()),
                (Some("tert_promoter"), Some(name)),
                "{b}"
            );
        }
    }

    #[test]
    fn fusions_with_the_kinase_3_prime_and_a_known_partner_only() {
        let kb = kb();
        assert_eq!(
            annotate_fusion(&kb, "CCDC6", "RET")
                .highest_level
                .as_deref(),
            Some("LEVEL_1")
        );
        assert_eq!(
            annotate_fusion(&kb, "EML4", "ALK").highest_level.as_deref(),
            Some("LEVEL_3B")
        );
        // The kinase only 5', or a placeholder or unknown partner: no level, a rearrangement.
        for (a, b) in [
            ("ALK", "EML4"),
            ("Unknown", "RET"),
            ("RET", "Unknown"),
            ("NA", "RET"),
            (".", "RET"),
            ("XYZ1", "RET"),
        ] {
            assert_eq!(annotate_fusion(&kb, a, b).highest_level, None, "{a}-{b}");
            assert!(
                matches!(read_fusion(&kb, a, b), FusionReading::PartnerUnknown { .. }),
                "{a}-{b}"
            );
        }
        assert_eq!(annotate_fusion(&kb, "RET", "RET").alteration, None);
        assert_eq!(annotate_fusion(&kb, "TMPRSS2", "ERG").oncogenic, "Unknown");
    }

    #[test]
    fn a_tert_promoter_change_with_the_wrong_reference_base_is_refused() {
        let kb = kb();
        for bad in ["c.-124G>A", "c.-146A>T", "c.-124T>C"] {
            let c = hgvs::parse_coding(bad).unwrap();
            assert!(
                matches!(reconcile(&kb, "TERT", None, Some(&c)), Err(Reconcile::WrongBase(m)) if m.contains("reference base")),
                "{bad}"
            );
        }
        for ok in ["c.-124C>T", "c.-146C>T", "c.-124C>A"] {
            let c = hgvs::parse_coding(ok).unwrap();
            assert!(reconcile(&kb, "TERT", None, Some(&c)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn truncating_and_hotspot_rules() {
        let kb = kb();
        let nf1 = annotate_variant(
            &kb,
            &VariantQuery {
                gene: "NF1",
                class: Some(VariantClass::Splice),
                ..Default::default()
            },
        );
        assert_eq!(nf1.highest_level.as_deref(), Some("LEVEL_4"));
        let kras = annotate_variant(
            &kb,
            &VariantQuery {
                gene: "KRAS",
                protein: maf_protein("p.G12C"),
                ..Default::default()
            },
        );
        assert_eq!(kras.alteration.as_deref(), Some("kras_g12c"));
        let nras = annotate_variant(
            &kb,
            &VariantQuery {
                gene: "NRAS",
                protein: maf_protein("p.Q61R"),
                ..Default::default()
            },
        );
        assert_eq!(
            (nras.alteration.as_deref(), nras.highest_level.as_deref()),
            (Some("ras_hotspot"), None)
        );
        let cul1 = annotate_variant(
            &kb,
            &VariantQuery {
                gene: "CUL1",
                protein: maf_protein("p.Y466S"),
                ..Default::default()
            },
        );
        assert_eq!(cul1.oncogenic, "Unknown");
    }

    #[test]
    fn tert_promoter_position_needs_its_allele() {
        let kb = kb();
        let q = |r, a| VariantQuery {
            gene: "TERT",
            build: Some("GRCh37"),
            chromosome: Some("5"),
            position: Some(1295228),
            alleles: Some((r, a)),
            ..Default::default()
        };
        assert_eq!(
            annotate_variant(&kb, &q("G", "A")).name.as_deref(),
            Some("C228T")
        );
        assert_eq!(annotate_variant(&kb, &q("G", "T")).alteration, None);
        assert_eq!(
            VariantClass::from_maf("Splice_Region"),
            VariantClass::Other,
            "not truncating"
        );
    }

    #[test]
    fn copy_number_and_biomarkers() {
        let kb = kb();
        let pten = annotate_copy_number(&kb, "PTEN", CopyNumber::DeepDeletion);
        assert_eq!(pten.alteration.as_deref(), Some("pten_deep_deletion"));
        assert_eq!(
            annotate_copy_number(&kb, "PTEN", CopyNumber::ShallowDeletion).alteration,
            None
        );
        let th = kb.facts.thresholds.tmb_high_mut_per_mb;
        let at = annotate_finding(&kb, &Finding::Tmb { mut_per_mb: th });
        assert_eq!(
            (at.alteration.as_deref(), at.highest_level.as_deref()),
            (Some("tmb_high"), Some("LEVEL_1"))
        );
        let below = annotate_finding(
            &kb,
            &Finding::Tmb {
                mut_per_mb: th - 0.1,
            },
        );
        assert_eq!(below.alteration, None);
        let msi = annotate_finding(
            &kb,
            &Finding::Msi {
                status: crate::case::model::Msi::High,
            },
        );
        assert!(msi.options.contains(&OptionId::Pembrolizumab));
    }

    #[test]
    fn a_class_changing_no_protein_contradicts_a_protein_change() {
        let p = |s: &str| maf_protein(s).unwrap();
        for (class, protein, wrong) in [
            (VariantClass::from_maf("Silent"), "p.V600E", true),
            (VariantClass::from_maf("Intron"), "p.V600E", true),
            (VariantClass::from_maf("3'UTR"), "p.Val600Glu", true),
            (VariantClass::from_maf("5'UTR"), "p.V600E", true),
            (VariantClass::from_maf("IGR"), "p.V600E", true),
            (
                VariantClass::from_so_term("synonymous_variant"),
                "p.Val600Glu",
                true,
            ),
            (
                VariantClass::from_so_term("intron_variant"),
                "p.Val600Glu",
                true,
            ),
            (VariantClass::from_maf("Missense_Mutation"), "p.V600V", true),
            (
                VariantClass::from_so_term("missense_variant"),
                "p.Val600=",
                true,
            ),
            (
                VariantClass::from_maf("Missense_Mutation"),
                "p.V600E",
                false,
            ),
            (VariantClass::from_maf("Silent"), "p.V600V", false),
            (VariantClass::from_maf("Intron"), "p.V600=", false),
            (VariantClass::from_maf("Splice_Region"), "p.V600E", false),
            (
                VariantClass::from_maf("Nonsense_Mutation"),
                "p.R213*",
                false,
            ),
        ] {
            assert_eq!(
                class_contradiction(class, &p(protein)).is_some(),
                wrong,
                "{class:?} {protein}"
            );
        }
    }

    #[test]
    fn sequence_ontology_terms_most_severe_first() {
        for (terms, class) in [
            ("missense_variant", VariantClass::Missense),
            (
                "missense_variant&splice_region_variant",
                VariantClass::Missense,
            ),
            (
                "splice_region_variant&synonymous_variant",
                VariantClass::Other,
            ),
            (
                "synonymous_variant&splice_region_variant",
                VariantClass::Other,
            ),
            ("splice_donor_variant&intron_variant", VariantClass::Splice),
            ("stop_gained", VariantClass::Nonsense),
            ("frameshift_variant&stop_lost", VariantClass::Frameshift),
            ("disruptive_inframe_deletion", VariantClass::InFrame),
            ("Synonymous_Variant", VariantClass::Silent),
            ("upstream_gene_variant", VariantClass::Promoter),
            ("5_prime_UTR_variant", VariantClass::Promoter),
            ("start_lost", VariantClass::Other),
            (
                "intron_variant&non_coding_transcript_variant",
                VariantClass::NonCoding,
            ),
            ("intergenic_variant", VariantClass::NonCoding),
            ("3_prime_UTR_variant", VariantClass::NonCoding),
            ("", VariantClass::Other),
        ] {
            assert_eq!(VariantClass::from_so_term(terms), class, "{terms}");
        }
    }
}
