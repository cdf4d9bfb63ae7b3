//! Test support: every registry test runs against SQLite (a fresh file) and, when
//! `ATCPATH_TEST_POSTGRES_URL` names a PostgreSQL server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`; the user must be allowed to create databases),
//! against a fresh database there too. Without it a loud SKIPPED line is printed for each test.

#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use atcpath_kb::Kb;
use atcpath_registry::{Actor, Target};
use sqlx::Connection;

/// One backend a test runs against.
#[derive(Clone, Debug)]
pub struct TestDb {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Where the registry is.
    pub target: Target,
    /// URL for direct (test-only) connections.
    pub raw_url: String,
    /// SQLite: the temporary folder; PostgreSQL: the database name and the admin URL.
    cleanup: Cleanup,
}

#[derive(Clone, Debug)]
enum Cleanup {
    Dir(PathBuf),
    Database { admin_url: String, name: String },
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A current-thread runtime, as the command line uses.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A fresh empty folder under the system's temporary folder.
pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(unique("atcpath_registry_test"));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("postgres URL");
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let host = rest.split_once('/').map_or(rest, |(h, _)| h);
    let mut out = format!("{scheme}://{host}/{name}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn create_pg(admin_url: &str) -> TestDb {
    let name = unique("atcpath_test");
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("ATCPATH_TEST_POSTGRES_URL: cannot connect");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE");
    conn.close().await.ok();
    let url = with_database(admin_url, &name);
    TestDb {
        backend: "postgres",
        target: Target::parse(&url).expect("postgres target"),
        raw_url: url,
        cleanup: Cleanup::Database {
            admin_url: admin_url.to_string(),
            name,
        },
    }
}

fn sqlite_db() -> TestDb {
    let dir = temp_dir();
    let path = dir.join("registry.db");
    TestDb {
        backend: "sqlite",
        raw_url: format!("sqlite://{}?mode=rw", path.display()),
        target: Target::sqlite(&path),
        cleanup: Cleanup::Dir(dir),
    }
}

fn cleanup(db: &TestDb) {
    match &db.cleanup {
        Cleanup::Dir(d) => {
            let _ = std::fs::remove_dir_all(d);
        }
        Cleanup::Database { admin_url, name } => {
            rt().block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        }
    }
}

/// The PostgreSQL admin URL for tests, if set.
pub fn postgres_url() -> Option<String> {
    std::env::var("ATCPATH_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Runs `body` once per available backend, each on a fresh registry location (not initialised).
pub fn run<F, Fut>(test: &str, body: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut dbs = vec![sqlite_db()];
    match postgres_url() {
        Some(url) => dbs.push(rt().block_on(create_pg(&url))),
        None => {
            // Written past the test harness's capture so that it is always seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED (PostgreSQL): {test} ran on SQLite only; set ATCPATH_TEST_POSTGRES_URL to run it on PostgreSQL too"
            );
        }
    }
    for db in dbs {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt().block_on(body(db.clone()))
        }));
        cleanup(&db);
        if let Err(p) = result {
            let _ = writeln!(std::io::stderr(), "{test} failed on {}", db.backend);
            std::panic::resume_unwind(p);
        }
    }
}

/// The embedded knowledge base.
pub fn kb() -> Kb {
    Kb::embedded().expect("knowledge base")
}

/// An actor with a reason.
pub fn reader() -> Actor {
    Actor::new("test-reader", Some("registry test")).unwrap()
}

/// An actor without a reason.
pub fn writer() -> Actor {
    Actor::new("test-writer", None).unwrap()
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every case file of ../shared/cases and examples/ (recursively; not `*.expected.json`).
pub fn case_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else {
                let n = p.file_name().unwrap().to_string_lossy().to_string();
                if n.ends_with(".json") && !n.ends_with(".expected.json") {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("../shared/cases"), &mut out);
    walk(&root().join("examples"), &mut out);
    assert!(
        out.len() >= 10,
        "expected the shared cases and the examples"
    );
    out
}

/// A direct (test-only) connection to the registry's database.
pub async fn raw(db: &TestDb) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&db.raw_url)
        .await
        .expect("direct connection")
}
