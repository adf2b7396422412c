// "Export" on a strategy's page (owner only): stores a file with every version, downloads it
// with the token and saves it as `<slug>.blockbuilders.json`, saying how many versions it holds.
import { useState } from "react";
import { api, data } from "../../api/client";
import type { Strategy } from "../../api/types";
import { fileSlug, saveFile } from "../../lib/download";
import { ErrorMessage } from "../Field";

export function ExportButton({ strategy }: { strategy: Strategy }) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    setDone("");
    setError(null);
    try {
      const created = await data(api.POST("/api/v1/strategies/{id}/exports", { params: { path: { id: strategy.id } } }));
      const file = await data(api.GET("/api/v1/exports/{id}", { params: { path: { id: created.id } }, parseAs: "blob" }));
      const name = `${fileSlug(strategy.slug || strategy.title)}.blockbuilders.json`;
      saveFile(file, name);
      setDone(`Saved ${name}: ${created.versions} ${created.versions === 1 ? "version" : "versions"}.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="button" disabled={busy} onClick={run}>
        {busy ? "Exporting…" : "Export"}
      </button>
      <span role="status" className="meta">
        {done}
      </span>
      <ErrorMessage error={error} />
    </>
  );
}
