// The inspector's values on the canvas: for one bar of a run, each block's outputs as marks
// ("true", "false" or the number) keyed by block id. The action blocks show whether their
// signal (every action block of that kind, or-ed) fired on that bar.
import type { Schemas } from "../api/client";
import { price } from "../lib/format";
import type { Catalogue } from "./catalogue";
import type { StrategyDoc } from "./types";

export interface BlockMark {
  /** The output's label ("Signal" for an action block), with the timeframe when not the base one. */
  label: string;
  /** What the block shows: "true", "false", the number, or "no value yet" while it warms up. */
  text: string;
  state: "true" | "false" | "number" | "none";
}

export const NO_MARKS: BlockMark[] = [];

export function inspectMarks(inspection: Schemas["Inspection"], doc: StrategyDoc, catalogue: Catalogue): Map<string, BlockMark[]> {
  const at = inspection.bars.indexOf(inspection.ts);
  const out = new Map<string, BlockMark[]>();
  if (at < 0) return out;
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  for (const col of inspection.columns) {
    const signal = col.node === "signal";
    const targets = signal ? doc.nodes.filter((n) => n.kind === col.port) : [byId.get(col.node)].filter((n) => !!n);
    if (!targets.length) continue;
    let mark: BlockMark;
    if (col.flags) {
      const on = col.flags[at] === true;
      mark = { label: "", text: on ? "true" : "false", state: on ? "true" : "false" };
    } else {
      const v = col.numbers?.[at];
      mark = v === null || v === undefined ? { label: "", text: "no value yet", state: "none" } : { label: "", text: price(v), state: "number" };
    }
    const tf = col.name.includes("@") ? col.name.slice(col.name.indexOf("@") + 1) : "";
    for (const n of targets) {
      const spec = catalogue.byKind.get(n.kind);
      const port = signal ? "Signal" : (spec?.outputs.find((o) => o.name === col.port)?.label ?? col.port);
      const list = out.get(n.id) ?? [];
      list.push({ ...mark, label: tf ? `${port} (${tf})` : port });
      out.set(n.id, list);
    }
  }
  return out;
}

/** The marks in words, for a block's accessible name: "on the inspected bar: Result true". */
export function marksWords(marks: BlockMark[]): string {
  if (!marks.length) return "";
  return `on the inspected bar: ${marks.map((m) => (marks.length > 1 ? `${m.label} ${m.text}` : m.text)).join(", ")}`;
}
