//! Any bytes as a MAF; every row read is annotated: neither may panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static KB: OnceLock<atcpath_kb::Kb> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(|| atcpath_kb::Kb::embedded().expect("embedded KB"));
    let Ok(mut maf) = atcpath_formats::maf::MafReader::new(data) else { return };
    let c = maf.columns();
    for _ in 0..10_000 {
        match maf.next_row() {
            Ok(Some(row)) => {
                let q = atcpath_core::genomics::VariantQuery {
                    gene: row.get(Some(c.gene)).unwrap_or_default(),
                    protein: row.get(c.hgvsp_short).and_then(atcpath_core::genomics::maf_protein),
                    coding: None,
                    class: row.get(c.classification).map(atcpath_core::genomics::VariantClass::from_maf),
                    build: row.get(c.build),
                    chromosome: row.get(c.chromosome),
                    position: row.get(c.start).and_then(|p| p.parse().ok()),
                    alleles: row.get(c.reference).zip(row.get(c.alt)),
                };
                let _ = atcpath_core::genomics::annotate_variant(kb, &q);
            }
            Ok(None) => break,
            Err(_) => continue,
        }
    }
});
