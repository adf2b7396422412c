//! The stored report's format version.
//!
//! Version 1: reports stored before versions existed (no `report_version` field).
//! Version 2: the same fields, typed end to end, with `report_version`.
//! A reader of an older version fills what is missing with serde defaults; a field that
//! cannot be defaulted needs a migration step here.

/// The version written today.
pub const REPORT_VERSION: u32 = 2;

/// The version of a report that does not say.
pub(crate) fn first() -> u32 {
    1
}
