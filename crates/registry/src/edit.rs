//! Edits: a new case version built from the current one (`event add`), re-validated with the
//! case reader exactly as an imported file is, and stored with source `edit`.

use atcpath_core::case::EventKind;
use atcpath_kb::Kb;
use jiff::civil::Date;
use serde_json::{Map, Value};
use sqlx::AnyPool;

use crate::actor::Actor;
use crate::audit::{self, Action, Entry};
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::import::{self, NewVersion, Stored, sha256_hex};

/// The outcome of `event add`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventAdded {
    /// The patient.
    pub pseudonym: String,
    /// The patient's current version after the operation.
    pub version: i64,
    /// `new_version`, or `unchanged` when the same event (kind and date) was already recorded.
    pub stored: Stored,
    /// The event kind.
    pub kind: String,
    /// The event date.
    pub date: String,
    /// When the event is later than the case's decision date (`as_of`), the decision date moves
    /// to the event's date (no event may be later than `as_of`): the former date.
    pub as_of_moved_from: Option<String>,
}

/// Parses an event kind of the case format.
///
/// # Errors
/// [`Error::Invalid`] listing the accepted kinds.
pub fn parse_kind(kind: &str) -> Result<EventKind> {
    EventKind::from_id(kind).ok_or_else(|| {
        Error::Invalid(format!(
            "--kind: {kind:?} is not an event kind (accepted: {})",
            EventKind::accepted()
        ))
    })
}

/// Parses an ISO 8601 calendar date `YYYY-MM-DD` (exactly that shape).
///
/// # Errors
/// [`Error::Invalid`].
pub fn parse_date(what: &str, s: &str) -> Result<Date> {
    let b = s.as_bytes();
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    s.parse::<Date>().ok().filter(|_| shaped).ok_or_else(|| {
        Error::Invalid(format!(
            "{what}: {s:?} is not an ISO 8601 calendar date (YYYY-MM-DD)"
        ))
    })
}

/// The case JSON with the event appended; `None` when the same event is already there.
/// Returns the new text and the former `as_of` when it moved.
fn with_event(text: &str, kind: EventKind, date: Date) -> Result<Option<(String, Option<String>)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut doc: Map<String, Value> = serde_json::from_str(text)
        .map_err(|e| Error::Corrupt(format!("stored case is not a JSON object: {e}")))?;
    let date_s = date.to_string();
    let event = Value::Object(Map::from_iter([
        ("kind".to_string(), Value::String(kind.id().to_string())),
        ("date".to_string(), Value::String(date_s.clone())),
    ]));
    match doc.get_mut("events") {
        Some(Value::Array(events)) => {
            if events.contains(&event) {
                return Ok(None);
            }
            events.push(event);
        }
        None | Some(Value::Null) => {
            doc.insert("events".into(), Value::Array(vec![event]));
        }
        Some(_) => return Err(Error::Corrupt("stored case: events is not a list".into())),
    }
    let mut moved = None;
    let as_of = doc
        .get("as_of")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Date>().ok());
    if let Some(a) = as_of
        && date > a
    {
        moved = Some(a.to_string());
        doc.insert("as_of".into(), Value::String(date_s));
    }
    let mut out = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::Corrupt(format!("cannot write the case: {e}")))?;
    out.push('\n');
    Ok(Some((out, moved)))
}

/// Adds an event to a patient's current case as a new version (see [`EventAdded`]).
pub(crate) async fn add_event(
    pool: &AnyPool,
    backend: Backend,
    kb: &Kb,
    pseudonym: &str,
    kind: &str,
    date: &str,
    actor: &Actor,
) -> Result<EventAdded> {
    let kind = parse_kind(kind)?;
    let date = parse_date("--date", date)?;
    let today = db::today();
    if date > today {
        return Err(Error::Invalid(format!(
            "--date: {date} is after today ({today}); an event cannot be in the future"
        )));
    }
    let mut tx = db::begin_write(pool, backend).await?;
    let user_id = db::ensure_user(&mut tx, actor.user(), "clinician").await?;
    let patient = import::find_patient(&mut tx, pseudonym)
        .await?
        .ok_or_else(|| Error::UnknownPatient(pseudonym.to_string()))?;
    let Some((_, current, sha, text)) = import::current_version(&mut tx, patient.id).await? else {
        return Err(Error::Corrupt(format!(
            "patient {pseudonym:?} has no case version"
        )));
    };
    crate::integrity::check_version(&mut tx, &patient.pseudonym, current, &text, &sha, true)
        .await?;
    let mut result = EventAdded {
        pseudonym: patient.pseudonym.clone(),
        version: current,
        stored: Stored::Unchanged,
        kind: kind.id().to_string(),
        date: date.to_string(),
        as_of_moved_from: None,
    };
    let Some((new_text, moved)) = with_event(&text, kind, date)? else {
        audit::append(
            &mut tx,
            &Entry {
                user: actor.user(),
                action: Action::Read,
                record: "events",
                patient: Some(&patient.pseudonym),
                detail: format!(
                    "event add: {kind} on {date} already in version {current}, nothing stored"
                ),
                reason: actor.reason(),
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(result);
    };
    let (case, _) = import::validate(new_text.as_bytes(), kb)?;
    let sha = sha256_hex(new_text.as_bytes());
    let version = current + 1;
    import::insert_version(
        &mut tx,
        &NewVersion {
            patient: &patient,
            version,
            text: &new_text,
            sha256: &sha,
            source: "edit",
            case: &case,
            kb,
            new_patient: false,
            user_id,
        },
    )
    .await?;
    let moved_note = moved
        .as_ref()
        .map(|m| format!("; as_of moved from {m} to {date}"))
        .unwrap_or_default();
    audit::append(
        &mut tx,
        &Entry {
            user: actor.user(),
            action: Action::Update,
            record: "events",
            patient: Some(&patient.pseudonym),
            detail: format!(
                "event {kind} on {date} added: version {version} (sha256 {sha}){moved_note}"
            ),
            reason: actor.reason(),
        },
    )
    .await?;
    tx.commit().await?;
    result.version = version;
    result.stored = Stored::NewVersion;
    result.as_of_moved_from = moved;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_moves_as_of() {
        let text = r#"{"schema":"atcpath.case/1","id":"x","as_of":"2022-08-20"}"#;
        let d: Date = "2022-09-01".parse().unwrap();
        let (out, moved) = with_event(text, EventKind::Death, d).unwrap().unwrap();
        assert_eq!(moved.as_deref(), Some("2022-08-20"));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["as_of"], "2022-09-01");
        assert_eq!(v["events"][0]["kind"], "death");
        // The same event again: nothing to do.
        assert!(with_event(&out, EventKind::Death, d).unwrap().is_none());
    }

    #[test]
    fn kinds_and_dates() {
        assert!(parse_kind("mdt").is_ok());
        assert!(parse_kind("lunch").is_err());
        assert!(parse_date("--date", "2022-08-20").is_ok());
        assert!(parse_date("--date", "2022-8-20").is_err());
        assert!(parse_date("--date", "2022-02-30").is_err());
    }
}
