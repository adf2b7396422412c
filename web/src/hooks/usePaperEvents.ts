// Follows a paper run live: its event stream (each ledger entry as it is appended, the event
// named by the entry's kind), kept in the query cache: entries join the ledger at once, the run
// and its equity are fetched again (at most once a second, at once on a status change). When the stream cannot be used (refused
// after a token refresh, a proxy that buffers), the ledger, run and equity are polled every 2 s.
import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { eventSource, refresh } from "../api/client";
import { keys } from "../api/keys";
import type { LedgerItem } from "../api/types";
import { isObject, parseJson } from "../lib/json";
import { mergeLedger } from "./queries";

/** A `ledger` event's entry, checked field by field; null when it is not one. */
export function ledgerEntry(ev: Event): LedgerItem | null {
  const raw = ev instanceof MessageEvent ? parseJson(ev.data) : null;
  if (!isObject(raw)) return null;
  const { seq, kind, candle_ts, message, payload, created_at } = raw;
  if (typeof seq !== "number" || typeof kind !== "string" || typeof message !== "string" || typeof created_at !== "number") return null;
  return {
    seq,
    kind,
    candle_ts: typeof candle_ts === "number" ? candle_ts : null,
    message,
    payload: isObject(payload) ? payload : {},
    created_at,
  };
}

/** The kinds of ledger entries, each an event name of the stream. */
const ENTRY_KINDS = ["tick", "fill", "trade", "status", "note"];

export type PaperLink = "connecting" | "live" | "polling" | "off";

/** Keeps paper run `id` up to date while `follow` is true; returns how. */
export function usePaperEvents(id: string, follow: boolean): PaperLink {
  const queryClient = useQueryClient();
  const [link, setLink] = useState<PaperLink>(follow ? "connecting" : "off");

  useEffect(() => {
    if (!follow) {
      setLink("off");
      return;
    }
    let stopped = false;
    let source: EventSource | null = null;
    let poll: ReturnType<typeof setInterval> | null = null;
    let pending: ReturnType<typeof setTimeout> | null = null;
    let lastRefresh = 0;
    let opened = false;
    // The newest entry seen, by the stream or in the ledger already fetched: a stream this hook
    // opens again asks for what came after it (`?after=`), so nothing is missed or shown twice.
    // (The browser's own reconnects send `Last-Event-ID` instead.)
    let lastSeq = 0;
    const seen = () => {
      const held = queryClient.getQueryData<LedgerItem[]>(keys.paper.ledger(id));
      return Math.max(lastSeq, held?.length ? held[held.length - 1].seq : 0);
    };
    // A stream that does not open within 5 s (a proxy that buffers, a browser reconnecting in
    // vain) is not waited for: poll meanwhile.
    const watchdog = setTimeout(() => {
      if (!opened) startPolling();
    }, 5000);

    // The run's numbers and equity: refetched on news, at most once a second.
    const refreshNumbers = () => {
      if (pending) return;
      const wait = Math.max(0, lastRefresh + 1000 - Date.now());
      pending = setTimeout(() => {
        pending = null;
        lastRefresh = Date.now();
        if (stopped) return;
        queryClient.invalidateQueries({ queryKey: keys.paper.one(id), exact: true });
        queryClient.invalidateQueries({ queryKey: keys.paper.equity(id) });
      }, wait);
    };

    const startPolling = () => {
      if (stopped || poll) return;
      setLink("polling");
      poll = setInterval(() => {
        queryClient.invalidateQueries({ queryKey: keys.paper.ledger(id) });
        refreshNumbers();
      }, 2000);
    };

    const open = (retry: boolean) => {
      const after = seen();
      const s = eventSource("/api/v1/paper-trades/{id}/events", { id }, after > 0 ? { after } : {});
      source = s;
      s.onopen = () => {
        if (stopped) return;
        opened = true;
        if (poll) {
          clearInterval(poll);
          poll = null;
        }
        setLink("live");
        // Anything appended between the page's first fetch and the stream's start.
        queryClient.invalidateQueries({ queryKey: keys.paper.ledger(id) });
      };
      // Each ledger entry is an event named by its kind, its `seq` as the event id.
      const onEntry = (ev: Event) => {
        const entry = ledgerEntry(ev);
        if (entry) lastSeq = Math.max(lastSeq, entry.seq);
        if (entry) queryClient.setQueryData<LedgerItem[]>(keys.paper.ledger(id), (old) => mergeLedger(old, [entry]));
        else queryClient.invalidateQueries({ queryKey: keys.paper.ledger(id) });
        if (entry?.kind === "status") {
          // Paused, resumed, stopped: at once, and in the list too.
          queryClient.invalidateQueries({ queryKey: keys.paper.one(id), exact: true });
          queryClient.invalidateQueries({ queryKey: keys.paper.list });
        }
        refreshNumbers();
      };
      for (const kind of ENTRY_KINDS) s.addEventListener(kind, onEntry);
      s.onerror = async () => {
        if (stopped || source !== s) return;
        // A closed stream was refused (the token expired): refresh once and reopen, else poll.
        // A stream the browser is reconnecting to stays (EventSource retries on its own).
        if (s.readyState === EventSource.CLOSED) {
          if (retry && (await refresh()) && !stopped) open(false);
          else startPolling();
        }
      };
    };
    try {
      setLink("connecting");
      open(true);
    } catch {
      startPolling();
    }
    return () => {
      stopped = true;
      source?.close();
      if (poll) clearInterval(poll);
      if (pending) clearTimeout(pending);
      clearTimeout(watchdog);
    };
  }, [id, follow, queryClient]);

  return link;
}
