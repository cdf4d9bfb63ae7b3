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
    if let Some(c) = centre {
        db::known_centre(&mut tx, c).await?;
    }
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
            .fetch_one(&mut *tx)
            .await?
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {line} FROM survival s")))
                .fetch_one(&mut *tx)
                .await?
        }
    };
    let corrupt = |l: &str| Error::Corrupt(format!("survival row {l:?}"));
    let date = |s: &str, l: &str| -> Result<Option<Date>> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<Date>().map(Some).map_err(|_| corrupt(l))
    };
    let mut records = Vec::new();
    for l in text.as_deref().unwrap_or("").lines() {
        let f: Vec<&str> = l.split('|').collect();
        let [diagnosis, end, died, stage, first, first_date] = f[..] else {
            return Err(corrupt(l));
        };
        records.push(SurvivalRecord {
            diagnosis: date(diagnosis, l)?,
            end: date(end, l)?,
            died: match died {
                "0" => false,
                "1" => true,
                _ => return Err(corrupt(l)),
            },
            stage: stage.to_string(),
            first_treatment: first.to_string(),
            first_treatment_date: date(first_date, l)?,
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
