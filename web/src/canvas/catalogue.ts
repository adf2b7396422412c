// The block catalogue: fetched once (the server caches it for five minutes), indexed by kind,
// and the words the canvas uses for port types and refused connections.
import { useQuery } from "@tanstack/react-query";
import type { BlockList } from "../api/types";
import { blocksQuery } from "../hooks/queries";
import type { BlockSpec, PortSpec } from "./types";

export interface Catalogue {
  blocks: BlockSpec[];
  byKind: Map<string, BlockSpec>;
  categories: { id: string; label: string; blocks: BlockSpec[] }[];
}

const CATEGORY_LABELS: Record<string, string> = {
  inputs: "Prices and numbers",
  moving_averages: "Moving averages",
  momentum: "Momentum",
  volume: "Volume",
  trend: "Trend",
  volatility: "Volatility",
  math: "Math",
  conditions: "Conditions (yes/no)",
  logic: "Logic: and, or, not",
  actions: "Buy and sell",
  risk: "Risk and position size",
};

export function categoryLabel(id: string): string {
  if (CATEGORY_LABELS[id]) return CATEGORY_LABELS[id];
  const words = id.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function buildCatalogue(blocks: BlockSpec[]): Catalogue {
  const byKind = new Map(blocks.map((b) => [b.kind, b]));
  const order: string[] = [];
  const groups = new Map<string, BlockSpec[]>();
  for (const b of blocks) {
    if (!groups.has(b.category)) {
      groups.set(b.category, []);
      order.push(b.category);
    }
    groups.get(b.category)!.push(b);
  }
  return {
    blocks,
    byKind,
    categories: order.map((id) => ({ id, label: categoryLabel(id), blocks: groups.get(id)! })),
  };
}

const toCatalogue = (list: BlockList) => buildCatalogue(list.blocks);

export function useCatalogue() {
  return useQuery({ ...blocksQuery(), select: toCatalogue, staleTime: 5 * 60_000 });
}

/** The plain word for a port type. */
export function typeWord(type: string): string {
  if (type === "boolean") return "true/false";
  if (type === "number") return "number";
  return type;
}

/** Why an output of `from` type cannot feed an input of `to` type; null when it can. */
export function typeMismatch(from: string, to: string): string | null {
  if (from === to) return null;
  const article = (t: string) => (/^[aeiou]/.test(typeWord(t)) ? "An" : "A");
  const hint =
    from === "boolean"
      ? " Conditions give true/false; connect a price, an indicator or a number here."
      : " Use a condition block (such as 'Is above') to turn numbers into true/false.";
  return `${article(from)} ${typeWord(from)} output cannot feed ${article(to).toLowerCase()} ${typeWord(to)} input.${hint}`;
}

export function findPort(spec: BlockSpec | undefined, side: "in" | "out", name: string): PortSpec | undefined {
  if (!spec) return undefined;
  return (side === "in" ? spec.inputs : spec.outputs).find((p) => p.name === name);
}
