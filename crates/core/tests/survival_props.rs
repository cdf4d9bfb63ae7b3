//! Invariants of the survival estimators (proptest).

use atcpath_core::survival::cox::{Control, Ties, cox};
use atcpath_core::survival::kaplan_meier;
use proptest::prelude::*;

fn data() -> impl Strategy<Value = Vec<(f64, bool, f64, f64)>> {
    prop::collection::vec(
        (1u32..60, any::<bool>(), -3.0f64..3.0, 0.0f64..10.0),
        30..80,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(t, e, a, b)| (f64::from(t), e, a, b))
            .collect()
    })
}

proptest! {
    #[test]
    fn kaplan_meier_is_non_increasing_within_0_and_1(d in data()) {
        let t: Vec<f64> = d.iter().map(|r| r.0).collect();
        let e: Vec<bool> = d.iter().map(|r| r.1).collect();
        let c = kaplan_meier(&t, &e);
        let mut last = 1.0;
        for s in &c.surv {
            prop_assert!((0.0..=1.0).contains(s));
            prop_assert!(*s <= last + 1e-15);
            last = *s;
        }
        prop_assert_eq!(c.n_risk[0], t.len());
    }

    #[test]
    fn cox_is_invariant_to_row_order_and_scales_with_covariates(d in data(), k in 0.1f64..10.0, seed in any::<u64>()) {
        let events = d.iter().filter(|r| r.1).count();
        prop_assume!(events >= 5);
        let t: Vec<f64> = d.iter().map(|r| r.0).collect();
        let e: Vec<bool> = d.iter().map(|r| r.1).collect();
        let x: Vec<Vec<f64>> = d.iter().map(|r| vec![r.2, r.3]).collect();
        let terms = vec!["a".to_string(), "b".to_string()];
        let Ok(base) = cox(&t, &e, &x, &terms, None, Ties::Efron, Control::default()) else { return Ok(()) };
        prop_assume!(base.coef.iter().all(|b| b.abs() < 5.0));
        // Permute rows.
        let mut idx: Vec<usize> = (0..t.len()).collect();
        let mut s = seed;
        for i in (1..idx.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            idx.swap(i, (s >> 33) as usize % (i + 1));
        }
        let (tp, ep, xp): (Vec<f64>, Vec<bool>, Vec<Vec<f64>>) =
            (idx.iter().map(|i| t[*i]).collect(), idx.iter().map(|i| e[*i]).collect(), idx.iter().map(|i| x[*i].clone()).collect());
        let perm = cox(&tp, &ep, &xp, &terms, None, Ties::Efron, Control::default()).unwrap();
        for (a, b) in base.coef.iter().zip(&perm.coef) {
            prop_assert!((a - b).abs() <= 1e-6 * a.abs().max(1e-3), "{a} vs {b}");
        }
        // Rescale the first covariate by k: its coefficient scales by 1/k.
        let xs: Vec<Vec<f64>> = x.iter().map(|r| vec![r[0] * k, r[1]]).collect();
        let scaled = cox(&t, &e, &xs, &terms, None, Ties::Efron, Control::default()).unwrap();
        prop_assert!((scaled.coef[0] * k - base.coef[0]).abs() <= 1e-6 * base.coef[0].abs().max(1e-3));
        prop_assert!((scaled.loglik_final - base.loglik_final).abs() <= 1e-8 * base.loglik_final.abs());
    }
}
