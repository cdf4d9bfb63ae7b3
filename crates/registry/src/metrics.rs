//! `metrics`: fast-track interval statistics over the registry's patients (clinical-pathway §8).
//!
//! An adapter: reads the `fasttrack` projection (each patient's interval start and end
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
use crate::projection::{self, StoredSpan};

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

/// Computes the metrics over the current versions' fast-track spans (`fasttrack`,
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
    let centre_cond = if query.centre.is_some() {
        " WHERE c.code = $1"
    } else {
        ""
    };
    // One row per patient: its spans (JSON) and death date; no analysis row = unreadable.
    let sql = format!(
        "SELECT p.pseudonym, CASE WHEN s.patient_id IS NULL THEN 1 ELSE 0 END,
                CASE WHEN s.died = 1 THEN s.end_date END, f.spans
         FROM patients p
         JOIN centres c ON c.id = p.centre_id
         LEFT JOIN survival s ON s.patient_id = p.id
         LEFT JOIN fasttrack f ON f.patient_id = p.id{centre_cond}"
    );
    let mut q = sqlx::query_as::<_, (String, i64, Option<String>, Option<String>)>(
        sqlx::AssertSqlSafe(sql),
    );
    if let Some(c) = &query.centre {
        q = q.bind(c.clone());
    }
    let rows = q.fetch_all(&mut *tx).await?;
    let defs = &kb.facts.intervals;
    let mut patients = Vec::with_capacity(rows.len());
    let mut unreadable = Vec::new();
    for (pseudonym, missing, death, spans) in rows {
        let Some(spans) = spans.filter(|_| missing == 0) else {
            unreadable.push(pseudonym);
            continue;
        };
        let stored: Vec<StoredSpan> = serde_json::from_str(&spans)
            .map_err(|e| Error::Corrupt(format!("fasttrack of {pseudonym}: {e}")))?;
        let mut aligned = vec![Span::default(); defs.len()];
        for s in stored {
            if let Some(k) = defs.iter().position(|d| d.id == s.interval) {
                aligned[k] = Span {
                    from: Some(s.from),
                    to: s.to,
                    done_undated: s.done_undated,
                };
            }
        }
        let death = death
            .map(|d| {
                d.parse::<Date>()
                    .map_err(|e| Error::Corrupt(format!("survival of {pseudonym}: {d:?}: {e}")))
            })
            .transpose()?;
        patients.push(PatientSpans {
            pseudonym,
            spans: aligned,
            death,
        });
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
            record: "fasttrack",
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
