//! A molecular finding as read from a result file (MAF, VCF, fusion or structural-variant list,
//! copy-number file, clinical sample file), with the file and line it came from. Every reader in
//! `atcpath-formats` turns its rows into these; `annotate`, `assess --molecular` and `cohort`
//! consume them. Pure data.

use serde::Serialize;

use super::VariantClass;
use crate::case::model::Msi;
use crate::hgvs::{CodingChange, ProteinChange};

/// Discrete copy-number level (cBioPortal / GISTIC scale: -2 .. 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyNumber {
    /// -2: homozygous (deep) deletion.
    DeepDeletion,
    /// -1: one-copy (shallow) loss.
    ShallowDeletion,
    /// 0: diploid.
    Neutral,
    /// 1: low-level gain.
    Gain,
    /// 2: high-level amplification.
    Amplification,
}

impl CopyNumber {
    /// From the numeric code (-2 .. 2) or the words oncokb-annotator accepts (`Amplification`,
    /// `Gain`, `Loss`, `Deletion`, `Neutral`, case-insensitive; `Deletion` = deep, `Loss` = shallow).
    /// `None` for anything else.
    pub fn parse(s: &str) -> Option<CopyNumber> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "amplification" | "amp" => return Some(CopyNumber::Amplification),
            "gain" => return Some(CopyNumber::Gain),
            "neutral" | "diploid" => return Some(CopyNumber::Neutral),
            "loss" | "shallowdeletion" | "hetloss" => return Some(CopyNumber::ShallowDeletion),
            "deletion" | "deepdeletion" | "homdel" => return Some(CopyNumber::DeepDeletion),
            _ => {}
        }
        // GISTIC files write -2, -1, 0, 1, 2 and sometimes -2.0 or 1.0: an integer, written as
        // one (`-1.9999999999999999` is not -2).
        let int = match t.split_once('.') {
            Some((i, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => i,
            Some(_) => return None,
            None => t,
        };
        let v: i64 = int.parse().ok()?;
        match v {
            -2 => Some(CopyNumber::DeepDeletion),
            -1 => Some(CopyNumber::ShallowDeletion),
            0 => Some(CopyNumber::Neutral),
            1 => Some(CopyNumber::Gain),
            2 => Some(CopyNumber::Amplification),
            _ => None,
        }
    }

    /// The numeric code (-2 .. 2).
    pub fn code(self) -> i8 {
        match self {
            CopyNumber::DeepDeletion => -2,
            CopyNumber::ShallowDeletion => -1,
            CopyNumber::Neutral => 0,
            CopyNumber::Gain => 1,
            CopyNumber::Amplification => 2,
        }
    }
}

/// What a file row says about the tumour.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A point variant or small indel.
    Variant {
        gene: String,
        protein: Option<ProteinChange>,
        coding: Option<CodingChange>,
        class: Option<VariantClass>,
        /// Genomic position: build (`GRCh37`/`GRCh38`), chromosome without `chr`, 1-based start,
        /// reference and alternate alleles (as written).
        build: Option<String>,
        chromosome: Option<String>,
        position: Option<u64>,
        reference: Option<String>,
        alternate: Option<String>,
        /// Why the row cannot be read as one variant, when it cannot (a MAF row whose
        /// HGVSp_Short and HGVSp name different changes): the merge refuses such a row of the
        /// patient's sample at its line.
        #[serde(skip_serializing_if = "Option::is_none")]
        conflict: Option<String>,
    },
    /// A fusion, 5' then 3' partner as written (the kinase kept is the 3' partner's when it is a driver: `genomics::fusion_kinase`).
    Fusion {
        five_prime: String,
        three_prime: String,
    },
    /// A rearrangement of one gene with no named partner: not a fusion, and not a negative
    /// either (the partner, hence the fusion, is unknown).
    Rearrangement { gene: String },
    /// A discrete copy-number call for a gene.
    CopyNumber { gene: String, level: CopyNumber },
    /// Tumour mutational burden, mutations per megabase.
    Tmb { mut_per_mb: f64 },
    /// Microsatellite status.
    Msi { status: Msi },
}

/// A finding with its sample and where it was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sourced {
    /// Tumour sample id (e.g. `Tumor_Sample_Barcode`, `SAMPLE_ID`), when the file names one.
    pub sample: Option<String>,
    pub finding: Finding,
    /// The file as given on the command line.
    pub file: String,
    /// 1-based line of the row.
    pub line: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_number_codes_and_words() {
        for (s, c) in [
            ("2", 2),
            ("-2", -2),
            ("-1.0", -1),
            ("Amplification", 2),
            ("Deletion", -2),
            ("Loss", -1),
            ("gain", 1),
        ] {
            assert_eq!(CopyNumber::parse(s).map(CopyNumber::code), Some(c), "{s}");
        }
        for s in [
            "3",
            "0.5",
            "",
            "NA",
            "amplified?",
            "-1.9999999999999999",
            "1e0",
            "-2.",
        ] {
            assert_eq!(CopyNumber::parse(s), None, "{s}");
        }
    }
}
