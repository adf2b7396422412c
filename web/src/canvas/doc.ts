// Pure functions on the strategy document. Every edit returns a new document and keeps the
// objects it did not touch, so memoised blocks re-render only when they change.
import type { BlockSpec, DocEdge, DocNode, PortRef, Position, StrategyDoc } from "./types";
import type { Catalogue } from "./catalogue";
import { findPort, typeMismatch } from "./catalogue";

export const SCHEMA_VERSION = 2;

export function emptyDoc(name: string): StrategyDoc {
  return { schema_version: SCHEMA_VERSION, name: name || "My strategy", nodes: [], edges: [] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a document from the server or a stored draft, filling what may be left out. */
export function normalizeDoc(raw: unknown, fallbackName: string): StrategyDoc {
  if (!isObject(raw)) return emptyDoc(fallbackName);
  const nodes: DocNode[] = Array.isArray(raw.nodes)
    ? raw.nodes.filter(isObject).map((n) => {
        const pos = isObject(n.position) ? n.position : {};
        const node: DocNode = {
          id: String(n.id ?? ""),
          kind: String(n.kind ?? ""),
          params: isObject(n.params) ? { ...n.params } : {},
          position: { x: Number(pos.x) || 0, y: Number(pos.y) || 0 },
        };
        if (typeof n.label === "string" && n.label) node.label = n.label;
        return node;
      })
    : [];
  const ref = (r: unknown): PortRef => (isObject(r) ? { node: String(r.node ?? ""), port: String(r.port ?? "") } : { node: "", port: "" });
  const edges: DocEdge[] = Array.isArray(raw.edges)
    ? raw.edges.filter(isObject).map((e) => ({ from: ref(e.from), to: ref(e.to) }))
    : [];
  const doc: StrategyDoc = {
    schema_version: typeof raw.schema_version === "number" ? raw.schema_version : SCHEMA_VERSION,
    name: typeof raw.name === "string" && raw.name ? raw.name : fallbackName || "My strategy",
    nodes,
    edges,
  };
  if (typeof raw.description === "string" && raw.description) doc.description = raw.description;
  return autoLayout(doc);
}

/**
 * Documents written by hand often leave positions out, which stacks every block on one spot.
 * When all blocks share one position, lay them out left to right by how far they are from
 * the inputs (a block one column right of everything feeding it).
 */
export function autoLayout(doc: StrategyDoc): StrategyDoc {
  if (doc.nodes.length < 2) return doc;
  const p0 = doc.nodes[0].position;
  if (!doc.nodes.every((n) => n.position.x === p0.x && n.position.y === p0.y)) return doc;
  const inputs = new Map<string, string[]>();
  for (const e of doc.edges) {
    if (!inputs.has(e.to.node)) inputs.set(e.to.node, []);
    inputs.get(e.to.node)!.push(e.from.node);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a loop: the validator reports it
    visiting.add(id);
    const d = Math.max(-1, ...(inputs.get(id) ?? []).map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      const col = depthOf(n.id);
      const row = rows.get(col) ?? 0;
      rows.set(col, row + 1);
      return { ...n, position: { x: p0.x + col * 290, y: p0.y + row * 150 } };
    }),
  };
}

/** The document as the API takes it (no empty optional fields; positions rounded). */
export function toWire(doc: StrategyDoc): StrategyDoc {
  return {
    schema_version: doc.schema_version,
    name: doc.name,
    ...(doc.description ? { description: doc.description } : {}),
    nodes: doc.nodes.map((n) => ({
      id: n.id,
      kind: n.kind,
      ...(Object.keys(n.params).length ? { params: n.params } : {}),
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.label ? { label: n.label } : {}),
    })) as DocNode[],
    edges: doc.edges,
  };
}

/** JSON with sorted keys, so two equal documents give the same text. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** A key that changes when validation could answer differently (positions do not count). */
export function semanticKey(doc: StrategyDoc): string {
  return stableStringify({
    name: doc.name,
    nodes: doc.nodes.map((n) => ({ id: n.id, kind: n.kind, params: n.params })),
    edges: doc.edges,
  });
}

export function docKey(doc: StrategyDoc): string {
  return stableStringify(toWire(doc));
}

export function newNodeId(doc: StrategyDoc, kind: string): string {
  const taken = new Set(doc.nodes.map((n) => n.id));
  if (!taken.has(kind)) return kind;
  for (let i = 2; ; i++) if (!taken.has(`${kind}_${i}`)) return `${kind}_${i}`;
}

export function defaultParams(spec: BlockSpec): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of spec.params) if (p.default !== null && p.default !== undefined) params[p.name] = p.default;
  return params;
}

export function addNode(doc: StrategyDoc, spec: BlockSpec, position: Position, id = newNodeId(doc, spec.kind)): StrategyDoc {
  const node: DocNode = { id, kind: spec.kind, params: defaultParams(spec), position };
  return { ...doc, nodes: [...doc.nodes, node] };
}

export function removeNodes(doc: StrategyDoc, ids: Iterable<string>): StrategyDoc {
  const gone = new Set(ids);
  if (gone.size === 0) return doc;
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !gone.has(n.id)),
    edges: doc.edges.filter((e) => !gone.has(e.from.node) && !gone.has(e.to.node)),
  };
}

export function sameRef(a: PortRef, b: PortRef): boolean {
  return a.node === b.node && a.port === b.port;
}

export function sameEdge(a: DocEdge, b: DocEdge): boolean {
  return sameRef(a.from, b.from) && sameRef(a.to, b.to);
}

/** Connects an output to an input; an input takes one connection, so an old one is replaced. */
export function connect(doc: StrategyDoc, from: PortRef, to: PortRef): StrategyDoc {
  const edges = doc.edges.filter((e) => !sameRef(e.to, to));
  edges.push({ from: { ...from }, to: { ...to } });
  return { ...doc, edges };
}

export function disconnect(doc: StrategyDoc, edges: DocEdge[]): StrategyDoc {
  if (edges.length === 0) return doc;
  return { ...doc, edges: doc.edges.filter((e) => !edges.some((g) => sameEdge(e, g))) };
}

function updateNode(doc: StrategyDoc, id: string, fn: (n: DocNode) => DocNode): StrategyDoc {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? fn(n) : n)) };
}

export function setParam(doc: StrategyDoc, id: string, name: string, value: unknown): StrategyDoc {
  return updateNode(doc, id, (n) => {
    const params = { ...n.params };
    if (value === undefined) delete params[name];
    else params[name] = value;
    return { ...n, params };
  });
}

export function setLabel(doc: StrategyDoc, id: string, label: string): StrategyDoc {
  return updateNode(doc, id, (n) => {
    const next = { ...n };
    if (label.trim()) next.label = label;
    else delete next.label;
    return next;
  });
}

export function moveNodes(doc: StrategyDoc, moves: Map<string, Position>): StrategyDoc {
  if (moves.size === 0) return doc;
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      const p = moves.get(n.id);
      return p && (p.x !== n.position.x || p.y !== n.position.y) ? { ...n, position: { x: p.x, y: p.y } } : n;
    }),
  };
}

/** Whether `to` already leads (through connections) to `from`: connecting would make a loop. */
export function wouldLoop(doc: StrategyDoc, fromNode: string, toNode: string): boolean {
  if (fromNode === toNode) return true;
  const next = new Map<string, string[]>();
  for (const e of doc.edges) {
    if (!next.has(e.from.node)) next.set(e.from.node, []);
    next.get(e.from.node)!.push(e.to.node);
  }
  const seen = new Set<string>();
  const stack = [toNode];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === fromNode) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const n of next.get(id) ?? []) stack.push(n);
  }
  return false;
}

/** Why an output cannot be connected to an input, in words; null when it can. */
export function connectionProblem(doc: StrategyDoc, catalogue: Catalogue, from: PortRef, to: PortRef): string | null {
  if (from.node === to.node) return "A block cannot feed itself: connect it to another block.";
  const fromNode = doc.nodes.find((n) => n.id === from.node);
  const toNode = doc.nodes.find((n) => n.id === to.node);
  const out = findPort(catalogue.byKind.get(fromNode?.kind ?? ""), "out", from.port);
  const inp = findPort(catalogue.byKind.get(toNode?.kind ?? ""), "in", to.port);
  if (!out || !inp) return "Connect an output (on a block's right side) to an input (on a block's left side).";
  const mismatch = typeMismatch(out.type, inp.type);
  if (mismatch) return mismatch;
  if (wouldLoop(doc, from.node, to.node)) return "That connection would make a loop: a value cannot depend on itself.";
  return null;
}

export function nodeTitle(node: DocNode, spec: BlockSpec | undefined): string {
  return node.label || spec?.name || `Unknown block "${node.kind}"`;
}
