//! Fusion and structural-variant lists, one row at a time. Four flavours, told apart by the
//! header (case-insensitive):
//!
//! | flavour | columns read |
//! | --- | --- |
//! | [`Flavour::CbioportalSv`] | `Sample_Id`, `Site1_Hugo_Symbol`, `Site2_Hugo_Symbol` (at least one), `Event_Info`, `Class` |
//! | [`Flavour::OncokbSv`] | `Tumor_Sample_Barcode`, `GeneA`, `GeneB`, `Sv_Type` (optional) |
//! | [`Flavour::CbioportalFusions`] (deprecated format) | `Tumor_Sample_Barcode`, `Hugo_Symbol`, `Fusion` |
//! | [`Flavour::OncokbFusions`] | `Tumor_Sample_Barcode`, `Fusion` |
//!
//! The sample column may be named `Tumor_Sample_Barcode`, `Sample_Id` or `SAMPLE_ID` in each.
//!
//! What a row is ([`Event`]), decided here and nowhere else:
//! - **Fusion**: two different genes. In a fusion list, `GENE1-GENE2` (with or without
//!   ` fusion`, or `GENE1::GENE2`; the 3' partner's kinase when it is a driver, see `genomics::fusion_kinase`). In an SV list, any
//!   `Sv_Type` / `Class` joins two different genes into a fusion: not only `FUSION` but also
//!   `TRANSLOCATION`, `INVERSION`, `DELETION`, `DUPLICATION`, `INSERTION` and `UNKNOWN` or
//!   empty, because the actionable thyroid fusions arise from exactly these (CCDC6-RET and
//!   NCOA4-RET by paracentric inversion, ETV6-NTRK3 by translocation, STRN-ALK by interstitial
//!   deletion), a reader cannot tell an in-frame fusion from a pair of breakpoints, and missing
//!   a RET or NTRK fusion is the costly error. Such rows are counted apart
//!   ([`SvCounts::fusions_inferred`]: type not `FUSION` and no `Fusion` in `Event_Info`) so that
//!   the caller can say so; the tumour board confirms with the laboratory report or RNA.
//! - **Intragenic**: the same gene at both ends (`EGFR-EGFR`, `Sv_Type` `DELETION` within one
//!   gene) or `GENE-intragenic`. Never a fusion.
//! - **One-sided**: a gene at one end only (cBioPortal SV with an empty `Site2_Hugo_Symbol`, an
//!   SV list with an empty `GeneB`, a deprecated fusion row `BRAF fusion`): a rearrangement of
//!   that gene with no named partner. It is **not** a fusion finding (the knowledge base's fusion
//!   levels are for a named fusion); it is reported as [`Event::OneSided`], and
//!   [`SvRow::rearrangement`] gives it as `Finding::Rearrangement` for a patient's assessment,
//!   where it leaves the kinase's fusion unknown (never not detected).
//!
//! - **Germline**: a row whose `SV_Status` is `GERMLINE` is inherited, not a tumour event: never
//!   a finding, counted ([`SvCounts::germline`]).
//!
//! Only fusions become findings ([`SvReader::next_finding`]); the others are counted
//! ([`SvReader::counts`]).

use std::io::BufRead;

use atcpath_core::genomics::{Finding, Sourced};

use crate::FormatError;
use crate::clinical::{Record, TableReader};
use crate::fusions::{FusionName, parse_fusion};

/// The kind of fusion or SV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// oncokb-annotator fusion list: `Tumor_Sample_Barcode`, `Fusion`.
    OncokbFusions,
    /// oncokb-annotator structural-variant list: `GeneA`, `GeneB`, `Sv_Type`.
    OncokbSv,
    /// cBioPortal structural variants: `Site1_Hugo_Symbol`, `Site2_Hugo_Symbol`, ...
    CbioportalSv,
    /// cBioPortal's deprecated fusion format: `Hugo_Symbol`, `Tumor_Sample_Barcode`, `Fusion`.
    CbioportalFusions,
}

impl Flavour {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::OncokbFusions => "oncokb-annotator fusion list",
            Flavour::OncokbSv => "oncokb-annotator structural-variant list",
            Flavour::CbioportalSv => "cBioPortal structural variants",
            Flavour::CbioportalFusions => "cBioPortal fusions (deprecated format)",
        }
    }
}

/// What one row describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Two different genes, 5' then 3' as written.
    Fusion {
        five_prime: String,
        three_prime: String,
    },
    /// An event within one gene: not a fusion.
    Intragenic { gene: String },
    /// A rearrangement of one gene with no named partner: not a fusion.
    OneSided { gene: String },
}

/// Rows read so far, by what they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SvCounts {
    /// Data rows read without error.
    pub rows: usize,
    pub fusions: usize,
    /// Fusions inferred from two genes in an SV row whose type is not `FUSION` (see the module
    /// documentation).
    pub fusions_inferred: usize,
    pub intragenic: usize,
    pub one_sided: usize,
    /// Rows whose `SV_Status` is `GERMLINE` (counted in their kind above too; never findings).
    pub germline: usize,
}

#[derive(Debug, Clone, Copy)]
enum Cols {
    Fusion {
        fusion: usize,
        /// The deprecated cBioPortal format's `Hugo_Symbol` (checked as any symbol).
        hugo: Option<usize>,
    },
    Sv {
        a: Option<usize>,
        b: Option<usize>,
        /// `Sv_Type`, or `Class` and `Event_Info`.
        kind: Option<usize>,
        info: Option<usize>,
    },
}

/// A streaming reader of fusion and structural-variant lists.
pub struct SvReader<R> {
    table: TableReader<R>,
    flavour: Flavour,
    sample: usize,
    /// `SV_Status` (SOMATIC / GERMLINE), when present.
    status: Option<usize>,
    cols: Cols,
    file: String,
    counts: SvCounts,
}

/// One row, borrowed from the reader until the next call.
pub struct SvRow<'a> {
    /// The line as read.
    pub record: Record<'a>,
    pub sample: &'a str,
    pub event: Event,
    /// `SV_Status` says `GERMLINE`: an inherited event, not a finding of the tumour.
    pub germline: bool,
}

impl SvRow<'_> {
    /// The finding of a one-sided row: a rearrangement of the gene with no named partner, which
    /// leaves that gene's fusion unknown, never not detected (`None` for other and germline rows).
    pub fn rearrangement(&self, file: &str) -> Option<Sourced> {
        match &self.event {
            Event::OneSided { gene } if !self.germline => Some(Sourced {
                sample: Some(self.sample.to_string()),
                finding: Finding::Rearrangement { gene: gene.clone() },
                file: file.to_string(),
                line: self.record.line_no,
            }),
            _ => None,
        }
    }

    /// The fusion finding of a row (`None` for intragenic, one-sided and germline rows).
    pub fn finding(&self, file: &str) -> Option<Sourced> {
        if self.germline {
            return None;
        }
        match &self.event {
            Event::Fusion {
                five_prime,
                three_prime,
            } => Some(Sourced {
                sample: Some(self.sample.to_string()),
                finding: Finding::Fusion {
                    five_prime: five_prime.clone(),
                    three_prime: three_prime.clone(),
                },
                file: file.to_string(),
                line: self.record.line_no,
            }),
            Event::Intragenic { .. } | Event::OneSided { .. } => None,
        }
    }
}

fn is_gene(g: &str) -> bool {
    !g.is_empty()
        && g.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Two gene cells (either may be missing) as an event.
fn two_genes(a: Option<&str>, b: Option<&str>) -> Option<Event> {
    Some(match (a, b) {
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => Event::Intragenic { gene: a.into() },
        (Some(a), Some(b)) => Event::Fusion {
            five_prime: a.into(),
            three_prime: b.into(),
        },
        (Some(g), None) | (None, Some(g)) => Event::OneSided { gene: g.into() },
        (None, None) => return None,
    })
}

/// A fusion-list cell as an event. Deprecated cBioPortal files add free text after the name
/// (`EML4-ALK fusion - Archer`) or name one gene only (`BRAF fusion`).
fn fusion_cell(text: &str) -> Result<Event, String> {
    let lower = text.to_ascii_lowercase();
    let name = match lower.find(" fusion") {
        Some(i) => &text[..i],
        None => text,
    }
    .trim_matches(|c: char| c.is_ascii_whitespace());
    match parse_fusion(name) {
        Ok(FusionName::Pair(a, b)) => Ok(Event::Fusion {
            five_prime: a,
            three_prime: b,
        }),
        Ok(FusionName::Intragenic(g)) => Ok(Event::Intragenic { gene: g }),
        Err(_) if lower.contains(" fusion") && is_gene(name) && !name.contains('-') => {
            Ok(Event::OneSided { gene: name.into() })
        }
        Err(e) => Err(e),
    }
}

const SAMPLE: [&str; 3] = ["Tumor_Sample_Barcode", "Sample_Id", "SAMPLE_ID"];

impl<R: BufRead> SvReader<R> {
    /// Reads the header and detects the flavour; `file` is the name the findings carry.
    ///
    /// # Errors
    /// An empty file, no sample column, or none of the columns of a known flavour.
    pub fn new(reader: R, file: &str) -> Result<Self, FormatError> {
        let table = TableReader::new(reader)?;
        let line = table.header_line();
        let col = |n: &str| table.col(&[n]);
        let (flavour, cols) = if col("Site1_Hugo_Symbol").is_some()
            || col("Site2_Hugo_Symbol").is_some()
        {
            (
                Flavour::CbioportalSv,
                Cols::Sv {
                    a: col("Site1_Hugo_Symbol"),
                    b: col("Site2_Hugo_Symbol"),
                    kind: col("Class"),
                    info: col("Event_Info"),
                },
            )
        } else if let (Some(a), Some(b)) = (col("GeneA"), col("GeneB")) {
            (
                Flavour::OncokbSv,
                Cols::Sv {
                    a: Some(a),
                    b: Some(b),
                    kind: col("Sv_Type"),
                    info: None,
                },
            )
        } else if let Some(fusion) = col("Fusion") {
            let f = if col("Hugo_Symbol").is_some() {
                Flavour::CbioportalFusions
            } else {
                Flavour::OncokbFusions
            };
            (
                f,
                Cols::Fusion {
                    fusion,
                    hugo: col("Hugo_Symbol"),
                },
            )
        } else if col("Site1_Entrez_Gene_Id").is_some() || col("Site2_Entrez_Gene_Id").is_some() {
            return Err(FormatError {
                line,
                message: "structural variants named by Entrez_Gene_Id only: ATCPath needs \
                          Site1_Hugo_Symbol / Site2_Hugo_Symbol (genes are matched by symbol)"
                    .into(),
            });
        } else {
            return Err(FormatError {
                line,
                message: "not a fusion or structural-variant file: no Fusion, GeneA/GeneB or \
                          Site1_Hugo_Symbol/Site2_Hugo_Symbol column"
                    .into(),
            });
        };
        let table_status = table.col(&["SV_Status"]);
        let sample = table.col(&SAMPLE).ok_or_else(|| FormatError {
            line,
            message: format!(
                "no sample column (Tumor_Sample_Barcode, Sample_Id or SAMPLE_ID) in this {}",
                flavour.name()
            ),
        })?;
        Ok(SvReader {
            table,
            flavour,
            sample,
            status: table_status,
            cols,
            file: file.to_string(),
            counts: SvCounts::default(),
        })
    }

    /// The flavour detected from the header.
    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// Column names as in the file.
    pub fn header(&self) -> &[String] {
        self.table.header()
    }

    /// What the rows read so far were.
    pub fn counts(&self) -> SvCounts {
        self.counts
    }

    /// The next row; `Ok(None)` at the end. A malformed row is an error with its line; the
    /// caller may skip it and read on.
    ///
    /// # Errors
    /// A wrong number of fields, an empty sample, a fusion name that does not parse, or an SV row
    /// with no gene on either side.
    pub fn next_row(&mut self) -> Result<Option<SvRow<'_>>, FormatError> {
        if !self.table.advance()? {
            return Ok(None);
        }
        let r = self.table.record();
        let err = |message: String| FormatError {
            line: r.line_no,
            message,
        };
        let sample = r
            .get(self.sample)
            .ok_or_else(|| err(format!("{} is empty", self.table.header()[self.sample])))?;
        let (event, explicit) = match self.cols {
            Cols::Fusion { fusion, hugo } => {
                if let Some(h) = r.get_opt(hugo) {
                    atcpath_core::genes::check_symbol_chars(h)
                        .map_err(|m| err(format!("Hugo_Symbol: {m}")))?;
                }
                let text = r.get(fusion).ok_or_else(|| err("Fusion is empty".into()))?;
                let event = fusion_cell(text).map_err(|e| err(format!("Fusion: {e}")))?;
                (event, true)
            }
            Cols::Sv { a, b, kind, info } => {
                let event = two_genes(r.get_opt(a), r.get_opt(b)).ok_or_else(|| {
                    err(match self.flavour {
                        Flavour::OncokbSv => "GeneA and GeneB are both empty".into(),
                        _ => "Site1_Hugo_Symbol and Site2_Hugo_Symbol are both empty".into(),
                    })
                })?;
                let says_fusion = |c: Option<usize>| {
                    r.get_opt(c)
                        .is_some_and(|v| v.to_ascii_lowercase().contains("fusion"))
                };
                (event, says_fusion(kind) || says_fusion(info))
            }
        };
        let symbols: &[&String] = match &event {
            Event::Fusion {
                five_prime,
                three_prime,
            } => &[five_prime, three_prime],
            Event::Intragenic { gene } | Event::OneSided { gene } => &[gene],
        };
        for g in symbols {
            atcpath_core::genes::check_symbol_chars(g).map_err(&err)?;
        }
        self.counts.rows += 1;
        let germline = r
            .get_opt(self.status)
            .is_some_and(|v| v.eq_ignore_ascii_case("GERMLINE"));
        if germline {
            self.counts.germline += 1;
        }
        match &event {
            Event::Fusion { .. } => {
                self.counts.fusions += 1;
                if !explicit {
                    self.counts.fusions_inferred += 1;
                }
            }
            Event::Intragenic { .. } => self.counts.intragenic += 1,
            Event::OneSided { .. } => self.counts.one_sided += 1,
        }
        Ok(Some(SvRow {
            record: r,
            sample,
            event,
            germline,
        }))
    }

    /// The next fusion finding, skipping (and counting) intragenic and one-sided rows;
    /// `Ok(None)` at the end.
    ///
    /// # Errors
    /// As [`SvReader::next_row`]; reading may go on after an error.
    pub fn next_finding(&mut self) -> Result<Option<Sourced>, FormatError> {
        loop {
            let file = self.file.clone();
            match self.next_row()? {
                None => return Ok(None),
                Some(row) => {
                    if let Some(f) = row.finding(&file) {
                        return Ok(Some(f));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn germline_rows_are_counted_never_findings() {
        let text = "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tSV_Status\nS1\tCCDC6\tRET\tGERMLINE\nS1\tETV6\tNTRK3\tSOMATIC\n";
        let mut r = SvReader::new(text.as_bytes(), "f").unwrap();
        let mut found = Vec::new();
        while let Some(f) = r.next_finding().unwrap() {
            found.push(f.line);
        }
        assert_eq!(found, vec![3]);
        assert_eq!(r.counts().germline, 1);
    }

    fn events(text: &str) -> (Flavour, Vec<Result<Event, usize>>, SvCounts) {
        let mut r = SvReader::new(text.as_bytes(), "f").unwrap();
        let mut out = Vec::new();
        loop {
            match r.next_row() {
                Ok(Some(row)) => out.push(Ok(row.event)),
                Ok(None) => break,
                Err(e) => out.push(Err(e.line)),
            }
        }
        (r.flavour(), out, r.counts())
    }

    fn fusion(a: &str, b: &str) -> Result<Event, usize> {
        Ok(Event::Fusion {
            five_prime: a.into(),
            three_prime: b.into(),
        })
    }

    #[test]
    fn oncokb_fusion_list() {
        let (f, ev, c) = events(
            "Tumor_Sample_Barcode\tFusion\nS1\tMLL2-intragenic\nS1\tRET-CCDC6\nS2\tETV6-RUNX1 fusion\nS2\tRET\nS3\tNCOA4::RET\n\tALK-EML4\nS4\tALK-ALK\n",
        );
        assert_eq!(f, Flavour::OncokbFusions);
        assert_eq!(
            ev,
            [
                Ok(Event::Intragenic {
                    gene: "MLL2".into()
                }),
                fusion("RET", "CCDC6"),
                fusion("ETV6", "RUNX1"),
                Err(5),
                fusion("NCOA4", "RET"),
                Err(7),
                Ok(Event::Intragenic { gene: "ALK".into() }),
            ]
        );
        assert_eq!(
            (c.rows, c.fusions, c.intragenic, c.fusions_inferred),
            (5, 3, 2, 0)
        );
    }

    #[test]
    fn oncokb_sv_list_types() {
        let (f, ev, c) = events(
            "Tumor_Sample_Barcode\tGeneA\tGeneB\tSv_Type\nS\tEGFR\tEGFR\tDELETION\nS\tCCDC6\tRET\tINVERSION\nS\tEML4\tALK\tFUSION\nS\tSTRN\tALK\tDELETION\nS\tRET\t\tTRANSLOCATION\nS\t\t\tFUSION\n",
        );
        assert_eq!(f, Flavour::OncokbSv);
        assert_eq!(
            ev[0],
            Ok(Event::Intragenic {
                gene: "EGFR".into()
            })
        );
        assert_eq!(ev[1], fusion("CCDC6", "RET"));
        assert_eq!(ev[3], fusion("STRN", "ALK"));
        assert_eq!(ev[4], Ok(Event::OneSided { gene: "RET".into() }));
        assert_eq!(ev[5], Err(7));
        assert_eq!(
            c,
            SvCounts {
                rows: 5,
                fusions: 3,
                fusions_inferred: 2,
                intragenic: 1,
                one_sided: 1,
                germline: 0
            }
        );
    }

    #[test]
    fn cbioportal_sv_and_findings() {
        let text = "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tEvent_Info\tClass\tSV_Status\n\
                    S1\tNCOA4\tRET\tFusion\tNA\tSOMATIC\n\
                    S1\tBRAF\t\tFusion\tNA\tSOMATIC\n\
                    S1\tEGFR\tEGFR\tFusion\tNA\tSOMATIC\n\
                    S2\tETV6\tNTRK3\t\tTRANSLOCATION\tSOMATIC\n";
        let mut r = SvReader::new(text.as_bytes(), "sv.txt").unwrap();
        assert_eq!(r.flavour(), Flavour::CbioportalSv);
        let a = r.next_finding().unwrap().unwrap();
        assert_eq!(
            (a.sample.as_deref(), a.line, a.file.as_str()),
            (Some("S1"), 2, "sv.txt")
        );
        let b = r.next_finding().unwrap().unwrap();
        assert_eq!(
            (b.finding, b.line),
            (
                Finding::Fusion {
                    five_prime: "ETV6".into(),
                    three_prime: "NTRK3".into()
                },
                5
            )
        );
        assert!(r.next_finding().unwrap().is_none());
        let c = r.counts();
        assert_eq!(
            (c.fusions, c.fusions_inferred, c.one_sided, c.intragenic),
            (2, 1, 1, 1)
        );
    }

    #[test]
    fn cbioportal_deprecated_fusions() {
        let (f, ev, _) = events(
            "Hugo_Symbol\tEntrez_Gene_Id\tCenter\tTumor_Sample_Barcode\tFusion\nRET\t5979\tMSKCC\tS1\tCCDC6-RET fusion\nCCDC6\t8030\tMSKCC\tS1\tCCDC6-RET fusion\nALK\t238\tMSKCC\tS2\tEML4-ALK fusion - Archer\nBRAF\t673\tMSKCC\tS3\tBRAF fusion\nNTRK1\t4914\tMSKCC\tS3\tNTRK1-intragenic\nX\t1\tMSKCC\tS3\tnot a fusion\n",
        );
        assert_eq!(f, Flavour::CbioportalFusions);
        assert_eq!(
            ev,
            [
                fusion("CCDC6", "RET"),
                fusion("CCDC6", "RET"),
                fusion("EML4", "ALK"),
                Ok(Event::OneSided {
                    gene: "BRAF".into()
                }),
                Ok(Event::Intragenic {
                    gene: "NTRK1".into()
                }),
                Err(7),
            ]
        );
    }

    #[test]
    fn header_problems() {
        for (text, what) in [
            ("Gene\tX\n", "not a fusion"),
            ("GeneA\tGeneB\n", "no sample column"),
            (
                "Sample_Id\tSite1_Entrez_Gene_Id\tSite2_Entrez_Gene_Id\n",
                "Entrez",
            ),
            ("", "empty"),
        ] {
            let e = SvReader::new(text.as_bytes(), "f").err().unwrap();
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
        }
        let (_, ev, _) = events("tumor_sample_barcode\tFUSION\nS\tA-B\nS\tA-B\textra\n");
        assert_eq!(ev, [fusion("A", "B"), Err(3)]);
    }
}
