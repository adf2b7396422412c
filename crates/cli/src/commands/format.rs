//! Number and time formatting for terminal output.

pub fn pct(x: f64) -> String {
    format!("{x:+.2}%")
}

pub fn opt_pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), pct)
}

pub fn ratio(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| format!("{v:.2}"))
}

pub fn money(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    let whole = x.abs().trunc() as u64;
    let cents = ((x.abs().fract() * 100.0).round() as u64).min(99);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{cents:02}")
}

pub fn opt_money(x: Option<f64>) -> String {
    x.map_or("n/a".into(), money)
}

/// A duration in ms as the largest sensible unit.
pub fn duration(ms: f64) -> String {
    let hours = ms / 3_600_000.0;
    if hours >= 48.0 {
        format!("{:.1} days", hours / 24.0)
    } else if hours >= 1.0 {
        format!("{hours:.1} hours")
    } else {
        format!("{:.0} minutes", ms / 60_000.0)
    }
}

pub fn time(ms: i64) -> String {
    bb_data::format_utc(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-12.5), "-12.50");
        assert_eq!(money(0.0), "0.00");
    }
}
