//! Any bytes through the case reader, and every accepted case through the whole pathway:
//! neither may panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static KB: OnceLock<atcpath_kb::Kb> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(|| atcpath_kb::Kb::embedded().expect("embedded KB"));
    if let Ok(case) = atcpath_core::case::read_case(data, kb, None) {
        let config = atcpath_core::Config::from_kb(kb);
        let _ = atcpath_core::assess(&case, kb, &config);
    }
});
