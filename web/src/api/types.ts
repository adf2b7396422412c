// Names for the generated schema types. Runs and reports are aliases of the spec's schemas,
// which the server derives from the engine's Rust types. The block catalogue and a node's
// params stay HAND-TYPED (their shape is data, not a schema); report.ts is the one place an
// answer is read as them.
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

// --- Runs and their reports: typed end to end from the engine's Rust types -------------

export type Run = Schemas["RunView"];
export type RunPage = Schemas["RunPage"];
export type RunDetail = Schemas["RunDetail"];
export type EquityView = Schemas["EquityView"];
export type TradePage = Schemas["TradePage"];
export type CompareView = Schemas["CompareView"];
export type CompareRow = Schemas["CompareRow"];
export type Metrics = Schemas["Metrics"];
export type RunSummary = Schemas["RunSummary"];
export type BacktestSummary = Schemas["BacktestSummary"];
export type SweepSummary = Schemas["SweepSummary"];
export type RunParameters = Schemas["RunParameters"];
export type Trade = Schemas["Trade"];
export type EquityPoint = Schemas["EquityPoint"];
export type Assumptions = Schemas["Assumptions"];
export type RunWarning = Schemas["Warning"];
export type SweepResult = Schemas["SweepReport"];
export type SweepRow = Schemas["SweepRow"];
export type SettingsRanges = Schemas["SettingsRanges"];

// --- The robustness lab: walk-forward, holdout, Monte Carlo, random entries, DSR, PBO ----

export type CreateRobustness = Schemas["CreateRobustnessRequest"];
export type RobustnessDetail = Schemas["RobustnessDetail"];
export type RobustnessSummary = Schemas["RobustnessSummary"];
export type RobustnessParameters = Schemas["RobustnessRequest"];
export type LabReport = Schemas["LabReport"];
export type Verdict = Schemas["Verdict"];
export type VerdictLevel = Schemas["VerdictLevel"];
export type Level = Schemas["Level"];
export type Check = Schemas["Check"];
export type Objective = Schemas["Objective"];
export type WindowMode = Schemas["WindowMode"];
export type MonteCarlo = Schemas["MonteCarlo"];
export type Distribution = Schemas["Distribution"];
export type WalkForwardReport = Schemas["WalkForwardReport"];
export type WalkForwardWindow = Schemas["WalkForwardWindow"];
export type SweepAssumptions = Schemas["SweepAssumptions"];
export type SweepAxis = Schemas["Axis"];
export type SweepConstraint = Schemas["Constraint"];

// --- Paper trading: a strategy trading candles as they close (or replayed), no money ------

export type PaperRun = Schemas["PaperRunView"];
export type PaperRunList = Schemas["PaperRunList"];
export type PaperPosition = Schemas["PaperPosition"];
export type PaperLedgerEntry = Schemas["PaperLedgerEntry"];
export type PaperLedger = Schemas["PaperLedger"];
export type PaperEquity = Schemas["PaperEquity"];
export type CreatePaperRun = Schemas["CreatePaperRunRequest"];
export type PaperAlertConfig = Schemas["AlertConfig"];
export type DriftReport = Schemas["DriftReport"];
export type DriftNumbers = Schemas["DriftNumbers"];
export type DriftDifference = Schemas["DriftDifference"];
export type DriftTrade = Schemas["DriftTrade"];
export type DriftCause = Schemas["DriftCause"];
/** A ledger entry as the app keeps it: the spec leaves `payload` open, so it is read field by
 * field as `unknown` (an answer's entry is one; an event's is checked into one). */
export type LedgerItem = Omit<PaperLedgerEntry, "payload"> & { payload: Record<string, unknown> };

// --- Templates and compliance review: the public gallery, publishing, the reviewer queue ----

export type Template = Schemas["TemplateView"];
export type TemplatePage = Schemas["TemplatePage"];
export type VerifiedCard = Schemas["TemplateCard"];
export type CardRobustness = Schemas["CardRobustness"];
export type Gate = Schemas["Gate"];
export type GatesView = Schemas["GatesView"];
export type PublishRequest = Schemas["PublishRequest"];
export type CloneTemplate = Schemas["CloneView"];
export type Review = Schemas["ReviewView"];
export type ComplianceEvent = Schemas["ComplianceEventView"];
export type ComplianceEventPage = Schemas["ComplianceEventPage"];
export type DecideRequest = Schemas["DecideRequest"];

// --- Cohorts: an educator's groups of students, their templates and the dashboard ----------

export type Cohort = Schemas["CohortView"];
export type CohortList = Schemas["CohortList"];
export type CohortDetail = Schemas["CohortDetail"];
export type CohortMember = Schemas["MemberView"];
export type CohortDashboard = Schemas["CohortDashboard"];
export type TemplateOutcome = Schemas["TemplateOutcome"];
export type CreateCohort = Schemas["CreateCohortRequest"];

/** The metrics the app shows, each a field of `Metrics` (`ShownMetrics` fails to compile
 * when one is not). */
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

export type ShownMetrics = Pick<Metrics, MetricKey>;

/** A sweep's swept parameters (a backtest has none). */
export function sweepAxes(p: RunParameters): Schemas["Axis"][] {
  return "axes" in p ? p.axes : [];
}

/** A backtest's summary (a sweep's has no `metrics`). */
export function backtestSummary(s: RunSummary | null | undefined): BacktestSummary | undefined {
  return s && "metrics" in s ? s : undefined;
}

/** A sweep's summary (a robustness run's has `combinations` too, but no `sort`). */
export function sweepSummary(s: RunSummary | null | undefined): SweepSummary | undefined {
  return s && "sort" in s ? s : undefined;
}

/** A robustness run's summary: the overall verdict and each check's level. */
export function robustnessSummary(s: RunSummary | null | undefined): RobustnessSummary | undefined {
  return s && "verdicts" in s ? s : undefined;
}

/** A robustness run's parameters (the lab's settings), when `p` is one. */
export function robustnessParameters(p: RunParameters): RobustnessParameters | undefined {
  return "lab" in p ? p : undefined;
}

// --- HAND-TYPED: the block catalogue and strategy node params (open in the spec) -------

/** `GET /api/v1/blocks` (the whole answer is open in the spec). */
export interface BlockList {
  blocks: BlockSpec[];
}

/** A strategy document as the app writes it (`StrategyNode.params` is open in the spec). */
export type GraphDocument = Omit<StrategyDocument, "nodes"> & { nodes: GraphNode[] };

export type GraphNode = Omit<StrategyNode, "params"> & { params?: Record<string, unknown> | null };

// --- HAND-TYPED: the catalogue's blocks ---------------------------------------------

export interface BlockParam {
  name: string;
  label: string;
  type: "number" | "integer" | "choice" | "boolean" | string;
  default?: unknown;
  min?: number;
  max?: number;
  unit?: string | null;
  options?: string[];
  used_when?: UsedWhen | null;
}

/** A parameter that only matters while another of its block's parameters (a choice such as
 * `mode`) has one of `values`. */
export interface UsedWhen {
  param: string;
  values: string[];
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
  used_when?: UsedWhen | null;
}

// Strategy files and audit packages.
export type ExportCreated = Schemas["ExportCreated"];
export type StrategyFile = Schemas["StrategyFile"];
export type StrategyImported = Schemas["StrategyImported"];
export type AuditPackage = Schemas["AuditPackageView"];
export type AuditManifest = Schemas["AuditManifestView"];

// --- Webhooks: endpoints, their signed deliveries and each delivery's attempts ---------------

export type WebhookEndpoint = Schemas["EndpointView"];
export type WebhookEndpointList = Schemas["EndpointList"];
export type WebhookKind = Schemas["KindView"];
export type WebhookDelivery = Schemas["DeliveryView"];
export type WebhookDeliveryPage = Schemas["DeliveryPage"];
export type WebhookDeliveryDetail = Schemas["DeliveryDetail"];
export type WebhookAttempt = Schemas["AttemptView"];
