//! Assessments per second in one process, over every example and published case; and the cost
//! of loading the knowledge base, so that it can be compared with one assessment.
//!
//! Run: `cargo bench -p atcpath-core --bench assess`. Reads ../shared/cases when present.

use std::path::Path;

use atcpath_core::case::read_case;
use atcpath_core::{Config, assess};
use atcpath_kb::Kb;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cases() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in [root.join("examples"), root.join("../shared/cases")] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.to_string_lossy();
            if name.ends_with(".json") && !name.ends_with(".expected.json") {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let kb = Kb::embedded().unwrap();
    let config = Config::from_kb(&kb);
    let cases = cases();
    let mut g = c.benchmark_group("assess");
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.bench_function(format!("read+assess all {} cases", cases.len()), |b| {
        b.iter(|| {
            for bytes in &cases {
                let case = read_case(bytes, &kb, None).unwrap();
                std::hint::black_box(assess(&case, &kb, &config));
            }
        })
    });
    g.finish();
    c.bench_function("load embedded knowledge base", |b| {
        b.iter(|| std::hint::black_box(Kb::embedded().unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
