// "Add an endpoint": its URL, a description and the notification kinds to send (none ticked =
// every kind), the fields shared with a card's "Edit". The server's refusals (`details.field`:
// url, description, kinds) show beside their field.
import { useId, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { WebhookKind } from "../../api/types";
import { ErrorMessage } from "../Field";
import {
  EndpointFields,
  emptyDraft,
  endpointErrors,
  NO_URL,
  pickedKinds,
  type EndpointDraft,
  type EndpointErrors,
} from "./EndpointFields";

export function NewEndpointForm({ kinds, onCreated }: { kinds: WebhookKind[]; onCreated(id: string): void }) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<EndpointDraft>(emptyDraft);
  const [errors, setErrors] = useState<EndpointErrors>({});
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState("");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setAdded("");
    if (!draft.url.trim()) {
      setErrors({ url: NO_URL });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const created = await data(
        api.POST("/api/v1/webhooks", {
          body: {
            url: draft.url.trim(),
            description: draft.description.trim() || undefined,
            kinds: pickedKinds(kinds, draft.picked),
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.list });
      setDraft(emptyDraft());
      setAdded(`Added ${created.url}.`);
      onCreated(created.id);
    } catch (err) {
      setErrors(endpointErrors(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card section webhook-form" aria-labelledby={headingId}>
      <h2 id={headingId}>Add an endpoint</h2>
      <form onSubmit={submit} noValidate>
        <ErrorMessage error={errors.form} />
        <EndpointFields
          kinds={kinds}
          value={draft}
          errors={errors}
          onChange={(next, field) => {
            setDraft(next);
            setErrors((x) => ({ ...x, [field]: undefined }));
          }}
        />
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? "Adding…" : "Add endpoint"}
          </button>
          <span className="meta" role="status">
            {added}
          </span>
        </div>
      </form>
    </section>
  );
}
