// Names for the generated schema types, plus the shapes the spec leaves as free-form objects
// (metrics, trades, equity points, the assumptions card, the block catalogue), as the server
// sends them.
//
// The types marked HAND-TYPED below replace a field the spec leaves open (`{}`); report.ts is
// the one place where an answer is read as them. When the spec types those fields, these
// become plain aliases of `Schemas[...]` and report.ts goes away.
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
export type CreateBacktest = Schemas["CreateBacktestRequest"];
export type CreateSweep = Schemas["CreateSweepRequest"];
export type Notification = Schemas["NotificationView"];
export type NotificationPage = Schemas["NotificationPage"];
export type MarkedRead = Schemas["MarkedRead"];
export type PlanUsage = Schemas["PlanUsageView"];
export type Usage = Schemas["Usage"];
export type StrategyDocument = Schemas["StrategyDocument"];
export type StrategyNode = Schemas["StrategyNode"];

// --- HAND-TYPED: answers with fields the spec leaves open (read through report.ts) -------

/** A backtest or sweep (`RunView`) with its `parameters` and `summary`. */
export type Run = Omit<Schemas["RunView"], "parameters" | "summary"> & {
  parameters: RunParameters;
  summary?: RunSummary | null;
};

export type RunPage = Omit<Schemas["RunPage"], "items"> & { items: Run[] };

/** A run with its report (`RunDetail`). `monthly_returns` has no reader in the app yet. */
export type RunDetail = Run &
  Pick<Schemas["RunDetail"], "monthly_returns"> & {
    assumptions?: Assumptions | null;
    metrics?: Metrics | null;
    sweep?: SweepResult | null;
    warnings?: RunWarning[] | null;
  };

export type EquityView = Omit<Schemas["EquityView"], "points"> & { points: EquityPoint[] };

export type TradePage = Omit<Schemas["TradePage"], "items"> & { items: Trade[] };

export type CompareView = Omit<Schemas["CompareView"], "metrics" | "runs"> & { metrics: CompareRow[]; runs: Run[] };

/** `GET /api/v1/blocks` (the whole answer is open in the spec). */
export interface BlockList {
  blocks: BlockSpec[];
}

/** A strategy document as the app writes it (`StrategyNode.params` is open in the spec). */
export type GraphDocument = Omit<StrategyDocument, "nodes"> & { nodes: GraphNode[] };

export type GraphNode = Omit<StrategyNode, "params"> & { params?: Record<string, unknown> | null };

// --- HAND-TYPED: the open fields themselves ------------------------------------------------

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

export interface CompareRow {
  metric: string;
  values: (number | null)[];
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

/** A block of the catalogue as the canvas reads it: kind, category, name, explanation, typed
 * params and ports. */
export interface BlockSpec {
  kind: string;
  category: string;
  name: string;
  explanation: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: ParamSpec[];
  warmup?: string;
}

export type PortType = "number" | "boolean";

export interface PortSpec {
  name: string;
  label: string;
  type: PortType | string;
}

export interface ParamSpec {
  name: string;
  label: string;
  type: "integer" | "number" | "choice" | string;
  default: number | string | boolean | null;
  min?: number;
  max?: number;
  options?: string[];
  unit: string | null;
}
