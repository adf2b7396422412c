// The educator's invite: the code with "Copy", the link that fills it in, and "New code" (after
// a warning: the old code and link stop working at once).
import { useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { CohortDetail } from "../../api/types";
import { inviteLink } from "../../lib/cohorts";
import { ErrorMessage } from "../Field";
import { ConfirmDialog } from "./ConfirmDialog";

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function InviteSection({ cohort }: { cohort: CohortDetail }) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const [copied, setCopied] = useState("");
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const code = cohort.invite_code ?? "";
  const link = inviteLink(code);

  const doCopy = async (what: "code" | "link") => {
    const ok = await copy(what === "code" ? code : link);
    setCopied(ok ? `The invite ${what} is copied.` : `Could not copy: select the ${what} and copy it.`);
  };

  const rotate = async () => {
    setBusy(true);
    setError(null);
    try {
      const c = await data(api.POST("/api/v1/cohorts/{id}/invite", { params: { path: { id: cohort.id } } }));
      queryClient.setQueryData(keys.cohorts.one(cohort.id), { ...cohort, invite_code: c.invite_code });
      queryClient.invalidateQueries({ queryKey: keys.cohorts.list });
      setCopied("A new code replaces the old one.");
      setAsking(false);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
      setAsking(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card cohort-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Invite students</h2>
      <dl className="invite">
        <dt>Invite code</dt>
        <dd>
          <code className="invite-code" data-testid="invite-code">
            {code}
          </code>{" "}
          <button type="button" className="button small" onClick={() => doCopy("code")}>
            Copy code
          </button>
        </dd>
        <dt>Invite link</dt>
        <dd>
          <code className="invite-link">{link}</code>{" "}
          <button type="button" className="button small" onClick={() => doCopy("link")}>
            Copy link
          </button>
        </dd>
      </dl>
      <p className="help" role="status">
        {copied}
      </p>
      <ErrorMessage error={error} />
      <div className="card-actions">
        <button type="button" className="button" onClick={() => setAsking(true)}>
          New code
        </button>
      </div>
      <ConfirmDialog
        open={asking}
        title="Make a new invite code?"
        confirm="Make a new code"
        busy={busy}
        onConfirm={rotate}
        onClose={() => setAsking(false)}
      >
        <p>
          The current code <code>{code}</code> and its link stop working at once. Students who already joined stay in the
          cohort; anyone you sent the old code to needs the new one.
        </p>
      </ConfirmDialog>
    </section>
  );
}
