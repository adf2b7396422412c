// Wiring a block without a mouse: for one port, the list of ports it could connect to (those
// of the wrong type, or that would make a loop, greyed out with the reason) and a Connect
// button.
import { useId, useState } from "react";
import type { Catalogue } from "./catalogue";
import { typeMismatch, typeWord } from "./catalogue";
import { nodeTitle, wouldLoop } from "./doc";
import type { PortRef, StrategyDoc } from "./types";

export interface Candidate {
  ref: PortRef;
  label: string;
  problem: string | null;
  replaces: boolean;
}

function portKey(r: PortRef): string {
  return `${r.node}\u0000${r.port}`;
}

function parseKey(k: string): PortRef {
  const [node, port] = k.split("\u0000");
  return { node, port };
}

export function ConnectRow({
  label,
  candidates,
  onConnect,
  emptyText,
}: {
  label: string;
  candidates: Candidate[];
  onConnect: (r: PortRef) => void;
  emptyText: string;
}) {
  const id = useId();
  const usable = candidates.filter((c) => !c.problem);
  const [choice, setChoice] = useState("");
  const value = usable.some((c) => portKey(c.ref) === choice) ? choice : usable[0] ? portKey(usable[0].ref) : "";
  if (candidates.length === 0) return <p className="bb-hint">{emptyText}</p>;
  const blocked = candidates.length - usable.length;
  return (
    <div className="bb-connect">
      <label htmlFor={id}>{label}</label>
      <div className="bb-connect-row">
        <select id={id} value={value} onChange={(e) => setChoice(e.target.value)} aria-describedby={`${id}-hint`}>
          {usable.length === 0 && <option value="">No matching port</option>}
          {candidates.map((c) => (
            <option key={portKey(c.ref)} value={portKey(c.ref)} disabled={!!c.problem}>
              {c.label}
              {c.problem ? ` — ${c.problem}` : c.replaces ? " (replaces its current connection)" : ""}
            </option>
          ))}
        </select>
        <button type="button" disabled={!value} onClick={() => value && onConnect(parseKey(value))}>
          Connect
        </button>
      </div>
      <p id={`${id}-hint`} className="bb-hint">
        {usable.length} {usable.length === 1 ? "port fits" : "ports fit"}
        {blocked ? `; ${blocked} greyed out (wrong type or would make a loop)` : ""}.
      </p>
    </div>
  );
}

/** The outputs of other blocks that could feed input `port` (of `type`) of block `nodeId`. */
export function inputCandidates(doc: StrategyDoc, catalogue: Catalogue, nodeId: string, port: string, type: string): Candidate[] {
  const out: Candidate[] = [];
  for (const n of doc.nodes) {
    if (n.id === nodeId) continue;
    const s = catalogue.byKind.get(n.kind);
    for (const o of s?.outputs ?? []) {
      const mismatch = typeMismatch(o.type, type) ? `gives a ${typeWord(o.type)}, not a ${typeWord(type)}` : null;
      out.push({
        ref: { node: n.id, port: o.name },
        label: `${nodeTitle(n, s)} (${n.id}) → ${o.label} (${typeWord(o.type)})`,
        problem: mismatch ?? (wouldLoop(doc, n.id, nodeId) ? "would make a loop" : null),
        replaces: doc.edges.some((e) => e.to.node === nodeId && e.to.port === port),
      });
    }
  }
  return out;
}

/** The inputs of other blocks that an output (of `type`) of block `nodeId` could feed. */
export function outputCandidates(doc: StrategyDoc, catalogue: Catalogue, nodeId: string, type: string): Candidate[] {
  const out: Candidate[] = [];
  for (const n of doc.nodes) {
    if (n.id === nodeId) continue;
    const s = catalogue.byKind.get(n.kind);
    for (const i of s?.inputs ?? []) {
      const mismatch = typeMismatch(type, i.type) ? `takes a ${typeWord(i.type)}, not a ${typeWord(type)}` : null;
      out.push({
        ref: { node: n.id, port: i.name },
        label: `${nodeTitle(n, s)} (${n.id}) → ${i.label} (${typeWord(i.type)})`,
        problem: mismatch ?? (wouldLoop(doc, nodeId, n.id) ? "would make a loop" : null),
        replaces: doc.edges.some((e) => e.to.node === n.id && e.to.port === i.name),
      });
    }
  }
  // Free inputs first: they are what a beginner is most likely looking for.
  return out.sort((a, b) => Number(a.replaces) - Number(b.replaces));
}
