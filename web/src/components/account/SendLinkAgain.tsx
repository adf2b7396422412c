// "Send the link again": asks the server to email the signed-in account a new link to confirm
// its address, then says what it answered: sent, or the refusal (already confirmed, or asked
// again too soon).
import { useState } from "react";
import { ErrorMessage } from "../Field";
import { problem, sendVerificationEmail } from "../../hooks/account";

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
      setError(problem(err));
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
