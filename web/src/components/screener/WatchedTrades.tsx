// The trades the user watches from alerts, open ones first: the symbol, side, entry, stop loss
// and take profit, whether it is open or how it closed (with the exit price and the return),
// and Cancel for an open one. Read again on every `screener_alert` notification and every 3 s
// while one is open; a trade closing is announced to screen readers.
import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { keys } from "../../api/keys";
import { useWatchedTrades } from "../../hooks/screener";
import { plain, price } from "../../lib/format";
import { marketTime } from "../../lib/screener";
import {
  MAX_OPEN_TRADES,
  openFirst,
  returnWords,
  sideWords,
  statusWords,
  tradeName,
  type Trade,
} from "../../lib/watchedTrades";
import { ErrorMessage } from "../Field";

const STATUS_TONE: Record<string, string> = {
  open: "info",
  target: "good",
  stopped: "bad",
  cancelled: "muted",
};

interface RowProps {
  trade: Trade;
  onCancel(t: Trade): void;
  cancelling: boolean;
  /** Just cancelled from here: the row takes the focus its Cancel button had. */
  focus: boolean;
}

function TradeRow({ trade: t, onCancel, cancelling, focus }: RowProps) {
  const open = t.status === "open";
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (focus && !open) ref.current?.focus();
  }, [focus, open]);
  const ret = t.return_pct;
  const retTone = ret == null || returnWords(ret) === "0.00%" ? "" : ret > 0 ? " good" : " bad";
  return (
    <li className={`trade-row trade-${t.status}`} data-trade-id={t.id} ref={ref} tabIndex={focus ? -1 : undefined}>
      <div className="trade-head">
        <Link className="trade-symbol" to={`/screener?symbol=${encodeURIComponent(t.symbol)}`}>
          {t.symbol}
        </Link>
        <span className={`pill trade-side trade-side-${t.side}`}>{sideWords(t.side)}</span>
        <span className={`pill trade-status trade-status-${STATUS_TONE[t.status] ?? "info"}`}>{statusWords(t.status)}</span>
      </div>
      <dl className="trade-levels">
        <div>
          <dt>Entry</dt>
          <dd>{price(t.entry)}</dd>
        </div>
        <div>
          <dt>Stop</dt>
          <dd>{price(t.stop_loss)}</dd>
        </div>
        <div>
          <dt>Target</dt>
          <dd>{price(t.take_profit)}</dd>
        </div>
        {t.exit_price != null && (
          <div>
            <dt>Exit</dt>
            <dd className="trade-exit">{price(t.exit_price)}</dd>
          </div>
        )}
        {ret != null && (
          <div>
            <dt>Return</dt>
            <dd className={`trade-return${retTone}`}>{returnWords(ret)}</dd>
          </div>
        )}
      </dl>
      {t.exit_time != null && (
        <p className="meta">
          Closed by a trade at <time dateTime={new Date(t.exit_time).toISOString()}>{marketTime(t.exit_time)}</time>
        </p>
      )}
      {open && (
        <div className="actions">
          <button type="button" className="button small" onClick={() => onCancel(t)} disabled={cancelling}>
            {cancelling ? "Cancelling…" : "Cancel"}
            <span className="visually-hidden"> watching the {tradeName(t)}</span>
          </button>
        </div>
      )}
    </li>
  );
}

/** "ESU4 long from 5,528.75: target hit at 5,529.50 (+0.01%)." */
function closedWords(t: Trade): string {
  const how = statusWords(t.status).toLowerCase();
  const at = t.exit_price != null ? ` at ${price(t.exit_price)}` : "";
  const ret = t.return_pct != null ? ` (${returnWords(t.return_pct)})` : "";
  return `${tradeName(t)}: ${how}${at}${ret}.`;
}

export function WatchedTrades() {
  const headingId = useId();
  const queryClient = useQueryClient();
  const trades = useWatchedTrades();
  const list = trades.data ?? [];
  const openCount = list.filter((t) => t.status === "open").length;

  const cancel = useMutation({
    mutationFn: (t: Trade) => data(api.POST("/api/v1/screener/trades/{id}/cancel", { params: { path: { id: t.id } } })),
    onSuccess: (done) =>
      queryClient.setQueryData<Trade[]>(keys.screener.trades, (old) => old?.map((t) => (t.id === done.id ? done : t))),
    // Closed already (the feed got there first): the list says how.
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.screener.trades }),
  });

  // Trades seen open that have closed since: announced, at most one message at a time.
  const [announce, setAnnounce] = useState("");
  const seenOpen = useRef<Set<string> | null>(null);
  useEffect(() => {
    if (!trades.data) return;
    const before = seenOpen.current;
    seenOpen.current = new Set(trades.data.filter((t) => t.status === "open").map((t) => t.id));
    if (!before) return;
    const closed = trades.data.filter((t) => before.has(t.id) && t.status !== "open" && t.status !== "cancelled");
    if (closed.length) setAnnounce(closed.map(closedWords).join(" "));
  }, [trades.data]);

  return (
    <section className="watched-trades card" aria-labelledby={headingId}>
      <div className="screener-head">
        <h2 id={headingId}>Watched trades</h2>
        {list.length > 0 && (
          <p className="meta trades-count">
            {plain(openCount)} open · up to {MAX_OPEN_TRADES} at once
          </p>
        )}
      </div>
      <p className="visually-hidden" aria-live="polite">
        {announce}
      </p>
      <ErrorMessage error={trades.error ?? cancel.error} />
      {trades.isLoading && <p role="status">Loading your trades…</p>}
      {trades.data && !list.length && (
        <p className="empty">
          None yet. Use “Watch trade” on an alert: its stop loss and take profit are checked against every trade of the
          live feed, and you get a notification when one is reached.
        </p>
      )}
      {list.length > 0 && (
        <ul className="trade-list" aria-label="Your watched trades">
          {openFirst(list).map((t) => (
            <TradeRow
              key={t.id}
              trade={t}
              onCancel={(x) => cancel.mutate(x)}
              cancelling={cancel.isPending && cancel.variables?.id === t.id}
              focus={cancel.variables?.id === t.id}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
