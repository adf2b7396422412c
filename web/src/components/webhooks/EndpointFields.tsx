// The fields of an endpoint, shared by "Add an endpoint" and a card's "Edit": its URL, a
// description and the notification kinds to send (none ticked = every kind), each with the
// server's refusal (`details.field`: url, description, kinds) beside it.
import { useId } from "react";
import { ApiError } from "../../api/client";
import type { WebhookKind } from "../../api/types";
import { Field } from "../Field";

export interface EndpointDraft {
  url: string;
  description: string;
  picked: Set<string>;
}

export type EndpointErrors = { url?: string; description?: string; kinds?: string; form?: string };

export const emptyDraft = (): EndpointDraft => ({ url: "", description: "", picked: new Set() });

/** The message when the URL is left empty (checked before asking the server). */
export const NO_URL = "Enter the address to send the messages to, e.g. https://example.com/hooks/blockbuilders.";

/** A refusal from the server, beside its field when it names one. */
export function endpointErrors(err: unknown): EndpointErrors {
  if (err instanceof ApiError) {
    const f = err.details?.field;
    return f === "url" || f === "description" || f === "kinds" ? { [f]: err.message } : { form: err.message };
  }
  return { form: "Could not reach the server. Try again." };
}

/** The ticked kinds, in the order the server lists them. */
export const pickedKinds = (kinds: WebhookKind[], picked: Set<string>) =>
  kinds.filter((k) => picked.has(k.kind)).map((k) => k.kind);

interface Props {
  kinds: WebhookKind[];
  value: EndpointDraft;
  errors: EndpointErrors;
  /** The draft changed in `field`; that field's error is stale. */
  onChange(next: EndpointDraft, field: "url" | "description" | "kinds"): void;
}

export function EndpointFields({ kinds, value, errors, onChange }: Props) {
  const id = useId();
  const kindsHelpId = `${id}-kinds-help`;
  const kindsErrorId = `${id}-kinds-error`;

  const toggle = (kind: string, on: boolean) => {
    const picked = new Set(value.picked);
    if (on) picked.add(kind);
    else picked.delete(kind);
    onChange({ ...value, picked }, "kinds");
  };

  return (
    <>
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
          value={value.url}
          maxLength={2048}
          placeholder="https://example.com/hooks/blockbuilders"
          onChange={(e) => onChange({ ...value, url: e.target.value }, "url")}
        />
      </Field>
      <Field label="Description" error={errors.description} help="Optional: what receives them, e.g. “Trading bot”.">
        <input
          value={value.description}
          maxLength={200}
          onChange={(e) => onChange({ ...value, description: e.target.value }, "description")}
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
                id={`${id}-${k.kind}`}
                checked={value.picked.has(k.kind)}
                onChange={(e) => toggle(k.kind, e.target.checked)}
              />
              <label htmlFor={`${id}-${k.kind}`}>
                {k.description} <code className="webhook-kind-code">{k.kind}</code>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
    </>
  );
}
