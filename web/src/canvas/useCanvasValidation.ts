// Validation as the canvas shows it: the diagnostics grouped by block (each block keeps the
// same list object while its problems are unchanged, so it does not re-render), the error
// and warning counts, and the one-line summary in the toolbar.
import { useMemo, useRef } from "react";
import { countProblems, problemWords } from "./BlockNode";
import type { Diagnostic, StrategyDoc } from "./types";
import { useValidation } from "./useValidation";

/** `viewing`: a saved version shown read-only, with the diagnostics it was saved with. */
export function useCanvasValidation(doc: StrategyDoc, viewing: { diagnostics: Diagnostic[] } | null) {
  const validation = useValidation(doc, viewing === null, viewing?.diagnostics);
  const diagCache = useRef(new Map<string, { key: string; list: Diagnostic[] }>());
  const diagsByNode = useMemo(() => {
    const groups = new Map<string, Diagnostic[]>();
    for (const d of validation.diagnostics) {
      if (!d.node) continue;
      if (!groups.has(d.node)) groups.set(d.node, []);
      groups.get(d.node)!.push(d);
    }
    const out = new Map<string, Diagnostic[]>();
    const next = new Map<string, { key: string; list: Diagnostic[] }>();
    for (const [id, list] of groups) {
      const key = JSON.stringify(list);
      const prev = diagCache.current.get(id);
      const kept = prev && prev.key === key ? prev : { key, list };
      next.set(id, kept);
      out.set(id, kept.list);
    }
    diagCache.current = next;
    return out;
  }, [validation.diagnostics]);
  const totals = countProblems(validation.diagnostics);
  const summary =
    validation.valid === null && validation.checking
      ? "Checking the strategy…"
      : validation.diagnostics.length === 0
        ? "No problems found"
        : `${problemWords(totals.errors, totals.warnings)} found`;
  return { validation, diagsByNode, totals, summary };
}
