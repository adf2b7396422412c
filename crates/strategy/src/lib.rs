//! bb-strategy (being written).
