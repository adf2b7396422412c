// Two to five backtests side by side: every metric in a table, and the account values on one
// chart as a percentage of each run's starting money.
import { useEffect, useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { BlockSettings, type SettingsColumn } from "../components/BlockSettings";
import { ChartsCredit, CompareChart, SERIES_COLORS } from "../components/charts";
import { ErrorMessage } from "../components/Field";
import { InfoTip } from "../components/InfoTip";
import { runDataWords, runTitle } from "../components/RunTable";
import { useUser } from "../hooks/auth";
import { markOnboarding } from "../hooks/onboarding";
import { useCompare, useStrategyTitles } from "../hooks/queries";
import { useTitle } from "../hooks/useTitle";
import { money, num, pct } from "../lib/format";
import { metricInfo } from "../lib/metrics";

export default function ComparePage() {
  useTitle("Compare backtests");
  const [params] = useSearchParams();
  const ids = (params.get("ids") ?? "").split(",").filter(Boolean);
  const user = useUser();
  const titles = useStrategyTitles();
  const compare = useCompare(ids);
  useEffect(() => {
    if (compare.data) markOnboarding(user.id, "compared");
  }, [compare.data, user.id]);

  const c = compare.data;
  const labels = c?.runs.map((r) => `${runTitle(r, titles)} v${r.version}`) ?? [];
  const series = c ? c.runs.map((_, i) => ({ label: labels[i], values: c.equity_pct[i] ?? [] })) : [];
  const columns = useMemo<SettingsColumn[]>(
    () =>
      (c?.runs ?? []).map((r, i) => {
        const p = r.parameters;
        return {
          label: labels[i] ?? "",
          strategyId: r.strategy_id,
          version: r.version,
          extra: {
            Data: runDataWords(r),
            "Fee per trade": p.fee_pct === undefined || p.fee_pct === null ? "default" : `${num(p.fee_pct, 2)}%`,
            Slippage: p.slippage_bps === undefined || p.slippage_bps === null ? "default" : `${num(p.slippage_bps, 1)} bps`,
            Fills: p.fill === "same_close" ? "same-close" : "next-open",
            "Starting money": p.initial_capital === undefined || p.initial_capital === null ? "default" : money(p.initial_capital),
          },
        };
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [c, labels.join("|")],
  );
  const finals = series.map((s) => {
    for (let j = s.values.length - 1; j >= 0; j--) {
      const v = s.values[j];
      if (v !== null) return v;
    }
    return null;
  });

  return (
    <>
      <p className="breadcrumb">
        <Link to="/backtests">Backtests</Link> <span aria-hidden="true">›</span> Compare
      </p>
      <h1>Compare backtests</h1>
      {ids.length < 2 && (
        <p className="error-box">
          Pick at least two finished backtests in <Link to="/backtests">the history</Link> to compare them.
        </p>
      )}
      {compare.isLoading && <p role="status">Comparing…</p>}
      <ErrorMessage error={compare.error} />
      {c && (
        <>
          <section className="section" aria-labelledby="runs-compared">
            <h2 id="runs-compared">The runs</h2>
            <ol className="compare-runs">
              {c.runs.map((r, i) => {
                const p = r.parameters;
                return (
                  <li key={r.id}>
                    <span
                      className="swatch-dot"
                      style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }}
                      aria-hidden="true"
                    />
                    <Link to={`/backtests/${r.id}`}>{labels[i]}</Link>
                    <span className="meta">
                      {" "}
                      · {runDataWords(r)} · fee {num(p.fee_pct, 2)}% · slippage {num(p.slippage_bps, 1)} bps ·{" "}
                      {p.fill === "same_close" ? "same-close fills" : "next-open fills"}
                    </span>
                  </li>
                );
              })}
            </ol>
          </section>
          <section className="section" aria-labelledby="metrics-compared">
            <h2 id="metrics-compared">Numbers side by side</h2>
            <div className="table-wrap" role="region" aria-label="Numbers side by side" tabIndex={0}>
              <table className="table compare-table">
                <thead>
                  <tr>
                    <th scope="col">Measure</th>
                    {labels.map((l, i) => (
                      <th scope="col" key={i} className="num">
                        {i + 1}. {l}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {c.metrics.map((row) => {
                    const info = metricInfo(row.metric);
                    const finite = row.values.filter((v): v is number => v !== null && Number.isFinite(v));
                    const best = finite.length > 1 && !info.neutral ? (info.higherIsBetter ? Math.max(...finite) : Math.min(...finite)) : null;
                    return (
                      <tr key={row.metric}>
                        <th scope="row">
                          {info.label} {info.explain && <InfoTip label={info.label} text={info.explain} />}
                        </th>
                        {row.values.map((v, i) => (
                          <td key={i} className={`num${v === best ? " best" : ""}`}>
                            {info.format(v)}
                            {v === best && <span className="visually-hidden"> (best)</span>}
                          </td>
                        ))}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p className="help">The best value in each row is in bold.</p>
          </section>
          <BlockSettings title="Settings side by side" columns={columns} compare />
          <section className="section" aria-labelledby="equity-compared">
            <h2 id="equity-compared">Account value over time</h2>
            <CompareChart
              ts={c.ts}
              series={series}
              summary={series.map((s, i) => `${i + 1}. ${s.label} ended at ${pct(finals[i], 0, false)}`).join("; ") + "."}
            />
          </section>
          <ChartsCredit />
        </>
      )}
    </>
  );
}
