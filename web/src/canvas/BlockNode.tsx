// One block on the canvas: its name, its typed input ports (left) and output ports (right;
// the handle's shape and colour give the type: a round dot takes a number, a diamond a
// true/false, and its tooltip says so),
// a summary of its settings and a badge with its problems. Memoised: React Flow gives it a
// new `data` object only when that block, its problems or its selection change.
import { memo } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { optionWords, paramUsed } from "../lib/params";
import { typeWord } from "./catalogue";
import type { BlockMark } from "./inspectMarks";
import type { BlockSpec, Diagnostic } from "./types";

export interface BlockData extends Record<string, unknown> {
  nodeId: string;
  kind: string;
  title: string;
  spec: BlockSpec | undefined;
  params: Record<string, unknown>;
  diags: Diagnostic[];
  readOnly: boolean;
  /** Its values on the bar being inspected (`?inspect=`), if any. */
  marks: BlockMark[];
}

export type BlockFlowNode = Node<BlockData, "block">;

export function countProblems(diags: Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of diags) {
    if (d.severity === "error") errors++;
    else warnings++;
  }
  return { errors, warnings };
}

export function problemWords(errors: number, warnings: number): string {
  const parts: string[] = [];
  if (errors) parts.push(`${errors} ${errors === 1 ? "error" : "errors"}`);
  if (warnings) parts.push(`${warnings} ${warnings === 1 ? "warning" : "warnings"}`);
  return parts.join(", ");
}

export function paramSummary(spec: BlockSpec | undefined, params: Record<string, unknown>): string {
  if (!spec || spec.params.length === 0) return "";
  const used = spec.params.filter((p) => paramUsed(p, spec.params, params));
  const shown = used.slice(0, 3).map((p) => {
    const v = params[p.name] ?? p.default;
    const unit = p.unit && p.type !== "choice" ? (p.unit === "%" ? "%" : ` ${p.unit}`) : "";
    return `${p.label}: ${p.type === "choice" ? optionWords(v) : String(v)}${unit}`;
  });
  return shown.join(" · ") + (used.length > 3 ? " · …" : "");
}

function BlockNodeView({ data }: NodeProps<BlockFlowNode>) {
  const { spec, diags, readOnly } = data;
  const { errors, warnings } = countProblems(diags);
  const badPorts = new Set(diags.filter((d) => d.port && d.severity === "error").map((d) => d.port));
  const summary = paramSummary(spec, data.params);
  const state = errors ? "has-error" : warnings ? "has-warning" : "";
  const { marks } = data;
  const flags = marks.filter((m) => m.state === "true" || m.state === "false");
  const inspected = flags.length ? (flags.some((m) => m.state === "true") ? " inspect-true" : " inspect-false") : "";
  return (
    <div className={`bb-node cat-${spec?.category ?? "unknown"} ${state}${inspected}`}>
      <div className="bb-node-head">
        <span className="bb-node-title">{data.title}</span>
        {diags.length > 0 && (
          <span className={`bb-badge ${errors ? "error" : "warning"}`} data-testid="problem-badge">
            <span aria-hidden="true">{errors ? "✖" : "▲"}</span> {problemWords(errors, warnings)}
          </span>
        )}
      </div>
      <div className="bb-node-id">{data.nodeId}</div>
      {spec && (spec.inputs.length > 0 || spec.outputs.length > 0) && (
        <div className="bb-ports">
          <div className="bb-inputs">
            {spec.inputs.map((p) => (
              <div key={p.name} className={`bb-port bb-in${badPorts.has(p.name) ? " bad" : ""}`} data-port={p.name}>
                <Handle
                  type="target"
                  position={Position.Left}
                  id={p.name}
                  className={`bb-handle t-${p.type}`}
                  isConnectable={!readOnly}
                  title={`Input "${p.label}": takes a ${typeWord(p.type)}`}
                />
                <span className="bb-port-label">{p.label}</span>
                <span className="bb-sr-only"> ({typeWord(p.type)})</span>
              </div>
            ))}
          </div>
          <div className="bb-outputs">
            {spec.outputs.map((p) => (
              <div key={p.name} className="bb-port bb-out" data-port={p.name}>
                <span className="bb-port-label">{p.label}</span>
                <span className="bb-sr-only"> ({typeWord(p.type)})</span>
                <Handle
                  type="source"
                  position={Position.Right}
                  id={p.name}
                  className={`bb-handle t-${p.type}`}
                  isConnectable={!readOnly}
                  title={`Output "${p.label}": gives a ${typeWord(p.type)}`}
                />
              </div>
            ))}
          </div>
        </div>
      )}
      {summary && <div className="bb-node-params">{summary}</div>}
      {marks.length > 0 && (
        <ul className="bb-marks" aria-label="Value on the inspected bar" data-testid="inspect-marks">
          {marks.map((m, i) => (
            <li key={i}>
              {marks.length > 1 && <span className="bb-mark-label">{m.label}: </span>}
              <span className={`bb-mark ${m.state}`}>
                {m.state === "true" ? "✓ " : m.state === "false" ? "✗ " : ""}
                {m.text}
              </span>
            </li>
          ))}
        </ul>
      )}
      {diags.length > 0 && (
        <div className="bb-tip" role="tooltip">
          <ul>
            {diags.map((d, i) => (
              <li key={i} className={d.severity}>
                {d.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
