//! bb-backtest (being written).
