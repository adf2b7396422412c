//! The markets of a basket paper run, checked: each a dataset the caller may see, with
//! candles at the run's timeframe, none twice, each one that can be traded the way the run
//! trades (new candles for live, stored candles at the start for a replay).

use bb_domain::Timeframe;
use bb_store::{Dataset, PaperBasket, PaperMember, Role, User};

use crate::error::ApiError;
use crate::extract::clip;
use crate::routes::market::access::{Viewer, field_error, load_visible};
use crate::state::AppState;

/// Markets in a basket at most.
pub const MAX_MEMBERS: usize = 10;

/// The basket of `first` and the datasets of `more` (`None` when `more` is empty).
pub async fn members(
    state: &AppState,
    user: &User,
    first: &Dataset,
    more: &[String],
    max_allocation_pct: Option<f64>,
    tf: Timeframe,
    replay_start: Option<i64>,
) -> Result<Option<PaperBasket>, ApiError> {
    if more.is_empty() {
        if max_allocation_pct.is_some() {
            return Err(field_error(
                "max_allocation_pct",
                "max_allocation_pct is for baskets: give their other markets in basket.",
            ));
        }
        return Ok(None);
    }
    if more.len() + 1 > MAX_MEMBERS {
        return Err(field_error(
            "basket",
            format!(
                "A basket holds at most {MAX_MEMBERS} markets; this one has {}.",
                more.len() + 1
            ),
        ));
    }
    let count = (more.len() + 1) as f64;
    let max_allocation_pct = max_allocation_pct.unwrap_or(100.0 / count);
    if !(max_allocation_pct > 0.0 && max_allocation_pct <= 100.0) {
        return Err(field_error(
            "max_allocation_pct",
            format!(
                "max_allocation_pct is the most one position may cost, as a percentage of the \
                 basket's equity: above 0 and at most 100, not {max_allocation_pct}."
            ),
        ));
    }
    let viewer = Viewer {
        id: user.id.clone(),
        admin: user.role == Role::Admin,
    };
    let mut datasets = vec![first.clone()];
    for (i, id) in more.iter().enumerate() {
        let field = format!("basket[{i}]");
        let d = match load_visible(state, id, &viewer).await {
            Ok(d) => d,
            Err(ApiError::NotFound(_)) => {
                return Err(field_error(
                    &field,
                    format!(
                        "There is no dataset {:?} you can use; see GET /api/v1/market/datasets.",
                        clip(id, 40)
                    ),
                ));
            }
            Err(e) => return Err(e),
        };
        if datasets
            .iter()
            .any(|x| x.id == d.id || x.symbol == d.symbol)
        {
            return Err(field_error(
                &field,
                format!("{} is in the basket already.", d.symbol),
            ));
        }
        check(&d, &field, tf, replay_start)?;
        datasets.push(d);
    }
    Ok(Some(PaperBasket {
        max_allocation_pct,
        members: datasets
            .into_iter()
            .map(|d| PaperMember {
                symbol: d.symbol,
                dataset_id: d.id,
            })
            .collect(),
    }))
}

fn check(
    d: &Dataset,
    field: &str,
    tf: Timeframe,
    replay_start: Option<i64>,
) -> Result<(), ApiError> {
    if d.row_count == 0 {
        return Err(field_error(
            field,
            format!("{} has no candles yet.", d.spec()),
        ));
    }
    if tf < d.timeframe || !tf.is_multiple_of(d.timeframe) {
        return Err(field_error(
            field,
            format!(
                "{} has {} candles, which cannot make the basket's {tf} bars.",
                d.symbol, d.timeframe
            ),
        ));
    }
    match replay_start {
        Some(start) if d.last_ts.is_none_or(|last| last < start) => Err(field_error(
            field,
            format!(
                "{} has no stored candles from {} on to replay.",
                d.spec(),
                bb_data::format_utc(start)
            ),
        )),
        None if !bb_market::is_fetched(d) || d.owner_id.is_some() => Err(field_error(
            field,
            format!(
                "{} is not updated with new candles (it comes from {}), so it cannot be traded \
                 live: replay the basket instead (replay_from).",
                d.spec(),
                d.source
            ),
        )),
        _ => Ok(()),
    }
}
