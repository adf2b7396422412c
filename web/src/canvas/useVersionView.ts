// Older versions on the canvas: open one read-only (the draft stays as it is), or restore it
// as the draft (one undoable step).
import { useCallback, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useReactFlow, type Edge } from "@xyflow/react";
import type { Strategy } from "../api/types";
import { versionQuery } from "../hooks/queries";
import type { BlockFlowNode } from "./BlockNode";
import { normalizeDoc } from "./doc";
import type { History } from "./history";
import type { Diagnostic, StrategyDoc } from "./types";

export interface Viewing {
  version: number;
  doc: StrategyDoc;
  diagnostics: Diagnostic[];
}

interface Options {
  strategy: Strategy;
  history: History;
  setSelectedId: (id: string | null) => void;
  say: (text: string) => void;
}

export function useVersionView({ strategy, history, setSelectedId, say }: Options) {
  const rf = useReactFlow<BlockFlowNode, Edge>();
  const qc = useQueryClient();
  const [viewing, setViewing] = useState<Viewing | null>(null);

  const loadVersion = useCallback((n: number) => qc.fetchQuery(versionQuery(strategy.id, n)), [qc, strategy.id]);
  const viewVersion = useCallback(
    async (n: number) => {
      try {
        const v = await loadVersion(n);
        setViewing({ version: n, doc: normalizeDoc(v.graph, strategy.title), diagnostics: v.diagnostics });
        setSelectedId(null);
        rf.fitView({ padding: 0.2, maxZoom: 1 });
        say(`Showing version ${n}, read-only. Your draft is kept.`);
      } catch {
        say(`Version ${n} could not be loaded.`);
      }
    },
    [loadVersion, strategy.title, rf, say, setSelectedId],
  );
  const restoreVersion = useCallback(
    async (n: number) => {
      try {
        const v = await loadVersion(n);
        history.replace(normalizeDoc(v.graph, strategy.title));
        setViewing(null);
        setSelectedId(null);
        rf.fitView({ padding: 0.2, maxZoom: 1 });
        say(`Version ${n} is now your draft. Save it to make it the newest version; Undo (Ctrl+Z) goes back.`);
      } catch {
        say(`Version ${n} could not be loaded.`);
      }
    },
    [loadVersion, history, strategy.title, rf, say, setSelectedId],
  );
  const closeView = useCallback(() => setViewing(null), []);
  return { viewing, viewVersion, restoreVersion, closeView };
}
