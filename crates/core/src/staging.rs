//! AJCC 8th edition staging of anaplastic thyroid carcinoma.
//!
//! Source: AJCC Cancer Staging Manual, 8th edition, thyroid chapter (summary: Perrier, Brierley,
//! Tuttle, CA Cancer J Clin 2018;68:55-63); `clinical-pathway.md` §1; `clinical-reference.md` §1.
//! Every ATC is stage IV. IVA: T1-T3a, N0/NX, M0. IVB: T1-T3a with N1, or T3b-T4b with any N, M0.
//! IVC: M1. Absent M is unknown, never M0; a bare T3 is T3a or T3b; TX needs N1 to be staged.

use serde::Serialize;

use crate::case::model::{Invasion, Tumor};

/// Stored with every stage: AJCC 7th staged ATC differently (all T4).
pub const AJCC_EDITION: u8 = 8;

macro_rules! category {
    ($name:ident { $($v:ident),+ }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The category as written (`T4a`).
            pub fn as_str(self) -> &'static str { match self { $($name::$v => stringify!($v)),+ } }
            /// Parses the exact AJCC spelling.
            pub fn parse(s: &str) -> Option<Self> { $name::ALL.iter().copied().find(|c| c.as_str() == s) }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

category!(T {
    TX,
    T1,
    T1a,
    T1b,
    T2,
    T3,
    T3a,
    T3b,
    T4,
    T4a,
    T4b
});
category!(N {
    NX,
    N0,
    N0a,
    N0b,
    N1,
    N1a,
    N1b
});
category!(M { M0, M1 });
category!(StageGroup { IVA, IVB, IVC });

impl N {
    /// N1, N1a or N1b.
    pub fn is_node_positive(self) -> bool {
        matches!(self, N::N1 | N::N1a | N::N1b)
    }
}

/// The AJCC 8th stage group for T, N, M, or `None` when they do not settle it.
pub fn stage_group(t: Option<T>, n: Option<N>, m: Option<M>) -> Option<StageGroup> {
    match m? {
        M::M1 => Some(StageGroup::IVC),
        M::M0 => match (t, n) {
            (Some(T::T3b | T::T4 | T::T4a | T::T4b), _) => Some(StageGroup::IVB),
            (_, Some(n)) if n.is_node_positive() => Some(StageGroup::IVB),
            (Some(T::T1 | T::T1a | T::T1b | T::T2 | T::T3a), Some(_)) => Some(StageGroup::IVA),
            _ => None,
        },
    }
}

/// The stage groups still possible when some of T, N, M are unknown (TX and a bare T3 stand for
/// every T they could be; an unknown N or M for every value).
pub fn possible_groups(t: Option<T>, n: Option<N>, m: Option<M>) -> Vec<StageGroup> {
    let ts: Vec<T> = match t {
        None | Some(T::TX) => T::ALL.iter().copied().filter(|t| *t != T::TX).collect(),
        Some(T::T3) => vec![T::T3a, T::T3b],
        Some(T::T1) => vec![T::T1a, T::T1b],
        Some(T::T4) => vec![T::T4a, T::T4b],
        Some(t) => vec![t],
    };
    let ns: Vec<N> = n.map_or_else(|| N::ALL.to_vec(), |n| vec![n]);
    let ms: Vec<M> = m.map_or_else(|| M::ALL.to_vec(), |m| vec![m]);
    let mut out = Vec::new();
    for &t in &ts {
        for &n in &ns {
            for &m in &ms {
                if let Some(g) = stage_group(Some(t), Some(n), Some(m))
                    && !out.contains(&g)
                {
                    out.push(g);
                }
            }
        }
    }
    out.sort();
    out
}

/// T derived from gross invasion and size (`clinical-pathway.md` §1), with the reason in words.
///
/// Invasion decides when listed; size is used only when the case says explicitly that there is
/// no gross invasion (an empty list). `None` when neither settles T.
pub fn derive_t(size_mm: Option<f64>, invasion: Option<&[Invasion]>) -> Option<(T, String)> {
    use Invasion::*;
    let inv = invasion?;
    let names = |set: &[Invasion]| {
        inv.iter()
            .filter(|i| set.contains(i))
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    const T4B: [Invasion; 3] = [PrevertebralFascia, CarotidArtery, MediastinalVessels];
    const T4A: [Invasion; 5] = [
        SubcutaneousSoftTissue,
        Larynx,
        Trachea,
        Esophagus,
        RecurrentLaryngealNerve,
    ];
    if inv.iter().any(|i| T4B.contains(i)) {
        return Some((
            T::T4b,
            format!("T4b derived from gross invasion of {}", snake(&names(&T4B))),
        ));
    }
    if inv.iter().any(|i| T4A.contains(i)) {
        return Some((
            T::T4a,
            format!("T4a derived from gross invasion of {}", snake(&names(&T4A))),
        ));
    }
    if inv.contains(&StrapMuscles) {
        return Some((
            T::T3b,
            "T3b derived from gross invasion of strap muscles only".into(),
        ));
    }
    let size = size_mm?;
    let t = if size <= 10.0 {
        T::T1a
    } else if size <= 20.0 {
        T::T1b
    } else if size <= 40.0 {
        T::T2
    } else {
        T::T3a
    };
    Some((
        t,
        format!("{t} derived from size {size} mm with no gross invasion"),
    ))
}

fn snake(debug_names: &str) -> String {
    // "CarotidArtery, Trachea" -> "carotid artery, trachea"
    let mut out = String::new();
    for (i, c) in debug_names.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with(' ') {
                out.push(' ');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a recorded T agrees with what size and invasion say; `Err` explains a contradiction.
///
/// TX ("primary cannot be assessed") contradicts any recorded gross extrathyroidal invasion:
/// invasion of strap muscles (T3b), of subcutaneous soft tissue, larynx, trachea, esophagus or
/// recurrent laryngeal nerve (T4a), or of prevertebral fascia, carotid artery or mediastinal
/// vessels (T4b) assesses the primary (AJCC 8th, clinical-reference.md), so T is known; letting
/// TX stand would hide a T4b (unresectable) primary and offer surgery.
pub fn check_t(t: T, size_mm: Option<f64>, invasion: Option<&[Invasion]>) -> Result<(), String> {
    if let Some((derived, why)) = derive_t(size_mm, invasion) {
        if t == T::TX && invasion.is_some_and(|i| !i.is_empty()) {
            return Err(format!(
                "TX (primary cannot be assessed) contradicts the recorded invasion: {why}; record {derived} (AJCC 8th)"
            ));
        }
        let agrees = t == derived
            || matches!(
                (t, derived),
                (T::T3, T::T3a | T::T3b)
                    | (T::T4, T::T4a | T::T4b)
                    | (T::T1, T::T1a | T::T1b)
                    | (T::TX, _)
            );
        if !agrees {
            return Err(format!("{t} disagrees with the tumour description ({why})"));
        }
    }
    if let Some(size) = size_mm {
        let (lo, hi) = match t {
            T::T1 => (0.0, 20.0),
            T::T1a => (0.0, 10.0),
            T::T1b => (10.0, 20.0),
            T::T2 => (20.0, 40.0),
            T::T3a => (40.0, f64::INFINITY),
            _ => (0.0, f64::INFINITY),
        };
        let ok = size <= hi && (size > lo || lo == 0.0);
        if !ok {
            return Err(format!(
                "{t} disagrees with largest_dimension_mm {size} (AJCC 8th: {t} is >{lo} to {hi} mm)"
            ));
        }
    }
    Ok(())
}

/// What the plan assumes when the stage is unknown only for want of distant staging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Provisional {
    IVA,
    IVB,
    /// Locoregional, but T or N do not settle IVA versus IVB.
    #[serde(rename = "IVA/IVB")]
    IVAorIVB,
}

/// The stage of a case, with how it was reached.
#[derive(Debug, Clone, Serialize)]
pub struct Staging {
    /// `None` = unknown.
    pub group: Option<StageGroup>,
    pub t: Option<T>,
    pub n: Option<N>,
    pub m: Option<M>,
    /// How the stage was derived, and what was missing, in words.
    pub basis: Vec<String>,
    /// Locoregional stage assumed when only distant staging is missing.
    pub provisional: Option<Provisional>,
    /// Whether T, N and M settled the group (a recorded group then must agree).
    pub from_tnm: bool,
    pub ajcc_edition: u8,
}

impl Staging {
    /// Whether the plan is for metastatic (IVC) disease.
    pub fn is_metastatic(&self) -> bool {
        self.group == Some(StageGroup::IVC)
    }
}

/// Stages a tumour description. Pure; contradictions are checked by the case reader.
pub fn stage(tumor: &Tumor) -> Staging {
    let mut basis = Vec::new();
    let t = match (
        tumor.t,
        derive_t(tumor.largest_dimension_mm, tumor.invasion.as_deref()),
    ) {
        (Some(t), _) => {
            basis.push(format!("{t} as recorded"));
            Some(t)
        }
        (None, Some((t, why))) => {
            basis.push(why);
            Some(t)
        }
        (None, None) => {
            basis.push(match (&tumor.invasion, tumor.largest_dimension_mm) {
                (None, Some(_)) => "T unknown: size given but gross invasion not described (an absent invasion list does not mean none)".into(),
                _ => "T unknown: not recorded and not derivable".into(),
            });
            None
        }
    };
    match tumor.n {
        Some(n) => basis.push(format!("{n} as recorded")),
        None => basis.push("N unknown".into()),
    }
    let sites = tumor
        .metastatic_sites
        .as_ref()
        .is_some_and(|s| !s.is_empty());
    let m = match tumor.m {
        Some(m) => {
            basis.push(format!("{m} as recorded"));
            Some(m)
        }
        None if sites => {
            basis.push("M1 derived from the distant metastatic sites listed".into());
            Some(M::M1)
        }
        None => {
            basis.push("M unknown: distant staging not recorded (absent M is never M0)".into());
            None
        }
    };
    let from_tnm = stage_group(t, tumor.n, m);
    let mut group = from_tnm;
    if let Some(g) = from_tnm {
        basis.push(format!(
            "stage {g} from {} {} {} (AJCC 8th)",
            opt(t),
            opt(tumor.n),
            opt(m)
        ));
    } else if let Some(g) = tumor.stage_group {
        group = Some(g);
        basis.push(format!(
            "stage {g} as recorded by the treating team (TNM does not settle it)"
        ));
    } else if m == Some(M::M0) {
        basis.push(match t {
            Some(T::T3) => "bare T3 with N0/NX is T3a (IVA) or T3b (IVB): stage unknown".into(),
            _ => "T and N do not settle IVA versus IVB: stage unknown".into(),
        });
    }
    let provisional = if group.is_none() && m.is_none() {
        let p = match stage_group(t, tumor.n, Some(M::M0)) {
            Some(StageGroup::IVA) => Provisional::IVA,
            Some(StageGroup::IVB) => Provisional::IVB,
            _ => Provisional::IVAorIVB,
        };
        basis.push(format!(
            "provisional {} assuming no distant metastases until staging is complete",
            provisional_str(p)
        ));
        Some(p)
    } else {
        None
    };
    Staging {
        group,
        t,
        n: tumor.n,
        m,
        basis,
        provisional,
        from_tnm: from_tnm.is_some(),
        ajcc_edition: AJCC_EDITION,
    }
}

/// `IVA`, `IVB` or `IVA/IVB`.
pub fn provisional_str(p: Provisional) -> &'static str {
    match p {
        Provisional::IVA => "IVA",
        Provisional::IVB => "IVB",
        Provisional::IVAorIVB => "IVA/IVB",
    }
}

fn opt<C: std::fmt::Display>(c: Option<C>) -> String {
    c.map_or_else(|| "?".into(), |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use StageGroup::*;

    /// Independent statement of the AJCC 8th table, row by row, for the exhaustive test.
    fn expected(t: Option<T>, n: Option<N>, m: Option<M>) -> Option<StageGroup> {
        let small = |t| matches!(t, T::T1 | T::T1a | T::T1b | T::T2 | T::T3a);
        let big = |t| matches!(t, T::T3b | T::T4 | T::T4a | T::T4b);
        let n1 = |n| matches!(n, N::N1 | N::N1a | N::N1b);
        let n0 = |n| matches!(n, N::N0 | N::N0a | N::N0b | N::NX);
        match m {
            Some(M::M1) => Some(IVC),
            None => None,
            Some(M::M0) => {
                if t.is_some_and(big) {
                    Some(IVB)
                } else if n.is_some_and(n1) {
                    Some(IVB) // any T (incl. TX, T3, unknown) with N1 M0
                } else if t.is_some_and(small) && n.is_some_and(n0) {
                    Some(IVA)
                } else {
                    None
                }
            }
        }
    }

    #[test]
    fn every_t_n_m_combination_matches_the_ajcc_table() {
        let ts: Vec<Option<T>> = std::iter::once(None)
            .chain(T::ALL.iter().copied().map(Some))
            .collect();
        let ns: Vec<Option<N>> = std::iter::once(None)
            .chain(N::ALL.iter().copied().map(Some))
            .collect();
        let ms = [None, Some(M::M0), Some(M::M1)];
        let mut count = 0;
        for &t in &ts {
            for &n in &ns {
                for &m in &ms {
                    assert_eq!(
                        stage_group(t, n, m),
                        expected(t, n, m),
                        "T={t:?} N={n:?} M={m:?}"
                    );
                    count += 1;
                }
            }
        }
        assert_eq!(count, 12 * 8 * 3);
    }

    #[test]
    fn reference_vectors() {
        assert_eq!(
            stage_group(Some(T::T1a), Some(N::N0), Some(M::M0)),
            Some(IVA)
        );
        assert_eq!(
            stage_group(Some(T::T3a), Some(N::NX), Some(M::M0)),
            Some(IVA)
        );
        assert_eq!(
            stage_group(Some(T::T2), Some(N::N1a), Some(M::M0)),
            Some(IVB)
        );
        assert_eq!(
            stage_group(Some(T::T3b), Some(N::N0), Some(M::M0)),
            Some(IVB)
        );
        assert_eq!(
            stage_group(Some(T::T4b), Some(N::N0), Some(M::M0)),
            Some(IVB)
        );
        assert_eq!(
            stage_group(Some(T::T1b), Some(N::N0), Some(M::M1)),
            Some(IVC)
        );
        assert_eq!(stage_group(Some(T::T3), Some(N::N0), Some(M::M0)), None);
        assert_eq!(stage_group(Some(T::T2), Some(N::N0), None), None);
        assert_eq!(
            stage_group(Some(T::TX), Some(N::N1b), Some(M::M0)),
            Some(IVB)
        );
        assert_eq!(stage_group(Some(T::TX), Some(N::N0), Some(M::M0)), None);
    }

    #[test]
    fn t_is_derived_from_invasion_then_size() {
        use Invasion::*;
        assert_eq!(
            derive_t(Some(5.0), Some(&[Trachea, CarotidArtery]))
                .unwrap()
                .0,
            T::T4b
        );
        assert_eq!(derive_t(None, Some(&[Esophagus])).unwrap().0, T::T4a);
        assert_eq!(
            derive_t(Some(80.0), Some(&[StrapMuscles])).unwrap().0,
            T::T3b
        );
        assert_eq!(derive_t(Some(10.0), Some(&[])).unwrap().0, T::T1a);
        assert_eq!(derive_t(Some(20.0), Some(&[])).unwrap().0, T::T1b);
        assert_eq!(derive_t(Some(40.0), Some(&[])).unwrap().0, T::T2);
        assert_eq!(derive_t(Some(40.1), Some(&[])).unwrap().0, T::T3a);
        assert!(
            derive_t(Some(35.0), None).is_none(),
            "absent invasion does not mean none"
        );
    }

    #[test]
    fn missing_m_gives_unknown_with_provisional_stage() {
        let tumor = Tumor {
            n: Some(N::N1),
            ..Default::default()
        };
        let s = stage(&tumor);
        assert_eq!(s.group, None);
        assert_eq!(s.provisional, Some(Provisional::IVB));
        let s = stage(&Tumor {
            t: Some(T::T2),
            ..Default::default()
        });
        assert_eq!(s.provisional, Some(Provisional::IVAorIVB));
    }

    #[test]
    fn recorded_group_used_only_when_tnm_do_not_settle() {
        let s = stage(&Tumor {
            m: Some(M::M0),
            stage_group: Some(IVB),
            ..Default::default()
        });
        assert_eq!(s.group, Some(IVB));
        assert!(!s.from_tnm);
        assert!(
            s.basis
                .iter()
                .any(|b| b.contains("as recorded by the treating team"))
        );
    }

    #[test]
    fn metastatic_sites_imply_m1() {
        let s = stage(&Tumor {
            metastatic_sites: Some(vec![crate::case::MetastaticSite::Lung]),
            ..Default::default()
        });
        assert_eq!((s.group, s.m), (Some(IVC), Some(M::M1)));
    }

    #[test]
    fn possible_groups_rule_out_what_t_and_n_forbid() {
        assert_eq!(
            possible_groups(Some(T::T4a), Some(N::N1b), None),
            vec![IVB, IVC]
        );
        assert_eq!(
            possible_groups(Some(T::T1a), Some(N::N0), None),
            vec![IVA, IVC]
        );
        assert_eq!(possible_groups(None, None, Some(M::M0)), vec![IVA, IVB]);
        assert_eq!(
            possible_groups(Some(T::T3), Some(N::N0), Some(M::M0)),
            vec![IVA, IVB]
        );
    }

    #[test]
    fn recorded_t_must_agree_with_description() {
        assert!(check_t(T::T2, None, Some(&[Invasion::Trachea])).is_err());
        assert!(check_t(T::T4, None, Some(&[Invasion::Trachea])).is_ok());
        assert!(check_t(T::T1a, Some(35.0), None).is_err());
        assert!(check_t(T::T2, Some(38.0), None).is_ok());
        assert!(check_t(T::T4a, Some(150.0), None).is_ok());
    }
}
