// The review queue (reviewers and admins): compliance events by state — waiting (the default),
// escalated, approved, rejected — each with its evidence and the decision; and the published
// templates, each with "Take down".
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { Template } from "../api/types";
import { AuditLog } from "../components/admin/AuditLog";
import { AuditExport } from "../components/exports/AuditExport";
import { ErrorMessage } from "../components/Field";
import { ReviewEvent } from "../components/templates/ReviewEvent";
import { TakedownDialog } from "../components/templates/TakedownDialog";
import { VerifiedCard } from "../components/templates/VerifiedCard";
import { useUser } from "../hooks/auth";
import { useTitle } from "../hooks/useTitle";
import { localTime, num } from "../lib/format";
import { canReview } from "../lib/templates";
import "../styles/templates.css";

const TABS = [
  { id: "open", label: "Waiting" },
  { id: "escalated", label: "Escalated" },
  { id: "approved", label: "Approved" },
  { id: "rejected", label: "Rejected" },
  { id: "published", label: "Published templates" },
] as const;
type Tab = (typeof TABS)[number]["id"];

export default function ReviewPage() {
  useTitle("Review queue");
  const user = useUser();
  const [params] = useSearchParams();
  const tab: Tab = TABS.find((t) => t.id === params.get("status"))?.id ?? "open";
  const [announce, setAnnounce] = useState("");

  if (!canReview(user)) {
    return (
      <>
        <h1>Review queue</h1>
        <p>Only reviewers and admins can see the review queue.</p>
      </>
    );
  }
  return (
    <>
      <h1>Review queue</h1>
      <p className="lead">
        Templates submitted to the public gallery wait here. Read the machine checks and the verified backtest, then
        approve, reject or escalate to an admin. You cannot decide on your own templates.
      </p>
      <nav aria-label="Review queue states" className="tabs">
        {TABS.map((t) => (
          <Link
            key={t.id}
            className="button small"
            to={t.id === "open" ? "/review" : `/review?status=${t.id}`}
            aria-current={tab === t.id ? "page" : undefined}
            onClick={() => setAnnounce("")}
            replace
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {announce && (
        <p className="success-box" role="status">
          {announce}
        </p>
      )}
      {tab === "published" ? (
        <PublishedList onDone={setAnnounce} />
      ) : (
        <EventList status={tab} isAdmin={user.role === "admin"} onDecided={setAnnounce} />
      )}
      {user.role === "admin" && (
        <>
          <AuditExport />
          {user.two_factor_enabled && <AuditLog />}
          <p>
            <Link to="/admin/operations">Backups and restore drills →</Link>
          </p>
        </>
      )}
    </>
  );
}

function EventList({ status, isAdmin, onDecided }: { status: string; isAdmin: boolean; onDecided(msg: string): void }) {
  const list = useQuery({
    queryKey: keys.compliance.events(status),
    queryFn: () => data(api.GET("/api/v1/admin/compliance/events", { params: { query: { status, limit: 100 } } })),
  });
  return (
    <section aria-label="Events">
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading the queue…</p>}
      {list.data?.items.length === 0 && (
        <p className="empty">{status === "open" ? "Nothing waits for a decision." : "No events in this state."}</p>
      )}
      <ul className="event-list" aria-label="Compliance events">
        {list.data?.items.map((e) => (
          <li key={e.id}>
            <ReviewEvent event={e} isAdmin={isAdmin} onDecided={onDecided} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function PublishedList({ onDone }: { onDone(msg: string): void }) {
  const [target, setTarget] = useState<Template | null>(null);
  const list = useQuery({
    queryKey: keys.templates.gallery({ search: "", tag: "", sort: "recent", page: 0 }),
    queryFn: () => data(api.GET("/api/v1/templates", { params: { query: { sort: "recent", limit: 24, offset: 0 } } })),
  });
  return (
    <section aria-label="Published templates">
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading the published templates…</p>}
      {list.data?.items.length === 0 && <p className="empty">No template is published.</p>}
      {!!list.data?.total && list.data.total > list.data.items.length && (
        <p className="help">
          The newest {list.data.items.length} of {num(list.data.total, 0)}; find others in the{" "}
          <Link to="/templates">gallery</Link>, where reviewers can take them down too.
        </p>
      )}
      <ul className="event-list" aria-label="Published templates">
        {list.data?.items.map((t) => (
          <li key={t.id}>
            <article className="card event-card" aria-label={t.title}>
              <h2>{t.title}</h2>
              <p className="meta">
                By {t.educator_name} · version {t.version}
                {t.published_at ? ` · published ${localTime(t.published_at)}` : ""} · {num(t.clone_count, 0)}{" "}
                {t.clone_count === 1 ? "clone" : "clones"}
              </p>
              <VerifiedCard card={t.card} label={`Verified backtest of ${t.title}`} />
              <div className="card-actions">
                <button type="button" className="button" onClick={() => setTarget(t)} aria-label={`Take down ${t.title}`}>
                  Take down
                </button>
              </div>
            </article>
          </li>
        ))}
      </ul>
      <TakedownDialog template={target} onClose={() => setTarget(null)} onDone={onDone} />
    </section>
  );
}
