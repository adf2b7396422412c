// Names for the generated schema types, plus the shapes the spec leaves as free-form objects
// (metrics, trades, equity points, the assumptions card), as the server sends them.
import type { Schemas } from "./client";

export type User = Schemas["UserView"];
export type Session = Schemas["Session"];
export type Strategy = Schemas["StrategyView"];
export type StrategyPage = Schemas["StrategyPage"];
export type StrategyCreated = Schemas["StrategyCreated"];
export type VersionSummary = Schemas["VersionSummary"];
export type VersionView = Schemas["VersionView"];
export type VersionCreated = Schemas["VersionCreated"];
export type Diagnostic = Schemas["Diagnostic"];
export type Dataset = Schemas["DatasetView"];
export type DatasetList = Schemas["DatasetList"];
export type CandleColumns = Schemas["CandleColumns"];
export type Run = Schemas["RunView"];
export type RunPage = Schemas["RunPage"];
export type RunDetail = Schemas["RunDetail"];
export type CreateBacktest = Schemas["CreateBacktestRequest"];
export type CreateSweep = Schemas["CreateSweepRequest"];
export type CompareView = Schemas["CompareView"];
export type Notification = Schemas["NotificationView"];
export type NotificationPage = Schemas["NotificationPage"];
export type MarkedRead = Schemas["MarkedRead"];
export type PlanUsage = Schemas["PlanUsageView"];
export type Usage = Schemas["Usage"];
export type TradePage = Schemas["TradePage"];

/** The metrics of a backtest (`RunDetail.metrics`, `summary.metrics`, sweep rows). */
export type Metrics = Partial<Record<MetricKey, number | null>> & Record<string, unknown>;

export type MetricKey =
  | "total_return_pct"
  | "cagr_pct"
  | "max_drawdown_pct"
  | "sharpe"
  | "sortino"
  | "calmar"
  | "volatility_pct"
  | "win_rate_pct"
  | "profit_factor"
  | "trades"
  | "exposure_pct"
  | "expectancy"
  | "best_trade_pct"
  | "worst_trade_pct"
  | "buy_and_hold_return_pct"
  | "total_fees"
  | "total_slippage"
  | "average_win"
  | "average_loss"
  | "average_holding_bars";

export interface RunSummary {
  dataset?: string;
  strategy?: string;
  timeframe?: string;
  initial_capital?: number;
  final_equity?: number;
  from_ts?: number;
  to_ts?: number;
  metrics?: Metrics;
  warnings?: string[];
}

export interface RunParameters {
  dataset_id?: string;
  timeframe?: string | null;
  from_ms?: number | null;
  to_ms?: number | null;
  initial_capital?: number;
  fee_pct?: number;
  slippage_bps?: number;
  fill?: string;
  allow_short?: boolean;
  gap_policy?: string;
  axes?: { node: string; param: string; values: number[] }[];
  constraints?: { left: string; op: string; right: string }[];
}

export interface Trade {
  side: "long" | "short" | string;
  entry_ts: number;
  entry_price: number;
  exit_ts: number;
  exit_price: number;
  entry_index?: number;
  exit_index?: number;
  quantity: number;
  pnl: number;
  pnl_pct: number;
  fees: number;
  slippage: number;
  exit_reason: string;
}

export interface EquityPoint {
  ts: number;
  equity: number;
  drawdown_pct: number;
}

export interface Assumptions {
  fill_rule?: string;
  fill_rule_text?: string;
  fee_pct?: number;
  slippage_bps?: number;
  slippage_text?: string;
  intrabar_path?: string;
  sizing?: string;
  risk_rules?: string[];
  shorts_allowed?: boolean;
  initial_capital?: number;
  crossing_rule?: string;
  data?: {
    candles?: number;
    dataset_id?: string;
    from_ts?: number;
    to_ts?: number;
    timeframe?: string;
    source?: string;
    gap_count?: number;
    missing_bars?: number;
    gap_handling?: string;
    warmup_bars?: number;
    quality?: { summary?: string[] };
  };
}

export interface RunWarning {
  code: string;
  message: string;
}

export interface SweepResult {
  axes: string[];
  combinations?: number;
  grid_size?: number;
  sort?: string;
  rows: { values: number[]; metrics: Metrics }[];
}

export interface BlockParam {
  name: string;
  label: string;
  type: "number" | "integer" | "choice" | "boolean" | string;
  default?: unknown;
  min?: number;
  max?: number;
  unit?: string | null;
  options?: string[];
}

export interface BlockInfo {
  kind: string;
  name: string;
  category: string;
  explanation: string;
  params: BlockParam[];
}

export interface GraphNode {
  id: string;
  kind: string;
  label?: string;
  params?: Record<string, unknown>;
  [k: string]: unknown;
}
