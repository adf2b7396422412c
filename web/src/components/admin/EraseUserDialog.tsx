// An admin deletes someone's account for good (`DELETE /api/v1/admin/users/{id}`) with a
// reason. The reason stays in the audit chain forever, so the server refuses one that names the
// user (their email, name or id): that refusal, like any naming `reason`, shows on the field.
import { useId, useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import { Field } from "../Field";
import { Modal } from "../Modal";

export interface EraseTarget {
  userId: string;
  label: string;
}

export function EraseUserDialog({ target, onClose, onDone }: { target: EraseTarget | null; onClose(): void; onDone(label: string): void }) {
  const textId = useId();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const close = () => {
    if (busy) return;
    setReason("");
    setReasonError(null);
    setError(null);
    onClose();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!target) return;
    setReasonError(null);
    setError(null);
    if (!reason.trim()) {
      setReasonError("Say why the account is deleted.");
      return;
    }
    setBusy(true);
    try {
      await api.DELETE("/api/v1/admin/users/{id}", { params: { path: { id: target.userId } }, body: { reason: reason.trim() } });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.details?.field === "reason") setReasonError(err.message);
      else setError(err instanceof ApiError ? err.message : "Could not reach the server. Check your connection and try again.");
      return;
    }
    setBusy(false);
    setReason("");
    onDone(target.label);
  };

  return (
    <Modal open={!!target} title="Delete account" onClose={close} role="alertdialog" describedBy={textId}>
      <form onSubmit={submit} noValidate className="erase-user">
        <div id={textId}>
          <p>
            This deletes the account of <strong className="audit-party">{target?.label}</strong> and everything in it,
            for good: strategies, runs, paper runs, datasets, notifications, webhooks; published templates are
            unpublished and cohorts dissolved. The audit log keeps only a pseudonym. A live subscription must be
            cancelled first.
          </p>
        </div>
        {error && (
          <p className="error-box" role="alert">
            {error}
          </p>
        )}
        <Field
          label="Reason"
          help="Kept in the audit log for good, so do not name the person: no email, name or id."
          error={reasonError}
        >
          <textarea rows={3} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </Field>
        <div className="actions">
          <button type="button" className="button" onClick={close} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button danger" disabled={busy}>
            {busy ? "Deleting…" : "Delete the account"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
