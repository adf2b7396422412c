import type { Dataset } from "../api/types";
import { date, timeframeWords } from "../lib/format";

export function datasetLabel(d: Dataset): string {
  const range = d.first_ts ? `${date(d.first_ts)} to ${date(d.last_ts)}` : "empty";
  return `${d.symbol} · ${timeframeWords(d.timeframe)} candles · ${range}${d.source === "demo" ? " (demo)" : ""}`;
}

/** The default dataset: BTC-USD daily when there is one. */
export function defaultDataset(items: Dataset[]): Dataset | undefined {
  return (
    items.find((d) => d.symbol === "BTC-USD" && d.timeframe === "1d") ??
    items.find((d) => d.symbol.startsWith("BTC")) ??
    items[0]
  );
}

export function DatasetOptions({ items }: { items: Dataset[] }) {
  const sorted = [...items].sort((a, b) => a.symbol.localeCompare(b.symbol) || a.timeframe.localeCompare(b.timeframe));
  return (
    <>
      {sorted.map((d) => (
        <option key={d.id} value={d.id}>
          {datasetLabel(d)}
        </option>
      ))}
    </>
  );
}
