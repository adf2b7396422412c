// The view a strategy opens at: everything in view when it fits, but never zoomed out below
// READABLE_ZOOM (block text stays at least about 12 px on screen). A graph too big for that
// is shown from its top-left corner, where a strategy starts reading, and the rest is a pan
// (or the fit-view button) away.
import { useEffect, useRef } from "react";
import { useNodesInitialized, useReactFlow, useStore, type Edge, type ReactFlowInstance } from "@xyflow/react";
import type { BlockFlowNode } from "./BlockNode";

export const READABLE_ZOOM = 0.85;
const PAD = 24;

type Flow = ReactFlowInstance<BlockFlowNode, Edge>;

/** Moves the view to the readable fit of every block in a `width` × `height` canvas. */
export function showReadable(rf: Flow, width: number, height: number, duration = 0) {
  const nodes = rf.getNodes();
  if (!nodes.length || !width || !height) return;
  const b = rf.getNodesBounds(nodes);
  const fit = Math.min((width - 2 * PAD) / Math.max(1, b.width), (height - 2 * PAD) / Math.max(1, b.height));
  const zoom = Math.min(1, Math.max(READABLE_ZOOM, fit));
  const place = (size: number, start: number, room: number) =>
    size * zoom + 2 * PAD <= room ? (room - size * zoom) / 2 - start * zoom : PAD - start * zoom;
  void rf.setViewport({ x: place(b.width, b.x, width), y: place(b.height, b.y, height), zoom }, { duration });
}

/** Inside <ReactFlow>: once the first blocks are measured, opens at the readable view. */
export function InitialView() {
  const rf = useReactFlow<BlockFlowNode, Edge>();
  const ready = useNodesInitialized();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const done = useRef(false);
  useEffect(() => {
    if (done.current || !ready || !width || !height) return;
    done.current = true;
    showReadable(rf, width, height);
  }, [ready, width, height, rf]);
  return null;
}
