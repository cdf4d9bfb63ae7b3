//! Clinical sample and patient files (cBioPortal staging format, oncokb-annotator's
//! `SAMPLE_ID`/`ONCOTREE_CODE` list) as generic rows, with the tumour-wide biomarkers they carry
//! (TMB, MSI) as [`Finding`]s; the oncokb-annotator atypical-alteration list (`Other Biomarkers`
//! `MSI-H` / `TMB-H`); and [`TableReader`], the streaming tab-separated reader the structural
//! variant ([`crate::sv`]) and copy-number ([`crate::cna`]) readers are built on.
//!
//! Decisions (each kept in one place):
//! - **TMB** comes from the first of `TMB_NONSYNONYMOUS`, `TMB`, `TMB_SCORE`,
//!   `TUMOR_MUTATIONAL_BURDEN` ([`TMB_COLUMNS`]) that the header has, in mutations per megabase;
//!   a negative, non-finite or non-numeric value, or one above [`TMB_MAX`] (implausible), is an
//!   error naming the line and column; when several TMB columns give a row different values,
//!   the row is an error naming both columns (equal values are fine; a missing one is skipped).
//! - **MSI** comes from `MSI_STATUS` or `MSI_TYPE` ([`msi_status`]: MSI-H / High / Instable →
//!   high; MSS / Stable / MSI-L / Low → stable, because MSI-low tumours behave as stable ones and
//!   the finding has no third state; Indeterminate / Do not report → no finding, counted). When no
//!   status is given, `MSI_SCORE` is read as an MSIsensor score with MSK-IMPACT's cut-offs
//!   (the knowledge base's `msisensor_high_at_least` and `msisensor_stable_below` thresholds). A status beside a score that
//!   says the opposite is reported ([`Biomarkers::msi_disagreement`]) and gives no MSI finding:
//!   while they contradict, the MSI state is unknown (never a negative). A score outside 0-100
//!   (MSIsensor's percentage of unstable sites) is an error.
//! - **TMB-H without a value** (atypical-alteration list) is not turned into a `Finding::Tmb`:
//!   a value at the threshold would be invented. It is reported as [`AtypicalCall::TmbHigh`],
//!   a flagged call the caller must show as such.

use std::io::BufRead;

use atcpath_core::case::Msi;
use atcpath_core::genomics::{Finding, Sourced};
use atcpath_kb::Thresholds;

use crate::{FormatError, is_missing};

/// The TMB columns read, in order of preference (first present in the header wins).
pub const TMB_COLUMNS: [&str; 4] = [
    "TMB_NONSYNONYMOUS",
    "TMB",
    "TMB_SCORE",
    "TUMOR_MUTATIONAL_BURDEN",
];

/// The largest plausible TMB, in mutations per megabase (the case reader's limit): a larger value
/// is an error, not a finding.
pub const TMB_MAX: f64 = 1000.0;

/// The MSI status columns read, in order of preference.
pub const MSI_STATUS_COLUMNS: [&str; 2] = ["MSI_STATUS", "MSI_TYPE"];

/// The MSIsensor score column.
pub const MSI_SCORE_COLUMN: &str = "MSI_SCORE";

/// The largest MSIsensor score: the percentage of unstable microsatellite sites (Niu et al.,
/// Bioinformatics 2014). A larger value is an error, not a finding.
pub const MSI_SCORE_MAX: f64 = 100.0;

/// How an MSIsensor score reads under the knowledge base's cut-offs
/// (`facts.thresholds.msisensor_high_at_least` / `msisensor_stable_below`, from Middha et al.,
/// JCO Precision Oncology 2017, as MSK-IMPACT reports): `Some(High)`, `Some(Stable)`, or `None`
/// (indeterminate, between the two).
pub fn msisensor_call(score: f64, th: &Thresholds) -> Option<Msi> {
    if score >= th.msisensor_high_at_least {
        Some(Msi::High)
    } else if score < th.msisensor_stable_below {
        Some(Msi::Stable)
    } else {
        None
    }
}

/// What an MSI status cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsiWord {
    /// High or stable (MSI-L is read as stable).
    Status(Msi),
    /// Indeterminate, not reported, unknown: no finding.
    Indeterminate,
}

/// Reads an MSI status word (case-insensitive): `MSI-H`, `MSI-High`, `High`, `Instable`,
/// `Unstable`, `Microsatellite Instability-High` → high; `MSS`, `Stable`, `MSI-L`, `MSI-Low`,
/// `Low`, `Microsatellite Stable` → stable; `Indeterminate`, `Do not report`, `Equivocal`,
/// `Inconclusive`, `Unknown`, `Not done` → indeterminate. `None` for anything else.
pub fn msi_status(s: &str) -> Option<MsiWord> {
    let t = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    let w = match t.as_str() {
        "msi-h"
        | "msih"
        | "msi-high"
        | "high"
        | "instable"
        | "unstable"
        | "msi"
        | "microsatellite-instability-high"
        | "microsatellite-instable" => MsiWord::Status(Msi::High),
        "mss"
        | "stable"
        | "msi-l"
        | "msil"
        | "msi-low"
        | "low"
        | "microsatellite-stable"
        | "microsatellite-instability-low" => MsiWord::Status(Msi::Stable),
        "indeterminate" | "do-not-report" | "equivocal" | "inconclusive" | "unknown"
        | "not-done" => MsiWord::Indeterminate,
        _ => return None,
    };
    Some(w)
}

/// A streaming tab-separated table: `#` lines and blank lines skipped, the first other line is
/// the header, CRLF accepted, no final newline needed. One line is held at a time.
pub struct TableReader<R> {
    reader: crate::limits::Bounded<R>,
    header: Vec<String>,
    header_line: usize,
    comments: Vec<(usize, String)>,
    text: String,
    len: usize,
    bounds: Vec<(usize, usize)>,
    line_no: usize,
    min_fields: usize,
}

/// One data line, borrowed from the reader until the next call.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    text: &'a str,
    bounds: &'a [(usize, usize)],
    /// 1-based line number in the file.
    pub line_no: usize,
}

impl<'a> Record<'a> {
    /// The whole line as read, without its end of line.
    pub fn raw(&self) -> &'a str {
        self.text
    }
    /// The number of fields on the line.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }
    /// Whether the line has no field (never true: a line has at least one).
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }
    /// A field's text trimmed of ASCII white space (only: a no-break space at the edge of a gene
    /// symbol stays, to be refused by the symbol check); empty when the line stops before it.
    pub fn cell(&self, i: usize) -> &'a str {
        self.bounds.get(i).map_or("", |(s, e)| {
            self.text[*s..*e].trim_matches(|c: char| c.is_ascii_whitespace())
        })
    }
    /// A field's trimmed text, `None` when absent or missing (see [`is_missing`]).
    pub fn get(&self, i: usize) -> Option<&'a str> {
        Some(self.cell(i)).filter(|v| !is_missing(v))
    }
    /// [`Record::get`] for an optional column.
    pub fn get_opt(&self, i: Option<usize>) -> Option<&'a str> {
        i.and_then(|i| self.get(i))
    }
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// The most leading `#` lines kept (cBioPortal clinical files have 4).
const KEPT_COMMENTS: usize = 16;

impl<R: BufRead> TableReader<R> {
    /// Reads up to and including the header line. Every data line must then have as many fields
    /// as the header (see [`TableReader::allow_short_rows`]).
    ///
    /// # Errors
    /// An empty file, a read error, or a header that is not UTF-8.
    pub fn new(reader: R) -> Result<Self, FormatError> {
        let mut reader = crate::limits::Bounded::new(reader);
        let mut buf = Vec::new();
        let mut line_no = 0;
        let mut comments = Vec::new();
        let header = loop {
            buf.clear();
            line_no += 1;
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| FormatError {
                    line: line_no,
                    message: e.to_string(),
                })?;
            if n == 0 {
                return Err(FormatError {
                    line: line_no,
                    message: "the file is empty (no header)".into(),
                });
            }
            let l = trim_eol(&buf);
            if crate::limits::holds_carriage_return(l) {
                return Err(FormatError {
                    line: line_no,
                    message: crate::limits::carriage_return_message(),
                });
            }
            let text = std::str::from_utf8(l).map_err(|_| FormatError {
                line: line_no,
                message: "not valid UTF-8".into(),
            })?;
            // A byte-order mark (spreadsheet exports) is not part of the first name.
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if text.starts_with('#') {
                if comments.len() < KEPT_COMMENTS {
                    comments.push((line_no, text.to_string()));
                }
                continue;
            }
            if text.trim().is_empty() {
                continue;
            }
            break text
                .split('\t')
                .map(|h| h.trim().to_string())
                .collect::<Vec<_>>();
        };
        let min_fields = header.len();
        Ok(TableReader {
            reader,
            header,
            header_line: line_no,
            comments,
            text: String::new(),
            len: 0,
            bounds: Vec::new(),
            line_no,
            min_fields,
        })
    }

    /// Accepts data lines with fewer fields than the header, down to `min` (the omitted trailing
    /// fields read as missing), as cBioPortal accepts for optional trailing columns.
    pub fn allow_short_rows(&mut self, min: usize) {
        self.min_fields = min.min(self.header.len()).max(1);
    }

    /// Column names as in the file (trimmed).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The header's line number.
    pub fn header_line(&self) -> usize {
        self.header_line
    }

    /// The `#` lines before the header (at most 16), with their line numbers.
    pub fn comments(&self) -> &[(usize, String)] {
        &self.comments
    }

    /// The first column whose name is one of `names` (case-insensitive).
    pub fn col(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    }

    /// The one column whose name is one of `names` (case-insensitive); `Ok(None)` when none.
    ///
    /// # Errors
    /// Two such columns (which one to read would be a silent choice): a header error naming both.
    pub fn unique_col(&self, names: &[&str]) -> Result<Option<usize>, FormatError> {
        let mut found = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
            .map(|(i, _)| i);
        let first = found.next();
        match (first, found.next()) {
            (Some(a), Some(b)) => Err(FormatError {
                line: self.header_line,
                message: format!(
                    "columns {} ({}) and {} ({}) both name the {} column: which one to read is \
                     ambiguous",
                    a + 1,
                    self.header[a],
                    b + 1,
                    self.header[b],
                    names.first().copied().unwrap_or_default()
                ),
            }),
            _ => Ok(first),
        }
    }

    /// Reads the next data line, which [`TableReader::record`] then lends; `Ok(false)` at the end.
    /// A malformed line is an error with its number; the caller may skip it and read on.
    ///
    /// # Errors
    /// A read error, a line that is not UTF-8, or a wrong number of fields.
    pub fn advance(&mut self) -> Result<bool, FormatError> {
        let mut buf = std::mem::take(&mut self.text).into_bytes();
        let len = loop {
            buf.clear();
            self.line_no += 1;
            let n = self
                .reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| FormatError {
                    line: self.line_no,
                    message: e.to_string(),
                })?;
            if n == 0 {
                self.len = 0;
                self.bounds.clear();
                return Ok(false);
            }
            let l = trim_eol(&buf);
            if !(l.is_empty() || l.starts_with(b"#")) {
                break l.len();
            }
        };
        let line_no = self.line_no;
        self.text = String::from_utf8(buf).map_err(|_| FormatError {
            line: line_no,
            message: "not valid UTF-8".into(),
        })?;
        self.len = len;
        self.bounds.clear();
        let mut start = 0;
        for t in memchr::memchr_iter(b'\t', &self.text.as_bytes()[..len]) {
            self.bounds.push((start, t));
            start = t + 1;
        }
        self.bounds.push((start, len));
        let (n, h) = (self.bounds.len(), self.header.len());
        if n > h || n < self.min_fields {
            let message = if self.min_fields < h && n < self.min_fields {
                format!(
                    "{n} fields where the header has {h} (at least the first {} are needed)",
                    self.min_fields
                )
            } else {
                format!("{n} fields where the header has {h}")
            };
            return Err(FormatError {
                line: line_no,
                message,
            });
        }
        Ok(true)
    }

    /// The line read by the last successful [`TableReader::advance`].
    pub fn record(&self) -> Record<'_> {
        Record {
            text: &self.text[..self.len],
            bounds: &self.bounds,
            line_no: self.line_no,
        }
    }

    /// [`TableReader::advance`] then [`TableReader::record`].
    ///
    /// # Errors
    /// As [`TableReader::advance`].
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, FormatError> {
        Ok(if self.advance()? {
            Some(self.record())
        } else {
            None
        })
    }
}

/// The columns of a clinical file that ATCPath reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClinicalColumns {
    pub sample: Option<usize>,
    pub patient: Option<usize>,
    /// The TMB column used (first of [`TMB_COLUMNS`] present).
    pub tmb: Option<usize>,
    /// The MSI status column used (first of [`MSI_STATUS_COLUMNS`] present).
    pub msi_status: Option<usize>,
    pub msi_score: Option<usize>,
}

/// A streaming reader of clinical sample or patient files: cBioPortal's (four `#` attribute
/// lines: display names, descriptions, data types, priorities; then the column names) or plain
/// ones (column names on the first line).
pub struct ClinicalReader<R> {
    table: TableReader<R>,
    columns: ClinicalColumns,
    /// Every TMB column, in order of preference (then file order).
    tmb_columns: Vec<usize>,
    file: String,
}

/// One clinical row: column name → value, with its line number.
pub struct ClinicalRow<'a> {
    /// The line as read.
    pub record: Record<'a>,
    header: &'a [String],
    columns: ClinicalColumns,
    tmb_columns: &'a [usize],
    file: &'a str,
}

/// The tumour-wide biomarkers a clinical row states.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Biomarkers {
    /// `Finding::Tmb` from the TMB column, when it has a value.
    pub tmb: Option<Sourced>,
    /// `Finding::Msi` from the status column, else from the MSIsensor score.
    pub msi: Option<Sourced>,
    /// The MSI status or score was present but indeterminate (no finding).
    pub msi_indeterminate: bool,
    /// The status and the MSIsensor score say opposite things (no MSI finding: unknown).
    pub msi_disagreement: Option<String>,
}

impl<'a> ClinicalRow<'a> {
    /// The 1-based line number.
    pub fn line_no(&self) -> usize {
        self.record.line_no
    }
    /// The value of a column named `name` (case-insensitive); `None` when there is no such column
    /// or the cell is missing.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let i = self
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))?;
        self.record.get(i)
    }
    /// Every column with its value (`None` when missing), in file order.
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + '_ {
        let r = self.record;
        self.header
            .iter()
            .enumerate()
            .map(move |(i, h)| (h.as_str(), r.get(i)))
    }
    /// `SAMPLE_ID`, when the file has it.
    pub fn sample(&self) -> Option<&'a str> {
        self.record.get_opt(self.columns.sample)
    }
    /// `PATIENT_ID`, when the file has it.
    pub fn patient(&self) -> Option<&'a str> {
        self.record.get_opt(self.columns.patient)
    }

    fn err(&self, col: usize, message: String) -> FormatError {
        FormatError {
            line: self.record.line_no,
            message: format!("{}: {message}", self.header[col]),
        }
    }

    /// TMB and MSI as findings (sample = `SAMPLE_ID`).
    ///
    /// # Errors
    /// A TMB that is not a non-negative number, an MSI status that is not one of the known words,
    /// or an MSI score that is not a non-negative number; the error names the line and column.
    pub fn biomarkers(&self, th: &Thresholds) -> Result<Biomarkers, FormatError> {
        let sourced = |finding| Sourced {
            sample: self.sample().map(str::to_string),
            finding,
            file: self.file.to_string(),
            line: self.record.line_no,
        };
        let number = |col: usize, what: &str| -> Result<Option<f64>, FormatError> {
            let Some(v) = self.record.get(col) else {
                return Ok(None);
            };
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                Ok(x) if x.is_finite() => Err(self.err(col, format!("{v:?} is negative ({what})"))),
                _ => Err(self.err(col, format!("{v:?} is not a number ({what})"))),
            }
        };
        let mut out = Biomarkers::default();
        // Every TMB column with a value: above the plausible limit is an error; two that differ
        // contradict each other (no silent choice); the first in order of preference is used.
        let mut tmb: Option<(usize, f64)> = None;
        for &c in self.tmb_columns {
            let Some(x) = number(c, "mutations per megabase")? else {
                continue;
            };
            if x > TMB_MAX {
                let v = self.record.get(c).unwrap_or_default();
                return Err(self.err(
                    c,
                    format!(
                        "{v:?} mutations per megabase is implausible (above {TMB_MAX}): check \
                         the unit and the value"
                    ),
                ));
            }
            match tmb {
                None => tmb = Some((c, x)),
                Some((first, y)) if y != x => {
                    return Err(FormatError {
                        line: self.record.line_no,
                        message: format!(
                            "{} (column {}) gives {:?} but {} (column {}) gives {:?} \
                             mutations per megabase: the two disagree",
                            self.header[first],
                            first + 1,
                            self.record.get(first).unwrap_or_default(),
                            self.header[c],
                            c + 1,
                            self.record.get(c).unwrap_or_default()
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        if let Some((_, x)) = tmb {
            out.tmb = Some(sourced(Finding::Tmb { mut_per_mb: x }));
        }
        let by_status = match self.columns.msi_status {
            Some(c) => match self.record.get(c) {
                None => None,
                Some(v) => Some(msi_status(v).ok_or_else(|| {
                    self.err(
                        c,
                        format!(
                            "{v:?} is not an MSI status (MSI-H, MSS, MSI-L, Stable, Instable, \
                             High, Low, Indeterminate)"
                        ),
                    )
                })?),
            },
            None => None,
        };
        let score = match self.columns.msi_score {
            Some(c) => match number(c, "MSIsensor score")? {
                Some(x) if x > MSI_SCORE_MAX => {
                    let v = self.record.get(c).unwrap_or_default();
                    return Err(self.err(
                        c,
                        format!(
                            "{:?} is not an MSIsensor score (a percentage, 0 to {MSI_SCORE_MAX})",
                            crate::quote_cut(v)
                        ),
                    ));
                }
                x => x,
            },
            None => None,
        };
        let by_score = score.map(|x| msisensor_call(x, th));
        let status = match (by_status, by_score) {
            (Some(MsiWord::Status(s)), by_score) => {
                if let Some(Some(other)) = by_score
                    && other != s
                {
                    out.msi_disagreement = Some(format!(
                        "MSI status says {} but the MSIsensor score {} says {} (MSI left unknown \
                         until the laboratory resolves it)",
                        if s == Msi::High { "MSI-H" } else { "stable" },
                        score.unwrap_or_default(),
                        if other == Msi::High {
                            "MSI-H"
                        } else {
                            "stable"
                        },
                    ));
                    None
                } else {
                    Some(s)
                }
            }
            (Some(MsiWord::Indeterminate), _) | (None, Some(None)) => {
                out.msi_indeterminate = true;
                None
            }
            (None, Some(Some(s))) => Some(s),
            (None, None) => None,
        };
        out.msi = status.map(|status| sourced(Finding::Msi { status }));
        Ok(out)
    }
}

impl<R: BufRead> ClinicalReader<R> {
    /// Reads the header; `file` is the name the findings carry.
    ///
    /// # Errors
    /// An empty file, no `SAMPLE_ID` nor `PATIENT_ID` column, or cBioPortal attribute lines (four
    /// `#` lines) whose field counts differ from the column names'.
    pub fn new(reader: R, file: &str) -> Result<Self, FormatError> {
        let table = TableReader::new(reader)?;
        let h = table.header().len();
        if table.comments().len() == 4 {
            for (line, text) in table.comments() {
                let n = text.split('\t').count();
                if n != h {
                    return Err(FormatError {
                        line: *line,
                        message: format!(
                            "cBioPortal attribute line with {n} fields where the column names have {h}"
                        ),
                    });
                }
            }
        }
        let columns = ClinicalColumns {
            sample: table.col(&["SAMPLE_ID"]),
            patient: table.col(&["PATIENT_ID"]),
            tmb: TMB_COLUMNS.iter().find_map(|c| table.col(&[c])),
            msi_status: MSI_STATUS_COLUMNS.iter().find_map(|c| table.col(&[c])),
            msi_score: table.col(&[MSI_SCORE_COLUMN]),
        };
        if columns.sample.is_none() && columns.patient.is_none() {
            return Err(FormatError {
                line: table.header_line(),
                message: "no SAMPLE_ID or PATIENT_ID column".into(),
            });
        }
        let tmb_columns = TMB_COLUMNS
            .iter()
            .flat_map(|name| {
                table
                    .header()
                    .iter()
                    .enumerate()
                    .filter(move |(_, h)| h.eq_ignore_ascii_case(name))
                    .map(|(i, _)| i)
            })
            .collect();
        Ok(ClinicalReader {
            table,
            columns,
            tmb_columns,
            file: file.to_string(),
        })
    }

    /// Column names as in the file.
    pub fn header(&self) -> &[String] {
        self.table.header()
    }

    /// The header's line number (5 in a cBioPortal file, 1 in a plain one).
    pub fn header_line(&self) -> usize {
        self.table.header_line()
    }

    /// The `#` lines before the column names, with their line numbers (a cBioPortal file's four
    /// attribute lines: display names, descriptions, data types, priorities).
    pub fn comments(&self) -> &[(usize, String)] {
        self.table.comments()
    }

    /// The columns found.
    pub fn columns(&self) -> ClinicalColumns {
        self.columns
    }

    /// The next row; `Ok(None)` at the end.
    ///
    /// # Errors
    /// A wrong number of fields, or a row without its `SAMPLE_ID` (`PATIENT_ID` in a patient file).
    pub fn next_row(&mut self) -> Result<Option<ClinicalRow<'_>>, FormatError> {
        let columns = self.columns;
        if !self.table.advance()? {
            return Ok(None);
        }
        let record = self.table.record();
        let (id, name) = match (columns.sample, columns.patient) {
            (Some(s), _) => (s, "SAMPLE_ID"),
            (None, Some(p)) => (p, "PATIENT_ID"),
            (None, None) => unreachable!("checked in new"),
        };
        if record.get(id).is_none() {
            return Err(FormatError {
                line: record.line_no,
                message: format!("{name} is empty"),
            });
        }
        Ok(Some(ClinicalRow {
            record,
            header: self.table.header(),
            columns,
            tmb_columns: &self.tmb_columns,
            file: &self.file,
        }))
    }
}

/// What a row of the atypical-alteration list says.
#[derive(Debug, Clone, PartialEq)]
pub enum AtypicalCall {
    /// `Other Biomarkers` `MSI-H` (or `Microsatellite Instability-High`).
    MsiHigh,
    /// `Other Biomarkers` `TMB-H` (or `Tumor Mutational Burden-High`): reported high, **no value**.
    /// `Finding::Tmb` needs a value, so this is not a finding; show it as a flagged TMB-H call.
    TmbHigh,
    /// Any other gene's alteration (`EGFR vIII`, `FLT3 ITD`, `BRAF KDD`): not read as a finding.
    Other { gene: String, alteration: String },
}

/// One row of the atypical-alteration list.
#[derive(Debug, Clone, PartialEq)]
pub struct AtypicalRow {
    pub sample: String,
    pub call: AtypicalCall,
    /// 1-based line number.
    pub line: usize,
}

impl AtypicalRow {
    /// The finding the row states: `Finding::Msi` for MSI-H; `None` for TMB-H (no value) and for
    /// other alterations.
    pub fn finding(&self, file: &str) -> Option<Sourced> {
        match self.call {
            AtypicalCall::MsiHigh => Some(Sourced {
                sample: Some(self.sample.clone()),
                finding: Finding::Msi { status: Msi::High },
                file: file.to_string(),
                line: self.line,
            }),
            AtypicalCall::TmbHigh | AtypicalCall::Other { .. } => None,
        }
    }
}

/// The gene name oncokb-annotator gives tumour-wide biomarkers.
pub const OTHER_BIOMARKERS: &str = "Other Biomarkers";

/// A streaming reader of oncokb-annotator's atypical-alteration list (`HUGO_SYMBOL`,
/// `SAMPLE_ID` or `Tumor_Sample_Barcode`, `ALTERATION`).
pub struct AtypicalReader<R> {
    table: TableReader<R>,
    gene: usize,
    sample: usize,
    alteration: usize,
}

impl<R: BufRead> AtypicalReader<R> {
    /// Reads the header.
    ///
    /// # Errors
    /// An empty file or a missing column.
    pub fn new(reader: R) -> Result<Self, FormatError> {
        let table = TableReader::new(reader)?;
        let need = |names: &[&str]| {
            table.col(names).ok_or_else(|| FormatError {
                line: table.header_line(),
                message: format!("no {} column", names[0]),
            })
        };
        let gene = need(&["HUGO_SYMBOL"])?;
        let sample = need(&["SAMPLE_ID", "Tumor_Sample_Barcode"])?;
        let alteration = need(&["ALTERATION"])?;
        Ok(AtypicalReader {
            table,
            gene,
            sample,
            alteration,
        })
    }

    /// The next row; `Ok(None)` at the end.
    ///
    /// # Errors
    /// A wrong number of fields, an empty cell, or an `Other Biomarkers` alteration that is
    /// neither MSI-H nor TMB-H.
    pub fn next_row(&mut self) -> Result<Option<AtypicalRow>, FormatError> {
        let (g, s, a) = (self.gene, self.sample, self.alteration);
        let Some(r) = self.table.next_record()? else {
            return Ok(None);
        };
        let err = |message: String| FormatError {
            line: r.line_no,
            message,
        };
        let gene = r.get(g).ok_or_else(|| err("HUGO_SYMBOL is empty".into()))?;
        let sample = r.get(s).ok_or_else(|| err("SAMPLE_ID is empty".into()))?;
        let alteration = r.get(a).ok_or_else(|| err("ALTERATION is empty".into()))?;
        let call = if gene.eq_ignore_ascii_case(OTHER_BIOMARKERS) {
            let t = alteration.to_ascii_lowercase();
            match t.as_str() {
                "msi-h" | "microsatellite instability-high" => AtypicalCall::MsiHigh,
                "tmb-h" | "tumor mutational burden-high" => AtypicalCall::TmbHigh,
                _ => {
                    return Err(err(format!(
                        "{alteration:?} is not a biomarker ATCPath reads (MSI-H, TMB-H)"
                    )));
                }
            }
        } else {
            atcpath_core::genes::check_symbol_chars(gene)
                .map_err(|m| err(format!("HUGO_SYMBOL: {m}")))?;
            AtypicalCall::Other {
                gene: gene.to_string(),
                alteration: alteration.to_string(),
            }
        };
        Ok(Some(AtypicalRow {
            sample: sample.to_string(),
            call,
            line: r.line_no,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th() -> Thresholds {
        atcpath_kb::Kb::embedded().unwrap().facts.thresholds
    }

    #[test]
    fn table_skips_comments_and_checks_field_counts() {
        let text = "#a\tb\n\nX\tY\tZ\r\n1\t2\t3\r\n1\t2\n#c\n\n1\t2\t3\t4\n4\t\tNA";
        let mut t = TableReader::new(text.as_bytes()).unwrap();
        assert_eq!(
            (t.header(), t.header_line()),
            (&["X".to_string(), "Y".into(), "Z".into()][..], 3)
        );
        assert_eq!(t.comments().len(), 1);
        let r = t.next_record().unwrap().unwrap();
        assert_eq!((r.cell(2), r.line_no), ("3", 4));
        assert_eq!(t.next_record().err().unwrap().line, 5);
        let e = t.next_record().err().unwrap();
        assert_eq!(
            (e.line, e.message.as_str()),
            (8, "4 fields where the header has 3")
        );
        let r = t.next_record().unwrap().unwrap();
        assert_eq!((r.get(1), r.get(2), r.line_no), (None, None, 9));
        assert!(t.next_record().unwrap().is_none());
    }

    #[test]
    fn short_rows_when_allowed() {
        let mut t = TableReader::new(&b"A\tB\tC\tD\n1\t2\n1\n"[..]).unwrap();
        t.allow_short_rows(2);
        let r = t.next_record().unwrap().unwrap();
        assert_eq!((r.len(), r.cell(3), r.get(3)), (2, "", None));
        let e = t.next_record().err().unwrap();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("at least the first 2"), "{}", e.message);
        assert!(TableReader::new(&b""[..]).is_err());
        assert!(TableReader::new(&b"#only\n"[..]).is_err());
        let bom = TableReader::new("\u{feff}Hugo_Symbol\tS1\n".as_bytes()).unwrap();
        assert_eq!(bom.col(&["hugo_symbol"]), Some(0));
    }

    #[test]
    fn cbioportal_header_lines_and_generic_rows() {
        let text = "#Patient Identifier\tSample Identifier\tTMB\n#d\td\td\n#STRING\tSTRING\tNUMBER\n#1\t1\t1\nPATIENT_ID\tSAMPLE_ID\tTMB_NONSYNONYMOUS\nP1\tS1\t12.5\nP2\tS2\t[Not Available]\n";
        let mut r = ClinicalReader::new(text.as_bytes(), "c.txt").unwrap();
        assert_eq!(r.header_line(), 5);
        let row = r.next_row().unwrap().unwrap();
        assert_eq!(
            (
                row.sample(),
                row.patient(),
                row.get("tmb_nonsynonymous"),
                row.line_no()
            ),
            (Some("S1"), Some("P1"), Some("12.5"), 6)
        );
        assert_eq!(row.fields().count(), 3);
        let b = row.biomarkers(&th()).unwrap();
        assert_eq!(
            b.tmb.map(|s| (s.finding, s.sample, s.line)),
            Some((Finding::Tmb { mut_per_mb: 12.5 }, Some("S1".into()), 6))
        );
        let row = r.next_row().unwrap().unwrap();
        assert_eq!(row.biomarkers(&th()).unwrap(), Biomarkers::default());
        let bad = "#a\tb\n#a\n#a\tb\n#a\tb\nPATIENT_ID\tSAMPLE_ID\n";
        assert_eq!(
            ClinicalReader::new(bad.as_bytes(), "c").err().unwrap().line,
            2
        );
        assert!(ClinicalReader::new(&b"ID\tX\n"[..], "c").is_err());
    }

    #[test]
    fn implausible_and_contradictory_tmb_are_errors() {
        let text = "SAMPLE_ID\tTMB_NONSYNONYMOUS\tX\tTMB\n\
                    S1\t1000.5\tx\t\n\
                    S2\t12.5\tx\t13\n\
                    S3\t12.5\tx\t12.50\n\
                    S4\t\tx\t7\n\
                    S5\t1000\tx\t\n\
                    S6\t\tx\t\n\
                    S7\t5\tx\t2000\n";
        let mut r = ClinicalReader::new(text.as_bytes(), "c").unwrap();
        let mut results = Vec::new();
        while let Some(row) = r.next_row().transpose() {
            results.push(
                row.and_then(|row| row.biomarkers(&th()))
                    .map(|b| b.tmb.map(|s| s.finding)),
            );
        }
        let tmb = |x| Ok(Some(Finding::Tmb { mut_per_mb: x }));
        let e = |i: usize| {
            results[i]
                .as_ref()
                .err()
                .map(|e| (e.line, e.message.clone()))
        };
        assert!(
            e(0).is_some_and(|(l, m)| l == 2
                && m.starts_with("TMB_NONSYNONYMOUS:")
                && m.contains("implausible")),
            "{:?}",
            e(0)
        );
        assert!(
            e(1).is_some_and(|(l, m)| l == 3
                && m.contains("TMB_NONSYNONYMOUS (column 2)")
                && m.contains("TMB (column 4)")
                && m.contains("disagree")),
            "{:?}",
            e(1)
        );
        assert_eq!(results[2], tmb(12.5));
        assert_eq!(results[3], tmb(7.0), "the other column's value is used");
        assert_eq!(results[4], tmb(1000.0));
        assert_eq!(results[5], Ok(None));
        assert!(e(6).is_some_and(|(l, m)| l == 8 && m.starts_with("TMB:")));
        // The same TMB column twice, with different values.
        let text = "SAMPLE_ID\tTMB\ttmb\nS1\t3\t4\nS2\t3\t3\n";
        let mut r = ClinicalReader::new(text.as_bytes(), "c").unwrap();
        let row = r.next_row().unwrap().unwrap();
        assert!(row.biomarkers(&th()).is_err());
        let row = r.next_row().unwrap().unwrap();
        assert!(row.biomarkers(&th()).is_ok_and(|b| b.tmb.is_some()));
    }

    #[test]
    fn tmb_and_msi_values() {
        let text = "SAMPLE_ID\tTMB\tMSI_STATUS\tMSI_SCORE\n\
                    S1\t-1\tMSS\t\n\
                    S2\thigh\tMSS\t\n\
                    S3\t3\tMSI-L\t\n\
                    S4\t\tInstable\t1.2\n\
                    S5\t\t\t12\n\
                    S6\t\t\t5\n\
                    S7\t\tmaybe\t\n\
                    S8\t\t\t-2\n\
                    \t\t\t\n";
        let mut r = ClinicalReader::new(text.as_bytes(), "c").unwrap();
        let mut results = Vec::new();
        while let Some(row) = r.next_row().transpose() {
            results.push(row.and_then(|row| row.biomarkers(&th())).map(|b| {
                (
                    b.tmb.map(|s| s.finding),
                    b.msi.map(|s| s.finding),
                    b.msi_indeterminate,
                    b.msi_disagreement.is_some(),
                )
            }));
        }
        let msi = |status| Some(Finding::Msi { status });
        let e = |i: usize| {
            results[i]
                .as_ref()
                .err()
                .map(|e| (e.line, e.message.clone()))
        };
        assert_eq!(
            e(0),
            Some((2, "TMB: \"-1\" is negative (mutations per megabase)".into()))
        );
        assert!(e(1).is_some_and(|(l, m)| l == 3 && m.contains("not a number")));
        assert_eq!(
            results[2],
            Ok((
                Some(Finding::Tmb { mut_per_mb: 3.0 }),
                msi(Msi::Stable),
                false,
                false
            ))
        );
        // Status and score contradict: no MSI finding (unknown), the disagreement reported.
        assert_eq!(results[3], Ok((None, None, false, true)));
        assert_eq!(results[4], Ok((None, msi(Msi::High), false, false)));
        assert_eq!(results[5], Ok((None, None, true, false)));
        assert!(e(6).is_some_and(|(l, m)| l == 8 && m.starts_with("MSI_STATUS")));
        assert!(e(7).is_some_and(|(l, _)| l == 9));
        assert!(e(8).is_some_and(|(l, m)| l == 10 && m == "SAMPLE_ID is empty"));
    }

    #[test]
    fn an_msisensor_score_outside_0_to_100_is_an_error_at_its_line() {
        for (v, ok) in [
            ("0", true),
            ("100", true),
            ("150", false),
            ("1e9", false),
            ("nan", false),
            ("inf", false),
            ("-1", false),
        ] {
            let text = format!("SAMPLE_ID\tMSI_SCORE\nS1\t{v}\n");
            let mut r = ClinicalReader::new(text.as_bytes(), "c").unwrap();
            let row = r.next_row().unwrap().unwrap();
            match row.biomarkers(&th()) {
                Ok(_) => assert!(ok, "{v} accepted"),
                Err(e) => {
                    assert!(!ok, "{v}: {e}");
                    assert!(e.line == 2 && e.message.starts_with("MSI_SCORE"), "{e}");
                }
            }
        }
        // `NaN` is a missing-value marker (`cells::is_missing`): no score, MSI unknown.
        let text = "SAMPLE_ID\tMSI_SCORE\nS1\tNaN\n";
        let mut r = ClinicalReader::new(text.as_bytes(), "c").unwrap();
        let row = r.next_row().unwrap().unwrap();
        assert!(row.biomarkers(&th()).is_ok_and(|b| b.msi.is_none()));
    }

    #[test]
    fn msisensor_thresholds() {
        assert_eq!(msisensor_call(10.0, &th()), Some(Msi::High));
        assert_eq!(msisensor_call(9.99, &th()), None);
        assert_eq!(msisensor_call(3.0, &th()), None);
        assert_eq!(msisensor_call(2.99, &th()), Some(Msi::Stable));
        assert_eq!(
            msi_status("Microsatellite Instability-High"),
            Some(MsiWord::Status(Msi::High))
        );
        assert_eq!(msi_status("Do not report"), Some(MsiWord::Indeterminate));
        assert_eq!(msi_status("MSI_L"), Some(MsiWord::Status(Msi::Stable)));
    }

    #[test]
    fn atypical_biomarkers() {
        let text = "HUGO_SYMBOL\tSAMPLE_ID\tALTERATION\nOther Biomarkers\tS1\tMSI-H\nOther Biomarkers\tS2\tTMB-H\nEGFR\tS3\tvIII\nOther Biomarkers\tS4\tPD-L1\n";
        let mut r = AtypicalReader::new(text.as_bytes()).unwrap();
        let msi = r.next_row().unwrap().unwrap();
        assert_eq!(
            msi.finding("a").map(|s| (s.finding, s.line)),
            Some((Finding::Msi { status: Msi::High }, 2))
        );
        let tmb = r.next_row().unwrap().unwrap();
        assert_eq!(
            (tmb.call.clone(), tmb.finding("a")),
            (AtypicalCall::TmbHigh, None)
        );
        assert!(matches!(
            r.next_row().unwrap().unwrap().call,
            AtypicalCall::Other { .. }
        ));
        assert_eq!(r.next_row().err().unwrap().line, 5);
        assert!(r.next_row().unwrap().is_none());
        // A gene with a look-alike letter is named at its line.
        let text = "HUGO_SYMBOL\tSAMPLE_ID\tALTERATION\nEGFR\tS3\tvIII\nВRAF\tS1\tKDD\n";
        let mut r = AtypicalReader::new(text.as_bytes()).unwrap();
        assert!(r.next_row().is_ok());
        let e = r.next_row().err().unwrap();
        assert!(e.line == 3 && e.message.contains("Cyrillic"), "{e:?}");
    }
}
