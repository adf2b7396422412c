// The page an email's "Unsubscribe" link opens (/unsubscribe?token=…), signed in or not. It
// does not unsubscribe on load (mail scanners open links ahead of the reader): it asks first,
// and only the button turns that kind's emails off. Then it says what stopped and where to
// change it back.
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { ErrorMessage } from "../components/Field";
import { unsubscribe, type UnsubscribeResult } from "../hooks/notificationPrefs";
import { useTitle } from "../hooks/useTitle";
import "../styles/notification-settings.css";

/** The kind of an unsubscribe link in a daily digest: every kind that went to the digest. */
const DIGEST = "digest";

// What each kind's emails are about, for the question before the answer names it.
const KIND_WORDS: Record<string, string> = {
  "backtest.succeeded": "finished backtests",
  "backtest.failed": "failed backtests",
  "sweep.succeeded": "finished parameter sweeps",
  "sweep.failed": "failed parameter sweeps",
  "robustness.succeeded": "finished robustness checks",
  "robustness.failed": "failed robustness checks",
  paper_trade_alert: "paper-trading alerts",
  template_review: "review decisions on your templates",
  governance_task: "templates waiting for review",
  "billing.payment_failed": "failed payments for your plan",
  "billing.plan_changed": "changes to your plan",
  "webhook.disabled": "disabled webhook endpoints",
  "account.register_attempt": "attempts to register with your email address",
};

/** The kind a token names: it is `base64url(user_id "\n" kind "\n" signature)`; null when
 * it does not read so (the server decides either way). */
function kindOf(token: string): string | null {
  try {
    const b64 = token.trim().replace(/-/g, "+").replace(/_/g, "/");
    const parts = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)).split("\n");
    return parts.length === 3 && /^[a-z0-9_.]+$/i.test(parts[1]) ? parts[1] : null;
  } catch {
    return null;
  }
}

function refusal(err: unknown): string {
  if (err instanceof ApiError && (err.status === 400 || err.status === 404 || err.status === 422)) {
    return "This unsubscribe link does not work: it may be incomplete or no longer valid. Sign in and change your emails in Notification settings instead.";
  }
  return err instanceof Error ? err.message : "Could not reach the server. Check your connection and try again.";
}

export default function UnsubscribePage() {
  useTitle("Unsubscribe");
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  // What the token says it is about (the server's answer names it for sure).
  const kind = kindOf(token);
  const about = kind ? (KIND_WORDS[kind] ?? kind) : "";
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<UnsubscribeResult | null>(null);

  const stop = async () => {
    setBusy(true);
    setError(null);
    try {
      setDone(await unsubscribe(token));
    } catch (err) {
      setError(refusal(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth">
      <a href="#main" className="skip-link">
        Skip to the main content
      </a>
      <header className="auth-header">
        <span className="brand">
          <span aria-hidden="true" className="brand-mark">
            ▦
          </span>{" "}
          Blockbuilders
        </span>
      </header>
      <main id="main" className="auth-main unsubscribe">
        {done ? (
          <>
            <h1>You are unsubscribed</h1>
            <p className="success-box" role="status">
              {done.kind === DIGEST ? (
                <>
                  You will no longer get <strong>the daily digest</strong>: what it gathered is no longer emailed.
                </>
              ) : (
                <>
                  You will no longer get emails about <strong>{KIND_WORDS[done.kind] ?? done.description}</strong>.
                </>
              )}
            </p>
            <p>
              You can change this any time in <Link to="/settings/notifications">Notification settings</Link>.
            </p>
          </>
        ) : !token ? (
          <>
            <h1>Unsubscribe</h1>
            <p className="error-box" role="alert">
              This link has no unsubscribe token: open the whole link from the email, or sign in and change your
              emails in <Link to="/settings/notifications">Notification settings</Link>.
            </p>
          </>
        ) : (
          <>
            <h1>{kind === DIGEST ? "Stop the daily digest?" : about ? `Stop emails about ${about}?` : "Stop these emails?"}</h1>
            <p>
              {kind === DIGEST ? (
                <>This stops the daily digest email, and the emails of every notification that went to it.</>
              ) : about ? (
                <>
                  This stops the emails about <strong>{about}</strong> only.
                </>
              ) : (
                <>This stops the emails about the kind of notification this email was about.</>
              )}{" "}
              You still see these notifications in the app, and you can turn the emails back on any time in
              Notification settings.
            </p>
            <ErrorMessage error={error} />
            <div className="actions">
              <button type="button" className="button primary" disabled={busy} onClick={stop}>
                {busy ? "Unsubscribing…" : "Stop these emails"}
              </button>
              <Link to="/settings/notifications" className="button">
                Notification settings
              </Link>
            </div>
          </>
        )}
      </main>
    </div>
  );
}
