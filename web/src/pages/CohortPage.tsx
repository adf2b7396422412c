// One cohort. The educator sees the invite (code, link, "New code"), the members with
// "Remove" and the dashboard; a member sees the cohort's templates (clone behind the
// disclosure) and "Leave cohort". Anyone else gets "not found" (the server answers 404).
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { CohortDetail } from "../api/types";
import { ErrorMessage } from "../components/Field";
import { CohortTemplates } from "../components/cohorts/CohortTemplates";
import { ConfirmDialog } from "../components/cohorts/ConfirmDialog";
import { DashboardSection } from "../components/cohorts/DashboardSection";
import { InviteSection } from "../components/cohorts/InviteSection";
import { MembersSection } from "../components/cohorts/MembersSection";
import { useToast } from "../hooks/toasts";
import { useTitle } from "../hooks/useTitle";
import { memberWords, roleWords } from "../lib/cohorts";
import "../styles/templates.css";

export default function CohortPage() {
  const { id = "" } = useParams();
  const cohort = useQuery({
    queryKey: keys.cohorts.one(id),
    queryFn: () => data(api.GET("/api/v1/cohorts/{id}", { params: { path: { id } } })),
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
  });
  useTitle(cohort.data?.name ?? "Cohort");

  if (cohort.error instanceof ApiError && (cohort.error.status === 404 || cohort.error.status === 400)) {
    return (
      <>
        <h1>Cohort not found</h1>
        <p>
          There is no cohort here that you belong to. If an educator invited you, join with their invite code on the{" "}
          <Link to="/cohorts">Cohorts</Link> page.
        </p>
      </>
    );
  }
  const c = cohort.data;
  return (
    <>
      <p className="breadcrumb">
        <Link to="/cohorts">Cohorts</Link>
      </p>
      <ErrorMessage error={cohort.error} />
      {cohort.isLoading && <p role="status">Loading the cohort…</p>}
      {c && (c.role === "educator" ? <EducatorView cohort={c} /> : <MemberView cohort={c} />)}
    </>
  );
}

function Head({ cohort: c }: { cohort: CohortDetail }) {
  return (
    <>
      <div className="page-head">
        <h1>{c.name}</h1>
      </div>
      <p className="meta">
        {roleWords(c)} · by {c.educator_name} · {memberWords(c.member_count)}
      </p>
      {c.description && <p className="lead">{c.description}</p>}
    </>
  );
}

function EducatorView({ cohort }: { cohort: CohortDetail }) {
  return (
    <>
      <Head cohort={cohort} />
      <div className="cohort-grid">
        <InviteSection cohort={cohort} />
        <MembersSection cohort={cohort} />
      </div>
      <DashboardSection cohortId={cohort.id} />
      <CohortTemplates cohortId={cohort.id} educator />
    </>
  );
}

function MemberView({ cohort }: { cohort: CohortDetail }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.POST("/api/v1/cohorts/{id}/leave", { params: { path: { id: cohort.id } } });
      queryClient.removeQueries({ queryKey: keys.cohorts.one(cohort.id) });
      queryClient.invalidateQueries({ queryKey: keys.cohorts.list });
      toast({ title: `You left “${cohort.name}”` });
      navigate("/cohorts");
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
      setAsking(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Head cohort={cohort} />
      <ErrorMessage error={error} />
      <CohortTemplates cohortId={cohort.id} educator={false} />
      <div className="card-actions">
        <button type="button" className="button" onClick={() => setAsking(true)}>
          Leave cohort
        </button>
      </div>
      <ConfirmDialog
        open={asking}
        title={`Leave “${cohort.name}”?`}
        confirm="Leave cohort"
        busy={busy}
        onConfirm={leave}
        onClose={() => setAsking(false)}
      >
        <p>
          You stop seeing its templates; the copies you cloned stay yours. To come back you need the current invite code.
        </p>
      </ConfirmDialog>
    </>
  );
}
