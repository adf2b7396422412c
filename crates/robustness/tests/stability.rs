//! Parameter stability on hand-computed grids.

use bb_robustness::stability::good_threshold;
use bb_robustness::{StabilityError, stability};

#[test]
fn centre_of_a_three_by_three_grid() {
    // Odometer order, last axis fastest:
    //   row 0: 4, 6, None
    //   row 1: 5, 10, 7
    //   row 2: 2, None, 5
    let values = [
        Some(4.0),
        Some(6.0),
        None,
        Some(5.0),
        Some(10.0),
        Some(7.0),
        Some(2.0),
        None,
        Some(5.0),
    ];
    let s = stability(&[3, 3], &values, 4, 0.5).unwrap();
    assert_eq!((s.chosen_value, s.threshold), (10.0, 5.0));
    assert_eq!(s.neighbours, 6);
    // Good: 6, 5, 7, 5 (≥ 5); not: 4, 2.
    assert_eq!(s.good, 4);
    assert_eq!(s.share, Some(4.0 / 6.0));
    let indices: Vec<usize> = s.cells.iter().map(|c| c.index).collect();
    assert_eq!(indices, [0, 1, 3, 5, 6, 8]);
    assert_eq!(s.cells[2].coordinates, [1, 0]);
    assert!(!s.cells[0].good && s.cells[1].good);
}

#[test]
fn corner_and_line() {
    // Corner (0, 0) of a 2×3 grid: neighbours (0, 1), (1, 0), (1, 1).
    let values = [
        Some(8.0),
        Some(1.0),
        Some(9.0),
        Some(4.0),
        Some(3.9),
        Some(9.0),
    ];
    let s = stability(&[2, 3], &values, 0, 0.5).unwrap();
    assert_eq!(s.neighbours, 3);
    assert_eq!(s.good, 1);
    let indices: Vec<usize> = s.cells.iter().map(|c| c.index).collect();
    assert_eq!(indices, [1, 3, 4]);
    // One axis: the ends have one neighbour, the middle two.
    let line = [Some(1.0), Some(2.0), Some(3.0)];
    assert_eq!(stability(&[3], &line, 0, 0.5).unwrap().neighbours, 1);
    let mid = stability(&[3], &line, 1, 0.5).unwrap();
    assert_eq!((mid.neighbours, mid.good), (2, 2));
    // Three axes: the centre of 3×3×3 has 26 neighbours.
    let cube = vec![Some(1.0); 27];
    let c = stability(&[3, 3, 3], &cube, 13, 0.5).unwrap();
    assert_eq!((c.neighbours, c.good, c.share), (26, 26, Some(1.0)));
}

#[test]
fn next_to_a_losing_choice_only_a_neighbour_that_does_not_lose_is_good() {
    assert_eq!(good_threshold(-2.0, 0.5), 0.0);
    assert_eq!(good_threshold(0.0, 0.5), 0.0);
    assert_eq!(good_threshold(2.0, 0.5), 1.0);
    // better than the chosen -2 but still losing: not good
    let s = stability(&[3], &[Some(-3.0), Some(-2.0), Some(-1.0)], 1, 0.5).unwrap();
    assert_eq!((s.neighbours, s.good), (2, 0));
    let s = stability(&[3], &[Some(-3.0), Some(-2.0), Some(0.5)], 1, 0.5).unwrap();
    assert_eq!((s.neighbours, s.good), (2, 1));
    // a zero is not good either, whatever the chosen value
    let s = stability(&[3], &[Some(0.0), Some(0.0), Some(0.0)], 1, 0.0).unwrap();
    assert_eq!((s.neighbours, s.good), (2, 0));
}

#[test]
fn isolated_cells_and_bad_inputs() {
    let s = stability(&[1, 1], &[Some(1.0)], 0, 0.5).unwrap();
    assert_eq!((s.neighbours, s.share), (0, None));
    let s = stability(&[2], &[Some(1.0), None], 0, 0.5).unwrap();
    assert_eq!((s.neighbours, s.share), (0, None));
    assert_eq!(
        stability(&[2, 2], &[Some(1.0); 3], 0, 0.5),
        Err(StabilityError::Shape {
            cells: 4,
            values: 3
        })
    );
    assert_eq!(
        stability(&[2], &[Some(1.0); 2], 2, 0.5),
        Err(StabilityError::ChosenOutside(2))
    );
    assert_eq!(
        stability(&[2], &[None, Some(1.0)], 0, 0.5),
        Err(StabilityError::ChosenWithoutValue(0))
    );
    assert_eq!(
        stability(&[2], &[Some(1.0); 2], 0, f64::NAN),
        Err(StabilityError::Fraction)
    );
}
