//! `metrics`: fast-track interval statistics over the registry's patients (clinical-pathway §8).
//!
//! An adapter: reads each patient's current case version, has `atcpath-core` measure the
//! intervals ([`atcpath_core::fasttrack::patient_intervals`]) and aggregate them
//! ([`atcpath_core::fasttrack::aggregate`]; quantile definition and counting rules there). Reads
//! patient data, so it needs a reason; one audit row per patient read, plus one for the query.

use atcpath_core::case::read_record;
use atcpath_core::fasttrack::{self, IntervalStats, PatientIntervals, Window};
use atcpath_kb::Kb;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::AnyPool;

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend};
use crate::error::Result;

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

#[derive(sqlx::FromRow)]
struct Row {
    pseudonym: String,
    version: i64,
    case_json: String,
}

/// Computes the metrics over the current versions. `as_of` defaults to `today`.
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
    // One SQL text per case (no parameter compared with a literal: PostgreSQL types it).
    let base = "SELECT p.pseudonym, v.version, v.case_json
         FROM patients p
         JOIN centres c ON c.id = p.centre_id
         JOIN case_versions v ON v.patient_id = p.id
         WHERE v.version = (SELECT MAX(version) FROM case_versions WHERE patient_id = p.id)";
    let rows: Vec<Row> = match &query.centre {
        Some(c) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{base} AND c.code = $1 ORDER BY p.pseudonym"
            )))
            .bind(c.clone())
            .fetch_all(&mut *tx)
            .await?
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{base} ORDER BY p.pseudonym")))
                .fetch_all(&mut *tx)
                .await?
        }
    };
    let defs = &kb.facts.intervals;
    let mut reports = Vec::with_capacity(rows.len());
    let mut unreadable = Vec::new();
    for r in &rows {
        match read_record(r.case_json.as_bytes(), kb, None) {
            Ok(case) => reports.push(PatientIntervals {
                pseudonym: r.pseudonym.clone(),
                intervals: fasttrack::patient_intervals(&case, kb, defs, as_of),
            }),
            Err(_) => unreadable.push(r.pseudonym.clone()),
        }
        audit::append(
            &mut tx,
            &Entry {
                user: actor.user(),
                action: Action::Read,
                record: "case_versions",
                patient: Some(&r.pseudonym),
                detail: format!("fast-track metrics (current version {})", r.version),
                reason: Some(reason),
            },
        )
        .await?;
    }
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
                rows.len(),
                query.centre.as_deref().unwrap_or("all"),
                show(query.window.from),
                show(query.window.to),
            ),
            reason: Some(reason),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Metrics {
        as_of,
        centre: query.centre.clone(),
        from: query.window.from,
        to: query.window.to,
        quantiles: "Hyndman-Fan type 7 (R default)",
        patients: rows.len(),
        unreadable,
        intervals: fasttrack::aggregate(defs, &reports, query.window),
    })
}
