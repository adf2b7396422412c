// "Join a cohort": the invite code an educator shared. From an invite link the code is filled in
// and the student confirms with the button; the server's refusals show on the field.
import { useId, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import { useToast } from "../../hooks/toasts";
import { Field } from "../Field";

export function JoinForm({ initialCode = "" }: { initialCode?: string }) {
  const headingId = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [code, setCode] = useState(initialCode);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // A pasted invite link gives its code.
    const typed = code.trim().replace(/^.*\/cohorts\/join\//, "").replace(/[/?#].*$/, "");
    if (!typed) {
      setError("Enter the invite code your educator shared.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const c = await data(api.POST("/api/v1/cohorts/join", { body: { code: typed } }));
      queryClient.invalidateQueries({ queryKey: keys.cohorts.all });
      toast({ title: `You joined “${c.name}”`, tone: "good" });
      navigate(`/cohorts/${c.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setError("No cohort has this code. Check it with your educator: a new code replaces the old one.");
      else setError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card cohort-form" aria-labelledby={headingId}>
      <h2 id={headingId}>Join a cohort</h2>
      {initialCode && (
        <p className="notice-box">
          You were invited to a cohort. Check the code, then press “Join cohort”: its educator will see your name and
          how the cohort's templates do in your backtests, in totals only.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field label="Invite code" error={error} help="The code or link your educator shared; case does not matter.">
          <input
            value={code}
            maxLength={64}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setCode(e.target.value);
              setError(null);
            }}
          />
        </Field>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? "Joining…" : "Join cohort"}
          </button>
        </div>
      </form>
    </section>
  );
}
