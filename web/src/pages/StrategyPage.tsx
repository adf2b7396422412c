// One strategy: what it is, its settings (change a parameter = a new version), its versions,
// its recent backtests, and a parameter sweep; "Publish as template" submits the latest version
// for review.
import { useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import { robustnessSummary, type Check, type Strategy } from "../api/types";
import { LevelBadge } from "../components/LevelBadge";
import { ErrorMessage } from "../components/Field";
import { ExportButton } from "../components/exports/ExportButton";
import { PaperDialog, type PaperTarget } from "../components/PaperDialog";
import { PublishDialog } from "../components/templates/PublishDialog";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import { RunTable } from "../components/RunTable";
import { useUser } from "../hooks/auth";
import { useBlocks, useRobustnessRuns, useRuns, useStrategy, useStrategyTitles, useVersion, useVersions } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { useTitle } from "../hooks/useTitle";
import { localTime, statusWords } from "../lib/format";
import { CHECKS, checkWords } from "../lib/robustness";
import { visibilityWords } from "./StrategiesPage";
import { SettingsSection } from "./StrategySettings";
import { SweepSection } from "./StrategySweep";

export default function StrategyPage() {
  const { id } = useParams();
  const user = useUser();
  const strategy = useStrategy(id);
  const s = strategy.data;
  useTitle(s?.title ?? "Strategy");
  const [runTarget, setRunTarget] = useState<RunTarget | null>(null);
  const [paperTarget, setPaperTarget] = useState<PaperTarget | null>(null);
  const [publishing, setPublishing] = useState(false);
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
        {s.visibility === "public" ? (
          <Link to="/#templates">Templates</Link>
        ) : (
          <Link to="/strategies">My strategies</Link>
        )}{" "}
        <span aria-hidden="true">›</span> {s.title}
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
              <button
                type="button"
                className="button"
                disabled={s.latest_version < 1}
                onClick={() => setPaperTarget({ strategyId: s.id, title: s.title, version: s.latest_version })}
              >
                Paper trade
              </button>
              <Link className="button" to={`/strategies/${s.id}/edit`}>
                Edit on the canvas
              </Link>
              <button type="button" className="button" disabled={s.latest_version < 1} onClick={() => setPublishing(true)}>
                Publish as template
              </button>
              <ExportButton strategy={s} />
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
      {mine && <RobustnessSection strategy={s} />}
      {mine && version.data && <SweepSection strategy={s} version={version.data} catalogue={catalogue} />}
      <RunDialog strategy={runTarget} onClose={() => setRunTarget(null)} />
      <PaperDialog target={paperTarget} onClose={() => setPaperTarget(null)} />
      {mine && <PublishDialog strategy={s} open={publishing} onClose={() => setPublishing(false)} />}
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

/** The strategy's robustness checks, one row each with every check's level: how the verdicts
 * of its versions compare. */
function RobustnessSection({ strategy }: { strategy: Strategy }) {
  const runs = useRobustnessRuns({ strategy_id: strategy.id });
  const items = runs.data?.items ?? [];
  const levels = (s: ReturnType<typeof robustnessSummary>) => new Map((s?.verdicts ?? []).map((v) => [v.check, v]));
  // Only the checks some run has, in the fixed order.
  const present = new Set<Check>(items.flatMap((r) => robustnessSummary(r.summary)?.verdicts.map((v) => v.check) ?? []));
  const columns = CHECKS.filter((c) => present.has(c));
  return (
    <section className="section" aria-labelledby="robustness-title">
      <h2 id="robustness-title">Robustness checks</h2>
      <ErrorMessage error={runs.error} />
      {runs.data && !items.length && (
        <p>
          No robustness check yet. Open a sweep or a backtest result and press “Check robustness” to test whether its
          numbers hold up on data it was not tuned on.
        </p>
      )}
      {!!items.length && (
        <>
          <p className="help">One row per check, so the verdicts of versions can be compared side by side.</p>
          <div className="table-wrap" role="region" aria-label={`Robustness checks of ${strategy.title}`} tabIndex={0}>
            <table className="table robustness-table">
              <caption className="visually-hidden">Robustness checks of {strategy.title}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Started</th>
                  <th scope="col">Overall</th>
                  {columns.map((c) => (
                    <th scope="col" key={c}>
                      {checkWords(c)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {items.map((r) => {
                  const s = robustnessSummary(r.summary);
                  const by = levels(s);
                  return (
                    <tr key={r.id}>
                      <th scope="row">
                        <Link to={`/robustness/${r.id}`}>Version {r.version}</Link>
                      </th>
                      <td>{localTime(r.created_at)}</td>
                      <td>{s ? <LevelBadge level={s.overall} /> : <span className={`pill pill-${r.status}`}>{statusWords(r.status)}</span>}</td>
                      {columns.map((c) => {
                        const v = by.get(c);
                        return <td key={c}>{v ? <span title={v.headline}><LevelBadge level={v.level} /></span> : "–"}</td>;
                      })}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
