// The review page's "Audit log" (admins with two-factor sign-in on): the newest entries of the
// audit chain, each with who its actor and subject stand for now (their email, or "deleted
// user"), and "Delete account" on an entry about a user who still has one.
import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data, type Schemas } from "../../api/client";
import { keys } from "../../api/keys";
import { useUser } from "../../hooks/auth";
import { localTime, num } from "../../lib/format";
import { ErrorMessage } from "../Field";
import { EraseUserDialog, type EraseTarget } from "./EraseUserDialog";
import "./admin.css";

type AuditItem = Schemas["AuditItemView"];

const STEP = 50;
const MOST = 500;

/** The newest `count` entries of the chain, newest first. */
async function latest(count: number): Promise<{ items: AuditItem[]; total: number }> {
  const probe = await data(api.GET("/api/v1/admin/audit", { params: { query: { limit: 1 } } }));
  const total = probe.head_seq;
  if (total === 0) return { items: [], total };
  const after = Math.max(0, total - count);
  const page = await data(api.GET("/api/v1/admin/audit", { params: { query: { after_seq: after, limit: Math.min(count, MOST) } } }));
  return { items: [...page.items].reverse(), total };
}

export function AuditLog() {
  const me = useUser();
  const queryClient = useQueryClient();
  const [count, setCount] = useState(STEP);
  const [target, setTarget] = useState<EraseTarget | null>(null);
  const [announce, setAnnounce] = useState("");
  const list = useQuery({ queryKey: keys.audit.latest(count), queryFn: () => latest(count) });
  const items = list.data?.items ?? [];
  const total = list.data?.total ?? 0;

  return (
    <section className="section audit-log" aria-labelledby="audit-log-title">
      <h2 id="audit-log-title">Audit log</h2>
      <p className="help">
        The newest entries first. The chain names people by a pseudonym; this list shows who each one is now: their
        email, or “deleted user” once the account was deleted.
      </p>
      <p role="status" className={announce ? "success-box" : undefined}>
        {announce}
      </p>
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading the audit log…</p>}
      {list.data && items.length === 0 && <p className="empty">The audit log is empty.</p>}
      {items.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Audit entries" tabIndex={0}>
          <table className="table audit-table">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Seq
                </th>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Who</th>
                <th scope="col">About</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const subject = e.subject;
                const erasable = !!subject?.user_id && subject.user_id !== me.id;
                return (
                  <tr key={e.id}>
                    <td className="num">{e.seq}</td>
                    <td className="nowrap">{localTime(e.created_at)}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td className="audit-party">{e.actor ? e.actor.label : e.actor_id ? <code>{e.actor_id}</code> : "system"}</td>
                    <td className="audit-party">
                      {subject ? subject.label : `${e.entity_type} ${e.entity_id}`}
                    </td>
                    <td>
                      {erasable && subject?.user_id && (
                        <button
                          type="button"
                          className="button small danger"
                          aria-label={`Delete account of ${subject.label}`}
                          onClick={() => {
                            setAnnounce("");
                            setTarget({ userId: subject.user_id ?? "", label: subject.label });
                          }}
                        >
                          Delete account
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {total > items.length && count < MOST && (
        <button type="button" className="button audit-more" onClick={() => setCount((c) => Math.min(MOST, c + STEP))}>
          Show earlier entries
        </button>
      )}
      {list.data && total > 0 && (
        <p className="meta">
          {num(items.length, 0)} of {num(total, 0)} {total === 1 ? "entry" : "entries"}.
        </p>
      )}
      <EraseUserDialog
        target={target}
        onClose={() => setTarget(null)}
        onDone={(label) => {
          setTarget(null);
          setAnnounce(`The account of ${label} was deleted.`);
          queryClient.invalidateQueries({ queryKey: keys.audit.all });
        }}
      />
    </section>
  );
}
