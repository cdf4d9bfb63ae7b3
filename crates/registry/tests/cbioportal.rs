//! Exports and imports against each backend (SQLite always; PostgreSQL when
//! `ATCPATH_TEST_POSTGRES_URL` is set): the cBioPortal study folder checked with ATCPath's own
//! readers against the format rules (`../shared/fixtures/cbioportal/FORMAT_SUMMARY.md`) and
//! against the source cases; the `--with-dates` round trip; the case-file round trip; bad input.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use atcpath_core::case::{Case, EventKind, read_record};
use atcpath_core::staging;
use atcpath_formats::cbioportal::{parse_case_list, parse_meta};
use atcpath_formats::clinical::{ClinicalReader, TableReader};
use atcpath_formats::maf::MafReader;
use atcpath_formats::sv::SvReader;
use atcpath_registry::{CaseInput, Error, ExportOptions, Registry, Stored};
use common::{TestDb, case_files, kb, reader, run, temp_dir, writer};

/// A patient who died, with every kind of data the export carries.
const DEAD: &str = r#"{"schema":"atcpath.case/1","id":"test-dead-1","as_of":"2024-06-01",
 "patient":{"age_years":70,"sex":"female","ecog":1},
 "diagnosis":{"histology":"anaplastic","date":"2024-01-10"},
 "tumor":{"t":"T4a","n":"N1b","m":"M0","invasion":["trachea"],"largest_dimension_mm":52},
 "molecular":{"resulted":["ngs_dna","ngs_rna","tmb"],"variants":[{"gene":"BRAF","hgvs_p":"p.V600E"},{"gene":"TERT","hgvs_c":"c.-124C>T"}],
   "fusions":[{"five_prime":"CCDC6","three_prime":"RET"}],"tmb_mut_per_mb":4.5,"msi":"stable","mmr":"proficient"},
 "treatments":[{"drug":"dabrafenib","start":"2024-02-01","end":"2024-04-01","cumulative_dose":{"value":300,"unit":"mg"}}],
 "events":[{"kind":"first_contact","date":"2024-01-02"},{"kind":"biopsy","date":"2024-01-08"},
   {"kind":"progression","date":"2024-04-20"},{"kind":"death","date":"2024-05-30"}]}
"#;

/// A patient alive at last follow-up.
const ALIVE: &str = r#"{"schema":"atcpath.case/1","id":"test-alive-1","as_of":"2025-03-01",
 "patient":{"age_years":55,"sex":"male"},
 "diagnosis":{"histology":"anaplastic","date":"2024-02-29"},
 "tumor":{"stage_group":"IVB"},
 "events":[{"kind":"pathology_confirmed","date":"2024-02-29"},{"kind":"last_follow_up","date":"2025-02-27"}]}
"#;

async fn registry_with_cases(db: &TestDb) -> Registry {
    let reg = Registry::init(&db.target, &writer()).await.expect("init").0;
    let kb = kb();
    let mut texts: Vec<(String, Vec<u8>)> = case_files()
        .into_iter()
        .map(|f| (f.display().to_string(), std::fs::read(&f).unwrap()))
        .collect();
    texts.push(("DEAD".into(), DEAD.as_bytes().to_vec()));
    texts.push(("ALIVE".into(), ALIVE.as_bytes().to_vec()));
    for (name, bytes) in &texts {
        let input = CaseInput {
            bytes,
            source: "case.json",
            centre: None,
            identifiers: &[],
        };
        reg.import(&kb, &input, &writer())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
    reg
}

/// The source cases by id (as stored: the registry keeps the bytes).
fn source_cases() -> BTreeMap<String, Case> {
    let kb = kb();
    let mut out = BTreeMap::new();
    let mut texts: Vec<Vec<u8>> = case_files()
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    texts.push(DEAD.as_bytes().to_vec());
    texts.push(ALIVE.as_bytes().to_vec());
    for t in texts {
        let c = read_record(&t, &kb, None).expect("source case");
        out.insert(c.id.clone(), c);
    }
    out
}

fn out_dir(name: &str) -> (PathBuf, PathBuf) {
    let base = temp_dir();
    let d = base.join(name);
    (base, d)
}

/// A clinical file read with ATCPath's clinical reader: header checks, then rows as maps.
fn clinical(path: &Path) -> Vec<BTreeMap<String, Option<String>>> {
    let shown = path.display().to_string();
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut r = ClinicalReader::new(f, &shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
    // The four attribute lines: display names, descriptions, datatypes, priorities.
    let comments: Vec<(usize, String)> = r.comments().to_vec();
    assert_eq!(comments.len(), 4, "{shown}: four # attribute lines");
    assert_eq!(
        comments.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(r.header_line(), 5, "{shown}: column names on line 5");
    let header: Vec<String> = r.header().to_vec();
    assert!(
        header
            .iter()
            .all(|h| *h == h.to_ascii_uppercase() && !h.is_empty()),
        "{shown}: upper-case column names"
    );
    let cells = |i: usize| -> Vec<String> {
        comments[i]
            .1
            .trim_start_matches('#')
            .split('\t')
            .map(str::to_string)
            .collect()
    };
    let types = cells(2);
    assert_eq!(
        types.len(),
        header.len(),
        "{shown}: one datatype per column"
    );
    for t in &types {
        assert!(
            ["STRING", "NUMBER", "BOOLEAN"].contains(&t.as_str()),
            "{shown}: datatype {t}"
        );
    }
    for p in cells(3) {
        p.parse::<i64>()
            .unwrap_or_else(|_| panic!("{shown}: priority {p:?} is not an integer"));
    }
    for forbidden in ["MUTATION_COUNT", "FRACTION_GENOME_ALTERED"] {
        assert!(
            !header.iter().any(|h| h == forbidden),
            "{shown}: {forbidden}"
        );
    }
    let mut rows = Vec::new();
    while let Some(row) = r.next_row().unwrap_or_else(|e| panic!("{shown}: {e}")) {
        let m: BTreeMap<String, Option<String>> = row
            .fields()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect();
        for (i, (h, t)) in header.iter().zip(&types).enumerate() {
            if t == "NUMBER"
                && let Some(v) = row.record.get(i)
            {
                assert!(
                    v.parse::<f64>().is_ok(),
                    "{shown} line {}: {h} {v:?} is not a NUMBER",
                    row.line_no()
                );
            }
        }
        rows.push(m);
    }
    rows
}

fn meta(path: &Path) -> atcpath_formats::cbioportal::Meta {
    parse_meta(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn val(row: &BTreeMap<String, Option<String>>, k: &str) -> Option<String> {
    row.get(k).cloned().flatten()
}

/// (a) The exported folder, re-read with ATCPath's readers, follows the format rules and says
/// what the source cases say.
#[test]
fn cbioportal_export_follows_the_format_and_the_source_cases() {
    run("cbioportal_export_follows_the_format", |db| async move {
        let reg = registry_with_cases(&db).await;
        let (base, dir) = out_dir("study");
        let opts = ExportOptions {
            study_id: "atc_test".into(),
            with_dates: false,
        };
        let report = reg
            .export_cbioportal(&kb(), &dir, &opts, &reader())
            .await
            .expect("export");
        let sources = source_cases();
        assert_eq!(report.patients, sources.len());
        assert!(report.left_out.is_empty(), "{:?}", report.left_out);

        // meta_study.txt
        let study = meta(&dir.join("meta_study.txt"));
        for k in [
            "type_of_cancer",
            "cancer_study_identifier",
            "name",
            "description",
        ] {
            assert!(study.get(k).is_some(), "meta_study.txt: {k}");
        }
        assert_eq!(study.get("cancer_study_identifier"), Some("atc_test"));

        // Every meta file: its keys, and a data file that exists.
        let mut by_type: BTreeMap<(String, String), Vec<PathBuf>> = BTreeMap::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("meta_") || name == "meta_study.txt" {
                continue;
            }
            let m = meta(&p);
            for k in [
                "cancer_study_identifier",
                "genetic_alteration_type",
                "datatype",
                "data_filename",
            ] {
                assert!(m.get(k).is_some(), "{name}: {k}");
            }
            assert_eq!(m.get("cancer_study_identifier"), Some("atc_test"), "{name}");
            let data = dir.join(m.get("data_filename").unwrap());
            assert!(data.is_file(), "{name}: data file");
            let key = (
                m.get("genetic_alteration_type").unwrap().to_string(),
                m.get("datatype").unwrap().to_string(),
            );
            match key.0.as_str() {
                "MUTATION_EXTENDED" => {
                    assert_eq!(key.1, "MAF");
                    assert_eq!(m.get("stable_id"), Some("mutations"));
                }
                "STRUCTURAL_VARIANT" => {
                    assert_eq!(key.1, "SV");
                    assert_eq!(m.get("stable_id"), Some("structural_variants"));
                }
                "CLINICAL" => assert!(
                    ["PATIENT_ATTRIBUTES", "SAMPLE_ATTRIBUTES", "TIMELINE"]
                        .contains(&key.1.as_str())
                ),
                other => panic!("{name}: unexpected type {other}"),
            }
            by_type.entry(key).or_default().push(data);
        }
        let one = |t: &str, d: &str| -> PathBuf {
            let v = &by_type[&(t.to_string(), d.to_string())];
            assert_eq!(v.len(), 1, "{t}/{d}");
            v[0].clone()
        };

        // Patients: ids, OS, stage, against the source cases (OS months computed here).
        let patients = clinical(&one("CLINICAL", "PATIENT_ATTRIBUTES"));
        let ids: BTreeSet<String> = patients
            .iter()
            .map(|r| val(r, "PATIENT_ID").unwrap())
            .collect();
        assert_eq!(ids, sources.keys().cloned().collect());
        let mut deceased = 0;
        for row in &patients {
            let id = val(row, "PATIENT_ID").unwrap();
            let c = &sources[&id];
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            );
            let death = c
                .events
                .iter()
                .filter(|e| e.kind == EventKind::Death)
                .map(|e| e.date)
                .min();
            // Censoring at the date last known alive: the latest dated event or treatment.
            let last_known = c
                .events
                .iter()
                .map(|e| e.date)
                .chain(c.treatments.iter().flat_map(|t| [t.start, t.end]).flatten())
                .max();
            let status = val(row, "OS_STATUS");
            let expected_status = match (death, last_known) {
                (Some(_), _) => Some("1:DECEASED"),
                (None, Some(_)) => Some("0:LIVING"),
                _ => None,
            };
            assert_eq!(status.as_deref(), expected_status, "{id}: OS_STATUS");
            if status.as_deref() == Some("1:DECEASED") {
                deceased += 1;
            }
            let end = death.or(last_known);
            let zero = c.diagnosis.date.or_else(|| {
                c.events
                    .iter()
                    .filter(|e| e.kind == EventKind::PathologyConfirmed)
                    .map(|e| e.date)
                    .min()
            });
            let expected_months = match (zero, end) {
                (Some(a), Some(b)) if b >= a => Some(((b - a).get_days() as f64) / 30.4375),
                _ => None,
            };
            let months = val(row, "OS_MONTHS").map(|m| m.parse::<f64>().unwrap());
            match (months, expected_months) {
                (Some(m), Some(e)) => assert!((m - e).abs() < 0.006, "{id}: OS_MONTHS {m} vs {e}"),
                (None, None) => {}
                (m, e) => panic!("{id}: OS_MONTHS {m:?}, expected {e:?} (never 0 for unknown)"),
            }
            let stage = staging::stage(&c.tumor).group.map(|g| g.to_string());
            assert_eq!(val(row, "AJCC_STAGE"), stage, "{id}: stage");
            assert_eq!(
                val(row, "AGE").map(|a| a.parse::<f64>().unwrap()),
                c.patient.age_years,
                "{id}: age"
            );
            assert!(
                !row.contains_key("ATCPATH_DIAGNOSIS_DATE"),
                "no dates by default"
            );
        }
        assert_eq!(deceased, 1);

        // Samples: one per patient, consistent ids, THAP for anaplastic.
        let samples = clinical(&one("CLINICAL", "SAMPLE_ATTRIBUTES"));
        let mut sample_ids = BTreeSet::new();
        for row in &samples {
            let s = val(row, "SAMPLE_ID").unwrap();
            let p = val(row, "PATIENT_ID").unwrap();
            assert!(ids.contains(&p), "sample {s}: unknown patient {p}");
            assert!(sample_ids.insert(s.clone()), "sample {s} twice");
            assert_eq!(val(row, "ONCOTREE_CODE").as_deref(), Some("THAP"));
            let c = &sources[&p];
            assert_eq!(
                val(row, "TMB_NONSYNONYMOUS").map(|t| t.parse::<f64>().unwrap()),
                c.molecular.tmb_mut_per_mb,
                "{p}: TMB"
            );
        }
        assert_eq!(samples.len(), ids.len());

        // Mutations and fusions: ATCPath's readers, samples of the sample file, same findings.
        let maf = one("MUTATION_EXTENDED", "MAF");
        let mut m = MafReader::new(std::io::BufReader::new(std::fs::File::open(&maf).unwrap()))
            .expect("MAF header");
        for col in [
            "Hugo_Symbol",
            "NCBI_Build",
            "Chromosome",
            "Variant_Classification",
            "Reference_Allele",
            "Tumor_Seq_Allele2",
            "Tumor_Sample_Barcode",
            "HGVSp_Short",
        ] {
            assert!(m.header().iter().any(|h| h == col), "MAF: {col}");
        }
        let c = m.columns();
        let mut maf_found = BTreeSet::new();
        while let Some(row) = m.next_row().expect("MAF row") {
            let f = c.finding(&row, "maf");
            let s = f.sample.clone().unwrap();
            assert!(sample_ids.contains(&s), "MAF sample {s}");
            if let atcpath_core::genomics::Finding::Variant {
                gene,
                protein,
                coding,
                ..
            } = f.finding
            {
                maf_found.insert((
                    s.trim_end_matches("-T").to_string(),
                    gene,
                    protein.map(|p| p.normalized),
                    coding.map(|c| c.normalized),
                ));
            }
        }
        let mut expected = BTreeSet::new();
        for (id, c) in &sources {
            for v in &c.molecular.variants {
                expected.insert((
                    id.clone(),
                    v.gene.clone(),
                    v.protein.as_ref().map(|p| p.normalized.clone()),
                    v.coding.as_ref().map(|c| c.normalized.clone()),
                ));
            }
        }
        assert_eq!(maf_found, expected, "MAF variants");
        let sv = one("STRUCTURAL_VARIANT", "SV");
        let mut r = SvReader::new(
            std::io::BufReader::new(std::fs::File::open(&sv).unwrap()),
            "sv",
        )
        .expect("SV header");
        let mut fusions = BTreeSet::new();
        while let Some(f) = r.next_finding().expect("SV row") {
            let s = f.sample.clone().unwrap();
            assert!(sample_ids.contains(&s), "SV sample {s}");
            if let atcpath_core::genomics::Finding::Fusion {
                five_prime,
                three_prime,
            } = f.finding
            {
                fusions.insert((
                    s.trim_end_matches("-T").to_string(),
                    five_prime,
                    three_prime,
                ));
            }
        }
        let expected: BTreeSet<_> = sources
            .iter()
            .flat_map(|(id, c)| {
                c.molecular
                    .fusions
                    .iter()
                    .map(move |f| (id.clone(), f.five_prime.clone(), f.three_prime.clone()))
            })
            .collect();
        assert_eq!(fusions, expected, "fusions");

        // Timelines: required columns, integer days, known patients, no absolute dates.
        let timelines = by_type
            .get(&("CLINICAL".to_string(), "TIMELINE".to_string()))
            .cloned()
            .unwrap_or_default();
        assert!(!timelines.is_empty());
        let mut death_days = Vec::new();
        for t in &timelines {
            let mut r =
                TableReader::new(std::io::BufReader::new(std::fs::File::open(t).unwrap())).unwrap();
            let col = |n: &str| {
                r.header()
                    .iter()
                    .position(|h| h == n)
                    .unwrap_or_else(|| panic!("{}: {n}", t.display()))
            };
            let (p, s, e, k) = (
                col("PATIENT_ID"),
                col("START_DATE"),
                col("EVENT_TYPE"),
                col("ATCPATH_EVENT"),
            );
            col("STOP_DATE");
            while let Some(rec) = r.next_record().unwrap() {
                let pid = rec.get(p).unwrap().to_string();
                assert!(ids.contains(&pid));
                let day: i64 = rec.get(s).unwrap().parse().expect("integer START_DATE");
                assert!(rec.get(e).is_some());
                if rec.get(k) == Some("death") {
                    death_days.push((pid, day));
                }
            }
        }
        assert_eq!(death_days, vec![("test-dead-1".to_string(), 141)]);

        // Case lists: ids of the sample file, tab-separated, stable ids with the study prefix.
        let mut lists = BTreeMap::new();
        for e in std::fs::read_dir(dir.join("case_lists")).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            let l = parse_case_list(&text).unwrap();
            assert!(l.stable_id.starts_with("atc_test_"), "{}", l.stable_id);
            assert!(l.samples.is_subset(&sample_ids), "{}", l.stable_id);
            let m = parse_meta(&text).unwrap();
            for k in [
                "cancer_study_identifier",
                "case_list_name",
                "case_list_description",
            ] {
                assert!(m.get(k).is_some(), "{}: {k}", p.display());
            }
            lists.insert(l.stable_id.clone(), l.samples);
        }
        assert_eq!(lists["atc_test_all"], sample_ids);
        // Required with a MAF / SV file; only samples whose DNA / RNA NGS resulted (unknown is
        // never "profiled, nothing found").
        for (suffix, test) in [
            ("_sequenced", atcpath_core::case::TestId::NgsDna),
            ("_sv", atcpath_core::case::TestId::NgsRna),
        ] {
            let want: BTreeSet<String> = sources
                .iter()
                .filter(|(_, c)| c.molecular.resulted.contains(&test))
                .map(|(id, _)| format!("{id}-T"))
                .collect();
            assert_eq!(lists[&format!("atc_test{suffix}")], want, "{suffix}");
        }

        // Pseudonymised: no ISO date anywhere.
        for e in walk(&dir) {
            let text = std::fs::read_to_string(&e).unwrap();
            let b = text.as_bytes();
            let iso = b.windows(10).any(|w| {
                w[4] == b'-'
                    && w[7] == b'-'
                    && [0, 1, 2, 3, 5, 6, 8, 9]
                        .iter()
                        .all(|&i| w[i].is_ascii_digit())
            });
            assert!(!iso, "{}: an absolute date left the registry", e.display());
        }

        // The export is audited per patient with its reason.
        let mut audit = Vec::new();
        reg.export_audit(atcpath_registry::ExportFormat::Json, &mut audit, &reader())
            .await
            .unwrap();
        let rows: serde_json::Value = serde_json::from_slice(&audit).unwrap();
        let exported = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "export" && r["record"] == "case_versions")
            .count();
        assert_eq!(exported, sources.len());
        reg.close().await;
        let _ = std::fs::remove_dir_all(base);
    });
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

type Variants = BTreeSet<(String, Option<String>, Option<String>)>;
/// Stage group, events (date, kind), variants, fusions.
type Summary = (
    Option<String>,
    Vec<(String, String)>,
    Variants,
    BTreeSet<(String, String)>,
);

fn summary(c: &Case) -> Summary {
    let mut events: Vec<(String, String)> = c
        .events
        .iter()
        .map(|e| (e.date.to_string(), e.kind.id().to_string()))
        .collect();
    events.sort();
    (
        staging::stage(&c.tumor).group.map(|g| g.to_string()),
        events,
        c.molecular
            .variants
            .iter()
            .map(|v| {
                (
                    v.gene.clone(),
                    v.protein.as_ref().map(|p| p.normalized.clone()),
                    v.coding.as_ref().map(|c| c.normalized.clone()),
                )
            })
            .collect(),
        c.molecular
            .fusions
            .iter()
            .map(|f| (f.five_prime.clone(), f.three_prime.clone()))
            .collect(),
    )
}

/// (b) Export with dates, import into a fresh registry: same stage, events, vital status and
/// dates, variants and fusions for every patient.
#[test]
fn with_dates_round_trip_keeps_stage_events_outcome_and_molecular() {
    run("with_dates_round_trip", |db| async move {
        let reg = registry_with_cases(&db).await;
        let (base, dir) = out_dir("study");
        let opts = ExportOptions {
            study_id: "atc_test".into(),
            with_dates: true,
        };
        reg.export_cbioportal(&kb(), &dir, &opts, &reader())
            .await
            .expect("export");
        let reg_kb = kb();
        // A fresh registry in the same database is not possible: use a second SQLite file.
        let fresh_path = base.join("fresh.db");
        let fresh = Registry::init(&atcpath_registry::Target::sqlite(&fresh_path), &writer())
            .await
            .unwrap()
            .0;
        let r = fresh
            .import_cbioportal(&reg_kb, &dir, None, None, &writer())
            .await
            .expect("import");
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        let sources = source_cases();
        assert_eq!(r.stored, sources.len());
        for (id, src) in &sources {
            let back = fresh.show(&reg_kb, id, None, &reader()).await.unwrap();
            let case = read_record(back.case_json.as_bytes(), &reg_kb, None).unwrap();
            let (s_stage, s_events, s_vars, s_fus) = summary(src);
            let (b_stage, b_events, b_vars, b_fus) = summary(&case);
            assert_eq!(b_stage, s_stage, "{id}: stage");
            assert_eq!(b_vars, s_vars, "{id}: variants");
            assert_eq!(b_fus, s_fus, "{id}: fusions");
            if src.diagnosis.date.is_some() {
                assert_eq!(b_events, s_events, "{id}: events");
                let orig = reg.show(&reg_kb, id, None, &reader()).await.unwrap();
                assert_eq!(back.outcome, orig.outcome, "{id}: vital status and dates");
                assert_eq!(case.diagnosis.date, src.diagnosis.date);
            } else {
                // No day 0: the export could not place the events, and says so.
                assert!(b_events.is_empty(), "{id}: undated events are left absent");
            }
            assert_eq!(case.molecular.tmb_mut_per_mb, src.molecular.tmb_mut_per_mb);
            assert_eq!(case.molecular.msi, src.molecular.msi);
            assert_eq!(case.molecular.resulted, src.molecular.resulted, "{id}");
            assert_eq!(case.patient.sex, src.patient.sex);
            assert_eq!(case.patient.ecog, src.patient.ecog);
        }
        let dead = read_record(
            fresh
                .show(&reg_kb, "test-dead-1", None, &reader())
                .await
                .unwrap()
                .case_json
                .as_bytes(),
            &reg_kb,
            None,
        )
        .unwrap();
        assert_eq!(dead.treatments.len(), 1);
        assert_eq!(dead.treatments[0].drug, "dabrafenib");
        assert_eq!(
            dead.treatments[0].end.map(|d| d.to_string()).as_deref(),
            Some("2024-04-01")
        );
        // The same study again: every patient is already there and left as it is.
        let again = fresh
            .import_cbioportal(&reg_kb, &dir, None, None, &writer())
            .await
            .unwrap();
        assert_eq!(again.skipped_existing.len(), sources.len());
        assert_eq!((again.stored, again.new_versions), (0, 0));

        // Without dates: nothing dated, and the summary says who.
        let (base2, dir2) = out_dir("nodates");
        reg.export_cbioportal(
            &reg_kb,
            &dir2,
            &ExportOptions {
                study_id: "atc_test".into(),
                with_dates: false,
            },
            &reader(),
        )
        .await
        .unwrap();
        let fresh2 = Registry::init(
            &atcpath_registry::Target::sqlite(base2.join("fresh.db")),
            &writer(),
        )
        .await
        .unwrap()
        .0;
        let r2 = fresh2
            .import_cbioportal(&reg_kb, &dir2, None, None, &writer())
            .await
            .unwrap();
        // A known death that cannot be dated is not stored (the patient would look alive);
        // the living are stored with their events left absent, and the summary says who.
        let dead: Vec<&str> = r2.rejected.iter().map(|r| r.patient.as_str()).collect();
        assert!(dead.contains(&"test-dead-1"), "{:?}", r2.rejected);
        assert!(
            r2.rejected
                .iter()
                .all(|r| r.problems.iter().any(|p| p.contains("as if alive"))),
            "{:?}",
            r2.rejected
        );
        assert!(r2.undated.contains(&"test-alive-1".to_string()));
        let a2 = fresh2
            .show(&reg_kb, "test-alive-1", None, &reader())
            .await
            .unwrap();
        assert!(a2.events.is_empty());
        assert_eq!(a2.outcome.vital_status, "unknown");
        fresh.close().await;
        fresh2.close().await;
        reg.close().await;
        let _ = std::fs::remove_dir_all(base);
        let _ = std::fs::remove_dir_all(base2);
    });
}

/// (c) Case files out and back in: nothing changes.
#[test]
fn case_export_reimports_unchanged() {
    run("case_export_reimports_unchanged", |db| async move {
        let reg = registry_with_cases(&db).await;
        let (base, dir) = out_dir("cases");
        let report = reg.export_cases(&kb(), &dir, &reader()).await.unwrap();
        let before = reg.counts().await.unwrap();
        assert_eq!(report.patients, source_cases().len());
        let k = kb();
        for f in &report.files {
            let bytes = std::fs::read(dir.join(f)).unwrap();
            let r = reg
                .import(
                    &k,
                    &CaseInput {
                        bytes: &bytes,
                        source: f,
                        centre: None,
                        identifiers: &[],
                    },
                    &writer(),
                )
                .await
                .unwrap();
            assert_eq!(r.stored, Stored::Unchanged, "{f}");
            assert_eq!(r.version, 1);
        }
        let after = reg.counts().await.unwrap();
        for ((name, b), (_, a)) in before.iter().zip(&after) {
            if *name != "audit" {
                assert_eq!(a, b, "{name}");
            }
        }
        reg.close().await;
        let _ = std::fs::remove_dir_all(base);
    });
}

/// (d) Bad input: a malformed clinical row, a non-empty output folder, no reason.
#[test]
fn bad_inputs_are_refused() {
    run("bad_inputs_are_refused", |db| async move {
        let reg = registry_with_cases(&db).await;
        let k = kb();
        // No reason: refused before anything is written.
        let (base, dir) = out_dir("study");
        let err = reg
            .export_cbioportal(
                &k,
                &dir,
                &ExportOptions {
                    study_id: "x".into(),
                    with_dates: false,
                },
                &writer(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ReasonRequired), "{err}");
        assert!(matches!(
            reg.export_cases(&k, &dir, &writer()).await.unwrap_err(),
            Error::ReasonRequired
        ));
        assert!(!dir.exists());
        // A non-empty folder: refused, untouched.
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("keep.txt"), "mine").unwrap();
        let err = reg.export_cases(&k, &dir, &reader()).await.unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
            "mine"
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // An empty folder is fine.
        let empty = base.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        reg.export_cases(&k, &empty, &reader()).await.unwrap();
        // Nothing left beside the outputs (no staging folders).
        let names: Vec<String> = std::fs::read_dir(&base)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(names.is_empty(), "{names:?}");

        // A malformed clinical row: the error names the file and the line.
        let study = base.join("bad_study");
        reg.export_cbioportal(
            &k,
            &study,
            &ExportOptions {
                study_id: "x".into(),
                with_dates: true,
            },
            &reader(),
        )
        .await
        .unwrap();
        let p = study.join("data_clinical_patient.txt");
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("broken-row\tonly two fields\n");
        let bad_line = text.lines().count();
        std::fs::write(&p, text).unwrap();
        let err = reg
            .import_cbioportal(&k, &study, None, None, &writer())
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("data_clinical_patient.txt") && msg.contains(&format!("line {bad_line}")),
            "{msg}"
        );
        // A bad value rejects that patient only, naming file, line and column.
        let mut text = std::fs::read_to_string(&p).unwrap();
        text = text.replace("broken-row\tonly two fields\n", "");
        let line_no = text
            .lines()
            .position(|l| l.starts_with("test-alive-1\t"))
            .unwrap()
            + 1;
        text = text.replace("test-alive-1\t55\t", "test-alive-1\tfifty\t");
        std::fs::write(&p, text).unwrap();
        let fresh = Registry::init(
            &atcpath_registry::Target::sqlite(base.join("fresh.db")),
            &writer(),
        )
        .await
        .unwrap()
        .0;
        let r = fresh
            .import_cbioportal(&k, &study, None, None, &writer())
            .await
            .unwrap();
        assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
        assert_eq!(r.rejected[0].patient, "test-alive-1");
        let problem = &r.rejected[0].problems[0];
        assert!(
            problem.contains("data_clinical_patient.txt")
                && problem.contains(&format!("line {line_no}"))
                && problem.contains("AGE"),
            "{problem}"
        );
        assert_eq!(r.stored, source_cases().len() - 1);
        fresh.close().await;
        // A header naming one column twice: refused, naming both columns.
        let text = std::fs::read_to_string(&p).unwrap();
        let header = text
            .lines()
            .find(|l| !l.starts_with('#'))
            .unwrap()
            .to_string();
        let twice = header.replacen("\tSEX", "\tAGE", 1);
        assert_ne!(twice, header);
        std::fs::write(&p, text.replacen(&header, &twice, 1)).unwrap();
        let err = reg
            .import_cbioportal(&k, &study, None, None, &writer())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("both named AGE"), "{err}");
        reg.close().await;
        let _ = std::fs::remove_dir_all(base);
    });
}
