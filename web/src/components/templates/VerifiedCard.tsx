// A template's verified backtest card: the numbers it was checked on (after fees and slippage),
// the data and period, and the out-of-sample verdict when a robustness check was run.
import type { Level, VerifiedCard as Card } from "../../api/types";
import { date, num, pct, timeframeWords } from "../../lib/format";
import { METRICS } from "../../lib/metrics";
import { warningWords } from "../../lib/templates";
import { LevelBadge } from "../LevelBadge";
import { tone } from "../RunTable";

const SHOWN = ["total_return_pct", "cagr_pct", "max_drawdown_pct", "sharpe", "trades", "win_rate_pct"] as const;
const LEVELS: Level[] = ["pass", "caution", "fail", "unknown"];

export function VerifiedCard({ card, label }: { card: Card; label: string }) {
  const m = card.metrics;
  const oos = card.robustness;
  const level = LEVELS.find((l) => l === oos?.walk_forward) ?? "unknown";
  return (
    <section className="verified-card" aria-label={label}>
      <dl className="verified-numbers">
        {SHOWN.map((k) => (
          <div key={k}>
            <dt>{METRICS[k].label}</dt>
            <dd className={k === "total_return_pct" || k === "cagr_pct" ? tone(m[k]) : undefined}>{METRICS[k].format(m[k])}</dd>
          </div>
        ))}
      </dl>
      <dl className="verified-facts">
        <div>
          <dt>Costs</dt>
          <dd>
            {pct(card.fee_pct, 2, false)} fee and {num(card.slippage_bps, 1)} bps slippage per fill
          </dd>
        </div>
        <div>
          <dt>Data</dt>
          <dd>
            {card.dataset.replace(/^dataset /, "")}, {timeframeWords(card.timeframe)} candles, {date(card.from_ts)} to {date(card.to_ts)}
          </dd>
        </div>
        <div>
          <dt>Out of sample</dt>
          <dd>
            {oos ? (
              <>
                <LevelBadge level={level} /> walk-forward
                {oos.walk_forward_efficiency !== null && oos.walk_forward_efficiency !== undefined &&
                  `, kept ${pct(oos.walk_forward_efficiency * 100, 0, false)} of the in-sample growth`}
                <span className="verified-headline">{oos.headline}</span>
              </>
            ) : (
              "Not checked"
            )}
          </dd>
        </div>
        {card.warnings.length > 0 && (
          <div>
            <dt>Warnings</dt>
            <dd>{card.warnings.map(warningWords).join("; ")}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}
