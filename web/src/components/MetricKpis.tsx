// The eight headline metrics as KPI cards, each with its plain-words explanation: a backtest's
// key numbers and a paper run's performance read the same.
import type { Metrics } from "../api/types";
import { KPI_KEYS, METRICS } from "../lib/metrics";
import { InfoTip } from "./InfoTip";
import { tone } from "./RunTable";

export function MetricKpis({ metrics }: { metrics: Partial<Metrics> }) {
  return (
    <dl className="kpis">
      {KPI_KEYS.map((k) => {
        const info = METRICS[k];
        const v = metrics[k];
        return (
          <div className="kpi" key={k}>
            <dt>
              {info.label} <InfoTip label={info.label} text={info.explain} />
            </dt>
            <dd className={k === "total_return_pct" || k === "cagr_pct" ? tone(v) : undefined}>{info.format(v)}</dd>
          </div>
        );
      })}
    </dl>
  );
}
