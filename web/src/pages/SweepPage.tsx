// A parameter sweep: live progress, then every combination in a sortable table and, for two
// settings, a heatmap that shows whether good results form a broad area or a lucky spike.
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { keys } from "../api/keys";
import { sweepAxes, type Metrics, type RunParameters, type SweepResult } from "../api/types";
import { ErrorMessage, Field } from "../components/Field";
import { RunProgressView } from "../components/ProgressBar";
import { RobustnessDialog, sweepTarget, type RobustnessTarget } from "../components/RobustnessDialog";
import { runDataWords } from "../components/RunTable";
import { useStrategy, useSweep } from "../hooks/queries";
import { useAxisLabel } from "../hooks/useAxisLabel";
import { useRunEvents } from "../hooks/useRunEvents";
import { useTitle } from "../hooks/useTitle";
import { localTime, num } from "../lib/format";
import { metricInfo, metricValue } from "../lib/metrics";
import { robustBest } from "./sweepRobust";

const COLUMNS = ["total_return_pct", "cagr_pct", "max_drawdown_pct", "sharpe", "win_rate_pct", "profit_factor", "trades"];

export default function SweepPage() {
  const { id = "" } = useParams();
  const queryClient = useQueryClient();
  const sweep = useSweep(id);
  const r = sweep.data;
  const strategy = useStrategy(r?.strategy_id);
  const title = strategy.data?.title ?? "Sweep";
  const label = useAxisLabel(r?.strategy_id, r?.version);
  useTitle(`Sweep: ${title}`);
  const [check, setCheck] = useState<RobustnessTarget | null>(null);
  const live = !!r && (r.status === "queued" || r.status === "running");
  const progress = useRunEvents("sweep", live ? id : null, () => {
    queryClient.invalidateQueries({ queryKey: keys.sweep(id) });
    queryClient.invalidateQueries({ queryKey: keys.runs.all });
  }, { percent: r?.progress ?? 0, message: r?.status === "running" ? "Running the combinations…" : "Waiting for a free worker…" });

  if (sweep.isLoading) return <p role="status">Loading the sweep…</p>;
  if (sweep.error || !r) return <ErrorMessage error={sweep.error ?? new Error("No such sweep.")} />;
  const result = r.sweep;
  const p = r.parameters;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/backtests">Backtests</Link> <span aria-hidden="true">›</span> Sweep
      </p>
      <div className="page-head">
        <h1>
          Sweep: {title} <span className="version">version {r.version}</span>
        </h1>
        {r.status === "succeeded" && (
          <div className="actions">
            <button
              type="button"
              className="button primary"
              onClick={() => setCheck(sweepTarget(r, title, runDataWords(r), label))}
            >
              Check robustness
            </button>
          </div>
        )}
      </div>
      <p className="meta">
        {runDataWords(r)} · varying {sweepAxes(p).map((a) => label(`${a.node}.${a.param}`)).join(" and ")} · started{" "}
        {localTime(r.created_at)}
      </p>
      {live && <RunProgressView progress={progress} label="Sweep progress" />}
      {r.status === "failed" && (
        <p className="error-box" role="alert">
          <strong>This sweep failed.</strong> {r.error}
        </p>
      )}
      {r.status === "cancelled" && <p className="error-box">This sweep was cancelled.</p>}
      <RobustnessDialog target={check} onClose={() => setCheck(null)} />
      {r.status === "succeeded" && result && <SweepResults result={result} params={p} strategyId={r.strategy_id} label={label} />}
    </>
  );
}

type Label = (axis: string) => string;

function SweepResults({
  result,
  params,
  strategyId,
  label,
}: {
  result: SweepResult;
  params: RunParameters;
  strategyId: string;
  label: Label;
}) {
  const [metric, setMetric] = useState(result.sort ?? "total_return_pct");
  const rows = result.rows;
  const best = rows[0];
  const sortKey = result.sort ?? "total_return_pct";
  const sortInfo = metricInfo(sortKey);
  const robust = useMemo(() => robustBest(result, sortKey, sortInfo.higherIsBetter), [result, sortKey, sortInfo.higherIsBetter]);
  const where = (values: number[]) => result.axes.map((a, i) => `${label(a)} = ${clean(values[i])}`).join(", ");
  const same = !!best && !!robust && robust.row.values.every((v, i) => v === best.values[i]);
  return (
    <>
      <section className="section" aria-labelledby="sweep-best">
        <h2 id="sweep-best">Best combinations</h2>
        {best ? (
          <div className="best-grid">
            <div className="card" data-testid="single-best">
              <h3>Single best</h3>
              <p>
                {where(best.values)}: {sortInfo.label.toLowerCase()}{" "}
                <strong>{sortInfo.format(metricValue(best.metrics, sortKey))}</strong>, the top of{" "}
                {result.combinations ?? rows.length} combinations.
              </p>
            </div>
            {robust && (
              <div className="card robust-best" data-testid="robust-best">
                <h3>Robust best</h3>
                <p>
                  {where(robust.row.values)}: {sortInfo.label.toLowerCase()}{" "}
                  <strong>{sortInfo.format(metricValue(robust.row.metrics, sortKey))}</strong>, and{" "}
                  <strong>{sortInfo.format(robust.mean)}</strong> on average with its {robust.cells - 1} neighbour
                  {robust.cells - 1 === 1 ? "" : "s"} in the grid.
                  {same ? " It is also the single best." : ""}
                </p>
              </div>
            )}
          </div>
        ) : (
          <p>No combination could run.</p>
        )}
        {best && (
          <p className="help robust-why">
            Why the robust best matters: a lone spike surrounded by poor values is usually luck that fitted the past,
            while a value whose neighbours are also good sits in a broad area that is more likely to keep working. To
            use one, set its values in the strategy's <Link to={`/strategies/${strategyId}#settings`}>settings</Link>.
          </p>
        )}
      </section>
      {result.axes.length === 2 && (
        <section className="section" aria-labelledby="heatmap-title">
          <h2 id="heatmap-title">Heatmap</h2>
          <Field label="Colour by" className="narrow-field">
            <select value={metric} onChange={(e) => setMetric(e.target.value)}>
              {COLUMNS.map((k) => (
                <option key={k} value={k}>
                  {metricInfo(k).label}
                </option>
              ))}
            </select>
          </Field>
          <Heatmap result={result} params={params} metric={metric} label={label} />
        </section>
      )}
      <SweepTable result={result} label={label} />
    </>
  );
}

function axisValuesOf(result: SweepResult, params: RunParameters, i: number): number[] {
  const fromParams = sweepAxes(params)[i]?.values;
  if (fromParams?.length) return fromParams;
  return [...new Set(result.rows.map((r) => r.values[i]))].sort((a, b) => a - b);
}

const clean = (v: number) => num(v, 4).replace(/\.?0+$/, "");

function Heatmap({
  result,
  params,
  metric,
  label,
}: {
  result: SweepResult;
  params: RunParameters;
  metric: string;
  label: Label;
}) {
  const xs = axisValuesOf(result, params, 0);
  const ys = axisValuesOf(result, params, 1);
  const info = metricInfo(metric);
  const cells = useMemo(() => {
    const m = new Map<string, Metrics>();
    for (const r of result.rows) if (r.metrics) m.set(`${r.values[0]}|${r.values[1]}`, r.metrics);
    return m;
  }, [result.rows]);
  const values = result.rows
    .map((r) => metricValue(r.metrics, metric))
    .filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const color = (v: number | null | undefined) => {
    if (v === null || v === undefined || !Number.isFinite(v) || hi === lo) return "#f4f6f9";
    let t = (v - lo) / (hi - lo);
    if (!info.higherIsBetter) t = 1 - t;
    // Red (worst) through pale yellow to green (best); light enough for dark text (AA).
    const hue = t * 130;
    const light = 92 - Math.abs(t - 0.5) * 2 * 27;
    return `hsl(${hue.toFixed(0)} 65% ${light.toFixed(0)}%)`;
  };
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => color(lo + (hi - lo) * t));
  return (
    <>
    {values.length > 0 && (
      <div className="heat-legend" data-testid="heatmap-legend">
        <span className="heat-legend-label">
          {info.label}: <span className="visually-hidden">from </span>
          <span className="heat-legend-min">{info.format(lo)}</span>
        </span>
        <span
          className="heat-legend-bar"
          aria-hidden="true"
          style={{ background: hi === lo ? stops[0] : `linear-gradient(to right, ${stops.join(", ")})` }}
        />
        <span className="heat-legend-max">
          <span className="visually-hidden">to </span>
          {info.format(hi)}
        </span>
        <span className="meta">({info.higherIsBetter ? "higher" : "lower"} is better)</span>
      </div>
    )}
    <div className="table-wrap" role="region" aria-label={`Heatmap of ${info.label}`} tabIndex={0}>
      <table className="heatmap">
        <caption>
          {info.label} for each combination: {label(result.axes[0])} across, {label(result.axes[1])} down. Greener
          is better, redder is worse; empty cells were skipped by the sweep's rule.
        </caption>
        <thead>
          <tr>
            <th scope="col">
              <span aria-hidden="true">
                {label(result.axes[1])} ↓ / {label(result.axes[0])} →
              </span>
              <span className="visually-hidden">{label(result.axes[1])}</span>
            </th>
            {xs.map((x) => (
              <th scope="col" key={x}>
                {clean(x)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ys.map((y) => (
            <tr key={y}>
              <th scope="row">{clean(y)}</th>
              {xs.map((x) => {
                const m = cells.get(`${x}|${y}`);
                const v = metricValue(m, metric);
                return (
                  <td key={x} style={{ background: m ? color(v) : undefined }} className={m ? undefined : "empty-cell"}>
                    {m ? info.format(v) : <span className="visually-hidden">skipped</span>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
    </>
  );
}

function SweepTable({ result, label }: { result: SweepResult; label: Label }) {
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: result.sort ?? "total_return_pct", desc: true });
  const [showAll, setShowAll] = useState(false);
  const rows = useMemo(() => {
    const get = (r: SweepResult["rows"][number]) => {
      if (sort.key.startsWith("axis:")) return r.values[Number(sort.key.slice(5))];
      const v = metricValue(r.metrics, sort.key);
      return typeof v === "number" && Number.isFinite(v) ? v : -Infinity;
    };
    return [...result.rows].sort((a, b) => (sort.desc ? get(b) - get(a) : get(a) - get(b)));
  }, [result.rows, sort]);
  const shown = showAll ? rows : rows.slice(0, 50);
  const head = (key: string, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" className="num" aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"} key={key}>
        <button
          type="button"
          className="sort-button"
          onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : !key.startsWith("axis:") }))}
        >
          {label}
          <span aria-hidden="true" className="sort-mark">
            {active ? (sort.desc ? " ▼" : " ▲") : " ↕"}
          </span>
        </button>
      </th>
    );
  };
  return (
    <section className="section" aria-labelledby="sweep-table-title">
      <h2 id="sweep-table-title">Every combination ({rows.length})</h2>
      <p className="help">Press a column title to sort.</p>
      <div className="table-wrap" role="region" aria-label="Every combination" tabIndex={0}>
        <table className="table">
          <thead>
            <tr>
              {result.axes.map((a, i) => head(`axis:${i}`, label(a)))}
              {COLUMNS.map((k) => head(k, metricInfo(k).label))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.values.join("|")}>
                {r.values.map((v, i) => (
                  <td key={i} className="num" data-label={label(result.axes[i])}>
                    {clean(v)}
                  </td>
                ))}
                {COLUMNS.map((k) => (
                  <td key={k} className="num" data-label={metricInfo(k).label}>
                    {metricInfo(k).format(metricValue(r.metrics, k))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > 50 && (
        <button type="button" className="button" onClick={() => setShowAll((v) => !v)}>
          {showAll ? "Show the first 50" : `Show all ${rows.length}`}
        </button>
      )}
    </section>
  );
}
