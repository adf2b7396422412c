//! The compressed columnar encoding of a chunk of candles (the `data` of a `candle_chunks`
//! row). Pure: bytes in, columns out.
//!
//! Layout: a 16-byte header — magic `BBC1`, the row count (u32 LE), the first open time
//! (i64 LE) — then an LZ4 block (`lz4_flex`, size-prefixed) of six columns of 64-bit words:
//! open-time deltas (`ts[i] - ts[i-1]`, 0 for the first row) and the IEEE-754 bits of open,
//! high, low, close and volume each XOR-ed with the previous row's bits. The words are
//! byte-shuffled (all first bytes of a column, then all second bytes, ...), so the runs of
//! zero bytes that deltas and XORs leave in the high bytes sit together and compress. Every
//! value round-trips bit for bit.

use crate::StoreError;

const MAGIC: &[u8; 4] = b"BBC1";
const HEADER: usize = 16;
/// Columns: open-time deltas, open, high, low, close, volume.
const COLUMNS: usize = 6;

/// One chunk's columns, borrowed for encoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkColumns<'a> {
    pub ts: &'a [i64],
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
}

/// Output slices for decoding one chunk (each exactly `rows` long).
#[derive(Debug)]
pub(crate) struct ChunkSlices<'a> {
    pub ts: &'a mut [i64],
    pub open: &'a mut [f64],
    pub high: &'a mut [f64],
    pub low: &'a mut [f64],
    pub close: &'a mut [f64],
    pub volume: &'a mut [f64],
}

/// Encodes one chunk (columns of equal length, at least one row).
pub(crate) fn encode(c: ChunkColumns<'_>) -> Vec<u8> {
    let rows = c.ts.len();
    debug_assert!(rows > 0);
    let mut words = vec![0u8; rows * COLUMNS * 8];
    let mut prev_ts = c.ts[0];
    shuffle_column(&mut words, 0, rows, |i| {
        let delta = c.ts[i].wrapping_sub(prev_ts) as u64;
        prev_ts = c.ts[i];
        delta
    });
    for (k, col) in [c.open, c.high, c.low, c.close, c.volume]
        .iter()
        .enumerate()
    {
        let mut prev = 0u64;
        shuffle_column(&mut words, k + 1, rows, |i| {
            let bits = col[i].to_bits();
            let x = bits ^ prev;
            prev = bits;
            x
        });
    }
    let body = lz4_flex::block::compress_prepend_size(&words);
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&u32::try_from(rows).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&c.ts[0].to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Writes column `col` (word `i` given by `word(i)`, called in row order) byte-shuffled.
fn shuffle_column(words: &mut [u8], col: usize, rows: usize, mut word: impl FnMut(usize) -> u64) {
    let base = col * 8 * rows;
    let (planes, _) = words[base..].split_at_mut(8 * rows);
    let mut p: Vec<&mut [u8]> = planes.chunks_mut(rows).collect();
    for i in 0..rows {
        let w = word(i).to_le_bytes();
        for (b, plane) in p.iter_mut().enumerate() {
            plane[i] = w[b];
        }
    }
}

/// The row count a chunk's header declares.
pub(crate) fn rows_of(data: &[u8]) -> Result<usize, StoreError> {
    if data.len() < HEADER || &data[..4] != MAGIC {
        return Err(corrupt("chunk header"));
    }
    let rows = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
    Ok(rows as usize)
}

/// Decodes a chunk into `out` (slices exactly [`rows_of`] long); `scratch` is reused
/// between calls.
pub(crate) fn decode_into(
    data: &[u8],
    out: ChunkSlices<'_>,
    scratch: &mut Vec<u8>,
) -> Result<(), StoreError> {
    let rows = rows_of(data)?;
    if out.ts.len() != rows {
        return Err(corrupt("chunk row count"));
    }
    let first_ts = i64::from_le_bytes(
        data[8..16]
            .try_into()
            .map_err(|_| corrupt("chunk header"))?,
    );
    let body = &data[HEADER..];
    let size = rows * COLUMNS * 8;
    if body.len() < 4 || u32::from_le_bytes([body[0], body[1], body[2], body[3]]) as usize != size {
        return Err(corrupt("chunk size"));
    }
    scratch.clear();
    scratch.resize(size, 0);
    let n = lz4_flex::block::decompress_into(&body[4..], scratch)
        .map_err(|e| corrupt(&format!("chunk compression ({e})")))?;
    if n != size {
        return Err(corrupt("chunk length"));
    }
    let plane = |col: usize, b: usize| &scratch[(col * 8 + b) * rows..][..rows];
    // open times: prefix sums of the deltas
    {
        let p: [&[u8]; 8] = std::array::from_fn(|b| plane(0, b));
        let mut ts = first_ts;
        for (i, slot) in out.ts.iter_mut().enumerate() {
            ts = ts.wrapping_add(gather(&p, i) as i64);
            *slot = ts;
        }
    }
    for (k, col) in [out.open, out.high, out.low, out.close, out.volume]
        .into_iter()
        .enumerate()
    {
        let p: [&[u8]; 8] = std::array::from_fn(|b| plane(k + 1, b));
        let mut prev = 0u64;
        for (i, slot) in col.iter_mut().enumerate() {
            prev ^= gather(&p, i);
            *slot = f64::from_bits(prev);
        }
    }
    Ok(())
}

#[inline(always)]
fn gather(p: &[&[u8]; 8], i: usize) -> u64 {
    u64::from_le_bytes([
        p[0][i], p[1][i], p[2][i], p[3][i], p[4][i], p[5][i], p[6][i], p[7][i],
    ])
}

fn corrupt(what: &str) -> StoreError {
    crate::error::corrupt("candle chunk", what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ts: &[i64], v: &[f64]) {
        let n = ts.len();
        let cols: Vec<Vec<f64>> = (0..5)
            .map(|k| v.iter().map(|x| x * (k as f64 + 1.0)).collect())
            .collect();
        let data = encode(ChunkColumns {
            ts,
            open: &cols[0],
            high: &cols[1],
            low: &cols[2],
            close: &cols[3],
            volume: &cols[4],
        });
        assert_eq!(rows_of(&data).unwrap(), n);
        let mut out: Vec<Vec<f64>> = vec![vec![0.0; n]; 5];
        let mut out_ts = vec![0i64; n];
        let [o, h, l, c, vol] = &mut out[..] else {
            unreachable!()
        };
        decode_into(
            &data,
            ChunkSlices {
                ts: &mut out_ts,
                open: o,
                high: h,
                low: l,
                close: c,
                volume: vol,
            },
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(out_ts, ts);
        for k in 0..5 {
            let a: Vec<u64> = out[k].iter().map(|x| x.to_bits()).collect();
            let b: Vec<u64> = cols[k].iter().map(|x| x.to_bits()).collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn values_round_trip_bit_for_bit() {
        round_trip(&[0], &[1.5]);
        round_trip(&[-5, 7, 1 << 50], &[0.1, -0.0, 1e-300]);
        let ts: Vec<i64> = (0..5000).map(|i| 1_640_995_200_000 + i * 60_000).collect();
        let v: Vec<f64> = (0..5000)
            .map(|i| 46_000.0 + (i as f64 * 0.37).sin() * 120.0)
            .collect();
        round_trip(&ts, &v);
    }

    #[test]
    fn regular_minute_bars_compress() {
        let n = 16_384;
        let ts: Vec<i64> = (0..n).map(|i| i as i64 * 60_000).collect();
        let price: Vec<f64> = (0..n)
            .map(|i| ((46_000.0 + (i as f64 * 0.01).sin() * 500.0) * 100.0).round() / 100.0)
            .collect();
        let data = encode(ChunkColumns {
            ts: &ts,
            open: &price,
            high: &price,
            low: &price,
            close: &price,
            volume: &price,
        });
        // cent prices are not short binary fractions, so XOR leaves noisy low bytes: about
        // half the raw size; whole-number prices (BTC-PERP) compress far better
        assert!(data.len() < n * 48 * 3 / 5, "{} bytes", data.len());
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let data = encode(ChunkColumns {
            ts: &[1, 2],
            open: &[1.0, 2.0],
            high: &[1.0, 2.0],
            low: &[1.0, 2.0],
            close: &[1.0, 2.0],
            volume: &[1.0, 2.0],
        });
        assert!(rows_of(b"nope").is_err());
        let mut bad = data.clone();
        bad.truncate(data.len() - 3);
        let (mut t, mut a, mut b, mut c, mut d, mut e) = (
            vec![0; 2],
            vec![0.0; 2],
            vec![0.0; 2],
            vec![0.0; 2],
            vec![0.0; 2],
            vec![0.0; 2],
        );
        let out = ChunkSlices {
            ts: &mut t,
            open: &mut a,
            high: &mut b,
            low: &mut c,
            close: &mut d,
            volume: &mut e,
        };
        assert!(decode_into(&bad, out, &mut Vec::new()).is_err());
    }
}
