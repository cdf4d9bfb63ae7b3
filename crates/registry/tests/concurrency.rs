//! Concurrent writers on one registry (SQLite file; PostgreSQL when `ATCPATH_TEST_POSTGRES_URL`
//! is set): each thread opens its own connection pool, as separate processes would, and they
//! start together. Nothing may be lost and the audit chain must not fork.

mod common;

use std::sync::Barrier;

use atcpath_registry::{Actor, CaseInput, Registry, Stored};
use common::{TestDb, case_files, kb, rt, run};

fn in_thread<T: Send>(
    db: &TestDb,
    barrier: &Barrier,
    work: impl AsyncFnOnce(&Registry) -> T + Send,
) -> T {
    rt().block_on(async {
        let reg = Registry::open(&db.target).await.expect("open");
        barrier.wait();
        let out = work(&reg).await;
        reg.close().await;
        out
    })
}

#[test]
fn two_writers_importing_the_same_cases_lose_nothing() {
    run(
        "two_writers_importing_the_same_cases_lose_nothing",
        |db| async move {
            Registry::init(&db.target, &Actor::new("admin", None).unwrap())
                .await
                .unwrap()
                .0
                .close()
                .await;
            let files = case_files();
            let n = files.len() as i64;
            let barrier = Barrier::new(2);
            let results: Vec<Vec<Stored>> = std::thread::scope(|s| {
                let handles: Vec<_> = [false, true]
                    .into_iter()
                    .map(|reverse| {
                        let (db, barrier, files) = (&db, &barrier, &files);
                        s.spawn(move || {
                            let actor =
                                Actor::new(if reverse { "writer-b" } else { "writer-a" }, None)
                                    .unwrap();
                            in_thread(db, barrier, async |reg: &Registry| {
                                let kb = kb();
                                let mut order: Vec<_> = files.iter().collect();
                                if reverse {
                                    order.reverse();
                                }
                                let mut out = Vec::new();
                                for f in order {
                                    let bytes = std::fs::read(f).unwrap();
                                    let input = CaseInput {
                                        bytes: &bytes,
                                        source: "c.json",
                                        centre: None,
                                        identifiers: &[],
                                    };
                                    out.push(
                                        reg.import(&kb, &input, &actor)
                                            .await
                                            .expect("import")
                                            .stored,
                                    );
                                }
                                out
                            })
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("thread"))
                    .collect()
            });
            let created = results
                .iter()
                .flatten()
                .filter(|s| **s == Stored::Created)
                .count() as i64;
            let unchanged = results
                .iter()
                .flatten()
                .filter(|s| **s == Stored::Unchanged)
                .count() as i64;
            assert_eq!(
                (created, unchanged),
                (n, n),
                "each patient created exactly once"
            );
            let reg = Registry::open(&db.target).await.unwrap();
            let c: std::collections::BTreeMap<_, _> =
                reg.counts().await.unwrap().into_iter().collect();
            assert_eq!(c["patients"], n);
            assert_eq!(c["case_versions"], n);
            assert_eq!(c["audit"], 1 + 2 * n);
            let v = reg.verify_audit().await.unwrap();
            assert!(v.intact(), "{v:?}");
            assert_eq!(v.rows, 1 + 2 * n);
        },
    );
}

#[test]
fn two_writers_editing_one_patient_lose_no_update() {
    run(
        "two_writers_editing_one_patient_lose_no_update",
        |db| async move {
            let admin = Actor::new("admin", None).unwrap();
            let (reg, _) = Registry::init(&db.target, &admin).await.unwrap();
            let bytes = std::fs::read(common::root().join("examples/ivc-braf.json")).unwrap();
            let input = CaseInput {
                bytes: &bytes,
                source: "ivc-braf.json",
                centre: None,
                identifiers: &[],
            };
            reg.import(&kb(), &input, &admin).await.unwrap();
            reg.close().await;
            let barrier = Barrier::new(2);
            std::thread::scope(|s| {
                for (kind, day0) in [("response_assessment", 1), ("mdt", 11)] {
                    let (db, barrier) = (&db, &barrier);
                    s.spawn(move || {
                        let actor = Actor::new(kind, None).unwrap();
                        in_thread(db, barrier, async |reg: &Registry| {
                            let kb = kb();
                            for d in day0..day0 + 5 {
                                let date = format!("2022-09-{d:02}");
                                let r = reg
                                    .add_event(&kb, "example-ivc-braf", kind, &date, &actor)
                                    .await
                                    .expect("event add");
                                assert_eq!(r.stored, Stored::NewVersion);
                            }
                        })
                    });
                }
            });
            let reg = Registry::open(&db.target).await.unwrap();
            let reader = Actor::new("reader", Some("concurrency test")).unwrap();
            let rec = reg
                .show(&kb(), "example-ivc-braf", None, &reader)
                .await
                .unwrap();
            assert_eq!(rec.current_version, 11, "ten edits, ten versions");
            for (kind, day0) in [("response_assessment", 1), ("mdt", 11)] {
                for d in day0..day0 + 5 {
                    let date = format!("2022-09-{d:02}");
                    assert!(
                        rec.events.iter().any(|e| e.kind == kind && e.date == date),
                        "{kind} {date} lost"
                    );
                }
            }
            assert!(reg.verify_audit().await.unwrap().intact());
        },
    );
}
