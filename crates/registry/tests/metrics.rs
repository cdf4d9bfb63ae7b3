//! `metrics`: fast-track interval statistics over a registry whose patients' events are written
//! here so that every number is known by hand (SQLite always; PostgreSQL when
//! `ATCPATH_TEST_POSTGRES_URL` is set).
//!
//! Interval `biopsy_to_braf_result` (target 3 days), as of 2024-03-30:
//!
//! | patient | centre | biopsy     | BRAF result | days | status                  |
//! |---------|--------|------------|-------------|------|-------------------------|
//! | p1      | a      | 2024-03-01 | 2024-03-03  | 2    | within                  |
//! | p2      | a      | 2024-03-01 | 2024-03-04  | 3    | within                  |
//! | p3      | a      | 2024-03-10 | 2024-03-15  | 5    | over                    |
//! | p4      | a      | 2024-03-01 | 2024-03-11  | 10   | over                    |
//! | p5      | a      | 2024-03-20 | —           | 10   | overdue                 |
//! | p6      | a      | 2024-03-28 | —           | 2    | open                    |
//! | p7      | b      | 2024-03-01 | 2024-03-02  | 1    | within                  |
//! | p8      | a      | 2024-03-01 | resulted, undated | — | done, date not recorded |
//!
//! Quantiles are type 7: h = (n - 1) p, Q = x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋]).

mod common;

use atcpath_core::fasttrack::{IntervalStats, Window};
use atcpath_registry::{CaseInput, Error, Metrics, MetricsQuery, Registry};
use common::{kb, raw, reader, run, writer};
use jiff::civil::Date;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn case(id: &str, biopsy: &str, braf: Option<&str>, resulted: bool) -> String {
    let braf_event = braf
        .map(|b| format!(r#", {{"kind": "braf_result", "date": "{b}"}}"#))
        .unwrap_or_default();
    let resulted = if resulted { r#""braf_v600e_ihc""# } else { "" };
    format!(
        r#"{{
  "schema": "atcpath.case/1",
  "id": "{id}",
  "as_of": "2024-03-30",
  "patient": {{"age_years": 66, "sex": "female", "ecog": 1}},
  "diagnosis": {{"histology": "anaplastic", "expert_review": true, "date": "{biopsy}"}},
  "tumor": {{"n": "N1b", "m": "M0", "largest_dimension_mm": 72}},
  "molecular": {{"resulted": [{resulted}]}},
  "events": [
    {{"kind": "biopsy", "date": "{biopsy}"}}{braf_event}
  ]
}}"#
    )
}

async fn populate(reg: &Registry) {
    let kb = kb();
    let patients: &[(&str, &str, &str, Option<&str>, bool)] = &[
        ("p1", "a", "2024-03-01", Some("2024-03-03"), false),
        ("p2", "a", "2024-03-01", Some("2024-03-04"), false),
        ("p3", "a", "2024-03-10", Some("2024-03-15"), false),
        ("p4", "a", "2024-03-01", Some("2024-03-11"), false),
        ("p5", "a", "2024-03-20", None, false),
        ("p6", "a", "2024-03-28", None, false),
        ("p7", "b", "2024-03-01", Some("2024-03-02"), false),
        ("p8", "a", "2024-03-01", None, true),
    ];
    for (id, centre, biopsy, braf, resulted) in patients {
        let text = case(id, biopsy, *braf, *resulted);
        reg.import(
            &kb,
            &CaseInput {
                bytes: text.as_bytes(),
                source: "case.json",
                centre: Some(centre),
                identifiers: &[],
            },
            &writer(),
        )
        .await
        .unwrap_or_else(|e| panic!("{id}: {e:?}"));
    }
}

fn braf(m: &Metrics) -> &IntervalStats {
    m.intervals
        .iter()
        .find(|s| s.id == "biopsy_to_braf_result")
        .expect("interval biopsy_to_braf_result")
}

fn query(centre: Option<&str>, from: Option<&str>, to: Option<&str>, as_of: &str) -> MetricsQuery {
    MetricsQuery {
        centre: centre.map(str::to_string),
        window: Window {
            from: from.map(d),
            to: to.map(d),
        },
        as_of: Some(d(as_of)),
    }
}

async fn audit_rows(db: &common::TestDb) -> i64 {
    let mut conn = raw(db).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    n
}

#[test]
fn metrics_known_numbers() {
    run("metrics_known_numbers", |db| async move {
        let kb = kb();
        let reg = Registry::init(&db.target, &writer()).await.unwrap().0;
        populate(&reg).await;

        // Every centre, no window.
        let before = audit_rows(&db).await;
        let m = reg
            .metrics(&kb, &query(None, None, None, "2024-03-30"), &reader())
            .await
            .unwrap();
        // One audit row for the query, plus one per patient the output names (overdue).
        let named: std::collections::BTreeSet<&str> = m
            .intervals
            .iter()
            .flat_map(|i| i.overdue.iter().map(|o| o.pseudonym.as_str()))
            .collect();
        assert!(named.contains("p5"));
        assert_eq!(audit_rows(&db).await - before, 1 + named.len() as i64);
        assert_eq!(m.patients, 8);
        assert!(m.unreadable.is_empty());
        assert_eq!(m.intervals.len(), kb.facts.intervals.len());
        let s = braf(&m);
        assert_eq!(s.target_days, Some(3));
        // days 1, 2, 3, 5, 10: h = 4p → Q1 = x[1] = 2, median = x[2] = 3, Q3 = x[3] = 5.
        assert_eq!(s.n, 5);
        assert_eq!(s.n_done_date_not_recorded, 1);
        assert_eq!(s.median_days, Some(3.0));
        assert_eq!(s.q1_days, Some(2.0));
        assert_eq!(s.q3_days, Some(5.0));
        assert_eq!(s.iqr_days, Some(3.0));
        assert_eq!(s.n_with_target, 5);
        assert_eq!(s.n_within_target, 3);
        assert_eq!(s.share_within_target, Some(0.6));
        assert_eq!(s.n_open, 2);
        let overdue: Vec<(&str, Option<Date>, i64)> = s
            .overdue
            .iter()
            .map(|o| (o.pseudonym.as_str(), o.start, o.days))
            .collect();
        assert_eq!(overdue, vec![("p5", Some(d("2024-03-20")), 10)]);
        // No first contact recorded anywhere: not started, nothing counted.
        let fc = m
            .intervals
            .iter()
            .find(|s| s.id == "first_contact_to_mdt")
            .unwrap();
        assert_eq!((fc.n, fc.n_open, fc.median_days), (0, 0, None));

        // Centre a: days 2, 3, 5, 10: h = 3p → Q1 = 2 + 0.75·1 = 2.75, median = 3 + 0.5·2 = 4,
        // Q3 = 5 + 0.25·5 = 6.25.
        let m = reg
            .metrics(&kb, &query(Some("a"), None, None, "2024-03-30"), &reader())
            .await
            .unwrap();
        assert_eq!(m.patients, 7);
        let s = braf(&m);
        assert_eq!(s.n, 4);
        assert_eq!(s.median_days, Some(4.0));
        assert_eq!(s.q1_days, Some(2.75));
        assert_eq!(s.q3_days, Some(6.25));
        assert_eq!(s.iqr_days, Some(3.5));
        assert_eq!((s.n_within_target, s.n_with_target), (2, 4));
        assert_eq!(s.share_within_target, Some(0.5));

        // Centre b alone: one interval of 1 day.
        let m = reg
            .metrics(&kb, &query(Some("b"), None, None, "2024-03-30"), &reader())
            .await
            .unwrap();
        let s = braf(&m);
        assert_eq!(
            (m.patients, s.n, s.median_days, s.iqr_days),
            (1, 1, Some(1.0), Some(0.0))
        );
        assert_eq!(s.share_within_target, Some(1.0));
        assert!(s.overdue.is_empty());

        // Biopsies from 2024-03-05 to 2024-03-31: p3 (5, over), p5 (overdue), p6 (open).
        let m = reg
            .metrics(
                &kb,
                &query(None, Some("2024-03-05"), Some("2024-03-31"), "2024-03-30"),
                &reader(),
            )
            .await
            .unwrap();
        let s = braf(&m);
        assert_eq!((s.n, s.median_days, s.iqr_days), (1, Some(5.0), Some(0.0)));
        assert_eq!(s.share_within_target, Some(0.0));
        assert_eq!(s.n_open, 2);
        assert_eq!(s.n_done_date_not_recorded, 0);
        assert_eq!(s.overdue.len(), 1);

        // Biopsies on 2024-03-01 only (bounds included): p1, p2, p4, p7 (days 1, 2, 3, 10) and
        // p8 (undated). h = 3p → Q1 = 1 + 0.75·1 = 1.75, median = 2 + 0.5·1 = 2.5,
        // Q3 = 3 + 0.25·7 = 4.75.
        let m = reg
            .metrics(
                &kb,
                &query(None, Some("2024-03-01"), Some("2024-03-01"), "2024-03-30"),
                &reader(),
            )
            .await
            .unwrap();
        let s = braf(&m);
        assert_eq!(s.n, 4);
        assert_eq!(s.n_done_date_not_recorded, 1);
        assert_eq!(s.q1_days, Some(1.75));
        assert_eq!(s.median_days, Some(2.5));
        assert_eq!(s.q3_days, Some(4.75));
        assert_eq!(s.share_within_target, Some(0.75));
        assert!(s.overdue.is_empty());
        assert_eq!(s.n_open, 0);

        // Later as-of date: p6 (2024-03-28) is overdue too; p5 has 21 days.
        let m = reg
            .metrics(&kb, &query(None, None, None, "2024-04-10"), &reader())
            .await
            .unwrap();
        let s = braf(&m);
        let overdue: Vec<(&str, i64)> = s
            .overdue
            .iter()
            .map(|o| (o.pseudonym.as_str(), o.days))
            .collect();
        assert_eq!(overdue, vec![("p5", 21), ("p6", 13)]);
        assert_eq!(s.n, 5);

        // A reason is required.
        assert!(matches!(
            reg.metrics(&kb, &query(None, None, None, "2024-03-30"), &writer())
                .await,
            Err(Error::ReasonRequired)
        ));
        reg.close().await;
    });
}

#[test]
fn metrics_empty_registry() {
    run("metrics_empty_registry", |db| async move {
        let kb = kb();
        let reg = Registry::init(&db.target, &writer()).await.unwrap().0;
        let m = reg
            .metrics(&kb, &MetricsQuery::default(), &reader())
            .await
            .unwrap();
        assert_eq!(m.patients, 0);
        assert_eq!(m.intervals.len(), kb.facts.intervals.len());
        for s in &m.intervals {
            assert_eq!(s.n, 0, "{}", s.id);
            assert_eq!(s.median_days, None);
            assert_eq!(s.iqr_days, None);
            assert_eq!(s.share_within_target, None);
            assert!(s.overdue.is_empty());
        }
        reg.close().await;
    });
}
