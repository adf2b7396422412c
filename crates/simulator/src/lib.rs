//! bb-simulator (being written).
