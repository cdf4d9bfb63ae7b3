//! The knowledge base loads, every citation resolves, and a broken one is refused clearly.

use atcpath_kb::{FILES, Kb, KbError, OptionId};

fn sources_with(file: &str, edit: impl Fn(String) -> String) -> Result<Kb, KbError> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
    Kb::from_sources(|name| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        Ok(if name == file { edit(text) } else { text })
    })
}

#[test]
fn embedded_kb_is_valid_and_versioned() {
    let kb = Kb::embedded().unwrap();
    assert!(!kb.meta.version.is_empty() && kb.meta.date.len() == 10);
    assert_eq!(kb.options.len(), OptionId::ALL.len());
    assert_eq!(kb.trials.len(), 21, "the review's Table 2");
    assert!(kb.studies.len() >= 20, "the review's Table 1");
}

#[test]
fn every_citation_resolves() {
    let kb = Kb::embedded().unwrap();
    let mut cited: Vec<&String> = Vec::new();
    cited.extend(kb.options.iter().flat_map(|o| {
        o.references
            .iter()
            .chain(o.regulatory.iter().flat_map(|r| &r.references))
    }));
    cited.extend(kb.rules.iter().flat_map(|r| &r.references));
    cited.extend(kb.alerts.iter().flat_map(|r| &r.references));
    cited.extend(kb.workup.iter().flat_map(|r| &r.references));
    cited.extend(kb.trials.iter().flat_map(|r| &r.references));
    cited.extend(kb.studies.iter().flat_map(|r| &r.references));
    cited.extend(kb.benchmarks.iter().flat_map(|r| &r.references));
    assert!(cited.len() > 100);
    for key in cited {
        assert!(kb.reference(key).is_some(), "{key} does not resolve");
    }
}

#[test]
fn the_folder_matches_the_embedded_copy() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
    let kb = Kb::from_dir(&dir).unwrap();
    assert_eq!(kb.meta.version, Kb::embedded().unwrap().meta.version);
    assert_eq!(FILES.len(), 15);
}

#[test]
fn an_unknown_option_id_is_refused() {
    let e = sources_with("options.toml", |t| {
        t.replacen("id = \"lenvatinib\"", "id = \"lenvatinibb\"", 1)
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("options.toml") && e.to_string().contains("lenvatinibb"),
        "{e}"
    );
}

#[test]
fn a_dangling_citation_is_refused() {
    let e = sources_with("rules.toml", |t| {
        t.replacen(
            "[\"ata2021\", \"review:4\"]",
            "[\"ata2021\", \"review:999\"]",
            1,
        )
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("review:999") && e.to_string().contains("rules.toml"),
        "{e}"
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    let e = sources_with("trials.toml", |t| t.replace("NCT03085056", "NCT03565536")).unwrap_err();
    assert!(
        e.to_string().contains("duplicate id \"NCT03565536\""),
        "{e}"
    );
    let e = sources_with("references.toml", |t| {
        t.replacen("key = \"ata2021\"", "key = \"review\"", 1)
    })
    .unwrap_err();
    assert!(e.to_string().contains("duplicate key"), "{e}");
}

#[test]
fn a_missing_vocabulary_entry_is_refused() {
    let e = sources_with("alerts.toml", |t| {
        t.replacen("id = \"renal_impairment\"", "id = \"airway_compromise\"", 1)
    })
    .unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("no entry for renal_impairment") && s.contains("duplicate id airway_compromise"),
        "{s}"
    );
}

#[test]
fn an_unknown_field_is_refused_with_its_file() {
    let e = sources_with("kb.toml", |t| format!("{t}\nreviewer = \"x\"\n")).unwrap_err();
    assert!(
        e.to_string().contains("kb.toml") && e.to_string().contains("reviewer"),
        "{e}"
    );
}

#[test]
fn drug_names_are_normalised_once_salts_forms_and_brands() {
    let kb = atcpath_kb::Kb::embedded().unwrap();
    for (written, generic) in [
        ("Doxorubicin HCl", "doxorubicin"),
        ("doxorubicin  hydrochloride", "doxorubicin"),
        ("Doxorubicin hydrochloride liposomal", "doxorubicin"),
        ("doxorubicin pegylated liposomal", "doxorubicin"),
        ("Adriamycin", "doxorubicin"),
        ("Adriamycin HCl", "doxorubicin"),
        ("Taxol", "paclitaxel"),
        ("Paraplatin", "carboplatin"),
        ("Platinol", "cisplatin"),
        ("Tafinlar", "dabrafenib"),
        ("Mekinist", "trametinib"),
        ("Lenvima®", "lenvatinib"),
        ("lenvatinib mesylate", "lenvatinib"),
        ("Retevmo", "selpercatinib"),
        ("Gavreto", "pralsetinib"),
        ("Vitrakvi", "larotrectinib"),
        ("larotrectinib sulfate", "larotrectinib"),
        ("Rozlytrek", "entrectinib"),
        ("Keytruda", "pembrolizumab"),
        ("trametinib dimethyl sulfoxide", "trametinib"),
        ("paclitaxel protein-bound", "nab-paclitaxel"),
    ] {
        assert_eq!(
            kb.generic_drug(written).as_deref(),
            Ok(generic),
            "{written}"
        );
    }
    for written in [
        "liposomal doxorubicin",
        "pegylated liposomal doxorubicin",
        "doxorubicin-HCl",
        "Doxorubicin (Adriamycin)",
        "Doxorubicin HCl 2 mg/mL injection",
        "hydroxydaunorubicin",
        "Doxorubicin 50mg",
    ] {
        assert_eq!(
            kb.generic_drug(written).as_deref(),
            Ok("doxorubicin"),
            "{written}"
        );
    }
    // Combinations and known names among other words are not resolved, but named.
    for (written, named) in [
        ("doxorubicin + cisplatin", vec!["doxorubicin", "cisplatin"]),
        ("doxorubicin/cisplatin", vec!["doxorubicin", "cisplatin"]),
        ("doxorubicin, cisplatin", vec!["doxorubicin", "cisplatin"]),
        ("cisplatin + doxorubicin", vec!["doxorubicin", "cisplatin"]),
        (
            "AC (doxorubicin cyclophosphamide)",
            vec!["doxorubicin", "cyclophosphamide"],
        ),
        ("Adriamycin (epirubicin)", vec!["epirubicin", "doxorubicin"]),
    ] {
        assert_eq!(kb.generic_drug(written), Err(None), "{written}");
        assert_eq!(kb.drug_mentions(written), named, "{written}");
    }
    assert!(kb.drug_mentions("trabectedin").is_empty());
    assert!(kb.drug_mentions("brain irradiation").is_empty());
    // Not a salt: nothing left once stripped, or an unknown drug stays unknown.
    assert_eq!(kb.generic_drug("sodium"), Err(None));
    assert_eq!(kb.generic_drug("trabectedin hydrochloride"), Err(None));
    assert_eq!(
        kb.generic_drug("mitoxantrone hydrochloride").as_deref(),
        Ok("mitoxantrone")
    );
}

#[test]
fn two_symbols_with_one_digit_letter_skeleton_are_refused() {
    // "BR4F" beside BRAF would make a misspelling of either ambiguous.
    let e = sources_with("genes.toml", |t| {
        t.replacen(
            "fusion_drivers = [\"NTRK1\",",
            "fusion_drivers = [\"BR4F\", \"NTRK1\",",
            1,
        )
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("BR4F") && e.to_string().contains("look-alike"),
        "{e}"
    );
}
