//! Kaplan-Meier plots in SVG and PNG: one step curve per group with its confidence band,
//! censoring ticks, median lines, the log-rank p in the legend and a number-at-risk table under
//! the time axis. Groups differ by dash pattern and grey level, so the plot reads in black and
//! white. SVG through plotters; PNG rendered from the SVG by resvg with an embedded DejaVu Sans.

use std::path::Path;

use plotters::prelude::*;

/// One curve to draw.
#[derive(Debug, Clone)]
pub struct PlotCurve {
    pub label: String,
    pub time: Vec<f64>,
    pub surv: Vec<f64>,
    pub lower: Vec<Option<f64>>,
    pub upper: Vec<Option<f64>>,
    pub n_risk: Vec<usize>,
    pub censored: Vec<f64>,
    pub median: Option<f64>,
}

const W: u32 = 960;
const H: u32 = 680;
const TABLE_H: u32 = 150;

/// Dash pattern (on, off) in pixels per group; (0, 0) is solid.
const DASHES: [(f64, f64); 4] = [(0.0, 0.0), (10.0, 6.0), (2.5, 4.0), (14.0, 4.0)];
const GREYS: [RGBColor; 4] = [
    RGBColor(0, 0, 0),
    RGBColor(70, 70, 70),
    RGBColor(30, 30, 30),
    RGBColor(110, 110, 110),
];

/// Steps of a right-continuous curve starting at (0, 1), ending at `end`.
fn steps(time: &[f64], y: &[Option<f64>], end: f64) -> Vec<Vec<(f64, f64)>> {
    // Split where the value is undefined.
    let mut runs = Vec::new();
    let mut cur: Vec<(f64, f64)> = vec![(0.0, 1.0)];
    let mut last = Some(1.0);
    for (t, v) in time.iter().zip(y) {
        match (last, v) {
            (Some(l), Some(v)) => {
                cur.push((*t, l));
                cur.push((*t, *v));
            }
            (Some(l), None) => {
                cur.push((*t, l));
                runs.push(std::mem::take(&mut cur));
            }
            (None, Some(v)) => cur.push((*t, *v)),
            (None, None) => {}
        }
        last = *v;
    }
    if let Some(l) = last {
        cur.push((end, l));
    }
    if cur.len() > 1 {
        runs.push(cur);
    }
    runs
}

/// Splits a polyline into dashes of `on` pixels separated by `off`, in data units scaled by `px`.
fn dashed(points: &[(f64, f64)], on: f64, off: f64, px: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    if on == 0.0 {
        return vec![points.to_vec()];
    }
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let (mut drawing, mut left) = (true, on);
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (((b.0 - a.0) * px.0).powi(2) + ((b.1 - a.1) * px.1).powi(2)).sqrt();
        let mut pos = 0.0;
        if drawing && cur.is_empty() {
            cur.push(a);
        }
        while len - pos > left {
            pos += left;
            let f = pos / len;
            let p = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
            if drawing {
                cur.push(p);
                out.push(std::mem::take(&mut cur));
                left = off;
            } else {
                cur.push(p);
                left = on;
            }
            drawing = !drawing;
        }
        left -= len - pos;
        if drawing {
            cur.push(b);
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

fn nice_step(max: f64) -> f64 {
    let raw = max / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

/// Renders the plot as an SVG document.
pub fn km_svg(curves: &[PlotCurve], logrank_p: Option<f64>) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (upper, lower) = root.split_vertically(H - TABLE_H);
        let tmax = curves
            .iter()
            .filter_map(|c| c.time.last().copied())
            .fold(0.0, f64::max)
            .max(1e-9);
        let step = nice_step(tmax);
        let xmax = (tmax / step).ceil() * step;
        let title = match logrank_p {
            Some(p) => format!("Kaplan-Meier survival (log-rank p = {})", fmt_p(p)),
            None => "Kaplan-Meier survival".to_string(),
        };
        let mut chart = ChartBuilder::on(&upper)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .margin_right(40)
            .x_label_area_size(40)
            .y_label_area_size(110)
            .build_cartesian_2d(0.0..xmax, 0.0..1.02)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("Time")
            .y_desc("Survival probability")
            .x_labels(((xmax / step) as usize) + 1)
            .x_label_formatter(&|x| trim_number(*x))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .y_labels(6)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        let ((x0, y0), (x1, y1)) = (
            chart.backend_coord(&(0.0, 0.0)),
            chart.backend_coord(&(xmax, 1.0)),
        );
        let px = (f64::from(x1 - x0) / xmax, f64::from(y0 - y1));
        for (k, c) in curves.iter().enumerate() {
            let grey = GREYS[k % GREYS.len()];
            // Confidence band: light fill between the limits.
            let lo = steps(&c.time, &c.lower, c.time.last().copied().unwrap_or(0.0));
            let hi = steps(&c.time, &c.upper, c.time.last().copied().unwrap_or(0.0));
            if let (Some(lo), Some(hi)) = (lo.first(), hi.first()) {
                let mut poly: Vec<(f64, f64)> = hi.clone();
                poly.extend(lo.iter().rev());
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, grey.mix(0.10))))
                    .map_err(|e| e.to_string())?;
            }
            let surv: Vec<Option<f64>> = c.surv.iter().map(|s| Some(*s)).collect();
            let (on, off) = DASHES[k % DASHES.len()];
            for run in steps(&c.time, &surv, c.time.last().copied().unwrap_or(0.0)) {
                for seg in dashed(&run, on, off, px) {
                    chart
                        .draw_series(LineSeries::new(seg, grey.stroke_width(2)))
                        .map_err(|e| e.to_string())?;
                }
            }
            // Censoring ticks.
            let at = |t: f64| {
                c.time
                    .iter()
                    .position(|x| *x == t)
                    .map(|i| c.surv[i])
                    .unwrap_or(1.0)
            };
            chart
                .draw_series(c.censored.iter().map(|t| {
                    PathElement::new(
                        vec![(*t, at(*t) - 0.015), (*t, at(*t) + 0.015)],
                        grey.stroke_width(2),
                    )
                }))
                .map_err(|e| e.to_string())?;
            if let Some(m) = c.median {
                for seg in dashed(&[(0.0, 0.5), (m, 0.5), (m, 0.0)], 2.0, 3.0, px) {
                    chart
                        .draw_series(LineSeries::new(
                            seg,
                            RGBColor(150, 150, 150).stroke_width(1),
                        ))
                        .map_err(|e| e.to_string())?;
                }
            }
            // Legend entry, drawn by hand so the dash pattern shows.
            let (lx, ly) = (x1 - 260, y1 + 12 + 24 * k as i32);
            let sample: Vec<(f64, f64)> = vec![(0.0, 0.0), (40.0, 0.0)];
            for seg in dashed(&sample, on, off, (1.0, 1.0)) {
                let pts: Vec<(i32, i32)> = seg.iter().map(|(x, _)| (lx + *x as i32, ly)).collect();
                upper
                    .draw(&PathElement::new(pts, grey.stroke_width(2)))
                    .map_err(|e| e.to_string())?;
            }
            let med = c.median.map_or("not reached".into(), trim_number);
            upper
                .draw(&Text::new(
                    format!("{} (median {med})", c.label),
                    (lx + 48, ly - 8),
                    ("sans-serif", 15).into_font().color(&BLACK),
                ))
                .map_err(|e| e.to_string())?;
        }
        if let Some(p) = logrank_p {
            let (lx, ly) = (x1 - 260, y1 + 12 + 24 * curves.len() as i32);
            upper
                .draw(&Text::new(
                    format!("log-rank p = {}", fmt_p(p)),
                    (lx + 48, ly - 8),
                    ("sans-serif", 15).into_font().color(&BLACK),
                ))
                .map_err(|e| e.to_string())?;
        }
        // Number at risk under the axis, aligned with the time ticks.
        lower
            .draw(&Text::new(
                "Number at risk",
                (10, 8),
                ("sans-serif", 15).into_font().color(&BLACK),
            ))
            .map_err(|e| e.to_string())?;
        let ticks: Vec<f64> = (0..=((xmax / step).round() as usize))
            .map(|i| i as f64 * step)
            .collect();
        for (k, c) in curves.iter().enumerate() {
            let y = 34 + 22 * k as i32;
            let label: String = if c.label.chars().count() > 15 {
                c.label
                    .chars()
                    .take(14)
                    .chain(std::iter::once('…'))
                    .collect()
            } else {
                c.label.clone()
            };
            lower
                .draw(&Text::new(
                    label,
                    (10, y),
                    ("sans-serif", 14).into_font().color(&BLACK),
                ))
                .map_err(|e| e.to_string())?;
            for t in &ticks {
                let n = c
                    .time
                    .iter()
                    .position(|x| *x >= *t)
                    .map_or(0, |i| c.n_risk[i]);
                let (x, _) = chart.backend_coord(&(*t, 0.0));
                lower
                    .draw(&Text::new(
                        n.to_string(),
                        (x - 8, y),
                        ("sans-serif", 14).into_font().color(&BLACK),
                    ))
                    .map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn trim_number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// Renders an SVG document to PNG bytes with the embedded font.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>, String> {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut()
        .load_font_data(dejavu::sans::regular().to_vec());
    opt.fontdb_mut().set_sans_serif_family("DejaVu Sans");
    opt.font_family = "DejaVu Sans".into();
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty image")?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

/// Writes the plot to `path` (`.svg` or `.png`).
pub fn km_plot(path: &Path, curves: &[PlotCurve], logrank_p: Option<f64>) -> Result<(), String> {
    let svg = km_svg(curves, logrank_p)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase);
    let bytes = match ext.as_deref() {
        Some("svg") => svg.into_bytes(),
        Some("png") => svg_to_png(&svg)?,
        _ => {
            return Err(format!(
                "{}: the plot file must end in .svg or .png",
                path.display()
            ));
        }
    };
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
