// A reviewer's takedown: the template leaves the gallery (clones keep working) and its educator
// is told why, so the reason is required.
import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { Template } from "../../api/types";
import { ErrorMessage, Field } from "../Field";
import { Modal } from "../Modal";

export function TakedownDialog({ template, onClose, onDone }: { template: Template | null; onClose(): void; onDone(msg: string): void }) {
  return (
    <Modal open={!!template} title={template ? `Take down “${template.title}”` : ""} onClose={onClose}>
      {template && <TakedownForm key={template.id} template={template} onClose={onClose} onDone={onDone} />}
    </Modal>
  );
}

function TakedownForm({ template, onClose, onDone }: { template: Template; onClose(): void; onDone(msg: string): void }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setError("Say why, in words the educator can act on.");
      return;
    }
    setBusy(true);
    setError(null);
    setFormError(null);
    try {
      await data(api.POST("/api/v1/admin/compliance/takedowns", { body: { template_id: template.id, reason: reason.trim() } }));
      queryClient.invalidateQueries({ queryKey: keys.templates.all });
      queryClient.invalidateQueries({ queryKey: keys.compliance.all });
      onDone(`“${template.title}” was taken down.`);
      onClose();
    } catch (err) {
      if (err instanceof ApiError && err.details?.field === "reason") setError(err.message);
      else setFormError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate>
      <p>
        It leaves the gallery at once. Strategies already cloned from it keep working. {template.educator_name} gets a
        notification with your reason.
      </p>
      <ErrorMessage error={formError} />
      <Field label="Reason (required)" error={error} help="The educator reads this; it is also kept in the audit trail.">
        <textarea rows={3} value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <div className="actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Taking down…" : "Take down"}
        </button>
      </div>
    </form>
  );
}
