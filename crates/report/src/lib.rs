//! Renders an [`Assessment`] for people and programs.
//!
//! - [`text`]: the terminal report a clinician reads in under a minute: stage and critical
//!   alerts first, then what to do now, options, why not the others, branches for pending
//!   results, trials, evidence and references;
//! - [`markdown`]: the same content for notes and tickets;
//! - [`html`]: one self-contained, printable page (inline CSS, no scripts, no external assets);
//! - [`json`]: the machine contract (`output-contract.md`).
//!
//! Architecture invariant: renderers only format; they decide nothing clinical.

pub mod plot;

use std::fmt::Write;

use atcpath_core::report::*;
use atcpath_kb::Severity;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
    Html,
}

/// Renders in the given format.
pub fn render(a: &Assessment, format: Format) -> String {
    match format {
        Format::Text => text(a),
        Format::Markdown => markdown(a),
        Format::Json => json(a),
        Format::Html => html(a),
    }
}

/// Pretty JSON with a trailing newline.
pub fn json(a: &Assessment) -> String {
    let mut s =
        serde_json::to_string_pretty(a).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

fn stage_line(a: &Assessment) -> String {
    let s = &a.stage;
    let tnm = [&s.t, &s.n, &s.m]
        .iter()
        .map(|x| x.as_deref().unwrap_or("?").to_string())
        .collect::<Vec<_>>()
        .join(" ");
    match &s.provisional {
        Some(p) => format!(
            "Stage unknown (provisionally {p}) — {tnm}, AJCC {}",
            s.ajcc_edition
        ),
        None => format!("Stage {} — {tnm}, AJCC {}", s.group, s.ajcc_edition),
    }
}

fn sev(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

fn ids(v: &[atcpath_kb::OptionId]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.iter().map(|i| i.id()).collect::<Vec<_>>().join(", ")
    }
}

fn days(i: &Interval) -> String {
    let d = i.days.map_or("—".into(), |d| format!("{d} d"));
    let state = match i.status.as_str() {
        "within_target" => "done within target",
        "done_date_not_recorded" => "done, date not recorded",
        "over_target" => "done late",
        "overdue" => "NOT DONE, past target",
        "open" => "not done yet (days so far)",
        "no_target" => "done",
        other => other,
    };
    let t = i.target_days.map_or_else(
        || i.source.clone(),
        |t| format!("target {t} d: {}", i.source),
    );
    format!("{d} — {state} ({t})")
}

/// A section: heading and lines, shared by text and Markdown so both say the same.
struct Section {
    title: String,
    lines: Vec<String>,
}

/// Published series shown in text and Markdown (most relevant first); HTML and JSON show all.
const EVIDENCE_SHOWN: usize = 5;

fn sections(a: &Assessment) -> Vec<Section> {
    let mut out = Vec::new();
    let mut push = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            out.push(Section {
                title: title.into(),
                lines,
            });
        }
    };
    push(
        "Alerts",
        a.alerts
            .iter()
            .map(|x| {
                format!(
                    "[{}] {}: {} [{}]",
                    sev(x.severity),
                    x.id,
                    x.message,
                    x.source
                )
            })
            .collect(),
    );
    let mut now: Vec<String> = a.actions.clone();
    for o in a.options.iter().filter(|o| o.line == Line::First) {
        let mut cond: Vec<String> = o.condition.iter().cloned().collect();
        if !o.either_or.is_empty() {
            cond.push(format!("or {}", ids(&o.either_or)));
        }
        let cond = if cond.is_empty() {
            String::new()
        } else {
            format!(" [{}]", cond.join("; "))
        };
        now.push(format!("{}. {} ({}){cond}", o.rank, o.name, o.id));
    }
    let missing: Vec<&str> = a
        .workup
        .iter()
        .filter(|w| w.status == WorkupStatus::Missing)
        .map(|w| w.id.id())
        .collect();
    if !missing.is_empty() {
        now.push(format!("Order or complete: {}.", missing.join(", ")));
    }
    push("Do now", now);
    push(
        "Options (ranked)",
        a.options
            .iter()
            .map(|o| {
                let cond = o.condition.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default();
                let line = if o.line == Line::First { "first line" } else { "alternative" };
                let reg = o
                    .regulatory
                    .iter()
                    .map(|r| {
                        let later = if r.date.as_str() > a.as_of.as_str() { ", after the decision date" } else { "" };
                        format!("{} {}: {} ({}{later})", r.region, r.agency, r.status, r.date)
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let reg = if reg.is_empty() { String::new() } else { format!("\n     Regulatory: {reg}") };
                format!(
                    "{}. {} — {line}, {}{cond}\n     Why: {}\n     Recommendation: {}\n     Evidence: {}{reg}\n     References: {}",
                    o.rank,
                    o.id,
                    o.intent.id().replace('_', " "),
                    o.rationale,
                    o.recommendation,
                    o.evidence,
                    o.references.join(", ")
                )
            })
            .collect(),
    );
    push(
        "Not offered now",
        a.excluded
            .iter()
            .map(|e| format!("{}: {}", e.id, e.why))
            .collect(),
    );
    push(
        "When results arrive",
        a.contingencies
            .iter()
            .map(|c| {
                let alt = if c.alternatives.is_empty() {
                    String::new()
                } else {
                    format!(" (alternatives: {})", ids(&c.alternatives))
                };
                format!(
                    "If {}{}: {}{alt}",
                    c.if_,
                    if c.pending { " (pending)" } else { "" },
                    ids(&c.then)
                )
            })
            .collect(),
    );
    if let Some(m) = &a.molecular_files {
        let mut lines: Vec<String> = m
            .sources
            .iter()
            .map(|x| {
                let level = x
                    .highest_level
                    .as_deref()
                    .map(|l| format!(", {l}"))
                    .or_else(|| {
                        x.alteration
                            .as_ref()
                            .map(|_| ", oncogenic, no level".into())
                    })
                    .unwrap_or_default();
                let status = match x.status.as_str() {
                    "merged" => "",
                    "already_in_case" => " (also in the case file)",
                    "repeated" => " (repeats an earlier row)",
                    _ => " (reported; not a case field)",
                };
                format!("{}{level} — {} line {}{status}", x.fact, x.file, x.line)
            })
            .collect();
        lines.extend(m.notes.iter().cloned());
        for (f, n) in &m.not_merged {
            lines.push(format!("{f}: {n} silent or non-coding rows not merged"));
        }
        if !m.tests_resulted.is_empty() {
            lines.push(format!(
                "Tests resulted by these files: {}",
                m.tests_resulted
                    .iter()
                    .map(|t| atcpath_core::molecular::test_name(*t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        push("Molecular results from files", lines);
    }
    push(
        "Work-up",
        a.workup
            .iter()
            .map(|w| {
                let status = format!("{:?}", w.status).to_lowercase();
                // The reason matters for what is not done; for what is done, the title is enough.
                let why = if w.status == WorkupStatus::Done {
                    String::new()
                } else {
                    format!(" — {}", w.why)
                };
                format!("{status:<8} {}: {}{why}", w.id, w.title)
            })
            .collect(),
    );
    push(
        "Trials",
        a.trials
            .iter()
            .map(|t| {
                format!(
                    "{} ({}) {} — {}; status {} as of {}",
                    t.nct_id, t.phase, t.title, t.why, t.status, t.status_date
                )
            })
            .collect(),
    );
    push("Doses", a.doses.iter().map(dose_line).collect());
    push(
        "Fast track",
        a.intervals
            .iter()
            .filter(|i| i.status != "not_started")
            .map(|i| format!("{} → {}: {}", i.from, i.to, days(i)))
            .collect(),
    );
    let mut outcomes: Vec<String> = a
        .evidence
        .iter()
        .take(EVIDENCE_SHOWN)
        .map(|e| {
            format!(
                "{} (n = {}): {} [{}]",
                e.cohort,
                e.n,
                e.result,
                e.references.join(", ")
            )
        })
        .collect();
    if a.evidence.len() > EVIDENCE_SHOWN {
        outcomes.push(format!(
            "(+{} more published series in the JSON and HTML reports)",
            a.evidence.len() - EVIDENCE_SHOWN
        ));
    }
    push(
        "Published outcomes for this stage and main option",
        outcomes,
    );
    push("Notes", a.notes.clone());
    push(
        "References",
        a.references
            .iter()
            .map(|r| {
                let doi = r
                    .doi
                    .as_ref()
                    .map(|d| format!(" doi:{d}"))
                    .unwrap_or_default();
                format!("[{}] {}{doi}", r.key, r.citation)
            })
            .collect(),
    );
    out
}

/// One dose as a line: option, drug, dose and schedule, then how it was computed and any flags.
pub fn dose_line(d: &Dose) -> String {
    let flags = if d.flags.is_empty() {
        String::new()
    } else {
        format!("\n     CHECK: {}", d.flags.join("; "))
    };
    match d.dose {
        Some(x) => format!(
            "{} — {} {x} {} {}, {}\n     calculated {} {}: {}{flags}",
            d.option_id,
            d.drug,
            d.unit,
            d.route,
            d.schedule,
            d.calculated.map_or("—".into(), |c| c.to_string()),
            d.unit,
            d.basis
        ),
        None => format!("{} — {}: {}{flags}", d.option_id, d.drug, d.basis),
    }
}

fn header(a: &Assessment) -> [String; 3] {
    [
        format!(
            "ATCPath assessment — case {} — as of {}",
            a.case_id, a.as_of
        ),
        stage_line(a),
        format!(
            "Knowledge base {} ({})",
            a.knowledge_base.version, a.knowledge_base.date
        ),
    ]
}

/// The terminal report.
pub fn text(a: &Assessment) -> String {
    let mut s = String::new();
    let [h1, h2, h3] = header(a);
    let _ = writeln!(
        s,
        "{h1}\n{}\n{h2}\n  basis: {}\n{h3}",
        "=".repeat(h1.chars().count()),
        a.stage.basis.join("; ")
    );
    for sec in sections(a) {
        let _ = writeln!(
            s,
            "\n{}\n{}",
            sec.title.to_uppercase(),
            "-".repeat(sec.title.chars().count())
        );
        for l in sec.lines {
            let _ = writeln!(s, "  {l}");
        }
    }
    let _ = writeln!(s, "\n{}", a.disclaimer);
    s
}

/// The Markdown report.
pub fn markdown(a: &Assessment) -> String {
    let mut s = String::new();
    let [h1, h2, h3] = header(a);
    // Markdown passes raw HTML through: escape it, as case text (an id, a note) is not trusted.
    let m = |x: &str| {
        x.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let _ = writeln!(
        s,
        "# {}\n\n**{}** — basis: {}\n\n_{}_",
        m(&h1),
        m(&h2),
        m(&a.stage.basis.join("; ")),
        m(&h3)
    );
    for sec in sections(a) {
        let _ = writeln!(s, "\n## {}\n", sec.title);
        for l in sec.lines {
            let _ = writeln!(s, "- {}", m(&l).replace("\n     ", "\n  - "));
        }
    }
    let _ = writeln!(s, "\n> {}", m(&a.disclaimer));
    s
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#111}\
h1{font-size:1.3rem;margin:0}h2{font-size:1.05rem;border-bottom:2px solid #333;margin-top:1.4rem}\
.stage{font-size:1.15rem;font-weight:700}.muted{color:#555}\
.alert{border-left:6px solid #888;padding:.3rem .6rem;margin:.3rem 0}.critical{border-color:#000;font-weight:700}\
.warning{border-color:#777}.info{border-color:#bbb}\
li{margin:.25rem 0}.opt{margin:.5rem 0;padding:.4rem .6rem;border:1px solid #ccc}.first{border:2px solid #000}\
@media print{body{margin:0;max-width:none}.opt,.alert{break-inside:avoid}}";

/// The self-contained HTML page.
pub fn html(a: &Assessment) -> String {
    let e = escape;
    let [h1, h2, h3] = header(a);
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n\
         <h1>{}</h1><p class=\"stage\">{}</p><p class=\"muted\">Basis: {}<br>{}</p>\n",
        e(&h1),
        e(&h1),
        e(&h2),
        e(&a.stage.basis.join("; ")),
        e(&h3)
    );
    let _ = writeln!(s, "<p class=\"muted\"><b>{}</b></p>", e(&a.disclaimer));
    if !a.alerts.is_empty() {
        s.push_str("<h2>Alerts</h2>\n");
        for x in &a.alerts {
            let _ = writeln!(
                s,
                "<div class=\"alert {}\">{} <b>{}</b>: {} <span class=\"muted\">[{}]</span></div>",
                x.severity.id(),
                sev(x.severity),
                e(x.id.id()),
                e(&x.message),
                e(&x.source)
            );
        }
    }
    let secs = sections(a);
    let list = |s: &mut String, sec: &Section| {
        let _ = writeln!(s, "<h2>{}</h2><ul>", e(&sec.title));
        for l in &sec.lines {
            let _ = writeln!(s, "<li>{}</li>", e(l).replace("\n", "<br>"));
        }
        s.push_str("</ul>\n");
    };
    if let Some(now) = secs.iter().find(|x| x.title == "Do now") {
        list(&mut s, now);
    }
    s.push_str("<h2>Options</h2>\n");
    for o in &a.options {
        let cond = o
            .condition
            .as_ref()
            .map(|c| format!(" <i>[{}]</i>", e(c)))
            .unwrap_or_default();
        let line = if o.line == Line::First {
            "first line"
        } else {
            "alternative"
        };
        let reg: String = o
            .regulatory
            .iter()
            .map(|r| {
                format!(
                    "<li>{} {}: {} — {} ({})</li>",
                    e(&r.region),
                    e(&r.agency),
                    e(&r.status),
                    e(&r.indication),
                    e(&r.date)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "<div class=\"opt{}\"><b>{}. {}</b> <code>{}</code> — {line}, {}{cond}<br>Why: {}<br>Recommendation: {}<br>Evidence: {}{}<br><span class=\"muted\">References: {}</span></div>",
            if o.line == Line::First { " first" } else { "" },
            o.rank,
            e(&o.name),
            e(o.id.id()),
            e(&o.intent.id().replace('_', " ")),
            e(&o.rationale),
            e(&o.recommendation),
            e(&o.evidence),
            if reg.is_empty() {
                String::new()
            } else {
                format!("<ul>{reg}</ul>")
            },
            e(&o.references.join(", "))
        );
    }
    for sec in secs
        .iter()
        .filter(|x| !matches!(x.title.as_str(), "Alerts" | "Do now" | "Options (ranked)"))
    {
        list(&mut s, sec);
    }
    let _ = writeln!(
        s,
        "<p class=\"muted\">{}</p></body></html>",
        e(&a.disclaimer)
    );
    s
}
