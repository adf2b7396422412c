// The unsaved draft of each strategy, kept in localStorage so a reload loses nothing.
import type { StrategyDoc } from "./types";

export interface Draft {
  doc: StrategyDoc;
  /** The saved version the draft started from (0: none yet). */
  baseVersion: number;
  savedAt: number;
}

const key = (strategyId: string) => `bb.canvas.draft.${strategyId}`;

export function loadDraft(strategyId: string): Draft | null {
  try {
    const raw = localStorage.getItem(key(strategyId));
    if (!raw) return null;
    const d = JSON.parse(raw) as Draft;
    if (!d || typeof d !== "object" || !d.doc || !Array.isArray(d.doc.nodes)) return null;
    return d;
  } catch {
    return null;
  }
}

export function saveDraft(strategyId: string, draft: Draft): void {
  try {
    localStorage.setItem(key(strategyId), JSON.stringify(draft));
  } catch {
    // storage full or disabled: the canvas still works, the draft just does not survive a reload
  }
}

export function clearDraft(strategyId: string): void {
  try {
    localStorage.removeItem(key(strategyId));
  } catch {
    // ignore
  }
}
