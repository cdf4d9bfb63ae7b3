//! Helpers shared by the registry command tests: registries on SQLite and, when
//! `ATCPATH_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database each (dropped afterwards);
//! running `atcpath registry` against them.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use sqlx::{Connection, Executor};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn unique(prefix: &str) -> String {
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

pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(unique("atcpath_registry_cli"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One registry location and how to reach it.
pub struct Reg {
    pub backend: &'static str,
    /// `--db PATH` or `--database-url URL`.
    pub args: Vec<String>,
    /// For direct (test-only) connections.
    pub raw_url: String,
    pub dir: PathBuf,
    pub pg: Option<(String, String)>,
}

impl Drop for Reg {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = &self.pg {
            let (admin, name) = (admin.clone(), name.clone());
            block_on(async move {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = c
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
            });
        }
    }
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
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

/// The registries a test runs on: SQLite always, PostgreSQL when configured.
pub fn registries(test: &str) -> Vec<Reg> {
    let dir = temp_dir();
    let db = dir.join("reg.db");
    let mut out = vec![Reg {
        backend: "sqlite",
        args: vec!["--db".into(), db.display().to_string()],
        raw_url: format!("sqlite://{}?mode=rw", db.display()),
        dir,
        pg: None,
    }];
    match std::env::var("ATCPATH_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
    {
        Some(admin) => {
            let name = unique("atcpath_cli_test");
            let n = name.clone();
            let a = admin.clone();
            block_on(async move {
                let mut c = sqlx::PgConnection::connect(&a)
                    .await
                    .expect("ATCPATH_TEST_POSTGRES_URL");
                c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {n}")))
                    .await
                    .unwrap();
            });
            let url = with_database(&admin, &name);
            out.push(Reg {
                backend: "postgres",
                args: vec!["--database-url".into(), url.clone()],
                raw_url: url,
                dir: temp_dir(),
                pg: Some((admin, name)),
            });
        }
        None => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED (PostgreSQL): {test} ran on SQLite only; set ATCPATH_TEST_POSTGRES_URL to run it on PostgreSQL too"
            );
        }
    }
    out
}

pub fn command(reg: &Reg, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_atcpath"));
    c.arg("registry")
        .args(args)
        .args(&reg.args)
        .env("ATCPATH_USER", "cli-test")
        .env_remove("ATCPATH_DATABASE_URL")
        .stdin(Stdio::null());
    c
}

pub fn atc(reg: &Reg, args: &[&str]) -> Output {
    command(reg, args).output().unwrap()
}

/// Runs and expects exit 0; returns standard output.
pub fn ok(reg: &Reg, args: &[&str]) -> String {
    let out = atc(reg, args);
    assert!(
        out.status.success(),
        "{}: atcpath registry {args:?}: exit {:?}\n{}",
        reg.backend,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn json(reg: &Reg, args: &[&str]) -> Value {
    serde_json::from_str(&ok(reg, args)).unwrap()
}
