//! Bad input: exit status 2, nothing on standard output, every problem on standard error with its
//! JSON path and what is accepted; never a panic.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "schema": "atcpath.case/1",
        "id": "bad-input-base",
        "as_of": "2024-05-01",
        "patient": {"age_years": 70, "sex": "female", "weight": {"value": 60, "unit": "kg"}, "height": {"value": 160, "unit": "cm"}, "ecog": 1},
        "labs": {"creatinine": {"value": 0.9, "unit": "mg/dL"}},
        "diagnosis": {"histology": "anaplastic", "expert_review": true, "date": "2024-04-28"},
        "tumor": {"t": "T4a", "n": "N1b", "m": "M0", "resectability": "unresectable"},
        "molecular": {"resulted": ["ngs_dna"], "variants": [{"gene": "BRAF", "hgvs_p": "p.V600E"}]},
        "events": [{"kind": "biopsy", "date": "2024-04-25"}]
    })
}

/// Runs `assess -` on bytes; returns (exit code, stdout, stderr).
fn run(bytes: &[u8]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = bytes.to_vec();
    // Write from a thread: the reader may stop early on an oversized input.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn with(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = base();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn expect_invalid(name: &str, bytes: &[u8], needles: &[&str]) {
    let (code, out, err) = run(bytes);
    assert_eq!(code, Some(2), "{name}: exit status (stderr: {err})");
    assert!(out.is_empty(), "{name}: nothing on stdout, got {out}");
    for n in needles {
        assert!(
            err.contains(n),
            "{name}: stderr should mention {n:?}; got:\n{err}"
        );
    }
}

#[test]
fn the_base_case_is_valid() {
    let (code, out, err) = run(&serde_json::to_vec(&base()).unwrap());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"case_id\""));
}

#[test]
fn malformed_documents() {
    expect_invalid("empty file", b"", &["$: file is empty"]);
    expect_invalid("whitespace only", b"  \n\t ", &["file is empty"]);
    expect_invalid(
        "wrong JSON",
        b"{\"schema\": \"atcpath.case/1\",",
        &["not valid JSON", "line 1"],
    );
    expect_invalid("trailing garbage", b"{} xyz", &["not valid JSON"]);
    expect_invalid(
        "binary garbage",
        &[0xff, 0xfe, 0x00, 0x13, 0x88, 0x9a, 0x01, 0x02],
        &["not valid JSON"],
    );
    expect_invalid(
        "top-level list",
        b"[1, 2, 3]",
        &["$: expected an object, found a list"],
    );
    expect_invalid(
        "deep nesting",
        "[".repeat(100_000).as_bytes(),
        &["not valid JSON"],
    );
    expect_invalid(
        "duplicate key",
        br#"{"schema": "atcpath.case/1", "id": "a", "id": "b", "as_of": "2024-01-01"}"#,
        &["duplicate key \"id\""],
    );
}

#[test]
fn oversized_file_is_refused_without_reading_it_all() {
    let mut big = Vec::with_capacity(100 * 1024 * 1024 + 16);
    big.extend_from_slice(b"{\"schema\": \"atcpath.case/1\", \"id\": \"");
    big.resize(100 * 1024 * 1024, b'x');
    big.extend_from_slice(b"\"}");
    expect_invalid("100 MB file", &big, &["at most 4194304 bytes"]);
}

#[test]
fn required_fields_and_schema() {
    expect_invalid(
        "missing id and as_of",
        br#"{"schema": "atcpath.case/1"}"#,
        &["id: required", "as_of: required"],
    );
    expect_invalid(
        "wrong schema",
        &with(|v| v["schema"] = json!("atcpath.case/2")),
        &["schema: must be exactly"],
    );
    expect_invalid(
        "unknown field",
        &with(|v| v["patient"]["wieght"] = json!({"value": 60, "unit": "kg"})),
        &["patient.wieght: unknown field", "did you mean \"weight\""],
    );
    expect_invalid(
        "unknown top-level field",
        &with(|v| v["notes"] = json!("x")),
        &["notes: unknown field"],
    );
}

#[test]
fn wrong_types() {
    expect_invalid(
        "age as string",
        &with(|v| v["patient"]["age_years"] = json!("seventy")),
        &["patient.age_years: expected a number, found a string"],
    );
    expect_invalid(
        "airway as string",
        &with(|v| v["tumor"]["airway_compromise"] = json!("yes")),
        &["tumor.airway_compromise: expected true or false"],
    );
    expect_invalid(
        "resulted not a list",
        &with(|v| v["molecular"]["resulted"] = json!("ngs_dna")),
        &["molecular.resulted: expected a list"],
    );
    expect_invalid(
        "weight without unit",
        &with(|v| v["patient"]["weight"] = json!({"value": 60})),
        &["patient.weight.unit: required"],
    );
}

#[test]
fn out_of_vocabulary_and_range() {
    expect_invalid(
        "ECOG 5",
        &with(|v| v["patient"]["ecog"] = json!(5)),
        &["patient.ecog", "0 to 4"],
    );
    expect_invalid(
        "ECOG 1.5",
        &with(|v| v["patient"]["ecog"] = json!(1.5)),
        &["patient.ecog"],
    );
    expect_invalid(
        "PD-L1 120",
        &with(|v| v["molecular"]["pd_l1_tps_percent"] = json!(120)),
        &["molecular.pd_l1_tps_percent", "0 to 100"],
    );
    expect_invalid(
        "age 130",
        &with(|v| v["patient"]["age_years"] = json!(130)),
        &["patient.age_years"],
    );
    expect_invalid(
        "T5",
        &with(|v| v["tumor"]["t"] = json!("T5")),
        &["tumor.t", "accepted: TX, T1"],
    );
    expect_invalid(
        "unknown test id",
        &with(|v| v["molecular"]["resulted"] = json!(["wgs"])),
        &["molecular.resulted[0]", "accepted: braf_v600e_ihc"],
    );
    expect_invalid(
        "unknown modality",
        &with(|v| v["preferences"] = json!({"declines": ["chemo"]})),
        &["preferences.declines[0]", "accepted: surgery"],
    );
    expect_invalid(
        "negative TMB",
        &with(|v| v["molecular"]["tmb_mut_per_mb"] = json!(-1)),
        &["molecular.tmb_mut_per_mb"],
    );
    expect_invalid(
        "unknown event kind",
        &with(|v| v["events"] = json!([{"kind": "scan", "date": "2024-04-01"}])),
        &["events[0].kind"],
    );
}

#[test]
fn implausible_values_and_unit_confusion() {
    expect_invalid(
        "weight in grams labelled kg",
        &with(|v| v["patient"]["weight"] = json!({"value": 68000, "unit": "kg"})),
        &["patient.weight.value", "plausible in g"],
    );
    expect_invalid(
        "height in metres labelled cm",
        &with(|v| v["patient"]["height"] = json!({"value": 1.75, "unit": "cm"})),
        &["patient.height.value", "plausible in m"],
    );
    expect_invalid(
        "creatinine umol/L labelled mg/dL",
        &with(|v| v["labs"]["creatinine"] = json!({"value": 90, "unit": "mg/dL"})),
        &["labs.creatinine.value", "plausible in umol/L"],
    );
    expect_invalid(
        "bilirubin umol/L labelled mg/dL",
        &with(|v| v["labs"]["total_bilirubin"] = json!({"value": 300, "unit": "mg/dL"})),
        &["labs.total_bilirubin.value", "plausible in umol/L"],
    );
    expect_invalid(
        "unknown unit",
        &with(|v| v["patient"]["weight"] = json!({"value": 11, "unit": "stone"})),
        &["patient.weight.unit", "accepted: kg, g, lb"],
    );
    expect_invalid(
        "LVEF as fraction",
        &with(|v| v["labs"] = json!({"lvef_percent": 0.55})),
        &["labs.lvef_percent", "fraction"],
    );
    expect_invalid(
        "tumour 680 mm",
        &with(|v| v["tumor"]["largest_dimension_mm"] = json!(680)),
        &["tumor.largest_dimension_mm"],
    );
    expect_invalid(
        "LVEF 1.0",
        &with(|v| v["labs"] = json!({"lvef_percent": 1.0})),
        &["labs.lvef_percent", "5-90 %"],
    );
    expect_invalid(
        "empty id",
        &with(|v| v["id"] = json!(" ")),
        &["id: is empty: required"],
    );
    expect_invalid(
        "invasion twice",
        &with(|v| v["tumor"]["invasion"] = json!(["trachea", "larynx", "trachea"])),
        &["tumor.invasion[2]", "listed twice", "tumor.invasion[0]"],
    );
    expect_invalid(
        "tumour 0.5 mm (centimetres?)",
        &with(|v| v["tumor"]["largest_dimension_mm"] = json!(0.5)),
        &["tumor.largest_dimension_mm", "centimetres"],
    );
}

#[test]
fn dates() {
    expect_invalid(
        "event after as_of",
        &with(|v| v["events"] = json!([{"kind": "mdt", "date": "2024-06-01"}])),
        &["events[0].date", "after the decision date"],
    );
    expect_invalid(
        "diagnosis after as_of",
        &with(|v| v["diagnosis"]["date"] = json!("2025-01-01")),
        &["diagnosis.date"],
    );
    expect_invalid(
        "not a date",
        &with(|v| v["as_of"] = json!("01/05/2024")),
        &["as_of", "YYYY-MM-DD"],
    );
    expect_invalid(
        "impossible date",
        &with(|v| v["as_of"] = json!("2024-02-30")),
        &["as_of"],
    );
    expect_invalid(
        "treatment ends before it starts",
        &with(|v| {
            v["treatments"] =
                json!([{"drug": "paclitaxel", "start": "2024-03-01", "end": "2024-02-01"}])
        }),
        &["treatments[0].end", "before start"],
    );
}

#[test]
fn contradictions() {
    expect_invalid(
        "M0 with metastatic sites",
        &with(|v| v["tumor"]["metastatic_sites"] = json!(["lung"])),
        &["tumor.m", "M0 contradicts"],
    );
    expect_invalid(
        "recorded stage disagrees",
        &with(|v| v["tumor"]["stage_group"] = json!("IVA")),
        &["tumor.stage_group", "IVA disagrees with IVB"],
    );
    expect_invalid(
        "T disagrees with invasion",
        &with(|v| {
            v["tumor"]["t"] = json!("T2");
            v["tumor"]["invasion"] = json!(["trachea"]);
        }),
        &["tumor.t", "T2 disagrees"],
    );
    expect_invalid(
        "test both resulted and pending",
        &with(|v| v["molecular"]["pending"] = json!(["ngs_dna"])),
        &["molecular.pending[0]", "both as resulted and as pending"],
    );
}

#[test]
fn molecular_notation() {
    expect_invalid(
        "malformed HGVS protein",
        &with(|v| v["molecular"]["variants"] = json!([{"gene": "BRAF", "hgvs_p": "V600E"}])),
        &["molecular.variants[0].hgvs_p", "p.V600E"],
    );
    expect_invalid(
        "malformed HGVS coding",
        &with(|v| v["molecular"]["variants"] = json!([{"gene": "TERT", "hgvs_c": "C228T"}])),
        &["molecular.variants[0].hgvs_c", "c.-124C>T"],
    );
    expect_invalid(
        "bad gene symbol",
        &with(|v| v["molecular"]["variants"] = json!([{"gene": "braf", "hgvs_p": "p.V600E"}])),
        &["molecular.variants[0].gene", "HGNC"],
    );
    expect_invalid(
        "unknown fusion gene",
        &with(|v| {
            v["molecular"]["fusions"] = json!([{"five_prime": "CCDC6", "three_prime": "RETT"}])
        }),
        &["molecular.fusions[0].three_prime", "RETT"],
    );
    expect_invalid(
        "intragenic fusion",
        &with(|v| v["molecular"]["fusions"] = json!([{"five_prime": "RET", "three_prime": "RET"}])),
        &["molecular.fusions[0]", "intragenic"],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let bytes = with(|v| {
        v["patient"]["ecog"] = json!(7);
        v["labs"]["creatinine"] = json!({"value": 90, "unit": "mg/dL"});
        v["molecular"]["pd_l1_tps_percent"] = json!(101);
        v["events"] = json!([{"kind": "mdt", "date": "2030-01-01"}]);
    });
    let (code, _, err) = run(&bytes);
    assert_eq!(code, Some(2));
    for p in [
        "patient.ecog",
        "labs.creatinine.value",
        "molecular.pd_l1_tps_percent",
        "events[0].date",
    ] {
        assert!(err.contains(p), "missing {p} in:\n{err}");
    }
    assert!(err.contains("4 problems"), "{err}");
}

#[test]
fn bad_arguments_exit_2_and_unreadable_files_exit_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", "/nonexistent/case.json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a file that cannot be read is not invalid input"
    );
    assert!(out.stdout.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["dose", "examples/ivc-braf.json", "--regimen", "folfox"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "unknown regimen");
    assert!(String::from_utf8_lossy(&out.stderr).contains("paclitaxel_carboplatin_q3w"));
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", "x.json", "--format", "pdf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", "-", "--as-of", "2024-13-01"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cross_field_and_clinical_contradictions() {
    expect_invalid(
        "recorded IVA with T4a",
        &with(|v| {
            v["tumor"] = json!({"t": "T4a", "n": "N1b", "stage_group": "IVA"});
        }),
        &["tumor.stage_group", "impossible", "IVB or IVC"],
    );
    expect_invalid(
        "recorded IVC with M0",
        &with(|v| {
            v["tumor"] = json!({"m": "M0", "stage_group": "IVC"});
        }),
        &["tumor.stage_group", "impossible"],
    );
    expect_invalid(
        "gene typo near BRAF",
        &with(|v| v["molecular"]["variants"] = json!([{"gene": "BRAF1", "hgvs_p": "p.V600E"}])),
        &["molecular.variants[0].gene", "did you mean \"BRAF\""],
    );
    expect_invalid(
        "wrong reference residue at BRAF 600",
        &with(|v| v["molecular"]["variants"] = json!([{"gene": "BRAF", "hgvs_p": "p.E600V"}])),
        &["molecular.variants[0].hgvs_p", "residue 600 is Val"],
    );
    expect_invalid(
        "coding and protein disagree",
        &with(|v| {
            v["molecular"]["variants"] =
                json!([{"gene": "BRAF", "hgvs_c": "c.1799T>A", "hgvs_p": "p.V600K"}])
        }),
        &["molecular.variants[0]", "encodes p.Val600Glu"],
    );
    expect_invalid(
        "death before the decision",
        &with(
            |v| v["events"] = json!([{"kind": "death", "date": "2024-04-30"}, {"kind": "mdt", "date": "2024-05-01"}]),
        ),
        &[
            "events[0]",
            "died on 2024-04-30",
            "events[1].date",
            "after death",
        ],
    );
    expect_invalid(
        "year 0000",
        &with(|v| v["events"] = json!([{"kind": "biopsy", "date": "0000-01-01"}])),
        &["events[0].date", "before 1900"],
    );
    expect_invalid(
        "implausible BMI",
        &with(|v| v["patient"]["weight"] = json!({"value": 50, "unit": "lb"})),
        &["patient.weight.value", "BMI"],
    );
    expect_invalid(
        "kinase as 5' partner",
        &with(|v| {
            v["molecular"]["fusions"] = json!([{"five_prime": "RET", "three_prime": "CCDC6"}])
        }),
        &["molecular.fusions[0]", "orientation"],
    );
    expect_invalid(
        "mixed amino-acid codes",
        &with(|v| v["molecular"]["variants"] = json!([{"gene": "BRAF", "hgvs_p": "p.V600Glu"}])),
        &["molecular.variants[0].hgvs_p", "mixes"],
    );
}

#[test]
fn harmless_variants_of_valid_input_are_accepted() {
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(serde_json::to_vec(&base()).unwrap());
    assert_eq!(run(&bom).0, Some(0), "a UTF-8 byte-order mark is ignored");
    assert_eq!(
        run(&with(|v| v["patient"]["ecog"] = json!(1.0))).0,
        Some(0),
        "ECOG 1.0 is ECOG 1"
    );
    let (code, out, _) = run(&with(|v| {
        v["molecular"]["variants"] = json!([{"gene": "BRAF", "hgvs_c": "c.1799T>A"}])
    }));
    assert_eq!(code, Some(0));
    assert!(
        out.contains("\"neoadjuvant_dabrafenib_trametinib\""),
        "c.1799T>A alone is BRAF V600E"
    );
}

#[test]
fn writing_to_a_full_device_is_an_error() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    let status = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["assess", "examples/ivc-braf.json"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdout(std::fs::File::create(full).unwrap())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn drug_typos_config_ranges_and_future_dates() {
    expect_invalid(
        "drug typo",
        &with(|v| v["treatments"] = json!([{"drug": "lenvatinb"}])),
        &["treatments[0].drug", "did you mean \"lenvatinib\""],
    );
    expect_invalid(
        "radiotherapy ends before it starts",
        &with(
            |v| v["events"] = json!([{"kind": "radiotherapy_start", "date": "2024-04-20"}, {"kind": "radiotherapy_end", "date": "2024-04-10"}]),
        ),
        &["events", "radiotherapy_end"],
    );
    expect_invalid(
        "second radiotherapy course ends before it starts",
        &with(|v| {
            v["events"] = json!([
                {"kind": "radiotherapy_start", "date": "2024-03-10"},
                {"kind": "radiotherapy_end", "date": "2024-03-20"},
                {"kind": "radiotherapy_start", "date": "2024-04-10"},
                {"kind": "radiotherapy_end", "date": "2024-04-01"}
            ])
        }),
        &["events[3].date", "events[0]", "already ended"],
    );
    expect_invalid(
        "implausible anthracycline exposure",
        &with(|v| {
            v["treatments"] = json!([{"drug": "doxorubicin", "cumulative_dose": {"value": 5000, "unit": "mg/m2"}}])
        }),
        &["treatments[0].cumulative_dose.value"],
    );
    expect_invalid(
        "decision date in the future",
        &with(|v| v["as_of"] = json!("2999-01-01")),
        &["as_of", "after today"],
    );
    let dir = std::env::temp_dir().join(format!("atcpath-bad-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (body, needle) in [
        (
            "[dosing]\nadjusted_weight_bmi = 0\n",
            "dosing.adjusted_weight_bmi",
        ),
        (
            "[dosing]\nbsa_flag_above_m2 = nan\n",
            "dosing.bsa_flag_above_m2",
        ),
        ("[dosing]\nbsa_cap_m2 = 1.0\n", "dosing.bsa_cap_m2"),
        ("[dosing]\nreferences = []\n", "dosing.references"),
        (
            "[targets]\nfirst_contact_to_mdt = 0\n",
            "targets.first_contact_to_mdt",
        ),
    ] {
        let cfg = dir.join("c.toml");
        std::fs::write(&cfg, body).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
            .args([
                "assess",
                "examples/ivc-braf.json",
                "--config",
                cfg.to_str().unwrap(),
            ])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{body}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{body}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rt = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_atcpath"))
            .arg("rt")
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(
        rt(&["--dose-per-fraction", "30", "--fractions", "100"]),
        Some(2),
        "3000 Gy"
    );
    assert_eq!(
        rt(&["--dose-per-fraction", "0.0001", "--fractions", "3"]),
        Some(2)
    );
    assert_eq!(
        rt(&["--dose-per-fraction", "2", "--fractions", "33"]),
        Some(0)
    );
}

/// Runs the binary with `args`; returns (exit code, stdout, stderr).
fn atcpath(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn devices_and_fifos_are_refused_without_reading() {
    // /dev/zero has no end and a FIFO with no writer blocks its reader forever: every command
    // that opens an input file refuses anything but a regular file at once
    // (formats::limits::open_file). The line limit on endless regular input is tested on an
    // endless reader in formats::limits.
    let dir = std::env::temp_dir().join(format!("atcpath-bad-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("case.json");
    std::fs::write(&case, serde_json::to_vec(&base()).unwrap()).unwrap();
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = dir.join("out.maf");
    let (c, f, o) = (
        case.to_str().unwrap(),
        fifo.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    for args in [
        vec!["assess", c, "--molecular", "/dev/zero"],
        vec!["annotate", "--maf", "/dev/zero", "--out", o],
        vec!["annotate", "--cna", "/dev/zero", "--out", o],
        vec!["assess", f],
        vec!["assess", c, "--config", f],
        vec!["assess", c, "--molecular", f],
        vec![
            "survival", "km", "--input", f, "--time", "t", "--event", "e",
        ],
        vec!["annotate", "--maf", f, "--out", o],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_atcpath"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > std::time::Duration::from_secs(20) {
                let _ = child.kill();
                panic!("{args:?} blocked on a FIFO or device");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let res = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_ne!(res.status.code(), Some(0), "{args:?}: {err}");
        assert!(res.stdout.is_empty(), "{args:?}");
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_one_line_maf_longer_than_the_limit_is_refused_at_line_1() {
    let dir = std::env::temp_dir().join(format!("atcpath-bad-longmaf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let maf = dir.join("long.maf");
    let mut line = b"Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\t".to_vec();
    line.resize(atcpath_formats::limits::MAX_LINE_BYTES + 10, b'x');
    std::fs::write(&maf, &line).unwrap();
    let out = dir.join("out.maf");
    let (code, _, err) = atcpath(&[
        "annotate",
        "--maf",
        maf.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("long.maf: line 1: line is longer than"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn combined_and_look_alike_drug_names_are_refused_at_the_drug() {
    for (name, needle) in [
        ("doxorubicin + cisplatin", "write one treatment per drug"),
        ("doxorubicin/cisplatin", "write one treatment per drug"),
        (
            "AC (doxorubicin cyclophosphamide)",
            "write one treatment per drug",
        ),
        ("ｄｏｘｏｒｕｂｉｃｉｎ", "U+FF44"),
        ("doxorubicin\u{200B}", "U+200B"),
        ("DOXORUBİCİN", "U+0130"),
    ] {
        let bytes = with(|v| {
            v["treatments"] = json!([{"drug": name, "start": "2024-01-01", "end": "2024-02-01",
                "cumulative_dose": {"value": 600, "unit": "mg/m2"}}]);
        });
        expect_invalid(name, &bytes, &["treatments[0].drug", needle]);
    }
}
