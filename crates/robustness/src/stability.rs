//! Parameter stability: are the chosen cell's grid neighbours also good?
//!
//! Method (a product check, in the spirit of Pardo's "robust parameter regions",
//! *The Evaluation and Optimization of Trading Strategies*, 2008): on a sweep grid in
//! odometer order (last axis fastest, as `bb_backtest::sweep`), the neighbours of the chosen
//! cell are the cells at most one step away on every axis (the Chebyshev ball of radius 1,
//! diagonals included, the cell itself excluded) that exist and have a value. A neighbour is
//! good when its objective is above zero and at least the threshold: `chosen × fraction`
//! when the chosen value is positive, else 0 (so next to a losing choice only a neighbour
//! that does not lose is good). A peak surrounded by poor neighbours
//! is a lucky spike; a plateau is robust.

use serde::{Deserialize, Serialize};

/// The default share of the chosen value a neighbour must reach to count as good.
pub const DEFAULT_GOOD_FRACTION: f64 = 0.5;

/// One neighbour of the chosen cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StabilityCell {
    /// Index of the cell in the sweep's rows (odometer order).
    pub index: usize,
    /// Position of the cell on each axis.
    pub coordinates: Vec<usize>,
    /// The cell's objective value.
    pub value: f64,
    /// Whether the value is above zero and reaches the threshold.
    pub good: bool,
}

/// How many neighbours of the chosen cell are good.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stability {
    /// Index of the chosen cell.
    pub chosen: usize,
    /// The chosen cell's objective value.
    pub chosen_value: f64,
    /// The value a neighbour must reach to be good (it must also be above zero).
    pub threshold: f64,
    /// Number of neighbours with a value.
    pub neighbours: usize,
    /// Number of good neighbours.
    pub good: usize,
    /// good / neighbours; `None` without neighbours.
    pub share: Option<f64>,
    /// The neighbours, in odometer order.
    pub cells: Vec<StabilityCell>,
}

/// Why stability cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StabilityError {
    #[error("the grid has {cells} cells but {values} values were given")]
    Shape { cells: usize, values: usize },
    #[error("the chosen cell {0} is outside the grid")]
    ChosenOutside(usize),
    #[error("the chosen cell {0} has no value")]
    ChosenWithoutValue(usize),
    #[error("the good fraction must be finite and non-negative")]
    Fraction,
}

/// The threshold a neighbour must reach (besides being above zero): `chosen × fraction`
/// when `chosen > 0`, else 0 (next to a losing choice, not losing is all it takes).
pub fn good_threshold(chosen: f64, fraction: f64) -> f64 {
    if chosen > 0.0 { chosen * fraction } else { 0.0 }
}

/// Stability of cell `chosen` on a grid of `axes` lengths whose cells (odometer order)
/// have objective `values` (`None`: excluded by a constraint or failed); a neighbour is
/// good above zero and at [`good_threshold`]`(chosen value, good_fraction)` or more.
pub fn stability(
    axes: &[usize],
    values: &[Option<f64>],
    chosen: usize,
    good_fraction: f64,
) -> Result<Stability, StabilityError> {
    let cells: usize = axes.iter().product();
    if cells != values.len() {
        return Err(StabilityError::Shape {
            cells,
            values: values.len(),
        });
    }
    if !(good_fraction.is_finite() && good_fraction >= 0.0) {
        return Err(StabilityError::Fraction);
    }
    if chosen >= cells {
        return Err(StabilityError::ChosenOutside(chosen));
    }
    let chosen_value = values[chosen]
        .filter(|v| v.is_finite())
        .ok_or(StabilityError::ChosenWithoutValue(chosen))?;
    let threshold = good_threshold(chosen_value, good_fraction);
    let centre = coordinates(axes, chosen);
    let mut out = Vec::new();
    // Walk the 3^d offsets in odometer order, each axis −1, 0, +1.
    let mut offset = vec![-1i64; axes.len()];
    loop {
        let coords: Option<Vec<usize>> = centre
            .iter()
            .zip(&offset)
            .zip(axes)
            .map(|((&c, &o), &len)| {
                let p = c as i64 + o;
                (0..len as i64).contains(&p).then_some(p as usize)
            })
            .collect();
        if let Some(coords) = coords.filter(|_| offset.iter().any(|&o| o != 0)) {
            let index = coords
                .iter()
                .zip(axes)
                .fold(0, |acc, (&c, &len)| acc * len + c);
            if let Some(value) = values[index].filter(|v| v.is_finite()) {
                out.push(StabilityCell {
                    index,
                    coordinates: coords,
                    value,
                    good: value > 0.0 && value >= threshold,
                });
            }
        }
        // Next offset (last axis fastest).
        let mut axis = offset.len();
        loop {
            if axis == 0 {
                let neighbours = out.len();
                let good = out.iter().filter(|c| c.good).count();
                return Ok(Stability {
                    chosen,
                    chosen_value,
                    threshold,
                    neighbours,
                    good,
                    share: (neighbours > 0).then(|| good as f64 / neighbours as f64),
                    cells: out,
                });
            }
            axis -= 1;
            if offset[axis] < 1 {
                offset[axis] += 1;
                break;
            }
            offset[axis] = -1;
        }
    }
}

/// The position on each axis of cell `index` (odometer order, last axis fastest).
fn coordinates(axes: &[usize], mut index: usize) -> Vec<usize> {
    let mut out = vec![0; axes.len()];
    for (slot, &len) in out.iter_mut().zip(axes).rev() {
        *slot = index % len;
        index /= len;
    }
    out
}
