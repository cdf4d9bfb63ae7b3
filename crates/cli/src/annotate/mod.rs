//! `atcpath annotate`: genomic result files written back with oncokb-annotator-style columns
//! (ONCOGENIC, HIGHEST_LEVEL, LEVEL_1 .. LEVEL_4, LEVEL_R1, ATC_OPTIONS, KB_VERSION) from the
//! knowledge base's actionability table, so that ATCPath drops into pipelines built around
//! oncokb-annotator. One output per input: the MAF's goes to `--out`, the others beside it
//! (`<out stem>.fusions.txt`, `.sv.txt`, `.cna.txt`, `.clinical.txt`). Constant memory in the
//! files' size; a malformed row is an error naming the file and line, or with `--skip-invalid`
//! a counted warning.
//!
//! Safety of the files: every input/output pair is checked before anything is opened for
//! writing (an output that is an input, by any path, is refused); a folder given as a file is
//! refused; every output is written to a temporary file beside it and renamed into place only
//! when the whole run succeeded, so an error never leaves a partial output; the output's folder
//! is created when missing; an input that already carries the added columns is refused. An output
//! that replaces an existing file is synced to disk before the rename, so that even a power loss
//! cannot leave the old file replaced by a partial new one; a new output is not synced (as `cp`,
//! `sort -o` and oncokb-annotator do not): a power loss may lose it, but nothing that existed.

mod maf;
mod tables;

use std::path::{Path, PathBuf};

use atcpath_kb::Kb;
use clap::Args;

use crate::{Fail, invalid, other};

/// Arguments of `atcpath annotate`.
#[derive(Args)]
pub struct AnnotateArgs {
    /// MAF file (tab-separated; GDC or cBioPortal columns, any header case; `#` lines skipped).
    #[arg(long)]
    pub maf: Option<PathBuf>,
    /// Fusion list (oncokb-annotator: `Tumor_Sample_Barcode`, `Fusion` = `GENE1-GENE2`).
    #[arg(long)]
    pub fusions: Option<PathBuf>,
    /// Structural variants (cBioPortal SV format `Site1_Hugo_Symbol`/`Site2_Hugo_Symbol`, or
    /// oncokb-annotator `GeneA`/`GeneB`/`Sv_Type`).
    #[arg(long)]
    pub sv: Option<PathBuf>,
    /// Discrete copy number, long (`Tumor_Sample_Barcode`/`Sample_Id`, `Hugo_Symbol`, value) or
    /// wide (GISTIC / cBioPortal matrix, -2 .. 2).
    #[arg(long)]
    pub cna: Option<PathBuf>,
    /// Clinical sample file (`SAMPLE_ID` with TMB and MSI columns).
    #[arg(long)]
    pub clinical: Option<PathBuf>,
    /// Output file for the MAF (or, without `--maf`, the name the other outputs are derived from).
    #[arg(long)]
    pub out: PathBuf,
    /// Skip malformed rows (counted on standard error) instead of stopping at the first.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// The added columns, in order.
pub const ADDED: [&str; 10] = [
    "ONCOGENIC",
    "HIGHEST_LEVEL",
    "LEVEL_1",
    "LEVEL_2",
    "LEVEL_3A",
    "LEVEL_3B",
    "LEVEL_4",
    "LEVEL_R1",
    "ATC_OPTIONS",
    "KB_VERSION",
];

/// The output path for a non-MAF input: `<out without extension>.<kind>.txt`.
pub fn derived_out(out: &Path, kind: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or_else(|| "annotated".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.{kind}.txt"))
}

/// An output being written: a temporary file in the output's folder, renamed into place by
/// [`commit_all`]; removed when dropped before that (an error), so no partial output is left.
pub struct Output {
    file: Option<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    /// Whether a file was at `path` when the output was created (it is then synced before the
    /// rename).
    replaces: bool,
}

impl Output {
    /// Creates the temporary file for `path` (creating the output's folder when missing).
    pub fn create(path: &Path) -> Result<Output, Fail> {
        let shown = path.display();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|e| other(format!("{shown}: cannot create its folder: {e}")))?;
        let name = path
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let mut n = 0u32;
        loop {
            let tmp = parent.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => {
                    return Ok(Output {
                        file: Some(f),
                        tmp,
                        path: path.to_path_buf(),
                        replaces: std::fs::symlink_metadata(path).is_ok(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(other(format!("{shown}: cannot write: {e}"))),
            }
        }
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.file.as_mut().expect("open until committed")
    }

    /// Whether the output replaces an existing file (and is synced to disk before the rename).
    pub fn replaces(&self) -> bool {
        self.replaces
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not committed: the run failed; the partial file goes.
        self.file = None;
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Moves every finished output into place (after the whole run succeeded).
fn commit_all(outputs: Vec<Output>) -> Result<(), Fail> {
    for mut o in outputs {
        if let Some(f) = o.file.take().filter(|_| o.replaces) {
            f.sync_all()
                .map_err(|e| other(format!("{}: cannot write: {e}", o.path.display())))?;
        }
        std::fs::rename(&o.tmp, &o.path)
            .map_err(|e| other(format!("{}: cannot write: {e}", o.path.display())))?;
        // Renamed: nothing left for `Drop` to remove (removing `tmp` now fails harmlessly).
    }
    Ok(())
}

/// Whether two paths name the same file (same canonical path, or same device and inode).
fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(x), Ok(y)) = (std::fs::canonicalize(a), std::fs::canonicalize(b))
        && x == y
    {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Refuses the run before anything is written: a folder given as an input or output (exit 1),
/// or an output that is one of the inputs, by any path (exit 2).
fn check_paths(inputs: &[(&str, &Path)], outputs: &[PathBuf]) -> Result<(), Fail> {
    for (flag, p) in inputs {
        if p.is_dir() {
            return Err(other(format!(
                "{}: cannot read: is a directory (give a file to {flag})",
                p.display()
            )));
        }
    }
    for o in outputs {
        if o.is_dir() {
            return Err(other(format!(
                "{}: cannot write: is a directory (--out names a file)",
                o.display()
            )));
        }
        for (flag, p) in inputs {
            if same_file(o, p) {
                return Err(invalid(format!(
                    "{}: the output would overwrite the input given to {flag} ({}); choose \
                     another --out",
                    o.display(),
                    p.display()
                )));
            }
        }
    }
    Ok(())
}

/// Refuses an input whose header already has one of `added` (an annotated file: annotating it
/// again would duplicate the columns).
pub fn check_not_annotated(shown: &str, header: &[String], added: &[&str]) -> Result<(), Fail> {
    if let Some(h) = header
        .iter()
        .find(|h| added.iter().any(|a| h.trim().eq_ignore_ascii_case(a)))
    {
        return Err(invalid(format!(
            "{shown}: header: column {} is already there: the file is already annotated; give \
             the original file",
            h.trim()
        )));
    }
    Ok(())
}

/// Runs the command; returns the summary to print.
pub fn run(a: AnnotateArgs, kb: &Kb) -> Result<String, Fail> {
    if a.maf.is_none()
        && a.fusions.is_none()
        && a.sv.is_none()
        && a.cna.is_none()
        && a.clinical.is_none()
    {
        return Err(invalid(
            "nothing to annotate: give at least one of --maf, --fusions, --sv, --cna, --clinical"
                .to_string(),
        ));
    }
    let mut inputs: Vec<(&str, &Path)> = Vec::new();
    let mut outputs = Vec::new();
    for (flag, kind, given) in [
        ("--maf", None, &a.maf),
        ("--fusions", Some("fusions"), &a.fusions),
        ("--sv", Some("sv"), &a.sv),
        ("--cna", Some("cna"), &a.cna),
        ("--clinical", Some("clinical"), &a.clinical),
    ] {
        if let Some(p) = given {
            inputs.push((flag, p.as_path()));
            outputs.push(kind.map_or_else(|| a.out.clone(), |k| derived_out(&a.out, k)));
        }
    }
    check_paths(&inputs, &outputs)?;
    let mut written = Vec::new();
    let mut summary = String::new();
    if let Some(m) = &a.maf {
        summary.push_str(&maf::run(m, &a.out, a.skip_invalid, kb, &mut written)?);
    }
    summary.push_str(&tables::run(&a, kb, &mut written)?);
    commit_all(written)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_knows_whether_it_replaces_a_file_and_commits_both() {
        let dir = std::env::temp_dir().join(format!("atcpath-output-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (new, old) = (dir.join("new.txt"), dir.join("old.txt"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&old, "before").unwrap();
        let Ok(mut a) = Output::create(&new) else {
            panic!("create new")
        };
        let Ok(mut b) = Output::create(&old) else {
            panic!("create old")
        };
        assert_eq!((a.replaces(), b.replaces()), (false, true));
        use std::io::Write;
        a.file().write_all(b"a").unwrap();
        b.file().write_all(b"b").unwrap();
        assert!(commit_all(vec![a, b]).is_ok());
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "b");
        // No temporary file is left.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
