// One strategy: what it is, its settings (change a parameter = a new version), its versions,
// its recent backtests, and a parameter sweep.
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import { specGraph } from "../api/report";
import type {
  BlockInfo,
  BlockParam,
  CreateSweep,
  Diagnostic,
  GraphDocument,
  Strategy,
  StrategyDocument,
  StrategyNode,
  VersionCreated,
  VersionView,
} from "../api/types";
import { defaultDataset } from "../components/DatasetSelect";
import { ErrorMessage, Field } from "../components/Field";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import {
  apiFieldToSetting,
  DEFAULT_SETTINGS,
  RunSettingsFields,
  settingsToRequest,
  type FieldErrors,
  type RunSettings,
} from "../components/RunSettings";
import { RunTable } from "../components/RunTable";
import { useUser } from "../hooks/auth";
import {
  useBlocks,
  useDatasets,
  usePlanUsage,
  useRuns,
  useStrategy,
  useStrategyTitles,
  useVersion,
  useVersions,
} from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { useTitle } from "../hooks/useTitle";
import { localTime, num } from "../lib/format";
import { metricInfo } from "../lib/metrics";
import { visibilityWords } from "./StrategiesPage";

export default function StrategyPage() {
  const { id } = useParams();
  const user = useUser();
  const strategy = useStrategy(id);
  const s = strategy.data;
  useTitle(s?.title ?? "Strategy");
  const [runTarget, setRunTarget] = useState<RunTarget | null>(null);
  const version = useVersion(id, s?.latest_version || undefined);
  const blocks = useBlocks();
  const location = useLocation();

  useEffect(() => {
    if (!location.hash || !s) return;
    document.getElementById(location.hash.slice(1))?.scrollIntoView();
  }, [location.hash, s, version.data]);

  if (strategy.isLoading) return <p role="status">Loading the strategy…</p>;
  if (strategy.error || !s) return <ErrorMessage error={strategy.error ?? new Error("Strategy not found.")} />;
  const mine = s.owner_id === user.id;
  const catalogue = new Map((blocks.data?.blocks ?? []).map((b) => [b.kind, b]));

  return (
    <>
      <p className="breadcrumb">
        <Link to="/strategies">My strategies</Link> <span aria-hidden="true">›</span> {s.title}
      </p>
      <div className="page-head">
        <h1>{s.title}</h1>
        <div className="actions">
          {mine ? (
            <>
              <button
                type="button"
                className="button primary"
                disabled={s.latest_version < 1}
                onClick={() => setRunTarget({ id: s.id, title: s.title, latest_version: s.latest_version })}
              >
                Run backtest
              </button>
              <Link className="button" to={`/strategies/${s.id}/edit`}>
                Edit on the canvas
              </Link>
            </>
          ) : (
            <CloneButton strategy={s} />
          )}
        </div>
      </div>
      {s.description && <p className="lead">{s.description}</p>}
      <p className="meta">
        {s.latest_version > 0 ? `Version ${s.latest_version}` : "No version saved yet"} · {visibilityWords(s.visibility)}
        {s.tags.length > 0 && ` · ${s.tags.join(", ")}`}
      </p>

      {version.data && (
        <SettingsSection
          key={s.id}
          strategy={s}
          version={version.data}
          catalogue={catalogue}
          editable={mine}
          onRun={(v) => setRunTarget({ id: s.id, title: s.title, latest_version: v, version: v })}
        />
      )}
      <VersionsSection strategy={s} />
      {mine && <RunsSection strategy={s} />}
      {mine && version.data && <SweepSection strategy={s} version={version.data} catalogue={catalogue} />}
      <RunDialog strategy={runTarget} onClose={() => setRunTarget(null)} />
    </>
  );
}

function CloneButton({ strategy }: { strategy: Strategy }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button
        type="button"
        className="button primary"
        onClick={async () => {
          try {
            const c = await data(
              api.POST("/api/v1/strategies/{id}/clone", { params: { path: { id: strategy.id } }, body: {} }),
            );
            queryClient.invalidateQueries({ queryKey: keys.strategies.all });
            navigate(`/strategies/${c.strategy.id}`);
          } catch (e) {
            if (!showQuota(e)) setError(e);
          }
        }}
      >
        Use this template
      </button>
      <ErrorMessage error={error} />
    </>
  );
}

interface ParamRef {
  node: StrategyNode;
  block?: BlockInfo;
  param: BlockParam;
  value: unknown;
}

function nodeName(node: StrategyNode, block?: BlockInfo): string {
  return node.label ?? block?.name ?? node.id;
}

/** The parameters of the graph's blocks with their catalogue entries: those the strategy sets,
 * or with `all` every parameter (the rest at their defaults). */
function graphParams(graph: StrategyDocument, catalogue: Map<string, BlockInfo>, all = false): ParamRef[] {
  const out: ParamRef[] = [];
  for (const node of graph.nodes) {
    const block = catalogue.get(node.kind);
    const given: Record<string, unknown> = node.params ?? {};
    const params: BlockParam[] = block?.params ?? Object.keys(given).map((name) => ({ name, label: name, type: "number" }));
    for (const param of params) {
      const set = given[param.name];
      if (set === undefined && !all) continue;
      const value = set ?? param.default;
      if (value === undefined) continue;
      out.push({ node, block, param, value });
    }
  }
  return out;
}

function SettingsSection({
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
  const params = useMemo(() => graphParams(version.graph, catalogue, showAll), [version.graph, catalogue, showAll]);
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

  const changes = params.filter((p) => values[key(p)] !== undefined && values[key(p)] !== String(p.value));

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
            {params.map((p) => (
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
            <option key={o}>{o}</option>
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

function VersionsSection({ strategy }: { strategy: Strategy }) {
  const versions = useVersions(strategy.id);
  return (
    <section className="section" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {versions.isLoading && <p role="status">Loading versions…</p>}
      <ErrorMessage error={versions.error} />
      {versions.data?.length === 0 && <p>No version saved yet. Open the canvas to build the strategy.</p>}
      <ul className="versions">
        {[...(versions.data ?? [])].reverse().map((v) => (
          <li key={v.version}>
            <strong>Version {v.version}</strong> · {localTime(v.created_at)}
            {!v.valid && <span className="pill pill-draft">Has problems</span>}
            {v.notes && <span className="meta"> · {v.notes}</span>}{" "}
            <Link to={`/backtests?strategy=${strategy.id}&version=${v.version}`}>Its backtests</Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

function RunsSection({ strategy }: { strategy: Strategy }) {
  const runs = useRuns("backtests", { strategy_id: strategy.id, limit: 5 }, true);
  const sweeps = useRuns("sweeps", { strategy_id: strategy.id, limit: 5 }, true);
  const titles = useStrategyTitles();
  return (
    <section className="section" aria-labelledby="runs-title">
      <h2 id="runs-title">Recent backtests</h2>
      <ErrorMessage error={runs.error} />
      {runs.data?.items.length === 0 && <p>No backtests yet. Press “Run backtest” to test this strategy.</p>}
      {!!runs.data?.items.length && (
        <>
          <RunTable runs={runs.data.items} titles={titles} caption={`Recent backtests of ${strategy.title}`} />
          <p>
            <Link to={`/backtests?strategy=${strategy.id}`}>All backtests of this strategy, to compare them</Link>
          </p>
        </>
      )}
      {!!sweeps.data?.items.length && (
        <>
          <h3>Recent sweeps</h3>
          <RunTable runs={sweeps.data.items} titles={titles} caption={`Recent sweeps of ${strategy.title}`} kind="sweep" />
        </>
      )}
    </section>
  );
}

interface Axis {
  key: string;
  start: string;
  end: string;
  step: string;
}

function axisValues(a: Axis): number[] | string {
  const start = Number(a.start);
  const end = Number(a.end);
  const step = Number(a.step);
  if (![start, end, step].every(Number.isFinite)) return "Enter numbers for the start, end and step.";
  if (step <= 0) return "The step must be above 0.";
  if (end < start) return "The end must not be below the start.";
  const out: number[] = [];
  for (let v = start; v <= end + step * 1e-9 && out.length <= 100_000; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function defaultAxis(p: ParamRef): Axis {
  const v = Number(p.value);
  const int = p.param.type === "integer";
  let start = int ? Math.max(p.param.min ?? 1, Math.round(v / 2)) : v / 2;
  let end = int ? Math.round(v * 1.5) : v * 1.5;
  if (p.param.max !== undefined) end = Math.min(end, p.param.max);
  if (start === end) {
    start = v;
    end = v + 4;
  }
  const rawStep = (end - start) / 4;
  const step = int ? Math.max(1, Math.round(rawStep)) : Number(rawStep.toPrecision(2));
  return { key: `${p.node.id}.${p.param.name}`, start: String(start), end: String(end), step: String(step || 1) };
}

const SORT_KEYS = ["total_return_pct", "sharpe", "cagr_pct", "max_drawdown_pct", "profit_factor", "win_rate_pct"];

function SweepSection({
  strategy,
  version,
  catalogue,
}: {
  strategy: Strategy;
  version: VersionView;
  catalogue: Map<string, BlockInfo>;
}) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const datasets = useDatasets();
  const plan = usePlanUsage();
  const numeric = useMemo(
    () => graphParams(version.graph, catalogue).filter((p) => p.param.type === "integer" || p.param.type === "number"),
    [version.graph, catalogue],
  );
  const [axes, setAxes] = useState<Axis[]>([]);
  const [sort, setSort] = useState("total_return_pct");
  const [ordered, setOrdered] = useState(true);
  const [settings, setSettings] = useState<RunSettings | null>(null);
  const [showSettings, setShowSettings] = useState(false);
  const [errors, setErrors] = useState<FieldErrors & { axes?: string }>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (numeric.length && !axes.length) setAxes(numeric.slice(0, 2).map(defaultAxis));
  }, [numeric, axes.length]);
  useEffect(() => {
    if (!settings && datasets.data) setSettings({ ...DEFAULT_SETTINGS, datasetId: defaultDataset(datasets.data.items)?.id ?? "" });
  }, [datasets.data, settings]);

  if (!numeric.length) return null;
  const byKey = new Map(numeric.map((p) => [`${p.node.id}.${p.param.name}`, p]));
  const label = (k: string) => {
    const p = byKey.get(k);
    return p ? `${nodeName(p.node, p.block)}: ${p.param.label} (now ${String(p.value)})` : k;
  };
  const lists = axes.map(axisValues);
  const combos = lists.every(Array.isArray) ? (lists as number[][]).reduce((n, l) => n * l.length, 1) : null;
  const sameParam =
    axes.length === 2 && axes[0].key.split(".")[1] === axes[1].key.split(".")[1] && axes[0].key !== axes[1].key;
  const limit = plan.data?.max_sweep_combinations;

  const setAxis = (i: number, patch: Partial<Axis>) => setAxes((all) => all.map((a, j) => (j === i ? { ...a, ...patch } : a)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!settings) return;
    const bad = lists.find((l) => typeof l === "string") as string | undefined;
    if (axes.length === 2 && axes[0].key === axes[1].key) {
      setErrors({ axes: "Choose two different settings." });
      return;
    }
    if (bad) {
      setErrors({ axes: bad });
      return;
    }
    const checked = settingsToRequest(settings);
    if (!checked.ok) {
      setErrors(checked.errors);
      setShowSettings(true);
      return;
    }
    setErrors({});
    setBusy(true);
    const body: CreateSweep = {
      strategy_id: strategy.id,
      version: version.version,
      ...checked.body,
      params: axes.map((a) => `${a.key}=${a.start}..${a.end}:${a.step}`),
      where: sameParam && ordered ? [`${axes[0].key}<${axes[1].key}`] : [],
      sort,
    };
    try {
      const run = await data(api.POST("/api/v1/sweeps", { body }));
      queryClient.invalidateQueries({ queryKey: keys.runs.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      navigate(`/sweeps/${run.id}`);
    } catch (err) {
      if (showQuota(err)) return;
      if (err instanceof ApiError) {
        const f = apiFieldToSetting(err.details?.field);
        if (f) setShowSettings(true);
        setErrors(f ? { [f]: err.message } : { form: err.message });
      } else setErrors({ form: "Could not reach the server. Try again." });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="section card" aria-labelledby="sweep-title">
      <h2 id="sweep-title">Try many settings at once (sweep)</h2>
      <p className="help">
        A sweep runs one backtest for every combination of two settings, so you can see which values work and whether
        the good ones are a lucky spike or a broad, stable area.
      </p>
      <form onSubmit={submit} noValidate>
        {errors.form && (
          <p className="error-box" role="alert">
            {errors.form}
          </p>
        )}
        {axes.map((a, i) => (
          <fieldset key={i} className="axis">
            <legend>{i === 0 ? "First setting" : "Second setting"}</legend>
            <div className="field-row axis-row">
              <Field label="Setting">
                <select value={a.key} onChange={(e) => setAxis(i, defaultAxis(byKey.get(e.target.value)!))}>
                  {numeric.map((p) => {
                    const k = `${p.node.id}.${p.param.name}`;
                    return (
                      <option key={k} value={k}>
                        {label(k)}
                      </option>
                    );
                  })}
                </select>
              </Field>
              <Field label="From">
                <input type="number" step="any" value={a.start} onChange={(e) => setAxis(i, { start: e.target.value })} />
              </Field>
              <Field label="To">
                <input type="number" step="any" value={a.end} onChange={(e) => setAxis(i, { end: e.target.value })} />
              </Field>
              <Field label="Step">
                <input type="number" step="any" min="0" value={a.step} onChange={(e) => setAxis(i, { step: e.target.value })} />
              </Field>
            </div>
          </fieldset>
        ))}
        {errors.axes && (
          <p className="field-error" role="alert">
            {errors.axes}
          </p>
        )}
        {sameParam && (
          <div className="checkbox">
            <input type="checkbox" id="sweep-ordered" checked={ordered} onChange={(e) => setOrdered(e.target.checked)} />
            <label htmlFor="sweep-ordered">
              Only combinations where the first is smaller than the second (e.g. a fast average shorter than the slow one)
            </label>
          </div>
        )}
        <Field label="Rank the results by">
          <select value={sort} onChange={(e) => setSort(e.target.value)}>
            {SORT_KEYS.map((k) => (
              <option key={k} value={k}>
                {metricInfo(k).label}
              </option>
            ))}
          </select>
        </Field>
        <p aria-live="polite" className={limit && combos && combos > limit ? "field-error" : "meta"}>
          {combos === null
            ? "Fix the ranges to see how many combinations this is."
            : `${combos} combination${combos === 1 ? "" : "s"}${sameParam && ordered ? " at most (fewer after the rule above)" : ""}${
                limit ? `; your plan runs up to ${limit} in one sweep.` : "."
              }`}
        </p>
        <button
          type="button"
          className="button link-button"
          aria-expanded={showSettings}
          aria-controls="sweep-settings"
          onClick={() => setShowSettings((v) => !v)}
        >
          {showSettings ? "Hide market data and costs" : "Market data and costs (defaults: BTC-USD daily, 0.1% fee, 5 bps slippage)"}
        </button>
        <div id="sweep-settings" hidden={!showSettings}>
          {settings && (
            <RunSettingsFields value={settings} onChange={setSettings} datasets={datasets.data?.items ?? []} errors={errors} />
          )}
        </div>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy || !settings}>
            {busy ? "Starting…" : "Run sweep"}
          </button>
        </div>
      </form>
    </section>
  );
}
