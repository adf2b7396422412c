//! One row's values, how they are read from a database, written as a line of JSON and folded
//! into a table's digest.
//!
//! A table's digest is its row count and the sum, modulo 2^256, of the SHA-256 of each row's
//! canonical form. A sum does not depend on the order rows are read in, so the same rows
//! give the same digest on SQLite and on PostgreSQL, whatever order a scan returns them in.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::catalog::{Column, ColumnKind};
use crate::StoreError;
use crate::error::corrupt;

/// One value of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    /// Bytes it takes in memory, roughly (for bounding a batch).
    pub(crate) fn weight(&self) -> usize {
        match self {
            Cell::Null | Cell::Int(_) => 8,
            Cell::Text(s) => s.len() + 8,
            Cell::Bytes(b) => b.len() + 8,
        }
    }
}

/// Reads a row selected as `SELECT <columns in order> FROM …`.
pub(crate) fn read_row(
    row: &AnyRow,
    table: &str,
    columns: &[Column],
) -> Result<Vec<Cell>, StoreError> {
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let what = || format!("{table}.{}", column.name);
            Ok(match column.kind {
                ColumnKind::Int => row
                    .try_get::<Option<i64>, _>(i)
                    .map_err(|e| corrupt(&what(), e))?
                    .map_or(Cell::Null, Cell::Int),
                ColumnKind::Text => row
                    .try_get::<Option<String>, _>(i)
                    .map_err(|e| corrupt(&what(), e))?
                    .map_or(Cell::Null, Cell::Text),
                ColumnKind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(i)
                    .map_err(|e| corrupt(&what(), e))?
                    .map_or(Cell::Null, Cell::Bytes),
            })
        })
        .collect()
}

/// A row as one line of JSON: an array in column order; bytes in base64.
pub(crate) fn to_json(cells: &[Cell]) -> Value {
    Value::Array(
        cells
            .iter()
            .map(|cell| match cell {
                Cell::Null => Value::Null,
                Cell::Int(i) => Value::from(*i),
                Cell::Text(s) => Value::from(s.as_str()),
                Cell::Bytes(b) => Value::from(BASE64.encode(b)),
            })
            .collect(),
    )
}

/// The row a line of JSON holds; the error names the table, the line and the column.
pub(crate) fn from_json(
    line: &str,
    table: &str,
    line_no: usize,
    columns: &[Column],
) -> Result<Vec<Cell>, StoreError> {
    let bad = |why: String| StoreError::Invalid(format!("{table}, line {line_no}: {why}"));
    let value: Value =
        serde_json::from_str(line).map_err(|e| bad(format!("not a JSON row: {e}")))?;
    let Value::Array(values) = value else {
        return Err(bad("a row is a JSON array".into()));
    };
    if values.len() != columns.len() {
        return Err(bad(format!(
            "{} values for {} columns",
            values.len(),
            columns.len()
        )));
    }
    values
        .into_iter()
        .zip(columns)
        .map(|(value, column)| match (value, column.kind) {
            (Value::Null, _) => Ok(Cell::Null),
            (Value::Number(n), ColumnKind::Int) => n.as_i64().map(Cell::Int).ok_or_else(|| {
                bad(format!(
                    "column {}: {n} is not a 64-bit integer",
                    column.name
                ))
            }),
            (Value::String(s), ColumnKind::Text) => Ok(Cell::Text(s)),
            (Value::String(s), ColumnKind::Bytes) => BASE64
                .decode(s.as_bytes())
                .map(Cell::Bytes)
                .map_err(|e| bad(format!("column {}: not base64: {e}", column.name))),
            (other, kind) => Err(bad(format!(
                "column {}: {other} is not a {kind:?} value",
                column.name
            ))),
        })
        .collect()
}

/// A table's digest as the manifest records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDigest {
    pub name: String,
    pub rows: u64,
    /// The sum of the rows' SHA-256 modulo 2^256, 64 lower-case hex digits.
    pub hash: String,
}

/// Folds rows into a [`TableDigest`].
#[derive(Debug)]
pub(crate) struct Digester {
    name: String,
    /// Column positions in name order (the canonical form does not depend on the order the
    /// columns were declared in).
    order: Vec<usize>,
    names: Vec<String>,
    rows: u64,
    /// Big-endian 256-bit sum as four 64-bit limbs, most significant first.
    sum: [u64; 4],
}

impl Digester {
    pub(crate) fn new(table: &str, columns: &[Column]) -> Digester {
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by(|a, b| columns[*a].name.cmp(&columns[*b].name));
        Digester {
            name: table.to_owned(),
            order,
            names: columns.iter().map(|c| c.name.clone()).collect(),
            rows: 0,
            sum: [0; 4],
        }
    }

    pub(crate) fn add(&mut self, cells: &[Cell]) {
        let mut hasher = Sha256::new();
        for &i in &self.order {
            let name = self.names[i].as_bytes();
            hasher.update((name.len() as u32).to_be_bytes());
            hasher.update(name);
            match &cells[i] {
                Cell::Null => hasher.update([0u8]),
                Cell::Int(v) => {
                    hasher.update([1u8]);
                    hasher.update(v.to_be_bytes());
                }
                Cell::Text(s) => {
                    hasher.update([2u8]);
                    hasher.update((s.len() as u64).to_be_bytes());
                    hasher.update(s.as_bytes());
                }
                Cell::Bytes(b) => {
                    hasher.update([3u8]);
                    hasher.update((b.len() as u64).to_be_bytes());
                    hasher.update(b);
                }
            }
        }
        let digest = hasher.finalize();
        let mut carry = 0u128;
        for limb in (0..4).rev() {
            let mut part = [0u8; 8];
            part.copy_from_slice(&digest[limb * 8..limb * 8 + 8]);
            let total = self.sum[limb] as u128 + u64::from_be_bytes(part) as u128 + carry;
            self.sum[limb] = total as u64;
            carry = total >> 64;
        }
        self.rows += 1;
    }

    pub(crate) fn finish(self) -> TableDigest {
        TableDigest {
            name: self.name,
            rows: self.rows,
            hash: self.sum.iter().map(|limb| format!("{limb:016x}")).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column {
                name: "id".into(),
                kind: ColumnKind::Text,
            },
            Column {
                name: "n".into(),
                kind: ColumnKind::Int,
            },
            Column {
                name: "data".into(),
                kind: ColumnKind::Bytes,
            },
        ]
    }

    #[test]
    fn the_digest_ignores_row_order_and_sees_every_value() {
        let a = vec![
            Cell::Text("a".into()),
            Cell::Int(1),
            Cell::Bytes(vec![0, 1]),
        ];
        let b = vec![Cell::Text("b".into()), Cell::Null, Cell::Bytes(vec![])];
        let mut one = Digester::new("t", &columns());
        one.add(&a);
        one.add(&b);
        let mut two = Digester::new("t", &columns());
        two.add(&b);
        two.add(&a);
        let (one, two) = (one.finish(), two.finish());
        assert_eq!(one, two);
        assert_eq!(one.rows, 2);
        assert_eq!(one.hash.len(), 64);
        let mut changed = Digester::new("t", &columns());
        changed.add(&a);
        changed.add(&[Cell::Text("b".into()), Cell::Int(0), Cell::Bytes(vec![])]);
        assert_ne!(changed.finish().hash, one.hash);
        // NULL and an empty string are different values.
        let mut null = Digester::new("t", &columns());
        null.add(&[Cell::Null, Cell::Null, Cell::Null]);
        let mut empty = Digester::new("t", &columns());
        empty.add(&[Cell::Text(String::new()), Cell::Null, Cell::Null]);
        assert_ne!(null.finish().hash, empty.finish().hash);
    }

    #[test]
    fn a_row_survives_json_and_bad_lines_are_named() {
        let row = vec![
            Cell::Text("x\n\"y".into()),
            Cell::Int(i64::MIN),
            Cell::Bytes(vec![255, 0]),
        ];
        let line = to_json(&row).to_string();
        assert_eq!(from_json(&line, "t", 1, &columns()).unwrap(), row);
        let err = from_json("[\"a\", \"1\", null]", "t", 7, &columns()).unwrap_err();
        assert!(err.to_string().contains("t, line 7: column n"), "{err}");
        let err = from_json("[1]", "t", 2, &columns()).unwrap_err();
        assert!(err.to_string().contains("1 values for 3 columns"), "{err}");
    }
}
