// Operations (admins with two-factor sign-in on): the backup schedule, when the last good
// backup finished, whether the last restore drill passed, and the latest backups and drills
// with why any failed. Failures and overdue backups also reach every admin as notifications
// that link here.
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, data, type Schemas } from "../api/client";
import { ErrorMessage } from "../components/Field";
import { useUser } from "../hooks/auth";
import { useTitle } from "../hooks/useTitle";
import { localTime, num, relative } from "../lib/format";
import "../components/admin/admin.css";

type Run = Schemas["BackupRunView"];

function every(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? "every day" : `every ${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? "every hour" : `every ${seconds / 3_600} hours`;
  return `every ${Math.round(seconds / 60)} minutes`;
}

function mib(bytes: number): string {
  return `${num(bytes / (1024 * 1024), 1)} MiB`;
}

function what(run: Run): string {
  const d = run.detail;
  if (run.status !== "ok") return run.error ?? "failed";
  if (run.kind === "backup") return `${num(d.rows, 0)} rows in ${num(d.tables, 0)} tables, ${mib(d.bytes)}`;
  const migrated = d.migrated.length > 0 ? `, migrated ${d.migrated.length}` : "";
  return `restored ${num(d.rows, 0)} rows${migrated}; the API answered /ready`;
}

export default function OperationsPage() {
  useTitle("Operations");
  const user = useUser();
  const allowed = user.role === "admin" && user.two_factor_enabled;
  const backups = useQuery({
    queryKey: ["admin", "backups"],
    queryFn: () => data(api.GET("/api/v1/admin/backups")),
    enabled: allowed,
    refetchInterval: 30_000,
  });

  if (!allowed) {
    return (
      <>
        <h1>Operations</h1>
        <p>
          This page is for administrators with two-factor sign-in turned on (<Link to="/plan">Your plan</Link> sets it
          up).
        </p>
      </>
    );
  }
  const view = backups.data;
  const schedule = view?.schedule;
  return (
    <>
      <h1>Operations</h1>
      <section className="section" aria-labelledby="backups-title">
        <h2 id="backups-title">Backups</h2>
        <ErrorMessage error={backups.error} />
        {backups.isLoading && <p role="status">Loading the backups…</p>}
        {view && (
          <dl className="ops-facts">
            <dt>Schedule</dt>
            <dd>
              {schedule ? (
                <>
                  To <code>{schedule.destination}</code>, {every(schedule.every_seconds)}
                  {schedule.drill ? ", each followed by a restore drill" : ""}; keeps the newest of each of the last{" "}
                  {schedule.keep_daily} days and {schedule.keep_weekly} weeks.
                  {!schedule.enabled && " Paused."}
                  {schedule.next_run_at != null && <> Next: {localTime(schedule.next_run_at)}.</>}
                </>
              ) : (
                <>
                  Not scheduled. Set <code>BB_BACKUP_TO</code> (a directory or <code>s3://bucket/prefix</code>) on the
                  server, or run <code>blockbuilders backup --to DIR</code>.
                </>
              )}
            </dd>
            <dt>Last good backup</dt>
            <dd>
              {view.last_success_at != null
                ? `${relative(view.last_success_at)} (${localTime(view.last_success_at)})`
                : "None yet."}
            </dd>
            <dt>Last restore drill</dt>
            <dd>{view.last_drill_ok == null ? "None yet." : view.last_drill_ok ? "Passed." : "Failed: see below."}</dd>
          </dl>
        )}
        {view && view.runs.length > 0 && (
          <div className="table-wrap" role="region" aria-label="Latest backups and drills" tabIndex={0}>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Finished</th>
                  <th scope="col">What</th>
                  <th scope="col">Result</th>
                  <th scope="col">Backup</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {view.runs.map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">{localTime(r.finished_at)}</td>
                    <td>{r.kind === "backup" ? "Backup" : "Restore drill"}</td>
                    <td>
                      <span className={r.status === "ok" ? "ops-result ok" : "ops-result failed"}>
                        {r.status === "ok" ? "OK" : "Failed"}
                      </span>
                    </td>
                    <td>{r.backup_id ? <code>{r.backup_id}</code> : "–"}</td>
                    <td>{what(r)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {view && view.runs.length === 0 && <p className="empty">No backup has been made yet.</p>}
        <p className="help">
          Check any backup by restoring it: <code>blockbuilders backup verify --from DEST --boot</code>. The README's
          Operations section has the restore steps.
        </p>
      </section>
    </>
  );
}
