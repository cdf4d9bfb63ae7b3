//! Crash safety of `atcpath registry import`: the process is killed (SIGKILL) at random moments
//! while it imports a few thousand cases, on a SQLite file and, when `ATCPATH_TEST_POSTGRES_URL`
//! is set, on a fresh PostgreSQL database (otherwise a loud SKIPPED line). After every kill the
//! registry must hold only whole patients: the audit chain verifies; every case version's
//! SHA-256 matches its JSON, which still validates; its projection rows are exactly what the
//! JSON gives; there is exactly one import audit row per stored version. Each round re-imports
//! the same folder (what is stored is unchanged, the rest continues); a last full import stores
//! every case exactly once.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use atcpath_core::case::read_case;
use atcpath_kb::Kb;
use atcpath_registry::import::sha256_hex;
use atcpath_registry::projection::{Outcome, Projection, derive};
use serde_json::{Value, json};
use sqlx::Connection;

mod common;

use common::{Reg, block_on, command, ok, registries, unique};

/// Cases generated (distinct ids).
const CASES: usize = 2000;
/// Rounds that are killed; the first is killed by time (early: start-up or the first cases),
/// the others once a random share of the cases, growing from round to round, is stored.
const ROUNDS: usize = 5;
/// The RNG seed (fixed: a failure reproduces).
const SEED: u64 = 0x00a7_c0a7_2026_1130;

/// SplitMix64: a small seeded generator (no dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..hi` (`hi > lo`).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// A small valid case: patient, TNM, molecular results (tests, a variant, sometimes a fusion),
/// and three or four events.
fn case(i: usize) -> Value {
    let d = 1 + i % 20;
    let mut molecular = json!({
        "resulted": ["ngs_dna", "ngs_rna", "pd_l1_ihc"],
        "pending": if i.is_multiple_of(3) { json!(["mmr_ihc"]) } else { json!([]) },
        "variants": [{"gene": "BRAF", "hgvs_p": "p.V600E"}, {"gene": "TERT", "hgvs_c": "c.-124C>T"}],
        "pd_l1_tps_percent": i % 101,
    });
    if i.is_multiple_of(4) {
        molecular["fusions"] = json!([{"five_prime": "CCDC6", "three_prime": "RET"}]);
    }
    let mut events = vec![
        json!({"kind": "first_contact", "date": format!("2024-01-{d:02}")}),
        json!({"kind": "biopsy", "date": format!("2024-02-{d:02}")}),
        json!({"kind": "mdt", "date": "2024-02-25"}),
    ];
    if i.is_multiple_of(2) {
        events.push(json!({"kind": "last_follow_up", "date": "2024-02-28"}));
    }
    json!({
        "schema": "atcpath.case/1",
        "id": format!("crash-{i:05}"),
        "as_of": "2024-03-01",
        "patient": {"age_years": 40 + i % 50, "sex": if i.is_multiple_of(2) { "male" } else { "female" }},
        "tumor": {"t": "T4a", "n": "N1b", "m": if i.is_multiple_of(2) { "M0" } else { "M1" }},
        "molecular": molecular,
        "events": events,
    })
}

fn generate(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..CASES {
        let bytes = serde_json::to_vec_pretty(&case(i)).unwrap();
        std::fs::write(dir.join(format!("case-{i:05}.json")), bytes).unwrap();
    }
}

async fn connect(reg: &Reg) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&reg.raw_url).await.unwrap()
}

async fn patients_stored(c: &mut sqlx::AnyConnection) -> i64 {
    // Before the first commit of a round the table may be empty; an error is "none yet".
    let n: Result<(i64,), _> = sqlx::query_as("SELECT COUNT(*) FROM patients")
        .fetch_one(&mut *c)
        .await;
    n.map_or(0, |(n,)| n)
}

type Rows<T> = BTreeMap<i64, Vec<T>>;

/// Rows of `sql` grouped by patient: `split` takes each row apart into (patient id, rest).
async fn grouped<R, T>(
    c: &mut sqlx::AnyConnection,
    sql: &'static str,
    split: impl Fn(R) -> (i64, T),
) -> Rows<T>
where
    R: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let rows: Vec<R> = sqlx::query_as(sql).fetch_all(&mut *c).await.unwrap();
    let mut out: Rows<T> = BTreeMap::new();
    for r in rows {
        let (p, rest) = split(r);
        out.entry(p).or_default().push(rest);
    }
    out
}

/// Checks that the registry holds only whole patients (see the module documentation); returns
/// how many patients are stored.
fn check(reg: &Reg, kb: &Kb, round: &str) -> usize {
    let verify = command(reg, &["audit", "verify"]).output().unwrap();
    assert!(
        verify.status.success(),
        "{} {round}: audit verify: {}{}",
        reg.backend,
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    block_on(async {
        let mut c = connect(reg).await;
        let patients: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, pseudonym FROM patients ORDER BY id")
                .fetch_all(&mut c)
                .await
                .unwrap();
        let versions: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT patient_id, id, version, sha256, case_json FROM case_versions ORDER BY patient_id, version",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        let mut current: BTreeMap<i64, (i64, i64, String, String)> = BTreeMap::new();
        let mut n_versions: BTreeMap<i64, i64> = BTreeMap::new();
        for (p, id, v, sha, json) in versions {
            assert_eq!(
                sha256_hex(json.as_bytes()),
                sha,
                "{round}: case version {id}: sha256"
            );
            *n_versions.entry(p).or_default() += 1;
            current.insert(p, (id, v, sha, json));
        }
        let events: Rows<(i64, i64, String, String)> = grouped(
            &mut c,
            "SELECT patient_id, case_version_id, seq, kind, date FROM events ORDER BY patient_id, seq",
            |(p, a, b, c, d): (i64, i64, i64, String, String)| (p, (a, b, c, d)),
        )
        .await;
        #[allow(clippy::type_complexity)]
        let molecular: Rows<(i64, Option<f64>, Option<String>, Option<String>, Option<f64>)> =
            grouped(
                &mut c,
                "SELECT patient_id, case_version_id, pd_l1_tps_percent, mmr, msi, tmb_mut_per_mb FROM molecular",
                |(p, a, b, c, d, e): (i64, i64, Option<f64>, Option<String>, Option<String>, Option<f64>)| {
                    (p, (a, b, c, d, e))
                },
            )
            .await;
        let tests: Rows<(i64, String, String)> = grouped(
            &mut c,
            "SELECT patient_id, case_version_id, test, status FROM molecular_tests",
            |(p, a, b, c): (i64, i64, String, String)| (p, (a, b, c)),
        )
        .await;
        #[allow(clippy::type_complexity)]
        let variants: Rows<(i64, i64, String, Option<String>, Option<String>)> = grouped(
            &mut c,
            "SELECT patient_id, case_version_id, seq, gene, hgvs_p, hgvs_c FROM molecular_variants ORDER BY patient_id, seq",
            |(p, a, b, c, d, e): (i64, i64, i64, String, Option<String>, Option<String>)| {
                (p, (a, b, c, d, e))
            },
        )
        .await;
        let fusions: Rows<(i64, i64, String, String)> = grouped(
            &mut c,
            "SELECT patient_id, case_version_id, seq, five_prime, three_prime FROM molecular_fusions ORDER BY patient_id, seq",
            |(p, a, b, c, d): (i64, i64, i64, String, String)| (p, (a, b, c, d)),
        )
        .await;
        let treatments: Rows<(i64, i64, String)> = grouped(
            &mut c,
            "SELECT patient_id, case_version_id, seq, drug FROM treatments ORDER BY patient_id, seq",
            |(p, a, b, c): (i64, i64, i64, String)| (p, (a, b, c)),
        )
        .await;
        #[allow(clippy::type_complexity)]
        let outcomes: Rows<(i64, String, Option<String>, Option<String>, Option<String>, Option<String>)> =
            grouped(
                &mut c,
                "SELECT patient_id, case_version_id, vital_status, death_date, last_follow_up_date, progression_date, last_event_date FROM outcomes",
                |(p, a, b, c, d, e, f): (
                    i64,
                    i64,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                )| (p, (a, b, c, d, e, f)),
            )
            .await;
        #[allow(clippy::type_complexity)]
        let survival: Rows<(i64, Option<String>, Option<String>, i64, String, String)> = grouped(
            &mut c,
            "SELECT patient_id, case_version_id, diagnosis_date, end_date, died, stage, first_treatment FROM survival",
            |(p, a, b, c, d, e, f): (i64, i64, Option<String>, Option<String>, i64, String, String)| {
                (p, (a, b, c, d, e, f))
            },
        )
        .await;
        let fasttrack: Rows<i64> = grouped(
            &mut c,
            "SELECT patient_id, case_version_id FROM fasttrack",
            |(p, a): (i64, i64)| (p, a),
        )
        .await;
        let audit: Vec<(String, i64)> = sqlx::query_as(
            "SELECT patient, COUNT(*) FROM audit WHERE action IN ('create', 'update') AND record IN ('patients', 'case_versions') AND patient IS NOT NULL GROUP BY patient",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        let audit: BTreeMap<String, i64> = audit.into_iter().collect();
        c.close().await.ok();

        // No row of any table belongs to a patient without a stored version.
        let ids: std::collections::BTreeSet<i64> = patients.iter().map(|(id, _)| *id).collect();
        for (what, keys) in [
            ("case_versions", current.keys().copied().collect::<Vec<_>>()),
            ("events", events.keys().copied().collect()),
            ("molecular", molecular.keys().copied().collect()),
            ("molecular_tests", tests.keys().copied().collect()),
            ("molecular_variants", variants.keys().copied().collect()),
            ("molecular_fusions", fusions.keys().copied().collect()),
            ("treatments", treatments.keys().copied().collect()),
            ("outcomes", outcomes.keys().copied().collect()),
            ("survival", survival.keys().copied().collect()),
            ("fasttrack", fasttrack.keys().copied().collect()),
        ] {
            for k in keys {
                assert!(ids.contains(&k), "{round}: {what} rows of no patient ({k})");
            }
        }
        assert_eq!(
            audit.len(),
            patients.len(),
            "{round}: import audit rows of unknown patients"
        );
        for (pid, pseudonym) in &patients {
            let Some((cv, version, _, json)) = current.get(pid) else {
                panic!("{round}: patient {pseudonym} has no case version (half-written)");
            };
            assert_eq!(
                *version, 1,
                "{round}: {pseudonym}: an identical re-import made a new version"
            );
            assert_eq!(
                audit.get(pseudonym).copied(),
                n_versions.get(pid).copied(),
                "{round}: {pseudonym}: one import audit row per stored version"
            );
            let case = read_case(json.as_bytes(), kb, None).unwrap_or_else(|p| {
                panic!("{round}: {pseudonym}: stored JSON no longer validates: {p:?}")
            });
            assert_eq!(&case.id, pseudonym);
            let p: Projection = derive(&case);
            let none = Vec::new();
            let mine = |rows: &Rows<_>| rows.get(pid).unwrap_or(&none).clone();
            let ev: Vec<(i64, i64, String, String)> = mine(&events);
            assert_eq!(
                ev,
                (1i64..)
                    .zip(&p.events)
                    .map(|(s, (k, d))| (*cv, s, k.clone(), d.clone()))
                    .collect::<Vec<_>>(),
                "{round}: {pseudonym}: events"
            );
            let m = molecular.get(pid).cloned().unwrap_or_default();
            let (a, b, cc, d) = p.molecular.clone();
            assert_eq!(
                m,
                vec![(*cv, a, b, cc, d)],
                "{round}: {pseudonym}: molecular"
            );
            let mut t: Vec<(i64, String, String)> = tests.get(pid).cloned().unwrap_or_default();
            t.sort();
            let mut want: Vec<(i64, String, String)> = p
                .molecular_tests
                .iter()
                .map(|(a, b)| (*cv, a.clone(), b.clone()))
                .collect();
            want.sort();
            assert_eq!(t, want, "{round}: {pseudonym}: molecular_tests");
            assert_eq!(
                variants.get(pid).cloned().unwrap_or_default(),
                (1i64..)
                    .zip(&p.molecular_variants)
                    .map(|(s, (g, hp, hc))| (*cv, s, g.clone(), hp.clone(), hc.clone()))
                    .collect::<Vec<_>>(),
                "{round}: {pseudonym}: molecular_variants"
            );
            assert_eq!(
                fusions.get(pid).cloned().unwrap_or_default(),
                (1i64..)
                    .zip(&p.molecular_fusions)
                    .map(|(s, (f, t))| (*cv, s, f.clone(), t.clone()))
                    .collect::<Vec<_>>(),
                "{round}: {pseudonym}: molecular_fusions"
            );
            assert_eq!(
                treatments.get(pid).cloned().unwrap_or_default(),
                (1i64..)
                    .zip(&p.treatments)
                    .map(|(s, t)| (*cv, s, t.0.clone()))
                    .collect::<Vec<_>>(),
                "{round}: {pseudonym}: treatments"
            );
            let Outcome {
                vital_status,
                death_date,
                last_follow_up_date,
                progression_date,
                last_event_date,
            } = p.outcome.clone();
            assert_eq!(
                outcomes.get(pid).cloned().unwrap_or_default(),
                vec![(
                    *cv,
                    vital_status,
                    death_date,
                    last_follow_up_date,
                    progression_date,
                    last_event_date
                )],
                "{round}: {pseudonym}: outcomes"
            );
            // The analysis projections, of the same version.
            let r = atcpath_core::outcomes::survival_record(&case, kb);
            assert_eq!(
                survival.get(pid).cloned().unwrap_or_default(),
                vec![(
                    *cv,
                    r.diagnosis.map(|d| d.to_string()),
                    r.end.map(|d| d.to_string()),
                    i64::from(r.died),
                    r.stage,
                    r.first_treatment
                )],
                "{round}: {pseudonym}: survival"
            );
            assert_eq!(
                fasttrack.get(pid).cloned().unwrap_or_default(),
                vec![*cv],
                "{round}: {pseudonym}: fasttrack"
            );
        }
        patients.len()
    })
}

#[test]
fn import_killed_at_random_moments_leaves_only_whole_patients() {
    let kb = Kb::embedded().unwrap();
    let cases_dir = std::env::temp_dir().join(unique("atcpath_crash_cases"));
    generate(&cases_dir);
    let cases = cases_dir.display().to_string();
    for reg in registries("import_killed_at_random_moments_leaves_only_whole_patients") {
        let started = Instant::now();
        let mut rng = Rng(SEED);
        ok(&reg, &["init"]);
        // One runtime and one connection for watching progress (cheap to poll).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut watch = rt.block_on(connect(&reg));
        let mut stored = 0;
        let mut summary = Vec::new();
        for round in 0..ROUNDS {
            let mut child = command(&reg, &["import", &cases])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let t0 = Instant::now();
            if round == 0 {
                // Early: during start-up (knowledge base, schema check) or the first cases.
                std::thread::sleep(Duration::from_millis(rng.range(20, 400)));
            } else {
                // Once a random share of the cases, growing with the rounds (up to ~85%), is
                // stored; then a random moment within the next few transactions.
                let lo = CASES as u64 * (round as u64 * 17) / 100;
                let hi = CASES as u64 * ((round as u64 + 1) * 17) / 100;
                let target = rng.range(lo, hi) as i64;
                while rt.block_on(patients_stored(&mut watch)) < target
                    && child.try_wait().unwrap().is_none()
                    && t0.elapsed() < Duration::from_secs(60)
                {
                    std::thread::sleep(Duration::from_millis(15));
                }
                std::thread::sleep(Duration::from_micros(rng.range(0, 20_000)));
            }
            let finished_first = child.try_wait().unwrap().is_some();
            child.kill().ok(); // SIGKILL on Unix
            child.wait().unwrap();
            let killed_at = t0.elapsed();
            let n = check(&reg, &kb, &format!("round {round}"));
            assert!(
                n >= stored,
                "{}: round {round}: patients lost ({stored} -> {n})",
                reg.backend
            );
            stored = n;
            summary.push(format!(
                "round {round}: killed after {} ms{}, {n} patients stored and whole",
                killed_at.as_millis(),
                if finished_first {
                    " (had already finished)"
                } else {
                    ""
                }
            ));
        }
        // A full import completes: what is stored is unchanged, the rest is new.
        let out: Value =
            serde_json::from_str(&ok(&reg, &["import", &cases, "--format", "json"])).unwrap();
        assert_eq!(out["files"], CASES);
        assert_eq!(out["rejected"], 0);
        assert_eq!(
            out["new_versions"], 0,
            "{}: a stored case changed",
            reg.backend
        );
        assert_eq!(out["unchanged"], stored);
        assert_eq!(out["imported"].as_u64().unwrap() as usize + stored, CASES);
        rt.block_on(watch.close()).ok();
        let n = check(&reg, &kb, "final");
        assert_eq!(n, CASES, "{}: every case stored exactly once", reg.backend);
        let _ = writeln!(
            std::io::stderr(),
            "{}: {}\n{}: final import: {} new, {} unchanged; {CASES} patients whole; {:.1} s",
            reg.backend,
            summary.join(&format!("\n{}: ", reg.backend)),
            reg.backend,
            out["imported"],
            out["unchanged"],
            started.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&cases_dir);
}
