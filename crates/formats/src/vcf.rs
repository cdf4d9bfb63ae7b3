//! VCF reading: one record at a time, every tumour-carried ALT allele as a molecular finding.
//!
//! # What it reads
//! A [`VcfReader`] reads any `BufRead` holding a VCF (4.1 to 4.3, uncompressed) and yields one
//! [`VcfCall`] per ALT allele that is a point variant (substitution, MNV or small indel) carried
//! by the tumour sample, as an `atcpath_core::genomics::finding::Sourced` with the file name and
//! the record's 1-based line number. Memory is constant in the file's size: one line is held at a
//! time (plus the header).
//!
//! # noodles-vcf (pinned `=0.96.0`, used only in this module)
//! The header is parsed line by line with `noodles_vcf::header::Parser::parse_partial`, so that a
//! header problem carries its line number; sample names, `INFO` descriptions (the `CSQ`/`ANN`
//! field order) and `##contig`/`##reference`/`##assembly` records come from the parsed header.
//! Records are read as lines by this module (for line numbers and column counts) and each line is
//! handed to noodles' lazy `Record` (`io::Reader::read_record` over the line's bytes) for the
//! fields, the `INFO` value (percent-decoded, so VEP's `%3D` becomes `=`) and the genotype.
//! One real quirk is normalised before noodles sees the line: an **empty INFO column** (two tabs,
//! as in vcf2maf's `test_grch38.vcf` and `test_b37.vcf`, which breaks the spec) is read as `.`.
//! noodles types never leave this module, so a breaking noodles release touches this file only.
//!
//! # Chromosomes and positions
//! CHROM is read by `chromosome_name`: 1-22, X, Y, M/MT with or without `chr` (and `07` for 7);
//! a RefSeq accession (`NC_000007.14`) as its chromosome, its version checked against the
//! build; a non-primary contig (GL..., KI..., chrUn_..., ..._random, ..._alt, hs37d5, EBV) or a
//! contig declared by a `##contig` line as written (no hotspot lies there). Any other name is an
//! error at its line, as are POS 0 and a POS beyond the chromosome's end (its `##contig` length,
//! else its length in the build). A tumour genotype that is a no-call (`./.`, `.`) at a
//! knowledge-base hotspot position is an error: the file cannot tell, and a no-call is never read
//! as "not carried" there.
//!
//! # Build
//! From the header when it says: `##reference=` / `##assembly=` values naming GRCh37 (`GRCh37`,
//! `hg19`, `b37`, `hs37d5`, `human_g1k_v37`, `Homo_sapiens_assembly19`) or GRCh38 (`GRCh38`,
//! `hg38`, `b38`, `hs38`, `hs38DH`, `Homo_sapiens_assembly38`); `##contig` lines with such an
//! `assembly=`, or whose primary chromosome (1-22, X, Y) lengths are those of one build (UCSC
//! hg19/hg38 `chrom.sizes`; the GRCh37 lengths equal the `##contig` lines of vcf2maf's
//! `test_mutect.vcf`, chr21 GRCh38 equals `test_b38.vcf`'s). Otherwise the caller's `build`
//! ([`VcfOptions::build`], same spellings). A caller build that contradicts the header is an
//! error; a header that names both builds gives a warning and only the caller's build, if any,
//! is used. When nothing says, findings carry no build, positions are not used to recognise
//! hotspots (never guessed) and [`VcfReader::warnings`] says so.
//!
//! # Tumour sample
//! In order: the caller's [`VcfOptions::tumour_sample`]; a `##tumor_sample=` header line; with
//! two samples, the one that a `##normal_sample=` line does not name; by name (`TUMOR`, `TUMOUR`,
//! `*_TUMOR`, `TUMOR_*`, `*-TUMOR`, any case; among several, the `DNA_` one, so RADIA's
//! `DNA_TUMOR` wins over `RNA_TUMOR`); with two samples, the one that is not named as a normal
//! (`NORMAL`, `GERMLINE`, `*_NORMAL`, ...); the only sample. Anything else is an error (ambiguous), never a
//! guess. Column order does not matter. A sites-only VCF (no sample column) is read with a
//! warning: every ALT is taken as a call.
//!
//! A tumour genotype (`GT`) that does not carry the allele (`0/0`, `./.`, `.`) gives no finding.
//! Without a `GT` key (Strelka), the allele counts when the tumour's `AD` for it is above 0, else
//! when Strelka's tier-1 count (`AU`/`CU`/`GU`/`TU` for a base, `TIR` for an indel) is above 0,
//! else the record itself is the caller's call (counted in [`VcfStats::without_genotype`]).
//!
//! # Gene and change
//! From the VEP `CSQ` field (order from its `##INFO` `Format: Allele|Consequence|...` header) or,
//! when there is no `CSQ`, SnpEff `ANN` (`'Allele | Annotation | ... | HGVS.c | HGVS.p | ...'`):
//! the entry for the allele (by `ALLELE_NUM` when VEP wrote it, else by `Allele` as written or in
//! VEP's trimmed form, `-` for a deletion; with a single ALT every entry is its own), preferring
//! an entry with a gene, then `PICK=1`, then `CANONICAL=YES`, then the first (SnpEff sorts by
//! impact). Gene = `SYMBOL`/`Gene_Name`; protein = `HGVSp`/`HGVS.p` without the `ENSP…:` prefix
//! (`%3D` read as `=`), parsed by `atcpath_core::hgvs::parse_protein`; coding likewise with
//! `parse_coding`; class by `VariantClass::from_so_term`. A notation that does not parse is left
//! out (counted in [`VcfStats::hgvs_unparsed`]), never an error.
//!
//! Otherwise (no annotation, or none for this allele, or one naming no gene or change), a
//! single-base substitution at an ATC hotspot position of the knowledge base
//! (`kb/hotspot_positions.toml`, TERT promoter positions from `kb/actionability.toml`) gives the
//! gene, protein/coding change and class; this needs a known build. An allele with neither is
//! counted in [`VcfStats::no_gene`] and not yielded (a finding needs a gene).
//!
//! # Filters and skipped alleles
//! Records whose FILTER is not `PASS` (nor missing) are read and yielded like the others, with
//! [`VcfCall::filter`] saying which filters failed, and counted in [`VcfStats::filtered`]: the
//! caller decides (a registry must not silently drop calls). Reference-only ALTs (`.`, `<*>`,
//! `<NON_REF>`), spanning deletions (`*`), symbolic alleles (`<DEL>`, ...) and breakends
//! (`]15:80623247]C`, `A.`) are not point variants: skipped and counted, never an error. So is
//! VarScan's `A/T` (a list of bases, not a VCF allele), with a warning.
//!
//! # Errors
//! Every problem is a [`FormatError`] with its 1-based line: an empty file, a first line that is
//! not `##fileformat=VCF…`, a header line noodles refuses, data before `#CHROM`, a header that
//! ends without `#CHROM`, an ambiguous or unknown tumour sample, an unknown or contradicted build
//! (constructor); a record with the wrong number of columns, an empty column, a POS that is not a
//! number, a REF or ALT that is not bases, a tumour genotype that is not one or names an allele
//! the record does not have, text that is not UTF-8 (iterator). After a record error the
//! iterator goes on with the next line: the caller decides whether to stop or skip
//! (`--skip-invalid`), as with the MAF reader.

use std::collections::VecDeque;
use std::io::BufRead;

use atcpath_core::genomics::finding::{Finding, Sourced};
use atcpath_core::genomics::{VariantClass, so_severity_rank};
use atcpath_core::hgvs::{self, CodingChange, Consequence, ProteinChange};
use atcpath_kb::Kb;
use noodles_vcf as nv;
use nv::variant::record::AlternateBases as _;
use nv::variant::record::info::field::Value as InfoValue;
use nv::variant::record::info::field::value::Array as InfoArray;
use nv::variant::record::samples::series::Value as SampleValue;
use nv::variant::record::samples::series::value::Array as SampleArray;

use crate::FormatError;

/// How the caller opens a VCF.
#[derive(Debug, Clone, Copy, Default)]
pub struct VcfOptions<'a> {
    /// The file as given on the command line; copied into every finding.
    pub file: &'a str,
    /// Reference build when the header does not say: `GRCh37`, `hg19`, `b37`, `GRCh38`, `hg38`
    /// (any case). `None`: unknown unless the header says.
    pub build: Option<&'a str>,
    /// Name of the tumour sample column, when the header and the names do not tell.
    pub tumour_sample: Option<&'a str>,
}

/// The FILTER column of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `PASS`.
    Pass,
    /// `.`: no filter was applied.
    Missing,
    /// The filters the record failed, as written (e.g. `REJECT`, `LowQual`).
    Failed(Vec<String>),
}

impl Filter {
    /// Whether the caller let the record through (`PASS` or no filter applied).
    pub fn passed(&self) -> bool {
        !matches!(self, Filter::Failed(_))
    }
}

/// Where a call's gene and change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Ensembl VEP `CSQ` INFO field.
    VepCsq,
    /// SnpEff `ANN` INFO field.
    SnpEffAnn,
    /// An ATC hotspot position of the knowledge base (`kb/hotspot_positions.toml`).
    HotspotPosition,
}

/// One tumour-carried ALT allele of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct VcfCall {
    /// The finding (always [`Finding::Variant`]) with the tumour sample, file and line.
    pub sourced: Sourced,
    /// The record's FILTER.
    pub filter: Filter,
    /// Where the gene and change came from.
    pub origin: Origin,
}

/// Counts over the records read so far. Every ALT allele of a record read without error is in
/// exactly one of `not_point`, `allele_lists`, `not_in_tumour`, `no_gene` and `findings`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VcfStats {
    /// Data records read without error.
    pub records: usize,
    /// ALT alleles of those records (`.` counts none).
    pub alleles: usize,
    /// Records whose ALT is `.` (reference-only sites).
    pub no_alt: usize,
    /// Alleles that are not point variants: `<*>`, `<NON_REF>`, `*`, symbolic alleles,
    /// breakends, or at POS 0.
    pub not_point: usize,
    /// ALT alleles written as a list of bases (VarScan's `A/T`), which is not a VCF allele: skipped,
    /// with a warning.
    pub allele_lists: usize,
    /// Point alleles that the tumour genotype does not carry.
    pub not_in_tumour: usize,
    /// Tumour point alleles with no gene: no annotation naming one and not a hotspot position.
    pub no_gene: usize,
    /// Calls yielded.
    pub findings: usize,
    /// Calls yielded whose FILTER is neither `PASS` nor missing.
    pub filtered: usize,
    /// Calls taken without a tumour genotype (no `GT`, `AD` or Strelka tier count).
    pub without_genotype: usize,
    /// HGVS protein or coding notations of an annotation that did not parse (left out).
    pub hgvs_unparsed: usize,
    /// Lines returned as errors.
    pub invalid: usize,
}

/// Annotation field layout from the header.
#[derive(Debug, Clone)]
struct Layout {
    origin: Origin,
    key: &'static str,
    allele: Option<usize>,
    consequence: Option<usize>,
    gene: usize,
    hgvsc: Option<usize>,
    hgvsp: Option<usize>,
    canonical: Option<usize>,
    pick: Option<usize>,
    allele_num: Option<usize>,
}

impl Layout {
    fn from_header(header: &nv::Header, warnings: &mut Vec<String>) -> Option<Layout> {
        for (key, origin) in [("CSQ", Origin::VepCsq), ("ANN", Origin::SnpEffAnn)] {
            let Some(info) = header.infos().get(key) else {
                continue;
            };
            let d = info.description();
            let Some((_, format)) = d.split_once(':') else {
                warnings.push(format!(
                    "INFO {key} is declared without its field order (\"Format: ...\"): annotations not used"
                ));
                continue;
            };
            let names: Vec<String> = format
                .trim()
                .trim_matches(|c| c == '\'' || c == '"')
                .split('|')
                .map(|f| f.trim().to_ascii_lowercase())
                .collect();
            let col = |alts: &[&str]| names.iter().position(|n| alts.contains(&n.as_str()));
            let Some(gene) = col(&["symbol", "gene_name"]) else {
                warnings.push(format!(
                    "INFO {key} has no SYMBOL/Gene_Name field: annotations not used"
                ));
                continue;
            };
            return Some(Layout {
                origin,
                key,
                allele: col(&["allele"]),
                consequence: col(&["consequence", "annotation"]),
                gene,
                hgvsc: col(&["hgvsc", "hgvs.c"]),
                hgvsp: col(&["hgvsp", "hgvs.p"]),
                canonical: col(&["canonical"]),
                pick: col(&["pick"]),
                allele_num: col(&["allele_num"]),
            });
        }
        None
    }
}

/// Annotation of one allele.
#[derive(Debug, Default)]
struct Annotated {
    gene: Option<String>,
    protein: Option<ProteinChange>,
    coding: Option<CodingChange>,
    class: Option<VariantClass>,
}

/// A streaming VCF reader; see the module documentation.
pub struct VcfReader<'k, R> {
    reader: crate::limits::Bounded<R>,
    kb: &'k Kb,
    file: String,
    header: nv::Header,
    columns: usize,
    build: Option<&'static str>,
    tumour: Option<(usize, String)>,
    layout: Option<Layout>,
    warnings: Vec<String>,
    stats: VcfStats,
    line: Vec<u8>,
    normalised: Vec<u8>,
    line_no: usize,
    record: nv::Record,
    pending: VecDeque<VcfCall>,
    done: bool,
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// GRCh37 and GRCh38 lengths of chromosomes 1-22, X, Y (UCSC hg19 and hg38 `chrom.sizes`).
const LENGTHS: [(&str, u64, u64); 24] = [
    ("1", 249_250_621, 248_956_422),
    ("2", 243_199_373, 242_193_529),
    ("3", 198_022_430, 198_295_559),
    ("4", 191_154_276, 190_214_555),
    ("5", 180_915_260, 181_538_259),
    ("6", 171_115_067, 170_805_979),
    ("7", 159_138_663, 159_345_973),
    ("8", 146_364_022, 145_138_636),
    ("9", 141_213_431, 138_394_717),
    ("10", 135_534_747, 133_797_422),
    ("11", 135_006_516, 135_086_622),
    ("12", 133_851_895, 133_275_309),
    ("13", 115_169_878, 114_364_328),
    ("14", 107_349_540, 107_043_718),
    ("15", 102_531_392, 101_991_189),
    ("16", 90_354_753, 90_338_345),
    ("17", 81_195_210, 83_257_441),
    ("18", 78_077_248, 80_373_285),
    ("19", 59_128_983, 58_617_616),
    ("20", 63_025_520, 64_444_167),
    ("21", 48_129_895, 46_709_983),
    ("22", 51_304_566, 50_818_468),
    ("X", 155_270_560, 156_040_895),
    ("Y", 59_373_566, 57_227_415),
];

/// RefSeq accession versions of chromosomes 1-22, X (23), Y (24) in GRCh37 and GRCh38
/// (`NC_000007.13` is chromosome 7 of GRCh37, `NC_000007.14` of GRCh38; NCBI assembly reports
/// GCF_000001405.13 and GCF_000001405.26). Chromosome MT is `NC_012920.1` in both.
const REFSEQ_VERSIONS: [(u32, u32); 24] = [
    (10, 11),
    (11, 12),
    (11, 12),
    (11, 12),
    (9, 10),
    (11, 12),
    (13, 14),
    (10, 11),
    (11, 12),
    (10, 11),
    (9, 10),
    (11, 12),
    (10, 11),
    (8, 9),
    (9, 10),
    (9, 10),
    (10, 11),
    (9, 10),
    (9, 10),
    (10, 11),
    (8, 9),
    (10, 11),
    (10, 11),
    (9, 10),
];

/// A non-primary contig by its usual names (unplaced, unlocalised, alternate, decoy, viral):
/// never a hotspot position.
fn non_primary(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["_random", "_alt", "_decoy", "_fix", "un_"]
        .iter()
        .any(|t| n.contains(t))
        || [
            "gl", "ki", "jh", "hs37d5", "ebv", "chrun", "hla-", "nt_", "nw_",
        ]
        .iter()
        .any(|p| n.starts_with(p))
}

/// The chromosome a CHROM value names: `7`, `chr7`, `07` → `7`; `X`, `Y`, `M`/`MT` (any case);
/// a RefSeq accession (`NC_000007.14` → `7`), whose version must be that of the build when the
/// build is known. A non-primary contig (GL000192.1, chrUn_..., ..._alt, hs37d5) or one declared
/// by a `##contig` line is returned as written (it holds no hotspot).
///
/// # Errors
/// A RefSeq accession of the other build (or of no build), and any other name: an unknown
/// chromosome name would make a hotspot at its position "not detected".
fn chromosome_name(raw: &str, build: Option<&str>, declared: bool) -> Result<String, String> {
    let c = strip_chr(raw);
    if let Ok(n) = c.parse::<u32>()
        && (1..=22).contains(&n)
        && c.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(n.to_string());
    }
    match c.to_ascii_uppercase().as_str() {
        "X" | "Y" | "MT" => return Ok(c.to_ascii_uppercase()),
        "M" => return Ok("MT".into()),
        _ => {}
    }
    if let Some((acc, version)) = raw.split_once('.')
        && let Some(num) = acc.strip_prefix("NC_")
        && num.len() == 6
        && let (Ok(n), Ok(v)) = (num.parse::<u32>(), version.parse::<u32>())
    {
        if n == 12920 && v == 1 {
            return Ok("MT".into());
        }
        if let Some(&(v37, v38)) = (n as usize)
            .checked_sub(1)
            .and_then(|i| REFSEQ_VERSIONS.get(i))
        {
            let name = match n {
                23 => "X".to_string(),
                24 => "Y".to_string(),
                _ => n.to_string(),
            };
            let of = if v == v37 {
                Some("GRCh37")
            } else if v == v38 {
                Some("GRCh38")
            } else {
                None
            };
            return match (of, build) {
                (None, _) => Err(format!(
                    "CHROM {raw:?}: version .{v} of chromosome {name}'s RefSeq accession is neither GRCh37 (.{v37}) nor GRCh38 (.{v38})"
                )),
                (Some(o), Some(b)) if o != b => Err(format!(
                    "CHROM {raw:?} is chromosome {name} of {o}, but the file's build is {b}"
                )),
                _ => Ok(name),
            };
        }
    }
    if declared || non_primary(c) {
        return Ok(raw.to_string());
    }
    Err(format!(
        "CHROM {raw:?} is not a chromosome name ATCPath knows (1-22, X, Y, MT with or without chr, a RefSeq NC_ accession, or a contig declared by a ##contig line)"
    ))
}

/// The canonical build a name or a path says (`GRCh37`, `GRCh38`), token by token.
pub fn build_named(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("g1k_v37") {
        return Some("GRCh37");
    }
    let mut found = None;
    for token in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
        let b = match token {
            "grch37" | "hg19" | "b37" | "hs37d5" | "assembly19" | "grch37lite" => "GRCh37",
            "grch38" | "hg38" | "b38" | "hs38" | "hs38dh" | "assembly38" => "GRCh38",
            _ => continue,
        };
        if found.is_some_and(|f| f != b) {
            return None;
        }
        found = Some(b);
    }
    found
}

fn strip_chr(c: &str) -> &str {
    match c.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("chr") => &c[3..],
        _ => c,
    }
}

/// What the header says about the build: each (build, reason) found.
fn header_builds(header: &nv::Header) -> Vec<(&'static str, String)> {
    let mut said = Vec::new();
    for key in ["reference", "assembly"] {
        if let Some(nv::header::record::value::Collection::Unstructured(values)) = header.get(key) {
            for v in values {
                if let Some(b) = build_named(v) {
                    said.push((b, format!("##{key}={v}")));
                }
            }
        }
    }
    for (name, contig) in header.contigs() {
        for (tag, value) in contig.other_fields() {
            if tag.as_ref() == "assembly"
                && let Some(b) = build_named(value)
            {
                said.push((b, format!("##contig {name} assembly={value}")));
            }
        }
        let Some(len) = contig.length() else { continue };
        let chrom = strip_chr(name);
        if let Some((_, l37, l38)) = LENGTHS.iter().find(|(c, _, _)| *c == chrom) {
            let len = len as u64;
            let b = if len == *l37 {
                "GRCh37"
            } else if len == *l38 {
                "GRCh38"
            } else {
                continue;
            };
            said.push((b, format!("##contig {name} length={len}")));
        }
    }
    said
}

fn is_named(name: &str, role: &[&str]) -> bool {
    let n = name.to_ascii_uppercase();
    role.iter().any(|r| {
        n == *r
            || n.ends_with(&format!("_{r}"))
            || n.ends_with(&format!("-{r}"))
            || n.starts_with(&format!("{r}_"))
            || n.starts_with(&format!("{r}-"))
    })
}

/// The tumour column among `names`; `Ok(None)` when there is none (sites-only).
fn pick_tumour(
    names: &[String],
    given: Option<&str>,
    tumour_line: Option<&str>,
    normal_line: Option<&str>,
) -> Result<Option<usize>, String> {
    let find = |n: &str| {
        names
            .iter()
            .position(|s| s == n)
            .or_else(|| names.iter().position(|s| s.eq_ignore_ascii_case(n)))
    };
    let list = names.join(", ");
    if let Some(g) = given {
        return find(g)
            .map(Some)
            .ok_or_else(|| format!("tumour sample {g:?} is not a sample column ({list})"));
    }
    if names.is_empty() {
        return Ok(None);
    }
    if let Some(t) = tumour_line {
        return find(t)
            .map(Some)
            .ok_or_else(|| format!("##tumor_sample={t} names no sample column ({list})"));
    }
    if let Some(n) = normal_line
        && names.len() == 2
        && let Some(i) = find(n)
    {
        return Ok(Some(1 - i));
    }
    const TUMOUR: [&str; 2] = ["TUMOR", "TUMOUR"];
    const NORMAL: [&str; 2] = ["NORMAL", "GERMLINE"];
    let tumours: Vec<usize> = (0..names.len())
        .filter(|i| is_named(&names[*i], &TUMOUR))
        .collect();
    let dna: Vec<usize> = tumours
        .iter()
        .copied()
        .filter(|i| {
            let n = names[*i].to_ascii_uppercase();
            n.starts_with("DNA_") || n.starts_with("DNA-")
        })
        .collect();
    match (tumours.len(), dna.len()) {
        (1, _) => return Ok(Some(tumours[0])),
        (t, 1) if t > 1 => return Ok(Some(dna[0])),
        (t, _) if t > 1 => {
            return Err(format!(
                "several sample columns look like the tumour ({list}): name the tumour sample"
            ));
        }
        _ => {}
    }
    let normals: Vec<usize> = (0..names.len())
        .filter(|i| is_named(&names[*i], &NORMAL))
        .collect();
    if names.len() == 2 && normals.len() == 1 {
        return Ok(Some(1 - normals[0]));
    }
    if names.len() == 1 {
        return Ok(Some(0));
    }
    Err(format!(
        "cannot tell which sample column is the tumour ({list}): name the tumour sample"
    ))
}

/// What an ALT allele is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AltKind {
    Point,
    NotPoint,
    /// VarScan's `A/T`: bases separated by `/`, not a VCF allele.
    List,
}

fn bases(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b"ACGTNacgtn".contains(&b))
}

fn alt_kind(alt: &str) -> Option<AltKind> {
    if bases(alt) {
        Some(AltKind::Point)
    } else if alt == "*"
        || (alt.starts_with('<') && alt.ends_with('>') && alt.len() > 2)
        || alt.contains('[')
        || alt.contains(']')
        || (alt.len() > 1 && (alt.starts_with('.') || alt.ends_with('.')))
    {
        Some(AltKind::NotPoint)
    } else if alt.contains('/') && alt.split('/').all(bases) {
        Some(AltKind::List)
    } else {
        None
    }
}

/// VEP's allele string: the common first base of REF and every ALT removed (`-` when empty).
fn vep_allele<'a>(reference: &str, alts: &[&'a str], alt: &'a str) -> std::borrow::Cow<'a, str> {
    let first = reference.as_bytes().first();
    let trimmed = first.is_some()
        && alts
            .iter()
            .all(|a| a.as_bytes().first() == first && !a.starts_with('<'));
    if !trimmed {
        return alt.into();
    }
    match &alt[1..] {
        "" => "-".into(),
        rest => rest.into(),
    }
}

fn hgvs_text(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = t.rsplit_once(':').map_or(t, |(_, n)| n);
    let t = t.replace("%3D", "=").replace("%3d", "=");
    (!t.is_empty()).then_some(t)
}

fn class_of(p: &ProteinChange) -> VariantClass {
    match p.consequence {
        Consequence::Missense => VariantClass::Missense,
        Consequence::Nonsense => VariantClass::Nonsense,
        Consequence::Synonymous => VariantClass::Silent,
        Consequence::Frameshift => VariantClass::Frameshift,
        Consequence::InFrame => VariantClass::InFrame,
        _ => VariantClass::Other,
    }
}

impl<'k, R: BufRead> VcfReader<'k, R> {
    /// Reads the header, decides the build and the tumour column.
    ///
    /// # Errors
    /// [`FormatError`] with the line: an empty file, no `##fileformat` first, a header line
    /// noodles refuses, a data line before `#CHROM`, no `#CHROM` line, an unknown build name,
    /// a build that contradicts the header, an unknown or ambiguous tumour sample.
    pub fn new(reader: R, kb: &'k Kb, options: VcfOptions<'_>) -> Result<Self, FormatError> {
        let mut reader = crate::limits::Bounded::new(reader);
        let mut parser = nv::header::Parser::default();
        let mut line = Vec::new();
        let mut line_no = 0;
        let mut tumour_line = None;
        let mut normal_line = None;
        loop {
            line.clear();
            line_no += 1;
            let err = |message: String| FormatError {
                line: line_no,
                message,
            };
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| err(e.to_string()))?;
            if n == 0 {
                return Err(err(if line_no == 1 {
                    "the file is empty (no VCF header)".into()
                } else {
                    "the header ends without a #CHROM line".into()
                }));
            }
            let l = trim_eol(&line);
            let text =
                std::str::from_utf8(l).map_err(|_| err("header line is not valid UTF-8".into()))?;
            if line_no > 1 && !text.starts_with('#') {
                return Err(err(
                    "a data line before the #CHROM header line (the header is incomplete)".into(),
                ));
            }
            if let Some(v) = text.strip_prefix("##tumor_sample=") {
                tumour_line = Some(v.trim().to_string());
            } else if let Some(v) = text.strip_prefix("##normal_sample=") {
                normal_line = Some(v.trim().to_string());
            }
            parser
                .parse_partial(l)
                .map_err(|e| err(format!("{} (VCF header)", error_chain(&e))))?;
            if text.starts_with("#CHROM") {
                break;
            }
        }
        let at_chrom = |message: String| FormatError {
            line: line_no,
            message,
        };
        let header = parser.finish().map_err(|e| at_chrom(error_chain(&e)))?;
        let mut warnings = Vec::new();

        // Build: the header, else the caller; never guessed.
        let said = header_builds(&header);
        let given = match options.build {
            Some(b) => Some(build_named(b).ok_or_else(|| {
                at_chrom(format!(
                    "build {b:?} is not known (accepted: GRCh37, hg19, b37, GRCh38, hg38)"
                ))
            })?),
            None => None,
        };
        let mut header_build: Option<&'static str> = None;
        let mut conflict = false;
        for (b, _) in &said {
            match header_build {
                Some(h) if h != *b => conflict = true,
                _ => header_build = Some(b),
            }
        }
        let reasons = said.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>();
        let build = match (conflict, header_build, given) {
            (true, _, g) => {
                warnings.push(format!(
                    "the header names both GRCh37 and GRCh38 ({}){}",
                    reasons.join("; "),
                    if g.is_some() {
                        ": the build given is used"
                    } else {
                        ": build unknown, positions not used to recognise hotspots"
                    }
                ));
                g
            }
            (false, Some(h), Some(g)) if h != g => {
                return Err(at_chrom(format!(
                    "the header says {h} ({}) but the build given is {g}",
                    reasons.first().copied().unwrap_or_default()
                )));
            }
            (false, Some(h), _) => Some(h),
            (false, None, g) => g,
        };
        if build.is_none() && !conflict {
            warnings.push(
                "build unknown (the header does not say and none was given): positions are not used to recognise hotspots".into(),
            );
        }

        // Tumour column.
        let names: Vec<String> = header.sample_names().iter().cloned().collect();
        let tumour = pick_tumour(
            &names,
            options.tumour_sample,
            tumour_line.as_deref(),
            normal_line.as_deref(),
        )
        .map_err(at_chrom)?
        .map(|i| (i, names[i].clone()));
        if tumour.is_none() {
            warnings.push(
                "no sample column (sites-only VCF): every ALT allele is taken as a call".into(),
            );
        }
        let layout = Layout::from_header(&header, &mut warnings);
        let columns = if names.is_empty() {
            // FORMAT may or may not be on the #CHROM line of a sites-only file (8 or 9 columns).
            8
        } else {
            9 + names.len()
        };
        Ok(VcfReader {
            reader,
            kb,
            file: options.file.to_string(),
            header,
            columns,
            build,
            tumour,
            layout,
            warnings,
            stats: VcfStats::default(),
            line,
            normalised: Vec::new(),
            line_no,
            record: nv::Record::default(),
            pending: VecDeque::new(),
            done: false,
        })
    }

    /// The build positions are given in (`GRCh37`/`GRCh38`), `None` when unknown.
    pub fn build(&self) -> Option<&'static str> {
        self.build
    }

    /// The tumour sample's column name, `None` for a sites-only file.
    pub fn tumour_sample(&self) -> Option<&str> {
        self.tumour.as_ref().map(|(_, n)| n.as_str())
    }

    /// The sample column names, in file order.
    pub fn samples(&self) -> Vec<&str> {
        self.header
            .sample_names()
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// Which annotation the calls' genes come from, when the header declares one.
    pub fn annotation(&self) -> Option<Origin> {
        self.layout.as_ref().map(|l| l.origin)
    }

    /// What the reader could not decide or chose to ignore (unknown build, sites-only file,
    /// unusable annotation header), in words.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Counts so far.
    pub fn stats(&self) -> VcfStats {
        self.stats
    }

    /// Reads the next data line into `self.line`; `Ok(false)` at the end.
    fn next_line(&mut self) -> Result<bool, FormatError> {
        loop {
            self.line.clear();
            self.line_no += 1;
            let n = self.reader.read_until(b'\n', &mut self.line).map_err(|e| {
                self.done = true;
                FormatError {
                    line: self.line_no,
                    message: e.to_string(),
                }
            })?;
            if n == 0 {
                return Ok(false);
            }
            let l = trim_eol(&self.line);
            if !(l.is_empty() || l.starts_with(b"#")) {
                let len = l.len();
                self.line.truncate(len);
                return Ok(true);
            }
        }
    }

    /// Parses the current line into calls (pushed on `pending`).
    fn read_record(&mut self) -> Result<(), String> {
        let text = std::str::from_utf8(&self.line).map_err(|_| "not valid UTF-8".to_string())?;
        let fields: Vec<&str> = text.split('\t').collect();
        // A sites-only file may keep an empty FORMAT column.
        let sites_only_format = self.tumour.is_none() && self.columns == 8 && fields.len() == 9;
        if fields.len() != self.columns && !sites_only_format {
            return Err(format!(
                "{} columns where the header has {}",
                fields.len(),
                self.columns
            ));
        }
        const NAMES: [&str; 9] = [
            "CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
        ];
        for (i, f) in fields.iter().enumerate() {
            if f.is_empty() && i != 7 {
                let name = NAMES.get(i).copied().unwrap_or("sample");
                return Err(format!("empty {name} column"));
            }
        }
        // An empty INFO column (a real writer quirk) is read as `.`.
        self.normalised.clear();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.normalised.push(b'\t');
            }
            self.normalised
                .extend_from_slice(if i == 7 && f.is_empty() {
                    b"."
                } else {
                    f.as_bytes()
                });
        }
        nv::io::Reader::new(&self.normalised[..])
            .read_record(&mut self.record)
            .map_err(|e| format!("not a VCF record: {e}"))?;
        let record = &self.record;
        let raw_chrom = record.reference_sequence_name();
        let declared = self.header.contigs().keys().any(|k| k == raw_chrom);
        let chromosome = chromosome_name(raw_chrom, self.build, declared)?;
        let position = match record.variant_start() {
            None => None,
            Some(Ok(p)) => Some(usize::from(p) as u64),
            Some(Err(_)) => return Err(format!("POS {:?} is not a position", fields[1])),
        };
        // POS 0 (a telomere, used by no caller for a variant) or beyond the chromosome's end.
        if fields[1].trim() == "0" {
            return Err("POS 0 is not a variant position (positions start at 1)".into());
        }
        if let Some(p) = position {
            let contig_len = self
                .header
                .contigs()
                .get(raw_chrom)
                .and_then(|c| c.length())
                .map(|l| (l as u64, format!("its ##contig length {l}")));
            let build_len = self.build.and_then(|b| {
                LENGTHS
                    .iter()
                    .find(|(c, _, _)| *c == chromosome)
                    .map(|(_, l37, l38)| {
                        let l = if b == "GRCh37" { *l37 } else { *l38 };
                        (l, format!("its length in {b}, {l}"))
                    })
            });
            if let Some((len, what)) = contig_len.or(build_len)
                && p > len
            {
                return Err(format!(
                    "POS {p} is beyond the end of chromosome {raw_chrom} ({what})"
                ));
            }
        }
        let reference = record.reference_bases();
        if !bases(reference) {
            return Err(format!("REF {reference:?} is not bases (A, C, G, T, N)"));
        }
        let alt_bases = record.alternate_bases();
        let alts: Vec<&str> = alt_bases
            .iter()
            .collect::<std::io::Result<_>>()
            .map_err(|e| format!("ALT: {e}"))?;
        let mut kinds = Vec::with_capacity(alts.len());
        for a in &alts {
            kinds.push(alt_kind(a).ok_or_else(|| {
                format!("ALT allele {a:?} is not bases, a symbolic allele or a breakend")
            })?);
        }
        let filters = record.filters();
        let filter = match filters.as_ref() {
            "" => Filter::Missing,
            "PASS" => Filter::Pass,
            f => Filter::Failed(f.split(';').map(str::to_string).collect()),
        };

        // Tumour genotype: which alleles it carries (None = no genotype information).
        let carried = self.tumour_alleles(alts.len(), &alts)?;
        let no_call = self.tumour_no_call();

        // Annotation entries of this record.
        let entries: Vec<String> = match &self.layout {
            Some(layout) => match record.info().get(&self.header, layout.key) {
                None => Vec::new(),
                Some(Err(e)) => return Err(format!("INFO {}: {e}", layout.key)),
                Some(Ok(None)) => Vec::new(),
                Some(Ok(Some(InfoValue::String(s)))) => vec![s.into_owned()],
                Some(Ok(Some(InfoValue::Array(InfoArray::String(values))))) => values
                    .iter()
                    .filter_map(|v| v.ok().flatten().map(|s| s.into_owned()))
                    .collect(),
                Some(Ok(Some(_))) => {
                    return Err(format!("INFO {} is not text", layout.key));
                }
            },
            None => Vec::new(),
        };

        let mut stats = self.stats;
        stats.records += 1;
        if alts.is_empty() {
            stats.no_alt += 1;
        }
        let mut calls = Vec::new();
        for (k, (alt, kind)) in alts.iter().zip(&kinds).enumerate() {
            stats.alleles += 1;
            if *kind == AltKind::List {
                if stats.allele_lists == 0 {
                    self.warnings.push(format!(
                        "line {}: ALT {alt:?} is a list of bases (as VarScan writes), not a VCF allele: skipped, and so are any others (counted)",
                        self.line_no
                    ));
                }
                stats.allele_lists += 1;
                continue;
            }
            if *kind == AltKind::NotPoint || position.is_none() {
                stats.not_point += 1;
                continue;
            }
            // A no-call at a knowledge-base hotspot: the file cannot tell (never "not detected").
            if no_call
                && let (Some(b), Some(p)) = (self.build, position)
                && let Some(h) = self.kb.hotspot_at(b, &chromosome, p, reference, alt)
            {
                return Err(format!(
                    "the tumour genotype is a no-call (GT missing) at {} {}: the file cannot tell whether it is present",
                    h.gene,
                    h.protein.or(h.name).unwrap_or(h.coding)
                ));
            }
            let without_genotype = match carried.get(k).copied().flatten() {
                Some(false) => {
                    stats.not_in_tumour += 1;
                    continue;
                }
                Some(true) => false,
                None => true,
            };
            let annotated = self
                .layout
                .as_ref()
                .map(|l| annotate(l, &entries, k, reference, &alts, alt, &mut stats))
                .unwrap_or_default();
            let hit = match (self.build, position) {
                (Some(b), Some(p)) => self.kb.hotspot_at(b, &chromosome, p, reference, alt),
                _ => None,
            };
            if hit.is_none()
                && let (Some(b), Some(p)) = (self.build, position)
                && let Some(m) = self
                    .kb
                    .hotspot_position_problem(b, &chromosome, p, reference, alt)
            {
                return Err(m);
            }
            if let Some(h) = &hit {
                check_hotspot_agreement(h, &annotated, &chromosome, position, reference, alt)?;
            } else if let (Some(b), Some(p), Some(prot)) =
                (self.build, position, &annotated.protein)
                && let Some(h) = self.kb.hotspot_positions.hotspots.iter().find(|h| {
                    h.build.eq_ignore_ascii_case(b)
                        && h.chromosome == chromosome
                        && h.position == p
                        && h.reference.eq_ignore_ascii_case(reference)
                        && !h.alt.eq_ignore_ascii_case(alt)
                        && hgvs::parse_protein(&h.protein)
                            .is_ok_and(|x| x.normalized == prot.normalized)
                })
            {
                // The annotation names the change another allele makes here (ANN or CSQ).
                return Err(format!(
                    "the annotation gives {} {} but the record is {chromosome}:{p} {reference}>{alt}, and {} is {}>{} there ({b}): the two disagree",
                    annotated.gene.as_deref().unwrap_or(&h.gene),
                    prot.normalized,
                    h.protein,
                    h.reference,
                    h.alt
                ));
            }
            let origin_annotation = self.layout.as_ref().map(|l| l.origin);
            let has_change = annotated.protein.is_some() || annotated.coding.is_some();
            let use_hit = hit.filter(|h| {
                annotated.gene.is_none()
                    || (!has_change && annotated.gene.as_deref() == Some(h.gene))
            });
            let (gene, protein, coding, class, origin) = if let Some(h) = use_hit {
                let protein = h.protein.and_then(|p| hgvs::parse_protein(p).ok());
                let coding = hgvs::parse_coding(h.coding).ok();
                let class = match &protein {
                    Some(p) => class_of(p),
                    None => VariantClass::Promoter,
                };
                (
                    h.gene.to_string(),
                    protein,
                    coding,
                    Some(class),
                    Origin::HotspotPosition,
                )
            } else if let (Some(g), Some(o)) = (annotated.gene, origin_annotation) {
                (g, annotated.protein, annotated.coding, annotated.class, o)
            } else {
                stats.no_gene += 1;
                continue;
            };
            stats.findings += 1;
            if !filter.passed() {
                stats.filtered += 1;
            }
            if without_genotype {
                stats.without_genotype += 1;
            }
            calls.push(VcfCall {
                sourced: Sourced {
                    sample: self.tumour.as_ref().map(|(_, n)| n.clone()),
                    finding: Finding::Variant {
                        gene,
                        protein,
                        coding,
                        class,
                        build: self.build.map(str::to_string),
                        chromosome: Some(chromosome.clone()),
                        position,
                        reference: Some(reference.to_string()),
                        alternate: Some((*alt).to_string()),
                        conflict: None,
                    },
                    file: self.file.clone(),
                    line: self.line_no,
                },
                filter: filter.clone(),
                origin,
            });
        }
        self.stats = stats;
        self.pending.extend(calls);
        Ok(())
    }

    /// For each ALT, whether the tumour carries it (`None`: no genotype information).
    /// Whether the tumour's GT is a no-call (`./.`, `.`): every allele missing.
    fn tumour_no_call(&self) -> bool {
        let Some((t, _)) = &self.tumour else {
            return false;
        };
        let samples = self.record.samples();
        let Some(i) = samples.keys().iter().position(|k| k == "GT") else {
            return false;
        };
        let Some(sample) = samples.get_index(*t) else {
            return false;
        };
        match sample.get_index(&self.header, i) {
            Some(Some(Ok(SampleValue::Genotype(g)))) => {
                let alleles: Vec<_> = g.iter().collect();
                alleles.iter().all(|a| matches!(a, Ok((None, _))))
            }
            // `.` alone: the whole sample missing.
            Some(None) | None => true,
            _ => false,
        }
    }

    fn tumour_alleles(&self, n_alts: usize, alts: &[&str]) -> Result<Vec<Option<bool>>, String> {
        let Some((t, name)) = &self.tumour else {
            return Ok(vec![None; n_alts]);
        };
        let samples = self.record.samples();
        let keys: Vec<&str> = samples.keys().iter().collect();
        let Some(sample) = samples.get_index(*t) else {
            return Err(format!("no column for sample {name}"));
        };
        let value = |key: &str| {
            keys.iter()
                .position(|k| *k == key)
                .map(|i| sample.get_index(&self.header, i))
        };
        match value("GT") {
            Some(None | Some(None)) => return Ok(vec![Some(false); n_alts]),
            Some(Some(Some(Err(e)))) => return Err(format!("{name} GT: {e}")),
            Some(Some(Some(Ok(SampleValue::Genotype(g))))) => {
                let mut set = vec![Some(false); n_alts];
                for allele in g.iter() {
                    let (i, _) = allele.map_err(|e| format!("{name} GT is not a genotype: {e}"))?;
                    match i {
                        Some(i) if i > n_alts => {
                            return Err(format!(
                                "{name} GT names allele {i} but the record has {n_alts} ALT"
                            ));
                        }
                        Some(i) if i > 0 => set[i - 1] = Some(true),
                        _ => {}
                    }
                }
                return Ok(set);
            }
            Some(Some(Some(Ok(_)))) => return Err(format!("{name} GT is not a genotype")),
            None => {}
        }
        // No GT key: allele depths, then Strelka's tier-1 counts.
        let count = |key: &str, idx: usize| -> Option<i32> {
            match value(key)?? {
                Some(Ok(SampleValue::Array(SampleArray::Integer(v)))) => v.iter().nth(idx)?.ok()?,
                Some(Ok(SampleValue::Integer(n))) if idx == 0 => Some(n),
                _ => None,
            }
        };
        Ok(alts
            .iter()
            .enumerate()
            .map(|(k, alt)| {
                let strelka = if alt.len() == 1 && bases(alt) {
                    format!("{}U", alt.to_ascii_uppercase())
                } else {
                    "TIR".to_string()
                };
                count("AD", k + 1)
                    .or_else(|| count(&strelka, 0))
                    .map(|n| n > 0)
            })
            .collect())
    }
}

/// An annotation that names another gene, or another protein change, than the knowledge base's
/// hotspot at the record's position and alleles: the two disagree, and neither is chosen.
fn check_hotspot_agreement(
    hit: &atcpath_kb::hotspot_positions::PositionHit<'_>,
    annotated: &Annotated,
    chromosome: &str,
    position: Option<u64>,
    reference: &str,
    alt: &str,
) -> Result<(), String> {
    let site = format!(
        "{chromosome}:{} {reference}>{alt}",
        position.map_or_else(|| "?".to_string(), |p| p.to_string())
    );
    if let Some(g) = &annotated.gene
        && !g.eq_ignore_ascii_case(hit.gene)
    {
        return Err(format!(
            "the annotation names gene {g} but {site} is the knowledge base's {} hotspot ({}): \
             the two disagree",
            hit.gene,
            hit.protein.unwrap_or(hit.coding)
        ));
    }
    if let Some(p) = &annotated.protein {
        let expected = hit
            .protein
            .and_then(|h| hgvs::parse_protein(h).ok())
            .map(|h| h.normalized);
        if expected.as_deref() != Some(p.normalized.as_str()) {
            return Err(format!(
                "the annotation gives {} {} but {site} is the knowledge base's {} {}: the two disagree",
                annotated.gene.as_deref().unwrap_or(hit.gene),
                p.normalized,
                hit.gene,
                hit.protein.unwrap_or(hit.coding)
            ));
        }
    }
    Ok(())
}

/// The severity rank of a consequence (lower is more severe; core's VEP order), after every
/// listed term when no term is known (e.g. `TF_binding_site_variant`).
fn so_rank(consequence: &str) -> usize {
    so_severity_rank(consequence).unwrap_or(usize::MAX)
}

/// The annotation of ALT `k` (0-based) from the record's CSQ/ANN entries.
fn annotate(
    layout: &Layout,
    entries: &[String],
    k: usize,
    reference: &str,
    alts: &[&str],
    alt: &str,
    stats: &mut VcfStats,
) -> Annotated {
    let split: Vec<Vec<&str>> = entries.iter().map(|e| e.split('|').collect()).collect();
    let get = |f: &[&str], i: Option<usize>| -> Option<String> {
        i.and_then(|i| f.get(i))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let vep = vep_allele(reference, alts, alt);
    let for_allele: Vec<&Vec<&str>> = split
        .iter()
        .filter(|f| {
            match layout
                .allele_num
                .and_then(|i| f.get(i))
                .and_then(|n| n.trim().parse::<usize>().ok())
            {
                Some(n) => n == k + 1,
                None => get(f, layout.allele)
                    .is_some_and(|a| a.eq_ignore_ascii_case(alt) || a.eq_ignore_ascii_case(&vep)),
            }
        })
        .collect();
    let candidates: Vec<&Vec<&str>> = if for_allele.is_empty() && alts.len() == 1 {
        split.iter().collect()
    } else {
        for_allele
    };
    let with_gene: Vec<&&Vec<&str>> = candidates
        .iter()
        .filter(|f| get(f, Some(layout.gene)).is_some())
        .collect();
    let flag = |f: &[&str], i: Option<usize>, yes: &str| {
        get(f, i).is_some_and(|v| v.eq_ignore_ascii_case(yes))
    };
    // PICK=1 if any; else the most severe consequence, then CANONICAL=YES, then the first.
    let Some(chosen) = with_gene
        .iter()
        .find(|f| flag(f, layout.pick, "1"))
        .or_else(|| {
            with_gene.iter().min_by_key(|f| {
                let severity = get(f, layout.consequence).map_or(usize::MAX, |c| so_rank(&c));
                (severity, !flag(f, layout.canonical, "YES"))
            })
        })
    else {
        return Annotated::default();
    };
    let protein = get(chosen, layout.hgvsp).and_then(|p| {
        let parsed = hgvs_text(&p).and_then(|t| hgvs::parse_protein(&t).ok());
        if parsed.is_none() {
            stats.hgvs_unparsed += 1;
        }
        parsed
    });
    let coding = get(chosen, layout.hgvsc).and_then(|c| {
        let parsed = hgvs_text(&c).and_then(|t| hgvs::parse_coding(&t).ok());
        if parsed.is_none() {
            stats.hgvs_unparsed += 1;
        }
        parsed
    });
    Annotated {
        gene: get(chosen, Some(layout.gene)),
        class: get(chosen, layout.consequence).map(|c| VariantClass::from_so_term(&c)),
        protein,
        coding,
    }
}

/// An error with its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}

impl<R: BufRead> Iterator for VcfReader<'_, R> {
    type Item = Result<VcfCall, FormatError>;

    /// The next call; an `Err` is one malformed line (reading goes on with the next line,
    /// except after an I/O error).
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(c) = self.pending.pop_front() {
                return Some(Ok(c));
            }
            if self.done {
                return None;
            }
            match self.next_line() {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {}
                Err(e) => {
                    self.stats.invalid += 1;
                    return Some(Err(e));
                }
            }
            if let Err(message) = self.read_record() {
                self.stats.invalid += 1;
                return Some(Err(FormatError {
                    line: self.line_no,
                    message,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "##fileformat=VCFv4.2\n";
    const COLS: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT";

    fn kb() -> Kb {
        Kb::embedded().unwrap()
    }

    fn open<'k>(kb: &'k Kb, text: &'k str, build: Option<&str>) -> VcfReader<'k, &'k [u8]> {
        VcfReader::new(
            text.as_bytes(),
            kb,
            VcfOptions {
                file: "t.vcf",
                build,
                tumour_sample: None,
            },
        )
        .unwrap()
    }

    fn read(kb: &Kb, text: &str, build: Option<&str>) -> (Vec<VcfCall>, VcfStats, Vec<String>) {
        let mut r = open(kb, text, build);
        let calls = r.by_ref().map(|c| c.unwrap()).collect();
        (calls, r.stats(), r.warnings().to_vec())
    }

    fn variant(c: &VcfCall) -> (&str, Option<&str>, Option<&str>, Option<VariantClass>) {
        match &c.sourced.finding {
            Finding::Variant {
                gene,
                protein,
                coding,
                class,
                ..
            } => (
                gene.as_str(),
                protein.as_ref().map(|p| p.normalized.as_str()),
                coding.as_ref().map(|p| p.normalized.as_str()),
                *class,
            ),
            other => panic!("{other:?}"),
        }
    }

    fn err(kb: &Kb, text: &str) -> FormatError {
        match VcfReader::new(text.as_bytes(), kb, VcfOptions::default()) {
            Ok(mut r) => r.find_map(Result::err).expect("an error from the records"),
            Err(e) => e,
        }
    }

    #[test]
    fn vep_csq_canonical_entry_per_allele_and_filters_kept() {
        let kb = kb();
        let text = format!(
            "{HEAD}##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|HGVSc|HGVSp|CANONICAL\">\n{COLS}\tNORMAL\tTUMOR\n\
7\t140453136\t.\tA\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|BRAF|ENSG1|Transcript|ENST2|protein_coding|ENST2:c.1406T>A|ENSP2:p.Val469Glu|,T|missense_variant|MODERATE|BRAF|ENSG1|Transcript|ENST00000288602|protein_coding|ENST00000288602.6:c.1799T>A|ENSP00000288602.6:p.Val600Glu|YES\tGT\t0/0\t0/1\n\
17\t7579312\t.\tC\tA,T\t.\tLowQual;strand_bias\tCSQ=A|splice_region_variant&synonymous_variant|LOW|TP53|x|Transcript|y|protein_coding|ENST1:c.375G>T|ENSP1:p.Thr125%3D|YES,T|stop_gained|HIGH|TP53|x|Transcript|y|protein_coding|ENST1:c.375G>A|ENSP1:p.Thr125Ter|YES\tGT\t0/0\t1/2\n\
2\t220439700\t.\tG\tGCT\t.\t.\tCSQ=CT|frameshift_variant|HIGH|INHA|x|Transcript|y|protein_coding|ENST3:c.562_563dup|ENSP3:p.Leu189CysfsTer2|YES\tGT\t0/0\t0/1\n"
        );
        let (calls, stats, _) = read(&kb, &text, None);
        assert_eq!(calls.len(), 4);
        assert_eq!(
            variant(&calls[0]),
            (
                "BRAF",
                Some("p.Val600Glu"),
                Some("c.1799T>A"),
                Some(VariantClass::Missense)
            )
        );
        assert_eq!(
            (calls[0].origin, &calls[0].filter, calls[0].sourced.line),
            (Origin::VepCsq, &Filter::Pass, 4)
        );
        assert_eq!(calls[0].sourced.sample.as_deref(), Some("TUMOR"));
        // %3D is `=`; the most severe consequence wins; each ALT gets its own entry.
        assert_eq!(
            variant(&calls[1]),
            (
                "TP53",
                Some("p.Thr125="),
                Some("c.375G>T"),
                Some(VariantClass::Other)
            )
        );
        assert_eq!(
            variant(&calls[2]).1,
            Some("p.Thr125Ter"),
            "second ALT, second entry"
        );
        assert_eq!(
            calls[1].filter,
            Filter::Failed(vec!["LowQual".into(), "strand_bias".into()])
        );
        // VEP writes the inserted bases without the anchor (`CT`).
        assert_eq!(variant(&calls[3]).0, "INHA");
        assert_eq!(calls[3].filter, Filter::Missing);
        assert_eq!(
            (stats.findings, stats.filtered, stats.not_in_tumour),
            (4, 2, 0)
        );
        let annotation = atcpath_core::genomics::annotate_variant(
            &kb,
            &atcpath_core::genomics::VariantQuery {
                gene: "BRAF",
                protein: hgvs::parse_protein("p.Val600Glu").ok(),
                ..Default::default()
            },
        );
        assert_eq!(annotation.highest_level.as_deref(), Some("LEVEL_1"));
    }

    const VEP_HEAD: &str = "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Format: Allele|Consequence|SYMBOL|HGVSc|HGVSp|CANONICAL|PICK\">\n";
    const ANN_HEAD: &str = "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p'\">\n";

    #[test]
    fn the_most_severe_entry_wins_over_a_first_canonical_one() {
        let kb = kb();
        for build in [None, Some("GRCh37")] {
            let vep = format!(
                "{HEAD}{VEP_HEAD}{COLS}\tTUMOR\n\
7\t140453136\t.\tA\tT\t.\tPASS\tCSQ=T|downstream_gene_variant|MRPS33|||YES|,T|missense_variant|BRAF|ENST00000288602.6:c.1799T>A|ENSP00000288602.6:p.Val600Glu|YES|\tGT\t0/1\n"
            );
            let snpeff = format!(
                "{HEAD}{ANN_HEAD}{COLS}\tTUMOR\n\
7\t140453136\t.\tA\tT\t.\tPASS\tANN=T|downstream_gene_variant|MODIFIER|MRPS33|MRPS33|transcript|NM_1|protein_coding|||,T|missense_variant|MODERATE|BRAF|BRAF|transcript|NM_004333.4|protein_coding|15/18|c.1799T>A|p.Val600Glu\tGT\t0/1\n"
            );
            for text in [vep, snpeff] {
                let (calls, _, _) = read(&kb, &text, build);
                assert_eq!(calls.len(), 1, "{text}");
                assert_eq!(
                    variant(&calls[0]),
                    (
                        "BRAF",
                        Some("p.Val600Glu"),
                        Some("c.1799T>A"),
                        Some(VariantClass::Missense)
                    ),
                    "{build:?} {text}"
                );
            }
        }
        // Equal severity: CANONICAL=YES, then order; PICK=1 wins over severity.
        let text = format!(
            "{HEAD}{VEP_HEAD}{COLS}\tTUMOR\n\
1\t100\t.\tA\tT\t.\tPASS\tCSQ=T|intron_variant|G1|||YES|,T|missense_variant|G2||p.Val10Glu||,T|missense_variant&splice_region_variant|G3||p.Val11Glu|YES|\tGT\t0/1\n\
1\t200\t.\tA\tT\t.\tPASS\tCSQ=T|missense_variant|G2||p.Val10Glu|||,T|missense_variant|G3||p.Val11Glu|||\tGT\t0/1\n\
1\t300\t.\tA\tT\t.\tPASS\tCSQ=T|stop_gained|G2||p.Val10Ter|YES|,T|intron_variant|G4||||1\tGT\t0/1\n"
        );
        let (calls, _, _) = read(&kb, &text, None);
        let genes: Vec<_> = calls.iter().map(|c| variant(c).0).collect();
        assert_eq!(genes, ["G3", "G2", "G4"]);
    }

    #[test]
    fn unknown_consequences_rank_last() {
        assert_eq!(so_rank("TF_binding_site_variant"), usize::MAX);
        assert_eq!(so_rank("intron_variant&Missense_Variant"), 12);
        assert!(so_rank("stop_gained") < so_rank("missense_variant"));
    }

    #[test]
    fn an_annotation_that_contradicts_a_hotspot_position_is_an_error() {
        let kb = kb();
        let line = |csq: &str| {
            format!(
                "{HEAD}{VEP_HEAD}{COLS}\tTUMOR\n7\t140453136\t.\tA\tT\t.\tPASS\tCSQ={csq}\tGT\t0/1\n"
            )
        };
        for csq in [
            "T|missense_variant|BRAF||p.Val600Lys|YES|",
            "T|missense_variant|TP53||p.Val600Glu|YES|",
            "T|missense_variant|TP53|||YES|",
        ] {
            let text = line(csq);
            let mut r = open(&kb, &text, Some("GRCh37"));
            let e = r.next().and_then(Result::err);
            assert!(
                e.as_ref()
                    .is_some_and(|e| e.line == 4 && e.message.contains("disagree")),
                "{csq}: {e:?}"
            );
            // Without a build there is no hotspot to disagree with.
            let (calls, _, _) = read(&kb, &text, None);
            assert_eq!(calls.len(), 1);
        }
        // Agreement, in either notation, or a gene without a change, is fine.
        for csq in [
            "T|missense_variant|BRAF||p.Val600Glu|YES|",
            "T|missense_variant|BRAF||p.(V600E)|YES|",
            "T|missense_variant|braf|||YES|",
        ] {
            let (calls, _, _) = read(&kb, &line(csq), Some("GRCh37"));
            assert_eq!(variant(&calls[0]).0.to_ascii_uppercase(), "BRAF", "{csq}");
        }
    }

    #[test]
    fn allele_num_and_pick_choose_the_entry() {
        let kb = kb();
        let text = format!(
            "{HEAD}##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Format: Allele|Consequence|SYMBOL|HGVSp|PICK|ALLELE_NUM\">\n{COLS}\tTUMOR\n\
12\t25398284\t.\tC\tT,A\t.\tPASS\tCSQ=T|missense_variant|KRAS|p.Gly12Asp||1,A|missense_variant|KRAS|p.Gly12Cys||2,A|missense_variant|KRAS|p.Gly12Val|1|2\tGT\t1/2\n"
        );
        let (calls, _, _) = read(&kb, &text, None);
        let proteins: Vec<_> = calls.iter().map(|c| variant(c).1).collect();
        assert_eq!(proteins, [Some("p.Gly12Asp"), Some("p.Gly12Val")]);
    }

    #[test]
    fn snpeff_ann_and_tert_promoter() {
        let kb = kb();
        let text = format!(
            "{HEAD}##reference=file:///ref/GRCh37/human_g1k_v37.fasta\n##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">\n{COLS}\tNORMAL\tTUMOR\n\
5\t1295228\t.\tG\tA\t.\tPASS\tANN=A|upstream_gene_variant|MODIFIER|TERT|TERT|transcript|NM_198253.2|protein_coding||c.-124C>T|||||124|\tGT\t0/0\t0/1\n"
        );
        let mut r = open(&kb, &text, None);
        assert_eq!(
            (r.build(), r.annotation()),
            (Some("GRCh37"), Some(Origin::SnpEffAnn))
        );
        let c = r.next().unwrap().unwrap();
        assert_eq!(
            variant(&c),
            (
                "TERT",
                None,
                Some("c.-124C>T"),
                Some(VariantClass::Promoter)
            )
        );
        assert_eq!(c.origin, Origin::SnpEffAnn);
        let Finding::Variant { coding, .. } = &c.sourced.finding else {
            unreachable!()
        };
        let a = atcpath_core::genomics::annotate_variant(
            &kb,
            &atcpath_core::genomics::VariantQuery {
                gene: "TERT",
                coding: coding.clone(),
                ..Default::default()
            },
        );
        assert_eq!(
            (a.alteration.as_deref(), a.name.as_deref()),
            (Some("tert_promoter"), Some("C228T"))
        );
    }

    #[test]
    fn hotspots_by_position_need_a_build() {
        let kb = kb();
        let text = format!(
            "{HEAD}{COLS}\tTUMOR\tNORMAL\n\
chr12\t25245350\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\t0/0\n\
3\t179234297\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t0/0\n\
5\t1295135\t.\tG\tA\t.\tPASS\t.\tGT\t0/1\t0/0\n\
3\t179234297\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\t0/0\n"
        );
        let (calls, stats, warnings) = read(&kb, &text, None);
        assert!(calls.is_empty() && stats.no_gene == 4);
        assert!(warnings[0].contains("build unknown"), "{warnings:?}");
        let (calls, stats, _) = read(&kb, &text, Some("hg38"));
        let got: Vec<_> = calls.iter().map(variant).collect();
        assert_eq!(
            got,
            [
                (
                    "KRAS",
                    Some("p.Gly12Asp"),
                    Some("c.35G>A"),
                    Some(VariantClass::Missense)
                ),
                (
                    "PIK3CA",
                    Some("p.His1047Arg"),
                    Some("c.3140A>G"),
                    Some(VariantClass::Missense)
                ),
                (
                    "TERT",
                    None,
                    Some("c.-146C>T"),
                    Some(VariantClass::Promoter)
                ),
            ]
        );
        assert_eq!(
            (stats.no_gene, calls[0].origin),
            (1, Origin::HotspotPosition)
        );
        let Finding::Variant {
            build, chromosome, ..
        } = &calls[0].sourced.finding
        else {
            unreachable!()
        };
        assert_eq!(
            (build.as_deref(), chromosome.as_deref()),
            (Some("GRCh38"), Some("12"))
        );
    }

    #[test]
    fn genotypes_decide_what_the_tumour_carries() {
        let kb = kb();
        let text = format!(
            "{HEAD}##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"d\">\n##FORMAT=<ID=TU,Number=2,Type=Integer,Description=\"t\">\n{COLS}\tNORMAL\tTUMOR\n\
7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t0/0\n\
7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0\t1\n\
7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT:AD\t0/0:10,0\t0|1:5,5\n\
7\t140453136\t.\tA\tT\t.\tPASS\t.\tAD\t10,0\t5,0\n\
7\t140453136\t.\tA\tT\t.\tPASS\t.\tAD\t10,0\t5,3\n\
7\t140453136\t.\tA\tT\t.\tPASS\t.\tTU\t0,0\t191,195\n\
7\t140453136\t.\tA\tT\t.\tPASS\t.\tDP\t10\t12\n\
7\t140453136\t.\tA\tT,<NON_REF>\t.\tPASS\t.\tTU\t0,0\t5,5\n"
        );
        let (calls, stats, _) = read(&kb, &text, Some("GRCh37"));
        let lines: Vec<_> = calls.iter().map(|c| c.sourced.line).collect();
        assert_eq!(lines, [6, 7, 9, 10, 11, 12]);
        assert_eq!((stats.not_in_tumour, stats.without_genotype), (2, 1));
        // A tumour no-call at a hotspot cannot tell: an error, never "not carried".
        for gt in ["./.", "."] {
            let e = err(
                &kb,
                &format!(
                    "{HEAD}##reference=GRCh37\n{COLS}\tNORMAL\tTUMOR\n7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t{gt}\n"
                ),
            );
            assert!(e.line == 4 && e.message.contains("no-call"), "{gt}: {e}");
        }
        let e = err(
            &kb,
            &format!("{HEAD}{COLS}\tTUMOR\n7\t1\t.\tA\tT\t.\t.\t.\tGT\t0/2\n"),
        );
        assert!(e.line == 3 && e.message.contains("allele 2"), "{e}");
        let e = err(
            &kb,
            &format!("{HEAD}{COLS}\tTUMOR\n7\t1\t.\tA\tT\t.\t.\t.\tGT\tx/y\n"),
        );
        assert!(e.line == 3 && e.message.contains("GT"), "{e}");
    }

    #[test]
    fn non_point_alleles_are_counted_not_errors() {
        let kb = kb();
        let text = format!(
            "{HEAD}{COLS}\tTUMOR\n\
1\t10\t.\tA\t<*>\t.\t.\t.\tGT\t0/1\n\
1\t11\t.\tA\t<NON_REF>\t.\t.\t.\tGT\t0/1\n\
1\t12\t.\tA\t*\t.\t.\t.\tGT\t0/1\n\
1\t13\t.\tA\t<DEL>\t.\t.\t.\tGT\t0/1\n\
1\t14\t.\tA\t]15:80623247]C\t.\t.\t.\tGT\t0/1\n\
1\t15\t.\tA\tA.\t.\t.\t.\tGT\t0/1\n\
1\t16\t.\tA\t.\t.\t.\t.\tGT\t0/0\n\
1\t17\t.\tA\tT,<*>\t.\t.\t.\tGT\t0/1\n\
2\t18\t.\tG\tA/T\t.\t.\t.\tGT\t0/1\n"
        );
        let (calls, stats, warnings) = read(&kb, &text, Some("GRCh37"));
        assert!(calls.is_empty());
        assert_eq!(
            (stats.records, stats.alleles, stats.no_alt, stats.not_point),
            (9, 9, 1, 7)
        );
        assert_eq!(
            (stats.allele_lists, stats.no_gene, stats.invalid),
            (1, 1, 0)
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("line 11: ALT \"A/T\"")),
            "{warnings:?}"
        );
    }

    #[test]
    fn empty_info_column_is_read_as_missing() {
        let kb = kb();
        let text =
            format!("{HEAD}{COLS}\tTUMOR\tNORMAL\n5\t1295113\t.\tG\tA\t.\t.\t\tGT\t0/1\t0/0\n");
        let (calls, _, _) = read(&kb, &text, Some("GRCh38"));
        assert_eq!(variant(&calls[0]).2, Some("c.-124C>T"));
    }

    #[test]
    fn build_from_the_header_or_the_caller_never_guessed() {
        let kb = kb();
        let with = |h: &str| format!("{HEAD}{h}{COLS}\tTUMOR\n");
        for (h, b) in [
            ("##reference=/data/b37/b37.fasta\n", Some("GRCh37")),
            ("##reference=HG19\n", Some("GRCh37")),
            ("##assembly=GRCh38\n", Some("GRCh38")),
            ("##contig=<ID=chr1,length=248956422>\n", Some("GRCh38")),
            ("##contig=<ID=21,length=48129895>\n", Some("GRCh37")),
            ("##contig=<ID=1,length=1000>\n", None),
            ("##reference=file:/x/universal_reference.fa\n", None),
        ] {
            let t = with(h);
            assert_eq!(open(&kb, &t, None).build(), b, "{h}");
        }
        let t = with("##reference=hg19\n##contig=<ID=1,length=248956422>\n");
        let r = open(&kb, &t, None);
        assert_eq!(r.build(), None);
        assert!(r.warnings()[0].contains("both GRCh37 and GRCh38"));
        assert_eq!(open(&kb, &t, Some("GRCh38")).build(), Some("GRCh38"));
        let t = with("##reference=hg19\n");
        let e = VcfReader::new(
            t.as_bytes(),
            &kb,
            VcfOptions {
                build: Some("hg38"),
                ..Default::default()
            },
        )
        .err()
        .unwrap();
        assert!(
            e.line == 3 && e.message.contains("header says GRCh37"),
            "{e}"
        );
        let e = VcfReader::new(
            t.as_bytes(),
            &kb,
            VcfOptions {
                build: Some("GRCh36"),
                ..Default::default()
            },
        )
        .err()
        .unwrap();
        assert!(e.message.contains("not known"), "{e}");
        assert_eq!(build_named("Homo_sapiens_assembly38.fasta"), Some("GRCh38"));
        assert_eq!(build_named("GRCh37 lifted to GRCh38"), None);
        assert_eq!(build_named("hg190"), None);
    }

    #[test]
    fn tumour_column_by_name_header_or_caller() {
        let names = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let pick = |s: &[&str], given, t, n| pick_tumour(&names(s), given, t, n);
        assert_eq!(pick(&["NORMAL", "TUMOR"], None, None, None), Ok(Some(1)));
        assert_eq!(pick(&["TUMOR", "NORMAL"], None, None, None), Ok(Some(0)));
        assert_eq!(
            pick(&["DNA_NORMAL", "DNA_TUMOR", "RNA_TUMOR"], None, None, None),
            Ok(Some(1))
        );
        assert_eq!(
            pick(&["s1_normal", "S1_Tumour"], None, None, None),
            Ok(Some(1))
        );
        assert_eq!(pick(&["blood_NORMAL", "X"], None, None, None), Ok(Some(1)));
        assert_eq!(pick(&["A", "B"], None, Some("B"), None), Ok(Some(1)));
        assert_eq!(pick(&["A", "B"], None, None, Some("B")), Ok(Some(0)));
        assert_eq!(pick(&["A", "B"], Some("a"), None, None), Ok(Some(0)));
        assert_eq!(pick(&["S1"], None, None, None), Ok(Some(0)));
        assert_eq!(pick(&[], None, None, None), Ok(None));
        assert!(
            pick(&["A", "B"], None, None, None)
                .unwrap_err()
                .contains("cannot tell")
        );
        assert!(pick(&["T1_TUMOR", "T2_TUMOR"], None, None, None).is_err());
        assert!(pick(&["A", "B"], Some("C"), None, None).is_err());
        assert!(pick(&["A", "B"], None, Some("C"), None).is_err());
        let kb = kb();
        let t = format!("{HEAD}##tumor_sample=S2\n{COLS}\tS1\tS2\n");
        assert_eq!(open(&kb, &t, None).tumour_sample(), Some("S2"));
        let t = format!("{HEAD}{COLS}\tS1\tS2\n");
        let e = VcfReader::new(t.as_bytes(), &kb, VcfOptions::default())
            .err()
            .unwrap();
        assert!(e.line == 2 && e.message.contains("cannot tell"), "{e}");
    }

    #[test]
    fn sites_only_files_are_read_with_a_warning() {
        let kb = kb();
        let text = format!(
            "{HEAD}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n7\t140453136\t.\tA\tT\t.\tPASS\t.\n"
        );
        let (calls, _, warnings) = read(&kb, &text, Some("GRCh37"));
        assert_eq!((calls.len(), calls[0].sourced.sample.as_deref()), (1, None));
        assert!(warnings.iter().any(|w| w.contains("sites-only")));
    }

    #[test]
    fn malformed_input_is_an_error_with_its_line_and_reading_goes_on() {
        let kb = kb();
        for (text, line, says) in [
            (String::new(), 1, "empty"),
            ("#CHROM\tPOS\n".to_string(), 1, "VCF header"),
            (
                format!("{HEAD}##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">\n"),
                3,
                "without a #CHROM",
            ),
            (
                format!("{HEAD}1\t2\t.\tA\tT\t.\t.\t.\n{COLS}\n"),
                2,
                "before the #CHROM",
            ),
            (
                format!("{HEAD}##INFO=<ID=DP,Number=1>\n{COLS}\n"),
                2,
                "VCF header",
            ),
            (
                format!("{HEAD}{COLS}\tTUMOR\n1\t2\t.\tA\tT\t.\t.\t.\tGT\n"),
                3,
                "9 columns where the header has 10",
            ),
            (
                format!("{HEAD}{COLS}\tTUMOR\n1\tx2\t.\tA\tT\t.\t.\t.\tGT\t0/1\n"),
                3,
                "POS \"x2\"",
            ),
            (
                format!("{HEAD}{COLS}\tTUMOR\n1\t2\t.\tR\tT\t.\t.\t.\tGT\t0/1\n"),
                3,
                "REF",
            ),
            (
                format!("{HEAD}{COLS}\tTUMOR\n1\t2\t.\tA\tQ\t.\t.\t.\tGT\t0/1\n"),
                3,
                "ALT allele",
            ),
            (
                format!("{HEAD}{COLS}\tTUMOR\n1\t\t.\tA\tT\t.\t.\t.\tGT\t0/1\n"),
                3,
                "empty POS",
            ),
        ] {
            let e = err(&kb, &text);
            assert!(e.line == line && e.message.contains(says), "{text:?}: {e}");
        }
        let text = format!(
            "{HEAD}{COLS}\tTUMOR\r\n7\tx\t.\tA\tT\t.\t.\t.\tGT\t0/1\r\n\r\n#comment\n7\t140453136\t.\tA\tT\t.\t.\t.\tGT\t0/1\r\n"
        );
        let mut r = open(&kb, &text, Some("GRCh37"));
        assert_eq!(r.next().unwrap().unwrap_err().line, 3);
        assert_eq!(r.next().unwrap().unwrap().sourced.line, 6);
        assert!(r.next().is_none());
        assert_eq!((r.stats().invalid, r.stats().records), (1, 1));
    }

    #[test]
    fn so_terms_and_vep_alleles() {
        assert_eq!(vep_allele("G", &["GCT"], "GCT"), "CT");
        assert_eq!(vep_allele("TA", &["T"], "T"), "-");
        assert_eq!(vep_allele("GAAGA", &["G", "GGA"], "GGA"), "GA");
        assert_eq!(vep_allele("G", &["A"], "A"), "A");
        assert_eq!(vep_allele("G", &["GA", "T"], "GA"), "GA");
        assert_eq!(
            hgvs_text("ENSP00000269305.4:p.Thr125%3D").as_deref(),
            Some("p.Thr125=")
        );
        assert_eq!(hgvs_text(" ").as_deref(), None);
    }

    #[test]
    fn an_allele_with_context_is_trimmed_before_the_hotspot_lookup() {
        let kb = kb();
        // BRAF V600E on GRCh38 written with the preceding base (plus strand C at 140753335).
        let text = format!("{HEAD}{COLS}\tTUMOR\n7\t140753335\t.\tCA\tCT\t.\tPASS\t.\tGT\t0/1\n");
        let (calls, _, _) = read(&kb, &text, Some("GRCh38"));
        assert_eq!(calls.len(), 1);
        assert_eq!(variant(&calls[0]).1, Some("p.Val600Glu"));
        assert_eq!(
            atcpath_kb::hotspot_positions::trim_alleles(10, "CAG", "CTG"),
            (11, "A", "T")
        );
        assert_eq!(
            atcpath_kb::hotspot_positions::trim_alleles(10, "CA", "C"),
            (10, "CA", "C"),
            "an indel keeps its anchor base"
        );
    }

    #[test]
    fn a_position_of_the_other_build_or_a_wrong_ref_at_a_hotspot_is_an_error() {
        let kb = kb();
        let open_err = |body: &str, build: &str| {
            let text = format!("{HEAD}{COLS}\tTUMOR\n{body}");
            let mut r = open(&kb, &text, Some(build));
            r.find_map(Result::err).expect("an error").to_string()
        };
        let e = open_err("7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n", "GRCh38");
        assert!(
            e.contains("GRCh37 position of BRAF") && e.contains("is the file GRCh37?"),
            "{e}"
        );
        let e = open_err("7\t140753336\t.\tG\tT\t.\tPASS\t.\tGT\t0/1\n", "GRCh38");
        assert!(
            e.contains("REF G") && e.contains("reference base A") && e.contains("GRCh37?"),
            "{e}"
        );
        // The build from the header alike.
        let text = format!(
            "{HEAD}##reference=GRCh38\n{COLS}\tTUMOR\n7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n"
        );
        let e = err(&kb, &text);
        assert!(
            e.line == 4 && e.message.contains("is the file GRCh37?"),
            "{e:?}"
        );
        // The right build reads the call.
        let text = format!("{HEAD}{COLS}\tTUMOR\n7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n");
        assert_eq!(read(&kb, &text, Some("GRCh37")).0.len(), 1);
    }
}
