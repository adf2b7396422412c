// One symbol: its alerts drawn as markers on the line of their prices over time, and listed
// newest first (refreshed as new ones arrive).
import { lazy, Suspense, useEffect, useId, useRef } from "react";
import { useSymbolAlerts } from "../../hooks/screener";
import { plain, price } from "../../lib/format";
import { marketTime } from "../../lib/screener";
import { ErrorMessage } from "../Field";
import { AlertRow } from "./AlertRow";

const SymbolChart = lazy(() => import("./SymbolChart"));

export function SymbolView({ symbol, onClose }: { symbol: string; onClose(): void }) {
  const headingId = useId();
  const alerts = useSymbolAlerts(symbol);
  const items = alerts.data?.items ?? [];
  const ref = useRef<HTMLElement>(null);
  // Opened (from a link, a pick, a top symbol): bring it into view for keyboard and eyes.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: "nearest" });
    ref.current?.focus({ preventScroll: true });
  }, [symbol]);
  const newest = items[0];
  const oldest = items[items.length - 1];
  const prices = items.map((a) => a.trigger_price);
  const summary = items.length
    ? `${plain(items.length)}${alerts.data?.next_cursor ? "+" : ""} ${items.length === 1 ? "alert" : "alerts"} from ${marketTime(
        oldest.trigger_time,
      )} to ${marketTime(newest.trigger_time)}, at prices from ${price(Math.min(...prices))} to ${price(Math.max(...prices))}.`
    : "";
  return (
    <section className="symbol-view card" aria-labelledby={headingId} ref={ref} tabIndex={-1}>
      <div className="screener-head">
        <h2 id={headingId}>{symbol}</h2>
        <button type="button" className="button small" onClick={onClose}>
          Close<span className="visually-hidden"> {symbol}</span>
        </button>
      </div>
      <ErrorMessage error={alerts.error} />
      {alerts.isLoading && <p role="status">Loading {symbol}'s alerts…</p>}
      {alerts.data && !items.length && <p className="empty">No alerts for {symbol} yet.</p>}
      {items.length > 0 && (
        <>
          <p className="meta">{summary}</p>
          <Suspense fallback={<p role="status">Loading the chart…</p>}>
            <SymbolChart alerts={items} symbol={symbol} summary={summary} />
          </Suspense>
          <h3>Its alerts</h3>
          <ol className="alert-feed" aria-label={`Alerts for ${symbol}`}>
            {items.map((a) => (
              <AlertRow key={a.id} alert={a} showSymbol={false} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
