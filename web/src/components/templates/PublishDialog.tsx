// "Publish as template": the machine gates of the strategy's latest version as a checklist,
// then title, description, tags, the risk disclosure and the audience: the public gallery (after
// a reviewer's check) or one of the caller's cohorts (published to its members at once; only a
// backtest with costs and the disclosure are required). The server's refusals show on their
// field, failed gates as the checklist; a plan without publishes opens the upgrade prompt.
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { Cohort, Gate, Strategy, Template } from "../../api/types";
import { gateRequired } from "../../lib/cohorts";
import { useUpgradePrompt } from "../../hooks/upgrade";
import { payloadGates } from "../../lib/templates";
import { ErrorMessage, Field } from "../Field";
import { Modal } from "../Modal";
import { AudienceChoice } from "./AudienceChoice";
import { GateList } from "./GateList";
import { VerifiedCard } from "./VerifiedCard";
import "../../styles/templates.css";

export function PublishDialog({ strategy, open, onClose }: { strategy: Strategy; open: boolean; onClose(): void }) {
  return (
    <Modal open={open} title={`Publish as template: ${strategy.title}`} onClose={onClose} wide>
      {open && <PublishForm strategy={strategy} onClose={onClose} />}
    </Modal>
  );
}

type FieldName = "title" | "description" | "tags" | "disclosure" | "audience" | "form";
type Errors = Partial<Record<FieldName, string>>;

function fieldOf(field: unknown): FieldName {
  if (typeof field !== "string") return "form";
  if (field.startsWith("tags")) return "tags";
  if (field === "cohort_id") return "audience";
  return field === "title" || field === "description" || field === "disclosure" || field === "audience" ? field : "form";
}

function PublishForm({ strategy, onClose }: { strategy: Strategy; onClose(): void }) {
  const version = strategy.latest_version;
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const gates = useQuery({
    queryKey: keys.templates.gates(strategy.id, version),
    queryFn: () =>
      data(api.GET("/api/v1/templates/gates", { params: { query: { strategy_id: strategy.id, version } } })),
  });
  const [title, setTitle] = useState(strategy.title);
  const [description, setDescription] = useState(strategy.description ?? "");
  const [tags, setTags] = useState(strategy.tags.join(", "));
  const [disclosure, setDisclosure] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [refused, setRefused] = useState<Gate[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ template: Template; cohort: Cohort | null } | null>(null);
  const cohortList = useQuery({
    queryKey: keys.cohorts.list,
    queryFn: () => data(api.GET("/api/v1/cohorts")),
  });
  const teaching = (cohortList.data?.items ?? []).filter((c) => c.role === "educator");
  // "public" or a cohort's id.
  const [target, setTarget] = useState("public");
  const cohort = teaching.find((c) => c.id === target) ?? null;
  const audience = cohort ? "cohort" : "public";
  const clear = (f: FieldName) => setErrors((all) => (all[f] ? { ...all, [f]: undefined } : all));

  if (done) {
    const t = done.template;
    return (
      <div className="publish-done">
        {done.cohort ? (
          <p className="success-box" role="status">
            <strong>Published to “{done.cohort.name}”.</strong> Its members see “{t.title}” (version {t.version}) now and
            can clone it.
          </p>
        ) : (
          <p className="success-box" role="status">
            <strong>Submitted for review.</strong> A reviewer checks “{t.title}” (version {t.version}) before it appears
            in the gallery; you get a notification with the decision.
          </p>
        )}
        <div className="actions">
          {done.cohort ? (
            <Link className="button primary" to={`/cohorts/${done.cohort.id}`}>
              Open the cohort
            </Link>
          ) : (
            <Link className="button primary" to="/templates/mine">
              My templates
            </Link>
          )}
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Errors = {};
    if (!title.trim()) errs.title = "Give the template a title.";
    if (disclosure.trim().length < 20)
      errs.disclosure = "Write a disclosure of at least 20 characters: the risks, that past results promise nothing, who you are.";
    setErrors(errs);
    setRefused(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const t = await data(
        api.POST("/api/v1/templates", {
          body: {
            strategy_id: strategy.id,
            version,
            audience,
            cohort_id: cohort?.id,
            title: title.trim(),
            description: description.trim(),
            tags: tags
              .split(",")
              .map((t) => t.trim())
              .filter(Boolean),
            disclosure: disclosure.trim(),
          },
        }),
      );
      queryClient.invalidateQueries({ queryKey: keys.templates.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      if (cohort) queryClient.invalidateQueries({ queryKey: keys.cohorts.one(cohort.id) });
      setDone({ template: t, cohort });
    } catch (err) {
      if (showQuota(err)) return;
      if (err instanceof ApiError) {
        const failed = err.details ? payloadGates(err.details) : [];
        if (failed.length) {
          setRefused(failed);
          setErrors({ form: err.message });
        } else if (err.status === 409) {
          setErrors({ form: `${err.message} Save a new version to publish an update.` });
        } else {
          setErrors({ [fieldOf(err.details?.field)]: err.message });
        }
      } else setErrors({ form: "Could not reach the server. Try again." });
    } finally {
      setBusy(false);
    }
  };

  const g = gates.data;
  const ready = g ? g.gates.every((x) => x.passed || !gateRequired(x.gate, audience)) : false;
  return (
    <form onSubmit={submit} noValidate className="publish-form">
      <p className="help">
        {cohort
          ? `Publishing shares version ${version} with the members of “${cohort.name}”, with its verified backtest.`
          : `Publishing shares version ${version} with everyone in the template gallery, with its verified backtest.`}{" "}
        The version cannot change afterwards; an update is a newer version{cohort ? "" : ", reviewed again"}.
      </p>
      <AudienceChoice
        cohorts={teaching}
        value={target}
        error={errors.audience}
        onChange={(v) => {
          setTarget(v);
          clear("audience");
          setRefused(null);
        }}
      />
      <section aria-labelledby="gates-title">
        <h3 id="gates-title">Checks before publishing</h3>
        {gates.isLoading && <p role="status">Checking version {version}…</p>}
        <ErrorMessage error={gates.error} />
        {g && (
          <>
            <p className={ready ? "success-box" : "notice-box"}>
              {cohort
                ? ready
                  ? g.passed
                    ? "Every check passed. Cohort templates are published to the members at once."
                    : "The required checks passed. Cohort templates are published to the members at once."
                  : "A required check has not passed yet: run a backtest of this version with fees and slippage on, then publish."
                : g.passed
                ? "Every check passed. A reviewer still reads the evidence before it is published."
                : "Not every check passed yet: fix what failed (e.g. run a backtest or a robustness check of this version), then publish."}
            </p>
            <GateList gates={refused ?? g.gates} label={`Checks for version ${version}`} audience={cohort ? "cohort" : undefined} />
            {g.card && (
              <details className="publish-card">
                <summary>The backtest card it would be published with</summary>
                <VerifiedCard card={g.card} label="Verified backtest" />
              </details>
            )}
          </>
        )}
      </section>
      <ErrorMessage error={errors.form} />
      <Field label="Title" error={errors.title}>
        <input value={title} maxLength={200} onChange={(e) => {
            setTitle(e.target.value);
            clear("title");
          }} />
      </Field>
      <Field label="Description" error={errors.description} help="What the strategy does and when it trades.">
        <textarea rows={3} value={description} maxLength={5000} onChange={(e) => {
            setDescription(e.target.value);
            clear("description");
          }} />
      </Field>
      <Field label="Tags" error={errors.tags} help="Separated by commas, e.g. trend, bitcoin.">
        <input value={tags} onChange={(e) => {
            setTags(e.target.value);
            clear("tags");
          }} />
      </Field>
      <Field
        label="Risk disclosure (required)"
        error={errors.disclosure}
        help="Shown to everyone before they clone it: the risks, that past results do not promise future ones, and who you are. 20 to 5,000 characters."
      >
        <textarea rows={4} value={disclosure} maxLength={5000} required onChange={(e) => {
            setDisclosure(e.target.value);
            clear("disclosure");
          }} />
      </Field>
      <div className="actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={busy || !g}>
          {cohort ? (busy ? "Publishing…" : "Publish to cohort") : busy ? "Submitting…" : "Submit for review"}
        </button>
      </div>
    </form>
  );
}
