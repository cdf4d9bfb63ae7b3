//! The REDCap data dictionary: REDCap's import rules, and no drift from the case reader (every
//! choice of a field that maps to a case-file path is a value the reader accepts there, and a
//! value outside the choices is refused there).

use std::collections::{BTreeMap, BTreeSet};

use atcpath_core::case::read_case;
use atcpath_kb::Kb;
use atcpath_registry::dictionary::{
    self, FIELD_TYPES, HEADER, SPECS, VALIDATION_TYPES, Vocab, code, values,
};
use serde_json::{Value, json};

fn csv_rows() -> Vec<Vec<String>> {
    let mut buf = Vec::new();
    let n = dictionary::write_csv(&mut buf).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(buf.as_slice());
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), n + 1);
    rows
}

#[test]
fn follows_redcap_rules() {
    let rows = csv_rows();
    assert_eq!(
        rows[0],
        HEADER.map(str::to_string).to_vec(),
        "REDCap's 18 columns in order"
    );
    let fields = &rows[1..];
    assert_eq!(
        fields[0][0], "record_id",
        "the first field is the record id"
    );
    let names: BTreeSet<&str> = fields.iter().map(|f| f[0].as_str()).collect();
    assert_eq!(names.len(), fields.len(), "variable names are unique");
    let snake = |s: &str| {
        let b = s.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
    };
    let mut forms_seen: Vec<&str> = Vec::new();
    for f in fields {
        assert_eq!(f.len(), 18);
        let (name, form, ftype, label, choices) = (&f[0], &f[1], &f[3], &f[4], &f[5]);
        let (validation, min, max) = (&f[7], &f[8], &f[9]);
        assert!(
            snake(name) && name.len() <= 100,
            "{name}: ^[a-z][a-z0-9_]*$, at most 100"
        );
        assert!(!name.ends_with('_') && !name.contains("__"), "{name}");
        assert!(snake(form), "{name}: form {form}");
        // Fields of one instrument are contiguous.
        if forms_seen.last() != Some(&form.as_str()) {
            assert!(!forms_seen.contains(&form.as_str()), "{form} split");
            forms_seen.push(form);
        }
        assert!(
            FIELD_TYPES.contains(&ftype.as_str()),
            "{name}: type {ftype}"
        );
        assert!(!label.is_empty(), "{name}: label");
        let coded = ["dropdown", "radio", "checkbox"].contains(&ftype.as_str());
        if coded {
            assert!(!choices.is_empty(), "{name}: a {ftype} has choices");
            let codes: Vec<&str> = choices
                .split(" | ")
                .map(|c| {
                    c.split_once(", ")
                        .unwrap_or_else(|| panic!("{name}: {c}"))
                        .0
                })
                .collect();
            let unique: BTreeSet<&&str> = codes.iter().collect();
            assert_eq!(unique.len(), codes.len(), "{name}: choice codes unique");
            for c in &codes {
                assert!(
                    !c.is_empty() && c.chars().all(|x| x.is_ascii_alphanumeric() || x == '_'),
                    "{name}: choice code {c:?}"
                );
            }
        } else {
            assert!(choices.is_empty(), "{name}: choices on a {ftype}");
        }
        if !validation.is_empty() {
            assert_eq!(ftype, "text", "{name}: validation on text fields only");
            assert!(
                VALIDATION_TYPES.contains(&validation.as_str()),
                "{name}: {validation}"
            );
        }
        for bound in [min, max] {
            if !bound.is_empty() {
                assert!(
                    ["number", "integer"].contains(&validation.as_str()),
                    "{name}"
                );
                assert!(bound.parse::<f64>().is_ok(), "{name}: bound {bound}");
            }
        }
        if let (Ok(lo), Ok(hi)) = (min.parse::<f64>(), max.parse::<f64>()) {
            assert!(lo <= hi, "{name}");
        }
        assert!(["", "y"].contains(&f[10].as_str()), "{name}: Identifier?");
        assert!(
            ["", "y"].contains(&f[12].as_str()),
            "{name}: Required Field?"
        );
        // Branching logic names existing fields only.
        for part in f[11].split('[').skip(1) {
            let field = part.split(']').next().unwrap_or("");
            assert!(
                names.contains(field),
                "{name}: branching on unknown {field}"
            );
        }
        if name.contains("date")
            || name == "as_of"
            || name.ends_with("_start")
            || name.ends_with("_end")
        {
            assert_eq!(validation, "date_ymd", "{name}: dates are date_ymd");
        }
    }
    assert_eq!(
        forms_seen,
        [
            "demographics",
            "diagnosis_staging",
            "molecular",
            "molecular_alterations",
            "treatment",
            "events",
            "outcomes"
        ]
    );
    let ids: Vec<&str> = fields
        .iter()
        .filter(|f| f[10] == "y")
        .map(|f| f[0].as_str())
        .collect();
    assert_eq!(ids, ["hospital_number"]);
}

/// A minimal case with `value` at `path` (`a.b`, `list[].field`), plus what the reader needs
/// around it.
fn case_with(path: &str, value: Value) -> Value {
    fn put(obj: &mut serde_json::Map<String, Value>, parts: &[&str], value: Value) {
        let Some((first, rest)) = parts.split_first() else {
            return;
        };
        if rest.is_empty() {
            obj.insert((*first).to_string(), value);
            return;
        }
        if let Some(list) = first.strip_suffix("[]") {
            let mut item = serde_json::Map::new();
            match list {
                "events" => {
                    item.insert("date".into(), json!("2024-01-01"));
                }
                "treatments" => {
                    item.insert("drug".into(), json!("doxorubicin"));
                }
                "variants" => {
                    item.insert("gene".into(), json!("BRAF"));
                }
                _ => {}
            }
            put(&mut item, rest, value);
            obj.insert(list.to_string(), Value::Array(vec![Value::Object(item)]));
            return;
        }
        let entry = obj
            .entry((*first).to_string())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(m) = entry {
            if *first == "cumulative_dose" {
                m.insert("value".into(), json!(100));
            }
            put(m, rest, value);
        }
    }
    let mut case =
        json!({"schema": "atcpath.case/1", "id": "dictionary-check", "as_of": "2024-06-01"})
            .as_object()
            .cloned()
            .unwrap();
    let parts: Vec<&str> = path.split('.').collect();
    put(&mut case, &parts, value);
    Value::Object(case)
}

/// The reader's problems at the field `path` names (other problems, such as a death before
/// the decision date, are not about the value).
fn refused_at(kb: &Kb, case: &Value, path: &str) -> Option<String> {
    let bytes = serde_json::to_vec(case).unwrap();
    let last = path.rsplit('.').next().unwrap_or(path);
    match read_case(&bytes, kb, None) {
        Ok(_) => None,
        Err(problems) => {
            let mine: Vec<String> = problems
                .iter()
                .filter(|p| p.path.contains(last))
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect();
            (!mine.is_empty()).then(|| mine.join("; "))
        }
    }
}

#[test]
fn choices_are_the_case_readers_vocabulary() {
    let kb = Kb::embedded().unwrap();
    let mut checked = BTreeMap::new();
    for spec in SPECS {
        let (Some(path), vocab) = (spec.case_path, spec.vocab) else {
            continue;
        };
        if vocab == Vocab::None || matches!(vocab, Vocab::Unit(_)) {
            // Units: the choices are the reader's own unit table (units::Kind::accepted_units);
            // a value is accepted only with a plausible number, checked in core.
            continue;
        }
        let list = spec.field_type == "checkbox";
        let wrap = |v: Value| if list { Value::Array(vec![v]) } else { v };
        let vals = values(vocab);
        assert!(!vals.is_empty(), "{}", spec.name);
        for v in &vals {
            let value = if vocab == Vocab::Ecog {
                json!(v.parse::<u8>().unwrap())
            } else {
                json!(v)
            };
            let case = case_with(path, wrap(value));
            if let Some(p) = refused_at(&kb, &case, path) {
                panic!("{}: the reader refuses {v:?} at {path}: {p}", spec.name);
            }
            // The REDCap code is the value itself wherever the value is a valid code.
            if v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                assert_eq!(&code(v), v);
            }
        }
        let bogus = if vocab == Vocab::Ecog {
            json!(7)
        } else {
            json!("not_a_value_zz")
        };
        assert!(
            refused_at(&kb, &case_with(path, wrap(bogus)), path).is_some(),
            "{}: {path} is not checked by the reader (wrong path?)",
            spec.name
        );
        checked.insert(spec.name, vals.len());
    }
    // Every coded case field was checked.
    for name in [
        "sex",
        "ecog",
        "unfit_for",
        "goals_of_care",
        "tracheostomy",
        "declines",
        "histology",
        "t_category",
        "n_category",
        "m_category",
        "invasion",
        "metastatic_sites",
        "resectability",
        "stage_group",
        "tests_resulted",
        "tests_pending",
        "mmr",
        "msi",
        "cumulative_dose_unit",
        "event_kind",
    ] {
        assert!(checked.contains_key(name), "{name} not checked");
    }
    assert_eq!(checked["event_kind"], atcpath_kb::EventKind::ALL.len());
}

#[test]
fn unit_choices_are_the_readers_units() {
    use atcpath_core::units::{Kind, quantity};
    for (kind, probe) in [
        (Kind::Weight, [70.0, 70_000.0, 150.0]),
        (Kind::Height, [170.0, 1.7, 67.0]),
    ] {
        let units = values(Vocab::Unit(kind));
        assert_eq!(units.len(), 3);
        for (u, x) in units.iter().zip(probe) {
            assert!(quantity(kind, x, u).is_ok(), "{u}");
        }
    }
    for kind in [Kind::Creatinine, Kind::Bilirubin] {
        let units = values(Vocab::Unit(kind));
        assert_eq!(units, ["mg/dL", "umol/L"]);
        assert_eq!(code("mg/dL"), "mg_dL");
    }
}
