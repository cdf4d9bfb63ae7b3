//! Any bytes as a VCF (with and without a caller build); every call read is annotated: neither
//! may panic, and every ALT allele of a record read without error is accounted for once.
#![no_main]

use std::sync::OnceLock;

use atcpath_core::genomics::finding::Finding;
use atcpath_core::genomics::annotate_finding;
use atcpath_formats::vcf::{VcfOptions, VcfReader};
use libfuzzer_sys::fuzz_target;

static KB: OnceLock<atcpath_kb::Kb> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(|| atcpath_kb::Kb::embedded().expect("embedded KB"));
    // The first byte chooses the caller's build (bits 0-1) and tumour sample (bit 2); the rest is
    // the file. The seeds in seeds_vcf/ start with a digit for that reason.
    let (choice, text) = data.split_first().map_or((0, data), |(c, t)| (*c, t));
    let build = [None, Some("GRCh37"), Some("hg38"), Some("b37")][usize::from(choice & 3)];
    let tumour_sample = (choice & 4 != 0).then_some("TUMOR");
    let options = VcfOptions {
        file: "fuzz.vcf",
        build,
        tumour_sample,
    };
    let Ok(mut vcf) = VcfReader::new(text, kb, options) else {
        return;
    };
    for item in vcf.by_ref().take(10_000) {
        let Ok(call) = item else { continue };
        assert!(
            matches!(call.sourced.finding, Finding::Variant { .. }),
            "a VCF call is always a point variant"
        );
        let _ = annotate_finding(kb, &call.sourced.finding);
    }
    let s = vcf.stats();
    assert_eq!(
        s.alleles,
        s.not_point + s.allele_lists + s.not_in_tumour + s.no_gene + s.findings,
        "{s:?}"
    );
});
