// The educator's members list, each with "Remove" (after a confirmation).
import { useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../../api/client";
import { keys } from "../../api/keys";
import type { CohortDetail, CohortMember } from "../../api/types";
import { localTime } from "../../lib/format";
import { ErrorMessage } from "../Field";
import { ConfirmDialog } from "./ConfirmDialog";

export function MembersSection({ cohort }: { cohort: CohortDetail }) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const [removing, setRemoving] = useState<CohortMember | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const members = cohort.members ?? [];

  const remove = async () => {
    if (!removing) return;
    setBusy(true);
    setError(null);
    try {
      await api.DELETE("/api/v1/cohorts/{id}/members/{user_id}", { params: { path: { id: cohort.id, user_id: removing.user_id } } });
      queryClient.invalidateQueries({ queryKey: keys.cohorts.all });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
    } finally {
      setBusy(false);
      setRemoving(null);
    }
  };

  return (
    <section className="card cohort-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Members ({members.length})</h2>
      <ErrorMessage error={error} />
      {members.length === 0 ? (
        <p className="empty">No student has joined yet. Share the invite code or link.</p>
      ) : (
        <ul className="member-list" aria-label="Members">
          {members.map((m) => (
            <li key={m.user_id}>
              <span>
                <strong>{m.display_name}</strong> <span className="meta">joined {localTime(m.joined_at)}</span>
              </span>
              <button type="button" className="button small" onClick={() => setRemoving(m)} aria-label={`Remove ${m.display_name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={!!removing}
        title={removing ? `Remove ${removing.display_name}?` : ""}
        confirm="Remove"
        busy={busy}
        onConfirm={remove}
        onClose={() => setRemoving(null)}
      >
        <p>
          They stop seeing the cohort's templates. The copies they cloned stay theirs. They can join again only with the
          current invite code.
        </p>
      </ConfirmDialog>
    </section>
  );
}
