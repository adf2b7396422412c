// The side panel for the selected block: what it does, its settings (with range, default and
// unit from the catalogue), its problems, and its connections, including "Connect to…" lists
// so a block can be wired without a mouse.
import { useEffect, useId, useMemo, useState, type RefObject } from "react";
import type { Catalogue } from "./catalogue";
import { findPort, typeMismatch, typeWord } from "./catalogue";
import { connect, connectionProblem, disconnect, nodeTitle, sameRef, setLabel, setParam, wouldLoop } from "./doc";
import { humanOption, paramSummary } from "./BlockNode";
import type { Diagnostic, DocEdge, DocNode, ParamSpec, PortRef, StrategyDoc } from "./types";

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

const BIG = 1e11;

function fmt(n: number): string {
  return new Intl.NumberFormat("en", { maximumFractionDigits: 4 }).format(n);
}

function withUnit(v: unknown, unit: string | null): string {
  if (!unit) return String(v);
  return unit === "%" ? `${v}%` : `${v} ${unit}`;
}

export function rangeText(p: ParamSpec): string {
  if (p.type === "choice") return `Default: ${humanOption(p.default)}.`;
  const hasMin = typeof p.min === "number" && Math.abs(p.min) < BIG;
  const hasMax = typeof p.max === "number" && Math.abs(p.max) < BIG;
  const whole = p.type === "integer" ? "A whole number" : "A number";
  let range = `${whole}`;
  if (hasMin && hasMax) range += ` from ${withUnit(fmt(p.min!), p.unit)} to ${withUnit(fmt(p.max!), p.unit)}`;
  else if (hasMin) range += ` of at least ${withUnit(fmt(p.min!), p.unit)}`;
  else if (hasMax) range += ` of at most ${withUnit(fmt(p.max!), p.unit)}`;
  return `${range}. Default: ${withUnit(p.default, p.unit)}.`;
}

function ParamField({
  p,
  value,
  diags,
  onChange,
}: {
  p: ParamSpec;
  value: unknown;
  diags: Diagnostic[];
  onChange: (v: unknown) => void;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const label = `${p.label}${p.unit && p.type !== "choice" ? ` (${p.unit})` : ""}`;
  const shown = value ?? p.default;
  const [text, setText] = useState(String(shown ?? ""));
  useEffect(() => {
    // Follow outside changes (undo, restore) without fighting the user's typing.
    if (p.type !== "choice" && Number(text) !== shown && String(shown) !== text) setText(String(shown ?? ""));
  }, [shown]);
  const describedBy = diags.length ? `${hintId} ${errId}` : hintId;
  return (
    <div className="bb-field">
      <label htmlFor={id}>{label}</label>
      {p.type === "choice" ? (
        <select id={id} value={String(shown)} aria-describedby={describedBy} aria-invalid={diags.length > 0 || undefined} onChange={(e) => onChange(e.target.value)}>
          {!(p.options ?? []).includes(String(shown)) && <option value={String(shown)}>{String(shown)} (not allowed)</option>}
          {(p.options ?? []).map((o) => (
            <option key={o} value={o}>
              {humanOption(o)}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type="number"
          inputMode={p.type === "integer" ? "numeric" : "decimal"}
          step={p.type === "integer" ? 1 : "any"}
          min={typeof p.min === "number" && Math.abs(p.min) < BIG ? p.min : undefined}
          max={typeof p.max === "number" && Math.abs(p.max) < BIG ? p.max : undefined}
          value={text}
          aria-describedby={describedBy}
          aria-invalid={diags.length > 0 || undefined}
          onChange={(e) => {
            setText(e.target.value);
            const t = e.target.value.trim();
            if (t === "") return;
            const n = Number(t);
            if (Number.isFinite(n)) onChange(n);
          }}
        />
      )}
      <p id={hintId} className="bb-hint">
        {rangeText(p)}
      </p>
      {diags.length > 0 && (
        <p id={errId} className="bb-field-error">
          {diags.map((d) => d.message).join(" ")}
        </p>
      )}
    </div>
  );
}

interface Candidate {
  ref: PortRef;
  label: string;
  problem: string | null;
  replaces: boolean;
}

function portKey(r: PortRef): string {
  return `${r.node}\u0000${r.port}`;
}

function parseKey(k: string): PortRef {
  const [node, port] = k.split("\u0000");
  return { node, port };
}

function ConnectRow({
  label,
  candidates,
  onConnect,
  emptyText,
}: {
  label: string;
  candidates: Candidate[];
  onConnect: (r: PortRef) => void;
  emptyText: string;
}) {
  const id = useId();
  const usable = candidates.filter((c) => !c.problem);
  const [choice, setChoice] = useState("");
  const value = usable.some((c) => portKey(c.ref) === choice) ? choice : usable[0] ? portKey(usable[0].ref) : "";
  if (candidates.length === 0) return <p className="bb-hint">{emptyText}</p>;
  const blocked = candidates.length - usable.length;
  return (
    <div className="bb-connect">
      <label htmlFor={id}>{label}</label>
      <div className="bb-connect-row">
        <select id={id} value={value} onChange={(e) => setChoice(e.target.value)} aria-describedby={`${id}-hint`}>
          {usable.length === 0 && <option value="">No matching port</option>}
          {candidates.map((c) => (
            <option key={portKey(c.ref)} value={portKey(c.ref)} disabled={!!c.problem}>
              {c.label}
              {c.problem ? ` — ${c.problem}` : c.replaces ? " (replaces its current connection)" : ""}
            </option>
          ))}
        </select>
        <button type="button" disabled={!value} onClick={() => value && onConnect(parseKey(value))}>
          Connect
        </button>
      </div>
      <p id={`${id}-hint`} className="bb-hint">
        {usable.length} {usable.length === 1 ? "port fits" : "ports fit"}
        {blocked ? `; ${blocked} greyed out (wrong type or would make a loop)` : ""}.
      </p>
    </div>
  );
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
        {readOnly ? (
          <>
            <p>Select a block to see what it does and how it is set.</p>
            <h3>Blocks in this strategy</h3>
            {doc.nodes.length === 0 ? (
              <p className="bb-hint">There are no blocks yet.</p>
            ) : (
              <ul className="bb-block-list">
                {doc.nodes.map((n) => {
                  const s = catalogue.byKind.get(n.kind);
                  return (
                    <li key={n.id}>
                      <button type="button" className="bb-link" onClick={() => onSelect(n.id)}>
                        {nodeTitle(n, s)}
                      </button>{" "}
                      <span className="bb-muted">{paramSummary(s, n.params)}</span>
                    </li>
                  );
                })}
              </ul>
            )}
          </>
        ) : (
          <>
            <p>Select a block on the canvas to see what it does and change its settings.</p>
            <h3>Without a mouse</h3>
            <ul className="bb-keys">
              <li>
                <kbd>Tab</kbd> moves from block to block; the focused block is selected.
              </li>
              <li>
                <kbd>Enter</kbd> on a block jumps here, to its settings and connections; <kbd>Esc</kbd> goes back to the block.
              </li>
              <li>
                <kbd>Delete</kbd> removes the selected block; arrow keys move it.
              </li>
              <li>
                <kbd>Ctrl</kbd>+<kbd>Z</kbd> undoes, <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd> redoes.
              </li>
            </ul>
          </>
        )}
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

  const inputCandidates = (port: string, type: string): Candidate[] => {
    const out: Candidate[] = [];
    for (const n of doc.nodes) {
      if (n.id === node.id) continue;
      const s = catalogue.byKind.get(n.kind);
      for (const o of s?.outputs ?? []) {
        const mismatch = typeMismatch(o.type, type) ? `gives a ${typeWord(o.type)}, not a ${typeWord(type)}` : null;
        out.push({
          ref: { node: n.id, port: o.name },
          label: `${nodeTitle(n, s)} (${n.id}) → ${o.label} (${typeWord(o.type)})`,
          problem: mismatch ?? (wouldLoop(doc, n.id, node.id) ? "would make a loop" : null),
          replaces: doc.edges.some((e) => e.to.node === node.id && e.to.port === port),
        });
      }
    }
    return out;
  };
  const outputCandidates = (type: string): Candidate[] => {
    const out: Candidate[] = [];
    for (const n of doc.nodes) {
      if (n.id === node.id) continue;
      const s = catalogue.byKind.get(n.kind);
      for (const i of s?.inputs ?? []) {
        const mismatch = typeMismatch(type, i.type) ? `takes a ${typeWord(i.type)}, not a ${typeWord(type)}` : null;
        out.push({
          ref: { node: n.id, port: i.name },
          label: `${nodeTitle(n, s)} (${n.id}) → ${i.label} (${typeWord(i.type)})`,
          problem: mismatch ?? (wouldLoop(doc, node.id, n.id) ? "would make a loop" : null),
          replaces: doc.edges.some((e) => e.to.node === n.id && e.to.port === i.name),
        });
      }
    }
    // Free inputs first: they are what a beginner is most likely looking for.
    return out.sort((a, b) => Number(a.replaces) - Number(b.replaces));
  };

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
            {spec.params.map((p) => (
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
        {spec && spec.inputs.length > 0 && (
          <>
            <h3>Inputs</h3>
            {spec.inputs.map((port) => {
              const edge = doc.edges.find((e) => e.to.node === node.id && e.to.port === port.name);
              return (
                <div key={port.name} className="bb-port-panel" data-port={port.name}>
                  <p className="bb-port-name">
                    <strong>{port.label}</strong> <span className="bb-muted">takes a {typeWord(port.type)}</span>
                  </p>
                  {edge ? (
                    <p className="bb-linked">
                      From {describe(edge.from, "out")}{" "}
                      <button type="button" className="bb-link" onClick={() => onSelect(edge.from.node)}>
                        Go to block
                      </button>{" "}
                      <button type="button" onClick={() => doDisconnect(edge)}>
                        Disconnect
                      </button>
                    </p>
                  ) : (
                    <p className="bb-unlinked">Not connected yet.</p>
                  )}
                  {!readOnly && (
                    <ConnectRow
                      label={`Connect "${port.label}" from…`}
                      candidates={inputCandidates(port.name, port.type)}
                      onConnect={(from) => doConnect(from, { node: node.id, port: port.name })}
                      emptyText="Add a block that gives a value first, then connect it here."
                    />
                  )}
                </div>
              );
            })}
          </>
        )}
        {spec && spec.outputs.length > 0 && (
          <>
            <h3>Outputs</h3>
            {spec.outputs.map((port) => {
              const from = { node: node.id, port: port.name };
              const edges = doc.edges.filter((e) => sameRef(e.from, from));
              return (
                <div key={port.name} className="bb-port-panel" data-port={port.name}>
                  <p className="bb-port-name">
                    <strong>{port.label}</strong> <span className="bb-muted">gives a {typeWord(port.type)}</span>
                  </p>
                  {edges.length === 0 ? (
                    <p className="bb-unlinked">Not connected yet.</p>
                  ) : (
                    <ul className="bb-linked-list">
                      {edges.map((e) => (
                        <li key={`${e.to.node}:${e.to.port}`}>
                          Feeds {describe(e.to, "in")}{" "}
                          <button type="button" className="bb-link" onClick={() => onSelect(e.to.node)}>
                            Go to block
                          </button>{" "}
                          <button type="button" onClick={() => doDisconnect(e)}>
                            Disconnect
                          </button>
                        </li>
                      ))}
                    </ul>
                  )}
                  {!readOnly && (
                    <ConnectRow
                      label={`Connect "${port.label}" to…`}
                      candidates={outputCandidates(port.type)}
                      onConnect={(to) => doConnect(from, to)}
                      emptyText="Add a block with an input first, then connect this output to it."
                    />
                  )}
                </div>
              );
            })}
          </>
        )}
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
