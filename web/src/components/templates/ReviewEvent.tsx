// One compliance event in the review queue: the template (title, educator, version), every
// machine gate with what it found, the verified backtest card, the description and disclosure,
// and the decision (approve, reject or escalate; a reason is required to reject or escalate).
import { useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { ComplianceEvent } from "../../api/types";
import { localTime } from "../../lib/format";
import { eventStatusWords, eventTypeWords, payloadGates } from "../../lib/templates";
import { ErrorMessage, Field } from "../Field";
import { GateList } from "./GateList";
import { VerifiedCard } from "./VerifiedCard";

type Decision = "approved" | "rejected" | "escalated";

const PILL: Record<string, string> = { open: "pill-queued", escalated: "pill-queued", approved: "pill-succeeded", rejected: "pill-failed" };

export function ReviewEvent({ event: e, isAdmin, onDecided }: { event: ComplianceEvent; isAdmin: boolean; onDecided(msg: string): void }) {
  const titleId = useId();
  const t = e.template;
  const gates = payloadGates(e.payload);
  const title = t?.title ?? "A template";
  const decidable = e.status === "open" || (e.status === "escalated" && isAdmin);
  return (
    <article className="card event-card" aria-labelledby={titleId} data-testid="compliance-event">
      <h2 id={titleId}>{title}</h2>
      <p className="meta">
        <span className={`pill ${PILL[e.status] ?? ""}`}>{eventStatusWords(e.status)}</span> {eventTypeWords(e.event_type)}
        {t && ` · by ${t.educator_name} · version ${t.version}`} · {localTime(e.created_at)}
      </p>
      {e.reason && (
        <p>
          <strong>Reason:</strong> “{e.reason}”{e.resolved_at ? ` (${localTime(e.resolved_at)})` : ""}
        </p>
      )}
      {e.status === "escalated" && !isAdmin && <p>Escalated: an admin decides it.</p>}
      <div className="event-columns">
        <div>
          {gates.length > 0 && (
            <>
              <h3>Machine checks</h3>
              <GateList gates={gates} label={`Machine checks of ${title}`} />
            </>
          )}
          {t && (
            <>
              <h3>Description</h3>
              <p>{t.description || "No description."}</p>
              <h3>Disclosure</h3>
              <p className="disclosure-text">{t.disclosure}</p>
            </>
          )}
        </div>
        {t && (
          <div>
            <h3>Verified backtest</h3>
            <VerifiedCard card={t.card} label={`Verified backtest of ${title}`} />
          </div>
        )}
      </div>
      {decidable && <DecisionForm event={e} title={title} canEscalate={e.status === "open"} onDecided={onDecided} />}
    </article>
  );
}

function DecisionForm({
  event,
  title,
  canEscalate,
  onDecided,
}: {
  event: ComplianceEvent;
  title: string;
  canEscalate: boolean;
  onDecided(msg: string): void;
}) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (status: Decision) => {
    setFormError(null);
    if (status !== "approved" && !reason.trim()) {
      setError(`Say why you ${status === "rejected" ? "reject" : "escalate"} it, in words the educator can act on.`);
      return;
    }
    setError(null);
    setBusy(true);
    try {
      await data(
        api.PATCH("/api/v1/admin/compliance/events/{id}", {
          params: { path: { id: event.id } },
          body: { status, reason: reason.trim() || undefined },
        }),
      );
      queryClient.invalidateQueries({ queryKey: keys.compliance.all });
      queryClient.invalidateQueries({ queryKey: keys.templates.all });
      onDecided(`${status === "approved" ? "Approved" : status === "rejected" ? "Rejected" : "Escalated"} “${title}”.`);
    } catch (err) {
      if (err instanceof ApiError && err.details?.field === "reason") setError(err.message);
      else setFormError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="decision-form" aria-label={`Decision on ${title}`} onSubmit={(e) => e.preventDefault()} noValidate>
      <ErrorMessage error={formError} />
      <Field
        label="Reason"
        error={error}
        help="The educator reads it. Required to reject or escalate; optional to approve."
      >
        <textarea rows={2} value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <div className="actions">
        <button type="button" className="button primary" disabled={busy} onClick={() => decide("approved")}>
          Approve
        </button>
        <button type="button" className="button" disabled={busy} onClick={() => decide("rejected")}>
          Reject
        </button>
        {canEscalate && (
          <button type="button" className="button" disabled={busy} onClick={() => decide("escalated")}>
            Escalate
          </button>
        )}
      </div>
    </form>
  );
}
