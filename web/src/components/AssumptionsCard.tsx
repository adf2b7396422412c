// The assumptions card of a result: what the backtest took for granted (fills, costs, sizing,
// risk rules, the data and its quality). Real trading differs when these do not hold.
import type { Assumptions } from "../api/types";
import { dateTime, num, timeframeWords } from "../lib/format";

export function AssumptionsCard({ a }: { a: Assumptions }) {
  const d = a.data ?? {};
  return (
    <section aria-labelledby="assumptions-title" className="section card assumptions">
      <h2 id="assumptions-title">Assumptions</h2>
      <p className="help">What this test took for granted. Real trading differs when these do not hold.</p>
      <dl className="facts">
        <div>
          <dt>When orders fill</dt>
          <dd>{a.fill_rule_text ?? a.fill_rule}</dd>
        </div>
        <div>
          <dt>Fees</dt>
          <dd>{a.fee_pct !== undefined ? `${num(a.fee_pct, 2)}% of every buy and every sell.` : "–"}</dd>
        </div>
        <div>
          <dt>Slippage</dt>
          <dd>{a.slippage_text ?? `${a.slippage_bps} bps`}</dd>
        </div>
        <div>
          <dt>Inside a candle</dt>
          <dd>{a.intrabar_path}</dd>
        </div>
        <div>
          <dt>Trade size</dt>
          <dd>{a.sizing}</dd>
        </div>
        <div>
          <dt>Risk rules</dt>
          <dd>
            {a.risk_rules?.length ? (
              <ul>
                {a.risk_rules.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            ) : (
              "No stop loss or take profit."
            )}
          </dd>
        </div>
        <div>
          <dt>Short trades</dt>
          <dd>{a.shorts_allowed ? "Allowed when the strategy has them." : "Not allowed."}</dd>
        </div>
        <div>
          <dt>Data range</dt>
          <dd>
            {d.candles ?? "–"} {timeframeWords(d.timeframe)} candles from {dateTime(d.from_ts)} to {dateTime(d.to_ts)} (UTC),{" "}
            {d.source?.replace(/^dataset /, "")}.
            {d.warmup_bars ? ` The first ${d.warmup_bars} candles warm up the indicators and cannot trade.` : ""}
          </dd>
        </div>
        <div>
          <dt>Data quality</dt>
          <dd>
            {d.quality?.summary?.length ? (
              <ul>
                {d.quality.summary.map((q) => (
                  <li key={q}>{q}</li>
                ))}
              </ul>
            ) : (
              "No quality report."
            )}
            {d.gap_handling && <p className="meta">{d.gap_handling}</p>}
          </dd>
        </div>
      </dl>
    </section>
  );
}
