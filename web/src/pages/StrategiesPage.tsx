// The user's strategies with their versions, last result and a status that says whether they
// can run: open, edit on the canvas, run a backtest.
import { useId, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import { backtestSummary, type Run, type Strategy, type VersionSummary } from "../api/types";
import { ErrorMessage } from "../components/Field";
import { ImportStrategy } from "../components/exports/ImportStrategy";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import { tone } from "../components/RunTable";
import { useArchivedStrategies, useMyStrategies, useRuns, useVersions } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { useTitle } from "../hooks/useTitle";
import { localTime, pct } from "../lib/format";

export default function StrategiesPage() {
  useTitle("My strategies");
  const mine = useMyStrategies();
  const [runTarget, setRunTarget] = useState<RunTarget | null>(null);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [createError, setCreateError] = useState<unknown>(null);

  const createBlank = async () => {
    setCreateError(null);
    try {
      const created = await data(api.POST("/api/v1/strategies", { body: { title: "My new strategy" } }));
      queryClient.invalidateQueries({ queryKey: keys.strategies.all });
      navigate(`/strategies/${created.strategy.id}/edit`);
    } catch (e) {
      if (!showQuota(e)) setCreateError(e);
    }
  };

  const items = mine.data?.items ?? [];
  return (
    <>
      <div className="page-head">
        <h1>My strategies</h1>
        <div className="actions">
          <Link to="/#templates" className="button">
            Start from a template
          </Link>
          <button type="button" className="button" onClick={createBlank}>
            Start from scratch
          </button>
        </div>
      </div>
      <ErrorMessage error={createError} />
      <ImportStrategy />
      {mine.isLoading && <p role="status">Loading your strategies…</p>}
      <ErrorMessage error={mine.error} />
      {mine.data && items.length === 0 && (
        <div className="empty card">
          <h2>No strategies yet</h2>
          <p>
            The quickest start is a template: <Link to="/#templates">pick one on the home page</Link>, then run its
            backtest.
          </p>
        </div>
      )}
      <ul className="strategy-list" aria-label="Strategies">
        {items.map((s) => (
          <li key={s.id}>
            <StrategyCard strategy={s} onRun={setRunTarget} />
          </li>
        ))}
      </ul>
      <Archived />
      <RunDialog strategy={runTarget} onClose={() => setRunTarget(null)} />
    </>
  );
}

function Archived() {
  const [show, setShow] = useState(false);
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [error, setError] = useState<unknown>(null);
  const archived = useArchivedStrategies(show);
  const restore = async (s: Strategy) => {
    setError(null);
    try {
      try {
        await api.PATCH("/api/v1/strategies/{id}", { params: { path: { id: s.id } }, body: { status: "active" } });
      } catch (e) {
        // `active` needs a version without errors; otherwise it comes back as a draft.
        if (!(e instanceof ApiError) || e.code !== "validation_failed") throw e;
        await api.PATCH("/api/v1/strategies/{id}", { params: { path: { id: s.id } }, body: { status: "draft" } });
      }
      queryClient.invalidateQueries({ queryKey: keys.strategies.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
    } catch (e) {
      if (!showQuota(e)) setError(e);
    }
  };
  return (
    <section className="section" aria-labelledby="archived-title">
      <h2 id="archived-title" className="h3">
        <button type="button" className="button link-button" aria-expanded={show} onClick={() => setShow((v) => !v)}>
          {show ? "Hide archived strategies" : "Show archived strategies"}
        </button>
      </h2>
      <ErrorMessage error={error ?? archived.error} />
      {show && archived.data?.items.length === 0 && <p className="meta">Nothing archived.</p>}
      {show && !!archived.data?.items.length && (
        <ul className="versions">
          {archived.data.items.map((s) => (
            <li key={s.id}>
              {s.title}{" "}
              <button type="button" className="button small" onClick={() => restore(s)} aria-label={`Restore ${s.title}`}>
                Restore
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** What the pill says: whether the strategy can run, from its status and its latest version. A
 * copy of a template stays `draft` on the server although its versions are valid, so a draft
 * with a valid latest version is "Ready" too. */
function statusPill(s: Strategy, versions: VersionSummary[] | undefined): { word: string; tone: string } | null {
  if (s.status === "archived") return { word: "Archived", tone: "archived" };
  if (s.latest_version < 1) return { word: "No version yet", tone: "draft" };
  if (s.status === "active") return { word: "Ready", tone: "active" };
  const latest = versions?.find((v) => v.version === s.latest_version);
  if (!latest) return null; // still reading the versions
  return latest.valid ? { word: "Ready", tone: "active" } : { word: "Has problems", tone: "draft" };
}

/** The strategy's latest succeeded backtest: its total return and when, with a link. */
function LastResult({ strategyId }: { strategyId: string }) {
  const runs = useRuns("backtests", { strategy_id: strategyId, status: "succeeded", limit: 1 });
  if (runs.isLoading) return <p className="meta last-result">Reading the last result…</p>;
  if (runs.error) return null;
  const run: Run | undefined = runs.data?.items[0];
  const ret = backtestSummary(run?.summary)?.metrics.total_return_pct;
  if (!run) return <p className="meta last-result">Last result: not run yet.</p>;
  return (
    <p className="meta last-result" data-testid="last-result">
      Last result:{" "}
      <Link to={`/backtests/${run.id}`}>
        <strong className={tone(ret)}>{pct(ret, 1)}</strong> total return
      </Link>{" "}
      (version {run.version}) · {localTime(run.finished_at ?? run.created_at)}
    </p>
  );
}

function StrategyCard({ strategy: s, onRun }: { strategy: Strategy; onRun(t: RunTarget): void }) {
  const titleId = useId();
  const queryClient = useQueryClient();
  const [archiveError, setArchiveError] = useState<unknown>(null);
  const archive = async () => {
    if (!window.confirm(`Archive “${s.title}”? It leaves your list (its backtests stay), and you can restore it from “Show archived strategies”.`)) return;
    try {
      await api.POST("/api/v1/strategies/{id}/archive", { params: { path: { id: s.id } } });
      queryClient.invalidateQueries({ queryKey: keys.strategies.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
    } catch (e) {
      setArchiveError(e);
    }
  };
  const [showVersions, setShowVersions] = useState(false);
  const versions = useVersions(s.id, showVersions || (s.status === "draft" && s.latest_version > 0));
  const pill = statusPill(s, versions.data);
  return (
    <article className="card strategy-card" aria-labelledby={titleId}>
      <div className="strategy-card-head">
        <h2 id={titleId} className="h3">
          <Link to={`/strategies/${s.id}`}>{s.title}</Link>
        </h2>
        {pill && <span className={`pill pill-${pill.tone}`}>{pill.word}</span>}
      </div>
      {s.description && <p className="card-text">{s.description}</p>}
      <p className="meta">
        {s.latest_version > 0 ? `Version ${s.latest_version}` : "No version saved yet"} · {visibilityWords(s.visibility)} ·
        changed {localTime(s.updated_at)}
      </p>
      {s.latest_version > 0 && <LastResult strategyId={s.id} />}
      <div className="card-actions">
        <button
          type="button"
          className="button primary"
          onClick={() => onRun({ id: s.id, title: s.title, latest_version: s.latest_version })}
          disabled={s.latest_version < 1}
          aria-describedby={titleId}
        >
          Run backtest
        </button>
        <Link className="button" to={`/strategies/${s.id}/edit`} aria-describedby={titleId}>
          Edit on the canvas
        </Link>
        <Link className="button" to={`/strategies/${s.id}`} aria-describedby={titleId}>
          Details, settings and sweeps
        </Link>
        {s.latest_version > 0 && (
          <button
            type="button"
            className="button link-button"
            aria-expanded={showVersions}
            aria-controls={`${titleId}-versions`}
            onClick={() => setShowVersions((v) => !v)}
          >
            {showVersions ? "Hide versions" : `Show versions (${s.latest_version})`}
          </button>
        )}
        <button type="button" className="button link-button" onClick={archive} aria-describedby={titleId}>
          Archive
        </button>
      </div>
      <ErrorMessage error={archiveError} />
      {showVersions && (
        <div id={`${titleId}-versions`}>
          {versions.isLoading && <p role="status">Loading versions…</p>}
          <ErrorMessage error={versions.error} />
          <ul className="versions">
            {[...(versions.data ?? [])].reverse().map((v) => (
              <li key={v.version}>
                <strong>Version {v.version}</strong> · {localTime(v.created_at)}
                {!v.valid && <span className="pill pill-draft">Has problems</span>}
                {v.notes && <span className="meta"> · {v.notes}</span>}{" "}
                <Link to={`/backtests?strategy=${s.id}&version=${v.version}`}>Its backtests</Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </article>
  );
}

export function visibilityWords(v: string): string {
  return { private: "Only you", cohort: "Your group", public: "Public" }[v] ?? v;
}
