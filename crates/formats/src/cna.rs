//! Discrete copy number (-2 .. 2), one row at a time, in either layout (header case-insensitive):
//!
//! | layout | columns |
//! | --- | --- |
//! | long, oncokb-annotator | `Tumor_Sample_Barcode`, `Hugo_Symbol`, `Copy_Number_Alteration` |
//! | long, cBioPortal `DISCRETE_LONG` | `Hugo_Symbol`, `Entrez_Gene_Id`, `Sample_Id`, `Value`, then optional `cbp_driver*` and namespace columns, which a row may omit |
//! | wide, cBioPortal `DISCRETE` | `Hugo_Symbol` and/or `Entrez_Gene_Id`, then one column per sample |
//! | wide, GISTIC | `Gene Symbol`, `Locus ID`, `Cytoband`, then one column per sample |
//!
//! Values: `-2`, `-1`, `0`, `1`, `2` written as integers (also `-2.0`; never `-1.9999999999999999`
//! or `1e0`, which a floating-point reading would round) or oncokb-annotator's words (`Amplification`,
//! `Gain`, `Neutral`, `Loss`, `Deletion`), read by `CopyNumber::parse`. `0` is neutral: no call.
//! A missing cell (`NA`, empty, ...) is **unknown**, not neutral, and never a call (counted in
//! [`CnaStats::missing`]). Anything else (`3`, `-1.5`, `amplified?`) is an error naming the line,
//! and for a wide file the column and sample. A row without a gene symbol is an error (genes are
//! matched by symbol; an `Entrez_Gene_Id` alone is not resolved). A header that names a sample
//! (wide) or a gene, sample or value column (long) twice is an error.
//!
//! **Repeated gene and sample** (e.g. oncokb-annotator's `example_individual_cna.txt` gives CDK4
//! both -2 and -1 for one sample): every row is kept and yields its calls; nothing is picked.
//! Repeats are counted ([`CnaStats::repeated_rows`]) and those with a different value are
//! reported as [`Conflict`]s, so that the caller can warn. To find them the reader keeps a
//! 64-bit hash with a few bytes (about 16, plus the hash map's overhead) per distinct gene of a
//! wide file, or per distinct (sample, gene) of a long file: this is the one state that grows,
//! with the number of distinct keys (for a long file, about its number of rows), and it stays far
//! below the file's size. A wide file's repeated gene is compared as a whole row (a hash of its
//! values), so its conflict names the two lines, not the samples.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;

use atcpath_core::genomics::{CopyNumber, Finding, Sourced};

use crate::clinical::{Record, TableReader};
use crate::{FormatError, is_missing};

/// The layout of a copy-number file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One row per gene and sample.
    Long,
    /// One row per gene, one column per sample (from `first_sample`).
    Wide { first_sample: usize },
}

/// Counts over the rows read so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CnaStats {
    /// Data rows read without error.
    pub rows: usize,
    /// Non-neutral calls (-2, -1, 1, 2).
    pub calls: usize,
    /// Neutral (0) values.
    pub neutral: usize,
    /// Missing values (unknown; no call).
    pub missing: usize,
    /// Rows repeating a (sample, gene) of a long file, or a gene of a wide file, seen before.
    pub repeated_rows: usize,
    /// Repeated rows whose value differs from an earlier one (see [`Conflict`]).
    pub conflicting_rows: usize,
}

/// A repeated (sample, gene) with a different value, or a repeated gene row with different values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub gene: String,
    /// The sample (long files); `None` for a wide file's repeated row.
    pub sample: Option<String>,
    /// Where the gene (and sample) was first seen.
    pub first_line: usize,
    pub line: usize,
    /// The values seen, in -2 .. 2 order (long files; empty for wide files).
    pub levels: Vec<i8>,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sample {
            Some(s) => write!(
                f,
                "line {}: {} in {} has values {:?} (first at line {}); all kept",
                self.line, self.gene, s, self.levels, self.first_line
            ),
            None => write!(
                f,
                "line {}: {} repeats line {} with different values; both kept",
                self.line, self.gene, self.first_line
            ),
        }
    }
}

/// The conflicts kept in full (all are counted).
pub const KEPT_CONFLICTS: usize = 100;

/// One row, borrowed from the reader until the next call.
pub struct CnaRow<'a> {
    /// The line as read.
    pub record: Record<'a>,
    pub gene: &'a str,
    calls: &'a [(usize, CopyNumber)],
    header: &'a [String],
    long_sample: Option<usize>,
}

impl<'a> CnaRow<'a> {
    /// The row's non-neutral calls: (sample, level).
    pub fn calls(&self) -> impl Iterator<Item = (&'a str, CopyNumber)> + '_ {
        let r = self.record;
        let header = self.header;
        let long = self.long_sample;
        self.calls.iter().map(move |&(col, level)| {
            let sample = match long {
                Some(s) => r.cell(s),
                None => header[col].as_str(),
            };
            (sample, level)
        })
    }
}

/// A streaming reader of discrete copy-number files.
pub struct CnaReader<R> {
    table: TableReader<R>,
    layout: Layout,
    gene: usize,
    /// Long layout: sample and value columns.
    sample: usize,
    value: usize,
    file: String,
    calls: Vec<(usize, CopyNumber)>,
    pending: VecDeque<Sourced>,
    seen_long: HashMap<u64, (u8, u32)>,
    seen_wide: HashMap<u64, (u64, u32)>,
    stats: CnaStats,
    conflicts: Vec<Conflict>,
}

const GENE: [&str; 3] = ["Hugo_Symbol", "Gene Symbol", "Gene_Symbol"];
const SAMPLE: [&str; 3] = ["Tumor_Sample_Barcode", "Sample_Id", "SAMPLE_ID"];
const VALUE: [&str; 3] = ["Copy_Number_Alteration", "Value", "CNA"];
/// Columns of a wide file that come before the samples.
const WIDE_ANNOTATION: [&str; 7] = [
    "Hugo_Symbol",
    "Gene Symbol",
    "Gene_Symbol",
    "Entrez_Gene_Id",
    "Locus ID",
    "Gene ID",
    "Cytoband",
];

fn hash_of(parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

fn bit(level: CopyNumber) -> u8 {
    1 << (level.code() + 2)
}

/// Whether `t` is an integer in plain notation: an optional sign, digits, and optionally a
/// point followed by zeros only.
fn plain_integer(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let frac_ok = !t.contains('.') || (!frac.is_empty() && frac.bytes().all(|b| b == b'0'));
    !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac_ok
}

/// A cell as a level: `Ok(None)` when missing; an error message when not a discrete level.
fn level(v: &str) -> Result<Option<CopyNumber>, String> {
    if is_missing(v) {
        return Ok(None);
    }
    // A word, or an integer written as one (`-2`, `+1`, `-2.0`): `-1.9999999999999999` or
    // `1e0` would be rounded by a floating-point reading.
    let t = v.trim();
    let word = t.bytes().all(|b| b.is_ascii_alphabetic());
    if (word || plain_integer(t))
        && let Some(l) = CopyNumber::parse(t)
    {
        return Ok(Some(l));
    }
    Err(match v.trim().parse::<f64>() {
        Ok(x) if x.fract() == 0.0 && plain_integer(t) => format!("{v:?} is outside -2..2"),
        Ok(_) => format!(
            "{v:?} is not a discrete level (-2..2; continuous values belong in a log2 file)"
        ),
        Err(_) => format!(
            "{v:?} is not a copy-number level (-2..2, Amplification, Gain, Neutral, Loss, Deletion)"
        ),
    })
}

impl<R: BufRead> CnaReader<R> {
    /// Reads the header and detects the layout; `file` is the name the findings carry.
    ///
    /// # Errors
    /// An empty file, no gene-symbol column, or a wide file without sample columns.
    pub fn new(reader: R, file: &str) -> Result<Self, FormatError> {
        let mut table = TableReader::new(reader)?;
        let line = table.header_line();
        let gene = table.unique_col(&GENE)?.ok_or_else(|| FormatError {
            line,
            message: "no Hugo_Symbol or Gene Symbol column (genes are matched by symbol)".into(),
        })?;
        let (layout, sample, value) = match (table.unique_col(&SAMPLE)?, table.unique_col(&VALUE)?)
        {
            (Some(s), Some(v)) => {
                // cBioPortal accepts long rows that stop after their last required column.
                table.allow_short_rows(gene.max(s).max(v) + 1);
                (Layout::Long, s, v)
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(FormatError {
                    line,
                    message: "a long copy-number file needs a sample column \
                              (Tumor_Sample_Barcode or Sample_Id) and a value column \
                              (Copy_Number_Alteration or Value)"
                        .into(),
                });
            }
            (None, None) => {
                let first = table
                    .header()
                    .iter()
                    .take_while(|h| WIDE_ANNOTATION.iter().any(|a| h.eq_ignore_ascii_case(a)))
                    .count();
                if gene >= first {
                    return Err(FormatError {
                        line,
                        message: "in a wide copy-number file the gene column must come before \
                                  the sample columns"
                            .into(),
                    });
                }
                if first == table.header().len() {
                    return Err(FormatError {
                        line,
                        message: "no sample columns".into(),
                    });
                }
                // A sample named twice: which column is its value would be a silent choice.
                let samples = &table.header()[first..];
                for (i, name) in samples.iter().enumerate() {
                    if let Some(j) = samples[..i].iter().position(|n| n == name) {
                        return Err(FormatError {
                            line,
                            message: format!(
                                "sample {name} is named by two columns ({} and {}): which one \
                                 to read is ambiguous",
                                first + j + 1,
                                first + i + 1
                            ),
                        });
                    }
                }
                (
                    Layout::Wide {
                        first_sample: first,
                    },
                    0,
                    0,
                )
            }
        };
        Ok(CnaReader {
            table,
            layout,
            gene,
            sample,
            value,
            file: file.to_string(),
            calls: Vec::new(),
            pending: VecDeque::new(),
            seen_long: HashMap::new(),
            seen_wide: HashMap::new(),
            stats: CnaStats::default(),
            conflicts: Vec::new(),
        })
    }

    /// The layout detected from the header.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Column names as in the file.
    pub fn header(&self) -> &[String] {
        self.table.header()
    }

    /// The sample columns of a wide file (empty for a long one).
    pub fn samples(&self) -> &[String] {
        match self.layout {
            Layout::Wide { first_sample } => &self.table.header()[first_sample..],
            Layout::Long => &[],
        }
    }

    /// Counts over the rows read so far.
    pub fn stats(&self) -> CnaStats {
        self.stats
    }

    /// The conflicts found so far (the first [`KEPT_CONFLICTS`]; all are counted in
    /// [`CnaStats::conflicting_rows`]).
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// The next row with its non-neutral calls; `Ok(None)` at the end. A row is checked whole
    /// before any of its calls is given.
    ///
    /// # Errors
    /// A wrong number of fields (a long row may omit trailing optional columns), an empty gene or
    /// sample, or a value that is not a discrete level (the error names the sample column).
    pub fn next_row(&mut self) -> Result<Option<CnaRow<'_>>, FormatError> {
        self.pending.clear();
        if !self.table.advance()? {
            return Ok(None);
        }
        let r = self.table.record();
        let header = self.table.header();
        let err = |message: String| FormatError {
            line: r.line_no,
            message,
        };
        let gene = r
            .get(self.gene)
            .ok_or_else(|| err(format!("{} is empty", header[self.gene])))?;
        atcpath_core::genes::check_symbol_chars(gene)
            .map_err(|m| err(format!("{}: {m}", header[self.gene])))?;
        self.calls.clear();
        let (mut neutral, mut missing) = (0, 0);
        let line = u32::try_from(r.line_no).unwrap_or(u32::MAX);
        let mut found: Option<Conflict> = None;
        match self.layout {
            Layout::Long => {
                let sample = r
                    .get(self.sample)
                    .ok_or_else(|| err(format!("{} is empty", header[self.sample])))?;
                let v = r.cell(self.value);
                match level(v).map_err(|m| err(format!("{}: {m}", header[self.value])))? {
                    None => missing += 1,
                    Some(CopyNumber::Neutral) => neutral += 1,
                    Some(l) => self.calls.push((self.sample, l)),
                }
                if let Ok(Some(l)) = level(v) {
                    let key = hash_of(&[sample, gene]);
                    match self.seen_long.get_mut(&key) {
                        None => {
                            self.seen_long.insert(key, (bit(l), line));
                        }
                        Some((mask, first)) => {
                            self.stats.repeated_rows += 1;
                            if *mask & !bit(l) != 0 {
                                *mask |= bit(l);
                                found = Some(Conflict {
                                    gene: gene.to_string(),
                                    sample: Some(sample.to_string()),
                                    first_line: *first as usize,
                                    line: r.line_no,
                                    levels: (0..5)
                                        .filter(|i| *mask & (1 << i) != 0)
                                        .map(|i| i - 2)
                                        .collect(),
                                });
                            }
                        }
                    }
                }
            }
            Layout::Wide { first_sample } => {
                let mut row_hash = DefaultHasher::new();
                for (col, name) in header.iter().enumerate().skip(first_sample) {
                    let v = r.cell(col);
                    let l = level(v)
                        .map_err(|m| err(format!("column {} (sample {name}): {m}", col + 1)))?;
                    l.map(CopyNumber::code).hash(&mut row_hash);
                    match l {
                        None => missing += 1,
                        Some(CopyNumber::Neutral) => neutral += 1,
                        Some(l) => self.calls.push((col, l)),
                    }
                }
                let (key, values) = (hash_of(&[gene]), row_hash.finish());
                match self.seen_wide.get(&key) {
                    None => {
                        self.seen_wide.insert(key, (values, line));
                    }
                    Some(&(earlier, first)) => {
                        self.stats.repeated_rows += 1;
                        if earlier != values {
                            found = Some(Conflict {
                                gene: gene.to_string(),
                                sample: None,
                                first_line: first as usize,
                                line: r.line_no,
                                levels: Vec::new(),
                            });
                        }
                    }
                }
            }
        }
        self.stats.rows += 1;
        self.stats.calls += self.calls.len();
        self.stats.neutral += neutral;
        self.stats.missing += missing;
        if let Some(c) = found {
            self.stats.conflicting_rows += 1;
            if self.conflicts.len() < KEPT_CONFLICTS {
                self.conflicts.push(c);
            }
        }
        let long_sample = (self.layout == Layout::Long).then_some(self.sample);
        Ok(Some(CnaRow {
            record: self.table.record(),
            gene,
            calls: &self.calls,
            header,
            long_sample,
        }))
    }

    /// The next non-neutral call as a finding (a wide row gives one per non-neutral cell);
    /// `Ok(None)` at the end.
    ///
    /// # Errors
    /// As [`CnaReader::next_row`]; reading may go on after an error.
    pub fn next_finding(&mut self) -> Result<Option<Sourced>, FormatError> {
        loop {
            if let Some(f) = self.pending.pop_front() {
                return Ok(Some(f));
            }
            let file = self.file.clone();
            let found: Vec<Sourced> = match self.next_row()? {
                None => return Ok(None),
                Some(row) => row
                    .calls()
                    .map(|(sample, level)| Sourced {
                        sample: Some(sample.to_string()),
                        finding: Finding::CopyNumber {
                            gene: row.gene.to_string(),
                            level,
                        },
                        file: file.clone(),
                        line: row.record.line_no,
                    })
                    .collect(),
            };
            self.pending.extend(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> (Vec<Result<Sourced, FormatError>>, CnaStats, Vec<Conflict>) {
        let mut r = CnaReader::new(text.as_bytes(), "c").unwrap();
        let mut out = Vec::new();
        loop {
            match r.next_finding() {
                Ok(Some(f)) => out.push(Ok(f)),
                Ok(None) => break,
                Err(e) => out.push(Err(e)),
            }
        }
        (out, r.stats(), r.conflicts().to_vec())
    }

    fn call(f: &Result<Sourced, FormatError>) -> (String, String, i8, usize) {
        let f = f.as_ref().unwrap();
        let Finding::CopyNumber { gene, level } = &f.finding else {
            panic!("not a copy number")
        };
        (
            f.sample.clone().unwrap(),
            gene.clone(),
            level.code(),
            f.line,
        )
    }

    #[test]
    fn wide_gistic_with_missing_and_repeats() {
        let text = "Gene Symbol\tLocus ID\tCytoband\tS1\tS2\tS3\nPTEN\t0\t0\t-2\t0\tNA\nCDK4\t0\t0\t2\t1\t\nCDK4\t0\t0\t2\t-1\t\nMET\t0\t0\t0\t0\t0\n";
        let r = CnaReader::new(text.as_bytes(), "c").unwrap();
        assert_eq!(r.layout(), Layout::Wide { first_sample: 3 });
        assert_eq!(r.samples(), ["S1", "S2", "S3"]);
        drop(r);
        let (calls, stats, conflicts) = read_all(text);
        let calls: Vec<_> = calls.iter().map(call).collect();
        assert_eq!(calls[0], ("S1".to_string(), "PTEN".to_string(), -2, 2));
        assert_eq!(calls.len(), 5);
        assert_eq!(
            stats,
            CnaStats {
                rows: 4,
                calls: 5,
                neutral: 4,
                missing: 3,
                repeated_rows: 1,
                conflicting_rows: 1
            }
        );
        assert_eq!((conflicts[0].line, conflicts[0].first_line), (4, 3));
    }

    #[test]
    fn long_values_words_and_conflicts() {
        let text = "Tumor_Sample_Barcode\tHugo_Symbol\tCopy_Number_Alteration\r\nS1\tCDK4\t-2\r\nS1\tCDK4\t-1\r\nS1\tCDK4\tDeletion\r\nS2\tMET\tAmplification\r\nS2\tMET\t2\r\nS2\tERBB2\tNA\r\nS2\tPTEN\t0";
        let (calls, stats, conflicts) = read_all(text);
        assert_eq!(calls.len(), 5);
        assert_eq!(call(&calls[2]), ("S1".into(), "CDK4".into(), -2, 4));
        assert_eq!(
            (stats.rows, stats.calls, stats.neutral, stats.missing),
            (7, 5, 1, 1)
        );
        assert_eq!((stats.repeated_rows, stats.conflicting_rows), (3, 2));
        assert_eq!(
            (
                conflicts[0].line,
                conflicts[0].first_line,
                conflicts[0].levels.clone()
            ),
            (3, 2, vec![-2, -1])
        );
        assert!(conflicts[0].to_string().contains("CDK4 in S1"));
    }

    #[test]
    fn bad_values_name_line_and_sample() {
        let text = "Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\nA\t1\t0\t3\nB\t2\t-1.5\t0\nC\t3\tlots\t0\n\t4\t0\t0\nD\t5\t0\nE\t6\t1\t-1\n";
        let (out, stats, _) = read_all(text);
        let errs: Vec<(usize, String)> = out
            .iter()
            .filter_map(|r| r.as_ref().err().map(|e| (e.line, e.message.clone())))
            .collect();
        assert_eq!(
            errs[0],
            (2, "column 4 (sample S2): \"3\" is outside -2..2".into())
        );
        assert!(errs[1].0 == 3 && errs[1].1.contains("not a discrete level"));
        assert!(errs[2].0 == 4 && errs[2].1.contains("not a copy-number level"));
        assert_eq!(errs[3], (5, "Hugo_Symbol is empty".into()));
        assert_eq!(errs[4], (6, "3 fields where the header has 4".into()));
        assert_eq!(
            (stats.rows, stats.calls),
            (1, 2),
            "only the last row is valid"
        );
    }

    #[test]
    fn long_rows_may_omit_trailing_optional_columns() {
        let text = "Hugo_Symbol\tEntrez_Gene_Id\tSample_Id\tValue\tcbp_driver\tcbp_driver_annotation\nAKT1\t207\tS1\t-1\nAKT1\t207\tS2\t2\tPutative_Driver\nAKT1\t207\tS3\nAKT1\t207\tS4\t2\tx\ty\tz\n";
        let (out, _, _) = read_all(text);
        assert_eq!(call(&out[0]), ("S1".into(), "AKT1".into(), -1, 2));
        assert_eq!(call(&out[1]), ("S2".into(), "AKT1".into(), 2, 3));
        let e = out[2].as_ref().unwrap_err();
        assert!(
            e.line == 4 && e.message.contains("at least the first 4"),
            "{e}"
        );
        assert_eq!(out[3].as_ref().unwrap_err().line, 5);
    }

    #[test]
    fn levels_must_be_written_as_integers() {
        for v in [
            "-1.9999999999999999",
            "1.5",
            "1e0",
            "2.0000000000000001",
            "-2.",
            ".0",
            "0x1",
        ] {
            let text = format!("Hugo_Symbol\tS1\nCDKN2A\t{v}\n");
            let (out, stats, _) = read_all(&text);
            let e = out[0].as_ref().err();
            assert!(
                e.is_some_and(|e| e.line == 2 && e.message.contains("column 2 (sample S1)")),
                "{v}: {e:?}"
            );
            assert_eq!(stats.calls, 0, "{v}");
        }
        for (v, code) in [
            ("-2", -2),
            ("-2.0", -2),
            ("+1", 1),
            ("2.00", 2),
            ("Deletion", -2),
        ] {
            let text = format!("Hugo_Symbol\tS1\nCDKN2A\t{v}\n");
            let (out, _, _) = read_all(&text);
            assert_eq!(call(&out[0]).2, code, "{v}");
        }
        // Long layout too.
        let text = "Hugo_Symbol\tSample_Id\tValue\nCDKN2A\tS1\t-1.9999999999999999\n";
        assert!(read_all(text).0[0].is_err());
    }

    #[test]
    fn header_problems() {
        for (text, what) in [
            (
                "Hugo_Symbol\tS1\tS2\tS1\n",
                "sample S1 is named by two columns (2 and 4)",
            ),
            ("Hugo_Symbol\thugo_symbol\tS1\n", "ambiguous"),
            ("Hugo_Symbol\tSample_Id\tValue\tSAMPLE_ID\n", "ambiguous"),
            ("Hugo_Symbol\tSample_Id\tValue\tCNA\n", "ambiguous"),
            ("Gene\tS1\n", "no Hugo_Symbol"),
            ("Hugo_Symbol\tEntrez_Gene_Id\n", "no sample columns"),
            ("Hugo_Symbol\tSample_Id\n", "long copy-number file"),
            ("Entrez_Gene_Id\tS1\tHugo_Symbol\n", "must come before"),
        ] {
            let e = CnaReader::new(text.as_bytes(), "c").err().unwrap();
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
        }
    }
}
