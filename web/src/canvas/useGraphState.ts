// The editor's graph state: the strategy document with undo and redo (`useHistory`, the one
// source of truth), a ref that always holds the newest document (for callbacks that must not
// change identity on every edit), and which block or connection is selected.
import { useRef, useState } from "react";
import { useHistory } from "./history";
import type { StrategyDoc } from "./types";

export function useGraphState(initialDoc: StrategyDoc) {
  const history = useHistory(initialDoc);
  const { doc, apply } = history;
  const docRef = useRef(doc);
  docRef.current = doc;
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  return { history, doc, apply, docRef, selectedId, setSelectedId, selectedRef, selectedEdge, setSelectedEdge };
}

export type GraphState = ReturnType<typeof useGraphState>;
