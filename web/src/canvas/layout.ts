// Where blocks go and how the document's edges map to React Flow's: block sizes before React
// Flow has measured them, the free spot for a new block, and edge ids.
import type { Edge } from "@xyflow/react";
import type { DocEdge, Position, StrategyDoc } from "./types";

export const NODE_W = 180;
export const NODE_H = 110;
/** The space between columns of blocks (room for the connections) and between rows. */
export const COL_GAP = 45;
export const ROW_GAP = 30;
const GAP = 30;

export type Sizes = Map<string, { width: number; height: number }>;

export function edgeId(e: DocEdge): string {
  return `${e.from.node}\u0001${e.from.port}\u0002${e.to.node}\u0001${e.to.port}`;
}

export function edgeFromFlow(e: Pick<Edge, "source" | "sourceHandle" | "target" | "targetHandle">): DocEdge {
  return { from: { node: e.source, port: e.sourceHandle ?? "" }, to: { node: e.target, port: e.targetHandle ?? "" } };
}

/** The free spot nearest `want`: down the same column first, then the next columns. */
export function freeSpot(doc: StrategyDoc, sizes: Sizes, want: Position): Position {
  const rects = doc.nodes.map((n) => ({
    x: n.position.x,
    y: n.position.y,
    w: sizes.get(n.id)?.width ?? NODE_W,
    h: sizes.get(n.id)?.height ?? NODE_H,
  }));
  const free = (p: Position) =>
    rects.every((r) => p.x + NODE_W + GAP <= r.x || r.x + r.w + GAP <= p.x || p.y + NODE_H + GAP <= r.y || r.y + r.h + GAP <= p.y);
  for (let col = 0; col < 12; col++) {
    for (let row = 0; row < 12; row++) {
      const p = { x: want.x + col * (NODE_W + GAP * 2), y: want.y + row * (NODE_H / 2 + GAP) };
      if (free(p)) return p;
    }
  }
  return want;
}
