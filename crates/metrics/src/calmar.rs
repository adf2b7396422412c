//! **Calmar ratio**: yearly growth per unit of worst loss.
//!
//! `CAGR (%) / |maximum drawdown (%)|`, e.g. a CAGR of 30 % with a maximum drawdown of
//! −15 % gives 2. Computed over the whole backtest (not the customary trailing 36 months).
//!
//! - `None` when there was no drawdown (the ratio would be infinite), including flat equity
//!   and no trades.
//! - `None` when CAGR is undefined (see [`crate::cagr`]).
//! - Negative when the CAGR is negative.

/// Calmar ratio from a CAGR in percent and a maximum drawdown in percent (zero or negative).
pub fn calmar(cagr_pct: Option<f64>, max_drawdown_pct: f64) -> Option<f64> {
    let cagr = cagr_pct?;
    (max_drawdown_pct != 0.0).then(|| cagr / max_drawdown_pct.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    #[test]
    fn cases() {
        type Input = (Option<f64>, f64);
        let cases: &[(&str, &Input, Option<f64>)] = &[
            ("typical", &(Some(30.0), -15.0), Some(2.0)),
            ("losing", &(Some(-20.0), -40.0), Some(-0.5)),
            ("no drawdown", &(Some(12.0), 0.0), None),
            ("flat equity", &(Some(0.0), 0.0), None),
            ("no cagr", &(None, -10.0), None),
        ];
        check(|&(c, dd): &Input| calmar(c, dd), cases);
    }
}
