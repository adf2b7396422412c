// A starter strategy as a card: what it does in one plain paragraph, and "Use this template",
// which copies it into the user's strategies and offers to run it straight away.
import { useId, useState } from "react";
import { Link } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { Strategy } from "../api/types";
import { useMyStrategies } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { findCopy, rememberCopy } from "../lib/templateCopies";
import type { RunTarget } from "./RunDialog";

interface Props {
  template: Strategy;
  onRun(target: RunTarget): void;
}

export function TemplateCard({ template, onRun }: Props) {
  const titleId = useId();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [copy, setCopy] = useState<Strategy | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mine = useMyStrategies();
  // A copy made earlier (remembered at clone time, or found by its title).
  const earlier = copy ? undefined : findCopy(template, mine.data?.items ?? []);

  const use = async () => {
    setBusy(true);
    setError(null);
    try {
      const created = await data(
        api.POST("/api/v1/strategies/{id}/clone", { params: { path: { id: template.id } }, body: {} }),
      );
      rememberCopy(template.id, created.strategy.id);
      setCopy(created.strategy);
      queryClient.invalidateQueries({ queryKey: keys.strategies.all });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
    } catch (e) {
      if (!showQuota(e)) setError(e instanceof ApiError ? e.message : "Could not copy the template. Try again.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className="card template-card" aria-labelledby={titleId}>
      <h3 id={titleId}>{template.title}</h3>
      <p className="card-text">{template.description}</p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {copy ? (
        <div className="card-actions" role="group" aria-label={`Your copy of ${template.title}`}>
          <p className="done-note" role="status">
            <span aria-hidden="true">✓</span> Copied to your strategies.
          </p>
          <button
            type="button"
            className="button primary"
            onClick={() => onRun({ id: copy.id, title: copy.title, latest_version: copy.latest_version })}
          >
            Run backtest
          </button>
          <Link className="button" to={`/strategies/${copy.id}`}>
            Open my copy
          </Link>
        </div>
      ) : earlier ? (
        <div className="card-actions" role="group" aria-label={`Your copy of ${template.title}`}>
          <p className="done-note">
            <span aria-hidden="true">✓</span> You already have a copy{earlier.title !== template.title ? ` (“${earlier.title}”)` : ""}.
          </p>
          <Link className="button primary" to={`/strategies/${earlier.id}`} aria-describedby={titleId}>
            Open my copy
          </Link>
          <Link className="button" to={`/strategies/${template.id}`} aria-describedby={titleId}>
            Look inside
          </Link>
          <button type="button" className="button link-button" onClick={use} disabled={busy} aria-describedby={titleId}>
            {busy ? "Copying…" : "Make another copy"}
          </button>
        </div>
      ) : (
        <div className="card-actions">
          <button type="button" className="button primary" onClick={use} disabled={busy} aria-describedby={titleId}>
            {busy ? "Copying…" : "Use this template"}
          </button>
          <Link className="button" to={`/strategies/${template.id}`} aria-describedby={titleId}>
            Look inside
          </Link>
        </div>
      )}
    </article>
  );
}
