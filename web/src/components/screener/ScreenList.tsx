// The caller's screens: what each watches and fires on, with Edit and Delete (confirmed).
import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import { useMyStrategies } from "../../hooks/queries";
import { SIGNAL_WORDS, typeWords, type Screen } from "../../lib/screener";
import { ErrorMessage } from "../Field";
import { Modal } from "../Modal";

export function ScreenList({ screens, onEdit, onDeleted }: { screens: Screen[]; onEdit(s: Screen): void; onDeleted(name: string): void }) {
  const queryClient = useQueryClient();
  const strategies = useMyStrategies();
  const titles = new Map((strategies.data?.items ?? []).map((s) => [s.id, s.title]));
  const [doomed, setDoomed] = useState<Screen | null>(null);
  const remove = useMutation({
    mutationFn: async (s: Screen) => {
      await api.DELETE("/api/v1/screener/screens/{id}", { params: { path: { id: s.id } } });
      return s;
    },
    onSuccess: (s) => {
      setDoomed(null);
      queryClient.invalidateQueries({ queryKey: keys.screener.screens });
      onDeleted(s.name);
    },
  });
  return (
    <>
      <ul className="screen-list" aria-label="Your screens">
        {screens.map((s) => (
          <li key={s.id} className="card screen-card">
            <h3>{s.name}</h3>
            <dl className="screen-facts">
              <div>
                <dt>Symbols</dt>
                <dd>
                  {s.symbols.map((x, i) => (
                    <span key={x}>
                      {i > 0 && ", "}
                      <Link to={`/screener?symbol=${encodeURIComponent(x)}`}>{x}</Link>
                    </span>
                  ))}
                </dd>
              </div>
              <div>
                <dt>Alerts</dt>
                <dd>{s.alert_types.length ? s.alert_types.map(typeWords).join(", ") : "No built-in alerts"}</dd>
              </div>
              {s.strategy_id && (
                <div>
                  <dt>Block screen</dt>
                  <dd>
                    {titles.get(s.strategy_id) ?? "A strategy"} version {s.version}, on{" "}
                    {(s.signal ? SIGNAL_WORDS[s.signal] : SIGNAL_WORDS.enter_long).toLowerCase()} ·{" "}
                    <Link to={`/strategies/${s.strategy_id}/edit`}>
                      Edit on canvas<span className="visually-hidden">: {s.name}</span>
                    </Link>
                  </dd>
                </div>
              )}
              <div>
                <dt>Notifications</dt>
                <dd>{s.notify ? "On" : "Off"}</dd>
              </div>
            </dl>
            <div className="card-actions">
              <button type="button" className="button small" onClick={() => onEdit(s)} aria-label={`Edit ${s.name}`}>
                Edit
              </button>
              <button type="button" className="button small danger" onClick={() => setDoomed(s)} aria-label={`Delete ${s.name}`}>
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
      <Modal open={!!doomed} title={doomed ? `Delete “${doomed.name}”?` : "Delete"} onClose={() => setDoomed(null)}>
        <p>It stops watching its symbols. The alerts it already raised stay until they expire.</p>
        <ErrorMessage error={remove.error} />
        <div className="actions">
          <button type="button" className="button danger" disabled={remove.isPending} onClick={() => doomed && remove.mutate(doomed)}>
            Delete the screen
          </button>
          <button type="button" className="button" onClick={() => setDoomed(null)}>
            Keep it
          </button>
        </div>
      </Modal>
    </>
  );
}
