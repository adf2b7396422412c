// Undo and redo over whole documents. Edits that arrive in a burst with the same key (typing
// in one field, nudging a block with the arrow keys) merge into one step.
import { useCallback, useMemo, useReducer } from "react";
import type { StrategyDoc } from "./types";

const LIMIT = 200;
const MERGE_MS = 1200;

interface State {
  past: StrategyDoc[];
  present: StrategyDoc;
  future: StrategyDoc[];
  lastKey: string | null;
  lastAt: number;
}

type Action =
  | { type: "apply"; fn: (doc: StrategyDoc) => StrategyDoc; key: string | null; at: number }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "reset"; doc: StrategyDoc };

function reducer(s: State, a: Action): State {
  switch (a.type) {
    case "apply": {
      const next = a.fn(s.present);
      if (next === s.present) return s;
      const merge = a.key !== null && a.key === s.lastKey && a.at - s.lastAt < MERGE_MS && s.past.length > 0;
      return {
        past: merge ? s.past : [...s.past, s.present].slice(-LIMIT),
        present: next,
        future: [],
        lastKey: a.key,
        lastAt: a.at,
      };
    }
    case "undo":
      if (!s.past.length) return s;
      return {
        past: s.past.slice(0, -1),
        present: s.past[s.past.length - 1],
        future: [s.present, ...s.future],
        lastKey: null,
        lastAt: 0,
      };
    case "redo":
      if (!s.future.length) return s;
      return { past: [...s.past, s.present], present: s.future[0], future: s.future.slice(1), lastKey: null, lastAt: 0 };
    case "reset":
      return { past: [], present: a.doc, future: [], lastKey: null, lastAt: 0 };
  }
}

export interface History {
  doc: StrategyDoc;
  canUndo: boolean;
  canRedo: boolean;
  /** Applies an edit; `key` merges a burst of edits of the same thing into one undo step. */
  apply: (fn: (doc: StrategyDoc) => StrategyDoc, key?: string) => void;
  /** Replaces the document as one undoable step. */
  replace: (doc: StrategyDoc) => void;
  undo: () => void;
  redo: () => void;
  reset: (doc: StrategyDoc) => void;
}

export function useHistory(initial: StrategyDoc): History {
  const [s, dispatch] = useReducer(reducer, initial, (doc) => ({ past: [], present: doc, future: [], lastKey: null, lastAt: 0 }));
  const apply = useCallback(
    (fn: (doc: StrategyDoc) => StrategyDoc, key?: string) => dispatch({ type: "apply", fn, key: key ?? null, at: Date.now() }),
    [],
  );
  const replace = useCallback((doc: StrategyDoc) => dispatch({ type: "apply", fn: () => doc, key: null, at: Date.now() }), []);
  const undo = useCallback(() => dispatch({ type: "undo" }), []);
  const redo = useCallback(() => dispatch({ type: "redo" }), []);
  const reset = useCallback((doc: StrategyDoc) => dispatch({ type: "reset", doc }), []);
  return useMemo(
    () => ({ doc: s.present, canUndo: s.past.length > 0, canRedo: s.future.length > 0, apply, replace, undo, redo, reset }),
    [s, apply, replace, undo, redo, reset],
  );
}
