// The settings of a strategy's blocks, read from a saved version with the block catalogue: the
// strategy page's settings form and its sweep both list them.
import type { BlockInfo, BlockParam, StrategyDocument, StrategyNode } from "../api/types";

export interface ParamRef {
  node: StrategyNode;
  block?: BlockInfo;
  param: BlockParam;
  value: unknown;
}

export function nodeName(node: StrategyNode, block?: BlockInfo): string {
  return node.label ?? block?.name ?? node.id;
}

/** The parameters of the graph's blocks with their catalogue entries: those the strategy sets,
 * or with `all` every parameter (the rest at their defaults). */
export function graphParams(graph: StrategyDocument, catalogue: Map<string, BlockInfo>, all = false): ParamRef[] {
  const out: ParamRef[] = [];
  for (const node of graph.nodes) {
    const block = catalogue.get(node.kind);
    const given: Record<string, unknown> = node.params ?? {};
    const params: BlockParam[] = block?.params ?? Object.keys(given).map((name) => ({ name, label: name, type: "number" }));
    for (const param of params) {
      const set = given[param.name];
      if (set === undefined && !all) continue;
      const value = set ?? param.default;
      if (value === undefined) continue;
      out.push({ node, block, param, value });
    }
  }
  return out;
}
