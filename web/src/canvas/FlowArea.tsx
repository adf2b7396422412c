// The canvas itself: React Flow with the blocks and connections, the hint for an empty
// canvas, and the message region that announces what an action did.
import type { DragEvent, FocusEvent, KeyboardEvent, ReactNode, RefObject } from "react";
import { Background, Controls, MiniMap, ReactFlow, type Connection, type Edge, type EdgeChange, type NodeChange, type OnConnectEnd } from "@xyflow/react";
import { BlockNode, type BlockFlowNode } from "./BlockNode";
import type { StrategyDoc } from "./types";
import { ConnectionHint, type ConnectionEnds } from "./ConnectionHint";
import type { Layout } from "./useMedia";
import type { Notice } from "./useNotice";
import { InitialView } from "./viewport";

const nodeTypes = { block: BlockNode };

interface Props {
  shown: StrategyDoc;
  layout: Layout;
  readOnly: boolean;
  flowRef: RefObject<HTMLDivElement | null>;
  nodes: BlockFlowNode[];
  edges: Edge[];
  onNodesChange: (changes: NodeChange<BlockFlowNode>[]) => void;
  onEdgesChange: (changes: EdgeChange[]) => void;
  onConnect: (c: Connection) => void;
  onConnectEnd: OnConnectEnd;
  onDelete: (deleted: { nodes: BlockFlowNode[]; edges: Edge[] }) => void;
  isValidConnection: (c: Connection | Edge) => boolean;
  reasonFor: (c: ConnectionEnds) => string | null;
  onDragOver: (e: DragEvent) => void;
  onDrop: (e: DragEvent) => void;
  onKeyDown: (e: KeyboardEvent<HTMLDivElement>) => void;
  onFocus: (e: FocusEvent<HTMLDivElement>) => void;
  notice: Notice | null;
  onDismissNotice: () => void;
  /** Drawn over the canvas (the menu of a connection dropped on empty space). */
  overlay?: ReactNode;
}

export function FlowArea(p: Props) {
  const { shown, layout, readOnly, notice } = p;
  return (
    <section
      className="bb-flow"
      aria-label={`Canvas with ${shown.nodes.length} ${shown.nodes.length === 1 ? "block" : "blocks"}`}
      ref={p.flowRef}
      onDragOver={p.onDragOver}
      onDrop={p.onDrop}
      onKeyDown={p.onKeyDown}
      onFocus={p.onFocus}
    >
      <ReactFlow<BlockFlowNode, Edge>
        nodes={p.nodes}
        edges={p.edges}
        nodeTypes={nodeTypes}
        onNodesChange={p.onNodesChange}
        onEdgesChange={p.onEdgesChange}
        onConnect={p.onConnect}
        onConnectEnd={p.onConnectEnd}
        onDelete={p.onDelete}
        isValidConnection={p.isValidConnection}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesFocusable={false}
        deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
        multiSelectionKeyCode={null}
        selectionKeyCode={null}
        fitView={layout === "phone"}
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        minZoom={0.2}
        maxZoom={2}
        proOptions={{ hideAttribution: false }}
        ariaLabelConfig={{
          "node.a11yDescription.default": "Press Enter to open this block's settings, Delete to remove it, or Tab for the next block.",
          "node.a11yDescription.keyboardDisabled": "Press Enter to open this block's settings.",
        }}
      >
        {layout !== "phone" && <InitialView />}
        <Background gap={20} />
        <Controls showInteractive={false} />
        {layout === "desktop" && shown.nodes.length > 12 && (
          <MiniMap pannable zoomable ariaLabel="Overview of the whole strategy" style={{ width: 150, height: 100 }} />
        )}
        {!readOnly && <ConnectionHint reason={p.reasonFor} />}
      </ReactFlow>
      {p.overlay}
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
            <button type="button" aria-label="Dismiss message" onClick={p.onDismissNotice}>
              ×
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
