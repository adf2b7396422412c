// `/strategies/:id/edit`: loads the strategy, the catalogue, the newest saved version and any
// draft kept on this device, then hands them to the editor. Loaded lazily with React Flow.
import "@xyflow/react/dist/style.css";
import "./canvas.css";
import "./canvas-blocks.css";
import { useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { ReactFlowProvider } from "@xyflow/react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiError, data, getToken } from "../api/client";
import { keys } from "../api/keys";
import { strategyQuery, versionQuery } from "../hooks/queries";
import { useCatalogue } from "./catalogue";
import { docKey, emptyDoc, normalizeDoc } from "./doc";
import { loadDraft, type Draft } from "./draft";
import { Editor } from "./Editor";
import type { StrategyDoc } from "./types";

interface Start {
  id: string;
  initialDoc: StrategyDoc;
  base: { version: number; doc: StrategyDoc };
  restoredDraft: Draft | null;
}

export default function CanvasPage() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const signedIn = !!getToken();
  const catalogue = useCatalogue();
  const strategy = useQuery({
    ...strategyQuery(id),
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
  });
  const me = useQuery({
    queryKey: keys.me,
    queryFn: () => data(api.GET("/api/v1/me")),
    enabled: signedIn,
    retry: false,
    staleTime: 60_000,
  });
  const latest = strategy.data?.latest_version ?? 0;
  const start = useRef<Start | null>(null);
  const version = useQuery({
    ...versionQuery(id, latest),
    enabled: latest > 0 && start.current?.id !== id,
  });
  const [cloneError, setCloneError] = useState<string | null>(null);

  const s = strategy.data;
  const editable = !!s && !!me.data && me.data.id === s.owner_id && s.status !== "archived";

  // The starting point is fixed once per strategy: later refetches (after a save) must not
  // replace what the user is editing.
  const ready = catalogue.data && s && (!signedIn || !me.isPending) && (latest === 0 || version.data);
  if (ready && start.current?.id !== id) {
    const baseDoc = latest > 0 && version.data ? normalizeDoc(version.data.graph, s.title) : emptyDoc(s.title);
    const draft = editable ? loadDraft(id) : null;
    const draftDoc = draft ? normalizeDoc(draft.doc, s.title) : null;
    const useDraft = draftDoc && docKey(draftDoc) !== docKey(baseDoc);
    start.current = {
      id,
      initialDoc: useDraft ? draftDoc : baseDoc,
      base: { version: latest, doc: baseDoc },
      restoredDraft: useDraft ? draft : null,
    };
  }

  const started = start.current?.id === id ? start.current : null;
  const failure = strategy.error ?? catalogue.error ?? version.error;
  if (failure && !started) {
    const notFound = failure instanceof ApiError && (failure.status === 404 || failure.status === 401);
    return (
      <div className="canvas-page-message">
        <h1>{notFound ? "Strategy not found" : "The canvas could not be loaded"}</h1>
        <p role="alert">
          {notFound
            ? "This strategy does not exist, or it is private and belongs to someone else."
            : failure instanceof ApiError
              ? failure.message
              : "Check your connection and try again."}
        </p>
        <p>
          <Link to="/">Back to the start page</Link>
        </p>
      </div>
    );
  }
  if (!started || !s || !catalogue.data) {
    return (
      <p role="status" className="canvas-page-message">
        Loading the canvas…
      </p>
    );
  }

  const lockedReason = editable
    ? null
    : !signedIn
      ? "You are not signed in, so this strategy opens read-only. Sign in to build strategies of your own."
      : s.status === "archived"
        ? "This strategy is archived, so it opens read-only. Restore it from its page to edit it."
        : me.data && me.data.id !== s.owner_id
          ? "This strategy belongs to someone else, so it opens read-only. Make your own copy to change it."
          : "Your account could not be checked just now, so this strategy opens read-only. Reload the page to try again.";
  const canClone = signedIn && !!me.data && me.data.id !== s.owner_id;
  const onClone = canClone
    ? async () => {
        try {
          const r = await data(api.POST("/api/v1/strategies/{id}/clone", { params: { path: { id: s.id } }, body: {} }));
          navigate(`/strategies/${r.strategy.id}/edit`);
        } catch (e) {
          setCloneError(e instanceof ApiError ? e.message : "The copy could not be made.");
        }
      }
    : null;

  return (
    <>
      {cloneError && (
        <p role="alert" className="bb-error">
          {cloneError}
        </p>
      )}
      <ReactFlowProvider key={id}>
        <Editor
          strategy={s}
          catalogue={catalogue.data}
          editable={editable}
          lockedReason={lockedReason}
          onClone={onClone}
          initialDoc={started.initialDoc}
          base={started.base}
          restoredDraft={started.restoredDraft}
        />
      </ReactFlowProvider>
    </>
  );
}
