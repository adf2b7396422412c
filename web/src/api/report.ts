// Where the spec leaves a field open (`{}`: the block catalogue, whose shape is data, and a
// strategy node's params), this is the ONE place an answer is read as (or a request written
// from) the HAND-TYPED shapes in types.ts. Each open field has exactly one conversion,
// marked `SPEC GAP`; nothing else in the app converts API data. Runs and reports are typed
// by the spec end to end.
import type { Schemas } from "./client";
import type { BlockList, GraphDocument } from "./types";

/** `GET /api/v1/blocks`, whose whole answer the spec leaves open. */
export function blockList(b: Record<string, never>): BlockList {
  return b as unknown as BlockList; // SPEC GAP: the blocks answer
}

/** A strategy document as a request body (`StrategyNode.params` is open in the spec). */
export function specGraph(doc: GraphDocument): Schemas["StrategyGraph"] {
  return doc as Schemas["StrategyDocument"]; // SPEC GAP: StrategyNode.params
}
