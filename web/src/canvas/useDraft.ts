// The draft: the document compared with the saved version it started from (`base`), kept on
// this device while it differs, the "your draft is back" banner, discarding it, and a save
// making the saved version the new base.
import { useCallback, useEffect, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useReactFlow, type Edge } from "@xyflow/react";
import type { Strategy, VersionView } from "../api/types";
import { versionQuery } from "../hooks/queries";
import type { BlockFlowNode } from "./BlockNode";
import { docKey, normalizeDoc, toWire } from "./doc";
import { clearDraft, saveDraft, type Draft } from "./draft";
import type { History } from "./history";
import type { StrategyDoc } from "./types";

interface Options {
  strategy: Strategy;
  editable: boolean;
  doc: StrategyDoc;
  history: History;
  initialBase: { version: number; doc: StrategyDoc };
  restoredDraft: Draft | null;
  setSelectedId: (id: string | null) => void;
  say: (text: string) => void;
}

export function useDraft({ strategy, editable, doc, history, initialBase, restoredDraft, setSelectedId, say }: Options) {
  const rf = useReactFlow<BlockFlowNode, Edge>();
  const qc = useQueryClient();
  const [base, setBase] = useState(initialBase);
  const [draftBanner, setDraftBanner] = useState<Draft | null>(restoredDraft);

  const baseKey = useMemo(() => docKey(base.doc), [base.doc]);
  const currentKey = useMemo(() => docKey(doc), [doc]);
  const dirty = currentKey !== baseKey;
  useEffect(() => {
    if (!editable) return;
    if (dirty) saveDraft(strategy.id, { doc: toWire(doc), baseVersion: base.version, savedAt: Date.now() });
    else clearDraft(strategy.id);
    // currentKey stands for doc
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [currentKey, dirty, editable, strategy.id, base.version]);

  const discardDraft = useCallback(() => {
    history.replace(base.doc);
    setDraftBanner(null);
    setSelectedId(null);
    rf.fitView({ padding: 0.2, maxZoom: 1 });
    say(`Draft discarded: back to ${base.version ? `version ${base.version}` : "an empty canvas"}. Undo (Ctrl+Z) brings the draft back.`);
  }, [history, base, rf, say, setSelectedId]);

  const onSaved = useCallback(
    (v: VersionView) => {
      qc.setQueryData(versionQuery(strategy.id, v.version).queryKey, v);
      setBase({ version: v.version, doc: normalizeDoc(v.graph, strategy.title) });
      setDraftBanner(null);
    },
    [qc, strategy.id, strategy.title],
  );
  const keepDraft = useCallback(() => setDraftBanner(null), []);

  return { base, dirty, draftBanner, discardDraft, keepDraft, onSaved };
}
