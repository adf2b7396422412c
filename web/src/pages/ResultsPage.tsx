// One backtest's result: warnings and assumptions first (what the numbers rest on), the
// headline numbers, the charts, and every trade.
import { lazy, Suspense, useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { keys } from "../api/keys";
import { backtestSummary, type Metrics, type RunDetail } from "../api/types";
import { AssumptionsCard } from "../components/AssumptionsCard";
import { BlockSettings } from "../components/BlockSettings";
import { ErrorMessage } from "../components/Field";
import { RunProgressView } from "../components/ProgressBar";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import { backtestTarget, RobustnessDialog, type RobustnessTarget } from "../components/RobustnessDialog";
import { runDataWords } from "../components/RunTable";
import { graphParams } from "./strategyParams";
import { InspectorPanel } from "../components/InspectorPanel";
import { PaperDialog } from "../components/PaperDialog";
import { TradesTable } from "../components/TradesTable";
import { useUser } from "../hooks/auth";
import { markOnboarding } from "../hooks/onboarding";
import { useBacktest, useBlocks, useDatasets, useStrategy, useVersion } from "../hooks/queries";
import { useRunEvents } from "../hooks/useRunEvents";
import { useTitle } from "../hooks/useTitle";
import { date, localTime, money, pct, timeframeWords } from "../lib/format";
import { MetricKpis } from "../components/MetricKpis";
import { runUnit } from "../lib/units";

// The charts (lightweight-charts) load on their own, so the numbers show at once.
const ResultCharts = lazy(() => import("../components/ResultCharts"));

export default function ResultsPage() {
  const { id = "" } = useParams();
  const user = useUser();
  const queryClient = useQueryClient();
  const run = useBacktest(id);
  const r = run.data;
  const strategy = useStrategy(r?.strategy_id);
  const summary = backtestSummary(r?.summary);
  const title = strategy.data?.title ?? summary?.strategy ?? "Backtest";
  useTitle(`Result: ${title}`);
  const live = !!r && (r.status === "queued" || r.status === "running");
  const progress = useRunEvents("backtest", live ? id : null, () => {
    queryClient.invalidateQueries({ queryKey: keys.backtest(id) });
    queryClient.invalidateQueries({ queryKey: keys.runs.all });
  });
  const [runTarget, setRunTarget] = useState<RunTarget | null>(null);
  const [paperOpen, setPaperOpen] = useState(false);
  const [check, setCheck] = useState<RobustnessTarget | null>(null);
  const version = useVersion(r?.strategy_id, r?.version);
  const blocks = useBlocks();

  useEffect(() => {
    if (r?.status === "succeeded") markOnboarding(user.id, "read-result");
  }, [r?.status, user.id]);

  if (run.isLoading) return <p role="status">Loading the result…</p>;
  if (run.error || !r) return <ErrorMessage error={run.error ?? new Error("No such backtest.")} />;

  const again = () =>
    strategy.data &&
    setRunTarget({
      id: strategy.data.id,
      title: strategy.data.title,
      latest_version: strategy.data.latest_version,
      version: r.version,
    });

  return (
    <>
      <p className="breadcrumb">
        <Link to="/backtests">Backtests</Link> <span aria-hidden="true">›</span> {title}
      </p>
      <div className="page-head">
        <h1>
          Result: {title} <span className="version">version {r.version}</span>
        </h1>
        <div className="actions">
          {strategy.data && strategy.data.owner_id === user.id && (
            <>
              <button type="button" className="button" onClick={again}>
                Run again with other settings
              </button>
              <Link className="button" to={`/strategies/${r.strategy_id}#settings`}>
                Change a setting
              </Link>
            </>
          )}
          <Link className="button" to={`/backtests?strategy=${r.strategy_id}`}>
            Compare with other runs
          </Link>
          {r.status === "succeeded" && (
            <button type="button" className="button" onClick={() => setPaperOpen(true)}>
              Paper trade this
            </button>
          )}
          {r.status === "succeeded" && strategy.data?.owner_id === user.id && version.data && blocks.data && (
            <button
              type="button"
              className="button"
              onClick={() =>
                setCheck(
                  backtestTarget(
                    r,
                    title,
                    runDataWords(r),
                    graphParams(version.data.graph, new Map(blocks.data.blocks.map((b) => [b.kind, b]))),
                  ),
                )
              }
            >
              Check robustness
            </button>
          )}
        </div>
      </div>
      <RunFacts run={r} />
      {live && <RunProgressView progress={progress} label="Backtest progress" />}
      {r.status === "failed" && (
        <div className="error-box" role="alert">
          <p>
            <strong>This backtest failed.</strong> {r.error}
          </p>
        </div>
      )}
      {r.status === "cancelled" && <p className="error-box">This backtest was cancelled before it finished.</p>}
      {r.status === "succeeded" && <SucceededResult run={r} />}
      <RunDialog strategy={runTarget} onClose={() => setRunTarget(null)} />
      <RobustnessDialog target={check} onClose={() => setCheck(null)} />
      <PaperDialog
        target={paperOpen ? { strategyId: r.strategy_id, title, version: r.version, run: r } : null}
        onClose={() => setPaperOpen(false)}
      />
    </>
  );
}

function RunFacts({ run }: { run: RunDetail }) {
  const p = run.parameters;
  const s = backtestSummary(run.summary);
  const a = run.assumptions ?? undefined;
  const from = a?.data?.from_ts ?? s?.from_ts ?? p.from_ms;
  const to = a?.data?.to_ts ?? s?.to_ts ?? p.to_ms;
  return (
    <p className="meta run-facts">
      {s?.dataset?.replace(/^dataset /, "") ?? "Market data"}
      {(p.timeframe ?? s?.timeframe) && ` · ${timeframeWords(p.timeframe ?? s?.timeframe)} candles`}
      {from ? ` · ${date(from)} to ${date(to)}` : ""} · run {localTime(run.created_at)}
    </p>
  );
}

function SucceededResult({ run }: { run: RunDetail }) {
  const datasets = useDatasets();
  const unit = runUnit(run, datasets.data?.items);
  const m: Partial<Metrics> = run.metrics ?? {};
  const a = run.assumptions ?? undefined;
  const warnings = run.warnings ?? [];
  const s = backtestSummary(run.summary);
  const initial = a?.initial_capital ?? s?.initial_capital ?? 10000;
  const neverEntered = warnings.some((w) => w.code === "never_entered");
  // The inspector opens on the last bar when no trade happened (to see why), else on none.
  const [inspectAt, setInspectAt] = useState<number | null>(neverEntered ? (a?.data.to_ts ?? null) : null);
  const inspectBar = (ms: number) => {
    setInspectAt(ms);
    document.getElementById("inspector")?.scrollIntoView({ behavior: "smooth", block: "start" });
  };
  // next-open fills: the signal was on the bar before the entry's
  const inspect = (entryTs: number) => inspectBar(run.parameters.fill === "same_close" ? entryTs : entryTs - 1);
  return (
    <>
      <section aria-labelledby="warnings-title" className={`section warnings${warnings.length ? " has-warnings" : ""}`}>
        <h2 id="warnings-title">
          {warnings.length ? `Warnings (${warnings.length}): read these before trusting the numbers` : "Warnings"}
        </h2>
        {warnings.length ? (
          <ul>
            {warnings.map((w) => (
              <li key={w.code}>
                {w.message}
                {w.code === "never_entered" && (
                  <>
                    {" "}
                    <a href="#inspector">Open the inspector</a> to see each block's value on the last bars.
                  </>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p>No warnings: nothing unusual was found in this run.</p>
        )}
      </section>
      <div className="result-top">
        <section aria-labelledby="kpi-title" className="section">
          <h2 id="kpi-title">Key numbers</h2>
          <p className="help">
            {money(initial, unit)} became <strong>{money(s?.final_equity, unit)}</strong>. Buying and holding instead would have
            returned {pct(m.buy_and_hold_return_pct)}.
          </p>
          <MetricKpis metrics={m} />
        </section>
        {a && <AssumptionsCard a={a} />}
      </div>
      <Suspense fallback={<p role="status">Loading the charts…</p>}>
        <ResultCharts run={run} initial={initial} unit={unit} onPickBar={inspectBar} />
      </Suspense>
      <TradesTable runId={run.id} total={Number(m.trades ?? 0)} unit={unit} onInspect={inspect} />
      <InspectorPanel runId={run.id} strategyId={run.strategy_id} at={inspectAt} onPick={setInspectAt} />
      <BlockSettings
        title="Settings of this run"
        columns={[{ label: `version ${run.version}`, strategyId: run.strategy_id, version: run.version }]}
      />
      <p className="meta credit">
        Charts drawn with{" "}
        <a href="https://www.tradingview.com/" rel="noopener noreferrer" target="_blank">
          TradingView Lightweight Charts
        </a>
        .
      </p>
    </>
  );
}
