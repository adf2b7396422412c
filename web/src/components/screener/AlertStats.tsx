// Counts over a window (the last 24 hours, 7 days or all time, by the alerts' own times): the
// total, alerts per hour, per type and the most alerted symbols (each opening its view).
import { useId, useState } from "react";
import { Link } from "react-router-dom";
import { useAlertStats, WINDOW_WORDS, type StatsWindow } from "../../hooks/screener";
import { plain } from "../../lib/format";
import { typeWords } from "../../lib/screener";
import { ErrorMessage } from "../Field";
import { HourBars } from "./HourBars";

const WINDOWS: StatsWindow[] = ["day", "week", "all"];

export function AlertStats() {
  const headingId = useId();
  const name = useId();
  const [w, setW] = useState<StatsWindow>("day");
  const stats = useAlertStats(w);
  const s = stats.data;
  const most = Math.max(1, ...(s?.by_type.map((t) => t.count) ?? []));
  return (
    <section className="screener-stats card" aria-labelledby={headingId}>
      <h2 id={headingId}>Statistics</h2>
      <fieldset className="window-picker">
        <legend>Window</legend>
        {WINDOWS.map((x) => (
          <label key={x} className="window-option">
            <input type="radio" name={name} value={x} checked={w === x} onChange={() => setW(x)} /> {WINDOW_WORDS[x]}
          </label>
        ))}
      </fieldset>
      <p className="help">By the time each alert fired (a replay of older data counts in its own hours).</p>
      <ErrorMessage error={stats.error} />
      {(stats.isLoading || stats.isPlaceholderData) && <p role="status">Counting…</p>}
      {s && (
        <div className="stats-body" aria-busy={stats.isPlaceholderData}>
          <p className="stats-total" data-testid="stats-total">
            <strong>{plain(s.total)}</strong> {s.total === 1 ? "alert" : "alerts"}
            <span className="meta"> · {WINDOW_WORDS[w].toLowerCase()}</span>
          </p>
          {s.total === 0 && <p className="empty">No alerts in this window.</p>}
          <HourBars byHour={s.by_hour} window={w} />
          {s.by_type.length > 0 && (
            <>
              <h3>By type</h3>
              <ul className="type-counts">
                {s.by_type.map((t) => (
                  <li key={t.key}>
                    <span className="type-name">{typeWords(t.key)}</span>
                    <span className="type-bar" aria-hidden="true">
                      <span style={{ width: `${(t.count / most) * 100}%` }} />
                    </span>
                    <span className="type-count">{plain(t.count)}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          {s.top_symbols.length > 0 && (
            <>
              <h3>Most alerted symbols</h3>
              <ol className="top-symbols">
                {s.top_symbols.map((t) => (
                  <li key={t.key}>
                    <Link to={`/screener?symbol=${encodeURIComponent(t.key)}`}>{t.key}</Link>{" "}
                    <span className="meta">
                      {plain(t.count)} {t.count === 1 ? "alert" : "alerts"}
                    </span>
                  </li>
                ))}
              </ol>
            </>
          )}
        </div>
      )}
    </section>
  );
}
