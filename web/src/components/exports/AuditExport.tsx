// The review page's "Audit trail" (admins): a period, "Download audit package" saving
// `audit-<from>-<to>.json`, what it holds (entries, seq range, head hash) and how to verify it
// offline. A refusal naming `from` or `to` shows on that field.
import { useState } from "react";
import { api, ApiError, data } from "../../api/client";
import type { AuditManifest } from "../../api/types";
import { num } from "../../lib/format";
import { saveFile } from "../../lib/download";
import { ErrorMessage, Field } from "../Field";

const day = (d: Date) => d.toISOString().slice(0, 10);
/** The last second of a date (UTC), so the period includes its last day. */
const endOfDay = (date: string) => (/^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T23:59:59Z` : date);

export function AuditExport() {
  const today = new Date();
  const [from, setFrom] = useState(day(new Date(today.getTime() - 30 * 86_400_000)));
  const [to, setTo] = useState(day(today));
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<{ name: string; manifest: AuditManifest } | null>(null);
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const download = async () => {
    setBusy(true);
    setSaved(null);
    setFieldError(null);
    setError(null);
    try {
      const pkg = await data(api.GET("/api/v1/admin/audit/export", { params: { query: { from, to: endOfDay(to) } } }));
      const name = `audit-${from}-${to}.json`;
      saveFile(JSON.stringify(pkg, null, 2), name);
      setSaved({ name, manifest: pkg.manifest });
    } catch (e) {
      const field = e instanceof ApiError ? e.details?.field : undefined;
      if (field === "from" || field === "to") setFieldError({ field, message: (e as ApiError).message });
      else setError(e);
    } finally {
      setBusy(false);
    }
  };
  const errorOn = (field: string) => (fieldError?.field === field ? fieldError.message : null);
  const m = saved?.manifest;
  return (
    <section className="section" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      <p className="help">
        Admin and review actions, such as role changes, are recorded in a hash chain. Download the entries of a period
        (both days included, UTC) as an audit package to keep or hand over.
      </p>
      <form
        className="audit-form"
        onSubmit={(e) => {
          e.preventDefault();
          download();
        }}
      >
        <Field label="From" error={errorOn("from")}>
          <input type="date" value={from} required onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field label="To" error={errorOn("to")}>
          <input type="date" value={to} required onChange={(e) => setTo(e.target.value)} />
        </Field>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Preparing the package…" : "Download audit package"}
        </button>
      </form>
      <ErrorMessage error={error} />
      <div role="status">
        {saved && m && (
          <div className="success-box" data-testid="audit-saved">
            <p>
              Saved {saved.name}: {num(m.entry_count, 0)} {m.entry_count === 1 ? "entry" : "entries"}
              {m.first_seq != null && m.last_seq != null ? `, seq ${m.first_seq} to ${m.last_seq}` : ""}; chain head{" "}
              {m.head_seq}, hash <code className="hash">{m.head_hash}</code>.
            </p>
            <p>
              To verify it offline, run <code>blockbuilders audit verify {saved.name}</code>.
            </p>
          </div>
        )}
      </div>
    </section>
  );
}
