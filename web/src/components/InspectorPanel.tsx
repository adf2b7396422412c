// The inspector: every block's value on a chosen bar and the bars around it, to see why a
// rule did or did not fire. The data is `blockbuilders inspect`'s, on the run's own
// strategy version, candles and settings (GET /api/v1/backtests/{id}/inspect).
import { useState } from "react";
import { Link } from "react-router-dom";
import type { Schemas } from "../api/client";
import { useInspection } from "../hooks/queries";
import { dateTime, price } from "../lib/format";
import { ErrorMessage } from "./Field";

type Column = Schemas["InspectColumn"];

export function InspectorPanel({
  runId,
  strategyId,
  at,
  onPick,
}: {
  runId: string;
  strategyId: string;
  at: number | null;
  onPick(at: number): void;
}) {
  const [text, setText] = useState("");
  const seen = useInspection(runId, at);
  const pick = (e: React.FormEvent) => {
    e.preventDefault();
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isFinite(ms)) onPick(ms);
  };
  return (
    <section aria-labelledby="inspector-title" className="section card" id="inspector">
      <h2 id="inspector-title">Inspector: every block on one bar</h2>
      <p className="help">
        Pick a bar (click one on the price chart, or use “Inspect” on a trade) to see each block's value on it and on the bars around it. Yes/no
        outputs show whether a condition held; the action rows show which signals fired.
      </p>
      <form className="inline-form" onSubmit={pick}>
        <label>
          Bar (UTC date or time){" "}
          <input type="text" placeholder="2021-03-04" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit" className="button">
          Inspect
        </button>
      </form>
      {at === null && <p>No bar picked yet.</p>}
      {seen.isLoading && at !== null && <p role="status">Evaluating every block…</p>}
      {seen.error && <ErrorMessage error={seen.error} />}
      {seen.data && (
        <InspectorTable
          inspection={seen.data}
          canvasLink={`/strategies/${strategyId}/edit?inspect=${encodeURIComponent(runId)}&at=${seen.data.ts}`}
          onMove={(step) => {
            const bars = seen.data.bars;
            const i = bars.indexOf(seen.data.ts) + step;
            if (i >= 0 && i < bars.length) onPick(bars[i]);
          }}
        />
      )}
    </section>
  );
}

function InspectorTable({
  inspection,
  canvasLink,
  onMove,
}: {
  inspection: Schemas["Inspection"];
  canvasLink: string;
  onMove(step: number): void;
}) {
  const { bars, ts, columns } = inspection;
  const chosen = bars.indexOf(ts);
  return (
    <>
      <div className="actions">
        <button type="button" className="button secondary" onClick={() => onMove(-1)} disabled={chosen <= 0}>
          ← Earlier bar
        </button>
        <button type="button" className="button secondary" onClick={() => onMove(1)} disabled={chosen >= bars.length - 1}>
          Later bar →
        </button>
        <Link className="button secondary" to={canvasLink}>
          Show on the canvas
        </Link>
      </div>
      <div className="table-wrap" role="region" aria-label="Block values by bar" tabIndex={0}>
        <table className="table inspector-table">
          <caption className="visually-hidden">Every block's value on the bars around {dateTime(ts)}</caption>
          <thead>
            <tr>
              <th scope="col">Block output</th>
              {bars.map((b) => (
                <th scope="col" key={b} className={b === ts ? "num chosen" : "num"} aria-current={b === ts ? "true" : undefined}>
                  {dateTime(b)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Close</th>
              {inspection.close.map((c, i) => (
                <td key={bars[i]} className={i === chosen ? "num chosen" : "num"}>
                  {price(c)}
                </td>
              ))}
            </tr>
            {columns.map((col) => (
              <tr key={col.name} className={col.node === "signal" ? "signal-row" : undefined}>
                <th scope="row">{label(col)}</th>
                {bars.map((b, i) => (
                  <td key={b} className={i === chosen ? "num chosen" : "num"}>
                    {cell(col, i)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

const SIGNALS: Record<string, string> = {
  enter_long: "Action: buy (enter long)",
  exit_long: "Action: sell (exit long)",
  enter_short: "Action: enter short",
  exit_short: "Action: exit short",
};

function label(col: Column): string {
  if (col.node === "signal") return SIGNALS[col.port] ?? col.name;
  return col.port === "out" ? col.node : col.name;
}

function cell(col: Column, i: number): string {
  if (col.flags) return col.flags[i] ? "Yes" : "No";
  const v = col.numbers?.[i];
  return v === null || v === undefined ? "–" : price(v);
}
