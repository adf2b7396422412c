//! The five starter strategies: they validate cleanly, compile and trade on real data.

mod common;

use bb_strategy::{CompileOptions, Series, compile, validate};

#[test]
fn starters_validate_without_any_diagnostic() {
    for name in common::STARTERS {
        let validated = validate(&common::strategy(name));
        assert!(
            validated.diagnostics.is_empty(),
            "{name}: {:#?}",
            validated.diagnostics
        );
    }
}

#[test]
fn starters_enter_and_exit_on_daily_btc() {
    let candles = common::demo_candles("yahoo_BTC-USD_1d_2014-2022.csv");
    for name in common::STARTERS {
        let options = CompileOptions {
            base_timeframe: candles.timeframe(),
            bar_count: Some(candles.len()),
        };
        let plan = compile(&validate(&common::strategy(name)), &options).unwrap();
        let eval = plan.evaluate(&candles).unwrap();
        let entries = eval.signals.enter_long.iter().filter(|&&b| b).count();
        let exits = eval.signals.exit_long.iter().filter(|&&b| b).count();
        assert!(entries >= 5, "{name}: only {entries} entries");
        assert!(exits >= 5, "{name}: only {exits} exits");
        // No action can fire during warm-up.
        assert!(
            eval.signals.enter_long[..plan.warmup_bars]
                .iter()
                .all(|&b| !b),
            "{name}"
        );
        assert_eq!(eval.atr.len(), plan.risk.atr_periods().len());
    }
}

#[test]
fn sma_crossover_signals_match_a_direct_computation() {
    let candles = common::demo_candles("yahoo_BTC-USD_1d_2014-2022.csv");
    let plan = compile(
        &validate(&common::strategy("sma_crossover.json")),
        &CompileOptions::default(),
    )
    .unwrap();
    let eval = plan.evaluate(&candles).unwrap();
    let sma = |p: usize| -> Vec<f64> {
        (0..candles.len())
            .map(|i| {
                if i + 1 < p {
                    f64::NAN
                } else {
                    candles.close[i + 1 - p..=i].iter().sum::<f64>() / p as f64
                }
            })
            .collect()
    };
    let (fast, slow) = (sma(10), sma(30));
    let mut expected = vec![false; candles.len()];
    let mut side = 0;
    for i in 0..candles.len() {
        if slow[i].is_nan() {
            continue;
        }
        let now = if fast[i] > slow[i] {
            1
        } else if fast[i] < slow[i] {
            -1
        } else {
            0
        };
        expected[i] = now == 1 && side == -1;
        if now != 0 {
            side = now;
        }
    }
    let differences = (0..candles.len())
        .filter(|&i| expected[i] != eval.signals.enter_long[i])
        .count();
    assert_eq!(differences, 0);
}

#[test]
fn identical_blocks_are_computed_once() {
    let mut doc = common::strategy("sma_crossover.json");
    // A second, identical fast SMA and a second close block: both merge into existing steps.
    let mut twin = doc.node("fast").unwrap().clone();
    twin.id = "fast_twin".into();
    doc.nodes.push(twin);
    let mut close2 = doc.node("close").unwrap().clone();
    close2.id = "close_again".into();
    doc.nodes.push(close2);
    doc.edges.push(bb_strategy::Edge {
        from: bb_strategy::PortRef::new("close_again", "out"),
        to: bb_strategy::PortRef::new("fast_twin", "in"),
    });
    let plan = compile(&validate(&doc), &CompileOptions::default()).unwrap();
    let original = compile(
        &validate(&common::strategy("sma_crossover.json")),
        &CompileOptions::default(),
    )
    .unwrap();
    assert_eq!(plan.steps.len(), original.steps.len());
    let step_of = |id: &str| plan.nodes.iter().find(|n| n.node == id).unwrap().step;
    assert_eq!(step_of("fast"), step_of("fast_twin"));
    assert_eq!(step_of("close"), step_of("close_again"));
}

#[test]
fn risk_blocks_become_risk_rules() {
    let plan = compile(
        &validate(&common::strategy("donchian_turtle.json")),
        &CompileOptions::default(),
    )
    .unwrap();
    assert_eq!(
        plan.risk.sizing,
        bb_domain::Sizing::RiskPercent { percent: 1.0 }
    );
    assert_eq!(
        plan.risk.stop_loss,
        Some(bb_domain::StopRule::Atr {
            period: 20,
            multiple: 2.0
        })
    );
    let plan = compile(
        &validate(&common::strategy("rsi_mean_reversion.json")),
        &CompileOptions::default(),
    )
    .unwrap();
    assert_eq!(
        plan.risk.take_profit,
        Some(bb_domain::TargetRule::Percent { percent: 6.0 })
    );
}

#[test]
fn higher_timeframe_values_come_from_closed_bars_only() {
    // On 1-minute BTC, the hourly close seen at minute m is the close of the last full hour.
    let candles = common::demo_candles("btc-perp_1m_2022-01.csv").prefix(600);
    let mut doc = common::strategy("sma_crossover.json");
    doc.nodes.push(bb_strategy::Node {
        id: "hourly_close".into(),
        kind: "higher_timeframe".into(),
        params: [("timeframe".to_string(), serde_json::json!("1h"))].into(),
        position: Default::default(),
        label: None,
    });
    doc.edges.push(bb_strategy::Edge {
        from: bb_strategy::PortRef::new("close", "out"),
        to: bb_strategy::PortRef::new("hourly_close", "in"),
    });
    let plan = compile(
        &validate(&doc),
        &CompileOptions {
            base_timeframe: candles.timeframe(),
            bar_count: None,
        },
    )
    .unwrap();
    let eval = plan.evaluate_all(&candles).unwrap();
    let step = plan
        .nodes
        .iter()
        .find(|n| n.node == "hourly_close")
        .unwrap()
        .step;
    let Series::Number(values) = &eval.outputs[step].as_ref().unwrap()[0] else {
        panic!("number output")
    };
    for (i, &value) in values.iter().enumerate() {
        let close_time = candles.ts[i] + 60_000;
        let hour_end = close_time - close_time.rem_euclid(3_600_000);
        // The last minute bar of the last closed full hour.
        let last = candles.ts.iter().rposition(|&t| t < hour_end);
        let hour_start = hour_end - 3_600_000;
        let complete = candles.ts.first().is_some_and(|&t| t <= hour_start);
        match last {
            Some(j) if complete => assert_eq!(value, candles.close[j], "bar {i}"),
            _ => assert!(value.is_nan(), "bar {i} should have no hourly value yet"),
        }
    }
}
