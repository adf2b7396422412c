// React Flow's nodes and edges, derived from the document. Each node object is reused while
// its block, problems and selection are unchanged, so a 100-block graph re-renders only what
// moved. Transient things (sizes React Flow measured, positions while a block is being
// dragged) live here beside the document and are committed to it when the drag ends.
import { useCallback, useMemo, useRef, useState, type Dispatch, type MutableRefObject, type SetStateAction } from "react";
import type { Edge, EdgeChange, NodeChange } from "@xyflow/react";
import { countProblems, problemWords, type BlockData, type BlockFlowNode } from "./BlockNode";
import type { Catalogue } from "./catalogue";
import { moveNodes, nodeTitle } from "./doc";
import { NO_MARKS, marksWords, type BlockMark } from "./inspectMarks";
import { edgeId, type Sizes } from "./layout";
import type { Diagnostic, DocNode, Position, StrategyDoc } from "./types";

export const EMPTY: Diagnostic[] = [];

interface Options {
  shown: StrategyDoc;
  catalogue: Catalogue;
  diagnostics: Diagnostic[];
  diagsByNode: Map<string, Diagnostic[]>;
  readOnly: boolean;
  /** Values on the inspected bar, by block id. */
  marksByNode: Map<string, BlockMark[]>;
  selectedId: string | null;
  selectedRef: MutableRefObject<string | null>;
  setSelectedId: (id: string | null) => void;
  selectedEdge: string | null;
  setSelectedEdge: Dispatch<SetStateAction<string | null>>;
  apply: (fn: (doc: StrategyDoc) => StrategyDoc, key?: string) => void;
}

interface CachedNode {
  src: DocNode;
  diags: Diagnostic[];
  selected: boolean;
  readOnly: boolean;
  marks: BlockMark[];
  m: unknown;
  pos: unknown;
  rf: BlockFlowNode;
}

export function useFlowElements(o: Options) {
  const { shown, catalogue, diagnostics, diagsByNode, marksByNode, readOnly, selectedId, selectedRef, setSelectedId, selectedEdge, setSelectedEdge, apply } = o;
  const [measured, setMeasured] = useState<Sizes>(() => new Map());
  const measuredRef = useRef(measured);
  measuredRef.current = measured;
  const [dragging, setDragging] = useState<Map<string, Position>>(() => new Map());

  const nodeCache = useRef(new Map<string, CachedNode>());
  const nodes = useMemo(() => {
    const next = new Map<string, CachedNode>();
    const list = shown.nodes.map((n) => {
      const diags = diagsByNode.get(n.id) ?? EMPTY;
      const marks = marksByNode.get(n.id) ?? NO_MARKS;
      const selected = n.id === selectedId;
      const m = measured.get(n.id);
      const pos = dragging.get(n.id);
      const prev = nodeCache.current.get(n.id);
      if (prev && prev.src === n && prev.diags === diags && prev.selected === selected && prev.readOnly === readOnly && prev.marks === marks && prev.m === m && prev.pos === pos) {
        next.set(n.id, prev);
        return prev.rf;
      }
      const spec = catalogue.byKind.get(n.kind);
      const title = nodeTitle(n, spec);
      const data: BlockData =
        prev && prev.src === n && prev.diags === diags && prev.readOnly === readOnly && prev.marks === marks
          ? prev.rf.data
          : { nodeId: n.id, kind: n.kind, title, spec, params: n.params, diags, readOnly, marks };
      const { errors, warnings } = countProblems(diags);
      const rfNode: BlockFlowNode = {
        id: n.id,
        type: "block",
        position: pos ?? n.position,
        data,
        selected,
        measured: m,
        ariaLabel: `${title} block${diags.length ? `, ${problemWords(errors, warnings)}: ${diags.map((d) => d.message).join(" ")}` : ", no problems"}${marks.length ? `, ${marksWords(marks)}` : ""}`,
      };
      next.set(n.id, { src: n, diags, selected, readOnly, marks, m, pos, rf: rfNode });
      return rfNode;
    });
    nodeCache.current = next;
    return list;
  }, [shown.nodes, diagsByNode, marksByNode, selectedId, readOnly, measured, dragging, catalogue]);

  const edges = useMemo(() => {
    const bad = new Set(diagnostics.filter((d) => d.code === "port_type_mismatch" && d.node && d.port).map((d) => `${d.node}\u0001${d.port}`));
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
  }, [shown.edges, diagnostics, selectedEdge]);

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
    [apply, selectedRef, setSelectedId, setSelectedEdge],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      for (const c of changes) {
        if (c.type !== "select") continue;
        if (c.selected) {
          setSelectedEdge(c.id);
          setSelectedId(null);
        } else setSelectedEdge((s) => (s === c.id ? null : s));
      }
    },
    [setSelectedId, setSelectedEdge],
  );

  return { nodes, edges, onNodesChange, onEdgesChange, measuredRef };
}
