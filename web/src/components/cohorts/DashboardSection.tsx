// The educator's dashboard: per cohort template, how many members cloned it and tested it and
// how their backtests went, as medians and shares only (never a member's own strategy or run).
import { useId } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { keys } from "../../api/keys";
import { num, pct } from "../../lib/format";
import { memberWords } from "../../lib/cohorts";
import { ErrorMessage } from "../Field";

export function DashboardSection({ cohortId }: { cohortId: string }) {
  const headingId = useId();
  const dash = useQuery({
    queryKey: keys.cohorts.dashboard(cohortId),
    queryFn: () => data(api.GET("/api/v1/cohorts/{id}/dashboard", { params: { path: { id: cohortId } } })),
  });
  const d = dash.data;
  return (
    <section className="card cohort-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Dashboard</h2>
      <p className="help">
        Only totals and medians over your members' backtests of their clones are shown, never a member's own strategy or
        results.
      </p>
      <ErrorMessage error={dash.error} />
      {dash.isLoading && <p role="status">Loading the dashboard…</p>}
      {d && (
        <>
          <p data-testid="dashboard-members">{memberWords(d.member_count)}</p>
          {d.templates.length === 0 ? (
            <p className="empty">
              No template is published to this cohort yet. Publish one from a strategy's page (“Publish as template”,
              audience: this cohort).
            </p>
          ) : (
            <div className="table-wrap" role="region" aria-label="Templates of the cohort, in totals" tabIndex={0}>
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Template</th>
                    <th scope="col" className="num">Clones</th>
                    <th scope="col" className="num">Members who tested</th>
                    <th scope="col" className="num">Backtests</th>
                    <th scope="col" className="num">Median return</th>
                    <th scope="col" className="num">Median worst drop</th>
                    <th scope="col" className="num">Profitable backtests</th>
                  </tr>
                </thead>
                <tbody>
                  {d.templates.map((t) => (
                    <tr key={t.template_id} data-testid="dashboard-row">
                      <th scope="row">{t.title}</th>
                      <td className="num">{num(t.clones, 0)}</td>
                      <td className="num">{num(t.members_tested, 0)}</td>
                      <td className="num">{num(t.backtests, 0)}</td>
                      <td className="num">{pct(t.median_return_pct)}</td>
                      <td className="num">{pct(t.median_max_drawdown_pct)}</td>
                      <td className="num">{pct(t.profitable_pct, 0, false)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
