//! `atcpath assess CASE --molecular FILE`: names that look right but are not (look-alike
//! letters, old gene names) are refused naming the file and line; a kinase rearrangement with
//! no named partner is an alert and a contingency, never "not detected".

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("atcpath-names-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes the example case with its molecular section changed and a result file; runs assess.
fn run(
    tag: &str,
    example: &str,
    molecular: Value,
    file: &str,
    text: &str,
) -> (Option<i32>, Value, String) {
    let d = dir(tag);
    let mut case: Value =
        serde_json::from_str(&std::fs::read_to_string(repo(example)).unwrap()).unwrap();
    case["molecular"] = molecular;
    let case_path = d.join("case.json");
    std::fs::write(&case_path, case.to_string()).unwrap();
    let f = d.join(file);
    std::fs::write(&f, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("assess")
        .arg(&case_path)
        .args(["--format", "json", "--molecular"])
        .arg(&f)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&d);
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

const MAF_HEAD: &str = "Hugo_Symbol\tNCBI_Build\tChromosome\tStart_Position\tVariant_Classification\tReference_Allele\tTumor_Seq_Allele2\tTumor_Sample_Barcode\tHGVSp_Short\n";

#[test]
fn a_look_alike_or_invisible_braf_in_a_maf_is_refused_at_its_line() {
    for (tag, gene) in [("cyr", "BRАF"), ("zws", "BRAF\u{200B}"), ("case", "BRAf")] {
        let maf = format!(
            "{MAF_HEAD}TP53\tGRCh37\t17\t7577120\tMissense_Mutation\tC\tT\tS1\tp.R273H\n{gene}\tGRCh37\t7\t140453136\tMissense_Mutation\tA\tT\tS1\tp.V600E\n"
        );
        let (code, _, err) = run(
            tag,
            "examples/ivc-braf.json",
            json!({"resulted": ["ngs_rna"], "pending": ["ngs_dna"]}),
            "r.maf",
            &maf,
        );
        assert_eq!(code, Some(2), "{gene:?}: {err}");
        assert!(
            err.contains("line 3") && err.contains("BRAF"),
            "{gene:?}: {err}"
        );
    }
}

#[test]
fn an_old_ntrk3_name_in_a_fusion_list_is_refused_with_the_current_symbol() {
    let (code, _, err) = run(
        "trkc",
        "examples/ivc-ret-declines-chemo.json",
        json!({"resulted": ["ngs_dna"], "pending": ["ngs_rna"]}),
        "f.txt",
        "Tumor_Sample_Barcode\tFusion\nS1\tETV6-TRKC\n",
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("line 2") && err.contains("NTRK3"), "{err}");
}

#[test]
fn a_ret_rearrangement_without_partner_is_an_alert_and_a_contingency() {
    let (code, a, err) = run(
        "onesided",
        "examples/ivc-ret-declines-chemo.json",
        json!({"resulted": ["ngs_dna", "pd_l1_ihc"], "pd_l1_tps_percent": 10}),
        "sv.txt",
        "Tumor_Sample_Barcode\tGeneA\tGeneB\tSv_Type\nS1\tRET\t\tTRANSLOCATION\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        a["molecular"]["ret_fusion"]["state"], "unknown",
        "{}",
        a["molecular"]
    );
    let alerts: Vec<&str> = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert!(
        alerts.contains(&"kinase_rearrangement_partner_unknown"),
        "{alerts:?}"
    );
    let k = a["contingencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["if"] == "RET fusion detected")
        .unwrap_or_else(|| panic!("{}", a["contingencies"]));
    assert!(k["then"].to_string().contains("selpercatinib"), "{k}");
}

#[test]
fn an_ntrk1_to_ret_fusion_is_a_ret_fusion() {
    let (code, a, err) = run(
        "orient",
        "examples/ivc-ret-declines-chemo.json",
        json!({"resulted": ["ngs_dna", "pd_l1_ihc"], "pd_l1_tps_percent": 10}),
        "f.txt",
        "Tumor_Sample_Barcode\tFusion\nS1\tNTRK1::RET\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["molecular"]["ret_fusion"]["state"], "detected");
    // The list does not show NTRK covered: an absent NTRK fusion stays unknown.
    assert_eq!(a["molecular"]["ntrk_fusion"]["state"], "unknown");
}

#[test]
fn annotate_refuses_an_old_fusion_gene_name_at_its_line() {
    let d = dir("annotate");
    let f = d.join("f.txt");
    std::fs::write(
        &f,
        "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RET\nS2\tETV6-TRKC\n",
    )
    .unwrap();
    let maf = d.join("run.maf");
    std::fs::write(&maf, "Hugo_Symbol\tHGVSp_Short\nTP53\tp.R273H\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["annotate", "--maf"])
        .arg(&maf)
        .arg("--fusions")
        .arg(&f)
        .arg("--out")
        .arg(d.join("out.maf"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let _ = std::fs::remove_dir_all(&d);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("line 3") && err.contains("NTRK3"), "{err}");
}
