// The settings of a strategy's blocks, read from a saved version with the block catalogue: the
// strategy page's settings form and its sweep both list them.
import type { BlockInfo, BlockParam, StrategyDocument, StrategyNode } from "../api/types";
import { paramUsed } from "../lib/params";

export interface ParamRef {
  node: StrategyNode;
  block?: BlockInfo;
  param: BlockParam;
  value: unknown;
  /** The strategy sets it (otherwise it is at its default). */
  given: boolean;
}

export function nodeName(node: StrategyNode, block?: BlockInfo): string {
  return node.label ?? block?.name ?? node.id;
}

/** The parameters of the graph's blocks with their catalogue entries: those the strategy sets,
 * or with `all` every parameter (the rest at their defaults); never one the block's mode leaves
 * unused (a percent stop's ATR multiple) unless `unused`. */
export function graphParams(graph: StrategyDocument, catalogue: Map<string, BlockInfo>, all = false, unused = false): ParamRef[] {
  const out: ParamRef[] = [];
  for (const node of graph.nodes) {
    const block = catalogue.get(node.kind);
    const given: Record<string, unknown> = node.params ?? {};
    const params: BlockParam[] = block?.params ?? Object.keys(given).map((name) => ({ name, label: name, type: "number" }));
    for (const param of params) {
      if (!unused && !paramUsed(param, params, given)) continue;
      const set = given[param.name];
      if (set === undefined && !all) continue;
      const value = set ?? param.default;
      if (value === undefined) continue;
      out.push({ node, block, param, value, given: set !== undefined });
    }
  }
  return out;
}

/** A swept setting: `node.param` from a start to an end in steps (as typed). */
export interface AxisRange {
  key: string;
  start: string;
  end: string;
  step: string;
}

/** Five values centred on the current one (two steps either side), kept inside the block's
 * min and max from the catalogue; the window slides inward rather than leave the range. */
export function defaultAxis(p: ParamRef): AxisRange {
  const key = `${p.node.id}.${p.param.name}`;
  const int = p.param.type === "integer";
  const min = p.param.min ?? (int ? 1 : undefined);
  const max = p.param.max ?? undefined;
  let v = Number(p.value);
  if (!Number.isFinite(v)) v = Number(p.param.default ?? min ?? 1);
  if (!Number.isFinite(v)) v = 1;
  const span = Math.abs(v) * 0.25 || 1;
  let step = int ? Math.max(1, Math.round(span)) : Number(span.toPrecision(2));
  if (min !== undefined && max !== undefined && max > min) {
    // No more than the range can hold in five values.
    const fit = (max - min) / 4;
    if (step > fit) step = int ? Math.max(1, Math.floor(fit)) : Number(fit.toPrecision(2));
  }
  const round = (x: number) => (int ? Math.round(x) : Number(x.toFixed(10)));
  let start = round(v - 2 * step);
  let end = round(v + 2 * step);
  if (min !== undefined && start < min) {
    end = round(end + (min - start));
    start = min;
  }
  if (max !== undefined && end > max) {
    start = round(start - (end - max));
    end = max;
    if (min !== undefined && start < min) start = min;
  }
  return { key, start: String(start), end: String(end), step: String(step) };
}

