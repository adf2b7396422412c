// The screener's reads: counts over a window, the feeds' health, symbol search, one symbol's
// alerts, the caller's screens and watched trades (each key from api/keys.ts).
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { Schemas } from "../api/client";
import type { Trade } from "../lib/watchedTrades";

export type StatsWindow = "day" | "week" | "all";

export const WINDOW_WORDS: Record<StatsWindow, string> = {
  day: "Last 24 hours",
  week: "Last 7 days",
  all: "All time",
};

const HOUR = 3_600_000;

/** The window's start (Unix ms, by trigger time); 0 for all time. */
export function windowSince(w: StatsWindow, now = Date.now()): number {
  return w === "day" ? now - 24 * HOUR : w === "week" ? now - 7 * 24 * HOUR : 0;
}

export function useAlertStats(w: StatsWindow) {
  return useQuery({
    queryKey: keys.screener.stats(w),
    queryFn: () => data(api.GET("/api/v1/screener/alerts/stats", { params: { query: { since: windowSince(w) } } })),
    placeholderData: (prev) => prev,
  });
}

export type ScreenerHealth = Schemas["ScreenerHealth"];

/** The feeds' health: every 5 s while one runs, else every 30 s. */
export function useScreenerHealth() {
  return useQuery({
    queryKey: keys.screener.health,
    queryFn: async (): Promise<ScreenerHealth> => data(api.GET("/api/v1/screener/health")),
    refetchInterval: (q) => (q.state.data?.feeds.some((f) => f.state === "running") ? 5000 : 30_000),
  });
}

/** Symbols with alerts starting with `q` (nothing asked for an empty `q`). */
export function useSymbolMatches(q: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.screener.symbols(q.toUpperCase()),
    queryFn: () => data(api.GET("/api/v1/screener/symbols", { params: { query: { q } } })),
    enabled: enabled && q.length > 0,
    placeholderData: (prev) => prev,
    retry: false,
  });
}

/** One symbol's newest alerts (up to 200). */
export function useSymbolAlerts(symbol: string) {
  return useQuery({
    queryKey: keys.screener.symbol(symbol),
    queryFn: () => data(api.GET("/api/v1/screener/alerts", { params: { query: { symbol, limit: 200 } } })),
    enabled: !!symbol,
  });
}

export function useScreens() {
  return useQuery({
    queryKey: keys.screener.screens,
    queryFn: () => data(api.GET("/api/v1/screener/screens")),
  });
}

/** How often the watched trades are read again while one is open (besides each `screener_alert`
 * notification, which the notification stream turns into a refresh). */
export const TRADES_POLL_MS = 3000;

/** The caller's watched trades, newest first: every 3 s while one is open. */
export function useWatchedTrades() {
  return useQuery({
    queryKey: keys.screener.trades,
    queryFn: async (): Promise<Trade[]> => data(api.GET("/api/v1/screener/trades")),
    refetchInterval: (q) => (q.state.data?.some((t) => t.status === "open") ? TRADES_POLL_MS : false),
  });
}
