import type { RunProgress } from "../hooks/useRunEvents";
import { statusWords } from "../lib/format";

/** A run's progress: a bar with its value for assistive technology and a polite message. */
export function RunProgressView({ progress, label }: { progress: RunProgress; label: string }) {
  return (
    <div className="run-progress">
      <div
        className="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress.percent}
        aria-valuetext={`${progress.percent}%: ${progress.message}`}
      >
        <div className="progress-fill" style={{ width: `${progress.percent}%` }} />
      </div>
      <p aria-live="polite" className="progress-message">
        <strong>{statusWords(progress.status)}</strong> · {progress.percent}% · {progress.message}
      </p>
    </div>
  );
}
