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

/// Writes a scratch data file for one test and returns its path.
fn scratch(tag: &str, name: &str, body: &str) -> String {
    let dir = std::env::temp_dir().join(format!("atcpath-surv-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().to_string()
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
    let write = |name: &str, body: &str| scratch("bad", name, body);
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

#[test]
fn review_findings_stay_fixed() {
    let write = |name: &str, body: &str| scratch("rev", name, body);
    // Levels sorted as R collates text: a, B, c (case ignored first).
    let f = write(
        "levels.csv",
        "t,e,g\n1,1,a\n2,1,B\n3,0,c\n4,1,a\n5,1,B\n6,1,c\n7,0,a\n8,1,B\n9,1,c\n",
    );
    let (code, out, err) = run(&[
        "cox",
        "--input",
        &f,
        "--time",
        "t",
        "--event",
        "e",
        "--covariates",
        "g",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["terms"], serde_json::json!(["gB", "gc"]));
    // S before the first time is 1 with limits 1 to 1, for every interval type.
    let (_, out, _) = run(&[
        "km",
        "--input",
        &f,
        "--time",
        "t",
        "--event",
        "e",
        "--conf-type",
        "log-log",
        "--at",
        "0.5",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["curves"][0]["at_times"][0]["lower"].as_f64(),
            v["curves"][0]["at_times"][0]["upper"].as_f64()
        ),
        (Some(1.0), Some(1.0))
    );
    assert_eq!(
        v["curves"][0]["quantiles"]["probs"],
        serde_json::json!([0.25, 0.5, 0.75])
    );
    // Perfect separation: a clear error naming the covariate.
    let f2 = write(
        "sep2.csv",
        "t,e,s,z\n1,1,1,0.3\n2,1,1,0.1\n3,1,1,0.5\n4,0,0,0.2\n5,0,0,0.9\n6,0,0,0.4\n7,0,0,0.6\n8,0,0,0.8\n9,0,0,0.7\n",
    );
    let (code, _, err) = run(&[
        "cox",
        "--input",
        &f2,
        "--time",
        "t",
        "--event",
        "e",
        "--covariates",
        "s,z",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("monotone likelihood") && err.contains("\"s\""),
        "{err}"
    );
    // Collinear columns: the later one is named.
    let f = write(
        "col.csv",
        "t,e,a,b,c\n1,1,1,2,5\n2,1,2,4,3\n3,0,3,6,1\n4,1,4,8,4\n5,1,5,10,2\n6,0,6,12,6\n7,1,7,14,3\n",
    );
    let (code, _, err) = run(&[
        "cox",
        "--input",
        &f,
        "--time",
        "t",
        "--event",
        "e",
        "--covariates",
        "a,b,c",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("covariate \"b\""), "{err}");
    // A stray text value in a numeric column is a typo, not a factor.
    let f = write("typo.csv", "t,e,x\n1,1,1\n2,1,2\n3,0,3x\n4,1,4\n5,1,5\n");
    let (code, _, err) = run(&[
        "cox",
        "--input",
        &f,
        "--time",
        "t",
        "--event",
        "e",
        "--covariates",
        "x",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("\"3x\" is not a number"), "{err}");
    // An --event-value that is not in the data.
    let (code, _, err) = run(&[
        "km",
        "--input",
        &data("lung.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--event-value",
        "dead",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not among the codes found"), "{err}");
    // Flags that do not apply are refused.
    let (code, _, err) = run(&[
        "logrank",
        "--input",
        &data("lung.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "sex",
        "--plot",
        "x.svg",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--plot applies to km"));
    let (code, _, _) = run(&[
        "km",
        "--input",
        &data("lung.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--rmean=-1",
    ]);
    assert_eq!(code, Some(2));
}

#[test]
fn malformed_csv_is_refused_with_its_line() {
    let write = |name: &str, body: &str| scratch("csv", name, body);
    for (file, needle) in [
        // An opening quote never closed: the csv crate would read the rest as one field.
        (
            write("unterminated.csv", "t,e,g\n1,1,a\n2,0,\"b\n3,1,a\n4,1,b\n"),
            "line 3: unterminated or stray quote",
        ),
        (
            write("stray.csv", "t,e,g\n1,1,a\n2,0,b\"x\n3,1,a\n"),
            "line 3: unterminated or stray quote",
        ),
        (
            write("ragged.csv", "t,e,g\n1,1,a\n2,0,b\n3,1\n"),
            "line 4: 2 fields where the header has 3",
        ),
    ] {
        let (code, out, err) = run(&["km", "--input", &file, "--time", "t", "--event", "e"]);
        assert_eq!(code, Some(2), "{file}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{file}: {err}");
    }
    // Quoted fields with commas, doubled quotes and newlines are still read.
    let ok = write(
        "quoted.csv",
        "t,e,g\n1,1,\"a, \"\"x\"\"\"\n2,0,\"b\nc\"\n3,1,a\n",
    );
    let (code, _, err) = run(&["km", "--input", &ok, "--time", "t", "--event", "e"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn an_endless_input_is_refused_quickly() {
    // A device is refused before it is read (formats::limits::open_file); the line limit on an
    // endless regular input is tested in formats::limits.
    let (code, _, err) = run(&["km", "--input", "/dev/zero", "--time", "t", "--event", "e"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("/dev/zero: cannot read: not a regular file"),
        "{err}"
    );
}
