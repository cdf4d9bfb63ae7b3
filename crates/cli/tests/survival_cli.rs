//! `atcpath survival` end to end: numbers through the JSON output against R's golden files,
//! plots, cBioPortal clinical files, and bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/golden/survival")
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("survival")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn data(name: &str) -> String {
    golden().join("data").join(name).to_string_lossy().into()
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(golden().join("expected").join(name)).unwrap())
        .unwrap()
}

fn rel(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs() + 1e-12
}

#[test]
fn cox_json_reproduces_r() {
    let (code, out, err) = run(&[
        "cox",
        "--input",
        &data("veteran.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "trt,celltype,karno",
        "--levels",
        "celltype=squamous,smallcell,adeno,large",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    let exp = expected("coxph_veteran_efron.json");
    for k in 0..5 {
        for key in ["coef", "se", "p"] {
            assert!(
                rel(got[key][k].as_f64().unwrap(), exp[key][k].as_f64().unwrap()),
                "{key}[{k}]"
            );
        }
    }
    assert!(rel(
        got["concordance"]["se"].as_f64().unwrap(),
        exp["concordance"]["se"].as_f64().unwrap()
    ));
    assert_eq!(got["terms"], exp["terms"]);
    for key in ["lr_test", "wald_test", "score_test"] {
        assert!(
            rel(
                got[key]["statistic"].as_f64().unwrap(),
                exp[key]["statistic"].as_f64().unwrap()
            ),
            "{key}"
        );
    }
}

#[test]
fn km_json_follows_the_golden_field_names_and_writes_inf() {
    let (code, out, _) = run(&[
        "km",
        "--input",
        &data("veteran.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "trt",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    let got: Value = serde_json::from_str(&out).unwrap();
    let c = &got["curves"][1];
    for f in [
        "group",
        "n",
        "n_events_total",
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "surv",
        "std_err",
        "lower",
        "upper",
        "median",
    ] {
        assert!(!c[f].is_null(), "field {f}");
    }
    assert_eq!(c["median"]["value"], 52.5, "R's midpoint rule");
    assert_eq!(c["std_err"].as_array().unwrap().last().unwrap(), "Inf");
}

#[test]
fn logrank_matches_r() {
    let (code, out, _) = run(&[
        "logrank",
        "--input",
        &data("lung.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "sex",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    let got: Value = serde_json::from_str(&out).unwrap();
    let exp = expected("survdiff_lung_by_sex_rho0.json");
    assert!(rel(
        got["chisq"].as_f64().unwrap(),
        exp["chisq"].as_f64().unwrap()
    ));
    assert!(rel(got["p"].as_f64().unwrap(), exp["p"].as_f64().unwrap()));
}

#[test]
fn plots_are_written_in_svg_and_png() {
    let dir = std::env::temp_dir().join(format!("atcpath-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for ext in ["svg", "png"] {
        let f = dir.join(format!("km.{ext}"));
        let (code, _, err) = run(&[
            "km",
            "--input",
            &data("lung.csv"),
            "--time",
            "time",
            "--event",
            "status",
            "--group",
            "sex",
            "--plot",
            f.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{err}");
        let bytes = std::fs::read(&f).unwrap();
        if ext == "svg" {
            let s = String::from_utf8(bytes).unwrap();
            assert!(s.contains("Number at risk") && s.contains("log-rank p = 0.0013"));
        } else {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
            assert!(bytes.len() > 20_000, "a real image with text");
        }
    }
}

#[test]
fn cbioportal_clinical_files_are_read() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/cbioportal/study_es_0/data_clinical_patients.txt");
    let (code, out, err) = run(&[
        "km",
        "--input",
        f.to_str().unwrap(),
        "--time",
        "OS_MONTHS",
        "--event",
        "OS_STATUS",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(got["curves"][0]["n"], 808);
    assert_eq!(
        got["rows_dropped"].as_array().unwrap().len(),
        33,
        "missing OS values are dropped and reported"
    );
}

#[test]
fn bad_input_is_refused_clearly() {
    let dir = std::env::temp_dir().join(format!("atcpath-surv-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_string_lossy().to_string()
    };
    let cases = [
        (
            write("neg.csv", "t,e\n1,1\n-2,0\n3,1\n"),
            vec!["km"],
            "negative",
        ),
        (
            write("nonnum.csv", "t,e\n1,1\nabc,0\n3,1\n"),
            vec!["km"],
            "not a number",
        ),
        (
            write("codes.csv", "t,e\n1,yes\n2,no\n3,yes\n"),
            vec!["km"],
            "event codes",
        ),
        (
            write("cens.csv", "t,e\n1,0\n2,0\n3,0\n"),
            vec!["km"],
            "all 3 observations are censored",
        ),
        (
            write("grp.csv", "t,e,g\n1,1,a\n2,1,a\n3,0,b\n4,0,b\n"),
            vec!["logrank", "--group", "g"],
            "group \"b\" has no events",
        ),
        (
            write("few.csv", "t,e,a,b,c\n1,1,1,2,3\n2,1,2,1,3\n"),
            vec!["cox", "--covariates", "a,b,c"],
            "more rows than covariates",
        ),
        (
            write("const.csv", "t,e,a\n1,1,1\n2,0,1\n3,1,1\n4,1,1\n5,0,1\n"),
            vec!["cox", "--covariates", "a"],
            "covariate \"a\"",
        ),
    ];
    for (file, extra, needle) in cases {
        let mut args = vec![extra[0], "--input", &file, "--time", "t", "--event", "e"];
        args.extend(&extra[1..]);
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(2), "{file}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{file}: {err}");
    }
    let (code, _, err) = run(&[
        "km",
        "--input",
        &data("lung.csv"),
        "--time",
        "nope",
        "--event",
        "status",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("column \"nope\" does not exist"));
}
