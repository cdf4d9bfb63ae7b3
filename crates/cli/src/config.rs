//! Centre settings: a TOML file overriding the knowledge base's thresholds and fast-track targets.
//!
//! ```toml
//! [thresholds]
//! pd_l1_high_tps_percent = 50
//! low_metastatic_burden_max_sites = 1
//!
//! [targets]            # days; interval ids as in kb/facts.toml
//! biopsy_to_braf_result = 2
//!
//! [dosing]             # any key of kb/facts.toml [dosing]
//! crcl_weight = "adjusted"
//! bsa_cap_m2 = 2.0
//! ```

use std::path::Path;

use atcpath_core::Config;
use atcpath_kb::Kb;
use serde::Deserialize;

use crate::{Fail, invalid};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    targets: std::collections::BTreeMap<String, u32>,
    /// Any subset of the dosing policy (kb/facts.toml [dosing]).
    #[serde(default)]
    dosing: Option<toml::Table>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Thresholds {
    pd_l1_high_tps_percent: Option<f64>,
    tmb_high_mut_per_mb: Option<f64>,
    low_metastatic_burden_max_sites: Option<u32>,
    crcl_renal_impairment_ml_min: Option<f64>,
    lvef_anthracycline_min_percent: Option<f64>,
    doxorubicin_cumulative_max_mg_m2: Option<f64>,
    bilirubin_uln_mg_dl: Option<f64>,
}

/// The settings: the knowledge base's defaults, overridden by `path` when given.
pub fn load(kb: &Kb, path: Option<&Path>) -> Result<Config, Fail> {
    let mut cfg = Config::from_kb(kb);
    let Some(path) = path else { return Ok(cfg) };
    let shown = path.display();
    let text = crate::read_text_bounded(path, &format!("--config {shown}"))?;
    let f: File = toml::from_str(&text).map_err(|e| invalid(format!("--config {shown}: {e}")))?;
    let t = &mut cfg.thresholds;
    let set = |name: &str, dst: &mut f64, v: Option<f64>, lo: f64, hi: f64| -> Result<(), Fail> {
        if let Some(v) = v {
            if !(lo..=hi).contains(&v) {
                return Err(invalid(format!(
                    "--config {shown}: thresholds.{name} = {v} is outside {lo} to {hi}"
                )));
            }
            *dst = v;
        }
        Ok(())
    };
    let th = f.thresholds;
    set(
        "pd_l1_high_tps_percent",
        &mut t.pd_l1_high_tps_percent,
        th.pd_l1_high_tps_percent,
        1.0,
        100.0,
    )?;
    set(
        "tmb_high_mut_per_mb",
        &mut t.tmb_high_mut_per_mb,
        th.tmb_high_mut_per_mb,
        1.0,
        100.0,
    )?;
    set(
        "crcl_renal_impairment_ml_min",
        &mut t.crcl_renal_impairment_ml_min,
        th.crcl_renal_impairment_ml_min,
        10.0,
        120.0,
    )?;
    set(
        "lvef_anthracycline_min_percent",
        &mut t.lvef_anthracycline_min_percent,
        th.lvef_anthracycline_min_percent,
        20.0,
        70.0,
    )?;
    set(
        "doxorubicin_cumulative_max_mg_m2",
        &mut t.doxorubicin_cumulative_max_mg_m2,
        th.doxorubicin_cumulative_max_mg_m2,
        100.0,
        1000.0,
    )?;
    set(
        "bilirubin_uln_mg_dl",
        &mut t.bilirubin_uln_mg_dl,
        th.bilirubin_uln_mg_dl,
        0.5,
        5.0,
    )?;
    if let Some(n) = th.low_metastatic_burden_max_sites {
        if n > 10 {
            return Err(invalid(format!(
                "--config {shown}: thresholds.low_metastatic_burden_max_sites = {n} is outside 0 to 10"
            )));
        }
        t.low_metastatic_burden_max_sites = n;
    }
    if let Some(over) = f.dosing {
        // Merge the centre's keys over the KB policy and re-validate the whole through its schema.
        let mut base = toml::Table::try_from(&cfg.dosing)
            .map_err(|e| invalid(format!("--config {shown}: {e}")))?;
        for (k, v) in over {
            // The policy's sources are the knowledge base's, not a centre setting.
            if k == "references"
                || (!base.contains_key(&k)
                    && !matches!(k.as_str(), "bsa_cap_m2" | "creatinine_floor_mg_dl"))
            {
                return Err(invalid(format!(
                    "--config {shown}: dosing.{k} is not a dosing policy setting"
                )));
            }
            base.insert(k, v);
        }
        cfg.dosing = base
            .try_into()
            .map_err(|e: toml::de::Error| invalid(format!("--config {shown}: dosing: {e}")))?;
        check_dosing(&cfg.dosing).map_err(|e| invalid(format!("--config {shown}: {e}")))?;
    }
    for (id, days) in f.targets {
        let Some(i) = cfg.intervals.iter_mut().find(|i| i.id == id) else {
            let known: Vec<&str> = kb.facts.intervals.iter().map(|i| i.id.as_str()).collect();
            return Err(invalid(format!(
                "--config {shown}: targets.{id} is not an interval (accepted: {})",
                known.join(", ")
            )));
        };
        if !(1..=365).contains(&days) {
            return Err(invalid(format!(
                "--config {shown}: targets.{id} = {days} is outside 1 to 365 days"
            )));
        }
        i.target_days = Some(days);
        i.source = format!("centre setting ({shown})");
    }
    Ok(cfg)
}

/// Every dosing setting within a clinically sensible range; the message names the setting.
fn check_dosing(d: &atcpath_kb::DosingPolicy) -> Result<(), String> {
    let ranges: [(&str, Option<f64>, f64, f64); 8] = [
        ("bsa_flag_above_m2", Some(d.bsa_flag_above_m2), 1.5, 3.0),
        ("bsa_cap_m2", d.bsa_cap_m2, 1.5, 3.0),
        (
            "adjusted_weight_bmi",
            Some(d.adjusted_weight_bmi),
            25.0,
            40.0,
        ),
        (
            "adjusted_weight_percent_ibw",
            Some(d.adjusted_weight_percent_ibw),
            100.0,
            150.0,
        ),
        ("creatinine_floor_mg_dl", d.creatinine_floor_mg_dl, 0.3, 1.2),
        (
            "carboplatin_gfr_cap_ml_min",
            d.carboplatin_gfr_cap_ml_min,
            60.0,
            200.0,
        ),
        (
            "carboplatin_caution_crcl_ml_min",
            Some(d.carboplatin_caution_crcl_ml_min),
            10.0,
            60.0,
        ),
        (
            "rounding_max_percent",
            Some(d.rounding_max_percent),
            0.0,
            10.0,
        ),
    ];
    for (name, value, lo, hi) in ranges {
        if let Some(v) = value
            && !(v.is_finite() && (lo..=hi).contains(&v))
        {
            return Err(format!("dosing.{name} = {v} is outside {lo} to {hi}"));
        }
    }
    Ok(())
}
