//! Numbers as people read them, for every text the product writes (the CLI's report,
//! notifications): thousands grouped, a fixed number of decimals.

/// `x` with `decimals` decimals and its whole part grouped in thousands: `1,234,567.89`.
pub fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let text = format!("{:.decimals$}", x.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 1);
    // "-0.00" reads as zero
    if x < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An amount of money or a price: thousands grouped with two decimals from 1 up, and six
/// significant digits below 1, so 0.0000123 BTC reads as that, not as 0.00.
pub fn money(x: f64) -> String {
    if x != 0.0 && x.abs() < 1.0 && x.is_finite() {
        return significant(x, 6);
    }
    grouped(x, 2)
}

/// `x` with `digits` significant digits, trailing zeros dropped (`0.0000123`, `-0.5`,
/// `12345.7`), for quantities.
pub fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = usize::try_from((digits - 1 - magnitude).max(0)).unwrap_or(0);
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// A percentage with its sign, grouped, one decimal: `+13,900.3%`, `-4.2%`.
pub fn signed_pct(x: f64) -> String {
    let text = grouped(x, 1);
    if x > 0.0 && !text.starts_with('-') && text != "0.0" {
        format!("+{text}%")
    } else {
        format!("{text}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-12.5, 2), "-12.50");
        assert_eq!(grouped(0.0, 2), "0.00");
        assert_eq!(grouped(-0.001, 2), "0.00");
        assert_eq!(grouped(999.999, 2), "1,000.00");
        assert_eq!(grouped(100.0, 0), "100");
    }

    #[test]
    fn percentages_carry_their_sign() {
        assert_eq!(signed_pct(13_900.32), "+13,900.3%");
        assert_eq!(signed_pct(-4.24), "-4.2%");
        assert_eq!(signed_pct(0.0), "0.0%");
        assert_eq!(signed_pct(0.01), "0.0%");
    }
}
