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

/// Survival rows: diagnosis, end, died, stage, first treatment, its date.
type Row = (
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    Option<String>,
);

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
    let base = "SELECT s.diagnosis_date, s.end_date, s.died, s.stage, s.first_treatment, s.first_treatment_date
         FROM survival s";
    let rows: Vec<Row> = match centre {
        Some(c) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{base} JOIN patients p ON p.id = s.patient_id JOIN centres c ON c.id = p.centre_id WHERE c.code = $1"
            )))
            .bind(c.to_string())
            .fetch_all(&mut *tx)
            .await?
        }
        None => sqlx::query_as(base).fetch_all(&mut *tx).await?,
    };
    let date = |s: Option<String>| -> Result<Option<Date>> {
        s.map(|s| {
            s.parse::<Date>()
                .map_err(|e| Error::Corrupt(format!("survival: date {s:?}: {e}")))
        })
        .transpose()
    };
    let mut records = Vec::with_capacity(rows.len());
    for (diagnosis, end, died, stage, first_treatment, first_date) in rows {
        records.push(SurvivalRecord {
            diagnosis: date(diagnosis)?,
            end: date(end)?,
            died: died != 0,
            stage,
            first_treatment,
            first_treatment_date: date(first_date)?,
        });
    }
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
