// What each metric is called and what it means, in plain words, for KPI cards, the compare
// table and sweeps.
import type { MetricKey, Metrics } from "../api/types";
import { money, num, pct } from "./format";

export interface MetricInfo {
  key: MetricKey;
  label: string;
  explain: string;
  format: (v: number | null | undefined) => string;
  /** Whether a larger value is better (for colouring and sorting). */
  higherIsBetter: boolean;
  /** Neither more nor less is better in itself (trades, time in the market). */
  neutral?: boolean;
}

const ratio = (v: number | null | undefined) => num(v, 2);
const count = (v: number | null | undefined) => num(v, 0);
const p = (v: number | null | undefined) => pct(v, 1);
const plainPct = (v: number | null | undefined) => pct(v, 1, false);

export const METRICS: Record<MetricKey, MetricInfo> = {
  total_return_pct: {
    key: "total_return_pct",
    label: "Total return",
    explain:
      "How much the starting money grew or shrank over the whole test, after fees and slippage. +50% means 10,000 became 15,000.",
    format: p,
    higherIsBetter: true,
  },
  cagr_pct: {
    key: "cagr_pct",
    label: "Yearly growth (CAGR)",
    explain:
      "The average growth per year, as if the money had grown at a steady pace. It makes tests of different lengths comparable.",
    format: p,
    higherIsBetter: true,
  },
  max_drawdown_pct: {
    key: "max_drawdown_pct",
    label: "Worst drop (max drawdown)",
    explain:
      "The biggest fall from a high point of your account to a later low point. −30% means at one moment you would have lost almost a third of your best balance.",
    format: p,
    higherIsBetter: true,
  },
  sharpe: {
    key: "sharpe",
    label: "Sharpe ratio",
    explain:
      "Return for each unit of ups and downs. Above 1 is good, above 2 is very good; below 0 means the strategy lost money.",
    format: ratio,
    higherIsBetter: true,
  },
  sortino: {
    key: "sortino",
    label: "Sortino ratio",
    explain: "Like the Sharpe ratio, but only the downward swings count as risk. Higher is better.",
    format: ratio,
    higherIsBetter: true,
  },
  calmar: {
    key: "calmar",
    label: "Calmar ratio",
    explain: "Yearly growth divided by the worst drop. Higher means more growth for the pain along the way.",
    format: ratio,
    higherIsBetter: true,
  },
  volatility_pct: {
    key: "volatility_pct",
    label: "Volatility",
    explain: "How much the account value swings, per year. Lower means a smoother ride.",
    format: plainPct,
    higherIsBetter: false,
  },
  win_rate_pct: {
    key: "win_rate_pct",
    label: "Win rate",
    explain:
      "The share of trades that made money. A low win rate can still be profitable when the winners are much bigger than the losers.",
    format: plainPct,
    higherIsBetter: true,
  },
  profit_factor: {
    key: "profit_factor",
    label: "Profit factor",
    explain: "Money won on winning trades divided by money lost on losing ones. Above 1 means it made more than it lost.",
    format: ratio,
    higherIsBetter: true,
  },
  trades: {
    key: "trades",
    label: "Trades",
    explain: "How many round trips (in and out of the market) the strategy made. With only a few trades the result may be luck.",
    format: count,
    higherIsBetter: true,
    neutral: true,
  },
  exposure_pct: {
    key: "exposure_pct",
    label: "Time in the market",
    explain: "The share of the time the strategy held a position. The rest of the time the money waited in cash.",
    format: plainPct,
    higherIsBetter: true,
    neutral: true,
  },
  expectancy: {
    key: "expectancy",
    label: "Average result per trade",
    explain: "What one trade made or lost on average, in money.",
    format: (v) => money(v),
    higherIsBetter: true,
  },
  best_trade_pct: {
    key: "best_trade_pct",
    label: "Best trade",
    explain: "The single most profitable trade, in percent.",
    format: p,
    higherIsBetter: true,
  },
  worst_trade_pct: {
    key: "worst_trade_pct",
    label: "Worst trade",
    explain: "The single biggest losing trade, in percent.",
    format: p,
    higherIsBetter: true,
  },
  buy_and_hold_return_pct: {
    key: "buy_and_hold_return_pct",
    label: "Buy and hold",
    explain: "What simply buying at the start and holding to the end would have returned, without any strategy.",
    format: p,
    higherIsBetter: true,
  },
  total_fees: {
    key: "total_fees",
    label: "Fees paid",
    explain: "All exchange fees the trades paid, in money.",
    format: (v) => money(v),
    higherIsBetter: false,
  },
  total_slippage: {
    key: "total_slippage",
    label: "Slippage cost",
    explain: "What getting slightly worse prices than on screen cost in total, in money.",
    format: (v) => money(v),
    higherIsBetter: false,
  },
  average_win: {
    key: "average_win",
    label: "Average win",
    explain: "What a winning trade made on average, in money.",
    format: (v) => money(v),
    higherIsBetter: true,
  },
  average_loss: {
    key: "average_loss",
    label: "Average loss",
    explain: "What a losing trade lost on average, in money.",
    format: (v) => money(v),
    higherIsBetter: true,
  },
  average_holding_bars: {
    key: "average_holding_bars",
    label: "Average bars held",
    explain: "How many candles a trade stayed open on average.",
    format: (v) => num(v, 1),
    higherIsBetter: false,
  },
};

/** The eight headline KPIs on the results page, in order. */
export const KPI_KEYS: MetricKey[] = [
  "total_return_pct",
  "cagr_pct",
  "max_drawdown_pct",
  "sharpe",
  "win_rate_pct",
  "profit_factor",
  "trades",
  "exposure_pct",
];

export function metricInfo(key: string): MetricInfo {
  return (
    METRICS[key as MetricKey] ?? {
      key: key as MetricKey,
      label: key.replace(/_pct$/, " %").replace(/_/g, " "),
      explain: "",
      format: (v: number | null | undefined) => num(v, 2),
      higherIsBetter: true,
    }
  );
}

/** Short readable name of a swept parameter like `fast.period`. */
export function paramLabel(axis: string): string {
  const [node, param] = axis.split(".");
  return `${node} ${param ?? ""}`.trim();
}

/** A metric's value; null or missing when the run has none. */
export function metricValue(m: Metrics | null | undefined, key: string): number | null | undefined {
  const v = m ? Object.entries(m).find(([k]) => k === key)?.[1] : undefined;
  return typeof v === "number" || v === null ? v : undefined;
}
