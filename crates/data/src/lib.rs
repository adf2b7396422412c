//! bb-data (being written).
