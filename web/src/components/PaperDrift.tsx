// "Compare with the backtest": the drift report of a paper run, asked for with a button (the
// server re-runs the backtest over the run's window on the candles stored now). The verdict
// first, the numbers side by side, then each trade that differs with its causes, and every
// cause found in the window.
import type { DriftCause, DriftNumbers, DriftReport, DriftTrade, PaperRun } from "../api/types";
import { usePaperDrift } from "../hooks/queries";
import { date, dateTime, money, pct, plain } from "../lib/format";
import { ErrorMessage } from "./Field";
import { tone } from "./RunTable";

const DIFFERENCE_WORDS: Record<string, string> = {
  missing_in_paper: "Only the backtest made it",
  extra_in_paper: "Only the paper run made it",
  different: "Same entry, another exit or result",
};

const CAUSE_WORDS: Record<string, string> = {
  revised_candle: "Candle revised later",
  gap_filled_later: "Candle stored later",
  late_candle: "Candle arrived late",
  pause: "Run paused",
  changed_version: "Newer strategy version",
};

const words = (table: Record<string, string>, kind: string) => table[kind] ?? kind.replace(/_/g, " ");

function Cause({ cause }: { cause: DriftCause }) {
  return (
    <>
      <strong>{words(CAUSE_WORDS, cause.kind)}</strong>
      {cause.candle_ts === null || cause.candle_ts === undefined ? "" : ` (candle of ${dateTime(cause.candle_ts)})`}: {cause.message}
    </>
  );
}

/** A trade's side, dates and profit in one cell. */
function TradeCell({ trade, unit, label }: { trade: DriftTrade | null | undefined; unit?: string; label: string }) {
  if (!trade) return <td data-label={label} className="blank-trade">None</td>;
  return (
    <td data-label={label}>
      <span className="drift-trade">
        {trade.symbol ? `${trade.symbol}: ` : ""}
        {trade.side === "short" ? "Short" : "Long"} {date(trade.entry_ts)} → {date(trade.exit_ts)},{" "}
        <span className={tone(trade.pnl)}>{money(clean(trade.pnl), unit)}</span>
      </span>
    </td>
  );
}

/** No "-0.00" for a sum that is zero but for rounding. */
const clean = (v: number) => (Math.abs(v) < 1e-9 ? 0 : v);

const ROWS: { label: string; value: (n: DriftNumbers, unit?: string) => string }[] = [
  { label: "Trades", value: (n) => plain(n.trades) },
  { label: "Total profit", value: (n, unit) => money(clean(n.total_pnl), unit) },
  { label: "Worst drop", value: (n) => pct(n.max_drawdown_pct) },
  { label: "Final account value", value: (n, unit) => (n.final_equity === null || n.final_equity === undefined ? "–" : money(n.final_equity, unit)) },
];

/** The backtest's range of drawdowns and returns over windows as long as the run, before it started. */
function Expected({ report }: { report: DriftReport }) {
  const e = report.expectation;
  return (
    <>
      <h3>Is this usual for the strategy?</h3>
      {!e ? (
        <p>{report.expectation_missing ?? "Not enough history to compare."}</p>
      ) : (
        <>
          <p className={`drift-verdict ${e.deeper_windows_pct >= 10 ? "drift-same" : "drift-differs"}`}>{e.verdict}</p>
          <p className="meta">
            The backtest of {date(e.from_ts)} to {date(e.to_ts)}, before the run started, cut into {plain(e.windows)} windows of{" "}
            {plain(e.window_candles)} candles (as many as the run has processed).
          </p>
          <div className="table-wrap drift-numbers-wrap drift-windows-wrap" role="region" aria-label="The paper run against the backtest's windows" tabIndex={0}>
            <table className="table drift-numbers">
              <caption className="visually-hidden">The paper run against the backtest&apos;s windows</caption>
              <thead>
                <tr>
                  <td />
                  <th scope="col" className="num">
                    Paper run
                  </th>
                  <th scope="col" className="num">
                    Best window
                  </th>
                  <th scope="col" className="num">
                    Median
                  </th>
                  <th scope="col" className="num">
                    Worst window
                  </th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">Worst drop</th>
                  <td className="num">{pct(e.paper_max_drawdown_pct)}</td>
                  <td className="num">{pct(e.max_drawdown_pct.best)}</td>
                  <td className="num">{pct(e.max_drawdown_pct.median)}</td>
                  <td className="num">{pct(e.max_drawdown_pct.worst)}</td>
                </tr>
                <tr>
                  <th scope="row">Return</th>
                  <td className="num">{pct(e.paper_return_pct)}</td>
                  <td className="num">{pct(e.return_pct.best)}</td>
                  <td className="num">{pct(e.return_pct.median)}</td>
                  <td className="num">{pct(e.return_pct.worst)}</td>
                </tr>
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}

export function PaperDrift({ run, unit }: { run: PaperRun; unit?: string }) {
  const drift = usePaperDrift(run.id);
  const d = drift.data;
  const same = d && d.differences.length === 0;
  return (
    <section aria-labelledby="paper-drift-title" className="section drift">
      <div className="section-head">
        <h2 id="paper-drift-title">Compare with the backtest</h2>
        <button type="button" className="button" disabled={drift.isFetching} onClick={() => drift.refetch()}>
          {drift.isFetching ? "Checking…" : "Check for drift"}
        </button>
      </div>
      <p className="help">
        Runs the backtest again over the candles this paper run processed, on the candles stored now, and compares the two
        trade by trade: a candle revised or stored late, a pause or a newer version can make them differ.
      </p>
      <ErrorMessage error={drift.error} />
      <div aria-live="polite">
        {d && (
          <p className={`drift-verdict ${same ? "drift-same" : "drift-differs"}`}>
            <strong>{d.verdict}</strong>
          </p>
        )}
      </div>
      {d && (
        <>
          <p className="meta">
            Candles of {date(d.from_ts)}
            {d.to_ts === null || d.to_ts === undefined ? "" : ` to ${date(d.to_ts)}`}: {plain(d.candles_processed)} processed by the run,{" "}
            {plain(d.candles_stored_now)} stored now · {plain(d.matched)} {d.matched === 1 ? "trade" : "trades"} the same in both.
          </p>
          <div className="table-wrap drift-numbers-wrap" role="region" aria-label="The paper run and the backtest side by side" tabIndex={0}>
            <table className="table drift-numbers">
              <caption className="visually-hidden">The paper run and the backtest side by side</caption>
              <thead>
                <tr>
                  <td />
                  <th scope="col" className="num">
                    Paper run
                  </th>
                  <th scope="col" className="num">
                    Backtest
                  </th>
                </tr>
              </thead>
              <tbody>
                {ROWS.map((r) => {
                  const paper = r.value(d.paper, unit);
                  const backtest = r.value(d.backtest, unit);
                  return (
                    <tr key={r.label} className={paper === backtest ? undefined : "drift-unequal"}>
                      <th scope="row">{r.label}</th>
                      <td className="num">{paper}</td>
                      <td className="num">{backtest}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>

          <Expected report={d} />

          <h3>Trades that differ</h3>
          {d.differences.length === 0 ? (
            <p>None: every trade is the same in both.</p>
          ) : (
            <div className="table-wrap" role="region" aria-label="Trades that differ" tabIndex={0}>
              <table className="table run-table drift-table">
                <caption className="visually-hidden">Trades that differ, with their causes</caption>
                <thead>
                  <tr>
                    <th scope="col">Difference</th>
                    <th scope="col">Paper run</th>
                    <th scope="col">Backtest</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {d.differences.map((x, i) => (
                    <tr key={i}>
                      <td data-label="Difference">{words(DIFFERENCE_WORDS, x.kind)}</td>
                      <TradeCell trade={x.paper} unit={unit} label="Paper run" />
                      <TradeCell trade={x.backtest} unit={unit} label="Backtest" />
                      <td data-label="Why" className="drift-why">
                        {x.causes.length === 0 ? (
                          "No cause found"
                        ) : (
                          <ul>
                            {x.causes.map((c, j) => (
                              <li key={j}>
                                <Cause cause={c} />
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          <h3>What can make them differ</h3>
          {d.causes.length === 0 ? (
            <p>Nothing found: no candle revised or stored late, no pause, the same version throughout.</p>
          ) : (
            <ul className="drift-causes">
              {d.causes.map((c, i) => (
                <li key={i}>
                  <Cause cause={c} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
