// Datasets are refreshed on use: before a backtest on a dataset fetched from Binance (shared,
// `source` "binance") that should run up to now, ask the server for its candles up to now
// (POST /market/requests). Stored already: nothing to do. Otherwise the shared fetch brings
// the new candles (one for everyone) and this waits for it, reporting its progress. Offline,
// the backtest goes ahead on what is stored and the caller says so.
import { ApiError, api, data } from "./client";
import type { Dataset } from "./types";

/** Whether a dataset is refreshed from Binance before use. */
export function refreshable(d: Dataset | undefined): d is Dataset {
  return !!d && d.source === "binance" && !d.owner_id && d.first_ts != null;
}

/**
 * Brings `d` up to now. Resolves to `null` when it is up to date, else a sentence saying why
 * the stored candles are used as they are.
 */
export async function bringUpToDate(d: Dataset, onProgress: (percent: number | null) => void): Promise<string | null> {
  try {
    const body = { symbol: d.symbol, timeframe: d.timeframe, from: new Date(d.first_ts ?? 0).toISOString() };
    const answer = await data(api.POST("/api/v1/market/requests", { body }));
    if (answer.ready || !answer.fetch) return null;
    const id = answer.fetch.id;
    onProgress(0);
    // At most ten minutes; a person is watching the progress.
    for (let i = 0; i < 850; i++) {
      await new Promise((ok) => setTimeout(ok, 700));
      const job = await data(api.GET("/api/v1/market/fetches/{id}", { params: { path: { id } } }));
      if (job.status === "succeeded") return null;
      if (job.status === "failed" || job.status === "cancelled") {
        return `The newest candles could not be fetched (${job.error ?? job.status}); the backtest uses the candles stored so far.`;
      }
      onProgress(job.progress?.percent ?? 0);
    }
    return "Fetching the newest candles is taking long; the backtest uses the candles stored so far.";
  } catch (err) {
    const why = err instanceof ApiError ? err.message : "the server could not be reached";
    return `The newest candles could not be fetched: ${why} The backtest uses the candles stored so far.`;
  } finally {
    onProgress(null);
  }
}
