// The canvas editor: palette, React Flow graph, side panel, problems, undo/redo and the draft.
//
// The strategy document (in `useGraphState`) is the one source of truth. React Flow's nodes
// are derived from it (`useFlowElements`); the rest is in hooks by concern: the draft
// (`useDraft`), older versions (`useVersionView`), validation (`useCanvasValidation`),
// connections (`useConnections`; one dropped on empty space opens a menu of fitting blocks,
// `useConnectDrop`), adding and deleting blocks (`useBlockEditing`), tidying up
// (`useTidy`), the palette (`usePalette`), keyboard shortcuts (`useKeyboard`) and the
// inspected bar of a run (`useInspectBar`, `?inspect=<run>&at=<ms>`).
import { useRef, useState } from "react";
import type { Strategy } from "../api/types";
import type { Catalogue } from "./catalogue";
import type { Draft } from "./draft";
import { ConnectMenu } from "./ConnectMenu";
import { EditorBanners } from "./EditorBanners";
import { EditorToolbar } from "./EditorToolbar";
import { FlowArea } from "./FlowArea";
import { InspectBanner } from "./InspectBanner";
import { Inspector } from "./Inspector";
import { Palette } from "./Palette";
import { Problems } from "./Problems";
import { SavePanel } from "./SavePanel";
import { SidePanel } from "./SidePanel";
import type { StrategyDoc } from "./types";
import { useBlockEditing, type SideTab } from "./useBlockEditing";
import { useCanvasValidation } from "./useCanvasValidation";
import { useConnectDrop } from "./useConnectDrop";
import { useConnections } from "./useConnections";
import { useDraft } from "./useDraft";
import { EMPTY, useFlowElements } from "./useFlowElements";
import { useGraphState } from "./useGraphState";
import { useInspectBar } from "./useInspectBar";
import { useKeyboard } from "./useKeyboard";
import { useFillWindow, useLayout } from "./useMedia";
import { useNotice } from "./useNotice";
import { useTidy } from "./useTidy";
import { usePaletteDrop, usePaletteOpen } from "./usePalette";
import { useVersionView } from "./useVersionView";

export interface EditorProps {
  strategy: Strategy;
  catalogue: Catalogue;
  editable: boolean;
  /** Why the strategy opens read-only for this visitor (not theirs, not signed in). */
  lockedReason: string | null;
  onClone: (() => void) | null;
  initialDoc: StrategyDoc;
  base: { version: number; doc: StrategyDoc };
  restoredDraft: Draft | null;
}

export function Editor({ strategy, catalogue, editable, lockedReason, onClone, initialDoc, base: initialBase, restoredDraft }: EditorProps) {
  const layout = useLayout();
  const graph = useGraphState(initialDoc);
  const { history, doc, apply, docRef, selectedId, setSelectedId, selectedRef, selectedEdge, setSelectedEdge } = graph;
  const [paletteOpen, setPaletteOpen] = usePaletteOpen(layout);
  const [tab, setTab] = useState<SideTab>("block");
  const headingRef = useRef<HTMLHeadingElement>(null);
  const flowRef = useRef<HTMLDivElement>(null);
  const pageRef = useFillWindow(layout);
  const { notice, say, dismiss } = useNotice();
  const phone = layout === "phone";

  const { viewing, viewVersion, restoreVersion, closeView } = useVersionView({ strategy, history, setSelectedId, say });
  const readOnly = !editable || phone || viewing !== null;
  const shown = viewing?.doc ?? doc;

  const { validation, diagsByNode, totals, summary } = useCanvasValidation(doc, viewing);
  const draft = useDraft({ strategy, editable, doc, history, initialBase, restoredDraft, setSelectedId, say });
  const { base, dirty } = draft;
  const inspectBar = useInspectBar({
    strategyId: strategy.id,
    shownVersion: viewing ? viewing.version : dirty || !strategy.latest_version ? null : base.version,
    shown,
    catalogue,
    viewVersion,
  });

  const flow = useFlowElements({
    shown,
    catalogue,
    diagnostics: validation.diagnostics,
    diagsByNode,
    readOnly,
    marksByNode: inspectBar.marks,
    selectedId,
    selectedRef,
    setSelectedId,
    selectedEdge,
    setSelectedEdge,
    apply,
  });
  const { addBlock, removeBlocks, onDelete, selectBlock } = useBlockEditing({
    catalogue,
    layout,
    readOnly,
    docRef,
    measuredRef: flow.measuredRef,
    selectedRef,
    flowRef,
    headingRef,
    apply,
    setSelectedId,
    setSelectedEdge,
    setTab,
    setPaletteOpen,
    say,
  });
  const tidy = useTidy({ catalogue, docRef, measuredRef: flow.measuredRef, flowRef, apply, say });
  const connections = useConnections({ docRef, catalogue, apply, say });
  const connectDrop = useConnectDrop({ readOnly, catalogue, docRef, flowRef, addBlock, fallback: connections.onConnectEnd });
  const keyboard = useKeyboard({ readOnly, history, selectedRef, headingRef, setSelectedId, setSelectedEdge, setTab });
  const { onDragOver, onDrop } = usePaletteDrop(readOnly, addBlock);

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
      <EditorToolbar
        strategy={strategy}
        statusText={statusText}
        dirty={dirty}
        viewing={viewing !== null}
        readOnly={readOnly}
        editable={editable}
        paletteOpen={paletteOpen}
        onTogglePalette={() => setPaletteOpen((o) => !o)}
        onTidy={shown.nodes.length > 1 ? tidy : null}
        history={history}
        onDiscardDraft={draft.discardDraft}
        totals={totals}
        valid={validation.valid}
        summary={summary}
      />
      <EditorBanners
        strategy={strategy}
        editable={editable}
        phone={phone}
        lockedReason={lockedReason}
        onClone={onClone}
        draftBanner={draft.draftBanner}
        dirty={dirty}
        onDiscardDraft={draft.discardDraft}
        onKeepDraft={draft.keepDraft}
        viewing={viewing}
        onRestore={restoreVersion}
        onCloseView={closeView}
      />
      <InspectBanner bar={inspectBar} />

      <div className="bb-body">
        {!readOnly && (
          <aside id="bb-palette" className="bb-palette" aria-labelledby="bb-palette-heading" hidden={!paletteOpen}>
            <Palette catalogue={catalogue} onAdd={addBlock} />
          </aside>
        )}
        <div className="bb-center">
          <FlowArea
            shown={shown}
            layout={layout}
            readOnly={readOnly}
            flowRef={flowRef}
            nodes={flow.nodes}
            edges={flow.edges}
            onNodesChange={flow.onNodesChange}
            onEdgesChange={flow.onEdgesChange}
            onConnect={connections.onConnect}
            onConnectEnd={connectDrop.onConnectEnd}
            onDelete={onDelete}
            isValidConnection={connections.isValidConnection}
            reasonFor={connections.reasonFor}
            onDragOver={onDragOver}
            onDrop={onDrop}
            onKeyDown={keyboard.onFlowKeyDown}
            onFocus={keyboard.onFlowFocus}
            notice={notice}
            onDismissNotice={dismiss}
            overlay={
              connectDrop.drop && (
                <ConnectMenu drop={connectDrop.drop} catalogue={catalogue} onPick={connectDrop.pick} onClose={connectDrop.close} />
              )
            }
          />
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
        <SidePanel
          tab={tab}
          setTab={setTab}
          saveLabel={editable && !phone ? "Save, run, versions" : "Versions"}
          onBlockPanelKeyDown={keyboard.onInspectorKeyDown}
          block={
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
          }
          save={
            <SavePanel
              strategy={strategy}
              doc={doc}
              dirty={dirty}
              editable={editable && !phone}
              errors={viewing ? 0 : totals.errors}
              viewingVersion={viewing?.version ?? null}
              onSaved={draft.onSaved}
              onView={viewVersion}
              onRestore={restoreVersion}
              onNotice={say}
            />
          }
        />
      </div>
    </div>
  );
}
