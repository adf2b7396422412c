// The strategy page's settings: every number its blocks use, editable by the owner; saving
// makes a new version (the old one stays, so the two can be compared).
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import { specGraph } from "../api/report";
import type { BlockInfo, Diagnostic, GraphDocument, Strategy, VersionCreated, VersionView } from "../api/types";
import { Field } from "../components/Field";
import { num } from "../lib/format";
import { optionWords, paramUsed } from "../lib/params";
import { graphParams, nodeName, type ParamRef } from "./strategyParams";

export function SettingsSection({
  strategy,
  version,
  catalogue,
  editable,
  onRun,
}: {
  strategy: Strategy;
  version: VersionView;
  catalogue: Map<string, BlockInfo>;
  editable: boolean;
  onRun(version: number): void;
}) {
  const queryClient = useQueryClient();
  const [showAll, setShowAll] = useState(false);
  // Every parameter, so that the form can follow a change of mode before it is saved.
  const params = useMemo(() => graphParams(version.graph, catalogue, true, true), [version.graph, catalogue]);
  const key = (p: ParamRef) => `${p.node.id}.${p.param.name}`;
  const [values, setValues] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [saved, setSaved] = useState<VersionCreated | null>(null);

  const shownVersion = useRef(version.version);
  useEffect(() => {
    // A new version starts from its own values; showing more settings keeps the edits made.
    const fresh = shownVersion.current !== version.version;
    shownVersion.current = version.version;
    setValues((old) => Object.fromEntries(params.map((p) => [key(p), (!fresh && old[key(p)]) || String(p.value)])));
  }, [params, version.version]);

  // Shown: what the strategy sets and its modes' own settings (a percent stop's distance), or
  // with `showAll` every default too; never what the block's mode, as edited, leaves unused.
  const shown = params.filter((p) => {
    const live = Object.fromEntries((p.block?.params ?? []).map((q) => [q.name, values[`${p.node.id}.${q.name}`] ?? p.node.params?.[q.name]]));
    if (!paramUsed(p.param, p.block?.params ?? [], live)) return false;
    return showAll || p.given || !!p.param.used_when;
  });
  const changes = shown.filter((p) => values[key(p)] !== undefined && values[key(p)] !== String(p.value));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!changes.length) return;
    setSaving(true);
    setError(null);
    setDiagnostics([]);
    const graph: GraphDocument = structuredClone(version.graph);
    for (const p of changes) {
      const node = graph.nodes.find((n) => n.id === p.node.id)!;
      const raw = values[key(p)];
      const v = p.param.type === "number" || p.param.type === "integer" ? Number(raw) : p.param.type === "boolean" ? raw === "true" : raw;
      node.params = { ...(node.params ?? {}), [p.param.name]: v };
    }
    const notes = changes
      .map((p) => `${nodeName(p.node, p.block)}: ${p.param.label} ${String(p.value)} → ${values[key(p)]}`)
      .join("; ");
    try {
      const created = await data(
        api.POST("/api/v1/strategies/{id}/versions", {
          params: { path: { id: strategy.id } },
          body: { graph: specGraph(graph), notes },
        }),
      );
      setSaved(created);
      queryClient.invalidateQueries({ queryKey: keys.strategies.all });
    } catch (err) {
      if (err instanceof ApiError) {
        setError(err.message);
        const d = err.diagnostics;
        if (d) setDiagnostics(d);
      } else setError("Could not reach the server. Try again.");
    } finally {
      setSaving(false);
    }
  };

  const diagFor = (p: ParamRef) =>
    diagnostics.find((d) => d.node === p.node.id && (!d.param || d.param === p.param.name))?.message ?? null;

  return (
    <section className="section card" aria-labelledby="settings-title" id="settings">
      <h2 id="settings-title">Settings</h2>
      {saved ? (
        <div role="status" className="success-box">
          <p>
            Saved as <strong>version {saved.version.version}</strong>.
            {saved.diagnostics.length > 0 && ` ${saved.diagnostics.length} note(s) from the checker.`}
          </p>
          <div className="actions">
            <button type="button" className="button primary" onClick={() => onRun(saved.version.version)}>
              Run backtest on version {saved.version.version}
            </button>
            <button type="button" className="button" onClick={() => setSaved(null)}>
              Change another setting
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={save} noValidate>
          <p className="help">
            {editable
              ? `The numbers in version ${version.version}. Change one, save, and the strategy gets a new version; the old one stays, so you can compare them.`
              : `The numbers in version ${version.version}. Use this template to change them in your own copy.`}
          </p>
          {error && (
            <div className="error-box" role="alert">
              <p>{error}</p>
              {diagnostics.length > 0 && (
                <ul>
                  {diagnostics.map((d, i) => (
                    <li key={i}>{d.message}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div className="param-grid">
            {shown.map((p) => (
              <ParamField
                key={key(p)}
                p={p}
                name={nodeName(p.node, p.block)}
                value={values[key(p)] ?? ""}
                disabled={!editable}
                error={diagFor(p)}
                onChange={(v) => setValues((all) => ({ ...all, [key(p)]: v }))}
              />
            ))}
          </div>
          <button
            type="button"
            className="button link-button"
            aria-expanded={showAll}
            onClick={() => setShowAll((v) => !v)}
          >
            {showAll ? "Show only the settings this strategy uses" : "Show every setting, including unused defaults"}
          </button>
          {editable && (
            <div className="actions">
              <button type="submit" className="button primary" disabled={!changes.length || saving}>
                {saving ? "Saving…" : changes.length ? `Save as version ${strategy.latest_version + 1}` : "Save as a new version"}
              </button>
              {changes.length > 0 && (
                <span className="meta" aria-live="polite">
                  {changes.length} change{changes.length > 1 ? "s" : ""} not saved yet
                </span>
              )}
            </div>
          )}
        </form>
      )}
    </section>
  );
}

function ParamField({
  p,
  name,
  value,
  disabled,
  error,
  onChange,
}: {
  p: ParamRef;
  name: string;
  value: string;
  disabled: boolean;
  error: string | null;
  onChange(v: string): void;
}) {
  const label = `${name}: ${p.param.label}${p.param.unit ? ` (${p.param.unit})` : ""}`;
  const range =
    p.param.min !== undefined && p.param.max !== undefined && Math.max(Math.abs(p.param.min), Math.abs(p.param.max)) < 1e6
      ? `From ${num(p.param.min, p.param.type === "integer" ? 0 : 2).replace(/\.00$/, "")} to ${num(p.param.max, 0)}.`
      : undefined;
  if (p.param.type === "choice" && p.param.options) {
    return (
      <Field label={label} error={error}>
        <select value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          {p.param.options.map((o) => (
            <option key={o} value={o}>
              {optionWords(o)}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  if (p.param.type === "boolean") {
    return (
      <Field label={label} error={error}>
        <select value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      </Field>
    );
  }
  return (
    <Field label={label} error={error} help={range}>
      <input
        type="number"
        inputMode="decimal"
        value={value}
        min={p.param.min}
        max={p.param.max}
        step={p.param.type === "integer" ? 1 : "any"}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}
