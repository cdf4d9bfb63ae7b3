//! The registry against each backend (SQLite always; PostgreSQL when
//! `ATCPATH_TEST_POSTGRES_URL` is set): schema, import, versions, rejection, edits, reads,
//! assessments, identifiers and the audit chain.

mod common;

use std::collections::BTreeMap;

use atcpath_registry::{
    Actor, CaseInput, Error, ExportFormat, Identifier, Registry, SCHEMA_VERSION, Stored, Target,
};
use common::{TestDb, case_files, kb, raw, reader, run, writer};
use sqlx::Executor;

async fn init(db: &TestDb) -> Registry {
    Registry::init(&db.target, &writer()).await.expect("init").0
}

fn input<'a>(bytes: &'a [u8], source: &'a str) -> CaseInput<'a> {
    CaseInput {
        bytes,
        source,
        centre: None,
        identifiers: &[],
    }
}

async fn import_all(reg: &Registry) -> Vec<Stored> {
    let kb = kb();
    let mut out = Vec::new();
    for f in case_files() {
        let bytes = std::fs::read(&f).unwrap();
        let r = reg
            .import(&kb, &input(&bytes, "case.json"), &writer())
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
        out.push(r.stored);
    }
    out
}

async fn counts(reg: &Registry) -> BTreeMap<&'static str, i64> {
    reg.counts().await.unwrap().into_iter().collect()
}

/// The registry's tables and columns (the logical schema both backends must have).
const LOGICAL_SCHEMA: &[(&str, &[&str])] = &[
    (
        "assessments",
        &[
            "assessment_json",
            "case_version_id",
            "created_at",
            "created_by",
            "id",
            "kb_date",
            "kb_version",
            "patient_id",
        ],
    ),
    (
        "audit",
        &[
            "action",
            "at",
            "detail",
            "hash",
            "patient",
            "prev_hash",
            "reason",
            "record",
            "seq",
            "user_name",
        ],
    ),
    (
        "case_versions",
        &[
            "as_of",
            "case_json",
            "created_at",
            "created_by",
            "id",
            "patient_id",
            "sha256",
            "source",
            "version",
        ],
    ),
    ("centres", &["code", "created_at", "id", "name"]),
    (
        "events",
        &["case_version_id", "date", "kind", "patient_id", "seq"],
    ),
    (
        "fasttrack",
        &["case_version_id", "death_date", "patient_id", "spans"],
    ),
    (
        "identifiers",
        &[
            "centre_id",
            "created_at",
            "created_by",
            "id",
            "kind",
            "patient_id",
            "value",
        ],
    ),
    (
        "molecular",
        &[
            "case_version_id",
            "mmr",
            "msi",
            "patient_id",
            "pd_l1_tps_percent",
            "tmb_mut_per_mb",
        ],
    ),
    (
        "molecular_fusions",
        &[
            "case_version_id",
            "five_prime",
            "patient_id",
            "seq",
            "three_prime",
        ],
    ),
    (
        "molecular_tests",
        &["case_version_id", "patient_id", "status", "test"],
    ),
    (
        "molecular_variants",
        &[
            "case_version_id",
            "gene",
            "hgvs_c",
            "hgvs_p",
            "patient_id",
            "seq",
        ],
    ),
    (
        "outcomes",
        &[
            "case_version_id",
            "death_date",
            "last_event_date",
            "last_follow_up_date",
            "patient_id",
            "progression_date",
            "vital_status",
        ],
    ),
    (
        "patients",
        &["centre_id", "created_at", "created_by", "id", "pseudonym"],
    ),
    ("projection_state", &["built_at", "fingerprint", "name"]),
    (
        "survival",
        &[
            "case_version_id",
            "diagnosis_date",
            "died",
            "end_date",
            "first_treatment",
            "first_treatment_date",
            "patient_id",
            "stage",
        ],
    ),
    (
        "treatments",
        &[
            "case_version_id",
            "cumulative_dose",
            "cumulative_dose_unit",
            "drug",
            "end_date",
            "patient_id",
            "seq",
            "start_date",
        ],
    ),
    ("users", &["created_at", "id", "name", "role"]),
];

async fn schema_of(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let mut conn = raw(db).await;
    let sql = if db.backend == "sqlite" {
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'
         ORDER BY t, c"
    } else {
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'
         ORDER BY t, c"
    };
    let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (t, c) in rows {
        match out.last_mut() {
            Some((lt, cols)) if *lt == t => cols.push(c),
            _ => out.push((t, vec![c])),
        }
    }
    out
}

#[test]
fn init_creates_the_logical_schema_and_is_idempotent() {
    run(
        "init_creates_the_logical_schema_and_is_idempotent",
        |db| async move {
            let (reg, report) = Registry::init(&db.target, &writer()).await.unwrap();
            assert_eq!(report.previous_version, None);
            assert_eq!(report.schema_version, SCHEMA_VERSION);
            reg.close().await;
            let expected: Vec<(String, Vec<String>)> = LOGICAL_SCHEMA
                .iter()
                .map(|(t, c)| (t.to_string(), c.iter().map(|s| s.to_string()).collect()))
                .collect();
            assert_eq!(schema_of(&db).await, expected, "{}", db.backend);
            // Again: nothing changes but the audit trail.
            let (reg, report) = Registry::init(&db.target, &writer()).await.unwrap();
            assert_eq!(report.previous_version, Some(SCHEMA_VERSION));
            let c = counts(&reg).await;
            assert_eq!(c["audit"], 2);
            assert_eq!(c["users"], 1);
            assert!(reg.verify_audit().await.unwrap().intact());
            if db.backend == "sqlite" {
                let mut conn = raw(&db).await;
                let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                assert_eq!(mode, "wal");
            }
            reg.close().await;
            // Open works on an initialised registry.
            Registry::open(&db.target).await.unwrap().close().await;
        },
    );
}

#[test]
fn open_refuses_a_missing_or_newer_registry() {
    run(
        "open_refuses_a_missing_or_newer_registry",
        |db| async move {
            match Registry::open(&db.target).await {
                Err(Error::NotInitialised(_)) => {}
                other => panic!("{}: expected NotInitialised, got {other:?}", db.backend),
            }
            init(&db).await.close().await;
            let mut conn = raw(&db).await;
            conn.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             SELECT 999, 'from the future', success, checksum, execution_time FROM _sqlx_migrations WHERE version = 1",
        )
        .await
        .unwrap();
            match Registry::open(&db.target).await {
                Err(e @ Error::SchemaTooNew { found: 999, .. }) => {
                    assert!(e.to_string().contains("newer than this ATCPath supports"));
                }
                other => panic!("{}: expected SchemaTooNew, got {other:?}", db.backend),
            }
            assert!(matches!(
                Registry::init(&db.target, &writer()).await,
                Err(Error::SchemaTooNew { .. })
            ));
        },
    );
}

#[test]
fn import_all_cases_then_reimport_changes_nothing() {
    run(
        "import_all_cases_then_reimport_changes_nothing",
        |db| async move {
            let reg = init(&db).await;
            let files = case_files().len() as i64;
            let first = import_all(&reg).await;
            assert!(first.iter().all(|s| *s == Stored::Created), "{first:?}");
            let c = counts(&reg).await;
            assert_eq!(c["patients"], files);
            assert_eq!(c["case_versions"], files);
            assert_eq!(c["outcomes"], files);
            assert_eq!(c["molecular"], files);
            assert!(c["events"] > 0 && c["molecular_variants"] > 0 && c["molecular_fusions"] > 0);
            assert_eq!(c["audit"], 1 + files);
            let second = import_all(&reg).await;
            assert!(second.iter().all(|s| *s == Stored::Unchanged), "{second:?}");
            let c2 = counts(&reg).await;
            assert_eq!(c2["case_versions"], files, "no new version on re-import");
            assert_eq!(
                c2["audit"],
                1 + 2 * files,
                "each unchanged import is still audited"
            );
            let list = reg.list(&kb(), &reader()).await.unwrap();
            assert_eq!(list.len() as i64, files);
            let braf = list
                .iter()
                .find(|p| p.pseudonym == "example-ivc-braf")
                .unwrap();
            assert_eq!(braf.stage_group, "IVC");
            assert_eq!(braf.current_version, 1);
            assert_eq!(braf.last_event.as_ref().unwrap().kind, "mdt");
            // Projections: numbers, variants (normalised HGVS) and fusions of the current version.
            let mut conn = raw(&db).await;
            let (pd_l1, tmb, msi): (Option<f64>, Option<f64>, Option<String>) = sqlx::query_as(
                "SELECT m.pd_l1_tps_percent, m.tmb_mut_per_mb, m.msi FROM molecular m
             JOIN patients p ON p.id = m.patient_id WHERE p.pseudonym = 'example-ivc-braf'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(
                (pd_l1, tmb, msi.as_deref()),
                (Some(60.0), Some(4.0), Some("stable"))
            );
            let variants: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT v.gene, v.hgvs_p FROM molecular_variants v
             JOIN patients p ON p.id = v.patient_id WHERE p.pseudonym = 'example-ivc-braf' ORDER BY v.seq",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
            assert_eq!(
                variants[0],
                ("BRAF".to_string(), Some("p.Val600Glu".to_string()))
            );
            assert!(reg.verify_audit().await.unwrap().intact());
        },
    );
}

fn modified(text: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    v["patient"]["ecog"] = serde_json::json!(2);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn a_modified_case_is_version_2_and_version_1_stays_intact() {
    run(
        "a_modified_case_is_version_2_and_version_1_stays_intact",
        |db| async move {
            let reg = init(&db).await;
            let kb = kb();
            let path = common::root().join("examples/ivc-braf.json");
            let original = std::fs::read_to_string(&path).unwrap();
            let r1 = reg
                .import(&kb, &input(original.as_bytes(), "ivc-braf.json"), &writer())
                .await
                .unwrap();
            assert_eq!((r1.stored, r1.version), (Stored::Created, 1));
            let changed = modified(&original);
            let r2 = reg
                .import(
                    &kb,
                    &input(changed.as_bytes(), "ivc-braf-v2.json"),
                    &writer(),
                )
                .await
                .unwrap();
            assert_eq!((r2.stored, r2.version), (Stored::NewVersion, 2));
            assert_ne!(r1.sha256, r2.sha256);
            let v1 = reg
                .show(&kb, "example-ivc-braf", Some(1), &reader())
                .await
                .unwrap();
            assert_eq!(
                v1.case_json, original,
                "version 1 is kept exactly as accepted"
            );
            assert_eq!(v1.versions.len(), 2);
            assert_eq!(v1.versions[0].sha256, r1.sha256);
            assert_eq!(v1.versions[0].source, "ivc-braf.json");
            assert_eq!(v1.current_version, 2);
            assert_eq!(v1.case["patient"]["ecog"], 1);
            let v2 = reg
                .show(&kb, "example-ivc-braf", None, &reader())
                .await
                .unwrap();
            assert_eq!(v2.version_shown, 2);
            assert_eq!(v2.case["patient"]["ecog"], 2);
            assert_eq!(v2.case_json, changed);
            assert!(matches!(
                reg.show(&kb, "example-ivc-braf", Some(3), &reader()).await,
                Err(Error::UnknownVersion {
                    version: 3,
                    current: 2,
                    ..
                })
            ));
            // Versions can be neither changed nor deleted, even by hand.
            let mut conn = raw(&db).await;
            assert!(
                conn.execute("UPDATE case_versions SET case_json = '{}'")
                    .await
                    .is_err()
            );
            assert!(conn.execute("DELETE FROM case_versions").await.is_err());
            assert!(conn.execute("DELETE FROM audit").await.is_err());
            assert!(conn.execute("UPDATE audit SET reason = 'x'").await.is_err());
            assert_eq!(counts(&reg).await["case_versions"], 2);
        },
    );
}

#[test]
fn an_invalid_case_is_rejected_whole() {
    run("an_invalid_case_is_rejected_whole", |db| async move {
        let reg = init(&db).await;
        let kb = kb();
        let good =
            std::fs::read_to_string(common::root().join("examples/iva-resectable.json")).unwrap();
        reg.import(&kb, &input(good.as_bytes(), "iva.json"), &writer())
            .await
            .unwrap();
        let before = counts(&reg).await;
        // Weight in grams labelled kg, for a new patient and for an existing one.
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        v["patient"]["weight"] = serde_json::json!({"value": 68000, "unit": "kg"});
        let bad_existing = serde_json::to_string(&v).unwrap();
        v["id"] = serde_json::json!("brand-new-patient");
        let bad_new = serde_json::to_string(&v).unwrap();
        for bad in [&bad_existing, &bad_new] {
            match reg
                .import(&kb, &input(bad.as_bytes(), "bad.json"), &writer())
                .await
            {
                Err(Error::InvalidCase(problems)) => {
                    assert!(
                        problems.iter().any(|p| p.path == "patient.weight.value"),
                        "{problems:?}"
                    );
                }
                other => panic!("expected a rejection, got {other:?}"),
            }
        }
        // Not JSON at all, and a decision date in the future.
        assert!(matches!(
            reg.import(&kb, &input(b"{not json", "x.json"), &writer())
                .await,
            Err(Error::InvalidCase(_))
        ));
        let mut f: serde_json::Value = serde_json::from_str(&good).unwrap();
        f["as_of"] = serde_json::json!("2999-01-01");
        let future = serde_json::to_string(&f).unwrap();
        match reg
            .import(&kb, &input(future.as_bytes(), "f.json"), &writer())
            .await
        {
            Err(Error::InvalidCase(p)) => assert_eq!(p[0].path, "as_of", "{p:?}"),
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert_eq!(
            counts(&reg).await,
            before,
            "nothing of a rejected case is stored"
        );
    });
}

#[test]
fn event_add_makes_a_new_version_and_the_projection_shows_it() {
    run(
        "event_add_makes_a_new_version_and_the_projection_shows_it",
        |db| async move {
            let reg = init(&db).await;
            let kb = kb();
            let text =
                std::fs::read_to_string(common::root().join("examples/ivc-braf.json")).unwrap();
            reg.import(&kb, &input(text.as_bytes(), "ivc-braf.json"), &writer())
                .await
                .unwrap();
            let added = reg
                .add_event(
                    &kb,
                    "example-ivc-braf",
                    "treatment_start",
                    "2022-08-24",
                    &writer(),
                )
                .await
                .unwrap();
            assert_eq!((added.stored, added.version), (Stored::NewVersion, 2));
            assert_eq!(added.as_of_moved_from.as_deref(), Some("2022-08-20"));
            let rec = reg
                .show(&kb, "example-ivc-braf", None, &reader())
                .await
                .unwrap();
            assert_eq!(rec.current_version, 2);
            assert_eq!(rec.versions[1].source, "edit");
            let last = rec.events.last().unwrap();
            assert_eq!(
                (last.kind.as_str(), last.date.as_str()),
                ("treatment_start", "2022-08-24")
            );
            assert_eq!(rec.outcome.last_event_date.as_deref(), Some("2022-08-24"));
            // Version 1 still has its own timeline.
            let v1 = reg
                .show(&kb, "example-ivc-braf", Some(1), &reader())
                .await
                .unwrap();
            assert!(v1.events.iter().all(|e| e.kind != "treatment_start"));
            // Follow-up and progression feed the outcome projection.
            reg.add_event(
                &kb,
                "example-ivc-braf",
                "progression",
                "2022-11-02",
                &writer(),
            )
            .await
            .unwrap();
            reg.add_event(
                &kb,
                "example-ivc-braf",
                "last_follow_up",
                "2022-12-01",
                &writer(),
            )
            .await
            .unwrap();
            let rec = reg
                .show(&kb, "example-ivc-braf", None, &reader())
                .await
                .unwrap();
            assert_eq!(rec.current_version, 4);
            assert_eq!(rec.outcome.vital_status, "alive");
            assert_eq!(rec.outcome.progression_date.as_deref(), Some("2022-11-02"));
            assert_eq!(
                rec.outcome.last_follow_up_date.as_deref(),
                Some("2022-12-01")
            );
            // The same event again: nothing new.
            let again = reg
                .add_event(
                    &kb,
                    "example-ivc-braf",
                    "progression",
                    "2022-11-02",
                    &writer(),
                )
                .await
                .unwrap();
            assert_eq!((again.stored, again.version), (Stored::Unchanged, 4));
            reg.add_event(
                &kb,
                "example-ivc-braf",
                "radiotherapy_start",
                "2022-12-01",
                &writer(),
            )
            .await
            .unwrap();
            let before = counts(&reg).await;
            // Refused: unknown kind, malformed or future date, unknown patient, and an edit the case
            // reader refuses (radiotherapy ending before it started): nothing stored.
            assert!(matches!(
                reg.add_event(&kb, "example-ivc-braf", "lunch", "2022-11-02", &writer())
                    .await,
                Err(Error::Invalid(_))
            ));
            assert!(matches!(
                reg.add_event(&kb, "example-ivc-braf", "mdt", "2022-13-02", &writer())
                    .await,
                Err(Error::Invalid(_))
            ));
            assert!(matches!(
                reg.add_event(&kb, "example-ivc-braf", "mdt", "2999-01-01", &writer())
                    .await,
                Err(Error::Invalid(_))
            ));
            assert!(matches!(
                reg.add_event(&kb, "nobody", "mdt", "2022-11-02", &writer())
                    .await,
                Err(Error::UnknownPatient(_))
            ));
            assert!(matches!(
                reg.add_event(
                    &kb,
                    "example-ivc-braf",
                    "radiotherapy_end",
                    "2022-11-30",
                    &writer()
                )
                .await,
                Err(Error::InvalidCase(_))
            ));
            assert_eq!(counts(&reg).await, before);
            assert!(reg.verify_audit().await.unwrap().intact());
        },
    );
}

#[test]
fn reads_need_a_reason() {
    run("reads_need_a_reason", |db| async move {
        let reg = init(&db).await;
        let kb = kb();
        import_all(&reg).await;
        let before = counts(&reg).await;
        assert!(matches!(
            reg.show(&kb, "example-ivc-braf", None, &writer()).await,
            Err(Error::ReasonRequired)
        ));
        assert!(matches!(
            reg.list(&kb, &writer()).await,
            Err(Error::ReasonRequired)
        ));
        let mut sink = Vec::new();
        assert!(matches!(
            reg.export_audit(ExportFormat::Csv, &mut sink, &writer())
                .await,
            Err(Error::ReasonRequired)
        ));
        assert!(sink.is_empty());
        assert_eq!(
            counts(&reg).await,
            before,
            "a refused read leaves no trace but its refusal"
        );
        // A read with a reason is audited with it.
        reg.show(&kb, "example-ivc-braf", None, &reader())
            .await
            .unwrap();
        let mut out = Vec::new();
        reg.export_audit(ExportFormat::Json, &mut out, &reader())
            .await
            .unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
        let show = &rows[rows.len() - 2];
        assert_eq!(show["action"], "read");
        assert_eq!(show["patient"], "example-ivc-braf");
        assert_eq!(show["reason"], "registry test");
        assert_eq!(show["user"], "test-reader");
        assert_eq!(rows.last().unwrap()["action"], "export");
    });
}

#[test]
fn assessments_are_stored_with_the_knowledge_base_version() {
    run(
        "assessments_are_stored_with_the_knowledge_base_version",
        |db| async move {
            let reg = init(&db).await;
            let kb = kb();
            let text =
                std::fs::read_to_string(common::root().join("examples/ivc-braf.json")).unwrap();
            reg.import(&kb, &input(text.as_bytes(), "ivc-braf.json"), &writer())
                .await
                .unwrap();
            let config = atcpath_core::Config::from_kb(&kb);
            let stored = reg
                .assess(&kb, &config, "example-ivc-braf", &writer())
                .await
                .unwrap();
            assert_eq!(stored.case_version, 1);
            assert_eq!(stored.assessment.stage.group, "IVC");
            let rec = reg
                .show(&kb, "example-ivc-braf", None, &reader())
                .await
                .unwrap();
            let a = rec.latest_assessment.unwrap();
            assert_eq!(a.kb_version, kb.meta.version);
            assert_eq!(a.kb_date, kb.meta.date);
            assert_eq!(a.case_version, 1);
            assert_eq!(a.assessment["stage"]["group"], "IVC");
            assert_eq!(
                a.assessment,
                serde_json::to_value(&stored.assessment).unwrap()
            );
            assert_eq!(counts(&reg).await["assessments"], 1);
            assert!(matches!(
                reg.assess(&kb, &config, "nobody", &writer()).await,
                Err(Error::UnknownPatient(_))
            ));
        },
    );
}

const SECRET: &str = "HN-99887766";

#[test]
fn identifiers_are_stored_but_never_shown() {
    run("identifiers_are_stored_but_never_shown", |db| async move {
        let reg = init(&db).await;
        let kb = kb();
        let text = std::fs::read_to_string(common::root().join("examples/ivc-braf.json")).unwrap();
        let ids = [Identifier::new("hospital_number", SECRET).unwrap()];
        assert!(!format!("{ids:?}").contains(SECRET));
        let r = reg
            .import(
                &kb,
                &CaseInput {
                    bytes: text.as_bytes(),
                    source: "ivc-braf.json",
                    centre: Some("lyon"),
                    identifiers: &ids,
                },
                &writer(),
            )
            .await
            .unwrap();
        assert_eq!(r.identifiers_recorded, vec!["hospital_number".to_string()]);
        let mut conn = raw(&db).await;
        let (v,): (String,) = sqlx::query_as("SELECT value FROM identifiers")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(v, SECRET);
        // Another patient of the same centre cannot take the same number; a different number of
        // the same kind for the same patient is refused (never overwritten). Nothing is stored.
        let other =
            std::fs::read_to_string(common::root().join("examples/iva-resectable.json")).unwrap();
        let before = counts(&reg).await;
        for (bytes, ids) in [
            (other.as_bytes(), ids.clone()),
            (
                text.as_bytes(),
                [Identifier::new("hospital_number", "HN-1").unwrap()],
            ),
        ] {
            let e = reg
                .import(
                    &kb,
                    &CaseInput {
                        bytes,
                        source: "x.json",
                        centre: Some("lyon"),
                        identifiers: &ids,
                    },
                    &writer(),
                )
                .await
                .unwrap_err();
            assert!(matches!(e, Error::InvalidCase(_)), "{e:?}");
            assert!(!format!("{e} {e:?}").contains(SECRET));
        }
        assert_eq!(counts(&reg).await, before);
        // A patient of another centre is refused too.
        assert!(matches!(
            reg.import(
                &kb,
                &CaseInput {
                    bytes: text.as_bytes(),
                    source: "x",
                    centre: Some("paris"),
                    identifiers: &[]
                },
                &writer()
            )
            .await,
            Err(Error::InvalidCase(_))
        ));
        reg.add_event(
            &kb,
            "example-ivc-braf",
            "treatment_start",
            "2022-08-24",
            &writer(),
        )
        .await
        .unwrap();
        let config = atcpath_core::Config::from_kb(&kb);
        reg.assess(&kb, &config, "example-ivc-braf", &writer())
            .await
            .unwrap();
        let list = reg.list(&kb, &reader()).await.unwrap();
        let show = reg
            .show(&kb, "example-ivc-braf", None, &reader())
            .await
            .unwrap();
        let show1 = reg
            .show(&kb, "example-ivc-braf", Some(1), &reader())
            .await
            .unwrap();
        let mut csv = Vec::new();
        reg.export_audit(ExportFormat::Csv, &mut csv, &reader())
            .await
            .unwrap();
        let mut json = Vec::new();
        reg.export_audit(ExportFormat::Json, &mut json, &reader())
            .await
            .unwrap();
        let everything = format!(
            "{} {list:?} {} {show:?} {} {show1:?} {} {}",
            serde_json::to_string(&list).unwrap(),
            serde_json::to_string(&show).unwrap(),
            serde_json::to_string(&show1).unwrap(),
            String::from_utf8(csv).unwrap(),
            String::from_utf8(json).unwrap(),
        );
        assert!(everything.contains("hospital_number recorded"));
        assert!(
            !everything.contains(SECRET),
            "a direct identifier was printed"
        );
        assert_eq!(list[0].centre, "lyon");
    });
}

#[test]
fn the_audit_chain_verifies_and_names_a_tampered_row() {
    run(
        "the_audit_chain_verifies_and_names_a_tampered_row",
        |db| async move {
            let reg = init(&db).await;
            let kb = kb();
            import_all(&reg).await;
            reg.add_event(
                &kb,
                "example-ivc-braf",
                "treatment_start",
                "2022-08-24",
                &writer(),
            )
            .await
            .unwrap();
            reg.show(&kb, "example-ivc-braf", None, &reader())
                .await
                .unwrap();
            let v = reg.verify_audit().await.unwrap();
            assert!(v.intact(), "{v:?}");
            let rows = counts(&reg).await["audit"];
            assert_eq!(v.rows, rows);
            // Tamper with row 5 behind the registry's back (the trigger must go first).
            let mut conn = raw(&db).await;
            assert!(
                conn.execute("UPDATE audit SET detail = 'nothing happened' WHERE seq = 5")
                    .await
                    .is_err()
            );
            let drop_trigger = if db.backend == "sqlite" {
                "DROP TRIGGER audit_no_update"
            } else {
                "DROP TRIGGER audit_no_update ON audit"
            };
            conn.execute(drop_trigger).await.unwrap();
            conn.execute("UPDATE audit SET user_name = 'mallory' WHERE seq = 5")
                .await
                .unwrap();
            let v = reg.verify_audit().await.unwrap();
            let b = v.first_break.expect("the tampering is detected");
            assert_eq!(b.seq, 5, "{b:?}");
            assert!(b.problem.contains("changed"));
            // Rewriting the row's hash too moves the break to the next row, never hides it.
            let row: (String,) = sqlx::query_as("SELECT hash FROM audit WHERE seq = 5")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let all = {
                let mut out = Vec::new();
                reg.export_audit(ExportFormat::Json, &mut out, &reader())
                    .await
                    .unwrap();
                serde_json::from_slice::<Vec<atcpath_registry::AuditRow>>(&out).unwrap()
            };
            let fixed = all[4].recompute();
            assert_ne!(fixed, row.0);
            sqlx::query("UPDATE audit SET hash = $1 WHERE seq = 5")
                .bind(&fixed)
                .execute(&mut conn)
                .await
                .unwrap();
            let b = reg.verify_audit().await.unwrap().first_break.unwrap();
            assert_eq!(b.seq, 6, "{b:?}");
        },
    );
}

#[test]
fn the_migration_folders_agree() {
    let dir = common::root().join("crates/registry/migrations");
    let list = |backend: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    let embedded: Vec<String> = atcpath_registry::schema::embedded_files()
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    assert_eq!(
        list("sqlite"),
        embedded,
        "every SQLite migration file is embedded"
    );
    assert_eq!(
        list("postgres"),
        embedded,
        "every PostgreSQL migration file is embedded"
    );
    assert_eq!(
        atcpath_registry::schema::embedded_files()
            .last()
            .map(|(v, _)| *v),
        Some(SCHEMA_VERSION)
    );
}

#[test]
fn urls_and_users() {
    assert!(Target::parse("mysql://x").is_err());
    assert!(Actor::new("", None).is_err());
    assert!(Identifier::parse("hospital_number").is_err());
    let e = Identifier::parse("Hospital Number=123").unwrap_err();
    assert!(!e.to_string().contains("123"));
}

#[test]
fn an_import_that_drops_facts_is_refused_naming_each_and_stored_only_as_a_replacement() {
    run("an_import_that_drops_facts_is_refused", |db| async move {
        let reg = init(&db).await;
        let kb = kb();
        let text = std::fs::read(common::root().join("examples/ivc-braf.json")).unwrap();
        reg.import(&kb, &input(&text, "ivc-braf.json"), &writer())
            .await
            .unwrap();
        reg.add_event(&kb, "example-ivc-braf", "death", "2022-10-01", &writer())
            .await
            .unwrap();
        let e = reg
            .import(&kb, &input(&text, "ivc-braf.json"), &writer())
            .await
            .unwrap_err();
        let Error::InvalidCase(problems) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "events");
        assert!(
            problems[0].message.contains("event death on 2022-10-01"),
            "{problems:?}"
        );
        // Still dead: nothing was stored, assess refuses.
        let config = atcpath_core::Config::from_kb(&kb);
        let e = reg
            .assess(&kb, &config, "example-ivc-braf", &reader())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("died on 2022-10-01"), "{e}");
        // A replacement needs a reason; with one it is stored and audited.
        let refused = reg
            .import_batch_replacing(&kb, &[input(&text, "ivc-braf.json")], &writer())
            .await
            .unwrap_err();
        assert!(matches!(refused, Error::ReasonRequired), "{refused:?}");
        let r = reg
            .import_batch_replacing(&kb, &[input(&text, "ivc-braf.json")], &reader())
            .await
            .unwrap();
        let stored = r[0].as_ref().unwrap();
        assert_eq!((stored.stored, stored.version), (Stored::NewVersion, 3));
        let mut out = Vec::new();
        reg.export_audit(ExportFormat::Json, &mut out, &reader())
            .await
            .unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
        assert!(rows.iter().any(|r| {
            r["reason"] == "registry test"
                && r["detail"]
                    .as_str()
                    .unwrap()
                    .contains("replacing version 2 and dropping event death on 2022-10-01")
        }));
        assert!(reg.verify_records(&kb).await.unwrap().intact());
        reg.close().await;
    });
}

#[test]
fn verify_records_names_a_changed_version_or_projection_and_reads_refuse_the_version() {
    run("verify_records_names_a_changed_version", |db| async move {
        let reg = init(&db).await;
        let kb = kb();
        import_all(&reg).await;
        let v = reg.verify_records(&kb).await.unwrap();
        assert!(v.intact(), "{v:?}");
        assert_eq!(v.patients, v.case_versions);
        let mut conn = raw(&db).await;
        // An analysis projection row (survival), then a case projection row (outcomes, compared
        // first): each found, naming table, patient and version.
        conn.execute(
            "UPDATE survival SET died = 1 WHERE patient_id = (SELECT id FROM patients WHERE pseudonym = 'example-ivc-braf')",
        )
        .await
        .unwrap();
        let d = reg
            .verify_records(&kb)
            .await
            .unwrap()
            .first_difference
            .unwrap();
        assert_eq!(
            (d.table.as_str(), d.patient.as_str(), d.version),
            ("survival", "example-ivc-braf", 1),
            "{d:?}"
        );
        conn.execute(
            "UPDATE outcomes SET last_event_date = '1900-01-01' WHERE patient_id = (SELECT id FROM patients WHERE pseudonym = 'example-ivc-braf')",
        )
        .await
        .unwrap();
        let d = reg
            .verify_records(&kb)
            .await
            .unwrap()
            .first_difference
            .unwrap();
        assert_eq!(
            (d.table.as_str(), d.patient.as_str(), d.version),
            ("outcomes", "example-ivc-braf", 1),
            "{d:?}"
        );
        // A case version's JSON and its SHA-256, rewritten together with the trigger dropped.
        let drop = if db.backend == "sqlite" {
            "DROP TRIGGER case_versions_no_update"
        } else {
            "DROP TRIGGER case_versions_no_update ON case_versions"
        };
        conn.execute(drop).await.unwrap();
        let text = std::fs::read_to_string(common::root().join("examples/ivc-braf.json")).unwrap();
        let forged = format!("{text} ");
        let sha = atcpath_registry::import::sha256_hex(forged.as_bytes());
        sqlx::query(
            "UPDATE case_versions SET case_json = $1, sha256 = $2 WHERE patient_id = (SELECT id FROM patients WHERE pseudonym = 'example-ivc-braf')",
        )
        .bind(&forged)
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        let d = reg
            .verify_records(&kb)
            .await
            .unwrap()
            .first_difference
            .unwrap();
        assert_eq!(
            (d.table.as_str(), d.patient.as_str(), d.version),
            ("case_versions", "example-ivc-braf", 1),
            "{d:?}"
        );
        assert!(d.problem.contains("audit row"), "{d:?}");
        let e = reg
            .show(&kb, "example-ivc-braf", None, &reader())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Tampered(_)), "{e:?}");
        let config = atcpath_core::Config::from_kb(&kb);
        let e = reg
            .assess(&kb, &config, "example-ivc-braf", &reader())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Tampered(_)), "{e:?}");
        let e = reg
            .add_event(&kb, "example-ivc-braf", "mdt", "2022-08-21", &writer())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Tampered(_)), "{e:?}");
        reg.close().await;
    });
}

/// Removes a patient's newest case version outside ATCPath (triggers dropped, the projection
/// rows pointed back at the previous version so that foreign keys hold).
async fn remove_newest_version(db: &TestDb, pseudonym: &str) {
    let mut conn = raw(db).await;
    let drop = if db.backend == "sqlite" {
        "DROP TRIGGER case_versions_no_delete"
    } else {
        "DROP TRIGGER case_versions_no_delete ON case_versions"
    };
    conn.execute(drop).await.unwrap();
    let ids: Vec<(i64,)> = sqlx::query_as(
        "SELECT v.id FROM case_versions v JOIN patients p ON p.id = v.patient_id
         WHERE p.pseudonym = $1 ORDER BY v.version DESC",
    )
    .bind(pseudonym)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let (newest, previous) = (ids[0].0, ids[1].0);
    for t in [
        "events",
        "molecular",
        "molecular_tests",
        "molecular_variants",
        "molecular_fusions",
        "treatments",
        "outcomes",
        "fasttrack",
        "survival",
        "assessments",
    ] {
        // A table without the column is left alone.
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {t} SET case_version_id = $1 WHERE case_version_id = $2"
        )))
        .bind(previous)
        .bind(newest)
        .execute(&mut conn)
        .await;
    }
    sqlx::query("DELETE FROM case_versions WHERE id = $1")
        .bind(newest)
        .execute(&mut conn)
        .await
        .unwrap();
}

#[test]
fn a_removed_newest_version_is_refused_by_every_read_naming_patient_and_version() {
    run("a_removed_newest_version_is_refused", |db| async move {
        let reg = init(&db).await;
        let kb = kb();
        import_all(&reg).await;
        let added = reg
            .add_event(&kb, "example-ivc-braf", "death", "2022-10-01", &writer())
            .await
            .unwrap();
        assert_eq!(added.version, 2, "{added:?}");
        remove_newest_version(&db, "example-ivc-braf").await;
        let named = |e: &Error| {
            assert!(matches!(e, Error::Tampered(_)), "{e:?}");
            let s = e.to_string();
            assert!(
                s.contains("example-ivc-braf") && s.contains("version 2"),
                "{s}"
            );
        };
        named(
            &reg.show(&kb, "example-ivc-braf", None, &reader())
                .await
                .unwrap_err(),
        );
        // Asked for by number, version 1 would be shown as "version 1 of 1": refused too.
        named(
            &reg.show(&kb, "example-ivc-braf", Some(1), &reader())
                .await
                .unwrap_err(),
        );
        let config = atcpath_core::Config::from_kb(&kb);
        named(
            &reg.assess(&kb, &config, "example-ivc-braf", &reader())
                .await
                .unwrap_err(),
        );
        named(
            &reg.add_event(&kb, "example-ivc-braf", "mdt", "2022-08-21", &writer())
                .await
                .unwrap_err(),
        );
        let dir = common::temp_dir();
        named(
            &reg.export_cases(&kb, &dir.join("out"), &reader())
                .await
                .unwrap_err(),
        );
        named(&reg.backup(&dir.join("b.db"), &reader()).await.unwrap_err());
        assert!(!dir.join("b.db").exists());
        let d = reg
            .verify_records(&kb)
            .await
            .unwrap()
            .first_difference
            .unwrap();
        assert_eq!(
            (d.table.as_str(), d.patient.as_str(), d.version),
            ("case_versions", "example-ivc-braf", 2),
            "{d:?}"
        );
        reg.close().await;
    });
}
