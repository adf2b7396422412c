// "New cohort" (the educator plan): a name and a description. A plan without cohorts gets the
// upgrade prompt from the server's `quota_exceeded`.
import { useId, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import { useUpgradePrompt } from "../../hooks/upgrade";
import { ErrorMessage, Field } from "../Field";

type Errors = { name?: string; description?: string; form?: string };

export function NewCohortForm() {
  const headingId = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      setErrors({ name: "Give the cohort a name, e.g. “Spring 2027 class”." });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const c = await data(
        api.POST("/api/v1/cohorts", { body: { name: name.trim(), description: description.trim() || undefined } }),
      );
      queryClient.invalidateQueries({ queryKey: keys.cohorts.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      navigate(`/cohorts/${c.id}`);
    } catch (err) {
      if (showQuota(err)) {
        if (err instanceof ApiError) setErrors({ form: err.message });
        return;
      }
      if (err instanceof ApiError) {
        const f = err.details?.field;
        setErrors(f === "name" || f === "description" ? { [f]: err.message } : { form: err.message });
      } else setErrors({ form: "Could not reach the server. Try again." });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card cohort-form" aria-labelledby={headingId}>
      <h2 id={headingId}>New cohort</h2>
      <form onSubmit={submit} noValidate>
        <ErrorMessage error={errors.form} />
        <Field label="Name" error={errors.name}>
          <input
            value={name}
            maxLength={100}
            onChange={(e) => {
              setName(e.target.value);
              setErrors((x) => ({ ...x, name: undefined }));
            }}
          />
        </Field>
        <Field label="Description" error={errors.description} help="Optional: who it is for, what you teach.">
          <textarea
            rows={2}
            value={description}
            maxLength={2000}
            onChange={(e) => {
              setDescription(e.target.value);
              setErrors((x) => ({ ...x, description: undefined }));
            }}
          />
        </Field>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? "Creating…" : "Create cohort"}
          </button>
        </div>
      </form>
    </section>
  );
}
