// Paper trading: the caller's paper runs, newest first, each with its market, mode, status
// and numbers so far, and a link to its dashboard.
import { Link } from "react-router-dom";
import type { PaperRun } from "../api/types";
import { ErrorMessage } from "../components/Field";
import { tone } from "../components/RunTable";
import { usePaperRuns } from "../hooks/queries";
import { useTitle } from "../hooks/useTitle";
import { dateTime, localTime, money, paperModeWords, paperStatusWords, pct, quoteOf, timeframeWords } from "../lib/format";
import "../styles/paper.css";

export default function PaperListPage() {
  useTitle("Paper trading");
  const runs = usePaperRuns();
  const items = runs.data?.items ?? [];
  return (
    <>
      <h1>Paper trading</h1>
      <p className="lead">
        A strategy trading with pretend money, one candle at a time, exactly as it would have traded for real: every
        order is written to a ledger you can follow live. No real order is ever sent.
      </p>
      {runs.isLoading && <p role="status">Loading your paper runs…</p>}
      <ErrorMessage error={runs.error} />
      {runs.data && items.length === 0 && <EmptyState />}
      {items.length > 0 && (
        <>
          <PaperTable runs={items} />
          <p className="help">
            To start another, open a finished backtest from <Link to="/backtests">Backtests</Link> and choose{" "}
            <strong>Paper trade this</strong>, or open a strategy from <Link to="/strategies">My strategies</Link> and
            choose <strong>Paper trade</strong>.
          </p>
        </>
      )}
    </>
  );
}

function EmptyState() {
  return (
    <section className="card empty-paper" aria-labelledby="paper-empty-title">
      <h2 id="paper-empty-title">No paper runs yet</h2>
      <p>
        A backtest tells you how a strategy would have done on past candles. Paper trading goes on from there: the same
        strategy, version and costs trade candle after candle, and you watch every entry and exit as it happens.
      </p>
      <ol>
        <li>
          Open a finished backtest from <Link to="/backtests">Backtests</Link> and choose <strong>Paper trade this</strong>{" "}
          (its market and costs), or open a strategy from <Link to="/strategies">My strategies</Link> and choose{" "}
          <strong>Paper trade</strong>.
        </li>
        <li>
          Pick <strong>Live</strong> to trade new candles of a Binance market as they close, or <strong>Replay</strong>{" "}
          to play stored candles from a date, one a second.
        </li>
      </ol>
    </section>
  );
}

function PaperTable({ runs }: { runs: PaperRun[] }) {
  return (
    <div className="table-wrap" role="region" aria-label="Paper runs" tabIndex={0}>
      <table className="table run-table paper-table">
        <caption className="visually-hidden">Paper runs</caption>
        <thead>
          <tr>
            <th scope="col">Strategy</th>
            <th scope="col">Market</th>
            <th scope="col">Mode</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Account value
            </th>
            <th scope="col" className="num">
              Return
            </th>
            <th scope="col">Last candle</th>
            <th scope="col">
              <span className="visually-hidden">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td data-label="Strategy">
                <span>
                  {r.strategy_title} <span className="version">v{r.version}</span>
                </span>
              </td>
              <td data-label="Market">
                {r.symbol} · {timeframeWords(r.timeframe)}
                {r.basket && <span className="help basket-hint"> (basket of {r.basket.members.length})</span>}
              </td>
              <td data-label="Mode">{paperModeWords(r.mode)}</td>
              <td data-label="Status">
                <span className={`pill pill-paper-${r.status}`}>{paperStatusWords(r.status)}</span>
              </td>
              <td data-label="Account value" className="num">
                {money(r.equity, quoteOf(r.symbol))}
              </td>
              <td data-label="Return" className={`num ${tone(r.total_return_pct)}`}>
                {pct(r.total_return_pct)}
              </td>
              <td data-label="Last candle">{r.last_candle_ts === null || r.last_candle_ts === undefined ? "None yet" : dateTime(r.last_candle_ts)}</td>
              <td>
                <Link to={`/paper/${r.id}`} aria-label={`Open the dashboard: ${r.strategy_title} on ${r.symbol}, started ${localTime(r.created_at)}`}>
                  Open
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
