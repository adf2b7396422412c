// Where the app's own shapes meet the spec's: the block catalogue, read into the canvas's
// flat parameter shape, and the canvas's strategy document as a request body. No casts:
// runs and reports are the spec's types end to end.
import type { Schemas } from "./client";
import type { BlockList, GraphDocument, ParamSpec } from "./types";

/** `GET /api/v1/blocks`, read into the canvas's flat parameter shape (each parameter's
 * kind narrowed on its `type`). */
export function blockList(b: Schemas["Catalogue"]): BlockList {
  return {
    blocks: b.blocks.map((s) => ({
      kind: s.kind,
      category: s.category,
      name: s.name,
      explanation: s.explanation,
      warmup: s.warmup,
      inputs: s.inputs,
      outputs: s.outputs,
      params: s.params.map(param),
    })),
  };
}

function param(p: Schemas["ParamSpec"]): ParamSpec {
  const base = { name: p.name, label: p.label, unit: p.unit ?? null, used_when: p.used_when ?? null };
  switch (p.type) {
    case "choice":
      return { ...base, type: "choice", default: p.default, options: p.options };
    case "integer":
    case "number":
      return { ...base, type: p.type, default: p.default, min: p.min, max: p.max };
  }
}

/** A strategy document as a request body. */
export function specGraph(doc: GraphDocument): Schemas["StrategyGraph"] {
  return doc;
}
