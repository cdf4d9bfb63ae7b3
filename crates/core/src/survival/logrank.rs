//! The G-rho family of k-sample tests (Harrington & Fleming, Biometrika 1982), as R `survdiff`:
//! rho = 0 is the log-rank (Mantel-Haenszel) test, rho = 1 the Peto & Peto modification of the
//! Gehan-Wilcoxon test. At each event time the weight is S(t-)^rho, S the Kaplan-Meier estimate of
//! the pooled sample (within stratum); observed and expected are weighted sums,
//! O_g = sum w d_g, E_g = sum w d n_g / n, and the variance is
//! V_gh = sum w^2 d (n - d) / (n - 1) * (n_g / n) (delta_gh - n_h / n).
//! The statistic is (O - E)' V^- (O - E) on k - 1 degrees of freedom (the first k - 1 groups;
//! equivalent to a generalised inverse). Strata add their O, E and V.

use serde::Serialize;

/// Per-group result.
#[derive(Debug, Clone, Serialize)]
pub struct GroupTest {
    pub group: String,
    pub n: usize,
    pub observed: f64,
    pub expected: f64,
}

/// A G-rho test.
#[derive(Debug, Clone, Serialize)]
pub struct LogRank {
    pub rho: f64,
    pub chisq: f64,
    pub df: usize,
    pub p: f64,
    pub groups: Vec<GroupTest>,
    pub var: Vec<Vec<f64>>,
}

/// Runs the test. `group[i]` indexes `names`; `stratum[i]` (if any) separates strata.
///
/// # Errors
/// A message when fewer than two groups have observations or the variance is singular.
pub fn log_rank(
    time: &[f64],
    event: &[bool],
    group: &[usize],
    names: &[String],
    stratum: Option<&[usize]>,
    rho: f64,
) -> Result<LogRank, String> {
    let k = names.len();
    let mut o = vec![0.0; k];
    let mut e = vec![0.0; k];
    let mut v = vec![vec![0.0; k]; k];
    let mut counts = vec![0usize; k];
    for g in group {
        counts[*g] += 1;
    }
    let strata: Vec<usize> = stratum.map_or_else(|| vec![0; time.len()], <[usize]>::to_vec);
    let mut levels: Vec<usize> = strata.clone();
    levels.sort_unstable();
    levels.dedup();
    for level in levels {
        let mut idx: Vec<usize> = (0..time.len()).filter(|i| strata[*i] == level).collect();
        idx.sort_by(|a, b| time[*a].total_cmp(&time[*b]));
        let mut at_risk = vec![0usize; k];
        for i in &idx {
            at_risk[group[*i]] += 1;
        }
        let mut n: usize = idx.len();
        let mut s_left: f64 = 1.0; // pooled KM just before the current time
        let mut j = 0;
        while j < idx.len() {
            let t = time[idx[j]];
            let mut d_g = vec![0usize; k];
            let mut leave = vec![0usize; k];
            while j < idx.len() && time[idx[j]] == t {
                let g = group[idx[j]];
                if event[idx[j]] {
                    d_g[g] += 1;
                }
                leave[g] += 1;
                j += 1;
            }
            let d: usize = d_g.iter().sum();
            if d > 0 {
                let (nf, df) = (n as f64, d as f64);
                let w = if rho == 0.0 { 1.0 } else { s_left.powf(rho) };
                for g in 0..k {
                    o[g] += w * d_g[g] as f64;
                    e[g] += w * df * at_risk[g] as f64 / nf;
                }
                if n > 1 {
                    let c = w * w * df * (nf - df) / (nf - 1.0);
                    for g in 0..k {
                        let pg = at_risk[g] as f64 / nf;
                        for h in 0..k {
                            let ph = at_risk[h] as f64 / nf;
                            v[g][h] += c * pg * (if g == h { 1.0 } else { 0.0 } - ph);
                        }
                    }
                }
                s_left *= 1.0 - df / nf;
            }
            for g in 0..k {
                at_risk[g] -= leave[g];
            }
            n -= leave.iter().sum::<usize>();
        }
    }
    let present: Vec<usize> = (0..k).filter(|g| counts[*g] > 0).collect();
    if present.len() < 2 {
        return Err("the test needs at least two groups with observations".into());
    }
    // (O - E)' V^- (O - E) over all present groups but the last.
    let m = present.len() - 1;
    let a = nalgebra::DMatrix::from_fn(m, m, |r, c| v[present[r]][present[c]]);
    let b = nalgebra::DVector::from_fn(m, |r, _| o[present[r]] - e[present[r]]);
    let chol = a
        .clone()
        .cholesky()
        .ok_or("the variance matrix is singular (a group has no one at risk at any event time)")?;
    let chisq = b.dot(&chol.solve(&b));
    let df = m;
    Ok(LogRank {
        rho,
        chisq,
        df,
        p: super::chisq_sf(chisq, df as f64),
        groups: (0..k)
            .map(|g| GroupTest {
                group: names[g].clone(),
                n: counts[g],
                observed: o[g],
                expected: e[g],
            })
            .collect(),
        var: v,
    })
}
