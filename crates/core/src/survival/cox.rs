//! Cox proportional hazards regression (Cox, JRSS-B 1972) by Newton-Raphson, as R `coxph`:
//! Efron (default) or Breslow handling of tied event times (Efron, JASA 1977; Breslow 1974),
//! optional strata (a separate baseline hazard per stratum), start at beta = 0, stop when
//! |1 - loglik_old / loglik_new| <= 1e-9, at most 20 iterations, step halving when the
//! log-likelihood decreases (R `coxph.control` and `coxfit6`).
//!
//! One iteration is O(N p^2) after one sort: risk-set sums are accumulated from the latest time
//! backwards. Columns are centred on their means (the fit does not depend on it).
//! Reports coefficients, standard errors (inverse information), z and p, hazard ratios with
//! intervals, null and final log partial likelihood, likelihood-ratio, Wald and score tests.

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use super::chisq_sf;

/// Handling of tied event times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    Efron,
    Breslow,
}

/// A test statistic.
#[derive(Debug, Clone, Serialize)]
pub struct Test {
    pub statistic: f64,
    pub df: usize,
    pub p: f64,
}

/// A fitted Cox model.
#[derive(Debug, Clone, Serialize)]
pub struct CoxFit {
    pub n: usize,
    pub nevent: usize,
    pub terms: Vec<String>,
    pub coef: Vec<f64>,
    pub se: Vec<f64>,
    pub exp_coef: Vec<f64>,
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    pub coef_lower_95: Vec<f64>,
    pub coef_upper_95: Vec<f64>,
    pub exp_coef_lower_95: Vec<f64>,
    pub exp_coef_upper_95: Vec<f64>,
    pub var: Vec<Vec<f64>>,
    pub means: Vec<f64>,
    pub loglik_null: f64,
    pub loglik_final: f64,
    pub lr_test: Test,
    pub wald_test: Test,
    pub score_test: Test,
    pub iterations: usize,
    /// Linear predictor (centred) of each row, for concordance.
    #[serde(skip)]
    pub linear_predictor: Vec<f64>,
}

/// Fit settings (R `coxph.control` defaults).
#[derive(Debug, Clone, Copy)]
pub struct Control {
    pub eps: f64,
    pub iter_max: usize,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            eps: 1e-9,
            iter_max: 20,
        }
    }
}

struct Eval {
    loglik: f64,
    u: DVector<f64>,
    info: DMatrix<f64>,
}

/// Data prepared once: rows sorted by stratum then time descending, columns centred, stored
/// flat (row-major) so that an iteration allocates nothing per row.
struct Prepared {
    xs: Vec<f64>,
    ts: Vec<f64>,
    es: Vec<bool>,
    /// [start, end) of each stratum in the sorted order.
    bounds: Vec<(usize, usize)>,
    p: usize,
}

fn evaluate(d: &Prepared, beta: &DVector<f64>, ties: Ties) -> Eval {
    let p = d.p;
    let mut loglik = 0.0;
    let mut u = vec![0.0; p];
    let mut info = vec![0.0; p * p];
    let (mut s1, mut s2) = (vec![0.0; p], vec![0.0; p * p]);
    let (mut d1, mut d2) = (vec![0.0; p], vec![0.0; p * p]);
    let mut a = vec![0.0; p];
    for &(start, end) in &d.bounds {
        let mut s0 = 0.0;
        s1.iter_mut().for_each(|v| *v = 0.0);
        s2.iter_mut().for_each(|v| *v = 0.0);
        let mut j = start;
        while j < end {
            let t = d.ts[j];
            let mut d0 = 0.0;
            d1.iter_mut().for_each(|v| *v = 0.0);
            d2.iter_mut().for_each(|v| *v = 0.0);
            let mut deaths = 0usize;
            while j < end && d.ts[j] == t {
                let row = &d.xs[j * p..(j + 1) * p];
                let eta: f64 = row.iter().zip(beta.iter()).map(|(x, b)| x * b).sum();
                let w = eta.exp();
                s0 += w;
                for r in 0..p {
                    let wr = w * row[r];
                    s1[r] += wr;
                    for c in 0..=r {
                        s2[r * p + c] += wr * row[c];
                    }
                }
                if d.es[j] {
                    deaths += 1;
                    loglik += eta;
                    d0 += w;
                    for r in 0..p {
                        u[r] += row[r];
                        let wr = w * row[r];
                        d1[r] += wr;
                        for c in 0..=r {
                            d2[r * p + c] += wr * row[c];
                        }
                    }
                }
                j += 1;
            }
            let nd = deaths as f64;
            for k in 0..deaths {
                let f = match ties {
                    Ties::Efron => k as f64 / nd,
                    Ties::Breslow => 0.0,
                };
                let den = s0 - f * d0;
                loglik -= den.ln();
                for r in 0..p {
                    a[r] = (s1[r] - f * d1[r]) / den;
                    u[r] -= a[r];
                }
                for r in 0..p {
                    for c in 0..=r {
                        info[r * p + c] += (s2[r * p + c] - f * d2[r * p + c]) / den - a[r] * a[c];
                    }
                }
            }
        }
    }
    let info = DMatrix::from_fn(p, p, |r, c| {
        if c <= r {
            info[r * p + c]
        } else {
            info[c * p + r]
        }
    });
    Eval {
        loglik,
        u: DVector::from_vec(u),
        info,
    }
}

/// Fits the model. `x[i]` is row i's covariate vector (same length as `terms`); `strata[i]`
/// separates baselines.
///
/// # Errors
/// A message naming the covariate when the information matrix is singular (a constant or
/// collinear column) or the likelihood is monotone (a coefficient runs off to infinity).
pub fn cox(
    time: &[f64],
    event: &[bool],
    x: &[Vec<f64>],
    terms: &[String],
    strata: Option<&[usize]>,
    ties: Ties,
    control: Control,
) -> Result<CoxFit, String> {
    let n = time.len();
    let p = terms.len();
    if p == 0 {
        return Err("no covariates".into());
    }
    let nevent = event.iter().filter(|e| **e).count();
    if nevent == 0 {
        return Err("no events: all observations are censored".into());
    }
    if n <= p {
        return Err(format!(
            "{n} rows for {p} covariates: more rows than covariates are needed"
        ));
    }
    let mut means = vec![0.0; p];
    for row in x {
        for (m, v) in means.iter_mut().zip(row) {
            *m += v;
        }
    }
    means.iter_mut().for_each(|m| *m /= n as f64);
    // As R's coxph: 0/1 columns are not centred (the fit does not depend on centring).
    for (k, m) in means.iter_mut().enumerate() {
        if x.iter().all(|r| r[k] == 0.0 || r[k] == 1.0) {
            *m = 0.0;
        }
    }
    let s: Vec<usize> = strata.map_or_else(|| vec![0; n], <[usize]>::to_vec);
    // Sort (stratum, time, index) triples: faster than sorting indices through the data.
    let mut keyed: Vec<(usize, f64, usize)> = (0..n).map(|i| (s[i], time[i], i)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let order: Vec<usize> = keyed.into_iter().map(|k| k.2).collect();
    let mut bounds = Vec::new();
    let mut start = 0;
    for j in 1..=n {
        if j == n || s[order[j]] != s[order[start]] {
            bounds.push((start, j));
            start = j;
        }
    }
    let mut xs = Vec::with_capacity(n * p);
    for &i in &order {
        xs.extend((0..p).map(|k| x[i][k] - means[k]));
    }
    let d = Prepared {
        xs,
        ts: order.iter().map(|i| time[*i]).collect(),
        es: order.iter().map(|i| event[*i]).collect(),
        bounds,
        p,
    };

    let singular = |info: &DMatrix<f64>| -> String {
        // Name the first column whose leading block is not positive definite: it is constant, or
        // a combination of the columns before it.
        let k = (1..=p)
            .find(|k| {
                info.view((0, 0), (*k, *k))
                    .clone_owned()
                    .cholesky()
                    .is_none_or(|c| c.l().diagonal().iter().any(|d| *d < 1e-9))
            })
            .map_or(p - 1, |k| k - 1);
        format!(
            "the information matrix is singular: covariate {:?} is constant or collinear with others",
            terms[k]
        )
    };
    let solve = |info: &DMatrix<f64>, u: &DVector<f64>| -> Result<DVector<f64>, String> {
        info.clone()
            .cholesky()
            .map(|c| c.solve(u))
            .ok_or_else(|| singular(info))
    };

    let mut beta = DVector::zeros(p);
    let first = evaluate(&d, &beta, ties);
    let loglik_null = first.loglik;
    let step0 = solve(&first.info, &first.u)?;
    let score = first.u.dot(&step0);
    let mut loglik = first.loglik;
    let mut newbeta = &beta + &step0;
    let mut halving = false;
    let mut fin: Option<Eval> = None;
    let mut iterations = 0;
    for iter in 1..=control.iter_max {
        iterations = iter;
        let e = evaluate(&d, &newbeta, ties);
        if !e.loglik.is_finite() || newbeta.iter().any(|b| !b.is_finite()) {
            return Err(monotone(terms, &newbeta));
        }
        if (1.0 - loglik / e.loglik).abs() <= control.eps && !halving {
            beta = newbeta.clone();
            fin = Some(e);
            break;
        }
        if iter == control.iter_max {
            beta = newbeta.clone();
            fin = Some(e);
            break;
        }
        if e.loglik < loglik {
            halving = true;
            newbeta = (&newbeta + &beta) / 2.0;
        } else {
            halving = false;
            loglik = e.loglik;
            let step = solve(&e.info, &e.u)?;
            beta = newbeta.clone();
            newbeta = &beta + step;
        }
    }
    let fin = fin.ok_or("no iteration was run")?;
    // R's check for an infinite coefficient: the Newton step still pending at convergence is not
    // negligible (|step| > toler.inf = sqrt(eps), relative to |beta| too).
    let pending = solve(&fin.info, &fin.u).unwrap_or_else(|_| DVector::zeros(p));
    let toler_inf = control.eps.sqrt();
    if let Some(k) = (0..p)
        .find(|k| pending[*k].abs() > toler_inf && pending[*k].abs() > toler_inf * beta[*k].abs())
    {
        let mut flag = DVector::zeros(p);
        flag[k] = 1.0;
        return Err(monotone(terms, &flag));
    }
    let chol = fin
        .info
        .clone()
        .cholesky()
        .ok_or_else(|| singular(&fin.info))?;
    let var = chol.inverse();
    let coef: Vec<f64> = beta.iter().copied().collect();
    let se: Vec<f64> = (0..p).map(|k| var[(k, k)].sqrt()).collect();
    let z95 = super::z_for(0.95);
    let zs: Vec<f64> = coef.iter().zip(&se).map(|(b, s)| b / s).collect();
    let pv: Vec<f64> = zs.iter().map(|z| super::chisq_sf(z * z, 1.0)).collect();
    let wald = beta.dot(&(&fin.info * &beta));
    let lr = 2.0 * (fin.loglik - loglik_null);
    let linear_predictor = (0..n)
        .map(|i| (0..p).map(|k| (x[i][k] - means[k]) * coef[k]).sum())
        .collect();
    Ok(CoxFit {
        n,
        nevent,
        terms: terms.to_vec(),
        exp_coef: coef.iter().map(|b| b.exp()).collect(),
        coef_lower_95: coef.iter().zip(&se).map(|(b, s)| b - z95 * s).collect(),
        coef_upper_95: coef.iter().zip(&se).map(|(b, s)| b + z95 * s).collect(),
        exp_coef_lower_95: coef
            .iter()
            .zip(&se)
            .map(|(b, s)| (b - z95 * s).exp())
            .collect(),
        exp_coef_upper_95: coef
            .iter()
            .zip(&se)
            .map(|(b, s)| (b + z95 * s).exp())
            .collect(),
        z: zs,
        p: pv,
        coef,
        se,
        var: (0..p)
            .map(|r| (0..p).map(|c| var[(r, c)]).collect())
            .collect(),
        means,
        loglik_null,
        loglik_final: fin.loglik,
        lr_test: Test {
            statistic: lr,
            df: p,
            p: chisq_sf(lr, p as f64),
        },
        wald_test: Test {
            statistic: wald,
            df: p,
            p: chisq_sf(wald, p as f64),
        },
        score_test: Test {
            statistic: score,
            df: p,
            p: chisq_sf(score, p as f64),
        },
        iterations,
        linear_predictor,
    })
}

fn monotone(terms: &[String], beta: &DVector<f64>) -> String {
    let k = (0..beta.len())
        .max_by(|a, b| beta[*a].abs().total_cmp(&beta[*b].abs()))
        .unwrap_or(0);
    format!(
        "monotone likelihood: the coefficient of {:?} does not converge (it grows without bound; e.g. no events in one level)",
        terms.get(k).cloned().unwrap_or_default()
    )
}
