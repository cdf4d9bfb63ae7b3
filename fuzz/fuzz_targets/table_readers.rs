//! Any bytes through the fusion / structural-variant, copy-number, clinical and
//! atypical-alteration readers, each finding annotated: no panic, and reading after an error
//! either goes on or ends (bounded).
#![no_main]

use std::sync::OnceLock;

use atcpath_core::genomics::annotate_finding;
use atcpath_formats::clinical::{AtypicalReader, ClinicalReader};
use atcpath_formats::cna::CnaReader;
use atcpath_formats::sv::SvReader;
use libfuzzer_sys::fuzz_target;

static KB: OnceLock<atcpath_kb::Kb> = OnceLock::new();

/// Rows a reader may yield (an error at each line at most): more means it does not advance.
fn bound(data: &[u8]) -> usize {
    data.iter().filter(|b| **b == b'\n').count() * 64 + 64
}

fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(|| atcpath_kb::Kb::embedded().expect("embedded KB"));
    let max = bound(data);
    if let Ok(mut r) = SvReader::new(data, "f") {
        for _ in 0..max {
            match r.next_finding() {
                Ok(Some(f)) => {
                    let _ = annotate_finding(kb, &f.finding);
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
        let c = r.counts();
        assert!(c.fusions + c.intragenic + c.one_sided == c.rows);
    }
    if let Ok(mut r) = CnaReader::new(data, "f") {
        for _ in 0..max {
            match r.next_finding() {
                Ok(Some(f)) => {
                    let _ = annotate_finding(kb, &f.finding);
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
    }
    if let Ok(mut r) = ClinicalReader::new(data, "f") {
        for _ in 0..max {
            match r.next_row() {
                Ok(Some(row)) => {
                    if let Ok(b) = row.biomarkers(&kb.facts.thresholds) {
                        for f in b.tmb.iter().chain(b.msi.iter()) {
                            let _ = annotate_finding(kb, &f.finding);
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
    }
    if let Ok(mut r) = AtypicalReader::new(data) {
        for _ in 0..max {
            match r.next_row() {
                Ok(Some(row)) => {
                    let _ = row.finding("f");
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
    }
});
