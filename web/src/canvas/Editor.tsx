// The canvas editor: palette, React Flow graph, side panel, problems, undo/redo and the draft.
//
// The strategy document (in `useHistory`) is the one source of truth. React Flow's nodes are
// derived from it, reusing each node object while its block, problems and selection are
// unchanged, so a 100-block graph re-renders only what moved. Transient things (sizes React
// Flow measured, positions while a block is being dragged) live beside the document and are
// committed to it when the drag ends.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useConnection,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type OnConnectEnd,
} from "@xyflow/react";
import { useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import type { Schemas } from "../api/client";
import { versionQuery } from "../hooks/queries";
import { BlockNode, countProblems, problemWords, type BlockFlowNode, type BlockData } from "./BlockNode";
import type { Catalogue } from "./catalogue";
import {
  addNode,
  connect,
  connectionProblem,
  disconnect,
  docKey,
  moveNodes,
  newNodeId,
  nodeTitle,
  normalizeDoc,
  removeNodes,
  toWire,
} from "./doc";
import { clearDraft, saveDraft, type Draft } from "./draft";
import { useHistory } from "./history";
import { Inspector } from "./Inspector";
import { DRAG_TYPE, Palette } from "./Palette";
import { Problems } from "./Problems";
import { SavePanel } from "./SavePanel";
import type { Diagnostic, DocEdge, DocNode, Position, PortRef, StrategyDoc } from "./types";
import { useLayout } from "./useMedia";
import { useValidation } from "./useValidation";

type VersionView = Schemas["VersionView"];

export interface EditorProps {
  strategy: Schemas["StrategyView"];
  catalogue: Catalogue;
  editable: boolean;
  /** Why the strategy opens read-only for this visitor (not theirs, not signed in). */
  lockedReason: string | null;
  onClone: (() => void) | null;
  initialDoc: StrategyDoc;
  base: { version: number; doc: StrategyDoc };
  restoredDraft: Draft | null;
}

const nodeTypes = { block: BlockNode };
const EMPTY: Diagnostic[] = [];
const NODE_W = 220;
const NODE_H = 110;

function edgeId(e: DocEdge): string {
  return `${e.from.node}\u0001${e.from.port}\u0002${e.to.node}\u0001${e.to.port}`;
}

function edgeFromFlow(e: Pick<Edge, "source" | "sourceHandle" | "target" | "targetHandle">): DocEdge {
  return { from: { node: e.source, port: e.sourceHandle ?? "" }, to: { node: e.target, port: e.targetHandle ?? "" } };
}

const GAP = 30;

/** The free spot nearest `want`: down the same column first, then the next columns. */
function freeSpot(doc: StrategyDoc, sizes: Map<string, { width: number; height: number }>, want: Position): Position {
  const rects = doc.nodes.map((n) => ({
    x: n.position.x,
    y: n.position.y,
    w: sizes.get(n.id)?.width ?? NODE_W,
    h: sizes.get(n.id)?.height ?? NODE_H,
  }));
  const free = (p: Position) =>
    rects.every((r) => p.x + NODE_W + GAP <= r.x || r.x + r.w + GAP <= p.x || p.y + NODE_H + GAP <= r.y || r.y + r.h + GAP <= p.y);
  for (let col = 0; col < 12; col++) {
    for (let row = 0; row < 12; row++) {
      const p = { x: want.x + col * (NODE_W + GAP * 2), y: want.y + row * (NODE_H / 2 + GAP) };
      if (free(p)) return p;
    }
  }
  return want;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function focusNode(id: string): boolean {
  const el = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
  if (!el) return false;
  el.focus();
  return document.activeElement === el;
}

/** Focuses a block once React Flow has measured and shown it (a few frames at most). */
function focusNodeSoon(id: string, frames = 10): void {
  requestAnimationFrame(() => {
    if (!focusNode(id) && frames > 0) focusNodeSoon(id, frames - 1);
  });
}

/** While a connection is being dragged over a port it may not join, says why. */
type ConnectionEnds = { fromHandle: FinalConnectionState["fromHandle"]; toHandle: FinalConnectionState["toHandle"] };

function ConnectionHint({ reason }: { reason: (c: ConnectionEnds) => string | null }) {
  const connection = useConnection();
  if (!connection.inProgress || !connection.toHandle || connection.isValid) return null;
  const text = reason(connection);
  if (!text) return null;
  return (
    <div className="bb-connect-hint" aria-hidden="true">
      {text}
    </div>
  );
}

export function Editor({ strategy, catalogue, editable, lockedReason, onClone, initialDoc, base: initialBase, restoredDraft }: EditorProps) {
  const layout = useLayout();
  const history = useHistory(initialDoc);
  const { doc, apply } = history;
  const docRef = useRef(doc);
  docRef.current = doc;
  const rf = useReactFlow<BlockFlowNode, Edge>();
  const qc = useQueryClient();

  const [base, setBase] = useState(initialBase);
  const [draftBanner, setDraftBanner] = useState<Draft | null>(restoredDraft);
  const [viewing, setViewing] = useState<{ version: number; doc: StrategyDoc; diagnostics: Diagnostic[] } | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const [paletteOpen, setPaletteOpen] = useState(layout === "desktop");
  const [tab, setTab] = useState<"block" | "save">("block");
  const [notice, setNotice] = useState<{ text: string; n: number } | null>(null);
  const [measured, setMeasured] = useState<Map<string, { width: number; height: number }>>(() => new Map());
  const measuredRef = useRef(measured);
  measuredRef.current = measured;
  const [dragging, setDragging] = useState<Map<string, Position>>(() => new Map());
  const headingRef = useRef<HTMLHeadingElement>(null);
  const flowRef = useRef<HTMLDivElement>(null);

  const phone = layout === "phone";

  // The page fills the window below the app's header, whatever its height.
  const pageRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = pageRef.current;
    if (!el) return;
    const measure = () => el.style.setProperty("--bb-top", `${Math.max(0, el.getBoundingClientRect().top + window.scrollY)}px`);
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, [layout]);
  const readOnly = !editable || phone || viewing !== null;
  const shown = viewing?.doc ?? doc;

  const say = useCallback((text: string) => setNotice((n) => ({ text, n: (n?.n ?? 0) + 1 })), []);
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice((n) => (n === notice ? null : n)), 12_000);
    return () => clearTimeout(t);
  }, [notice]);

  // On a tablet the palette starts folded away; on a computer it starts open.
  useEffect(() => setPaletteOpen(layout === "desktop"), [layout]);

  // --- validation -------------------------------------------------------------------------
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

  // --- the draft ----------------------------------------------------------------------------
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
  }, [history, base, rf, say]);

  // --- React Flow nodes and edges -----------------------------------------------------------
  const nodeCache = useRef(
    new Map<string, { src: DocNode; diags: Diagnostic[]; selected: boolean; readOnly: boolean; m: unknown; pos: unknown; rf: BlockFlowNode }>(),
  );
  const nodes = useMemo(() => {
    const next = new Map<string, typeof nodeCache.current extends Map<string, infer V> ? V : never>();
    const list = shown.nodes.map((n) => {
      const diags = diagsByNode.get(n.id) ?? EMPTY;
      const selected = n.id === selectedId;
      const m = measured.get(n.id);
      const pos = dragging.get(n.id);
      const prev = nodeCache.current.get(n.id);
      if (prev && prev.src === n && prev.diags === diags && prev.selected === selected && prev.readOnly === readOnly && prev.m === m && prev.pos === pos) {
        next.set(n.id, prev);
        return prev.rf;
      }
      const spec = catalogue.byKind.get(n.kind);
      const title = nodeTitle(n, spec);
      const data: BlockData =
        prev && prev.src === n && prev.diags === diags && prev.readOnly === readOnly
          ? prev.rf.data
          : { nodeId: n.id, kind: n.kind, title, spec, params: n.params, diags, readOnly };
      const { errors, warnings } = countProblems(diags);
      const rfNode: BlockFlowNode = {
        id: n.id,
        type: "block",
        position: pos ?? n.position,
        data,
        selected,
        measured: m,
        ariaLabel: `${title} block${diags.length ? `, ${problemWords(errors, warnings)}: ${diags.map((d) => d.message).join(" ")}` : ", no problems"}`,
      };
      next.set(n.id, { src: n, diags, selected, readOnly, m, pos, rf: rfNode });
      return rfNode;
    });
    nodeCache.current = next;
    return list;
  }, [shown.nodes, diagsByNode, selectedId, readOnly, measured, dragging, catalogue]);

  const edges = useMemo(() => {
    const bad = new Set(
      validation.diagnostics.filter((d) => d.code === "port_type_mismatch" && d.node && d.port).map((d) => `${d.node}\u0001${d.port}`),
    );
    return shown.edges.map((e): Edge => {
      const id = edgeId(e);
      return {
        id,
        source: e.from.node,
        sourceHandle: e.from.port,
        target: e.to.node,
        targetHandle: e.to.port,
        selected: id === selectedEdge,
        className: bad.has(`${e.to.node}\u0001${e.to.port}`) ? "bb-edge-bad" : undefined,
      };
    });
  }, [shown.edges, validation.diagnostics, selectedEdge]);

  const onNodesChange = useCallback(
    (changes: NodeChange<BlockFlowNode>[]) => {
      const dims: [string, { width: number; height: number }][] = [];
      const drags: [string, Position][] = [];
      const commits = new Map<string, Position>();
      let select: string | null | undefined;
      for (const c of changes) {
        if (c.type === "dimensions" && c.dimensions) dims.push([c.id, c.dimensions]);
        else if (c.type === "position" && c.position) {
          if (c.dragging) drags.push([c.id, c.position]);
          else commits.set(c.id, c.position);
        } else if (c.type === "select") {
          if (c.selected) select = c.id;
          else if (select === undefined && c.id === selectedRef.current) select = null;
        }
      }
      if (dims.length)
        setMeasured((prev) => {
          const n = new Map(prev);
          for (const [id, d] of dims) {
            const old = n.get(id);
            if (!old || old.width !== d.width || old.height !== d.height) n.set(id, d);
          }
          return n;
        });
      if (drags.length || commits.size)
        setDragging((prev) => {
          const n = new Map(prev);
          for (const [id, p] of drags) n.set(id, p);
          for (const id of commits.keys()) n.delete(id);
          return n;
        });
      if (commits.size) apply((d) => moveNodes(d, commits), `move:${[...commits.keys()].join(",")}`);
      if (select !== undefined) {
        setSelectedId(select);
        if (select) setSelectedEdge(null);
      }
    },
    [apply],
  );

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) {
      if (c.type !== "select") continue;
      if (c.selected) {
        setSelectedEdge(c.id);
        setSelectedId(null);
      } else setSelectedEdge((s) => (s === c.id ? null : s));
    }
  }, []);

  // --- editing ----------------------------------------------------------------------------
  const describePort = useCallback(
    (r: PortRef, side: "in" | "out") => {
      const n = docRef.current.nodes.find((x) => x.id === r.node);
      const spec = n ? catalogue.byKind.get(n.kind) : undefined;
      const port = (side === "in" ? spec?.inputs : spec?.outputs)?.find((p) => p.name === r.port);
      return `${n ? nodeTitle(n, spec) : r.node} → ${port?.label ?? r.port}`;
    },
    [catalogue],
  );

  const addBlock = useCallback(
    (kind: string, at?: Position) => {
      const spec = catalogue.byKind.get(kind);
      if (!spec) return;
      const current = docRef.current;
      const sizes = measuredRef.current;
      let position: Position;
      if (at) {
        position = { x: at.x - NODE_W / 2, y: at.y - 20 };
      } else {
        // Next to the selected block (a strategy reads left to right), else the middle of
        // the view; then the nearest free spot, so blocks never land on top of each other.
        const sel = current.nodes.find((n) => n.id === selectedRef.current);
        if (sel) {
          position = { x: sel.position.x + (sizes.get(sel.id)?.width ?? NODE_W) + 70, y: sel.position.y };
        } else {
          const rect = flowRef.current?.getBoundingClientRect();
          const centre = rect ? rf.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 }) : { x: 0, y: 0 };
          position = { x: centre.x - NODE_W / 2, y: centre.y - NODE_H / 2 };
        }
        position = freeSpot(current, sizes, position);
      }
      position = { x: Math.round(position.x), y: Math.round(position.y) };
      const id = newNodeId(current, kind);
      apply((d) => addNode(d, spec, position, d.nodes.some((n) => n.id === id) ? newNodeId(d, kind) : id));
      setSelectedId(id);
      setSelectedEdge(null);
      setTab("block");
      // On a tablet the palette covers the canvas: fold it away and go to the new block.
      if (layout === "tablet" && !at) {
        setPaletteOpen(false);
        focusNodeSoon(id);
      }
      // Bring it into view if it landed outside.
      const rect = flowRef.current?.getBoundingClientRect();
      if (rect) {
        const tl = rf.flowToScreenPosition(position);
        const br = rf.flowToScreenPosition({ x: position.x + NODE_W, y: position.y + NODE_H });
        if (tl.x < rect.left || tl.y < rect.top || br.x > rect.right || br.y > rect.bottom) {
          // Show the new block with the one it was added next to, at a readable zoom.
          const sel = selectedRef.current;
          rf.fitView({ nodes: [{ id }, ...(sel ? [{ id: sel }] : [])], padding: 0.4, maxZoom: 1 });
        }
      }
      say(`Added ${spec.name} (${id}). Its settings and connections are in the side panel.`);
    },
    [catalogue, rf, apply, say, layout],
  );

  const removeBlocks = useCallback(
    (ids: string[], extraEdges: DocEdge[] = []) => {
      if (!ids.length && !extraEdges.length) return;
      const order = docRef.current.nodes.map((n) => n.id);
      const gone = new Set(ids);
      const names = ids.map((id) => {
        const n = docRef.current.nodes.find((x) => x.id === id);
        return n ? nodeTitle(n, catalogue.byKind.get(n.kind)) : id;
      });
      apply((d) => disconnect(removeNodes(d, ids), extraEdges));
      if (ids.length) {
        setSelectedId(null);
        say(`Deleted ${names.join(", ")}. Undo (Ctrl+Z) brings it back.`);
        // Keep the keyboard where it was: on the next block, or the palette's search.
        const at = Math.max(0, order.findIndex((id) => gone.has(id)));
        const rest = order.filter((id) => !gone.has(id));
        const nextId = rest[Math.min(at, rest.length - 1)];
        requestAnimationFrame(() => {
          if (!(nextId && focusNode(nextId))) (document.getElementById("bb-palette-search") ?? headingRef.current)?.focus();
        });
      } else {
        say("Connection removed. Undo (Ctrl+Z) brings it back.");
      }
    },
    [apply, catalogue, say],
  );

  const onDelete = useCallback(
    ({ nodes: ns, edges: es }: { nodes: BlockFlowNode[]; edges: Edge[] }) => {
      if (readOnly) return;
      removeBlocks(
        ns.map((n) => n.id),
        es.map(edgeFromFlow),
      );
      setSelectedEdge(null);
    },
    [readOnly, removeBlocks],
  );

  const reasonFor = useCallback(
    (c: ConnectionEnds): string | null => {
      if (!c.fromHandle || !c.toHandle) return null;
      if (c.fromHandle.type === c.toHandle.type) {
        return c.fromHandle.type === "source"
          ? "An output cannot feed another output: connect it to an input (the left side of a block)."
          : "An input cannot feed another input: connect it to an output (the right side of a block).";
      }
      const [out, inp] = c.fromHandle.type === "source" ? [c.fromHandle, c.toHandle] : [c.toHandle, c.fromHandle];
      return connectionProblem(docRef.current, catalogue, { node: out.nodeId, port: out.id ?? "" }, { node: inp.nodeId, port: inp.id ?? "" });
    },
    [catalogue],
  );

  const isValidConnection = useCallback(
    (c: Connection | Edge) =>
      !!c.sourceHandle &&
      !!c.targetHandle &&
      connectionProblem(docRef.current, catalogue, { node: c.source, port: c.sourceHandle }, { node: c.target, port: c.targetHandle }) === null,
    [catalogue],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const { from, to } = edgeFromFlow(c);
      const problem = connectionProblem(docRef.current, catalogue, from, to);
      if (problem) {
        say(problem);
        return;
      }
      apply((d) => connect(d, from, to));
      say(`Connected ${describePort(from, "out")} to ${describePort(to, "in")}.`);
    },
    [catalogue, apply, say, describePort],
  );

  const onConnectEnd: OnConnectEnd = useCallback(
    (_e, state) => {
      if (state.isValid || !state.toHandle) return;
      const reason = reasonFor(state);
      if (reason) say(`Not connected. ${reason}`);
    },
    [reasonFor, say],
  );

  const selectBlock = useCallback((id: string) => {
    setSelectedId(id);
    setSelectedEdge(null);
    setTab("block");
    focusNodeSoon(id);
  }, []);

  // --- versions ---------------------------------------------------------------------------
  const loadVersion = useCallback(
    (n: number) =>
      qc.fetchQuery(versionQuery(strategy.id, n)),
    [qc, strategy.id],
  );
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
    [loadVersion, strategy.title, rf, say],
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
    [loadVersion, history, strategy.title, rf, say],
  );
  const onSaved = useCallback(
    (v: VersionView) => {
      qc.setQueryData(versionQuery(strategy.id, v.version).queryKey, v);
      setBase({ version: v.version, doc: normalizeDoc(v.graph, strategy.title) });
      setDraftBanner(null);
    },
    [qc, strategy.id, strategy.title],
  );

  // --- keyboard -----------------------------------------------------------------------------
  useEffect(() => {
    if (readOnly) return;
    const onKey = (e: KeyboardEvent) => {
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

  const onFlowKeyDown = useCallback((e: ReactKeyboardEvent<HTMLDivElement>) => {
    const el = e.target as HTMLElement;
    if (e.key === "Enter" && el.classList.contains("react-flow__node")) {
      const id = el.dataset.id;
      if (!id) return;
      setSelectedId(id);
      setTab("block");
      requestAnimationFrame(() => headingRef.current?.focus());
    }
  }, []);
  const onFlowFocus = useCallback((e: React.FocusEvent<HTMLDivElement>) => {
    const el = e.target as HTMLElement;
    if (el.classList.contains("react-flow__node") && el.dataset.id && el.dataset.id !== selectedRef.current) {
      setSelectedId(el.dataset.id);
      setSelectedEdge(null);
    }
  }, []);
  const onInspectorKeyDown = useCallback((e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.key === "Escape" && selectedRef.current) {
      e.preventDefault();
      focusNode(selectedRef.current);
    }
  }, []);

  // --- drag from the palette ----------------------------------------------------------------
  const onDragOver = useCallback((e: React.DragEvent) => {
    if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  }, []);
  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_TYPE);
      if (!kind || readOnly) return;
      e.preventDefault();
      addBlock(kind, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [addBlock, readOnly, rf],
  );

  const selectedNode = selectedId ? (shown.nodes.find((n) => n.id === selectedId) ?? null) : null;
  const statusText = viewing
    ? `Viewing version ${viewing.version} (read-only)`
    : dirty
      ? "Unsaved changes, kept on this device"
      : strategy.latest_version
        ? `Saved as version ${base.version}`
        : "Not saved yet";

  return (
    <div ref={pageRef} className={`canvas-page layout-${layout}${paletteOpen && !readOnly ? " palette-open" : ""}`}>
      <div className="bb-toolbar">
        <div className="bb-title">
          <h1>{strategy.title}</h1>
          <span className={`bb-status${dirty && !viewing ? " dirty" : ""}`} data-testid="save-status">
            {statusText}
          </span>
        </div>
        <div className="bb-actions">
          {!readOnly && (
            <button
              type="button"
              aria-expanded={paletteOpen}
              aria-controls="bb-palette"
              onClick={() => setPaletteOpen((o) => !o)}
            >
              {paletteOpen ? "Hide blocks" : "Show blocks"}
            </button>
          )}
          {!readOnly && (
            <>
              <button type="button" onClick={history.undo} disabled={!history.canUndo} aria-keyshortcuts="Control+Z">
                Undo
              </button>
              <button type="button" onClick={history.redo} disabled={!history.canRedo} aria-keyshortcuts="Control+Shift+Z">
                Redo
              </button>
            </>
          )}
          {editable && dirty && !viewing && (
            <button type="button" onClick={discardDraft}>
              Discard draft
            </button>
          )}
          <Link to={`/strategies/${strategy.id}`} className="bb-toollink">
            Strategy page
          </Link>
        </div>
        <p
          className={`bb-summary${totals.errors ? " error" : totals.warnings ? " warning" : validation.valid ? " ok" : ""}`}
          role="status"
          aria-live="polite"
          data-testid="problem-summary"
        >
          {summary}
        </p>
      </div>

      {lockedReason && (
        <div className="bb-banner">
          <p>{lockedReason}</p>
          {onClone && (
            <button type="button" className="bb-primary" onClick={onClone}>
              Make my own copy to edit
            </button>
          )}
        </div>
      )}
      {phone && editable && (
        <div className="bb-banner">
          <p>This is a read-only view. Open the strategy on a tablet or a computer to edit it.</p>
        </div>
      )}
      {draftBanner && !viewing && dirty && (
        <div className="bb-banner" data-testid="draft-banner">
          <p>
            Your unsaved draft from {when(draftBanner.savedAt)} is back
            {draftBanner.baseVersion ? ` (started from version ${draftBanner.baseVersion})` : ""}.
            {strategy.latest_version > draftBanner.baseVersion ? ` Version ${strategy.latest_version} was saved since; saving the draft makes a newer one.` : ""}
          </p>
          <button type="button" onClick={discardDraft}>
            Discard draft
          </button>
          <button type="button" onClick={() => setDraftBanner(null)}>
            Keep it
          </button>
        </div>
      )}
      {viewing && (
        <div className="bb-banner viewing" data-testid="viewing-banner">
          <p>
            You are looking at version {viewing.version}, read-only{viewing.diagnostics.length ? "; its problems are listed below" : ""}.
          </p>
          {editable && (
            <button type="button" className="bb-primary" onClick={() => restoreVersion(viewing.version)}>
              Restore it as the draft
            </button>
          )}
          <button type="button" onClick={() => setViewing(null)}>
            Back to {editable ? "my draft" : "the latest version"}
          </button>
        </div>
      )}

      <div className="bb-body">
        {!readOnly && (
          <aside id="bb-palette" className="bb-palette" aria-labelledby="bb-palette-heading" hidden={!paletteOpen}>
            <Palette catalogue={catalogue} onAdd={addBlock} />
          </aside>
        )}
        <div className="bb-center">
          <section
            className="bb-flow"
            aria-label={`Canvas with ${shown.nodes.length} ${shown.nodes.length === 1 ? "block" : "blocks"}`}
            ref={flowRef}
            onDragOver={onDragOver}
            onDrop={onDrop}
            onKeyDown={onFlowKeyDown}
            onFocus={onFlowFocus}
          >
            <ReactFlow<BlockFlowNode, Edge>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onConnectEnd={onConnectEnd}
              onDelete={onDelete}
              isValidConnection={isValidConnection}
              nodesDraggable={!readOnly}
              nodesConnectable={!readOnly}
              edgesFocusable={false}
              deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
              multiSelectionKeyCode={null}
              selectionKeyCode={null}
              fitView
              fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
              minZoom={0.2}
              maxZoom={2}
              proOptions={{ hideAttribution: false }}
              ariaLabelConfig={{
                "node.a11yDescription.default": "Press Enter to open this block's settings, Delete to remove it, or Tab for the next block.",
                "node.a11yDescription.keyboardDisabled": "Press Enter to open this block's settings.",
              }}
            >
              <Background gap={20} />
              <Controls showInteractive={false} />
              {layout === "desktop" && shown.nodes.length > 12 && (
                <MiniMap pannable zoomable ariaLabel="Overview of the whole strategy" style={{ width: 150, height: 100 }} />
              )}
              {!readOnly && <ConnectionHint reason={reasonFor} />}
            </ReactFlow>
            {shown.nodes.length === 0 && (
              <div className="bb-empty-canvas">
                <p>
                  <strong>The canvas is empty.</strong>
                </p>
                <p>
                  Start with a <em>Price / volume</em> block from the palette, feed it into an indicator such as an <em>SMA</em>, compare with a{" "}
                  <em>condition</em>, and connect the condition to a <em>Buy</em> block.
                </p>
              </div>
            )}
            <div role="status" className="bb-notice-region">
              {notice && (
                <div className="bb-notice" data-testid="canvas-notice" key={notice.n}>
                  <span>{notice.text}</span>
                  <button type="button" aria-label="Dismiss message" onClick={() => setNotice(null)}>
                    ×
                  </button>
                </div>
              )}
            </div>
          </section>
          <section className="bb-problems" aria-labelledby="bb-problems-heading">
            <Problems
              diagnostics={validation.diagnostics}
              doc={shown}
              catalogue={catalogue}
              checking={validation.checking}
              error={validation.error}
              onSelect={selectBlock}
            />
          </section>
        </div>
        <aside className="bb-side" aria-label="Side panel">
          <div role="tablist" aria-label="Side panel" className="bb-tabs">
            <button
              type="button"
              role="tab"
              id="bb-tab-block"
              aria-selected={tab === "block"}
              aria-controls="bb-panel-block"
              tabIndex={tab === "block" ? 0 : -1}
              onClick={() => setTab("block")}
              onKeyDown={(e) => {
                if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
                  setTab("save");
                  document.getElementById("bb-tab-save")?.focus();
                }
              }}
            >
              Block
            </button>
            <button
              type="button"
              role="tab"
              id="bb-tab-save"
              aria-selected={tab === "save"}
              aria-controls="bb-panel-save"
              tabIndex={tab === "save" ? 0 : -1}
              onClick={() => setTab("save")}
              onKeyDown={(e) => {
                if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
                  setTab("block");
                  document.getElementById("bb-tab-block")?.focus();
                }
              }}
            >
              {editable && !phone ? "Save, run, versions" : "Versions"}
            </button>
          </div>
          <div role="tabpanel" id="bb-panel-block" aria-labelledby="bb-tab-block" hidden={tab !== "block"} onKeyDown={onInspectorKeyDown}>
            <Inspector
              doc={shown}
              catalogue={catalogue}
              node={selectedNode}
              diags={selectedNode ? (diagsByNode.get(selectedNode.id) ?? EMPTY) : EMPTY}
              readOnly={readOnly}
              headingRef={headingRef}
              apply={apply}
              onDelete={(id) => removeBlocks([id])}
              onSelect={selectBlock}
              onNotice={say}
            />
          </div>
          <div role="tabpanel" id="bb-panel-save" aria-labelledby="bb-tab-save" hidden={tab !== "save"}>
            <SavePanel
              strategy={strategy}
              doc={doc}
              dirty={dirty}
              editable={editable && !phone}
              errors={viewing ? 0 : totals.errors}
              viewingVersion={viewing?.version ?? null}
              onSaved={onSaved}
              onView={viewVersion}
              onRestore={restoreVersion}
              onNotice={say}
            />
          </div>
        </aside>
      </div>
    </div>
  );
}
