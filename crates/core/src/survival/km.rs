//! Kaplan-Meier estimation (Kaplan & Meier, JASA 1958) as R's `survfit` reports it.
//!
//! - Survival S(t) = prod over event times t_i <= t of (1 - d_i / n_i).
//! - Greenwood variance on the cumulative-hazard scale: se(-log S) = sqrt(sum d_i / (n_i (n_i - d_i))),
//!   infinite where every subject at risk dies (n_i = d_i).
//! - Confidence intervals (level z): "log": exp(log S -/+ z se), upper clipped at 1; "log-log":
//!   S^exp(+/- z se / |log S|), undefined where S is 0 or 1; "plain": S -/+ z S se clipped to [0, 1].
//! - Nelson-Aalen cumulative hazard H = sum d_i / n_i with se sqrt(sum d_i / n_i^2).
//! - Quantiles: where 1 - S first reaches p; when the curve is flat at p (within sqrt(machine
//!   epsilon)), the midpoint of that flat and the next time (R `quantile.survfit`); interval limits
//!   from the confidence curves the same way.
//! - Restricted mean to tau: area under S on [0, tau], with se sqrt(sum A_k^2 d_k / (n_k (n_k - d_k)))
//!   over event times up to tau, A_k the area from t_k to tau (R `print.survfit`).

use serde::Serialize;

/// Confidence-interval type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConfType {
    #[serde(rename = "log")]
    Log,
    #[serde(rename = "log-log")]
    LogLog,
    #[serde(rename = "plain")]
    Plain,
}

impl ConfType {
    /// Parses `log`, `log-log` (or `log_log`), `plain`.
    pub fn parse(s: &str) -> Option<ConfType> {
        match s {
            "log" => Some(ConfType::Log),
            "log-log" | "log_log" => Some(ConfType::LogLog),
            "plain" => Some(ConfType::Plain),
            _ => None,
        }
    }
}

/// One Kaplan-Meier curve, one entry per distinct observed time (event or censoring).
#[derive(Debug, Clone, Serialize)]
pub struct KmCurve {
    pub n: usize,
    pub n_events_total: usize,
    pub time: Vec<f64>,
    pub n_risk: Vec<usize>,
    pub n_event: Vec<usize>,
    pub n_censor: Vec<usize>,
    pub surv: Vec<f64>,
    /// Greenwood standard error of -log S (infinite where S drops to 0 with all at risk dying).
    pub std_err: Vec<f64>,
    pub cumhaz: Vec<f64>,
    pub std_chaz: Vec<f64>,
}

/// Fits a Kaplan-Meier curve. `time` and `event` have the same length; times are finite and >= 0.
pub fn kaplan_meier(time: &[f64], event: &[bool]) -> KmCurve {
    let mut idx: Vec<usize> = (0..time.len()).collect();
    idx.sort_by(|a, b| time[*a].total_cmp(&time[*b]));
    let n = time.len();
    let mut c = KmCurve {
        n,
        n_events_total: event.iter().filter(|e| **e).count(),
        time: Vec::new(),
        n_risk: Vec::new(),
        n_event: Vec::new(),
        n_censor: Vec::new(),
        surv: Vec::new(),
        std_err: Vec::new(),
        cumhaz: Vec::new(),
        std_chaz: Vec::new(),
    };
    let (mut s, mut green, mut h, mut vh) = (1.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut at_risk = n;
    let mut i = 0;
    while i < idx.len() {
        let t = time[idx[i]];
        let (mut d, mut cens) = (0usize, 0usize);
        while i < idx.len() && time[idx[i]] == t {
            if event[idx[i]] {
                d += 1
            } else {
                cens += 1
            }
            i += 1;
        }
        if d > 0 {
            let (nf, df) = (at_risk as f64, d as f64);
            s *= 1.0 - df / nf;
            green += if d == at_risk {
                f64::INFINITY
            } else {
                df / (nf * (nf - df))
            };
            h += df / nf;
            vh += df / (nf * nf);
        }
        c.time.push(t);
        c.n_risk.push(at_risk);
        c.n_event.push(d);
        c.n_censor.push(cens);
        c.surv.push(s);
        c.std_err.push(green.sqrt());
        c.cumhaz.push(h);
        c.std_chaz.push(vh.sqrt());
        at_risk -= d + cens;
    }
    c
}

/// Lower and upper confidence limits of S at one point; `None` where undefined.
pub fn ci(s: f64, se: f64, z: f64, ty: ConfType) -> (Option<f64>, Option<f64>) {
    if !se.is_finite() {
        return (None, None);
    }
    match ty {
        ConfType::Log => {
            if s <= 0.0 {
                (None, None)
            } else {
                (
                    Some((s.ln() - z * se).exp()),
                    Some((s.ln() + z * se).exp().min(1.0)),
                )
            }
        }
        ConfType::LogLog => {
            if s <= 0.0 || s >= 1.0 {
                (None, None)
            } else {
                let k = z * se / s.ln().abs();
                (Some(s.powf(k.exp())), Some(s.powf((-k).exp())))
            }
        }
        ConfType::Plain => {
            let w = z * se * s;
            (Some((s - w).clamp(0.0, 1.0)), Some((s + w).clamp(0.0, 1.0)))
        }
    }
}

impl KmCurve {
    /// Confidence limits along the curve.
    pub fn limits(&self, z: f64, ty: ConfType) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
        self.surv
            .iter()
            .zip(&self.std_err)
            .map(|(s, se)| ci(*s, *se, z, ty))
            .unzip()
    }

    /// Quantiles (probabilities `probs` of the event, e.g. 0.5 for the median) with their
    /// confidence limits: `(quantile, lower, upper)`, `None` where not reached.
    pub fn quantiles(
        &self,
        probs: &[f64],
        z: f64,
        ty: ConfType,
    ) -> Vec<(Option<f64>, Option<f64>, Option<f64>)> {
        let (lo, up) = self.limits(z, ty);
        let point: Vec<Option<f64>> = self.surv.iter().map(|s| Some(*s)).collect();
        probs
            .iter()
            .map(|p| {
                (
                    find_quantile(&self.time, &point, *p),
                    // The upper survival limit crosses later: it gives the upper limit of the quantile.
                    find_quantile(&self.time, &up, *p),
                    find_quantile(&self.time, &lo, *p),
                )
            })
            .map(|(q, hi, low)| (q, low, hi))
            .collect()
    }

    /// The index of the last time at or before `t`, if any.
    fn at_or_before(&self, t: f64) -> Option<usize> {
        let k = self.time.partition_point(|x| *x <= t);
        k.checked_sub(1)
    }

    /// Survival summary at given times (R `summary(fit, times=)`): at-risk count at t, events and
    /// censorings in (previous time, t], S(t), se of S, cumulative hazard, confidence limits.
    pub fn at_times(&self, times: &[f64], z: f64, ty: ConfType) -> Vec<AtTime> {
        let mut prev = f64::NEG_INFINITY;
        times
            .iter()
            .map(|t| {
                let (mut ev, mut ce) = (0, 0);
                for (k, x) in self.time.iter().enumerate() {
                    if *x > prev && *x <= *t {
                        ev += self.n_event[k];
                        ce += self.n_censor[k];
                    }
                }
                prev = *t;
                let k = self.at_or_before(*t);
                let (s, se, h) = k.map_or((1.0, 0.0, 0.0), |k| {
                    (self.surv[k], self.std_err[k], self.cumhaz[k])
                });
                let n_risk = self
                    .time
                    .iter()
                    .position(|x| *x >= *t)
                    .map_or(0, |j| self.n_risk[j]);
                // Before the first observed time S is 1 with no uncertainty: R reports 1 to 1.
                let (lower, upper) = if k.is_none() {
                    (Some(1.0), Some(1.0))
                } else {
                    ci(s, se, z, ty)
                };
                AtTime {
                    time: *t,
                    n_risk,
                    n_event: ev,
                    n_censor: ce,
                    surv: s,
                    std_err_surv: s * se,
                    cumhaz: h,
                    lower,
                    upper,
                }
            })
            .collect()
    }

    /// Restricted mean survival to `tau` and its standard error (R `print.survfit(rmean = tau)`).
    pub fn rmean(&self, tau: f64) -> (f64, f64) {
        // Steps of the curve on [0, tau]: value 1 before the first time.
        let mut knots = vec![0.0];
        let mut values = vec![1.0];
        for (k, t) in self.time.iter().enumerate() {
            if *t >= tau {
                break;
            }
            if self.n_event[k] > 0 {
                knots.push(*t);
                values.push(self.surv[k]);
            }
        }
        knots.push(tau);
        let area_from = |j: usize| -> f64 {
            (j..values.len())
                .map(|i| values[i] * (knots[i + 1] - knots[i]))
                .sum()
        };
        let mean = area_from(0);
        let mut var = 0.0;
        let mut j = 1;
        for (k, t) in self.time.iter().enumerate() {
            if *t >= tau {
                break;
            }
            let d = self.n_event[k];
            if d == 0 {
                continue;
            }
            let n = self.n_risk[k];
            if n > d {
                let a = area_from(j);
                var += a * a * d as f64 / (n as f64 * (n - d) as f64);
            }
            j += 1;
        }
        (mean, var.sqrt())
    }
}

/// Survival summary at one time.
#[derive(Debug, Clone, Serialize)]
pub struct AtTime {
    pub time: f64,
    pub n_risk: usize,
    pub n_event: usize,
    pub n_censor: usize,
    pub surv: f64,
    pub std_err_surv: f64,
    pub cumhaz: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// Where the event probability 1 - S(t) first reaches `p` (see module docs); `None` if never.
/// `surv` entries that are `None` (undefined limits) are skipped.
fn find_quantile(time: &[f64], surv: &[Option<f64>], p: f64) -> Option<f64> {
    let tol = f64::EPSILON.sqrt();
    let xmax = *time.last()?;
    // The cumulative curve, starting at (0, 0); repeated values (censoring) keep their first time.
    let mut x = vec![0.0];
    let mut y = vec![Some(0.0)];
    for (t, s) in time.iter().zip(surv) {
        let v = s.map(|s| 1.0 - s);
        if !y.contains(&v) {
            x.push(*t);
            y.push(v);
        }
    }
    let defined: Vec<(usize, f64)> = y
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    if defined.iter().all(|(_, v)| *v < p) {
        return None;
    }
    if p == 0.0 {
        return Some(x[0]);
    }
    let first_at_least = |shift: f64| {
        defined
            .iter()
            .find(|(_, v)| *v + shift >= p)
            .map(|(i, _)| *i)
    };
    let i1 = first_at_least(tol)?;
    // A flat at the end of the curve exactly at p: midpoint with the last observed time.
    if y.last()
        .copied()
        .flatten()
        .is_some_and(|l| (p - l).abs() < tol)
    {
        return Some((x[i1] + xmax) / 2.0);
    }
    let i2 = first_at_least(-tol)?;
    Some((x[i1] + x[i2]) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_example() {
        // Times 1, 2+, 3, 3, 4 (+ = censored): S = 0.8 at 1, 0.8 at 2, 0.2667 at 3, 0 at 4.
        let c = kaplan_meier(&[1.0, 2.0, 3.0, 3.0, 4.0], &[true, false, true, true, true]);
        assert_eq!(c.time, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(c.n_risk, vec![5, 4, 3, 1]);
        assert!((c.surv[2] - 0.8 / 3.0).abs() < 1e-12);
        assert_eq!(c.surv[3], 0.0);
        assert!(c.std_err[3].is_infinite());
        assert_eq!(c.quantiles(&[0.5], 1.96, ConfType::Log)[0].0, Some(3.0));
    }
}
