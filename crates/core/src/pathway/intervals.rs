//! Fast-track intervals (clinical-pathway §8): days between timeline events, against targets.
//!
//! Choice (documented): an interval runs from the earliest `from` event to the earliest `to`
//! event on or after it, so repeated non-diagnostic biopsies count against the pathway.
//! A step not yet done is "overdue" when more days than the target have passed by `as_of`;
//! an open interval that starts with surgery before the ATC diagnosis date (e.g. surgery for an
//! earlier differentiated cancer) is reported but never overdue.

use crate::case::Case;
use crate::report::Interval;
use atcpath_kb::{EventKind, IntervalDef};

/// Measures every interval definition on the case's events.
pub fn intervals(case: &Case, defs: &[IntervalDef]) -> Vec<Interval> {
    defs.iter()
        .map(|d| {
            let from = case
                .events
                .iter()
                .filter(|e| e.kind == d.from)
                .map(|e| e.date)
                .min();
            let to = from.and_then(|f| {
                case.events
                    .iter()
                    .filter(|e| e.kind == d.to && e.date >= f)
                    .map(|e| e.date)
                    .min()
            });
            let days_between =
                |a: jiff::civil::Date, b: jiff::civil::Date| (b - a).get_days() as i64;
            let (days, complete) = match (from, to) {
                (Some(f), Some(t)) => (Some(days_between(f, t)), true),
                (Some(f), None) => (Some(days_between(f, case.as_of)), false),
                _ => (None, false),
            };
            let before_diagnosis = d.from == EventKind::Surgery
                && matches!((from, case.diagnosis.date), (Some(f), Some(dx)) if f < dx);
            let status = match (days, complete, d.target_days) {
                (None, _, _) => "not_started",
                (Some(_), true, None) | (Some(_), false, None) => {
                    if complete {
                        "no_target"
                    } else {
                        "open"
                    }
                }
                (Some(x), true, Some(t)) => {
                    if x <= i64::from(t) {
                        "within_target"
                    } else {
                        "over_target"
                    }
                }
                (Some(x), false, Some(t)) => {
                    if x > i64::from(t) && !before_diagnosis {
                        "overdue"
                    } else {
                        "open"
                    }
                }
            };
            Interval {
                id: d.id.clone(),
                from: d.from.id().to_string(),
                to: d.to.id().to_string(),
                days,
                complete,
                target_days: d.target_days,
                status: status.to_string(),
                source: d.source.clone(),
            }
        })
        .collect()
}
