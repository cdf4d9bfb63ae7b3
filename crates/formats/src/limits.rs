//! Input limits, in one place: every line-oriented reader of the product (the readers of this
//! crate, the annotate block reader, `assess --molecular`, `survival`, cohort study folders)
//! refuses a line or a file beyond these, with the file and line, instead of growing without
//! bound (`/dev/zero` has no newline; a truncated or binary file may be one huge line).
//!
//! [`Bounded`] wraps any `BufRead` and enforces both limits as it is consumed, so a reader built
//! on `read_until` / `read_line` keeps constant memory whatever the input: at most one line of
//! [`MAX_LINE_BYTES`] plus one buffer is held before the error.

use std::io::{self, BufRead, Read};

/// Longest line accepted, in bytes (8 MiB). The longest legitimate lines are VCF records with
/// a VEP `CSQ` over many transcripts or wide copy-number rows with thousands of samples: tens to
/// hundreds of kilobytes.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Largest streamed file accepted, in bytes (64 GiB): several times a whole-cohort MAF or VCF.
/// Streaming readers hold one line at a time, so this bounds time, not memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024 * 1024;

/// Largest file read whole into memory, in bytes (256 MiB): survival tables, clinical result
/// files merged into a case, study metadata. A registry export of thousands of patients is a few
/// megabytes.
pub const MAX_WHOLE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The message of a line over [`MAX_LINE_BYTES`] (without file and line, which the caller adds).
pub fn line_too_long() -> String {
    format!(
        "line is longer than {MAX_LINE_BYTES} bytes (the limit for one line); is this a text file of the expected format?"
    )
}

/// The message of a file over `limit` bytes.
pub fn file_too_large(limit: u64) -> String {
    format!("file is larger than {limit} bytes (the limit for this kind of file)")
}

/// Whether a line (its end of line already removed) still holds a carriage return: CR-only
/// line endings (old Mac files) make a whole file one line, which would read as a header with no
/// rows, so every reader refuses such a header line instead of reading it.
pub fn holds_carriage_return(line: &[u8]) -> bool {
    memchr::memchr(b'\r', line).is_some()
}

/// The message for [`holds_carriage_return`].
pub fn carriage_return_message() -> String {
    "a carriage return (CR) inside the line: lines must end in LF or CRLF (CR-only line endings? \
     convert with `tr '\\r' '\\n'`)"
        .into()
}

/// Opens an input file for reading, refusing anything but a regular file (after symlinks): a
/// FIFO with no writer or a character device would block or read forever, a folder cannot be
/// read. The one way the CLI and the registry open an input file (`-` for standard input is the
/// caller's, where a command documents it).
///
/// # Errors
/// `io::ErrorKind::InvalidInput` "not a regular file (...)" naming what it is; the error of
/// `metadata` or `open` otherwise.
pub fn open_file(path: impl AsRef<std::path::Path>) -> io::Result<std::fs::File> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "a FIFO, socket or device"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file (it is {what}; reading it could wait forever)"),
        ));
    }
    std::fs::File::open(path)
}

/// A limit crossed: the error inside the `io::Error` a [`Bounded`] reader returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError(pub String);

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitError {}

/// Whether `e` is a limit of this module (not an I/O or encoding error).
pub fn is_limit(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|x| x.is::<LimitError>())
}

fn limit_error(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, LimitError(message))
}

/// A `BufRead` that fails (`io::ErrorKind::InvalidData`, message from [`line_too_long`] or
/// [`file_too_large`]) once a line exceeds `max_line` bytes or the input exceeds `max_file`
/// bytes. For `read_until` / `read_line` the limits are exact: a line of `max_line` bytes
/// (newline included) passes, one more byte is refused before it is handed out. A `Read`
/// consumer taking whole buffers (the annotate block reader) is checked at each refill, so it may
/// hold up to one inner buffer beyond the limit before the error.
#[derive(Debug)]
pub struct Bounded<R> {
    inner: R,
    max_line: usize,
    max_file: u64,
    /// Bytes consumed since the last newline.
    line: usize,
    /// Bytes consumed in all.
    total: u64,
}

impl<R: BufRead> Bounded<R> {
    /// Wraps `inner` with [`MAX_LINE_BYTES`] and [`MAX_FILE_BYTES`].
    pub fn new(inner: R) -> Self {
        Self::with_limits(inner, MAX_LINE_BYTES, MAX_FILE_BYTES)
    }

    /// Wraps `inner` with explicit limits (tests; files read whole use
    /// [`MAX_WHOLE_FILE_BYTES`]).
    pub fn with_limits(inner: R, max_line: usize, max_file: u64) -> Self {
        Self {
            inner,
            max_line,
            max_file,
            line: 0,
            total: 0,
        }
    }

    fn too_long(&self) -> io::Error {
        limit_error(if self.max_line == MAX_LINE_BYTES {
            line_too_long()
        } else {
            format!(
                "line is longer than {} bytes (the limit for one line)",
                self.max_line
            )
        })
    }
}

impl<R: BufRead> Read for Bounded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Bounded<R> {
    /// Refuses before handing out bytes that would take the current line past `max_line`
    /// (counting its newline) or the input past `max_file`: exact, whatever the buffer size,
    /// and the error comes in the call that reads the offending line.
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let (line, total, max_line, max_file) =
            (self.line, self.total, self.max_line, self.max_file);
        let upto = {
            let buf = self.inner.fill_buf()?;
            memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1)
        };
        if line.saturating_add(upto) > max_line {
            return Err(self.too_long());
        }
        if total.saturating_add(upto as u64) > max_file {
            return Err(limit_error(file_too_large(max_file)));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if amt > 0 {
            // The bytes being consumed are still in the inner buffer (fill_buf returned them).
            if let Ok(buf) = self.inner.fill_buf() {
                let seen = &buf[..amt.min(buf.len())];
                match memchr::memrchr(b'\n', seen) {
                    Some(i) => self.line = seen.len() - i - 1,
                    None => self.line = self.line.saturating_add(seen.len()),
                }
            }
            self.total = self.total.saturating_add(amt as u64);
        }
        self.inner.consume(amt);
    }
}

/// Reads all of `reader` (at most `limit` bytes, lines at most [`MAX_LINE_BYTES`]) into memory.
///
/// # Errors
/// The 1-based line where reading stopped and why: a limit ([`is_limit`]: the message of
/// [`file_too_large`] / [`line_too_long`]) or a read error.
pub fn read_whole<R: BufRead>(reader: R, limit: u64) -> Result<Vec<u8>, (usize, io::Error)> {
    let mut b = Bounded::with_limits(reader, MAX_LINE_BYTES, limit);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        line += 1;
        match b.read_until(b'\n', &mut buf) {
            Ok(0) => return Ok(out),
            Ok(_) => out.extend_from_slice(&buf),
            Err(e) => return Err((line, e)),
        }
    }
}

/// [`read_whole`] for a text file: the bytes must be UTF-8.
///
/// # Errors
/// As [`read_whole`]; text that is not UTF-8 is an `io::ErrorKind::InvalidData` error with the
/// 1-based line of the first invalid byte.
pub fn read_text<R: BufRead>(reader: R, limit: u64) -> Result<String, (usize, io::Error)> {
    let bytes = read_whole(reader, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let line = 1 + bytes[..bad].iter().filter(|b| **b == b'\n').count();
        (
            line,
            io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8 text"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_line_stops_at_the_limit_with_bounded_memory() {
        // /dev/zero in miniature: an endless stream without a newline.
        let endless = io::BufReader::with_capacity(1024, io::repeat(0));
        let mut b = Bounded::with_limits(endless, 10_000, u64::MAX);
        let mut line = Vec::new();
        let e = b.read_until(b'\n', &mut line).unwrap_err();
        assert!(e.to_string().contains("longer than 10000 bytes"), "{e}");
        assert!(is_limit(&e));
        assert!(line.len() <= 10_000 + 1024, "{}", line.len());
    }

    #[test]
    fn lines_under_the_limit_pass_and_the_count_restarts_at_each_newline() {
        let text = "a\tb\n".repeat(10_000);
        let mut b = Bounded::with_limits(io::BufReader::new(text.as_bytes()), 4, u64::MAX);
        let mut line = Vec::new();
        let mut n = 0;
        while b.read_until(b'\n', &mut line).unwrap() > 0 {
            n += 1;
            line.clear();
        }
        assert_eq!(n, 10_000);
    }

    proptest::proptest! {
        /// Any text whose lines fit is read back unchanged; any line over the limit is refused
        /// with the number of the first such line.
        #[test]
        fn bounded_reads_exactly_the_lines_that_fit(
            lines in proptest::collection::vec("[a-z\t]{0,40}", 0..40),
            limit in 1usize..40,
            cap in 1usize..16,
        ) {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let mut b = Bounded::with_limits(io::BufReader::with_capacity(cap, text.as_bytes()), limit, u64::MAX);
            let first_long = lines.iter().position(|l| l.len() + 1 > limit);
            let mut got = Vec::new();
            let mut buf = Vec::new();
            let mut n = 0;
            let outcome = loop {
                buf.clear();
                n += 1;
                match b.read_until(b'\n', &mut buf) {
                    Ok(0) => break None,
                    Ok(_) => got.extend_from_slice(&buf),
                    Err(e) => {
                        proptest::prop_assert!(is_limit(&e));
                        break Some(n - 1);
                    }
                }
            };
            match first_long {
                None => {
                    proptest::prop_assert_eq!(outcome, None);
                    proptest::prop_assert_eq!(got, text.as_bytes());
                }
                Some(i) => proptest::prop_assert_eq!(outcome, Some(i)),
            }
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_line() {
        let (line, e) = read_text(&b"ok\nstill ok\nbad \xff\n"[..], 100).unwrap_err();
        assert_eq!(line, 3);
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(read_text(&b"a\nb"[..], 100).unwrap(), "a\nb");
    }

    #[test]
    fn a_file_over_its_size_limit_is_refused() {
        let text = "ab\n".repeat(100);
        let (line, e) = read_whole(io::BufReader::new(text.as_bytes()), 30).unwrap_err();
        assert!(e.to_string().contains("larger than 30 bytes"), "{e}");
        assert!(is_limit(&e));
        // Ten lines of 3 bytes fill the 30 bytes exactly: line 11 is the first over the limit.
        assert_eq!(line, 11);
        assert_eq!(
            read_whole(io::BufReader::new(text.as_bytes()), 300).unwrap(),
            text.as_bytes()
        );
    }
}
