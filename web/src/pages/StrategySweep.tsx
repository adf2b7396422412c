// The strategy page's sweep form: two settings, each from a start to an end in steps, the
// market data and costs, and how to rank the results; a plan limit opens the upgrade prompt.
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { BlockInfo, CreateSweep, Strategy, VersionView } from "../api/types";
import { defaultDataset } from "../components/DatasetSelect";
import { Field } from "../components/Field";
import {
  apiFieldToSetting,
  defaultSettings,
  RunSettingsFields,
  settingsToRequest,
  type FieldErrors,
  type RunSettings,
} from "../components/RunSettings";
import { useDatasets, useSettingsRanges, usePlanUsage } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { metricInfo } from "../lib/metrics";
import { defaultAxis, type AxisRange, graphParams, nodeName } from "./strategyParams";

type Axis = AxisRange;

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

const SORT_KEYS = ["total_return_pct", "sharpe", "cagr_pct", "max_drawdown_pct", "profit_factor", "win_rate_pct"];

export function SweepSection({
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
  const ranges = useSettingsRanges();
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
    if (!settings && datasets.data && ranges.data)
      setSettings(defaultSettings(ranges.data, defaultDataset(datasets.data.items)?.id ?? ""));
  }, [datasets.data, ranges.data, settings]);

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
    if (!settings || !ranges.data) return;
    const bad = lists.find((l) => typeof l === "string") as string | undefined;
    if (axes.length === 2 && axes[0].key === axes[1].key) {
      setErrors({ axes: "Choose two different settings." });
      return;
    }
    if (bad) {
      setErrors({ axes: bad });
      return;
    }
    const checked = settingsToRequest(settings, ranges.data);
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
          {showSettings
            ? "Hide market data and costs"
            : `Market data and costs (defaults: BTC-USD daily, ${ranges.data?.defaults.fee_pct ?? 0.1}% fee, ${ranges.data?.defaults.slippage_bps ?? 5} bps slippage)`}
        </button>
        <div id="sweep-settings" hidden={!showSettings}>
          {settings && ranges.data && (
            <RunSettingsFields
        value={settings}
        onChange={setSettings}
        datasets={datasets.data?.items ?? []}
        ranges={ranges.data}
        errors={errors}
      />
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
