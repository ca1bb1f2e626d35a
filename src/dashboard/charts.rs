//! Charts drawn on the server as SVG with plotters (pure: numbers in, SVG out). No script, no
//! hand-built SVG; every chart is shown with a table of the same numbers beside it.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// The colours of the series, in order (style.css has the same for the tables' keys).
pub const PALETTE: [RGBColor; 4] = [
    RGBColor(0x5b, 0x2a, 0x86),
    RGBColor(0xf2, 0xa9, 0x00),
    RGBColor(0x2e, 0x7d, 0x32),
    RGBColor(0xc6, 0x28, 0x28),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Grouped bars: one bar per series in each category.
    Bars,
    /// One line per series, a point at each category.
    Lines,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub kind: Kind,
    /// What the numbers are ("S/", "%", or a count).
    pub unit: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// Labels from the database go into the SVG as text: nothing in them may read as markup.
fn plain(label: &str) -> String {
    label
        .chars()
        .map(|c| match c {
            '<' | '>' | '&' | '"' | '\'' => ' ',
            c => c,
        })
        .collect()
}

impl Chart {
    /// The value of a cell of the table beside the chart.
    pub fn cell(&self, series: &usize, category: &usize) -> String {
        let v = self.series[*series].values.get(*category).copied().unwrap_or(0.0);
        if self.unit == "S/" {
            format!("{v:.2}")
        } else if self.unit == "%" {
            format!("{v:.1}")
        } else {
            format!("{v:.0}")
        }
    }

    pub fn svg(&self) -> String {
        let mut out = String::new();
        if let Err(e) = self.draw(&mut out) {
            tracing::error!(error = %e, title = %self.title, "chart not drawn");
            return String::new();
        }
        out
    }

    fn draw(&self, out: &mut String) -> Result<(), Box<dyn std::error::Error + '_>> {
        let n = self.categories.len().max(1);
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0_f64, f64::max);
        let top = if max <= 0.0 { 1.0 } else { max * 1.1 };
        // Drawn small and lettered large, so that on a 360-px phone (where it is shown at about
        // 330 px) the axis text is still ~11 px; at most six labels along the bottom, and room on
        // the right for the last one. The title is the figure's caption, outside the image.
        let step = n.div_ceil(6);
        let labels: Vec<String> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i % step == (n - 1) % step {
                    plain(c)
                } else {
                    String::new()
                }
            })
            .collect();
        let root = SVGBackend::with_string(out, (420, 240)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(8)
            .margin_right(28)
            .x_label_area_size(30)
            .y_label_area_size(52);
        match self.kind {
            Kind::Bars => {
                let m = self.series.len().max(1) as u32;
                let segments = n as u32 * m;
                let mut chart = builder.build_cartesian_2d((0u32..segments).into_segmented(), 0f64..top)?;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    // Only the lines at the labels: the fine ones between them are noise on a phone
                    // and half of a chart's bytes.
                    .max_light_lines(1)
                    .label_style(("sans-serif", 15))
                    .x_labels(segments as usize)
                    .x_label_formatter(&|v| match v {
                        SegmentValue::CenterOf(k) if k % m == 0 => {
                            labels.get((k / m) as usize).cloned().unwrap_or_default()
                        }
                        _ => String::new(),
                    })
                    .draw()?;
                for (j, series) in self.series.iter().enumerate() {
                    let colour = PALETTE[j % PALETTE.len()];
                    chart.draw_series(
                        Histogram::vertical(&chart).style(colour.filled()).margin(2).data(
                            series
                                .values
                                .iter()
                                .enumerate()
                                .map(|(i, v)| (i as u32 * m + j as u32, *v)),
                        ),
                    )?;
                }
            }
            Kind::Lines => {
                let last = (n as u32).saturating_sub(1).max(1);
                let mut chart = builder.build_cartesian_2d(0u32..last, 0f64..top)?;
                chart
                    .configure_mesh()
                    .max_light_lines(1)
                    .label_style(("sans-serif", 15))
                    .x_labels(n)
                    .x_label_formatter(&|i| labels.get(*i as usize).cloned().unwrap_or_default())
                    .draw()?;
                for (j, series) in self.series.iter().enumerate() {
                    let colour = PALETTE[j % PALETTE.len()];
                    let points: Vec<(u32, f64)> =
                        series.values.iter().enumerate().map(|(i, v)| (i as u32, *v)).collect();
                    chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?;
                    chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled())))?;
                }
            }
        }
        root.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(svg: &str, element: &str, fill: &str) -> usize {
        svg.match_indices(&format!("<{element} "))
            .filter(|(at, _)| {
                let end = svg[*at..].find('>').map_or(svg.len(), |e| at + e);
                svg[*at..end].contains(&format!("fill=\"{fill}\""))
            })
            .count()
    }

    #[test]
    fn grouped_bars_draw_one_rect_per_value_in_its_series_colour() {
        let chart = Chart {
            title: "Cuotas <b>".into(),
            kind: Kind::Bars,
            unit: "S/".into(),
            categories: vec!["2026-09".into(), "2026-10".into(), "2026-11".into()],
            series: vec![
                Series {
                    name: "due".into(),
                    values: vec![100.0, 120.0, 90.0],
                },
                Series {
                    name: "paid".into(),
                    values: vec![80.0, 120.0, 0.0],
                },
            ],
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg"));
        assert_eq!(count(&svg, "rect", "#5B2A86"), 3);
        assert_eq!(count(&svg, "rect", "#F2A900"), 3);
        assert!(
            svg.contains("2026-10") && !svg.contains("<b>"),
            "labels, and no markup from data"
        );
    }

    #[test]
    fn lines_draw_a_point_per_category() {
        let chart = Chart {
            title: "PAR30".into(),
            kind: Kind::Lines,
            unit: "%".into(),
            categories: (1..=6).map(|m| format!("2026-0{m}")).collect(),
            series: vec![Series {
                name: "PAR30".into(),
                values: vec![1.0, 2.0, 0.0, 5.0, 3.0, 2.5],
            }],
        };
        assert_eq!(count(&chart.svg(), "circle", "#5B2A86"), 6);
        assert_eq!(chart.cell(&0, &3), "5.0");
    }

    #[test]
    fn a_year_of_months_is_lettered_every_other_month_ending_with_this_one() {
        let chart = Chart {
            title: "PAR30".into(),
            kind: Kind::Lines,
            unit: "%".into(),
            categories: (1..=12).map(|m| format!("2026-{m:02}")).collect(),
            series: vec![Series {
                name: "PAR30".into(),
                values: vec![1.0; 12],
            }],
        };
        let svg = chart.svg();
        let lettered: Vec<String> = (1..=12)
            .map(|m| format!("2026-{m:02}"))
            .filter(|l| svg.contains(l.as_str()))
            .collect();
        assert_eq!(
            lettered,
            ["2026-02", "2026-04", "2026-06", "2026-08", "2026-10", "2026-12"]
        );
    }
}
