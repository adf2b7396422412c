// Cohorts: the ones the caller teaches or belongs to, "Join a cohort" with an invite code (an
// invite link `/cohorts/join/:code` fills it in) and, on a plan with cohorts, "New cohort".
import { Link, useParams, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { Cohort } from "../api/types";
import { ErrorMessage } from "../components/Field";
import { JoinForm } from "../components/cohorts/JoinForm";
import { NewCohortForm } from "../components/cohorts/NewCohortForm";
import { usePlanUsage } from "../hooks/queries";
import { useTitle } from "../hooks/useTitle";
import { localTime } from "../lib/format";
import { memberWords, roleWords } from "../lib/cohorts";
import "../styles/templates.css";

export default function CohortsPage() {
  useTitle("Cohorts");
  const { code } = useParams();
  const [params] = useSearchParams();
  const invite = code ?? params.get("join") ?? "";
  const plan = usePlanUsage();
  const list = useQuery({
    queryKey: keys.cohorts.list,
    queryFn: () => data(api.GET("/api/v1/cohorts")),
  });
  const canCreate = (plan.data?.max_cohorts ?? 0) > 0;

  return (
    <>
      <div className="page-head">
        <h1>Cohorts</h1>
      </div>
      <p className="lead">
        A cohort is an educator's class: its members see the templates the educator publishes to it, and the educator
        sees how they do, in totals only.
      </p>
      <div className="cohort-forms">
        <JoinForm key={invite} initialCode={invite} />
        {canCreate && <NewCohortForm />}
      </div>
      {plan.data && !canCreate && (
        <p className="help">
          Running your own cohorts comes with the Educator plan. <Link to="/plan">See plans</Link>.
        </p>
      )}
      <h2>Your cohorts</h2>
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading cohorts…</p>}
      {list.data?.items.length === 0 && <p className="empty">You are in no cohort yet. Join one with an invite code.</p>}
      <ul className="gallery-list" aria-label="Your cohorts">
        {list.data?.items.map((c) => (
          <li key={c.id}>
            <CohortCard cohort={c} />
          </li>
        ))}
      </ul>
    </>
  );
}

function CohortCard({ cohort: c }: { cohort: Cohort }) {
  return (
    <article className="card gallery-card" aria-label={c.name}>
      <h3>
        <Link to={`/cohorts/${c.id}`}>{c.name}</Link>
      </h3>
      <p className="meta">
        <span className={`pill ${c.role === "educator" ? "pill-succeeded" : "pill-queued"}`}>{roleWords(c)}</span> · by{" "}
        {c.educator_name} · {memberWords(c.member_count)} · since {localTime(c.created_at)}
      </p>
      {c.description && <p className="card-text">{c.description}</p>}
    </article>
  );
}
