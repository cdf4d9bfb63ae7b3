//! From a table of strings to survival data and a model matrix, as R's `Surv` and `model.matrix`
//! would build them: event codes 0/1, 1/2 (2 = event), TRUE/FALSE, cBioPortal `1:DECEASED` /
//! `0:LIVING`; missing values (empty, `NA`, `[Not Available]`) drop the row, counted and reported;
//! factors with treatment contrasts (one 0/1 column per non-reference level, named
//! `<column><level>`), the reference being the first level given or else the first in sorted
//! order, as R orders the levels of a character column; interactions `a:b`; strata.

use std::collections::BTreeMap;

/// A table read from CSV or TSV: a header and cells of text, stored in one buffer (a million-row
/// file is one allocation, not one per cell).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    text: String,
    /// End offset of each cell in `text`, row-major.
    ends: Vec<usize>,
}

impl Table {
    /// An empty table with these column names.
    pub fn new(header: Vec<String>) -> Table {
        Table {
            header,
            text: String::new(),
            ends: Vec::new(),
        }
    }
    /// Appends a row; it must have one cell per column.
    pub fn push_row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        for c in cells {
            self.text.push_str(c.trim());
            self.ends.push(self.text.len());
        }
    }
    /// Number of rows.
    pub fn nrows(&self) -> usize {
        if self.header.is_empty() {
            0
        } else {
            self.ends.len() / self.header.len()
        }
    }
    /// The trimmed text of a cell.
    pub fn cell(&self, row: usize, col: usize) -> &str {
        let k = row * self.header.len() + col;
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }
}

pub use crate::cells::is_missing;

/// What to build.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub time: String,
    pub event: String,
    /// The event code when it is not one of the standard codings.
    pub event_value: Option<String>,
    /// Terms: column names or interactions `a:b`.
    pub covariates: Vec<String>,
    /// Columns to treat as factors even when numeric.
    pub factors: Vec<String>,
    /// Level order per factor; the first is the reference.
    pub levels: BTreeMap<String, Vec<String>>,
    pub strata: Option<String>,
    pub group: Option<String>,
}

/// Built data.
#[derive(Debug, Clone, Default)]
pub struct Design {
    pub time: Vec<f64>,
    pub event: Vec<bool>,
    /// Row-major model matrix.
    pub x: Vec<Vec<f64>>,
    pub terms: Vec<String>,
    pub strata: Option<Vec<usize>>,
    pub strata_names: Vec<String>,
    pub group: Option<Vec<usize>>,
    pub group_names: Vec<String>,
    /// 1-based data-row numbers dropped for a missing value in a used column.
    pub dropped_rows: Vec<usize>,
    /// Factor level orders used (reference first).
    pub levels: BTreeMap<String, Vec<String>>,
}

fn col(t: &Table, name: &str) -> Result<usize, String> {
    t.header.iter().position(|h| h == name).ok_or_else(|| {
        format!(
            "column {name:?} does not exist (columns: {})",
            t.header.join(", ")
        )
    })
}

/// How the event column is coded.
fn event_coder(values: &[&str], given: Option<&str>) -> Result<Box<dyn Fn(&str) -> bool>, String> {
    if let Some(v) = given {
        let v = v.to_string();
        return Ok(Box::new(move |s| s.trim() == v));
    }
    let mut distinct: Vec<String> = values.iter().map(|s| s.trim().to_string()).collect();
    distinct.sort();
    distinct.dedup();
    let all = |ok: &[&str]| distinct.iter().all(|d| ok.contains(&d.as_str()));
    if all(&["0", "1"]) {
        return Ok(Box::new(|s| s.trim() == "1"));
    }
    if all(&["1", "2"]) {
        return Ok(Box::new(|s| s.trim() == "2"));
    }
    let upper: Vec<String> = distinct.iter().map(|d| d.to_uppercase()).collect();
    if upper
        .iter()
        .all(|d| matches!(d.as_str(), "TRUE" | "FALSE" | "T" | "F"))
    {
        return Ok(Box::new(|s| {
            matches!(s.trim().to_uppercase().as_str(), "TRUE" | "T")
        }));
    }
    if distinct
        .iter()
        .all(|d| d.starts_with("0:") || d.starts_with("1:"))
    {
        return Ok(Box::new(|s| s.trim().starts_with("1:")));
    }
    Err(format!(
        "event codes {} are not recognised (accepted: 0/1, 1/2, TRUE/FALSE, 1:DECEASED/0:LIVING; or give --event-value)",
        distinct
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn sorted_levels(values: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = values.iter().map(|s| s.trim().to_string()).collect();
    // R orders the levels of a character column by collation, ignoring case first
    // (a, B, c), lower case before upper case when they differ only in case.
    v.sort_by(|a, b| {
        a.to_lowercase()
            .cmp(&b.to_lowercase())
            .then_with(|| b.cmp(a))
    });
    v.dedup();
    if v.iter().all(|x| x.parse::<f64>().is_ok()) {
        v.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
        });
    }
    v
}

impl Design {
    /// Fits a Cox model to the design with R's default controls.
    ///
    /// # Errors
    /// As [`super::cox::cox`]: a message naming the covariate for singular information or a
    /// monotone likelihood, no events, or too few rows.
    pub fn fit_cox(&self, ties: super::cox::Ties) -> Result<super::cox::CoxFit, String> {
        super::cox::cox(
            &self.time,
            &self.event,
            &self.x,
            &self.terms,
            self.strata.as_deref(),
            ties,
            super::cox::Control::default(),
        )
    }
}

/// Builds the data.
///
/// # Errors
/// A message naming the column for a missing column, a non-numeric or negative time, unknown
/// event codes, an unknown factor level, or no rows left.
pub fn build(t: &Table, spec: &Spec) -> Result<Design, String> {
    if t.header.is_empty() {
        return Err("the file is empty: expected a header row and data".into());
    }
    if let Some(d) = t
        .header
        .iter()
        .enumerate()
        .find(|(i, h)| t.header[..*i].contains(h))
        .map(|(_, h)| h)
    {
        return Err(format!("column {d:?} appears twice in the header"));
    }
    // R's term order: main effects as given, then interactions; within an interaction, the
    // variables in their order of first appearance; a:a is a.
    let mut covariates: Vec<String> = Vec::new();
    let appearance: Vec<String> = spec
        .covariates
        .iter()
        .flat_map(|t| t.split(':').map(|s| s.trim().to_string()))
        .collect();
    for pass_interactions in [false, true] {
        for term in &spec.covariates {
            let mut vars: Vec<String> = term.split(':').map(|s| s.trim().to_string()).collect();
            vars.sort_by_key(|v| appearance.iter().position(|a| a == v));
            vars.dedup();
            if (vars.len() > 1) == pass_interactions {
                let name = vars.join(":");
                if !covariates.contains(&name) {
                    covariates.push(name);
                }
            }
        }
    }
    let spec = &Spec {
        covariates,
        ..spec.clone()
    };
    let tc = col(t, &spec.time)?;
    let ec = col(t, &spec.event)?;
    let mut used = vec![tc, ec];
    let term_cols: Vec<Vec<usize>> = spec
        .covariates
        .iter()
        .map(|term| {
            term.split(':')
                .map(|c| col(t, c))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    for cs in &term_cols {
        used.extend(cs);
    }
    let sc = spec.strata.as_deref().map(|s| col(t, s)).transpose()?;
    let gc = spec.group.as_deref().map(|s| col(t, s)).transpose()?;
    used.extend(sc);
    used.extend(gc);
    let mut keep = Vec::new();
    let mut dropped_rows = Vec::new();
    for i in 0..t.nrows() {
        if used.iter().any(|c| is_missing(t.cell(i, *c))) {
            dropped_rows.push(i + 1);
        } else {
            keep.push(i);
        }
    }
    if keep.is_empty() {
        return Err("no rows left after dropping rows with missing values".into());
    }
    let cell = |i: usize, c: usize| t.cell(i, c);
    let mut time = Vec::with_capacity(keep.len());
    for &i in &keep {
        let v: f64 = cell(i, tc).parse().map_err(|_| {
            format!(
                "{}: row {}: time {:?} is not a number",
                spec.time,
                i + 1,
                cell(i, tc)
            )
        })?;
        if !v.is_finite() || v < 0.0 {
            return Err(format!(
                "{}: row {}: time {v} is negative or not finite",
                spec.time,
                i + 1
            ));
        }
        time.push(v);
    }
    let codes: Vec<&str> = keep.iter().map(|i| cell(*i, ec)).collect();
    let coder = event_coder(&codes, spec.event_value.as_deref())
        .map_err(|e| format!("{}: {e}", spec.event))?;
    if let Some(v) = spec.event_value.as_deref()
        && !codes.contains(&v)
    {
        let mut found: Vec<&str> = codes.clone();
        found.sort_unstable();
        found.dedup();
        return Err(format!(
            "{}: --event-value {v:?} is not among the codes found ({})",
            spec.event,
            found.iter().take(8).copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let event: Vec<bool> = codes.iter().map(|s| coder(s)).collect();

    // Numeric columns, parsed once (row-indexed by the kept rows' position).
    let mut numeric_cols: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for cs in &term_cols {
        for &c in cs {
            if numeric_cols.contains_key(&c) {
                continue;
            }
            let parsed: Option<Vec<f64>> = keep
                .iter()
                .map(|i| cell(*i, c).parse::<f64>().ok())
                .collect();
            if let Some(v) = parsed {
                numeric_cols.insert(c, v);
            }
        }
    }
    // Which columns are factors, and their levels.
    let mut levels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for cs in &term_cols {
        for &c in cs {
            let name = &t.header[c];
            let values: Vec<&str> = keep.iter().map(|i| cell(*i, c)).collect();
            let numeric = numeric_cols.contains_key(&c);
            // A column that is mostly numbers with a stray text value is a typo, not a factor.
            if !numeric && !spec.factors.contains(name) && !spec.levels.contains_key(name) {
                let parsed = values.iter().filter(|v| v.parse::<f64>().is_ok()).count();
                if parsed * 2 > values.len() {
                    let (k, bad) = values
                        .iter()
                        .enumerate()
                        .find(|(_, v)| v.parse::<f64>().is_err())
                        .unwrap_or((0, &""));
                    return Err(format!(
                        "{name}: row {}: {bad:?} is not a number (the column is otherwise numeric; use --factors {name} to treat it as categories)",
                        keep[k] + 1
                    ));
                }
            }
            if spec.factors.contains(name) || spec.levels.contains_key(name) || !numeric {
                let found = sorted_levels(&values);
                let lv = match spec.levels.get(name) {
                    Some(given) => {
                        if let Some(unknown) = found.iter().find(|f| !given.contains(f)) {
                            return Err(format!(
                                "{name}: level {unknown:?} is not among --levels {}",
                                given.join(",")
                            ));
                        }
                        given.clone()
                    }
                    None => found,
                };
                levels.insert(name.clone(), lv);
            }
        }
    }
    // Columns of each term.
    let mut terms = Vec::new();
    let mut builders: Vec<Box<dyn Fn(usize) -> f64 + '_>> = Vec::new();
    for cs in &term_cols {
        // Expand each factor of the term into its dummies; numeric columns stay single.
        let mut parts: Vec<Vec<(String, Box<dyn Fn(usize) -> f64 + '_>)>> = Vec::new();
        for &c in cs {
            let name = t.header[c].clone();
            match levels.get(&name) {
                Some(lv) => parts.push(
                    lv.iter()
                        .skip(1)
                        .map(|level| {
                            let level = level.clone();
                            let label = format!("{name}{level}");
                            let f: Box<dyn Fn(usize) -> f64> =
                                Box::new(move |i| if cell(i, c) == level { 1.0 } else { 0.0 });
                            (label, f)
                        })
                        .collect(),
                ),
                None => {
                    let f: Box<dyn Fn(usize) -> f64> =
                        Box::new(move |i| cell(i, c).parse().unwrap_or(f64::NAN));
                    parts.push(vec![(name, f)]);
                }
            }
        }
        // Cartesian product of the parts (an interaction multiplies them).
        let mut combos: Vec<(String, Vec<usize>)> = vec![(String::new(), Vec::new())];
        for part in &parts {
            let mut next = Vec::new();
            for (label, idxs) in &combos {
                for (k, (l, _)) in part.iter().enumerate() {
                    let lab = if label.is_empty() {
                        l.clone()
                    } else {
                        format!("{label}:{l}")
                    };
                    let mut v = idxs.clone();
                    v.push(k);
                    next.push((lab, v));
                }
            }
            combos = next;
        }
        let parts = std::rc::Rc::new(parts);
        for (label, idxs) in combos {
            terms.push(label);
            let parts = parts.clone();
            builders.push(Box::new(move |i| {
                idxs.iter()
                    .enumerate()
                    .map(|(pi, k)| (parts[pi][*k].1)(i))
                    .product()
            }));
        }
    }
    let x: Vec<Vec<f64>> = keep
        .iter()
        .map(|i| builders.iter().map(|b| b(*i)).collect())
        .collect();
    let index_of = |c: usize| -> (Vec<usize>, Vec<String>) {
        let values: Vec<&str> = keep.iter().map(|i| cell(*i, c)).collect();
        let names = sorted_levels(&values);
        (
            values
                .iter()
                .map(|v| names.iter().position(|n| n == v).unwrap_or(0))
                .collect(),
            names,
        )
    };
    let (strata, strata_names) = sc
        .map(index_of)
        .map_or((None, Vec::new()), |(a, b)| (Some(a), b));
    let (group, group_names) = gc
        .map(index_of)
        .map_or((None, Vec::new()), |(a, b)| (Some(a), b));
    Ok(Design {
        time,
        event,
        x,
        terms,
        strata,
        strata_names,
        group,
        group_names,
        dropped_rows,
        levels,
    })
}
