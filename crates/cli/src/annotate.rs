//! `atcpath annotate --maf FILE --out FILE`: streams a MAF and writes it back with
//! oncokb-annotator-style columns (ONCOGENIC, HIGHEST_LEVEL, LEVEL_1 .. LEVEL_4, LEVEL_R1,
//! ATC_OPTIONS, KB_VERSION) from the knowledge base's actionability table. Constant memory in
//! the file's size; a malformed row is an error naming the file and line, or with
//! `--skip-invalid` a counted warning.

use std::io::Write;
use std::path::PathBuf;

use atcpath_core::genomics::{VariantClass, VariantQuery, annotate_variant, maf_protein};
use atcpath_core::survival::design::is_missing;
use atcpath_kb::Kb;
use clap::Args;

use crate::{Fail, invalid, other};

/// Arguments of `atcpath annotate`.
#[derive(Args)]
pub struct AnnotateArgs {
    /// MAF file (tab-separated; GDC or cBioPortal columns, any header case; `#` lines skipped).
    #[arg(long)]
    pub maf: PathBuf,
    /// Output file (tab-separated): the input rows with the added columns.
    #[arg(long)]
    pub out: PathBuf,
    /// Skip malformed rows (counted on standard error) instead of stopping at the first.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// The added columns, in order.
pub const ADDED: [&str; 10] = [
    "ONCOGENIC",
    "HIGHEST_LEVEL",
    "LEVEL_1",
    "LEVEL_2",
    "LEVEL_3A",
    "LEVEL_3B",
    "LEVEL_4",
    "LEVEL_R1",
    "ATC_OPTIONS",
    "KB_VERSION",
];

/// Runs the command; returns the summary to print.
///
/// Speed: lines are split on tabs in place (memchr) and written back byte for byte with the added
/// columns appended; the added columns of a (gene, protein, class, position) key are computed
/// once and reused, and a gene the knowledge base does not know gets them without parsing.
pub fn run(a: AnnotateArgs, kb: &Kb) -> Result<String, Fail> {
    use std::io::BufRead;
    let shown = a.maf.display().to_string();
    let file =
        std::fs::File::open(&a.maf).map_err(|e| other(format!("{shown}: cannot read: {e}")))?;
    let mut reader = std::io::BufReader::with_capacity(4 << 20, file);
    let out = std::fs::File::create(&a.out)
        .map_err(|e| other(format!("{}: cannot write: {e}", a.out.display())))?;
    let mut w = std::io::BufWriter::with_capacity(4 << 20, out);
    let werr = |e: std::io::Error| other(format!("{}: {e}", a.out.display()));
    let rerr = |e: std::io::Error| other(format!("{shown}: {e}"));

    let mut line: Vec<u8> = Vec::with_capacity(4096);
    let mut number = 0usize;
    // Header: the first line that is not a comment.
    let header: Vec<String> = loop {
        line.clear();
        number += 1;
        if reader.read_until(b'\n', &mut line).map_err(rerr)? == 0 {
            return Err(invalid(format!("{shown}: the file is empty (no header)")));
        }
        let l = trim_eol(&line);
        if !l.starts_with(b"#") {
            let text = std::str::from_utf8(l).map_err(|_| {
                invalid(format!("{shown}: line {number}: header is not valid UTF-8"))
            })?;
            break text.split('\t').map(|h| h.trim().to_string()).collect();
        }
    };
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let gene =
        col(&["Hugo_Symbol"]).ok_or_else(|| invalid(format!("{shown}: no Hugo_Symbol column")))?;
    let used = [
        Some(gene),
        col(&["HGVSp_Short"]),
        col(&["HGVSp"]),
        col(&["Variant_Classification"]),
        col(&["NCBI_Build"]),
        col(&["Chromosome"]),
        col(&["Start_Position"]),
    ];
    let mut head = header.clone();
    head.extend(ADDED.iter().map(|s| s.to_string()));
    writeln!(w, "{}", head.join("\t")).map_err(werr)?;

    let version = kb.meta.version.clone();
    let known: std::collections::HashSet<&[u8]> = kb
        .actionability
        .iter()
        .flat_map(|x| x.genes())
        .map(str::as_bytes)
        .collect();
    let unknown_suffix = format!("\tUnknown\t\t\t\t\t\t\t\t\t{version}\n");
    let mut cache: std::collections::HashMap<Vec<u8>, (String, bool)> =
        std::collections::HashMap::new();
    let (mut rows, mut skipped, mut actionable) = (0usize, 0usize, 0usize);
    let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(header.len() + 1);
    let mut key: Vec<u8> = Vec::with_capacity(128);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(rerr)? == 0 {
            break;
        }
        number += 1;
        let l = trim_eol(&line);
        if l.starts_with(b"#") || l.is_empty() {
            continue;
        }
        bounds.clear();
        let mut start = 0;
        for t in memchr::memchr_iter(b'\t', l) {
            bounds.push((start, t));
            start = t + 1;
        }
        bounds.push((start, l.len()));
        let field = |i: Option<usize>| -> &[u8] {
            i.and_then(|i| bounds.get(i))
                .map_or(&[][..], |(s, e)| l[*s..*e].trim_ascii())
        };
        let missing = |b: &[u8]| std::str::from_utf8(b).map_or(true, is_missing);
        let bad = if bounds.len() != header.len() {
            Some(format!(
                "{} fields where the header has {}",
                bounds.len(),
                header.len()
            ))
        } else if missing(field(Some(gene))) {
            Some("Hugo_Symbol is empty".to_string())
        } else if !missing(field(used[6]))
            && std::str::from_utf8(field(used[6]))
                .ok()
                .and_then(|p| p.parse::<u64>().ok())
                .is_none()
        {
            Some(format!(
                "Start_Position {:?} is not a position",
                String::from_utf8_lossy(field(used[6]))
            ))
        } else {
            None
        };
        if let Some(why) = bad {
            if a.skip_invalid {
                skipped += 1;
                continue;
            }
            return Err(invalid(format!(
                "{shown}: line {number}: {why} (use --skip-invalid to skip and count such rows)"
            )));
        }
        rows += 1;
        w.write_all(l).map_err(werr)?;
        let g = field(Some(gene));
        if !known.contains(g) {
            w.write_all(unknown_suffix.as_bytes()).map_err(werr)?;
            continue;
        }
        key.clear();
        for i in used {
            key.extend_from_slice(field(i));
            key.push(0);
        }
        let (suffix, hit) = match cache.get(key.as_slice()) {
            Some(v) => v,
            None => {
                let text = |i: Option<usize>| {
                    std::str::from_utf8(field(i))
                        .ok()
                        .filter(|v| !is_missing(v))
                        .map(str::to_string)
                };
                let protein = text(used[1])
                    .as_deref()
                    .and_then(maf_protein)
                    .or_else(|| text(used[2]).as_deref().and_then(maf_protein));
                let (gname, b, c, p) = (
                    text(Some(gene)).unwrap_or_default(),
                    text(used[4]),
                    text(used[5]),
                    text(used[6]),
                );
                let q = VariantQuery {
                    gene: &gname,
                    protein,
                    coding: None,
                    class: text(used[3]).as_deref().map(VariantClass::from_maf),
                    build: b.as_deref(),
                    chromosome: c.as_deref(),
                    position: p.and_then(|p| p.parse().ok()),
                };
                let ann = annotate_variant(kb, &q);
                let mut cols = vec![
                    String::new(),
                    ann.oncogenic.clone(),
                    ann.highest_level.clone().unwrap_or_default(),
                ];
                for lv in ["1", "2", "3A", "3B", "4", "R1"] {
                    cols.push(ann.levels.get(lv).map(|d| d.join(",")).unwrap_or_default());
                }
                cols.push(
                    ann.options
                        .iter()
                        .map(|o| o.id())
                        .collect::<Vec<_>>()
                        .join(","),
                );
                cols.push(format!("{version}\n"));
                cache
                    .entry(key.clone())
                    .or_insert((cols.join("\t"), ann.highest_level.is_some()))
            }
        };
        if *hit {
            actionable += 1;
        }
        w.write_all(suffix.as_bytes()).map_err(werr)?;
    }
    w.flush().map_err(werr)?;
    let mut summary = format!(
        "{rows} rows annotated, {actionable} with a therapeutic level; written to {}\n",
        a.out.display()
    );
    if skipped > 0 {
        summary.push_str(&format!("{skipped} malformed rows skipped\n"));
        eprintln!("warning: {skipped} malformed rows skipped in {shown}");
    }
    Ok(summary)
}

/// A line without its end of line (LF or CRLF).
fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}
