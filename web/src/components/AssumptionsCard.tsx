// The assumptions card of a result: what the backtest took for granted (fills, costs, sizing,
// risk rules, the data and its quality), in short plain words; the long explanations open on
// demand. Real trading differs when these do not hold.
import type { Assumptions } from "../api/types";
import { date, num, timeframeWords } from "../lib/format";

/** A short line and, when there is more to say, the full text behind a disclosure. */
function Fact({ term, short, more }: { term: string; short: React.ReactNode; more?: React.ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>
        {more ? (
          <details>
            <summary>{short}</summary>
            <div className="details-body">{more}</div>
          </details>
        ) : (
          short
        )}
      </dd>
    </div>
  );
}

export function AssumptionsCard({ a }: { a: Assumptions }) {
  const d = a.data ?? {};
  const fill = a.fill_rule === "same_close" ? "At the signal candle's close" : a.fill_rule === "next_open" ? "At the next candle's open" : a.fill_rule;
  const quality = d.quality?.summary ?? [];
  return (
    <section aria-labelledby="assumptions-title" className="section card assumptions">
      <h2 id="assumptions-title">Assumptions</h2>
      <p className="help">What this test took for granted. Real trading differs when these do not hold.</p>
      <dl className="facts">
        <Fact term="Orders fill" short={fill ?? "–"} more={a.fill_rule_text} />
        <Fact term="Fees" short={a.fee_pct !== undefined ? `${num(a.fee_pct, 2)}% of every buy and every sell.` : "–"} />
        <Fact term="Slippage" short={a.slippage_text ?? `${num(a.slippage_bps, 1)} bps per fill`} />
        <Fact term="Trade size" short={a.sizing} />
        <Fact
          term="Risk rules"
          short={a.risk_rules?.length ? `${a.risk_rules.length} rule${a.risk_rules.length === 1 ? "" : "s"}` : "No stop loss or take profit."}
          more={
            a.risk_rules?.length ? (
              <ul>
                {a.risk_rules.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            ) : undefined
          }
        />
        <Fact term="Short trades" short={a.shorts_allowed ? "Allowed when the strategy has them." : "Not allowed."} />
        <Fact
          term="Data"
          short={`${d.candles !== undefined && d.candles !== null ? num(d.candles, 0) : "–"} ${timeframeWords(d.timeframe)} candles, ${date(
            d.from_ts,
          )} to ${date(d.to_ts)}`}
          more={
            <p>
              {d.source?.replace(/^dataset /, "")}, times in UTC.
              {d.warmup_bars ? ` The first ${num(d.warmup_bars, 0)} candles warm up the indicators and cannot trade.` : ""}
              {a.intrabar_path ? ` Inside a candle: ${a.intrabar_path}` : ""}
            </p>
          }
        />
        <Fact
          term="Data quality"
          short={quality.length ? `${quality.length} note${quality.length === 1 ? "" : "s"}` : "No quality report."}
          more={
            quality.length || d.gap_handling ? (
              <>
                {quality.length > 0 && (
                  <ul>
                    {quality.map((q) => (
                      <li key={q}>{q}</li>
                    ))}
                  </ul>
                )}
                {d.gap_handling && <p className="meta">{d.gap_handling}</p>}
              </>
            ) : undefined
          }
        />
      </dl>
    </section>
  );
}
