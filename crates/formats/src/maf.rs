//! MAF reading: one row at a time, fields split on tabs in place.

use std::io::BufRead;

use atcpath_core::genomics::{Finding, Sourced, VariantClass, maf_protein};
use atcpath_core::hgvs;

use crate::{FormatError, is_missing};

/// Column indices of the fields ATCPath reads (case-insensitive header match).
#[derive(Debug, Clone, Copy, Default)]
pub struct Columns {
    pub gene: usize,
    pub hgvsp_short: Option<usize>,
    pub hgvsp: Option<usize>,
    pub hgvsc: Option<usize>,
    pub classification: Option<usize>,
    pub sample: Option<usize>,
    pub build: Option<usize>,
    pub chromosome: Option<usize>,
    pub start: Option<usize>,
    pub reference: Option<usize>,
    pub alt: Option<usize>,
}

/// A streaming MAF reader.
pub struct MafReader<R> {
    reader: R,
    header: Vec<String>,
    columns: Columns,
    line: Vec<u8>,
    bounds: Vec<(usize, usize)>,
    line_no: usize,
}

/// One data row, borrowed from the reader until the next call.
pub struct Row<'a> {
    line: &'a [u8],
    bounds: &'a [(usize, usize)],
    /// 1-based line number in the file.
    pub line_no: usize,
}

impl<'a> Row<'a> {
    /// The whole line as read (without its end of line).
    pub fn raw(&self) -> &'a [u8] {
        self.line
    }
    /// A field's trimmed text, `None` when absent, missing or not UTF-8.
    pub fn get(&self, col: Option<usize>) -> Option<&'a str> {
        let (s, e) = *self.bounds.get(col?)?;
        std::str::from_utf8(&self.line[s..e])
            .ok()
            .map(str::trim)
            .filter(|v| !is_missing(v))
    }
    /// A field's raw bytes (empty when absent).
    pub fn bytes(&self, col: Option<usize>) -> &'a [u8] {
        col.and_then(|c| self.bounds.get(c))
            .map_or(&[][..], |(s, e)| self.line[*s..*e].trim_ascii())
    }
}

impl Columns {
    /// The finding a row states: gene, protein (HGVSp_Short, else HGVSp), coding (HGVSc, its
    /// transcript prefix removed), class, build, position and alleles, and the sample.
    /// An HGVS value that does not parse is left out (the row keeps its gene and position).
    pub fn finding(&self, row: &Row<'_>, file: &str) -> Sourced {
        let protein = row
            .get(self.hgvsp_short)
            .and_then(maf_protein)
            .or_else(|| row.get(self.hgvsp).and_then(maf_protein));
        let coding = row.get(self.hgvsc).and_then(|c| {
            let c = c.rsplit_once(':').map_or(c, |(_, c)| c);
            hgvs::parse_coding(c).ok()
        });
        let alt = row.get(self.alt);
        Sourced {
            sample: row.get(self.sample).map(str::to_string),
            finding: Finding::Variant {
                gene: row.get(Some(self.gene)).unwrap_or_default().to_string(),
                protein,
                coding,
                class: row.get(self.classification).map(VariantClass::from_maf),
                build: row.get(self.build).map(str::to_string),
                chromosome: row
                    .get(self.chromosome)
                    .map(|c| c.trim_start_matches("chr").to_string()),
                position: row.get(self.start).and_then(|p| p.parse().ok()),
                reference: row.get(self.reference).map(str::to_string),
                alternate: alt.map(str::to_string),
            },
            file: file.to_string(),
            line: row.line_no,
        }
    }
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

impl<R: BufRead> MafReader<R> {
    /// Reads the header (the first line that is not a `#` comment).
    ///
    /// # Errors
    /// An empty file, a header that is not UTF-8, or no `Hugo_Symbol` column.
    pub fn new(mut reader: R) -> Result<Self, FormatError> {
        let mut line = Vec::new();
        let mut line_no = 0;
        let header: Vec<String> = loop {
            line.clear();
            line_no += 1;
            let n = reader
                .read_until(b'\n', &mut line)
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
            let l = trim_eol(&line);
            if !l.starts_with(b"#") && !l.is_empty() {
                let text = std::str::from_utf8(l).map_err(|_| FormatError {
                    line: line_no,
                    message: "header is not valid UTF-8".into(),
                })?;
                break text.split('\t').map(|h| h.trim().to_string()).collect();
            }
        };
        let col = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        };
        let gene = col(&["Hugo_Symbol"]).ok_or(FormatError {
            line: line_no,
            message: "no Hugo_Symbol column".into(),
        })?;
        let columns = Columns {
            gene,
            hgvsp_short: col(&["HGVSp_Short"]),
            hgvsp: col(&["HGVSp"]),
            hgvsc: col(&["HGVSc"]),
            classification: col(&["Variant_Classification"]),
            sample: col(&["Tumor_Sample_Barcode"]),
            build: col(&["NCBI_Build"]),
            chromosome: col(&["Chromosome"]),
            start: col(&["Start_Position"]),
            reference: col(&["Reference_Allele"]),
            alt: col(&["Tumor_Seq_Allele2"]),
        };
        Ok(MafReader {
            reader,
            header,
            columns,
            line,
            bounds: Vec::new(),
            line_no,
        })
    }

    /// Column names as in the file.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The columns found.
    pub fn columns(&self) -> Columns {
        self.columns
    }

    /// The next data row; `Ok(None)` at the end. A malformed row is an error with its line;
    /// the caller may skip it and read on.
    ///
    /// # Errors
    /// A wrong number of fields, an empty Hugo_Symbol or a Start_Position that is not a number.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, FormatError> {
        // Find the next data line first, then lend it out (the borrow ends the loop).
        let len = loop {
            self.line.clear();
            self.line_no += 1;
            let n = self
                .reader
                .read_until(b'\n', &mut self.line)
                .map_err(|e| FormatError {
                    line: self.line_no,
                    message: e.to_string(),
                })?;
            if n == 0 {
                return Ok(None);
            }
            let l = trim_eol(&self.line);
            if !(l.is_empty() || l.starts_with(b"#")) {
                break l.len();
            }
        };
        let l = &self.line[..len];
        self.bounds.clear();
        let mut start = 0;
        for t in memchr::memchr_iter(b'\t', l) {
            self.bounds.push((start, t));
            start = t + 1;
        }
        self.bounds.push((start, l.len()));
        let line_no = self.line_no;
        let err = |message: String| {
            Err(FormatError {
                line: line_no,
                message,
            })
        };
        if self.bounds.len() != self.header.len() {
            return err(format!(
                "{} fields where the header has {}",
                self.bounds.len(),
                self.header.len()
            ));
        }
        let row = Row {
            line: l,
            bounds: &self.bounds,
            line_no,
        };
        if row.get(Some(self.columns.gene)).is_none() {
            return err("Hugo_Symbol is empty".into());
        }
        if let Some(p) = row.get(self.columns.start) {
            if p.parse::<u64>().is_err() {
                return err(format!("Start_Position {p:?} is not a position"));
            }
        }
        Ok(Some(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_comments_crlf_and_reports_lines() {
        let text = "#version 2.4\r\nHugo_Symbol\tHGVSp_Short\tStart_Position\r\nBRAF\tp.V600E\t140453136\r\nKRAS\tp.G12D\r\nNRAS\tNA\t\r\n";
        let Ok(mut r) = MafReader::new(text.as_bytes()) else {
            panic!("header")
        };
        let short = r.columns().hgvsp_short;
        let row = r.next_row().unwrap().unwrap();
        assert_eq!(
            (row.get(Some(0)), row.get(short), row.line_no),
            (Some("BRAF"), Some("p.V600E"), 3)
        );
        let e = r.next_row().err().unwrap();
        assert_eq!(e.line, 4);
        let row = r.next_row().unwrap().unwrap();
        assert_eq!(row.get(Some(1)), None, "NA is missing");
        assert!(r.next_row().unwrap().is_none());
    }

    #[test]
    fn header_errors() {
        assert!(MafReader::new(&b""[..]).is_err());
        assert!(
            MafReader::new(&b"Gene\tX\n"[..])
                .err()
                .is_some_and(|e| e.message.contains("Hugo_Symbol"))
        );
    }
}
