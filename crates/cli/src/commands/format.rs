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

/// An amount of money or a price (see [`bb_metrics::display::money`]).
pub fn money(x: f64) -> String {
    bb_metrics::display::money(x)
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

    #[test]
    fn small_prices_keep_their_significant_digits() {
        assert_eq!(money(0.0000123), "0.0000123");
        assert_eq!(money(0.03123456789), "0.0312346");
        assert_eq!(money(-0.5), "-0.5");
        assert_eq!(money(0.999_999_9), "1");
        assert_eq!(money(1.5), "1.50");
    }
}
