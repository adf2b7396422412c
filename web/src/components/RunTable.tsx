// A list of backtests or sweeps as a table, optionally with checkboxes to pick runs to compare.
import { Link } from "react-router-dom";
import { backtestSummary, sweepAxes, type Run } from "../api/types";
import { dateTime, localTime, pct, statusWords, timeframeWords } from "../lib/format";

interface Props {
  runs: Run[];
  titles: Map<string, string>;
  caption: string;
  selected?: Set<string>;
  onToggle?(id: string): void;
  maxSelected?: number;
  kind?: "backtest" | "sweep";
}

export function runTitle(run: Run, titles: Map<string, string>): string {
  return titles.get(run.strategy_id) ?? backtestSummary(run.summary)?.strategy ?? "A strategy";
}

export function runDataWords(run: Run): string {
  const s = run.summary;
  const p = run.parameters;
  const ds = s?.dataset?.replace(/^dataset /, "") ?? "";
  const tf = p.timeframe ?? backtestSummary(s)?.timeframe;
  const period =
    p.from_ms || p.to_ms ? ` · ${p.from_ms ? dateTime(p.from_ms) : "start"} → ${p.to_ms ? dateTime(p.to_ms) : "end"}` : "";
  return `${ds || timeframeWords(tf ?? "")}${ds && tf && !ds.includes(`:${tf}`) ? ` at ${tf}` : ""}${period}`;
}

export function RunTable({ runs, titles, caption, selected, onToggle, maxSelected = 5, kind = "backtest" }: Props) {
  const selectable = !!selected && !!onToggle;
  return (
    <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table className="table run-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {selectable && (
              <th scope="col">
                <span className="visually-hidden">Compare</span>
              </th>
            )}
            <th scope="col">Strategy</th>
            <th scope="col">Version</th>
            <th scope="col">Data</th>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            {kind === "backtest" ? (
              <>
                <th scope="col" className="num">
                  Total return
                </th>
                <th scope="col" className="num">
                  Worst drop
                </th>
                <th scope="col" className="num">
                  Trades
                </th>
              </>
            ) : (
              <th scope="col">Parameters</th>
            )}
            <th scope="col">
              <span className="visually-hidden">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const m = backtestSummary(r.summary)?.metrics;
            const title = runTitle(r, titles);
            const isSelected = selected?.has(r.id) ?? false;
            const full = !!selected && selected.size >= maxSelected && !isSelected;
            const link = kind === "sweep" ? `/sweeps/${r.id}` : `/backtests/${r.id}`;
            const axes = sweepAxes(r.parameters);
            return (
              <tr key={r.id} className={isSelected ? "selected" : undefined}>
                {selectable && (
                  <td>
                    <input
                      type="checkbox"
                      checked={isSelected}
                      disabled={r.status !== "succeeded" || full}
                      onChange={() => onToggle!(r.id)}
                      aria-label={`Compare ${title}, version ${r.version}, ${localTime(r.created_at)}`}
                      title={
                        r.status !== "succeeded"
                          ? "Only finished runs can be compared"
                          : full
                            ? `At most ${maxSelected} runs at once`
                            : undefined
                      }
                    />
                  </td>
                )}
                <td data-label="Strategy">{title}</td>
                <td data-label="Version">v{r.version}</td>
                <td data-label="Data">{runDataWords(r)}</td>
                <td data-label="Started">{localTime(r.created_at)}</td>
                <td data-label="Status">
                  <span className={`pill pill-${r.status}`}>{statusWords(r.status)}</span>
                  {r.status === "running" && ` ${r.progress}%`}
                </td>
                {kind === "backtest" ? (
                  <>
                    <td data-label="Total return" className={`num ${tone(m?.total_return_pct)}`}>
                      {pct(m?.total_return_pct)}
                    </td>
                    <td data-label="Worst drop" className="num">
                      {pct(m?.max_drawdown_pct)}
                    </td>
                    <td data-label="Trades" className="num">
                      {m?.trades ?? "–"}
                    </td>
                  </>
                ) : (
                  <td data-label="Parameters">{axes.map((a) => `${a.node}.${a.param}`).join(", ")}</td>
                )}
                <td>
                  <Link to={link} aria-label={`Open ${kind === "sweep" ? "sweep" : "result"}: ${title}, ${localTime(r.created_at)}`}>
                    Open
                  </Link>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function tone(v: number | null | undefined): string {
  if (v === null || v === undefined) return "";
  return v > 0 ? "good" : v < 0 ? "bad" : "";
}
