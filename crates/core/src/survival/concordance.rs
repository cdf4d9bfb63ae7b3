//! Harrell's concordance of a risk score with right-censored times, as R `survival::concordance`
//! reports it for a Cox model (timewt "n"): over pairs where the earlier time is an event
//! (a subject censored at the same time as an event counts as later), concordant when the
//! earlier event has the higher score, discordant when lower, tied on x when equal; pairs of
//! events at the same time are tied on y (or on x and y). C = (concordant + tied_x / 2) /
//! (concordant + discordant + tied_x). Its standard error is the infinitesimal-jackknife
//! estimate: with Somers' d = (C - D) / N, each subject's influence is
//! ((c_i - d_i) - d (c_i + d_i + t_i)) / N, where c_i, d_i, t_i count the pairs it belongs to;
//! var(C) = sum of influences squared / 4. Pairs form only within strata. O(n log n) with a
//! Fenwick tree over score ranks.

use serde::Serialize;

/// Concordance and pair counts.
#[derive(Debug, Clone, Serialize)]
pub struct Concordance {
    pub value: f64,
    pub se: f64,
    pub concordant: f64,
    pub discordant: f64,
    pub tied_x: f64,
    pub tied_y: f64,
    pub tied_xy: f64,
}

struct Fenwick(Vec<f64>);

impl Fenwick {
    fn add(&mut self, mut i: usize, v: f64) {
        i += 1;
        while i < self.0.len() {
            self.0[i] += v;
            i += i & i.wrapping_neg();
        }
    }
    /// Sum over ranks 0..i (exclusive).
    fn prefix(&self, mut i: usize) -> f64 {
        let mut s = 0.0;
        while i > 0 {
            s += self.0[i];
            i -= i & i.wrapping_neg();
        }
        s
    }
}

/// Computes the concordance of `score` (higher = shorter expected survival) with (time, event).
pub fn concordance(
    time: &[f64],
    event: &[bool],
    score: &[f64],
    strata: Option<&[usize]>,
) -> Concordance {
    let n = time.len();
    let s: Vec<usize> = strata.map_or_else(|| vec![0; n], <[usize]>::to_vec);
    let mut levels = s.clone();
    levels.sort_unstable();
    levels.dedup();
    // Per subject: concordant, discordant, tied-x pair counts.
    let (mut ci, mut di, mut ti) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let (mut tied_y, mut tied_xy) = (0.0, 0.0);
    let mut rank = vec![0usize; n];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); levels.len()];
    for i in 0..n {
        members[levels.binary_search(&s[i]).unwrap_or(0)].push(i);
    }
    for idx in members {
        let mut scores: Vec<f64> = idx.iter().map(|i| score[*i]).collect();
        scores.sort_by(f64::total_cmp);
        scores.dedup();
                for &i in &idx {
            rank[i] = scores.partition_point(|x| *x < score[i]);
        }
        let m = scores.len();
        let mut by_time = idx.clone();
        by_time.sort_by(|a, b| time[*a].total_cmp(&time[*b]));
        // Groups of equal time, in increasing time.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut g0 = 0;
        for j in 1..=by_time.len() {
            if j == by_time.len() || time[by_time[j]] != time[by_time[g0]] {
                groups.push((g0, j));
                g0 = j;
            }
        }
        // Pass 1, latest first: each event against everyone later (and censored at its time).
        let mut later = Fenwick(vec![0.0; m + 1]);
        let mut total = 0.0;
        for &(a, b) in groups.iter().rev() {
            let group = &by_time[a..b];
            for &i in group.iter().filter(|i| !event[**i]) {
                later.add(rank[i], 1.0);
                total += 1.0;
            }
            for &i in group.iter().filter(|i| event[**i]) {
                let r = rank[i];
                let below = later.prefix(r);
                let equal = later.prefix(r + 1) - below;
                ci[i] += below;
                di[i] += total - below - equal;
                ti[i] += equal;
            }
                        // Events tied in time with each other: all pairs, of which those also tied in score.
            let deaths: Vec<usize> = group.iter().copied().filter(|i| event[*i]).collect();
            let nd = deaths.len() as f64;
            let mut ranks: Vec<usize> = deaths.iter().map(|i| rank[*i]).collect();
            ranks.sort_unstable();
            let mut same = 0.0;
            let mut k = 0;
            while k < ranks.len() {
                let run = ranks[k..].iter().take_while(|r| **r == ranks[k]).count() as f64;
                same += run * (run - 1.0) / 2.0;
                k += run as usize;
            }
            tied_xy += same;
            tied_y += nd * (nd - 1.0) / 2.0 - same;
            for &i in &deaths {
                later.add(rank[i], 1.0);
                total += 1.0;
            }
        }
        // Pass 2, earliest first: each subject against the earlier events it is compared with.
        let mut earlier = Fenwick(vec![0.0; m + 1]);
        let mut count = 0.0;
        for &(a, b) in &groups {
            let group = &by_time[a..b];
            let tally = |j: usize,
                         tree: &Fenwick,
                         count: f64,
                         ci: &mut [f64],
                         di: &mut [f64],
                         ti: &mut [f64]| {
                let r = rank[j];
                let below = tree.prefix(r);
                let equal = tree.prefix(r + 1) - below;
                // An earlier event with a higher score than j's: concordant for j too.
                ci[j] += count - below - equal;
                di[j] += below;
                ti[j] += equal;
            };
            for &j in group.iter().filter(|j| event[**j]) {
                tally(j, &earlier, count, &mut ci, &mut di, &mut ti);
            }
            for &i in group.iter().filter(|i| event[**i]) {
                earlier.add(rank[i], 1.0);
                count += 1.0;
            }
            for &j in group.iter().filter(|j| !event[**j]) {
                tally(j, &earlier, count, &mut ci, &mut di, &mut ti);
            }
        }
    }
    // Each pair was counted once for each member: halve for totals.
    let c: f64 = ci.iter().sum::<f64>() / 2.0;
    let d: f64 = di.iter().sum::<f64>() / 2.0;
    let t: f64 = ti.iter().sum::<f64>() / 2.0;
    let npair = c + d + t;
    let somers = (c - d) / npair;
    let var: f64 = (0..n)
        .map(|i| {
            let inf = (ci[i] - di[i]) / npair - somers / npair * (ci[i] + di[i] + ti[i]);
            inf * inf
        })
        .sum::<f64>()
        / 4.0;
    Concordance {
        value: (somers + 1.0) / 2.0,
        se: var.sqrt(),
        concordant: c,
        discordant: d,
        tied_x: t,
        tied_y,
        tied_xy,
    }
}
