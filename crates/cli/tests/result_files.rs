//! `atcpath assess CASE --molecular FILE --covers WES`: rows of result files that must never
//! silently turn a detected alteration into "not detected" (or an unknown partner into a named
//! fusion): each is read correctly or refused naming the file and line.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("atcpath-rf-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A stage IVC case with ngs_dna and ngs_rna pending, assessed with one result file covering
/// the whole exome: (exit code, JSON report, stderr).
fn run(tag: &str, file: &str, text: &str) -> (Option<i32>, Value, String) {
    let d = dir(tag);
    let case = json!({"schema":"atcpath.case/1","id":"p","as_of":"2022-08-20",
        "patient":{"age_years":60,"sex":"male","ecog":1},
        "diagnosis":{"histology":"anaplastic","expert_review":true,"date":"2022-08-19"},
        "tumor":{"t":"T4a","n":"N1b","m":"M1"},
        "molecular":{"pending":["ngs_dna","ngs_rna"]},
        "preferences":{"goals_of_care":"aggressive"}});
    let case_path = d.join("case.json");
    std::fs::write(&case_path, case.to_string()).unwrap();
    let f = d.join(file);
    std::fs::write(&f, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_atcpath"))
        .arg("assess")
        .arg(&case_path)
        .args(["--format", "json", "--covers", "WES", "--molecular"])
        .arg(&f)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&d);
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[allow(dead_code)]
fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

/// The state of a molecular item of the report (`braf_v600e`, `ret_fusion`, ...).
fn state(a: &Value, item: &str) -> String {
    a["molecular"][item]["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_braf_v600e_row_with_an_unrecognised_class_is_an_error_at_its_line() {
    for class in [
        "Missense Mutation",
        "Missense",
        "Unknown",
        "missense_variant",
    ] {
        let maf = format!(
            "Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tHGVSp_Short\nS1\tTP53\tMissense_Mutation\tp.R273H\nS1\tBRAF\t{class}\tp.V600E\n"
        );
        let (code, a, err) = run("f1", "r.maf", &maf);
        assert_eq!(code, Some(2), "{class}: {err} {}", a["molecular"]);
        assert!(
            err.contains("line 3") && err.contains("class"),
            "{class}: {err}"
        );
    }
    // A recognised non-coding class with no protein change is still left out, not an error.
    let (code, _, err) = run(
        "f1ok",
        "r.maf",
        "Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tHGVSp_Short\nS1\tBRAF\tMissense_Mutation\tp.V600E\nS1\tTP53\tIntron\t\n",
    );
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_kinase_symbol_with_a_digit_for_a_letter_is_refused_at_its_line() {
    for (file, text, meant) in [
        (
            "r.maf",
            "Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tHGVSp_Short\nS1\tBR4F\tMissense_Mutation\tp.V600E\n",
            "BRAF",
        ),
        (
            "f.txt",
            "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-R3T\n",
            "RET",
        ),
        (
            "g.txt",
            "Tumor_Sample_Barcode\tFusion\nS1\tEML4-A1K\n",
            "ALK",
        ),
    ] {
        let (code, _, err) = run("f2", file, text);
        assert_eq!(code, Some(2), "{text}: {err}");
        assert!(
            err.contains("line 2") && err.contains(&format!("did you mean {meant:?}")),
            "{text}: {err}"
        );
    }
}

#[test]
fn a_placeholder_or_unknown_fusion_partner_is_a_rearrangement_not_a_fusion() {
    for (file, text) in [
        ("f.txt", "Tumor_Sample_Barcode\tFusion\nS1\tUnknown-RET\n"),
        ("f.txt", "Tumor_Sample_Barcode\tFusion\nS1\tNA-RET\n"),
        ("f.txt", "Tumor_Sample_Barcode\tFusion\nS1\tXYZ1-RET\n"),
        (
            "f.txt",
            "Tumor_Sample_Barcode\tFusion\nS1\tintergenic-RET\n",
        ),
        (
            "sv.txt",
            "Tumor_Sample_Barcode\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tSV_Status\nS1\tUnknown\tRET\tSOMATIC\n",
        ),
    ] {
        let (code, a, err) = run("f3", file, text);
        assert_eq!(code, Some(0), "{text}: {err}");
        assert_eq!(
            state(&a, "ret_fusion"),
            "unknown",
            "{text}: {}",
            a["molecular"]
        );
        let alerts = a["alerts"].to_string();
        assert!(
            alerts.contains("kinase_rearrangement_partner_unknown"),
            "{text}: {alerts}"
        );
        assert!(
            !a["options"].to_string().contains("LEVEL_1"),
            "{text}: {}",
            a["options"]
        );
    }
    // A known partner is still a fusion.
    let (code, a, err) = run(
        "f3ok",
        "f.txt",
        "Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RET\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "ret_fusion"), "detected");
}

#[test]
fn a_kinase_named_only_as_the_5_prime_partner_is_a_rearrangement() {
    let (code, a, err) = run(
        "f13",
        "f.txt",
        "Tumor_Sample_Barcode\tFusion\nS1\tALK-EML4\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "alk_fusion"), "unknown", "{}", a["molecular"]);
    assert!(
        a["alerts"]
            .to_string()
            .contains("kinase_rearrangement_partner_unknown")
    );
}

#[test]
fn a_one_residue_delins_is_the_substitution() {
    for p in ["p.V600delinsE", "p.Val600delinsGlu"] {
        let maf = format!(
            "Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tHGVSp_Short\nS1\tBRAF\tMissense_Mutation\t{p}\n"
        );
        let (code, a, err) = run("f4", "r.maf", &maf);
        assert_eq!(code, Some(0), "{p}: {err}");
        assert_eq!(
            state(&a, "braf_v600e"),
            "detected",
            "{p}: {}",
            a["molecular"]
        );
    }
}

const VCF_HEAD: &str = "##fileformat=VCFv4.2\n##reference=GRCh38\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n";

#[test]
fn refseq_and_zero_padded_chromosome_names_are_read_and_others_refused() {
    for chrom in ["NC_000007.14", "07", "chr7", "7"] {
        let vcf = format!("{VCF_HEAD}{chrom}\t140753336\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n");
        let (code, a, err) = run("f8", "r.vcf", &vcf);
        assert_eq!(code, Some(0), "{chrom}: {err}");
        assert_eq!(
            state(&a, "braf_v600e"),
            "detected",
            "{chrom}: {}",
            a["molecular"]
        );
    }
    for (chrom, says) in [
        ("NC_000007.13", "GRCh37"),
        ("NC_000007.99", "neither"),
        ("seven", "not a chromosome name"),
    ] {
        let vcf = format!("{VCF_HEAD}{chrom}\t140753336\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n");
        let (code, _, err) = run("f8bad", "r.vcf", &vcf);
        assert_eq!(code, Some(2), "{chrom}: {err}");
        assert!(
            err.contains("line 4") && err.contains(says),
            "{chrom}: {err}"
        );
    }
}

#[test]
fn a_vcf_position_0_or_beyond_the_chromosome_is_an_error_at_its_line() {
    for (pos, says) in [("0", "POS 0"), ("300000000", "beyond the end")] {
        let vcf = format!("{VCF_HEAD}7\t{pos}\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n");
        let (code, _, err) = run("f10", "r.vcf", &vcf);
        assert_eq!(code, Some(2), "{pos}: {err}");
        assert!(err.contains("line 4") && err.contains(says), "{pos}: {err}");
    }
    // A ##contig length is the chromosome's end when given.
    let vcf = format!(
        "##fileformat=VCFv4.2\n##contig=<ID=7,length=159345973>\n##contig=<ID=GL000192.1,length=100>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\nGL000192.1\t101\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n"
    );
    let (code, _, err) = run("f10c", "r.vcf", &vcf);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 5") && err.contains("##contig length 100"),
        "{err}"
    );
}

#[test]
fn hgvsp_short_and_hgvsp_that_disagree_are_an_error_at_the_line() {
    let (code, _, err) = run(
        "f6",
        "r.maf",
        "Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tHGVSp_Short\tHGVSp\nS1\tBRAF\tMissense_Mutation\tp.V600E\tp.Val600Lys\n",
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("line 2") && err.contains("HGVSp"), "{err}");
    // The same change in both columns is fine.
    let (code, a, err) = run(
        "f6ok",
        "r.maf",
        "Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tHGVSp_Short\tHGVSp\nS1\tBRAF\tMissense_Mutation\tp.V600E\tp.Val600Glu\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "detected");
}

#[test]
fn a_hotspot_position_under_another_symbol_is_an_error() {
    for (gene, class) in [
        ("Unknown", "Missense_Mutation"),
        ("Unknown", "IGR"),
        ("TP53", "Missense_Mutation"),
    ] {
        let maf = format!(
            "Hugo_Symbol\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\tVariant_Classification\tReference_Allele\tTumor_Seq_Allele2\tTumor_Sample_Barcode\n{gene}\tGRCh37\t7\t140453136\t140453136\t{class}\tA\tT\tS1\n"
        );
        let (code, _, err) = run("f5", "r.maf", &maf);
        assert_eq!(code, Some(2), "{gene} {class}: {err}");
        assert!(
            err.contains("line 2") && err.contains("BRAF"),
            "{gene}: {err}"
        );
    }
}

#[test]
fn a_no_call_at_a_hotspot_is_not_a_negative() {
    for gt in ["./.", ".", ".|."] {
        let vcf = format!(
            "##fileformat=VCFv4.2\n##reference=GRCh37\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t{gt}\n"
        );
        let (code, a, err) = run("f9", "r.vcf", &vcf);
        assert_eq!(code, Some(2), "{gt}: {err} {}", a["molecular"]);
        assert!(
            err.contains("line 4") && err.contains("no-call"),
            "{gt}: {err}"
        );
    }
    // A reference call is a negative there.
    let vcf = "##fileformat=VCFv4.2\n##reference=GRCh37\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/0\n";
    let (code, _, err) = run("f9ok", "r.vcf", vcf);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn an_ann_protein_change_of_another_allele_is_a_disagreement() {
    let head = "##fileformat=VCFv4.2\n##reference=GRCh37\n##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p'\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n";
    let vcf = format!(
        "{head}7\t140453136\t.\tA\tC\t.\tPASS\tANN=C|missense_variant|MODERATE|BRAF|ENSG|transcript|NM_004333.4|protein_coding|15/18|c.1799T>A|p.Val600Glu\tGT\t0/1\n"
    );
    let (code, a, err) = run("f7", "r.vcf", &vcf);
    assert_eq!(code, Some(2), "{err} {}", a["molecular"]);
    assert!(err.contains("line 5") && err.contains("disagree"), "{err}");
    // The right allele with the same annotation is V600E.
    let vcf = format!(
        "{head}7\t140453136\t.\tA\tT\t.\tPASS\tANN=T|missense_variant|MODERATE|BRAF|ENSG|transcript|NM_004333.4|protein_coding|15/18|c.1799T>A|p.Val600Glu\tGT\t0/1\n"
    );
    let (code, a, err) = run("f7ok", "r.vcf", &vcf);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(state(&a, "braf_v600e"), "detected");
}

#[test]
fn a_no_break_space_at_the_edge_of_a_symbol_is_refused() {
    for sp in ['\u{00A0}', '\u{202F}'] {
        let maf = format!(
            "Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tHGVSp_Short\nS1\tBRAF{sp}\tMissense_Mutation\tp.V600E\n"
        );
        let (code, _, err) = run("f11", "r.maf", &maf);
        assert_eq!(code, Some(2), "{sp:?}: {err}");
        assert!(
            err.contains("line 2") && err.contains("U+"),
            "{sp:?}: {err}"
        );
        let fus = format!("Tumor_Sample_Barcode\tFusion\nS1\tCCDC6-RET{sp}\n");
        let (code, _, err) = run("f11f", "f.txt", &fus);
        assert_eq!(code, Some(2), "{sp:?}: {err}");
        assert!(
            err.contains("line 2") && err.contains("U+"),
            "{sp:?}: {err}"
        );
    }
}

#[test]
fn the_deprecated_cbioportal_fusion_hugo_symbol_is_checked() {
    let (code, _, err) = run(
        "f12",
        "f.txt",
        "Hugo_Symbol\tTumor_Sample_Barcode\tFusion\nR\u{0415}T\tS1\tCCDC6-RET\n",
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("line 2") && err.contains("Cyrillic"), "{err}");
    let (code, _, err) = run(
        "f12b",
        "f.txt",
        "Tumor_Sample_Barcode\tFusion\nS1\tH4-RET\n",
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("CCDC6"), "{err}");
}

#[test]
fn a_header_naming_both_builds_is_said_to_contradict_itself() {
    let vcf = "##fileformat=VCFv4.2\n##reference=GRCh37\n##contig=<ID=7,length=159345973>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n";
    let (code, _, err) = run("side", "r.vcf", vcf);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("contradicts itself") && err.contains("GRCh38"),
        "{err}"
    );
}
