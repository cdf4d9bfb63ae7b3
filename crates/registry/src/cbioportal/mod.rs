//! cBioPortal study folders in and out of the registry, and case-file exports.
//!
//! - [`write`]: patients' current cases → the files of a study folder (pure);
//! - [`read`]: a study read by `atcpath-formats` → one case JSON per patient (pure);
//! - this module: the adapter. [`read_study`] reads a folder with ATCPath's readers (meta files,
//!   case lists, clinical patient and sample files, timelines, MAF, structural variants);
//!   [`write_folder`] writes a folder beside the target and renames it into place, refusing a
//!   non-empty target; the database side is in [`crate::Registry::export_cbioportal`],
//!   [`crate::Registry::export_cases`] and [`crate::Registry::import_cbioportal`].

pub mod read;
pub mod write;

use std::collections::BTreeSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use atcpath_core::genomics::{Finding, VariantClass};
use atcpath_formats::cbioportal::{Meta, parse_case_list, parse_meta};
use atcpath_formats::clinical::{ClinicalReader, TableReader};
use atcpath_formats::maf::MafReader;
use atcpath_formats::sv::SvReader;
use atcpath_kb::Thresholds;

use crate::error::{Error, Result};
use read::{
    Attrs, FoundFusion, FoundVariant, Located, ParsedStudy, PatientRow, SampleRow, TimelineRow,
};

/// Patient attribute: the diagnosis date (ISO 8601), day 0 of the timeline (`--with-dates`).
pub const COL_DIAGNOSIS_DATE: &str = "ATCPATH_DIAGNOSIS_DATE";
/// Timeline column: the ATCPath event kind of the row (`case-format.md`).
pub const COL_EVENT: &str = "ATCPATH_EVENT";
/// Patient attribute: the stage group recorded by the treating team.
pub const COL_STAGE_RECORDED: &str = "STAGE_GROUP_RECORDED";
/// Sample attribute: molecular tests resulted (`;`-separated ATCPath test ids).
pub const COL_TESTS_RESULTED: &str = "ATCPATH_TESTS_RESULTED";
/// Sample attribute: molecular tests pending.
pub const COL_TESTS_PENDING: &str = "ATCPATH_TESTS_PENDING";
/// Days per month for `OS_MONTHS` (the mean Gregorian month, 365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// Whether `id` is a usable cBioPortal patient or sample id (letters, digits, `.`, `_`, `-`;
/// not starting with `.`, so that it is also a safe file name).
pub fn is_portal_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The sample id of a patient's tumour in an export: `<pseudonym>-T`.
pub fn sample_id(pseudonym: &str) -> String {
    format!("{pseudonym}-T")
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", path.display()),
    ))
}

fn bad(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("{}: {e}", path.display()))
}

/// Refuses an output folder that exists and is not empty (or is not a folder).
///
/// # Errors
/// [`Error::Invalid`] naming the folder.
pub fn check_output(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: exists and is not a folder; refusing to overwrite it",
            dir.display()
        )));
    }
    let mut entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    if entries.next().is_some() {
        return Err(Error::Invalid(format!(
            "{}: the folder is not empty; refusing to overwrite it (name a new or empty folder)",
            dir.display()
        )));
    }
    Ok(())
}

/// A staging folder beside `dir`, with `files` (relative `/`-separated paths) written in it.
///
/// # Errors
/// Write failures (the staging folder is removed).
pub fn stage_folder(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<PathBuf> {
    check_output(dir)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Invalid(format!("{}: not a folder name", dir.display())))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = parent.join(format!(".{name}.partial-{}-{nanos}", std::process::id()));
    let write_all = || -> Result<()> {
        std::fs::create_dir(&tmp).map_err(|e| io(&tmp, e))?;
        for (rel, bytes) in files {
            let p = tmp.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            }
            std::fs::write(&p, bytes).map_err(|e| io(&p, e))?;
        }
        Ok(())
    };
    if let Err(e) = write_all() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Moves a staged folder to `dir` (an empty `dir` is replaced). On failure the staged folder is
/// removed.
///
/// # Errors
/// [`Error::Invalid`] when `dir` became non-empty meanwhile; rename failures.
pub fn publish_folder(tmp: &Path, dir: &Path) -> Result<()> {
    let result = check_output(dir).and_then(|()| {
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(|e| io(dir, e))?;
        }
        std::fs::rename(tmp, dir).map_err(|e| io(dir, e))
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(tmp);
    }
    result
}

/// A metadata file or case list read whole within `formats::limits` (a limit crossed or text
/// that is not UTF-8 is invalid input with the line).
fn read_text(path: &Path) -> Result<String> {
    atcpath_formats::limits::read_text(open(path)?, atcpath_formats::limits::MAX_WHOLE_FILE_BYTES)
        .map_err(|(line, e)| {
            if atcpath_formats::limits::is_limit(&e) || e.kind() == std::io::ErrorKind::InvalidData
            {
                bad(path, format!("line {line}: {e}"))
            } else {
                io(path, e)
            }
        })
}

fn open(path: &Path) -> Result<BufReader<std::fs::File>> {
    Ok(BufReader::new(
        atcpath_formats::limits::open_file(path).map_err(|e| io(path, e))?,
    ))
}

/// Refuses a header naming one column twice (case-insensitive): which value a row has would be
/// a silent choice.
fn unique_header(header: &[String], line: usize, p: &Path) -> Result<()> {
    for (k, h) in header.iter().enumerate() {
        if let Some(j) = header[..k].iter().position(|x| x.eq_ignore_ascii_case(h)) {
            return Err(bad(
                p,
                format!(
                    "line {line}: columns {} and {} are both named {h}: which one to read is ambiguous",
                    j + 1,
                    k + 1
                ),
            ));
        }
    }
    Ok(())
}

fn attrs_of<'a>(fields: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Attrs {
    fields
        .map(|(k, v)| (k.to_ascii_uppercase(), v.map(str::to_string)))
        .collect()
}

/// MAF classifications cBioPortal's loader drops by default (TERT `5'Flank` is kept).
fn dropped_by_loader(gene: &str, class: Option<&str>) -> bool {
    let Some(c) = class else { return false };
    let c = c.to_ascii_lowercase();
    match c.as_str() {
        "silent" | "intron" | "igr" | "3'utr" | "5'utr" | "3'flank" => true,
        "5'flank" => !gene.eq_ignore_ascii_case("TERT"),
        _ => false,
    }
}

/// Reads a cBioPortal study folder with ATCPath's readers: `meta_study.txt` (optional), every
/// `meta_*.txt` (clinical patient and sample attributes, timelines, `MUTATION_EXTENDED`,
/// `STRUCTURAL_VARIANT`/`FUSION`; others are listed in `notes`), and `case_lists/`. MAF rows the
/// cBioPortal loader drops (silent, intronic, UTR, flanks but TERT's) and germline or
/// non-fusion SV rows are not kept; samples of data files that the sample file lacks are listed
/// in `notes`.
///
/// # Errors
/// [`Error::Invalid`] naming the file and line of the first malformed line of any file (a row
/// with the wrong number of fields, a missing id, a duplicate `PATIENT_ID`), a meta file without
/// `data_filename` or naming a missing file, a folder without a clinical file; read failures.
pub fn read_study(dir: &Path, th: &Thresholds) -> Result<ParsedStudy> {
    if !dir.is_dir() {
        return Err(Error::Invalid(format!("{}: not a folder", dir.display())));
    }
    let mut st = ParsedStudy::default();
    let meta_of = |p: &Path| -> Result<Meta> {
        let text = read_text(p)?;
        parse_meta(&text).map_err(|e| bad(p, e))
    };
    let study = dir.join("meta_study.txt");
    if study.is_file() {
        st.study_id = meta_of(&study)?
            .get("cancer_study_identifier")
            .map(str::to_string);
    }
    let mut metas: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with("meta_") && n != "meta_study.txt"
                })
        })
        .collect();
    metas.sort();
    let mut clinical = false;
    let mut data_samples: BTreeSet<String> = BTreeSet::new();
    for m in metas {
        let meta = meta_of(&m)?;
        let t = meta.get("genetic_alteration_type").unwrap_or_default();
        let d = meta.get("datatype").unwrap_or_default();
        let data = || -> Result<PathBuf> {
            let name = meta
                .get("data_filename")
                .ok_or_else(|| bad(&m, "no data_filename"))?;
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(bad(
                    &m,
                    format!("names the data file {name}, which is not in the study folder"),
                ))
            }
        };
        match (t, d) {
            ("CLINICAL", "PATIENT_ATTRIBUTES") => {
                clinical = true;
                let p = data()?;
                let shown = p.display().to_string();
                let mut r = ClinicalReader::new(open(&p)?, &shown).map_err(|e| bad(&p, e))?;
                unique_header(r.header(), r.header_line(), &p)?;
                if r.columns().patient.is_none() {
                    return Err(bad(&p, "no PATIENT_ID column"));
                }
                while let Some(row) = r.next_row().map_err(|e| bad(&p, e))? {
                    let at = Located {
                        file: shown.clone(),
                        line: row.line_no(),
                    };
                    let id = row.patient().unwrap_or_default().to_string();
                    let attrs = attrs_of(row.fields());
                    if let Some(prev) = st.patients.get(&id) {
                        return Err(Error::Invalid(format!(
                            "{at}: PATIENT_ID {id} already on {}",
                            prev.at
                        )));
                    }
                    st.patients.insert(id, PatientRow { at, attrs });
                }
            }
            ("CLINICAL", "SAMPLE_ATTRIBUTES") => {
                clinical = true;
                let p = data()?;
                let shown = p.display().to_string();
                let mut r = ClinicalReader::new(open(&p)?, &shown).map_err(|e| bad(&p, e))?;
                unique_header(r.header(), r.header_line(), &p)?;
                while let Some(row) = r.next_row().map_err(|e| bad(&p, e))? {
                    let at = Located {
                        file: shown.clone(),
                        line: row.line_no(),
                    };
                    let (Some(s), Some(pt)) = (row.sample(), row.patient()) else {
                        return Err(Error::Invalid(format!(
                            "{at}: a sample file row needs PATIENT_ID and SAMPLE_ID"
                        )));
                    };
                    if st.samples.iter().any(|x| x.id == s) {
                        return Err(Error::Invalid(format!("{at}: SAMPLE_ID {s} repeated")));
                    }
                    let (tmb, msi, biomarker_error) = match row.biomarkers(th) {
                        Ok(b) => (
                            b.tmb.and_then(|f| match f.finding {
                                Finding::Tmb { mut_per_mb } => Some(mut_per_mb),
                                _ => None,
                            }),
                            b.msi.and_then(|f| match f.finding {
                                Finding::Msi { status } => Some(status),
                                _ => None,
                            }),
                            None,
                        ),
                        Err(e) => (None, None, Some(e.to_string())),
                    };
                    st.samples.push(SampleRow {
                        id: s.to_string(),
                        patient: pt.to_string(),
                        attrs: attrs_of(row.fields()),
                        at,
                        tmb,
                        msi,
                        biomarker_error,
                    });
                }
            }
            ("CLINICAL", "TIMELINE") => {
                let p = data()?;
                let shown = p.display().to_string();
                let mut r = TableReader::new(open(&p)?).map_err(|e| bad(&p, e))?;
                for col in ["PATIENT_ID", "START_DATE", "EVENT_TYPE"] {
                    if r.col(&[col]).is_none() {
                        return Err(bad(&p, format!("no {col} column")));
                    }
                }
                r.allow_short_rows(4);
                unique_header(r.header(), r.header_line(), &p)?;
                let header: Vec<String> = r.header().to_vec();
                let pid = r.col(&["PATIENT_ID"]).unwrap_or(0);
                while let Some(rec) = r.next_record().map_err(|e| bad(&p, e))? {
                    let at = Located {
                        file: shown.clone(),
                        line: rec.line_no,
                    };
                    let Some(patient) = rec.get(pid) else {
                        return Err(Error::Invalid(format!("{at}: PATIENT_ID is empty")));
                    };
                    let attrs = attrs_of(
                        header
                            .iter()
                            .enumerate()
                            .map(|(i, h)| (h.as_str(), rec.get(i))),
                    );
                    st.timeline.push(TimelineRow {
                        patient: patient.to_string(),
                        at,
                        attrs,
                    });
                }
            }
            ("MUTATION_EXTENDED", _) => {
                let p = data()?;
                let shown = p.display().to_string();
                let mut maf = MafReader::new(open(&p)?).map_err(|e| bad(&p, e))?;
                let c = maf.columns();
                while let Some(row) = maf.next_row().map_err(|e| bad(&p, e))? {
                    let class = row.get(c.classification);
                    let f = c.finding(&row, &shown);
                    let Some(sample) = f.sample else {
                        return Err(Error::Invalid(format!(
                            "{shown} line {}: Tumor_Sample_Barcode is empty",
                            row.line_no
                        )));
                    };
                    data_samples.insert(sample.clone());
                    if let Finding::Variant {
                        gene,
                        protein,
                        coding,
                        ..
                    } = f.finding
                    {
                        if gene.is_empty()
                            || gene.eq_ignore_ascii_case("Unknown")
                            || dropped_by_loader(&gene, class)
                            || class.map(VariantClass::from_maf) == Some(VariantClass::Silent)
                        {
                            continue;
                        }
                        st.variants.push(FoundVariant {
                            sample,
                            gene,
                            hgvs_p: protein.map(|p| p.normalized),
                            hgvs_c: coding.map(|c| c.normalized),
                            at: Located {
                                file: shown.clone(),
                                line: row.line_no,
                            },
                        });
                    }
                }
            }
            ("STRUCTURAL_VARIANT", _) | ("FUSION", _) => {
                let p = data()?;
                let shown = p.display().to_string();
                let mut r = SvReader::new(open(&p)?, &shown).map_err(|e| bad(&p, e))?;
                while let Some(row) = r.next_row().map_err(|e| bad(&p, e))? {
                    data_samples.insert(row.sample.to_string());
                    if let (atcpath_formats::sv::Event::OneSided { gene }, false) =
                        (&row.event, row.germline)
                    {
                        st.one_sided.push((
                            row.sample.to_string(),
                            gene.clone(),
                            Located {
                                file: shown.clone(),
                                line: row.record.line_no,
                            },
                        ));
                    }
                    if let Some(f) = row.finding(&shown)
                        && let Finding::Fusion {
                            five_prime,
                            three_prime,
                        } = f.finding
                    {
                        st.fusions.push(FoundFusion {
                            sample: f.sample.unwrap_or_default(),
                            five_prime,
                            three_prime,
                            at: Located {
                                file: shown.clone(),
                                line: f.line,
                            },
                        });
                    }
                }
            }
            _ => {
                let name = m.file_name().unwrap_or_default().to_string_lossy();
                st.notes.push(format!(
                    "{name}: genetic_alteration_type {} / datatype {} is not read",
                    if t.is_empty() { "(none)" } else { t },
                    if d.is_empty() { "(none)" } else { d }
                ));
            }
        }
    }
    if !clinical {
        return Err(Error::Invalid(format!(
            "{}: no clinical patient or sample file (meta file with datatype PATIENT_ATTRIBUTES or SAMPLE_ATTRIBUTES)",
            dir.display()
        )));
    }
    let lists = dir.join("case_lists");
    if lists.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&lists)
            .map_err(|e| io(&lists, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let text = read_text(&f)?;
            let c = parse_case_list(&text).map_err(|e| bad(&f, e))?;
            let slot = if c.stable_id.ends_with("_sequenced") {
                &mut st.sequenced
            } else if c.stable_id.ends_with("_sv") {
                &mut st.sv
            } else {
                continue;
            };
            slot.get_or_insert_with(BTreeSet::new).extend(c.samples);
        }
    }
    let known: BTreeSet<&str> = st.samples.iter().map(|s| s.id.as_str()).collect();
    let orphans: Vec<&str> = data_samples
        .iter()
        .map(String::as_str)
        .filter(|s| !known.contains(s))
        .collect();
    if !orphans.is_empty() {
        st.notes.push(format!(
            "{} sample(s) of the mutation or structural-variant files are not in the sample file and were left out: {}",
            orphans.len(),
            orphans.iter().take(10).copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut patients: BTreeSet<&str> = st.patients.keys().map(String::as_str).collect();
    patients.extend(st.samples.iter().map(|s| s.patient.as_str()));
    let stray: BTreeSet<&str> = st
        .timeline
        .iter()
        .map(|r| r.patient.as_str())
        .filter(|p| !patients.contains(p))
        .collect();
    if !stray.is_empty() {
        st.notes.push(format!(
            "timeline rows of patients not in the clinical files were left out: {}",
            stray.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(st)
}
