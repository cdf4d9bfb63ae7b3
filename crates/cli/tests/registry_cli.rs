//! `atcpath registry` end to end through the binary, on a SQLite file and, when
//! `ATCPATH_TEST_POSTGRES_URL` is set (a server where the user may create databases), on a fresh
//! PostgreSQL database too; otherwise a loud SKIPPED line is printed for each test.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use sqlx::{Connection, Executor};

mod common;

use common::{Reg, atc, block_on, command, json, ok, registries, root, temp_dir};

fn case_dirs() -> [String; 2] {
    [
        root().join("../shared/cases").display().to_string(),
        root().join("examples").display().to_string(),
    ]
}

fn case_file_count() -> usize {
    fn walk(d: &Path) -> usize {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                if p.is_dir() {
                    walk(&p)
                } else {
                    let n = p.to_string_lossy();
                    usize::from(n.ends_with(".json") && !n.ends_with(".expected.json"))
                }
            })
            .sum()
    }
    walk(&root().join("../shared/cases")) + walk(&root().join("examples"))
}

#[test]
fn registry_commands_end_to_end() {
    for reg in registries("registry_commands_end_to_end") {
        let n = case_file_count();
        assert!(ok(&reg, &["init"]).contains("schema version 2"));
        let [cases, examples] = case_dirs();
        let s = json(&reg, &["import", &cases, &examples, "--format", "json"]);
        assert_eq!(s["files"], n);
        assert_eq!(s["imported"], n, "{}: every case accepted", reg.backend);
        assert_eq!(s["rejected"], 0);
        // Unchanged on re-import: no new version.
        let s = json(&reg, &["import", &cases, &examples, "--format", "json"]);
        assert_eq!(
            (s["unchanged"].as_u64(), s["new_versions"].as_u64()),
            (Some(n as u64), Some(0))
        );
        let text = ok(&reg, &["import", &examples]);
        assert!(
            text.contains("0 new versions") && text.contains("unchanged"),
            "{text}"
        );
        let list = json(&reg, &["list", "--format", "json", "--reason", "cli test"]);
        let patients = list["patients"].as_array().unwrap();
        assert_eq!(patients.len(), n);
        // Network figures over every case: metrics and outcomes need a reason.
        assert_eq!(atc(&reg, &["metrics"]).status.code(), Some(2));
        assert_eq!(atc(&reg, &["outcomes"]).status.code(), Some(2));
        let m = json(
            &reg,
            &[
                "metrics",
                "--format",
                "json",
                "--reason",
                "cli test",
                "--as-of",
                "2026-01-01",
            ],
        );
        assert_eq!(m["patients"], n);
        let o = json(
            &reg,
            &["outcomes", "--format", "json", "--reason", "cli test"],
        );
        assert_eq!(o["patients"], n);
        let analysable = o["overall"]["n"].as_u64().unwrap();
        assert_eq!(analysable + o["not_analysable"].as_u64().unwrap(), n as u64);
        // Every grouping partitions the analysable patients.
        for g in o["by"].as_array().unwrap() {
            let sum: u64 = g["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["n"].as_u64().unwrap())
                .sum();
            assert_eq!(sum, analysable, "{}", g["by"]);
        }
        let text = ok(&reg, &["outcomes", "--reason", "cli test"]);
        assert!(
            text.contains("By stage") && text.contains("Published benchmarks"),
            "{text}"
        );
        let braf = patients
            .iter()
            .find(|p| p["pseudonym"] == "example-ivc-braf")
            .unwrap();
        assert_eq!(braf["stage_group"], "IVC");
        assert!(ok(&reg, &["list", "--reason", "cli test"]).contains("example-ivc-braf"));
        // A read without a reason is refused (exit 2), and leaves no audit row.
        let rows_before = json(&reg, &["audit", "verify", "--format", "json"])["rows"].clone();
        for args in [
            &["show", "example-ivc-braf"][..],
            &["list"][..],
            &["audit", "export", "--format", "json"][..],
        ] {
            let out = atc(&reg, args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            assert!(out.stdout.is_empty());
            assert!(String::from_utf8_lossy(&out.stderr).contains("--reason"));
        }
        assert_eq!(
            json(&reg, &["audit", "verify", "--format", "json"])["rows"],
            rows_before
        );
        // event add: a new version, shown by the projection.
        let added = ok(
            &reg,
            &[
                "event",
                "add",
                "example-ivc-braf",
                "--kind",
                "treatment_start",
                "--date",
                "2022-08-24",
            ],
        );
        assert!(added.contains("version 2"), "{added}");
        let rec = json(
            &reg,
            &[
                "show",
                "example-ivc-braf",
                "--format",
                "json",
                "--reason",
                "cli test",
            ],
        );
        assert_eq!(rec["current_version"], 2);
        let events = rec["events"].as_array().unwrap();
        assert!(
            events
                .iter()
                .any(|e| e["kind"] == "treatment_start" && e["date"] == "2022-08-24")
        );
        let v1 = json(
            &reg,
            &[
                "show",
                "example-ivc-braf",
                "--version",
                "1",
                "--format",
                "json",
                "--reason",
                "cli test",
            ],
        );
        assert!(
            v1["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["kind"] != "treatment_start")
        );
        // Bad kinds, dates and patients: exit 2.
        for args in [
            &[
                "event",
                "add",
                "example-ivc-braf",
                "--kind",
                "lunch",
                "--date",
                "2022-08-24",
            ][..],
            &[
                "event",
                "add",
                "example-ivc-braf",
                "--kind",
                "mdt",
                "--date",
                "24/08/2022",
            ][..],
            &[
                "event",
                "add",
                "nobody",
                "--kind",
                "mdt",
                "--date",
                "2022-08-24",
            ][..],
            &["show", "nobody", "--reason", "x"][..],
        ] {
            assert_eq!(atc(&reg, args).status.code(), Some(2), "{args:?}");
        }
        // assess: printed like `atcpath assess`, stored with the knowledge-base version; it
        // prints patient data, so it needs a reason.
        assert_eq!(
            atc(&reg, &["assess", "example-ivc-braf"]).status.code(),
            Some(2)
        );
        let text = ok(
            &reg,
            &["assess", "example-ivc-braf", "--reason", "tumour board"],
        );
        assert!(text.contains("Stage IVC"), "{text}");
        let a: Value = serde_json::from_str(&ok(
            &reg,
            &[
                "assess",
                "example-ivc-braf",
                "--format",
                "json",
                "--reason",
                "tb",
            ],
        ))
        .unwrap();
        assert_eq!(a["stage"]["group"], "IVC");
        let rec = json(
            &reg,
            &[
                "show",
                "example-ivc-braf",
                "--format",
                "json",
                "--reason",
                "cli test",
            ],
        );
        assert_eq!(rec["latest_assessment"]["case_version"], 2);
        assert_eq!(
            rec["latest_assessment"]["kb_version"],
            a["knowledge_base"]["version"]
        );
        let text = ok(&reg, &["show", "example-ivc-braf", "--reason", "cli test"]);
        assert!(
            text.contains("Latest assessment: case version 2")
                && text.contains("dabrafenib_trametinib"),
            "{text}"
        );
        // The audit trail holds it all and verifies.
        let v = json(&reg, &["audit", "verify", "--format", "json"]);
        assert!(v["first_break"].is_null(), "{v}");
        let csv = ok(
            &reg,
            &["audit", "export", "--format", "csv", "--reason", "cli test"],
        );
        assert!(
            csv.starts_with("seq,at,user,action,record,patient,detail,reason,prev_hash,hash\n")
        );
        assert!(csv.contains(",cli-test,assess,assessments,example-ivc-braf,"));
        assert!(csv.contains(
            ",cli-test,read,case_versions,example-ivc-braf,show version 2 of 2,cli test,"
        ));
    }
}

#[test]
fn a_rejected_case_exits_2_and_the_others_are_stored() {
    for reg in registries("a_rejected_case_exits_2_and_the_others_are_stored") {
        ok(&reg, &["init"]);
        let dir = reg.dir.join("incoming");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let good = std::fs::read_to_string(root().join("examples/iva-resectable.json")).unwrap();
        let mut bad: Value = serde_json::from_str(&good).unwrap();
        bad["id"] = "weight-in-grams".into();
        bad["patient"]["weight"] = serde_json::json!({"value": 68000, "unit": "kg"});
        std::fs::write(dir.join("good.json"), &good).unwrap();
        std::fs::write(
            dir.join("sub/bad.json"),
            serde_json::to_string(&bad).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.join("good.expected.json"), "{}").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a case").unwrap();
        let out = atc(&reg, &["import", &dir.display().to_string()]);
        assert_eq!(out.status.code(), Some(2), "{}", reg.backend);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stdout.contains("2 case files")
                && stdout.contains("1 imported")
                && stdout.contains("1 rejected"),
            "{stdout}"
        );
        assert!(
            stderr.contains("bad.json: rejected, nothing stored")
                && stderr.contains("patient.weight.value"),
            "{stderr}"
        );
        let list = json(&reg, &["list", "--format", "json", "--reason", "check"]);
        let ids: Vec<&str> = list["patients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["pseudonym"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["example-iva-resectable"]);
    }
}

const SECRET: &str = "HN-424242-Z";

#[test]
fn direct_identifiers_are_never_printed() {
    for reg in registries("direct_identifiers_are_never_printed") {
        ok(&reg, &["init"]);
        let file = root().join("examples/ivc-braf.json").display().to_string();
        let id = format!("hospital_number={SECRET}");
        let mut outputs = vec![ok(
            &reg,
            &["import", &file, "--identifier", &id, "--centre", "lyon"],
        )];
        assert!(outputs[0].contains("identifier recorded: hospital_number"));
        // One identifier, one case file.
        let other = root()
            .join("examples/palliative-ecog3.json")
            .display()
            .to_string();
        let two = atc(&reg, &["import", &file, &other, "--identifier", &id]);
        assert_eq!(two.status.code(), Some(2));
        outputs.push(String::from_utf8_lossy(&two.stderr).into_owned());
        ok(
            &reg,
            &[
                "event",
                "add",
                "example-ivc-braf",
                "--kind",
                "treatment_start",
                "--date",
                "2022-08-24",
            ],
        );
        ok(&reg, &["assess", "example-ivc-braf", "--reason", "tb"]);
        for args in [
            &["list", "--reason", "r"][..],
            &["list", "--format", "json", "--reason", "r"][..],
            &["show", "example-ivc-braf", "--reason", "r"][..],
            &[
                "show",
                "example-ivc-braf",
                "--format",
                "json",
                "--reason",
                "r",
            ][..],
            &[
                "show",
                "example-ivc-braf",
                "--version",
                "1",
                "--reason",
                "r",
            ][..],
            &["audit", "export", "--format", "csv", "--reason", "r"][..],
            &["audit", "export", "--format", "json", "--reason", "r"][..],
            // The file drops the event added above: stored only as a replacement.
            &[
                "import",
                &file,
                "--format",
                "json",
                "--replace",
                "--reason",
                "r",
            ][..],
        ] {
            let out = atc(&reg, args);
            assert!(out.status.success(), "{args:?}");
            outputs.push(String::from_utf8_lossy(&out.stdout).into_owned());
            outputs.push(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let file_out = reg.dir.join("audit.json");
        ok(
            &reg,
            &[
                "audit",
                "export",
                "--format",
                "json",
                "--out",
                &file_out.display().to_string(),
                "--reason",
                "r",
            ],
        );
        let exported = std::fs::read_to_string(&file_out).unwrap();
        assert!(exported.contains("hospital_number recorded"));
        outputs.push(exported);
        for o in &outputs {
            assert!(
                !o.contains(SECRET),
                "{}: a direct identifier was printed:\n{o}",
                reg.backend
            );
        }
        // It is stored, in its own table.
        let stored: (String,) = block_on(async {
            sqlx::any::install_default_drivers();
            let mut c = sqlx::AnyConnection::connect(&reg.raw_url).await.unwrap();
            sqlx::query_as("SELECT value FROM identifiers")
                .fetch_one(&mut c)
                .await
                .unwrap()
        });
        assert_eq!(stored.0, SECRET);
    }
}

#[test]
fn audit_verify_names_a_tampered_row() {
    for reg in registries("audit_verify_names_a_tampered_row") {
        ok(&reg, &["init"]);
        let [cases, _] = case_dirs();
        ok(&reg, &["import", &cases]);
        let v = ok(&reg, &["audit", "verify"]);
        assert!(v.contains("Audit chain intact"), "{v}");
        // Truncation is not visible in the chain: the head and row count to keep elsewhere.
        assert!(
            v.contains("head hash ")
                && v.contains(" rows;")
                && v.contains("kept outside the registry"),
            "{v}"
        );
        let backend = reg.backend;
        block_on(async {
            sqlx::any::install_default_drivers();
            let mut c = sqlx::AnyConnection::connect(&reg.raw_url).await.unwrap();
            assert!(
                c.execute("DELETE FROM audit WHERE seq = 3").await.is_err(),
                "append-only"
            );
            let drop = if backend == "sqlite" {
                "DROP TRIGGER audit_no_update"
            } else {
                "DROP TRIGGER audit_no_update ON audit"
            };
            c.execute(drop).await.unwrap();
            c.execute("UPDATE audit SET reason = 'routine' WHERE seq = 3")
                .await
                .unwrap();
        });
        let out = atc(&reg, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(2), "{backend}");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(msg.contains("BROKEN at row 3"), "{msg}");
        let out = atc(&reg, &["audit", "verify", "--format", "json"]);
        assert_eq!(out.status.code(), Some(2));
        let v: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(v["first_break"]["seq"], 3);
    }
}

#[test]
fn two_processes_importing_at_once_lose_nothing() {
    for reg in registries("two_processes_importing_at_once_lose_nothing") {
        ok(&reg, &["init"]);
        let n = case_file_count();
        let [cases, examples] = case_dirs();
        // The same cases, in the same and in the opposite folder order, at once.
        let children: Vec<_> = [[&cases, &examples], [&examples, &cases]]
            .iter()
            .map(|dirs| {
                command(&reg, &["import", dirs[0], dirs[1], "--format", "json"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut imported = 0;
        let mut unchanged = 0;
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                reg.backend,
                String::from_utf8_lossy(&out.stderr)
            );
            let s: Value = serde_json::from_slice(&out.stdout).unwrap();
            imported += s["imported"].as_u64().unwrap();
            unchanged += s["unchanged"].as_u64().unwrap();
        }
        assert_eq!(
            (imported, unchanged),
            (n as u64, n as u64),
            "{}",
            reg.backend
        );
        let list = json(&reg, &["list", "--format", "json", "--reason", "check"]);
        assert_eq!(list["patients"].as_array().unwrap().len(), n);
        let v = json(&reg, &["audit", "verify", "--format", "json"]);
        assert!(v["first_break"].is_null(), "{v}");
        // init + 2n imports + n list reads.
        assert_eq!(v["rows"], 1 + 3 * n);
    }
}

#[test]
fn where_the_registry_is() {
    let dir = temp_dir();
    let path = dir.join("by-url.db");
    let url = format!("sqlite:{}", path.display());
    let run = |args: &[&str], env_url: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_atcpath"));
        c.arg("registry")
            .args(args)
            .env("ATCPATH_USER", "cli-test")
            .env_remove("ATCPATH_DATABASE_URL");
        if let Some(u) = env_url {
            c.env("ATCPATH_DATABASE_URL", u);
        }
        c.output().unwrap()
    };
    assert!(
        run(&["init", "--database-url", &url], None)
            .status
            .success()
    );
    let out = run(&["audit", "verify"], Some(&url));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact: 1 row;"));
    // Not a registry yet: exit 1 and says to run init. A bad URL: exit 2, password not echoed.
    let missing = dir.join("missing.db").display().to_string();
    let out = run(&["audit", "verify", "--db", &missing], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("atcpath registry init"));
    assert!(
        !dir.join("missing.db").exists(),
        "opening never creates a file"
    );
    let out = run(
        &[
            "audit",
            "verify",
            "--database-url",
            "mysql://u:hunter2@h/db",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn export_and_import_cbioportal_and_case_files() {
    for reg in registries("export_and_import_cbioportal_and_case_files") {
        let [cases, examples] = case_dirs();
        ok(&reg, &["init"]);
        ok(&reg, &["import", &cases, &examples]);
        let n = case_file_count();
        let study = reg.dir.join("study");
        let study_s = study.display().to_string();
        // A read of patient data: no reason, no export (exit 2), nothing written.
        let out = atc(&reg, &["export", "--cbioportal", &study_s]);
        assert_eq!(out.status.code(), Some(2), "{}", reg.backend);
        assert!(String::from_utf8_lossy(&out.stderr).contains("reason"));
        assert!(!study.exists());
        let r = json(
            &reg,
            &[
                "export",
                "--cbioportal",
                &study_s,
                "--with-dates",
                "--reason",
                "cli test",
                "--format",
                "json",
            ],
        );
        assert_eq!(r["patients"], n);
        assert!(study.join("meta_study.txt").is_file());
        // The same folder again: refused (exit 2), left as it was.
        let out = atc(
            &reg,
            &["export", "--cbioportal", &study_s, "--reason", "again"],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
        // Import the study back into the same registry: every patient is already there.
        let r = json(
            &reg,
            &[
                "import",
                "--cbioportal",
                &study_s,
                "--as-of",
                "2025-06-01",
                "--format",
                "json",
            ],
        );
        assert_eq!(r["rejected"].as_array().unwrap().len(), 0, "{r}");
        // Every patient is already there: left as it is (a study carries less than a record).
        assert_eq!(r["new_versions"], 0);
        assert_eq!(r["skipped_existing"].as_array().unwrap().len(), n);
        // Case files out and in: unchanged.
        let files = reg.dir.join("cases");
        let files_s = files.display().to_string();
        ok(&reg, &["export", "--cases", &files_s, "--reason", "backup"]);
        let r = json(&reg, &["import", &files_s, "--format", "json"]);
        assert_eq!(r["unchanged"], n, "{r}");
    }
}

#[test]
fn backup_restore_and_dictionary_through_the_binary() {
    for reg in registries("backup_restore_and_dictionary_through_the_binary") {
        ok(&reg, &["init"]);
        let [cases, examples] = case_dirs();
        ok(&reg, &["import", &cases, &examples]);
        let file = reg.dir.join("backup.db");
        let f = file.display().to_string();
        let b = json(
            &reg,
            &[
                "backup", "--to", &f, "--format", "json", "--reason", "cli test",
            ],
        );
        assert_eq!(b["schema_version"], 2);
        assert_eq!(b["tables"].as_array().unwrap().len(), 17);
        assert!(b["bytes"].as_u64().unwrap() > 0);
        assert_eq!(b["audit_head"].as_str().unwrap().len(), 64);
        // An existing file is refused (exit 2) and kept.
        let again = atc(&reg, &["backup", "--to", &f, "--reason", "cli test"]);
        assert_eq!(again.status.code(), Some(2), "{}", reg.backend);
        // The last audit row of the backup is the backup's own.
        let export = json(
            &reg,
            &["audit", "export", "--format", "json", "--reason", "check"],
        );
        assert!(
            export
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["action"] == "backup" && r["hash"] == b["audit_head"])
        );
        // Restore into a new SQLite file, which then works as any registry.
        let target = reg.dir.join("restored.db").display().to_string();
        let to = Reg {
            backend: "sqlite",
            args: vec!["--db".into(), target.clone()],
            raw_url: format!("sqlite://{target}?mode=rw"),
            dir: temp_dir(),
            pg: None,
        };
        let text = ok(&to, &["restore", &f]);
        assert!(text.contains("Audit chain intact"), "{text}");
        let v = ok(&to, &["audit", "verify"]);
        assert!(v.contains("intact"), "{v}");
        let s = json(&to, &["import", &examples, "--format", "json"]);
        assert_eq!(s["new_versions"], 0);
        // A second restore into it is refused: it holds data.
        let refused = atc(&to, &["restore", &f]);
        assert_eq!(refused.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    }
    let dir = temp_dir();
    let out = dir.join("dictionary.csv");
    let r = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["registry", "dictionary", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success());
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("Variable / Field Name,Form Name,Section Header,Field Type,"));
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("record_id,demographics,")
    );
    // An existing file (a registry given by mistake) is never replaced.
    let again = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .args(["registry", "dictionary", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), csv);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn one_file_per_patient_per_import_and_no_special_files() {
    let reg = &registries("one_file_per_patient_per_import")[0];
    ok(reg, &["init"]);
    let dir = reg.dir.join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let src = std::fs::read_to_string(root().join("examples/ivc-braf.json")).unwrap();
    std::fs::write(dir.join("a.json"), &src).unwrap();
    // Same id, another decision date: a second version if imported alone, refused here.
    std::fs::write(dir.join("b.json"), src.replace("2022-08-20", "2022-08-21")).unwrap();
    // A FIFO named like a case file would block a reader forever.
    let fifo = dir.join("c.json");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let d = dir.display().to_string();
    let a = dir.join("a.json").display().to_string();
    // The folder twice and a file in it: each file once.
    let out = atc(
        reg,
        &["import", &d, &format!("{d}/"), &a, "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["files"], 3, "{s}");
    assert_eq!(
        (s["imported"].as_u64(), s["rejected"].as_u64()),
        (Some(1), Some(2))
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is also the id of"), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    let show = json(
        reg,
        &[
            "show",
            "example-ivc-braf",
            "--format",
            "json",
            "--reason",
            "t",
        ],
    );
    assert_eq!(show["versions"].as_array().map(Vec::len), Some(1), "{show}");
    // A centre the registry does not hold is an error, not 0 patients.
    let m = atc(reg, &["metrics", "--centre", "nowhere", "--reason", "t"]);
    assert_eq!(m.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&m.stderr).contains("no such centre"));
    let o = atc(reg, &["outcomes", "--centre", "nowhere", "--reason", "t"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Connects to the registry behind `reg` directly (test-only: changes made outside ATCPath).
fn outside(reg: &Reg, sql: &[String]) {
    let url = reg.raw_url.clone();
    let sql = sql.to_vec();
    block_on(async move {
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        for s in sql {
            c.execute(sqlx::AssertSqlSafe(s)).await.unwrap();
        }
    });
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_older_file_after_a_death_is_refused_listing_the_death_and_replace_is_audited() {
    for reg in registries("an_older_file_after_a_death_is_refused") {
        ok(&reg, &["init"]);
        let file = root().join("examples/ivc-braf.json").display().to_string();
        ok(&reg, &["import", &file]);
        ok(
            &reg,
            &[
                "event",
                "add",
                "example-ivc-braf",
                "--kind",
                "death",
                "--date",
                "2022-10-01",
            ],
        );
        // The older file (no death) is refused, naming the death; nothing stored.
        let out = atc(&reg, &["import", &file]);
        assert_eq!(out.status.code(), Some(2), "{}", reg.backend);
        let msg = stderr(&out);
        assert!(msg.contains("event death on 2022-10-01"), "{msg}");
        assert!(msg.contains("--replace"), "{msg}");
        let show = json(
            &reg,
            &[
                "show",
                "example-ivc-braf",
                "--format",
                "json",
                "--reason",
                "t",
            ],
        );
        assert_eq!(show["versions"].as_array().unwrap().len(), 2, "{show}");
        // The patient is still dead: assess refuses.
        let a = atc(
            &reg,
            &["assess", "example-ivc-braf", "--reason", "tumour board"],
        );
        assert_eq!(a.status.code(), Some(2));
        assert!(stderr(&a).contains("died on 2022-10-01"), "{}", stderr(&a));
        // --replace needs a reason; with one the file is stored and the audit row says why and what.
        let r = atc(&reg, &["import", &file, "--replace"]);
        assert_eq!(r.status.code(), Some(2));
        assert!(stderr(&r).contains("--reason"), "{}", stderr(&r));
        let s = json(
            &reg,
            &[
                "import",
                &file,
                "--replace",
                "--reason",
                "death recorded for the wrong patient",
                "--format",
                "json",
            ],
        );
        assert_eq!(s["new_versions"], 1, "{s}");
        let trail = json(
            &reg,
            &["audit", "export", "--format", "json", "--reason", "t"],
        );
        assert!(
            trail.as_array().unwrap().iter().any(|r| {
                r["reason"] == "death recorded for the wrong patient"
                    && r["detail"]
                        .as_str()
                        .unwrap()
                        .contains("dropping event death on 2022-10-01")
            }),
            "{trail}"
        );
        assert!(ok(&reg, &["audit", "verify"]).contains("Records intact"));
    }
}

#[test]
fn changes_made_outside_atcpath_are_found_by_verify_and_refused_by_every_read() {
    for reg in registries("changes_made_outside_atcpath_are_found") {
        ok(&reg, &["init"]);
        let [_, examples] = case_dirs();
        ok(&reg, &["import", &examples]);
        let v = ok(&reg, &["audit", "verify"]);
        assert!(v.contains("Records intact"), "{v}");
        // A projection row changed: found by verify, naming table and patient.
        outside(
            &reg,
            &["UPDATE molecular SET mmr = 'proficient_x' WHERE patient_id = (SELECT id FROM patients WHERE pseudonym = 'example-ivc-braf')".into()],
        );
        let out = atc(&reg, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(2), "{}", reg.backend);
        let msg = stderr(&out);
        assert!(
            msg.contains("table molecular, patient example-ivc-braf, version 1"),
            "{msg}"
        );
        // A case version's JSON and SHA-256 rewritten with the trigger dropped.
        let drop = if reg.backend == "sqlite" {
            "DROP TRIGGER case_versions_no_update".to_string()
        } else {
            "DROP TRIGGER case_versions_no_update ON case_versions".to_string()
        };
        let text = std::fs::read_to_string(root().join("examples/ivc-braf.json")).unwrap();
        let forged = text.replacen("\"as_of\"", "\"as_of\" ", 1);
        let sha = atcpath_registry::import::sha256_hex(forged.as_bytes());
        outside(
            &reg,
            &[
                drop,
                format!(
                    "UPDATE case_versions SET case_json = '{}', sha256 = '{sha}' WHERE patient_id = (SELECT id FROM patients WHERE pseudonym = 'example-ivc-braf')",
                    forged.replace('\'', "''")
                ),
            ],
        );
        let out = atc(&reg, &["audit", "verify", "--format", "json"]);
        assert_eq!(out.status.code(), Some(2));
        let j: Value = serde_json::from_slice(&out.stderr).unwrap();
        let d = &j["records"]["first_difference"];
        assert_eq!(d["table"], "case_versions", "{j}");
        assert_eq!(d["patient"], "example-ivc-braf", "{j}");
        assert_eq!(d["version"], 1, "{j}");
        // show, assess, export and backup refuse it.
        let dir = reg.dir.join("out");
        let dir_s = dir.display().to_string();
        let backup = reg.dir.join("b.db").display().to_string();
        for args in [
            vec!["show", "example-ivc-braf", "--reason", "t"],
            vec!["assess", "example-ivc-braf", "--reason", "t"],
            vec!["export", "--cases", &dir_s, "--reason", "t"],
            vec!["backup", "--to", &backup, "--reason", "t"],
        ] {
            let out = atc(&reg, &args);
            assert!(!out.status.success(), "{args:?}");
            let msg = stderr(&out);
            assert!(
                msg.contains("changed outside ATCPath") && msg.contains("example-ivc-braf"),
                "{args:?}: {msg}"
            );
        }
        assert!(!Path::new(&backup).exists());
        assert!(!dir.join("example-ivc-braf.json").exists());
    }
}

#[test]
fn backup_needs_a_reason_removes_leftovers_and_restore_refuses_an_unaudited_version() {
    for reg in registries("backup_needs_a_reason_removes_leftovers") {
        ok(&reg, &["init"]);
        let [_, examples] = case_dirs();
        ok(&reg, &["import", &examples]);
        let file = reg.dir.join("backup.db");
        let f = file.display().to_string();
        let out = atc(&reg, &["backup", "--to", &f]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("reason"), "{}", stderr(&out));
        assert!(!file.exists());
        // What a killed backup leaves (a process that no longer runs), and one in progress (alive).
        let dead = reg.dir.join(".old.db.atcpath-backup-4194999-12.tmp");
        let alive = reg.dir.join(format!(
            ".other.db.atcpath-backup-{}-12.tmp",
            std::process::id()
        ));
        std::fs::write(&dead, b"partial").unwrap();
        std::fs::write(&alive, b"partial").unwrap();
        ok(&reg, &["backup", "--to", &f, "--reason", "nightly"]);
        assert!(!dead.exists(), "the leftover is removed");
        assert!(alive.exists(), "a running backup's file is kept");
        // A backup carrying an extra version that no audit row created is refused on restore.
        let path = file.clone();
        block_on(async move {
            sqlx::any::install_default_drivers();
            let mut c =
                sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=rw", path.display()))
                    .await
                    .unwrap();
            c.execute(
                "INSERT INTO case_versions (patient_id, version, case_json, sha256, source, as_of, created_at, created_by)
                 SELECT patient_id, 99, case_json, sha256, source, as_of, created_at, created_by FROM case_versions WHERE id = 1",
            )
            .await
            .unwrap();
            c.close().await.unwrap();
        });
        let target = reg.dir.join("restored.db").display().to_string();
        let to = Reg {
            backend: "sqlite",
            args: vec!["--db".into(), target],
            raw_url: String::new(),
            dir: temp_dir(),
            pg: None,
        };
        let out = atc(&to, &["restore", &f]);
        assert_eq!(out.status.code(), Some(2));
        let msg = stderr(&out);
        assert!(
            msg.contains("version 99") && msg.contains("no audit row"),
            "{msg}"
        );
    }
}

#[test]
fn look_alike_ids_are_refused_naming_the_character_and_ids_differing_in_case_are_one_patient() {
    for reg in registries("look_alike_ids_are_refused") {
        ok(&reg, &["init"]);
        let write = |name: &str, id: &str| {
            let p = reg.dir.join(name);
            std::fs::write(
                &p,
                format!(r#"{{"schema": "atcpath.case/1", "id": "{id}", "as_of": "2024-06-01"}}"#),
            )
            .unwrap();
            p.display().to_string()
        };
        let good = write("good.json", "pat-1");
        ok(&reg, &["import", &good]);
        for (id, what) in [
            ("pat\u{2011}1", "character 4 is U+2011"),
            ("pat-1\u{200b}", "character 6 is U+200B"),
            ("p\u{0430}t-1", "character 2 is U+0430"),
            ("pat 1", "character 4 is U+0020"),
        ] {
            let f = write("bad.json", id);
            let out = atc(&reg, &["import", &f]);
            assert_eq!(out.status.code(), Some(2), "{id:?}");
            assert!(stderr(&out).contains(what), "{id:?}: {}", stderr(&out));
        }
        // Decided: ids are compared ignoring letter case, so PAT-1 is patient pat-1 misspelt.
        let upper = write("upper.json", "PAT-1");
        let out = atc(&reg, &["import", &upper]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("only in letter case"),
            "{}",
            stderr(&out)
        );
        let list = json(&reg, &["list", "--format", "json", "--reason", "t"]);
        assert_eq!(list["patients"].as_array().unwrap().len(), 1);
        // Every patient can be exported.
        let dir = reg.dir.join("cases").display().to_string();
        ok(&reg, &["export", "--cases", &dir, "--reason", "t"]);
    }
}
