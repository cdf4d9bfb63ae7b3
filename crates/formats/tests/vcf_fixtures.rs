//! Every VCF of the vcf2maf fixtures (`../shared/fixtures/vcf2maf/vcf`, real caller output; see
//! its README) through `VcfReader`, with facts counted independently by hand. The commands were
//! run once in that folder; their output is written next to them. Also: hand-written VCFs for
//! the VEP `CSQ` and SnpEff `ANN` paths, bad inputs, and the consistency of the hotspot table.

use std::path::PathBuf;

use atcpath_core::genomics::finding::Finding;
use atcpath_core::genomics::{Annotation, annotate_finding};
use atcpath_core::hgvs;
use atcpath_formats::vcf::{Filter, Origin, VcfCall, VcfOptions, VcfReader, VcfStats};
use atcpath_kb::Kb;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/vcf2maf/vcf")
}

struct Read {
    calls: Vec<VcfCall>,
    stats: VcfStats,
    build: Option<&'static str>,
    tumour: Option<String>,
    warnings: Vec<String>,
}

/// Reads a fixture; any error fails the test.
fn read(kb: &Kb, name: &str, build: Option<&str>) -> Read {
    let file = std::fs::File::open(dir().join(name)).unwrap();
    let mut r = VcfReader::new(
        std::io::BufReader::new(file),
        kb,
        VcfOptions {
            file: name,
            build,
            tumour_sample: None,
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let calls = r
        .by_ref()
        .map(|c| c.unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    Read {
        calls,
        stats: r.stats(),
        build: r.build(),
        tumour: r.tumour_sample().map(str::to_string),
        warnings: r.warnings().to_vec(),
    }
}

/// The knowledge base's annotation of a call (what `annotate` and `assess` would do).
fn annotate(kb: &Kb, c: &VcfCall) -> Annotation {
    assert!(
        matches!(c.sourced.finding, Finding::Variant { .. }),
        "not a variant: {c:?}"
    );
    annotate_finding(kb, &c.sourced.finding)
}

fn summary(c: &VcfCall) -> (String, Option<String>, Option<String>, usize) {
    let Finding::Variant {
        gene,
        protein,
        coding,
        ..
    } = &c.sourced.finding
    else {
        panic!()
    };
    (
        gene.clone(),
        protein.as_ref().map(|p| p.normalized.clone()),
        coding.as_ref().map(|p| p.normalized.clone()),
        c.sourced.line,
    )
}

#[test]
fn every_fixture_reads_without_error_with_the_right_counts() {
    let kb = Kb::embedded().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".vcf"))
        .collect();
    names.sort();
    // ls *.vcf | wc -l -> 10
    assert_eq!(names.len(), 10, "{names:?}");
    // for f in *.vcf; do echo $f $(grep -vc '^#' $f); done
    let records = [
        ("test.vcf", 20),
        ("test_b37.vcf", 25),
        ("test_b38.vcf", 25),
        ("test_delly.vcf", 15),
        ("test_grch38.vcf", 20),
        ("test_mutect.vcf", 500),
        ("test_pindel.vcf", 32),
        ("test_radia.vcf", 87),
        ("test_strelka.vcf", 240),
        ("test_varscan.vcf", 500),
    ];
    for name in &names {
        let r = read(&kb, name, None);
        let s = r.stats;
        let expected = records.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(s.records, expected, "{name}");
        assert_eq!(s.invalid, 0, "{name}");
        assert_eq!(
            s.alleles,
            s.not_point + s.allele_lists + s.not_in_tumour + s.no_gene + s.findings,
            "{name}: every allele is accounted for"
        );
    }
}

#[test]
fn build_is_read_from_the_header_only_when_it_says() {
    let kb = Kb::embedded().unwrap();
    // grep -l '^##reference\|^##assembly\|^##contig' *.vcf, then read the values:
    // delly  ##reference=/ifs/depot/assemblies/H.sapiens/b37/b37.fasta (and GRCh37 contigs)
    // mutect ##contig=<ID=1,length=249250621> ... (GRCh37 lengths)
    // pindel ##reference=HG19
    // b38    ##contig=<ID=21,length=46709983> (GRCh38 chr21)
    // radia  ##reference=file:/home/dnanexus/radiatemp/universal_reference.fa (says nothing)
    for (name, build) in [
        ("test_delly.vcf", Some("GRCh37")),
        ("test_mutect.vcf", Some("GRCh37")),
        ("test_pindel.vcf", Some("GRCh37")),
        ("test_b38.vcf", Some("GRCh38")),
        ("test_radia.vcf", None),
        ("test.vcf", None),
        ("test_grch38.vcf", None),
        ("test_b37.vcf", None),
        ("test_strelka.vcf", None),
        ("test_varscan.vcf", None),
    ] {
        let r = read(&kb, name, None);
        assert_eq!(r.build, build, "{name}");
        assert_eq!(
            r.warnings.iter().any(|w| w.contains("build unknown")),
            build.is_none(),
            "{name}"
        );
    }
}

#[test]
fn braf_v600e_in_strelka_is_level_1() {
    let kb = Kb::embedded().unwrap();
    // The file does not name its build (the README says GRCh37): the caller gives it.
    let r = read(&kb, "test_strelka.vcf", Some("GRCh37"));
    // grep -n $'^7\t140453136' test_strelka.vcf -> 160: ... A T . PASS ... SGT=AA->AT;SOMATIC
    // The column order is NORMAL, TUMOR and Strelka writes no GT: the tumour's TU tier-1 count
    // (191) is what makes it a tumour call; the normal's is 0.
    assert_eq!(r.tumour.as_deref(), Some("TUMOR"));
    assert_eq!(r.calls.len(), 1, "the only hotspot of the file");
    let braf = &r.calls[0];
    assert_eq!(
        summary(braf),
        (
            "BRAF".into(),
            Some("p.Val600Glu".into()),
            Some("c.1799T>A".into()),
            160
        )
    );
    assert_eq!(
        (braf.filter.clone(), braf.origin, braf.sourced.file.as_str()),
        (Filter::Pass, Origin::HotspotPosition, "test_strelka.vcf")
    );
    let a = annotate(&kb, braf);
    assert_eq!(a.highest_level.as_deref(), Some("LEVEL_1"));
    assert_eq!(a.alteration.as_deref(), Some("braf_v600e"));
    // 240 records, one ALT each; the tumour's Strelka tier-1 count of the ALT (`<ALT>U` for a
    // base, `TIR` for an indel) is above 0 in all of them, the normal's in only 18:
    // awk -F'\t' '!/^#/{key=(length($4)==1&&length($5)==1)?$5"U":"TIR"; split($9,k,":");
    //   split($11,v,":"); for(i in k) if(k[i]==key){split(v[i],t,","); if(t[1]>0) n++}}
    //   END{print n}' test_strelka.vcf -> 240 (column 10, the NORMAL: 18)
    assert_eq!((r.stats.not_in_tumour, r.stats.no_gene), (0, 239));
    // Without a build nothing is recognised by position, and the reader says so.
    let r = read(&kb, "test_strelka.vcf", None);
    assert!(r.calls.is_empty());
}

#[test]
fn tert_promoter_and_pik3ca_in_both_builds() {
    let kb = Kb::embedded().unwrap();
    // grep -n $'^5\t1295\|^3\t178936091' test.vcf -> 14: 3 178936091 G A; 15: 5 1295228 G A;
    // 16: 5 1295250 G A
    // grep -n $'^5\t1295\|^3\t179218303' test_grch38.vcf -> 15: 3 179218303 G A;
    // 16: 5 1295113 G A; 17: 5 1295135 G A
    for (name, build, first) in [
        ("test.vcf", "GRCh37", 14),
        ("test_grch38.vcf", "GRCh38", 15),
    ] {
        let r = read(&kb, name, Some(build));
        let got: Vec<_> = r.calls.iter().map(summary).collect();
        assert_eq!(
            got,
            [
                (
                    "PIK3CA".into(),
                    Some("p.Glu545Lys".into()),
                    Some("c.1633G>A".into()),
                    first
                ),
                ("TERT".into(), None, Some("c.-124C>T".into()), first + 1),
                ("TERT".into(), None, Some("c.-146C>T".into()), first + 2),
            ],
            "{name}"
        );
        let names: Vec<_> = r.calls[1..]
            .iter()
            .map(|c| {
                let a = annotate(&kb, c);
                (a.alteration, a.name)
            })
            .collect();
        assert_eq!(
            names,
            [
                (Some("tert_promoter".into()), Some("C228T".into())),
                (Some("tert_promoter".into()), Some("C250T".into()))
            ],
            "{name}"
        );
        assert!(
            r.calls.iter().all(
                |c| c.sourced.sample.as_deref() == Some("TUMOR") && c.filter == Filter::Missing
            )
        );
    }
}

#[test]
fn the_tumour_column_is_found_in_any_order() {
    let kb = Kb::embedded().unwrap();
    // ALT alleles that the GT of one column does not carry (GT is the first FORMAT key in all):
    // nc() { awk -F'\t' -v col=$2 '!/^#/ {n=split($5,a,","); split($col,s,":"); g=s[1];
    //   gsub(/\|/,"/",g); m=split(g,x,"/"); for(k=1;k<=n;k++){c=0; for(j=1;j<=m;j++)
    //   if(x[j]==k) c=1; if(!c) nc++}} END{print nc+0}' $1; }
    // nc test.vcf 10 -> 3 (TUMOR)          nc test.vcf 11 -> 21 (NORMAL)
    // nc test_mutect.vcf 11 -> 76 (TUMOR)  nc test_mutect.vcf 10 -> 424 (NORMAL, haploid 0)
    // nc test_radia.vcf 11 -> 7 (DNA_TUMOR) nc 10 -> 94 (DNA_NORMAL) nc 12 -> 85 (RNA_TUMOR)
    // nc test_varscan.vcf 11 -> 19 (TUMOR) nc test_varscan.vcf 10 -> 31 (NORMAL)
    // (the varscan count includes line 110, ALT "A/T", GT 0/1: carried, so not in the 19)
    for (name, tumour, not_carried) in [
        ("test.vcf", "TUMOR", 3),
        ("test_grch38.vcf", "TUMOR", 3),
        ("test_mutect.vcf", "TUMOR", 76),
        ("test_radia.vcf", "DNA_TUMOR", 7),
        ("test_varscan.vcf", "TUMOR", 19),
        ("test_delly.vcf", "TUMOR", 0),
    ] {
        let r = read(&kb, name, None);
        assert_eq!(r.tumour.as_deref(), Some(tumour), "{name}");
        assert_eq!(r.stats.not_in_tumour, not_carried, "{name}");
    }
    // test.vcf lines 18-21: 5 112174757 GAAGA with two ALTs each, TUMOR 0/2, 1/2, 0/1, 0/2 (the
    // three alleles it does not carry), NORMAL 0/0, 1/1, 0/2, 0/1. Alleles:
    // awk -F'\t' '!/^#/{n+=split($5,a,",")} END{print n}' test.vcf -> 24, so 24 - 3 = 21 in the
    // tumour, none at a hotspot without a build, no annotation: no gene for any.
    let r = read(&kb, "test.vcf", None);
    assert_eq!((r.stats.alleles, r.stats.no_gene), (24, 21));
}

#[test]
fn callers_quirks_are_read_not_refused() {
    let kb = Kb::embedded().unwrap();
    // DELLY: grep -v '^#' test_delly.vcf | cut -f5 | grep -c '[][]' -> 3 breakends,
    // ... | grep -c '^<' -> 9 symbolic, 3 sequence ALTs.
    let r = read(&kb, "test_delly.vcf", None);
    assert_eq!((r.stats.not_point, r.stats.no_gene), (12, 3));
    // VarScan: grep -v '^#' test_varscan.vcf | cut -f5 | grep -c / -> 1 ("A/T", line 110).
    let r = read(&kb, "test_varscan.vcf", None);
    assert_eq!(r.stats.allele_lists, 1);
    assert!(r.warnings.iter().any(|w| w.starts_with("line 110:")));
    // MuTect: grep -v '^#' test_mutect.vcf | cut -f7 | sort | uniq -c -> 5 PASS, 495 REJECT;
    // none of its calls is at a hotspot, so nothing is yielded, REJECT or not.
    let r = read(&kb, "test_mutect.vcf", None);
    assert_eq!((r.stats.findings, r.stats.filtered), (0, 0));
    // Empty INFO column on every record (two tabs): read as missing.
    let r = read(&kb, "test_b37.vcf", Some("GRCh37"));
    assert_eq!((r.stats.records, r.stats.invalid), (25, 0));
}

#[test]
fn vep_csq_and_snpeff_ann_paths() {
    let kb = Kb::embedded().unwrap();
    let vep = "##fileformat=VCFv4.2\n\
##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|CANONICAL\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR\n\
7\t140453136\t.\tA\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|BRAF|ENSG00000157764|Transcript|ENST00000646891|protein_coding|15/18||ENST00000646891.2:c.1919T>A|ENSP00000493543.1:p.Val640Glu|,T|missense_variant|MODERATE|BRAF|ENSG00000157764|Transcript|ENST00000288602|protein_coding|15/18||ENST00000288602.6:c.1799T>A|ENSP00000288602.6:p.Val600Glu|YES\tGT\t0/0\t0/1\n\
17\t7579312\t.\tC\tA\t.\tclustered_events\tCSQ=A|splice_region_variant&synonymous_variant|LOW|TP53|ENSG00000141510|Transcript|ENST00000269305|protein_coding|4/11||ENST00000269305.4:c.375G>T|ENSP00000269305.4:p.Thr125%3D|YES\tGT\t0/0\t0/1\n";
    let mut r = VcfReader::new(vep.as_bytes(), &kb, VcfOptions::default()).unwrap();
    let calls: Vec<VcfCall> = r.by_ref().map(Result::unwrap).collect();
    assert_eq!(r.annotation(), Some(Origin::VepCsq));
    assert_eq!(
        summary(&calls[0]),
        (
            "BRAF".into(),
            Some("p.Val600Glu".into()),
            Some("c.1799T>A".into()),
            4
        ),
        "the canonical transcript"
    );
    assert_eq!(
        annotate(&kb, &calls[0]).highest_level.as_deref(),
        Some("LEVEL_1")
    );
    assert_eq!(summary(&calls[1]).1.as_deref(), Some("p.Thr125="));
    assert_eq!(
        calls[1].filter,
        Filter::Failed(vec!["clustered_events".into()])
    );

    let snpeff = "##fileformat=VCFv4.2\n\
##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1_TUMOR\tS1_NORMAL\n\
12\t25245350\t.\tC\tA\t.\tPASS\tANN=A|missense_variant|MODERATE|KRAS|ENSG00000133703|transcript|ENST00000256078.10|protein_coding|2/6|c.35G>T|p.Gly12Val|225/5312|35/570|12/189||\tGT\t0/1\t0/0\n\
5\t1295113\t.\tG\tA\t.\tPASS\tANN=A|upstream_gene_variant|MODIFIER|TERT|ENSG00000164362|transcript|ENST00000310581.10|protein_coding||c.-124C>T|||||124|\tGT\t0/1\t0/0\n";
    let mut r = VcfReader::new(snpeff.as_bytes(), &kb, VcfOptions::default()).unwrap();
    let calls: Vec<VcfCall> = r.by_ref().map(Result::unwrap).collect();
    assert_eq!(
        (r.annotation(), r.tumour_sample()),
        (Some(Origin::SnpEffAnn), Some("S1_TUMOR"))
    );
    assert_eq!(
        summary(&calls[0]),
        (
            "KRAS".into(),
            Some("p.Gly12Val".into()),
            Some("c.35G>T".into()),
            4
        )
    );
    assert_eq!(annotate(&kb, &calls[0]).oncogenic, "Oncogenic");
    let tert = annotate(&kb, &calls[1]);
    assert_eq!(
        (tert.alteration.as_deref(), tert.name.as_deref()),
        (Some("tert_promoter"), Some("C228T"))
    );
}

#[test]
fn bad_inputs_are_errors_with_their_line() {
    let kb = Kb::embedded().unwrap();
    let cols = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR";
    let first_error = |text: &str| match VcfReader::new(text.as_bytes(), &kb, VcfOptions::default())
    {
        Err(e) => e,
        Ok(mut r) => r.find_map(Result::err).unwrap(),
    };
    for (what, text, line) in [
        (
            "truncated header",
            "##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                .to_string(),
            3,
        ),
        (
            "record before #CHROM",
            format!("##fileformat=VCFv4.2\n7\t140453136\t.\tA\tT\t.\tPASS\t.\n{cols}\n"),
            2,
        ),
        (
            "wrong column count",
            format!(
                "##fileformat=VCFv4.2\n{cols}\n7\t1\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n7\t140453136\t.\tA\tT\t.\tPASS\t.\tGT\n"
            ),
            4,
        ),
        (
            "POS not a number",
            format!("##fileformat=VCFv4.2\n{cols}\n7\t14O453136\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n"),
            3,
        ),
    ] {
        let e = first_error(&text);
        assert_eq!(e.line, line, "{what}: {e}");
    }
}

#[test]
fn every_hotspot_entry_translates_to_its_protein() {
    // The hotspot table against genes.toml's reference codons, with core's genetic code: the
    // coding change applied to the codon must give the protein change, on each entry.
    let kb = Kb::embedded().unwrap();
    for h in &kb.hotspot_positions.hotspots {
        let p = hgvs::parse_protein(&h.protein).unwrap();
        assert_eq!(p.normalized, h.protein, "normalised form");
        let c = hgvs::parse_coding(&h.coding).unwrap();
        let codon = kb
            .genes
            .hotspots
            .iter()
            .find(|g| g.gene == h.gene && g.position == p.position)
            .unwrap_or_else(|| {
                panic!("{} {}: no reference codon in genes.toml", h.gene, h.protein)
            });
        let start = 3 * p.position - 2;
        let mutant = hgvs::mutate_codon(&c, start, &codon.codon).unwrap_or_else(|| {
            panic!("{} {} does not fit codon {}", h.gene, h.coding, codon.codon)
        });
        assert_eq!(
            hgvs::translate(&mutant),
            p.alt_aa,
            "{} {}",
            h.gene,
            h.coding
        );
        assert_eq!(hgvs::translate(&codon.codon), Some(p.ref_aa), "{}", h.gene);
    }
}
