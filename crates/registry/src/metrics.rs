//! `metrics`: fast-track interval statistics over the registry's patients (clinical-pathway §8).
//!
//! An adapter: reads the `fasttrack_spans` projection (each patient's interval start and end
//! events, derived from the current version on import) and has `atcpath-core` measure and
//! aggregate them ([`atcpath_core::fasttrack::aggregate`]; quantile definition and counting rules
//! there). Reads patient data, so it needs a reason; one audit row for the query and one per
//! patient named in the output.

use atcpath_core::fasttrack::{self, IntervalStats, PatientSpans, Span, Window};
use atcpath_kb::Kb;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::AnyPool;

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::projection;

/// What to measure.
#[derive(Debug, Clone, Default)]
pub struct MetricsQuery {
    /// Only this centre's patients (`None`: every centre).
    pub centre: Option<String>,
    /// Only intervals whose `from` event is within this window.
    pub window: Window,
    /// The date overdue is measured to.
    pub as_of: Option<Date>,
}

/// Fast-track metrics of the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// The date overdue was measured to.
    pub as_of: Date,
    /// The centre filter.
    pub centre: Option<String>,
    /// The start-date window's lower bound.
    pub from: Option<Date>,
    /// The start-date window's upper bound.
    pub to: Option<Date>,
    /// The quantile definition used.
    pub quantiles: &'static str,
    /// Patients read (current versions).
    pub patients: usize,
    /// Patients whose current version no longer validates against this knowledge base (left
    /// out of the statistics), by pseudonym.
    pub unreadable: Vec<String>,
    /// One entry per interval of the knowledge base, in its order.
    pub intervals: Vec<IntervalStats>,
}

/// Computes the metrics over the current versions' fast-track spans (`fasttrack_spans`,
/// refreshed first when the knowledge base's interval definitions changed). `as_of` defaults to
/// `today`. Audit: one row for the query, and one per patient named in the output (overdue).
pub(crate) async fn metrics(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    query: &MetricsQuery,
    today: Date,
    actor: &Actor,
) -> Result<Metrics> {
    let reason = actor.read_reason()?;
    let as_of = query.as_of.unwrap_or(today);
    let mut tx = db::begin_write(pool, backend).await?;
    db::ensure_user(&mut tx, actor.user(), "clinician").await?;
    projection::refresh_analysis(&mut tx, kb).await?;
    let (centre_join, centre_cond) = match query.centre {
        Some(_) => (
            " JOIN patients p ON p.id = s.patient_id JOIN centres c ON c.id = p.centre_id",
            " AND c.code = $1",
        ),
        None => ("", ""),
    };
    let spans_sql = format!(
        "SELECT s.patient_id, s.interval_id, s.from_date, s.to_date, s.done_undated
         FROM fasttrack_spans s{centre_join} WHERE 1 = 1{centre_cond}"
    );
    let patients_sql = format!(
        "SELECT p.id, p.pseudonym, CASE WHEN s.patient_id IS NULL THEN 1 ELSE 0 END,
                CASE WHEN s.died = 1 THEN s.end_date END
         FROM patients p
         JOIN centres c ON c.id = p.centre_id
         LEFT JOIN survival s ON s.patient_id = p.id WHERE 1 = 1{}",
        centre_cond
    );
    let mut spans_q = sqlx::query_as::<_, (i64, String, String, Option<String>, i64)>(
        sqlx::AssertSqlSafe(spans_sql),
    );
    let mut patients_q =
        sqlx::query_as::<_, (i64, String, i64, Option<String>)>(sqlx::AssertSqlSafe(patients_sql));
    if let Some(c) = &query.centre {
        spans_q = spans_q.bind(c.clone());
        patients_q = patients_q.bind(c.clone());
    }
    let patients_rows = patients_q.fetch_all(&mut *tx).await?;
    let span_rows = spans_q.fetch_all(&mut *tx).await?;
    let defs = &kb.facts.intervals;
    let mut index = std::collections::HashMap::with_capacity(patients_rows.len());
    let mut patients = Vec::with_capacity(patients_rows.len());
    let mut unreadable = Vec::new();
    let date = |s: &str| {
        s.parse::<Date>()
            .map_err(|e| Error::Corrupt(format!("analysis projection: date {s:?}: {e}")))
    };
    for (id, pseudonym, missing, death) in patients_rows {
        if missing != 0 {
            unreadable.push(pseudonym);
            continue;
        }
        index.insert(id, patients.len());
        patients.push(PatientSpans {
            pseudonym,
            spans: vec![Span::default(); defs.len()],
            death: death.as_deref().map(date).transpose()?,
        });
    }
    for (patient_id, interval_id, from, to, done_undated) in span_rows {
        let (Some(&p), Some(k)) = (
            index.get(&patient_id),
            defs.iter().position(|d| d.id == interval_id),
        ) else {
            continue;
        };
        patients[p].spans[k] = Span {
            from: Some(date(&from)?),
            to: to.as_deref().map(date).transpose()?,
            done_undated: done_undated != 0,
        };
    }
    unreadable.sort();
    let intervals = fasttrack::aggregate(defs, &patients, query.window, as_of);
    let show = |d: Option<Date>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
    audit::append(
        &mut tx,
        &Entry {
            user: actor.user(),
            action: Action::Read,
            record: "metrics",
            patient: None,
            detail: format!(
                "fast-track metrics over {} patients (centre {}, from {}, to {}, as of {as_of})",
                patients.len(),
                query.centre.as_deref().unwrap_or("all"),
                show(query.window.from),
                show(query.window.to),
            ),
            reason: Some(reason),
        },
    )
    .await?;
    // Patients named in the output: one row each (with the intervals they are overdue on).
    let mut named: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for i in &intervals {
        for o in &i.overdue {
            named
                .entry(o.pseudonym.as_str())
                .or_default()
                .push(i.id.as_str());
        }
    }
    let entries: Vec<Entry<'_>> = named
        .into_iter()
        .map(|(pseudonym, ids)| Entry {
            user: actor.user(),
            action: Action::Read,
            record: "fasttrack_spans",
            patient: Some(pseudonym),
            detail: format!("fast-track metrics: overdue on {}", ids.join(", ")),
            reason: Some(reason),
        })
        .collect();
    audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(Metrics {
        as_of,
        centre: query.centre.clone(),
        from: query.window.from,
        to: query.window.to,
        quantiles: "Hyndman-Fan type 7 (R default)",
        patients: patients.len(),
        unreadable,
        intervals,
    })
}
