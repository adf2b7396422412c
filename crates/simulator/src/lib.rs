//! bb-simulator: turns candles, per-bar signals and risk rules into trades and an equity
//! curve. Depends only on `bb-domain` (plus `serde` for the config). Pure and deterministic:
//! no IO, no clock, no randomness, no allocation per bar.
//!
//! [`Simulator`] is a state machine advanced one bar at a time (the same engine drives paper
//! trading); [`simulate`] / [`simulate_into`] run it over a whole series with fast paths for
//! stretches where nothing can happen; [`simulate_basket`] runs several symbols on one shared
//! cash balance, over a [`BasketSimulator`] advanced one merged timestamp at a time.
//!
//! # Rules
//!
//! - **Timing.** Signals are read on each bar's close. `NextOpen` (default): an order from bar
//!   `i` fills at `open[i+1]`; an order from the last bar never fills. `SameClose`: it fills at
//!   `close[i]`. In a backtest no entry is taken on the final bar in either mode.
//! - **Order inside a bar.** (1) `NextOpen` orders fill at the open, exit before entry;
//!   (2) stops and target are checked along the bar's path; (3) signals and the time stop are
//!   read on the close (`SameClose` fills them there, exit before entry); (4) equity is marked.
//! - **Costs.** Every fill (signal, stop, target, time stop, end of data) slips against the
//!   trader: buys at `raw × (1 + bps/10⁴)`, sells at `raw × (1 − bps/10⁴)`. The fee is
//!   `fee_pct`% of the fill notional per fill, paid from cash. `pnl` is net of both fees;
//!   `pnl_pct = pnl / (entry fill × qty) × 100`.
//! - **Sizing** (cash-limited, no leverage; shorts the same). A budget covers notional plus
//!   entry fee: `qty = budget / (fill × (1 + fee))`. `PercentOfEquity`: `min(p% × equity,
//!   cash)`; `FixedQuote`: `min(amount, cash)`; `RiskPercent`: `p% × equity / |entry fill −
//!   stop loss|` (fees ignored), capped by the cash; without a stop loss it cannot size and
//!   the entry is skipped. Equity is the cash when flat (basket: cash + open positions at
//!   their latest close).
//! - **Accounting.** An entry takes notional + fee out of cash, for longs and shorts alike. A
//!   long is worth `qty × price`, a short `qty × (2 × entry fill − price)` (collateral plus
//!   unrealised P&L). `equity[i]` = cash + position value at `close[i]`; the last point is
//!   after the end-of-data close, so it equals initial capital + Σ pnl.
//! - **One position at a time.** While in a position: an exit signal (or a due time stop)
//!   closes it; an opposite entry on the same bar then reverses into the other side (same
//!   fill); a same-side entry is ignored, even when the exit fires on that bar; an opposite
//!   entry without an exit is ignored. Flat with both entries on one bar: neither is taken.
//!   Every ignored entry counts in `ignored_signals`. With `allow_short = false`, short
//!   signals are disregarded (not counted).
//! - **Protective levels** (from the entry fill; ATR values are the signal bar's). Stop loss
//!   `entry × (1 ∓ p%)` or `entry ∓ m × ATR`; target `entry × (1 ± p%)`, `entry ± m × ATR` or
//!   `entry ± ratio × stop distance` (no stop loss: no target); trailing `best × (1 ∓ p%)` or
//!   `best ∓ m × ATR` where best is the best price since entry, starting at the entry fill;
//!   break-even moves a stop to the entry fill once best is `x%` beyond it. The tightest of
//!   stop loss, break-even and trailing is the stop (equal levels: the reason is stop loss,
//!   then break-even, then trailing). A needed ATR that is NaN or missing skips the entry.
//! - **When checked.** From the entry fill on: a `NextOpen` entry fills at the open, so its
//!   whole entry bar is checked; a `SameClose` entry is checked from the next bar.
//! - **Bar path.** open → the nearer extreme (high when `high − open ≤ open − low`) → the
//!   other extreme → close. A bar opening at or beyond the stop (target) exits at the open;
//!   otherwise the first level reached exits at its own price. The best price follows the
//!   path, so a new high lifts a trailing or break-even stop before a later low is tested.
//!   Bars with both the stop and the target inside `[low, high]` count in
//!   `stop_and_target_same_bar`.
//! - **Time stop `n`.** An exit order read on the close from which the exit fill lands `n`
//!   bars after the entry fill (`NextOpen`: close of bar `entry + n − 1`; `SameClose`: close
//!   of bar `entry + n`), so `bars_held == n`; `n = 0` acts as 1. An exit signal on the same
//!   close takes precedence as the reason.
//! - **End of data.** An open position is closed at the last close (`EndOfData`), with costs.
//! - **Counters.** `bars_in_market`: bars at whose close a position was open.
//!   `skipped_entries`: entries with size 0 (no cash, no stop for `RiskPercent`) or a missing
//!   ATR.

mod basket;
mod book;
mod config;
mod fill;
mod position;
mod simulator;
mod sizing;
mod stops;

pub use basket::{BasketMember, BasketResult, BasketSimulator, MemberResult, simulate_basket};
pub use book::{OpenPosition, PendingOrder};
pub use config::{
    FillRule, MAX_CAPITAL, MAX_FEE_PCT, MAX_SLIPPAGE_BPS, MIN_CAPITAL, SettingError, SimConfig,
};
pub use simulator::{
    EquitySink, SimInput, SimResult, Simulator, simulate, simulate_into, simulate_with_sink,
};
