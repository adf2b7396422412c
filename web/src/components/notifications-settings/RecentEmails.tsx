// The caller's recent emails, newest first: what it was about, the subject, its state (a failed
// one with the last error), the attempts and when it was sent (or queued). Asked again while
// one is still on its way, so a queued email turns "Sent" on its own.
import { useId } from "react";
import { useRecentEmails, type EmailStatus, type KindPreference, type SentEmail } from "../../hooks/notificationPrefs";
import { localTime } from "../../lib/format";
import { ErrorMessage } from "../Field";

const STATE_WORDS: Record<EmailStatus, string> = {
  queued: "Queued",
  sent: "Sent",
  failed: "Failed",
  digest: "Held for the daily digest",
  digested: "Sent in a daily digest",
};
const STATE_PILL: Record<EmailStatus, string> = {
  queued: "pill-queued",
  sent: "pill-succeeded",
  failed: "pill-failed",
  digest: "pill-draft",
  digested: "pill-succeeded",
};

function isStatus(v: string): v is EmailStatus {
  return Object.hasOwn(STATE_WORDS, v);
}

function State({ email }: { email: SentEmail }) {
  const status = email.status;
  return (
    <>
      <span className={`pill ${isStatus(status) ? STATE_PILL[status] : ""}`}>{isStatus(status) ? STATE_WORDS[status] : status}</span>
      {email.status === "failed" && email.last_error && <span className="email-error">{email.last_error}</span>}
    </>
  );
}

// Account emails are not notification kinds (no setting stops them).
const ACCOUNT_WORDS: Record<string, string> = {
  "account.verify_email": "Confirm your email address",
  "account.password_reset": "Reset your password",
  "account.new_sign_in": "A new sign-in to your account",
  digest: "Daily digest",
};

export function RecentEmails({ kinds }: { kinds: KindPreference[] }) {
  const headingId = useId();
  const list = useRecentEmails();
  const items = list.data?.items ?? [];
  const words = (kind: string) => kinds.find((k) => k.kind === kind)?.description ?? ACCOUNT_WORDS[kind] ?? kind;
  return (
    <section className="section" aria-labelledby={headingId}>
      <h2 id={headingId}>Recent emails</h2>
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading emails…</p>}
      {list.data && items.length === 0 && <p className="empty">No email sent yet.</p>}
      {list.data && list.data.total > items.length && (
        <p className="meta">
          The latest {items.length} of {list.data.total} emails.
        </p>
      )}
      {items.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Recent emails" tabIndex={0}>
          <table className="table emails-table">
            <caption className="visually-hidden">Recent emails and their delivery</caption>
            <thead>
              <tr>
                <th scope="col">Notification</th>
                <th scope="col">Subject</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const at = e.sent_at ?? e.created_at;
                return (
                  <tr key={e.id} data-status={e.status} data-kind={e.kind}>
                    <td>
                      {words(e.kind)}
                      {words(e.kind) !== e.kind && <code className="prefs-kind">{e.kind}</code>}
                    </td>
                    <td className="email-subject">{e.subject || "–"}</td>
                    <td>
                      <State email={e} />
                    </td>
                    <td className="num">{e.attempts}</td>
                    <td className="nowrap">
                      <time dateTime={new Date(at).toISOString()}>{localTime(at)}</time>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
