// Home: the first-run checklist, the latest results and the starter templates.
import { useEffect, useState } from "react";
import { Link, useLocation } from "react-router-dom";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import { TemplateCard } from "../components/TemplateCard";
import { useUser } from "../hooks/auth";
import { useOnboarding } from "../hooks/onboarding";
import { backtestSummary } from "../api/types";
import { tone } from "../components/RunTable";
import { useMyStrategies, useRuns, useStrategyTitles, useTemplates } from "../hooks/queries";
import { localTime, pct, statusWords } from "../lib/format";
import { useTitle } from "../hooks/useTitle";

export default function HomePage() {
  useTitle("Home");
  const user = useUser();
  const templates = useTemplates();
  const [runTarget, setRunTarget] = useState<RunTarget | null>(null);
  const location = useLocation();
  useEffect(() => {
    if (location.hash === "#templates" && templates.data) document.getElementById("templates")?.scrollIntoView();
  }, [location.hash, templates.data]);
  const publicOnes = templates.data?.items ?? [];
  const tagged = publicOnes.filter((s) => s.tags.includes("starter"));
  const starters = tagged.length ? tagged : publicOnes;

  return (
    <>
      <h1>Welcome, {user.display_name}</h1>
      <p className="lead">
        Blockbuilders lets you test a trading idea on years of real prices before you risk any money. Start from a
        ready-made strategy, run it, and see honestly how it would have done.
      </p>
      <Checklist onRun={setRunTarget} />
      <RecentResults />
      <section aria-labelledby="templates-title" id="templates" className="section">
        <h2 id="templates-title">Start from a template</h2>
        <p className="help">
          Each template is a complete strategy. Using one makes your own copy, which you can change freely.
        </p>
        {templates.isLoading && <p role="status">Loading the templates…</p>}
        {templates.error && <p className="error-box">{(templates.error as Error).message}</p>}
        <div className="card-grid">
          {starters.map((t) => (
            <TemplateCard key={t.id} template={t} onRun={setRunTarget} />
          ))}
        </div>
      </section>
      <RunDialog strategy={runTarget} onClose={() => setRunTarget(null)} />
    </>
  );
}

function Checklist({ onRun }: { onRun(t: RunTarget): void }) {
  const user = useUser();
  const o = useOnboarding(user.id);
  const mine = useMyStrategies();
  const first = mine.data?.items.find((s) => s.id === o.firstStrategyId);
  const steps: { done: boolean; title: string; text: string; action?: React.ReactNode }[] = [
    {
      done: o.picked,
      title: "Pick a starter template",
      text: "Choose one of the strategies below and press “Use this template”.",
      action: (
        <a href="#templates" className="button small">
          See the templates
        </a>
      ),
    },
    {
      done: o.ran,
      title: "Run its backtest",
      text: "Test it on past prices. It takes a few seconds.",
      action: first ? (
        <button
          type="button"
          className="button small"
          onClick={() => onRun({ id: first.id, title: first.title, latest_version: first.latest_version })}
        >
          Run backtest
        </button>
      ) : undefined,
    },
    {
      done: o.read,
      title: "Read the result",
      text: "Open the result and look at the return, the worst drop and the assumptions.",
      action: o.latestRunId ? (
        <Link to={`/backtests/${o.latestRunId}`} className="button small">
          Open the latest result
        </Link>
      ) : undefined,
    },
    {
      done: o.changed,
      title: "Change one parameter",
      text: "Change a single setting, like the RSI period, and save it as a new version.",
      action: o.firstStrategyId ? (
        <Link to={`/strategies/${o.firstStrategyId}#settings`} className="button small">
          Change a setting
        </Link>
      ) : undefined,
    },
    {
      done: o.compared,
      title: "Compare",
      text: "Run the new version, then tick both runs in your backtest history and press Compare.",
      action: (
        <Link to="/backtests" className="button small">
          Go to the history
        </Link>
      ),
    },
  ];
  const done = steps.filter((s) => s.done).length;
  const nextIndex = steps.findIndex((s) => !s.done);
  return (
    <section aria-labelledby="checklist-title" className="section card checklist">
      <h2 id="checklist-title">Your first five minutes</h2>
      <p aria-live="polite" className="checklist-count">
        {o.loading ? "Checking your progress…" : done === steps.length ? "All done. Nice work!" : `${done} of ${steps.length} done`}
      </p>
      <div
        className="progress small-progress"
        role="progressbar"
        aria-label="Checklist progress"
        aria-valuemin={0}
        aria-valuemax={steps.length}
        aria-valuenow={done}
      >
        <div className="progress-fill" style={{ width: `${(done / steps.length) * 100}%` }} />
      </div>
      <ol className="steps">
        {steps.map((s, i) => (
          <li key={s.title} className={s.done ? "step done" : i === nextIndex ? "step current" : "step"}>
            <span className="step-mark" aria-hidden="true">
              {s.done ? "✓" : i + 1}
            </span>
            <div className="step-body">
              <p className="step-title">
                {s.title}
                <span className="visually-hidden">{s.done ? " (done)" : " (to do)"}</span>
              </p>
              {!s.done && <p className="help">{s.text}</p>}
            </div>
            {!s.done && i === nextIndex && s.action && <div className="step-action">{s.action}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The last five backtests: strategy, total return, date, each a link to its result. */
function RecentResults() {
  const runs = useRuns("backtests", { limit: 5 });
  const titles = useStrategyTitles();
  const items = runs.data?.items ?? [];
  if (runs.isLoading || runs.error || items.length === 0) return null;
  return (
    <section aria-labelledby="recent-title" className="section">
      <h2 id="recent-title">Recent results</h2>
      <ul className="recent-results">
        {items.map((r) => {
          const summary = backtestSummary(r.summary);
          const ret = summary?.metrics.total_return_pct;
          return (
            <li key={r.id}>
              <Link to={`/backtests/${r.id}`}>{titles.get(r.strategy_id) ?? summary?.strategy ?? "A strategy"}</Link>{" "}
              <span className="meta">version {r.version}</span> ·{" "}
              {r.status === "succeeded" ? (
                <strong className={tone(ret)}>{pct(ret, 1)}</strong>
              ) : (
                <span>{statusWords(r.status)}</span>
              )}{" "}
              · <span className="meta">{localTime(r.finished_at ?? r.created_at)}</span>
            </li>
          );
        })}
      </ul>
      <p>
        <Link to="/backtests">All backtests</Link>
      </p>
    </section>
  );
}
