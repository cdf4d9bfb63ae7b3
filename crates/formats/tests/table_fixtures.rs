//! The fusion, structural-variant, copy-number and clinical readers on every real fixture file
//! (`../shared/fixtures`), with counts checked independently by the shell command in the comment
//! beside each number (run once by hand from `../shared/fixtures`), and on bad inputs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use atcpath_core::case::Msi;
use atcpath_core::genomics::{Finding, Sourced};
use atcpath_formats::FormatError;
use atcpath_formats::clinical::{AtypicalCall, AtypicalReader, ClinicalReader};
use atcpath_formats::cna::{CnaReader, CnaStats, Layout};
use atcpath_formats::sv::{Flavour, SvCounts, SvReader};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(path)
}

fn open(path: &str) -> std::io::BufReader<std::fs::File> {
    std::io::BufReader::new(std::fs::File::open(fixture(path)).unwrap())
}

/// Every fusion finding of a file, and the reader's counts; panics on any error.
fn sv_all(path: &str) -> (Flavour, Vec<Sourced>, SvCounts) {
    let mut r = SvReader::new(open(path), path).unwrap();
    let mut out = Vec::new();
    while let Some(f) = r.next_finding().unwrap() {
        out.push(f);
    }
    (r.flavour(), out, r.counts())
}

/// Every copy-number finding, the errors (line, message) and the stats.
fn cna_all(path: &str) -> (Layout, Vec<Sourced>, Vec<FormatError>, CnaStats) {
    let mut r = CnaReader::new(open(path), path).unwrap();
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    loop {
        match r.next_finding() {
            Ok(Some(f)) => out.push(f),
            Ok(None) => break,
            Err(e) => errors.push(e),
        }
    }
    (r.layout(), out, errors, r.stats())
}

fn genes(f: &Sourced) -> (String, String) {
    match &f.finding {
        Finding::Fusion {
            five_prime,
            three_prime,
        } => (five_prime.clone(), three_prime.clone()),
        other => panic!("not a fusion: {other:?}"),
    }
}

fn with_gene(fs: &[Sourced], gene: &str) -> usize {
    fs.iter()
        .filter(|f| {
            let (a, b) = genes(f);
            a.starts_with(gene) || b.starts_with(gene)
        })
        .count()
}

#[test]
fn oncokb_fusion_list() {
    let (flavour, fusions, c) = sv_all("oncokb-annotator/example_fusions.txt");
    assert_eq!(flavour, Flavour::OncokbFusions);
    // awk -F'\t' 'NR>1{ if ($2 ~ /-intragenic$/) i++; else f++ } END{print f, i}' oncokb-annotator/example_fusions.txt  → 4 3
    assert_eq!((c.rows, c.fusions, c.intragenic, c.one_sided), (7, 4, 3, 0));
    assert_eq!(fusions.len(), 4);
    assert_eq!(genes(&fusions[0]), ("ALK".into(), "EML4".into()));
    assert_eq!(
        (fusions[0].sample.as_deref(), fusions[0].line),
        (Some("TCGA-05-4417-01"), 3)
    );
    assert_eq!(
        genes(&fusions[3]),
        ("ETV6".into(), "RUNX1".into()),
        "`ETV6-RUNX1 fusion`"
    );
}

#[test]
fn oncokb_sv_list() {
    let (flavour, fusions, c) = sv_all("oncokb-annotator/example_sv.txt");
    assert_eq!(flavour, Flavour::OncokbSv);
    // awk -F'\t' 'NR>1{ if ($2==$3) i++; else f++ } END{print f, i}' oncokb-annotator/example_sv.txt  → 4 3
    // awk -F'\t' 'NR>1 && $2!=$3 && $4!="FUSION"' oncokb-annotator/example_sv.txt | wc -l  → 0
    assert_eq!(
        c,
        SvCounts {
            rows: 7,
            fusions: 4,
            fusions_inferred: 0,
            intragenic: 3,
            one_sided: 0,
            germline: 0
        }
    );
    assert_eq!(fusions.len(), 4);
}

#[test]
fn cbioportal_structural_variants() {
    let (flavour, fusions, c) = sv_all("cbioportal/study_es_0/data_structural_variants.txt");
    assert_eq!(flavour, Flavour::CbioportalSv);
    // awk -F'\t' 'NR>1{a=$3;b=$11; if(a==""||b=="") o++; else if(a==b) i++; else f++} END{print f,i,o}' \
    //   cbioportal/study_es_0/data_structural_variants.txt  → 45 1 2
    assert_eq!(
        c,
        SvCounts {
            rows: 48,
            fusions: 45,
            fusions_inferred: 0, // Event_Info is `Fusion` on every row: cut -f35 ... | sort | uniq -c
            intragenic: 1,
            one_sided: 2,
            germline: 0
        }
    );
    // awk -F'\t' 'NR>1 && $3!=$11 && $3!="" && $11!="" && ($3=="RET"||$11=="RET")' ... | wc -l  → 1
    // same with ALK → 4; with /^NTRK/ → 0
    assert_eq!(with_gene(&fusions, "RET"), 1);
    assert_eq!(with_gene(&fusions, "ALK"), 4);
    assert_eq!(with_gene(&fusions, "NTRK"), 0);
    let ret = fusions.iter().find(|f| genes(f).1 == "RET").unwrap();
    assert_eq!(
        (genes(ret).0.as_str(), ret.sample.as_deref(), ret.line),
        ("NCOA4", Some("TCGA-A2-A04P-01"), 4)
    );
}

#[test]
fn cna_gistic_wide() {
    let (layout, calls, errors, s) = cna_all("oncokb-annotator/example_cna.txt");
    assert_eq!(layout, Layout::Wide { first_sample: 3 });
    assert!(errors.is_empty(), "{errors:?}");
    // awk -F'\t' 'NR>1{for(i=4;i<=NF;i++) if($i!="0"&&$i!="") n++} END{print n}' oncokb-annotator/example_cna.txt  → 8
    assert_eq!((s.rows, s.calls, s.neutral, s.missing), (4, 8, 0, 0));
    // CDK4 on lines 4 and 5 (cut -f1 oncokb-annotator/example_cna.txt | sort | uniq -d → CDK4), -2 vs -1 in TCGA-05-4417-01
    assert_eq!((s.repeated_rows, s.conflicting_rows), (1, 1));
    assert_eq!(calls.len(), 8);
}

#[test]
fn cna_individual_long_crlf_words_and_conflicts() {
    let mut r = CnaReader::new(
        open("oncokb-annotator/example_individual_cna.txt"),
        "example_individual_cna.txt",
    )
    .unwrap();
    assert_eq!(r.layout(), Layout::Long);
    let mut calls = Vec::new();
    while let Some(f) = r.next_finding().unwrap() {
        calls.push(f);
    }
    let s = r.stats();
    // tr -d '\r' < oncokb-annotator/example_individual_cna.txt | awk -F'\t' 'NR>1 && $3!="0"' | wc -l  → 12
    assert_eq!((s.rows, s.calls, s.neutral), (12, 12, 0));
    // tr -d '\r' < ... | awk -F'\t' 'BEGIN{m["Amplification"]=2;m["Gain"]=1;m["Loss"]=-1;m["Deletion"]=-2}
    //   NR>1{v=($3 in m)?m[$3]:$3; k=$1 SUBSEP $2; if(k in seen){rep++; split(seen[k],a," "); c=0;
    //   for(i in a) if(a[i]!=v) c=1; if(c) conf++} seen[k]=seen[k]" "v} END{print rep, conf}'  → 6 4
    assert_eq!((s.repeated_rows, s.conflicting_rows), (6, 4));
    let c = &r.conflicts()[0];
    assert_eq!(
        (
            c.gene.as_str(),
            c.sample.as_deref(),
            c.first_line,
            c.line,
            c.levels.clone()
        ),
        ("CDK4", Some("TCGA-05-4417-01"), 4, 5, vec![-2, -1])
    );
    // Both conflicting values are kept as calls: CDK4 in TCGA-05-4417-01 is -2, -1, Deletion, Loss.
    let cdk4: Vec<i8> = calls
        .iter()
        .filter(|f| f.sample.as_deref() == Some("TCGA-05-4417-01"))
        .filter_map(|f| match &f.finding {
            Finding::CopyNumber { gene, level } if gene == "CDK4" => Some(level.code()),
            _ => None,
        })
        .collect();
    assert_eq!(cdk4, [-2, -1, -2, -1]);
    assert_eq!(calls.last().unwrap().line, 13, "last line without newline");
}

#[test]
fn cna_cbioportal_long_and_legacy_wide_agree() {
    let (layout, long, errors, s) = cna_all("cbioportal/study_es_0/data_cna_discrete.txt");
    assert_eq!(layout, Layout::Long);
    assert!(errors.is_empty());
    // awk -F'\t' 'NR>1{c[$4]++} END{for(k in c) print k, c[k]}' cbioportal/study_es_0/data_cna_discrete.txt
    //   → 2:49 1:189 -1:1491 0:4561 -2:14 (6304 rows, 1743 non-neutral)
    assert_eq!(
        (s.rows, s.calls, s.neutral, s.missing),
        (6304, 1743, 4561, 0)
    );
    // awk -F'\t' 'NR>1{k=$3 SUBSEP $1; if(k in s) r++; s[k]=1} END{print r+0}' ...  → 0
    assert_eq!(s.repeated_rows, 0);
    let (layout, wide, errors, s) =
        cna_all("cbioportal/study_es_0_legacy_cna_discrete/data_cna_discrete.txt");
    assert_eq!(layout, Layout::Wide { first_sample: 2 });
    assert!(errors.is_empty());
    // tr -d '\r' < cbioportal/study_es_0_legacy_cna_discrete/data_cna_discrete.txt | awk -F'\t'
    //   'NR>1{for(i=3;i<=NF;i++) c[$i]++} END{for(k in c) print k, c[k]}'  → the same five counts
    assert_eq!((s.rows, s.calls, s.neutral, s.missing), (8, 1743, 4561, 0));
    let by_level = |fs: &[Sourced]| {
        let mut n = [0usize; 5];
        for f in fs {
            if let Finding::CopyNumber { level, .. } = f.finding {
                n[(level.code() + 2) as usize] += 1;
            }
        }
        n
    };
    assert_eq!(by_level(&long), [14, 1491, 0, 189, 49]);
    assert_eq!(by_level(&wide), by_level(&long));
    let key = |f: &Sourced| match &f.finding {
        Finding::CopyNumber { gene, level } => (f.sample.clone(), gene.clone(), level.code()),
        _ => unreachable!(),
    };
    let a: BTreeSet<_> = long.iter().map(key).collect();
    let b: BTreeSet<_> = wide.iter().map(key).collect();
    assert_eq!(a, b, "the long and the wide file state the same calls");
}

#[test]
fn cna_incremental_long_with_short_rows_and_odd_values() {
    let (layout, _, errors, s) =
        cna_all("cbioportal/study_es_0_inc/cna_long/data_cna_discrete_long.txt");
    assert_eq!(layout, Layout::Long);
    // Deliberately odd rows: empty Hugo_Symbol (Entrez 4893 only) on lines 17-19, value -1.5 on 26:
    // awk -F'\t' 'NR>1 && ($1=="" || $4 !~ /^-?[0-2]$/){print NR}' ...  → 17 18 19 26
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [17, 18, 19, 26]);
    assert!(errors[0].message.contains("Hugo_Symbol is empty"));
    assert!(
        errors[3]
            .message
            .contains("\"-1.5\" is not a discrete level")
    );
    // Rows with 4, 5, 6 and 8 of the 8 header fields (awk -F'\t' 'NR>1{print NF}' ... | sort | uniq -c)
    // are accepted: 30 rows - 4 errors = 26.
    // awk -F'\t' 'NR>1 && $1!="" && $4 ~ /^-?[0-2]$/ {if($4!="0") c++; else n++} END{print c, n}' ...  → 21 5
    assert_eq!((s.rows, s.calls, s.neutral), (26, 21, 5));
}

#[test]
fn clinical_files() {
    let count = |path: &str| {
        let mut r = ClinicalReader::new(open(path), path).unwrap();
        let header_line = r.header_line();
        let (mut rows, mut tmb, mut msi) = (0, 0, 0);
        let mut samples = BTreeSet::new();
        while let Some(row) = r.next_row().unwrap() {
            rows += 1;
            if let Some(s) = row.sample() {
                samples.insert(s.to_string());
            }
            let b = row
                .biomarkers(&atcpath_kb::Kb::embedded().unwrap().facts.thresholds)
                .unwrap();
            tmb += usize::from(b.tmb.is_some());
            msi += usize::from(b.msi.is_some());
        }
        (header_line, rows, samples.len(), tmb, msi)
    };
    // grep -vc '^#' cbioportal/study_es_0/data_clinical_samples.txt  → 846 (header + 845 rows);
    // awk -F'\t' 'NR>5{print $2}' ... | sort -u | wc -l → 845; no TMB or MSI column (grep -c TMB → 0)
    assert_eq!(
        count("cbioportal/study_es_0/data_clinical_samples.txt"),
        (5, 845, 845, 0, 0)
    );
    // grep -vc '^#' cbioportal/study_es_0/data_clinical_patients.txt  → 842 (header + 841 rows)
    assert_eq!(
        count("cbioportal/study_es_0/data_clinical_patients.txt"),
        (5, 841, 0, 0, 0)
    );
    // awk 'END{print NR}' oncokb-annotator/example_clinical.txt → 10 (header + 9); both forms of
    // TCGA-A6-2672-01 are separate samples
    assert_eq!(
        count("oncokb-annotator/example_clinical.txt"),
        (1, 9, 9, 0, 0)
    );
    let mut r = ClinicalReader::new(
        open("cbioportal/study_es_0/data_clinical_patients.txt"),
        "p",
    )
    .unwrap();
    let first = r.next_row().unwrap().unwrap();
    assert_eq!(
        (
            first.patient(),
            first.get("OS_STATUS"),
            first.get("DFS_STATUS"),
            first.get("DFS_MONTHS"),
            first.line_no()
        ),
        (
            Some("TCGA-A2-A04P"),
            None,
            Some("1:Recurred/Progressed"),
            None,
            6
        )
    );
}

#[test]
fn atypical_alterations() {
    let mut r =
        AtypicalReader::new(open("oncokb-annotator/example_atypical_alterations.txt")).unwrap();
    let (mut msi, mut tmb, mut other, mut findings) = (Vec::new(), Vec::new(), 0, Vec::new());
    while let Some(row) = r.next_row().unwrap() {
        if let Some(f) = row.finding("atypical") {
            findings.push(f);
        }
        match row.call {
            AtypicalCall::MsiHigh => msi.push(row.sample),
            AtypicalCall::TmbHigh => tmb.push(row.sample),
            AtypicalCall::Other { .. } => other += 1,
        }
    }
    // awk -F'\t' '$1=="Other Biomarkers"{print $2, $3}' oncokb-annotator/example_atypical_alterations.txt
    //   → TCGA-A6-2672-01 MSI-H / Microsatellite Instability-High; TCGA-AG-A002-01 TMB-H / Tumor Mutational Burden-High
    assert_eq!(msi, ["TCGA-A6-2672-01", "TCGA-A6-2672-01"]);
    assert_eq!(tmb, ["TCGA-AG-A002-01", "TCGA-AG-A002-01"]);
    // awk -F'\t' 'NR>1 && $1!="Other Biomarkers"' ... | wc -l  → 8
    assert_eq!(other, 8);
    assert_eq!(findings.len(), 2, "MSI-H only: TMB-H has no value");
    assert_eq!(findings[0].finding, Finding::Msi { status: Msi::High });
}

#[test]
fn bad_inputs_name_their_line() {
    let sv = |text: &str| -> Result<Vec<Sourced>, FormatError> {
        let mut r = SvReader::new(text.as_bytes(), "t")?;
        let mut out = Vec::new();
        while let Some(f) = r.next_finding()? {
            out.push(f);
        }
        Ok(out)
    };
    // Missing required columns.
    assert!(
        sv("Tumor_Sample_Barcode\tGene\n")
            .unwrap_err()
            .message
            .contains("not a fusion")
    );
    assert_eq!(sv("Fusion\nRET-CCDC6\n").unwrap_err().line, 1);
    // Wrong field count.
    let e = sv("Tumor_Sample_Barcode\tFusion\nS\tRET-CCDC6\nS\tRET-CCDC6\tX\n").unwrap_err();
    assert_eq!(
        (e.line, e.message.as_str()),
        (3, "3 fields where the header has 2")
    );
    // A fusion name that is no fusion.
    assert_eq!(
        sv("Tumor_Sample_Barcode\tFusion\nS\tRET CCDC6\n")
            .unwrap_err()
            .line,
        2
    );

    let cna = |text: &str| -> Result<usize, FormatError> {
        let mut r = CnaReader::new(text.as_bytes(), "t")?;
        let mut n = 0;
        while r.next_finding()?.is_some() {
            n += 1;
        }
        Ok(n)
    };
    assert!(
        cna("Sample_Id\tValue\nS\t2\n")
            .unwrap_err()
            .message
            .contains("Hugo_Symbol")
    );
    let e = cna("Hugo_Symbol\tS1\tS2\nPTEN\t-2\t0\nRET\t2\n").unwrap_err();
    assert_eq!(
        (e.line, e.message.as_str()),
        (3, "2 fields where the header has 3")
    );
    let e = cna("Hugo_Symbol\tSample_Id\tValue\nPTEN\tS\tdeep\n").unwrap_err();
    assert!(
        e.line == 2 && e.message.starts_with("Value: \"deep\""),
        "{e}"
    );
    let e = cna("Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\nPTEN\t5728\t-2\t-3\n").unwrap_err();
    assert!(e.line == 2 && e.message.contains("sample S2"), "{e}");

    let clinical = |text: &str| -> Result<usize, FormatError> {
        let mut r = ClinicalReader::new(text.as_bytes(), "t")?;
        let mut n = 0;
        while let Some(row) = r.next_row()? {
            row.biomarkers(&atcpath_kb::Kb::embedded().unwrap().facts.thresholds)?;
            n += 1;
        }
        Ok(n)
    };
    assert!(
        clinical("ONCOTREE_CODE\nTHAP\n")
            .unwrap_err()
            .message
            .contains("SAMPLE_ID")
    );
    let e = clinical("#a\tb\n#a\tb\n#a\tb\n#a\tb\nSAMPLE_ID\tTMB\nS1\t4\nS2\tten\n").unwrap_err();
    assert!(e.line == 7 && e.message.contains("not a number"), "{e}");
    let e = clinical("SAMPLE_ID\tTMB_NONSYNONYMOUS\nS1\t-0.5\n").unwrap_err();
    assert!(e.line == 2 && e.message.contains("negative"), "{e}");
    assert_eq!(
        clinical("SAMPLE_ID\tMSI_TYPE\nS1\tStable\nS2\tInstable\n"),
        Ok(2)
    );
    assert_eq!(clinical("SAMPLE_ID\tX\nS1\t1\tmore\n").unwrap_err().line, 2);
}
