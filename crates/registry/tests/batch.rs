//! `import_batch`: one transaction, a savepoint per case. A case refused before the database
//! (does not validate) or inside it (another centre's patient) leaves nothing; the others are
//! stored exactly as one import each would store them (SQLite always; PostgreSQL when
//! `ATCPATH_TEST_POSTGRES_URL` is set).

mod common;

use atcpath_registry::{CaseInput, Error, Registry, Stored};
use common::{kb, raw, run, writer};

fn case(id: &str) -> String {
    format!(
        r#"{{"schema": "atcpath.case/1", "id": "{id}", "as_of": "2024-03-30",
            "diagnosis": {{"histology": "anaplastic", "date": "2024-03-01"}},
            "events": [{{"kind": "biopsy", "date": "2024-03-01"}}]}}"#
    )
}

async fn count(db: &common::TestDb, sql: &str) -> i64 {
    let mut c = raw(db).await;
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut c)
        .await
        .unwrap();
    n
}

#[test]
fn refused_cases_leave_nothing_and_the_others_are_stored() {
    run("batch_refusals", |db| async move {
        let kb = kb();
        let reg = Registry::init(&db.target, &writer()).await.unwrap().0;
        let p1 = case("p1");
        let input = |bytes: &'static str, centre| CaseInput {
            bytes: bytes.as_bytes(),
            source: "batch.json",
            centre: Some(centre),
            identifiers: &[],
        };
        let p1: &'static str = Box::leak(p1.into_boxed_str());
        reg.import(&kb, &input(p1, "a"), &writer()).await.unwrap();
        let audit_before = count(&db, "SELECT COUNT(*) FROM audit").await;

        let p2: &'static str = Box::leak(case("p2").into_boxed_str());
        let p3: &'static str = Box::leak(case("p3").into_boxed_str());
        let changed: &'static str = Box::leak(
            case("p1")
                .replace("2024-03-30", "2024-03-31")
                .into_boxed_str(),
        );
        let batch = [
            input(p2, "a"),
            input("{not json", "a"),
            // p1 belongs to centre a: refused inside the transaction (savepoint rolled back).
            input(changed, "b"),
            input(p3, "a"),
            // The same case twice in one batch: stored once, then unchanged.
            input(p3, "a"),
        ];
        let r = reg.import_batch(&kb, &batch, &writer()).await.unwrap();
        assert_eq!(r.len(), 5);
        assert_eq!(r[0].as_ref().map(|s| s.stored).ok(), Some(Stored::Created));
        assert!(matches!(r[1], Err(Error::InvalidCase(_))));
        assert!(matches!(r[2], Err(Error::InvalidCase(_))));
        assert_eq!(r[3].as_ref().map(|s| s.stored).ok(), Some(Stored::Created));
        assert_eq!(
            r[4].as_ref().map(|s| s.stored).ok(),
            Some(Stored::Unchanged)
        );

        assert_eq!(count(&db, "SELECT COUNT(*) FROM patients").await, 3);
        // p1 still has one version: nothing of the refused change was kept.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM case_versions").await, 3);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM survival").await, 3);
        // Audit: two creations and one unchanged read; none for the refused cases.
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM audit").await - audit_before,
            3
        );
        assert!(reg.verify_audit().await.unwrap().first_break.is_none());

        // A batch of refusals only: nothing stored, no transaction needed.
        let r = reg
            .import_batch(&kb, &[input("[]", "a")], &writer())
            .await
            .unwrap();
        assert!(matches!(r[0], Err(Error::InvalidCase(_))));
        reg.close().await;
    });
}
