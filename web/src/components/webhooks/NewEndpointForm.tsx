// "Add an endpoint": its URL, a description and the notification kinds to send (none ticked =
// every kind). The server's refusals (`details.field`: url, description, kinds) show beside
// their field.
import { useId, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { WebhookKind } from "../../api/types";
import { ErrorMessage, Field } from "../Field";

type Errors = { url?: string; description?: string; kinds?: string; form?: string };

export function NewEndpointForm({ kinds, onCreated }: { kinds: WebhookKind[]; onCreated(id: string): void }) {
  const headingId = useId();
  const kindsHelpId = useId();
  const kindsErrorId = useId();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState("");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setAdded("");
    if (!url.trim()) {
      setErrors({ url: "Enter the address to send the messages to, e.g. https://example.com/hooks/blockbuilders." });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const created = await data(
        api.POST("/api/v1/webhooks", {
          body: {
            url: url.trim(),
            description: description.trim() || undefined,
            kinds: kinds.filter((k) => picked.has(k.kind)).map((k) => k.kind),
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.list });
      setUrl("");
      setDescription("");
      setPicked(new Set());
      setAdded(`Added ${created.url}.`);
      onCreated(created.id);
    } catch (err) {
      if (err instanceof ApiError) {
        const f = err.details?.field;
        setErrors(f === "url" || f === "description" || f === "kinds" ? { [f]: err.message } : { form: err.message });
      } else setErrors({ form: "Could not reach the server. Try again." });
    } finally {
      setBusy(false);
    }
  };

  const toggle = (kind: string, on: boolean) => {
    setPicked((p) => {
      const next = new Set(p);
      if (on) next.add(kind);
      else next.delete(kind);
      return next;
    });
    setErrors((x) => ({ ...x, kinds: undefined }));
  };

  return (
    <section className="card section webhook-form" aria-labelledby={headingId}>
      <h2 id={headingId}>Add an endpoint</h2>
      <form onSubmit={submit} noValidate>
        <ErrorMessage error={errors.form} />
        <Field
          label="URL"
          error={errors.url}
          help="Where to POST the messages: an https:// address (http:// works too) your server answers with a 2xx status."
        >
          <input
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            value={url}
            maxLength={2048}
            placeholder="https://example.com/hooks/blockbuilders"
            onChange={(e) => {
              setUrl(e.target.value);
              setErrors((x) => ({ ...x, url: undefined }));
            }}
          />
        </Field>
        <Field label="Description" error={errors.description} help="Optional: what receives them, e.g. “Trading bot”.">
          <input
            value={description}
            maxLength={200}
            onChange={(e) => {
              setDescription(e.target.value);
              setErrors((x) => ({ ...x, description: undefined }));
            }}
          />
        </Field>
        <fieldset
          className={`webhook-kinds${errors.kinds ? " field-invalid" : ""}`}
          aria-describedby={[errors.kinds ? kindsErrorId : "", kindsHelpId].filter(Boolean).join(" ")}
        >
          <legend>Notifications to send</legend>
          <p className="help" id={kindsHelpId}>
            Tick the ones you want. None ticked sends every kind, including ones added later.
          </p>
          {errors.kinds && (
            <p className="field-error" id={kindsErrorId}>
              {errors.kinds}
            </p>
          )}
          <ul className="webhook-kind-list">
            {kinds.map((k) => (
              <li key={k.kind} className="checkbox">
                <input
                  type="checkbox"
                  id={`${headingId}-${k.kind}`}
                  checked={picked.has(k.kind)}
                  onChange={(e) => toggle(k.kind, e.target.checked)}
                />
                <label htmlFor={`${headingId}-${k.kind}`}>
                  {k.description} <code className="webhook-kind-code">{k.kind}</code>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
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
