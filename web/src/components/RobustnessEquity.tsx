// The walk-forward's stitched out-of-sample account value: each window traded with the
// settings chosen on the data before it, one after the other. A chunk of its own
// (lightweight-charts), so the verdicts render first.
import { useMemo } from "react";
import type { EquityPoint } from "../api/types";
import { date, money, pct } from "../lib/format";
import { EquityChart } from "./charts";

export default function RobustnessEquity({ points, initial, unit }: { points: EquityPoint[]; initial: number; unit?: string }) {
  const summary = useMemo(() => {
    if (!points.length) return "";
    const first = points[0];
    const last = points[points.length - 1];
    const low = points.reduce((lo, p) => (p.drawdown_pct < lo.drawdown_pct ? p : lo), first);
    return `Out of sample only: from ${money(first.equity, unit)} on ${date(first.ts)} to ${money(last.equity, unit)} on ${date(
      last.ts,
    )} (${pct(((last.equity - first.equity) / first.equity) * 100)}); the worst drop was ${pct(low.drawdown_pct)} on ${date(low.ts)}.`;
  }, [points, unit]);
  if (!points.length) return <p className="empty">No out-of-sample trading to draw.</p>;
  return <EquityChart points={points} initial={initial} summary={summary} unit={unit} />;
}
