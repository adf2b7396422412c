// A robustness check: live progress (the stage from each progress event), then the overall
// verdict, one card per check with how it was checked, the holdout (kept aside until the user
// chooses to look; every look is recorded), and each check's numbers: walk-forward, Monte
// Carlo, random entries, deflated Sharpe, PBO and the neighbouring settings.
import { lazy, Suspense, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { Distribution, LabReport, MonteCarlo, RobustnessDetail, Verdict, WalkForwardReport } from "../api/types";
import { ErrorMessage } from "../components/Field";
import { LevelBadge } from "../components/LevelBadge";
import { Modal } from "../components/Modal";
import { RunProgressView } from "../components/ProgressBar";
import { runDataWords } from "../components/RunTable";
import { useDatasets, useRobustness, useStrategy } from "../hooks/queries";
import { useAxisLabel, type AxisLabel } from "../hooks/useAxisLabel";
import { useRunEvents } from "../hooks/useRunEvents";
import { useTitle } from "../hooks/useTitle";
import { date, fillWords, localTime, money, num, pct, plain } from "../lib/format";
import { metricInfo } from "../lib/metrics";
import { checkWords } from "../lib/robustness";
import { runUnit } from "../lib/units";

const RobustnessEquity = lazy(() => import("../components/RobustnessEquity"));

export default function RobustnessPage() {
  const { id = "" } = useParams();
  const queryClient = useQueryClient();
  const run = useRobustness(id);
  const r = run.data;
  const strategy = useStrategy(r?.strategy_id);
  const title = strategy.data?.title ?? "Strategy";
  const label = useAxisLabel(r?.strategy_id, r?.version);
  useTitle(`Robustness: ${title}`);
  const live = !!r && (r.status === "queued" || r.status === "running");
  const progress = useRunEvents(
    "robustness",
    live ? id : null,
    () => {
      queryClient.invalidateQueries({ queryKey: keys.robustness.all });
    },
    { percent: r?.progress ?? 0, message: r?.status === "running" ? "Running the checks…" : "Waiting for a free worker…" },
  );
  const [cancelError, setCancelError] = useState<unknown>(null);

  if (run.isLoading) return <p role="status">Loading the robustness check…</p>;
  if (run.error || !r) return <ErrorMessage error={run.error ?? new Error("No such robustness check.")} />;
  const report = r.report;
  const axes = report?.axes ?? ("axes" in r.parameters ? r.parameters.axes.map((a) => `${a.node}.${a.param}`) : []);

  const cancel = async () => {
    try {
      await data(api.POST("/api/v1/robustness/{id}/cancel", { params: { path: { id } } }));
      queryClient.invalidateQueries({ queryKey: keys.robustness.all });
    } catch (e) {
      setCancelError(e);
    }
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to={`/strategies/${r.strategy_id}`}>{title}</Link> <span aria-hidden="true">›</span> Robustness check
      </p>
      <h1>
        Robustness: {title} <span className="version">version {r.version}</span>
      </h1>
      <p className="meta">
        {runDataWords(r)} · varying {axes.map(label).join(" and ")} · started {localTime(r.created_at)}
      </p>
      {live && (
        <>
          <RunProgressView progress={progress} label="Robustness check progress" />
          <button type="button" className="button" onClick={cancel}>
            Cancel the check
          </button>
          <ErrorMessage error={cancelError} />
        </>
      )}
      {r.status === "failed" && (
        <p className="error-box" role="alert">
          <strong>This check failed.</strong> {r.error}
        </p>
      )}
      {r.status === "cancelled" && <p className="error-box">This check was cancelled.</p>}
      {r.status === "succeeded" && report && <Report run={r} report={report} label={label} />}
    </>
  );
}

function Report({ run, report, label }: { run: RobustnessDetail; report: LabReport; label: AxisLabel }) {
  const datasets = useDatasets();
  const unit = runUnit(run, datasets.data?.items);
  const chosen = report.chosen;
  const values = (vs: (number | null)[] | null | undefined) =>
    vs ? report.axes.map((a, i) => `${label(a)} = ${plain(vs[i])}`).join(", ") : "none qualified";
  return (
    <>
      <section className={`section card overall overall-${report.overall}`} aria-labelledby="overall-title">
        <h2 id="overall-title">
          Verdict <LevelBadge level={report.overall} big />
        </h2>
        <p className="overall-headline" data-testid="overall-headline">
          {report.headline}
        </p>
        <p className="help">
          {chosen
            ? `Chosen on the development data (${date(report.development.from_ts)} to ${date(report.development.to_ts)}, ${plain(
                report.development.bars,
              )} candles) among ${plain(report.combinations)} combinations: ${values(chosen.values)}. The checks below test this choice.`
            : `No combination made the minimum of trades on the development data, so most checks could not run.`}
        </p>
      </section>

      <section className="section" aria-labelledby="checks-title">
        <h2 id="checks-title">The checks, worst first</h2>
        <div className="verdict-grid">
          {report.verdicts.map((v) => (
            <VerdictCard key={v.check} verdict={v} />
          ))}
        </div>
      </section>

      <HoldoutPanel run={run} report={report} />
      {report.walk_forward && <WalkForwardSection wf={report.walk_forward} label={label} unit={unit} initial={run.assumptions?.initial_capital} />}
      <MonteCarloSection report={report} unit={unit} />
      <OtherChecks report={report} />
      <AssumptionsSection run={run} report={report} unit={unit} />
    </>
  );
}

function VerdictCard({ verdict, testId }: { verdict: Verdict; testId?: string }) {
  return (
    <article className="card verdict-card" aria-labelledby={`verdict-${verdict.check}`} data-testid={testId ?? `verdict-${verdict.check}`}>
      <h3 id={`verdict-${verdict.check}`}>
        {checkWords(verdict.check)} <LevelBadge level={verdict.level} />
      </h3>
      <p>{verdict.headline}</p>
      <details>
        <summary>How this was checked</summary>
        <div className="details-body">
          <p>{verdict.method}</p>
          <p className="meta">Thresholds: {verdict.thresholds}.</p>
        </div>
      </details>
    </article>
  );
}

function HoldoutPanel({ run, report }: { run: RobustnessDetail; report: LabReport }) {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const h = report.holdout;
  const looks = run.holdout_looks;
  const open = async () => {
    setBusy(true);
    setError(null);
    try {
      const next = await data(api.POST("/api/v1/robustness/{id}/holdout", { params: { path: { id: run.id } } }));
      queryClient.setQueryData(keys.robustness.one(run.id), next);
      queryClient.invalidateQueries({ queryKey: keys.robustness.all });
      setAsking(false);
    } catch (e) {
      setError(e);
      setAsking(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="section card holdout" aria-labelledby="holdout-title">
      <h2 id="holdout-title">Holdout: the final exam</h2>
      {!h ? (
        <p>No candles were kept aside for this check (holdout 0%).</p>
      ) : (
        <>
          <p>
            Kept aside: <strong>{plain(h.span.bars)} candles</strong> from {date(h.span.from_ts)} to {date(h.span.to_ts)}. No
            other check saw them, so they show how the chosen settings do on data nobody tuned them on.
          </p>
          <p data-testid="holdout-looks">
            The holdout of this strategy on these candles has been looked at{" "}
            <strong>
              {plain(looks)} time{looks === 1 ? "" : "s"}
            </strong>
            .{looks > 1 ? " After several looks it is no longer a fair test: each change made after a look tunes on it." : ""}
          </p>
          {!run.holdout_opened && (
            <button type="button" className="button primary" onClick={() => setAsking(true)}>
              Look at the holdout
            </button>
          )}
          <ErrorMessage error={error} />
          {run.holdout_opened &&
            (h.result ? (
              <div className="holdout-result" data-testid="holdout-result">
                <VerdictCard verdict={h.result.verdict} testId="verdict-holdout" />
                <dl className="facts holdout-numbers">
                  {(["total_return_pct", "cagr_pct", "max_drawdown_pct", "sharpe", "trades"] as const).map((k) => (
                    <div key={k}>
                      <dt>{metricInfo(k).label}</dt>
                      <dd>{metricInfo(k).format(h.result?.metrics[k])}</dd>
                    </div>
                  ))}
                  <div>
                    <dt>Kept pace (efficiency)</dt>
                    <dd>{h.result.efficiency === null || h.result.efficiency === undefined ? "–" : pct(h.result.efficiency * 100, 0, false)}</dd>
                  </div>
                </dl>
              </div>
            ) : (
              <p>{h.note ?? "The holdout could not be traded."}</p>
            ))}
        </>
      )}
      <Modal open={asking} title="Look at the holdout?" onClose={() => setAsking(false)} role="alertdialog" describedBy="holdout-warning">
        <div id="holdout-warning">
          <p>
            The holdout is a fair test only while nobody has tuned the strategy after seeing it. Each look is recorded and
            counted for this strategy on these candles, and spends it: if you change the strategy because of what you see,
            a later check on the same candles is no longer a test on unseen data.
          </p>
          <p>
            Looked at so far: {plain(looks)} time{looks === 1 ? "" : "s"}.
          </p>
        </div>
        <div className="actions">
          <button type="button" className="button" onClick={() => setAsking(false)}>
            Not now
          </button>
          <button type="button" className="button primary" disabled={busy} onClick={open}>
            {busy ? "Opening…" : "Yes, look at it"}
          </button>
        </div>
      </Modal>
    </section>
  );
}

const ret = (v: number | null | undefined) => metricInfo("total_return_pct").format(v);

function WalkForwardSection({ wf, label, unit, initial }: { wf: WalkForwardReport; label: AxisLabel; unit?: string; initial?: number }) {
  const start = wf.equity[0]?.equity ?? initial ?? 0;
  return (
    <section className="section" aria-labelledby="wf-title">
      <h2 id="wf-title">Walk-forward</h2>
      <p className="help">
        Each window chooses the settings on its past candles (in sample) and then trades the candles right after (out of
        sample) with them, as you would have. Joined together, the out-of-sample parts are an honest record:{" "}
        {plain(wf.profitable_windows)} of {plain(wf.windows.length)} windows made money, and out of sample it grew at{" "}
        <strong>{wf.efficiency === null || wf.efficiency === undefined ? "–" : pct(wf.efficiency * 100, 0, false)}</strong> of
        its in-sample pace (its efficiency; 100% would mean it kept its pace).
      </p>
      <Suspense fallback={<p role="status">Loading the chart…</p>}>
        <RobustnessEquity points={wf.equity} initial={start} unit={unit} />
      </Suspense>
      {wf.stitched && (
        <p className="meta">
          Out of sample in all: {ret(wf.stitched.total_return_pct)} total return, worst drop{" "}
          {metricInfo("max_drawdown_pct").format(wf.stitched.max_drawdown_pct)}, {plain(wf.stitched.trades)} trades.
        </p>
      )}
      <div className="table-wrap" role="region" aria-label="Walk-forward windows" tabIndex={0}>
        <table className="table wf-table">
          <caption className="visually-hidden">Each walk-forward window: when, what was chosen and how it did</caption>
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col">In sample (chooses)</th>
              <th scope="col">Out of sample (trades)</th>
              <th scope="col">Chosen</th>
              <th scope="col" className="num">
                Return in sample
              </th>
              <th scope="col" className="num">
                Return out of sample
              </th>
              <th scope="col" className="num">
                Efficiency
              </th>
            </tr>
          </thead>
          <tbody>
            {wf.windows.map((w, i) => (
              <tr key={w.out_of_sample_from}>
                <th scope="row">{i + 1}</th>
                <td>
                  from {date(w.in_sample_from)}, {plain(w.in_sample_bars)} candles
                </td>
                <td>
                  {date(w.out_of_sample_from)} to {date(w.out_of_sample_to)}, {plain(w.out_of_sample_bars)} candles
                </td>
                <td>
                  {w.chosen ? wf.axes.map((a, j) => `${label(a)} = ${plain(w.chosen?.[j])}`).join(", ") : "none qualified"}
                  {w.note && <span className="meta"> · {w.note}</span>}
                </td>
                <td className="num">{ret(w.in_sample?.total_return_pct)}</td>
                <td className="num">{ret(w.out_of_sample?.total_return_pct)}</td>
                <td className="num">{w.efficiency === null || w.efficiency === undefined ? "–" : pct(w.efficiency * 100, 0, false)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {wf.parameter_drift.length > 0 && (
        <>
          <h3>How the chosen settings moved</h3>
          <p className="help">Settings that jump around from window to window were picked by noise more than by the market.</p>
          <ul className="drift-list">
            {wf.parameter_drift.map((d) => (
              <li key={d.axis}>
                <strong>{label(d.axis)}</strong>: {d.values.map((v) => plain(v)).join(" → ")} ({plain(d.distinct)} different
                value{d.distinct === 1 ? "" : "s"}, spread over {pct(d.spread_pct, 0, false)} of the range tried)
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

const MC_TITLES: Record<MonteCarlo["method"], { title: string; text: string }> = {
  reshuffle_trades: {
    title: "Trades reshuffled",
    text: "The same trades in random orders: the end result is the same, but the drops on the way differ.",
  },
  bootstrap_trades: {
    title: "Trades redrawn",
    text: "Histories made of trades drawn at random from the strategy's own, some twice, some not at all.",
  },
  stationary_bootstrap_bars: {
    title: "Candles redrawn",
    text: "Histories made of stretches of the strategy's candle-by-candle results, drawn at random.",
  },
};

const PCTS: { key: keyof Distribution; label: string }[] = [
  { key: "p5", label: "5%" },
  { key: "p25", label: "25%" },
  { key: "p50", label: "Median" },
  { key: "p75", label: "75%" },
  { key: "p95", label: "95%" },
];

function MonteCarloSection({ report, unit }: { report: LabReport; unit?: string }) {
  const all = [report.trade_shuffle, report.trade_bootstrap, report.bar_bootstrap].filter((m): m is MonteCarlo => !!m);
  if (!all.length) return null;
  return (
    <section className="section" aria-labelledby="mc-title">
      <h2 id="mc-title">Monte Carlo: other histories the same strategy could have had</h2>
      <p className="help">
        The backtest is one history. These simulations build many others from its trades or candles and show the range of
        worst drops and end results to expect. The percent columns read: in 95% of the histories the value was at or below
        the 95% column.
      </p>
      {all.map((m) => (
        <MonteCarloCard key={m.method} m={m} unit={unit} barDrawdown={report.bar_bootstrap?.original_max_drawdown} />
      ))}
    </section>
  );
}

/** One simulation's table. `barDrawdown` is the backtest's candle-by-candle worst drop (from
 * the candle bootstrap), named next to a trade simulation's, which only sees equity between
 * trades. */
function MonteCarloCard({ m, unit, barDrawdown }: { m: MonteCarlo; unit?: string; barDrawdown?: number }) {
  const t = MC_TITLES[m.method];
  const dd = (v: number) => pct(v * 100, 1, false);
  const trades = m.method !== "stationary_bootstrap_bars";
  return (
    <div className="card mc-card">
      <h3>{t.title}</h3>
      <p className="help">
        {t.text} {plain(m.runs)} histories of {plain(m.samples)} {trades ? "trades" : "candles"}
        {m.block_len ? ` in stretches of about ${plain(m.block_len)} candles` : ""}, seed {plain(m.seed)}.
        {trades && (
          <>
            {" "}
            Worst drops here run from one closed trade to the next, so dips while a trade is open do not count
            {barDrawdown === undefined
              ? "."
              : `: candle by candle, the backtest's own worst drop was ${dd(barDrawdown)} (see “Candles redrawn”).`}
          </>
        )}
      </p>
      <div className="table-wrap" role="region" aria-label={`${t.title}: percentiles`} tabIndex={0}>
        <table className="table mc-table">
          <caption className="visually-hidden">{t.title}: worst drop and final account value across the simulated histories</caption>
          <thead>
            <tr>
              <th scope="col">Across the histories</th>
              {PCTS.map((p) => (
                <th scope="col" className="num" key={p.key}>
                  {p.label}
                </th>
              ))}
              <th scope="col" className="num">
                This backtest
              </th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Worst drop</th>
              {PCTS.map((p) => (
                <td className="num" key={p.key}>
                  {dd(m.max_drawdown[p.key])}
                </td>
              ))}
              <td className="num">
                {dd(m.original_max_drawdown)}
              </td>
            </tr>
            <tr>
              <th scope="row">Final value</th>
              {PCTS.map((p) => (
                <td className="num" key={p.key}>
                  {money(m.final_equity[p.key], unit)}
                </td>
              ))}
              <td className="num">{money(m.original_final_equity, unit)}</td>
            </tr>
          </tbody>
        </table>
      </div>
      <p>
        Chance of losing more than{" "}
        {m.loss_probabilities.map((l, i) => (
          <span key={l.loss_pct}>
            {i > 0 ? (i === m.loss_probabilities.length - 1 ? " or " : ", ") : ""}
            {pct(l.loss_pct, 0, false)}: <strong>{pct(l.probability * 100, 1, false)}</strong>
          </span>
        ))}{" "}
        of the starting {money(m.capital, unit)}. The backtest's own worst drop was worse than in {pct(m.original_drawdown_percentile, 0, false)} of
        the histories.
      </p>
    </div>
  );
}

function OtherChecks({ report }: { report: LabReport }) {
  const re = report.random_entry;
  const ds = report.deflated_sharpe;
  const pbo = report.pbo;
  const st = report.stability;
  if (!re && !ds && !pbo && !st) return null;
  const r = (v: number) => pct(v * 100, 1);
  return (
    <section className="section" aria-labelledby="more-title">
      <h2 id="more-title">Luck and overfitting</h2>
      <div className="verdict-grid">
        {re && (
          <div className="card">
            <h3>Random entries</h3>
            <p className="help">
              The strategy's {plain(re.trades)} trades placed at random times {plain(re.runs)} times, with the same holding
              times and costs (seed {plain(re.seed)}). If random timing does as well, the entry rules add nothing.
            </p>
            <p>
              With every trade committing all the equity, the strategy returned <strong>{r(re.strategy_return)}</strong>; the random entries returned from {r(re.random_return.min)}{" "}
              to {r(re.random_return.max)} (median {r(re.random_return.p50)}, 90% of them between {r(re.random_return.p5)} and{" "}
              {r(re.random_return.p95)}).
            </p>
            <p>
              p-value <strong>{num(re.p_value, 3)}</strong>: the share of random placements that did at least as well. Small
              (0.05 or less) means the timing beat chance.
            </p>
          </div>
        )}
        {ds && (
          <div className="card">
            <h3>Deflated Sharpe ratio</h3>
            <p className="help">
              Trying many settings and keeping the best makes the best look good by luck alone. This asks whether the chosen
              Sharpe ratio beats the best that {plain(ds.trials)} lucky tries would give.
            </p>
            <p>
              <strong>{pct(ds.dsr * 100, 0, false)}</strong> chance that the true Sharpe ratio beats luck (per candle: {num(ds.sharpe, 3)}{" "}
              against {num(ds.expected_max, 3)} for the best of the lucky tries, over {plain(ds.n)} candles).
            </p>
          </div>
        )}
        {pbo && (
          <div className="card">
            <h3>Probability of backtest overfitting (PBO)</h3>
            <p className="help">
              The history is cut into {plain(pbo.blocks)} blocks and split {plain(pbo.splits)} ways: half picks the best of the{" "}
              {plain(pbo.configurations)} combinations, the other half tests it.
            </p>
            <p>
              In <strong>{pct(pbo.pbo * 100, 0, false)}</strong> of the splits the winner fell to the bottom half on the other
              half; it lost money there in {pct(pbo.probability_oos_loss * 100, 0, false)} of them. Below 30% is good.
            </p>
          </div>
        )}
        {st && (
          <div className="card">
            <h3>Neighbouring settings</h3>
            <p className="help">
              Settings one step away from the chosen ones. If they do much worse, the chosen settings are a lucky spike.
            </p>
            <p>
              <strong>
                {plain(st.good)} of {plain(st.neighbours)}
              </strong>{" "}
              neighbours are {st.chosen_value > 0 ? "also " : ""}good ({st.share === null || st.share === undefined ? "–" : pct(st.share * 100, 0, false)}).{" "}
              <NeighbourRule report={report} chosen={st.chosen_value} threshold={st.threshold} />
            </p>
          </div>
        )}
      </div>
    </section>
  );
}

/** What "good" means for a neighbour, in the walk-forward's own metric: at least half the chosen
 * settings' value when that is positive, else above zero (next to a losing choice only a
 * neighbour that does not lose is good). */
function NeighbourRule({ report, chosen, threshold }: { report: LabReport; chosen: number; threshold: number }) {
  const metric = metricInfo(report.spec.walk_forward.objective);
  const f = (v: number) => metric.format(v);
  // "a Sharpe ratio", "a total return": names stay capitalised.
  const label = /^(Sharpe|Sortino|Calmar)/.test(metric.label) ? metric.label : metric.label[0].toLowerCase() + metric.label.slice(1);
  return chosen > 0 ? (
    <>
      Good means a {label} of at least {f(threshold)}, half of the chosen settings&apos; {f(chosen)}.
    </>
  ) : (
    <>
      Good means a {label} above zero. The chosen settings&apos; own is {f(chosen)}, so they are not good to begin with.
    </>
  );
}

function AssumptionsSection({ run, report, unit }: { run: RobustnessDetail; report: LabReport; unit?: string }) {
  const a = run.assumptions;
  const quality = a?.data?.quality?.summary ?? [];
  return (
    <div className="result-top">
      {a && (
        <section className="section card assumptions" aria-labelledby="assumptions-title">
          <h2 id="assumptions-title">Assumptions</h2>
          <p className="help">What every backtest of this check took for granted.</p>
          <dl className="facts">
            <div>
              <dt>Orders fill</dt>
              <dd>{fillWords(a.fill_rule)}</dd>
            </div>
            <div>
              <dt>Fees</dt>
              <dd>{num(a.fee_pct, 2)}% of every buy and every sell.</dd>
            </div>
            <div>
              <dt>Slippage</dt>
              <dd>{num(a.slippage_bps, 1)} bps (hundredths of a percent) against you on every fill.</dd>
            </div>
            <div>
              <dt>Starting money</dt>
              <dd>{money(a.initial_capital, unit)}</dd>
            </div>
            <div>
              <dt>Short trades</dt>
              <dd>{a.shorts_allowed ? "Allowed when the strategy has them." : "Not allowed."}</dd>
            </div>
            <div>
              <dt>Data</dt>
              <dd>
                {a.data?.source?.replace(/^dataset /, "") ?? "–"}
                {a.gap_policy === "forward_fill" ? ", missing candles filled forward" : ", missing candles left out"}.
                {quality.length > 0 && (
                  <details>
                    <summary>Data quality ({plain(quality.length)} notes)</summary>
                    <ul className="details-body">
                      {quality.map((q) => (
                        <li key={q}>{q}</li>
                      ))}
                    </ul>
                  </details>
                )}
              </dd>
            </div>
            <div>
              <dt>Seed</dt>
              <dd>{plain(report.spec.seed)}: the same seed gives the same numbers.</dd>
            </div>
          </dl>
        </section>
      )}
      <section className="section" aria-labelledby="notes-title">
        <h2 id="notes-title">Notes</h2>
        {report.notes.length ? (
          <ul>
            {report.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        ) : (
          <p>Every check could run.</p>
        )}
      </section>
    </div>
  );
}
