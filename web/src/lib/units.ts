// The currency unit of a run's money and prices: the quote currency of its dataset's symbol
// (BTC for ETH-BTC, USD for BTC-USD), from the dataset list or the run's summary text.
import type { Dataset, Run } from "../api/types";
import { quoteOf } from "./format";

export function runUnit(run: Run | undefined, datasets?: Dataset[]): string | undefined {
  if (!run) return undefined;
  const id = run.dataset_id;
  const ds = id ? datasets?.find((d) => d.id === id) : undefined;
  return quoteOf(ds?.symbol) ?? quoteOf(run.summary?.dataset);
}
