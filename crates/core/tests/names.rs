//! Gene names, HGVS notations and fusion orientation that look right but are not: each is an
//! error naming the field, never a silent guess that hides a BRAF V600E or a kinase fusion.

use atcpath_core::case::read::read_case;
use atcpath_kb::Kb;
use proptest::prelude::*;
use serde_json::{Value, json};

fn kb() -> Kb {
    Kb::embedded().unwrap()
}

fn example() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/ivc-braf.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The example case with its first variant replaced; the problems at `molecular.variants[0]`.
fn variant_problems(kb: &Kb, variant: Value) -> Vec<(String, String)> {
    let mut case = example();
    case["molecular"]["variants"][0] = variant;
    match read_case(case.to_string().as_bytes(), kb, None) {
        Ok(_) => vec![],
        Err(ps) => ps.into_iter().map(|p| (p.path, p.message)).collect(),
    }
}

fn refused(kb: &Kb, variant: Value, path: &str, words: &[&str]) {
    let ps = variant_problems(kb, variant.clone());
    assert!(
        ps.iter()
            .any(|(p, m)| p == path && words.iter().all(|w| m.contains(w))),
        "{variant}: expected {path} with {words:?}, got {ps:?}"
    );
}

#[test]
fn look_alike_case_and_gene_with_change_are_refused_in_a_case_file() {
    let kb = kb();
    let g = "molecular.variants[0].gene";
    refused(
        &kb,
        json!({"gene": "BRАF", "hgvs_p": "p.V600E"}),
        g,
        &["Cyrillic", "did you mean \"BRAF\""],
    );
    refused(
        &kb,
        json!({"gene": "BRAF\u{200B}", "hgvs_p": "p.V600E"}),
        g,
        &["invisible"],
    );
    refused(
        &kb,
        json!({"gene": "BRAf", "hgvs_p": "p.V600E"}),
        g,
        &["did you mean \"BRAF\""],
    );
    refused(
        &kb,
        json!({"gene": "BRAF-V600E"}),
        g,
        &["symbol only", "\"BRAF\""],
    );
    assert!(variant_problems(&kb, json!({"gene": "BRAF", "hgvs_p": "p.V600E"})).is_empty());
}

#[test]
fn an_old_name_of_a_fusion_gene_is_refused_with_the_current_symbol() {
    let kb = kb();
    let mut case = example();
    case["molecular"]["fusions"] = json!([{"five_prime": "ETV6", "three_prime": "TRKC"}]);
    let ps = read_case(case.to_string().as_bytes(), &kb, None).unwrap_err();
    assert!(
        ps.iter()
            .any(|p| p.path == "molecular.fusions[0].three_prime"
                && p.message.contains("NTRK3")
                && p.message.contains("HGNC:8033")),
        "{ps:?}"
    );
}

fn symbol_and_char() -> impl Strategy<Value = (String, char, usize)> {
    let genes: Vec<String> = kb().known_genes().map(str::to_string).collect();
    let chars = vec![
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{00AD}', '\u{FEFF}', 'А', 'В', 'Е', 'К',
        'М', 'Н', 'О', 'Р', 'С', 'Т', 'Х', 'Α', 'Β', 'Ε', 'Κ', 'Ν', 'Ρ', 'Τ', 'Ａ', 'Ｂ', 'Ｒ',
        'Ｆ', '３',
    ];
    (
        prop::sample::select(genes),
        prop::sample::select(chars),
        0usize..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    /// Any knowledge-base gene with an invisible, look-alike or fullwidth character inserted
    /// anywhere is refused by the case reader at the gene's JSON path.
    #[test]
    fn case_reader_refuses_odd_characters_in_every_kb_symbol((g, c, at) in symbol_and_char()) {
        let kb = kb();
        let i = at.min(g.len());
        let gene = format!("{}{c}{}", &g[..i], &g[i..]);
        let ps = variant_problems(&kb, json!({"gene": gene}));
        prop_assert!(ps.iter().any(|(p, _)| p == "molecular.variants[0].gene"), "{gene:?}: {ps:?}");
    }
}

#[test]
fn legacy_braf_numbering_is_refused_with_the_modern_name() {
    let kb = kb();
    let p = "molecular.variants[0].hgvs_p";
    refused(
        &kb,
        json!({"gene": "BRAF", "hgvs_p": "p.V599E"}),
        p,
        &["legacy numbering", "did you mean p.V600E"],
    );
    refused(
        &kb,
        json!({"gene": "BRAF", "hgvs_p": "p.Lys600Glu"}),
        p,
        &["legacy numbering", "p.K601E"],
    );
}

#[test]
fn a_coding_change_with_the_wrong_reference_base_is_refused() {
    let kb = kb();
    let c = "molecular.variants[0].hgvs_c";
    refused(
        &kb,
        json!({"gene": "BRAF", "hgvs_c": "c.1799A>T"}),
        c,
        &["wrong reference base", "GTG"],
    );
    refused(
        &kb,
        json!({"gene": "BRAF", "hgvs_p": "p.V600E", "hgvs_c": "c.1799A>T"}),
        c,
        &["wrong reference base"],
    );
    assert!(variant_problems(&kb, json!({"gene": "BRAF", "hgvs_c": "c.1799T>A"})).is_empty());
}

#[test]
fn equivalent_notations_of_v600e_read_alike() {
    let kb = kb();
    for v in [
        json!({"gene": "BRAF", "hgvs_c": "c.1799delinsA"}),
        json!({"gene": "BRAF", "hgvs_c": "c.1799T>A"}),
        json!({"gene": "BRAF", "hgvs_p": "p.(V600E)", "hgvs_c": "c.1799delinsA"}),
        json!({"gene": "BRAF", "hgvs_p": "p.Val600Glu"}),
        json!({"gene": "BRAF", "hgvs_c": "c.1799_1800delinsAG"}),
    ] {
        let mut case = example();
        case["molecular"]["variants"][0] = v.clone();
        let c = read_case(case.to_string().as_bytes(), &kb, None).unwrap();
        let p = c.molecular.variants[0]
            .protein
            .as_ref()
            .map(|p| p.normalized.as_str());
        assert_eq!(p, Some("p.Val600Glu"), "{v}");
        if v.get("hgvs_c").is_some() {
            let coding = c.molecular.variants[0].coding.as_ref();
            assert_eq!(
                coding.map(|c| c.normalized.as_str()),
                Some("c.1799T>A"),
                "{v}: one notation for one change"
            );
        }
    }
    // The one-position delins that is not V600E disagrees with it.
    let ps = variant_problems(
        &kb,
        json!({"gene": "BRAF", "hgvs_p": "p.V600E", "hgvs_c": "c.1799delinsT"}),
    );
    assert!(!ps.is_empty());
}

#[test]
fn a_position_beyond_the_protein_is_refused() {
    let kb = kb();
    let p = "molecular.variants[0].hgvs_p";
    refused(
        &kb,
        json!({"gene": "KRAS", "hgvs_p": "p.V600E"}),
        p,
        &["beyond the end", "189"],
    );
    refused(
        &kb,
        json!({"gene": "TP53", "hgvs_p": "p.R394H"}),
        p,
        &["393"],
    );
    refused(
        &kb,
        json!({"gene": "KRAS", "hgvs_c": "c.1799T>A"}),
        "molecular.variants[0].hgvs_c",
        &["beyond the coding sequence"],
    );
    assert!(variant_problems(&kb, json!({"gene": "KRAS", "hgvs_p": "p.G12D"})).is_empty());
    assert!(variant_problems(&kb, json!({"gene": "BRAF", "hgvs_p": "p.S766L"})).is_empty());
}

fn ret_example() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/ivc-ret-declines-chemo.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn assess_case(case: &atcpath_core::case::Case) -> atcpath_core::report::Assessment {
    let kb = kb();
    atcpath_core::assess(case, &kb, &atcpath_core::Config::from_kb(&kb))
}

#[test]
fn the_three_prime_partner_decides_the_kinase() {
    let kb = kb();
    use atcpath_core::molecular::State;
    for (five, three, ret, ntrk) in [
        ("NTRK1", "RET", State::Detected, State::NotDetected),
        ("RET", "NTRK1", State::NotDetected, State::Detected),
        ("NCOA4", "RET", State::Detected, State::NotDetected),
        ("ETV6", "NTRK3", State::NotDetected, State::Detected),
    ] {
        let mut case = ret_example();
        case["molecular"]["fusions"] = json!([{"five_prime": five, "three_prime": three}]);
        let c = read_case(case.to_string().as_bytes(), &kb, None).unwrap();
        let a = assess_case(&c);
        assert_eq!(a.molecular.ret_fusion.state, ret, "{five}::{three} RET");
        assert_eq!(a.molecular.ntrk_fusion.state, ntrk, "{five}::{three} NTRK");
    }
    assert_eq!(
        atcpath_core::genomics::annotate_fusion(&kb, "NTRK1", "RET").alteration,
        atcpath_core::genomics::annotate_fusion(&kb, "CCDC6", "RET").alteration
    );
    assert_eq!(
        atcpath_core::genomics::fusion_kinase(&kb, "RET", "NTRK1"),
        Some("NTRK1")
    );
}

#[test]
fn a_ret_rearrangement_without_partner_is_unknown_with_an_alert_and_a_contingency() {
    let kb = kb();
    let mut case = ret_example();
    case["molecular"]["fusions"] = json!([]);
    let mut c = read_case(case.to_string().as_bytes(), &kb, None).unwrap();
    // Without it, ngs_rna resulted without a RET fusion: not detected.
    let before = assess_case(&c);
    assert_eq!(
        before.molecular.ret_fusion.state,
        atcpath_core::molecular::State::NotDetected
    );
    c.molecular
        .rearrangements
        .push(atcpath_core::case::Rearrangement {
            gene: "RET".into(),
            source: Some("sv.txt line 2".into()),
        });
    let a = assess_case(&c);
    assert_eq!(
        a.molecular.ret_fusion.state,
        atcpath_core::molecular::State::Unknown
    );
    assert!(
        a.molecular.ret_fusion.basis.contains("partner unknown"),
        "{}",
        a.molecular.ret_fusion.basis
    );
    let alert = a
        .alerts
        .iter()
        .find(|x| x.id == atcpath_kb::AlertId::KinaseRearrangementPartnerUnknown)
        .expect("the partner-unknown alert");
    assert!(alert.message.contains("RET rearrangement") && alert.message.contains("sv.txt line 2"));
    let k = a
        .contingencies
        .iter()
        .find(|k| k.if_ == "RET fusion detected")
        .expect("a contingency for a confirmed RET fusion");
    assert!(
        k.then.contains(&atcpath_kb::OptionId::Selpercatinib),
        "{:?}",
        k.then
    );
    // The RET-directed drug is not excluded as if RET were negative.
    assert!(
        !a.excluded
            .iter()
            .any(|e| e.id == atcpath_kb::OptionId::Selpercatinib && e.why.contains("not detected")),
        "{:?}",
        a.excluded
    );
}
