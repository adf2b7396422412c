// Inline validation: the document goes to `POST /api/v1/validate` 400 ms after the last change
// that could matter (moving a block does not), and only the newest answer is kept.
import { useEffect, useRef, useState } from "react";
import { api, ApiError, data } from "../api/client";
import { specGraph } from "../api/report";
import { semanticKey, toWire } from "./doc";
import type { Diagnostic, StrategyDoc } from "./types";

export const VALIDATE_DEBOUNCE_MS = 400;

export interface Validation {
  diagnostics: Diagnostic[];
  valid: boolean | null;
  checking: boolean;
  error: string | null;
  /** How many requests went out (for tests and the 100-block check). */
  requests: number;
}

export function useValidation(doc: StrategyDoc, enabled: boolean, fixed?: Diagnostic[]): Validation {
  const key = semanticKey(doc);
  const docRef = useRef(doc);
  docRef.current = doc;
  const seq = useRef(0);
  const [state, setState] = useState<Validation>({ diagnostics: [], valid: null, checking: enabled, error: null, requests: 0 });

  useEffect(() => {
    if (!enabled) return;
    const mine = ++seq.current;
    setState((s) => (s.checking ? s : { ...s, checking: true }));
    const timer = setTimeout(async () => {
      try {
        const r = await data(api.POST("/api/v1/validate", { body: { graph: specGraph(toWire(docRef.current)) } }));
        if (mine !== seq.current) return;
        setState((s) => ({ diagnostics: r.diagnostics, valid: r.valid, checking: false, error: null, requests: s.requests + 1 }));
      } catch (e) {
        if (mine !== seq.current) return;
        const message =
          e instanceof ApiError ? e.message : "The strategy could not be checked (is the connection down?). It will be checked again on your next change.";
        setState((s) => ({ ...s, checking: false, error: message, requests: s.requests + 1 }));
      }
    }, VALIDATE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key, enabled]);

  if (!enabled) {
    const diagnostics = fixed ?? [];
    return { diagnostics, valid: !diagnostics.some((d) => d.severity === "error"), checking: false, error: null, requests: state.requests };
  }
  return state;
}
