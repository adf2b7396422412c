//! PBO by CSCV: hand-computed small cases, ties, errors, a known-overfit sweep and a
//! planted edge.

mod common;

use bb_backtest::sweep::ReturnSums;
use bb_robustness::{PboError, pbo};
use common::{Gauss, block_sums};

fn sums(returns: &[f64]) -> ReturnSums {
    block_sums(returns, 1)[0]
}

#[test]
fn two_configurations_two_blocks_by_hand() {
    // A: Sharpe 2.12 then 0; B: −0.71 then 1.41. Each split's IS winner is last OOS.
    let a = vec![sums(&[0.02, 0.04]), sums(&[-0.01, 0.01])];
    let b = vec![sums(&[-0.02, 0.0]), sums(&[0.01, 0.03])];
    let p = pbo(&[a, b]).unwrap();
    assert_eq!((p.splits, p.blocks, p.configurations), (2, 2, 2));
    assert_eq!(p.pbo, 1.0);
    // Split 1 picks A (OOS Sharpe 0, not a loss), split 2 picks B (OOS −0.71, a loss).
    assert_eq!(p.probability_oos_loss, 0.5);
    // Both: rank 1 of 2 → ω = 1/3 → λ = ln(1/2).
    assert!((p.median_logit - 0.5f64.ln()).abs() < 1e-15);
    assert_eq!(p.most_selected_share, 0.5);
}

#[test]
fn a_consistent_winner_has_no_overfitting() {
    // A beats B on every block: IS winner A is also the OOS best (rank 2 of 2, ω = 2/3).
    let a = vec![sums(&[0.02, 0.04]), sums(&[0.03, 0.05])];
    let b = vec![sums(&[-0.02, 0.0]), sums(&[-0.01, 0.0])];
    let p = pbo(&[a, b]).unwrap();
    assert_eq!(p.pbo, 0.0);
    assert!((p.median_logit - 2f64.ln()).abs() < 1e-15);
    assert_eq!((p.most_selected, p.most_selected_share), (0, 1.0));
    assert_eq!(p.probability_oos_loss, 0.0);
}

#[test]
fn ties_are_averaged_and_the_median_counts_as_overfit() {
    // Three identical configurations: the first wins IS; OOS all tie → rank 2 of 3,
    // ω = 2/4 = 0.5, λ = 0, which counts as overfit (λ ≤ 0).
    let col = vec![
        sums(&[0.01, 0.02]),
        sums(&[0.0, 0.03]),
        sums(&[0.01, -0.01]),
        sums(&[0.02, 0.0]),
    ];
    let p = pbo(&[col.clone(), col.clone(), col]).unwrap();
    assert_eq!(p.splits, 6);
    assert_eq!(p.pbo, 1.0);
    assert_eq!(p.median_logit, 0.0);
    assert_eq!(p.most_selected, 0);
    // Two configurations tied OOS: rank 1.5 of 2, ω = 0.5.
    let a = vec![sums(&[0.02, 0.04]), sums(&[0.0, 0.02])];
    let b = vec![sums(&[0.0, 0.01]), sums(&[0.0, 0.02])];
    let p = pbo(&[a, b]).unwrap();
    // Split IS = block 0: A wins, OOS tie → λ = 0. Split IS = block 1: tie IS → A (first),
    // OOS block 0: A 2.12 > B 0.71 → rank 2, λ = ln 2.
    assert_eq!(p.pbo, 0.5);
    assert_eq!(p.logits.min, 0.0);
    assert!((p.logits.max - 2f64.ln()).abs() < 1e-15);
}

#[test]
fn flat_configurations_score_zero() {
    // A never trades (Sharpe 0 everywhere); B is positive everywhere → B always wins.
    let flat = vec![
        ReturnSums {
            n: 2,
            sum: 0.0,
            sum_sq: 0.0
        };
        2
    ];
    let b = vec![sums(&[0.01, 0.03]), sums(&[0.02, 0.03])];
    let p = pbo(&[flat, b]).unwrap();
    assert_eq!((p.pbo, p.most_selected), (0.0, 1));
}

#[test]
fn bad_inputs_are_named() {
    let col = vec![sums(&[0.01, 0.02]); 4];
    assert_eq!(
        pbo(std::slice::from_ref(&col)),
        Err(PboError::TooFewConfigurations(1))
    );
    let odd = vec![sums(&[0.01, 0.02]); 3];
    assert_eq!(pbo(&[odd.clone(), odd]), Err(PboError::Blocks(3)));
    let many = vec![sums(&[0.01, 0.02]); 18];
    assert_eq!(pbo(&[many.clone(), many]), Err(PboError::Blocks(18)));
    assert_eq!(
        pbo(&[col.clone(), col[..2].to_vec()]),
        Err(PboError::RaggedColumns {
            column: 1,
            found: 2,
            expected: 4
        })
    );
    let mut empty = col.clone();
    empty[2] = ReturnSums::default();
    assert_eq!(
        pbo(&[col, empty]),
        Err(PboError::EmptyBlock {
            column: 1,
            block: 2
        })
    );
}

/// `configurations` random long/flat/short strategies on one random walk's returns.
fn random_strategies(g: &mut Gauss, bars: usize, configurations: usize) -> Vec<Vec<f64>> {
    let market: Vec<f64> = (0..bars).map(|_| 0.01 * g.normal()).collect();
    (0..configurations)
        .map(|_| {
            let mut position = 0.0;
            market
                .iter()
                .enumerate()
                .map(|(t, r)| {
                    if t % 20 == 0 {
                        position = (g.unit() * 3.0).floor() - 1.0;
                    }
                    position * r
                })
                .collect()
        })
        .collect()
}

#[test]
fn demeaned_random_strategies_are_overfit() {
    // Every column's full-sample mean is 0, so the IS winner's OOS mean is minus its IS
    // excess (Bailey et al.'s experiment): the winner mechanically loses OOS.
    let mut g = Gauss::new(11);
    let columns: Vec<Vec<ReturnSums>> = random_strategies(&mut g, 1600, 30)
        .into_iter()
        .map(|mut c| {
            let mean = c.iter().sum::<f64>() / c.len() as f64;
            c.iter_mut().for_each(|r| *r -= mean);
            block_sums(&c, 10)
        })
        .collect();
    let p = pbo(&columns).unwrap();
    assert_eq!(p.splits, 252);
    assert!(p.pbo > 0.9, "PBO {}", p.pbo);
    assert!(p.median_logit < 0.0);
}

#[test]
fn a_planted_edge_is_not_overfit() {
    let mut g = Gauss::new(12);
    let mut returns = random_strategies(&mut g, 1600, 20);
    // Drift of 0.4 standard deviations per bar: clearly positive in every block.
    returns.push((0..1600).map(|_| 0.004 + 0.01 * g.normal()).collect());
    let columns: Vec<Vec<ReturnSums>> = returns.iter().map(|c| block_sums(c, 10)).collect();
    assert!(columns[20].iter().all(|b| b.sum > 0.0));
    let p = pbo(&columns).unwrap();
    assert!(p.pbo < 0.1, "PBO {}", p.pbo);
    assert_eq!(p.most_selected, 20);
    assert!(p.most_selected_share > 0.9);
    assert_eq!(p.probability_oos_loss, 0.0);
}
