// The API reads the pages share: each one's key (from api/keys.ts), typed request and, for the
// answers with fields the spec leaves open, the one reading of them (api/report.ts).
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys, type CandleQuery, type RunFilters, type RunKind, type TradeQuery } from "../api/keys";
import { blockList } from "../api/report";
import type { LedgerItem } from "../api/types";

export type { RunFilters } from "../api/keys";

const path = (id: string) => ({ params: { path: { id } } });

export function useMyStrategies() {
  return useQuery({
    queryKey: keys.strategies.mine,
    queryFn: () => data(api.GET("/api/v1/strategies", { params: { query: { mine: true, limit: 100 } } })),
  });
}

export function useTemplates() {
  return useQuery({
    queryKey: keys.strategies.templates,
    queryFn: () => data(api.GET("/api/v1/strategies", { params: { query: { visibility: "public", limit: 100 } } })),
    staleTime: 60_000,
  });
}

export function useArchivedStrategies(enabled: boolean) {
  return useQuery({
    queryKey: keys.strategies.archived,
    queryFn: () => data(api.GET("/api/v1/strategies", { params: { query: { mine: true, status: "archived", limit: 100 } } })),
    enabled,
  });
}

export function strategyQuery(id: string) {
  return queryOptions({
    queryKey: keys.strategies.one(id),
    queryFn: () => data(api.GET("/api/v1/strategies/{id}", path(id))),
  });
}

export function useStrategy(id: string | undefined) {
  return useQuery({ ...strategyQuery(id ?? ""), enabled: !!id });
}

export function useVersions(id: string | undefined, enabled = true) {
  return useQuery({
    queryKey: keys.strategies.versions(id ?? ""),
    queryFn: () => data(api.GET("/api/v1/strategies/{id}/versions", path(id ?? ""))),
    enabled: !!id && enabled,
  });
}

/** One saved version; versions never change, so it is never refetched. */
export function versionQuery(id: string, version: number) {
  return queryOptions({
    queryKey: keys.strategies.version(id, version),
    queryFn: () => data(api.GET("/api/v1/strategies/{id}/versions/{version}", { params: { path: { id, version } } })),
    staleTime: Infinity,
  });
}

export function useVersion(id: string | undefined, version: number | undefined) {
  return useQuery({
    ...versionQuery(id ?? "", version ?? 0),
    enabled: !!id && !!version,
    // While a newer version loads, keep showing the previous one of the same strategy.
    placeholderData: (prev) => (prev && prev.strategy_id === id ? prev : undefined),
  });
}

export function useDatasets() {
  return useQuery({
    queryKey: keys.datasets,
    queryFn: () => data(api.GET("/api/v1/market/datasets")),
    staleTime: 5 * 60_000,
  });
}

/** The markets Binance lists whose symbol contains `q`, optionally only those quoted in `quote`. */
export function useMarketSymbols(q: string, quote: string, enabled = true) {
  return useQuery({
    queryKey: keys.marketSymbols(q, quote),
    queryFn: () =>
      data(api.GET("/api/v1/market/symbols", { params: { query: { q: q || undefined, quote: quote || undefined, limit: 20 } } })),
    enabled,
    staleTime: 5 * 60_000,
    placeholderData: (prev) => prev,
    retry: false,
  });
}

/** One fetch of market data; polls every 700 ms while it is queued or running. */
export function useFetchJob(id: string | null) {
  return useQuery({
    queryKey: keys.fetch(id ?? ""),
    queryFn: () => data(api.GET("/api/v1/market/fetches/{id}", path(id ?? ""))),
    enabled: !!id,
    refetchInterval: (q) => (!q.state.data || q.state.data.status === "queued" || q.state.data.status === "running" ? 700 : false),
  });
}

/** The defaults and ranges of a backtest's settings, as the server applies them. */
export function useSettingsRanges() {
  return useQuery({
    queryKey: keys.settingsRanges,
    queryFn: () => data(api.GET("/api/v1/settings/backtest")),
    staleTime: Infinity,
  });
}

export function useCandles(datasetId: string | undefined, q: CandleQuery) {
  return useQuery({
    queryKey: keys.candles(datasetId ?? "", q),
    queryFn: () =>
      data(
        api.GET("/api/v1/market/datasets/{id}/candles", {
          params: {
            path: { id: datasetId ?? "" },
            query: {
              from: q.from === undefined ? undefined : String(q.from),
              to: q.to === undefined ? undefined : String(q.to),
              timeframe: q.timeframe || undefined,
              max_points: q.max_points,
            },
          },
        }),
      ),
    enabled: !!datasetId,
    staleTime: Infinity,
  });
}

export function usePlanUsage() {
  return useQuery({
    queryKey: keys.planUsage,
    queryFn: () => data(api.GET("/api/v1/plan-usage")),
  });
}

/** The block catalogue, as is; `select` gives each reader its own view of it. */
export function blocksQuery() {
  return queryOptions({
    queryKey: keys.blocks,
    queryFn: async () => blockList(await data(api.GET("/api/v1/blocks"))),
    staleTime: Infinity,
  });
}

export function useBlocks() {
  return useQuery(blocksQuery());
}

/** Runs, newest first; `live` polls every 2 s while one of them is queued or running. */
export function useRuns(kind: RunKind, filters: RunFilters = {}, live = false) {
  return useQuery({
    queryKey: keys.runs.list(kind, filters),
    queryFn: async () => {
      const query = { limit: 20, ...filters };
      return data(
        kind === "sweeps"
          ? api.GET("/api/v1/sweeps", { params: { query } })
          : api.GET("/api/v1/backtests", { params: { query } }),
      );
    },
    refetchInterval: live
      ? (q) => (q.state.data?.items.some((r) => r.status === "queued" || r.status === "running") ? 2000 : false)
      : false,
  });
}

/** One backtest with its report. */
export function backtestQuery(id: string) {
  return queryOptions({
    queryKey: keys.backtest(id),
    queryFn: async () => await data(api.GET("/api/v1/backtests/{id}", path(id))),
  });
}

export function useBacktest(id: string) {
  return useQuery(backtestQuery(id));
}

export function useSweep(id: string) {
  return useQuery({
    queryKey: keys.sweep(id),
    queryFn: async () => await data(api.GET("/api/v1/sweeps/{id}", path(id))),
  });
}

/** One robustness run with, once succeeded, its report (the holdout's result once opened). */
export function useRobustness(id: string) {
  return useQuery({
    queryKey: keys.robustness.one(id),
    queryFn: () => data(api.GET("/api/v1/robustness/{id}", path(id))),
  });
}

/** The caller's robustness runs (of one strategy), newest first; polls every 2 s while one runs. */
export function useRobustnessRuns(filters: RunFilters) {
  return useQuery({
    queryKey: keys.robustness.list(filters),
    queryFn: () => data(api.GET("/api/v1/robustness", { params: { query: { limit: 20, ...filters } } })),
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.status === "queued" || r.status === "running") ? 2000 : false),
  });
}

export function useEquity(id: string) {
  return useQuery({
    queryKey: keys.equity(id),
    queryFn: async () => await data(api.GET("/api/v1/backtests/{id}/equity", path(id))),
    staleTime: Infinity,
  });
}

/** A page of a backtest's trades. */
export function tradesQuery(id: string, query: TradeQuery) {
  return queryOptions({
    queryKey: keys.trades(id, query),
    queryFn: async () =>
      data(api.GET("/api/v1/backtests/{id}/trades", { params: { path: { id }, query } })),
  });
}

/** Every block's value around one bar of a backtest (`at` in Unix ms). */
export function useInspection(id: string, at: number | null, around = 3) {
  return useQuery({
    queryKey: keys.inspect(id, at ?? 0, around),
    queryFn: () =>
      data(api.GET("/api/v1/backtests/{id}/inspect", { params: { path: { id }, query: { at: String(at), around } } })),
    enabled: at !== null,
    staleTime: Infinity,
  });
}

export function useCompare(ids: string[]) {
  return useQuery({
    queryKey: keys.compare(ids),
    queryFn: () => data(api.POST("/api/v1/backtests/compare", { body: { ids } })),
    enabled: ids.length >= 2,
    staleTime: Infinity,
  });
}

/** Every strategy title the user can see (their own and the templates), by id. */
export function useStrategyTitles(): Map<string, string> {
  const mine = useMyStrategies();
  const pub = useTemplates();
  const m = new Map<string, string>();
  for (const s of pub.data?.items ?? []) m.set(s.id, s.title);
  for (const s of mine.data?.items ?? []) m.set(s.id, s.title);
  return m;
}

/** One dataset: coverage, the full quality report (gaps listed) and its sources. */
export function useDataset(id: string | undefined) {
  return useQuery({
    queryKey: keys.dataset(id ?? ""),
    queryFn: () => data(api.GET("/api/v1/market/datasets/{id}", path(id ?? ""))),
    enabled: !!id,
  });
}

// --- Paper trading ---------------------------------------------------------------------

const LIVE_PAPER = new Set(["scheduled", "active"]);

/** The caller's paper runs, newest first; polls every 5 s while one of them is trading. */
export function usePaperRuns() {
  return useQuery({
    queryKey: keys.paper.list,
    queryFn: () => data(api.GET("/api/v1/paper-trades")),
    refetchInterval: (q) => (q.state.data?.items.some((r) => LIVE_PAPER.has(r.status)) ? 5000 : false),
  });
}

export function paperRunQuery(id: string) {
  return queryOptions({
    queryKey: keys.paper.one(id),
    queryFn: () => data(api.GET("/api/v1/paper-trades/{id}", path(id))),
  });
}

/** One paper run: status, headline numbers and open position (kept fresh by its event stream). */
export function usePaperRun(id: string) {
  return useQuery(paperRunQuery(id));
}

/** A paper run's account value after each processed candle. */
export function usePaperEquity(id: string) {
  return useQuery({
    queryKey: keys.paper.equity(id),
    queryFn: () => data(api.GET("/api/v1/paper-trades/{id}/equity", path(id))),
    placeholderData: (prev) => prev,
  });
}

/**
 * A paper run's drift report: the backtest re-run over the run's window on the candles stored
 * now, compared trade by trade. A computation, so fetched only when asked (`refetch()`).
 */
export function usePaperDrift(id: string) {
  return useQuery({
    queryKey: keys.paper.drift(id),
    queryFn: () => data(api.GET("/api/v1/paper-trades/{id}/drift", path(id))),
    enabled: false,
    staleTime: Infinity,
  });
}

/** A paper run's metrics, asked again when `trades` or `step` changes. */
export function usePaperMetrics(id: string, trades: number, step: number) {
  return useQuery({
    queryKey: keys.paper.metrics(id, trades, step),
    queryFn: () => data(api.GET("/api/v1/paper-trades/{id}/metrics", path(id))),
    staleTime: 60_000,
    placeholderData: (previous) => previous,
  });
}

/** The most ledger entries kept in memory (the newest). */
export const LEDGER_KEEP = 5000;
const LEDGER_PAGE = 500;

/** Ledger entries merged by `seq`, oldest first, at most `LEDGER_KEEP` of the newest. */
export function mergeLedger(old: LedgerItem[] | undefined, more: LedgerItem[]): LedgerItem[] {
  if (!more.length) return old ?? [];
  const last = old?.length ? old[old.length - 1].seq : -Infinity;
  // The common case: entries newer than everything held, in order.
  if (more.every((e, i) => e.seq > (i ? more[i - 1].seq : last))) {
    const all = [...(old ?? []), ...more];
    return all.length > LEDGER_KEEP ? all.slice(all.length - LEDGER_KEEP) : all;
  }
  const bySeq = new Map<number, LedgerItem>();
  for (const e of old ?? []) bySeq.set(e.seq, e);
  for (const e of more) bySeq.set(e.seq, e);
  const all = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return all.length > LEDGER_KEEP ? all.slice(all.length - LEDGER_KEEP) : all;
}

/**
 * A paper run's ledger, oldest first. Each fetch asks only for what is newer than the entries
 * already held (`after` the last `seq`), page by page, so a refetch is the polling fallback
 * and the event stream adds entries with `setQueryData` (`mergeLedger`).
 */
export function usePaperLedger(id: string) {
  return useQuery({
    queryKey: keys.paper.ledger(id),
    queryFn: async ({ client, queryKey }) => {
      const held = client.getQueryData<LedgerItem[]>(queryKey) ?? [];
      let after: number | undefined = held.length ? held[held.length - 1].seq : undefined;
      let fresh: LedgerItem[] = [];
      for (;;) {
        const page = await data(
          api.GET("/api/v1/paper-trades/{id}/ledger", { params: { path: { id }, query: { after, limit: LEDGER_PAGE } } }),
        );
        fresh = mergeLedger(fresh, page.items);
        // `next_after`: the last `seq` of the page (or `after` when it is empty).
        if (!page.items.length || page.items.length < LEDGER_PAGE || (after !== undefined && page.next_after <= after)) break;
        after = page.next_after;
      }
      // With what the event stream added meanwhile.
      return mergeLedger(client.getQueryData<LedgerItem[]>(queryKey) ?? [], fresh);
    },
    staleTime: Infinity,
  });
}
