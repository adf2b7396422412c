// "Import a strategy" on the strategies list: reads a `.blockbuilders.json` file, posts it and
// opens the new strategy; a refusal shows the server's message with the field it names.
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { StrategyFile } from "../../api/types";
import { useUpgradePrompt } from "../../hooks/upgrade";
import { Field } from "../Field";

/** The server's message, with `details.field` when the message does not already name it. */
export function messageWithField(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const field = e instanceof ApiError ? e.details?.field : undefined;
  return typeof field === "string" && field && !message.includes(field) ? `${message} (${field})` : message;
}

export function ImportStrategy() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upload = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const text = await file.text();
      let body: StrategyFile;
      try {
        body = JSON.parse(text) as StrategyFile;
      } catch {
        throw new Error(`${file.name} is not a JSON file.`);
      }
      // The file's own text goes up unchanged: the server checks its `sha256` over the versions'
      // canonical JSON, and a round trip through JS numbers would turn `1.0` into `1`.
      const imported = await data(api.POST("/api/v1/strategies/import", { body, bodySerializer: () => text }));
      queryClient.invalidateQueries({ queryKey: keys.strategies.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      navigate(`/strategies/${imported.strategy.id}`);
    } catch (e) {
      if (!showQuota(e)) setError(messageWithField(e));
    } finally {
      setBusy(false);
      input.value = "";
    }
  };
  return (
    <Field
      label="Import a strategy"
      help={busy ? "Importing…" : "A .blockbuilders.json file exported from Blockbuilders, with all its versions."}
      error={error}
      className="import-field"
    >
      <input type="file" accept=".json,application/json" disabled={busy} onChange={(e) => upload(e.currentTarget)} />
    </Field>
  );
}
