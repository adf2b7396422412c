// "Clone": the template's disclosure first, an "I have read this" box, then a private copy of
// the strategy (with attribution) and a move to it.
import { useId, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { Template } from "../../api/types";
import { useUpgradePrompt } from "../../hooks/upgrade";
import { Modal } from "../Modal";

export function CloneDialog({ template, onClose }: { template: Template | null; onClose(): void }) {
  return (
    <Modal open={!!template} title={template ? `Clone “${template.title}”` : ""} onClose={onClose}>
      {template && <CloneForm key={template.id} template={template} onClose={onClose} />}
    </Modal>
  );
}

function CloneForm({ template, onClose }: { template: Template; onClose(): void }) {
  const uid = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [read, setRead] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!read) {
      setError("Tick “I have read this” first: the educator's disclosure applies to the copy too.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const c = await data(
        api.POST("/api/v1/templates/{id}/clone", {
          params: { path: { id: template.id } },
          body: { acknowledge_disclosure: true },
        }),
      );
      queryClient.invalidateQueries({ queryKey: keys.templates.all });
      queryClient.invalidateQueries({ queryKey: keys.strategies.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      onClose();
      navigate(`/strategies/${c.strategy_id}`);
    } catch (err) {
      if (showQuota(err)) return;
      setError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <p>
        A private copy of version {template.version}, by {template.educator_name}, goes into your strategies. First read
        the educator's disclosure:
      </p>
      <h3>Disclosure</h3>
      <p className="disclosure-text">{template.disclosure}</p>
      <div className={`checkbox${error ? " field-invalid" : ""}`}>
        <input
          type="checkbox"
          id={`${uid}-read`}
          checked={read}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${uid}-err` : undefined}
          onChange={(e) => setRead(e.target.checked)}
        />
        <label htmlFor={`${uid}-read`}>I have read this</label>
      </div>
      {error && (
        <p className="field-error" id={`${uid}-err`} role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Cloning…" : "Clone into my strategies"}
        </button>
      </div>
    </form>
  );
}
