// A paper run's performance with the backtest's own metrics (the same names, meanings and
// formats as a result's key numbers), asked again each time the run closes a trade.
import type { PaperRun } from "../api/types";
import { usePaperMetrics } from "../hooks/queries";
import { pct, plain } from "../lib/format";
import { ErrorMessage } from "./Field";
import { MetricKpis } from "./MetricKpis";

export function PaperPerformance({ run }: { run: PaperRun }) {
  // Asked again when a trade closes and with each candle (every 50 in a long run).
  const candles = Number(run.candles);
  const q = usePaperMetrics(run.id, Number(run.trades), candles < 500 ? candles : Math.floor(candles / 50) * 50);
  const p = q.data;
  return (
    <section aria-labelledby="paper-performance-title" className="section">
      <h2 id="paper-performance-title">Performance, as a backtest measures it</h2>
      <ErrorMessage error={q.error} />
      {!p ? (
        <p role="status">Measuring…</p>
      ) : (
        <>
          <p className="help">
            Over the {plain(p.candles)} candles processed, with the same measures as a backtest&apos;s key numbers
            {p.position_open ? "; the open position counts once it is closed" : ""}. Buying and holding instead would have
            returned {pct(p.metrics.buy_and_hold_return_pct)}.
          </p>
          <MetricKpis metrics={p.metrics} />
        </>
      )}
    </section>
  );
}
