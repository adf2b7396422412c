// Every problem the validator found, errors first; clicking one selects its block.
import { memo } from "react";
import type { Catalogue } from "./catalogue";
import { nodeTitle } from "./doc";
import type { Diagnostic, StrategyDoc } from "./types";

interface Props {
  diagnostics: Diagnostic[];
  doc: StrategyDoc;
  catalogue: Catalogue;
  checking: boolean;
  error: string | null;
  onSelect: (nodeId: string) => void;
}

function ProblemsView({ diagnostics, doc, catalogue, checking, error, onSelect }: Props) {
  const sorted = [...diagnostics].sort((a, b) => Number(a.severity !== "error") - Number(b.severity !== "error"));
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  return (
    <div className="bb-problems-inner">
      <h2 id="bb-problems-heading">
        Problems <span className="bb-muted">({diagnostics.length})</span> {checking && <span className="bb-muted bb-checking">checking…</span>}
      </h2>
      {error && <p className="bb-error">{error}</p>}
      {sorted.length === 0 && !checking && !error && <p className="bb-ok">No problems: this strategy is ready to save and run.</p>}
      <ul className="bb-problem-list">
        {sorted.map((d, i) => {
          const node = d.node ? byId.get(d.node) : undefined;
          const where = node ? nodeTitle(node, catalogue.byKind.get(node.kind)) : d.node ? `Block ${d.node}` : "Whole strategy";
          const body = (
            <>
              <span className={`bb-sev ${d.severity}`}>{d.severity === "error" ? "Error" : "Warning"}</span>
              <span className="bb-where">{where}:</span> <span className="bb-msg">{d.message}</span>
            </>
          );
          return (
            <li key={`${d.code}:${d.node ?? ""}:${d.port ?? ""}:${d.param ?? ""}:${i}`} className={`bb-diag ${d.severity}`} data-code={d.code}>
              {node ? (
                <button type="button" className="bb-problem" onClick={() => onSelect(node.id)}>
                  {body}
                </button>
              ) : (
                <div className="bb-problem">{body}</div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export const Problems = memo(ProblemsView);
