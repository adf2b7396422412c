// "Send the link again": asks the server to email the signed-in account a new link to confirm
// its address, then says what it answered: sent, or the refusal (already confirmed, or asked
// again too soon).
import { useState } from "react";
import { ErrorMessage } from "../Field";
import { ApiError } from "../../api/client";
import { problem, retryAfter, sendVerificationEmail } from "../../hooks/account";

/** The refusal in the reader's words: a link went out a moment ago, or the server's message. */
function refusal(err: unknown): string {
  if (err instanceof ApiError && err.status === 429) {
    const seconds = retryAfter(err);
    return `We sent you a link less than a minute ago: check your inbox and spam folder${
      seconds ? `, or ask again in ${seconds} ${seconds === 1 ? "second" : "seconds"}` : ", or ask again in a minute"
    }.`;
  }
  return problem(err);
}

export function SendLinkAgain({ label = "Send the link again" }: { label?: string }) {
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const send = async () => {
    setBusy(true);
    setSent(null);
    setError(null);
    try {
      setSent((await sendVerificationEmail()).message);
    } catch (err) {
      setError(refusal(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="send-link">
      <button type="button" className="button small" disabled={busy} onClick={send}>
        {busy ? "Sending…" : label}
      </button>
      <div role="status" className="send-link-result">
        {sent}
      </div>
      <ErrorMessage error={error} />
    </div>
  );
}
