// Adding blocks (from the palette, by click, keyboard or drop) where there is room, deleting
// them with the keyboard kept in place, and selecting a block from a list.
import { useCallback, type Dispatch, type MutableRefObject, type RefObject, type SetStateAction } from "react";
import { useReactFlow, type Edge } from "@xyflow/react";
import type { BlockFlowNode } from "./BlockNode";
import type { Catalogue } from "./catalogue";
import { addNode, connect, connectionProblem, disconnect, newNodeId, nodeTitle, removeNodes } from "./doc";
import { focusNode, focusNodeSoon } from "./focus";
import { COL_GAP, edgeFromFlow, freeSpot, NODE_H, NODE_W, type Sizes } from "./layout";
import type { DocEdge, PortRef, Position, StrategyDoc } from "./types";
import type { Layout } from "./useMedia";

export type SideTab = "block" | "save";

/** A port a new block is connected to as it is added: an output ("source") feeds the new
 * block's first input of its type; an input ("target") takes the new block's first output of
 * its type. */
export interface AddLink {
  node: string;
  port: string;
  side: "source" | "target";
  type: string;
}

/** The connection `link` makes to a new block of `spec` with id `id`, if the block has a port for it. */
function linkEdge(spec: { inputs: { name: string; type: string }[]; outputs: { name: string; type: string }[] }, id: string, link: AddLink): DocEdge | null {
  const them: PortRef = { node: link.node, port: link.port };
  if (link.side === "source") {
    const port = spec.inputs.find((p) => p.type === link.type);
    return port ? { from: them, to: { node: id, port: port.name } } : null;
  }
  const port = spec.outputs.find((p) => p.type === link.type);
  return port ? { from: { node: id, port: port.name }, to: them } : null;
}

interface Options {
  catalogue: Catalogue;
  layout: Layout;
  readOnly: boolean;
  docRef: MutableRefObject<StrategyDoc>;
  measuredRef: MutableRefObject<Sizes>;
  selectedRef: MutableRefObject<string | null>;
  flowRef: RefObject<HTMLDivElement | null>;
  headingRef: RefObject<HTMLHeadingElement | null>;
  apply: (fn: (doc: StrategyDoc) => StrategyDoc, key?: string) => void;
  setSelectedId: Dispatch<SetStateAction<string | null>>;
  setSelectedEdge: Dispatch<SetStateAction<string | null>>;
  setTab: Dispatch<SetStateAction<SideTab>>;
  setPaletteOpen: Dispatch<SetStateAction<boolean>>;
  say: (text: string) => void;
}

export function useBlockEditing(o: Options) {
  const { catalogue, layout, readOnly, docRef, measuredRef, selectedRef, flowRef, headingRef, apply } = o;
  const { setSelectedId, setSelectedEdge, setTab, setPaletteOpen, say } = o;
  const rf = useReactFlow<BlockFlowNode, Edge>();

  const addBlock = useCallback(
    (kind: string, at?: Position, link?: AddLink): string | undefined => {
      const spec = catalogue.byKind.get(kind);
      if (!spec) return undefined;
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
          position = { x: sel.position.x + (sizes.get(sel.id)?.width ?? NODE_W) + COL_GAP, y: sel.position.y };
        } else {
          const rect = flowRef.current?.getBoundingClientRect();
          const centre = rect ? rf.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 }) : { x: 0, y: 0 };
          position = { x: centre.x - NODE_W / 2, y: centre.y - NODE_H / 2 };
        }
        position = freeSpot(current, sizes, position);
      }
      position = { x: Math.round(position.x), y: Math.round(position.y) };
      const id = newNodeId(current, kind);
      // One step (one undo): the block, and its connection when `link` asks for one.
      const withLink = (d: StrategyDoc, nid: string): StrategyDoc => {
        const next = addNode(d, spec, position, nid);
        const edge = link ? linkEdge(spec, nid, link) : null;
        return edge && !connectionProblem(next, catalogue, edge.from, edge.to) ? connect(next, edge.from, edge.to) : next;
      };
      const linked = !!link && withLink(current, id).edges.some((e) => e.from.node === id || e.to.node === id);
      apply((d) => withLink(d, d.nodes.some((n) => n.id === id) ? newNodeId(d, kind) : id));
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
      const other = link ? docRef.current.nodes.find((n) => n.id === link.node) : undefined;
      const otherName = other ? nodeTitle(other, catalogue.byKind.get(other.kind)) : link?.node;
      say(
        linked
          ? `Added ${spec.name} (${id}), connected to ${otherName}. Its settings are in the side panel.`
          : `Added ${spec.name} (${id}). Its settings and connections are in the side panel.`,
      );
      return id;
    },
    [catalogue, rf, apply, say, layout, docRef, measuredRef, selectedRef, flowRef, setSelectedId, setSelectedEdge, setTab, setPaletteOpen],
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
    [apply, catalogue, say, docRef, headingRef, setSelectedId],
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
    [readOnly, removeBlocks, setSelectedEdge],
  );

  const selectBlock = useCallback(
    (id: string) => {
      setSelectedId(id);
      setSelectedEdge(null);
      setTab("block");
      focusNodeSoon(id);
    },
    [setSelectedId, setSelectedEdge, setTab],
  );

  return { addBlock, removeBlocks, onDelete, selectBlock };
}
