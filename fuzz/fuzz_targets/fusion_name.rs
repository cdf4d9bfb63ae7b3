//! Any text as a fusion name, then annotated: neither may panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static KB: OnceLock<atcpath_kb::Kb> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(|| atcpath_kb::Kb::embedded().expect("embedded KB"));
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(atcpath_formats::fusions::FusionName::Pair(a, b)) = atcpath_formats::fusions::parse_fusion(text) {
        let _ = atcpath_core::genomics::annotate_fusion(kb, &a, &b);
    }
});
