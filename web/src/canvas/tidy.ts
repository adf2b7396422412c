// "Tidy up": a left-to-right layered layout of the whole graph by dagre (inputs on the left,
// Buy/Sell on the right). Blocks that end a strategy (no outputs, such as Buy or a stop) share
// the last column; blocks with no connections are stacked under the first or last column.
import { Graph, layout } from "@dagrejs/dagre";
import type { Catalogue } from "./catalogue";
import { COL_GAP, NODE_H, NODE_W, ROW_GAP, type Sizes } from "./layout";
import type { Position, StrategyDoc } from "./types";

export function tidyPositions(doc: StrategyDoc, catalogue: Catalogue, sizes: Sizes): Map<string, Position> {
  const size = (id: string) => sizes.get(id) ?? { width: NODE_W, height: NODE_H };
  const isSink = (kind: string) => (catalogue.byKind.get(kind)?.outputs.length ?? 1) === 0;
  const linked = new Set(doc.edges.flatMap((e) => [e.from.node, e.to.node]));
  const known = new Set(doc.nodes.map((n) => n.id));
  const edges = doc.edges.filter((e) => known.has(e.from.node) && known.has(e.to.node) && e.from.node !== e.to.node);

  // The longest path from an input to each block, so edges into a sink can ask for enough
  // length to put every sink in the last column.
  const preds = new Map<string, string[]>();
  for (const e of edges) preds.set(e.to.node, [...(preds.get(e.to.node) ?? []), e.from.node]);
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const d0 = depth.get(id);
    if (d0 !== undefined) return d0;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const d = Math.max(-1, ...(preds.get(id) ?? []).map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const kindOf = new Map(doc.nodes.map((n) => [n.id, n.kind]));
  const maxDepth = Math.max(0, ...doc.nodes.filter((n) => linked.has(n.id)).map((n) => depthOf(n.id)));

  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: ROW_GAP, ranksep: COL_GAP, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  // Added in reverse: dagre then keeps the document's order from top to bottom.
  for (const n of [...doc.nodes].reverse()) if (linked.has(n.id)) g.setNode(n.id, { ...size(n.id) });
  for (const e of [...edges].reverse()) {
    const sinkTo = isSink(kindOf.get(e.to.node) ?? "");
    const minlen = sinkTo ? Math.max(1, maxDepth - depthOf(e.from.node)) : 1;
    const old = g.edge(e.from.node, e.to.node) as { weight?: number; minlen?: number } | undefined;
    g.setEdge(e.from.node, e.to.node, { weight: (old?.weight ?? 0) + 1, minlen: Math.max(minlen, old?.minlen ?? 1) });
  }
  layout(g);

  const out = new Map<string, Position>();
  let right = 0;
  for (const n of doc.nodes) {
    if (!linked.has(n.id)) continue;
    const { x, y } = g.node(n.id) as { x: number; y: number };
    const { width, height } = size(n.id);
    const p = { x: Math.round(x - width / 2), y: Math.round(y - height / 2) };
    out.set(n.id, p);
    right = Math.max(right, p.x);
  }
  const loose = doc.nodes.filter((n) => !linked.has(n.id));
  if (out.size === 0 && loose.some((n) => !isSink(n.kind))) right = NODE_W + COL_GAP;
  // Unconnected blocks: endings under the last column, the rest under the first.
  const columnBottom = (x: number) => Math.max(-ROW_GAP, ...[...out].filter(([, p]) => p.x === x).map(([id, p]) => p.y + size(id).height));
  let leftY = columnBottom(0) + ROW_GAP;
  let rightY = columnBottom(right) + ROW_GAP;
  for (const n of loose) {
    const { height } = size(n.id);
    if (isSink(n.kind)) {
      out.set(n.id, { x: right, y: rightY });
      rightY += height + ROW_GAP;
    } else {
      out.set(n.id, { x: 0, y: leftY });
      leftY += height + ROW_GAP;
    }
  }
  return out;
}
