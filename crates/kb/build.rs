//! Converts the knowledge-base TOML files to JSON at build time, so that the binary parses its
//! embedded knowledge base with the faster JSON parser (about 5x faster than TOML here).
//! Validation still happens when the knowledge base is loaded; a TOML syntax error fails the build.

use std::path::Path;

fn main() {
    let kb = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    println!("cargo:rerun-if-changed={}", kb.display());
    for entry in std::fs::read_dir(&kb).expect("kb/ folder is readable") {
        let path = entry.expect("kb/ entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("kb file is UTF-8");
        let value: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = serde_json::to_string(&value).expect("TOML values convert to JSON");
        let name = path.file_name().expect("file name").to_string_lossy();
        std::fs::write(Path::new(&out).join(format!("{name}.json")), json)
            .expect("OUT_DIR is writable");
    }
}
