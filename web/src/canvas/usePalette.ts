// The palette beside the canvas: open on a computer, folded away on a tablet (it would cover
// the canvas), and blocks dragged from it dropped where the pointer is.
import { useCallback, useEffect, useState, type DragEvent } from "react";
import { useReactFlow, type Edge } from "@xyflow/react";
import type { BlockFlowNode } from "./BlockNode";
import { DRAG_TYPE } from "./Palette";
import type { Position } from "./types";
import type { Layout } from "./useMedia";

export function usePaletteOpen(layout: Layout) {
  const [paletteOpen, setPaletteOpen] = useState(layout === "desktop");
  // On a tablet the palette starts folded away; on a computer it starts open.
  useEffect(() => setPaletteOpen(layout === "desktop"), [layout]);
  return [paletteOpen, setPaletteOpen] as const;
}

export function usePaletteDrop(readOnly: boolean, addBlock: (kind: string, at?: Position) => void) {
  const rf = useReactFlow<BlockFlowNode, Edge>();
  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  }, []);
  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_TYPE);
      if (!kind || readOnly) return;
      e.preventDefault();
      addBlock(kind, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [addBlock, readOnly, rf],
  );
  return { onDragOver, onDrop };
}
