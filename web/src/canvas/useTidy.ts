// The "Tidy up" button: lays the whole graph out again (`tidy.ts`) as one undoable step,
// keeping its top-left corner where it was, then shows it at a readable zoom.
import { useCallback, type MutableRefObject, type RefObject } from "react";
import { useReactFlow, type Edge } from "@xyflow/react";
import type { BlockFlowNode } from "./BlockNode";
import type { Catalogue } from "./catalogue";
import { moveNodes } from "./doc";
import type { Sizes } from "./layout";
import { tidyPositions } from "./tidy";
import type { Position, StrategyDoc } from "./types";
import { showReadable } from "./viewport";

interface Options {
  catalogue: Catalogue;
  docRef: MutableRefObject<StrategyDoc>;
  measuredRef: MutableRefObject<Sizes>;
  flowRef: RefObject<HTMLDivElement | null>;
  apply: (fn: (doc: StrategyDoc) => StrategyDoc, key?: string) => void;
  say: (text: string) => void;
}

export function useTidy({ catalogue, docRef, measuredRef, flowRef, apply, say }: Options) {
  const rf = useReactFlow<BlockFlowNode, Edge>();
  return useCallback(() => {
    const doc = docRef.current;
    if (doc.nodes.length === 0) return;
    const laid = tidyPositions(doc, catalogue, measuredRef.current);
    const x0 = Math.min(...doc.nodes.map((n) => n.position.x));
    const y0 = Math.min(...doc.nodes.map((n) => n.position.y));
    const moves = new Map<string, Position>();
    for (const [id, p] of laid) moves.set(id, { x: Math.round(p.x + x0), y: Math.round(p.y + y0) });
    apply((d) => moveNodes(d, moves));
    say("Tidied up: blocks laid out left to right. Undo (Ctrl+Z) puts them back.");
    // After React Flow has the new positions.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        const r = flowRef.current?.getBoundingClientRect();
        if (r) showReadable(rf, r.width, r.height, 200);
      }),
    );
  }, [catalogue, docRef, measuredRef, flowRef, apply, say, rf]);
}
