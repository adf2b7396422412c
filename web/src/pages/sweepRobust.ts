// A sweep's "robust best": the combination whose neighbours in the grid are good too. A single
// cell that beats everything around it is usually luck (it fits the noise of the past); a cell
// in a broad good area is more likely to keep working when the market changes a little.
import type { SweepResult } from "../api/types";
import { metricValue } from "../lib/metrics";

type Row = SweepResult["rows"][number];

export interface RobustPick {
  row: Row;
  /** The mean of the metric over the cell and its neighbours that ran. */
  mean: number;
  /** How many cells went into the mean (the cell included). */
  cells: number;
}

/**
 * For one or two axes: every combination scored by the mean of `metric` over itself and its
 * existing neighbours (±1 step on one axis; the 3×3 window on two), the best score wins.
 * Cells with neighbours are preferred over isolated ones. Null without any finite value.
 */
export function robustBest(result: SweepResult, metric: string, higherIsBetter: boolean): RobustPick | null {
  const n = result.axes.length;
  if (n < 1 || n > 2) return null;
  const axisValues = result.axes.map((_, i) => [...new Set(result.rows.map((r) => r.values[i]))].sort((a, b) => a - b));
  const index = axisValues.map((vs) => new Map(vs.map((v, i) => [v, i])));
  const grid = new Map<string, { row: Row; v: number }>();
  const keyOf = (ix: number[]) => ix.join("|");
  for (const row of result.rows) {
    const v = metricValue(row.metrics, metric);
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    const ix = row.values.map((x, i) => index[i].get(x) ?? -1);
    grid.set(keyOf(ix), { row, v });
  }
  const offsets = n === 1 ? [[-1], [0], [1]] : [-1, 0, 1].flatMap((a) => [-1, 0, 1].map((b) => [a, b]));
  let best: RobustPick | null = null;
  const better = (a: RobustPick, b: RobustPick | null) => {
    if (!b) return true;
    if ((a.cells > 1) !== (b.cells > 1)) return a.cells > 1;
    return higherIsBetter ? a.mean > b.mean : a.mean < b.mean;
  };
  for (const [key, cell] of grid) {
    const ix = key.split("|").map(Number);
    let sum = 0;
    let cells = 0;
    for (const off of offsets) {
      const near = grid.get(keyOf(ix.map((x, i) => x + off[i])));
      if (near) {
        sum += near.v;
        cells += 1;
      }
    }
    const pick = { row: cell.row, mean: sum / cells, cells };
    if (better(pick, best)) best = pick;
  }
  return best;
}
