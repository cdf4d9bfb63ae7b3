//! `atcpath assess CASE --molecular FILES`: a case plus its result files gives the plan of the
//! hand-typed case; every merged fact names its file and line; ambiguity and conflicts are
//! refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

fn shared(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(p)
}

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

/// The parts of the plan that must not depend on how the molecular facts arrived.
fn plan(a: &Value) -> Value {
    let ids = |k: &str| -> Value {
        a[k].as_array()
            .map(|xs| {
                xs.iter()
                    .map(|x| {
                        serde_json::json!([
                            x["id"],
                            x.get("line"),
                            x.get("rank"),
                            x.get("condition"),
                            x.get("status")
                        ])
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let states: Vec<Value> = [
        "braf_v600e",
        "ntrk_fusion",
        "ret_fusion",
        "alk_fusion",
        "msi_dmmr_tmb",
    ]
    .iter()
    .map(|k| a["molecular"][k]["state"].clone())
    .collect();
    serde_json::json!({
        "stage": a["stage"]["group"],
        "options": ids("options"),
        "excluded": ids("excluded"),
        "alerts": ids("alerts"),
        "workup": ids("workup"),
        "contingencies": a["contingencies"],
        "trials": a["trials"].as_array().map(|t| t.iter().map(|x| x["nct_id"].clone()).collect::<Vec<_>>()),
        "doses": a["doses"],
        "states": states,
    })
}

#[test]
fn case_with_its_files_gives_the_hand_typed_plan() {
    let (c1, typed, e1) = assess(&repo("examples/ivc-braf.json"), &[]);
    let (c2, files, e2) = assess(&repo("examples/molecular/ivc-braf-files.json"), &[]);
    assert_eq!((c1, c2), (Some(0), Some(0)), "{e1}{e2}");
    assert_eq!(plan(&typed), plan(&files));
    assert!(typed.get("molecular_files").is_none());
    // Provenance: BRAF V600E from line 3 of the MAF (line 1 is `#version 2.4`, 2 the header).
    let src = files["molecular_files"]["sources"].as_array().unwrap();
    let braf = src
        .iter()
        .find(|s| s["fact"] == "BRAF p.Val600Glu")
        .unwrap();
    assert_eq!(
        (&braf["file"], &braf["line"], &braf["highest_level"]),
        (
            &Value::from("ivc-braf.maf"),
            &Value::from(3),
            &Value::from("LEVEL_1")
        )
    );
    // TERT promoter recognised by position (no HGVS in the row) and named.
    assert!(
        src.iter()
            .any(|s| s["fact"] == "TERT c.-124C>T" && s["line"] == 4)
    );
    // The silent KRAS and intronic TTN rows are counted, not merged.
    assert_eq!(files["molecular_files"]["not_merged"][0][1], 2);
    // The fusion list has no row for this patient's sample: said, not hidden.
    assert!(e2.contains("no row for sample \"ATC-0001-T1\""), "{e2}");
}

#[test]
fn strelka_vcf_gives_braf_v600e_with_its_line() {
    let case = repo("examples/ivb-unresectable-pending.json");
    let vcf = shared("fixtures/vcf2maf/vcf/test_strelka.vcf");
    let (code, before, _) = assess(&case, &[]);
    assert_eq!(code, Some(0));
    assert_ne!(before["molecular"]["braf_v600e"]["state"], "detected");
    let (code, a, err) = assess(
        &case,
        &["--molecular", vcf.to_str().unwrap(), "--build", "GRCh37"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["molecular"]["braf_v600e"]["state"], "detected");
    let src = a["molecular_files"]["sources"].as_array().unwrap();
    // grep -n 140453136 test_strelka.vcf -> line 160
    assert!(
        src.iter()
            .any(|s| s["fact"] == "BRAF p.Val600Glu" && s["line"] == 160),
        "{src:?}"
    );
    assert!(
        a["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == "neoadjuvant_dabrafenib_trametinib"),
        "BRAF V600E opens the neoadjuvant option for unresectable IVB"
    );
}

#[test]
fn several_samples_need_a_sample_id_and_a_wrong_id_is_refused() {
    let case = repo("examples/ivb-unresectable-pending.json");
    let maf = shared("fixtures/oncokb-annotator/example_maf.txt");
    let (code, _, err) = assess(&case, &["--molecular", maf.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("samples") && err.contains("--sample"), "{err}");
    // A TCGA sample barcode picks its aliquots.
    let (code, a, err) = assess(
        &case,
        &[
            "--molecular",
            maf.to_str().unwrap(),
            "--sample",
            "TCGA-A6-2672-01",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        a["molecular_files"]["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["sample"].as_str().unwrap().starts_with("TCGA-A6-2672-01"))
    );
    // A clinical file must hold the sample.
    let clin = repo("examples/molecular/ivc-braf.clinical.txt");
    let (code, _, err) = assess(
        &case,
        &["--molecular", clin.to_str().unwrap(), "--sample", "NOPE"],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("NOPE"), "{err}");
}

#[test]
fn conflicts_and_unreadable_files_are_errors() {
    // The typed case says TMB 4; a clinical file saying 11.5 for this sample is a conflict.
    let clin = repo("examples/molecular/ivc-braf.clinical.txt");
    let (code, _, err) = assess(
        &repo("examples/ivc-braf.json"),
        &[
            "--molecular",
            clin.to_str().unwrap(),
            "--sample",
            "ATC-0002-T1",
        ],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("11.5") && err.contains("the case file"),
        "{err}"
    );
    let (code, _, _) = assess(
        &repo("examples/ivc-braf.json"),
        &["--molecular", "/nonexistent/file.maf"],
    );
    assert_eq!(code, Some(1));
    // A file of no molecular format is refused, naming it.
    let (code, _, err) = assess(
        &repo("examples/ivc-braf.json"),
        &["--molecular", repo("README.md").to_str().unwrap()],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("README.md"), "{err}");
}

#[test]
fn a_vcf_that_cannot_be_read_safely_is_refused() {
    let case = repo("examples/ivb-unresectable-pending.json");
    let vcf = shared("fixtures/vcf2maf/vcf/test_strelka.vcf");
    let v = vcf.to_str().unwrap();
    // No build in the header, no annotation: BRAF V600E would silently read as not detected.
    let (code, _, err) = assess(&case, &["--molecular", v]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--build"), "{err}");
    // The normal column is not the patient's tumour result.
    let (code, _, err) = assess(
        &case,
        &["--molecular", v, "--build", "GRCh37", "--sample", "NORMAL"],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("normal column"), "{err}");
    // The report says which column and build were read, and the Why line cites the file.
    let (code, a, err) = assess(&case, &["--molecular", v, "--build", "GRCh37"]);
    assert_eq!(code, Some(0), "{err}");
    let notes = a["molecular_files"]["notes"].to_string();
    assert!(
        notes.contains("tumour column TUMOR") && notes.contains("GRCh37"),
        "{notes}"
    );
    assert!(
        a["molecular"]["braf_v600e"]["basis"]
            .as_str()
            .unwrap()
            .contains("test_strelka.vcf line 160"),
        "{}",
        a["molecular"]["braf_v600e"]
    );
}

#[test]
fn a_file_contradicting_a_typed_result_is_refused_and_a_discordance_is_shown() {
    // ivc-braf.json lists ngs_rna as resulted with no fusion: a file with a RET fusion for the
    // patient contradicts it.
    let dir = std::env::temp_dir().join(format!("atcpath-mol-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fusions = dir.join("f.txt");
    std::fs::write(&fusions, "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RET\n").unwrap();
    let (code, _, err) = assess(
        &repo("examples/ivc-braf.json"),
        &["--molecular", fusions.to_str().unwrap()],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("CCDC6-RET") && err.contains("ngs_rna"),
        "{err}"
    );
    // BRAF IHC negative in the case, V600E by sequencing in a file: used, and said.
    let case = dir.join("c.json");
    std::fs::write(
        &case,
        r#"{"schema": "atcpath.case/1", "id": "d", "as_of": "2024-01-10",
            "molecular": {"resulted": ["braf_v600e_ihc"], "pending": ["ngs_dna"]}}"#,
    )
    .unwrap();
    let maf = dir.join("m.maf");
    std::fs::write(
        &maf,
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nBRAF\tMissense_Mutation\tS1\tp.V600E\nBRAF\tMissense_Mutation\tS1\tp.V600E\n",
    )
    .unwrap();
    let (code, a, err) = assess(&case, &["--molecular", maf.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["molecular"]["braf_v600e"]["state"], "detected");
    // In the report's ALERTS, not only in the middle of it.
    let discordant = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "braf_discordant")
        .unwrap_or_else(|| panic!("{}", a["alerts"]));
    assert!(
        discordant["message"]
            .as_str()
            .unwrap()
            .contains("m.maf line 2"),
        "{discordant}"
    );
    let status: Vec<&str> = a["molecular_files"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["merged", "repeated"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A case with DNA and RNA sequencing pending, and files written for it.
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

#[test]
fn what_a_file_cannot_tell_stays_unknown() {
    let dir = std::env::temp_dir().join(format!("atcpath-unk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = pending_case(&dir);
    let state = |a: &Value, k: &str| {
        a["molecular"][k]["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    const H: &str = "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n";

    // `PT` would match two samples' barcodes: ambiguous.
    let two = file(
        &dir,
        "two.maf",
        &format!(
            "{H}BRAF\tMissense_Mutation\tPT-1-T\tp.V600E\nTP53\tMissense_Mutation\tPT-10-T\tp.R273H\n"
        ),
    );
    let (code, _, err) = assess(&case, &["--molecular", &two, "--sample", "PT"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("several samples"), "{err}");
    // A row without a sample in a file of samples belongs to nobody.
    let nosample = file(
        &dir,
        "nos.maf",
        &format!("{H}BRAF\tMissense_Mutation\t\tp.V600E\nTP53\tMissense_Mutation\tS2\tp.R273H\n"),
    );
    let (code, _, err) = assess(&case, &["--molecular", &nosample, "--sample", "S2"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("line 2") && err.contains("no sample id"),
        "{err}"
    );
    // The sample has no row: the file does not settle ngs_dna (a wrong id would read as negative).
    let (code, a, _) = assess(&case, &["--molecular", &two, "--sample", "OTHER"]);
    assert_eq!(code, Some(0));
    assert_eq!(state(&a, "braf_v600e"), "unknown");
    // A symbol in another case is not silently taken for the gene it resembles: refused with
    // the symbol meant.
    let lower = file(
        &dir,
        "lower.maf",
        &format!("{H}braf\tMissense_Mutation\tS1\tp.V600E\n"),
    );
    let (code, _, err) = assess(&case, &["--molecular", &lower]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 2") && err.contains("did you mean \"BRAF\""),
        "{err}"
    );
    // A BRAF row whose change cannot be read: BRAF V600E stays unknown.
    let bad = file(
        &dir,
        "bad.maf",
        &format!("{H}BRAF\tMissense_Mutation\tS1\tp.V600\n"),
    );
    let (code, a, _) = assess(&case, &["--molecular", &bad]);
    assert_eq!(code, Some(0));
    assert_eq!(state(&a, "braf_v600e"), "unknown");
    assert!(
        a["molecular_files"]["notes"]
            .to_string()
            .contains("stays unknown")
    );
    // A misspelt kinase in a fusion list is refused.
    let rett = file(
        &dir,
        "f.txt",
        "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RETT\n",
    );
    let (code, _, err) = assess(&case, &["--molecular", &rett]);
    assert_eq!(code, Some(2));
    assert!(err.contains("did you mean \"RET\""), "{err}");
    // A BRAF V600E call the caller filtered out: neither used nor read as absent.
    let vcf = file(
        &dir,
        "f.vcf",
        "##fileformat=VCFv4.2\n##reference=GRCh37\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\tNORMAL\n7\t140453136\t.\tA\tT\t.\tLowQual\t.\tGT\t0/1\t0/0\n",
    );
    let (code, a, err) = assess(&case, &["--molecular", &vcf]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "unknown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_row_whose_changes_disagree_is_refused_as_in_a_case_file() {
    let dir = std::env::temp_dir().join(format!("atcpath-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = pending_case(&dir);
    let maf = file(
        &dir,
        "m.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSc\tHGVSp_Short\nBRAF\tMissense_Mutation\tS1\tENST00000288602:c.1799T>A\tp.V600K\n",
    );
    let (code, _, err) = assess(&case, &["--molecular", &maf]);
    assert_eq!(code, Some(2));
    assert!(err.contains("line 2") && err.contains("disagree"), "{err}");
    let wrong = file(
        &dir,
        "w.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nBRAF\tMissense_Mutation\tS1\tp.A600E\n",
    );
    let (code, _, err) = assess(&case, &["--molecular", &wrong]);
    assert_eq!(code, Some(2));
    assert!(err.contains("residue 600 is Val"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `assess` in one output format and returns standard output.
fn render(case: &Path, extra: &[&str], format: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("assess")
        .arg(case)
        .args(["--format", format])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into()
}

/// The text of a rendered report's alerts section (text, Markdown, HTML): from the ALERTS
/// heading to the next heading.
fn alerts_section(out: &str, format: &str) -> String {
    let lower = out.to_lowercase();
    let start = lower
        .find("alerts")
        .unwrap_or_else(|| panic!("no alerts in {format}: {out}"));
    let rest = &out[start..];
    let end = match format {
        "markdown" => rest[1..].find("\n#").map_or(rest.len(), |i| i + 1),
        "html" => rest[1..].find("<h2").map_or(rest.len(), |i| i + 1),
        _ => rest[1..].find("\n\n").map_or(rest.len(), |i| i + 1),
    };
    rest[..end].to_string()
}

const VCF_HEAD: &str = "##fileformat=VCFv4.2\n##reference=GRCh37\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n";

#[test]
fn a_file_that_does_not_show_coverage_proves_nothing_absent() {
    let dir = std::env::temp_dir().join(format!("atcpath-cov-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = pending_case(&dir);
    let header_maf = file(
        &dir,
        "h.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n",
    );
    let empty_vcf = file(&dir, "e.vcf", VCF_HEAD);
    let chr21_vcf = file(
        &dir,
        "c21.vcf",
        &format!("{VCF_HEAD}21\t10000000\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n"),
    );
    let header_fusions = file(&dir, "f.txt", "Tumor_Sample_Barcode\tFusion\n");
    let excluded_why = |a: &Value, id: &str| -> String {
        a["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| x["why"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let contingencies = |a: &Value| -> Vec<String> {
        a["contingencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["if"].as_str().unwrap().to_string())
            .collect()
    };
    let coverage_alert = |a: &Value| -> Option<String> {
        a["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == "coverage_not_shown")
            .map(|x| x["message"].as_str().unwrap().to_string())
    };
    for (f, finding, drug, genes, covers, if_) in [
        (
            &header_maf,
            "braf_v600e",
            "dabrafenib_trametinib",
            "BRAF",
            "BRAF,TP53",
            "BRAF V600E detected",
        ),
        (
            &empty_vcf,
            "braf_v600e",
            "dabrafenib_trametinib",
            "BRAF",
            "WES",
            "BRAF V600E detected",
        ),
        (
            &chr21_vcf,
            "braf_v600e",
            "dabrafenib_trametinib",
            "BRAF",
            "BRAF",
            "BRAF V600E detected",
        ),
        (
            &header_fusions,
            "ret_fusion",
            "selpercatinib",
            "NTRK1, NTRK2, NTRK3, RET, ALK",
            "NTRK1,NTRK2,NTRK3,RET,ALK",
            "RET fusion detected",
        ),
    ] {
        let (code, a, err) = assess(&case, &["--molecular", f]);
        assert_eq!(code, Some(0), "{f}: {err}");
        assert_eq!(
            a["molecular"][finding]["state"], "unknown",
            "{f}: {}",
            a["molecular"]
        );
        assert!(
            a["molecular"][finding]["basis"]
                .as_str()
                .unwrap()
                .contains("coverage of"),
            "{f}: {}",
            a["molecular"][finding]
        );
        if finding == "ret_fusion" {
            for k in ["ntrk_fusion", "alk_fusion"] {
                assert_eq!(a["molecular"][k]["state"], "unknown", "{f}: {k}");
            }
        }
        let why = excluded_why(&a, drug);
        assert!(!why.contains("not detected"), "{f}: {drug} excluded: {why}");
        let alert = coverage_alert(&a).unwrap_or_else(|| panic!("{f}: {}", a["alerts"]));
        assert!(
            alert.contains(&format!("coverage of {genes} not shown")) && alert.contains(f.as_str()),
            "{f}: {alert}"
        );
        assert!(
            contingencies(&a).iter().any(|c| c == if_),
            "{f}: {:?}",
            contingencies(&a)
        );
        let test = if finding == "ret_fusion" {
            "ngs_rna"
        } else {
            "ngs_dna"
        };
        let item = a["workup"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == test)
            .cloned()
            .unwrap_or_default();
        assert!(
            item["why"].as_str().unwrap_or("").contains("coverage of") && item["status"] == "done",
            "{f}: {item}"
        );
        // A sequencing file is no immunohistochemistry.
        assert!(
            a["workup"]
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w["id"] != "braf_v600e_ihc" || w["status"] != "done"),
            "{f}: {}",
            a["workup"]
        );

        // The same file with its coverage stated: absence is now a negative.
        let (code, a, err) = assess(&case, &["--molecular", f, "--covers", covers]);
        assert_eq!(code, Some(0), "{f}: {err}");
        assert_eq!(a["molecular"][finding]["state"], "not_detected", "{f}");
        assert!(excluded_why(&a, drug).contains("not detected"), "{f}");
        assert!(coverage_alert(&a).is_none(), "{f}: {}", a["alerts"]);
        assert!(
            a["workup"]
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w["id"] != "braf_v600e_ihc" || w["status"] != "done"),
            "{f}: {}",
            a["workup"]
        );
    }
    // A panel without BRAF leaves BRAF unknown; a case file's molecular.files covers works too.
    let (_, a, _) = assess(&case, &["--molecular", &header_maf, "--covers", "TP53"]);
    assert_eq!(a["molecular"]["braf_v600e"]["state"], "unknown");
    let with_files = dir.join("files.json");
    std::fs::write(
        &with_files,
        r#"{"schema": "atcpath.case/1", "id": "p", "as_of": "2024-01-10",
            "molecular": {"resulted": [], "pending": ["ngs_dna", "ngs_rna"],
              "files": [{"path": "h.maf", "covers": ["BRAF"]}, {"path": "f.txt"}]}}"#,
    )
    .unwrap();
    let (code, a, err) = assess(&with_files, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["molecular"]["braf_v600e"]["state"], "not_detected");
    assert_eq!(a["molecular"]["ret_fusion"]["state"], "unknown");
    // A coverage statement must say something, naming its JSON path.
    let bad_covers = dir.join("bad-covers.json");
    std::fs::write(
        &bad_covers,
        r#"{"schema": "atcpath.case/1", "id": "p", "as_of": "2024-01-10",
            "molecular": {"resulted": [], "pending": ["ngs_dna"],
              "files": [{"path": "h.maf", "covers": []}]}}"#,
    )
    .unwrap();
    let (code, _, err) = assess(&bad_covers, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("molecular.files[0].covers"), "{err}");
    let (code, _, err) = assess(&case, &["--molecular", &header_maf, "--covers", "WES,BRAF"]);
    assert_eq!(code, Some(2), "{err}");
    // A test typed as resulted stays the clinician's statement of its genes.
    let typed = dir.join("typed.json");
    std::fs::write(
        &typed,
        r#"{"schema": "atcpath.case/1", "id": "t", "as_of": "2024-01-10",
            "molecular": {"resulted": ["ngs_dna"], "pending": []}}"#,
    )
    .unwrap();
    let (code, a, err) = assess(&typed, &["--molecular", &header_maf]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["molecular"]["braf_v600e"]["state"], "not_detected");
    // A detection needs no coverage statement.
    let braf = file(
        &dir,
        "b.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nBRAF\tMissense_Mutation\tS1\tp.V600E\n",
    );
    let (code, a, err) = assess(&case, &["--molecular", &braf]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["molecular"]["braf_v600e"]["state"], "detected");
    assert!(coverage_alert(&a).is_none(), "{}", a["alerts"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_row_contradicting_itself_is_an_error_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("atcpath-con-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = pending_case(&dir);
    let maf = file(
        &dir,
        "s.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nTP53\tMissense_Mutation\tS1\tp.R273H\nBRAF\tSilent\tS1\tp.V600E\n",
    );
    let (code, _, err) = assess(&case, &["--molecular", &maf, "--covers", "WES"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("s.maf: line 3") && err.contains("contradicts"),
        "{err}"
    );
    // An intronic class with a protein change: refused as `annotate` refuses it.
    let intron = file(
        &dir,
        "i.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nBRAF\tIntron\tS1\tp.V600E\n",
    );
    let (code, _, err) = assess(&case, &["--molecular", &intron, "--covers", "WES"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("i.maf: line 2") && err.contains("contradicts"),
        "{err}"
    );
    let vcf = file(
        &dir,
        "s.vcf",
        "##fileformat=VCFv4.2\n##reference=GRCh37\n##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Format: Allele|Consequence|SYMBOL|HGVSc|HGVSp|CANONICAL\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n7\t140453136\t.\tA\tT\t.\tPASS\tCSQ=T|synonymous_variant|BRAF|ENST00000288602.6:c.1799T>A|ENSP00000288602.6:p.Val600Glu|YES\tGT\t0/1\n",
    );
    let (code, _, err) = assess(&case, &["--molecular", &vcf, "--covers", "WES"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("s.vcf: line 5") && err.contains("contradicts"),
        "{err}"
    );
    let intron_vcf = file(
        &dir,
        "i.vcf",
        &std::fs::read_to_string(&vcf)
            .unwrap()
            .replace("synonymous_variant", "intron_variant"),
    );
    let (code, _, err) = assess(&case, &["--molecular", &intron_vcf, "--covers", "WES"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("i.vcf: line 5") && err.contains("contradicts"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn discordance_msi_contradiction_and_coverage_are_in_every_format_s_alerts() {
    let dir = std::env::temp_dir().join(format!("atcpath-alr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("c.json");
    std::fs::write(
        &case,
        r#"{"schema": "atcpath.case/1", "id": "d", "as_of": "2024-01-10",
            "molecular": {"resulted": ["braf_v600e_ihc"], "pending": ["ngs_dna", "ngs_rna"]}}"#,
    )
    .unwrap();
    let maf = file(
        &dir,
        "m.maf",
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nBRAF\tMissense_Mutation\tS1\tp.V600E\n",
    );
    let clin = file(
        &dir,
        "clin.txt",
        "SAMPLE_ID\tMSI_STATUS\tMSI_SCORE\nS1\tMSS\t25.0\n",
    );
    let fus = file(&dir, "f.txt", "Tumor_Sample_Barcode\tFusion\n");
    let args = ["--molecular", &maf, &clin, &fus];
    let (code, a, err) = assess(&case, &args);
    assert_eq!(code, Some(0), "{err}");
    let ids: Vec<&str> = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    for id in ["braf_discordant", "msi_contradiction", "coverage_not_shown"] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    for format in ["text", "markdown", "html"] {
        let out = render(&case, &args, format);
        let section = alerts_section(&out, format);
        for needle in ["m.maf line 2", "clin.txt line 2", "coverage of NTRK1"] {
            assert!(
                section.contains(needle),
                "{format}: {needle} not in ALERTS:\n{section}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
