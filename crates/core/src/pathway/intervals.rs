//! Fast-track intervals (clinical-pathway §8): days between timeline events, against targets.
//!
//! Choices (documented, and stated in the closing notes of the release):
//! - an interval runs from the earliest `from` event to the earliest `to` event on or after it,
//!   so repeated non-diagnostic biopsies count against the pathway;
//! - a surgery before the first event of this ATC episode (diagnosis date, first contact, biopsy,
//!   pathology confirmation) belongs to an earlier disease (e.g. a differentiated cancer) and
//!   starts no interval;
//! - a step not yet done is "overdue" when more days than the target have passed by `as_of`;
//! - a result whose test is listed as resulted but whose date is not recorded is "done, date not
//!   recorded", never overdue.

use crate::case::{Case, TestId};
use crate::report::Interval;
use atcpath_kb::{EventKind, IntervalDef};
use jiff::civil::Date;

/// Where one interval stands on a case's events, independent of the date it is looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    /// The earliest `from` event (a surgery before the episode excluded); `None`: not started.
    pub from: Option<Date>,
    /// The earliest `to` event on or after `from`.
    pub to: Option<Date>,
    /// Done with its date not recorded (a result listed as resulted, no dated event).
    pub done_undated: bool,
}

/// The span of every interval definition on the case's events (in `defs` order).
pub fn spans(case: &Case, defs: &[IntervalDef]) -> Vec<Span> {
    let dates = |k: EventKind| {
        case.events
            .iter()
            .filter(move |e| e.kind == k)
            .map(|e| e.date)
    };
    let episode_start = [
        EventKind::FirstContact,
        EventKind::Biopsy,
        EventKind::PathologyConfirmed,
    ]
    .into_iter()
    .flat_map(dates)
    .chain(case.diagnosis.date)
    .min();
    let resulted = |tests: &[TestId]| tests.iter().any(|t| case.molecular.resulted.contains(t));
    defs.iter()
        .map(|d| {
            let from = dates(d.from)
                .filter(|f| d.from != EventKind::Surgery || episode_start.is_some_and(|s| *f >= s))
                .min();
            let to = from.and_then(|f| dates(d.to).filter(|t| *t >= f).min());
            let done_undated = from.is_some()
                && to.is_none()
                && match d.to {
                    EventKind::BrafResult => {
                        resulted(&[TestId::BrafV600eIhc, TestId::BrafV600ePcr, TestId::NgsDna])
                    }
                    EventKind::NgsResult => resulted(&[TestId::NgsDna, TestId::NgsRna]),
                    _ => false,
                };
            Span {
                from,
                to,
                done_undated,
            }
        })
        .collect()
}

/// How one interval stands as of `as_of`: its days (done: from start to end; open: from start
/// to `as_of`), whether it is complete, and its status (`not_started`, `done_date_not_recorded`,
/// `no_target`, `within_target`, `over_target`, `overdue`, `open`). Events after `as_of` have
/// not happened yet.
pub fn classify(d: &IntervalDef, span: Span, as_of: Date) -> (Option<i64>, bool, &'static str) {
    let from = span.from.filter(|f| *f <= as_of);
    let to = from.and(span.to.filter(|t| *t <= as_of));
    let days_between = |a: Date, b: Date| i64::from((b - a).get_days());
    let (days, complete) = match (from, to) {
        (Some(f), Some(t)) => (Some(days_between(f, t)), true),
        (Some(_), None) if span.done_undated => (None, true),
        (Some(f), None) => (Some(days_between(f, as_of)), false),
        _ => (None, false),
    };
    let status = match (from, days, complete, d.target_days) {
        (None, ..) => "not_started",
        (Some(_), None, true, _) => "done_date_not_recorded",
        (Some(_), Some(_), true, None) => "no_target",
        (Some(_), Some(x), true, Some(t)) => {
            if x <= i64::from(t) {
                "within_target"
            } else {
                "over_target"
            }
        }
        (Some(_), Some(x), false, Some(t)) if x > i64::from(t) => "overdue",
        _ => "open",
    };
    (days, complete, status)
}

/// Measures one interval from its span as of `as_of` ([`classify`]).
pub fn measure(d: &IntervalDef, span: Span, as_of: Date) -> Interval {
    let (days, complete, status) = classify(d, span, as_of);
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
}

/// Measures every interval definition on the case's events, as of the case's `as_of`.
pub fn intervals(case: &Case, defs: &[IntervalDef]) -> Vec<Interval> {
    spans(case, defs)
        .into_iter()
        .zip(defs)
        .map(|(span, d)| measure(d, span, case.as_of))
        .collect()
}
