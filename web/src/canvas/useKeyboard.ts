// Keyboard shortcuts: Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) anywhere but in a text field, Enter
// on a block to jump to its settings, Escape in the settings to go back to the block, and
// Tab onto a block to select it.
import { useCallback, useEffect, type Dispatch, type FocusEvent, type KeyboardEvent, type MutableRefObject, type RefObject, type SetStateAction } from "react";
import { focusNode } from "./focus";
import type { History } from "./history";
import type { SideTab } from "./useBlockEditing";

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

interface Options {
  readOnly: boolean;
  history: History;
  selectedRef: MutableRefObject<string | null>;
  headingRef: RefObject<HTMLHeadingElement | null>;
  setSelectedId: Dispatch<SetStateAction<string | null>>;
  setSelectedEdge: Dispatch<SetStateAction<string | null>>;
  setTab: Dispatch<SetStateAction<SideTab>>;
}

export function useKeyboard({ readOnly, history, selectedRef, headingRef, setSelectedId, setSelectedEdge, setTab }: Options) {
  useEffect(() => {
    if (readOnly) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || isTyping(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === "z" && !e.shiftKey) {
        e.preventDefault();
        history.undo();
      } else if ((k === "z" && e.shiftKey) || k === "y") {
        e.preventDefault();
        history.redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [readOnly, history]);

  const onFlowKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      const el = e.target as HTMLElement;
      if (e.key === "Enter" && el.classList.contains("react-flow__node")) {
        const id = el.dataset.id;
        if (!id) return;
        setSelectedId(id);
        setTab("block");
        requestAnimationFrame(() => headingRef.current?.focus());
      }
    },
    [headingRef, setSelectedId, setTab],
  );
  const onFlowFocus = useCallback(
    (e: FocusEvent<HTMLDivElement>) => {
      const el = e.target as HTMLElement;
      if (el.classList.contains("react-flow__node") && el.dataset.id && el.dataset.id !== selectedRef.current) {
        setSelectedId(el.dataset.id);
        setSelectedEdge(null);
      }
    },
    [selectedRef, setSelectedId, setSelectedEdge],
  );
  const onInspectorKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      if (e.key === "Escape" && selectedRef.current) {
        e.preventDefault();
        focusNode(selectedRef.current);
      }
    },
    [selectedRef],
  );

  return { onFlowKeyDown, onFlowFocus, onInspectorKeyDown };
}
