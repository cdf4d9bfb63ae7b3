//! Backup and restore on SQLite and, when `ATCPATH_TEST_POSTGRES_URL` is set, on PostgreSQL:
//! each backend is backed up (into the one SQLite backup format) and restored into, so both
//! directions of a move between backends are covered.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use atcpath_registry::{Actor, CaseInput, Error, Registry, Stored, TABLES, Target};
use common::{TestDb, case_files, kb, raw, reader, rt, run, temp_dir, writer};
use sqlx::Connection;

fn input<'a>(bytes: &'a [u8], source: &'a str) -> CaseInput<'a> {
    CaseInput {
        bytes,
        source,
        centre: None,
        identifiers: &[],
    }
}

/// A registry holding every test case, a second version of one, an assessment and an
/// identifier.
async fn populate(target: &Target) -> Registry {
    let (reg, _) = Registry::init(target, &writer()).await.unwrap();
    let kb = kb();
    for f in case_files() {
        let bytes = std::fs::read(&f).unwrap();
        reg.import(&kb, &input(&bytes, "case.json"), &writer())
            .await
            .unwrap();
    }
    reg.add_event(&kb, "example-ivc-braf", "mdt", "2022-08-20", &writer())
        .await
        .unwrap();
    let config = atcpath_core::Config::from_kb(&kb);
    reg.assess(&kb, &config, "example-ivc-braf", &writer())
        .await
        .unwrap();
    let text = std::fs::read(common::root().join("examples/ivc-braf.json")).unwrap();
    let ids = [atcpath_registry::Identifier::new("hospital_number", "HN-1234").unwrap()];
    // The original file drops the event just added: stored only as a replacement, with a reason.
    let stored = reg
        .import_batch_replacing(
            &kb,
            &[CaseInput {
                identifiers: &ids,
                ..input(&text, "ivc-braf.json")
            }],
            &reader(),
        )
        .await
        .unwrap();
    assert!(stored[0].is_ok(), "{stored:?}");
    reg
}

async fn counts(reg: &Registry) -> BTreeMap<&'static str, i64> {
    reg.counts().await.unwrap().into_iter().collect()
}

/// Every table's rows, as text, in key order (for comparing a registry with its restored copy).
async fn dump(target: &Target) -> BTreeMap<String, Vec<String>> {
    let url = match target {
        Target::Sqlite(p) => format!("sqlite://{}?mode=ro", p.display()),
        Target::Postgres(u) => u.clone(),
    };
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
    let mut out = BTreeMap::new();
    for t in TABLES {
        // Every column as text, rows in the order of all columns.
        let cols: Vec<(String,)> = if matches!(target, Target::Sqlite(_)) {
            sqlx::query_as("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(*t)
                .fetch_all(&mut c)
                .await
                .unwrap()
        } else {
            sqlx::query_as(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY column_name",
            )
            .bind(*t)
            .fetch_all(&mut c)
            .await
            .unwrap()
        };
        let mut names: Vec<String> = cols.into_iter().map(|(n,)| n).collect();
        names.sort();
        let expr = names
            .iter()
            .map(|n| format!("COALESCE(CAST({n} AS TEXT), '<null>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {expr} FROM {t} ORDER BY 1"
        )))
        .fetch_all(&mut c)
        .await
        .unwrap();
        // Numbers as numbers (SQLite prints a real 60 as 60.0, PostgreSQL as 60), rows sorted
        // in Rust (the backends' collations differ).
        let mut rows: Vec<String> = rows
            .into_iter()
            .map(|(r,)| {
                r.split('|')
                    .map(|f| match f.parse::<f64>() {
                        Ok(x) if !f.starts_with('0') || f == "0" || f.starts_with("0.") => {
                            x.to_string()
                        }
                        _ => f.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        rows.sort();
        out.insert((*t).to_string(), rows);
    }
    c.close().await.ok();
    out
}

/// Backs `source` up, restores the backup into `dest` (new), and checks everything.
async fn round_trip(source: &Target, dest: &Target, dir: &Path) {
    let reg = populate(source).await;
    let file = dir.join("backup.db");
    let b = reg.backup(&file, &reader()).await.unwrap();
    assert!(file.is_file() && b.bytes == std::fs::metadata(&file).unwrap().len());
    assert_eq!(b.schema_version, atcpath_registry::SCHEMA_VERSION);
    let before = counts(&reg).await;
    assert_eq!(
        b.tables.iter().map(|t| t.rows).sum::<i64>(),
        before.values().sum::<i64>()
    );
    assert_eq!(
        b.audit_rows, before["audit"],
        "the backup holds its own audit row"
    );
    // No temporary file is left beside it; an existing file is never replaced.
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let again = reg.backup(&file, &reader()).await.unwrap_err();
    assert!(matches!(again, Error::Invalid(_)), "{again}");
    let last = reg.verify_audit().await.unwrap();
    reg.close().await;

    let r = Registry::restore(dest, &file, &kb(), &writer())
        .await
        .unwrap();
    assert_eq!(r.total_rows, b.total_rows);
    assert_eq!(r.backup_audit_head, b.audit_head);
    assert_eq!(r.audit_rows, b.audit_rows + 1, "plus the restore row");
    assert_eq!(r.case_versions_checked, before["case_versions"]);
    // The restored registry holds exactly the backup (the rows before the backup's own audit
    // row, and that row), then the restore row.
    let got = dump(dest).await;
    let bak = dump(&Target::sqlite(&file)).await;
    for t in TABLES {
        if *t == "audit" {
            assert_eq!(got[*t].len(), bak[*t].len() + 1);
        } else if *t == "users" {
            assert!(got[*t].len() >= bak[*t].len());
        } else if *t == "projection_state" {
            // Marked for rebuilding: derived rows are not trusted from a file.
            assert_eq!(got[*t].len(), 1);
            assert!(
                got[*t][0].contains("restored: to be rebuilt"),
                "{:?}",
                got[*t]
            );
        } else {
            assert_eq!(got[*t], bak[*t], "table {t}");
        }
    }
    // The source went on after the backup (the second backup attempt wrote an audit row), and
    // the backup's head is one of the source's rows.
    assert!(last.rows >= b.audit_rows);

    // The restored registry works: verify, import, a new row chains onto the restored head.
    let reg = Registry::open(dest).await.unwrap();
    let v = reg.verify_audit().await.unwrap();
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.head, r.audit_head);
    let kb = kb();
    let text = std::fs::read_to_string(common::root().join("examples/ivc-braf.json")).unwrap();
    let e = reg
        .add_event(
            &kb,
            "example-ivc-braf",
            "last_follow_up",
            "2023-01-02",
            &writer(),
        )
        .await
        .unwrap();
    // Versions: 1 imported, 2 the event, 3 the file re-imported with an identifier.
    assert_eq!(e.version, 4);
    let mut fresh: serde_json::Value = serde_json::from_str(&text).unwrap();
    fresh["id"] = serde_json::json!("after-restore-1");
    let fresh = serde_json::to_vec(&fresh).unwrap();
    let s = reg
        .import(&kb, &input(&fresh, "new.json"), &writer())
        .await
        .unwrap();
    assert_eq!(s.stored, Stored::Created);
    let after = counts(&reg).await;
    assert_eq!(after["patients"], before["patients"] + 1);
    let v2 = reg.verify_audit().await.unwrap();
    assert!(v2.intact(), "{v2:?}");
    assert_eq!(v2.rows, v.rows + 2);
    let rec = reg
        .show(&kb, "example-ivc-braf", None, &reader())
        .await
        .unwrap();
    assert_eq!(rec.current_version, 4);
    assert!(rec.latest_assessment.is_some());
    reg.close().await;
}

#[test]
fn backup_of_this_backend_restores_into_sqlite() {
    run(
        "backup_of_this_backend_restores_into_sqlite",
        |db| async move {
            let dir = temp_dir();
            round_trip(&db.target, &Target::sqlite(dir.join("restored.db")), &dir).await;
            let _ = std::fs::remove_dir_all(dir);
        },
    );
}

#[test]
fn backup_of_sqlite_restores_into_this_backend() {
    run(
        "backup_of_sqlite_restores_into_this_backend",
        |db| async move {
            let dir = temp_dir();
            round_trip(&Target::sqlite(dir.join("source.db")), &db.target, &dir).await;
            let _ = std::fs::remove_dir_all(dir);
        },
    );
}

#[test]
fn restore_refuses_a_registry_with_data_another_schema_or_a_damaged_backup() {
    run(
        "restore_refuses_a_registry_with_data_another_schema_or_a_damaged_backup",
        |db: TestDb| async move {
            let dir = temp_dir();
            let reg = populate(&Target::sqlite(dir.join("source.db"))).await;
            let file = dir.join("b.db");
            reg.backup(&file, &reader()).await.unwrap();
            reg.close().await;
            // A target that was initialised (it holds an audit row) is refused, untouched.
            let (target, _) = Registry::init(&db.target, &writer()).await.unwrap();
            let before = target.counts().await.unwrap();
            let e = Registry::restore(&db.target, &file, &kb(), &writer())
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid(m) if m.contains("not empty")),
                "{e}"
            );
            assert_eq!(target.counts().await.unwrap(), before);
            target.close().await;
            let mut conn = raw(&db).await;
            let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(n.0, 1);
            conn.close().await.ok();

            // A backup of another schema version, a broken audit chain, a changed case version.
            async fn tamper(
                dir: &Path,
                file: &Path,
                name: &str,
                sql: &'static str,
            ) -> std::path::PathBuf {
                let copy = dir.join(name);
                std::fs::copy(file, &copy).unwrap();
                let mut c =
                    sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=rw", copy.display()))
                        .await
                        .unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                c.close().await.ok();
                copy
            }
            let fresh = |n: &str| Target::sqlite(dir.join(n));
            let newer = tamper(
                &dir,
                &file,
                "newer.db",
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'future', TRUE, x'00', 0)",
            )
            .await;
            let e = Registry::restore(&fresh("t1.db"), &newer, &kb(), &writer())
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid(m) if m.contains("schema version 99")),
                "{e}"
            );
            let chain = tamper(
                &dir,
                &file,
                "chain.db",
                "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'changed' WHERE seq = 3",
            )
            .await;
            let e = Registry::restore(&fresh("t2.db"), &chain, &kb(), &writer())
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid(m) if m.contains("broken at row 3")),
                "{e}"
            );
            let case = tamper(
                &dir,
                &file,
                "case.db",
                "DROP TRIGGER case_versions_no_update; UPDATE case_versions SET case_json = case_json || ' ' WHERE id = 2",
            )
            .await;
            let e = Registry::restore(&fresh("t3.db"), &case, &kb(), &writer())
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid(m) if m.contains("case_versions row 2")),
                "{e}"
            );
            // An extra version that no audit row created (its JSON matches its SHA-256).
            let extra = tamper(
                &dir,
                &file,
                "extra.db",
                "INSERT INTO case_versions (patient_id, version, case_json, sha256, source, as_of, created_at, created_by)
                 SELECT patient_id, 99, case_json, sha256, source, as_of, created_at, created_by FROM case_versions WHERE id = 1",
            )
            .await;
            let e = Registry::restore(&fresh("t5.db"), &extra, &kb(), &writer())
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid(m) if m.contains("version 99") && m.contains("no audit row")),
                "{e}"
            );
            // A version whose JSON and SHA-256 were rewritten together: not the audited SHA-256.
            let rewritten = tamper(
                &dir,
                &file,
                "rewritten.db",
                "DROP TRIGGER case_versions_no_update",
            )
            .await;
            {
                let mut c = sqlx::AnyConnection::connect(&format!(
                    "sqlite://{}?mode=rw",
                    rewritten.display()
                ))
                .await
                .unwrap();
                let (json,): (String,) =
                    sqlx::query_as("SELECT case_json FROM case_versions WHERE id = 1")
                        .fetch_one(&mut c)
                        .await
                        .unwrap();
                let forged = format!("{json} ");
                sqlx::query("UPDATE case_versions SET case_json = $1, sha256 = $2 WHERE id = 1")
                    .bind(&forged)
                    .bind(atcpath_registry::import::sha256_hex(forged.as_bytes()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.ok();
            }
            let e = Registry::restore(&fresh("t6.db"), &rewritten, &kb(), &writer())
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid(m) if m.contains("version 1") && m.contains("audit row")),
                "{e}"
            );
            // A case projection row edited (outcomes has no trigger): named, not restored.
            let projection = tamper(
                &dir,
                &file,
                "projection.db",
                "UPDATE outcomes SET vital_status = 'alive', death_date = NULL WHERE patient_id = (SELECT MIN(patient_id) FROM outcomes)",
            )
            .await;
            let e = Registry::restore(&fresh("t7.db"), &projection, &kb(), &writer())
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid(m) if m.contains("outcomes: patient") && m.contains("not restored")),
                "{e}"
            );
            let empty: (i64,) = {
                let mut c = sqlx::AnyConnection::connect(&format!(
                    "sqlite://{}?mode=ro",
                    dir.join("t7.db").display()
                ))
                .await
                .unwrap();
                sqlx::query_as("SELECT COUNT(*) FROM patients")
                    .fetch_one(&mut c)
                    .await
                    .unwrap()
            };
            assert_eq!(empty.0, 0, "nothing restored");
            let e = Registry::restore(&fresh("t4.db"), &dir.join("missing.db"), &kb(), &writer())
                .await
                .unwrap_err();
            assert!(matches!(e, Error::Invalid(_)), "{e}");
            let _ = std::fs::remove_dir_all(dir);
        },
    );
}

#[test]
fn a_backup_taken_while_another_writer_imports_is_consistent() {
    run(
        "a_backup_taken_while_another_writer_imports_is_consistent",
        |db| async move {
            let (reg, _) = Registry::init(&db.target, &writer()).await.unwrap();
            let dir = temp_dir();
            let kb = kb();
            let base =
                std::fs::read_to_string(common::root().join("examples/ivc-braf.json")).unwrap();
            let file = dir.join("during.db");
            // Two threads, each with its own runtime and pool (as two processes would).
            let b = std::thread::scope(|s| {
                let importer = s.spawn(|| {
                    rt().block_on(async {
                        let w = Registry::open(&db.target).await.unwrap();
                        for i in 0..40 {
                            let mut v: serde_json::Value = serde_json::from_str(&base).unwrap();
                            v["id"] = serde_json::json!(format!("concurrent-{i}"));
                            let bytes = serde_json::to_vec(&v).unwrap();
                            w.import(
                                &kb,
                                &input(&bytes, "c.json"),
                                &Actor::new("w", None).unwrap(),
                            )
                            .await
                            .unwrap();
                        }
                        w.close().await;
                    })
                });
                let backup = s.spawn(|| {
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    rt().block_on(async {
                        let r = Registry::open(&db.target).await.unwrap();
                        let b = r.backup(&file, &reader()).await.unwrap();
                        r.close().await;
                        b
                    })
                });
                importer.join().unwrap();
                backup.join().unwrap()
            });
            reg.close().await;
            // Whatever the moment, the backup restores and checks: whole patients, one chain.
            let r = Registry::restore(&Target::sqlite(dir.join("r.db")), &file, &kb, &writer())
                .await
                .unwrap();
            assert_eq!(r.total_rows, b.total_rows);
            let restored = Registry::open(&Target::sqlite(dir.join("r.db")))
                .await
                .unwrap();
            let c: BTreeMap<_, _> = restored.counts().await.unwrap().into_iter().collect();
            assert_eq!(c["patients"], c["case_versions"]);
            assert_eq!(c["patients"], c["outcomes"]);
            assert_eq!(c["patients"], c["molecular"]);
            restored.close().await;
            let _ = std::fs::remove_dir_all(dir);
        },
    );
}

#[test]
fn the_table_list_is_every_table_of_the_schema() {
    run(
        "the_table_list_is_every_table_of_the_schema",
        |db| async move {
            Registry::init(&db.target, &writer())
                .await
                .unwrap()
                .0
                .close()
                .await;
            let mut conn = raw(&db).await;
            let sql = if db.backend == "sqlite" {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name"
            } else {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' ORDER BY 1"
            };
            let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
            let mut listed: Vec<&str> = TABLES.to_vec();
            listed.sort_unstable();
            assert_eq!(
                rows.iter().map(|(n,)| n.as_str()).collect::<Vec<_>>(),
                listed,
                "schema::TABLES must list every table (in foreign-key order)"
            );
            // Foreign-key order: every table a table refers to comes before it (SQLite knows).
            if db.backend == "sqlite" {
                for (i, t) in TABLES.iter().enumerate() {
                    let parents: Vec<(String,)> =
                        sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                            .bind(*t)
                            .fetch_all(&mut conn)
                            .await
                            .unwrap();
                    for (p,) in parents {
                        let j = TABLES.iter().position(|x| *x == p).unwrap();
                        assert!(j < i, "{t} refers to {p}, listed after it");
                    }
                }
            }
            conn.close().await.ok();
        },
    );
}
