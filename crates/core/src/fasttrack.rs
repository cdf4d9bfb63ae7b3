//! Fast-track interval metrics over many patients (clinical-pathway §8): per interval of the
//! knowledge base, the number of completed intervals, the median and interquartile range of their
//! days, the share within target, and the patients currently overdue.
//!
//! Pure: each patient's intervals are the pathway's own spans
//! ([`crate::pathway::intervals::spans`]: start and end events, independent of the date they are
//! looked at, so a registry can store them once per case version), measured as of the metrics'
//! date by [`crate::pathway::intervals::measure`], the rule the pathway itself uses.
//!
//! Definitions:
//! - **n**: completed intervals with a measured number of days (status `within_target`,
//!   `over_target` or `no_target`); a step done with its date not recorded
//!   (`done_date_not_recorded`) is counted apart and never enters the statistics;
//! - **quantiles**: Hyndman & Fan type 7 (R's default `quantile(x, type = 7)`): for sorted
//!   values `x[0..n]` and probability `p`, `h = (n - 1) p`, the quantile is
//!   `x[⌊h⌋] + (h - ⌊h⌋) (x[⌊h⌋ + 1] - x[⌊h⌋])`; the median is `p = 0.5`, the interquartile range
//!   `[Q(0.25), Q(0.75)]` and its width `Q(0.75) - Q(0.25)`;
//! - **share within target**: intervals `within_target` divided by intervals with a target
//!   (`within_target` + `over_target`);
//! - **overdue**: status `overdue` as the pathway gives it with the case's `as_of` set to the
//!   metrics' date (started, not completed, more days elapsed than the target); events after
//!   the metrics' date have not happened yet;
//! - **ended by death**: a step not done when the patient died (on or before the metrics' date)
//!   is counted apart: neither open nor overdue;
//! - **window**: an interval is counted (in every figure, the overdue list included) when its
//!   start date (the `from` event the pathway used) is within `[from, to]`, bounds included; with
//!   no bound every started interval counts.

use atcpath_kb::IntervalDef;
use jiff::civil::Date;
use serde::Serialize;

use crate::pathway::intervals::classify;
pub use crate::pathway::intervals::{Span, spans};

/// One patient's spans, one per interval definition (in definition order).
#[derive(Debug, Clone, Serialize)]
pub struct PatientSpans {
    /// The patient's pseudonym.
    pub pseudonym: String,
    /// One span per interval definition, in definition order.
    pub spans: Vec<Span>,
    /// Date of death, if recorded.
    pub death: Option<Date>,
}

/// Which intervals count, by their start date (bounds included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Earliest start date counted.
    pub from: Option<Date>,
    /// Latest start date counted.
    pub to: Option<Date>,
}

impl Window {
    fn contains(&self, start: Option<Date>) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        start.is_some_and(|s| self.from.is_none_or(|f| s >= f) && self.to.is_none_or(|t| s <= t))
    }
}

/// A patient overdue on an interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overdue {
    /// The patient's pseudonym.
    pub pseudonym: String,
    /// The interval's start date.
    pub start: Option<Date>,
    /// Days elapsed from the start to the metrics' date.
    pub days: i64,
}

/// Statistics of one interval over the patients.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalStats {
    /// The interval's id.
    pub id: String,
    /// The `from` event kind.
    pub from: String,
    /// The `to` event kind.
    pub to: String,
    /// Target in days, if any.
    pub target_days: Option<u32>,
    /// Completed intervals with measured days.
    pub n: usize,
    /// Completed intervals whose date is not recorded (not in the statistics).
    pub n_done_date_not_recorded: usize,
    /// Median days (type 7); `None` when `n` is 0.
    pub median_days: Option<f64>,
    /// First quartile (type 7).
    pub q1_days: Option<f64>,
    /// Third quartile (type 7).
    pub q3_days: Option<f64>,
    /// `q3 - q1`.
    pub iqr_days: Option<f64>,
    /// Completed intervals with a target (within + over).
    pub n_with_target: usize,
    /// Completed intervals within target.
    pub n_within_target: usize,
    /// `n_within_target / n_with_target`; `None` when no interval has a target.
    pub share_within_target: Option<f64>,
    /// Started, not completed (overdue included), patient alive.
    pub n_open: usize,
    /// Started, not completed when the patient died.
    pub n_ended_by_death: usize,
    /// Patients overdue, by pseudonym.
    pub overdue: Vec<Overdue>,
}

/// Quantile of type 7 (R's default; see the module documentation) of `sorted` (ascending).
/// `None` for no values or a probability outside `[0, 1]`.
pub fn quantile_type7(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor();
    let i = lo as usize;
    let frac = h - lo;
    let hi = sorted.get(i + 1).copied().unwrap_or(sorted[i]);
    Some(sorted[i] + frac * (hi - sorted[i]))
}

/// Aggregates the patients' spans per interval definition (in `defs` order), measured as of
/// `as_of`, counting only intervals whose start is within `window`. A patient with fewer spans
/// than definitions has the missing ones not started.
pub fn aggregate(
    defs: &[IntervalDef],
    patients: &[PatientSpans],
    window: Window,
    as_of: Date,
) -> Vec<IntervalStats> {
    defs.iter()
        .enumerate()
        .map(|(k, def)| {
            let mut days = Vec::new();
            let mut s = IntervalStats {
                id: def.id.clone(),
                from: def.from.id().to_string(),
                to: def.to.id().to_string(),
                target_days: def.target_days,
                n: 0,
                n_done_date_not_recorded: 0,
                median_days: None,
                q1_days: None,
                q3_days: None,
                iqr_days: None,
                n_with_target: 0,
                n_within_target: 0,
                share_within_target: None,
                n_open: 0,
                n_ended_by_death: 0,
                overdue: Vec::new(),
            };
            for p in patients {
                let Some(&span) = p.spans.get(k) else {
                    continue;
                };
                let start = span.from.filter(|f| *f <= as_of);
                if start.is_none() || !window.contains(start) {
                    continue;
                }
                match classify(def, span, as_of) {
                    (Some(d), true, status) => {
                        s.n += 1;
                        days.push(d as f64);
                        match status {
                            "within_target" => {
                                s.n_with_target += 1;
                                s.n_within_target += 1;
                            }
                            "over_target" => s.n_with_target += 1,
                            _ => {}
                        }
                    }
                    (None, true, _) => s.n_done_date_not_recorded += 1,
                    (_, false, _) if p.death.is_some_and(|x| x <= as_of) => {
                        s.n_ended_by_death += 1;
                    }
                    (d, false, status) => {
                        s.n_open += 1;
                        if status == "overdue" {
                            s.overdue.push(Overdue {
                                pseudonym: p.pseudonym.clone(),
                                start,
                                days: d.unwrap_or_default(),
                            });
                        }
                    }
                }
            }
            s.overdue.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym));
            days.sort_by(f64::total_cmp);
            s.median_days = quantile_type7(&days, 0.5);
            s.q1_days = quantile_type7(&days, 0.25);
            s.q3_days = quantile_type7(&days, 0.75);
            s.iqr_days = s.q1_days.zip(s.q3_days).map(|(a, b)| b - a);
            s.share_within_target =
                (s.n_with_target > 0).then(|| s.n_within_target as f64 / s.n_with_target as f64);
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;
    use crate::pathway::intervals::measure;
    use crate::report::Interval;
    use atcpath_kb::{EventKind, Kb};

    #[test]
    fn type7_by_hand() {
        // x = 1, 2, 4, 7, 11 (n = 5): h = 4p.
        // Q(0.25): h = 1 → x[1] = 2; Q(0.5): h = 2 → 4; Q(0.75): h = 3 → 7.
        let x = [1.0, 2.0, 4.0, 7.0, 11.0];
        assert_eq!(quantile_type7(&x, 0.25), Some(2.0));
        assert_eq!(quantile_type7(&x, 0.5), Some(4.0));
        assert_eq!(quantile_type7(&x, 0.75), Some(7.0));
        // x = 2, 3, 5, 10 (n = 4): h = 3p.
        // Q(0.25): h = 0.75 → 2 + 0.75 (3 - 2) = 2.75;
        // Q(0.5):  h = 1.5  → 3 + 0.5 (5 - 3) = 4;
        // Q(0.75): h = 2.25 → 5 + 0.25 (10 - 5) = 6.25.
        let x = [2.0, 3.0, 5.0, 10.0];
        assert_eq!(quantile_type7(&x, 0.25), Some(2.75));
        assert_eq!(quantile_type7(&x, 0.5), Some(4.0));
        assert_eq!(quantile_type7(&x, 0.75), Some(6.25));
        assert_eq!(quantile_type7(&x, 0.0), Some(2.0));
        assert_eq!(quantile_type7(&x, 1.0), Some(10.0));
        // One value: every quantile is that value.
        assert_eq!(quantile_type7(&[9.0], 0.25), Some(9.0));
        assert_eq!(quantile_type7(&[], 0.5), None);
        assert_eq!(quantile_type7(&x, 1.5), None);
    }

    #[test]
    fn empty_gives_zero() {
        let kb = Kb::embedded().unwrap();
        let s = aggregate(
            &kb.facts.intervals,
            &[],
            Window::default(),
            "2024-01-01".parse().unwrap(),
        );
        assert_eq!(s.len(), kb.facts.intervals.len());
        for x in s {
            assert_eq!(x.n, 0);
            assert_eq!(x.median_days, None);
            assert_eq!(x.share_within_target, None);
            assert!(x.overdue.is_empty());
        }
    }

    fn case(events: &str) -> (Case, Kb) {
        let kb = Kb::embedded().unwrap();
        let json = format!(
            r#"{{"schema": "atcpath.case/1", "id": "t", "as_of": "2024-06-01",
              "patient": {{"age_years": 60}},
              "diagnosis": {{"histology": "anaplastic"}},
              "tumor": {{}},
              "events": [{events}]}}"#
        );
        let c =
            crate::case::read_case(json.as_bytes(), &kb, None).unwrap_or_else(|p| panic!("{p:?}"));
        (c, kb)
    }

    fn ev(kind: &str, date: &str) -> String {
        format!(r#"{{"kind": "{kind}", "date": "{date}"}}"#)
    }

    /// One patient's intervals as the aggregate measures them.
    fn measured(c: &Case, defs: &[IntervalDef], as_of: Date) -> Vec<(Option<Date>, Interval)> {
        spans(c, defs)
            .into_iter()
            .zip(defs)
            .map(|(s, d)| (s.from, measure(d, s, as_of)))
            .collect()
    }

    #[test]
    fn spans_follow_the_pathway_rules_and_match_assess() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        // An earlier surgery (before the episode) starts nothing; the later one does.
        let (c, kb) = case(
            &[
                ev("surgery", "2020-01-01"),
                ev("first_contact", "2024-03-01"),
                ev("pathology_confirmed", "2024-03-05"),
                ev("surgery", "2024-03-10"),
                ev("radiotherapy_start", "2024-04-10"),
            ]
            .join(","),
        );
        let defs = &kb.facts.intervals;
        let r = measured(&c, defs, c.as_of);
        // The same measure as the decision report's.
        let report = crate::assess(&c, &kb, &crate::pathway::Config::from_kb(&kb));
        let json = |v: Vec<Interval>| serde_json::to_string(&v).unwrap();
        assert_eq!(
            json(r.iter().map(|(_, i)| i.clone()).collect()),
            json(report.intervals)
        );
        let get = |id: &str| r.iter().find(|(_, i)| i.id == id).unwrap().clone();
        let rt = get("surgery_to_radiotherapy_start");
        assert_eq!((rt.0, rt.1.days), (Some(d("2024-03-10")), Some(31)));
        let fc = get("first_contact_to_pathology_confirmed");
        assert_eq!((fc.0, fc.1.days), (Some(d("2024-03-01")), Some(4)));
        let braf = get("biopsy_to_braf_result");
        assert_eq!((braf.0, braf.1.status.as_str()), (None, "not_started"));
        let tx = get("pathology_confirmed_to_treatment_start");
        assert_eq!(
            (tx.0, tx.1.complete, tx.1.days),
            (Some(d("2024-03-05")), false, Some(88))
        );

        // As of an earlier date: the radiotherapy has not happened yet, the surgery has.
        let early = measured(&c, defs, d("2024-03-20"));
        let rt = early
            .iter()
            .find(|(_, i)| i.id == "surgery_to_radiotherapy_start")
            .unwrap();
        assert_eq!((rt.1.complete, rt.1.days), (false, Some(10)));
        // Before the first contact: nothing started.
        let none = measured(&c, defs, d("2024-02-01"));
        assert!(none.iter().all(|(_, i)| i.status == "not_started"));
    }

    #[test]
    fn aggregate_counts_by_hand() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let def = IntervalDef {
            id: "a_to_b".into(),
            from: EventKind::FirstContact,
            to: EventKind::Mdt,
            target_days: Some(7),
            source: "test".into(),
            references: vec![],
        };
        let span = |from: &str, to: Option<&str>| Span {
            from: Some(d(from)),
            to: to.map(d),
            done_undated: false,
        };
        let p = |id: &str, s: Span| PatientSpans {
            pseudonym: id.into(),
            spans: vec![s],
            death: None,
        };
        let patients = [
            p("a", span("2024-01-01", Some("2024-01-03"))), // 2 days, within
            p("b", span("2024-01-01", Some("2024-01-11"))), // 10 days, over
            p("c", span("2024-01-05", Some("2024-01-09"))), // 4 days, within
            p("d", span("2024-01-20", None)),               // open, 12 days by 02-01: overdue
            p("e", span("2024-01-30", None)),               // open, 2 days: not overdue
            p("f", span("2024-01-25", Some("2024-03-01"))), // done after as_of: open, 7 days (not over)
            PatientSpans {
                death: Some(d("2024-01-28")),
                ..p("g", span("2024-01-10", None)) // died before the step: ended by death
            },
            PatientSpans {
                death: Some(d("2024-03-01")),
                ..p("h", span("2024-01-10", None)) // dies after as_of: overdue now
            },
        ];
        let s = &aggregate(&[def], &patients, Window::default(), d("2024-02-01"))[0];
        assert_eq!(
            (s.n, s.n_with_target, s.n_within_target, s.n_open),
            (3, 3, 2, 4)
        );
        assert_eq!(s.n_ended_by_death, 1);
        assert_eq!(s.median_days, Some(4.0));
        assert_eq!((s.q1_days, s.q3_days), (Some(3.0), Some(7.0)));
        assert_eq!(s.share_within_target, Some(2.0 / 3.0));
        let overdue: Vec<(&str, i64)> = s
            .overdue
            .iter()
            .map(|o| (o.pseudonym.as_str(), o.days))
            .collect();
        assert_eq!(overdue, [("d", 12), ("h", 22)]);
    }

    #[test]
    fn window_bounds_included() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let w = Window {
            from: Some(d("2024-01-01")),
            to: Some(d("2024-01-31")),
        };
        assert!(w.contains(Some(d("2024-01-01"))));
        assert!(w.contains(Some(d("2024-01-31"))));
        assert!(!w.contains(Some(d("2024-02-01"))));
        assert!(!w.contains(None));
        assert!(Window::default().contains(None));
    }
}
