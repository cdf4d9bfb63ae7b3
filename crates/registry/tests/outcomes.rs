//! `outcomes`: overall survival over the registry, checked against figures computed by hand and
//! against the same analysis run directly on the case files; the analysis projections are rebuilt
//! when the knowledge base they were built with changes (SQLite always; PostgreSQL when
//! `ATCPATH_TEST_POSTGRES_URL` is set).
//!
//! | patient | stage | diagnosis  | end        | died | days | first treatment         |
//! |---------|-------|------------|------------|------|------|-------------------------|
//! | s1      | IVC   | 2018-01-01 | 2018-04-11 | yes  | 100  | paclitaxel (chemo)      |
//! | s2      | IVC   | 2018-01-01 | 2018-07-20 | yes  | 200  | dabrafenib (BRAF/MEK)   |
//! | s3      | IVB   | 2018-01-01 | 2018-10-28 | no   | 300  | surgery                 |
//! | s4      | IVB   | 2018-01-01 | 2019-02-05 | yes  | 400  | surgery                 |
//! | s5      | IVB   | 2018-01-01 | 2019-05-16 | no   | 500  | none recorded           |
//!
//! KM over all: S = 0.8 after 100 days, 0.6 after 200, 0.3 after 400; median 400 days; one-year
//! OS S(365.25) = 0.6 with 2 at risk.

mod common;

use atcpath_core::outcomes::{analyse, survival_record};
use atcpath_registry::{CaseInput, Registry};
use common::{kb, raw, reader, run, writer};

fn case(id: &str, t: &str, m: &str, end: &str, died: bool, treatment: &str) -> String {
    let end_kind = if died { "death" } else { "last_follow_up" };
    format!(
        r#"{{
  "schema": "atcpath.case/1",
  "id": "{id}",
  "as_of": "2019-06-01",
  "diagnosis": {{"histology": "anaplastic", "date": "2018-01-01"}},
  "tumor": {{"t": "{t}", "n": "N1b", "m": "{m}"}},
  {treatment}
  "events": [
    {{"kind": "pathology_confirmed", "date": "2018-01-01"}},
    {{"kind": "{end_kind}", "date": "{end}"}}
  ]
}}"#
    )
}

fn cases() -> Vec<(&'static str, String)> {
    let drug = |d: &str| format!(r#""treatments": [{{"drug": "{d}", "start": "2018-01-10"}}],"#);
    vec![
        ("s1", case("s1", "T4b", "M1", "2018-04-11", true, &drug("paclitaxel"))),
        ("s2", case("s2", "T4b", "M1", "2018-07-20", true, &drug("dabrafenib"))),
        ("s3", case("s3", "T4b", "M0", "2018-10-28", false, "").replace(
            r#"{"kind": "pathology_confirmed", "date": "2018-01-01"},"#,
            r#"{"kind": "pathology_confirmed", "date": "2018-01-01"}, {"kind": "surgery", "date": "2018-01-15"},"#,
        )),
        ("s4", case("s4", "T4b", "M0", "2019-02-05", true, "").replace(
            r#"{"kind": "pathology_confirmed", "date": "2018-01-01"},"#,
            r#"{"kind": "pathology_confirmed", "date": "2018-01-01"}, {"kind": "surgery", "date": "2018-01-15"},"#,
        )),
        ("s5", case("s5", "T4b", "M0", "2019-05-16", false, "")),
    ]
}

async fn populate(reg: &Registry) {
    let kb = kb();
    for (id, text) in cases() {
        reg.import(
            &kb,
            &CaseInput {
                bytes: text.as_bytes(),
                source: "case.json",
                centre: Some(if id == "s5" { "b" } else { "a" }),
                identifiers: &[],
            },
            &writer(),
        )
        .await
        .unwrap_or_else(|e| panic!("{id}: {e:?}"));
    }
}

#[test]
fn outcomes_known_numbers_and_same_as_direct_analysis() {
    run("outcomes_known_numbers", |db| async move {
        let kb = kb();
        let reg = Registry::init(&db.target, &writer()).await.unwrap().0;
        populate(&reg).await;
        let o = reg.outcomes(&kb, None, &reader()).await.unwrap();
        assert_eq!((o.patients, o.not_analysable), (5, 0));
        assert_eq!((o.overall.n, o.overall.deaths), (5, 3));
        assert!((o.overall.median_months.unwrap() - 400.0 / 30.4375).abs() < 1e-9);
        assert!((o.overall.one_year.unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(o.overall.at_risk_one_year, 2);
        let group = |by: &str, g: &str| {
            o.by.iter()
                .find(|x| x.by == by)
                .and_then(|x| x.groups.iter().find(|y| y.group == g))
                .map(|y| (y.n, y.deaths))
        };
        assert_eq!(group("stage", "IVC"), Some((2, 2)));
        assert_eq!(group("stage", "IVB"), Some((3, 1)));
        assert_eq!(group("era", "2017-2019"), Some((5, 3)));
        assert_eq!(group("first_treatment", "surgery"), Some((2, 1)));
        assert_eq!(group("first_treatment", "chemotherapy"), Some((1, 1)));
        assert_eq!(group("first_treatment", "braf_mek_inhibitor"), Some((1, 1)));
        assert_eq!(group("first_treatment", "none_recorded"), Some((1, 0)));

        // The same analysis straight from the case files (no database).
        let records: Vec<_> = cases()
            .iter()
            .map(|(_, t)| {
                let c = atcpath_core::case::read_record(t.as_bytes(), &kb, None).unwrap();
                survival_record(&c, &kb)
            })
            .collect();
        let direct = analyse(&records, &kb);
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            serde_json::to_value(&direct).unwrap()
        );

        // One centre.
        let b = reg.outcomes(&kb, Some("b"), &reader()).await.unwrap();
        assert_eq!((b.patients, b.overall.deaths), (1, 0));

        // A stale fingerprint (another knowledge base) and a lost row: rebuilt, same figures.
        let mut conn = raw(&db).await;
        sqlx::query("UPDATE projection_state SET fingerprint = 'another-kb'")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("DELETE FROM survival WHERE stage = 'IVC'")
            .execute(&mut conn)
            .await
            .unwrap();
        drop(conn);
        let again = reg.outcomes(&kb, None, &reader()).await.unwrap();
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(&direct).unwrap()
        );
        // Rows edited outside ATCPath (read or not): refused, naming the projection and patient,
        // before anything is computed from them.
        let mut conn = raw(&db).await;
        sqlx::query("UPDATE survival SET died = 0")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("UPDATE fasttrack SET spans = 'x,y,z'")
            .execute(&mut conn)
            .await
            .unwrap();
        let e = reg.outcomes(&kb, None, &reader()).await.unwrap_err();
        assert!(matches!(e, atcpath_registry::Error::Tampered(_)), "{e:?}");
        assert!(
            e.to_string().contains("projection survival of patient")
                && e.to_string().contains("run `registry audit verify`"),
            "{e}"
        );
        let q = atcpath_registry::MetricsQuery {
            as_of: Some("2019-06-01".parse().unwrap()),
            ..Default::default()
        };
        let e = reg.metrics(&kb, &q, &reader()).await.unwrap_err();
        assert!(
            e.to_string().contains("projection fasttrack of patient"),
            "{e}"
        );
        // Rebuilt from the case versions (as after a knowledge base change): the same figures.
        sqlx::query("UPDATE projection_state SET fingerprint = 'another-kb'")
            .execute(&mut conn)
            .await
            .unwrap();
        drop(conn);
        let rebuilt = reg.outcomes(&kb, None, &reader()).await.unwrap();
        assert_eq!(
            serde_json::to_value(&rebuilt).unwrap(),
            serde_json::to_value(&direct).unwrap()
        );
        let m = reg.metrics(&kb, &q, &reader()).await.unwrap();
        assert_eq!(m.patients, 5);
        assert!(m.unreadable.is_empty());
        // A reason is required.
        assert!(reg.outcomes(&kb, None, &writer()).await.is_err());
        reg.close().await;
    });
}
