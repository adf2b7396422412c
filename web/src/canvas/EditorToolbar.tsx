// The editor's toolbar: the title and save status, palette, undo/redo, tidy-up and discard buttons,
// and the one-line problem summary (announced politely).
import { Link } from "react-router-dom";
import type { Strategy } from "../api/types";
import type { History } from "./history";

interface Props {
  strategy: Strategy;
  statusText: string;
  dirty: boolean;
  viewing: boolean;
  readOnly: boolean;
  editable: boolean;
  paletteOpen: boolean;
  onTogglePalette: () => void;
  /** Lays the graph out again (null: nothing to tidy). */
  onTidy: (() => void) | null;
  history: History;
  onDiscardDraft: () => void;
  totals: { errors: number; warnings: number };
  valid: boolean | null;
  summary: string;
}

export function EditorToolbar(p: Props) {
  const { strategy, statusText, dirty, viewing, readOnly, editable, paletteOpen, history, totals } = p;
  return (
    <div className="bb-toolbar">
      <div className="bb-title">
        <h1>{strategy.title}</h1>
        <span className={`bb-status${dirty && !viewing ? " dirty" : ""}`} data-testid="save-status">
          {statusText}
        </span>
      </div>
      <div className="bb-actions">
        {!readOnly && (
          <button type="button" aria-expanded={paletteOpen} aria-controls="bb-palette" onClick={p.onTogglePalette}>
            {paletteOpen ? "Hide blocks" : "Show blocks"}
          </button>
        )}
        {!readOnly && (
          <>
            <button type="button" onClick={history.undo} disabled={!history.canUndo} aria-keyshortcuts="Control+Z">
              Undo
            </button>
            <button type="button" onClick={history.redo} disabled={!history.canRedo} aria-keyshortcuts="Control+Shift+Z">
              Redo
            </button>
            <button type="button" onClick={p.onTidy ?? undefined} disabled={!p.onTidy} title="Lay the blocks out left to right, inputs first">
              Tidy up
            </button>
          </>
        )}
        {editable && dirty && !viewing && (
          <button type="button" onClick={p.onDiscardDraft}>
            Discard draft
          </button>
        )}
        <Link to={`/strategies/${strategy.id}`} className="bb-toollink">
          Strategy page
        </Link>
      </div>
      <p
        className={`bb-summary${totals.errors ? " error" : totals.warnings ? " warning" : p.valid ? " ok" : ""}`}
        role="status"
        aria-live="polite"
        data-testid="problem-summary"
      >
        {p.summary}
      </p>
    </div>
  );
}
