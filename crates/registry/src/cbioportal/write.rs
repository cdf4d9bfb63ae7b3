//! Cases to a cBioPortal study folder: pure mapping, no I/O. [`study`] turns each patient's
//! validated case into the text of every file of the folder (`FORMAT_SUMMARY.md` of the shared
//! cBioPortal fixtures says which keys and columns each file needs).
//!
//! What leaves the registry: pseudonyms, age, sex, ECOG, histology, T/N/M, tumour size,
//! invasion, distant sites, resectability, the AJCC 8th stage group (`atcpath-core` staging),
//! overall survival, TMB, MSI, MMR, PD-L1, the molecular tests resulted and pending, detected
//! variants and fusions, and the events and treatments as a timeline in days from diagnosis.
//! Never: absolute dates (unless [`ExportOptions::with_dates`]), the case's `source`, free-text
//! comorbidities, `molecular.files` paths, direct identifiers (they are not in the case).
//!
//! Day 0 of the timeline and of `OS_MONTHS` is `diagnosis.date`. A patient without one has no
//! timeline rows and no `OS_MONTHS` (its vital status is still written): an event cannot be
//! placed relative to a diagnosis whose date is unknown, and no other date is taken in its place.

use std::collections::BTreeSet;

use atcpath_core::case::{Case, EventKind, Histology, Sex, TestId, Variant, id_of};
use atcpath_core::hgvs::Consequence;
use atcpath_core::staging;
use jiff::civil::Date;

use super::{
    COL_DIAGNOSIS_DATE, COL_EVENT, COL_STAGE_RECORDED, COL_TESTS_PENDING, COL_TESTS_RESULTED,
    DAYS_PER_MONTH, is_portal_id, sample_id,
};
use crate::error::{Error, Result};

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// `cancer_study_identifier` (letters, digits, `_`; default `atcpath_registry`).
    pub study_id: String,
    /// Adds the patient attribute `ATCPATH_DIAGNOSIS_DATE` (ISO date, day 0 of the timeline), so
    /// that an internal instance or ATCPath's own import can restore absolute dates.
    pub with_dates: bool,
}

/// The default study identifier.
pub const DEFAULT_STUDY_ID: &str = "atcpath_registry";

/// One file of the study: its path relative to the study folder (`/`-separated) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyFile {
    /// E.g. `data_clinical_patient.txt`, `case_lists/cases_all.txt`.
    pub path: String,
    /// The whole file, UTF-8, LF line ends, final newline.
    pub text: String,
}

/// A whole study folder, in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Study {
    /// Every file, `meta_study.txt` first.
    pub files: Vec<StudyFile>,
    /// What the export could not say, one line each (patients without a diagnosis date...).
    pub notes: Vec<String>,
}

/// One column of a clinical file: name, display name, description, datatype, priority.
struct Attr {
    name: &'static str,
    display: &'static str,
    description: &'static str,
    datatype: &'static str,
    priority: u8,
}

const fn attr(
    name: &'static str,
    display: &'static str,
    description: &'static str,
    datatype: &'static str,
    priority: u8,
) -> Attr {
    Attr {
        name,
        display,
        description,
        datatype,
        priority,
    }
}

const PATIENT_ATTRS: &[Attr] = &[
    attr(
        "PATIENT_ID",
        "Patient Identifier",
        "Pseudonym in the ATCPath registry",
        "STRING",
        1,
    ),
    attr("AGE", "Age", "Age at the decision date, years", "NUMBER", 1),
    attr("SEX", "Sex", "Sex", "STRING", 1),
    attr("ECOG", "ECOG", "ECOG performance status (0-4)", "NUMBER", 1),
    attr(
        "HISTOLOGY",
        "Histology",
        "Histology (ATCPath case vocabulary)",
        "STRING",
        1,
    ),
    attr(
        "AJCC_STAGE",
        "AJCC Stage",
        "AJCC 8th edition stage group (ATCPath staging)",
        "STRING",
        1,
    ),
    attr(
        "AJCC_T",
        "T",
        "AJCC 8th T category as recorded",
        "STRING",
        1,
    ),
    attr(
        "AJCC_N",
        "N",
        "AJCC 8th N category as recorded",
        "STRING",
        1,
    ),
    attr(
        "AJCC_M",
        "M",
        "AJCC 8th M category as recorded",
        "STRING",
        1,
    ),
    attr(
        COL_STAGE_RECORDED,
        "Stage Group Recorded",
        "Stage group recorded by the treating team (for records without full TNM)",
        "STRING",
        0,
    ),
    attr(
        "TUMOR_SIZE_MM",
        "Tumor Size (mm)",
        "Greatest dimension of the primary tumour, mm",
        "NUMBER",
        1,
    ),
    attr(
        "INVASION",
        "Gross Invasion",
        "Structures invaded (; separated; none = no gross invasion)",
        "STRING",
        1,
    ),
    attr(
        "DISTANT_METASTASIS_SITES",
        "Distant Metastasis Sites",
        "Sites of distant metastasis (; separated; none = none)",
        "STRING",
        1,
    ),
    attr(
        "RESECTABILITY",
        "Resectability",
        "Resectability of the primary tumour",
        "STRING",
        1,
    ),
    attr(
        "OS_STATUS",
        "Overall Survival Status",
        "Vital status: 1:DECEASED (death recorded) or 0:LIVING (last follow-up recorded, no death)",
        "STRING",
        1,
    ),
    attr(
        "OS_MONTHS",
        "Overall Survival (Months)",
        "Months from diagnosis to death or last follow-up (days / 30.4375)",
        "NUMBER",
        1,
    ),
];

const DIAGNOSIS_DATE_ATTR: Attr = attr(
    COL_DIAGNOSIS_DATE,
    "Diagnosis Date",
    "Date of diagnosis (ISO 8601): day 0 of the timeline",
    "STRING",
    0,
);

const SAMPLE_ATTRS: &[Attr] = &[
    attr(
        "SAMPLE_ID",
        "Sample Identifier",
        "The patient's tumour",
        "STRING",
        1,
    ),
    attr(
        "PATIENT_ID",
        "Patient Identifier",
        "Pseudonym in the ATCPath registry",
        "STRING",
        1,
    ),
    attr("CANCER_TYPE", "Cancer Type", "Cancer type", "STRING", 1),
    attr(
        "CANCER_TYPE_DETAILED",
        "Cancer Type Detailed",
        "Cancer type, detailed",
        "STRING",
        1,
    ),
    attr(
        "ONCOTREE_CODE",
        "Oncotree Code",
        "OncoTree code",
        "STRING",
        1,
    ),
    attr(
        "TMB_NONSYNONYMOUS",
        "TMB (nonsynonymous)",
        "Tumour mutational burden, mutations per megabase",
        "NUMBER",
        1,
    ),
    attr(
        "MSI_STATUS",
        "MSI Status",
        "Microsatellite status (MSI-H or MSS)",
        "STRING",
        1,
    ),
    attr(
        "MMR_STATUS",
        "MMR Status",
        "Mismatch repair by immunohistochemistry",
        "STRING",
        1,
    ),
    attr(
        "PD_L1_TPS",
        "PD-L1 TPS (%)",
        "PD-L1 tumour proportion score, percent",
        "NUMBER",
        1,
    ),
    attr(
        COL_TESTS_RESULTED,
        "Tests Resulted",
        "Molecular tests resulted (ATCPath test ids, ; separated)",
        "STRING",
        0,
    ),
    attr(
        COL_TESTS_PENDING,
        "Tests Pending",
        "Molecular tests pending (ATCPath test ids, ; separated)",
        "STRING",
        0,
    ),
];

/// The missing-value spelling written.
const NA: &str = "NA";

/// MAF columns written (every required one of `FORMAT_SUMMARY.md`).
const MAF_COLUMNS: [&str; 13] = [
    "Hugo_Symbol",
    "NCBI_Build",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Variant_Classification",
    "Reference_Allele",
    "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2",
    "Tumor_Sample_Barcode",
    "HGVSc",
    "HGVSp",
    "HGVSp_Short",
];

/// SV columns written.
const SV_COLUMNS: [&str; 5] = [
    "Sample_Id",
    "SV_Status",
    "Site1_Hugo_Symbol",
    "Site2_Hugo_Symbol",
    "Event_Info",
];

/// A timeline file: its event type, file stem and the columns after the four required ones.
struct TimelineKind {
    event_type: &'static str,
    stem: &'static str,
    extra: &'static [&'static str],
}

const STATUS: TimelineKind = TimelineKind {
    event_type: "STATUS",
    stem: "status",
    extra: &["STATUS", COL_EVENT],
};
const SPECIMEN: TimelineKind = TimelineKind {
    event_type: "SPECIMEN",
    stem: "specimen",
    extra: &["SPECIMEN_TYPE", COL_EVENT],
};
const LAB_TEST: TimelineKind = TimelineKind {
    event_type: "LAB_TEST",
    stem: "lab_test",
    extra: &["TEST", COL_EVENT],
};
const TREATMENT: TimelineKind = TimelineKind {
    event_type: "TREATMENT",
    stem: "treatment",
    extra: &[
        "TREATMENT_TYPE",
        "AGENT",
        "CUMULATIVE_DOSE",
        "CUMULATIVE_DOSE_UNIT",
        COL_EVENT,
    ],
};
const TIMELINES: [&TimelineKind; 4] = [&STATUS, &SPECIMEN, &LAB_TEST, &TREATMENT];

/// Which timeline file an event kind goes to, and the text of its descriptive column.
fn timeline_of(kind: EventKind) -> (&'static TimelineKind, &'static str) {
    match kind {
        EventKind::Biopsy => (&SPECIMEN, "Biopsy"),
        EventKind::BrafResult => (&LAB_TEST, "BRAF"),
        EventKind::NgsResult => (&LAB_TEST, "NGS"),
        EventKind::Surgery => (&TREATMENT, "Surgery"),
        EventKind::RadiotherapyStart | EventKind::RadiotherapyEnd => {
            (&TREATMENT, "Radiation Therapy")
        }
        EventKind::SystemicStart => (&TREATMENT, "Medical Therapy"),
        EventKind::TreatmentStart => (&TREATMENT, "Treatment"),
        EventKind::Death => (&STATUS, "Deceased"),
        EventKind::LastFollowUp => (&STATUS, "Last Follow-up"),
        EventKind::Progression => (&STATUS, "Progression"),
        EventKind::ResponseAssessment => (&STATUS, "Response Assessment"),
        EventKind::FirstContact => (&STATUS, "First Contact"),
        EventKind::Referral => (&STATUS, "Referral"),
        EventKind::PathologyConfirmed => (&STATUS, "Pathology Confirmed"),
        EventKind::Mdt => (&STATUS, "Multidisciplinary Team Meeting"),
    }
}

/// Overall survival of a case: (`OS_STATUS`, `OS_MONTHS`).
///
/// As the registry's OS analysis defines it ([`atcpath_core::outcomes`]): `1:DECEASED` when a
/// death is recorded, else `0:LIVING` (censored) at the date last known alive (the latest dated
/// event or treatment), `None` (unknown) when nothing is dated. Months from time zero (the
/// diagnosis date, else the first pathology confirmation) to that date as days / 30.4375 (the
/// mean Gregorian month), two decimals; `None` when either date is unknown or the interval is
/// negative (a date error, not a survival time).
pub fn overall_survival(case: &Case) -> (Option<&'static str>, Option<f64>) {
    // The definitions of the registry's own OS analysis (`atcpath_core::outcomes`).
    let (end, died) = atcpath_core::outcomes::os_end(case);
    let status = match (end, died) {
        (Some(_), true) => Some("1:DECEASED"),
        (Some(_), false) => Some("0:LIVING"),
        (None, _) => None,
    };
    let months = match (atcpath_core::outcomes::time_zero(case), end) {
        (Some(start), Some(end)) => {
            let days = days_between(start, end);
            (days >= 0).then(|| round2(days as f64 / DAYS_PER_MONTH))
        }
        _ => None,
    };
    (status, months)
}

/// Days from `a` to `b` (negative when `b` is earlier).
pub fn days_between(a: Date, b: Date) -> i64 {
    i64::from((b - a).get_days())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A number as written in the files: Rust's shortest round-trip form (`73`, `4.5`).
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn opt(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty())
        .unwrap_or_else(|| NA.to_string())
}

/// A list attribute: ids joined by `;`, `none` for an explicit empty list, NA when unknown.
fn list<T: serde::Serialize>(v: Option<&[T]>) -> String {
    match v {
        None => NA.into(),
        Some([]) => "none".into(),
        Some(items) => items.iter().map(id_of).collect::<Vec<_>>().join(";"),
    }
}

fn tests(v: &[TestId]) -> String {
    if v.is_empty() {
        NA.into()
    } else {
        v.iter().map(id_of).collect::<Vec<_>>().join(";")
    }
}

/// The one-letter form of a normalised protein change (`p.Val600Glu` → `p.V600E`,
/// `p.Lys123ArgfsTer5` → `p.K123Rfs*5`), as `HGVSp_Short` is written.
pub fn protein_short(normalized: &str) -> String {
    const CODES: [(&str, char); 22] = [
        ("Ala", 'A'),
        ("Arg", 'R'),
        ("Asn", 'N'),
        ("Asp", 'D'),
        ("Cys", 'C'),
        ("Gln", 'Q'),
        ("Glu", 'E'),
        ("Gly", 'G'),
        ("His", 'H'),
        ("Ile", 'I'),
        ("Leu", 'L'),
        ("Lys", 'K'),
        ("Met", 'M'),
        ("Phe", 'F'),
        ("Pro", 'P'),
        ("Ser", 'S'),
        ("Thr", 'T'),
        ("Trp", 'W'),
        ("Tyr", 'Y'),
        ("Val", 'V'),
        ("Sec", 'U'),
        ("Ter", '*'),
    ];
    let mut out = String::with_capacity(normalized.len());
    let mut rest = normalized;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_uppercase()
            && let Some(three) = rest.get(..3)
            && let Some((_, one)) = CODES.iter().find(|(t, _)| *t == three)
        {
            out.push(*one);
            rest = &rest[3..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// MAF `Variant_Classification` of a case variant, from what its notation says (protein change
/// first, then coding change); empty when the notation does not say (a gene-only variant).
pub fn variant_classification(v: &Variant) -> &'static str {
    let indel = |text: &str| {
        if text.contains("delins") {
            None
        } else if text.contains("ins") || text.contains("dup") {
            Some(true)
        } else if text.contains("del") {
            Some(false)
        } else {
            None
        }
    };
    let coding = v.coding.as_ref().map(|c| c.normalized.as_str());
    let from = |consequence: Consequence, text: &str| -> Option<&'static str> {
        Some(match consequence {
            Consequence::Missense => "Missense_Mutation",
            Consequence::Nonsense => "Nonsense_Mutation",
            Consequence::Synonymous => "Silent",
            Consequence::Frameshift => {
                match indel(coding.unwrap_or(text)) {
                    Some(true) => "Frame_Shift_Ins",
                    Some(false) => "Frame_Shift_Del",
                    // The notation does not say which: cBioPortal files both alike.
                    None => "Frame_Shift_Del",
                }
            }
            Consequence::InFrame | Consequence::Delins => match indel(text) {
                Some(true) => "In_Frame_Ins",
                _ => "In_Frame_Del",
            },
            Consequence::StartLoss => "Translation_Start_Site",
            Consequence::Splice => "Splice_Site",
            Consequence::Promoter => "5'Flank",
            _ => return None,
        })
    };
    v.protein
        .as_ref()
        .and_then(|p| from(p.consequence, &p.normalized))
        .or_else(|| {
            v.coding
                .as_ref()
                .and_then(|c| from(c.consequence, &c.normalized))
        })
        .unwrap_or("")
}

/// A clinical file: the four `#` attribute lines, the column names, then the rows.
fn clinical_file(attrs: &[&Attr], rows: &[Vec<String>]) -> String {
    let line =
        |f: &dyn Fn(&Attr) -> String| attrs.iter().map(|a| f(a)).collect::<Vec<_>>().join("\t");
    let mut out = String::new();
    out.push('#');
    out.push_str(&line(&|a| a.display.to_string()));
    out.push_str("\n#");
    out.push_str(&line(&|a| a.description.to_string()));
    out.push_str("\n#");
    out.push_str(&line(&|a| a.datatype.to_string()));
    out.push_str("\n#");
    out.push_str(&line(&|a| a.priority.to_string()));
    out.push('\n');
    out.push_str(&line(&|a| a.name.to_string()));
    out.push('\n');
    table_rows(&mut out, rows);
    out
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = header.join("\t");
    out.push('\n');
    table_rows(&mut out, rows);
    out
}

fn table_rows(out: &mut String, rows: &[Vec<String>]) {
    for r in rows {
        out.push_str(&r.join("\t"));
        out.push('\n');
    }
}

fn meta(lines: &[(&str, &str)]) -> String {
    lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// A cell: tabs and line ends would break the row, so they become spaces.
fn cell(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

/// The study folder for these patients (pseudonym, current case), in pseudonym order.
///
/// # Errors
/// [`Error::Invalid`] when the study id or a pseudonym is not usable as a cBioPortal id
/// (letters, digits, `.`, `_`, `-`; the study id: letters, digits, `_`): nothing is written.
pub fn study(patients: &[(&str, &Case)], opts: &ExportOptions) -> Result<Study> {
    let sid = opts.study_id.as_str();
    let study_ok = !sid.is_empty()
        && sid.len() <= 64
        && sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !study_ok {
        return Err(Error::Invalid(format!(
            "--study-id {sid:?}: 1 to 64 of A-Z, a-z, 0-9 and _"
        )));
    }
    for (p, _) in patients {
        if !is_portal_id(p) {
            return Err(Error::Invalid(format!(
                "patient {p:?}: a cBioPortal id may use only letters, digits, '.', '_' and '-'; nothing exported"
            )));
        }
    }
    let mut patients: Vec<(&str, &Case)> = patients.to_vec();
    patients.sort_by(|a, b| a.0.cmp(b.0));
    let mut s = Study::default();
    let mut notes_undated = Vec::new();

    let mut patient_attrs: Vec<&Attr> = PATIENT_ATTRS.iter().collect();
    if opts.with_dates {
        patient_attrs.push(&DIAGNOSIS_DATE_ATTR);
    }
    let mut patient_rows = Vec::new();
    let mut sample_rows = Vec::new();
    let mut maf_rows = Vec::new();
    let mut sv_rows = Vec::new();
    let mut timeline_rows: Vec<Vec<Vec<String>>> = vec![Vec::new(); TIMELINES.len()];
    let (mut sequenced, mut sv_profiled, mut all) = (Vec::new(), Vec::new(), Vec::new());

    for (pseudonym, case) in &patients {
        let sample = sample_id(pseudonym);
        all.push(sample.clone());
        let stage = staging::stage(&case.tumor);
        let (os_status, os_months) = overall_survival(case);
        let t = &case.tumor;
        let mut row = vec![
            pseudonym.to_string(),
            opt(case.patient.age_years.map(num)),
            opt(case.patient.sex.map(|x| {
                match x {
                    Sex::Male => "Male",
                    Sex::Female => "Female",
                    Sex::Other => "Other",
                }
                .to_string()
            })),
            opt(case.patient.ecog.map(|e| e.to_string())),
            opt(case.diagnosis.histology.map(|h| id_of(&h))),
            opt(stage.group.map(|g| g.to_string())),
            opt(t.t.map(|x| x.to_string())),
            opt(t.n.map(|x| x.to_string())),
            opt(t.m.map(|x| x.to_string())),
            opt(t.stage_group.map(|x| x.to_string())),
            opt(t.largest_dimension_mm.map(num)),
            list(t.invasion.as_deref()),
            list(t.metastatic_sites.as_deref()),
            opt(t.resectability.map(|x| id_of(&x))),
            opt(os_status.map(str::to_string)),
            opt(os_months.map(|m| format!("{m:.2}"))),
        ];
        if opts.with_dates {
            row.push(opt(case.diagnosis.date.map(|d| d.to_string())));
        }
        patient_rows.push(row);

        let m = &case.molecular;
        let (detailed, oncotree) = match case.diagnosis.histology {
            Some(Histology::Anaplastic) => (Some("Anaplastic Thyroid Cancer"), Some("THAP")),
            Some(Histology::PoorlyDifferentiated) => {
                (Some("Poorly Differentiated Thyroid Cancer"), Some("THPD"))
            }
            _ => (None, None),
        };
        sample_rows.push(vec![
            sample.clone(),
            pseudonym.to_string(),
            "Thyroid Cancer".to_string(),
            opt(detailed.map(str::to_string)),
            opt(oncotree.map(str::to_string)),
            opt(m.tmb_mut_per_mb.map(num)),
            opt(m.msi.map(|x| {
                match x {
                    atcpath_core::case::Msi::High => "MSI-H",
                    atcpath_core::case::Msi::Stable => "MSS",
                }
                .to_string()
            })),
            opt(m.mmr.map(|x| id_of(&x))),
            opt(m.pd_l1_tps_percent.map(num)),
            tests(&m.resulted),
            tests(&m.pending),
        ]);
        if m.resulted.contains(&TestId::NgsDna) {
            sequenced.push(sample.clone());
        }
        if m.resulted.contains(&TestId::NgsRna) {
            sv_profiled.push(sample.clone());
        }
        for v in &m.variants {
            let protein = v.protein.as_ref().map(|p| p.normalized.clone());
            maf_rows.push(vec![
                cell(&v.gene),
                "GRCh37".into(),
                String::new(),
                String::new(),
                String::new(),
                variant_classification(v).to_string(),
                String::new(),
                String::new(),
                String::new(),
                sample.clone(),
                v.coding
                    .as_ref()
                    .map(|c| c.normalized.clone())
                    .unwrap_or_default(),
                protein.clone().unwrap_or_default(),
                protein.as_deref().map(protein_short).unwrap_or_default(),
            ]);
        }
        for f in &m.fusions {
            sv_rows.push(vec![
                sample.clone(),
                "SOMATIC".into(),
                cell(&f.five_prime),
                cell(&f.three_prime),
                "Fusion".into(),
            ]);
        }

        // Timeline, in days from diagnosis.
        let Some(day0) = case.diagnosis.date else {
            if !case.events.is_empty() || case.treatments.iter().any(|t| t.start.is_some()) {
                notes_undated.push(pseudonym.to_string());
            }
            continue;
        };
        let mut events: Vec<_> = case.events.iter().collect();
        events.sort_by_key(|e| e.date);
        for e in events {
            let (kind, text) = timeline_of(e.kind);
            let i = TIMELINES
                .iter()
                .position(|k| k.stem == kind.stem)
                .unwrap_or(0);
            let mut r = vec![
                pseudonym.to_string(),
                days_between(day0, e.date).to_string(),
                String::new(),
                kind.event_type.to_string(),
                text.to_string(),
            ];
            if kind.stem == TREATMENT.stem {
                r.extend([String::new(), String::new(), String::new()]);
            }
            r.push(e.kind.id().to_string());
            timeline_rows[i].push(r);
        }
        let i = TIMELINES.len() - 1;
        for tr in &case.treatments {
            let Some(start) = tr.start else {
                continue;
            };
            let dose = tr.cumulative_dose.as_ref();
            timeline_rows[i].push(vec![
                pseudonym.to_string(),
                days_between(day0, start).to_string(),
                tr.end
                    .map(|e| days_between(day0, e).to_string())
                    .unwrap_or_default(),
                TREATMENT.event_type.to_string(),
                "Medical Therapy".into(),
                cell(&tr.drug),
                dose.map(|d| num(d.value)).unwrap_or_default(),
                dose.map(|d| id_of(&d.unit)).unwrap_or_default(),
                String::new(),
            ]);
        }
    }
    if !notes_undated.is_empty() {
        s.notes.push(format!(
            "{} patient(s) have events or treatments but no diagnosis date, so no timeline rows and no OS_MONTHS: {}",
            notes_undated.len(),
            notes_undated.join(", ")
        ));
    }
    let without_treatment_start = patients
        .iter()
        .filter(|(_, c)| c.treatments.iter().any(|t| t.start.is_none()))
        .map(|(p, _)| *p)
        .collect::<Vec<_>>();
    if !without_treatment_start.is_empty() {
        s.notes.push(format!(
            "treatments without a start date are not on the timeline (patients: {})",
            without_treatment_start.join(", ")
        ));
    }

    let n = patients.len();
    let mut add = |path: &str, text: String| {
        s.files.push(StudyFile {
            path: path.to_string(),
            text,
        })
    };
    add(
        "meta_study.txt",
        meta(&[
            ("type_of_cancer", "thap"),
            ("cancer_study_identifier", sid),
            ("name", "ATCPath registry (pseudonymised export)"),
            (
                "description",
                &format!(
                    "Anaplastic thyroid carcinoma patients of an ATCPath registry, current case versions ({n} patient{})",
                    if n == 1 { "" } else { "s" }
                ),
            ),
            ("reference_genome", "hg19"),
        ]),
    );
    add(
        "meta_clinical_patient.txt",
        meta(&[
            ("cancer_study_identifier", sid),
            ("genetic_alteration_type", "CLINICAL"),
            ("datatype", "PATIENT_ATTRIBUTES"),
            ("data_filename", "data_clinical_patient.txt"),
        ]),
    );
    add(
        "data_clinical_patient.txt",
        clinical_file(&patient_attrs, &patient_rows),
    );
    add(
        "meta_clinical_sample.txt",
        meta(&[
            ("cancer_study_identifier", sid),
            ("genetic_alteration_type", "CLINICAL"),
            ("datatype", "SAMPLE_ATTRIBUTES"),
            ("data_filename", "data_clinical_sample.txt"),
        ]),
    );
    add(
        "data_clinical_sample.txt",
        clinical_file(&SAMPLE_ATTRS.iter().collect::<Vec<_>>(), &sample_rows),
    );
    for (k, rows) in TIMELINES.iter().zip(&timeline_rows) {
        if rows.is_empty() {
            continue;
        }
        let data = format!("data_timeline_{}.txt", k.stem);
        add(
            &format!("meta_timeline_{}.txt", k.stem),
            meta(&[
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", "CLINICAL"),
                ("datatype", "TIMELINE"),
                ("data_filename", &data),
            ]),
        );
        let mut header = vec!["PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE"];
        header.extend(k.extra.iter().copied());
        add(&data, table(&header, rows));
    }
    if !maf_rows.is_empty() {
        add(
            "meta_mutations.txt",
            meta(&[
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", "MUTATION_EXTENDED"),
                ("datatype", "MAF"),
                ("stable_id", "mutations"),
                ("show_profile_in_analysis_tab", "true"),
                ("profile_name", "Mutations"),
                (
                    "profile_description",
                    "Variants detected, as recorded in the ATCPath registry (gene and HGVS; no genomic coordinates)",
                ),
                ("data_filename", "data_mutations.txt"),
            ]),
        );
        add("data_mutations.txt", table(&MAF_COLUMNS, &maf_rows));
    }
    if !sv_rows.is_empty() {
        add(
            "meta_structural_variants.txt",
            meta(&[
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", "STRUCTURAL_VARIANT"),
                ("datatype", "SV"),
                ("stable_id", "structural_variants"),
                ("show_profile_in_analysis_tab", "true"),
                ("profile_name", "Structural variants"),
                (
                    "profile_description",
                    "Fusions detected, as recorded in the ATCPath registry",
                ),
                ("data_filename", "data_structural_variants.txt"),
            ]),
        );
        add("data_structural_variants.txt", table(&SV_COLUMNS, &sv_rows));
    }
    let mut list = |suffix: &str, name: &str, description: &str, category: &str, ids: &[String]| {
        if ids.is_empty() {
            return;
        }
        add(
            &format!("case_lists/cases{suffix}.txt"),
            meta(&[
                ("cancer_study_identifier", sid),
                ("stable_id", &format!("{sid}{suffix}")),
                ("case_list_name", name),
                ("case_list_description", description),
                ("case_list_category", category),
                ("case_list_ids", &ids.join("\t")),
            ]),
        );
    };
    list(
        "_all",
        "All samples",
        "All samples of the export",
        "all_cases_in_study",
        &all,
    );
    list(
        "_sequenced",
        "Samples with DNA sequencing",
        "Samples whose case records a resulted DNA NGS test (ngs_dna)",
        "all_cases_with_mutation_data",
        &sequenced,
    );
    list(
        "_sv",
        "Samples with RNA sequencing",
        "Samples whose case records a resulted RNA NGS test (ngs_rna)",
        "all_cases_with_sv_data",
        &sv_profiled,
    );
    let listed: BTreeSet<&String> = sequenced.iter().collect();
    let unlisted_variants: BTreeSet<&str> = patients
        .iter()
        .filter(|(p, c)| !c.molecular.variants.is_empty() && !listed.contains(&sample_id(p)))
        .map(|(p, _)| *p)
        .collect();
    if !unlisted_variants.is_empty() {
        s.notes.push(format!(
            "variants of patients without a resulted ngs_dna test are in the MAF but their samples are not in the _sequenced case list (not profiled for other genes): {}",
            unlisted_variants.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(json: &str) -> Case {
        let kb = atcpath_kb::Kb::embedded().expect("kb");
        atcpath_core::case::read_record(json.as_bytes(), &kb, None).expect("case")
    }

    #[test]
    fn protein_short_form() {
        assert_eq!(protein_short("p.Val600Glu"), "p.V600E");
        assert_eq!(protein_short("p.Lys123ArgfsTer5"), "p.K123Rfs*5");
        assert_eq!(protein_short("p.Glu746_Ala750del"), "p.E746_A750del");
    }

    #[test]
    fn overall_survival_is_absent_when_unknown_never_zero() {
        let dead = case(
            r#"{"schema":"atcpath.case/1","id":"a","as_of":"2024-06-01","diagnosis":{"date":"2024-01-10"},
                "events":[{"kind":"death","date":"2024-05-30"}]}"#,
        );
        // 141 days / 30.4375 = 4.632...
        assert_eq!(overall_survival(&dead), (Some("1:DECEASED"), Some(4.63)));
        let undated = case(
            r#"{"schema":"atcpath.case/1","id":"a","as_of":"2024-06-01",
                "events":[{"kind":"last_follow_up","date":"2024-05-30"}]}"#,
        );
        assert_eq!(overall_survival(&undated), (Some("0:LIVING"), None));
        // Censored at the latest dated fact (an MDT), from the first pathology confirmation.
        let censored = case(
            r#"{"schema":"atcpath.case/1","id":"a","as_of":"2024-06-01",
                "events":[{"kind":"pathology_confirmed","date":"2024-01-10"},
                          {"kind":"mdt","date":"2024-05-30"}]}"#,
        );
        assert_eq!(overall_survival(&censored), (Some("0:LIVING"), Some(4.63)));
        let unknown = case(r#"{"schema":"atcpath.case/1","id":"a","as_of":"2024-06-01"}"#);
        assert_eq!(overall_survival(&unknown), (None, None));
    }

    #[test]
    fn unknown_is_na_and_a_bad_pseudonym_is_refused() {
        // The case reader refuses such an id now; the study writer still refuses the pseudonym.
        let c = case(r#"{"schema":"atcpath.case/1","id":"a","as_of":"2024-06-01"}"#);
        let opts = ExportOptions {
            study_id: DEFAULT_STUDY_ID.into(),
            with_dates: false,
        };
        assert!(study(&[("a b", &c)], &opts).is_err());
        let s = study(&[("p1", &c)], &opts).unwrap();
        let patients = &s
            .files
            .iter()
            .find(|f| f.path == "data_clinical_patient.txt")
            .unwrap()
            .text;
        let row = patients.lines().nth(5).unwrap();
        assert!(row.starts_with("p1\tNA\tNA\tNA"), "{row}");
        assert!(!s.files.iter().any(|f| f.path.contains("timeline")));
        assert!(!s.files.iter().any(|f| f.path.contains("sequenced")));
    }
}
