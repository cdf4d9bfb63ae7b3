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

/// Runs `atcpath annotate` with `args` as given.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("annotate")
        .args(args)
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into())
}

/// A fresh, empty folder for one test.
fn fresh(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("atcpath-ann-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The names in a folder (to see that no temporary or partial file is left).
fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const BRAF_ROW: &str = "Hugo_Symbol\tHGVSp_Short\tStart_Position\nBRAF\tp.V600E\t140453136\n";

#[test]
fn an_output_that_is_the_input_is_refused_by_any_path() {
    let d = fresh("same");
    let f = d.join("in.maf");
    std::fs::write(&f, BRAF_ROW).unwrap();
    // Same path, the same path spelt differently, and a symlink to it.
    let other_spelling = d.join(".").join("in.maf");
    let link = d.join("link.maf");
    std::os::unix::fs::symlink(&f, &link).unwrap();
    for out in [&f, &other_spelling, &link] {
        let (code, err) = run(&["--maf", s(&f), "--out", s(out)]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("would overwrite the input"), "{err}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), BRAF_ROW);
    }
    // A derived output (`<stem>.fusions.txt`) that is the MAF is refused too.
    let fu = d.join("run.fusions.txt");
    std::fs::write(&fu, "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RET\n").unwrap();
    let (code, err) = run(&[
        "--maf",
        s(&f),
        "--fusions",
        s(&fu),
        "--out",
        s(&d.join("run.maf")),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(std::fs::read_to_string(&fu).unwrap().contains("CCDC6-RET"));
    assert!(
        !d.join("run.maf").exists(),
        "nothing written before the refusal"
    );
}

#[test]
fn an_error_leaves_no_partial_output() {
    let d = fresh("partial");
    let f = d.join("bad.maf");
    let mut text = String::from("Hugo_Symbol\tHGVSp_Short\tStart_Position\n");
    for _ in 0..20_000 {
        text.push_str("BRAF\tp.V600E\t140453136\n");
    }
    text.push_str("KRAS\tp.G12D\n");
    std::fs::write(&f, &text).unwrap();
    let out = d.join("out.maf");
    let (code, err) = run(&["--maf", s(&f), "--out", s(&out)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("line 20002"), "{err}");
    assert_eq!(names(&d), ["bad.maf"], "no output nor temporary file left");
    // An error in a later input removes the earlier (MAF) output too.
    let fu = d.join("f.txt");
    std::fs::write(&fu, "Tumor_Sample_Barcode\tFusion\nS1\tRET and CCDC6\n").unwrap();
    let good = d.join("good.maf");
    std::fs::write(&good, BRAF_ROW).unwrap();
    let (code, err) = run(&["--maf", s(&good), "--fusions", s(&fu), "--out", s(&out)]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(names(&d), ["bad.maf", "f.txt", "good.maf"]);
    // An output that exists is kept as it was when the run fails.
    std::fs::write(&out, "previous").unwrap();
    let (code, _) = run(&["--maf", s(&f), "--out", s(&out)]);
    assert_eq!(code, Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
}

#[test]
fn the_output_folder_is_created() {
    let d = fresh("mkdir");
    let f = d.join("in.maf");
    std::fs::write(&f, BRAF_ROW).unwrap();
    let out = d.join("a/b/out.maf");
    let (code, err) = run(&["--maf", s(&f), "--out", s(&out)]);
    assert_eq!(code, Some(0), "{err}");
    assert!(std::fs::read_to_string(&out).unwrap().contains("LEVEL_1"));
    assert_eq!(names(&d.join("a/b")), ["out.maf"]);
}

#[test]
fn an_annotated_input_is_refused() {
    let d = fresh("again");
    let out = d.join("out.maf");
    let (code, err) = run(&[
        "--maf",
        s(&fixture("example_maf_annotated.txt")),
        "--out",
        s(&out),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("already annotated") && err.contains("ONCOGENIC"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_folder_as_input_or_output_is_exit_1() {
    let d = fresh("folder");
    let (code, err) = run(&["--maf", s(&d), "--out", s(&d.join("o.maf"))]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is a directory"), "{err}");
    let f = d.join("in.maf");
    std::fs::write(&f, BRAF_ROW).unwrap();
    let (code, err) = run(&["--maf", s(&f), "--out", s(&d)]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn hgvsc_alone_is_used() {
    let d = fresh("hgvsc");
    let f = d.join("c.maf");
    std::fs::write(
        &f,
        "Hugo_Symbol\tVariant_Classification\tHGVSp_Short\tHGVSc\tTumor_Sample_Barcode\n\
         BRAF\tMissense_Mutation\t\tENST00000288602.6:c.1799T>A\tS1\n\
         TERT\t5'Flank\t\tc.-124C>T\tS1\n\
         BRAF\tMissense_Mutation\t\tc.1798G>A\tS1\n",
    )
    .unwrap();
    let out = d.join("out.maf");
    let (code, err) = run(&["--maf", s(&f), "--out", s(&out)]);
    assert_eq!(code, Some(0), "{err}");
    let rows: Vec<Vec<String>> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    let col = |n: &str| rows[0].iter().position(|h| h == n).unwrap();
    assert_eq!(
        rows[1][col("HIGHEST_LEVEL")],
        "LEVEL_1",
        "BRAF c.1799T>A is V600E"
    );
    assert_eq!(rows[2][col("ONCOGENIC")], "Oncogenic", "TERT c.-124C>T");
    assert_ne!(
        rows[3][col("HIGHEST_LEVEL")],
        "LEVEL_1",
        "another coding change of the same gene is not served from the cache"
    );
}

#[test]
fn a_class_that_contradicts_the_protein_change_is_a_row_error() {
    let d = fresh("class");
    let f = d.join("c.maf");
    std::fs::write(
        &f,
        "Hugo_Symbol\tVariant_Classification\tHGVSp_Short\n\
         BRAF\tMissense_Mutation\tp.V600E\n\
         BRAF\tSilent\tp.V600=\n\
         TTN\tIntron\t\n\
         BRAF\tSilent\tp.V600E\n\
         TTN\tMissense_Mutation\tp.A123A\n\
         TTN\t3'UTR\tp.A123T\n",
    )
    .unwrap();
    let out = d.join("out.maf");
    let (code, err) = run(&["--maf", s(&f), "--out", s(&out)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 5") && err.contains("Variant_Classification Silent contradicts p.V600E"),
        "{err}"
    );
    let (code, err) = run(&["--maf", s(&f), "--out", s(&out), "--skip-invalid"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("3 malformed rows skipped"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count(),
        1 + 3
    );
}
