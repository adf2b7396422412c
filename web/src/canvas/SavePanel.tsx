// Saving versions (with notes), the version history (open one read-only, restore it as the
// draft) and running a backtest of the saved version.
import { localTime } from "../lib/format";
import { useEffect, useId, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data, type Schemas } from "../api/client";
import { keys } from "../api/keys";
import { specGraph } from "../api/report";
import { useVersions } from "../hooks/queries";
import { PaperDialog } from "../components/PaperDialog";
import { RunDialog } from "../components/RunDialog";
import { toWire } from "./doc";
import type { Diagnostic, StrategyDoc } from "./types";

type StrategyView = Schemas["StrategyView"];
type VersionView = Schemas["VersionView"];

interface Props {
  strategy: StrategyView;
  doc: StrategyDoc;
  dirty: boolean;
  editable: boolean;
  errors: number;
  viewingVersion: number | null;
  onSaved: (v: VersionView) => void;
  onView: (n: number) => void;
  onRestore: (n: number) => void;
  onNotice: (text: string) => void;
}

const when = (ms: number): string => localTime(ms);

/** Runs go through the app's run dialog (settings, quotas, live progress, then the results page);
 * paper trading through the paper dialog, of the version opened read-only or else the latest. */
function RunSection({
  strategy,
  dirty,
  version,
  valid,
}: {
  strategy: StrategyView;
  dirty: boolean;
  version: number;
  valid: boolean | null;
}) {
  const id = useId();
  const [open, setOpen] = useState<"backtest" | "paper" | null>(null);
  const unsaved = dirty ? "your unsaved changes are not included, so save them first if they should be" : "";
  return (
    <section className="bb-section" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Run a backtest or paper trade</h3>
      {version === 0 ? (
        <p className="bb-hint">Save a version first: a backtest or paper trading runs a saved version.</p>
      ) : valid === false ? (
        <p className="bb-hint">
          Version {version} was saved with errors, so it cannot be run. Fix the problems and save a new version.
        </p>
      ) : (
        <>
          <p className="bb-hint">
            Uses version {version}
            {unsaved ? `; ${unsaved}` : ""}. A backtest tests it on past candles; paper trading trades it candle by candle with
            pretend money.
          </p>
          <div className="bb-run-actions">
            <button type="button" className="bb-primary" onClick={() => setOpen("backtest")}>
              Run a backtest…
            </button>
            <button type="button" onClick={() => setOpen("paper")}>
              Paper trade…
            </button>
          </div>
        </>
      )}
      <RunDialog
        strategy={open === "backtest" ? { id: strategy.id, title: strategy.title, latest_version: strategy.latest_version, version } : null}
        onClose={() => setOpen(null)}
      />
      <PaperDialog
        target={
          open === "paper"
            ? {
                strategyId: strategy.id,
                title: strategy.title,
                version,
                note: dirty ? `Your draft has unsaved changes: paper trading uses saved version ${version}, without them.` : undefined,
              }
            : null
        }
        onClose={() => setOpen(null)}
      />
    </section>
  );
}

export function SavePanel({ strategy, doc, dirty, editable, errors, viewingVersion, onSaved, onView, onRestore, onNotice }: Props) {
  const id = useId();
  const qc = useQueryClient();
  const [notes, setNotes] = useState("");
  const [refused, setRefused] = useState<{ message: string; diagnostics: Diagnostic[] } | null>(null);
  const versions = useVersions(strategy.id);
  const save = useMutation({
    mutationFn: (allowInvalid: boolean) =>
      data(
        api.POST("/api/v1/strategies/{id}/versions", {
          params: { path: { id: strategy.id } },
          body: {
            graph: specGraph(toWire(doc)),
            notes: notes.trim() || null,
            ...(allowInvalid ? { allow_invalid: true } : {}),
          },
        }),
      ),
    onSuccess: (r) => {
      setRefused(null);
      setNotes("");
      onSaved(r.version);
      onNotice(`Saved as version ${r.version.version}${r.version.valid ? "" : " (a draft: it still has errors)"}.`);
      // the strategy, its versions, and the lists it is in
      qc.invalidateQueries({ queryKey: keys.strategies.all });
    },
    onError: (e) => {
      const diagnostics = e instanceof ApiError && e.code === "validation_failed" ? e.diagnostics : null;
      if (e instanceof ApiError && diagnostics) setRefused({ message: e.message, diagnostics });
    },
  });
  // A refusal is about the graph as it was; any edit makes it stale.
  useEffect(() => setRefused(null), [doc]);
  const list = [...(versions.data ?? [])].reverse();
  const canSave = editable && viewingVersion === null && (dirty || strategy.latest_version === 0) && !save.isPending;

  return (
    <div className="bb-savepanel">
      {editable && (
        <section className="bb-section" aria-labelledby={`${id}-save`}>
          <h3 id={`${id}-save`}>Save a version</h3>
          <p className="bb-hint">
            {strategy.latest_version === 0
              ? "Nothing is saved yet. Saving makes version 1; versions never change once saved."
              : dirty
                ? `You have changes since version ${strategy.latest_version}. Saving makes version ${strategy.latest_version + 1}.`
                : `No changes since version ${strategy.latest_version}.`}
          </p>
          <div className="bb-field">
            <label htmlFor={`${id}-notes`}>Notes for this version (optional)</label>
            <textarea id={`${id}-notes`} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} placeholder="What did you change, and why?" />
          </div>
          <button type="button" className="bb-primary" disabled={!canSave} onClick={() => save.mutate(false)}>
            Save version
          </button>
          {errors > 0 && !refused && <p className="bb-hint">The strategy has {errors === 1 ? "1 error" : `${errors} errors`}; fix them before saving, or save it anyway as a draft.</p>}
          {refused && (
            <div className="bb-refused" role="alert">
              <p>
                Not saved: the strategy has {refused.diagnostics.filter((d) => d.severity === "error").length} error(s). Fix them (see Problems), or save it anyway as a
                draft that cannot be backtested yet.
              </p>
              <button type="button" onClick={() => save.mutate(true)} disabled={save.isPending}>
                Save anyway as a draft
              </button>
            </div>
          )}
          {save.error && !refused && (
            <p className="bb-error" role="alert">
              {save.error instanceof ApiError ? save.error.message : "Saving failed; your draft is kept on this device."}
            </p>
          )}
        </section>
      )}
      {editable && (
        <RunSection
          strategy={strategy}
          dirty={dirty && viewingVersion === null}
          version={viewingVersion ?? strategy.latest_version}
          valid={versions.data?.find((v) => v.version === (viewingVersion ?? strategy.latest_version))?.valid ?? null}
        />
      )}
      <section className="bb-section" aria-labelledby={`${id}-hist`}>
        <h3 id={`${id}-hist`}>Version history</h3>
        {versions.isLoading && <p role="status">Loading versions…</p>}
        {versions.error && <p className="bb-error">The versions could not be loaded.</p>}
        {versions.data && list.length === 0 && <p className="bb-hint">No saved versions yet.</p>}
        <ol className="bb-versions" reversed>
          {list.map((v) => (
            <li key={v.version} className={viewingVersion === v.version ? "viewing" : ""} data-version={v.version}>
              <div>
                <strong>Version {v.version}</strong> <span className="bb-muted">{when(v.created_at)}</span>{" "}
                <span className={v.valid ? "bb-ok" : "bb-bad"}>{v.valid ? "valid" : "has errors"}</span>
              </div>
              {v.notes && <p className="bb-notes">{v.notes}</p>}
              <div className="bb-version-actions">
                <button type="button" onClick={() => onView(v.version)}>
                  Open <span className="bb-sr-only">version {v.version} </span>read-only
                </button>
                {editable && (
                  <button type="button" onClick={() => onRestore(v.version)}>
                    Restore <span className="bb-sr-only">version {v.version} </span>as the draft
                  </button>
                )}
              </div>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
