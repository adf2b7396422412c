// Where the spec leaves a field open (`{}`: a run's parameters and summary, the report's
// metrics, assumptions, warnings and sweep, equity points, trades, compare metrics, the block
// catalogue, a strategy node's params), this is the ONE place an answer is read as (or a
// request written from) the HAND-TYPED shapes in types.ts. Each open field has exactly one
// conversion, marked `SPEC GAP`; nothing else in the app converts API data.
//
// When the spec types those fields: delete this file, make the HAND-TYPED types in types.ts
// aliases of `Schemas[...]`, and drop the calls (all in hooks/queries.ts, plus `specGraph` in
// canvas/SavePanel.tsx, canvas/useValidation.ts and pages/StrategySettings.tsx).
import type { Schemas } from "./client";
import type {
  Assumptions,
  BlockList,
  CompareRow,
  CompareView,
  EquityPoint,
  EquityView,
  GraphDocument,
  Metrics,
  Run,
  RunDetail,
  RunPage,
  RunParameters,
  RunSummary,
  RunWarning,
  SweepResult,
  Trade,
  TradePage,
} from "./types";

/** A run (`RunView`) with its `parameters` and `summary`. */
export function runView(r: Schemas["RunView"]): Run {
  return {
    ...r,
    parameters: r.parameters as RunParameters, // SPEC GAP: RunView.parameters
    summary: r.summary as RunSummary | null | undefined, // SPEC GAP: RunView.summary
  };
}

export function runPage(p: Schemas["RunPage"]): RunPage {
  return { ...p, items: p.items.map(runView) };
}

/** A run with its report (`GET /backtests/{id}`, `GET /sweeps/{id}`). */
export function runDetail(r: Schemas["RunDetail"]): RunDetail {
  return {
    ...r,
    ...runView(r),
    assumptions: r.assumptions as Assumptions | null | undefined, // SPEC GAP: RunDetail.assumptions
    metrics: r.metrics as Metrics | null | undefined, // SPEC GAP: RunDetail.metrics
    sweep: r.sweep as SweepResult | null | undefined, // SPEC GAP: RunDetail.sweep
    warnings: r.warnings as unknown as RunWarning[] | null | undefined, // SPEC GAP: RunDetail.warnings
  };
}

export function equityView(e: Schemas["EquityView"]): EquityView {
  return { ...e, points: e.points as unknown as EquityPoint[] }; // SPEC GAP: EquityView.points
}

export function tradePage(t: Schemas["TradePage"]): TradePage {
  return { ...t, items: t.items as unknown as Trade[] }; // SPEC GAP: TradePage.items
}

export function compareView(c: Schemas["CompareView"]): CompareView {
  return {
    ...c,
    metrics: c.metrics as unknown as CompareRow[], // SPEC GAP: CompareView.metrics
    runs: c.runs.map(runView),
  };
}

/** `GET /api/v1/blocks`, whose whole answer the spec leaves open. */
export function blockList(b: Record<string, never>): BlockList {
  return b as unknown as BlockList; // SPEC GAP: the blocks answer
}

/** A strategy document as a request body (`StrategyNode.params` is open in the spec). */
export function specGraph(doc: GraphDocument): Schemas["StrategyGraph"] {
  return doc as Schemas["StrategyDocument"]; // SPEC GAP: StrategyNode.params
}
