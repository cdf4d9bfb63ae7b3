//! A cBioPortal study, as read by `atcpath-formats`' readers, to one case file per patient:
//! pure mapping, no I/O. The adapter ([`super::read_study`]) reads the files into a
//! [`ParsedStudy`]; [`cases`] builds each patient's case JSON (`atcpath.case/1`, id =
//! `PATIENT_ID`), which the registry then validates whole like any imported case file.
//!
//! What is taken (column names as [`super::write`] writes them; other studies' spellings where
//! noted): `AGE`, `SEX` (male/female/other, any case, or M/F), `ECOG`, `HISTOLOGY` (else the
//! sample's `ONCOTREE_CODE` THAP/THPD), `AJCC_T`/`AJCC_N`/`AJCC_M`, `TUMOR_SIZE_MM`, `INVASION`,
//! `DISTANT_METASTASIS_SITES`, `RESECTABILITY`, the recorded stage group (else `AJCC_STAGE`
//! when it is IVA, IVB or IVC), TMB and MSI (the clinical reader's columns and words), `MMR_STATUS`,
//! `PD_L1_TPS`, the tests resulted and pending (else `ngs_dna` for a sample of the `_sequenced`
//! case list and `ngs_rna` for one of the `_sv` list), MAF variants (HGVSp/HGVSc), fusions, and,
//! when `ATCPATH_DIAGNOSIS_DATE` gives day 0, the timeline's events and treatments and the
//! death or last follow-up that `OS_STATUS`/`OS_MONTHS` give when the timeline lacks them.
//! Without that date nothing is dated: events, treatments and vital status are left absent, and
//! the patient is reported as undated.

use std::collections::{BTreeMap, BTreeSet};

use atcpath_core::case::{EventKind, Msi};
use jiff::civil::Date;
use serde_json::{Map, Value, json};

use super::{
    COL_DIAGNOSIS_DATE, COL_EVENT, COL_STAGE_RECORDED, COL_TESTS_PENDING, COL_TESTS_RESULTED,
    DAYS_PER_MONTH,
};

/// Where a row was read: file (as shown) and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Located {
    /// The file, as shown in messages.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}", self.file, self.line)
    }
}

/// Column name (upper case) → value (`None`: missing cell).
pub type Attrs = BTreeMap<String, Option<String>>;

/// A patient-file row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatientRow {
    /// Where.
    pub at: Located,
    /// Every column of the row.
    pub attrs: Attrs,
}

/// A sample-file row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SampleRow {
    /// `SAMPLE_ID`.
    pub id: String,
    /// `PATIENT_ID`.
    pub patient: String,
    /// Where.
    pub at: Located,
    /// Every column of the row.
    pub attrs: Attrs,
    /// TMB, mutations per megabase, as the clinical reader reads it.
    pub tmb: Option<f64>,
    /// MSI status, as the clinical reader reads it (status word, else MSIsensor score).
    pub msi: Option<Msi>,
    /// A TMB or MSI value the clinical reader refused (its message names line and column).
    pub biomarker_error: Option<String>,
}

/// A timeline row (any event type).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimelineRow {
    /// `PATIENT_ID`.
    pub patient: String,
    /// Where.
    pub at: Located,
    /// Every column of the row.
    pub attrs: Attrs,
}

/// A detected variant of a MAF row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FoundVariant {
    /// `Tumor_Sample_Barcode`.
    pub sample: String,
    /// `Hugo_Symbol`.
    pub gene: String,
    /// Normalised protein change (`p.Val600Glu`), when the row has one that parses.
    pub hgvs_p: Option<String>,
    /// Normalised coding change (`c.-124C>T`), when the row has one that parses.
    pub hgvs_c: Option<String>,
    /// Where.
    pub at: Located,
}

/// A fusion of an SV or fusion row (somatic, two different genes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FoundFusion {
    /// Sample id.
    pub sample: String,
    /// 5' partner.
    pub five_prime: String,
    /// 3' partner.
    pub three_prime: String,
    /// Where.
    pub at: Located,
}

/// What the adapter read from a study folder.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedStudy {
    /// `cancer_study_identifier` of `meta_study.txt`.
    pub study_id: Option<String>,
    /// Patient-file rows by `PATIENT_ID`.
    pub patients: BTreeMap<String, PatientRow>,
    /// Sample-file rows.
    pub samples: Vec<SampleRow>,
    /// Timeline rows of every timeline file.
    pub timeline: Vec<TimelineRow>,
    /// MAF rows kept (see [`super::read_study`]).
    pub variants: Vec<FoundVariant>,
    /// Fusions.
    pub fusions: Vec<FoundFusion>,
    /// Structural-variant rows naming one gene only (the partner is missing): whether the sample
    /// has a fusion cannot be told, so its patient is not imported. (sample, gene, where)
    pub one_sided: Vec<(String, String, Located)>,
    /// Samples of the `_sequenced` case list, when there is one.
    pub sequenced: Option<BTreeSet<String>>,
    /// Samples of the `_sv` case list, when there is one.
    pub sv: Option<BTreeSet<String>>,
    /// What reading left aside, one line each.
    pub notes: Vec<String>,
}

/// One patient's case, built.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// `PATIENT_ID`.
    pub id: String,
    /// The case JSON (pretty, final newline), or every problem found (each naming its file, line
    /// and column).
    pub result: Result<String, Vec<String>>,
    /// Events, treatments or vital status could not be dated (no `ATCPATH_DIAGNOSIS_DATE`):
    /// left absent.
    pub undated: bool,
}

fn get<'a>(a: &'a Attrs, name: &str) -> Option<&'a str> {
    a.get(name).and_then(|v| v.as_deref())
}

struct Ctx<'a> {
    problems: Vec<String>,
    at: &'a Located,
}

impl Ctx<'_> {
    fn number(&mut self, a: &Attrs, col: &str) -> Option<f64> {
        let v = get(a, col)?;
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                self.problems
                    .push(format!("{}: {col}: {v:?} is not a number", self.at));
                None
            }
        }
    }
}

fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn list_value(v: &str) -> Value {
    if v.eq_ignore_ascii_case("none") {
        return json!([]);
    }
    Value::Array(
        v.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| json!(s))
            .collect(),
    )
}

fn add_days(day0: Date, days: i64) -> Option<Date> {
    day0.checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()
}

/// The cases of every patient of the study (patients of the patient file, then of the sample
/// file), in `PATIENT_ID` order; `as_of` is each case's decision date.
pub fn cases(study: &ParsedStudy, as_of: Date) -> Vec<Built> {
    let mut ids: BTreeSet<&str> = study.patients.keys().map(String::as_str).collect();
    ids.extend(study.samples.iter().map(|s| s.patient.as_str()));
    ids.into_iter().map(|id| build(study, id, as_of)).collect()
}

fn build(study: &ParsedStudy, id: &str, as_of: Date) -> Built {
    let empty = PatientRow::default();
    let prow = study.patients.get(id).unwrap_or(&empty);
    let a = &prow.attrs;
    let mut cx = Ctx {
        problems: Vec::new(),
        at: &prow.at,
    };
    let mut undated = false;
    let day0 = get(a, COL_DIAGNOSIS_DATE).and_then(|v| match v.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            cx.problems.push(format!(
                "{}: {COL_DIAGNOSIS_DATE}: {v:?} is not a date (YYYY-MM-DD)",
                prow.at
            ));
            None
        }
    });

    let mut patient = Map::new();
    if let Some(x) = cx.number(a, "AGE") {
        patient.insert("age_years".into(), number_value(x));
    }
    if let Some(s) = get(a, "SEX").or_else(|| get(a, "GENDER")) {
        let v = match s.to_ascii_lowercase().as_str() {
            "male" | "m" => Some("male"),
            "female" | "f" => Some("female"),
            "other" => Some("other"),
            _ => None,
        };
        match v {
            Some(v) => {
                patient.insert("sex".into(), json!(v));
            }
            None => cx.problems.push(format!(
                "{}: SEX: {s:?} is not male, female or other",
                prow.at
            )),
        }
    }
    if let Some(x) = cx.number(a, "ECOG") {
        patient.insert("ecog".into(), number_value(x));
    }

    let samples: Vec<&SampleRow> = study.samples.iter().filter(|s| s.patient == id).collect();
    let sample_ids: BTreeSet<&str> = samples.iter().map(|s| s.id.as_str()).collect();

    let mut diagnosis = Map::new();
    let histology = get(a, "HISTOLOGY").map(str::to_string).or_else(|| {
        samples.iter().find_map(|s| {
            match get(&s.attrs, "ONCOTREE_CODE")
                .map(str::to_ascii_uppercase)?
                .as_str()
            {
                "THAP" => Some("anaplastic".to_string()),
                "THPD" => Some("poorly_differentiated".to_string()),
                _ => None,
            }
        })
    });
    if let Some(h) = histology {
        diagnosis.insert("histology".into(), json!(h));
    }
    if let Some(d) = day0 {
        diagnosis.insert("date".into(), json!(d.to_string()));
    }

    let mut tumor = Map::new();
    for (col, key) in [("AJCC_T", "t"), ("AJCC_N", "n"), ("AJCC_M", "m")] {
        if let Some(v) = get(a, col) {
            tumor.insert(key.into(), json!(v));
        }
    }
    if let Some(x) = cx.number(a, "TUMOR_SIZE_MM") {
        tumor.insert("largest_dimension_mm".into(), number_value(x));
    }
    if let Some(v) = get(a, "INVASION") {
        tumor.insert("invasion".into(), list_value(v));
    }
    if let Some(v) = get(a, "DISTANT_METASTASIS_SITES") {
        tumor.insert("metastatic_sites".into(), list_value(v));
    }
    if let Some(v) = get(a, "RESECTABILITY") {
        tumor.insert("resectability".into(), json!(v));
    }
    let stage = if a.contains_key(COL_STAGE_RECORDED) {
        get(a, COL_STAGE_RECORDED).map(str::to_string)
    } else {
        get(a, "AJCC_STAGE").and_then(|s| {
            let s = s.trim();
            let s = s
                .strip_prefix("Stage ")
                .or_else(|| s.strip_prefix("STAGE "))
                .unwrap_or(s)
                .to_ascii_uppercase();
            ["IVA", "IVB", "IVC"].contains(&s.as_str()).then_some(s)
        })
    };
    if let Some(s) = stage {
        tumor.insert("stage_group".into(), json!(s));
    }

    // Molecular results of the patient's samples.
    let mut molecular = Map::new();
    let mut resulted: Vec<String> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut one = |what: &str,
                   key: &str,
                   values: Vec<(Value, &Located)>,
                   problems: &mut Vec<String>| {
        let mut distinct: Vec<(Value, &Located)> = Vec::new();
        for (v, at) in values {
            if !distinct.iter().any(|(d, _)| *d == v) {
                distinct.push((v, at));
            }
        }
        match distinct.len() {
            0 => {}
            1 => {
                molecular.insert(key.into(), distinct.remove(0).0);
            }
            _ => problems.push(format!(
                "{what} differs between the patient's samples ({}): left unknown would hide a result, so the patient is not stored",
                distinct
                    .iter()
                    .map(|(v, at)| format!("{v} at {at}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    };
    let mut problems = std::mem::take(&mut cx.problems);
    for s in &samples {
        if let Some(e) = &s.biomarker_error {
            problems.push(format!("{}: {e}", s.at.file));
        }
    }
    one(
        "TMB",
        "tmb_mut_per_mb",
        samples
            .iter()
            .filter_map(|s| s.tmb.map(|t| (number_value(t), &s.at)))
            .collect(),
        &mut problems,
    );
    one(
        "MSI",
        "msi",
        samples
            .iter()
            .filter_map(|s| {
                s.msi.map(|m| {
                    (
                        json!(match m {
                            Msi::High => "high",
                            Msi::Stable => "stable",
                        }),
                        &s.at,
                    )
                })
            })
            .collect(),
        &mut problems,
    );
    let mut mmr = Vec::new();
    let mut pdl1 = Vec::new();
    for s in &samples {
        if let Some(v) = get(&s.attrs, "MMR_STATUS") {
            mmr.push((json!(v.to_ascii_lowercase()), &s.at));
        }
        let mut c = Ctx {
            problems: Vec::new(),
            at: &s.at,
        };
        if let Some(x) = c.number(&s.attrs, "PD_L1_TPS") {
            // Kept as written (1.0 stays a decimal): the case reader refuses a fraction-shaped
            // percentage, and `1.0` must not pass as the integer 1 (1 %).
            let integer =
                get(&s.attrs, "PD_L1_TPS").is_some_and(|t| t.trim().parse::<i64>().is_ok());
            pdl1.push((if integer { number_value(x) } else { json!(x) }, &s.at));
        }
        problems.extend(c.problems);
        for (col, out) in [
            (COL_TESTS_RESULTED, &mut resulted),
            (COL_TESTS_PENDING, &mut pending),
        ] {
            for t in get(&s.attrs, col).unwrap_or_default().split(';') {
                let t = t.trim();
                if !t.is_empty() && !out.iter().any(|x| x == t) {
                    out.push(t.to_string());
                }
            }
        }
        if !s.attrs.contains_key(COL_TESTS_RESULTED) {
            for (list, test) in [(&study.sequenced, "ngs_dna"), (&study.sv, "ngs_rna")] {
                if list.as_ref().is_some_and(|l| l.contains(&s.id))
                    && !resulted.iter().any(|x| x == test)
                {
                    resulted.push(test.to_string());
                }
            }
        }
    }
    one("MMR_STATUS", "mmr", mmr, &mut problems);
    one("PD_L1_TPS", "pd_l1_tps_percent", pdl1, &mut problems);
    if !resulted.is_empty() {
        molecular.insert("resulted".into(), json!(resulted));
    }
    if !pending.is_empty() {
        molecular.insert("pending".into(), json!(pending));
    }
    let mut variants: Vec<Value> = Vec::new();
    for v in study
        .variants
        .iter()
        .filter(|v| sample_ids.contains(v.sample.as_str()))
    {
        let mut o = Map::new();
        o.insert("gene".into(), json!(v.gene));
        if let Some(p) = &v.hgvs_p {
            o.insert("hgvs_p".into(), json!(p));
        }
        if let Some(c) = &v.hgvs_c {
            o.insert("hgvs_c".into(), json!(c));
        }
        let o = Value::Object(o);
        if !variants.contains(&o) {
            variants.push(o);
        }
    }
    if !variants.is_empty() {
        molecular.insert("variants".into(), Value::Array(variants));
    }
    let mut fusions: Vec<Value> = Vec::new();
    for f in study
        .fusions
        .iter()
        .filter(|f| sample_ids.contains(f.sample.as_str()))
    {
        let o = json!({"five_prime": f.five_prime, "three_prime": f.three_prime});
        if !fusions.contains(&o) {
            fusions.push(o);
        }
    }
    if !fusions.is_empty() {
        molecular.insert("fusions".into(), Value::Array(fusions));
    }
    for (_, gene, at) in study
        .one_sided
        .iter()
        .filter(|(sample, ..)| sample_ids.contains(sample.as_str()))
    {
        problems.push(format!(
            "{at}: a structural variant of {gene} without its partner gene: whether this sample has a {gene} fusion cannot be told (fill in the partner or remove the row)"
        ));
    }

    // Timeline and survival, dated from day 0.
    let mut events: Vec<(Date, EventKind)> = Vec::new();
    let mut treatments: Vec<Value> = Vec::new();
    let rows: Vec<&TimelineRow> = study.timeline.iter().filter(|r| r.patient == id).collect();
    let os_status = get(a, "OS_STATUS");
    match day0 {
        None => {
            let has_dated = rows
                .iter()
                .any(|r| get(&r.attrs, COL_EVENT).is_some() || get(&r.attrs, "AGENT").is_some());
            if has_dated || os_status.is_some() {
                undated = true;
            }
            // A death that cannot be dated would leave a dead patient looking alive (and
            // assessable): the patient is not stored.
            if os_status.is_some_and(|s| s.trim_start().starts_with('1')) {
                problems.push(format!(
                    "{}: OS_STATUS: {:?} without a diagnosis date ({COL_DIAGNOSIS_DATE}) to date the death: the patient would be stored as if alive",
                    prow.at,
                    os_status.unwrap_or_default()
                ));
            }
        }
        Some(day0) => {
            for r in &rows {
                let day = |col: &str, problems: &mut Vec<String>| -> Option<Date> {
                    let v = get(&r.attrs, col)?;
                    let d = v.parse::<i64>().ok().and_then(|n| add_days(day0, n));
                    if d.is_none() {
                        problems.push(format!(
                            "{}: {col}: {v:?} is not a whole number of days from diagnosis",
                            r.at
                        ));
                    }
                    d
                };
                if let Some(kind) = get(&r.attrs, COL_EVENT) {
                    let Some(k) = EventKind::from_id(kind) else {
                        problems.push(format!(
                            "{}: {COL_EVENT}: {kind:?} is not an event kind (accepted: {})",
                            r.at,
                            EventKind::accepted()
                        ));
                        continue;
                    };
                    match day("START_DATE", &mut problems) {
                        Some(d) => events.push((d, k)),
                        None if get(&r.attrs, "START_DATE").is_none() => problems.push(format!(
                            "{}: START_DATE: missing (every timeline row needs one)",
                            r.at
                        )),
                        None => {}
                    }
                } else if let Some(drug) = get(&r.attrs, "AGENT") {
                    let mut t = Map::new();
                    t.insert("drug".into(), json!(drug));
                    if let Some(d) = day("START_DATE", &mut problems) {
                        t.insert("start".into(), json!(d.to_string()));
                    }
                    if let Some(d) = day("STOP_DATE", &mut problems) {
                        t.insert("end".into(), json!(d.to_string()));
                    }
                    let mut c = Ctx {
                        problems: Vec::new(),
                        at: &r.at,
                    };
                    if let (Some(v), Some(u)) = (
                        c.number(&r.attrs, "CUMULATIVE_DOSE"),
                        get(&r.attrs, "CUMULATIVE_DOSE_UNIT"),
                    ) {
                        t.insert(
                            "cumulative_dose".into(),
                            json!({"value": number_value(v), "unit": u}),
                        );
                    }
                    problems.extend(c.problems);
                    treatments.push(Value::Object(t));
                }
            }
            // Vital status from OS_STATUS / OS_MONTHS when the timeline does not record it.
            let months = {
                let mut c = Ctx {
                    problems: Vec::new(),
                    at: &prow.at,
                };
                let m = c.number(a, "OS_MONTHS");
                problems.extend(c.problems);
                m
            };
            // OS_STATUS is `0:LIVING` or `1:DECEASED` (any case); anything else, a code that
            // contradicts its word, or a status that contradicts the timeline is an error.
            let derived = match os_status.map(|s| {
                let (code, word) = s.split_once(':').unwrap_or((s, ""));
                (code.trim(), word.trim().to_ascii_uppercase())
            }) {
                Some(("1", w)) if w == "DECEASED" => Some(EventKind::Death),
                Some(("0", w)) if w == "LIVING" => Some(EventKind::LastFollowUp),
                Some(_) => {
                    problems.push(format!(
                        "{}: OS_STATUS: {:?} is not 0:LIVING or 1:DECEASED",
                        prow.at,
                        os_status.unwrap_or_default()
                    ));
                    None
                }
                None => None,
            };
            let timeline_death = events.iter().any(|(_, e)| *e == EventKind::Death);
            if derived == Some(EventKind::LastFollowUp) && timeline_death {
                problems.push(format!(
                    "{}: OS_STATUS: 0:LIVING contradicts the death in the timeline",
                    prow.at
                ));
            }
            // OS_MONTHS: a survival time, 0 to 600 months (50 years).
            let months = months.and_then(|m| {
                if (0.0..=600.0).contains(&m) {
                    Some(m)
                } else {
                    problems.push(format!(
                        "{}: OS_MONTHS: {m} is not a survival time in months (0 to 600)",
                        prow.at
                    ));
                    None
                }
            });
            if let Some(k) = derived
                && !events.iter().any(|(_, e)| *e == k)
            {
                match months {
                    Some(m) => {
                        let days = (m * DAYS_PER_MONTH).round() as i64;
                        match add_days(day0, days) {
                            // A censoring date that a timeline event already shows (the
                            // date last known alive) adds nothing.
                            Some(d)
                                if k == EventKind::LastFollowUp
                                    && events.iter().any(|(e, _)| *e >= d) => {}
                            Some(d) => events.push((d, k)),
                            None => problems.push(format!(
                                "{}: OS_MONTHS: {m} months from the diagnosis date is not a date",
                                prow.at
                            )),
                        }
                    }
                    // A death without its time would leave the patient looking alive; a
                    // living status without its time adds nothing.
                    None if k == EventKind::Death && get(a, "OS_MONTHS").is_none() => {
                        problems.push(format!(
                            "{}: OS_STATUS: 1:DECEASED without OS_MONTHS (nor a death in the timeline) to date the death: the patient would be stored as if alive",
                            prow.at
                        ));
                    }
                    // Reported already (a bad OS_MONTHS), or nothing to add.
                    None => {}
                }
            }
        }
    }
    events.sort_by_key(|(d, _)| *d);

    let mut doc = Map::new();
    doc.insert("schema".into(), json!(atcpath_core::case::SCHEMA));
    doc.insert("id".into(), json!(id));
    doc.insert("as_of".into(), json!(as_of.to_string()));
    doc.insert(
        "source".into(),
        json!({"note": format!(
            "imported from cBioPortal study {}",
            study.study_id.as_deref().unwrap_or("(no meta_study.txt)")
        )}),
    );
    for (key, m) in [
        ("patient", patient),
        ("diagnosis", diagnosis),
        ("tumor", tumor),
        ("molecular", molecular),
    ] {
        if !m.is_empty() {
            doc.insert(key.into(), Value::Object(m));
        }
    }
    if !treatments.is_empty() {
        doc.insert("treatments".into(), Value::Array(treatments));
    }
    if !events.is_empty() {
        doc.insert(
            "events".into(),
            Value::Array(
                events
                    .iter()
                    .map(|(d, k)| json!({"kind": k.id(), "date": d.to_string()}))
                    .collect(),
            ),
        );
    }
    let result = if problems.is_empty() {
        serde_json::to_string_pretty(&Value::Object(doc))
            .map(|s| s + "\n")
            .map_err(|e| vec![format!("cannot write the case: {e}")])
    } else {
        Err(problems)
    };
    Built {
        id: id.to_string(),
        result,
        undated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, Option<&str>)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    fn at(line: usize) -> Located {
        Located {
            file: "data_clinical_patient.txt".into(),
            line,
        }
    }

    #[test]
    fn pd_l1_keeps_the_shape_it_was_written_in() {
        for (cell, want) in [("1", json!(1)), ("1.0", json!(1.0)), ("0.6", json!(0.6))] {
            let mut st = ParsedStudy::default();
            st.samples.push(SampleRow {
                at: at(2),
                id: "p1-T".into(),
                patient: "p1".into(),
                attrs: attrs(&[("PD_L1_TPS", Some(cell))]),
                tmb: None,
                msi: None,
                biomarker_error: None,
            });
            let b = &cases(&st, "2024-06-01".parse().unwrap())[0];
            let v: Value = serde_json::from_str(b.result.as_ref().unwrap()).unwrap();
            let got = &v["molecular"]["pd_l1_tps_percent"];
            assert_eq!(got, &want, "{cell}");
            assert_eq!(got.is_f64(), cell.contains('.'), "{cell}");
        }
    }

    #[test]
    fn dated_from_day_zero_and_os_fills_a_missing_death() {
        let mut st = ParsedStudy::default();
        st.patients.insert(
            "p1".into(),
            PatientRow {
                at: at(6),
                attrs: attrs(&[
                    ("AGE", Some("70")),
                    ("SEX", Some("Female")),
                    ("OS_STATUS", Some("1:DECEASED")),
                    ("OS_MONTHS", Some("4.63")),
                    (COL_DIAGNOSIS_DATE, Some("2024-01-10")),
                ]),
            },
        );
        st.timeline.push(TimelineRow {
            patient: "p1".into(),
            at: at(2),
            attrs: attrs(&[("START_DATE", Some("-2")), (COL_EVENT, Some("biopsy"))]),
        });
        let as_of: Date = "2024-06-01".parse().unwrap();
        let b = &cases(&st, as_of)[0];
        let v: Value = serde_json::from_str(b.result.as_ref().unwrap()).unwrap();
        assert_eq!(
            v["events"][0],
            json!({"kind": "biopsy", "date": "2024-01-08"})
        );
        // 4.63 months x 30.4375 = 140.9 -> day 141.
        assert_eq!(
            v["events"][1],
            json!({"kind": "death", "date": "2024-05-30"})
        );
        assert_eq!(v["patient"], json!({"age_years": 70, "sex": "female"}));
        assert!(!b.undated);
    }

    #[test]
    fn without_day_zero_nothing_is_dated_and_bad_values_name_their_cell() {
        let mut st = ParsedStudy::default();
        st.patients.insert(
            "p1".into(),
            PatientRow {
                at: at(7),
                attrs: attrs(&[("OS_STATUS", Some("0:LIVING")), ("AGE", None)]),
            },
        );
        st.patients.insert(
            "p2".into(),
            PatientRow {
                at: at(8),
                attrs: attrs(&[("AGE", Some("old"))]),
            },
        );
        let as_of: Date = "2024-06-01".parse().unwrap();
        let out = cases(&st, as_of);
        assert!(out[0].undated);
        let v: Value = serde_json::from_str(out[0].result.as_ref().unwrap()).unwrap();
        assert!(v.get("events").is_none() && v.get("patient").is_none());
        let problems = out[1].result.as_ref().unwrap_err();
        assert_eq!(
            problems[0],
            "data_clinical_patient.txt line 8: AGE: \"old\" is not a number"
        );
    }

    /// One patient dated from 2024-01-10 with these attributes (and a timeline death when
    /// `death_day` is given); the problems of its case, or none.
    fn problems_of(os: &[(&str, Option<&str>)], death_day: Option<&str>, sv: bool) -> Vec<String> {
        let mut st = ParsedStudy::default();
        let mut a = vec![(COL_DIAGNOSIS_DATE, Some("2024-01-10"))];
        a.extend_from_slice(os);
        st.patients.insert(
            "p1".into(),
            PatientRow {
                at: at(6),
                attrs: attrs(&a),
            },
        );
        st.samples.push(SampleRow {
            at: at(2),
            id: "p1-T".into(),
            patient: "p1".into(),
            attrs: attrs(&[]),
            tmb: None,
            msi: None,
            biomarker_error: None,
        });
        if let Some(day) = death_day {
            st.timeline.push(TimelineRow {
                patient: "p1".into(),
                at: at(3),
                attrs: attrs(&[("START_DATE", Some(day)), (COL_EVENT, Some("death"))]),
            });
        }
        if sv {
            st.one_sided.push(("p1-T".into(), "RET".into(), at(9)));
        }
        match &cases(&st, "2025-06-01".parse().unwrap())[0].result {
            Ok(_) => Vec::new(),
            Err(p) => p.clone(),
        }
    }

    #[test]
    fn survival_values_that_contradict_or_cannot_be_are_errors() {
        let ok = problems_of(
            &[
                ("OS_STATUS", Some("1:DECEASED")),
                ("OS_MONTHS", Some("4.63")),
            ],
            None,
            false,
        );
        assert!(ok.is_empty(), "{ok:?}");
        for (status, months, death, expect) in [
            ("1:LIVING", "4", None, "OS_STATUS"),
            ("0:DECEASED", "4", None, "OS_STATUS"),
            ("2:DEAD", "4", None, "OS_STATUS"),
            ("0:LIVING", "4", Some("100"), "contradicts the death"),
            ("1:DECEASED", "99999", None, "OS_MONTHS"),
            ("1:DECEASED", "-3", None, "OS_MONTHS"),
            ("1:DECEASED", "NaN", None, "OS_MONTHS"),
            // Missing (the reader turns NA, NaN and empty cells into absent).
            ("1:DECEASED", "", None, "as if alive"),
        ] {
            let months = Some(months).filter(|m| !m.is_empty());
            let p = problems_of(
                &[("OS_STATUS", Some(status)), ("OS_MONTHS", months)],
                death,
                false,
            );
            assert!(
                p.iter().any(|x| x.contains(expect)),
                "{status} {months:?} {death:?}: {p:?}"
            );
        }
    }

    #[test]
    fn an_undated_death_refuses_the_patient() {
        let mut st = ParsedStudy::default();
        st.patients.insert(
            "p1".into(),
            PatientRow {
                at: at(6),
                attrs: attrs(&[("OS_STATUS", Some("1:DECEASED")), ("OS_MONTHS", Some("4"))]),
            },
        );
        let b = &cases(&st, "2025-06-01".parse().unwrap())[0];
        let p = b.result.as_ref().unwrap_err();
        assert!(p[0].contains("would be stored as if alive"), "{p:?}");
    }

    #[test]
    fn a_structural_variant_without_its_partner_refuses_the_patient() {
        let p = problems_of(&[], None, true);
        assert!(
            p.iter().any(|x| x.contains("RET") && x.contains("partner")),
            "{p:?}"
        );
    }
}
