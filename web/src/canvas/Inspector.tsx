// The side panel for the selected block: what it does, its settings (with range, default and
// unit from the catalogue), its problems, and its connections, including "Connect to…" lists
// so a block can be wired without a mouse.
import { useMemo, type RefObject } from "react";
import type { Catalogue } from "./catalogue";
import { findPort } from "./catalogue";
import { connect, connectionProblem, disconnect, nodeTitle, setLabel, setParam } from "./doc";
import { paramUsed } from "../lib/params";
import { InspectorIntro } from "./InspectorIntro";
import { ParamField } from "./ParamField";
import { InputPanels, OutputPanels } from "./PortPanels";
import type { Diagnostic, DocEdge, DocNode, PortRef, StrategyDoc } from "./types";

export { rangeText } from "./ParamField";

interface Props {
  doc: StrategyDoc;
  catalogue: Catalogue;
  node: DocNode | null;
  diags: Diagnostic[];
  readOnly: boolean;
  headingRef: RefObject<HTMLHeadingElement | null>;
  apply: (fn: (doc: StrategyDoc) => StrategyDoc, key?: string) => void;
  onDelete: (id: string) => void;
  onSelect: (id: string) => void;
  onNotice: (text: string) => void;
}

export function Inspector({ doc, catalogue, node, diags, readOnly, headingRef, apply, onDelete, onSelect, onNotice }: Props) {
  const spec = node ? catalogue.byKind.get(node.kind) : undefined;
  const byId = useMemo(() => new Map(doc.nodes.map((n) => [n.id, n])), [doc.nodes]);

  if (!node) {
    return (
      <div className="bb-inspector">
        <h2 ref={headingRef} tabIndex={-1}>
          Block settings
        </h2>
        <InspectorIntro doc={doc} catalogue={catalogue} readOnly={readOnly} onSelect={onSelect} />
      </div>
    );
  }

  const title = nodeTitle(node, spec);
  const describe = (r: PortRef, side: "in" | "out") => {
    const n = byId.get(r.node);
    const s = n ? catalogue.byKind.get(n.kind) : undefined;
    const port = findPort(s, side, r.port);
    return `${n ? nodeTitle(n, s) : r.node} (${r.node}) → ${port?.label ?? r.port}`;
  };
  const doConnect = (from: PortRef, to: PortRef) => {
    const problem = connectionProblem(doc, catalogue, from, to);
    if (problem) {
      onNotice(problem);
      return;
    }
    apply((d) => connect(d, from, to));
    onNotice(`Connected ${describe(from, "out")} to ${describe(to, "in")}.`);
  };
  const doDisconnect = (e: DocEdge) => {
    apply((d) => disconnect(d, [e]));
    onNotice(`Disconnected ${describe(e.from, "out")} from ${describe(e.to, "in")}.`);
  };

  const ports = { doc, catalogue, node, readOnly, describe, onSelect, onConnect: doConnect, onDisconnect: doDisconnect };

  const nodeDiags = diags.filter((d) => !d.param);
  return (
    <div className="bb-inspector">
      <h2 ref={headingRef} tabIndex={-1}>
        {title}
      </h2>
      <p className="bb-muted">
        {spec?.name ?? node.kind} · id <code>{node.id}</code>
      </p>
      {spec && <p className="bb-explanation">{spec.explanation}</p>}
      {nodeDiags.length > 0 && (
        <div className="bb-node-problems">
          <h3>Problems with this block</h3>
          <ul>
            {nodeDiags.map((d, i) => (
              <li key={i} className={`bb-diag ${d.severity}`}>
                <span className="bb-sev">{d.severity === "error" ? "Error" : "Warning"}:</span> {d.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <fieldset disabled={readOnly} className="bb-fieldset">
        <legend className="bb-sr-only">Block settings</legend>
        <div className="bb-field">
          <label htmlFor="bb-node-label">Name on the canvas</label>
          <input
            id="bb-node-label"
            type="text"
            value={node.label ?? ""}
            placeholder={spec?.name ?? node.kind}
            onChange={(e) => {
              const v = e.target.value;
              apply((d) => setLabel(d, node.id, v), `label:${node.id}`);
            }}
          />
        </div>
        {spec && spec.params.length > 0 && (
          <>
            <h3>Settings</h3>
            {spec.params
              // A setting the block's mode leaves unused is hidden, unless it has a problem to fix.
              .filter((p) => paramUsed(p, spec.params, node.params) || diags.some((d) => d.param === p.name))
              .map((p) => (
                <ParamField
                  key={`${node.id}:${p.name}`}
                  p={p}
                  value={node.params[p.name]}
                  diags={diags.filter((d) => d.param === p.name)}
                  onChange={(v) => apply((d) => setParam(d, node.id, p.name, v), `param:${node.id}:${p.name}`)}
                />
              ))}
          </>
        )}
        {spec && spec.inputs.length > 0 && <InputPanels {...ports} spec={spec} />}
        {spec && spec.outputs.length > 0 && <OutputPanels {...ports} spec={spec} />}
        {!readOnly && (
          <div className="bb-danger">
            <button type="button" className="bb-delete" onClick={() => onDelete(node.id)}>
              Delete this block
            </button>
            <p className="bb-hint">Or press Delete on the canvas. Undo brings it back.</p>
          </div>
        )}
      </fieldset>
    </div>
  );
}
