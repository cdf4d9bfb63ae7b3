//! The MAF part of `atcpath annotate`: streams the MAF and writes it back with the added
//! columns. Constant memory in the file's size.
//!
//! Speed: the file is cut into line-aligned blocks (`maf::Blocks`, 256 KiB) and each worker
//! thread (one per processor, at most `MAX_WORKERS`) in turn reads the next block, annotates it
//! and, once the blocks before it are written, writes it; so reading, annotating and the kernel's
//! copy of the output into the page cache (the largest single cost) overlap across processors,
//! and the output is in file order. Memory: one block and its output per worker.
//!
//! Rows are written back byte for byte (without their `\r`) with the added columns appended; the
//! added columns of a (gene, protein, coding, class, build, chromosome, position, alleles) key are
//! computed once
//! per worker and reused (at most `CACHE_MAX` keys per worker, a few hundred bytes each: the
//! cache is emptied when full), and a gene the knowledge base does not know gets them without
//! parsing.
//!
//! A row whose Variant_Classification contradicts its protein change (a non-coding or silent
//! class with a protein-changing HGVSp, or a synonymous change called missense) is a row error,
//! like a malformed row: checked with byte comparisons, a protein parsed only for the rare
//! non-coding class with a non-synonymous-looking change.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use atcpath_core::cells::is_missing;
use atcpath_core::genomics::{VariantClass, VariantQuery, annotate_variant, maf_protein};
use atcpath_core::hgvs::{Consequence, parse_coding};
use atcpath_formats::FormatError;
use atcpath_formats::maf::{BlockRows, Blocks, Columns, MafReader, Row};
use atcpath_kb::Kb;
use hashbrown::HashTable;
use rustc_hash::FxHashSet;

use super::{ADDED, Output, check_not_annotated};
use crate::{Fail, invalid, other};

/// Bytes of input per block.
const BLOCK: usize = 256 << 10;
/// Columns a cache key is made of: gene, HGVSp_Short, HGVSp, HGVSc, class, build, chromosome,
/// start, reference and alternate allele.
const KEY_COLUMNS: usize = 10;

/// Most keys kept per worker in the cache of added columns (a few hundred bytes each).
const CACHE_MAX: usize = 4096;
/// Most workers (the writer is serial; more would only add memory).
const MAX_WORKERS: usize = 8;

/// Annotates one MAF; returns the summary line(s) to print.
/// The output is added to `written`, to be moved into place when the whole run succeeded.
pub fn run(
    maf_path: &Path,
    out_path: &Path,
    skip_invalid: bool,
    kb: &Kb,
    written: &mut Vec<Output>,
) -> Result<String, Fail> {
    let shown = maf_path.display().to_string();
    let file = atcpath_formats::limits::open_file(maf_path)
        .map_err(|e| other(format!("{shown}: cannot read: {e}")))?;
    // A small buffer for the header: the blocks are then read straight into their own buffers.
    let maf = MafReader::new(std::io::BufReader::with_capacity(64 << 10, file))
        .map_err(|e| invalid(format!("{shown}: {e}")))?;
    check_not_annotated(&shown, maf.header(), &ADDED)?;
    let mut out = Output::create(out_path)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS));
    // Only an output that replaces a file is synced (see the module's documentation).
    let totals = if out.replaces() {
        with_early_writeback(out.file(), |w| {
            annotate(maf, w, skip_invalid, kb, BLOCK, workers)
        })
    } else {
        annotate(maf, out.file(), skip_invalid, kb, BLOCK, workers)
    }
    .map_err(|e| match e {
        Stop::Invalid(e) => invalid(format!(
            "{shown}: {e} (use --skip-invalid to skip and count such rows)"
        )),
        Stop::Write(e) => other(format!("{}: {e}", out_path.display())),
        Stop::Internal => other(format!("{shown}: internal error while annotating")),
    })?;
    let Totals {
        rows,
        actionable,
        skipped,
    } = totals;
    written.push(out);
    let mut summary = format!(
        "{rows} rows annotated, {actionable} with a therapeutic level; written to {}\n",
        out_path.display()
    );
    if skipped > 0 {
        summary.push_str(&format!("{skipped} malformed rows skipped\n"));
        eprintln!("warning: {skipped} malformed rows skipped in {shown}");
    }
    Ok(summary)
}

/// Output bytes between two early writebacks (see [`with_early_writeback`]).
const WRITEBACK: u64 = 16 << 20;

/// Runs `f` writing to `file` through a writer that, every [`WRITEBACK`] bytes, has a helper
/// thread write the file's data so far to disk (`File::sync_data` on a second handle) while
/// annotation goes on: the output is synced before it is moved into place (`commit_all`), and
/// that final sync then only has the last few megabytes left instead of the whole file, on the
/// critical path after the workers. An error of an early sync fails the run as a write error (a
/// sync reports an error once per open file: it must not be lost before the final sync).
fn with_early_writeback<T>(
    file: &mut std::fs::File,
    f: impl FnOnce(&mut EarlyWriteback<'_>) -> Result<T, Stop>,
) -> Result<T, Stop> {
    let Ok(clone) = file.try_clone() else {
        // No second handle: the final sync does it all.
        let (tx, _) = std::sync::mpsc::channel();
        return f(&mut EarlyWriteback::new(file, tx));
    };
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let syncer = s.spawn(move || -> std::io::Result<()> {
            while rx.recv().is_ok() {
                // Requests that came meanwhile are covered by this sync.
                while rx.try_recv().is_ok() {}
                clone.sync_data()?;
            }
            Ok(())
        });
        let r = f(&mut EarlyWriteback::new(file, tx));
        // The writer (and its sender) is gone: the helper ends after its current sync.
        let synced = syncer.join().map_err(|_| Stop::Internal)?;
        let t = r?;
        synced.map_err(Stop::Write)?;
        Ok(t)
    })
}

/// The output file, asking for an early writeback every [`WRITEBACK`] bytes.
struct EarlyWriteback<'f> {
    file: &'f mut std::fs::File,
    written: u64,
    next: u64,
    tx: std::sync::mpsc::Sender<()>,
}

impl<'f> EarlyWriteback<'f> {
    fn new(file: &'f mut std::fs::File, tx: std::sync::mpsc::Sender<()>) -> Self {
        EarlyWriteback {
            file,
            written: 0,
            next: WRITEBACK,
            tx,
        }
    }

    fn wrote(&mut self, n: usize) {
        self.written += n as u64;
        if self.written >= self.next {
            self.next = self.written + WRITEBACK;
            // No helper (or it stopped on an error, reported when it is joined): nothing to do.
            let _ = self.tx.send(());
        }
    }
}

impl Write for EarlyWriteback<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.wrote(n);
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.file.write_all(buf)?;
        self.wrote(buf.len());
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Why annotation stopped.
#[derive(Debug)]
enum Stop {
    /// A malformed row (without `--skip-invalid`) or a read error, with its line.
    Invalid(FormatError),
    Write(std::io::Error),
    /// A thread panicked (a bug).
    Internal,
}

/// Counts over the file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Totals {
    rows: usize,
    actionable: usize,
    skipped: usize,
}

/// What stays the same for every row: the knowledge base, the columns, the suffix of unknown genes.
struct Annotator<'k> {
    kb: &'k Kb,
    known: FxHashSet<&'k [u8]>,
    unknown_suffix: Vec<u8>,
    version: &'k str,
    columns: Columns,
    header: usize,
    /// The columns the added columns depend on, as runs of adjacent columns (`first..=last`,
    /// the first `nruns` of them): a cache key is the runs' raw bytes.
    runs: [(usize, usize); KEY_COLUMNS],
    nruns: usize,
    /// The last of them (rows are split up to it).
    last: usize,
    /// A quick filter of `known`: bit [`filter_bit`] of every known gene.
    filter: [u64; 64],
}

/// A bit of [`Annotator::filter`] for a gene symbol (from its length and first and last bytes).
fn filter_bit(gene: &[u8]) -> usize {
    let (first, last) = (gene.first(), gene.last());
    let h = (gene.len() as u32).wrapping_mul(0x9E37_79B1)
        ^ u32::from(*first.unwrap_or(&0)).wrapping_mul(0x85EB_CA77)
        ^ u32::from(*last.unwrap_or(&0)).wrapping_mul(0xC2B2_AE3D);
    (h >> 20) as usize
}

impl<'k> Annotator<'k> {
    fn new(kb: &'k Kb, columns: Columns, header: usize) -> Self {
        let c = columns;
        let used = [
            Some(c.gene),
            c.hgvsp_short,
            c.hgvsp,
            c.hgvsc,
            c.classification,
            c.build,
            c.chromosome,
            c.start,
            c.reference,
            c.alt,
        ];
        let version = kb.meta.version.as_str();
        let mut cols: Vec<usize> = used.iter().flatten().copied().collect();
        cols.sort_unstable();
        cols.dedup();
        let mut runs = [(0, 0); KEY_COLUMNS];
        let mut nruns = 0;
        for c in cols {
            if nruns > 0 && runs[nruns - 1].1 + 1 == c {
                runs[nruns - 1].1 = c;
            } else {
                runs[nruns] = (c, c);
                nruns += 1;
            }
        }
        let known: FxHashSet<&[u8]> = kb
            .actionability
            .iter()
            .flat_map(|x| x.genes())
            .map(str::as_bytes)
            .collect();
        let mut filter = [0u64; 64];
        for g in &known {
            let b = filter_bit(g);
            filter[b / 64] |= 1 << (b % 64);
        }
        Annotator {
            kb,
            known,
            unknown_suffix: format!("\tUnknown\t\t\t\t\t\t\t\t\t{version}\n").into_bytes(),
            version,
            columns,
            header,
            runs,
            nruns,
            last: used.iter().flatten().copied().max().unwrap_or(0),
            filter,
        }
    }

    /// `false` when `gene` is surely not known (true for any known gene).
    #[inline]
    fn may_know(&self, gene: &[u8]) -> bool {
        let b = filter_bit(gene);
        self.filter[b / 64] >> (b % 64) & 1 != 0
    }

    /// Why the row's Variant_Classification contradicts its protein change, if it does.
    #[inline]
    fn contradiction(&self, row: &Row<'_>) -> Option<String> {
        let c = &self.columns;
        let class = row.bytes(c.classification);
        let missense = class.eq_ignore_ascii_case(b"Missense_Mutation");
        if !missense && !NON_CODING.iter().any(|n| class.eq_ignore_ascii_case(n)) {
            return None;
        }
        let mut protein = row.bytes(c.hgvsp_short);
        if protein.is_empty() {
            protein = row.bytes(c.hgvsp);
        }
        quick_contradiction(class, protein, missense)
    }

    /// The added columns of a row of a known gene (with the end of line), and whether it has a
    /// therapeutic level.
    fn suffix(&self, row: &Row<'_>) -> (Vec<u8>, bool) {
        let c = &self.columns;
        let gene = row.get(Some(c.gene)).unwrap_or_default();
        let coding = coding(row.get(c.hgvsc));
        let protein = row
            .get(c.hgvsp_short)
            .and_then(maf_protein)
            .or_else(|| row.get(c.hgvsp).and_then(maf_protein))
            .or_else(|| {
                coding
                    .as_ref()
                    .and_then(|x| protein_from_coding(self.kb, gene, x))
            });
        let q = VariantQuery {
            gene,
            protein,
            coding,
            class: row.get(c.classification).map(VariantClass::from_maf),
            build: row.get(c.build),
            chromosome: row.get(c.chromosome),
            position: row.get(c.start).and_then(|p| p.parse().ok()),
            alleles: row.get(c.reference).zip(row.get(c.alt)),
        };
        let ann = annotate_variant(self.kb, &q);
        let mut cols = vec![
            String::new(),
            ann.oncogenic.clone(),
            ann.highest_level.clone().unwrap_or_default(),
        ];
        for lv in ["1", "2", "3A", "3B", "4", "R1"] {
            cols.push(ann.levels.get(lv).map(|d| d.join(",")).unwrap_or_default());
        }
        cols.push(
            ann.options
                .iter()
                .map(|o| o.id())
                .collect::<Vec<_>>()
                .join(","),
        );
        cols.push(format!("{}\n", self.version));
        (cols.join("\t").into_bytes(), ann.highest_level.is_some())
    }
}

/// Classes that change no protein: a non-synonymous protein change contradicts them.
const NON_CODING: [&[u8]; 6] = [b"Silent", b"Intron", b"3'UTR", b"5'UTR", b"IGR", b"RNA"];

/// An HGVSc cell's coding change (a `transcript:` prefix removed); `None` when it does not parse.
pub(super) fn coding(cell: Option<&str>) -> Option<atcpath_core::hgvs::CodingChange> {
    let c = cell?;
    parse_coding(c.rsplit_once(':').map_or(c, |(_, c)| c)).ok()
}

/// The protein change a coding change makes inside one of the knowledge base's hotspot codons
/// of `gene` (`atcpath_core::genomics::reconcile`, as `assess` does), for a row without a
/// protein change.
pub(super) fn protein_from_coding(
    kb: &Kb,
    gene: &str,
    coding: &atcpath_core::hgvs::CodingChange,
) -> Option<atcpath_core::hgvs::ProteinChange> {
    atcpath_core::genomics::reconcile(kb, gene, None, Some(coding))
        .ok()
        .flatten()
}

/// Whether a protein change written `p.V600V`, `p.Val600Val`, `p.V600=` (with or without `p.`
/// and parentheses) is synonymous, from its bytes (no allocation).
#[inline]
fn looks_synonymous(p: &[u8]) -> bool {
    let p = p.strip_prefix(b"p.").unwrap_or(p);
    let p = p.strip_prefix(b"(").unwrap_or(p);
    let p = p.strip_suffix(b")").unwrap_or(p);
    if p.ends_with(b"=") {
        return true;
    }
    let head = p.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let digits = p[head..].iter().take_while(|b| b.is_ascii_digit()).count();
    head > 0 && digits > 0 && p[head + digits..] == p[..head]
}

/// Why a Variant_Classification (`class`: missense, or one of [`NON_CODING`]) contradicts the
/// protein change `protein`, if it does. An empty or unparsable protein change contradicts
/// nothing.
pub(super) fn contradiction(class: &[u8], protein: &[u8], missense: bool) -> Option<String> {
    let text = std::str::from_utf8(protein).ok()?.trim();
    if text.is_empty() || is_missing(text) {
        return None;
    }
    let wrong = if looks_synonymous(text.as_bytes()) {
        missense
    } else {
        !missense && maf_protein(text).is_some_and(|p| p.consequence != Consequence::Synonymous)
    };
    wrong.then(|| {
        format!(
            "Variant_Classification {} contradicts {text}",
            String::from_utf8_lossy(class)
        )
    })
}

/// [`contradiction`] for a protein change already trimmed of ASCII white space (`Row::bytes`),
/// with the common answers found from its bytes: an ASCII change that does not look synonymous
/// contradicts no missense class, and one that does contradicts no non-coding class (the text
/// [`contradiction`] would read is then these very bytes: `str::trim` only removes `\x0B` more
/// from ASCII). The other cases, and any non-ASCII change, go to [`contradiction`].
#[inline]
fn quick_contradiction(class: &[u8], protein: &[u8], missense: bool) -> Option<String> {
    if protein.is_ascii()
        && protein.first() != Some(&0x0B)
        && protein.last() != Some(&0x0B)
        && looks_synonymous(protein) != missense
    {
        return None;
    }
    contradiction(class, protein, missense)
}

/// Whether a class is one whose protein change is checked (see [`contradiction`]).
pub(super) fn checked_class(class: &str) -> Option<bool> {
    let b = class.trim().as_bytes();
    if b.eq_ignore_ascii_case(b"Missense_Mutation") {
        Some(true)
    } else {
        NON_CODING
            .iter()
            .any(|n| b.eq_ignore_ascii_case(n))
            .then_some(false)
    }
}

/// One worker's state: its cache of added columns.
struct Worker<'a, 'k> {
    ann: &'a Annotator<'k>,
    cache: HashTable<Cached>,
}

/// The added columns of one key: the raw bytes of the runs of columns they depend on (not
/// trimmed: a key that differs only by spaces is computed again, with the same result).
struct Cached {
    hash: u64,
    /// The runs' lengths, and their bytes one after the other.
    lens: [usize; KEY_COLUMNS],
    key: Box<[u8]>,
    suffix: Box<[u8]>,
    /// `suffix` padded with zeros to `PAD` bytes (when not longer).
    padded: [u8; PAD],
    hit: bool,
}

impl Cached {
    /// A hash of the spans from their lengths and first and last 16 bytes: fixed work per span,
    /// without a loop over the bytes (whose varying length the processor would mispredict) nor a
    /// chain of dependent multiplications. Keys that differ only inside share a hash, and
    /// [`Cached::is`] still tells them apart.
    #[inline]
    fn hash(spans: &[&[u8]]) -> u64 {
        // The 128-bit product folded to 64 bits (as foldhash and wyhash mix).
        let mix = |a: u64, b: u64| {
            let p = u128::from(a) * u128::from(b);
            (p as u64) ^ ((p >> 64) as u64)
        };
        // Each span is mixed on its own (with its place in the key) and the results summed:
        // the multiplications do not wait for each other.
        let mut h: u64 = 0x243F_6A88_85A3_08D3;
        let mut seed: u64 = 0x4528_21E6_38D0_1377;
        for s in spans {
            let (a, b) = words(s);
            h = h.wrapping_add(mix(a ^ seed ^ s.len() as u64, b ^ 0x1319_8A2E_0370_7344));
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        }
        mix(h, 0xA409_3822_299F_31D0)
    }

    #[inline]
    fn is(&self, spans: &[&[u8]]) -> bool {
        let mut at = 0;
        for (s, &n) in spans.iter().zip(&self.lens) {
            if s.len() != n || !self.key.get(at..at + n).is_some_and(|k| same(k, s)) {
                return false;
            }
            at += n;
        }
        true
    }

    /// Appends the added columns to `out`.
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        let n = self.suffix.len();
        if n <= PAD {
            // A copy of a fixed length (inline, without branches), then the length cut back.
            let at = out.len();
            out.extend_from_slice(&self.padded);
            out.truncate(at + n);
        } else {
            out.extend_from_slice(&self.suffix);
        }
    }
}

/// Two words of a span from its first and last 16 bytes (every byte of a span of at most 16),
/// with fixed work (no loop over the bytes, no variable-length copy through memory).
#[inline]
fn words(s: &[u8]) -> (u64, u64) {
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
    let half = |b: &[u8]| u64::from(u32::from_le_bytes(b.try_into().unwrap_or_default()));
    let n = s.len();
    if n >= 16 {
        (
            word(&s[..8]) ^ word(&s[n - 16..n - 8]).rotate_left(29),
            word(&s[8..16]) ^ word(&s[n - 8..]).rotate_left(29),
        )
    } else if n >= 8 {
        (word(&s[..8]), word(&s[n - 8..]))
    } else if n >= 4 {
        // Two overlapping 4-byte reads.
        (half(&s[..4]), half(&s[n - 4..]))
    } else if n > 0 {
        // 1 to 3 bytes (an allele): the first, middle and last.
        (
            u64::from(s[0]) | u64::from(s[n / 2]) << 8 | u64::from(s[n - 1]) << 16,
            0,
        )
    } else {
        (0, 0)
    }
}

/// `a == b`, inline for spans of fewer than 16 bytes (of the same length, [`words`] then holds
/// every byte in place).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() >= 16 {
        return a == b;
    }
    words(a) == words(b)
}

/// Added columns of at most this length are kept padded to it, for a fixed-length copy.
const PAD: usize = 128;

/// What a worker made of one block.
struct Done {
    input: Vec<u8>,
    output: Vec<u8>,
    /// Lines in the block.
    lines: usize,
    totals: Totals,
    /// The first malformed row (without `--skip-invalid`; the output stops before it), its line
    /// counted from 1 at the block's first line.
    error: Option<FormatError>,
}

impl<'a, 'k> Worker<'a, 'k> {
    fn new(ann: &'a Annotator<'k>) -> Self {
        Worker {
            ann,
            cache: HashTable::new(),
        }
    }

    /// Annotates the block `input` into `output` (cleared first).
    fn block(&mut self, input: Vec<u8>, mut output: Vec<u8>, skip_invalid: bool) -> Done {
        let a = self.ann;
        output.clear();
        output.reserve(input.len() + input.len() / 2);
        let mut totals = Totals::default();
        let mut error = None;
        let mut rows = BlockRows::new(&input, 1, a.header, a.columns, a.last);
        loop {
            let row = match rows.next_row() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(_) if skip_invalid => {
                    totals.skipped += 1;
                    continue;
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            };
            let gene = row.bytes(Some(a.columns.gene));
            // The key of a gene that may be known, and its hash.
            let mut spans: [&[u8]; KEY_COLUMNS] = [&[]; KEY_COLUMNS];
            let mut hash = None;
            if a.may_know(gene) {
                for (s, &(first, last)) in spans.iter_mut().zip(&a.runs[..a.nruns]) {
                    *s = row.span(first, last);
                }
                let spans = &spans[..a.nruns];
                let h = Cached::hash(spans);
                // A cached key is one of a row without a contradiction (the key holds the
                // class and protein columns): a hit needs no check.
                if let Some(cached) = self.cache.find(h, |c| c.is(spans)) {
                    totals.rows += 1;
                    output.extend_from_slice(row.raw());
                    totals.actionable += usize::from(cached.hit);
                    cached.write(&mut output);
                    continue;
                }
                hash = Some(h);
            }
            if let Some(message) = a.contradiction(&row) {
                if skip_invalid {
                    totals.skipped += 1;
                    continue;
                }
                error = Some(FormatError {
                    line: row.line_no,
                    message,
                });
                break;
            }
            totals.rows += 1;
            output.extend_from_slice(row.raw());
            // Only rows of known genes are cached: a hit needs no look-up of the gene.
            let Some(hash) = hash.filter(|_| a.known.contains(gene)) else {
                output.extend_from_slice(&a.unknown_suffix);
                continue;
            };
            let spans = &spans[..a.nruns];
            if self.cache.len() >= CACHE_MAX {
                self.cache.clear();
            }
            let (suffix, hit) = a.suffix(&row);
            let mut lens = [0; KEY_COLUMNS];
            for (n, s) in lens.iter_mut().zip(spans) {
                *n = s.len();
            }
            let mut padded = [0; PAD];
            if let Some(p) = padded.get_mut(..suffix.len()) {
                p.copy_from_slice(&suffix);
            }
            let cached = Cached {
                hash,
                lens,
                key: spans.concat().into(),
                suffix: suffix.into(),
                padded,
                hit,
            };
            totals.actionable += usize::from(cached.hit);
            cached.write(&mut output);
            self.cache.insert_unique(hash, cached, |c| c.hash);
        }
        let lines = rows.line_no();
        Done {
            input,
            output,
            lines,
            totals,
            error,
        }
    }
}

/// The file's blocks, read in turn by the workers.
struct Source<R> {
    blocks: Blocks<atcpath_formats::limits::Bounded<R>>,
    /// The number of the next block.
    next: usize,
}

/// The output, written in turn: block `next` is the next to be written.
struct Sink<'w, W> {
    out: &'w mut W,
    next: usize,
    /// The line number of block `next`'s first line.
    line: usize,
    totals: Totals,
    /// Why the run stopped (an error), when it did: the workers then stop.
    stop: Option<Stop>,
}

/// What the workers share.
struct Shared<'a, 'k, 'w, R, W> {
    ann: &'a Annotator<'k>,
    source: Mutex<Source<R>>,
    sink: Mutex<Sink<'w, W>>,
    /// Signalled when a block has been written (or the run stopped).
    turn: Condvar,
    /// Set with `Sink::stop`, read without the lock.
    stopped: AtomicBool,
    skip_invalid: bool,
    block: usize,
}

/// Annotates the data rows of `maf` into `out` (the header line first) with `workers` threads
/// (the calling one included) and blocks of about `block` bytes; the output does not depend on
/// either. On a malformed row (without `skip_invalid`) or a read error, everything before it is
/// written.
///
/// Each worker in turn reads the next block (under a lock, so blocks are numbered in file order),
/// annotates it, waits until the blocks before it are written, and writes it: reading, annotating
/// and the kernel's copy of the output overlap across workers, and each block stays in the cache
/// of the processor that reads, annotates and writes it. Memory: one input block and its output
/// per worker.
fn annotate<R: BufRead + Send, W: Write + Send>(
    maf: MafReader<R>,
    out: &mut W,
    skip_invalid: bool,
    kb: &Kb,
    block: usize,
    workers: usize,
) -> Result<Totals, Stop> {
    let mut head = maf.header().to_vec();
    head.extend(ADDED.iter().map(|s| s.to_string()));
    let mut line = head.join("\t");
    line.push('\n');
    out.write_all(line.as_bytes()).map_err(Stop::Write)?;
    let ann = Annotator::new(kb, maf.columns(), maf.header().len());
    let blocks = maf.into_blocks();
    let first_line = blocks.first_line();
    let shared = Shared {
        ann: &ann,
        source: Mutex::new(Source { blocks, next: 0 }),
        sink: Mutex::new(Sink {
            out,
            next: 0,
            line: first_line,
            totals: Totals::default(),
            stop: None,
        }),
        turn: Condvar::new(),
        stopped: AtomicBool::new(false),
        skip_invalid,
        block: block.max(1),
    };
    let panicked = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers.max(1))
            .map(|_| s.spawn(|| work(&shared)))
            .collect();
        work(&shared);
        // Join every thread (a panic is reported here, not re-raised by the scope).
        handles.into_iter().filter_map(|h| h.join().err()).count() > 0
    });
    let sink = shared
        .sink
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    match sink.stop {
        _ if panicked => Err(Stop::Internal),
        Some(stop) => Err(stop),
        None => Ok(sink.totals),
    }
}

/// Stops the run if its thread unwinds (a bug), so that no worker waits for a turn forever.
struct StopOnPanic<'s, 'a, 'k, 'w, R, W>(&'s Shared<'a, 'k, 'w, R, W>);

impl<R, W> Drop for StopOnPanic<'_, '_, '_, '_, R, W> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut sink = self.0.sink.lock().unwrap_or_else(PoisonError::into_inner);
            sink.stop.get_or_insert(Stop::Internal);
            self.0.stopped.store(true, Ordering::Relaxed);
            drop(sink);
            self.0.turn.notify_all();
        }
    }
}

/// One worker: reads, annotates and writes blocks until the end of the file or a stop.
fn work<R: BufRead, W: Write>(sh: &Shared<'_, '_, '_, R, W>) {
    let _guard = StopOnPanic(sh);
    let mut worker = Worker::new(sh.ann);
    let (mut input, mut output) = (Vec::new(), Vec::new());
    while !sh.stopped.load(Ordering::Relaxed) {
        let (seq, read) = {
            let mut source = sh.source.lock().unwrap_or_else(PoisonError::into_inner);
            let read = source.blocks.next_block(&mut input, sh.block);
            let seq = source.next;
            if !matches!(read, Ok(false)) {
                source.next += 1;
            }
            (seq, read)
        };
        let done = match read {
            Ok(false) => return,
            Ok(true) => Ok(worker.block(input, output, sh.skip_invalid)),
            Err(e) => Err(e),
        };
        let mut sink = sh.sink.lock().unwrap_or_else(PoisonError::into_inner);
        while sink.next != seq && sink.stop.is_none() {
            sink = sh.turn.wait(sink).unwrap_or_else(PoisonError::into_inner);
        }
        if sink.stop.is_some() {
            return;
        }
        let line = sink.line;
        match done {
            Err(e) => {
                sink.stop = Some(Stop::Invalid(FormatError {
                    line,
                    message: e.to_string(),
                }));
                // Buffers are not needed any more.
                (input, output) = (Vec::new(), Vec::new());
            }
            Ok(done) => {
                if let Err(e) = sink.out.write_all(&done.output) {
                    sink.stop = Some(Stop::Write(e));
                }
                let t = &mut sink.totals;
                t.rows += done.totals.rows;
                t.actionable += done.totals.actionable;
                t.skipped += done.totals.skipped;
                if let Some(e) = done.error {
                    sink.stop.get_or_insert(Stop::Invalid(FormatError {
                        line: line + e.line - 1,
                        message: e.message,
                    }));
                }
                sink.line += done.lines;
                (input, output) = (done.input, done.output);
            }
        }
        sink.next += 1;
        if sink.stop.is_some() {
            sh.stopped.store(true, Ordering::Relaxed);
        }
        drop(sink);
        sh.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kb() -> &'static Kb {
        static KB: std::sync::OnceLock<Kb> = std::sync::OnceLock::new();
        KB.get_or_init(|| Kb::embedded().expect("embedded KB"))
    }

    /// The row-at-a-time implementation this module replaced (`MafReader::next_row`), as the
    /// reference: output bytes, and the counts or the first malformed row.
    fn reference(input: &[u8], skip_invalid: bool) -> (Vec<u8>, Result<Totals, FormatError>) {
        let kb = kb();
        let mut w = Vec::new();
        let Ok(mut maf) = MafReader::new(input) else {
            return (
                w,
                Err(FormatError {
                    line: 0,
                    message: "header".into(),
                }),
            );
        };
        let c = maf.columns();
        let mut head = maf.header().to_vec();
        head.extend(ADDED.iter().map(|s| s.to_string()));
        w.extend_from_slice(head.join("\t").as_bytes());
        w.push(b'\n');
        let ann = Annotator::new(kb, c, maf.header().len());
        let mut t = Totals::default();
        loop {
            let row = match maf.next_row() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(_) if skip_invalid => {
                    t.skipped += 1;
                    continue;
                }
                Err(e) => return (w, Err(e)),
            };
            // The check as written (`contradiction`, without the quick answers).
            let class = row.bytes(c.classification);
            let missense = class.eq_ignore_ascii_case(b"Missense_Mutation");
            let mut protein = row.bytes(c.hgvsp_short);
            if protein.is_empty() {
                protein = row.bytes(c.hgvsp);
            }
            let checked = missense || NON_CODING.iter().any(|n| class.eq_ignore_ascii_case(n));
            if let Some(message) = checked
                .then(|| contradiction(class, protein, missense))
                .flatten()
            {
                if skip_invalid {
                    t.skipped += 1;
                    continue;
                }
                return (
                    w,
                    Err(FormatError {
                        line: row.line_no,
                        message,
                    }),
                );
            }
            t.rows += 1;
            w.extend_from_slice(row.raw());
            if !ann.known.contains(row.bytes(Some(c.gene))) {
                w.extend_from_slice(&ann.unknown_suffix);
                continue;
            }
            let (suffix, hit) = ann.suffix(&row);
            t.actionable += usize::from(hit);
            w.extend_from_slice(&suffix);
        }
        (w, Ok(t))
    }

    fn parallel(
        input: &[u8],
        skip_invalid: bool,
        block: usize,
        workers: usize,
    ) -> (Vec<u8>, Result<Totals, FormatError>) {
        let mut w = Vec::new();
        let Ok(maf) = MafReader::new(input) else {
            return (
                w,
                Err(FormatError {
                    line: 0,
                    message: "header".into(),
                }),
            );
        };
        let r = annotate(maf, &mut w, skip_invalid, kb(), block, workers);
        let r = r.map_err(|e| match e {
            Stop::Invalid(e) => e,
            e => panic!("{e:?}"),
        });
        (w, r)
    }

    const HEADER: &str = "NCBI_Build\tHugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tHGVSp\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2";

    fn row(i: usize) -> String {
        let (g, p, pos) = [
            ("BRAF", "p.V600E", "140453136"),
            ("NRAS", "p.Q61R", "115256529"),
            ("TP53", "p.R213*", "7578212"),
            ("TTN", "p.A123T", "179400000"),
            ("PIK3CA", "p.H1047R", "178952085"),
        ][i % 5];
        format!("GRCh37\t{g}\tMissense_Mutation\tS{i}\t{p}\t\t7\t{pos}\tA\tT")
    }

    fn file(rows: usize, bad: &[usize]) -> String {
        let mut s = format!("#version 2.4\n{HEADER}\n");
        for i in 0..rows {
            if bad.contains(&i) {
                s.push_str(&row(i).replacen("\tA\tT", "\tA", 1));
            } else {
                s.push_str(&row(i));
            }
            s.push('\n');
        }
        s
    }

    #[test]
    fn malformed_row_in_a_later_block_has_its_file_line() {
        // Rows 700 and 900 (lines 703 and 903) fall in later blocks of 1 KiB.
        let text = file(1000, &[700, 900]);
        for workers in [1, 2, 3] {
            let (out, r) = parallel(text.as_bytes(), false, 1024, workers);
            let e = r.clone().expect_err("malformed");
            assert_eq!(e.line, 703);
            assert_eq!(e.message, "9 fields where the header has 10");
            // Everything before the malformed row is written, as the reference does.
            let (want, w) = reference(text.as_bytes(), false);
            assert_eq!(r, w);
            assert!(out == want);
            let (out, r) = parallel(text.as_bytes(), true, 1024, workers);
            assert_eq!(r.map(|t| (t.rows, t.skipped)), Ok((998, 2)));
            assert_eq!(out, reference(text.as_bytes(), true).0);
        }
    }

    #[test]
    fn rows_straddling_blocks_and_long_lines() {
        let mut text = file(300, &[]);
        text.push_str(&format!(
            "GRCh37\tBRAF\tMissense_Mutation\t{}\tp.V600E\t\t7\t140453136\tA\tT\r\n",
            "x".repeat(5000)
        ));
        text.push_str("\r\n#c\n\n");
        text.push_str(&row(3));
        for block in [1, 7, 64, 100, 1000, 4096, 1 << 20] {
            for workers in [1, 2, 4] {
                let (out, r) = parallel(text.as_bytes(), false, block, workers);
                let (want, w) = reference(text.as_bytes(), false);
                assert_eq!(r, w, "block {block}");
                assert!(out == want, "block {block}, workers {workers}");
            }
        }
    }

    #[test]
    fn cache_bound_keeps_the_output() {
        // More distinct known-gene keys than the cache holds.
        let mut text = format!("{HEADER}\n");
        for i in 0..(CACHE_MAX * 2 + 10) {
            text.push_str(&format!(
                "GRCh37\tBRAF\tMissense_Mutation\tS\tp.V600E\t\t7\t{}\tA\tT\n",
                i % (CACHE_MAX + 5)
            ));
        }
        let (out, r) = parallel(text.as_bytes(), false, 1 << 20, 1);
        let (want, w) = reference(text.as_bytes(), false);
        assert_eq!(r, w);
        assert!(out == want);
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("BRAF".to_string()),
            Just("NRAS".to_string()),
            Just("TP53".to_string()),
            Just("KRAS".to_string()),
            Just(" BRAF ".to_string()),
            Just("p.V600E".to_string()),
            Just("V600E".to_string()),
            Just("p.Q61R".to_string()),
            Just("NA".to_string()),
            Just("".to_string()),
            Just("140453136".to_string()),
            Just("12x".to_string()),
            Just("GRCh38".to_string()),
            Just("Nonsense_Mutation".to_string()),
            Just("Missense_Mutation".to_string()),
            Just("silent".to_string()),
            Just("p.V600V".to_string()),
            Just("p.V600=".to_string()),
            Just("\u{b}V600V ".to_string()),
            Just("p.V600E\u{a0}".to_string()),
            "[ -~]{0,6}",
        ]
    }

    fn line(cols: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            8 => proptest::collection::vec(cell(), cols..=cols).prop_map(|v| v.join("\t")),
            1 => proptest::collection::vec(cell(), 1..cols + 3).prop_map(|v| v.join("\t")),
            1 => prop_oneof![Just(String::new()), Just("#c".to_string()), Just("\r".to_string())],
        ]
    }

    #[test]
    fn same_is_eq() {
        let bytes: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 0..bytes.len() {
            let a = &bytes[..n];
            assert!(same(a, a));
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 1;
                assert!(!same(a, &b), "{n} {i}");
            }
            assert!(!same(a, &bytes[..(n + 1).min(bytes.len())]) || n == bytes.len());
        }
        // A word equal to its rotation (all ones) and zero: told apart.
        assert!(!same(&[0xFF; 16], &[0; 16]));
    }

    #[test]
    fn quick_contradiction_is_contradiction() {
        let proteins = [
            "",
            "NA",
            "[Not Available]",
            "p.V600E",
            "V600E",
            "p.V600V",
            "p.Val600Val",
            "p.V600=",
            "(p.V600=)",
            "p.=",
            "V600V\u{b}",
            "\u{b}p.V600V",
            "\u{b}p.V600E",
            "p.V600V\u{a0}",
            "\u{3000}p.V600E",
            "p.V600E\u{85}",
            "p.R213*",
            "p.K123fs",
            "p.S100=",
            "600",
            "VV",
            "p.V600E\u{1c}",
            "\u{1f}p.V600V",
        ];
        for class in ["Missense_Mutation", "Silent", "intron", "RNA"] {
            let missense = class.eq_ignore_ascii_case("Missense_Mutation");
            for p in proteins {
                let b = p.as_bytes().trim_ascii();
                assert_eq!(
                    quick_contradiction(class.as_bytes(), b, missense),
                    contradiction(class.as_bytes(), b, missense),
                    "{class} {p:?}"
                );
            }
            let mut bad = b"p.V600V".to_vec();
            bad.push(0xFF);
            assert_eq!(
                quick_contradiction(class.as_bytes(), &bad, missense),
                contradiction(class.as_bytes(), &bad, missense)
            );
        }
    }

    /// `annotate`'s byte-level check is the one rule of `genomics::class_contradiction`
    /// (applied by `assess`, `molecular.files` and `cohort`) for every protein change both read.
    #[test]
    fn contradiction_is_the_core_rule() {
        for class in [
            "Missense_Mutation",
            "Silent",
            "Intron",
            "3'UTR",
            "5'UTR",
            "IGR",
            "RNA",
        ] {
            let missense = class == "Missense_Mutation";
            for p in [
                "p.V600E",
                "V600E",
                "p.Val600Glu",
                "p.V600V",
                "p.Val600Val",
                "p.V600=",
                "p.R213*",
                "p.K123fs",
                "p.S100=",
            ] {
                let core = atcpath_core::genomics::maf_protein(p).and_then(|pc| {
                    atcpath_core::genomics::class_contradiction(VariantClass::from_maf(class), &pc)
                });
                assert_eq!(
                    contradiction(class.as_bytes(), p.as_bytes(), missense).is_some(),
                    core.is_some(),
                    "{class} {p}"
                );
            }
        }
    }

    #[test]
    fn cached_keys_still_check_contradictions() {
        // The same key after rows that cached it, but a contradicting row has another key
        // (its class or protein differ): it is refused wherever it falls.
        let mut text = format!("{HEADER}\n");
        for i in 0..50 {
            text.push_str(&row(i));
            text.push('\n');
        }
        text.push_str("GRCh37\tBRAF\tMissense_Mutation\tS\tp.V600V\t\t7\t140453136\tA\tT\n");
        text.push_str("GRCh37\tBRAF\tSilent\tS\tp.V600E\t\t7\t140453136\tA\tT\n");
        text.push_str(&row(0));
        text.push('\n');
        for skip in [false, true] {
            for workers in [1, 2] {
                let (out, r) = parallel(text.as_bytes(), skip, 512, workers);
                let (want, w) = reference(text.as_bytes(), skip);
                assert_eq!(r, w);
                assert!(out == want);
            }
        }
        let (_, r) = parallel(text.as_bytes(), false, 512, 2);
        assert_eq!(r.map_err(|e| e.line), Err(52));
        let (_, r) = parallel(text.as_bytes(), true, 512, 2);
        assert_eq!(r.map(|t| (t.rows, t.skipped)), Ok((51, 2)));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn same_output_as_row_at_a_time(
            lines in proptest::collection::vec(line(5), 0..60),
            crlf in any::<bool>(),
            final_eol in any::<bool>(),
            skip in any::<bool>(),
            block in 1usize..300,
            workers in 1usize..4,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = ["Hugo_Symbol\tHGVSp_Short\tStart_Position\tNCBI_Build\tVariant_Classification".to_string()]
                .into_iter()
                .chain(lines)
                .collect::<Vec<_>>()
                .join(eol);
            if final_eol {
                text.push_str(eol);
            }
            let (out, r) = parallel(text.as_bytes(), skip, block, workers);
            let (want, w) = reference(text.as_bytes(), skip);
            prop_assert_eq!(r, w);
            prop_assert!(out == want);
        }
    }
}
