//! Kaplan-Meier, quantiles, restricted mean and G-rho tests against R survival 3.5-3 golden
//! outputs (../shared/golden/survival), number by number, to a relative error of 1e-6 or better.

use std::path::{Path, PathBuf};

use atcpath_core::survival::{ConfType, kaplan_meier, km::ci, log_rank, z_for};
use serde_json::Value;

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/golden/survival")
}

/// A data CSV as columns of strings (header row; comma separated; empty = NA; unquoted strings).
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(golden().join("data").join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.iter().map(|r| r[i].clone()).collect()
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(golden().join("expected").join(name)).unwrap())
        .unwrap()
}

/// Times and events of a dataset, with R's Surv coding (1/2 means 2 = event).
fn surv_data(
    file: &str,
    tcol: &str,
    ecol: &str,
) -> (Vec<String>, Vec<Vec<String>>, Vec<f64>, Vec<bool>) {
    let (h, rows) = read_csv(file);
    let t: Vec<f64> = column(&h, &rows, tcol)
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    let raw: Vec<f64> = column(&h, &rows, ecol)
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    let two = raw.iter().any(|x| *x == 2.0);
    let e = raw
        .iter()
        .map(|x| if two { *x == 2.0 } else { *x == 1.0 })
        .collect();
    (h, rows, t, e)
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Null => None,
        Value::String(s) if s == "Inf" => Some(f64::INFINITY),
        Value::String(s) if s == "-Inf" => Some(f64::NEG_INFINITY),
        v => v.as_f64(),
    }
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (None, None) => {}
        (Some(x), Some(y)) if x.is_infinite() || y.is_infinite() => assert_eq!(x, y, "{what}"),
        (Some(x), Some(y)) => {
            let tol = 1e-6 * y.abs().max(1e-300) + 1e-12;
            assert!(
                (x - y).abs() <= tol,
                "{what}: got {x}, R {y} (diff {:e})",
                (x - y).abs()
            );
        }
        _ => panic!("{what}: got {a:?}, R {b:?}"),
    }
}

/// Exact-arithmetic quantities (counts, products of fractions) to 1e-9.
fn exact_all(got: &[Option<f64>], want: &Value, what: &str) {
    for (i, (g, w)) in got.iter().zip(want.as_array().unwrap()).enumerate() {
        if let (Some(g), Some(w)) = (g, num(w)) {
            if w.is_finite() {
                assert!(
                    (g - w).abs() <= 1e-9 * w.abs() + 1e-15,
                    "{what}[{i}]: {g} vs {w}"
                );
            }
        }
    }
}

fn close_all(got: &[Option<f64>], want: &Value, what: &str) {
    let want = want
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not an array"));
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, num(w), &format!("{what}[{i}]"));
    }
}

const TYPES: [(&str, ConfType); 3] = [
    ("log", ConfType::Log),
    ("log_log", ConfType::LogLog),
    ("plain", ConfType::Plain),
];

fn check_km(file: &str, tcol: &str, ecol: &str, group: Option<&str>, golden_file: &str) -> usize {
    let (h, rows, t, e) = surv_data(file, tcol, ecol);
    let exp = expected(golden_file);
    let z = z_for(0.95);
    let groups = group.map(|g| column(&h, &rows, g));
    let mut checked = 0;
    for curve in exp["curves"].as_array().unwrap() {
        let (tt, ee): (Vec<f64>, Vec<bool>) = match (&groups, curve["group"].as_str()) {
            (Some(gs), Some(g)) => t
                .iter()
                .zip(&e)
                .zip(gs)
                .filter(|(_, x)| *x == g)
                .map(|((a, b), _)| (*a, *b))
                .unzip(),
            _ => (t.clone(), e.clone()),
        };
        let c = kaplan_meier(&tt, &ee);
        let name = format!("{golden_file} group {}", curve["group"]);
        assert_eq!(c.n as u64, curve["n"].as_u64().unwrap(), "{name} n");
        assert_eq!(
            c.n_events_total as u64,
            curve["n_events_total"].as_u64().unwrap(),
            "{name} events"
        );
        let f = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        let u = |v: &[usize]| v.iter().map(|x| Some(*x as f64)).collect::<Vec<_>>();
        close_all(&f(&c.time), &curve["time"], &format!("{name} time"));
        close_all(&u(&c.n_risk), &curve["n_risk"], &format!("{name} n_risk"));
        close_all(
            &u(&c.n_event),
            &curve["n_event"],
            &format!("{name} n_event"),
        );
        close_all(
            &u(&c.n_censor),
            &curve["n_censor"],
            &format!("{name} n_censor"),
        );
        close_all(&f(&c.surv), &curve["surv"], &format!("{name} surv"));
        exact_all(&f(&c.surv), &curve["surv"], &format!("{name} surv (1e-9)"));
        exact_all(
            &f(&c.cumhaz),
            &curve["cumhaz"],
            &format!("{name} cumhaz (1e-9)"),
        );
        close_all(
            &f(&c.std_err),
            &curve["std_err"],
            &format!("{name} std_err"),
        );
        close_all(&f(&c.cumhaz), &curve["cumhaz"], &format!("{name} cumhaz"));
        close_all(
            &f(&c.std_chaz),
            &curve["std_chaz"],
            &format!("{name} std_chaz"),
        );
        let se_surv: Vec<Option<f64>> = c
            .surv
            .iter()
            .zip(&c.std_err)
            .map(|(s, se)| Some(s * se))
            .map(|x| x.filter(|v| !v.is_nan()))
            .collect();
        if let Some(want) = curve.get("std_err_surv") {
            let want_f: Vec<Option<f64>> = want.as_array().unwrap().iter().map(num).collect();
            for (i, (g, w)) in se_surv.iter().zip(&want_f).enumerate() {
                if w.is_some() && g.is_some_and(f64::is_finite) {
                    close(*g, *w, &format!("{name} std_err_surv[{i}]"));
                }
            }
        }
        for (key, ty) in TYPES {
            let (lo, up) = c.limits(z, ty);
            close_all(
                &lo,
                &curve["ci"][key]["lower"],
                &format!("{name} {key} lower"),
            );
            close_all(
                &up,
                &curve["ci"][key]["upper"],
                &format!("{name} {key} upper"),
            );
            let med = &curve["median"][key];
            let q = c.quantiles(&[0.5], z, ty)[0];
            close(q.0, num(&med["median"]), &format!("{name} {key} median"));
            close(
                q.1,
                num(&med["lower"]),
                &format!("{name} {key} median lower"),
            );
            close(
                q.2,
                num(&med["upper"]),
                &format!("{name} {key} median upper"),
            );
            let qs = &curve["quantiles"][key];
            let probs: Vec<f64> = qs["probs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_f64().unwrap())
                .collect();
            let got = c.quantiles(&probs, z, ty);
            close_all(
                &got.iter().map(|x| x.0).collect::<Vec<_>>(),
                &qs["quantile"],
                &format!("{name} {key} quantiles"),
            );
            close_all(
                &got.iter().map(|x| x.1).collect::<Vec<_>>(),
                &qs["lower"],
                &format!("{name} {key} quantile lower"),
            );
            close_all(
                &got.iter().map(|x| x.2).collect::<Vec<_>>(),
                &qs["upper"],
                &format!("{name} {key} quantile upper"),
            );
        }
        if let Some(at) = curve.get("at_times") {
            let times: Vec<f64> = at["times"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            for (key, ty) in TYPES {
                let got = c.at_times(&times, z, ty);
                close_all(
                    &got.iter().map(|a| Some(a.surv)).collect::<Vec<_>>(),
                    &at["surv"],
                    &format!("{name} at surv"),
                );
                close_all(
                    &got.iter()
                        .map(|a| Some(a.n_risk as f64))
                        .collect::<Vec<_>>(),
                    &at["n_risk"],
                    &format!("{name} at n_risk"),
                );
                close_all(
                    &got.iter()
                        .map(|a| Some(a.n_event as f64))
                        .collect::<Vec<_>>(),
                    &at["n_event"],
                    &format!("{name} at n_event"),
                );
                close_all(
                    &got.iter()
                        .map(|a| Some(a.n_censor as f64))
                        .collect::<Vec<_>>(),
                    &at["n_censor"],
                    &format!("{name} at n_censor"),
                );
                close_all(
                    &got.iter().map(|a| Some(a.std_err_surv)).collect::<Vec<_>>(),
                    &at["std_err_surv"],
                    &format!("{name} at se"),
                );
                close_all(
                    &got.iter().map(|a| Some(a.cumhaz)).collect::<Vec<_>>(),
                    &at["cumhaz"],
                    &format!("{name} at cumhaz"),
                );
                close_all(
                    &got.iter().map(|a| a.lower).collect::<Vec<_>>(),
                    &at["ci"][key]["lower"],
                    &format!("{name} at {key} lower"),
                );
                close_all(
                    &got.iter().map(|a| a.upper).collect::<Vec<_>>(),
                    &at["ci"][key]["upper"],
                    &format!("{name} at {key} upper"),
                );
            }
        }
        checked += 1;
    }
    checked
}

#[test]
fn kaplan_meier_matches_r_on_every_golden_file() {
    let sets = [
        ("lung.csv", "time", "status", "sex", "lung"),
        ("veteran.csv", "time", "status", "trt", "veteran"),
        ("ovarian.csv", "futime", "fustat", "rx", "ovarian"),
        ("colon.csv", "time", "status", "rx", "colon"),
        ("rossi.csv", "week", "arrest", "fin", "rossi"),
        ("waltons.csv", "T", "E", "group", "waltons"),
    ];
    let mut curves = 0;
    for (file, t, e, g, name) in sets {
        curves += check_km(file, t, e, None, &format!("km_{name}.json"));
        curves += check_km(file, t, e, Some(g), &format!("km_{name}_by_{g}.json"));
    }
    assert_eq!(
        curves, 19,
        "6 overall curves and 13 group curves (colon rx has three)"
    );
}

#[test]
fn restricted_mean_matches_r() {
    let exp = expected("rmst_lung_tau365.json");
    let (h, rows, t, e) = surv_data("lung.csv", "time", "status");
    let sex = column(&h, &rows, "sex");
    for r in exp["results"].as_array().unwrap() {
        let (tt, ee): (Vec<f64>, Vec<bool>) = match r["group"].as_str() {
            Some(g) => t
                .iter()
                .zip(&e)
                .zip(&sex)
                .filter(|(_, x)| *x == g)
                .map(|((a, b), _)| (*a, *b))
                .unzip(),
            None => (t.clone(), e.clone()),
        };
        let (mean, se) = kaplan_meier(&tt, &ee).rmean(365.0);
        close(
            Some(mean),
            num(&r["rmean"]),
            &format!("rmean {}", r["group"]),
        );
        close(
            Some(se),
            num(&r["se_rmean"]),
            &format!("se_rmean {}", r["group"]),
        );
    }
}

#[test]
fn g_rho_tests_match_r() {
    let sets = [
        ("lung.csv", "time", "status", "sex", "lung"),
        ("veteran.csv", "time", "status", "trt", "veteran"),
        ("ovarian.csv", "futime", "fustat", "rx", "ovarian"),
        ("colon.csv", "time", "status", "rx", "colon"),
        ("rossi.csv", "week", "arrest", "fin", "rossi"),
    ];
    for (file, t, e, g, name) in sets {
        let (h, rows, tt, ee) = surv_data(file, t, e);
        let labels = column(&h, &rows, g);
        for rho in [0, 1] {
            let exp = expected(&format!("survdiff_{name}_by_{g}_rho{rho}.json"));
            let names: Vec<String> = exp["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["group"].as_str().unwrap().to_string())
                .collect();
            let idx: Vec<usize> = labels
                .iter()
                .map(|l| names.iter().position(|n| n == l).unwrap())
                .collect();
            let r = log_rank(&tt, &ee, &idx, &names, None, rho as f64).unwrap();
            let what = format!("survdiff {name} rho {rho}");
            close(Some(r.chisq), num(&exp["chisq"]), &format!("{what} chisq"));
            assert_eq!(r.df as u64, exp["df"].as_u64().unwrap());
            close(Some(r.p), num(&exp["p"]), &format!("{what} p"));
            for (gr, want) in r.groups.iter().zip(exp["groups"].as_array().unwrap()) {
                close(
                    Some(gr.observed),
                    num(&want["observed"]),
                    &format!("{what} observed {}", gr.group),
                );
                close(
                    Some(gr.expected),
                    num(&want["expected"]),
                    &format!("{what} expected {}", gr.group),
                );
                assert_eq!(gr.n as u64, want["n"].as_u64().unwrap());
            }
            for (i, row) in exp["var"].as_array().unwrap().iter().enumerate() {
                for (j, x) in row.as_array().unwrap().iter().enumerate() {
                    close(Some(r.var[i][j]), num(x), &format!("{what} var[{i}][{j}]"));
                }
            }
        }
    }
}

#[test]
fn z_is_rs_qnorm() {
    close(Some(z_for(0.95)), Some(1.959963984540054), "qnorm(0.975)");
    let (lo, up) = ci(0.5, 0.1, z_for(0.95), ConfType::Log);
    assert!(lo.unwrap() < 0.5 && up.unwrap() > 0.5);
}

fn table(file: &str) -> atcpath_core::survival::design::Table {
    let (header, rows) = read_csv(file);
    let mut t = atcpath_core::survival::design::Table::new(header);
    for r in &rows {
        t.push_row(r.iter().map(String::as_str));
    }
    t
}

struct Model {
    id: &'static str,
    file: &'static str,
    time: &'static str,
    event: &'static str,
    covariates: &'static [&'static str],
    levels: &'static [(&'static str, &'static [&'static str])],
    strata: Option<&'static str>,
}

const MODELS: [Model; 8] = [
    Model {
        id: "lung",
        file: "lung.csv",
        time: "time",
        event: "status",
        covariates: &["age", "sex", "ph.ecog"],
        levels: &[],
        strata: None,
    },
    Model {
        id: "veteran",
        file: "veteran.csv",
        time: "time",
        event: "status",
        covariates: &["trt", "celltype", "karno"],
        levels: &[("celltype", &["squamous", "smallcell", "adeno", "large"])],
        strata: None,
    },
    Model {
        id: "rossi",
        file: "rossi.csv",
        time: "week",
        event: "arrest",
        covariates: &["fin", "age", "race", "wexp", "mar", "paro", "prio"],
        levels: &[],
        strata: None,
    },
    Model {
        id: "ovarian",
        file: "ovarian.csv",
        time: "futime",
        event: "fustat",
        covariates: &["rx", "age", "resid.ds"],
        levels: &[],
        strata: None,
    },
    Model {
        id: "lung_strata_inst",
        file: "lung.csv",
        time: "time",
        event: "status",
        covariates: &["age", "sex"],
        levels: &[],
        strata: Some("inst"),
    },
    Model {
        id: "lung_interaction",
        file: "lung.csv",
        time: "time",
        event: "status",
        covariates: &["age", "sex", "ph.ecog", "age:sex"],
        levels: &[],
        strata: None,
    },
    Model {
        id: "colon",
        file: "colon.csv",
        time: "time",
        event: "status",
        covariates: &["rx", "sex", "age", "obstruct", "nodes"],
        levels: &[("rx", &["Obs", "Lev", "Lev+5FU"])],
        strata: None,
    },
    Model {
        id: "waltons",
        file: "waltons.csv",
        time: "T",
        event: "E",
        covariates: &["group"],
        levels: &[],
        strata: None,
    },
];

#[test]
fn cox_models_match_r() {
    use atcpath_core::survival::concordance::concordance;
    use atcpath_core::survival::cox::Ties;
    use atcpath_core::survival::design::{Spec, build};
    let mut fits = 0;
    for m in &MODELS {
        let spec = Spec {
            time: m.time.into(),
            event: m.event.into(),
            covariates: m.covariates.iter().map(|s| s.to_string()).collect(),
            levels: m
                .levels
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
            strata: m.strata.map(str::to_string),
            ..Default::default()
        };
        let d = build(&table(m.file), &spec).unwrap_or_else(|e| panic!("{}: {e}", m.id));
        for (tname, ties) in [("efron", Ties::Efron), ("breslow", Ties::Breslow)] {
            let exp = expected(&format!("coxph_{}_{tname}.json", m.id));
            let what = format!("coxph {} {tname}", m.id);
            let dropped: Vec<u64> = exp["rows_dropped_for_na"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(
                d.dropped_rows.iter().map(|x| *x as u64).collect::<Vec<_>>(),
                dropped,
                "{what} dropped rows"
            );
            let terms: Vec<String> = exp["terms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            assert_eq!(d.terms, terms, "{what} terms");
            let fit = d.fit_cox(ties).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(fit.n as u64, exp["n"].as_u64().unwrap());
            assert_eq!(fit.nevent as u64, exp["nevent"].as_u64().unwrap());
            let f = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
            for (key, got) in [
                ("coef", &fit.coef),
                ("se", &fit.se),
                ("exp_coef", &fit.exp_coef),
                ("z", &fit.z),
                ("p", &fit.p),
                ("coef_lower_95", &fit.coef_lower_95),
                ("coef_upper_95", &fit.coef_upper_95),
                ("exp_coef_lower_95", &fit.exp_coef_lower_95),
                ("exp_coef_upper_95", &fit.exp_coef_upper_95),
            ] {
                close_all(&f(got), &exp[key], &format!("{what} {key}"));
            }
            for (r, row) in exp["var"].as_array().unwrap().iter().enumerate() {
                close_all(&f(&fit.var[r]), row, &format!("{what} var row {r}"));
            }
            close_all(&f(&fit.means), &exp["means"], &format!("{what} means"));
            close(
                Some(fit.loglik_null),
                num(&exp["loglik_null"]),
                &format!("{what} loglik_null"),
            );
            close(
                Some(fit.loglik_final),
                num(&exp["loglik_final"]),
                &format!("{what} loglik_final"),
            );
            for (key, t) in [
                ("lr_test", &fit.lr_test),
                ("wald_test", &fit.wald_test),
                ("score_test", &fit.score_test),
            ] {
                close(
                    Some(t.statistic),
                    num(&exp[key]["statistic"]),
                    &format!("{what} {key}"),
                );
                close(Some(t.p), num(&exp[key]["p"]), &format!("{what} {key} p"));
                assert_eq!(t.df as u64, exp[key]["df"].as_u64().unwrap());
            }
            let c = concordance(
                &d.time,
                &d.event,
                &fit.linear_predictor,
                d.strata.as_deref(),
            );
            let ce = &exp["concordance"];
            for (key, got) in [
                ("concordant", c.concordant),
                ("discordant", c.discordant),
                ("tied_x", c.tied_x),
                ("tied_y", c.tied_y),
                ("tied_xy", c.tied_xy),
            ] {
                close(
                    Some(got),
                    num(&ce[key]),
                    &format!("{what} concordance {key}"),
                );
            }
            close(
                Some(c.value),
                num(&ce["value"]),
                &format!("{what} concordance"),
            );
            close(
                Some(c.se),
                num(&ce["se"]),
                &format!("{what} concordance se"),
            );
            assert_eq!(
                fit.iterations as u64,
                exp["iter"].as_u64().unwrap(),
                "{what} iterations"
            );
            fits += 1;
        }
    }
    assert_eq!(fits, 16);
}
