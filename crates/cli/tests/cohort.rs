//! `atcpath cohort` on cBioPortal's study_es_0 (counts checked against an independent count) and
//! on a small study of our own where gene panels decide the denominators.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn shared(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/cbioportal")
        .join(p)
}

fn cohort(study: &Path, tag: &str) -> (Option<i32>, String, String, PathBuf) {
    cohort_with(study, tag, &[])
}

fn cohort_with(study: &Path, tag: &str, extra: &[&str]) -> (Option<i32>, String, String, PathBuf) {
    let out = std::env::temp_dir().join(format!("atcpath-cohort-{}-{tag}", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("cohort")
        .arg(study)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", "2024-01-01"])
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
        out,
    )
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn group<'a>(f: &'a Value, level: &str, name: &str) -> &'a Value {
    f["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == level && (g["group"] == name || g["name"] == name))
        .unwrap()
}

/// Independent count, run once by hand with Python 3 in the study folder (rules of the cohort
/// module: a sample counts for a gene when it is in `cases_sequenced.txt` and the gene-panel
/// matrix's `mutations` panel holds the gene, or the matrix does not name the sample):
/// ```text
/// samples = {r['SAMPLE_ID'] for r in rows('data_clinical_samples.txt')}          # 845
/// seq = set(open('case_lists/cases_sequenced.txt').read().split('case_list_ids:')[1].split())
/// mat = {r['SAMPLE_ID']: r for r in rows('data_gene_panel_matrix.txt')}
/// covered(s, g) = s in seq and (s not in mat or (mat[s]['mutations'] != 'NA'
///                                and g in panels[mat[s]['mutations']]))
/// sum(covered(s, 'TP53'))  -> 23;  sum(covered(s, 'BRAF'))  -> 14
/// awk TP53 rows of data_mutations_extended.maf -> TCGA-A1-A0SB-01 Missense p.G199V, Splice p.X331_splice (1 sample)
/// SV rows with two different genes, one of NTRK1/2/3, RET, ALK -> samples TCGA-A1-A0SB-01, TCGA-A2-A04P-01
/// grep -n RET data_structural_variants.txt -> line 4 (NCOA4-RET, TCGA-A2-A04P-01)
/// SV rows (all SV_Status SOMATIC) with two different genes, one of BRAF, ROS1, MET, FGFR1/2/3,
///   NRG1 -> 36 rows in 35 distinct samples (KIAA1549-BRAF-like)
/// meta_structural_variants.txt: gene_panel TESTPANEL1 (no matrix column for the SV profile), and
///   TESTPANEL1 lists none of NTRK1/2/3, RET, ALK, BRAF, ROS1, MET, FGFR1/2/3, NRG1 -> 0 covered
/// TERT: neither TESTPANEL1 nor TESTPANEL2 lists it, and whole exome does not cover the promoter
///   -> 0 covered
/// patients: 841 distinct PATIENT_ID
/// ```
/// Percentages are altered among covered over covered: every fusion row has 0 covered (not
/// estimable, `percent` null); the detections are counted in `altered_outside_coverage` only.
#[test]
fn study_es_0_counts_match_an_independent_count() {
    // Lines 16 and 17 of its MAF are BRCA1 rows classified Missense_Mutation with a synonymous
    // change (p.S1436S, p.S694S): refused as `annotate` and `assess` refuse them, unless skipped.
    let (code, _, err, _) = cohort(&shared("study_es_0"), "es0-strict");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("data_mutations_extended.maf: line 16") && err.contains("contradicts"),
        "{err}"
    );
    let (code, stdout, err, out) = cohort_with(&shared("study_es_0"), "es0", &["--skip-invalid"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("2 malformed rows skipped"), "{err}");
    assert!(stdout.contains("845 samples, 841 patients"), "{stdout}");
    let f = json(&out.join("frequencies.json"));
    let tp53 = group(&f, "group", "tp53");
    assert_eq!(
        (tp53["altered"].as_u64(), tp53["profiled"].as_u64()),
        (Some(1), Some(23))
    );
    let braf = group(&f, "group", "braf");
    assert_eq!(
        (braf["altered"].as_u64(), braf["profiled"].as_u64()),
        (Some(0), Some(14))
    );
    let counts = |g: &Value| {
        (
            g["altered"].as_u64(),
            g["profiled"].as_u64(),
            g["percent"].as_f64(),
            g["altered_outside_coverage"].as_u64(),
        )
    };
    // The SV profile's panel (TESTPANEL1) covers none of the fusion kinases: nothing covered,
    // not estimable; the two samples with a fusion are reported outside coverage.
    let fusions = group(&f, "group", "actionable_fusions");
    assert_eq!(counts(fusions), (Some(0), Some(0), None, Some(2)));
    assert!(fusions["percent"].is_null());
    assert_eq!(
        counts(group(&f, "gene", "RET")),
        (Some(0), Some(0), None, Some(1))
    );
    let kinases = group(&f, "group", "other_kinase_fusions");
    // Only rows whose 5' partner is one of the knowledge base's fusion genes count as BRAF
    // fusions (17 samples); the others (ZNF207-BRAF, BRAF-TTN, ...) are rearrangements with the
    // partner unknown, as in assess.
    assert_eq!(counts(kinases), (Some(0), Some(0), None, Some(17)));
    assert_eq!(
        counts(group(&f, "gene", "BRAF")),
        (Some(0), Some(0), None, Some(17))
    );
    // Whole exome does not cover the TERT promoter and no panel lists TERT.
    assert_eq!(counts(group(&f, "group", "tert_promoter")).1, Some(0));
    assert!(stdout.contains("not estimable"), "{stdout}");
    // Definitions and warnings.
    for k in ["percent", "profiled", "altered", "published_percent"] {
        assert!(f["definitions"][k].is_string(), "{k}");
    }
    let warnings: Vec<&str> = f["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("published figures are for ATC; this study is brca-es0")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("meta_expression_median.txt") && w.contains("MRNA_EXPRESSION")),
        "{warnings:?}"
    );
    assert!(err.contains("this study is brca-es0"), "{err}");
    let p = json(&out.join("patients.json"));
    let pts = p["patients"].as_array().unwrap();
    assert_eq!(pts.len(), 841);
    let ret = pts.iter().find(|x| x["patient"] == "TCGA-A2-A04P").unwrap();
    assert_eq!(
        (&ret["actionable"], &ret["level"]),
        (&Value::from("NCOA4-RET fusion"), &Value::from("LEVEL_1"))
    );
    assert!(
        ret["source"]
            .as_str()
            .unwrap()
            .ends_with("data_structural_variants.txt line 4")
    );
    // No stage in the files: locoregional first line; with M1 assumed, the RET fusion decides.
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !strs(&ret["first_line"])
            .iter()
            .any(|o| o.starts_with("selpercatinib"))
    );
    assert!(
        strs(&ret["first_line_if_ivc"])
            .iter()
            .any(|o| o.starts_with("selpercatinib")),
        "{ret}"
    );
    assert!(
        strs(&ret["unknown"]).contains(
            &"absence of NTRK/RET/ALK fusions not established (no fusion profiling covering them)"
                .to_string()
        ),
        "{ret}"
    );
    // TSV twins of the JSON files.
    let tsv = std::fs::read_to_string(out.join("patients.tsv")).unwrap();
    assert_eq!(tsv.lines().count(), 1 + 841);
    assert!(
        tsv.lines()
            .next()
            .unwrap()
            .starts_with("PATIENT_ID\tSAMPLES\tACTIONABLE_FINDING")
    );
    assert!(
        tsv.lines()
            .next()
            .unwrap()
            .contains("\tFIRST_LINE_OPTIONS\tFIRST_LINE_IF_IVC\t")
    );
    let ftsv = std::fs::read_to_string(out.join("frequencies.tsv")).unwrap();
    assert!(
        ftsv.lines()
            .any(|l| l.starts_with("group\ttp53\tTP53\tTP53\t1\t23\t4.3\t")),
        "{ftsv}"
    );
    // The one-sided BRAF rearrangement (line 48) is named for confirmation, not counted.
    assert!(err.contains("line 48") && err.contains("BRAF"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_study_missing_its_data_files_is_refused_naming_them() {
    let (code, _, err, _) = cohort(&shared("thyroid_mskcc_2016_meta_only"), "meta-only");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("data_cna.txt") || err.contains("data_"),
        "{err}"
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

/// Four samples of our own: S1 whole exome with BRAF V600E and a TERT promoter variant; S2 on a
/// panel without BRAF (not counted as BRAF wild-type); S3 whole exome, wild-type; S4 not
/// sequenced. BRAF: 1 of 2 profiled (S1, S3); TERT promoter: 0 of 1 (only S2's panel lists TERT;
/// whole exome does not cover the promoter), S1's promoter variant reported outside coverage.
/// The case list also names S5, absent from the clinical file, and a meta file has a misspelt
/// type: both warned.
#[test]
fn panels_decide_denominators_and_unknown_stays_unknown() {
    let dir = std::env::temp_dir().join(format!("atcpath-study-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir,
        "meta_study.txt",
        "type_of_cancer: thap\ncancer_study_identifier: atc_test\nname: ATC test\ndescription: test\nreference_genome: hg19\n",
    );
    write(
        &dir,
        "meta_clinical_samples.txt",
        "cancer_study_identifier: atc_test\ngenetic_alteration_type: CLINICAL\ndatatype: SAMPLE_ATTRIBUTES\ndata_filename: data_clinical_samples.txt\n",
    );
    write(
        &dir,
        "data_clinical_samples.txt",
        "#Patient\tSample\tOncotree\n#Patient\tSample\tOncotree\n#STRING\tSTRING\tSTRING\n#1\t1\t1\nPATIENT_ID\tSAMPLE_ID\tONCOTREE_CODE\nP1\tS1\tTHAP\nP2\tS2\tTHAP\nP3\tS3\tTHAP\nP4\tS4\tTHAP\n",
    );
    write(
        &dir,
        "meta_mutations_extended.txt",
        "cancer_study_identifier: atc_test\ngenetic_alteration_type: MUTATION_EXTENDED\ndatatype: MAF\nstable_id: mutations\ndata_filename: data_mutations.txt\n",
    );
    write(
        &dir,
        "data_mutations.txt",
        "Hugo_Symbol\tNCBI_Build\tChromosome\tStart_Position\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nBRAF\tGRCh37\t7\t140453136\tMissense_Mutation\tS1\tp.V600E\nTERT\tGRCh37\t5\t1295228\t5'Flank\tS1\t\nTP53\tGRCh37\t17\t7577120\tMissense_Mutation\tS2\tp.R273H\n",
    );
    write(
        &dir,
        "case_lists/cases_sequenced.txt",
        "cancer_study_identifier: atc_test\nstable_id: atc_test_sequenced\ncase_list_name: s\ncase_list_description: s\ncase_list_ids: S1\tS2\tS3\tS5\n",
    );
    write(
        &dir,
        "meta_gene_panel_matrix.txt",
        "cancer_study_identifier: atc_test\ngenetic_alteration_type: GENE_PANEL_MATRIX\ndatatype: GENE_PANEL_MATRIX\ndata_filename: data_gene_panel_matrix.txt\n",
    );
    write(
        &dir,
        "data_gene_panel_matrix.txt",
        "SAMPLE_ID\tmutations\nS2\tSMALL\n",
    );
    write(
        &dir,
        "data_gene_panel_small.txt",
        "stable_id: SMALL\ndescription: no BRAF\ngene_list: TP53\tTERT\n",
    );
    write(
        &dir,
        "meta_cna.txt",
        "cancer_study_identifier: atc_test\ngenetic_alteration_type: COPY_NUMBER_ALTERATIN\ndatatype: DISCRETE\nstable_id: cna\ndata_filename: data_cna.txt\n",
    );
    let (code, _, err, out) = cohort(&dir, "own");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("meta_cna.txt") && err.contains("COPY_NUMBER_ALTERATIN"),
        "{err}"
    );
    assert!(
        err.contains("1 sample(s) of the case lists") && err.contains("S5"),
        "{err}"
    );
    assert!(!err.contains("published figures are for ATC"), "{err}");
    let f = json(&out.join("frequencies.json"));
    assert_eq!(f["warnings"].as_array().unwrap().len(), 2, "{f}");
    let braf = group(&f, "group", "braf");
    assert_eq!(
        (braf["altered"].as_u64(), braf["profiled"].as_u64()),
        (Some(1), Some(2))
    );
    let tert = group(&f, "group", "tert_promoter");
    assert_eq!(
        (
            tert["altered"].as_u64(),
            tert["profiled"].as_u64(),
            tert["altered_outside_coverage"].as_u64()
        ),
        (Some(0), Some(1), Some(1))
    );
    let tp53 = group(&f, "group", "tp53");
    assert_eq!(
        (tp53["altered"].as_u64(), tp53["profiled"].as_u64()),
        (Some(1), Some(3))
    );
    let p = json(&out.join("patients.json"));
    let by = |id: &str| {
        p["patients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["patient"] == id)
            .unwrap()
            .clone()
    };
    let p1 = by("P1");
    assert_eq!(p1["level"], "LEVEL_1");
    assert!(
        p1["first_line"].as_array().unwrap().iter().any(|o| o
            .as_str()
            .unwrap()
            .starts_with("neoadjuvant_dabrafenib_trametinib")),
        "{p1}"
    );
    // S2's panel has no BRAF: BRAF V600E stays unknown, never "not detected".
    let p2 = by("P2");
    assert!(
        p2["unknown"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u.as_str().unwrap()
                == "absence of BRAF V600E not established (no sequencing covering BRAF)"),
        "{p2}"
    );
    let p4 = by("P4");
    assert!(p4["actionable"].is_null());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out);
}

/// A gene-panel matrix naming a panel without its `data_gene_panel_*` file: the error names the
/// matrix file.
#[test]
fn a_matrix_naming_a_missing_panel_is_refused_naming_the_matrix_file() {
    let dir = std::env::temp_dir().join(format!("atcpath-study-matrix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir,
        "meta_clinical_samples.txt",
        "cancer_study_identifier: atc_test\ngenetic_alteration_type: CLINICAL\ndatatype: SAMPLE_ATTRIBUTES\ndata_filename: data_clinical_samples.txt\n",
    );
    write(
        &dir,
        "data_clinical_samples.txt",
        "PATIENT_ID\tSAMPLE_ID\nP1\tS1\n",
    );
    write(
        &dir,
        "meta_gene_panel_matrix.txt",
        "cancer_study_identifier: atc_test\ngenetic_alteration_type: GENE_PANEL_MATRIX\ndatatype: GENE_PANEL_MATRIX\ndata_filename: data_gene_panel_matrix.txt\n",
    );
    write(
        &dir,
        "data_gene_panel_matrix.txt",
        "SAMPLE_ID\tmutations\nS1\tIMPACT468\n",
    );
    let (code, _, err, _) = cohort(&dir, "matrix");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("data_gene_panel_matrix.txt") && err.contains("IMPACT468"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One sample given twice with different TMB values: the disagreement is shown, no value wins.
#[test]
fn disagreeing_rows_of_one_sample_are_shown_not_resolved() {
    let dir = std::env::temp_dir().join(format!("atcpath-study-dup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir,
        "meta_study.txt",
        "type_of_cancer: thap\ncancer_study_identifier: atc_dup\nname: d\ndescription: d\nreference_genome: hg19\n",
    );
    write(
        &dir,
        "meta_clinical_samples.txt",
        "cancer_study_identifier: atc_dup\ngenetic_alteration_type: CLINICAL\ndatatype: SAMPLE_ATTRIBUTES\ndata_filename: data_clinical_samples.txt\n",
    );
    write(
        &dir,
        "data_clinical_samples.txt",
        "#P\tS\tT\n#P\tS\tT\n#STRING\tSTRING\tNUMBER\n#1\t1\t1\nPATIENT_ID\tSAMPLE_ID\tTMB_NONSYNONYMOUS\nP1\tS1\t4\nP1\tS1\t40\n",
    );
    let (code, _, err, out) = cohort(&dir, "dup");
    assert_eq!(code, Some(0), "{err}");
    let p = json(&out.join("patients.json"));
    let p1 = &p["patients"][0];
    assert!(p1["actionable"].is_null(), "{p1}");
    assert!(p1["unknown"].to_string().contains("disagrees"), "{p1}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out);
}

/// A small study whose matrix, meta or panel files are wrong in one way each: refused, naming
/// the file (and line), never read as whole exome or as a panel without the gene.
#[test]
fn panel_names_columns_and_genes_are_checked() {
    let base = |tag: &str| {
        let dir = std::env::temp_dir().join(format!("atcpath-panels-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(
            &dir,
            "meta_clinical_samples.txt",
            "cancer_study_identifier: atc_test\ngenetic_alteration_type: CLINICAL\ndatatype: SAMPLE_ATTRIBUTES\ndata_filename: data_clinical_samples.txt\n",
        );
        write(
            &dir,
            "data_clinical_samples.txt",
            "PATIENT_ID\tSAMPLE_ID\nP1\tS1\nP2\tS2\n",
        );
        write(
            &dir,
            "meta_mutations_extended.txt",
            "cancer_study_identifier: atc_test\ngenetic_alteration_type: MUTATION_EXTENDED\ndatatype: MAF\nstable_id: mutations\ndata_filename: data_mutations.txt\n",
        );
        write(
            &dir,
            "data_mutations.txt",
            "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\nTP53\tMissense_Mutation\tS1\tp.R273H\n",
        );
        write(
            &dir,
            "data_gene_panel_small.txt",
            "stable_id: SMALL\ndescription: small\ngene_list: TP53\tBRAF\n",
        );
        dir
    };
    let matrix_meta = "cancer_study_identifier: atc_test\ngenetic_alteration_type: GENE_PANEL_MATRIX\ndatatype: GENE_PANEL_MATRIX\ndata_filename: data_gene_panel_matrix.txt\n";
    // A matrix column named for no profile.
    let dir = base("col");
    write(&dir, "meta_gene_panel_matrix.txt", matrix_meta);
    write(
        &dir,
        "data_gene_panel_matrix.txt",
        "SAMPLE_ID\tmutation\nS1\tSMALL\n",
    );
    let (code, _, err, _) = cohort(&dir, "col");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("data_gene_panel_matrix.txt")
            && err.contains("\"mutation\" matches no profile"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // A sample on two rows of the matrix.
    let dir = base("dup");
    write(&dir, "meta_gene_panel_matrix.txt", matrix_meta);
    write(
        &dir,
        "data_gene_panel_matrix.txt",
        "SAMPLE_ID\tmutations\nS1\tSMALL\nS1\tNA\n",
    );
    let (code, _, err, _) = cohort(&dir, "dup");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("data_gene_panel_matrix.txt") && err.contains("line 3"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // A meta file's gene_panel naming no panel file.
    let dir = base("nopanel");
    write(
        &dir,
        "meta_mutations_extended.txt",
        "cancer_study_identifier: atc_test\ngenetic_alteration_type: MUTATION_EXTENDED\ndatatype: MAF\nstable_id: mutations\ngene_panel: NOPANEL\ndata_filename: data_mutations.txt\n",
    );
    let (code, _, err, _) = cohort(&dir, "nopanel");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("meta_mutations_extended.txt: line 5") && err.contains("NOPANEL"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // A gene list with a symbol that is not one.
    let dir = base("gene");
    write(
        &dir,
        "data_gene_panel_small.txt",
        "stable_id: SMALL\ndescription: small\ngene_list: TP53\tbraf\n",
    );
    let (code, _, err, _) = cohort(&dir, "gene");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("data_gene_panel_small.txt: line 3") && err.contains("\"braf\""),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A symbol `assess` refuses (`alk`, another case) is refused by cohort too, naming file and line.
#[test]
fn a_symbol_assess_refuses_is_refused_by_cohort() {
    let dir = std::env::temp_dir().join(format!("atcpath-study-sym-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir,
        "meta_study.txt",
        "type_of_cancer: thap\ncancer_study_identifier: atc_sym\nname: d\ndescription: d\nreference_genome: hg19\n",
    );
    write(
        &dir,
        "meta_clinical_samples.txt",
        "cancer_study_identifier: atc_sym\ngenetic_alteration_type: CLINICAL\ndatatype: SAMPLE_ATTRIBUTES\ndata_filename: data_clinical_samples.txt\n",
    );
    write(
        &dir,
        "data_clinical_samples.txt",
        "#P\tS\n#P\tS\n#STRING\tSTRING\n#1\t1\nPATIENT_ID\tSAMPLE_ID\nP1\tS1\n",
    );
    write(
        &dir,
        "meta_structural_variants.txt",
        "cancer_study_identifier: atc_sym\ngenetic_alteration_type: STRUCTURAL_VARIANT\ndatatype: SV\ndata_filename: data_sv.txt\nstable_id: structural_variants\nprofile_name: f\nprofile_description: f\nshow_profile_in_analysis_tab: true\n",
    );
    write(
        &dir,
        "data_sv.txt",
        "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tSV_Status\nS1\tEML4\talk\tSOMATIC\n",
    );
    let (code, _, err, out) = cohort(&dir, "sym");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("line 2") && err.contains("\"ALK\""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out);
}
