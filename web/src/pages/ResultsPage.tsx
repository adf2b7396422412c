// One backtest's result: warnings and assumptions first (what the numbers rest on), the
// headline numbers, the charts, and every trade.
import { lazy, Suspense, useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { Assumptions, RunDetail } from "../api/types";
import { ErrorMessage, Field } from "../components/Field";
import { InfoTip } from "../components/InfoTip";
import { RunProgressView } from "../components/ProgressBar";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import { tone } from "../components/RunTable";
import { useUser } from "../hooks/auth";
import { markOnboarding } from "../hooks/onboarding";
import { tradesQuery, useBacktest, useStrategy } from "../hooks/queries";
import { useRunEvents } from "../hooks/useRunEvents";
import { useTitle } from "../hooks/useTitle";
import { date, dateTime, exitReasonWords, localTime, money, num, pct, price, timeframeWords } from "../lib/format";
import { KPI_KEYS, METRICS } from "../lib/metrics";

// The charts (lightweight-charts) load on their own, so the numbers show at once.
const ResultCharts = lazy(() => import("../components/ResultCharts"));

export default function ResultsPage() {
  const { id = "" } = useParams();
  const user = useUser();
  const queryClient = useQueryClient();
  const run = useBacktest(id);
  const r = run.data;
  const strategy = useStrategy(r?.strategy_id);
  const summary = r?.summary ?? undefined;
  const title = strategy.data?.title ?? summary?.strategy ?? "Backtest";
  useTitle(`Result: ${title}`);
  const live = !!r && (r.status === "queued" || r.status === "running");
  const progress = useRunEvents("backtest", live ? id : null, () => {
    queryClient.invalidateQueries({ queryKey: keys.backtest(id) });
    queryClient.invalidateQueries({ queryKey: keys.runs.all });
  });
  const [runTarget, setRunTarget] = useState<RunTarget | null>(null);

  useEffect(() => {
    if (r?.status === "succeeded") markOnboarding(user.id, "read-result");
  }, [r?.status, user.id]);

  if (run.isLoading) return <p role="status">Loading the result…</p>;
  if (run.error || !r) return <ErrorMessage error={run.error ?? new Error("No such backtest.")} />;

  const again = () =>
    strategy.data &&
    setRunTarget({
      id: strategy.data.id,
      title: strategy.data.title,
      latest_version: strategy.data.latest_version,
      version: r.version,
    });

  return (
    <>
      <p className="breadcrumb">
        <Link to="/backtests">Backtests</Link> <span aria-hidden="true">›</span> {title}
      </p>
      <div className="page-head">
        <h1>
          Result: {title} <span className="version">version {r.version}</span>
        </h1>
        <div className="actions">
          {strategy.data && strategy.data.owner_id === user.id && (
            <>
              <button type="button" className="button" onClick={again}>
                Run again with other settings
              </button>
              <Link className="button" to={`/strategies/${r.strategy_id}#settings`}>
                Change a setting
              </Link>
            </>
          )}
          <Link className="button" to={`/backtests?strategy=${r.strategy_id}`}>
            Compare with other runs
          </Link>
        </div>
      </div>
      <RunFacts run={r} />
      {live && <RunProgressView progress={progress} label="Backtest progress" />}
      {r.status === "failed" && (
        <div className="error-box" role="alert">
          <p>
            <strong>This backtest failed.</strong> {r.error}
          </p>
        </div>
      )}
      {r.status === "cancelled" && <p className="error-box">This backtest was cancelled before it finished.</p>}
      {r.status === "succeeded" && <SucceededResult run={r} />}
      <RunDialog strategy={runTarget} onClose={() => setRunTarget(null)} />
    </>
  );
}

function RunFacts({ run }: { run: RunDetail }) {
  const p = run.parameters;
  const s = run.summary ?? undefined;
  const a = run.assumptions ?? undefined;
  const from = a?.data?.from_ts ?? s?.from_ts ?? p.from_ms;
  const to = a?.data?.to_ts ?? s?.to_ts ?? p.to_ms;
  return (
    <p className="meta run-facts">
      {s?.dataset?.replace(/^dataset /, "") ?? "Market data"}
      {(p.timeframe ?? s?.timeframe) && ` · ${timeframeWords(p.timeframe ?? s?.timeframe)} candles`}
      {from ? ` · ${date(from)} to ${date(to)}` : ""} · run {localTime(run.created_at)}
    </p>
  );
}

function SucceededResult({ run }: { run: RunDetail }) {
  const m = run.metrics ?? {};
  const a = run.assumptions ?? {};
  const warnings = run.warnings ?? [];
  const s = run.summary ?? undefined;
  const initial = a.initial_capital ?? s?.initial_capital ?? 10000;
  return (
    <>
      <section aria-labelledby="warnings-title" className={`section warnings${warnings.length ? " has-warnings" : ""}`}>
        <h2 id="warnings-title">
          {warnings.length ? `Warnings (${warnings.length}): read these before trusting the numbers` : "Warnings"}
        </h2>
        {warnings.length ? (
          <ul>
            {warnings.map((w) => (
              <li key={w.code}>{w.message}</li>
            ))}
          </ul>
        ) : (
          <p>No warnings: nothing unusual was found in this run.</p>
        )}
      </section>
      <div className="result-top">
        <section aria-labelledby="kpi-title" className="section">
          <h2 id="kpi-title">Key numbers</h2>
          <p className="help">
            {money(initial)} became <strong>{money(s?.final_equity)}</strong>. Buying and holding instead would have
            returned {pct(m.buy_and_hold_return_pct)}.
          </p>
          <dl className="kpis">
            {KPI_KEYS.map((k) => {
              const info = METRICS[k];
              const v = m[k];
              return (
                <div className="kpi" key={k}>
                  <dt>
                    {info.label} <InfoTip label={info.label} text={info.explain} />
                  </dt>
                  <dd className={k === "total_return_pct" || k === "cagr_pct" ? tone(v) : undefined}>{info.format(v)}</dd>
                </div>
              );
            })}
          </dl>
        </section>
        <AssumptionsCard a={a} />
      </div>
      <Suspense fallback={<p role="status">Loading the charts…</p>}>
        <ResultCharts run={run} initial={initial} />
      </Suspense>
      <TradesTable runId={run.id} total={Number(m.trades ?? 0)} />
      <p className="meta credit">
        Charts drawn with{" "}
        <a href="https://www.tradingview.com/" rel="noopener noreferrer" target="_blank">
          TradingView Lightweight Charts
        </a>
        .
      </p>
    </>
  );
}

function AssumptionsCard({ a }: { a: Assumptions }) {
  const d = a.data ?? {};
  return (
    <section aria-labelledby="assumptions-title" className="section card assumptions">
      <h2 id="assumptions-title">Assumptions</h2>
      <p className="help">What this test took for granted. Real trading differs when these do not hold.</p>
      <dl className="facts">
        <div>
          <dt>When orders fill</dt>
          <dd>{a.fill_rule_text ?? a.fill_rule}</dd>
        </div>
        <div>
          <dt>Fees</dt>
          <dd>{a.fee_pct !== undefined ? `${num(a.fee_pct, 2)}% of every buy and every sell.` : "–"}</dd>
        </div>
        <div>
          <dt>Slippage</dt>
          <dd>{a.slippage_text ?? `${a.slippage_bps} bps`}</dd>
        </div>
        <div>
          <dt>Inside a candle</dt>
          <dd>{a.intrabar_path}</dd>
        </div>
        <div>
          <dt>Trade size</dt>
          <dd>{a.sizing}</dd>
        </div>
        <div>
          <dt>Risk rules</dt>
          <dd>
            {a.risk_rules?.length ? (
              <ul>
                {a.risk_rules.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            ) : (
              "No stop loss or take profit."
            )}
          </dd>
        </div>
        <div>
          <dt>Short trades</dt>
          <dd>{a.shorts_allowed ? "Allowed when the strategy has them." : "Not allowed."}</dd>
        </div>
        <div>
          <dt>Data range</dt>
          <dd>
            {d.candles ?? "–"} {timeframeWords(d.timeframe)} candles from {dateTime(d.from_ts)} to {dateTime(d.to_ts)} (UTC),{" "}
            {d.source?.replace(/^dataset /, "")}.
            {d.warmup_bars ? ` The first ${d.warmup_bars} candles warm up the indicators and cannot trade.` : ""}
          </dd>
        </div>
        <div>
          <dt>Data quality</dt>
          <dd>
            {d.quality?.summary?.length ? (
              <ul>
                {d.quality.summary.map((q) => (
                  <li key={q}>{q}</li>
                ))}
              </ul>
            ) : (
              "No quality report."
            )}
            {d.gap_handling && <p className="meta">{d.gap_handling}</p>}
          </dd>
        </div>
      </dl>
    </section>
  );
}

type SortKey = "entry_time" | "exit_time" | "pnl" | "pnl_pct" | "bars_held";
const PAGE = 25;

function TradesTable({ runId, total }: { runId: string; total: number }) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "entry_time", desc: false });
  const [page, setPage] = useState(0);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const trades = useQuery({
    ...tradesQuery(runId, { limit: PAGE, offset: page * PAGE, sort: `${sort.desc ? "-" : ""}${sort.key}` }),
    placeholderData: (prev) => prev,
  });
  const count = trades.data?.total ?? total;
  const pages = Math.max(1, Math.ceil(count / PAGE));
  const items = trades.data?.items ?? [];

  const download = async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const blob = await data(
        api.GET("/api/v1/backtests/{id}/trades.csv", { params: { path: { id: runId } }, parseAs: "blob" }),
      );
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `trades-${runId}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setDownloadError(e);
    } finally {
      setDownloading(false);
    }
  };

  const header = (key: SortKey | null, label: string, numeric = false) => {
    if (!key)
      return (
        <th scope="col" className={numeric ? "num" : undefined}>
          {label}
        </th>
      );
    const active = sort.key === key;
    return (
      <th scope="col" className={numeric ? "num" : undefined} aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"}>
        <button
          type="button"
          className="sort-button"
          onClick={() => {
            setPage(0);
            setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== "entry_time" && key !== "exit_time" }));
          }}
        >
          {label}
          <span aria-hidden="true" className="sort-mark">
            {active ? (sort.desc ? " ▼" : " ▲") : " ↕"}
          </span>
        </button>
      </th>
    );
  };

  return (
    <section aria-labelledby="trades-title" className="section">
      <div className="page-head">
        <h2 id="trades-title">Trades ({count})</h2>
        <button type="button" className="button" onClick={download} disabled={downloading || count === 0}>
          {downloading ? "Preparing the file…" : "Download all trades (CSV)"}
        </button>
      </div>
      <ErrorMessage error={downloadError ?? trades.error} />
      {count === 0 ? (
        <p>This strategy made no trades in this period.</p>
      ) : (
        <>
          <p className="help">Press a column title to sort. Times are in UTC.</p>
          <div className="phone-only">
            <Field label="Sort the trades by" className="narrow-field">
              <select
                value={`${sort.desc ? "-" : ""}${sort.key}`}
                onChange={(e) => {
                  const v = e.target.value;
                  setPage(0);
                  setSort({ key: v.replace(/^-/, "") as SortKey, desc: v.startsWith("-") });
                }}
              >
                <option value="entry_time">Entry, oldest first</option>
                <option value="-entry_time">Entry, newest first</option>
                <option value="-pnl">Profit, biggest first</option>
                <option value="pnl">Loss, biggest first</option>
                <option value="-pnl_pct">Profit %, biggest first</option>
                <option value="pnl_pct">Loss %, biggest first</option>
                <option value="-bars_held">Held longest first</option>
                <option value="bars_held">Held shortest first</option>
              </select>
            </Field>
          </div>
          <div className="table-wrap" role="region" aria-label="Trades" tabIndex={0}>
            <table className="table trade-table">
              <caption className="visually-hidden">
                Trades, sorted by {sort.key.replace("_", " ")} {sort.desc ? "descending" : "ascending"}, page {page + 1} of {pages}
              </caption>
              <thead>
                <tr>
                  {header(null, "Side")}
                  {header("entry_time", "Entry")}
                  {header(null, "Entry price", true)}
                  {header("exit_time", "Exit")}
                  {header(null, "Exit price", true)}
                  {header(null, "Quantity", true)}
                  {header("pnl", "Profit / loss", true)}
                  {header("pnl_pct", "Profit / loss %", true)}
                  {header(null, "Costs", true)}
                  {header("bars_held", "Candles held", true)}
                  {header(null, "Why it closed")}
                </tr>
              </thead>
              <tbody>
                {items.map((t, i) => (
                  <tr key={`${t.entry_ts}-${i}`}>
                    <td data-label="Side">{t.side === "short" ? "Short" : "Long"}</td>
                    <td data-label="Entry" className="nowrap">
                      {dateTime(t.entry_ts)}
                    </td>
                    <td data-label="Entry price" className="num">
                      {price(t.entry_price)}
                    </td>
                    <td data-label="Exit" className="nowrap">
                      {dateTime(t.exit_ts)}
                    </td>
                    <td data-label="Exit price" className="num">
                      {price(t.exit_price)}
                    </td>
                    <td data-label="Quantity" className="num">
                      {num(t.quantity, 4)}
                    </td>
                    <td data-label="Profit / loss" className={`num ${tone(t.pnl)}`}>
                      {num(t.pnl, 2)}
                    </td>
                    <td data-label="Profit / loss %" className={`num ${tone(t.pnl_pct)}`}>
                      {pct(t.pnl_pct, 2)}
                    </td>
                    <td data-label="Costs" className="num">
                      {num(t.fees + t.slippage, 2)}
                    </td>
                    <td data-label="Candles held" className="num">
                      {t.exit_index !== undefined && t.entry_index !== undefined ? t.exit_index - t.entry_index : "–"}
                    </td>
                    <td data-label="Why it closed">{exitReasonWords(t.exit_reason)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <nav className="pager" aria-label="Pages of trades">
              <button type="button" className="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                Previous
              </button>
              <span aria-live="polite">
                Page {page + 1} of {pages}
              </span>
              <button type="button" className="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                Next
              </button>
            </nav>
          )}
        </>
      )}
    </section>
  );
}

