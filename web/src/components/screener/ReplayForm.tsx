// Admins: replay a recorded Databento file (DBN, zstd or not) through the screener, as fast as
// it goes or at a multiple of real time; its alerts arrive in the live feed like a live feed's.
import { useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import { ErrorMessage, Field } from "../Field";

type FieldName = "body" | "speed" | "name";

export function ReplayForm() {
  const headingId = useId();
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [speed, setSpeed] = useState("");
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const replay = useMutation({
    mutationFn: ({ file, speed }: { file: File; speed?: number }) =>
      data(
        api.POST("/api/v1/screener/replays", {
          params: { query: { speed, name: file.name.slice(0, 100) } },
          // The file itself is the body.
          body: [],
          bodySerializer: () => file,
          headers: { "Content-Type": "application/octet-stream" },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.screener.health }),
    onError: (err) => {
      const field = err instanceof ApiError ? err.details?.field : undefined;
      if (field === "body" || field === "speed" || field === "name") setErrors({ [field === "name" ? "body" : field]: err.message });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next: Partial<Record<FieldName, string>> = {};
    if (!file) next.body = "Choose a DBN file (.dbn or .dbn.zst).";
    const n = speed.trim() ? Number(speed) : undefined;
    if (n !== undefined && !(Number.isFinite(n) && n > 0 && n <= 1_000_000))
      next.speed = "A number above 0 (60: a minute a second), or empty for as fast as it goes.";
    setErrors(next);
    if (Object.keys(next).length || !file) return;
    replay.mutate({ file, speed: n });
  };

  const fieldError = replay.error instanceof ApiError && replay.error.details?.field ? null : replay.error;
  return (
    <section className="replay-form card" aria-labelledby={headingId}>
      <h2 id={headingId}>Replay a recorded feed</h2>
      <p className="help">Admins only. A Databento file of up to 16 MiB; one replay runs at a time.</p>
      <form onSubmit={submit} noValidate>
        <Field label="DBN file" error={errors.body}>
          <input
            type="file"
            accept=".dbn,.zst,application/octet-stream"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setErrors((x) => ({ ...x, body: undefined }));
            }}
          />
        </Field>
        <Field label="Speed (times real time)" error={errors.speed} help="Empty: as fast as it goes.">
          <input type="number" inputMode="decimal" min="0" step="any" value={speed} onChange={(e) => setSpeed(e.target.value)} />
        </Field>
        <button type="submit" className="button primary" disabled={replay.isPending}>
          {replay.isPending ? "Uploading…" : "Start the replay"}
        </button>
      </form>
      <ErrorMessage error={fieldError} />
      <p role="status" className="replay-started">
        {replay.data ? "The replay started: its alerts appear in the live feed as it goes." : ""}
      </p>
    </section>
  );
}
