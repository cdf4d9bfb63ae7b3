//! `atcpath annotate` on the oncokb-annotator example MAFs (GRCh37 and GRCh38) and on bad rows.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/oncokb-annotator")
        .join(name)
}

fn annotate(maf: &Path, extra: &[&str]) -> (Option<i32>, String, Vec<Vec<String>>) {
    let out = std::env::temp_dir().join(format!(
        "atcpath-ann-{}-{}",
        std::process::id(),
        maf.file_name().unwrap().to_string_lossy()
    ));
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args([
            "annotate",
            "--maf",
            maf.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap();
    let rows = std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    let _ = std::fs::remove_file(&out);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into(),
        rows,
    )
}

fn by_gene<'a>(rows: &'a [Vec<String>], gene: &str) -> Vec<&'a Vec<String>> {
    let g = rows[0].iter().position(|h| h == "Hugo_Symbol").unwrap();
    rows.iter().skip(1).filter(|r| r[g] == gene).collect()
}

#[test]
fn grch37_example_gets_levels_and_keeps_every_input_column() {
    let (code, err, rows) = annotate(&fixture("example_maf.txt"), &[]);
    assert_eq!(code, Some(0), "{err}");
    let h = &rows[0];
    assert_eq!(h.len(), 13 + 10, "13 input columns and 10 added");
    assert_eq!(
        &h[13..],
        [
            "ONCOGENIC",
            "HIGHEST_LEVEL",
            "LEVEL_1",
            "LEVEL_2",
            "LEVEL_3A",
            "LEVEL_3B",
            "LEVEL_4",
            "LEVEL_R1",
            "ATC_OPTIONS",
            "KB_VERSION"
        ]
    );
    assert_eq!(
        rows.len(),
        1 + 17,
        "every row kept, including the one with 8 empty trailing fields"
    );
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let tert = by_gene(&rows, "TERT");
    assert_eq!(
        tert[0][col("ONCOGENIC")],
        "Oncogenic",
        "TERT promoter found by GRCh37 position 5:1295228"
    );
    let pik3ca = by_gene(&rows, "PIK3CA");
    assert_eq!(pik3ca[0][col("HIGHEST_LEVEL")], "LEVEL_3B");
    let nf1 = by_gene(&rows, "NF1");
    assert_eq!(
        nf1[0][col("HIGHEST_LEVEL")],
        "LEVEL_4",
        "splice site: truncating"
    );
    let cul1 = by_gene(&rows, "CUL1");
    assert_eq!(cul1[0][col("ONCOGENIC")], "Unknown");
    assert!(
        rows.iter()
            .skip(1)
            .all(|r| r[col("KB_VERSION")] == rows[1][col("KB_VERSION")]
                && !r[col("KB_VERSION")].is_empty())
    );
}

#[test]
fn grch38_example_is_read_too() {
    let (code, err, rows) = annotate(&fixture("example_maf_grch38.txt"), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows.len(), 1 + 14);
}

#[test]
fn a_malformed_row_names_the_line_unless_skipped() {
    let dir = std::env::temp_dir().join(format!("atcpath-ann-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.maf");
    std::fs::write(&f, "#version 2.4\nHugo_Symbol\tHGVSp_Short\tStart_Position\nBRAF\tp.V600E\t140453136\nKRAS\tp.G12D\nNRAS\tp.Q61R\tabc\nBRAF\tp.V600E\t1\n").unwrap();
    let (code, err, _) = annotate(&f, &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("line 4") && err.contains("2 fields where the header has 3"),
        "{err}"
    );
    let (code, err, rows) = annotate(&f, &["--skip-invalid"]);
    assert_eq!(code, Some(0));
    assert!(err.contains("2 malformed rows skipped"), "{err}");
    assert_eq!(rows.len(), 1 + 2);
    assert_eq!(rows[1][4], "LEVEL_1", "BRAF V600E");
}
