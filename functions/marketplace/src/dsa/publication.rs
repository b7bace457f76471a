//! The publication of the monthly active recipients (Art. 24(2): at least once every six
//! months, on the service's own pages): the same report as `GET /dsa/active-recipients`, in
//! JSON, CSV and an SVG bar chart of the six months that a person can read.

use std::fmt::Write;

use super::recipients::Report;

/// One row a month, then the average, the threshold and the verdict.
pub fn to_csv(report: &Report) -> String {
    let mut csv = String::from("month,unique_recipients\n");
    for month in &report.months {
        let _ = writeln!(csv, "{},{}", month.month, month.unique_recipients);
    }
    let _ = writeln!(csv, "average,{}", report.average);
    let _ = writeln!(csv, "vlop_threshold,{}", report.vlop_threshold);
    let _ = writeln!(csv, "is_vlop,{}", report.is_vlop);
    csv
}

/// `12 345 678`: digits in groups of three, as the report's readers write them.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// A top for the axis at or above `max`: 1, 2 or 5 times a power of ten.
fn axis_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max.max(1) {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

const WIDTH: u64 = 720;
const HEIGHT: u64 = 420;
const LEFT: u64 = 110;
/// Room on the right for the average's label, clear of the bars.
const RIGHT: u64 = 100;
const TOP: u64 = 70;
const BOTTOM: u64 = 60;

/// A bar a month with its count, the six-month average as a dashed line, and the 45 million
/// threshold drawn when it is on the scale and named when it is not.
pub fn chart_svg(report: &Report) -> String {
    let max = report.months.iter().map(|m| m.unique_recipients).max().unwrap_or(0).max(report.average);
    let threshold_on_scale = report.vlop_threshold <= max.saturating_mul(2);
    let top = axis_top(if threshold_on_scale { max.max(report.vlop_threshold) } else { max });
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - RIGHT;
    let y = |v: u64| TOP as f64 + plot_h as f64 * (1.0 - v as f64 / top as f64);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif" role="img" aria-labelledby="title">"##
    );
    let (first, last) = (report.months.first(), report.months.last());
    let period = match (first, last) {
        (Some(f), Some(l)) => format!("{} to {}", f.month, l.month),
        _ => String::new(),
    };
    let _ = write!(
        svg,
        r##"<title id="title">Monthly active recipients in the EU, {period}: average {}</title><rect width="100%" height="100%" fill="#ffffff"/>"##,
        grouped(report.average)
    );
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="28" font-size="18" font-weight="bold" fill="#1a1a1a">Monthly active recipients in the EU (DSA Art. 24(2))</text><text x="{LEFT}" y="50" font-size="13" fill="#444444">{period} · six-month average {} · {}</text>"##,
        grouped(report.average),
        if report.is_vlop { "at or above the 45 million threshold" } else { "below the 45 million threshold" }
    );
    // Axis with five gridlines.
    for i in 0..=4u64 {
        let v = top / 4 * i;
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{}" y2="{yy:.1}" stroke="#dddddd"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#444444">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 8,
            yy + 4.0,
            grouped(v)
        );
    }
    let n = report.months.len().max(1) as u64;
    let slot = plot_w / n;
    for (i, month) in report.months.iter().enumerate() {
        let x = LEFT + slot * i as u64 + slot / 6;
        let w = slot * 2 / 3;
        let yy = y(month.unique_recipients);
        let h = (TOP + plot_h) as f64 - yy;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{yy:.1}" width="{w}" height="{h:.1}" fill="#2f6f9f"><title>{}: {}</title></rect><text x="{}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1a1a1a" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}</text><text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#1a1a1a">{}</text>"##,
            month.month,
            grouped(month.unique_recipients),
            x + w / 2,
            yy - 6.0,
            grouped(month.unique_recipients),
            x + w / 2,
            TOP + plot_h + 20,
            month.month
        );
    }
    let avg = y(report.average);
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{avg:.1}" x2="{}" y2="{avg:.1}" stroke="#c0392b" stroke-width="2" stroke-dasharray="8 5"/><text x="{}" y="{:.1}" font-size="12" fill="#c0392b">average</text><text x="{}" y="{:.1}" font-size="12" font-weight="bold" fill="#c0392b">{}</text>"##,
        WIDTH - RIGHT,
        WIDTH - RIGHT + 8,
        avg - 2.0,
        WIDTH - RIGHT + 8,
        avg + 12.0,
        grouped(report.average)
    );
    if threshold_on_scale {
        let t = y(report.vlop_threshold);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{t:.1}" x2="{}" y2="{t:.1}" stroke="#1a1a1a" stroke-width="1.5"/><text x="{}" y="{:.1}" font-size="12" fill="#1a1a1a">45 million (very large online platform)</text>"##,
            WIDTH - RIGHT,
            LEFT + 6,
            t - 6.0
        );
    } else {
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="{}" font-size="12" fill="#444444">The 45 million threshold of a very large online platform is far above this scale.</text>"##,
            HEIGHT - 16
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::dsa::recipients::report;

    fn sample() -> Report {
        let counts: BTreeMap<String, u64> = [
            ("2026-06", 1_200_000),
            ("2026-07", 1_350_500),
            ("2026-08", 990_000),
            ("2026-09", 1_410_000),
            ("2026-10", 1_500_001),
            ("2026-11", 1_620_000),
        ]
        .into_iter()
        .map(|(m, c)| (m.to_owned(), c))
        .collect();
        report(&counts, "2026-12-05T00:00:00Z".parse().expect("a time"))
    }

    #[test]
    fn the_csv_has_a_row_a_month_then_the_average_and_the_verdict() {
        let csv = to_csv(&sample());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "month,unique_recipients");
        assert_eq!(lines[1], "2026-06,1200000");
        assert_eq!(lines[6], "2026-11,1620000");
        assert_eq!(lines[7], "average,1345084");
        assert_eq!(lines[8], "vlop_threshold,45000000");
        assert_eq!(lines[9], "is_vlop,false");
    }

    #[test]
    fn the_chart_names_each_month_its_count_and_the_average() {
        let svg = chart_svg(&sample());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(svg.matches("<rect x=").count(), 6, "one bar a month");
        for month in ["2026-06", "2026-11"] {
            assert!(svg.contains(&format!(">{month}</text>")));
        }
        assert!(svg.contains("1\u{2009}620\u{2009}000"), "counts grouped by three");
        assert!(svg.contains("six-month average 1\u{2009}345\u{2009}084"));
        assert!(svg.contains(">average</text>") && svg.contains(">1\u{2009}345\u{2009}084</text>"), "the line's label");
        assert!(svg.contains("far above this scale"), "45 M is off a 2 M scale");
        let big = Report { average: 46_000_000, is_vlop: true, ..sample() };
        assert!(chart_svg(&big).contains("45 million (very large online platform)"));
    }

    #[test]
    fn the_axis_ends_on_a_round_number() {
        assert_eq!(axis_top(0), 1);
        assert_eq!(axis_top(7), 10);
        assert_eq!(axis_top(1_620_000), 2_000_000);
        assert_eq!(axis_top(45_000_000), 50_000_000);
        assert_eq!(grouped(45_000_000), "45\u{2009}000\u{2009}000");
        assert_eq!(grouped(999), "999");
    }
}
