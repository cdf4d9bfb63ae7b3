//! Outcome analysis of a registry: overall survival (OS) from diagnosis by stage, era of
//! diagnosis and first treatment, Kaplan-Meier medians and one-year OS with 95% confidence
//! limits (log-log, as clinical survival reports give them), a log-rank test across the groups of
//! each grouping, beside the published benchmarks of the knowledge base (`benchmarks.toml`,
//! clinical-reference §7).
//!
//! Definitions (pure code; the registry stores each patient's [`SurvivalRecord`] with the case
//! version it came from):
//! - **time zero**: the diagnosis date (`diagnosis.date`), else the first `pathology_confirmed`
//!   event; a patient without either is not analysable (counted apart);
//! - **end**: the death date (an event), else the date last known alive (censored): the latest
//!   dated fact of the record, i.e. any timeline event, treatment start or end; a patient whose
//!   end precedes time zero is not analysable;
//! - **time unit**: days; medians are also given in months of 30.4375 days (365.25 / 12), and
//!   one-year OS is S(365.25 days);
//! - **stage**: the AJCC 8th stage group [`crate::staging::stage`] derives (IVA, IVB, IVC), else
//!   `unknown` (a provisional IVA/IVB counts as `unknown`);
//! - **era**: the calendar year of diagnosis in the knowledge base's eras (`facts.toml`
//!   `outcome_era`; MD Anderson's eras of review:14 among them);
//! - **first treatment**: the earliest treatment on or after the start of the ATC episode (the
//!   earliest of diagnosis date, first contact, biopsy and pathology confirmation), a drug of
//!   `treatments` or a surgery / radiotherapy / systemic start event, grouped by the knowledge
//!   base's `treatment_group` table (several on the same day: the first group listed wins); none
//!   recorded: `none_recorded`.

use atcpath_kb::{EventKind, Kb};
use jiff::civil::Date;
use serde::Serialize;

use crate::case::Case;
use crate::survival::{ConfType, kaplan_meier, log_rank, z_for};

/// Days per month used for months (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// One year in days.
pub const ONE_YEAR_DAYS: f64 = 365.25;

/// One patient's survival data, as stored per case version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurvivalRecord {
    /// Time zero; `None`: not analysable.
    pub diagnosis: Option<Date>,
    /// Death date or date last known alive.
    pub end: Option<Date>,
    /// Whether `end` is a death.
    pub died: bool,
    /// `IVA`, `IVB`, `IVC` or `unknown`.
    pub stage: String,
    /// A `treatment_group` id, or `none_recorded`.
    pub first_treatment: String,
    /// The first treatment's date.
    pub first_treatment_date: Option<Date>,
}

impl SurvivalRecord {
    /// Days from diagnosis to end; `None` when not analysable.
    pub fn days(&self) -> Option<i64> {
        let (d, e) = (self.diagnosis?, self.end?);
        let days = i64::from((e - d).get_days());
        (days >= 0).then_some(days)
    }
}

/// Time zero of OS: the diagnosis date, else the first `pathology_confirmed` event.
pub fn time_zero(case: &Case) -> Option<Date> {
    case.diagnosis.date.or_else(|| {
        case.events
            .iter()
            .filter(|e| e.kind == EventKind::PathologyConfirmed)
            .map(|e| e.date)
            .min()
    })
}

/// The end of OS follow-up and whether it is a death: the death date, else the date last known
/// alive (the latest dated event or treatment start/end); `(None, false)` when nothing is dated.
pub fn os_end(case: &Case) -> (Option<Date>, bool) {
    if let Some(d) = case.death() {
        return (Some(d), true);
    }
    let last_known = case
        .events
        .iter()
        .map(|e| e.date)
        .chain(
            case.treatments
                .iter()
                .flat_map(|t| [t.start, t.end])
                .flatten(),
        )
        .max();
    (last_known, false)
}

/// The survival record of a case (see the module documentation for each definition).
pub fn survival_record(case: &Case, kb: &Kb) -> SurvivalRecord {
    let first = |k: EventKind| {
        case.events
            .iter()
            .filter(|e| e.kind == k)
            .map(|e| e.date)
            .min()
    };
    let diagnosis = time_zero(case);
    let (end, died) = os_end(case);
    let stage = crate::staging::stage(&case.tumor)
        .group
        .map_or_else(|| "unknown".to_string(), |g| g.as_str().to_string());
    let episode = [
        EventKind::FirstContact,
        EventKind::Biopsy,
        EventKind::PathologyConfirmed,
    ]
    .into_iter()
    .filter_map(first)
    .chain(case.diagnosis.date)
    .min();
    let (first_treatment, first_treatment_date) = first_treatment(case, kb, episode);
    SurvivalRecord {
        diagnosis,
        end,
        died,
        stage,
        first_treatment,
        first_treatment_date,
    }
}

/// The first treatment group on or after `episode` (any date when `episode` is unknown).
fn first_treatment(case: &Case, kb: &Kb, episode: Option<Date>) -> (String, Option<Date>) {
    let groups = &kb.facts.treatment_groups;
    let in_episode = |d: &Date| episode.is_none_or(|e| *d >= e);
    // (date, precedence, group id)
    let mut starts: Vec<(Date, usize, &str)> = Vec::new();
    for t in &case.treatments {
        let Some(d) = t.start.filter(in_episode) else {
            continue;
        };
        let g = groups
            .iter()
            .position(|g| g.drugs.contains(&t.drug))
            .or_else(|| {
                groups
                    .iter()
                    .position(|g| g.events.contains(&EventKind::SystemicStart))
            });
        if let Some(k) = g {
            starts.push((d, k, groups[k].id.as_str()));
        }
    }
    for e in case.events.iter().filter(|e| in_episode(&e.date)) {
        if let Some(k) = groups.iter().position(|g| g.events.contains(&e.kind)) {
            starts.push((e.date, k, groups[k].id.as_str()));
        }
    }
    starts.sort();
    starts.first().map_or_else(
        || ("none_recorded".to_string(), None),
        |(d, _, id)| (id.to_string(), Some(*d)),
    )
}

/// A benchmark shown beside a group.
#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkRef {
    pub id: String,
    pub cohort: String,
    pub n: String,
    pub result: String,
    pub references: Vec<String>,
}

/// OS of one group of patients.
#[derive(Debug, Clone, Serialize)]
pub struct GroupOs {
    /// The group: `all`, a stage, an era id or a treatment group id.
    pub group: String,
    /// Analysable patients.
    pub n: usize,
    /// Deaths.
    pub deaths: usize,
    /// Median OS in months and its 95% confidence limits (`None`: not reached).
    pub median_months: Option<f64>,
    pub median_lower_months: Option<f64>,
    pub median_upper_months: Option<f64>,
    /// One-year OS (0-1) and its 95% limits; `None` when no patient was followed that long
    /// and the curve had not reached 0 before.
    pub one_year: Option<f64>,
    pub one_year_lower: Option<f64>,
    pub one_year_upper: Option<f64>,
    /// Patients at risk at one year.
    pub at_risk_one_year: usize,
    /// Published benchmarks for this group.
    pub benchmarks: Vec<BenchmarkRef>,
}

/// The groups of one grouping, with a log-rank test across them.
#[derive(Debug, Clone, Serialize)]
pub struct Grouping {
    /// `stage`, `era` or `first_treatment`.
    pub by: String,
    pub groups: Vec<GroupOs>,
    /// Log-rank chi-square, degrees of freedom and p over the groups with patients (`None` with
    /// fewer than two such groups).
    pub log_rank_chisq: Option<f64>,
    pub log_rank_df: Option<usize>,
    pub log_rank_p: Option<f64>,
    /// Why there is no test, when there is none.
    pub log_rank_note: Option<String>,
}

/// The outcome analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Outcomes {
    /// Records given.
    pub patients: usize,
    /// Records without a diagnosis date, or without a dated fact on or after it.
    pub not_analysable: usize,
    pub overall: GroupOs,
    pub by: Vec<Grouping>,
    pub definitions: &'static str,
}

/// The definitions, as printed with the figures.
pub const DEFINITIONS: &str = "OS from the diagnosis date (else first pathology confirmation) to \
death, censored at the date last known alive (latest dated event or treatment); Kaplan-Meier \
estimates with Greenwood variance, 95% log-log confidence limits; median in months of 30.4375 \
days; one-year OS = S(365.25 days); stage = AJCC 8th group (unknown when not derivable); era = \
year of diagnosis; first treatment = earliest treatment of the ATC episode by knowledge-base \
group; log-rank test across the groups of each grouping.";

/// Analyses the records (pure). Groups are listed in knowledge-base order (stages IVA, IVB, IVC,
/// unknown), with empty groups kept (n = 0) so that a table has every row.
pub fn analyse(records: &[SurvivalRecord], kb: &Kb) -> Outcomes {
    let usable: Vec<(&SurvivalRecord, f64)> = records
        .iter()
        .filter_map(|r| r.days().map(|d| (r, d as f64)))
        .collect();
    let bench = |ids: &mut dyn Iterator<Item = &str>| -> Vec<BenchmarkRef> {
        ids.filter_map(|id| kb.benchmarks.iter().find(|b| b.id == id))
            .map(|b| BenchmarkRef {
                id: b.id.clone(),
                cohort: b.cohort.clone(),
                n: b.n.clone(),
                result: b.result.clone(),
                references: b.references.clone(),
            })
            .collect()
    };
    let all: Vec<&(&SurvivalRecord, f64)> = usable.iter().collect();
    let overall = group_os(
        "all",
        &all,
        bench(
            &mut kb
                .benchmarks
                .iter()
                .filter(|b| b.options.is_empty() && b.stages.len() == 3)
                .map(|b| b.id.as_str()),
        ),
    );
    let stage_groups = ["IVA", "IVB", "IVC", "unknown"];
    let stages: Vec<(String, Vec<BenchmarkRef>)> = stage_groups
        .iter()
        .map(|s| {
            // Stage-specific series report per stage group.
            let ids: Vec<&str> = kb
                .benchmarks
                .iter()
                .filter(|b| b.id.starts_with("stage-"))
                .map(|b| b.id.as_str())
                .collect();
            let list = if *s == "unknown" {
                Vec::new()
            } else {
                bench(&mut ids.into_iter())
            };
            (s.to_string(), list)
        })
        .collect();
    let eras: Vec<(String, Vec<BenchmarkRef>)> = kb
        .facts
        .outcome_eras
        .iter()
        .map(|e| {
            (
                e.id.clone(),
                bench(&mut e.benchmarks.iter().map(String::as_str)),
            )
        })
        .chain(std::iter::once(("unknown".to_string(), Vec::new())))
        .collect();
    let treatments: Vec<(String, Vec<BenchmarkRef>)> = kb
        .facts
        .treatment_groups
        .iter()
        .map(|g| {
            (
                g.id.clone(),
                bench(&mut g.benchmarks.iter().map(String::as_str)),
            )
        })
        .chain(std::iter::once(("none_recorded".to_string(), Vec::new())))
        .collect();
    let era_of = |r: &SurvivalRecord| -> String {
        r.diagnosis
            .and_then(|d| kb.facts.outcome_eras.iter().find(|e| e.contains(d.year())))
            .map_or_else(|| "unknown".to_string(), |e| e.id.clone())
    };
    let by = vec![
        grouping("stage", &usable, &stages, |r| r.stage.clone()),
        grouping("era", &usable, &eras, era_of),
        grouping("first_treatment", &usable, &treatments, |r| {
            r.first_treatment.clone()
        }),
    ];
    Outcomes {
        patients: records.len(),
        not_analysable: records.len() - usable.len(),
        overall,
        by,
        definitions: DEFINITIONS,
    }
}

fn grouping(
    by: &str,
    usable: &[(&SurvivalRecord, f64)],
    groups: &[(String, Vec<BenchmarkRef>)],
    key: impl Fn(&SurvivalRecord) -> String,
) -> Grouping {
    let keys: Vec<String> = usable.iter().map(|(r, _)| key(r)).collect();
    let out: Vec<GroupOs> = groups
        .iter()
        .map(|(g, b)| {
            let members: Vec<&(&SurvivalRecord, f64)> = usable
                .iter()
                .zip(&keys)
                .filter(|(_, k)| *k == g)
                .map(|(u, _)| u)
                .collect();
            group_os(g, &members, b.clone())
        })
        .collect();
    // Log-rank over the groups with patients.
    let names: Vec<String> = out
        .iter()
        .filter(|g| g.n > 0)
        .map(|g| g.group.clone())
        .collect();
    let (mut time, mut event, mut group) = (Vec::new(), Vec::new(), Vec::new());
    for ((r, t), k) in usable.iter().zip(&keys) {
        if let Some(i) = names.iter().position(|n| n == k) {
            time.push(*t);
            event.push(r.died);
            group.push(i);
        }
    }
    let test = if names.len() < 2 {
        Err("fewer than two groups with patients".to_string())
    } else if !event.iter().any(|d| *d) {
        Err("no death in these patients".to_string())
    } else {
        log_rank(&time, &event, &group, &names, None, 0.0)
    };
    let ok = test.as_ref().ok();
    Grouping {
        by: by.to_string(),
        groups: out,
        log_rank_chisq: ok.map(|t| t.chisq),
        log_rank_df: ok.map(|t| t.df),
        log_rank_p: ok.map(|t| t.p),
        log_rank_note: test.err(),
    }
}

fn group_os(
    name: &str,
    members: &[&(&SurvivalRecord, f64)],
    benchmarks: Vec<BenchmarkRef>,
) -> GroupOs {
    let time: Vec<f64> = members.iter().map(|(_, t)| *t).collect();
    let event: Vec<bool> = members.iter().map(|(r, _)| r.died).collect();
    let mut g = GroupOs {
        group: name.to_string(),
        n: members.len(),
        deaths: event.iter().filter(|e| **e).count(),
        median_months: None,
        median_lower_months: None,
        median_upper_months: None,
        one_year: None,
        one_year_lower: None,
        one_year_upper: None,
        at_risk_one_year: 0,
        benchmarks,
    };
    if members.is_empty() {
        return g;
    }
    let km = kaplan_meier(&time, &event);
    let z = z_for(0.95);
    if let Some((m, lo, hi)) = km.quantiles(&[0.5], z, ConfType::LogLog).into_iter().next() {
        let months = |d: Option<f64>| d.map(|x| x / DAYS_PER_MONTH);
        (
            g.median_months,
            g.median_lower_months,
            g.median_upper_months,
        ) = (months(m), months(lo), months(hi));
    }
    // S(1 year) is known when someone was followed at least a year or the curve reached 0.
    let followed = time.iter().any(|t| *t >= ONE_YEAR_DAYS) || km.surv.last() == Some(&0.0);
    if followed && let Some(a) = km.at_times(&[ONE_YEAR_DAYS], z, ConfType::LogLog).first() {
        g.one_year = Some(a.surv);
        g.one_year_lower = a.lower;
        g.one_year_upper = a.upper;
        g.at_risk_one_year = a.n_risk;
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> Kb {
        Kb::embedded().unwrap()
    }

    fn case(body: &str) -> Case {
        let json =
            format!(r#"{{"schema": "atcpath.case/1", "id": "t", "as_of": "2024-06-01", {body}}}"#);
        crate::case::read_record(json.as_bytes(), &kb(), None).unwrap_or_else(|p| panic!("{p:?}"))
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn record_of_a_case() {
        let c = case(
            r#""diagnosis": {"histology": "anaplastic", "date": "2024-01-10"},
               "tumor": {"t": "T4b", "n": "N1b", "m": "M0"},
               "treatments": [{"drug": "radioactive iodine", "start": "2015-03-01"},
                              {"drug": "paclitaxel", "start": "2024-01-20"},
                              {"drug": "dabrafenib", "start": "2024-01-20"}],
               "events": [{"kind": "first_contact", "date": "2024-01-05"},
                          {"kind": "radiotherapy_start", "date": "2024-01-20"},
                          {"kind": "last_follow_up", "date": "2024-04-01"},
                          {"kind": "death", "date": "2024-05-01"}]"#,
        );
        let r = survival_record(&c, &kb());
        assert_eq!(r.diagnosis, Some(d("2024-01-10")));
        assert_eq!((r.end, r.died), (Some(d("2024-05-01")), true));
        assert_eq!(r.days(), Some(112));
        assert_eq!(r.stage, "IVB");
        // The iodine of 2015 is before the episode; three start on 2024-01-20: BRAF/MEK first.
        assert_eq!(
            (r.first_treatment.as_str(), r.first_treatment_date),
            ("braf_mek_inhibitor", Some(d("2024-01-20")))
        );
        // Alive: censored at the latest dated fact; no treatment: none recorded.
        let c = case(
            r#""diagnosis": {"date": "2024-01-10"},
               "events": [{"kind": "pathology_confirmed", "date": "2024-01-12"},
                          {"kind": "mdt", "date": "2024-02-01"}]"#,
        );
        let r = survival_record(&c, &kb());
        assert_eq!(
            (r.end, r.died, r.stage.as_str()),
            (Some(d("2024-02-01")), false, "unknown")
        );
        assert_eq!(r.first_treatment, "none_recorded");
        // No diagnosis date nor pathology confirmation: not analysable.
        let c = case(r#""events": [{"kind": "mdt", "date": "2024-02-01"}]"#);
        assert_eq!(survival_record(&c, &kb()).days(), None);
    }

    fn rec(days: i64, died: bool, stage: &str) -> SurvivalRecord {
        let start = d("2018-01-01");
        SurvivalRecord {
            diagnosis: Some(start),
            end: start.checked_add(jiff::Span::new().days(days)).ok(),
            died,
            stage: stage.into(),
            first_treatment: "none_recorded".into(),
            first_treatment_date: None,
        }
    }

    #[test]
    fn km_figures_by_hand() {
        // Deaths at 100, 200, 400 days; censored at 300, 500.
        // S: 100 -> 4/5 = 0.8; 200 -> 0.8 * 3/4 = 0.6; 400 -> 0.6 * 1/2 = 0.3.
        // Median: first time S <= 0.5 = 400 days; one year (365.25 d): S = 0.6, 2 at risk.
        let rs = [
            rec(100, true, "IVC"),
            rec(200, true, "IVC"),
            rec(300, false, "IVB"),
            rec(400, true, "IVB"),
            rec(500, false, "IVB"),
        ];
        let mut bad = rec(10, true, "IVA");
        bad.diagnosis = None;
        let mut all = rs.to_vec();
        all.push(bad);
        let o = analyse(&all, &kb());
        assert_eq!((o.patients, o.not_analysable), (6, 1));
        assert_eq!((o.overall.n, o.overall.deaths), (5, 3));
        assert!((o.overall.median_months.unwrap() - 400.0 / 30.4375).abs() < 1e-9);
        assert!((o.overall.one_year.unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(o.overall.at_risk_one_year, 2);
        let stage = &o.by[0];
        assert_eq!(stage.by, "stage");
        let n: Vec<(String, usize)> = stage
            .groups
            .iter()
            .map(|g| (g.group.clone(), g.n))
            .collect();
        assert_eq!(
            n,
            [
                ("IVA".into(), 0),
                ("IVB".into(), 3),
                ("IVC".into(), 2),
                ("unknown".into(), 0)
            ]
        );
        // IVC: deaths at 100 and 200 days: S = 0.5 exactly from 100 to 200, so the median is
        // the midpoint, 150 days (R's survfit rule); S(1 year) = 0.
        let ivc = &stage.groups[2];
        assert!((ivc.median_months.unwrap() - 150.0 / 30.4375).abs() < 1e-9);
        assert_eq!(ivc.one_year, Some(0.0));
        assert_eq!(stage.log_rank_df, Some(1));
        assert!(stage.log_rank_p.unwrap() < 0.5);
        // Every diagnosis in 2018: one era holds all five.
        let era = &o.by[1];
        let e: Vec<usize> = era.groups.iter().map(|g| g.n).collect();
        assert_eq!(e.iter().sum::<usize>(), 5);
        assert_eq!(
            era.groups
                .iter()
                .find(|g| g.group == "2017-2019")
                .unwrap()
                .n,
            5
        );
        assert_eq!(era.log_rank_p, None);
        assert!(
            !era.groups
                .iter()
                .find(|g| g.group == "2017-2019")
                .unwrap()
                .benchmarks
                .is_empty()
        );
    }
}
