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

/// Counts per score rank (integers: compact, so the tree stays in cache longer).
struct Fenwick(Vec<u32>);

impl Fenwick {
    fn add(&mut self, mut i: usize, v: f64) {
        i += 1;
        while i < self.0.len() {
            self.0[i] += v as u32;
            i += i & i.wrapping_neg();
        }
    }
    /// Count over ranks 0..i (exclusive).
    fn prefix(&self, mut i: usize) -> f64 {
        let mut s = 0u64;
        while i > 0 {
            s += u64::from(self.0[i]);
            i -= i & i.wrapping_neg();
        }
        s as f64
    }
}

/// Pass 1, latest time first: each event against everyone later (and those censored at its
/// time). Returns, per position in `by_time`, its concordant, discordant and tied-x counts, and
/// the pairs of events tied in time (and also in score).
fn pass_later(
    by_time: &[usize],
    groups: &[(usize, usize)],
    event: &[bool],
    rank: &[usize],
    m: usize,
) -> (Vec<[f64; 3]>, f64, f64) {
    let mut out = vec![[0.0; 3]; by_time.len()];
    let mut tree = Fenwick(vec![0; m + 1]);
    let mut at = vec![0u32; m];
    let mut total = 0.0;
    let (mut tied_y, mut tied_xy) = (0.0, 0.0);
    let mut ranks: Vec<usize> = Vec::new();
    for &(a, b) in groups.iter().rev() {
        for p in a..b {
            let i = by_time[p];
            if !event[i] {
                tree.add(rank[i], 1.0);
                at[rank[i]] += 1;
                total += 1.0;
            }
        }
        ranks.clear();
        for p in a..b {
            let i = by_time[p];
            if event[i] {
                let r = rank[i];
                let below = tree.prefix(r);
                let equal = f64::from(at[r]);
                out[p] = [below, total - below - equal, equal];
                ranks.push(r);
            }
        }
        // Events tied in time: all pairs, of which those also tied in score.
        ranks.sort_unstable();
        let nd = ranks.len() as f64;
        let mut same = 0.0;
        let mut k = 0;
        while k < ranks.len() {
            let run = ranks[k..].iter().take_while(|r| **r == ranks[k]).count();
            same += (run * (run - 1) / 2) as f64;
            k += run;
        }
        tied_xy += same;
        tied_y += nd * (nd - 1.0) / 2.0 - same;
        for &r in &ranks {
            tree.add(r, 1.0);
            at[r] += 1;
            total += 1.0;
        }
    }
    (out, tied_y, tied_xy)
}

/// Pass 2, earliest time first: each subject against the earlier events it is compared with
/// (for a censored subject, also the events at its own time).
fn pass_earlier(
    by_time: &[usize],
    groups: &[(usize, usize)],
    event: &[bool],
    rank: &[usize],
    m: usize,
) -> Vec<[f64; 3]> {
    let mut out = vec![[0.0; 3]; by_time.len()];
    let mut tree = Fenwick(vec![0; m + 1]);
    let mut at = vec![0u32; m];
    let mut count = 0.0;
    let tally = |p: usize, tree: &Fenwick, at: &[u32], count: f64, out: &mut [[f64; 3]]| {
        let r = rank[by_time[p]];
        let below = tree.prefix(r);
        let equal = f64::from(at[r]);
        // An earlier event with a higher score: concordant for this subject too.
        out[p] = [count - below - equal, below, equal];
    };
    for &(a, b) in groups {
        for p in (a..b).filter(|p| event[by_time[*p]]) {
            tally(p, &tree, &at, count, &mut out);
        }
        for p in (a..b).filter(|p| event[by_time[*p]]) {
            let r = rank[by_time[p]];
            tree.add(r, 1.0);
            at[r] += 1;
            count += 1.0;
        }
        for p in (a..b).filter(|p| !event[by_time[*p]]) {
            tally(p, &tree, &at, count, &mut out);
        }
    }
    out
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
        // Dense ranks of the scores and the time order: two sorts of (key, index) pairs, in parallel.
        let keyed = |key: &[f64]| {
            let mut v: Vec<(f64, usize)> = idx.iter().map(|i| (key[*i], *i)).collect();
            v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            v
        };
        let (by_score, by_time) = std::thread::scope(|sc| {
            let h = sc.spawn(|| keyed(score));
            let t = keyed(time);
            (h.join().expect("sort"), t)
        });
        let mut m = 0;
        for k in 0..by_score.len() {
            if k > 0 && by_score[k].0 != by_score[k - 1].0 {
                m += 1;
            }
            rank[by_score[k].1] = m;
        }
        let m = if by_score.is_empty() { 0 } else { m + 1 };
        let by_time: Vec<usize> = by_time.into_iter().map(|(_, i)| i).collect();
        // Groups of equal time, in increasing time.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut g0 = 0;
        for j in 1..=by_time.len() {
            if j == by_time.len() || time[by_time[j]] != time[by_time[g0]] {
                groups.push((g0, j));
                g0 = j;
            }
        }
        // The two passes are independent: run them on two threads.
        let (later, earlier) = std::thread::scope(|sc| {
            let h = sc.spawn(|| pass_later(&by_time, &groups, event, &rank, m));
            let e = pass_earlier(&by_time, &groups, event, &rank, m);
            (h.join().expect("concordance pass"), e)
        });
        let (per_later, ty, txy) = later;
        tied_y += ty;
        tied_xy += txy;
        for (pos, &i) in by_time.iter().enumerate() {
            ci[i] += per_later[pos][0] + earlier[pos][0];
            di[i] += per_later[pos][1] + earlier[pos][1];
            ti[i] += per_later[pos][2] + earlier[pos][2];
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
