// My templates: every template the caller published, in every state (pending review,
// published, rejected, taken down), with the reviewer's reason.
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { Template } from "../api/types";
import { ErrorMessage } from "../components/Field";
import { VerifiedCard } from "../components/templates/VerifiedCard";
import { useTitle } from "../hooks/useTitle";
import { localTime, num } from "../lib/format";
import { templateStatusWords } from "../lib/templates";
import "../styles/templates.css";

const PILL: Record<string, string> = {
  pending_review: "pill-queued",
  published: "pill-succeeded",
  rejected: "pill-failed",
  taken_down: "pill-failed",
};

export default function MyTemplatesPage() {
  useTitle("My templates");
  const list = useQuery({
    queryKey: keys.templates.mine,
    queryFn: () => data(api.GET("/api/v1/templates/mine", { params: { query: { limit: 100 } } })),
  });
  return (
    <>
      <p className="breadcrumb">
        <Link to="/templates">Templates</Link> <span aria-hidden="true">›</span> My templates
      </p>
      <h1>My templates</h1>
      <p className="lead">
        What you published and where its review stands. Publish a strategy from its page with “Publish as template”.
      </p>
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading your templates…</p>}
      {list.data?.items.length === 0 && <p className="empty">You have not published a template yet.</p>}
      <ul className="gallery-list my-templates" aria-label="My templates">
        {list.data?.items.map((t) => (
          <li key={t.id}>
            <MyTemplate template={t} />
          </li>
        ))}
      </ul>
    </>
  );
}

function MyTemplate({ template: t }: { template: Template }) {
  const r = t.review;
  return (
    <article className="card gallery-card" aria-label={`${t.title}, version ${t.version}`}>
      <h2>{t.title}</h2>
      <p className="meta">
        <span className={`pill ${PILL[t.status] ?? ""}`} data-testid="template-status">
          {templateStatusWords(t.status)}
        </span>{" "}
        {t.audience === "cohort" ? "For a cohort" : "Public gallery"} · version {t.version} · submitted {localTime(t.created_at)}
        {t.published_at ? ` · published ${localTime(t.published_at)}` : ""} · {num(t.clone_count, 0)}{" "}
        {t.clone_count === 1 ? "clone" : "clones"}
      </p>
      {t.status === "pending_review" && r?.status === "escalated" && (
        <p>A reviewer passed it to an admin for a second look.</p>
      )}
      {r?.reason && (
        <p className="review-reason">
          <strong>{r.event_type === "takedown" ? "Why it was taken down" : "The reviewer wrote"}:</strong> “{r.reason}”
          {r.resolved_at ? ` (${localTime(r.resolved_at)})` : ""}
        </p>
      )}
      <p>
        <Link to={`/strategies/${t.strategy_id}`}>Open the strategy</Link>
      </p>
      <VerifiedCard card={t.card} label={`Verified backtest of ${t.title}`} />
    </article>
  );
}
