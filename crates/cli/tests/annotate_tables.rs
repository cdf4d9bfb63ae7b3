//! `atcpath annotate --fusions / --sv / --cna / --clinical` on the real fixtures
//! (`../shared/fixtures`), and on bad and unreadable files. Counts are those checked by hand in
//! `crates/formats/tests/table_fixtures.rs` (the shell command is written there).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// A fresh folder for one test's outputs.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("atcpath-tables-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn annotate(out: &Path, args: &[&str]) -> Run {
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("annotate")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

/// The rows of a written table (the header first; `#` lines kept as rows).
fn table(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

const ADDED: [&str; 10] = [
    "ONCOGENIC",
    "HIGHEST_LEVEL",
    "LEVEL_1",
    "LEVEL_2",
    "LEVEL_3A",
    "LEVEL_3B",
    "LEVEL_4",
    "LEVEL_R1",
    "ATC_OPTIONS",
    "KB_VERSION",
];

#[test]
fn fusion_list_rows_get_levels_and_intragenic_rows_do_not() {
    let d = dir("fusions");
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--fusions",
            &fixture("oncokb-annotator/example_fusions.txt"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("7 rows, 4 fusions (0 with a therapeutic level), 3 intragenic"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("run.fusions.txt"), "{}", r.stdout);
    let t = table(&d.join("run.fusions.txt"));
    assert_eq!(t.len(), 1 + 7, "every input row written back");
    assert_eq!(t[0][..2], ["Tumor_Sample_Barcode", "Fusion"]);
    assert_eq!(t[0][2..], ADDED);
    let h = &t[0];
    // ALK written as the 5' partner: its kinase domain is not in the product as written, so
    // the row is a rearrangement with the partner unknown, with no level (`read_fusion`).
    let alk = t.iter().find(|r| r[1] == "ALK-EML4").unwrap();
    assert_eq!(alk[col(h, "HIGHEST_LEVEL")], "");
    assert_eq!(alk[col(h, "ATC_OPTIONS")], "");
    for r in t.iter().filter(|r| r[1].ends_with("-intragenic")) {
        assert_eq!(
            (
                r[col(h, "ONCOGENIC")].as_str(),
                r[col(h, "HIGHEST_LEVEL")].as_str()
            ),
            ("Unknown", ""),
            "an intragenic event is no fusion: {r:?}"
        );
    }
}

#[test]
fn cbioportal_sv_ret_fusion_is_level_1_with_selpercatinib() {
    let d = dir("sv");
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--sv",
            &fixture("cbioportal/study_es_0/data_structural_variants.txt"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "48 rows, 45 fusions (3 with a therapeutic level), 1 intragenic, 2 one-sided"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("line 48: BRAF") && r.stderr.contains("no named partner"),
        "the one-sided BRAF rearrangement is flagged: {}",
        r.stderr
    );
    let t = table(&d.join("run.sv.txt"));
    assert_eq!(t.len(), 1 + 48);
    let h = &t[0];
    assert_eq!(h.len(), 47 + 10);
    let (a, b) = (col(h, "Site1_Hugo_Symbol"), col(h, "Site2_Hugo_Symbol"));
    let ret = t.iter().find(|r| r[a] == "NCOA4" && r[b] == "RET").unwrap();
    assert_eq!(ret[col(h, "HIGHEST_LEVEL")], "LEVEL_1");
    assert!(ret[col(h, "LEVEL_1")].contains("Selpercatinib"));
    assert!(ret[col(h, "ATC_OPTIONS")].contains("selpercatinib"));
    let level = |r: &Vec<String>| r[col(h, "HIGHEST_LEVEL")].clone();
    let alk: Vec<_> = t
        .iter()
        .skip(1)
        .filter(|r| r[a] != r[b] && (r[a] == "ALK" || r[b] == "ALK"))
        .map(level)
        .collect();
    // EML4-ALK twice; ALK-PTPN3 (ALK 5') and TTN-ALK (TTN not a knowledge-base fusion
    // partner) are rearrangements with the partner unknown, without a level.
    assert_eq!(alk, ["LEVEL_3B", "", "LEVEL_3B", ""]);
    let egfr = t.iter().find(|r| r[a] == "EGFR" && r[b] == "EGFR").unwrap();
    assert_eq!(egfr[col(h, "ONCOGENIC")], "Unknown");
    let one_sided = t
        .iter()
        .find(|r| r[a] == "BRAF" && r[b].is_empty())
        .unwrap();
    assert_eq!(
        (
            one_sided[col(h, "ONCOGENIC")].as_str(),
            level(one_sided).as_str()
        ),
        ("Unknown", "")
    );
}

#[test]
fn oncokb_sv_list_by_the_sv_flag() {
    let d = dir("oncokb-sv");
    let r = annotate(
        &d.join("run.maf"),
        &["--sv", &fixture("oncokb-annotator/example_sv.txt")],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let t = table(&d.join("run.sv.txt"));
    assert_eq!(t.len(), 1 + 7);
    let h = &t[0];
    let alk = t.iter().find(|r| r[1] == "ALK" && r[2] == "EML4").unwrap();
    assert_eq!(
        alk[col(h, "HIGHEST_LEVEL")],
        "",
        "ALK as the 5' partner: no level"
    );
    let del = t.iter().find(|r| r[1] == "EGFR").unwrap();
    assert_eq!(del[col(h, "ONCOGENIC")], "Unknown", "DELETION within EGFR");
}

#[test]
fn wide_cna_is_written_as_one_long_row_per_non_neutral_call() {
    let d = dir("cna-wide");
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--cna",
            &fixture("cbioportal/study_es_0_legacy_cna_discrete/data_cna_discrete.txt"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("8 rows, 1743 non-neutral calls, written as 1743 long rows"),
        "{}",
        r.stdout
    );
    let t = table(&d.join("run.cna.txt"));
    assert_eq!(t[0][..3], ["SAMPLE_ID", "HUGO_SYMBOL", "ALTERATION"]);
    assert_eq!(t[0][3..], ADDED);
    assert_eq!(t.len(), 1 + 1743);
    let count = |w: &str| t.iter().filter(|r| r[2] == w).count();
    // -2: 14, -1: 1491, 1: 189, 2: 49 (see table_fixtures.rs)
    assert_eq!(
        [
            count("Deletion"),
            count("Loss"),
            count("Gain"),
            count("Amplification")
        ],
        [14, 1491, 189, 49]
    );
    assert_eq!(count("Neutral"), 0);

    let r = annotate(
        &d.join("gistic.maf"),
        &["--cna", &fixture("oncokb-annotator/example_cna.txt")],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(table(&d.join("gistic.cna.txt")).len(), 1 + 8);
    assert!(
        r.stderr.contains("CDK4 repeats line 4"),
        "repeated CDK4 row with other values: {}",
        r.stderr
    );
}

#[test]
fn long_cna_rows_are_written_back_and_conflicts_warned() {
    let d = dir("cna-long");
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--cna",
            &fixture("oncokb-annotator/example_individual_cna.txt"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("4 rows repeat a gene and sample with a different value")
            && r.stderr.contains("line 5: CDK4 in TCGA-05-4417-01"),
        "{}",
        r.stderr
    );
    let t = table(&d.join("run.cna.txt"));
    assert_eq!(t.len(), 1 + 12, "conflicting rows are all kept");
    assert_eq!(t[0].len(), 3 + 10);

    // PTEN deep deletion: LEVEL_4; a neutral row gets no annotation; NA is unknown.
    let f = d.join("pten.txt");
    std::fs::write(
        &f,
        "Hugo_Symbol\tEntrez_Gene_Id\tSample_Id\tValue\nPTEN\t5728\tS1\t-2\nPTEN\t5728\tS2\t0\nPTEN\t5728\tS3\tNA\n",
    )
    .unwrap();
    let r = annotate(&d.join("pten.maf"), &["--cna", f.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "3 rows, 1 non-neutral calls (1 with a therapeutic level), 1 neutral, 1 missing"
        ),
        "{}",
        r.stdout
    );
    let t = table(&d.join("pten.cna.txt"));
    let h = &t[0];
    assert_eq!(t[1][col(h, "HIGHEST_LEVEL")], "LEVEL_4");
    assert_eq!(t[1][col(h, "ONCOGENIC")], "Likely Oncogenic");
    assert_eq!(
        (
            t[2][col(h, "ONCOGENIC")].as_str(),
            t[3][col(h, "ONCOGENIC")].as_str()
        ),
        ("", "")
    );
}

#[test]
fn short_and_odd_cna_rows_stop_the_run_unless_skipped() {
    let d = dir("cna-inc");
    let f = fixture("cbioportal/study_es_0_inc/cna_long/data_cna_discrete_long.txt");
    let r = annotate(&d.join("run.maf"), &["--cna", &f]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr
            .contains("data_cna_discrete_long.txt: line 17: Hugo_Symbol is empty"),
        "{}",
        r.stderr
    );
    let r = annotate(&d.join("run.maf"), &["--cna", &f, "--skip-invalid"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("4 malformed rows skipped"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("26 rows, 21 non-neutral calls"),
        "{}",
        r.stdout
    );
    assert_eq!(table(&d.join("run.cna.txt")).len(), 1 + 26);
}

#[test]
fn clinical_summary_of_a_sample_with_a_ret_fusion() {
    let d = dir("clinical-sv");
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--sv",
            &fixture("cbioportal/study_es_0/data_structural_variants.txt"),
            "--clinical",
            &fixture("cbioportal/study_es_0/data_clinical_samples.txt"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("clinical: 845 samples") && r.stdout.contains("over --sv"),
        "{}",
        r.stdout
    );
    let t = table(&d.join("run.clinical.txt"));
    assert_eq!(
        t.len(),
        4 + 1 + 845,
        "attribute lines, column names, samples"
    );
    assert!(
        t[..4]
            .iter()
            .all(|r| r[0].starts_with('#') && r.len() == 3 + 7)
    );
    let h = &t[4];
    let s = t.iter().find(|r| r[1] == "TCGA-A2-A04P-01").unwrap();
    assert_eq!(s[col(h, "HIGHEST_LEVEL")], "LEVEL_1");
    let alts = &s[col(h, "ATC_ACTIONABLE_ALTERATIONS")];
    assert!(alts.contains("NCOA4-RET fusion (LEVEL_1)"), "{alts}");
    assert!(alts.contains("EML4-ALK fusion (LEVEL_3B)"), "{alts}");
    assert!(s[col(h, "ATC_OPTIONS")].contains("selpercatinib"));
    assert_eq!(
        s[col(h, "ATC_FINDINGS")],
        "8",
        "8 fusions (the EGFR-EGFR row is intragenic)"
    );
    assert_eq!(
        (s[col(h, "TMB_H")].as_str(), s[col(h, "MSI_H")].as_str()),
        ("", "")
    );
    assert!(!s[col(h, "KB_VERSION")].is_empty());
    let none = t.iter().find(|r| r[1] == "TCGA-A1-A0SB-01").unwrap();
    assert_eq!(none[col(h, "HIGHEST_LEVEL")], "LEVEL_3B", "EML4-ALK");
}

#[test]
fn clinical_summary_over_the_maf_and_fusions() {
    let d = dir("clinical-maf");
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--maf",
            &fixture("oncokb-annotator/example_maf.txt"),
            "--fusions",
            &fixture("oncokb-annotator/example_fusions.txt"),
            "--clinical",
            &fixture("oncokb-annotator/example_clinical.txt"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("over --maf (17 rows), --fusions"),
        "{}",
        r.stdout
    );
    let t = table(&d.join("run.clinical.txt"));
    assert_eq!(t.len(), 1 + 9);
    let h = &t[0];
    let s = t.iter().find(|r| r[0] == "TCGA-05-4417-01").unwrap();
    let alts = &s[col(h, "ATC_ACTIONABLE_ALTERATIONS")];
    assert!(
        !alts.contains("ALK-EML4") && alts.contains("KRAS p.G12C (LEVEL_3B)"),
        "{alts}"
    );
    assert_eq!(s[col(h, "HIGHEST_LEVEL")], "LEVEL_3B");
    let nf1 = t.iter().find(|r| r[0] == "TCGA-02-0033-01").unwrap();
    assert_eq!(
        nf1[col(h, "HIGHEST_LEVEL")],
        "LEVEL_3B",
        "PIK3CA E542K over NF1 (LEVEL_4)"
    );
    let fake = t.iter().find(|r| r[0] == "TCGA-FAKE-01").unwrap();
    assert_eq!(fake[col(h, "ATC_FINDINGS")], "0");
    assert_eq!(fake[col(h, "HIGHEST_LEVEL")], "");
}

#[test]
fn clinical_tmb_and_msi() {
    let d = dir("clinical-tmb");
    let f = d.join("samples.txt");
    std::fs::write(
        &f,
        "SAMPLE_ID\tTMB_NONSYNONYMOUS\tMSI_TYPE\tMSI_SCORE\nS1\t12.5\tInstable\t15\nS2\t2\tStable\t1\nS3\t\tIndeterminate\t5\nS4\t\t\t11\n",
    )
    .unwrap();
    let r = annotate(&d.join("run.maf"), &["--clinical", f.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let t = table(&d.join("run.clinical.txt"));
    let h = &t[0];
    let get = |i: usize, c: &str| t[i][col(h, c)].clone();
    assert_eq!(
        (get(1, "TMB_H"), get(1, "MSI_H"), get(1, "HIGHEST_LEVEL")),
        ("Yes".into(), "Yes".into(), "LEVEL_1".into())
    );
    assert!(get(1, "ATC_OPTIONS").contains("pembrolizumab"));
    assert_eq!(
        (get(2, "TMB_H"), get(2, "MSI_H")),
        ("No".into(), "No".into())
    );
    assert_eq!(
        (get(3, "TMB_H"), get(3, "MSI_H")),
        (String::new(), String::new())
    );
    assert_eq!(get(4, "MSI_H"), "Yes", "MSIsensor 11 >= 10");
}

#[test]
fn bad_files_exit_2_with_file_and_line() {
    let d = dir("bad");
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "--fusions",
            "f.txt",
            "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RET\nS1\tRET and CCDC6\n",
            "f.txt: line 3: Fusion:",
        ),
        (
            "--sv",
            "s.txt",
            "Sample\tGene\nS1\tRET\n",
            "s.txt: line 1: not a fusion",
        ),
        (
            "--cna",
            "c.txt",
            "Hugo_Symbol\tS1\tS2\nPTEN\t-2\tlost\n",
            "c.txt: line 2: column 3 (sample S2)",
        ),
        (
            "--clinical",
            "k.txt",
            "SAMPLE_ID\tTMB\nS1\t4\nS2\tten\n",
            "k.txt: line 3: TMB: \"ten\" is not a number",
        ),
        (
            "--clinical",
            "p.txt",
            "PATIENT_ID\tOS_STATUS\nP1\t0:LIVING\n",
            "no SAMPLE_ID column",
        ),
    ];
    for (flag, name, text, expected) in cases {
        let f = d.join(name);
        std::fs::write(&f, text).unwrap();
        let r = annotate(&d.join("run.maf"), &[flag, f.to_str().unwrap()]);
        assert_eq!(r.code, Some(2), "{flag} {name}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{flag}: {}", r.stderr);
    }
    // --skip-invalid: the bad fusion row is counted, the good one written.
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--fusions",
            d.join("f.txt").to_str().unwrap(),
            "--skip-invalid",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("1 malformed rows skipped") && r.stderr.contains("line 3"));
    assert_eq!(table(&d.join("run.fusions.txt")).len(), 1 + 1);
    // An output that would overwrite its input is refused.
    let f = d.join("same.fusions.txt");
    std::fs::write(&f, "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RET\n").unwrap();
    let r = annotate(&d.join("same.maf"), &["--fusions", f.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(std::fs::read_to_string(&f).unwrap().contains("CCDC6-RET"));
}

#[test]
fn unreadable_files_exit_1() {
    let d = dir("unreadable");
    for flag in ["--fusions", "--sv", "--cna", "--clinical"] {
        let r = annotate(&d.join("run.maf"), &[flag, "/nonexistent/x.txt"]);
        assert_eq!(r.code, Some(1), "{flag}: {}", r.stderr);
        assert!(
            r.stderr.contains("/nonexistent/x.txt: cannot read"),
            "{}",
            r.stderr
        );
    }
    let r = annotate(&d.join("run.maf"), &["--cna", d.to_str().unwrap()]);
    assert_eq!(r.code, Some(1), "a folder: {}", r.stderr);
}

#[test]
fn germline_fusions_get_no_level_and_an_unknown_sv_status_is_refused() {
    let d = dir("germline");
    let f = d.join("sv.txt");
    std::fs::write(
        &f,
        "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tSV_Status\n\
         S1\tCCDC6\tRET\tGERMLINE\nS1\tETV6\tNTRK3\tSOMATIC\nS2\tCCDC6\tRET\t\n",
    )
    .unwrap();
    let r = annotate(&d.join("run.maf"), &["--sv", f.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("1 germline"), "{}", r.stdout);
    let t = table(&d.join("run.sv.txt"));
    let level = col(&t[0], "HIGHEST_LEVEL");
    let onc = col(&t[0], "ONCOGENIC");
    assert_eq!((t[1][onc].as_str(), t[1][level].as_str()), ("Unknown", ""));
    assert!(!t[2][level].is_empty(), "somatic ETV6-NTRK3");
    assert_eq!(t[3][level], "LEVEL_1", "status not stated: annotated");
    // A germline fusion is not a finding of the sample's clinical summary either.
    let k = d.join("k.txt");
    std::fs::write(&k, "SAMPLE_ID\nS1\n").unwrap();
    let r = annotate(
        &d.join("run.maf"),
        &[
            "--sv",
            f.to_str().unwrap(),
            "--clinical",
            k.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let t = table(&d.join("run.clinical.txt"));
    assert!(
        !t[1][col(&t[0], "ATC_ACTIONABLE_ALTERATIONS")].contains("RET"),
        "{:?}",
        t[1]
    );
    // Neither SOMATIC nor GERMLINE: a row error naming the line.
    std::fs::write(
        &f,
        "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tSV_Status\nS1\tCCDC6\tRET\tsomatc\n",
    )
    .unwrap();
    let r = annotate(&d.join("run.maf"), &["--sv", f.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("line 2") && r.stderr.contains("SV_Status"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_sample_of_another_cancer_type_is_warned() {
    let d = dir("oncotree");
    let k = d.join("k.txt");
    std::fs::write(
        &k,
        "SAMPLE_ID\tONCOTREE_CODE\tTMB\nS1\tTHAP\t3\nS2\tLUAD\t20\nS3\t\t2\nS4\tTHPD\t1\n",
    )
    .unwrap();
    let r = annotate(&d.join("run.maf"), &["--clinical", k.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("1 sample(s)")
            && r.stderr.contains("S2")
            && r.stderr
                .contains("levels are for anaplastic thyroid cancer (OncoTree THAP)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("S1 ") && !r.stderr.contains("S4"));
    let t = table(&d.join("run.clinical.txt"));
    assert_eq!(t[2][col(&t[0], "TMB_H")], "Yes", "levels unchanged");
}

#[test]
fn folders_and_annotated_tables_are_refused() {
    let d = dir("folders");
    for flag in ["--fusions", "--sv", "--cna", "--clinical"] {
        let r = annotate(&d.join("run.maf"), &[flag, d.to_str().unwrap()]);
        assert_eq!(r.code, Some(1), "{flag}: {}", r.stderr);
        assert!(r.stderr.contains("is a directory"), "{flag}: {}", r.stderr);
    }
    let f = d.join("f.txt");
    std::fs::write(
        &f,
        "Tumor_Sample_Barcode\tFusion\tONCOGENIC\nS1\tCCDC6-RET\tOncogenic\n",
    )
    .unwrap();
    let r = annotate(&d.join("run.maf"), &["--fusions", f.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("already annotated") && r.stderr.contains("ONCOGENIC"),
        "{}",
        r.stderr
    );
    assert!(!d.join("run.fusions.txt").exists());
    let k = d.join("k.txt");
    std::fs::write(&k, "SAMPLE_ID\tTMB_H\nS1\tYes\n").unwrap();
    let r = annotate(&d.join("run.maf"), &["--clinical", k.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("TMB_H"), "{}", r.stderr);
}
