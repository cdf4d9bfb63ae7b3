//! MAF reading: one row at a time, fields split on tabs in place ([`MafReader::next_row`]), or
//! in line-aligned blocks for processing in parallel ([`MafReader::into_blocks`], [`BlockRows`]),
//! with the same checks and line numbers.

use std::io::{BufRead, Read};

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
    /// `FILTER` (GDC MAF): a value other than `PASS` marks a call the caller filtered out.
    pub filter: Option<usize>,
    /// `Mutation_Status` (Somatic, Germline, ...).
    pub mutation_status: Option<usize>,
}

/// A streaming MAF reader.
pub struct MafReader<R> {
    reader: crate::limits::Bounded<R>,
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
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.line
    }
    /// A field's trimmed text, `None` when absent, missing or not UTF-8.
    #[inline]
    pub fn get(&self, col: Option<usize>) -> Option<&'a str> {
        let (s, e) = *self.bounds.get(col?)?;
        std::str::from_utf8(&self.line[s..e])
            .ok()
            .map(str::trim)
            .filter(|v| !is_missing(v))
    }
    /// A field's raw bytes (empty when absent).
    #[inline]
    pub fn bytes(&self, col: Option<usize>) -> &'a [u8] {
        self.untrimmed(col).trim_ascii()
    }
    /// A field's raw bytes, untrimmed (empty when absent).
    #[inline]
    pub fn untrimmed(&self, col: Option<usize>) -> &'a [u8] {
        col.and_then(|c| self.bounds.get(c))
            .map_or(&[][..], |&(s, e)| &self.line[s..e])
    }
    /// The raw bytes from the start of field `first` to the end of field `last`, the tabs
    /// between included (empty when either is absent or `last < first`).
    #[inline]
    pub fn span(&self, first: usize, last: usize) -> &'a [u8] {
        match (self.bounds.get(first), self.bounds.get(last)) {
            (Some(&(s, _)), Some(&(_, e))) if s <= e => &self.line[s..e],
            _ => &[],
        }
    }
}

impl Columns {
    /// Whether the row's `Mutation_Status` says `Germline`.
    pub fn germline(&self, row: &Row<'_>) -> bool {
        row.get(self.mutation_status)
            .is_some_and(|v| v.eq_ignore_ascii_case("germline"))
    }

    /// The row's `FILTER` when it marks the call filtered out (anything but `PASS` or a
    /// missing value; `.` is missing, as in VCF): such a call is no detection, as for a VCF.
    pub fn filtered<'r>(&self, row: &Row<'r>) -> Option<&'r str> {
        row.get(self.filter)
            .filter(|f| *f != "." && !f.eq_ignore_ascii_case("PASS"))
    }

    /// Why a row's HGVSp_Short and HGVSp disagree, if both give a protein change and the two
    /// normalise differently (`p.V600E` beside `p.Val600Lys`): which one is right cannot be told.
    pub fn protein_disagreement(&self, row: &Row<'_>) -> Option<String> {
        let short = row.get(self.hgvsp_short).and_then(maf_protein)?;
        let long = row.get(self.hgvsp).and_then(maf_protein)?;
        (short.normalized != long.normalized).then(|| {
            format!(
                "HGVSp_Short {} and HGVSp {} name different protein changes",
                short.normalized, long.normalized
            )
        })
    }

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
                conflict: self.protein_disagreement(row),
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
    pub fn new(reader: R) -> Result<Self, FormatError> {
        let mut reader = crate::limits::Bounded::new(reader);
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
            let mut l = trim_eol(&line);
            if crate::limits::holds_carriage_return(l) {
                return Err(FormatError {
                    line: line_no,
                    message: crate::limits::carriage_return_message(),
                });
            }
            // A UTF-8 byte-order mark at the start of the file.
            if line_no == 1 {
                l = l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l);
            }
            if !l.starts_with(b"#") && !l.is_empty() {
                let text = std::str::from_utf8(l).map_err(|_| FormatError {
                    line: line_no,
                    message: "header is not valid UTF-8".into(),
                })?;
                break text.split('\t').map(|h| h.trim().to_string()).collect();
            }
        };
        // A column ATCPath reads, found once (case-insensitively): twice is ambiguous.
        let col = |name: &str| -> Result<Option<usize>, FormatError> {
            let mut found = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.eq_ignore_ascii_case(name))
                .map(|(i, _)| i);
            let first = found.next();
            match (first, found.next()) {
                (Some(a), Some(b)) => Err(FormatError {
                    line: line_no,
                    message: format!(
                        "column {name} appears twice in the header (columns {} and {}): \
                         which one to read is ambiguous",
                        a + 1,
                        b + 1
                    ),
                }),
                _ => Ok(first),
            }
        };
        let gene = col("Hugo_Symbol")?.ok_or(FormatError {
            line: line_no,
            message: "no Hugo_Symbol column".into(),
        })?;
        let columns = Columns {
            gene,
            hgvsp_short: col("HGVSp_Short")?,
            hgvsp: col("HGVSp")?,
            hgvsc: col("HGVSc")?,
            classification: col("Variant_Classification")?,
            sample: col("Tumor_Sample_Barcode")?,
            build: col("NCBI_Build")?,
            chromosome: col("Chromosome")?,
            start: col("Start_Position")?,
            reference: col("Reference_Allele")?,
            alt: col("Tumor_Seq_Allele2")?,
            filter: col("FILTER")?,
            mutation_status: col("Mutation_Status")?,
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
        let row = Row {
            line: l,
            bounds: &self.bounds,
            line_no: self.line_no,
        };
        check_row(&row, self.bounds.len(), self.header.len(), &self.columns)?;
        Ok(Some(row))
    }

    /// Turns the reader into line-aligned blocks of the data section (after the header), to be
    /// split with [`BlockRows`], e.g. in parallel. The first line of the first block is line
    /// [`Blocks::first_line`].
    pub fn into_blocks(self) -> Blocks<crate::limits::Bounded<R>> {
        Blocks {
            first_line: self.line_no + 1,
            reader: self.reader,
            carry: Vec::new(),
            eof: false,
        }
    }
}

/// The checks of a data row split into `fields` fields (the same for [`MafReader::next_row`] and
/// [`BlockRows`]): the header's number of fields, a Hugo_Symbol, a numeric Start_Position.
#[inline]
fn check_row(
    row: &Row<'_>,
    fields: usize,
    header: usize,
    columns: &Columns,
) -> Result<(), FormatError> {
    // The common case without UTF-8 checks or parsing: a symbol of letters, digits, `-`, `_` or
    // `.` that is not a missing marker, and a position of plain digits (at most 16: a u64).
    let gene = row.untrimmed(Some(columns.gene));
    if fields == header
        && plain_bytes(row, columns.gene, Plain::Symbol)
        && !gene.is_empty()
        && gene != b"NA"
        && gene != b"NaN"
        && columns.start.is_none_or(|c| {
            !row.untrimmed(Some(c)).is_empty() && plain_bytes(row, c, Plain::Digits)
        })
    {
        return Ok(());
    }
    check_row_fully(row, fields, header, columns)
}

/// [`check_row`] for any row.
#[cold]
#[inline(never)]
fn check_row_fully(
    row: &Row<'_>,
    fields: usize,
    header: usize,
    columns: &Columns,
) -> Result<(), FormatError> {
    let err = |message: String| {
        Err(FormatError {
            line: row.line_no,
            message,
        })
    };
    if fields != header {
        return err(format!("{fields} fields where the header has {header}"));
    }
    // Only ASCII white space is trimmed before the symbol check: a no-break space (U+00A0) or
    // narrow no-break space (U+202F) at the edge of a symbol is refused, as in case files.
    let gene = std::str::from_utf8(row.untrimmed(Some(columns.gene)))
        .ok()
        .map(|g| g.trim_matches(|c: char| c.is_ascii_whitespace()))
        .filter(|v| !crate::is_missing(v));
    match gene {
        None => return err("Hugo_Symbol is empty".into()),
        Some(g) => {
            if let Err(m) = atcpath_core::genes::check_symbol_chars(g) {
                return err(format!("Hugo_Symbol: {m}"));
            }
        }
    }
    if let Some(p) = row.get(columns.start)
        && p.parse::<u64>().is_err()
    {
        return err(format!("Start_Position {p:?} is not a position"));
    }
    Ok(())
}

/// Byte classes for [`plain_bytes`].
#[derive(Clone, Copy)]
enum Plain {
    /// ASCII letters, digits, `-`, `_`, `.`.
    Symbol,
    /// ASCII digits.
    Digits,
}

/// Whether field `col` of a row is at most 16 bytes, all of class `class` (16 at once, by SIMD
/// compares through the `wide` crate). `false` for a longer or absent field.
#[inline]
fn plain_bytes(row: &Row<'_>, col: usize, class: Plain) -> bool {
    use wide::u8x16;
    let Some(&(s, e)) = row.bounds.get(col) else {
        return false;
    };
    let n = e - s;
    if n > 16 {
        return false;
    }
    let mut a = [0; 16];
    match row.line.get(s..s + 16) {
        Some(b) => a.copy_from_slice(b),
        None => a[..n].copy_from_slice(&row.line[s..e]),
    }
    let v = u8x16::new(a);
    let digit = |v: u8x16| {
        let d = v - u8x16::splat(b'0');
        d.min(u8x16::splat(9)).simd_eq(d)
    };
    let ok = match class {
        Plain::Digits => digit(v),
        Plain::Symbol => {
            let l = (v | u8x16::splat(0x20)) - u8x16::splat(b'a');
            digit(v)
                | l.min(u8x16::splat(25)).simd_eq(l)
                | v.simd_eq(u8x16::splat(b'-'))
                | v.simd_eq(u8x16::splat(b'_'))
                | v.simd_eq(u8x16::splat(b'.'))
        }
    };
    let want = (1u32 << n) - 1;
    ok.to_bitmask() & want == want
}

/// Line-aligned blocks of a MAF's data section (from [`MafReader::into_blocks`]): each block is
/// whole lines, ends of line included; only the file's last line may lack its end of line.
/// Memory is the block size (more only for a line longer than a block).
pub struct Blocks<R> {
    reader: R,
    /// The start of a line read past the end of the previous block.
    carry: Vec<u8>,
    first_line: usize,
    eof: bool,
}

impl<R: Read> Blocks<R> {
    /// The 1-based line number of the first line of the first block.
    pub fn first_line(&self) -> usize {
        self.first_line
    }

    /// Fills `buf` (cleared first) with the next whole lines: at least `size` bytes unless the file
    /// ends, cut after the last end of line. `Ok(false)` at the end of the file (`buf` empty).
    ///
    /// # Errors
    /// A read error; the lines of the blocks returned before are complete.
    pub fn next_block(&mut self, buf: &mut Vec<u8>, size: usize) -> std::io::Result<bool> {
        buf.clear();
        buf.append(&mut self.carry);
        let mut want = size.max(1);
        loop {
            while !self.eof && buf.len() < want {
                let need = want - buf.len();
                buf.reserve(need);
                // `read_to_end` reads into the spare capacity without zeroing it first.
                if (&mut self.reader).take(need as u64).read_to_end(buf)? == 0 {
                    self.eof = true;
                }
            }
            if self.eof {
                return Ok(!buf.is_empty());
            }
            if let Some(i) = memchr::memrchr(b'\n', buf) {
                self.carry.extend_from_slice(&buf[i + 1..]);
                buf.truncate(i + 1);
                return Ok(true);
            }
            // A line longer than the block: read on until its end.
            want = buf.len().saturating_mul(2);
        }
    }
}

/// The tabs and ends of line of a block, 64 bytes at a time as bit masks (SIMD compares through
/// the `wide` crate), read in order: a cursor over the field and line ends.
#[derive(Clone, Copy)]
struct Ends<'a> {
    data: &'a [u8],
    /// Offset of the 64 bytes the masks describe.
    base: usize,
    /// Bit `i`: a tab (`tabs`) or a `\n` (`eols`) at `base + i`, not yet consumed.
    tabs: u64,
    eols: u64,
}

impl<'a> Ends<'a> {
    fn new(data: &'a [u8]) -> Self {
        let mut e = Ends {
            data,
            base: 0,
            tabs: 0,
            eols: 0,
        };
        e.load();
        e
    }

    fn masks(chunk: &[u8; 64]) -> (u64, u64) {
        use wide::u8x16;
        let (tab, eol) = (u8x16::splat(b'\t'), u8x16::splat(b'\n'));
        let (mut tabs, mut eols) = (0, 0);
        for (k, part) in chunk.chunks_exact(16).enumerate() {
            let mut a = [0; 16];
            a.copy_from_slice(part);
            let v = u8x16::new(a);
            tabs |= u64::from(v.simd_eq(tab).to_bitmask()) << (16 * k);
            eols |= u64::from(v.simd_eq(eol).to_bitmask()) << (16 * k);
        }
        (tabs, eols)
    }

    /// The masks of the 64 bytes at `base` (zero-padded at the end of the data).
    fn load(&mut self) {
        let b = self.base;
        (self.tabs, self.eols) = match self.data.get(b..b + 64) {
            Some(c) => {
                let mut chunk = [0; 64];
                chunk.copy_from_slice(c);
                Self::masks(&chunk)
            }
            None if b < self.data.len() => {
                let mut chunk = [0; 64];
                chunk[..self.data.len() - b].copy_from_slice(&self.data[b..]);
                Self::masks(&chunk)
            }
            None => (0, 0),
        };
    }

    /// Moves to the next 64 bytes; `false` past the end of the data.
    fn advance(&mut self) -> bool {
        self.base += 64;
        if self.base >= self.data.len() {
            (self.tabs, self.eols) = (0, 0);
            return false;
        }
        self.load();
        true
    }

    /// Consumes up to the next end of line: the tabs before it and its offset (the data's length
    /// when the data ends first).
    #[inline]
    fn line_end(&mut self) -> (usize, usize) {
        let mut tabs = 0;
        loop {
            if self.eols != 0 {
                let i = self.eols.trailing_zeros();
                let below = (1u64 << i) - 1;
                tabs += (self.tabs & below).count_ones() as usize;
                let after = !below & !(1u64 << i);
                self.tabs &= after;
                self.eols &= after;
                return (tabs, self.base + i as usize);
            }
            tabs += self.tabs.count_ones() as usize;
            if !self.advance() {
                return (tabs, self.data.len());
            }
        }
    }
}

/// The data rows of one block of whole lines (see [`Blocks`]), split and checked as
/// [`MafReader::next_row`] does, with the same errors. For speed, rows are split only up to column
/// `last` (and the Hugo_Symbol and Start_Position columns): a [`Row`] from here reads any column
/// after `last` as absent. Line numbers count from `first_line` (the block's first line).
pub struct BlockRows<'a> {
    data: &'a [u8],
    ends: Ends<'a>,
    /// Offset of the next line.
    pos: usize,
    line_no: usize,
    header: usize,
    columns: Columns,
    last: usize,
    /// Room for the bounds of fields `0..=last`; the first `split` are the current row's.
    bounds: Vec<(usize, usize)>,
    split: usize,
}

impl<'a> BlockRows<'a> {
    /// Rows of `block`, a file of `header` columns found at `columns`, split up to column `last`.
    pub fn new(
        block: &'a [u8],
        first_line: usize,
        header: usize,
        columns: Columns,
        last: usize,
    ) -> Self {
        // Columns past the header's are absent from any row of the right length.
        let last = columns
            .start
            .map_or(last, |s| s.max(last))
            .max(columns.gene)
            .min(header.saturating_sub(1));
        BlockRows {
            data: block,
            ends: Ends::new(block),
            pos: 0,
            line_no: first_line.wrapping_sub(1),
            header,
            columns,
            last,
            bounds: vec![(0, 0); last + 1],
            split: 0,
        }
    }

    /// The number of the last line read (`first_line - 1` before the first).
    pub fn line_no(&self) -> usize {
        self.line_no
    }

    /// The next data row; `Ok(None)` at the end of the block. A malformed row is an error with its
    /// line; the caller may skip it and read on.
    ///
    /// # Errors
    /// As [`MafReader::next_row`].
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, FormatError> {
        let data = self.data;
        let (start, fields, end) = loop {
            let start = self.pos;
            let Some(&first) = data.get(start) else {
                return Ok(None);
            };
            self.line_no = self.line_no.wrapping_add(1);
            // Comments and blank lines (`\r` alone counts as blank).
            let blank = first == b'\n'
                || (first == b'\r' && data.get(start + 1).is_none_or(|&b| b == b'\n'));
            if first == b'#' || blank {
                let (_, end) = self.ends.line_end();
                self.pos = end + 1;
                continue;
            }
            // Split with local copies (kept in registers), into the bounds' room for `last + 1`:
            // the terminators (tabs and ends of line) are the set bits of the masks, in order.
            let mut ends = self.ends;
            let bounds = &mut self.bounds;
            let last = self.last;
            let mut k = 0;
            let mut field = start;
            let (fields, end) = 'row: loop {
                let mut m = ends.tabs | ends.eols;
                while m != 0 {
                    let i = m.trailing_zeros();
                    let t = ends.base + i as usize;
                    bounds[k] = (field - start, t - start);
                    k += 1;
                    field = t + 1;
                    let eol = ends.eols >> i & 1 != 0;
                    if eol || k > last {
                        // Consume the terminators up to this one.
                        let after = (u64::MAX << i) << 1;
                        ends.tabs &= after;
                        ends.eols &= after;
                        if eol {
                            break 'row (k, t);
                        }
                        // Only count the fields after `last`.
                        let (tabs, end) = ends.line_end();
                        break 'row (k + 1 + tabs, end);
                    }
                    m &= m - 1;
                }
                if !ends.advance() {
                    bounds[k] = (field - start, data.len() - start);
                    k += 1;
                    break (k, data.len());
                }
            };
            self.ends = ends;
            self.split = k;
            break (start, fields, end);
        };
        self.pos = end + 1;
        let mut end = end;
        let bounds = &mut self.bounds[..self.split];
        if data[start..end].ends_with(b"\r") {
            end -= 1;
            // The `\r` belongs to the last field, when it was split.
            if let Some(b) = bounds.last_mut().filter(|b| b.1 == end + 1 - start) {
                b.1 = end - start;
            }
        }
        let row = Row {
            line: &data[start..end],
            bounds,
            line_no: self.line_no,
        };
        check_row(&row, fields, self.header, &self.columns)?;
        Ok(Some(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// Every data row of `text` through `next_row`: (line, raw, every field's `get` and `bytes`)
    /// or the error.
    type Read = Vec<Result<(usize, Vec<u8>, Vec<(Option<String>, Vec<u8>)>), FormatError>>;

    fn by_rows(text: &[u8], cols: usize) -> Read {
        let Ok(mut r) = MafReader::new(text) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        loop {
            match r.next_row() {
                Ok(Some(row)) => out.push(Ok((
                    row.line_no,
                    row.raw().to_vec(),
                    (0..cols)
                        .map(|c| {
                            (
                                row.get(Some(c)).map(str::to_string),
                                row.bytes(Some(c)).to_vec(),
                            )
                        })
                        .collect(),
                ))),
                Ok(None) => break,
                Err(e) => out.push(Err(e)),
            }
        }
        out
    }

    /// The same through blocks of `size` bytes and `BlockRows` (fields up to `cols - 1`).
    fn by_blocks(text: &[u8], cols: usize, size: usize) -> Read {
        let Ok(r) = MafReader::new(text) else {
            return Vec::new();
        };
        let (columns, header) = (r.columns(), r.header().len());
        let mut blocks = r.into_blocks();
        let mut line = blocks.first_line();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while blocks.next_block(&mut buf, size).unwrap_or(false) {
            let mut rows = BlockRows::new(&buf, line, header, columns, cols - 1);
            loop {
                match rows.next_row() {
                    Ok(Some(row)) => out.push(Ok((
                        row.line_no,
                        row.raw().to_vec(),
                        (0..cols)
                            .map(|c| {
                                (
                                    row.get(Some(c)).map(str::to_string),
                                    row.bytes(Some(c)).to_vec(),
                                )
                            })
                            .collect(),
                    ))),
                    Ok(None) => break,
                    Err(e) => out.push(Err(e)),
                }
            }
            line = rows.line_no() + 1;
        }
        out
    }

    #[test]
    fn blocks_read_as_rows_do() {
        let mut text = String::from("#c\r\nHugo_Symbol\tHGVSp_Short\tStart_Position\r\n");
        for i in 0..500 {
            text.push_str(match i % 7 {
                0 => "BRAF\tp.V600E\t140453136\r\n",
                1 => "KRAS\tp.G12D\n",
                2 => "\r\n#x\tz\n\n",
                3 => "NA\tp.X\t1\n",
                4 => "TP53\tp.R213*\t12x\n",
                5 => " NRAS \t NA \t 115256529 \r\n",
                _ => "TERT\t\t\r\n",
            });
        }
        text.push_str("PTEN\tp.R130*\t5");
        for size in [1, 5, 64, 100, 1000, 1 << 20] {
            assert_eq!(
                by_blocks(text.as_bytes(), 3, size),
                by_rows(text.as_bytes(), 3),
                "{size}"
            );
        }
    }

    #[test]
    fn long_lines_and_many_fields_in_blocks() {
        let wide = (0..200)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join("\t");
        let mut text = format!("{wide}\tHugo_Symbol\tStart_Position\n");
        for i in 0..50 {
            let cells = (0..200)
                .map(|j| "x".repeat((i + j) % 9))
                .collect::<Vec<_>>()
                .join("\t");
            text.push_str(&format!("{cells}\tBRAF\t{i}\n"));
            if i % 10 == 0 {
                text.push_str(&format!("{cells}\tBRAF\n"));
            }
        }
        for size in [1, 63, 64, 65, 4096, 1 << 20] {
            for cols in [1, 150, 202] {
                assert_eq!(
                    by_blocks(text.as_bytes(), cols, size),
                    by_rows(text.as_bytes(), cols),
                    "{size} {cols}"
                );
            }
        }
    }

    fn cell() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"BRAF".to_vec()),
            Just(b"NA".to_vec()),
            Just(b"140453136".to_vec()),
            Just(b"12345678901234567890".to_vec()),
            Just(b"p.V600E".to_vec()),
            Just(Vec::new()),
            proptest::collection::vec(any::<u8>(), 0..20),
            proptest::collection::vec(
                prop_oneof![
                    Just(b'\t'),
                    Just(b'\r'),
                    Just(b'\n'),
                    Just(b' '),
                    Just(b'#'),
                    Just(b'A'),
                    Just(b'1'),
                    Just(0xff)
                ],
                0..6
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 500,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn blocks_read_as_rows_do_on_any_bytes(
            cells in proptest::collection::vec(cell(), 0..80),
            head in 0usize..3,
            size in 1usize..200,
        ) {
            let header = ["Hugo_Symbol\tX\tStart_Position\n", "Start_Position\tHugo_Symbol\n", "Hugo_Symbol\n"][head];
            let mut text = header.as_bytes().to_vec();
            for (i, c) in cells.iter().enumerate() {
                text.extend_from_slice(c);
                text.push([b'\t', b'\n', b'\t'][i % 3]);
            }
            prop_assert_eq!(by_blocks(&text, 3, size), by_rows(&text, 3));
        }
    }

    #[test]
    fn duplicate_read_columns_are_header_errors_and_a_bom_is_skipped() {
        for (head, name) in [
            ("Hugo_Symbol\tX\thugo_symbol\n", "Hugo_Symbol"),
            ("Hugo_Symbol\tHGVSp_Short\tHGVSP_SHORT\n", "HGVSp_Short"),
            (
                "Tumor_Sample_Barcode\tHugo_Symbol\ttumor_sample_barcode\n",
                "Tumor_Sample_Barcode",
            ),
        ] {
            let text = format!("{head}BRAF\tp.V600E\tS1\n");
            let e = MafReader::new(text.as_bytes()).err();
            assert!(
                e.as_ref()
                    .is_some_and(|e| e.line == 1 && e.message.contains(name)),
                "{head:?}: {e:?}"
            );
        }
        // Columns ATCPath does not read may repeat (cBioPortal's `*_wu` / `*_WU`).
        let text = "Hugo_Symbol\tSIFT_wu\tSIFT_WU\nBRAF\ta\tb\n";
        let Ok(mut r) = MafReader::new(text.as_bytes()) else {
            panic!("header")
        };
        assert!(r.next_row().is_ok_and(|r| r.is_some()));
        // A byte-order mark before the header, or before a comment before it.
        for text in [
            "\u{feff}Hugo_Symbol\tHGVSp_Short\nBRAF\tp.V600E\n",
            "\u{feff}#version 2.4\nHugo_Symbol\tHGVSp_Short\nBRAF\tp.V600E\n",
        ] {
            let Ok(r) = MafReader::new(text.as_bytes()) else {
                panic!("{text:?}")
            };
            assert_eq!((r.columns().gene, r.columns().hgvsp_short), (0, Some(1)));
            assert_eq!(r.header()[0], "Hugo_Symbol");
            assert_eq!(
                by_blocks(text.as_bytes(), 2, 7),
                by_rows(text.as_bytes(), 2)
            );
            assert_eq!(by_rows(text.as_bytes(), 2).len(), 1);
        }
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

    proptest! {
        /// Every knowledge-base gene with an invisible, look-alike or fullwidth character inserted
        /// anywhere is refused at its line, by the row reader and by the block reader alike.
        #[test]
        fn odd_characters_in_a_kb_symbol_are_refused_at_their_line(
            g in prop::sample::select(
                atcpath_kb::Kb::embedded().unwrap().known_genes().map(str::to_string).collect::<Vec<_>>()
            ),
            c in prop::sample::select(vec![
                '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{00AD}', '\u{FEFF}', 'А', 'Е',
                'К', 'О', 'Р', 'С', 'Т', 'Α', 'Β', 'Κ', 'Ν', 'Ρ', 'Ａ', 'Ｂ', '３',
            ]),
            at in 0usize..12,
        ) {
            let i = at.min(g.len());
            let gene = format!("{}{c}{}", &g[..i], &g[i..]);
            let text = format!("#c\nHugo_Symbol\tHGVSp_Short\nBRAF\tp.V600E\n{gene}\tp.V600E\n");
            let rows = by_rows(text.as_bytes(), 2);
            let refused = rows.iter().any(|r| matches!(r, Err(e) if e.line == 4 && e.message.contains("Hugo_Symbol")));
            prop_assert!(refused, "{gene:?}: {rows:?}");
            prop_assert_eq!(by_blocks(text.as_bytes(), 2, 7), rows);
        }
    }
}
