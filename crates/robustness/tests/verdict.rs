//! Verdicts: levels follow the named thresholds, headlines carry the number.

use bb_robustness::verdict::{
    deflated_sharpe_verdict, monte_carlo_verdict, pbo_verdict, random_entry_verdict,
    stability_verdict,
};
use bb_robustness::{
    Check, DeflatedSharpe, Level, Moments, block_bootstrap_bars, bootstrap_trades, deflated_sharpe,
    pbo, random_entry_baseline, reshuffle_trades, stability,
};

#[test]
fn deflated_sharpe_levels() {
    let q = 250f64;
    let m = Moments {
        n: 1250,
        mean: 2.5 / q.sqrt(),
        std: 1.0,
        skew: -3.0,
        kurtosis: 10.0,
    };
    let d = deflated_sharpe(&m, 100, 0.5 / q).unwrap();
    let v = deflated_sharpe_verdict(Some(&d));
    assert_eq!((v.check, v.level), (Check::DeflatedSharpe, Level::Caution));
    assert!(v.headline.starts_with("DSR 0.90"), "{}", v.headline);
    let strong = DeflatedSharpe {
        dsr: 0.97,
        ..d.clone()
    };
    assert_eq!(deflated_sharpe_verdict(Some(&strong)).level, Level::Pass);
    let weak = DeflatedSharpe { dsr: 0.2, ..d };
    assert_eq!(deflated_sharpe_verdict(Some(&weak)).level, Level::Fail);
    assert_eq!(deflated_sharpe_verdict(None).level, Level::Unknown);
}

#[test]
fn pbo_levels() {
    use bb_backtest::sweep::ReturnSums;
    let s = |a: f64, b: f64| ReturnSums {
        n: 2,
        sum: a + b,
        sum_sq: a * a + b * b,
    };
    let overfit = pbo(&[
        vec![s(0.02, 0.04), s(-0.01, 0.01)],
        vec![s(-0.02, 0.0), s(0.01, 0.03)],
    ])
    .unwrap();
    let v = pbo_verdict(&overfit);
    assert_eq!((v.check, v.level), (Check::Pbo, Level::Fail));
    assert_eq!(
        v.headline,
        "PBO 1.00: the sweep's winner usually lands in the bottom half on unseen data: likely overfit."
    );
    assert_eq!(
        v.thresholds,
        "pass below 0.3, caution 0.3–0.5, fail above 0.5"
    );
    let fine = pbo(&[
        vec![s(0.02, 0.04), s(0.03, 0.05)],
        vec![s(-0.02, 0.0), s(-0.01, 0.0)],
    ])
    .unwrap();
    assert_eq!(pbo_verdict(&fine).level, Level::Pass);
}

#[test]
fn stability_levels() {
    let plateau = stability(&[3], &[Some(9.0), Some(10.0), Some(8.0)], 1, 0.5).unwrap();
    let v = stability_verdict(&plateau);
    assert_eq!((v.check, v.level), (Check::Stability, Level::Pass));
    assert!(
        v.headline.starts_with("2 of 2 neighbouring settings"),
        "{}",
        v.headline
    );
    let spike = stability(&[3], &[Some(1.0), Some(10.0), Some(2.0)], 1, 0.5).unwrap();
    assert_eq!(stability_verdict(&spike).level, Level::Fail);
    let narrow = stability(&[3], &[Some(1.0), Some(10.0), Some(6.0)], 1, 0.5).unwrap();
    assert_eq!(stability_verdict(&narrow).level, Level::Caution);
    let alone = stability(&[1], &[Some(1.0)], 0, 0.5).unwrap();
    assert_eq!(stability_verdict(&alone).level, Level::Unknown);
    // The best of a losing grid is no spike: nothing around it is good to begin with.
    let losing = stability(&[3], &[Some(-3.0), Some(-2.0), Some(-2.5)], 1, 0.5).unwrap();
    let v = stability_verdict(&losing);
    assert_eq!(v.level, Level::Fail);
    assert_eq!(
        v.headline,
        "The chosen settings score -2.00, not above zero, and 0 of 2 neighbouring settings score above zero: there is no good region here to be stable."
    );
    assert!(
        v.method.ends_with(
            "a neighbour is good when it scores above zero (the chosen settings score -2.0000)."
        ),
        "{}",
        v.method
    );
    assert!(!stability_verdict(&spike).headline.contains("above zero"));
}

#[test]
fn monte_carlo_levels() {
    // The reshuffle judges the backtest's own order. Losses spread evenly between wins are
    // the luckiest order: nearly every reordering draws down deeper.
    let spread: Vec<f64> = (0..51)
        .map(|i| if i % 3 == 0 { -0.02 } else { 0.015 })
        .collect();
    let v = monte_carlo_verdict(&reshuffle_trades(&spread, 1000.0, 300, 1).unwrap());
    assert_eq!(
        (v.check, v.level),
        (Check::TradeShuffle, Level::Fail),
        "{}",
        v.headline
    );
    assert!(v.headline.contains("lucky"), "{}", v.headline);
    assert!(!v.headline.contains("lose more than"));
    // A path of trades has no dips inside trades: its drops say so, next to the bar
    // bootstrap's, which see every candle.
    assert!(
        v.headline.contains("worst drop from trade to trade")
            && v.headline.ends_with("from a high (from trade to trade)."),
        "{}",
        v.headline
    );
    // The same trades with every loss first: the worst order, nothing flattered.
    let mut clustered = spread.clone();
    clustered.sort_by(f64::total_cmp);
    let v = monte_carlo_verdict(&reshuffle_trades(&clustered, 1000.0, 300, 1).unwrap());
    assert_eq!(
        (v.check, v.level),
        (Check::TradeShuffle, Level::Pass),
        "{}",
        v.headline
    );
    // Large losing trades: deep drawdowns and frequent big losses.
    let wild: Vec<f64> = (0..50)
        .map(|i| if i % 2 == 0 { -0.15 } else { 0.12 })
        .collect();
    let v = monte_carlo_verdict(&bootstrap_trades(&wild, 1000.0, 300, 1).unwrap());
    assert_eq!((v.check, v.level), (Check::Bootstrap, Level::Fail));
    assert!(v.headline.contains("lose more than 25%"), "{}", v.headline);
    assert!(
        v.headline.ends_with("(from trade to trade)."),
        "{}",
        v.headline
    );
    let bars = monte_carlo_verdict(&block_bootstrap_bars(&wild, 1000.0, Some(5), 300, 1).unwrap());
    assert_eq!(bars.check, Check::BarBootstrap);
    assert!(
        bars.headline.ends_with("or more from a high."),
        "{}",
        bars.headline
    );
}

#[test]
fn random_entry_levels() {
    use bb_domain::Side;
    use bb_robustness::HeldTrade;
    let opens: Vec<f64> = (0..200)
        .map(|i| if i % 2 == 0 { 100.0 } else { 110.0 })
        .collect();
    let trades: Vec<HeldTrade> = (0..40)
        .map(|k| HeldTrade {
            entry_bar: 4 * k,
            exit_bar: 4 * k + 1,
            side: Side::Long,
            fills: None,
        })
        .collect();
    let b = random_entry_baseline(&opens, &trades, 0.0, 0.0, 199, 1).unwrap();
    let v = random_entry_verdict(&b);
    assert_eq!((v.check, v.level), (Check::RandomEntry, Level::Pass));
    assert!(
        v.headline.starts_with("p = 0.005: 0 of 199 random entries"),
        "{}",
        v.headline
    );
    let shorts: Vec<HeldTrade> = trades
        .iter()
        .map(|t| HeldTrade {
            side: Side::Short,
            ..*t
        })
        .collect();
    let b = random_entry_baseline(&opens, &shorts, 0.0, 0.0, 199, 1).unwrap();
    assert_eq!(random_entry_verdict(&b).level, Level::Fail);
    // The same perfect timing under costs that eat every gain: it beats chance, yet loses.
    let b = random_entry_baseline(&opens, &trades, 5.0, 0.0, 199, 1).unwrap();
    assert!(b.strategy_return < 0.0 && b.p_value <= 0.05, "{b:?}");
    let v = random_entry_verdict(&b);
    assert_eq!(v.level, Level::Caution);
    assert!(
        v.headline
            .contains("the timing beats chance, but the strategy still loses (-"),
        "{}",
        v.headline
    );
}

#[test]
fn enums_serialise_in_snake_case() {
    assert_eq!(
        serde_json::to_string(&Check::WalkForward).unwrap(),
        "\"walk_forward\""
    );
    assert_eq!(
        serde_json::to_string(&Check::DeflatedSharpe).unwrap(),
        "\"deflated_sharpe\""
    );
    assert_eq!(
        serde_json::to_string(&Level::Caution).unwrap(),
        "\"caution\""
    );
}
