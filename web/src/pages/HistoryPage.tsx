// Backtest history: filter by strategy, version and status; tick 2 to 5 finished runs and
// compare them. The user's sweeps are listed below.
import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { ErrorMessage, Field } from "../components/Field";
import { RunTable } from "../components/RunTable";
import { useMyStrategies, useRuns, useStrategyTitles } from "../hooks/queries";
import { useTitle } from "../hooks/useTitle";

const PAGE = 20;

export default function HistoryPage() {
  useTitle("Backtests");
  const [params, setParams] = useSearchParams();
  const strategyId = params.get("strategy") ?? "";
  const version = params.get("version") ?? "";
  const status = params.get("status") ?? "";
  const page = Math.max(0, Number(params.get("page") ?? 0) || 0);
  const mine = useMyStrategies();
  const titles = useStrategyTitles();
  const navigate = useNavigate();
  const [selected, setSelected] = useState<Set<string>>(new Set());

  const runs = useRuns(
    "backtests",
    {
      strategy_id: strategyId || undefined,
      version: version ? Number(version) : undefined,
      status: status || undefined,
      limit: PAGE,
      offset: page * PAGE,
    },
    true,
  );
  const sweeps = useRuns("sweeps", { strategy_id: strategyId || undefined, limit: 10 }, true);

  const update = (patch: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!("page" in patch)) next.delete("page");
    setParams(next, { replace: true });
  };

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else if (n.size < 5) n.add(id);
      return n;
    });

  const strategy = mine.data?.items.find((s) => s.id === strategyId);
  const total = runs.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));

  return (
    <>
      <h1>Backtests</h1>
      <p className="lead">Every test you ran, newest first. Tick two to five finished runs to compare them side by side.</p>
      <form className="filters" aria-label="Filter the backtests" onSubmit={(e) => e.preventDefault()}>
        <Field label="Strategy">
          <select value={strategyId} onChange={(e) => update({ strategy: e.target.value, version: "" })}>
            <option value="">All strategies</option>
            {(mine.data?.items ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.title}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Version">
          <select value={version} onChange={(e) => update({ version: e.target.value })} disabled={!strategy}>
            <option value="">All versions</option>
            {strategy &&
              Array.from({ length: strategy.latest_version }, (_, i) => strategy.latest_version - i).map((v) => (
                <option key={v} value={v}>
                  Version {v}
                </option>
              ))}
          </select>
        </Field>
        <Field label="Status">
          <select value={status} onChange={(e) => update({ status: e.target.value })}>
            <option value="">Any</option>
            <option value="succeeded">Finished</option>
            <option value="running">Running</option>
            <option value="queued">Waiting</option>
            <option value="failed">Failed</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </Field>
      </form>

      <div className="compare-bar" role="group" aria-label="Compare">
        <p aria-live="polite">
          {selected.size === 0
            ? "No runs ticked."
            : `${selected.size} run${selected.size > 1 ? "s" : ""} ticked${selected.size < 2 ? "; tick at least one more" : ""}.`}
        </p>
        <button
          type="button"
          className="button primary"
          disabled={selected.size < 2}
          onClick={() => navigate(`/compare?ids=${[...selected].join(",")}`)}
        >
          Compare {selected.size >= 2 ? selected.size : ""} runs
        </button>
        {selected.size > 0 && (
          <button type="button" className="button" onClick={() => setSelected(new Set())}>
            Clear
          </button>
        )}
      </div>

      {runs.isLoading && <p role="status">Loading your backtests…</p>}
      <ErrorMessage error={runs.error} />
      {runs.data && runs.data.items.length === 0 && (
        <p className="empty">No backtests match. Run one from the Strategies page.</p>
      )}
      {runs.data && runs.data.items.length > 0 && (
        <RunTable runs={runs.data.items} titles={titles} caption="Backtests" selected={selected} onToggle={toggle} />
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages of backtests">
          <button type="button" className="button" disabled={page === 0} onClick={() => update({ page: String(page - 1) })}>
            Newer
          </button>
          <span>
            Page {page + 1} of {pages} ({total} backtests)
          </span>
          <button
            type="button"
            className="button"
            disabled={page + 1 >= pages}
            onClick={() => update({ page: String(page + 1) })}
          >
            Older
          </button>
        </nav>
      )}

      <section className="section" aria-labelledby="sweeps-title">
        <h2 id="sweeps-title">Parameter sweeps</h2>
        <ErrorMessage error={sweeps.error} />
        {sweeps.data?.items.length === 0 && <p>No sweeps yet. Start one from a strategy's page.</p>}
        {!!sweeps.data?.items.length && <RunTable runs={sweeps.data.items} titles={titles} caption="Sweeps" kind="sweep" />}
      </section>
    </>
  );
}
