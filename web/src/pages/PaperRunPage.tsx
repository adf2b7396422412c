// One paper run's dashboard: status with pause, resume and stop; the numbers so far; the open
// position; the account value drawn as it grows; the ledger of every fill, trade and status
// change, live through the run's event stream (polling every 2 s when the stream fails); and
// the settings it trades with.
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { LedgerItem, PaperRun } from "../api/types";
import { alertSettings } from "../components/AlertFields";
import { ErrorMessage } from "../components/Field";
import { PaperAlerts, activeAlertWords } from "../components/PaperAlerts";
import { PaperDrift } from "../components/PaperDrift";
import { PaperPerformance } from "../components/PaperPerformance";
import { BasketPositions, basketWords } from "../components/PaperPositions";
import { Modal } from "../components/Modal";
import { tone } from "../components/RunTable";
import { usePaperLedger, usePaperRun } from "../hooks/queries";
import { usePaperEvents, type PaperLink } from "../hooks/usePaperEvents";
import { useTitle } from "../hooks/useTitle";
import {
  baseOf,
  date,
  dateTime,
  exitReasonWords,
  fillWords,
  localTime,
  money,
  num,
  paperModeWords,
  paperStatusWords,
  pct,
  plain,
  relative,
  price,
  qty,
  quoteOf,
  timeframeWords,
} from "../lib/format";
import "../styles/paper.css";

const PaperEquityChart = lazy(() => import("../components/PaperEquityChart"));

type Action = "pause" | "resume" | "stop";

export default function PaperRunPage() {
  const { id = "" } = useParams();
  const run = usePaperRun(id);
  const r = run.data;
  useTitle(r ? `Paper trading: ${r.strategy_title}` : "Paper trading");
  const link = usePaperEvents(id, !!r && r.status !== "stopped");
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState<Action | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirmStop, setConfirmStop] = useState(false);
  // For "processed 5 seconds ago".
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, []);

  if (run.isLoading) return <p role="status">Loading the paper run…</p>;
  if (run.error || !r) return <ErrorMessage error={run.error ?? new Error("No such paper run.")} />;

  const unit = quoteOf(r.symbol);

  const act = async (action: Action) => {
    setBusy(action);
    setActionError(null);
    try {
      const params = { params: { path: { id } } };
      const next = await data(
        action === "pause"
          ? api.POST("/api/v1/paper-trades/{id}/pause", params)
          : action === "resume"
            ? api.POST("/api/v1/paper-trades/{id}/resume", params)
            : api.POST("/api/v1/paper-trades/{id}/stop", params),
      );
      queryClient.setQueryData(keys.paper.one(id), next);
      queryClient.invalidateQueries({ queryKey: keys.paper.ledger(id) });
      queryClient.invalidateQueries({ queryKey: keys.paper.equity(id) });
      queryClient.invalidateQueries({ queryKey: keys.paper.list });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
      setConfirmStop(false);
    }
  };

  const stopped = r.status === "stopped";
  const basket = basketWords(r);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/paper">Paper trading</Link> <span aria-hidden="true">›</span> {r.strategy_title}
      </p>
      <div className="page-head">
        <h1>
          Paper trading: {r.strategy_title} <span className="version">version {r.version}</span>
        </h1>
        <div className="actions">
          {(r.status === "active" || r.status === "scheduled") && (
            <button type="button" className="button" disabled={!!busy} onClick={() => act("pause")}>
              {busy === "pause" ? "Pausing…" : "Pause"}
            </button>
          )}
          {r.status === "paused" && (
            <button type="button" className="button primary" disabled={!!busy} onClick={() => act("resume")}>
              {busy === "resume" ? "Resuming…" : "Resume"}
            </button>
          )}
          {!stopped && (
            <button type="button" className="button danger" disabled={!!busy} onClick={() => setConfirmStop(true)}>
              Stop
            </button>
          )}
        </div>
      </div>
      <p className="meta run-facts">
        <span className={`pill pill-paper-${r.status}`} role="status">
          {paperStatusWords(r.status)}
        </span>{" "}
        {basket ? `Basket of ${basket}` : r.symbol} · {timeframeWords(r.timeframe)} candles · {paperModeWords(r.mode)}
        {r.mode === "replay" ? ` from ${date(r.start_ts)}, one candle a second` : ", new candles as they close"} · started{" "}
        {localTime(r.created_at)} <LinkState link={link} />
      </p>
      <ErrorMessage error={actionError} />
      <StatusNote run={r} unit={unit} />
      <ActiveAlerts run={r} />

      <section aria-labelledby="paper-kpi-title" className="section">
        <h2 id="paper-kpi-title">Numbers so far</h2>
        <dl className="kpis">
          <Kpi label="Account value" value={money(r.equity, unit)} />
          {r.basket && r.cash !== null && r.cash !== undefined && <Kpi label="Free cash" value={money(r.cash, unit)} />}
          <Kpi label="Return" value={pct(r.total_return_pct)} className={tone(r.total_return_pct)} />
          <Kpi label="Worst drop" value={pct(r.max_drawdown_pct)} />
          <Kpi label="Trades" value={plain(r.trades)} />
          <Kpi label="Candles processed" value={plain(r.candles)} />
          <Kpi
            label="Last candle"
            value={r.last_candle_ts === null || r.last_candle_ts === undefined ? "None yet" : dateTime(r.last_candle_ts)}
            small
            note={
              r.last_execution_at === null || r.last_execution_at === undefined
                ? undefined
                : `processed ${relative(r.last_execution_at, Math.max(now, r.last_execution_at))}`
            }
          />
        </dl>
      </section>

      {r.basket ? <BasketPositions run={r} unit={unit} /> : <Position run={r} unit={unit} />}

      <PaperPerformance run={r} />

      <section aria-labelledby="paper-chart-title" className="section">
        <h2 id="paper-chart-title">Account value</h2>
        <Suspense fallback={<p role="status">Loading the chart…</p>}>
          <PaperEquityChart run={r} unit={unit} />
        </Suspense>
      </section>

      <Ledger run={r} unit={unit} />
      <PaperAlerts run={r} />
      <PaperDrift run={r} unit={unit} />
      <Settings run={r} unit={unit} />
      <p className="meta credit">
        Charts drawn with{" "}
        <a href="https://www.tradingview.com/" rel="noopener noreferrer" target="_blank">
          TradingView Lightweight Charts
        </a>
        .
      </p>

      <Modal open={confirmStop} title="Stop paper trading?" onClose={() => setConfirmStop(false)} role="alertdialog" describedBy="paper-stop-text">
        <div id="paper-stop-text">
          <p>Stopping ends this paper run for good: no further candle is traded. Its ledger and numbers stay here.</p>
          <p>
            {r.basket
              ? r.positions.length
                ? `The ${r.positions.length} open ${r.positions.length === 1 ? "position" : "positions"} (${r.positions
                    .map((p) => p.symbol)
                    .join(", ")}) are closed at the last prices, and the ledger says so.`
                : "There is no open position to close."
              : r.position
              ? `The open ${r.position.side} position (${qty(r.position.quantity)} ${baseOf(r.symbol)}, entered at ${price(
                  r.position.entry_price,
                  unit,
                )}) is closed at the last price, and the ledger says so.`
              : "There is no open position to close."}
          </p>
        </div>
        <div className="actions">
          <button type="button" className="button danger" disabled={!!busy} onClick={() => act("stop")}>
            {busy === "stop" ? "Stopping…" : "Stop paper trading"}
          </button>
          <button type="button" className="button" onClick={() => setConfirmStop(false)}>
            Keep trading
          </button>
        </div>
      </Modal>
    </>
  );
}

function LinkState({ link }: { link: PaperLink }) {
  if (link === "off") return null;
  return (
    <span className="paper-link">
      ·{" "}
      {link === "live" ? "updates live" : link === "polling" ? "updating every 2 seconds" : "connecting for live updates…"}
    </span>
  );
}

function StatusNote({ run, unit }: { run: PaperRun; unit?: string }) {
  if (run.status === "stopped") {
    return (
      <div className="paper-note stopped" role="note" aria-label="Why it stopped">
        <p>
          <strong>Stopped {run.stopped_at === null || run.stopped_at === undefined ? "" : localTime(run.stopped_at)}.</strong>{" "}
          {readable(run.stop_note ?? "", unit)}
        </p>
      </div>
    );
  }
  if (run.status === "paused") {
    return (
      <p className="paper-note">
        <strong>Paused.</strong> No candle is traded until you resume; an open position stays open.
      </p>
    );
  }
  if (run.status === "scheduled") {
    return (
      <p className="paper-note">
        {run.mode === "replay"
          ? "The replay starts in a moment: one stored candle a second."
          : `Waiting for the next ${timeframeWords(run.timeframe)} candle to close.`}
      </p>
    );
  }
  return null;
}

/** The alerts whose episode is under way (each was also sent as a notification). */
function ActiveAlerts({ run }: { run: PaperRun }) {
  if (!run.alerts_active.length || run.status === "stopped") return null;
  return (
    <section className="warnings has-warnings" aria-labelledby="paper-alerts-title">
      <h2 id="paper-alerts-title">
        <span aria-hidden="true">⚠ </span>Alerts under way ({run.alerts_active.length})
      </h2>
      <ul>
        {run.alerts_active.map((a) => (
          <li key={a}>{activeAlertWords(a, run.alert_config)}</li>
        ))}
      </ul>
      <p>
        <a href="#alerts">See or change the alert thresholds</a>
      </p>
    </section>
  );
}

function Kpi({ label, value, className, small, note }: { label: string; value: string; className?: string; small?: boolean; note?: string }) {
  return (
    <div className="kpi">
      <dt>{label}</dt>
      <dd className={[className, small ? "kpi-small" : ""].filter(Boolean).join(" ") || undefined}>
        {value}
        {note && <span className="kpi-note">{note}</span>}
      </dd>
    </div>
  );
}

function Position({ run, unit }: { run: PaperRun; unit?: string }) {
  // Stopping closes any open position (the ledger's last trade).
  const p = run.status === "stopped" ? null : run.position;
  return (
    <section aria-labelledby="paper-position-title" className="section">
      <h2 id="paper-position-title">Open position</h2>
      {p ? (
        <dl className="facts position-facts">
          <div>
            <dt>Side</dt>
            <dd>{p.side === "short" ? "Short (betting on a fall)" : "Long (bought)"}</dd>
          </div>
          <div>
            <dt>Since</dt>
            <dd>{dateTime(p.entry_ts)}</dd>
          </div>
          <div>
            <dt>Entry price</dt>
            <dd>{price(p.entry_price, unit)}</dd>
          </div>
          <div>
            <dt>Quantity</dt>
            <dd>
              {qty(p.quantity)} {baseOf(run.symbol)}
            </dd>
          </div>
          <div>
            <dt>Stop loss</dt>
            <dd>{p.stop === null || p.stop === undefined ? "None" : price(p.stop, unit)}</dd>
          </div>
          <div>
            <dt>Take profit</dt>
            <dd>{p.take_profit === null || p.take_profit === undefined ? "None" : price(p.take_profit, unit)}</dd>
          </div>
        </dl>
      ) : (
        <p>
          {run.status === "stopped"
            ? "None: the run is stopped, and stopping closed any open position (see the ledger)."
            : "None: the strategy is waiting for its entry signal, holding only money."}
        </p>
      )}
    </section>
  );
}

const KIND_WORDS: Record<string, string> = {
  tick: "Candle",
  fill: "Fill",
  trade: "Trade",
  status: "Status",
  note: "Note",
};

const kindWords = (kind: string) => KIND_WORDS[kind] ?? kind;

/** Whether an entry is an alert's note (its payload names the alert). */
const isAlert = (e: LedgerItem) => e.kind === "note" && typeof e.payload.alert === "string";

/** A number of an entry's payload, when it has one. */
function payloadNumber(e: LedgerItem, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = e.payload[n];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** A text of an entry's payload, when it has one. */
function payloadText(e: LedgerItem, name: string): string | undefined {
  const v = e.payload[name];
  return typeof v === "string" ? v : undefined;
}

/** What an entry says, its numbers written the app's way (the server's message otherwise). */
function describe(e: LedgerItem, symbol: string, unit?: string): string {
  const side = payloadText(e, "side");
  // A basket's fills and trades name their market.
  const market = payloadText(e, "symbol");
  const sideWords = side === "short" ? "short" : "long";
  if (e.kind === "fill") {
    const p = payloadNumber(e, "price");
    const q = payloadNumber(e, "quantity");
    if (p !== undefined && q !== undefined)
      return `Entered ${sideWords}${market ? ` ${market}` : ""}: ${qty(q)} ${baseOf(market ?? symbol)} at ${price(p, unit)} (fees and slippage included).`;
  }
  if (e.kind === "trade") {
    const entry = payloadNumber(e, "entry_price");
    const exit = payloadNumber(e, "exit_price");
    const pnlPct = payloadNumber(e, "pnl_pct");
    const reason = payloadText(e, "reason");
    // A paper run ends its data only when it is stopped.
    const why = reason === "end_of_data" ? "run stopped" : reason ? exitReasonWords(reason) : "";
    if (entry !== undefined && exit !== undefined)
      return `${market ? `${market}: ` : ""}Closed ${sideWords}${why ? ` (${why})` : ""}: ${price(entry, unit)} → ${price(exit, unit)}${
        pnlPct !== undefined ? `, ${pct(pnlPct, 2)}` : ""
      }.`;
  }
  if (e.kind === "tick") {
    const equity = payloadNumber(e, "equity");
    const list = e.payload.signals;
    const signals = Array.isArray(list) ? list.filter((x) => typeof x === "string") : [];
    if (equity !== undefined)
      return `Candle processed: account ${money(equity, unit)}${signals.length ? `; signals: ${signals.join(", ")}` : ""}.`;
  }
  return readable(e.message, unit);
}

/** The server's words with its long decimals written as prices (44895.724502203004 → 44,895.72). */
function readable(text: string, unit?: string): string {
  return text.replace(/\b\d+\.\d{3,}\b/g, (m) => price(Number(m), unit));
}

const PAGE = 50;

function Ledger({ run, unit }: { run: PaperRun; unit?: string }) {
  const ledger = usePaperLedger(run.id);
  const [ticks, setTicks] = useState(false);
  const [shown, setShown] = useState(PAGE);
  const all = ledger.data;
  const rows = useMemo(() => {
    const list = (all ?? []).filter((e) => ticks || e.kind !== "tick");
    return list.reverse();
  }, [all, ticks]);
  const latest = rows.find((e) => e.kind === "fill" || e.kind === "trade" || e.kind === "note" || e.kind === "status");
  const page = rows.slice(0, shown);
  return (
    <section aria-labelledby="paper-ledger-title" className="section">
      <div className="section-head">
        <h2 id="paper-ledger-title">Ledger</h2>
        <div className="checkbox">
          <input type="checkbox" id="paper-ticks" checked={ticks} onChange={(e) => setTicks(e.target.checked)} />
          <label htmlFor="paper-ticks">Show every candle</label>
        </div>
      </div>
      <p className="help">
        Every fill, finished trade and status change, newest first, as the run writes them. Nothing here is ever changed
        afterwards.
      </p>
      <p className="visually-hidden" aria-live="polite">
        {latest ? `${isAlert(latest) ? "Alert" : kindWords(latest.kind)}: ${describe(latest, run.symbol, unit)}` : ""}
      </p>
      <ErrorMessage error={ledger.error} />
      {ledger.isLoading && <p role="status">Loading the ledger…</p>}
      {all && rows.length === 0 && (
        <p className="empty">
          {ticks ? "Nothing written yet." : "No fill yet: entries appear here as soon as the strategy trades."}
        </p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Ledger entries" tabIndex={0}>
          <table className="table run-table ledger-table">
            <caption className="visually-hidden">Ledger entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">What happened</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col" className="num">
                  Fee or profit
                </th>
              </tr>
            </thead>
            <tbody>
              {page.map((e) => {
                const p = payloadNumber(e, "price", "exit_price");
                const q = payloadNumber(e, "quantity");
                const pnl = payloadNumber(e, "pnl");
                const fee = payloadNumber(e, "fee", "fees");
                return (
                  <tr key={e.seq} className={isAlert(e) ? "ledger-alert" : `ledger-${e.kind}`}>
                    <td data-label="When">
                      {e.candle_ts === null || e.candle_ts === undefined ? localTime(e.created_at) : dateTime(e.candle_ts)}
                    </td>
                    <td data-label="Kind">
                      {isAlert(e) ? (
                        <span className="pill pill-alert">
                          <span aria-hidden="true">⚠ </span>Alert
                        </span>
                      ) : (
                        <span className={`pill pill-ledger-${e.kind}`}>{kindWords(e.kind)}</span>
                      )}
                    </td>
                    <td data-label="What happened" className="ledger-message">
                      {describe(e, run.symbol, unit)}
                    </td>
                    <td data-label="Price" className={p === undefined ? "num blank" : "num"}>
                      {p === undefined ? "–" : price(p, unit)}
                    </td>
                    <td data-label="Quantity" className={q === undefined ? "num blank" : "num"}>
                      {q === undefined ? "–" : qty(q)}
                    </td>
                    <td
                      data-label="Fee or profit"
                      className={`num ${pnl === undefined ? (fee === undefined ? "blank" : "") : tone(pnl)}`}
                    >
                      {pnl !== undefined ? money(pnl, unit) : fee !== undefined ? `fee ${money(fee, unit)}` : "–"}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {rows.length > 0 && (
        <p className="pager">
          <span>
            Showing the newest {num(page.length, 0)} of {num(rows.length, 0)} entries.
          </span>
          {rows.length > shown && (
            <button type="button" className="button" onClick={() => setShown((s) => s + PAGE)}>
              Show {Math.min(PAGE, rows.length - shown)} older
            </button>
          )}
        </p>
      )}
    </section>
  );
}

function Settings({ run, unit }: { run: PaperRun; unit?: string }) {
  return (
    <section aria-labelledby="paper-settings-title" className="section">
      <h2 id="paper-settings-title">Settings of this paper run</h2>
      <dl className="facts settings-facts">
        <div>
          <dt>Strategy</dt>
          <dd>
            <Link to={`/strategies/${run.strategy_id}`}>{run.strategy_title}</Link>, version {run.version}
          </dd>
        </div>
        <div>
          <dt>Market data</dt>
          <dd>
            {basketWords(run) ?? run.symbol} · {timeframeWords(run.timeframe)} candles
          </dd>
        </div>
        {run.basket && (
          <div>
            <dt>Most one position may cost</dt>
            <dd>{plain(run.basket.max_allocation_pct, 2)}% of the basket's value</dd>
          </div>
        )}
        <div>
          <dt>Candles traded</dt>
          <dd>
            {run.mode === "replay"
              ? `Replay of the stored candles from ${date(run.start_ts)}, one a second`
              : `Live: each new candle as it closes, from ${dateTime(run.start_ts)}`}
          </dd>
        </div>
        <div>
          <dt>Starting money</dt>
          <dd>{money(run.initial_capital, unit)}</dd>
        </div>
        <div>
          <dt>Fee per trade</dt>
          <dd>{pct(run.fee_pct, 2, false)}</dd>
        </div>
        <div>
          <dt>Slippage</dt>
          <dd>{plain(run.slippage_bps)} basis points</dd>
        </div>
        <div>
          <dt>Orders fill</dt>
          <dd>{fillWords(run.fill)}</dd>
        </div>
        <div>
          <dt>Short trades</dt>
          <dd>{run.allow_short ? "Allowed" : "Not allowed"}</dd>
        </div>
        <div>
          <dt>Alerts on</dt>
          <dd>{alertSettings(run.alert_config).join("; ") || "None"}</dd>
        </div>
      </dl>
    </section>
  );
}
