//! Every published case in ../shared/cases and every example in examples/ is assessed and
//! judged against its expected file (output-contract.md, "Judging a case"), through the real
//! binary and its JSON output.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p.to_string_lossy().ends_with(".expected.json")
        })
        .collect();
    v.sort();
    v
}

fn assess_json(case: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", case.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: exit {:?}\n{}",
        case.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: output is not JSON: {e}", case.display()))
}

/// Checks one assessment against its expected file; returns the failures in words.
fn judge(a: &Value, exp: &Value) -> Vec<String> {
    let mut fails = Vec::new();
    let strs = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let first: Vec<String> = a["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["line"] == "first")
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let alerts: Vec<String> = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    if a["stage"]["group"] != exp["stage"] {
        fails.push(format!(
            "stage {} expected {}",
            a["stage"]["group"], exp["stage"]
        ));
    }
    let any_of = strs(&exp["first_line_any_of"]);
    if !first.iter().any(|f| any_of.contains(f)) {
        fails.push(format!("first line {first:?} has none of {any_of:?}"));
    }
    for bad in strs(&exp["must_not_recommend_first_line"]) {
        if first.contains(&bad) {
            fails.push(format!("first line recommends {bad}, which it must not"));
        }
    }
    for need in strs(&exp["must_alert"]) {
        if !alerts.contains(&need) {
            fails.push(format!("alert {need} missing (got {alerts:?})"));
        }
    }
    fails
}

/// The output contract's required fields and vocabularies.
fn check_contract(a: &Value, name: &str) {
    for f in [
        "case_id",
        "as_of",
        "knowledge_base",
        "stage",
        "alerts",
        "workup",
        "options",
        "excluded",
        "contingencies",
        "trials",
        "doses",
    ] {
        assert!(!a[f].is_null(), "{name}: field {f} missing");
    }
    assert!(
        a["knowledge_base"]["version"].is_string() && a["knowledge_base"]["date"].is_string(),
        "{name}: KB stamp"
    );
    let group = a["stage"]["group"].as_str().unwrap();
    assert!(
        ["IVA", "IVB", "IVC", "unknown"].contains(&group),
        "{name}: stage group {group}"
    );
    let cited: Vec<&str> = a["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    for (i, o) in a["options"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            o["rank"].as_u64(),
            Some(i as u64 + 1),
            "{name}: ranks are 1..n in order"
        );
        assert!(
            ["first", "alternative"].contains(&o["line"].as_str().unwrap()),
            "{name}: line"
        );
        assert!(
            ["curative", "disease_control", "palliative"].contains(&o["intent"].as_str().unwrap()),
            "{name}: intent"
        );
        assert!(
            o["rationale"].as_str().is_some_and(|r| r.len() > 20),
            "{name}: rationale"
        );
        for r in o["references"].as_array().unwrap() {
            assert!(
                cited.contains(&r.as_str().unwrap()),
                "{name}: option {} cites {r}, not in the reference list",
                o["id"]
            );
        }
    }
    let offered: Vec<&str> = a["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let excluded: Vec<&str> = a["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        offered.len() + excluded.len(),
        22,
        "{name}: every option of the vocabulary is offered or excluded, once"
    );
    assert!(
        excluded.contains(&"lenvatinib"),
        "{name}: lenvatinib is always excluded"
    );
    for w in a["workup"].as_array().unwrap() {
        assert!(
            ["done", "pending", "missing"].contains(&w["status"].as_str().unwrap()),
            "{name}: workup status"
        );
    }
    for x in a["alerts"].as_array().unwrap() {
        assert!(
            ["critical", "warning", "info"].contains(&x["severity"].as_str().unwrap()),
            "{name}: severity"
        );
    }
}

fn run_dir(dir: &Path, min: usize) {
    let files = case_files(dir);
    assert!(
        files.len() >= min,
        "expected at least {min} cases in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let a = assess_json(f);
        check_contract(&a, &name);
        let exp_path = f.with_extension("expected.json");
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(&exp_path).unwrap()).unwrap();
        for why in judge(&a, &exp) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn every_published_case_meets_its_expected_answer() {
    run_dir(&root().join("../shared/cases"), 13);
}

#[test]
fn every_example_meets_its_expected_answer() {
    run_dir(&root().join("examples"), 5);
}

#[test]
fn every_format_renders_every_example() {
    for f in case_files(&root().join("examples")) {
        for format in ["text", "markdown", "html"] {
            let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
                .args(["assess", f.to_str().unwrap(), "--format", format])
                .output()
                .unwrap();
            assert!(out.status.success(), "{} {format}", f.display());
            let s = String::from_utf8(out.stdout).unwrap();
            assert!(
                s.contains("Knowledge base 2"),
                "{} {format}: KB version shown",
                f.display()
            );
            if format == "html" {
                assert!(s.starts_with("<!DOCTYPE html>") && s.trim_end().ends_with("</html>"));
                assert!(
                    !s.contains("<script")
                        && !s.contains("src=\"http")
                        && !s.contains("href=\"http"),
                    "self-contained"
                );
            }
        }
    }
}

#[test]
fn text_report_puts_stage_and_critical_alerts_before_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", "examples/ivc-braf.json"])
        .current_dir(root())
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    let stage = s.find("Stage IVC").expect("stage line");
    let alert = s
        .find("[CRITICAL] airway_compromise")
        .expect("critical alert");
    let options = s.find("OPTIONS").expect("options");
    assert!(
        stage < alert && alert < options,
        "order: stage, alerts, options"
    );
}

#[test]
fn as_of_override_is_used() {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args([
            "assess",
            "examples/ivc-braf.json",
            "--format",
            "json",
            "--as-of",
            "2022-09-30",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["as_of"], "2022-09-30");
}

#[test]
fn stdin_is_read_with_dash() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let case = std::fs::read(root().join("examples/iva-resectable.json")).unwrap();
    child.stdin.take().unwrap().write_all(&case).unwrap();
    let out = child.wait_with_output().unwrap();
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["stage"]["group"], "IVA");
}

#[test]
fn centre_config_changes_a_target() {
    let dir = std::env::temp_dir().join(format!("atcpath-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("centre.toml");
    std::fs::write(&cfg, "[targets]\nfirst_contact_to_mdt = 30\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args([
            "assess",
            "examples/ivb-unresectable-pending.json",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ])
        .current_dir(root())
        .output()
        .unwrap();
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&"fast_track_overdue"),
        "with a 30-day MDT target, 11 days is not overdue: {ids:?}"
    );
}

#[test]
fn dose_command_prints_one_entry_per_drug() {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args([
            "dose",
            "examples/ivc-braf.json",
            "--regimen",
            "paclitaxel_carboplatin_q3w",
            "--format",
            "json",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let doses = v["doses"].as_array().unwrap();
    let drugs: Vec<&str> = doses.iter().map(|d| d["drug"].as_str().unwrap()).collect();
    assert_eq!(drugs, ["paclitaxel", "carboplatin"]);
    for d in doses {
        for f in [
            "option_id",
            "drug",
            "dose",
            "calculated",
            "unit",
            "schedule",
            "basis",
        ] {
            assert!(d.get(f).is_some(), "field {f}");
        }
    }
    assert_eq!(doses[1]["dose"], 410.0);
}

#[test]
fn rt_command_gives_bed_and_eqd2() {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args([
            "rt",
            "--dose-per-fraction",
            "1.6",
            "--fractions",
            "36",
            "--per-day",
            "2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total_dose_gy"], 57.6);
    assert_eq!(v["bed_10"], 66.82);
    assert_eq!(v["eqd2_3"], 52.99);
    assert_eq!(v["treatment_days"], 18);
    let bad = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["rt", "--dose-per-fraction", "0", "--fractions", "5"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn every_shared_case_with_measurements_gets_doses_and_others_say_what_is_missing() {
    for f in case_files(&root().join("../shared/cases")) {
        let a = assess_json(&f);
        for d in a["doses"].as_array().unwrap() {
            if d["dose"].is_null() {
                assert!(
                    d["basis"]
                        .as_str()
                        .unwrap()
                        .starts_with("cannot compute: needs"),
                    "{}: {d}",
                    f.display()
                );
            } else {
                assert!(d["dose"].as_f64().unwrap() > 0.0);
            }
        }
    }
}

#[test]
fn an_unreadable_knowledge_base_folder_exits_1_and_an_invalid_one_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["kb", "--dir", "/nonexistent-kb"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let dir = std::env::temp_dir().join(format!("atcpath-kb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in std::fs::read_dir(root().join("kb")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let opts = std::fs::read_to_string(dir.join("options.toml"))
        .unwrap()
        .replacen("\"review:134\"", "\"review:9999\"", 1);
    std::fs::write(dir.join("options.toml"), opts).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["kb", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("review:9999"));
}
