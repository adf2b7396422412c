//! bb-metrics (being written).
