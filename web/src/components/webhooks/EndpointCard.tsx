// One webhook endpoint: its URL, description, state (and why it is off), kinds and secret
// (hidden until "Show"; "Copy"), with "Edit" (the URL, description and kinds in place, the
// fields of "Add an endpoint"; "Cancel" puts the card back), "Send test", "Rotate secret" (after a warning: the old
// secret keeps signing for 24 hours), "Disable"/"Enable", "Delete" (after a warning) and the
// button that opens its delivery log.
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { WebhookEndpoint, WebhookKind } from "../../api/types";
import { localTime, relative } from "../../lib/format";
import { ConfirmDialog } from "../cohorts/ConfirmDialog";
import { ErrorMessage } from "../Field";
import { DeliveryLog } from "./DeliveryLog";
import {
  EndpointFields,
  emptyDraft,
  endpointErrors,
  NO_URL,
  pickedKinds,
  type EndpointDraft,
  type EndpointErrors,
} from "./EndpointFields";

function message(err: unknown): string {
  return err instanceof ApiError ? err.message : "Could not reach the server. Check your connection and try again.";
}

interface Props {
  endpoint: WebhookEndpoint;
  kinds: WebhookKind[];
  open: boolean;
  onToggle(): void;
}

export function EndpointCard({ endpoint: e, kinds, open, onToggle }: Props) {
  const titleId = useId();
  const logId = useId();
  const queryClient = useQueryClient();
  const [shown, setShown] = useState(false);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [asking, setAsking] = useState<"rotate" | "delete" | null>(null);
  const path = { params: { path: { id: e.id } } };
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<EndpointDraft>(emptyDraft);
  const [editErrors, setEditErrors] = useState<EndpointErrors>({});
  const [saving, setSaving] = useState(false);
  const editForm = useRef<HTMLFormElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);

  // Focus follows the form: its first field when it opens, "Edit" again when it closes.
  useEffect(() => {
    if (editing) editForm.current?.querySelector("input")?.focus();
    else if (wasEditing.current) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  const startEdit = () => {
    setDraft({ url: e.url, description: e.description, picked: new Set(e.kinds) });
    setEditErrors({});
    setError(null);
    setNote("");
    setEditing(true);
  };

  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    if (!draft.url.trim()) {
      setEditErrors({ url: NO_URL });
      return;
    }
    setSaving(true);
    setEditErrors({});
    try {
      const next = await data(
        api.PATCH("/api/v1/webhooks/{id}", {
          ...path,
          body: {
            url: draft.url.trim(),
            description: draft.description.trim(),
            kinds: pickedKinds(kinds, draft.picked),
          },
        }),
      );
      queryClient.setQueryData(keys.webhooks.list, (old: { items: WebhookEndpoint[] } | undefined) =>
        old ? { ...old, items: old.items.map((x) => (x.id === next.id ? next : x)) } : old,
      );
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.list });
      setEditing(false);
      setNote("The endpoint is saved.");
    } catch (err) {
      setEditErrors(endpointErrors(err));
    } finally {
      setSaving(false);
    }
  };

  const run = async (what: string, action: () => Promise<string>) => {
    setBusy(what);
    setError(null);
    setNote("");
    try {
      setNote(await action());
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(null);
      setAsking(null);
    }
  };

  const sendTest = () =>
    run("test", async () => {
      await data(api.POST("/api/v1/webhooks/{id}/test", path));
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.deliveries(e.id) });
      if (!open) onToggle();
      return "A test message is on its way; it shows in the delivery log.";
    });

  const rotate = () =>
    run("rotate", async () => {
      const next = await data(api.POST("/api/v1/webhooks/{id}/rotate-secret", path));
      queryClient.setQueryData(keys.webhooks.list, (old: { items: WebhookEndpoint[] } | undefined) =>
        old ? { ...old, items: old.items.map((x) => (x.id === next.id ? next : x)) } : old,
      );
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.list });
      return "A new secret signs from now on; the previous one also signs for 24 hours.";
    });

  const setEnabled = (enabled: boolean) =>
    run("enable", async () => {
      await data(api.PATCH("/api/v1/webhooks/{id}", { ...path, body: { enabled } }));
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.list });
      return enabled ? "The endpoint is on again." : "The endpoint is off: nothing is sent to it until you enable it.";
    });

  const remove = () =>
    run("delete", async () => {
      await api.DELETE("/api/v1/webhooks/{id}", path);
      queryClient.removeQueries({ queryKey: keys.webhooks.deliveries(e.id) });
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.list });
      return "";
    });

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(e.secret);
      setNote("The secret is copied.");
    } catch {
      setShown(true);
      setNote("Could not copy: select the secret and copy it.");
    }
  };

  const kindWords = (k: string) => kinds.find((x) => x.kind === k)?.description ?? k;

  return (
    <article className="card webhook-card" aria-labelledby={titleId}>
      <div className="webhook-card-head">
        <h3 id={titleId} className="webhook-url">
          {e.url}
        </h3>
        <span className={`pill ${e.enabled ? "pill-succeeded" : "pill-failed"}`}>{e.enabled ? "Enabled" : "Disabled"}</span>
      </div>
      {!editing && e.description && <p className="card-text">{e.description}</p>}
      {!e.enabled && (
        <p className="notice-box webhook-disabled">
          <strong>Disabled:</strong> {e.disabled_reason || "turned off."} Nothing is sent to it until you enable it.
        </p>
      )}
      {editing ? (
        <form ref={editForm} className="webhook-edit" aria-label="Edit endpoint" onSubmit={save} noValidate>
          <ErrorMessage error={editErrors.form} />
          <EndpointFields
            kinds={kinds}
            value={draft}
            errors={editErrors}
            onChange={(next, field) => {
              setDraft(next);
              setEditErrors((x) => ({ ...x, [field]: undefined }));
            }}
          />
          <div className="actions">
            <button type="submit" className="button primary" disabled={saving}>
              {saving ? "Saving…" : "Save"}
            </button>
            <button type="button" className="button" disabled={saving} onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          <dl className="facts webhook-facts">
            <div>
              <dt>Notifications</dt>
              <dd>
                {e.kinds.length === 0 ? (
                  "Every kind"
                ) : (
                  <ul>
                    {e.kinds.map((k) => (
                      <li key={k}>{kindWords(k)}</li>
                    ))}
                  </ul>
                )}
              </dd>
            </div>
            <div>
              <dt>Signing secret</dt>
              <dd>
                <code className="webhook-secret" data-testid="webhook-secret">
                  {shown ? e.secret : "whsec_••••••••••••"}
                </code>
                <span className="webhook-secret-actions">
                  <button type="button" className="button small" onClick={() => setShown(!shown)}>
                    {shown ? "Hide" : "Show"}
                  </button>
                  <button type="button" className="button small" onClick={copy}>
                    Copy
                  </button>
                </span>
                {e.previous_secret_until && (
                  <p className="help">
                    The previous secret also signs until {localTime(e.previous_secret_until)} (
                    {relative(e.previous_secret_until)}).
                  </p>
                )}
              </dd>
            </div>
            <div>
              <dt>Added</dt>
              <dd>{localTime(e.created_at)}</dd>
            </div>
          </dl>
          <ErrorMessage error={error} />
          <p className="help" role="status">
            {note}
          </p>
          <div className="card-actions">
            <button
              type="button"
              className="button primary"
              disabled={!e.enabled || busy !== null}
              title={e.enabled ? undefined : "Enable the endpoint to send a test"}
              onClick={sendTest}
            >
              {busy === "test" ? "Sending…" : "Send test"}
            </button>
            <button ref={editButton} type="button" className="button" disabled={busy !== null} onClick={startEdit}>
              Edit
            </button>
            <button type="button" className="button" disabled={busy !== null} onClick={() => setAsking("rotate")}>
              Rotate secret
            </button>
            <button type="button" className="button" disabled={busy !== null} onClick={() => setEnabled(!e.enabled)}>
              {e.enabled ? "Disable" : "Enable"}
            </button>
            <button type="button" className="button danger" disabled={busy !== null} onClick={() => setAsking("delete")}>
              Delete
            </button>
            <button type="button" className="button" aria-expanded={open} aria-controls={logId} onClick={onToggle}>
              {open ? "Hide delivery log" : "Show delivery log"}
            </button>
          </div>
        </>
      )}
      <div id={logId}>{open && <DeliveryLog endpoint={e} />}</div>
      <ConfirmDialog
        open={asking === "rotate"}
        title="Rotate the signing secret?"
        confirm="Rotate secret"
        busy={busy === "rotate"}
        onConfirm={rotate}
        onClose={() => setAsking(null)}
      >
        <p>
          A new secret signs every message from now on. The current one keeps signing beside it for 24 hours (two{" "}
          <code>v1,</code> signatures), so you have a day to put the new secret in your receiver without missing a
          message.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === "delete"}
        title="Delete this endpoint?"
        confirm="Delete endpoint"
        busy={busy === "delete"}
        onConfirm={remove}
        onClose={() => setAsking(null)}
      >
        <p>
          Nothing more is sent to <strong className="webhook-url">{e.url}</strong>, and its delivery log is deleted with
          it. This cannot be undone.
        </p>
      </ConfirmDialog>
    </article>
  );
}
