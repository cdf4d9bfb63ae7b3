//! The MAF part of `atcpath annotate`: streams the MAF and writes it back with the added
//! columns. Constant memory in the file's size.

use std::io::Write;
use std::path::Path;

use atcpath_core::genomics::{VariantClass, VariantQuery, annotate_variant, maf_protein};
use atcpath_formats::maf::MafReader;
use atcpath_kb::Kb;

use super::ADDED;
use crate::{Fail, invalid, other};

/// Annotates one MAF; returns the summary line(s) to print.
///
/// Speed: rows are written back byte for byte with the added columns appended; the added
/// columns of a (gene, protein, class, position) key are computed once and reused, and a gene the
/// knowledge base does not know gets them without parsing.
pub fn run(maf_path: &Path, out_path: &Path, skip_invalid: bool, kb: &Kb) -> Result<String, Fail> {
    let shown = maf_path.display().to_string();
    let file =
        std::fs::File::open(maf_path).map_err(|e| other(format!("{shown}: cannot read: {e}")))?;
    let mut maf = MafReader::new(std::io::BufReader::with_capacity(4 << 20, file))
        .map_err(|e| invalid(format!("{shown}: {e}")))?;
    let out = std::fs::File::create(out_path)
        .map_err(|e| other(format!("{}: cannot write: {e}", out_path.display())))?;
    let mut w = std::io::BufWriter::with_capacity(4 << 20, out);
    let werr = |e: std::io::Error| other(format!("{}: {e}", out_path.display()));
    let c = maf.columns();
    let mut head = maf.header().to_vec();
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
    let used = [
        Some(c.gene),
        c.hgvsp_short,
        c.hgvsp,
        c.classification,
        c.build,
        c.chromosome,
        c.start,
    ];
    let mut key: Vec<u8> = Vec::with_capacity(128);
    loop {
        let row = match maf.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(_) if skip_invalid => {
                skipped += 1;
                continue;
            }
            Err(e) => {
                return Err(invalid(format!(
                    "{shown}: {e} (use --skip-invalid to skip and count such rows)"
                )));
            }
        };
        rows += 1;
        w.write_all(row.raw()).map_err(werr)?;
        if !known.contains(row.bytes(Some(c.gene))) {
            w.write_all(unknown_suffix.as_bytes()).map_err(werr)?;
            continue;
        }
        key.clear();
        for i in used {
            key.extend_from_slice(row.bytes(i));
            key.push(0);
        }
        let (suffix, hit) = match cache.get(key.as_slice()) {
            Some(v) => v,
            None => {
                let protein = row
                    .get(c.hgvsp_short)
                    .and_then(maf_protein)
                    .or_else(|| row.get(c.hgvsp).and_then(maf_protein));
                let q = VariantQuery {
                    gene: row.get(Some(c.gene)).unwrap_or_default(),
                    protein,
                    coding: None,
                    class: row.get(c.classification).map(VariantClass::from_maf),
                    build: row.get(c.build),
                    chromosome: row.get(c.chromosome),
                    position: row.get(c.start).and_then(|p| p.parse().ok()),
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
        out_path.display()
    );
    if skipped > 0 {
        summary.push_str(&format!("{skipped} malformed rows skipped\n"));
        eprintln!("warning: {skipped} malformed rows skipped in {shown}");
    }
    Ok(summary)
}
