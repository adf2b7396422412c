// The results page's charts: account value, drawdown, and the candles with entries and exits
// (a click on a candle opens the inspector on that bar).
// A chunk of its own (lightweight-charts), so the numbers and trades render first.
import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { RunDetail } from "../api/types";
import { tradesQuery, useCandles, useEquity } from "../hooks/queries";
import { date, money, pct } from "../lib/format";
import { buyAndHold, CandleChart, ChartSync, DrawdownChart, EquityChart } from "./charts";
import { ErrorMessage } from "./Field";

export default function ResultCharts({
  run,
  initial,
  unit,
  onPickBar,
}: {
  run: RunDetail;
  initial: number;
  unit?: string;
  /** A clicked bar of the price chart (its open time, Unix ms): opens the inspector on it. */
  onPickBar?: (ms: number) => void;
}) {
  // One time window and one crosshair for the three charts.
  const sync = useMemo(() => new ChartSync(), []);
  const equity = useEquity(run.id);
  const data = run.assumptions?.data;
  const p = run.parameters;
  const datasetId = run.dataset_id ?? data?.dataset_id ?? undefined;
  const from = data?.from_ts;
  const to = data?.to_ts;
  const candles = useCandles(datasetId, {
    from,
    to: to !== undefined ? to + 1 : undefined,
    timeframe: p.timeframe ?? undefined,
    max_points: 1500,
  });
  const trades = useQuery({ ...tradesQuery(run.id, { limit: 1000 }), staleTime: Infinity });
  const points = equity.data?.points ?? [];
  const eqSummary = useMemo(() => {
    if (!points.length) return "";
    let lo = points[0];
    let hi = points[0];
    for (const pt of points) {
      if (pt.equity < lo.equity) lo = pt;
      if (pt.equity > hi.equity) hi = pt;
    }
    const last = points[points.length - 1];
    return `From ${money(initial, unit)} on ${date(points[0].ts)} to ${money(last.equity, unit)} on ${date(
      last.ts,
    )}; highest ${money(hi.equity, unit)} on ${date(hi.ts)}, lowest ${money(lo.equity, unit)} on ${date(lo.ts)}.`;
  }, [points, initial, unit]);
  const hold = useMemo(
    () =>
      candles.data && points.length
        ? buyAndHold(candles.data, initial, points[0].ts, points[points.length - 1].ts)
        : undefined,
    [candles.data, points, initial],
  );
  const ddSummary = useMemo(() => {
    if (!points.length) return "";
    const worst = points.reduce((w, pt) => (pt.drawdown_pct < w.drawdown_pct ? pt : w), points[0]);
    return `The deepest drop was ${pct(worst.drawdown_pct)} below the previous high, on ${date(worst.ts)}.`;
  }, [points]);
  const tradeItems = trades.data?.items ?? [];
  return (
    <section aria-labelledby="charts-title" className="section">
      <h2 id="charts-title">Charts</h2>
      <ErrorMessage error={equity.error} />
      {equity.isLoading && <p role="status">Loading the account value…</p>}
      {points.length > 0 && (
        <div className="chart-grid">
          <EquityChart points={points} initial={initial} summary={eqSummary} hold={hold} unit={unit} sync={sync} />
          <DrawdownChart points={points} summary={ddSummary} sync={sync} />
        </div>
      )}
      <ErrorMessage error={candles.error ?? trades.error} />
      {candles.data && trades.data && onPickBar && (
        <p className="help chart-hint">
          Click a bar on the price chart to inspect it: the inspector below shows every block's value on that bar
          {candles.data.candles_per_point > 1
            ? ` (each bar drawn here is ${candles.data.candles_per_point} candles; the inspector opens on the first of them)`
            : ""}
          .
        </p>
      )}
      {candles.data && trades.data && (
        <CandleChart
          onPickBar={onPickBar}
          candles={candles.data}
          trades={tradeItems}
          unit={unit}
          sync={sync}
          summary={`${candles.data.candles} candles${
            candles.data.candles_per_point > 1 ? ` (shown ${candles.data.candles_per_point} per bar)` : ""
          } with ${tradeItems.length} trade${tradeItems.length === 1 ? "" : "s"} marked${
            trades.data.total > tradeItems.length ? ` (the first ${tradeItems.length} of ${trades.data.total})` : ""
          }.`}
        />
      )}
    </section>
  );
}
