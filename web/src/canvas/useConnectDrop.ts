// A connection dragged from a port and dropped on empty canvas opens a menu of the blocks
// that fit that port; the one picked is added where the drag ended, already connected
// (one undo step). A drop anywhere else keeps React Flow's usual handling (`fallback`).
import { useCallback, useState, type MutableRefObject, type RefObject } from "react";
import { useReactFlow, type Edge, type OnConnectEnd } from "@xyflow/react";
import type { BlockFlowNode } from "./BlockNode";
import type { Catalogue } from "./catalogue";
import { nodeTitle } from "./doc";
import { focusNodeSoon } from "./focus";
import { NODE_W } from "./layout";
import type { Position, StrategyDoc } from "./types";
import type { AddLink } from "./useBlockEditing";

export interface ConnectDrop {
  link: AddLink;
  /** "SMA → Value": the port the drag started from, in words. */
  portWords: string;
  /** Where the menu opens, in pixels from the canvas's top-left corner. */
  menuAt: Position;
  /** Where the new block goes, in the canvas's coordinates. */
  blockAt: Position;
}

interface Options {
  readOnly: boolean;
  catalogue: Catalogue;
  docRef: MutableRefObject<StrategyDoc>;
  flowRef: RefObject<HTMLDivElement | null>;
  addBlock: (kind: string, at?: Position, link?: AddLink) => string | undefined;
  fallback: OnConnectEnd;
}

export const MENU_W = 260;
export const MENU_H = 340;

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(v, hi));

function pointer(e: MouseEvent | TouchEvent): { x: number; y: number } | null {
  if ("clientX" in e) return { x: e.clientX, y: e.clientY };
  const t = e.changedTouches[0];
  return t ? { x: t.clientX, y: t.clientY } : null;
}

export function useConnectDrop({ readOnly, catalogue, docRef, flowRef, addBlock, fallback }: Options) {
  const rf = useReactFlow<BlockFlowNode, Edge>();
  const [drop, setDrop] = useState<ConnectDrop | null>(null);

  const onConnectEnd: OnConnectEnd = useCallback(
    (e, state) => {
      const from = state.fromHandle;
      // Empty canvas: the pane (which holds the blocks and connections) but no block or connection.
      const onPane =
        e.target instanceof Element && !!e.target.closest(".react-flow__pane") && !e.target.closest(".react-flow__node, .react-flow__edge");
      const at = pointer(e);
      const rect = flowRef.current?.getBoundingClientRect();
      if (readOnly || state.isValid || state.toHandle || !from || !from.id || !onPane || !at || !rect) {
        fallback(e, state);
        return;
      }
      const node = docRef.current.nodes.find((n) => n.id === from.nodeId);
      const spec = node ? catalogue.byKind.get(node.kind) : undefined;
      const port = (from.type === "source" ? spec?.outputs : spec?.inputs)?.find((p) => p.name === from.id);
      if (!node || !port) {
        fallback(e, state);
        return;
      }
      const flow = rf.screenToFlowPosition(at);
      setDrop({
        link: { node: node.id, port: port.name, side: from.type, type: port.type },
        portWords: `${nodeTitle(node, spec)} → ${port.label}`,
        // Kept inside the canvas.
        menuAt: { x: clamp(at.x - rect.left, 4, rect.width - MENU_W - 4), y: clamp(at.y - rect.top, 4, rect.height - MENU_H - 4) },
        // addBlock centres a block on the point: an output's new block starts right of the
        // drop, an input's ends left of it, so the connection runs left to right.
        blockAt: { x: from.type === "source" ? flow.x + NODE_W / 2 + 10 : flow.x - NODE_W / 2 - 10, y: flow.y },
      });
    },
    [readOnly, catalogue, docRef, flowRef, rf, fallback],
  );

  const pick = useCallback(
    (kind: string) => {
      if (!drop) return;
      const id = addBlock(kind, drop.blockAt, drop.link);
      setDrop(null);
      // The keyboard goes on from the new block (or the one the drag started from).
      focusNodeSoon(id ?? drop.link.node);
    },
    [drop, addBlock],
  );
  /** `refocus`: back to the block the drag started from (Escape, Cancel; not a click elsewhere). */
  const close = useCallback(
    (refocus: boolean) => {
      if (refocus && drop) focusNodeSoon(drop.link.node);
      setDrop(null);
    },
    [drop],
  );
  return { onConnectEnd, drop, pick, close };
}
