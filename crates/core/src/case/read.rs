//! The case file v1 reader: bytes in, a validated [`Case`] or every problem at once.
//!
//! Strict by design (`case-format.md`): unknown fields, wrong types, values outside their
//! vocabulary or plausible range, unit confusion, dates after `as_of`, malformed HGVS, unknown
//! fusion genes and contradictions are all reported, each with its JSON path and what is
//! accepted. Nothing is guessed; `null` counts as absent (unknown).

use jiff::civil::Date;
use serde_json::{Map, Value};

use super::json::parse_strict;
use super::model::*;
use crate::hgvs;
use crate::staging::{self, M, N, StageGroup, T};
use crate::units::{self, Kind};
use atcpath_kb::{EventKind, Kb, Modality};

/// The schema id a case file must declare.
pub const SCHEMA: &str = "atcpath.case/1";
/// Largest case file accepted, in bytes. A case is a few kilobytes; this refuses runaway input
/// before it is parsed.
pub const MAX_CASE_BYTES: usize = 4 * 1024 * 1024;

/// One problem in a case file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// JSON path of the offending field, e.g. `patient.weight.value`; `$` for the whole document.
    pub path: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The problem of a decision date after `today` (the caller's clock: the core reads none), for
/// a case file that may be otherwise invalid: `as_of` if given, else the document's own `as_of`
/// when it is a readable date. Callers put it first, since it explains date problems that follow
/// from it (a date "before birth" when the age is counted back from a wrong `as_of`).
pub fn as_of_after_today(bytes: &[u8], as_of: Option<Date>, today: Date) -> Option<Problem> {
    let d = as_of.or_else(|| {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()?
            .get("as_of")?
            .as_str()?
            .parse::<Date>()
            .ok()
    })?;
    (d > today).then(|| Problem {
        path: "as_of".into(),
        message: format!("{d} is after today ({today}); a decision date cannot be in the future"),
    })
}

/// Reads and validates a case file.
///
/// `as_of` overrides the case's own decision date (the date events are checked against).
///
/// # Errors
/// Every [`Problem`] found, in document order; never panics on any input.
pub fn read_case(bytes: &[u8], kb: &Kb, as_of: Option<Date>) -> Result<Case, Vec<Problem>> {
    read(bytes, kb, as_of, Purpose::Decision)
}

/// Reads a case file as a registry record: the same checks as [`read_case`] except that a death
/// on or before `as_of` is accepted (a record follows the patient to death; events after death
/// other than `last_follow_up` are still errors). Such a case is not assessable: use
/// [`Case::death`] to refuse it before `assess`.
///
/// # Errors
/// Every [`Problem`] found, in document order; never panics on any input.
pub fn read_record(bytes: &[u8], kb: &Kb, as_of: Option<Date>) -> Result<Case, Vec<Problem>> {
    read(bytes, kb, as_of, Purpose::Record)
}

/// What a case is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A treatment decision at `as_of`: the patient is alive.
    Decision,
    /// A registry record: may end with the patient's death.
    Record,
}

fn read(
    bytes: &[u8],
    kb: &Kb,
    as_of: Option<Date>,
    purpose: Purpose,
) -> Result<Case, Vec<Problem>> {
    let one = |path: &str, message: String| {
        vec![Problem {
            path: path.into(),
            message,
        }]
    };
    if bytes.len() > MAX_CASE_BYTES {
        return Err(one(
            "$",
            format!(
                "file is {} bytes; a case file is at most {MAX_CASE_BYTES} bytes",
                bytes.len()
            ),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(one(
            "$",
            "file is empty; expected a JSON object with schema, id and as_of".into(),
        ));
    }
    // RFC 8259 lets a parser ignore a UTF-8 byte-order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value = parse_strict(bytes).map_err(|e| {
        let at = if e.line() > 0 {
            format!(" at line {}, column {}", e.line(), e.column())
        } else {
            String::new()
        };
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        one("$", format!("not valid JSON{at}: {msg}"))
    })?;
    let mut r = Reader {
        problems: Vec::new(),
        kb,
        purpose,
    };
    let case = r.case(&value, as_of);
    match case {
        Some(c) if r.problems.is_empty() => Ok(c),
        _ => Err(r.problems),
    }
}

struct Reader<'k> {
    problems: Vec<Problem>,
    kb: &'k Kb,
    purpose: Purpose,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A field of an object: `None` when absent or null (unknown).
fn field<'v>(m: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    m.get(key).filter(|v| !v.is_null())
}

impl Reader<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        allowed: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(m) = v else {
            self.err(
                if path.is_empty() { "$" } else { path },
                format!("expected an object, found {}", type_name(v)),
            );
            return None;
        };
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                let near = allowed
                    .iter()
                    .map(|a| (strsim::jaro_winkler(a, k), a))
                    .filter(|(s, _)| *s > 0.85)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, a)| format!("did you mean {a:?}? "))
                    .unwrap_or_default();
                self.err(
                    join(path, k),
                    format!("unknown field; {near}accepted here: {}", allowed.join(", ")),
                );
            }
        }
        Some(m)
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) if s.trim().is_empty() => {
                self.err(path, "is empty; omit the field when unknown");
                None
            }
            Value::String(s) if s.len() > 10_000 => {
                self.err(path, "is longer than 10000 characters");
                None
            }
            Value::String(s) => Some(s.clone()),
            _ => {
                self.err(path, format!("expected a string, found {}", type_name(v)));
                None
            }
        }
    }

    fn number(&mut self, v: &Value, path: &str, lo: f64, hi: f64, unit: &str) -> Option<f64> {
        let Some(x) = v.as_f64() else {
            self.err(path, format!("expected a number, found {}", type_name(v)));
            return None;
        };
        if x < lo || x > hi {
            self.err(
                path,
                format!("{x} is outside the accepted range {lo} to {hi}{unit}"),
            );
            return None;
        }
        Some(x)
    }

    /// A percentage field: a fraction (0 < x < 1, or 1.0 with a decimal point) is refused by
    /// [`units::percent_not_fraction`], then the range is checked.
    fn percent(&mut self, v: &Value, path: &str, lo: f64, hi: f64) -> Option<f64> {
        if let Some(x) = v.as_f64()
            && let Err(why) = units::percent_not_fraction(x, v.is_i64() || v.is_u64())
        {
            // Where 1 % itself is out of range (LVEF 5-90 %), 1.0 can only be a fraction.
            let why = if lo > 1.0 && x == 1.0 {
                format!(
                    "1.0 looks like a fraction (100 %); give the value in percent ({lo}-{hi} %)"
                )
            } else {
                why
            };
            self.err(path, why);
            return None;
        }
        self.number(v, path, lo, hi, " %")
    }

    fn boolean(&mut self, v: &Value, path: &str) -> Option<bool> {
        let b = v.as_bool();
        if b.is_none() {
            self.err(
                path,
                format!("expected true or false, found {}", type_name(v)),
            );
        }
        b
    }

    fn date(&mut self, v: &Value, path: &str) -> Option<Date> {
        let s = self.string(v, path)?;
        let shaped = s.len() == 10
            && s.bytes().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        match s.parse::<Date>() {
            Ok(d) if shaped && d.year() < 1900 => {
                self.err(
                    path,
                    format!("{s} is before 1900: not a plausible date for this patient"),
                );
                None
            }
            Ok(d) if shaped => Some(d),
            _ => {
                self.err(
                    path,
                    format!("{s:?} is not an ISO 8601 calendar date (YYYY-MM-DD)"),
                );
                None
            }
        }
    }

    fn choice<E: Copy>(&mut self, v: &Value, path: &str, options: &[(&str, E)]) -> Option<E> {
        let s = self.string(v, path)?;
        let found = options.iter().find(|(name, _)| *name == s).map(|(_, e)| *e);
        if found.is_none() {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            self.err(
                path,
                format!("{s:?} is not accepted (accepted: {})", names.join(", ")),
            );
        }
        found
    }

    fn list<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v [Value]> {
        match v {
            Value::Array(a) => Some(a),
            _ => {
                self.err(path, format!("expected a list, found {}", type_name(v)));
                None
            }
        }
    }

    fn choices<E: Copy>(&mut self, v: &Value, path: &str, options: &[(&str, E)]) -> Option<Vec<E>> {
        let items = self.list(v, path)?;
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.choice(item, &format!("{path}[{i}]"), options) {
                Some(e) => out.push(e),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn quantity(&mut self, v: &Value, path: &str, kind: Kind) -> Option<units::Quantity> {
        let m = self.object(v, path, &["value", "unit"])?;
        let value = match field(m, "value") {
            Some(x) => match x.as_f64() {
                Some(x) => Some(x),
                None => {
                    self.err(
                        join(path, "value"),
                        format!("expected a number, found {}", type_name(x)),
                    );
                    None
                }
            },
            None => {
                self.err(
                    join(path, "value"),
                    "required when the measurement is given",
                );
                None
            }
        };
        let unit = match field(m, "unit") {
            Some(u) => self.string(u, &join(path, "unit")),
            None => {
                self.err(
                    join(path, "unit"),
                    format!("required (accepted: {})", kind.accepted_units()),
                );
                None
            }
        };
        let (value, unit) = (value?, unit?);
        match units::quantity(kind, value, &unit) {
            Ok(q) => Some(q),
            Err(e) => {
                let p = if e.0.starts_with("unit ") {
                    join(path, "unit")
                } else {
                    join(path, "value")
                };
                self.err(p, e.0);
                None
            }
        }
    }

    fn modalities(&mut self, v: Option<&Value>, path: &str) -> Vec<Modality> {
        let opts: Vec<(&str, Modality)> = Modality::ALL.iter().map(|m| (m.id(), *m)).collect();
        v.and_then(|v| self.choices(v, path, &opts))
            .unwrap_or_default()
    }

    fn case(&mut self, v: &Value, as_of_override: Option<Date>) -> Option<Case> {
        const TOP: [&str; 12] = [
            "schema",
            "id",
            "source",
            "as_of",
            "patient",
            "labs",
            "diagnosis",
            "tumor",
            "molecular",
            "treatments",
            "preferences",
            "events",
        ];
        let m = self.object(v, "", &TOP)?;
        match field(m, "schema") {
            Some(Value::String(s)) if s == SCHEMA => {}
            Some(other) => self.err(
                "schema",
                format!("must be exactly {SCHEMA:?}, found {other}"),
            ),
            None => self.err("schema", format!("required: {SCHEMA:?}")),
        }
        let id = match field(m, "id") {
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.err("id", "is empty: required, the case's identifier");
                None
            }
            Some(v) => self.string(v, "id"),
            None => {
                self.err("id", "required: the case's identifier");
                None
            }
        };
        if let Some(Err(e)) = id.as_deref().map(super::id::check_id) {
            self.err("id", e);
        }
        let own_as_of = match field(m, "as_of") {
            Some(v) => self.date(v, "as_of"),
            None => {
                self.err("as_of", "required: the decision date (YYYY-MM-DD)");
                None
            }
        };
        let as_of = as_of_override.or(own_as_of);
        let source = field(m, "source").and_then(|v| self.source(v));
        let empty = Value::Object(Map::new());
        let patient = self.patient(field(m, "patient").unwrap_or(&empty));
        let labs = self.labs(field(m, "labs").unwrap_or(&empty));
        let diagnosis = self.diagnosis(field(m, "diagnosis").unwrap_or(&empty), as_of);
        let tumor = self.tumor(field(m, "tumor").unwrap_or(&empty));
        let molecular = self.molecular(field(m, "molecular").unwrap_or(&empty));
        let treatments = field(m, "treatments")
            .map(|v| self.treatments(v, as_of))
            .unwrap_or_default();
        let preferences = self.preferences(field(m, "preferences").unwrap_or(&empty));
        let events = field(m, "events")
            .map(|v| self.events(v, as_of))
            .unwrap_or_default();
        // A death before the diagnosis it follows is a date error (survival would be negative).
        if let (Some(Some(d)), Some((i, death))) = (
            diagnosis.as_ref().map(|x: &Diagnosis| x.date),
            events
                .iter()
                .enumerate()
                .find(|(_, e)| e.kind == EventKind::Death)
                .map(|(i, e)| (i, e.date)),
        ) && death < d
        {
            self.err(
                format!("events[{i}].date"),
                format!("death on {death} is before the diagnosis date {d} (diagnosis.date)"),
            );
        }
        let birth_from = match (own_as_of, as_of) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.timeline(
            &events,
            &treatments,
            diagnosis.as_ref().and_then(|d| d.date),
            patient.as_ref().and_then(|p| p.age_years).zip(birth_from),
        );
        Some(Case {
            id: id?,
            as_of: as_of?,
            source,
            patient: patient?,
            labs: labs?,
            diagnosis: diagnosis?,
            tumor: tumor?,
            molecular: molecular?,
            treatments,
            preferences: preferences?,
            events,
        })
    }

    /// Timeline orders that cannot happen and duplicates of what happens once. Each is an error
    /// naming the events (JSON paths); orders that are merely unusual are accepted:
    ///
    /// - one death: a second `death` event is an error naming both (survival would depend on
    ///   which one a reader takes);
    /// - nothing clinical after death: an event or a treatment start/end after the death date is
    ///   an error (checked in `events` for events; here for treatments). `last_follow_up` is
    ///   exempt: it is the date vital status was last checked, which may follow a death;
    /// - `pathology_confirmed` needs tissue: when a `biopsy` is recorded, a confirmation earlier
    ///   than every biopsy and every surgery is an error naming the confirmation and the first
    ///   biopsy (record the outside biopsy or the surgery that gave the specimen);
    /// - nothing before birth: with `patient.age_years` (age on `as_of`), the patient was born
    ///   after `as_of` minus (whole years + 1); a diagnosis, event or treatment date before that
    ///   is an error;
    /// - `radiotherapy_end` before the first `radiotherapy_start` (checked in `events`).
    ///
    /// Not errors: treatment, surgery or biopsy before `first_contact` or `referral` (care may
    /// begin outside the centre), results before the MDT, several biopsies or MDTs.
    fn timeline(
        &mut self,
        events: &[Event],
        treatments: &[Treatment],
        diagnosis: Option<Date>,
        age: Option<(f64, Date)>,
    ) {
        let at = |k: EventKind| {
            events
                .iter()
                .enumerate()
                .filter(move |(_, e)| e.kind == k)
                .map(|(i, e)| (i, e.date))
        };
        let deaths: Vec<(usize, Date)> = at(EventKind::Death).collect();
        if let Some(&(first, d1)) = deaths.first() {
            for &(j, d2) in &deaths[1..] {
                self.err(
                    format!("events[{j}]"),
                    format!("a second death (events[{first}] on {d1} and events[{j}] on {d2}): a patient dies once; keep one"),
                );
            }
            let death = deaths.iter().map(|d| d.1).min().unwrap_or(d1);
            for (i, t) in treatments.iter().enumerate() {
                for (key, date) in [("start", t.start), ("end", t.end)] {
                    if let Some(d) = date.filter(|d| *d > death) {
                        self.err(
                            format!("treatments[{i}].{key}"),
                            format!("{d} is after death on {death} (events[{first}])"),
                        );
                    }
                }
            }
        }
        let first_biopsy = at(EventKind::Biopsy).min_by_key(|x| x.1);
        let first_surgery = at(EventKind::Surgery).map(|x| x.1).min();
        if let Some((b, bd)) = first_biopsy {
            for (i, pd) in at(EventKind::PathologyConfirmed) {
                if pd < bd && first_surgery.is_none_or(|s| pd < s) {
                    self.err(
                        format!("events[{i}].date"),
                        format!("pathology_confirmed on {pd} (events[{i}]) is before the first biopsy on {bd} (events[{b}]) and any surgery: pathology needs tissue; record the earlier biopsy or surgery"),
                    );
                }
            }
        }
        if let Some((years, on)) = age {
            // Born after `on` minus (whole years + 1): any earlier date is before birth.
            let whole = years.floor() as i16 + 1;
            if let Ok(born_after) = on.checked_sub(jiff::Span::new().years(whole)) {
                let mut check = |path: String, d: Option<Date>| {
                    if let Some(d) = d.filter(|d| *d <= born_after) {
                        self.err(
                            path,
                            format!("{d} is before the patient's birth: patient.age_years {years} on as_of {on} means born after {born_after}; check this date, the age and as_of"),
                        );
                    }
                };
                check("diagnosis.date".into(), diagnosis);
                for (i, e) in events.iter().enumerate() {
                    check(format!("events[{i}].date"), Some(e.date));
                }
                for (i, t) in treatments.iter().enumerate() {
                    check(format!("treatments[{i}].start"), t.start);
                    check(format!("treatments[{i}].end"), t.end);
                }
            }
        }
    }

    fn source(&mut self, v: &Value) -> Option<Source> {
        let m = self.object(v, "source", &["citation", "doi", "note"])?;
        let mut s = Source::default();
        s.citation = field(m, "citation").and_then(|v| self.string(v, "source.citation"));
        s.doi = field(m, "doi").and_then(|v| self.string(v, "source.doi"));
        s.note = field(m, "note").and_then(|v| self.string(v, "source.note"));
        Some(s)
    }

    fn patient(&mut self, v: &Value) -> Option<Patient> {
        const KEYS: [&str; 7] = [
            "age_years",
            "sex",
            "weight",
            "height",
            "ecog",
            "comorbidities",
            "unfit_for",
        ];
        let m = self.object(v, "patient", &KEYS)?;
        let mut p = Patient::default();
        p.age_years = field(m, "age_years")
            .and_then(|v| self.number(v, "patient.age_years", 0.0, 120.0, " years"));
        p.sex = field(m, "sex").and_then(|v| {
            self.choice(
                v,
                "patient.sex",
                &[
                    ("male", Sex::Male),
                    ("female", Sex::Female),
                    ("other", Sex::Other),
                ],
            )
        });
        p.weight =
            field(m, "weight").and_then(|v| self.quantity(v, "patient.weight", Kind::Weight));
        p.height =
            field(m, "height").and_then(|v| self.quantity(v, "patient.height", Kind::Height));
        p.ecog = field(m, "ecog").and_then(|v| match v.as_f64() {
            Some(e) if (0.0..=4.0).contains(&e) && e.fract() == 0.0 => Some(e as u8),
            _ => {
                self.err(
                    "patient.ecog",
                    format!(
                        "{v} is not an ECOG performance status (accepted: whole numbers 0 to 4)"
                    ),
                );
                None
            }
        });
        if let Some(list) =
            field(m, "comorbidities").and_then(|v| self.list(v, "patient.comorbidities"))
        {
            for (i, item) in list.iter().enumerate() {
                if let Some(s) = self.string(item, &format!("patient.comorbidities[{i}]")) {
                    p.comorbidities.push(s);
                }
            }
        }
        p.unfit_for = self.modalities(field(m, "unfit_for"), "patient.unfit_for");
        if let (Some(w), Some(h)) = (p.weight, p.height) {
            let bmi = w.canonical / (h.canonical / 100.0).powi(2);
            if !(10.0..=100.0).contains(&bmi) {
                self.err(
                    "patient.weight.value",
                    format!(
                        "{} {} with height {} {} gives a BMI of {bmi:.1} kg/m2, outside 10 to 100: check weight, height and their units",
                        w.value, w.unit, h.value, h.unit
                    ),
                );
            }
        }
        Some(p)
    }

    fn labs(&mut self, v: &Value) -> Option<Labs> {
        let m = self.object(
            v,
            "labs",
            &["creatinine", "total_bilirubin", "lvef_percent"],
        )?;
        let mut l = Labs::default();
        l.creatinine = field(m, "creatinine")
            .and_then(|v| self.quantity(v, "labs.creatinine", Kind::Creatinine));
        l.total_bilirubin = field(m, "total_bilirubin")
            .and_then(|v| self.quantity(v, "labs.total_bilirubin", Kind::Bilirubin));
        l.lvef_percent =
            field(m, "lvef_percent").and_then(|v| self.percent(v, "labs.lvef_percent", 5.0, 90.0));
        Some(l)
    }

    fn diagnosis(&mut self, v: &Value, as_of: Option<Date>) -> Option<Diagnosis> {
        let m = self.object(
            v,
            "diagnosis",
            &["histology", "expert_review", "date", "dtc_component"],
        )?;
        let mut d = Diagnosis::default();
        d.histology = field(m, "histology").and_then(|v| {
            self.choice(
                v,
                "diagnosis.histology",
                &[
                    ("anaplastic", Histology::Anaplastic),
                    ("poorly_differentiated", Histology::PoorlyDifferentiated),
                    ("squamous_cell", Histology::SquamousCell),
                    ("other", Histology::Other),
                    ("uncertain", Histology::Uncertain),
                ],
            )
        });
        d.expert_review =
            field(m, "expert_review").and_then(|v| self.boolean(v, "diagnosis.expert_review"));
        d.date = field(m, "date").and_then(|v| self.date(v, "diagnosis.date"));
        self.not_after(d.date, as_of, "diagnosis.date");
        d.dtc_component =
            field(m, "dtc_component").and_then(|v| self.string(v, "diagnosis.dtc_component"));
        Some(d)
    }

    fn not_after(&mut self, date: Option<Date>, as_of: Option<Date>, path: &str) {
        if let (Some(d), Some(a)) = (date, as_of)
            && d > a
        {
            self.err(
                path,
                format!(
                    "{d} is after the decision date as_of {a}; no event may be later than as_of"
                ),
            );
        }
    }

    fn tumor(&mut self, v: &Value) -> Option<Tumor> {
        const KEYS: [&str; 9] = [
            "t",
            "n",
            "m",
            "largest_dimension_mm",
            "invasion",
            "metastatic_sites",
            "resectability",
            "airway_compromise",
            "stage_group",
        ];
        let m = self.object(v, "tumor", &KEYS)?;
        let mut t = Tumor::default();
        let ts: Vec<(&str, T)> = T::ALL.iter().map(|c| (c.as_str(), *c)).collect();
        let ns: Vec<(&str, N)> = N::ALL.iter().map(|c| (c.as_str(), *c)).collect();
        let ms: Vec<(&str, M)> = M::ALL.iter().map(|c| (c.as_str(), *c)).collect();
        t.t = field(m, "t").and_then(|v| self.choice(v, "tumor.t", &ts));
        t.n = field(m, "n").and_then(|v| self.choice(v, "tumor.n", &ns));
        t.m = field(m, "m").and_then(|v| self.choice(v, "tumor.m", &ms));
        t.largest_dimension_mm = field(m, "largest_dimension_mm").and_then(|v| {
            let x = v.as_f64();
            if let Some(x) = x.filter(|x| *x > 300.0 && *x <= 3000.0) {
                self.err("tumor.largest_dimension_mm", format!("{x} mm is implausible for a thyroid primary (accepted: over 0 to 300 mm); was it written in tenths of a millimetre?"));
                return None;
            }
            if x == Some(0.0) {
                self.err("tumor.largest_dimension_mm", "must be greater than 0 mm (omit the field when unknown)");
                return None;
            }
            // No primary that is staged is under 1 mm; a value below it looks like centimetres.
            if let Some(x) = x.filter(|x| *x > 0.0 && *x < 1.0) {
                self.err("tumor.largest_dimension_mm", format!("{x} mm is implausible for a thyroid primary (accepted: 1 to 300 mm); was it written in centimetres ({} mm)?", x * 10.0));
                return None;
            }
            self.number(v, "tumor.largest_dimension_mm", 0.0, 300.0, " mm")
        });
        use Invasion::*;
        t.invasion = field(m, "invasion").and_then(|v| {
            self.choices(
                v,
                "tumor.invasion",
                &[
                    ("strap_muscles", StrapMuscles),
                    ("subcutaneous_soft_tissue", SubcutaneousSoftTissue),
                    ("larynx", Larynx),
                    ("trachea", Trachea),
                    ("esophagus", Esophagus),
                    ("recurrent_laryngeal_nerve", RecurrentLaryngealNerve),
                    ("prevertebral_fascia", PrevertebralFascia),
                    ("carotid_artery", CarotidArtery),
                    ("mediastinal_vessels", MediastinalVessels),
                ],
            )
        });
        // The same structure twice is a copy error, not more invasion.
        if let Some(Value::Array(items)) = field(m, "invasion") {
            for (i, item) in items.iter().enumerate() {
                if let Some(j) = items[..i].iter().position(|x| x == item) {
                    self.err(
                        format!("tumor.invasion[{i}]"),
                        format!("{item} is listed twice (also tumor.invasion[{j}])"),
                    );
                    t.invasion = None;
                }
            }
        }
        use MetastaticSite as S;
        t.metastatic_sites = field(m, "metastatic_sites").and_then(|v| {
            self.choices(
                v,
                "tumor.metastatic_sites",
                &[
                    ("lung", S::Lung),
                    ("bone", S::Bone),
                    ("liver", S::Liver),
                    ("brain", S::Brain),
                    ("distant_nodes", S::DistantNodes),
                    ("pleura", S::Pleura),
                    ("skin", S::Skin),
                    ("other", S::Other),
                ],
            )
        });
        t.resectability = field(m, "resectability").and_then(|v| {
            self.choice(
                v,
                "tumor.resectability",
                &[
                    ("resectable", Resectability::Resectable),
                    ("borderline", Resectability::Borderline),
                    ("unresectable", Resectability::Unresectable),
                    ("unknown", Resectability::Unknown),
                ],
            )
        });
        t.airway_compromise =
            field(m, "airway_compromise").and_then(|v| self.boolean(v, "tumor.airway_compromise"));
        let gs: Vec<(&str, StageGroup)> =
            StageGroup::ALL.iter().map(|g| (g.as_str(), *g)).collect();
        t.stage_group =
            field(m, "stage_group").and_then(|v| self.choice(v, "tumor.stage_group", &gs));

        // Contradictions.
        if t.m == Some(M::M0) && t.metastatic_sites.as_ref().is_some_and(|s| !s.is_empty()) {
            self.err("tumor.m", "M0 contradicts tumor.metastatic_sites, which lists distant metastases (use M1, or remove the sites)");
        }
        if let Some(tc) = t.t
            && let Err(why) = staging::check_t(tc, t.largest_dimension_mm, t.invasion.as_deref())
        {
            self.err("tumor.t", why);
        }
        let s = staging::stage(&t);
        if let (true, Some(derived), Some(recorded)) = (s.from_tnm, s.group, t.stage_group) {
            if derived != recorded {
                self.err(
                    "tumor.stage_group",
                    format!("recorded {recorded} disagrees with {derived} from {} (AJCC 8th); T, N and M decide", s.basis.join("; ")),
                );
            }
        } else if let Some(recorded) = t.stage_group {
            // T, N and M do not settle the group, but they may still rule the recorded one out.
            let possible = staging::possible_groups(s.t, s.n, s.m);
            if !possible.contains(&recorded) {
                let names: Vec<&str> = possible.iter().map(|g| g.as_str()).collect();
                self.err(
                    "tumor.stage_group",
                    format!(
                        "recorded {recorded} is impossible with {} (AJCC 8th allows {})",
                        s.basis.join("; "),
                        names.join(" or ")
                    ),
                );
            }
        }
        Some(t)
    }

    fn molecular(&mut self, v: &Value) -> Option<Molecular> {
        const KEYS: [&str; 9] = [
            "files",
            "resulted",
            "pending",
            "variants",
            "fusions",
            "pd_l1_tps_percent",
            "mmr",
            "msi",
            "tmb_mut_per_mb",
        ];
        let m = self.object(v, "molecular", &KEYS)?;
        let tests = [
            ("braf_v600e_ihc", TestId::BrafV600eIhc),
            ("braf_v600e_pcr", TestId::BrafV600ePcr),
            ("ngs_dna", TestId::NgsDna),
            ("ngs_rna", TestId::NgsRna),
            ("pd_l1_ihc", TestId::PdL1Ihc),
            ("mmr_ihc", TestId::MmrIhc),
            ("msi_pcr", TestId::MsiPcr),
            ("tmb", TestId::Tmb),
        ];
        let mut mo = Molecular::default();
        mo.resulted = field(m, "resulted")
            .and_then(|v| self.choices(v, "molecular.resulted", &tests))
            .unwrap_or_default();
        mo.pending = field(m, "pending")
            .and_then(|v| self.choices(v, "molecular.pending", &tests))
            .unwrap_or_default();
        for (i, t) in mo.pending.iter().enumerate() {
            if mo.resulted.contains(t) {
                self.err(
                    format!("molecular.pending[{i}]"),
                    "test is listed both as resulted and as pending; list it once",
                );
            }
        }
        if let Some(list) = field(m, "variants").and_then(|v| self.list(v, "molecular.variants")) {
            for (i, item) in list.iter().enumerate() {
                if let Some(var) = self.variant(item, &format!("molecular.variants[{i}]")) {
                    mo.variants.push(var);
                }
            }
        }
        if let Some(list) = field(m, "fusions").and_then(|v| self.list(v, "molecular.fusions")) {
            for (i, item) in list.iter().enumerate() {
                if let Some(f) = self.fusion(item, &format!("molecular.fusions[{i}]")) {
                    mo.fusions.push(f);
                }
            }
        }
        mo.pd_l1_tps_percent = field(m, "pd_l1_tps_percent")
            .and_then(|v| self.percent(v, "molecular.pd_l1_tps_percent", 0.0, 100.0));
        mo.mmr = field(m, "mmr").and_then(|v| {
            self.choice(
                v,
                "molecular.mmr",
                &[
                    ("proficient", Mmr::Proficient),
                    ("deficient", Mmr::Deficient),
                ],
            )
        });
        mo.msi = field(m, "msi").and_then(|v| {
            self.choice(
                v,
                "molecular.msi",
                &[("stable", Msi::Stable), ("high", Msi::High)],
            )
        });
        mo.tmb_mut_per_mb = field(m, "tmb_mut_per_mb")
            .and_then(|v| self.number(v, "molecular.tmb_mut_per_mb", 0.0, 1000.0, " mut/Mb"));
        if let Some(list) = field(m, "files").and_then(|v| self.list(v, "molecular.files")) {
            for (i, item) in list.iter().enumerate() {
                let path = format!("molecular.files[{i}]");
                if let Some(f) = self.file_ref(item, &path) {
                    mo.files.push(f);
                }
            }
        }
        Some(mo)
    }

    fn file_ref(&mut self, v: &Value, path: &str) -> Option<MolecularFileRef> {
        if v.is_string() {
            let p = self.string(v, path)?;
            return self.nonempty_path(p, path);
        }
        let m = self.object(v, path, &["path", "sample", "build", "covers"])?;
        let file = match field(m, "path") {
            Some(p) => self
                .string(p, &join(path, "path"))
                .and_then(|p| self.nonempty_path(p, &join(path, "path"))),
            None => {
                self.err(join(path, "path"), "required: the result file's path");
                None
            }
        };
        let sample = field(m, "sample").and_then(|v| self.string(v, &join(path, "sample")));
        let build = field(m, "build").and_then(|v| {
            self.choice(
                v,
                &join(path, "build"),
                &[("GRCh37", "GRCh37"), ("GRCh38", "GRCh38")],
            )
        });
        let covers = field(m, "covers").and_then(|v| self.covers(v, &join(path, "covers")));
        let mut f = file?;
        f.sample = sample;
        f.build = build.map(str::to_string);
        f.covers = covers;
        Some(f)
    }

    /// `covers` of a `molecular.files` entry: a non-empty list of gene symbols, or `["WES"]` /
    /// `["WGS"]` (`genomics::coverage::Coverage::from_statement`).
    fn covers(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
        let list = self.list(v, path)?;
        let mut out = Vec::new();
        for (i, g) in list.iter().enumerate() {
            out.push(self.string(g, &format!("{path}[{i}]"))?);
        }
        if let Err(e) = crate::genomics::coverage::Coverage::from_statement(self.kb, &out) {
            match e.item {
                Some(i) => self.err(format!("{path}[{i}]"), e.message),
                None => self.err(path, e.message),
            }
            return None;
        }
        Some(out)
    }

    fn nonempty_path(&mut self, p: String, path: &str) -> Option<MolecularFileRef> {
        if p.trim().is_empty() {
            self.err(path, "empty path");
            return None;
        }
        Some(MolecularFileRef {
            path: p,
            ..Default::default()
        })
    }

    fn gene(&mut self, v: &Value, path: &str) -> Option<String> {
        let s = self.string(v, path)?;
        match crate::genes::hgnc_symbol(self.kb, &s) {
            Ok(s) => Some(s),
            Err(m) => {
                self.err(path, m);
                None
            }
        }
    }

    fn variant(&mut self, v: &Value, path: &str) -> Option<Variant> {
        let m = self.object(v, path, &["gene", "hgvs_p", "hgvs_c"])?;
        let gene = match field(m, "gene") {
            Some(g) => self.gene(g, &join(path, "gene")),
            None => {
                self.err(join(path, "gene"), "required: the HGNC symbol of the gene");
                None
            }
        };
        let kb = self.kb;
        if let Some(g) = &gene {
            // A near miss of a gene the pathway reads (BRAF1, NRASS) is a typo, not a new gene.
            if !kb.known_genes().any(|k| k == g)
                && let Some(k) = kb
                    .known_genes()
                    .find(|k| k.len().abs_diff(g.len()) <= 1 && strsim::jaro_winkler(k, g) >= 0.9)
            {
                self.err(
                    join(path, "gene"),
                    format!("{g:?} is not a gene ATCPath knows; did you mean {k:?}?"),
                );
            }
        }
        let mut protein = field(m, "hgvs_p").and_then(|v| {
            let p = join(path, "hgvs_p");
            let s = self.string(v, &p)?;
            hgvs::parse_protein(&s).map_err(|e| self.err(&p, e.0)).ok()
        });
        let coding = field(m, "hgvs_c").and_then(|v| {
            let p = join(path, "hgvs_c");
            let s = self.string(v, &p)?;
            hgvs::parse_coding(&s).map_err(|e| self.err(&p, e.0)).ok()
        });
        let gene = gene?;
        let coding = coding.map(|c| crate::genomics::normalise_coding(kb, &gene, c));
        match crate::genomics::reconcile(kb, &gene, protein, coding.as_ref()) {
            Ok(p) => protein = p,
            Err(crate::genomics::Reconcile::WrongResidue(m)) => {
                self.err(join(path, "hgvs_p"), m);
                return None;
            }
            Err(crate::genomics::Reconcile::WrongBase(m)) => {
                self.err(join(path, "hgvs_c"), m);
                return None;
            }
            Err(crate::genomics::Reconcile::Disagree(m)) => {
                self.err(path, m.replace("the protein change says", "hgvs_p says"));
                return None;
            }
        }
        Some(Variant {
            gene,
            protein,
            coding,
            source: None,
        })
    }

    fn fusion(&mut self, v: &Value, path: &str) -> Option<Fusion> {
        let m = self.object(v, path, &["five_prime", "three_prime"])?;
        let mut genes = Vec::new();
        for end in ["five_prime", "three_prime"] {
            let p = join(path, end);
            match field(m, end) {
                Some(g) => {
                    if let Some(g) = self.gene(g, &p) {
                        if self.kb.is_known_gene(&g) {
                            genes.push(g);
                        } else {
                            self.err(&p, format!("{g:?} is not a gene ATCPath recognises in fusions (known drivers: {}); check the symbol", self.kb.genes.fusion_drivers.join(", ")));
                        }
                    }
                }
                None => self.err(&p, "required: the HGNC symbol of the fusion partner"),
            }
        }
        let [five, three]: [String; 2] = genes.try_into().ok()?;
        let driver = |g: &str| self.kb.genes.fusion_drivers.iter().any(|d| d == g);
        if driver(&five) && !driver(&three) {
            self.err(
                path,
                format!("{five} is the 5' partner of {three}: actionable {five} fusions keep the {five} kinase at the 3' end (e.g. {three}-{five}); check the orientation"),
            );
            return None;
        }
        if five == three {
            self.err(
                path,
                format!("{five}-{three} is an intragenic event, not a fusion"),
            );
            return None;
        }
        Some(Fusion {
            five_prime: five,
            three_prime: three,
            source: None,
        })
    }

    fn treatments(&mut self, v: &Value, as_of: Option<Date>) -> Vec<Treatment> {
        let mut out = Vec::new();
        let Some(list) = self.list(v, "treatments") else {
            return out;
        };
        for (i, item) in list.iter().enumerate() {
            let path = format!("treatments[{i}]");
            let Some(m) = self.object(item, &path, &["drug", "start", "end", "cumulative_dose"])
            else {
                continue;
            };
            let drug = match field(m, "drug") {
                Some(d) => self.string(d, &join(&path, "drug")).and_then(|given| {
                    if let Err(e) = crate::genes::check_drug_chars(&given) {
                        self.err(join(&path, "drug"), e);
                        return None;
                    }
                    match self.kb.generic_drug(&given) {
                    Ok(generic) => Some((generic, Some(given))),
                    Err(Some(near)) => {
                        self.err(join(&path, "drug"), format!("{given:?} is not a drug name ATCPath knows; did you mean {near:?}? (write the generic name)"));
                        None
                    }
                    Err(None) => {
                        let named = self.kb.drug_mentions(&given);
                        if named.is_empty() {
                            // An unknown drug is kept as written: the safety checks cannot
                            // recognise it.
                            Some((given.trim().to_lowercase(), None))
                        } else {
                            self.err(join(&path, "drug"), format!("{given:?} names {} among other words (a combination or unparsed text): write one treatment per drug, with its generic name", named.join(" and ")));
                            None
                        }
                    }
                }}),
                None => {
                    self.err(join(&path, "drug"), "required: the generic drug name");
                    None
                }
            };
            let start = field(m, "start").and_then(|v| self.date(v, &join(&path, "start")));
            let end = field(m, "end").and_then(|v| self.date(v, &join(&path, "end")));
            self.not_after(start, as_of, &join(&path, "start"));
            self.not_after(end, as_of, &join(&path, "end"));
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                self.err(join(&path, "end"), format!("{e} is before start {s}"));
            }
            let cumulative_dose = field(m, "cumulative_dose").and_then(|v| {
                let p = join(&path, "cumulative_dose");
                let cm = self.object(v, &p, &["value", "unit"])?;
                let unit = match field(cm, "unit") {
                    Some(u) => self.choice(
                        u,
                        &join(&p, "unit"),
                        &[("mg/m2", DoseUnit::MgPerM2), ("mg", DoseUnit::Mg)],
                    ),
                    None => {
                        self.err(join(&p, "unit"), "required (accepted: mg/m2, mg)");
                        None
                    }
                };
                let value = match field(cm, "value") {
                    Some(x) => self.number(x, &join(&p, "value"), 0.0, 100_000.0, ""),
                    None => {
                        self.err(join(&p, "value"), "required when the dose is given");
                        None
                    }
                };
                Some(CumulativeDose {
                    value: value?,
                    unit: unit?,
                })
            });
            if let (Some((d, _)), Some(c)) = (&drug, &cumulative_dose) {
                let per_m2 = c.unit == DoseUnit::MgPerM2;
                if per_m2
                    && self.kb.facts.drug_classes.anthracycline.contains(d)
                    && c.value > 1200.0
                {
                    self.err(
                        join(&path, "cumulative_dose.value"),
                        format!("{} mg/m2 of {d} is beyond any lifetime anthracycline exposure (about 450-550 mg/m2 is the usual limit): check the value", c.value),
                    );
                }
            }
            if let Some((drug, given)) = drug {
                let given_name = given.filter(|g| *g != drug);
                out.push(Treatment {
                    drug,
                    given_name,
                    start,
                    end,
                    cumulative_dose,
                });
            }
        }
        out
    }

    fn preferences(&mut self, v: &Value) -> Option<Preferences> {
        let m = self.object(
            v,
            "preferences",
            &["goals_of_care", "tracheostomy", "declines"],
        )?;
        let mut p = Preferences::default();
        p.goals_of_care = field(m, "goals_of_care").and_then(|v| {
            self.choice(
                v,
                "preferences.goals_of_care",
                &[
                    ("aggressive", Goals::Aggressive),
                    ("palliative", Goals::Palliative),
                    ("undecided", Goals::Undecided),
                ],
            )
        });
        p.tracheostomy = field(m, "tracheostomy").and_then(|v| {
            self.choice(
                v,
                "preferences.tracheostomy",
                &[
                    ("accept", Tracheostomy::Accept),
                    ("decline", Tracheostomy::Decline),
                    ("undecided", Tracheostomy::Undecided),
                ],
            )
        });
        p.declines = self.modalities(field(m, "declines"), "preferences.declines");
        Some(p)
    }

    fn events(&mut self, v: &Value, as_of: Option<Date>) -> Vec<Event> {
        let kinds: Vec<(&str, EventKind)> = EventKind::ALL.iter().map(|k| (k.id(), *k)).collect();
        let mut out = Vec::new();
        let Some(list) = self.list(v, "events") else {
            return out;
        };
        for (i, item) in list.iter().enumerate() {
            let path = format!("events[{i}]");
            let Some(m) = self.object(item, &path, &["kind", "date"]) else {
                continue;
            };
            let kind = match field(m, "kind") {
                Some(k) => self.choice(k, &join(&path, "kind"), &kinds),
                None => {
                    self.err(
                        join(&path, "kind"),
                        format!("required (accepted: {})", EventKind::accepted()),
                    );
                    None
                }
            };
            let date = match field(m, "date") {
                Some(d) => self.date(d, &join(&path, "date")),
                None => {
                    self.err(join(&path, "date"), "required (YYYY-MM-DD)");
                    None
                }
            };
            self.not_after(date, as_of, &join(&path, "date"));
            if let (Some(kind), Some(date)) = (kind, date) {
                out.push(Event { kind, date });
            }
        }
        // Each radiotherapy_end closes the latest radiotherapy_start before it (same day
        // allowed) that no earlier end has closed: a second course whose end precedes its own
        // start is refused, naming both events.
        let mut rt: Vec<(Date, bool, usize)> = out
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e.kind {
                EventKind::RadiotherapyStart => Some((e.date, false, i)),
                EventKind::RadiotherapyEnd => Some((e.date, true, i)),
                _ => None,
            })
            .collect();
        rt.sort();
        let mut open: Option<(Date, usize)> = None;
        let mut latest: Option<(Date, usize)> = None;
        for &(date, is_end, i) in &rt {
            if !is_end {
                open = Some((date, i));
                latest = Some((date, i));
                continue;
            }
            if open.take().is_some() {
                continue;
            }
            let msg = match latest {
                Some((sd, si)) => format!(
                    "radiotherapy_end {date} (events[{i}]) has no radiotherapy_start of its own: the latest start before it, {sd} (events[{si}]), is already ended; is a date wrong?"
                ),
                None => match rt.iter().find(|r| !r.1) {
                    Some((sd, _, si)) => format!(
                        "radiotherapy_end {date} (events[{i}]) is before radiotherapy_start {sd} (events[{si}])"
                    ),
                    None => continue,
                },
            };
            self.err(format!("events[{i}].date"), msg);
        }
        // A decision is assessed for a living patient: death on or before the decision date is
        // an input error (a registry record may hold it); any event after death is one too.
        if let Some((i, death)) = out
            .iter()
            .enumerate()
            .find(|(_, e)| e.kind == EventKind::Death)
            .map(|(i, e)| (i, e.date))
        {
            if self.purpose == Purpose::Decision {
                self.err(
                    format!("events[{i}]"),
                    format!("the patient died on {death}: a treatment decision is assessed at a date before death (use --as-of)"),
                );
            }
            for (k, e) in out.iter().enumerate() {
                if e.date > death && e.kind != EventKind::LastFollowUp {
                    self.err(
                        format!("events[{k}].date"),
                        format!("{} on {} is after death on {death}", e.kind, e.date),
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case_with(extra: &str) -> Vec<u8> {
        format!(r#"{{"schema": "atcpath.case/1", "id": "r", "as_of": "2024-06-01", {extra}}}"#)
            .into_bytes()
    }

    #[test]
    fn pd_l1_written_as_a_fraction_is_refused_naming_the_field() {
        let kb = Kb::embedded().unwrap();
        for v in ["0.6", "0.01", "1.0"] {
            let e = read_case(
                &case_with(&format!(r#""molecular": {{"pd_l1_tps_percent": {v}}}"#)),
                &kb,
                None,
            )
            .unwrap_err();
            assert!(
                e.iter().any(|p| p.path == "molecular.pd_l1_tps_percent"
                    && (p.message.contains("looks like a fraction")
                        || p.message.contains("ambiguous"))),
                "{v}: {e:?}"
            );
        }
    }

    #[test]
    fn pd_l1_0_and_1_percent_stay_enterable() {
        let kb = Kb::embedded().unwrap();
        for (v, want) in [
            ("0", 0.0),
            ("0.0", 0.0),
            ("1", 1.0),
            ("1.5", 1.5),
            ("60", 60.0),
        ] {
            let c = read_case(
                &case_with(&format!(r#""molecular": {{"pd_l1_tps_percent": {v}}}"#)),
                &kb,
                None,
            )
            .unwrap_or_else(|e| panic!("{v}: {e:?}"));
            assert_eq!(c.molecular.pd_l1_tps_percent, Some(want));
        }
    }

    #[test]
    fn tx_with_recorded_invasion_is_an_error() {
        let kb = Kb::embedded().unwrap();
        for (inv, t) in [("carotid_artery", "T4b"), ("trachea", "T4a")] {
            let e = read_case(
                &case_with(&format!(r#""tumor": {{"t": "TX", "invasion": ["{inv}"]}}"#)),
                &kb,
                None,
            )
            .unwrap_err();
            assert!(
                e.iter().any(|p| p.path == "tumor.t"
                    && p.message.contains("TX")
                    && p.message.contains(t)),
                "{e:?}"
            );
        }
        // TX with no invasion information stays accepted.
        assert!(read_case(&case_with(r#""tumor": {"t": "TX"}"#), &kb, None).is_ok());
    }

    #[test]
    fn two_deaths_are_an_error_naming_both() {
        let kb = Kb::embedded().unwrap();
        let e = read_record(
            &case_with(r#""events": [{"kind": "biopsy", "date": "2024-01-02"}, {"kind": "death", "date": "2024-03-01"}, {"kind": "mdt", "date": "2024-02-01"}, {"kind": "death", "date": "2024-04-01"}]"#),
            &kb,
            None,
        )
        .unwrap_err();
        assert!(
            e.iter().any(|p| p.path == "events[3]"
                && p.message.contains("events[1]")
                && p.message.contains("events[3]")),
            "{e:?}"
        );
    }

    #[test]
    fn treatment_after_death_is_an_error() {
        let kb = Kb::embedded().unwrap();
        let e = read_record(
            &case_with(r#""treatments": [{"drug": "paclitaxel", "start": "2024-05-01"}], "events": [{"kind": "death", "date": "2024-03-01"}]"#),
            &kb,
            None,
        )
        .unwrap_err();
        assert!(e.iter().any(|p| p.path == "treatments[0].start"), "{e:?}");
    }

    #[test]
    fn pathology_confirmed_before_the_biopsy_is_an_error() {
        let kb = Kb::embedded().unwrap();
        let text = case_with(
            r#""events": [{"kind": "biopsy", "date": "2024-02-10"}, {"kind": "pathology_confirmed", "date": "2024-02-01"}]"#,
        );
        let e = read_case(&text, &kb, None).unwrap_err();
        assert!(
            e.iter().any(|p| p.path == "events[1].date"
                && p.message.contains("events[0]")
                && p.message.contains("before the first biopsy")),
            "{e:?}"
        );
        // A surgical specimen before the confirmation is tissue too.
        let ok = case_with(
            r#""events": [{"kind": "surgery", "date": "2024-01-20"}, {"kind": "pathology_confirmed", "date": "2024-02-01"}, {"kind": "biopsy", "date": "2024-02-10"}]"#,
        );
        assert!(read_case(&ok, &kb, None).is_ok());
    }

    #[test]
    fn a_future_as_of_is_found_even_in_an_invalid_case() {
        let today: Date = "2024-06-01".parse().unwrap();
        let text = br#"{"as_of": "2999-01-01", "patient": {"age_years": "x"}}"#;
        let p = as_of_after_today(text, None, today).unwrap();
        assert_eq!(p.path, "as_of");
        assert!(p.message.contains("2999-01-01 is after today"), "{p}");
        // The override decides; a past or unreadable date is no problem.
        assert!(as_of_after_today(text, Some(today), today).is_none());
        assert!(as_of_after_today(br#"{"as_of": "2024-01-01"}"#, None, today).is_none());
        assert!(as_of_after_today(b"{not json", None, today).is_none());
    }

    #[test]
    fn a_date_before_birth_is_an_error() {
        let kb = Kb::embedded().unwrap();
        // Aged 30 on 2024-06-01: born after 1993-06-01.
        let e = read_case(
            &case_with(r#""patient": {"age_years": 30}, "diagnosis": {"date": "1990-01-01"}, "events": [{"kind": "biopsy", "date": "1993-05-01"}]"#),
            &kb,
            None,
        )
        .unwrap_err();
        assert!(
            e.iter()
                .any(|p| p.path == "diagnosis.date"
                    && p.message.contains("before the patient's birth")),
            "{e:?}"
        );
        assert!(e.iter().any(|p| p.path == "events[0].date"), "{e:?}");
        let ok = case_with(r#""patient": {"age_years": 30}, "diagnosis": {"date": "1993-06-02"}"#);
        assert!(read_case(&ok, &kb, None).is_ok());
    }

    #[test]
    fn death_before_diagnosis_is_an_error() {
        let kb = Kb::embedded().unwrap();
        let text = br#"{"schema": "atcpath.case/1", "id": "r", "as_of": "2024-06-01",
            "diagnosis": {"date": "2024-03-01"},
            "events": [{"kind": "death", "date": "2024-02-01"}]}"#;
        let e = read_record(text, &kb, None).unwrap_err();
        assert!(
            e.iter()
                .any(|p| p.path == "events[0].date" && p.message.contains("before the diagnosis")),
            "{e:?}"
        );
        let ok = br#"{"schema": "atcpath.case/1", "id": "r", "as_of": "2024-06-01",
            "diagnosis": {"date": "2024-03-01"},
            "events": [{"kind": "death", "date": "2024-03-01"}]}"#;
        assert!(read_record(ok, &kb, None).is_ok());
    }

    #[test]
    fn a_record_may_end_in_death_a_decision_may_not() {
        let kb = Kb::embedded().unwrap();
        let text = br#"{"schema": "atcpath.case/1", "id": "r", "as_of": "2024-06-01",
            "events": [{"kind": "biopsy", "date": "2024-01-02"}, {"kind": "death", "date": "2024-05-01"}]}"#;
        let e = read_case(text, &kb, None).unwrap_err();
        assert!(e.iter().any(|p| p.message.contains("died on 2024-05-01")));
        let c = read_record(text, &kb, None).unwrap();
        assert_eq!(
            c.death().map(|d| d.to_string()).as_deref(),
            Some("2024-05-01")
        );
        // An event after death stays an error in a record too.
        let after = br#"{"schema": "atcpath.case/1", "id": "r", "as_of": "2024-06-01",
            "events": [{"kind": "death", "date": "2024-05-01"}, {"kind": "mdt", "date": "2024-05-20"}]}"#;
        let e = read_record(after, &kb, None).unwrap_err();
        assert!(e.iter().any(|p| p.path == "events[1].date"), "{e:?}");
    }
}
