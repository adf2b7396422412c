// The notification kinds × channels grid: one row per kind (its description, its code), the
// channels in columns: in the app (always on), email (off, right away, daily digest) and
// webhook (on or off). "Save" sends only the rows that changed; the status line says what was
// saved and a refusal shows above the button.
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import {
  emailMode,
  notificationPrefsKeys,
  savePreferences,
  type EmailMode,
  type KindPreference,
  type PreferenceChange,
  type PreferencesView,
  type WebhookMode,
  webhookMode,
} from "../../hooks/notificationPrefs";
import { ErrorMessage } from "../Field";

const EMAIL_CHOICES: { value: EmailMode; words: string }[] = [
  { value: "off", words: "Off" },
  { value: "instant", words: "Right away" },
  { value: "daily", words: "Daily digest" },
];

interface Choice {
  email: EmailMode;
  webhook: WebhookMode;
}

/** What differs from the saved row, or null when nothing does. */
function changeOf(saved: KindPreference, draft: Choice | undefined): PreferenceChange | null {
  if (!draft) return null;
  const change: PreferenceChange = { kind: saved.kind };
  if (draft.email !== saved.email) change.email = draft.email;
  if (draft.webhook !== saved.webhook) change.webhook = draft.webhook;
  return change.email || change.webhook ? change : null;
}

function refusal(err: unknown): string {
  if (!(err instanceof ApiError)) return "Could not reach the server. Check your connection and try again.";
  const field = err.details?.field;
  return typeof field === "string" && field ? `${err.message} (${field})` : err.message;
}

export function PreferencesGrid({ view }: { view: PreferencesView }) {
  const captionId = useId();
  const webhookNoteId = useId();
  const inAppNoteId = useId();
  const queryClient = useQueryClient();
  // The rows being edited; a row not here shows what is saved.
  const [draft, setDraft] = useState<Record<string, Choice>>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");

  const choice = (k: KindPreference): Choice => draft[k.kind] ?? { email: emailMode(k.email), webhook: webhookMode(k.webhook) };
  const changes = view.kinds.map((k) => changeOf(k, draft[k.kind])).filter((c): c is PreferenceChange => c !== null);

  const edit = (k: KindPreference, next: Partial<Choice>) => {
    setDraft((d) => ({ ...d, [k.kind]: { ...choice(k), ...next } }));
    setStatus("");
    setError(null);
  };

  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    setError(null);
    setStatus("");
    if (changes.length === 0) {
      setStatus("Nothing to save: no setting changed.");
      return;
    }
    setSaving(true);
    try {
      const next = await savePreferences(changes);
      queryClient.setQueryData(notificationPrefsKeys.preferences, next);
      setDraft({});
      setStatus(changes.length === 1 ? "Saved: 1 notification changed." : `Saved: ${changes.length} notifications changed.`);
    } catch (err) {
      setError(refusal(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="prefs-form" onSubmit={save} aria-labelledby={captionId} noValidate>
      <div className="prefs-grid-wrap">
        <table className="table prefs-grid">
          <caption id={captionId} className="visually-hidden">
            How each notification reaches you
          </caption>
          <thead>
            <tr>
              <th scope="col">Notification</th>
              <th scope="col">In app</th>
              <th scope="col">Email</th>
              <th scope="col">Webhook</th>
            </tr>
          </thead>
          <tbody>
            {view.kinds.map((k) => {
              const c = choice(k);
              const changed = changeOf(k, draft[k.kind]) !== null;
              return (
                <tr key={k.kind} data-kind={k.kind} className={changed ? "prefs-changed" : undefined}>
                  <th scope="row">
                    <span className="prefs-description">{k.description}</span>{" "}
                    <code className="prefs-kind">{k.kind}</code>
                    {changed && <span className="visually-hidden"> (changed, not saved yet)</span>}
                  </th>
                  <td data-label="In app">
                    <input
                      type="checkbox"
                      className="prefs-check"
                      checked
                      disabled
                      aria-label={`In app for ${k.description}`}
                      aria-describedby={inAppNoteId}
                    />
                  </td>
                  <td data-label="Email">
                    <select
                      className="prefs-select"
                      value={c.email}
                      aria-label={`Email for ${k.description}`}
                      onChange={(e) => edit(k, { email: e.target.value as EmailMode })}
                    >
                      {EMAIL_CHOICES.map((o) => (
                        <option key={o.value} value={o.value}>
                          {o.words}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td data-label="Webhook">
                    <input
                      type="checkbox"
                      className="prefs-check"
                      checked={c.webhook === "on"}
                      aria-label={`Webhook for ${k.description}`}
                      aria-describedby={webhookNoteId}
                      onChange={(e) => edit(k, { webhook: e.target.checked ? "on" : "off" })}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="help" id={inAppNoteId}>
        In-app notifications are always kept: the bell and the Notifications page show every one.
      </p>
      <p className="help" id={webhookNoteId}>
        A ticked webhook goes to each of your endpoints that listens for it:{" "}
        <Link to="/settings/webhooks">manage your webhook endpoints</Link>.
      </p>
      <ErrorMessage error={error} />
      <div className="actions prefs-actions">
        <button type="submit" className="button primary" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        {changes.length > 0 && !saving && (
          <button type="button" className="button" onClick={() => setDraft({})}>
            Undo changes
          </button>
        )}
        <p className="prefs-status" role="status">
          {status}
        </p>
      </div>
    </form>
  );
}
