//! Fast-track interval metrics over many patients (clinical-pathway §8): per interval of the
//! knowledge base, the number of completed intervals, the median and interquartile range of their
//! days, the share within target, and the patients currently overdue.
//!
//! Pure: the per-patient intervals come from the pathway's own interval rules (through
//! [`crate::assess`], which measures them); this module only derives each interval's start date
//! and aggregates.
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
//!   metrics' date (started, not completed, more days elapsed than the target);
//! - **window**: an interval is counted (in every figure, the overdue list included) when its
//!   start date (the `from` event the pathway used) is within `[from, to]`, bounds included; with
//!   no bound every started interval counts.

use atcpath_kb::{EventKind, IntervalDef, Kb};
use jiff::civil::Date;
use serde::Serialize;

use crate::case::Case;
use crate::pathway::Config;
use crate::report::Interval;

/// One patient's measure of one interval, with the date it started.
#[derive(Debug, Clone, Serialize)]
pub struct PatientInterval {
    /// The interval as the pathway measures it.
    pub interval: Interval,
    /// The date of the `from` event the pathway used; `None` when not started.
    pub start: Option<Date>,
}

/// One patient's interval report.
#[derive(Debug, Clone, Serialize)]
pub struct PatientIntervals {
    /// The patient's pseudonym.
    pub pseudonym: String,
    /// One entry per interval definition, in definition order.
    pub intervals: Vec<PatientInterval>,
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
    /// Started, not completed (overdue included).
    pub n_open: usize,
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

const EPISODE_KINDS: [EventKind; 3] = [
    EventKind::FirstContact,
    EventKind::Biopsy,
    EventKind::PathologyConfirmed,
];

/// Measures every interval of `defs` on `case` as of `as_of`, with each interval's start date.
///
/// The measures are the pathway's own ([`crate::assess`] with `defs` as the intervals and
/// `as_of` as the decision date). The start date is obtained from the same rules: on a copy of
/// the case without the interval's `to` events (and without resulted tests, so that the step
/// cannot count as "done, date not recorded"), the interval is open and its days are
/// `as_of - start`. When the removed events are of a kind that opens the ATC episode, their
/// earliest date is kept in the diagnosis date so that the episode start (which decides whether a
/// surgery starts an interval) is unchanged. An interval whose `from` and `to` kinds are the same
/// gets no start date.
pub fn patient_intervals(
    case: &Case,
    kb: &Kb,
    defs: &[IntervalDef],
    as_of: Date,
) -> Vec<PatientInterval> {
    let mut config = Config::from_kb(kb);
    config.intervals = defs.to_vec();
    let mut at = case.clone();
    at.as_of = as_of;
    let measured = crate::assess(&at, kb, &config).intervals;
    measured
        .into_iter()
        .zip(defs)
        .map(|(interval, def)| {
            let start = if interval.status == "not_started" || def.from == def.to {
                None
            } else {
                start_date(&at, kb, def, as_of)
            };
            PatientInterval { interval, start }
        })
        .collect()
}

fn start_date(case: &Case, kb: &Kb, def: &IntervalDef, as_of: Date) -> Option<Date> {
    let mut open = case.clone();
    let removed = open
        .events
        .iter()
        .filter(|e| e.kind == def.to)
        .map(|e| e.date)
        .min();
    open.events.retain(|e| e.kind != def.to);
    if EPISODE_KINDS.contains(&def.to) {
        open.diagnosis.date = open.diagnosis.date.into_iter().chain(removed).min();
    }
    open.molecular.resulted.clear();
    let mut config = Config::from_kb(kb);
    config.intervals = vec![def.clone()];
    let i = crate::assess(&open, kb, &config)
        .intervals
        .into_iter()
        .next()?;
    if i.complete {
        return None;
    }
    let days = i.days?;
    as_of.checked_sub(jiff::Span::new().days(days)).ok()
}

/// Aggregates the patients' reports per interval definition (in `defs` order), counting only
/// intervals whose start is within `window`.
pub fn aggregate(
    defs: &[IntervalDef],
    patients: &[PatientIntervals],
    window: Window,
) -> Vec<IntervalStats> {
    defs.iter()
        .map(|def| {
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
                overdue: Vec::new(),
            };
            let mut pts: Vec<&PatientIntervals> = patients.iter().collect();
            pts.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym));
            for p in pts {
                for pi in p.intervals.iter().filter(|pi| pi.interval.id == def.id) {
                    let i = &pi.interval;
                    if i.status == "not_started" || !window.contains(pi.start) {
                        continue;
                    }
                    match (i.complete, i.days) {
                        (true, Some(d)) => {
                            s.n += 1;
                            days.push(d as f64);
                            match i.status.as_str() {
                                "within_target" => {
                                    s.n_with_target += 1;
                                    s.n_within_target += 1;
                                }
                                "over_target" => s.n_with_target += 1,
                                _ => {}
                            }
                        }
                        (true, None) => s.n_done_date_not_recorded += 1,
                        (false, d) => {
                            s.n_open += 1;
                            if i.status == "overdue" {
                                s.overdue.push(Overdue {
                                    pseudonym: p.pseudonym.clone(),
                                    start: pi.start,
                                    days: d.unwrap_or_default(),
                                });
                            }
                        }
                    }
                }
            }
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
        let s = aggregate(&kb.facts.intervals, &[], Window::default());
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

    #[test]
    fn start_dates_follow_the_pathway_rules() {
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
        let r = patient_intervals(&c, &kb, &kb.facts.intervals, d("2024-06-01"));
        let get = |id: &str| r.iter().find(|p| p.interval.id == id).unwrap();
        let rt = get("surgery_to_radiotherapy_start");
        assert_eq!(
            (rt.start, rt.interval.days),
            (Some(d("2024-03-10")), Some(31))
        );
        let fc = get("first_contact_to_pathology_confirmed");
        assert_eq!(
            (fc.start, fc.interval.days),
            (Some(d("2024-03-01")), Some(4))
        );
        let braf = get("biopsy_to_braf_result");
        assert_eq!(
            (braf.start, braf.interval.status.as_str()),
            (None, "not_started")
        );
        // Open: start = as_of - days.
        let tx = get("pathology_confirmed_to_treatment_start");
        assert_eq!(
            (tx.start, tx.interval.complete),
            (Some(d("2024-03-05")), false)
        );

        // The `to` kind opens the episode: removing it must not move the episode start
        // (pathology 2024-03-01 is the only episode event; the surgery after it starts).
        let def = IntervalDef {
            id: "surgery_to_pathology".into(),
            from: EventKind::Surgery,
            to: EventKind::PathologyConfirmed,
            target_days: Some(7),
            source: "test".into(),
            references: vec![],
        };
        let (c, kb) = case(
            &[
                ev("pathology_confirmed", "2024-03-01"),
                ev("surgery", "2024-03-10"),
                ev("pathology_confirmed", "2024-03-20"),
            ]
            .join(","),
        );
        let r = patient_intervals(&c, &kb, std::slice::from_ref(&def), d("2024-06-01"));
        assert_eq!(r[0].interval.days, Some(10));
        assert_eq!(r[0].start, Some(d("2024-03-10")));
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
