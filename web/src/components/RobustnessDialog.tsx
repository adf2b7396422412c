// "Check robustness": the robustness lab's settings, prefilled from a sweep (its parameters,
// rules, data and costs) or from a backtest (the version's numeric block settings, a range
// around each current value). The data and costs are the run's own; the dialog sets what to
// vary and how deep each check goes. The server's refusals show on their field; a plan limit
// opens the upgrade prompt.
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { CreateRobustness, Objective, RunParameters, WindowMode } from "../api/types";
import { useUpgradePrompt } from "../hooks/upgrade";
import { num } from "../lib/format";
import { metricInfo } from "../lib/metrics";
import { axisSpec, constraintSpec, opWords } from "../lib/robustness";
import { defaultAxis, nodeName, type ParamRef } from "../pages/strategyParams";
import { Field } from "./Field";
import { Modal } from "./Modal";

/** One parameter the check may vary: a range (from, to, step) or a list of values. */
export interface AxisDraft {
  key: string;
  label: string;
  on: boolean;
  start: string;
  end: string;
  step: string;
  /** Values separated by commas, when the sweep's were not evenly spaced. */
  list?: string;
}

export interface RobustnessTarget {
  strategyId: string;
  version: number;
  title: string;
  /** The data, period and costs every combination shares (a sweep's or a backtest's). */
  base: RunParameters;
  /** The data and costs in words. */
  dataWords: string;
  axes: AxisDraft[];
  /** Rules between parameters, `fast.period<slow.period`, ticked at first. */
  where: string[];
}

const OBJECTIVES: Objective[] = ["sharpe", "total_return_pct", "cagr_pct", "sortino", "calmar", "profit_factor"];

interface Form {
  windows: string;
  mode: WindowMode;
  inSample: string;
  objective: Objective;
  minTrades: string;
  holdout: string;
  runs: string;
  seed: string;
}

const DEFAULTS: Form = {
  windows: "5",
  mode: "rolling",
  inSample: "75",
  objective: "sharpe",
  minTrades: "5",
  holdout: "20",
  runs: "1000",
  seed: "",
};

type Errors = Partial<Record<keyof Form | "axes" | "form", string>>;

/** The API's `details.field` → the form's field. */
function fieldOf(field: unknown): keyof Errors {
  // `params[2]`, `where[0]`: the settings to vary
  if (typeof field === "string" && /^(params|where)\[\d+\]$/.test(field)) return "axes";
  switch (field) {
    case "windows":
      return "windows";
    case "mode":
      return "mode";
    case "in_sample_pct":
      return "inSample";
    case "objective":
      return "objective";
    case "min_trades":
      return "minTrades";
    case "holdout_pct":
      return "holdout";
    case "monte_carlo_runs":
      return "runs";
    case "seed":
      return "seed";
    case "params":
    case "where":
      return "axes";
    default:
      return "form";
  }
}

const whole = (s: string) => /^\d+$/.test(s.trim());
const number = (s: string) => s.trim() !== "" && Number.isFinite(Number(s));

function ruleParts(rule: string): { left: string; op: string; right: string } | null {
  const m = rule.match(/^\s*([\w-]+\.[\w-]+)\s*(<=|>=|<|>)\s*([\w-]+\.[\w-]+)\s*$/);
  return m ? { left: m[1], op: m[2], right: m[3] } : null;
}

export function RobustnessDialog({ target, onClose }: { target: RobustnessTarget | null; onClose(): void }) {
  return (
    <Modal open={!!target} title={target ? `Check robustness: ${target.title}` : ""} onClose={onClose} wide>
      {target && <RobustnessForm key={`${target.strategyId}-${target.version}`} target={target} onClose={onClose} />}
    </Modal>
  );
}

function RobustnessForm({ target, onClose }: { target: RobustnessTarget; onClose(): void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const uid = useId();
  const [axes, setAxes] = useState<AxisDraft[]>(target.axes);
  const [rules, setRules] = useState<{ rule: string; on: boolean }[]>(target.where.map((rule) => ({ rule, on: true })));
  const [form, setForm] = useState<Form>(DEFAULTS);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  // The first problem comes into view (a server refusal may be on a field far up the dialog).
  useEffect(() => {
    const el = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .field-error, .error-box');
    if (!el) return;
    el.scrollIntoView({ block: "center" });
    if (el.matches("input, select")) el.focus();
  }, [errors]);

  const labelOf = (key: string) => axes.find((a) => a.key === key)?.label ?? key;
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const setAxis = (i: number, patch: Partial<AxisDraft>) => setAxes((all) => all.map((a, j) => (j === i ? { ...a, ...patch } : a)));
  const chosen = axes.filter((a) => a.on);
  // A rule applies only between two varied parameters.
  const applicable = rules.filter((r) => {
    const p = ruleParts(r.rule);
    return p && chosen.some((a) => a.key === p.left) && chosen.some((a) => a.key === p.right);
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Errors = {};
    if (!chosen.length) errs.axes = "Choose at least one setting to vary.";
    for (const a of chosen) {
      if (a.list !== undefined) {
        if (!a.list.split(",").every((v) => number(v))) errs.axes = `Enter the values of ${a.label} as numbers separated by commas.`;
      } else if (![a.start, a.end, a.step].every(number) || Number(a.step) <= 0 || Number(a.end) < Number(a.start)) {
        errs.axes = `Enter a start, an end not below it and a step above 0 for ${a.label}.`;
      }
    }
    if (!whole(form.windows)) errs.windows = "Enter a whole number of windows, e.g. 5.";
    if (!number(form.inSample)) errs.inSample = "Enter a percentage, e.g. 75.";
    if (!whole(form.minTrades)) errs.minTrades = "Enter a whole number of trades, e.g. 5.";
    if (!number(form.holdout)) errs.holdout = "Enter a percentage, e.g. 20 (0 keeps nothing aside).";
    if (!whole(form.runs)) errs.runs = "Enter a whole number of simulations, e.g. 1000.";
    if (form.seed.trim() !== "" && !(whole(form.seed) && Number.isSafeInteger(Number(form.seed))))
      errs.seed = "Enter a whole number up to 9,007,199,254,740,991, or leave it empty for a random one.";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const p = target.base;
    const body: CreateRobustness = {
      strategy_id: target.strategyId,
      version: target.version,
      dataset_id: p.dataset_id,
      timeframe: p.timeframe,
      from: p.from_ms !== null && p.from_ms !== undefined ? String(p.from_ms) : undefined,
      to: p.to_ms !== null && p.to_ms !== undefined ? String(p.to_ms) : undefined,
      initial_capital: p.initial_capital,
      fee_pct: p.fee_pct,
      slippage_bps: p.slippage_bps,
      fill: p.fill,
      allow_short: p.allow_short,
      fill_gaps: p.gap_policy === "forward_fill",
      params: chosen.map((a) =>
        a.list !== undefined ? `${a.key}=${a.list.split(",").map((v) => v.trim()).join(",")}` : `${a.key}=${a.start.trim()}..${a.end.trim()}:${a.step.trim()}`,
      ),
      where: applicable.filter((r) => r.on).map((r) => r.rule),
      windows: Number(form.windows),
      mode: form.mode,
      in_sample_pct: Number(form.inSample),
      objective: form.objective,
      min_trades: Number(form.minTrades),
      holdout_pct: Number(form.holdout),
      monte_carlo_runs: Number(form.runs),
      seed: form.seed.trim() === "" ? undefined : Number(form.seed),
    };
    setBusy(true);
    try {
      const run = await data(api.POST("/api/v1/robustness", { body }));
      queryClient.invalidateQueries({ queryKey: keys.robustness.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      onClose();
      navigate(`/robustness/${run.id}`);
    } catch (err) {
      if (showQuota(err)) return;
      if (err instanceof ApiError) setErrors({ [fieldOf(err.details?.field)]: err.message });
      else setErrors({ form: "Could not reach the server. Try again." });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="robustness-form">
      <p className="help">
        Is the backtest's result a real edge or luck? This tests the strategy on data it was not tuned on, reshuffles
        and redraws its trades, compares it with random entries and measures how much the search for good settings
        flatters it. It uses the same data and costs: {target.dataWords}, a fee of {num(target.base.fee_pct, 2)}% and{" "}
        {num(target.base.slippage_bps, 1)} bps of slippage per trade.
      </p>
      {errors.form && (
        <p className="error-box" role="alert">
          {errors.form}
        </p>
      )}
      <fieldset>
        <legend>Settings to vary</legend>
        <p className="help">Each part of the walk-forward picks the best of these combinations on its past data.</p>
        {axes.map((a, i) => (
          <div key={a.key} className="axis robustness-axis">
            <div className="checkbox">
              <input type="checkbox" id={`${uid}-axis-${i}`} checked={a.on} onChange={(e) => setAxis(i, { on: e.target.checked })} />
              <label htmlFor={`${uid}-axis-${i}`}>{a.label}</label>
            </div>
            {a.on &&
              (a.list !== undefined ? (
                <Field label={`Values of ${a.label}`} help="Separated by commas.">
                  <input value={a.list} onChange={(e) => setAxis(i, { list: e.target.value })} />
                </Field>
              ) : (
                <div className="field-row axis-row">
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
              ))}
          </div>
        ))}
        {applicable.map((r) => {
          const p = ruleParts(r.rule)!;
          const id = `${uid}-rule-${r.rule}`;
          return (
            <div className="checkbox" key={r.rule}>
              <input
                type="checkbox"
                id={id}
                checked={r.on}
                onChange={(e) => setRules((all) => all.map((x) => (x.rule === r.rule ? { ...x, on: e.target.checked } : x)))}
              />
              <label htmlFor={id}>
                Only combinations where {labelOf(p.left)} is {opWords(p.op)} {labelOf(p.right)}
              </label>
            </div>
          );
        })}
        {errors.axes && (
          <p className="field-error" role="alert">
            {errors.axes}
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>Walk-forward</legend>
        <p className="help">
          The history is cut into windows. In each, the settings are chosen on the first part (in sample) and then
          traded on the part right after it (out of sample), as if you had picked them then.
        </p>
        <div className="field-row">
          <Field label="Number of windows" error={errors.windows} help="1 to 50 (the free plan: up to 5).">
            <input type="number" inputMode="numeric" min="1" max="50" value={form.windows} onChange={(e) => set("windows", e.target.value)} />
          </Field>
          <Field label="In sample (%)" error={errors.inSample} help="Of each window, 50 to 95.">
            <input type="number" min="50" max="95" value={form.inSample} onChange={(e) => set("inSample", e.target.value)} />
          </Field>
          <Field label="Minimum trades" error={errors.minTrades} help="Settings with fewer trades are never chosen.">
            <input type="number" inputMode="numeric" min="0" value={form.minTrades} onChange={(e) => set("minTrades", e.target.value)} />
          </Field>
        </div>
        <Field label="Choose the settings by" error={errors.objective}>
          <select value={form.objective} onChange={(e) => set("objective", OBJECTIVES.find((o) => o === e.target.value) ?? "sharpe")}>
            {OBJECTIVES.map((o) => (
              <option key={o} value={o}>
                {metricInfo(o).label}
              </option>
            ))}
          </select>
        </Field>
        <fieldset className="radio-group">
          <legend>How the windows move</legend>
          <div className="radio">
            <input type="radio" id={`${uid}-rolling`} name={`${uid}-mode`} checked={form.mode === "rolling"} onChange={() => set("mode", "rolling")} />
            <label htmlFor={`${uid}-rolling`}>
              <strong>Rolling</strong> (default): every window's in-sample part has the same length and moves forward.
            </label>
          </div>
          <div className="radio">
            <input type="radio" id={`${uid}-anchored`} name={`${uid}-mode`} checked={form.mode === "anchored"} onChange={() => set("mode", "anchored")} />
            <label htmlFor={`${uid}-anchored`}>
              <strong>Anchored</strong>: every in-sample part starts at the beginning and grows.
            </label>
          </div>
          {errors.mode && <p className="field-error">{errors.mode}</p>}
        </fieldset>
      </fieldset>
      <fieldset>
        <legend>Holdout and simulations</legend>
        <div className="field-row">
          <Field
            label="Holdout (%)"
            error={errors.holdout}
            help="The last part of the candles, kept aside until you choose to look: 0 to 50."
          >
            <input type="number" min="0" max="50" value={form.holdout} onChange={(e) => set("holdout", e.target.value)} />
          </Field>
          <Field label="Monte Carlo runs" error={errors.runs} help="Simulated histories per check, 100 to 10,000 (free plan: 1,000).">
            <input type="number" inputMode="numeric" min="100" max="10000" value={form.runs} onChange={(e) => set("runs", e.target.value)} />
          </Field>
          <Field label="Seed (optional)" error={errors.seed} help="The same seed gives the same numbers; empty picks one.">
            <input type="number" inputMode="numeric" min="0" value={form.seed} onChange={(e) => set("seed", e.target.value)} />
          </Field>
        </div>
      </fieldset>
      <div className="actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Starting…" : "Start the check"}
        </button>
      </div>
    </form>
  );
}

/** A sweep's parameters, rules, data and costs as the dialog's starting point. */
export function sweepTarget(
  run: { strategy_id: string; version: number; parameters: RunParameters },
  title: string,
  dataWords: string,
  label: (axis: string) => string,
): RobustnessTarget {
  const p = run.parameters;
  const axes = "axes" in p ? p.axes : [];
  const constraints = "constraints" in p ? p.constraints : [];
  return {
    strategyId: run.strategy_id,
    version: run.version,
    title,
    base: p,
    dataWords,
    axes: axes.map((a) => {
      const key = `${a.node}.${a.param}`;
      const spec = axisSpec(a).slice(key.length + 1);
      const range = spec.match(/^(.+)\.\.(.+):(.+)$/);
      return range
        ? { key, label: label(key), on: true, start: range[1], end: range[2], step: range[3] }
        : { key, label: label(key), on: true, start: "", end: "", step: "", list: spec };
    }),
    where: constraints.map(constraintSpec),
  };
}

/** A backtest's data and costs with the version's numeric block settings: the first two varied,
 * each over five values around its current one; a rule keeps two periods in order. */
export function backtestTarget(
  run: { strategy_id: string; version: number; parameters: RunParameters },
  title: string,
  dataWords: string,
  params: ParamRef[],
): RobustnessTarget {
  const numeric = params.filter((p) => p.param.type === "integer" || p.param.type === "number");
  const axes = numeric.map((p, i) => ({
    ...defaultAxis(p),
    label: `${nodeName(p.node, p.block)}: ${p.param.label} (now ${String(p.value)})`,
    on: i < 2,
  }));
  const [a, b] = axes;
  const sameParam = !!a && !!b && a.key.split(".")[1] === b.key.split(".")[1];
  return {
    strategyId: run.strategy_id,
    version: run.version,
    title,
    base: run.parameters,
    dataWords,
    axes,
    where: sameParam ? [`${a.key}<${b.key}`] : [],
  };
}
