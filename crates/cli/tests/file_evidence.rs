//! What `atcpath assess CASE --molecular FILES` concludes from result files when a file, or the
//! statement of what it covered, is wrong or does not say enough: never a negative it does not
//! prove, and a clear error naming the flag, JSON path or file:line.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn assess(case: &Path, extra: &[&str]) -> (Option<i32>, Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("assess")
        .arg(case)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (
        o.status.code(),
        v,
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("atcpath-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn pending_case(dir: &Path) -> PathBuf {
    let case = dir.join("case.json");
    std::fs::write(
        &case,
        r#"{"schema": "atcpath.case/1", "id": "p", "as_of": "2024-01-10",
            "molecular": {"resulted": [], "pending": ["ngs_dna", "ngs_rna"]}}"#,
    )
    .unwrap();
    case
}

fn file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn state<'a>(a: &'a Value, k: &str) -> &'a str {
    a["molecular"][k]["state"].as_str().unwrap_or("")
}

/// Whether the plan excludes `drug` because its target was found absent.
fn excluded(a: &Value, drug: &str) -> bool {
    a["excluded"].as_array().is_some_and(|xs| {
        xs.iter()
            .any(|x| x["id"] == drug && x["why"].as_str().unwrap_or("").contains("not detected"))
    })
}

fn has_alert(a: &Value, id: &str) -> bool {
    a["alerts"]
        .as_array()
        .is_some_and(|xs| xs.iter().any(|x| x["id"] == id))
}

#[test]
fn whole_exome_does_not_prove_a_fusion_absent() {
    let d = dir("wesfus");
    let case = pending_case(&d);
    let f = file(
        &d,
        "f.txt",
        "Tumor_Sample_Barcode\tFusion\nS1\tTMPRSS2-ERG\n",
    );
    for w in ["WES", "WGS"] {
        let (code, a, err) = assess(&case, &["--molecular", &f, "--covers", w]);
        assert_eq!(code, Some(0), "{err}");
        for k in ["ntrk_fusion", "ret_fusion", "alk_fusion"] {
            assert_eq!(state(&a, k), "unknown", "{w} {k}: {}", a["molecular"]);
        }
        assert!(!excluded(&a, "larotrectinib"), "{}", a["excluded"]);
        assert!(!excluded(&a, "selpercatinib"), "{}", a["excluded"]);
        assert!(has_alert(&a, "coverage_not_shown"), "{}", a["alerts"]);
    }
    // A gene list for the fusion file does prove them absent.
    let (code, a, err) = assess(
        &case,
        &["--molecular", &f, "--covers", "NTRK1,NTRK2,NTRK3,RET,ALK"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "ret_fusion"), "not_detected");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_msi_status_contradicting_its_score_leaves_msi_unknown() {
    let d = dir("msicon");
    let case = d.join("case.json");
    std::fs::write(
        &case,
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/molecular/ivc-braf-files.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
    v["molecular"] = serde_json::json!({});
    std::fs::write(&case, v.to_string()).unwrap();
    for (status, score) in [("MSS", "35"), ("MSI-H", "1")] {
        let c = file(
            &d,
            "c.txt",
            &format!(
                "PATIENT_ID\tSAMPLE_ID\tTMB_NONSYNONYMOUS\tMSI_STATUS\tMSI_SCORE\nP1\tS1\t4\t{status}\t{score}\n"
            ),
        );
        let (code, a, err) = assess(&case, &["--molecular", &c]);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(state(&a, "msi_dmmr_tmb"), "unknown", "{}", a["molecular"]);
        assert!(!excluded(&a, "pembrolizumab"), "{}", a["excluded"]);
        assert!(has_alert(&a, "msi_contradiction"), "{}", a["alerts"]);
    }
    // A score out of range is refused at its line.
    let c = file(
        &d,
        "c.txt",
        "PATIENT_ID\tSAMPLE_ID\tMSI_SCORE\nP1\tS1\t150\n",
    );
    let (code, _, err) = assess(&case, &["--molecular", &c]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("line 2") && err.contains("MSI_SCORE"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_coverage_gene_that_is_not_a_symbol_is_refused_naming_where() {
    let d = dir("covgene");
    let case = pending_case(&d);
    let maf = file(
        &d,
        "h.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nTP53\tMissense_Mutation\tS1\tp.R273H\n",
    );
    for bad in [
        "braf",
        "BR\u{0410}F",
        "\u{0412}RAF",
        "BRAF\u{200B}",
        "panel",
        "*",
        "ALL",
        "B-RAF",
        "BRAF;KRAS",
    ] {
        let (code, a, err) = assess(&case, &["--molecular", &maf, "--covers", bad]);
        assert_eq!(code, Some(2), "{bad}: {err} {}", a["molecular"]);
        assert!(err.contains("--covers"), "{bad}: {err}");
    }
    // The same in the case file, naming the JSON path of the item.
    let listed = d.join("listed.json");
    std::fs::write(
        &listed,
        r#"{"schema": "atcpath.case/1", "id": "p", "as_of": "2024-01-10",
            "molecular": {"resulted": [], "pending": ["ngs_dna"],
              "files": [{"path": "h.maf", "covers": ["TP53", "braf"]}]}}"#,
    )
    .unwrap();
    let (code, _, err) = assess(&listed, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("molecular.files[0].covers[1]"), "{err}");
    // A correct symbol still proves BRAF absent.
    let (code, a, err) = assess(&case, &["--molecular", &maf, "--covers", "BRAF"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "not_detected");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_sample_flag_conflicting_with_the_case_s_file_sample_is_refused() {
    let d = dir("sample");
    file(
        &d,
        "h.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nBRAF\tMissense_Mutation\tS1\tp.V600E\nTP53\tMissense_Mutation\tS2\tp.R273H\n",
    );
    let case = d.join("case.json");
    std::fs::write(
        &case,
        r#"{"schema": "atcpath.case/1", "id": "p", "as_of": "2024-01-10",
            "molecular": {"resulted": [], "pending": ["ngs_dna"],
              "files": [{"path": "h.maf", "sample": "S1"}]}}"#,
    )
    .unwrap();
    let (code, _, err) = assess(&case, &["--sample", "S2"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--sample") && err.contains("molecular.files[0].sample"),
        "{err}"
    );
    let (code, a, err) = assess(&case, &["--sample", "S1"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "detected");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_maf_call_filtered_out_is_no_detection_and_no_negative() {
    let d = dir("maffilter");
    let case = pending_case(&d);
    let maf = file(
        &d,
        "f.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tFILTER\nBRAF\tMissense_Mutation\tS1\tp.V600E\tcommon_variant\n",
    );
    let (code, a, err) = assess(&case, &["--molecular", &maf, "--covers", "WES"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "unknown", "{}", a["molecular"]);
    let passed = file(
        &d,
        "p.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tFILTER\nBRAF\tMissense_Mutation\tS1\tp.V600E\tPASS\n",
    );
    let (code, a, err) = assess(&case, &["--molecular", &passed]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "detected");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_maf_protein_change_disagreeing_with_its_hotspot_position_is_refused() {
    let d = dir("mafpos");
    let case = pending_case(&d);
    let head = "Hugo_Symbol\tNCBI_Build\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n";
    let bad = file(
        &d,
        "k.maf",
        &format!("{head}BRAF\tGRCh37\t7\t140453136\tA\tT\tMissense_Mutation\tS1\tp.V600K\n"),
    );
    let (code, _, err) = assess(&case, &["--molecular", &bad]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("k.maf: line 2") && err.contains("p.Val600Lys") && err.contains("disagree"),
        "{err}"
    );
    let good = file(
        &d,
        "e.maf",
        &format!("{head}BRAF\tGRCh37\t7\t140453136\tA\tT\tMissense_Mutation\tS1\tp.V600E\n"),
    );
    let (code, a, err) = assess(&case, &["--molecular", &good]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "detected");
    let _ = std::fs::remove_dir_all(&d);
}

/// An intronic or UTR consequence at BRAF V600E's position: with `p.Val600Glu` refused (the
/// class contradicts the protein), with no HGVSp the position is the hotspot: detected, never
/// dropped.
#[test]
fn a_vcf_noncoding_consequence_at_the_hotspot_is_not_dropped() {
    let d = dir("vcfintron");
    let case = pending_case(&d);
    for (csq, hgvsp, ok) in [
        ("intron_variant", "", true),
        ("3_prime_UTR_variant", "", true),
        (
            "3_prime_UTR_variant",
            "ENSP00000288602.6:p.Val600Glu",
            false,
        ),
    ] {
        let vcf = file(
            &d,
            "i.vcf",
            &format!(
                "##fileformat=VCFv4.2\n##reference=GRCh37\n##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Format: Allele|Consequence|SYMBOL|HGVSc|HGVSp|CANONICAL\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n7\t140453136\t.\tA\tT\t.\tPASS\tCSQ=T|{csq}|BRAF||{hgvsp}|YES\tGT\t0/1\n"
            ),
        );
        let (code, a, err) = assess(&case, &["--molecular", &vcf, "--covers", "WES"]);
        if ok {
            assert_eq!(code, Some(0), "{csq}: {err}");
            assert_eq!(state(&a, "braf_v600e"), "detected", "{csq}");
        } else {
            assert_eq!(code, Some(2), "{csq}: {err}");
            assert!(err.contains("i.vcf: line 5"), "{err}");
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn clinical_looking_columns_not_read_are_said_in_the_report() {
    let d = dir("pdl1");
    let case = pending_case(&d);
    let c = file(
        &d,
        "c.txt",
        "PATIENT_ID\tSAMPLE_ID\tTMB_NONSYNONYMOUS\tPD_L1_TPS\tMMR_IHC\nP1\tS1\t4\t80\tdeficient\n",
    );
    let (code, a, err) = assess(&case, &["--molecular", &c]);
    assert_eq!(code, Some(0), "{err}");
    let text = a.to_string();
    assert!(
        text.contains("PD_L1_TPS, MMR_IHC not read"),
        "{}",
        a["molecular_files"]
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_germline_kinase_fusion_row_is_no_negative() {
    let d = dir("germsv");
    let case = pending_case(&d);
    let sv = file(
        &d,
        "sv.txt",
        "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tSV_Status\nS1\tCCDC6\tRET\tGERMLINE\n",
    );
    let (code, a, err) = assess(&case, &["--molecular", &sv, "--covers", "RET"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "ret_fusion"), "unknown", "{}", a["molecular"]);
    assert!(!excluded(&a, "selpercatinib"), "{}", a["excluded"]);
    assert!(a.to_string().contains("marked GERMLINE"), "{a}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_germline_maf_call_is_a_detection_with_a_note() {
    let d = dir("mafgerm");
    let case = pending_case(&d);
    let maf = file(
        &d,
        "g.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tMutation_Status\nBRAF\tMissense_Mutation\tS1\tp.V600E\tGermline\n",
    );
    let (code, a, err) = assess(&case, &["--molecular", &maf]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "detected");
    assert!(a.to_string().contains("Mutation_Status Germline"), "{a}");
    let _ = std::fs::remove_dir_all(&d);
}

/// CR-only line endings make a whole file one line: read as LF it would be a header and no rows,
/// so BRAF V600E "not detected" under a whole-exome statement. Every table reader refuses the
/// header line instead, naming line 1; CRLF still reads.
#[test]
fn a_file_with_carriage_return_only_line_endings_is_refused_at_line_1() {
    let d = dir("cr-only");
    let case = pending_case(&d);
    let rows = [
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short",
        "BRAF\tMissense_Mutation\tS1\tp.V600E",
    ];
    let cr = file(&d, "cr.maf", &(rows.join("\r") + "\r"));
    let (code, _, err) = assess(&case, &["--molecular", &cr, "--covers", "WES"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 1") && err.contains("carriage return"),
        "{err}"
    );
    let fus = file(
        &d,
        "cr-fusions.txt",
        "Tumor_Sample_Barcode\tFusion\rS1\tCCDC6-RET\r",
    );
    // Refused, whether as a header with a CR or as no file kind ATCPath knows.
    let (code, _, err) = assess(&case, &["--molecular", &fus]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("carriage return") || err.contains("not a molecular result file"),
        "{err}"
    );
    // The same rows with CRLF endings read, and V600E is detected.
    let crlf = file(&d, "crlf.maf", &(rows.join("\r\n") + "\r\n"));
    let (code, a, err) = assess(&case, &["--molecular", &crlf, "--covers", "WES"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "detected");
    let _ = std::fs::remove_dir_all(&d);
}

/// `--covers`, `--sample` and `--build` with no result file to apply them to are refused, so that
/// nobody believes a coverage statement was applied.
#[test]
fn result_file_flags_without_a_result_file_are_refused() {
    let d = dir("flags-alone");
    let case = pending_case(&d);
    for (flags, named) in [
        (&["--covers", "WES"][..], "--covers"),
        (&["--sample", "S1"][..], "--sample"),
        (&["--build", "GRCh38"][..], "--build"),
    ] {
        let (code, _, err) = assess(&case, flags);
        assert_eq!(code, Some(2), "{flags:?}: {err}");
        assert!(err.contains(named) && err.contains("--molecular"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&d);
}
