//! `outcomes`: overall survival of the registry's patients by stage, era and first treatment,
//! beside the knowledge base's published benchmarks.
//!
//! An adapter: reads the `survival` projection (each patient's record derived from the current
//! version on import, refreshed when the knowledge base's treatment groups change) and has
//! `atcpath-core` analyse it ([`atcpath_core::outcomes::analyse`]: definitions there). Aggregate
//! figures name no patient: one audit row for the query.

use atcpath_core::outcomes::{self, Outcomes, SurvivalRecord};
use atcpath_kb::Kb;
use jiff::civil::Date;
use sqlx::AnyPool;

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::projection;

/// Analyses overall survival over the current versions (only `centre`'s patients when given).
pub(crate) async fn outcomes(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    centre: Option<&str>,
    actor: &Actor,
) -> Result<Outcomes> {
    let reason = actor.read_reason()?;
    let mut tx = db::begin_write(pool, backend).await?;
    db::ensure_user(&mut tx, actor.user(), "clinician").await?;
    projection::refresh_analysis(&mut tx, kb).await?;
    // Rows edited outside ATCPath would be counted as they are: compared with the versions first.
    crate::integrity::require_projections(&mut tx, kb, &["survival"]).await?;
    if let Some(c) = centre {
        db::known_centre(&mut tx, c).await?;
    }
    // A row that does not read (edited outside ATCPath) has the projection rebuilt from the
    // case versions, once.
    let records = match read_records(&mut tx, backend, centre).await? {
        Some(r) => r,
        None => {
            projection::rebuild_analysis(&mut tx, kb).await?;
            read_records(&mut tx, backend, centre)
                .await?
                .ok_or_else(|| Error::Corrupt("survival rows unreadable after a rebuild".into()))?
        }
    };
    let analysis = outcomes::analyse(&records, kb);
    audit::append(
        &mut tx,
        &Entry {
            user: actor.user(),
            action: Action::Read,
            record: "outcomes",
            patient: None,
            detail: format!(
                "overall survival over {} patients (centre {})",
                records.len(),
                centre.unwrap_or("all")
            ),
            reason: Some(reason),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(analysis)
}

/// Every patient's survival record from `survival` (one aggregated value); `None` when a row
/// does not read.
async fn read_records(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    centre: Option<&str>,
) -> Result<Option<Vec<SurvivalRecord>>> {
    // Every patient's record as one text of lines (one value, not 100,000 rows: the `any`
    // driver's cost is per row): DIAGNOSIS|END|DIED|STAGE|FIRST_TREATMENT|ITS_DATE, dates ISO or
    // empty, stage and group ids without `|`.
    let line = db::concat_lines(
        backend,
        "COALESCE(s.diagnosis_date, '') || '|' || COALESCE(s.end_date, '') || '|' || CAST(s.died AS TEXT) || '|' || s.stage || '|' || s.first_treatment || '|' || COALESCE(s.first_treatment_date, '')",
    );
    let (text,): (Option<String>,) = match centre {
        Some(c) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {line} FROM survival s JOIN patients p ON p.id = s.patient_id JOIN centres c ON c.id = p.centre_id WHERE c.code = $1"
            )))
            .bind(c.to_string())
            .fetch_one(&mut **tx)
            .await?
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {line} FROM survival s")))
                .fetch_one(&mut **tx)
                .await?
        }
    };
    // `Err(())`: a value that does not read.
    let date = |s: &str| -> std::result::Result<Option<Date>, ()> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<Date>().map(Some).map_err(|_| ())
    };
    let mut records = Vec::new();
    for l in text.as_deref().unwrap_or("").lines() {
        let f: Vec<&str> = l.split('|').collect();
        let [diagnosis, end, died, stage, first, first_date] = f[..] else {
            return Ok(None);
        };
        let (Ok(diagnosis), Ok(end), Ok(first_treatment_date)) =
            (date(diagnosis), date(end), date(first_date))
        else {
            return Ok(None);
        };
        let died = match died {
            "0" => false,
            "1" => true,
            _ => return Ok(None),
        };
        records.push(SurvivalRecord {
            diagnosis,
            end,
            died,
            stage: stage.to_string(),
            first_treatment: first.to_string(),
            first_treatment_date,
        });
    }
    Ok(Some(records))
}
