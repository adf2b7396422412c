// A paper run's account value after each processed candle, redrawn as the run goes on.
// A chunk of its own (lightweight-charts), so the dashboard's numbers render first.
import { useMemo } from "react";
import type { PaperRun } from "../api/types";
import { usePaperEquity } from "../hooks/queries";
import { date, money, pct } from "../lib/format";
import { LiveEquityChart } from "./charts";
import { ErrorMessage } from "./Field";

export default function PaperEquityChart({ run, unit }: { run: PaperRun; unit?: string }) {
  const equity = usePaperEquity(run.id);
  const ts = equity.data?.ts;
  const values = equity.data?.equity;
  const summary = useMemo(() => {
    if (!ts?.length || !values?.length) return "";
    const n = Math.min(ts.length, values.length);
    const last = values[n - 1];
    return `From ${money(run.initial_capital, unit)} on ${date(ts[0])} to ${money(last, unit)} on ${date(ts[n - 1])} (${pct(
      ((last - run.initial_capital) / run.initial_capital) * 100,
    )}), over ${n} candle${n === 1 ? "" : "s"}.`;
  }, [ts, values, run.initial_capital, unit]);
  if (equity.error) return <ErrorMessage error={equity.error} />;
  if (equity.isLoading) return <p role="status">Loading the account value…</p>;
  if (!ts?.length) return <p className="empty">No candle processed yet: the account value is drawn from the first one on.</p>;
  return <LiveEquityChart ts={ts} equity={values ?? []} initial={run.initial_capital} summary={summary} unit={unit} />;
}
