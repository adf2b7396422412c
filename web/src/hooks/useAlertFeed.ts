// The live alert feed: the newest page of alerts, then each new one from the alert stream
// (`/screener/alerts/stream`, authenticated by `?access_token=`) put at the top as it is stored.
// A stream that does not open within 5 s (a proxy that buffers, a refused token) is not waited
// for: the first page is polled every 4 s meanwhile and new alerts are merged in the same way.
// Older alerts come a page at a time through `next_cursor`.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, data, eventSource, refresh } from "../api/client";
import { alertFromEvent, type Alert, type AlertType } from "../lib/screener";

export interface FeedFilters {
  type?: AlertType;
  symbol?: string;
}

export type FeedLink = "connecting" | "live" | "polling";

const PAGE = 25;
const POLL_MS = 4000;

function fetchPage(filters: FeedFilters, cursor?: string) {
  return data(
    api.GET("/api/v1/screener/alerts", {
      params: { query: { type: filters.type, symbol: filters.symbol || undefined, cursor, limit: PAGE } },
    }),
  );
}

/** `incoming` (newest first) not yet in `list`, in their order. */
function unseen(list: Alert[], incoming: Alert[]): Alert[] {
  const have = new Set(list.map((a) => a.id));
  return incoming.filter((a) => !have.has(a.id) && have.add(a.id));
}

export interface AlertFeed {
  items: Alert[];
  /** Alerts that arrived while the page was open (shown highlighted as they come). */
  fresh: ReadonlySet<string>;
  link: FeedLink;
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): void;
}

/** Follows the alerts matching `filters`; `onNews` hears of each batch of new ones. */
export function useAlertFeed(filters: FeedFilters, onNews?: (alerts: Alert[]) => void): AlertFeed {
  const [items, setItems] = useState<Alert[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [link, setLink] = useState<FeedLink>("connecting");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // The list as last set (what arriving alerts are checked against), beside the state.
  const listRef = useRef<Alert[]>([]);
  const put = useCallback((list: Alert[]) => {
    listRef.current = list;
    setItems(list);
  }, []);
  // The newest storing time seen (`created_at`): later ones are new.
  const watermark = useRef(0);
  const news = useRef(onNews);
  news.current = onNews;
  // Which filters the state belongs to: an answer for earlier filters is dropped.
  const generation = useRef(0);
  const { type, symbol } = filters;

  useEffect(() => {
    const gen = ++generation.current;
    const current = () => gen === generation.current;
    const f: FeedFilters = { type, symbol };
    let source: EventSource | null = null;
    let poll: ReturnType<typeof setInterval> | null = null;
    let opens = 0;
    put([]);
    setFresh(new Set());
    setCursor(null);
    setError(null);
    setLoading(true);
    setLink("connecting");

    watermark.current = 0;
    const see = (alerts: Alert[]) => {
      for (const a of alerts) watermark.current = Math.max(watermark.current, a.created_at);
    };
    const arrive = (incoming: Alert[]) => {
      if (!current()) return;
      const added = unseen(listRef.current, incoming);
      if (!added.length) return;
      put([...added, ...listRef.current]);
      see(added);
      setFresh((s) => new Set([...s, ...added.map((a) => a.id)]));
      news.current?.(added);
    };

    // What was stored since the newest alert seen, merged at the top (polling, after a
    // reconnect, after a lag). Pages are by trigger time, so a replay of older data lands
    // among the alerts already shown: read on until a page reaches alerts older than those
    // loaded (stored before, yet not shown), five pages at most.
    const catchUp = async () => {
      const mark = watermark.current;
      const found: Alert[] = [];
      let cursor: string | undefined;
      try {
        for (let i = 0; i < 5; i++) {
          const page = await fetchPage(f, cursor);
          const have = new Set(listRef.current.map((a) => a.id));
          const unknown = page.items.filter((a) => !have.has(a.id));
          found.push(...unknown.filter((a) => a.created_at >= mark));
          const pastLoaded = unknown.some((a) => a.created_at < mark);
          if (pastLoaded || !page.next_cursor) break;
          cursor = page.next_cursor;
        }
      } catch {
        // the next poll tries again
      }
      arrive(found);
    };

    const startPolling = () => {
      if (!current() || poll) return;
      setLink("polling");
      poll = setInterval(() => void catchUp(), POLL_MS);
    };

    const watchdog = setTimeout(() => {
      if (!opens) startPolling();
    }, 5000);

    const open = (retry: boolean) => {
      const query: { type?: AlertType; symbol?: string } = {};
      if (f.type) query.type = f.type;
      if (f.symbol) query.symbol = f.symbol;
      const s = eventSource("/api/v1/screener/alerts/stream", query);
      source = s;
      s.onopen = () => {
        if (!current()) return;
        opens += 1;
        if (poll) {
          clearInterval(poll);
          poll = null;
        }
        setLink("live");
        // Anything stored while the stream was down.
        if (opens > 1) void catchUp();
      };
      s.addEventListener("alert", (ev) => {
        const a = alertFromEvent(ev);
        if (a) arrive([a]);
        else void catchUp();
      });
      // The server dropped some for a slow reader: read them from the list.
      s.addEventListener("lagged", () => void catchUp());
      s.onerror = async () => {
        if (!current() || source !== s || s.readyState !== EventSource.CLOSED) return;
        // Refused (an expired token): refresh once and reopen, else poll.
        if (retry && (await refresh()) && current()) open(false);
        else startPolling();
      };
    };
    try {
      open(true);
    } catch {
      startPolling();
    }

    fetchPage(f)
      .then((page) => {
        if (!current()) return;
        // Alerts the stream brought while the page loaded stay on top.
        put([...listRef.current, ...unseen(listRef.current, page.items)]);
        see(page.items);
        setCursor(page.next_cursor ?? null);
      })
      .catch((e) => current() && setError(e))
      .finally(() => current() && setLoading(false));

    return () => {
      generation.current += 1;
      source?.close();
      if (poll) clearInterval(poll);
      clearTimeout(watchdog);
    };
  }, [type, symbol, put]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    fetchPage({ type, symbol }, cursor)
      .then((page) => {
        if (gen !== generation.current) return;
        put([...listRef.current, ...unseen(listRef.current, page.items)]);
        setCursor(page.next_cursor ?? null);
      })
      .catch((e) => gen === generation.current && setError(e))
      .finally(() => setLoadingMore(false));
  }, [cursor, loadingMore, type, symbol, put]);

  return { items, fresh, link, loading, error, hasMore: !!cursor, loadingMore, loadMore };
}
