//! Graph limits, deep graphs and the evaluation memory budget. Each reproduction of issue 11
//! (a chain of 3,000 or 4,000 SMA blocks overflowing the stack; one column per step kept for
//! every bar) is a regression test here. The deep graphs run on threads with a 256 KiB
//! stack: any recursion whose depth follows the graph would overflow it.

mod common;

use bb_domain::Candles;
use bb_strategy::{
    Code, CompileOptions, EVALUATION_BUDGET_BYTES, EvaluateError, Keep, Limits, StrategyDocument,
    compile, validate, validate_with,
};
use common::{chain, mirrored_chain, synthetic_candles};

const SMALL_STACK: usize = 256 * 1024;

/// Runs `f` on a thread with a small stack (what a deep recursion would overflow).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("no panic and no stack overflow")
}

fn options(candles: &Candles) -> CompileOptions {
    CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: Some(candles.len()),
    }
}

/// Validate (no limits), compile, evaluate, drop: returns the signal length, the plan's
/// step count, its peak live columns and its longest key.
fn run_unlimited(doc: StrategyDocument, candles: Candles) -> (usize, usize, usize, usize) {
    let validated = validate_with(&doc, &Limits::UNLIMITED);
    assert!(!validated.has_errors(), "{:?}", &validated.diagnostics[..1]);
    let plan = compile(&validated, &options(&candles)).expect("compiles");
    let evaluation = plan.evaluate(&candles).expect("evaluates");
    let kept = evaluation.outputs.iter().filter(|o| o.is_some()).count();
    assert!(
        kept <= 2,
        "only the action inputs are kept, not {kept} steps"
    );
    let longest_key = plan.steps.iter().map(|s| s.key.len()).max().unwrap_or(0);
    (
        evaluation.signals.enter_long.len(),
        plan.steps.len(),
        plan.peak_columns(Keep::Signals),
        longest_key,
    )
}

#[test]
fn chains_of_3000_and_4000_smas_run_on_a_small_stack() {
    for blocks in [3_000, 4_000] {
        let (signals, steps, peak, key) =
            on_small_stack(move || run_unlimited(chain("sma", blocks), synthetic_candles(5_000)));
        assert_eq!(signals, 5_000);
        // close, every SMA, the comparison
        assert_eq!(steps, blocks + 2, "{blocks}");
        assert!(
            peak <= 3,
            "a chain keeps at most 3 columns alive, not {peak}"
        );
        assert!(
            key < 200,
            "keys stay short however deep the graph ({key} bytes)"
        );
    }
}

#[test]
fn a_hundred_thousand_blocks_validate_compile_and_evaluate_on_a_small_stack() {
    let (signals, steps, peak, _) =
        on_small_stack(|| run_unlimited(chain("absolute", 100_000), synthetic_candles(50)));
    assert_eq!((signals, steps), (50, 100_002));
    assert!(peak <= 3);
}

#[test]
fn a_cycle_of_a_hundred_thousand_blocks_is_reported_on_a_small_stack() {
    let diagnostics = on_small_stack(|| {
        let mut doc = chain("absolute", 100_000);
        // Close the chain into a loop: the first block reads the last.
        doc.edges.retain(|e| e.to.node != "b0");
        doc.edges.push(bb_strategy::Edge {
            from: bb_strategy::PortRef::new("b99999", "out"),
            to: bb_strategy::PortRef::new("b0", "in"),
        });
        validate_with(&doc, &Limits::UNLIMITED).diagnostics
    });
    assert!(diagnostics.iter().any(|d| d.code == Code::Cycle));
}

#[test]
fn too_many_blocks_names_the_limit() {
    let doc = chain("sma", 298); // + close, comparison, entry = 301 blocks
    let diagnostics = validate_with(&doc, &Limits::FREE).diagnostics;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, Code::TooManyBlocks);
    assert!(
        diagnostics[0]
            .message
            .contains("This strategy has 301 blocks; your plan allows at most 300"),
        "{}",
        diagnostics[0].message
    );
    assert!(!validate_with(&doc, &Limits::PREMIUM).has_errors());
}

#[test]
fn too_many_connections_names_the_limit() {
    let mut doc = chain("sma", 10);
    let extra = doc.edges[0].clone();
    doc.edges.extend(std::iter::repeat_n(extra, 1_000));
    let diagnostics = validate_with(&doc, &Limits::FREE).diagnostics;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, Code::TooManyConnections);
    assert!(diagnostics[0].message.contains("at most 900"));
}

#[test]
fn a_chain_deeper_than_the_plan_allows_names_its_depth_and_end() {
    let doc = chain("sma", 250); // close + 250 SMAs + comparison + entry = 253 deep
    let diagnostics = validate_with(&doc, &Limits::FREE).diagnostics;
    let deep: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code == Code::GraphTooDeep)
        .collect();
    assert_eq!(deep.len(), 1, "{diagnostics:?}");
    assert!(
        deep[0]
            .message
            .starts_with("The longest chain of blocks is 253 deep"),
        "{}",
        deep[0].message
    );
    assert!(deep[0].message.contains("at most 200"));
    assert_eq!(deep[0].node.as_deref(), Some("entry"));
    assert!(!validate_with(&chain("sma", 197), &Limits::FREE).has_errors());
    assert!(validate_with(&chain("sma", 198), &Limits::FREE).has_errors());
}

#[test]
fn the_default_limits_are_the_biggest_plans() {
    let diagnostics = validate(&chain("sma", 3_000)).diagnostics;
    assert_eq!(diagnostics[0].code, Code::TooManyBlocks);
    assert!(diagnostics[0].message.contains("at most 2,000"));
}

#[test]
fn a_3000_block_chain_on_a_million_bars_fits_the_budget() {
    let plan = on_small_stack(|| {
        let validated = validate_with(&chain("sma", 3_000), &Limits::UNLIMITED);
        compile(
            &validated,
            &CompileOptions {
                base_timeframe: None,
                bar_count: Some(1_000_000),
            },
        )
        .expect("fits the budget")
    });
    let bytes = plan.evaluation_bytes(1_000_000, Keep::Signals);
    assert!(bytes <= EVALUATION_BUDGET_BYTES, "{bytes}");
    assert!(
        bytes < 200 << 20,
        "a chain needs a few columns, not {bytes} bytes"
    );
    // Keeping every output (the inspector) would not fit: refused with the reason.
    let all = plan
        .check_budget(1_000_000, Keep::All)
        .expect("over budget");
    assert!(
        all.contains("Showing all 3,002 block outputs over 1,000,000 bars"),
        "{all}"
    );
}

#[test]
fn many_outputs_alive_at_once_are_refused_up_front() {
    // Every SMA of a 100-block chain is compared with its mirror image, so all stay alive.
    let validated = validate_with(&mirrored_chain(100), &Limits::UNLIMITED);
    assert!(!validated.has_errors(), "{:?}", validated.diagnostics);
    let compiled = |bars| {
        compile(
            &validated,
            &CompileOptions {
                base_timeframe: None,
                bar_count: Some(bars),
            },
        )
    };
    let plan = compiled(10_000).expect("fits on 10,000 bars");
    assert!(plan.peak_columns(Keep::Signals) >= 100);
    let errors = compiled(1_000_000).expect_err("too big on a million bars");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, Code::EvaluationTooLarge);
    assert!(
        errors[0]
            .message
            .starts_with("Running this strategy on 1,000,000 bars needs about"),
        "{}",
        errors[0].message
    );
    // Evaluation checks the same budget before allocating, whatever the compiler knew.
    let big = synthetic_candles(1_000_000);
    match plan.evaluate(&big) {
        Err(EvaluateError::TooLarge(message)) => assert_eq!(message, errors[0].message),
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn the_inspector_is_bounded_by_bars_times_outputs() {
    let doc = chain("sma", 3_000);
    let candles = synthetic_candles(30_000);
    let validated = validate_with(&doc, &Limits::UNLIMITED);
    let plan = compile(&validated, &options(&candles)).unwrap();
    match plan.evaluate_all(&candles) {
        Err(EvaluateError::TooLarge(message)) => {
            assert!(message.contains("Inspect fewer bars"), "{message}")
        }
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
    let short = synthetic_candles(1_000);
    let evaluation = plan.evaluate_all(&short).unwrap();
    assert!(evaluation.outputs.iter().all(Option::is_some));
    assert_eq!(evaluation.columns(&plan, &short).len(), 3_002 + 4);
}

#[test]
fn freeing_columns_never_changes_the_signals() {
    let candles = common::demo_candles("yahoo_BTC-USD_1d_2014-2022.csv");
    for name in common::STARTERS {
        let plan = compile(&validate(&common::strategy(name)), &options(&candles)).unwrap();
        let lean = plan.evaluate(&candles).unwrap();
        let full = plan.evaluate_all(&candles).unwrap();
        assert_eq!(lean.signals, full.signals, "{name}");
        // NaN-aware: the same bits.
        let bits = |e: &bb_strategy::Evaluation| -> Vec<(usize, Vec<u64>)> {
            e.atr
                .iter()
                .map(|(p, v)| (*p, v.iter().map(|x| x.to_bits()).collect()))
                .collect()
        };
        assert_eq!(bits(&lean), bits(&full), "{name}");
    }
}
