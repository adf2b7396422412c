// The live feed: filters (type, symbol), whether it is live, the feeds' status, the alerts
// newest first (new ones on top, highlighted) and "Load more" for older ones.
import { memo, useEffect, useId, useRef, useState } from "react";
import { useAlertFeed, type FeedFilters, type FeedLink } from "../../hooks/useAlertFeed";
import { ALERT_TYPES, isAlertType, typeWords, type Alert } from "../../lib/screener";
import { ErrorMessage, Field } from "../Field";
import { AlertRow } from "./AlertRow";
import { FeedStatus } from "./FeedStatus";

const AlertRowMemo = memo(AlertRow);

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

const LINK_WORDS: Record<FeedLink, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Updating every 4 seconds",
};

export function AlertFeed({ onNews }: { onNews?: (alerts: Alert[]) => void }) {
  const headingId = useId();
  const [type, setType] = useState("");
  const [symbolText, setSymbolText] = useState("");
  const symbol = useDebounced(symbolText.trim().toUpperCase(), 400);
  const filters: FeedFilters = { type: isAlertType(type) ? type : undefined, symbol: symbol || undefined };
  const feed = useAlertFeed(filters, onNews);
  const filtered = !!(filters.type || filters.symbol);

  // "3 new alerts" for screen readers, at most every 3 s.
  const [announce, setAnnounce] = useState("");
  const unread = useRef(0);
  const seenFresh = useRef(0);
  useEffect(() => {
    const added = feed.fresh.size - seenFresh.current;
    seenFresh.current = feed.fresh.size;
    if (added <= 0) return;
    unread.current += added;
    const t = setTimeout(() => {
      const n = unread.current;
      unread.current = 0;
      if (n) setAnnounce(`${n} new ${n === 1 ? "alert" : "alerts"}.`);
    }, 3000);
    return () => clearTimeout(t);
  }, [feed.fresh]);

  return (
    <section className="screener-feed" aria-labelledby={headingId}>
      <div className="screener-head">
        <h2 id={headingId}>Live alerts</h2>
        <p className={`feed-link feed-link-${feed.link}`} role="status">
          <span className="feed-dot" aria-hidden="true" />
          {LINK_WORDS[feed.link]}
        </p>
      </div>
      <FeedStatus />
      <form className="filters feed-filters" role="search" aria-label="Filter the alerts" onSubmit={(e) => e.preventDefault()}>
        <Field label="Type">
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">Every type</option>
            {ALERT_TYPES.map((t) => (
              <option key={t} value={t}>
                {typeWords(t)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Symbol">
          <input
            type="text"
            value={symbolText}
            onChange={(e) => setSymbolText(e.target.value)}
            placeholder="Any symbol"
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      </form>
      <p className="visually-hidden" aria-live="polite">
        {announce}
      </p>
      <ErrorMessage error={feed.error} />
      {feed.loading && !feed.items.length && <p role="status">Loading alerts…</p>}
      {!feed.loading && !feed.items.length && !feed.error && (
        <p className="empty">
          {filtered
            ? "No alerts match these filters yet. New ones appear here as they happen."
            : "No alerts yet. They appear here as the market moves."}
        </p>
      )}
      {feed.items.length > 0 && (
        <ol className="alert-feed" aria-label="Alerts">
          {feed.items.map((a) => (
            <AlertRowMemo key={a.id} alert={a} fresh={feed.fresh.has(a.id)} />
          ))}
        </ol>
      )}
      {feed.hasMore && (
        <button type="button" className="button" onClick={feed.loadMore} disabled={feed.loadingMore}>
          {feed.loadingMore ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}
