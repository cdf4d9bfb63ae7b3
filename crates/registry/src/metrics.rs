//! `metrics`: fast-track interval statistics over the registry's patients (clinical-pathway §8).
//!
//! An adapter: reads the `fasttrack` projection (each patient's interval start and end
//! events, derived from the current version on import) and has `atcpath-core` measure and
//! aggregate them ([`atcpath_core::fasttrack::aggregate`]; quantile definition and counting rules
//! there). Reads patient data, so it needs a reason; one audit row for the query and one per
//! patient named in the output.

use atcpath_core::fasttrack::{self, IntervalStats, PatientSpans, Window};
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
    // Rows edited outside ATCPath would be counted as they are: compared with the versions first.
    crate::integrity::require_projections(&mut tx, kb, &["fasttrack"]).await?;
    if let Some(c) = &query.centre {
        db::known_centre(&mut tx, c).await?;
    }
    let defs = &kb.facts.intervals;
    // A row that does not read (edited outside ATCPath) has the projection rebuilt from the
    // case versions, once.
    let (patients, mut unreadable) = match read_spans(&mut tx, query, backend, defs).await? {
        Some(x) => x,
        None => {
            projection::rebuild_analysis(&mut tx, kb).await?;
            read_spans(&mut tx, query, backend, defs)
                .await?
                .ok_or_else(|| Error::Corrupt("fasttrack rows unreadable after a rebuild".into()))?
        }
    };
    unreadable.sort();
    let mut intervals = fasttrack::aggregate(defs, &patients, query.window, as_of);
    // Name the overdue patients (by row id so far).
    let mut ids: Vec<i64> = intervals
        .iter()
        .flat_map(|i| &i.overdue)
        .filter_map(|o| o.pseudonym.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, pseudonym FROM patients WHERE id IN ({list})"
        )))
        .fetch_all(&mut *tx)
        .await?;
        names.extend(rows);
    }
    for i in &mut intervals {
        for o in &mut i.overdue {
            let id: i64 = o.pseudonym.parse().unwrap_or_default();
            o.pseudonym = names
                .get(&id)
                .cloned()
                .ok_or_else(|| Error::Corrupt(format!("fasttrack of unknown patient row {id}")))?;
        }
        i.overdue.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym));
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

/// Every patient's spans and death date from `fasttrack` (one aggregated value), and the
/// pseudonyms of patients without analysis rows; `None` when a row does not read.
async fn read_spans(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    query: &MetricsQuery,
    backend: Backend,
    defs: &[atcpath_kb::IntervalDef],
) -> Result<Option<(Vec<PatientSpans>, Vec<String>)>> {
    let (centre_join, centre_cond) = match query.centre {
        Some(_) => (
            " JOIN patients p ON p.id = f.patient_id JOIN centres c ON c.id = p.centre_id",
            " WHERE c.code = $1",
        ),
        None => ("", ""),
    };
    // Every patient's death date and spans as one text of lines `ID|DEATH|SPANS` (one value, not
    // 100,000 rows; the spans format is the projection's own, without `|` or newlines).
    let line = db::concat_lines(
        backend,
        "CAST(f.patient_id AS TEXT) || '|' || COALESCE(f.death_date, '') || '|' || f.spans",
    );
    let sql = format!("SELECT {line}, COUNT(*) FROM fasttrack f{centre_join}{centre_cond}");
    let mut q = sqlx::query_as::<_, (Option<String>, i64)>(sqlx::AssertSqlSafe(sql));
    if let Some(c) = &query.centre {
        q = q.bind(c.clone());
    }
    let (text, with_rows) = q.fetch_one(&mut **tx).await?;
    let count_sql = format!(
        "SELECT COUNT(*) FROM patients p JOIN centres c ON c.id = p.centre_id{centre_cond}"
    );
    let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql));
    if let Some(c) = &query.centre {
        q = q.bind(c.clone());
    }
    let (all,) = q.fetch_one(&mut **tx).await?;
    // Patients without analysis rows (their current version no longer reads), named.
    let mut unreadable = Vec::new();
    if all != with_rows {
        let sql = format!(
            "SELECT p.pseudonym FROM patients p JOIN centres c ON c.id = p.centre_id
             LEFT JOIN fasttrack f ON f.patient_id = p.id WHERE f.patient_id IS NULL{}",
            centre_cond.replace("WHERE", "AND")
        );
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        if let Some(c) = &query.centre {
            q = q.bind(c.clone());
        }
        unreadable = q
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(|(p,)| p)
            .collect();
    }
    let mut patients = Vec::new();
    for l in text.as_deref().unwrap_or("").lines() {
        let mut f = l.splitn(3, '|');
        let (Some(id), Some(death), Some(spans)) = (f.next(), f.next(), f.next()) else {
            return Ok(None);
        };
        patients.push(PatientSpans {
            // The patient's row id until the overdue are named (below).
            pseudonym: id.to_string(),
            spans: match projection::decode_spans(spans, defs.len()) {
                Some(s) => s,
                None => return Ok(None),
            },
            death: match death {
                "" => None,
                d => match d.parse::<Date>() {
                    Ok(d) => Some(d),
                    Err(_) => return Ok(None),
                },
            },
        });
    }
    Ok(Some((patients, unreadable)))
}
