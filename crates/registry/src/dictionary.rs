//! The registry's fields as a REDCap data dictionary (the CSV REDCap's "Data Dictionary" page
//! imports): the case file's fields (`case-format.md`), the registry's direct identifier and
//! centre, and the outcomes the registry derives, grouped into instruments.
//!
//! Built from data: [`SPECS`] is the table of fields, in form order; the choices of every
//! coded field come from the case model's own enums (`atcpath_core::case`, `staging`, the
//! knowledge base's vocabularies, the unit table of `atcpath_core::units`), through a macro that
//! fails to compile when an enum gains a member the list does not name. So the dictionary
//! cannot drift from the case reader silently; the tests also feed every choice to the reader.
//!
//! REDCap conventions used: variable names lower-case snake_case (at most 100 characters);
//! choices `code, label | code, label`, where the code is the case file's value with any
//! character other than a letter, digit or `_` written `_` (`mg/dL` is `mg_dL`; the label keeps
//! `mg/dL`); dates `date_ymd`; numbers `number` or `integer` with the case reader's ranges;
//! units in the field note; direct identifiers flagged `y`. The instruments `molecular_alterations`,
//! `treatment` and `events` are meant as repeating instruments (one instance per variant or
//! fusion, treatment, event): REDCap sets repetition in the project, not in the dictionary.
//! Each field's annotation names where its value lives (`case: patient.sex`).

use atcpath_core::case::{
    DoseUnit, EventKind, Goals, Histology, Invasion, MetastaticSite, Mmr, Modality, Msi,
    Resectability, Sex, TestId, Tracheostomy, id_of,
};
use atcpath_core::staging::{M, N, StageGroup, T};
use atcpath_core::units::Kind;

use crate::error::Result;

/// REDCap's data dictionary columns, in its order.
pub const HEADER: [&str; 18] = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
];

/// REDCap field types (all of them; the dictionary uses some).
pub const FIELD_TYPES: &[&str] = &[
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "yesno",
    "truefalse",
    "calc",
    "file",
    "slider",
    "descriptive",
    "sql",
];

/// REDCap's built-in text validation types.
pub const VALIDATION_TYPES: &[&str] = &[
    "date_dmy",
    "date_mdy",
    "date_ymd",
    "datetime_dmy",
    "datetime_mdy",
    "datetime_ymd",
    "datetime_seconds_dmy",
    "datetime_seconds_mdy",
    "datetime_seconds_ymd",
    "email",
    "integer",
    "alpha_only",
    "number",
    "number_1dp",
    "number_2dp",
    "number_3dp",
    "number_4dp",
    "phone",
    "postalcode_canada",
    "ssn",
    "time",
    "time_mm_ss",
    "vmrn",
    "zipcode",
];

/// Where a coded field's choices come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocab {
    /// Not coded.
    None,
    /// `patient.sex`.
    Sex,
    /// ECOG 0 to 4.
    Ecog,
    /// A unit of a measured quantity.
    Unit(Kind),
    /// Modalities (`unfit_for`, `declines`).
    Modality,
    /// `preferences.goals_of_care`.
    Goals,
    /// `preferences.tracheostomy`.
    Tracheostomy,
    /// `diagnosis.histology`.
    Histology,
    /// AJCC T.
    T,
    /// AJCC N.
    N,
    /// AJCC M.
    M,
    /// Whether gross invasion was recorded (none / present); not a case value.
    InvasionRecorded,
    /// `tumor.invasion`.
    Invasion,
    /// `tumor.metastatic_sites`.
    MetastaticSite,
    /// `tumor.resectability`.
    Resectability,
    /// `tumor.stage_group`.
    StageGroup,
    /// Molecular test ids.
    TestId,
    /// `molecular.mmr`.
    Mmr,
    /// `molecular.msi`.
    Msi,
    /// Variant or fusion (the repeating alterations instrument); not a case value.
    AlterationType,
    /// Cumulative dose unit.
    DoseUnit,
    /// Event kinds.
    EventKind,
    /// The registry's derived vital status.
    VitalStatus,
}

/// One field of the table.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Variable name.
    pub name: &'static str,
    /// Instrument.
    pub form: &'static str,
    /// Section header shown above the field.
    pub section: &'static str,
    /// REDCap field type.
    pub field_type: &'static str,
    /// Label.
    pub label: &'static str,
    /// Choices.
    pub vocab: Vocab,
    /// Field note (units).
    pub note: &'static str,
    /// Text validation type.
    pub validation: &'static str,
    /// Minimum.
    pub min: &'static str,
    /// Maximum.
    pub max: &'static str,
    /// A direct identifier.
    pub identifier: bool,
    /// Branching logic.
    pub branching: &'static str,
    /// Required.
    pub required: bool,
    /// Where the value lives in a case file (`patient.sex`, `events[].kind`), or `None` for the
    /// registry's own fields.
    pub case_path: Option<&'static str>,
}

const BLANK: Spec = Spec {
    name: "",
    form: "",
    section: "",
    field_type: "text",
    label: "",
    vocab: Vocab::None,
    note: "",
    validation: "",
    min: "",
    max: "",
    identifier: false,
    branching: "",
    required: false,
    case_path: None,
};

const fn text(name: &'static str, form: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        form,
        label,
        ..BLANK
    }
}

const fn coded(
    name: &'static str,
    form: &'static str,
    field_type: &'static str,
    label: &'static str,
    vocab: Vocab,
) -> Spec {
    Spec {
        name,
        form,
        field_type,
        label,
        vocab,
        ..BLANK
    }
}

const fn date(name: &'static str, form: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        form,
        label,
        validation: "date_ymd",
        note: "YYYY-MM-DD",
        ..BLANK
    }
}

const fn number(
    name: &'static str,
    form: &'static str,
    label: &'static str,
    note: &'static str,
    min: &'static str,
    max: &'static str,
) -> Spec {
    Spec {
        name,
        form,
        label,
        note,
        validation: "number",
        min,
        max,
        ..BLANK
    }
}

const D: &str = "demographics";
const DS: &str = "diagnosis_staging";
const MO: &str = "molecular";
const MA: &str = "molecular_alterations";
const TR: &str = "treatment";
const EV: &str = "events";
const OU: &str = "outcomes";

/// Every field, in instrument order (the first is the record id).
pub const SPECS: &[Spec] = &[
    Spec {
        required: true,
        case_path: Some("id"),
        ..text("record_id", D, "Record ID (patient pseudonym: the case id)")
    },
    Spec {
        identifier: true,
        note: "direct identifier: kept in the registry's identifiers table only, never in case files",
        ..text("hospital_number", D, "Hospital number")
    },
    text("centre", D, "Centre code"),
    Spec {
        required: true,
        case_path: Some("as_of"),
        note: "YYYY-MM-DD; no event may be later",
        ..date("as_of", D, "Decision date (as of)")
    },
    Spec {
        field_type: "notes",
        section: "Source",
        case_path: Some("source.citation"),
        ..text("source_citation", D, "Where the facts come from (citation)")
    },
    Spec {
        case_path: Some("source.doi"),
        ..text("source_doi", D, "DOI")
    },
    Spec {
        field_type: "notes",
        case_path: Some("source.note"),
        ..text("source_note", D, "Note")
    },
    Spec {
        section: "Patient",
        case_path: Some("patient.age_years"),
        ..number("age_years", D, "Age", "years", "0", "120")
    },
    Spec {
        case_path: Some("patient.sex"),
        ..coded("sex", D, "radio", "Sex", Vocab::Sex)
    },
    Spec {
        case_path: Some("patient.weight.value"),
        ..number(
            "weight_value",
            D,
            "Weight",
            "in the unit of weight_unit (kg 2-400, g 2000-400000, lb 4.4-880)",
            "",
            "",
        )
    },
    Spec {
        case_path: Some("patient.weight.unit"),
        ..coded(
            "weight_unit",
            D,
            "dropdown",
            "Weight unit",
            Vocab::Unit(Kind::Weight),
        )
    },
    Spec {
        case_path: Some("patient.height.value"),
        ..number(
            "height_value",
            D,
            "Height",
            "in the unit of height_unit (cm 40-250, m 0.4-2.5, in 16-98)",
            "",
            "",
        )
    },
    Spec {
        case_path: Some("patient.height.unit"),
        ..coded(
            "height_unit",
            D,
            "dropdown",
            "Height unit",
            Vocab::Unit(Kind::Height),
        )
    },
    Spec {
        case_path: Some("patient.ecog"),
        ..coded("ecog", D, "radio", "ECOG performance status", Vocab::Ecog)
    },
    Spec {
        field_type: "notes",
        note: "one per line",
        case_path: Some("patient.comorbidities"),
        ..text("comorbidities", D, "Comorbidities")
    },
    Spec {
        case_path: Some("patient.unfit_for"),
        ..coded(
            "unfit_for",
            D,
            "checkbox",
            "Unfit for (clinicians' judgement)",
            Vocab::Modality,
        )
    },
    Spec {
        section: "Laboratory",
        case_path: Some("labs.creatinine.value"),
        ..number(
            "creatinine_value",
            D,
            "Creatinine",
            "in the unit of creatinine_unit (mg/dL 0.1-25, umol/L 9-2210)",
            "",
            "",
        )
    },
    Spec {
        case_path: Some("labs.creatinine.unit"),
        ..coded(
            "creatinine_unit",
            D,
            "dropdown",
            "Creatinine unit",
            Vocab::Unit(Kind::Creatinine),
        )
    },
    Spec {
        case_path: Some("labs.total_bilirubin.value"),
        ..number(
            "total_bilirubin_value",
            D,
            "Total bilirubin",
            "in the unit of total_bilirubin_unit (mg/dL 0.05-50, umol/L 0.9-855)",
            "",
            "",
        )
    },
    Spec {
        case_path: Some("labs.total_bilirubin.unit"),
        ..coded(
            "total_bilirubin_unit",
            D,
            "dropdown",
            "Total bilirubin unit",
            Vocab::Unit(Kind::Bilirubin),
        )
    },
    Spec {
        case_path: Some("labs.lvef_percent"),
        ..number(
            "lvef_percent",
            D,
            "Left-ventricular ejection fraction",
            "%",
            "5",
            "90",
        )
    },
    Spec {
        section: "Preferences",
        case_path: Some("preferences.goals_of_care"),
        ..coded("goals_of_care", D, "radio", "Goals of care", Vocab::Goals)
    },
    Spec {
        case_path: Some("preferences.tracheostomy"),
        ..coded(
            "tracheostomy",
            D,
            "radio",
            "Tracheostomy",
            Vocab::Tracheostomy,
        )
    },
    Spec {
        case_path: Some("preferences.declines"),
        ..coded(
            "declines",
            D,
            "checkbox",
            "Declines (the patient's choice)",
            Vocab::Modality,
        )
    },
    Spec {
        section: "Diagnosis",
        case_path: Some("diagnosis.histology"),
        ..coded("histology", DS, "dropdown", "Histology", Vocab::Histology)
    },
    Spec {
        case_path: Some("diagnosis.expert_review"),
        ..coded(
            "expert_review",
            DS,
            "yesno",
            "Confirmed by an expert thyroid pathologist",
            Vocab::None,
        )
    },
    Spec {
        case_path: Some("diagnosis.date"),
        ..date("diagnosis_date", DS, "Date of diagnosis")
    },
    Spec {
        case_path: Some("diagnosis.dtc_component"),
        ..text(
            "dtc_component",
            DS,
            "Differentiated thyroid carcinoma component",
        )
    },
    Spec {
        section: "Tumour (AJCC 8th edition, thyroid)",
        case_path: Some("tumor.t"),
        ..coded("t_category", DS, "dropdown", "T", Vocab::T)
    },
    Spec {
        case_path: Some("tumor.n"),
        ..coded("n_category", DS, "dropdown", "N", Vocab::N)
    },
    Spec {
        case_path: Some("tumor.m"),
        ..coded("m_category", DS, "dropdown", "M", Vocab::M)
    },
    Spec {
        case_path: Some("tumor.largest_dimension_mm"),
        ..number(
            "largest_dimension_mm",
            DS,
            "Largest dimension of the primary",
            "mm",
            "0",
            "300",
        )
    },
    Spec {
        note: "blank: unknown",
        ..coded(
            "invasion_recorded",
            DS,
            "radio",
            "Gross extrathyroidal invasion",
            Vocab::InvasionRecorded,
        )
    },
    Spec {
        branching: "[invasion_recorded] = 'present'",
        case_path: Some("tumor.invasion"),
        ..coded("invasion", DS, "checkbox", "Invasion of", Vocab::Invasion)
    },
    Spec {
        case_path: Some("tumor.metastatic_sites"),
        ..coded(
            "metastatic_sites",
            DS,
            "checkbox",
            "Metastatic sites",
            Vocab::MetastaticSite,
        )
    },
    Spec {
        case_path: Some("tumor.resectability"),
        ..coded(
            "resectability",
            DS,
            "dropdown",
            "Resectability",
            Vocab::Resectability,
        )
    },
    Spec {
        case_path: Some("tumor.airway_compromise"),
        ..coded(
            "airway_compromise",
            DS,
            "yesno",
            "Airway compromise",
            Vocab::None,
        )
    },
    Spec {
        note: "as recorded by the treating team; T, N and M decide when they determine it",
        case_path: Some("tumor.stage_group"),
        ..coded(
            "stage_group",
            DS,
            "dropdown",
            "Stage group",
            Vocab::StageGroup,
        )
    },
    Spec {
        case_path: Some("molecular.resulted"),
        ..coded(
            "tests_resulted",
            MO,
            "checkbox",
            "Tests resulted",
            Vocab::TestId,
        )
    },
    Spec {
        case_path: Some("molecular.pending"),
        ..coded(
            "tests_pending",
            MO,
            "checkbox",
            "Tests pending",
            Vocab::TestId,
        )
    },
    Spec {
        case_path: Some("molecular.pd_l1_tps_percent"),
        ..number(
            "pd_l1_tps_percent",
            MO,
            "PD-L1 tumour proportion score",
            "%",
            "0",
            "100",
        )
    },
    Spec {
        case_path: Some("molecular.mmr"),
        ..coded("mmr", MO, "radio", "Mismatch repair", Vocab::Mmr)
    },
    Spec {
        case_path: Some("molecular.msi"),
        ..coded("msi", MO, "radio", "Microsatellite status", Vocab::Msi)
    },
    Spec {
        case_path: Some("molecular.tmb_mut_per_mb"),
        ..number(
            "tmb_mut_per_mb",
            MO,
            "Tumour mutational burden",
            "mutations per megabase (mut/Mb)",
            "0",
            "1000",
        )
    },
    Spec {
        required: true,
        note: "one instance per detected variant or fusion",
        ..coded(
            "alteration_type",
            MA,
            "radio",
            "Alteration",
            Vocab::AlterationType,
        )
    },
    Spec {
        branching: "[alteration_type] = 'variant'",
        note: "HGNC symbol",
        case_path: Some("molecular.variants[].gene"),
        ..text("variant_gene", MA, "Gene")
    },
    Spec {
        branching: "[alteration_type] = 'variant'",
        note: "e.g. p.V600E or p.Val600Glu; blank with a blank coding change: a variant reported without detail",
        case_path: Some("molecular.variants[].hgvs_p"),
        ..text("variant_hgvs_p", MA, "Protein change (HGVS)")
    },
    Spec {
        branching: "[alteration_type] = 'variant'",
        note: "e.g. c.-124C>T",
        case_path: Some("molecular.variants[].hgvs_c"),
        ..text("variant_hgvs_c", MA, "Coding change (HGVS)")
    },
    Spec {
        branching: "[alteration_type] = 'fusion'",
        note: "HGNC symbol",
        case_path: Some("molecular.fusions[].five_prime"),
        ..text("fusion_five_prime", MA, "Fusion 5' partner")
    },
    Spec {
        branching: "[alteration_type] = 'fusion'",
        note: "HGNC symbol",
        case_path: Some("molecular.fusions[].three_prime"),
        ..text("fusion_three_prime", MA, "Fusion 3' partner")
    },
    Spec {
        required: true,
        note: "generic name; one instance per treatment",
        case_path: Some("treatments[].drug"),
        ..text("treatment_drug", TR, "Drug")
    },
    Spec {
        case_path: Some("treatments[].start"),
        ..date("treatment_start", TR, "Start date")
    },
    Spec {
        case_path: Some("treatments[].end"),
        ..date("treatment_end", TR, "End date")
    },
    Spec {
        case_path: Some("treatments[].cumulative_dose.value"),
        ..number(
            "cumulative_dose_value",
            TR,
            "Cumulative dose",
            "in the unit of cumulative_dose_unit",
            "0",
            "100000",
        )
    },
    Spec {
        case_path: Some("treatments[].cumulative_dose.unit"),
        ..coded(
            "cumulative_dose_unit",
            TR,
            "dropdown",
            "Cumulative dose unit",
            Vocab::DoseUnit,
        )
    },
    Spec {
        required: true,
        note: "one instance per event",
        case_path: Some("events[].kind"),
        ..coded("event_kind", EV, "dropdown", "Event", Vocab::EventKind)
    },
    Spec {
        required: true,
        note: "YYYY-MM-DD; not after the decision date",
        case_path: Some("events[].date"),
        ..date("event_date", EV, "Event date")
    },
    Spec {
        note: "derived by the registry from the events: dead (a death event), alive (a last follow-up, no death), unknown",
        ..coded(
            "vital_status",
            OU,
            "radio",
            "Vital status",
            Vocab::VitalStatus,
        )
    },
    date("death_date", OU, "Date of death"),
    date("last_follow_up_date", OU, "Last follow-up"),
    date("progression_date", OU, "First progression"),
    date("last_event_date", OU, "Latest event of any kind"),
];

/// The case-file values of every member of an enum, from the same list that a `match` checks
/// for exhaustiveness: an enum that gains a member fails to compile here until it is listed.
macro_rules! all_of {
    ($t:ident: $($v:ident),+ $(,)?) => {{
        fn _exhaustive(x: $t) {
            match x {
                $($t::$v)|+ => {}
            }
        }
        vec![$(id_of(&$t::$v)),+]
    }};
}

/// The case-file values (or registry values) a coded field takes, in order.
pub fn values(vocab: Vocab) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    match vocab {
        Vocab::None => Vec::new(),
        Vocab::Sex => all_of!(Sex: Male, Female, Other),
        Vocab::Ecog => s(&["0", "1", "2", "3", "4"]),
        Vocab::Unit(k) => k.accepted_units().split(", ").map(str::to_string).collect(),
        Vocab::Modality => Modality::ALL.iter().map(|m| m.id().to_string()).collect(),
        Vocab::Goals => all_of!(Goals: Aggressive, Palliative, Undecided),
        Vocab::Tracheostomy => all_of!(Tracheostomy: Accept, Decline, Undecided),
        Vocab::Histology => all_of!(
            Histology: Anaplastic,
            PoorlyDifferentiated,
            SquamousCell,
            Other,
            Uncertain
        ),
        Vocab::T => T::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        Vocab::N => N::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        Vocab::M => M::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        Vocab::InvasionRecorded => s(&["none", "present"]),
        Vocab::Invasion => all_of!(
            Invasion: StrapMuscles,
            SubcutaneousSoftTissue,
            Larynx,
            Trachea,
            Esophagus,
            RecurrentLaryngealNerve,
            PrevertebralFascia,
            CarotidArtery,
            MediastinalVessels
        ),
        Vocab::MetastaticSite => all_of!(
            MetastaticSite: Lung,
            Bone,
            Liver,
            Brain,
            DistantNodes,
            Pleura,
            Skin,
            Other
        ),
        Vocab::Resectability => all_of!(
            Resectability: Resectable,
            Borderline,
            Unresectable,
            Unknown
        ),
        Vocab::StageGroup => StageGroup::ALL
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        Vocab::TestId => all_of!(
            TestId: BrafV600eIhc,
            BrafV600ePcr,
            NgsDna,
            NgsRna,
            PdL1Ihc,
            MmrIhc,
            MsiPcr,
            Tmb
        ),
        Vocab::Mmr => all_of!(Mmr: Proficient, Deficient),
        Vocab::Msi => all_of!(Msi: Stable, High),
        Vocab::AlterationType => s(&["variant", "fusion"]),
        Vocab::DoseUnit => all_of!(DoseUnit: MgPerM2, Mg),
        Vocab::EventKind => EventKind::ALL.iter().map(|k| k.id().to_string()).collect(),
        Vocab::VitalStatus => s(&["dead", "alive", "unknown"]),
    }
}

/// The REDCap code of a value: letters, digits and `_` kept, anything else written `_`.
pub fn code(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The label of a value: ids in words (`poorly_differentiated`: Poorly differentiated); units,
/// AJCC categories and numbers as they are.
fn label(vocab: Vocab, value: &str) -> String {
    match vocab {
        Vocab::Ecog => match value {
            "0" => "0 - fully active".into(),
            "1" => "1 - restricted in strenuous activity, ambulatory".into(),
            "2" => "2 - ambulatory, self-care, unable to work".into(),
            "3" => "3 - limited self-care, in bed or chair over half the day".into(),
            _ => "4 - completely disabled".into(),
        },
        Vocab::Unit(_) | Vocab::DoseUnit | Vocab::T | Vocab::N | Vocab::M | Vocab::StageGroup => {
            value.to_string()
        }
        Vocab::TestId => value.replace('_', " ").to_uppercase(),
        _ => {
            let words = value.replace('_', " ");
            let mut c = words.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        }
    }
}

/// The choices of a coded field: (code, label), in order.
pub fn choices(vocab: Vocab) -> Vec<(String, String)> {
    values(vocab)
        .iter()
        .map(|v| (code(v), label(vocab, v)))
        .collect()
}

/// One row of the dictionary, REDCap's 18 columns in order.
pub fn row(spec: &Spec) -> [String; 18] {
    let choices = choices(spec.vocab)
        .iter()
        .map(|(c, l)| format!("{c}, {l}"))
        .collect::<Vec<_>>()
        .join(" | ");
    let annotation = match spec.case_path {
        Some(p) => format!("case: {p}"),
        None => "registry".to_string(),
    };
    let yn = |b: bool| if b { "y".to_string() } else { String::new() };
    [
        spec.name.to_string(),
        spec.form.to_string(),
        spec.section.to_string(),
        spec.field_type.to_string(),
        spec.label.to_string(),
        choices,
        spec.note.to_string(),
        spec.validation.to_string(),
        spec.min.to_string(),
        spec.max.to_string(),
        yn(spec.identifier),
        spec.branching.to_string(),
        yn(spec.required),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        annotation,
    ]
}

/// Every row of the dictionary (without the header), in order.
pub fn rows() -> Vec<[String; 18]> {
    SPECS.iter().map(row).collect()
}

/// Writes the dictionary as CSV (header, then one line per field; RFC 4180 quoting).
///
/// # Errors
/// Write failures.
pub fn write_csv(out: &mut dyn std::io::Write) -> Result<usize> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| crate::Error::Io(std::io::Error::other(e));
    w.write_record(HEADER).map_err(io)?;
    let rows = rows();
    for r in &rows {
        w.write_record(r).map_err(io)?;
    }
    w.flush()?;
    Ok(rows.len())
}
