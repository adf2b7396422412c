// The data page's chart: a dataset's candles with each gap marked. A chunk of its own
// (lightweight-charts), loaded when a dataset is opened.
import { useMemo } from "react";
import { useCandles } from "../hooks/queries";
import type { Trade } from "../api/types";
import { date, plain, quoteOf } from "../lib/format";
import { CandleChart, type ChartGap } from "./charts";
import { ErrorMessage } from "./Field";

const NO_TRADES: Trade[] = [];

export default function DatasetChart({ datasetId, symbol, gaps }: { datasetId: string; symbol: string; gaps: ChartGap[] }) {
  const candles = useCandles(datasetId, { max_points: 1500 });
  const c = candles.data;
  const summary = useMemo(() => {
    if (!c || !c.t.length) return "";
    const n = c.t.length;
    return `${plain(c.candles)} candles from ${date(c.t[0])} to ${date(c.t[n - 1])}; ${
      gaps.length === 1 ? "1 gap marked" : gaps.length ? `${plain(gaps.length)} gaps marked` : "no gaps"
    }.`;
  }, [c, gaps]);
  if (candles.isLoading) return <p role="status">Loading the candles…</p>;
  if (candles.error) return <ErrorMessage error={candles.error} />;
  if (!c || !c.t.length) return <p className="empty">This dataset has no candles yet.</p>;
  return (
    <CandleChart
      candles={c}
      trades={NO_TRADES}
      gaps={gaps}
      summary={summary}
      unit={quoteOf(symbol)}
      title={`${symbol} price`}
      legend={
        <p className="chart-legend" aria-hidden="true">
          <span className="swatch" style={{ color: "#9a5200" }}>
            ■
          </span>{" "}
          last candle before a gap · point at a candle for its prices
        </p>
      }
    />
  );
}
