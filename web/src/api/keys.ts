// Every TanStack Query key of the app, in one tree. A key is an array and invalidating a key
// covers every key it is a prefix of: `keys.strategies.all` is all of a user's strategies,
// lists, versions and all; `keys.backtest(id)` is one backtest with its equity and trades.
// Use these for every `useQuery`, `fetchQuery`, `prefetchQuery`, `setQueryData` and
// `invalidateQueries`; never write a key by hand.

export type RunKind = "backtests" | "sweeps";

export interface RunFilters {
  strategy_id?: string;
  version?: number;
  status?: string;
  limit?: number;
  offset?: number;
}

export interface TradeQuery {
  limit?: number;
  offset?: number;
  sort?: string;
}

export interface CandleQuery {
  from?: number;
  to?: number;
  timeframe?: string;
  max_points?: number;
}

export const keys = {
  me: ["me"],
  planUsage: ["plan-usage"],
  datasets: ["datasets"],
  blocks: ["blocks"],
  settingsRanges: ["settings", "backtest"],
  candles: (datasetId: string, query: CandleQuery) => ["candles", datasetId, query],
  /** The markets Binance lists matching a search. */
  marketSymbols: (q: string, quote: string) => ["market-symbols", { q, quote }],
  /** One fetch of market data (shared by everyone who asked for the same candles). */
  fetch: (id: string) => ["fetch", id],

  notifications: {
    all: ["notifications"],
    page: (query: { onlyUnread: boolean; page: number }) => ["notifications", query],
  },

  strategies: {
    all: ["strategies"],
    mine: ["strategies", "mine"],
    templates: ["strategies", "public"],
    archived: ["strategies", "archived"],
    one: (id: string) => ["strategies", "one", id],
    versions: (id: string) => ["strategies", "versions", id],
    version: (id: string, version: number) => ["strategies", "version", id, version],
  },

  /** Lists of backtests and sweeps. */
  runs: {
    all: ["runs"],
    list: (kind: RunKind, filters: RunFilters) => ["runs", kind, filters],
  },

  /** One backtest; also the prefix of its equity and trades. */
  backtest: (id: string) => ["backtest", id],
  equity: (id: string) => ["backtest", id, "equity"],
  trades: (id: string, query: TradeQuery) => ["backtest", id, "trades", query],
  inspect: (id: string, at: number, around: number) => ["backtest", id, "inspect", at, around],

  /** Paper runs: the list, and each run with its ledger and equity under its own prefix. */
  paper: {
    all: ["paper"],
    list: ["paper", "list"],
    one: (id: string) => ["paper", "one", id],
    ledger: (id: string) => ["paper", "one", id, "ledger"],
    equity: (id: string) => ["paper", "one", id, "equity"],
    /** The drift report: the backtest re-run over the run's window, compared (asked for on demand). */
    drift: (id: string) => ["paper", "one", id, "drift"],
    metrics: (id: string, trades: number, step: number) => ["paper", "one", id, "metrics", trades, step],
  },

  sweep: (id: string) => ["sweep", id],

  /** Robustness runs: the lists (per strategy and version) and each run with its report. */
  robustness: {
    all: ["robustness"],
    list: (filters: RunFilters) => ["robustness", "list", filters],
    one: (id: string) => ["robustness", "one", id],
  },
  /** Published templates (the gallery), the caller's own and each version's publish gates. */
  templates: {
    all: ["templates"],
    gallery: (query: { search: string; tag: string; sort: string; page: number }) => ["templates", "gallery", query],
    mine: ["templates", "mine"],
    gates: (strategyId: string, version: number) => ["templates", "gates", strategyId, version],
  },
  /** Cohorts: the caller's list and each cohort with its templates and dashboard under its id. */
  cohorts: {
    all: ["cohorts"],
    list: ["cohorts", "list"],
    one: (id: string) => ["cohorts", "one", id],
    templates: (id: string) => ["cohorts", "one", id, "templates"],
    dashboard: (id: string) => ["cohorts", "one", id, "dashboard"],
  },
  /** Webhooks: the endpoints (and the kinds there are), each endpoint's delivery log pages and
   * each delivery with its attempts under the endpoint's prefix. */
  webhooks: {
    all: ["webhooks"],
    list: ["webhooks", "list"],
    deliveries: (id: string) => ["webhooks", "deliveries", id],
    deliveryPage: (id: string, page: number) => ["webhooks", "deliveries", id, "page", page],
    delivery: (id: string, deliveryId: string) => ["webhooks", "deliveries", id, "one", deliveryId],
  },
  /** The reviewers' compliance queue. */
  compliance: {
    all: ["compliance"],
    events: (status: string) => ["compliance", "events", status],
  },
  /** The admins' audit log: the newest `count` entries. */
  audit: {
    all: ["audit"],
    latest: (count: number) => ["audit", "latest", count],
  },
  /** The screener: alert pages, counts, symbol search, feed health, the caller's screens and
   * the trades they watch. */
  screener: {
    all: ["screener"],
    stats: (window: string) => ["screener", "stats", window],
    health: ["screener", "health"],
    symbols: (q: string) => ["screener", "symbols", q],
    symbol: (symbol: string) => ["screener", "symbol", symbol],
    screens: ["screener", "screens"],
    trades: ["screener", "trades"],
  },
  compare: (ids: string[]) => ["compare", ids],

  /** One dataset with its full quality report (under `datasets`, so a list refresh covers it). */
  dataset: (id: string) => ["datasets", id],
  /** Every candle query of one dataset (after an import adds to it). */
  candlesOf: (datasetId: string) => ["candles", datasetId],
} as const;
